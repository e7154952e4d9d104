"""The closed-form references against independent numbers: a second series, limits, a
finite-volume solve."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sps
import scipy.sparse.linalg as spla

from .closed_forms import (
    ladder_impedance,
    ladder_zth,
    semi_infinite_zth,
    series_resistance,
    slab_foster,
    slab_zth,
    slab_zth_images,
    spreading_resistance_series,
    spreading_resistance_song,
)

SLAB = {"L": 2e-3, "k": 5.0, "rho_cp": 2e6, "area": 1e-4}


def test_slab_eigen_series_matches_image_series():
    t = np.logspace(-6, 0, 25)  # up to ~L^2/alpha: both series converge
    np.testing.assert_allclose(slab_zth(t, **SLAB), slab_zth_images(t, **SLAB), rtol=1e-9)


def test_slab_limits():
    # Short times: the heat has not reached the far face, a half-space.
    t = np.array([1e-6, 1e-5, 1e-4])
    np.testing.assert_allclose(
        slab_zth(t, **SLAB),
        semi_infinite_zth(t, SLAB["k"], SLAB["rho_cp"], SLAB["area"]),
        rtol=1e-9,
    )
    r_line = SLAB["L"] / (SLAB["k"] * SLAB["area"])
    assert slab_zth(1e4, **SLAB) == pytest.approx(r_line, rel=1e-12)
    h = 2000.0
    assert slab_zth(1e4, **SLAB, h=h) == pytest.approx(r_line + 1 / (h * SLAB["area"]), rel=1e-9)
    R, tau = slab_foster(**SLAB, h=h)
    assert R.sum() == pytest.approx(r_line + 1 / (h * SLAB["area"]), rel=1e-4)  # 2000 terms
    # The convective eigenvalues tend to the isothermal ones as h -> inf.
    t = np.logspace(-5, 1, 13)
    np.testing.assert_allclose(slab_zth(t, **SLAB, h=1e12), slab_zth(t, **SLAB), rtol=1e-6)
    # Lumped limit (Bi << 1): one exponential with tau = rho cp L / h.
    Rl, taul = slab_foster(**SLAB, h=10.0, n_terms=5)
    assert taul[0] == pytest.approx(SLAB["rho_cp"] * SLAB["L"] / 10.0, rel=2e-3)


def _spreading_fv(a, b, t, k, h, nr, nz):
    """Mean source temperature per watt of the isoflux disk on the plate, axisymmetric
    finite volumes (uniform grid, source edge on a face)."""
    dr, dz = b / nr, t / nz
    rf = np.arange(nr + 1) * dr
    ring = np.pi * (rf[1:] ** 2 - rf[:-1] ** 2)
    idx = np.arange(nr * nz).reshape(nz, nr)
    g_r = k * 2 * np.pi * rf[1:-1] * dz / dr  # between columns i and i+1
    g_z = k * ring / dz  # between rows j and j+1
    rows, cols, vals = [], [], []

    def couple(p, q, g):
        rows.extend([p, q, p, q])
        cols.extend([p, q, q, p])
        vals.extend([g, g, -g, -g])

    for j in range(nz):
        couple(idx[j, :-1].ravel(), idx[j, 1:].ravel(), g_r)
    for j in range(nz - 1):
        couple(idx[j], idx[j + 1], g_z)
    g_bot = ring / (dz / (2 * k) + 1 / h)
    rows.append(idx[-1])
    cols.append(idx[-1])
    vals.append(g_bot)
    M = sps.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), (nr * nz,) * 2
    )
    src = int(round(a / dr))
    q = 1.0 / (np.pi * a**2)
    rhs = np.zeros(nr * nz)
    rhs[idx[0, :src]] = q * ring[:src]
    T = spla.spsolve(M.tocsc(), rhs)
    surface = T[idx[0, :src]] + q * dz / (2 * k)
    return float(surface @ ring[:src] / ring[:src].sum())


def test_spreading_series_against_finite_volumes():
    a, b, t, k, h = 2e-3, 10e-3, 1e-3, 20.0, 1e3  # die on a spreader cooled by h
    r_1d = t / (k * np.pi * b**2) + 1 / (h * np.pi * b**2)
    r_s = spreading_resistance_series(a, b, t, k, h)
    r_fv = _spreading_fv(a, b, t, k, h, 200, 80)
    assert r_s / r_1d > 2  # the spreading part dominates: a real test of the series
    assert r_fv - r_1d == pytest.approx(r_s, rel=2e-3)


def test_spreading_limits_and_song_lee_au():
    k, a = 1.0, 1e-3
    # Half-space limit (eps -> 0, thick plate): 8 / (3 pi^2 k a) for the mean temperature.
    r = spreading_resistance_series(a, 1.0, 10.0, k, None, n_terms=8000)
    assert r == pytest.approx(8 / (3 * np.pi**2 * k * a), rel=5e-3)
    assert spreading_resistance_song(a, 1.0, 10.0, k)[0] == pytest.approx(
        0.5 / (np.sqrt(np.pi) * k * a), rel=5e-3
    )
    # A source covering the whole plate does not spread.
    assert spreading_resistance_series(1.0, 1.0, 0.1, k, 100.0) == pytest.approx(0.0, abs=1e-12)
    # The closed form tracks the series within a few per cent over package geometries.
    for eps, tau, bi in [(0.2, 0.1, 0.5), (0.5, 0.05, 5.0), (0.1, 0.2, None), (0.3, 0.3, 50.0)]:
        b = 10e-3
        h = None if bi is None else bi * 20.0 / b
        exact = spreading_resistance_series(eps * b, b, tau * b, 20.0, h)
        approx, r_max = spreading_resistance_song(eps * b, b, tau * b, 20.0, h)
        assert approx == pytest.approx(exact, rel=0.08)
        assert r_max > approx


def test_series_resistance_hand_numbers():
    # theta_JB path of a 10 x 10 mm stack: 300 um Si, 25 um die attach, 400 um laminate,
    # plus one 1e-5 K m^2/W interface.
    area = 1e-4
    r = series_resistance([300e-6, 25e-6, 400e-6], [150.0, 2.0, 0.8], area, [1e-5])
    hand = 300e-6 / (150 * area) + 25e-6 / (2 * area) + 400e-6 / (0.8 * area) + 1e-5 / area
    assert r == pytest.approx(hand)
    assert r == pytest.approx(0.02 + 0.125 + 5.0 + 0.1)
    assert series_resistance([SLAB["L"]], [SLAB["k"]], SLAB["area"]) == pytest.approx(
        slab_zth(1e4, **SLAB)
    )


def test_ladder_references_agree():
    R, C = np.array([0.1, 1.0, 3.0]), np.array([1e-3, 0.1, 10.0])
    assert ladder_impedance(1e-12, R, C) == pytest.approx(R.sum(), rel=1e-9)
    assert ladder_zth(1e9, R, C) == pytest.approx(R.sum(), rel=1e-12)
    # Initial slope of the step response is 1/C[0] (all heat into the junction node).
    assert ladder_zth(1e-9, R, C) / 1e-9 == pytest.approx(1 / C[0], rel=1e-4)
