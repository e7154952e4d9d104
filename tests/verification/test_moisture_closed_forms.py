"""Moisture diffusion and swelling against closed forms: absorption and desorption of a
1-D slab (Crank's series), the steady two-material slab (wetness continuous, the
concentration jumping by the ratio of the saturated concentrations) and the bending of
a bilayer by the swelling of one layer (Timoshenko)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.integrate import quad

from fea.errors import InputError
from fea.physics.history import solve_history
from fea.physics.materials import Material
from fea.physics.mechanics import solve_thermoelastic
from fea.physics.moisture import (
    REFLOW_PRESETS,
    Soak,
    hygro_equivalent,
    hygroscopic_strain,
    solve_moisture,
)
from fea.physics.moisture_data import MoistureProperties, get

from .helpers import layered_box, plane

L, W = 1e-3, 0.1e-3  # slab thickness, column width [m]
EMC = get("mold_compound")


def crank_uptake(t: np.ndarray, D: float, ell: float) -> np.ndarray:
    """M(t)/M_inf of a plane sheet -ell < x < ell, both faces at C_inf from t = 0, or of
    a sheet of thickness ell with one face exposed and one sealed (Crank, The Mathematics
    of Diffusion, 2nd ed. 1975, eq. 4.18)."""
    n = np.arange(400)[:, None]
    k = (2 * n + 1) ** 2 * np.pi**2
    return 1.0 - np.sum(8.0 / k * np.exp(-D * k * np.asarray(t)[None, :] / (4 * ell * ell)), 0)


@pytest.fixture(scope="module")
def slab():
    """A 1-D column of mould compound (sealed sides), 30 layers graded from 2 um at z = 0."""
    edges = np.concatenate([[0.0], np.geomspace(2e-6, L, 30)])
    layers = [("emc", float(b - a), 1) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return layered_box((W, W), layers, W, faces={"z0": plane(2, 0.0), "z1": plane(2, L)})


def test_slab_absorption_against_cranks_series(slab):
    """MSL1 ambient on one face for 500 h: the uptake within 0.5 % of Crank's series at
    every reported time (measured: 3.2e-4 at 0.5 h, the first output; below 1e-5 after
    3 h)."""
    res = solve_moisture(slab, {"emc": EMC}, Soak(85.0, 0.85, 500.0), exposed="z0", outputs=40)
    m_inf = float(EMC.csat(85.0, 0.85)) * L * W * W * 1e6  # mg
    D = float(EMC.diffusivity(85.0))
    t = res.times[1:]
    err = np.abs(res.total_uptake_mg[1:] / m_inf / crank_uptake(t, D, L) - 1)
    assert err.max() < 5e-3, err.max()
    assert err[t > 3 * 3600].max() < 1e-4, err[t > 3 * 3600].max()
    assert res.times[-1] == pytest.approx(500 * 3600.0)


def test_slab_desorption_in_the_reflow_against_cranks_series(slab):
    """Saturated at 85 degC / 85 %RH, then the J-STD-020 260 degC profile in dry air: with
    C_sat uniform in space, C obeys dC/dt = D(T(t)) C'' with C = 0 on the exposed face,
    Crank's sheet in the time tau = int D(T(t)) dt; the water left within 0.5 % of it
    (measured 0.16 % with the default 10-K / 30-s pieces and 2 steps each)."""
    prof = replace(REFLOW_PRESETS["JSTD020_PbFree_260"], ambient_RH=0.0)
    res = solve_moisture(
        slab,
        {"emc": EMC},
        [Soak(85.0, 0.85, math.inf), prof],
        exposed="z0",
        method="amg",
    )
    pts = np.array(prof.points)

    def d_of_t(t: float) -> float:
        return float(EMC.diffusivity(np.interp(t, pts[:, 0], pts[:, 1])))

    tau = sum(quad(d_of_t, a, b)[0] for a, b in zip(pts[:-1, 0], pts[1:, 0], strict=True))
    left = 1.0 - crank_uptake(np.array([tau]), 1.0, L)[0]
    m0 = res.total_uptake_mg[res.stage == 0][-1]
    assert res.total_uptake_mg[-1] / m0 == pytest.approx(left, rel=5e-3)
    assert 0.7 < left < 0.85  # the profile removes a fifth of the water: a real test


def test_two_material_slab_steady_state():
    """Layer a (z < La) exposed at z = 0 to 85 %RH, layer b dry at z = La + Lb: the
    wetness is piecewise linear and continuous, w_i = Pa w0 / (Pa + Pb) with P = D C_sat / L
    (the flux continuous), and C jumps by C_sat,a / C_sat,b at the interface (the P2
    field holds the linear pieces: measured 5e-15)."""
    La, Lb = 0.4e-3, 0.6e-3
    a = MoistureProperties.from_reference("a", 4e-12, 45e3, Csat_kg_per_m3=6.0)
    b = MoistureProperties.from_reference("b", 1e-12, 40e3, Csat_kg_per_m3=20.0)
    mesh = layered_box(
        (W, W),
        [("a", La, 4), ("b", Lb, 6)],
        W,
        faces={"z0": plane(2, 0.0), "z1": plane(2, La + Lb)},
    )
    res = solve_moisture(
        mesh, {"a": a, "b": b}, Soak(85.0, 0.85, math.inf), exposed={"z0": None, "z1": 0.0}
    )
    Pa = float(a.diffusivity(85.0) * a.csat(85.0)) / La
    Pb = float(b.diffusivity(85.0) * b.csat(85.0)) / Lb
    wi = Pa * 0.85 / (Pa + Pb)
    z = res.space.nodes[:, 2]
    exact = np.where(z <= La, 0.85 + (wi - 0.85) * z / La, wi * (La + Lb - z) / Lb)
    err = np.abs(res.wetness[-1] - exact).max()
    assert err < 1e-9, err
    iface = np.isclose(z, La)
    ca = res.region_concentration("a")[np.isclose(z[res.region_nodes("a")], La)]
    cb = res.region_concentration("b")[np.isclose(z[res.region_nodes("b")], La)]
    assert iface.sum() == ca.size == cb.size > 0
    np.testing.assert_allclose(ca / cb, float(a.csat(85.0) / b.csat(85.0)), rtol=1e-9)
    np.testing.assert_allclose(ca, float(a.csat(85.0)) * wi, rtol=1e-9)


def timoshenko_curvature(
    mismatch: float, h1: float, h2: float, E1: float, nu1: float, E2: float, nu2: float
) -> float:
    """Curvature [1/m] of a wide bonded bilayer whose layer 2 has the free strain
    ``mismatch`` relative to layer 1 (Timoshenko 1925, biaxial moduli E/(1 - nu))."""
    m, n = h1 / h2, (E1 / (1 - nu1)) / (E2 / (1 - nu2))
    h = h1 + h2
    return (
        6 * mismatch * (1 + m) ** 2 / (h * (3 * (1 + m) ** 2 + (1 + m * n) * (m * m + 1 / (m * n))))
    )


def test_bilayer_hygro_bending_against_timoshenko():
    """Silicon (no water) under mould compound saturated at 85 degC / 85 %RH: the swelling
    as an equivalent temperature field in solve_thermoelastic bends the plate as a
    bilayer with the strain mismatch CME C_sat: the wide-plate formula's curvature, fitted
    away from the edges of a 12 mm square, within 0.5 % (measured 3.5e-5)."""
    a, h1, h2 = 12e-3, 0.3e-3, 0.5e-3
    mesh = layered_box(
        (a, a), [("die", h1, 2), ("emc", h2, 2)], 1.0e-3, faces={"top": plane(2, h1 + h2)}
    )
    wet = solve_moisture(mesh, {"die": "silicon", "emc": EMC}, "MSL1", exposed="top")
    # 168 h of 85/85 through 0.5 mm of EMC (L^2/D = 23 h) saturates it to 1e-3
    assert wet.uptake_mg["emc"][-1] == pytest.approx(6.0 * a * a * h2 * 1e6, rel=1e-3)
    si = Material("si", E=130e9, nu=0.28, alpha=2.6e-6, k=100.0)
    emc = Material("emc", E=20e9, nu=0.3, alpha=1e-5, k=1.0)
    mats, T, ref = hygro_equivalent(wet, {"die": si, "emc": emc})
    me = solve_thermoelastic(mesh, mats, T, ref, backend="cpu")
    x = np.linspace(0.3 * a, 0.7 * a, 9)
    X, Y = np.meshgrid(x, x)
    pts = np.column_stack([X.ravel(), Y.ravel(), np.full(X.size, 0.5 * (h1 + h2))])
    w = me.probe(pts)[:, 2]
    xx, yy = pts[:, 0] - a / 2, pts[:, 1] - a / 2
    A = np.column_stack([np.ones_like(xx), xx, yy, xx * xx, xx * yy, yy * yy])
    c = np.linalg.lstsq(A, w, rcond=None)[0]
    kappa = -(c[3] + c[5])
    mismatch = EMC.CME_m3_per_kg * 6.0 * wet.wetness[-1].max() / 0.85
    exact = timoshenko_curvature(mismatch, h1, h2, 130e9, 0.28, 20e9, 0.3)
    assert kappa == pytest.approx(exact, rel=5e-3), (kappa, exact)
    assert c[3] < 0 and c[5] < 0  # the swollen compound on top: a dome


def _curvature(result, a: float, z: float) -> float:
    """Mean curvature of the plate's mid-plane, fitted away from the edges."""
    x = np.linspace(0.3 * a, 0.7 * a, 9)
    X, Y = np.meshgrid(x, x)
    pts = np.column_stack([X.ravel(), Y.ravel(), np.full(X.size, z)])
    w = result.probe(pts)[:, 2]
    xx, yy = pts[:, 0] - a / 2, pts[:, 1] - a / 2
    A = np.column_stack([np.ones_like(xx), xx, yy, xx * xx, xx * yy, yy * yy])
    c = np.linalg.lstsq(A, w, rcond=None)[0]
    return float(-(c[3] + c[5]))


def test_swelling_eigenstrain_keyword_bends_the_bilayer_as_timoshenko():
    """The swelling given as ``eigenstrain=`` (``CME * C`` at the quadrature points) with
    the real materials at their stress-free temperature: the wide-plate curvature within
    0.5 %, and the same plate through solve_history (an isothermal two-point history)
    with the same constant eigenstrain to 1e-9."""
    a, h1, h2 = 12e-3, 0.3e-3, 0.5e-3
    mesh = layered_box(
        (a, a), [("die", h1, 2), ("emc", h2, 2)], 1.0e-3, faces={"top": plane(2, h1 + h2)}
    )
    wet = solve_moisture(mesh, {"die": "silicon", "emc": EMC}, "MSL1", exposed="top")
    si = Material("si", E=130e9, nu=0.28, alpha=2.6e-6, k=100.0)
    emc = Material("emc", E=20e9, nu=0.3, alpha=1e-5, k=1.0)
    mats = {"die": si, "emc": emc}
    swell = hygroscopic_strain(wet)
    assert swell.shape[0] == mesh.n_elements
    me = solve_thermoelastic(mesh, mats, 25.0, 25.0, backend="cpu", eigenstrain=swell)
    mismatch = EMC.CME_m3_per_kg * 6.0 * wet.wetness[-1].max() / 0.85
    exact = timoshenko_curvature(mismatch, h1, h2, 130e9, 0.28, 20e9, 0.3)
    kappa = _curvature(me, a, 0.5 * (h1 + h2))
    assert kappa == pytest.approx(exact, rel=5e-3), (kappa, exact)
    hist = solve_history(mesh, mats, [(0.0, 25.0), (60.0, 25.0)], 25.0, eigenstrain=swell)
    u_h, u_m = hist.states[-1].displacement, me.displacement
    assert np.abs(u_h - u_m).max() <= 1e-9 * np.abs(u_m).max()


def test_uniform_swelling_of_a_free_body_is_stress_free_and_exact():
    """A uniform eigenstrain e on a free single-material plate: every length grows by
    e (u linear, so P1 is exact) and the stress is zero (to rounding of the modulus)."""
    e = 2.5e-3
    mesh = layered_box((2e-3, 1e-3), [("emc", 0.5e-3, 1)], 0.5e-3, order=1)
    emc = Material("emc", E=20e9, nu=0.3, alpha=1e-5, k=1.0)
    me = solve_thermoelastic(mesh, {"emc": emc}, 25.0, 25.0, backend="cpu", eigenstrain=e)
    x = me.space.nodes
    u = me.displacement
    du = u - u.mean(axis=0)
    dx = x - x.mean(axis=0)
    np.testing.assert_allclose(du, e * dx, atol=1e-9 * e * np.abs(dx).max())
    assert np.abs(me.stress_q).max() <= 1e-6 * 20e9 * e


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.nan, "finite"),
        (0.5, "magnitude"),
        (np.zeros(3), "shape"),
        ("wet", "strain"),
        (True, "strain"),
    ],
)
def test_eigenstrain_keyword_is_checked(value, match):
    mesh = layered_box((2e-3, 1e-3), [("emc", 0.5e-3, 1)], 0.5e-3, order=1)
    emc = Material("emc", E=20e9, nu=0.3, alpha=1e-5, k=1.0)
    with pytest.raises(InputError, match=match) as ei:
        solve_thermoelastic(mesh, {"emc": emc}, 25.0, 25.0, backend="cpu", eigenstrain=value)
    assert ei.value.key == "eigenstrain"
