"""Structure functions: exact Foster/Cauer maps, recovery of known ladders and of a slab,
separation points, input checks."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics.structure import (
    StructureFunction,
    cauer_from_foster,
    foster_from_cauer,
    separation_point,
    smoothed_differential,
    structure_function,
    zth_from_foster,
    zth_separation,
)

from .closed_forms import cauer_exact, ladder_impedance, ladder_zth, slab_zth

TIMES = np.logspace(-6, 3, 500)
# A 5-stage ladder, C[0] at the junction; R and C span two and five decades.
LADDER_R = np.array([0.05, 0.2, 0.5, 1.5, 3.0])
LADDER_C = np.array([2e-4, 3e-3, 5e-2, 0.8, 20.0])


def _ladder_sf(R, C, **kw) -> StructureFunction:
    return structure_function(TIMES, zth_from_foster(TIMES, *foster_from_cauer(R, C)), **kw)


def _staircase_errors(sf: StructureFunction, R, C) -> tuple[np.ndarray, np.ndarray]:
    """Relative errors of the recovered staircase against the exact one.

    The exact staircase jumps at each node, so C is read in the middle of each tread
    (the last one just past its node: beyond it lies the sink) and the node's R where
    the recovered curve crosses the geometric middle of each riser.
    """
    node = np.concatenate(([0.0], np.cumsum(R)))
    c_cum = np.cumsum(C)
    at = np.append(0.5 * (node[:-2] + node[1:-1]), node[-2] + 0.1 * R[-1])
    c_err = sf.capacitance_at(at) / c_cum - 1
    r_err = sf.resistance_at(np.sqrt(c_cum[:-1] * c_cum[1:])) / node[1:-1] - 1
    return c_err, r_err


@pytest.mark.parametrize("n", [10, 15, 20])
def test_foster_cauer_foster_round_trip(n):
    rng = np.random.default_rng(n)
    tau = np.logspace(-5, 3, n) * np.exp(rng.uniform(-0.3, 0.3, n))
    R = rng.uniform(0.05, 2.0, n)
    cauer = cauer_from_foster(R, tau)
    assert cauer.R.sum() == pytest.approx(R.sum(), rel=1e-13)
    back = foster_from_cauer(*cauer)
    np.testing.assert_allclose(back.tau, np.sort(tau), rtol=1e-8)
    np.testing.assert_allclose(back.R, R[np.argsort(tau)], rtol=1e-8)


def test_cauer_matches_exact_rational_continued_fraction():
    rng = np.random.default_rng(7)
    tau = np.logspace(-6, 2, 7) * np.exp(rng.uniform(-0.2, 0.2, 7))
    R = rng.uniform(0.1, 3.0, 7)
    exact_R, exact_C = cauer_exact(R, tau)
    cauer = cauer_from_foster(R, tau)
    np.testing.assert_allclose(cauer.R, exact_R, rtol=1e-10)
    np.testing.assert_allclose(cauer.C, exact_C, rtol=1e-10)


def test_foster_from_cauer_is_the_ladder():
    foster = foster_from_cauer(LADDER_R, LADDER_C)
    s = np.logspace(-4, 6, 41)
    z_foster = (foster.R / (1 + s[:, None] * foster.tau)).sum(axis=1)
    np.testing.assert_allclose(z_foster, ladder_impedance(s, LADDER_R, LADDER_C), rtol=1e-12)
    t = np.logspace(-6, 4, 50)
    np.testing.assert_allclose(
        zth_from_foster(t, *foster), ladder_zth(t, LADDER_R, LADDER_C), rtol=1e-9, atol=1e-12
    )
    cauer = cauer_from_foster(*foster)
    np.testing.assert_allclose(cauer.R, LADDER_R, rtol=1e-10)
    np.testing.assert_allclose(cauer.C, LADDER_C, rtol=1e-10)
    np.testing.assert_allclose(foster.C, foster.tau / foster.R)


def test_cauer_merges_coincident_time_constants():
    cauer = cauer_from_foster([1.0, 2.0, 0.0, 3.0], [1e-3, 1e-3, 1.0, 1e-1])
    assert cauer.R.size == 2
    back = foster_from_cauer(*cauer)
    np.testing.assert_allclose(back.R, [3.0, 3.0], rtol=1e-12)
    np.testing.assert_allclose(back.tau, [1e-3, 1e-1], rtol=1e-12)


@pytest.mark.parametrize(
    ("R", "C"),
    [
        (LADDER_R, LADDER_C),
        (np.array([0.1, 0.4, 0.3, 2.0, 1.0, 4.0]), np.array([1e-4, 5e-4, 1e-2, 2e-2, 1.0, 3.0])),
    ],
)
def test_structure_function_recovers_cauer_ladder(R, C):
    sf = _ladder_sf(R, C)
    c_err, r_err = _staircase_errors(sf, R, C)
    assert np.max(np.abs(c_err)) < 0.02, c_err
    assert np.max(np.abs(r_err)) < 0.02, r_err
    assert sf.R_total == pytest.approx(R.sum(), rel=1e-3)
    assert sf.residual_K_per_W < 1e-4 * R.sum()
    # Consistency of the result's own pieces.
    np.testing.assert_allclose(sf.R_cum[1:], np.cumsum(sf.cauer.R)[:-1])
    np.testing.assert_allclose(sf.C_cum, np.cumsum(sf.cauer.C))
    assert np.trapezoid(sf.R_spectrum, np.log(sf.tau_s)) == pytest.approx(sf.R_total, rel=0.01)
    # K = dC/dR is smoothed in ln R: positive at every node past the junction's (R = 0,
    # ln R = -inf, where the smoothed slope vanishes)
    assert sf.K_diff[0] >= 0 and np.all(sf.K_diff[1:] > 0) and np.all(np.diff(sf.R_diff) >= 0)


def test_bayesian_method_is_smoother_but_close():
    sf = _ladder_sf(LADDER_R, LADDER_C, method="bayesian", iterations=3000)
    c_err, r_err = _staircase_errors(sf, LADDER_R, LADDER_C)
    assert sf.R_total == pytest.approx(LADDER_R.sum(), rel=1e-3)
    assert np.max(np.abs(r_err)) < 0.02, r_err
    assert np.max(np.abs(c_err)) < 0.10, c_err  # smeared peaks: a few per cent


def test_noisy_curve_within_declared_noise():
    rng = np.random.default_rng(3)
    zth = zth_from_foster(TIMES, *foster_from_cauer(LADDER_R, LADDER_C))
    with pytest.raises(InputError):  # by default drops of only 0.1 % of the rise pass
        structure_function(TIMES, zth + 5e-3 * rng.standard_normal(zth.size))
    noisy = zth + 1e-3 * rng.standard_normal(zth.size)  # 0.02 % of R_total
    sf = structure_function(TIMES, noisy, noise_K_per_W=1e-3)
    c_err, r_err = _staircase_errors(sf, LADDER_R, LADDER_C)
    assert sf.R_total == pytest.approx(LADDER_R.sum(), rel=2e-3)
    # Over 12 noise draws the risers moved by up to 0.014 K/W (14 sigma) and the smallest
    # tread (3 mJ/K) by up to 11 %.
    assert np.max(np.abs(r_err * np.cumsum(LADDER_R)[:-1])) < 0.02, r_err
    assert np.max(np.abs(c_err)) < 0.15, c_err


def test_slab_heat_capacity_and_resistance():
    """1-D slab (2 mm, k = 5, rho cp = 2e6, 1 cm^2): a uniform RC line of R = L/(kA) and
    C = rho cp L A, then (convective face) the film resistance 1/(hA) and the sink."""
    L, k, rho_cp, area, h = 2e-3, 5.0, 2e6, 1e-4, 2000.0
    r_line, c_slab = L / (k * area), rho_cp * L * area
    sf = structure_function(TIMES, slab_zth(TIMES, L, k, rho_cp, area, h))
    assert sf.R_total == pytest.approx(r_line + 1 / (h * area), rel=1e-3)
    # Along the film resistance no capacitance is added: the plateau is the slab's C.
    plateau = sf.capacitance_at(r_line + 0.5 / (h * area))
    assert plateau == pytest.approx(c_slab, rel=0.02)
    assert sf.capacitance_at(0.5 * r_line) < 0.8 * c_slab
    sf = structure_function(TIMES, slab_zth(TIMES, L, k, rho_cp, area))  # isothermal face
    assert sf.R_total == pytest.approx(r_line, rel=1e-3)


def test_separation_point_of_two_contacts():
    # Same package (first two stages), different case-to-sink contact beyond.
    R_a = np.array([0.05, 0.2, 0.1, 0.5, 1.0])
    C_a = np.array([2e-4, 3e-3, 5.0, 50.0, 500.0])
    R_b = np.array([0.05, 0.2, 0.8, 0.5, 2.0])
    C_b = np.array([2e-4, 3e-3, 2e-2, 50.0, 500.0])
    sf_a, sf_b = _ladder_sf(R_a, C_a), _ladder_sf(R_b, C_b)
    expected = R_a[:2].sum()
    assert separation_point(sf_a, sf_b) == pytest.approx(expected, rel=0.02)
    assert separation_point(sf_b, sf_a) == pytest.approx(expected, rel=0.02)
    # Differing only from the fourth node on.
    R_c, C_c = LADDER_R.copy(), LADDER_C.copy()
    R_c[3], C_c[3] = 0.4, 15.0
    sep = separation_point(_ladder_sf(LADDER_R, LADDER_C), _ladder_sf(R_c, C_c))
    assert sep == pytest.approx(LADDER_R[:3].sum(), rel=0.02)
    with pytest.raises(InputError):
        separation_point(sf_a, sf_a)
    with pytest.raises(InputError):
        separation_point(sf_a, sf_b, rel_tol=0.0)
    with pytest.raises(InputError):
        separation_point(sf_a, sf_b, rule="middle")


def test_separation_point_last_rule_ignores_an_excursion():
    """A capacitance 10 % off on one early tread (two deconvolutions lumping a continuous
    spectrum differently) stops the first rule there; the last rule finds the case."""
    R_a = np.array([0.05, 0.2, 0.3, 0.1, 0.5, 1.0])
    C_a = np.array([2e-4, 3e-3, 1e-2, 5.0, 50.0, 500.0])
    R_b, C_b = R_a.copy(), C_a.copy()
    C_b[1] *= 1.1  # the excursion
    R_b[4], C_b[4] = 2.0, 0.5  # the other contact, beyond the case
    sf_a, sf_b = _ladder_sf(R_a, C_a), _ladder_sf(R_b, C_b)
    first = separation_point(sf_a, sf_b)
    last = separation_point(sf_a, sf_b, rule="last")
    assert first < R_a[:2].sum()
    assert last == pytest.approx(R_a[:4].sum(), rel=0.05)


def test_staircase_lookups():
    sf = _ladder_sf(LADDER_R, LADDER_C)
    assert sf.capacitance_at(-1.0) == 0.0
    assert sf.capacitance_at(0.0) == sf.C_cum[0]
    assert np.isinf(sf.capacitance_at(sf.R_total))
    assert sf.resistance_at(0.0) == 0.0
    assert sf.resistance_at(np.inf) == sf.R_total
    r = np.linspace(0, 5, 7).reshape(7, 1)
    assert sf.capacitance_at(r).shape == (7, 1)


def test_zth_from_foster_checks():
    assert zth_from_foster([0.0, 1e12], [1.0, 2.0], [1e-3, 1.0]).tolist() == [0.0, 3.0]
    with pytest.raises(InputError):
        zth_from_foster([1.0], [1.0, 2.0], [1e-3])
    with pytest.raises(InputError):
        zth_from_foster([1.0], [-1.0], [1e-3])
    with pytest.raises(InputError):
        zth_from_foster([-1.0], [1.0], [1e-3])
    with pytest.raises(InputError):
        foster_from_cauer([1.0, 0.0], [1.0, 1.0])
    with pytest.raises(InputError):
        cauer_from_foster([0.0, 0.0], [1.0, 2.0])


GOOD_T = np.logspace(-5, 2, 100)
GOOD_Z = 1 - np.exp(-GOOD_T / 0.1)


@pytest.mark.parametrize(
    ("times", "zth", "kw", "key"),
    [
        (GOOD_T[::-1], GOOD_Z, {}, "times_s"),
        (np.r_[GOOD_T[:50], GOOD_T[49:98]], GOOD_Z[:99], {}, "times_s"),
        (GOOD_T - 1e-3, GOOD_Z, {}, "times_s"),
        (GOOD_T[:10], GOOD_Z[:10], {}, "times_s"),
        (np.logspace(-3, -2, 50), GOOD_Z[:50], {}, "times_s"),
        (np.r_[GOOD_T[:-1], np.nan], GOOD_Z, {}, "times_s"),
        (GOOD_T, np.r_[GOOD_Z[:-1], np.nan], {}, "zth_K_per_W"),
        (GOOD_T, GOOD_Z[:-1], {}, "zth_K_per_W"),
        (GOOD_T, np.r_[GOOD_Z[:60], GOOD_Z[60:] - 0.2], {}, "zth_K_per_W"),
        (GOOD_T, -GOOD_Z, {}, "zth_K_per_W"),
        (GOOD_T, np.zeros(100), {}, "zth_K_per_W"),
        (GOOD_T, GOOD_Z, {"method": "fourier"}, "method"),
        (GOOD_T, GOOD_Z, {"resolution": 2}, "resolution"),
        (GOOD_T, GOOD_Z, {"shifts": 0}, "shifts"),
        (GOOD_T, GOOD_Z, {"iterations": 0}, "iterations"),
        (GOOD_T, GOOD_Z, {"noise_K_per_W": -1.0}, "noise_K_per_W"),
        (GOOD_T, GOOD_Z, {"margin_decades": np.nan}, "margin_decades"),
    ],
)
def test_bad_curves_raise(times, zth, kw, key):
    with pytest.raises(InputError) as err:
        structure_function(times, zth, **kw)
    assert err.value.key == key


# -- the smoothed differential structure function ------------------------------------------


def _turns(values: np.ndarray, rel: float) -> int:
    """Reversals of direction of ``values`` (> 0) that move by more than ``rel`` (relative)
    from the last extremum: the sign changes of dK/dR, ripples below ``rel`` ignored."""
    logs = np.log(values)
    threshold = np.log1p(rel)
    turns, direction, extreme = 0, 0, logs[0]
    for v in logs[1:]:
        if direction == 0:
            if abs(v - extreme) > threshold:
                direction, extreme = (1 if v > extreme else -1), v
        elif direction * (v - extreme) > 0:  # further the same way
            extreme = v
        elif abs(v - extreme) > threshold:
            turns += 1
            direction, extreme = -direction, v
    return turns


def test_smoothed_differential_of_a_uniform_line_is_exact():
    # a fine staircase of C = a R (a uniform RC line): K = a wherever the Gaussian lies
    # inside it, whatever the width
    a = 0.37
    r = np.concatenate(([0.0], np.geomspace(1e-3, 10.0, 1500)))
    c = a * np.concatenate(([1e-3], r[1:]))
    at = np.geomspace(0.05, 1.0, 50)
    for width in (0.1, 0.2, 0.4):
        k = smoothed_differential(r, c, at, width)
        np.testing.assert_allclose(k, a, rtol=0.01)
    with pytest.raises(InputError):
        smoothed_differential(r, c, at, 0.0)


def test_smoothed_differential_peaks_at_the_ladder_nodes():
    # a known Cauer chain: K is a sum of spikes C[k] at the nodes; smoothed, a peak per
    # node, displaced towards larger R by less than one width in ln R, whose area is the
    # node's capacitance
    R = np.array([0.05, 0.2, 0.5, 1.5, 10.0])
    C = np.array([2e-4, 3e-3, 5e-2, 0.8, 20.0])
    sf = _ladder_sf(R, C)
    width = sf.smoothing
    assert width == pytest.approx(0.2)
    nodes = np.cumsum(R)[:-1]
    grid = np.geomspace(5e-3, 0.5 * R.sum(), 6000)
    k = sf.differential_at(grid)
    peak = np.flatnonzero((k[1:-1] > k[:-2]) & (k[1:-1] > k[2:])) + 1
    assert peak.size == nodes.size, grid[peak]
    shift = np.log(grid[peak] / nodes)
    assert np.all(shift > 0) and np.all(shift < width), shift / width
    mid = np.concatenate(([0.5 * nodes[0]], 0.5 * (nodes[:-1] + nodes[1:])))
    for j in range(3):
        g = np.linspace(mid[j], mid[j + 1], 20001)
        area = np.trapezoid(sf.differential_at(g), g)
        assert area == pytest.approx(C[j + 1], rel=0.1), j
    # the node values are the smoothed curve at the nodes
    np.testing.assert_allclose(sf.K_diff, sf.differential_at(sf.R_cum), rtol=1e-12)


def test_smoothed_differential_of_a_slab_does_not_oscillate():
    """1-D slab: a uniform RC line, K = rho cp k A^2 along it. The node ratios of the raw
    ladder zigzag around it; the smoothed K follows it without turning."""
    L, k, rho_cp, area, h = 2e-3, 5.0, 2e6, 1e-4, 2000.0
    r_line, k_exact = L / (k * area), rho_cp * k * area**2
    zth = slab_zth(TIMES, L, k, rho_cp, area, h)
    raw = structure_function(TIMES, zth, smoothing=0.0)
    sf = structure_function(TIMES, zth)
    inside = (raw.R_cum > 0.05 * r_line) & (raw.R_cum < 0.6 * r_line)
    half = 0.5 * (raw.cauer.R + np.concatenate(([0.0], raw.cauer.R[:-1])))
    np.testing.assert_allclose(raw.K_diff, raw.cauer.C / half)  # the node ratios
    assert _turns(raw.K_diff[inside], 0.05) >= 5
    assert np.max(np.abs(raw.K_diff[inside] / k_exact - 1)) > 1.0
    grid = np.linspace(0.05 * r_line, 0.6 * r_line, 400)
    smooth = sf.differential_at(grid)
    assert np.max(np.abs(smooth / k_exact - 1)) < 0.05
    assert _turns(smooth, 0.05) == 0
    assert _turns(sf.K_diff[inside], 0.05) == 0
    with pytest.raises(InputError):
        structure_function(TIMES, zth, smoothing=-0.1)


# -- the dual-interface parting point (JESD51-14) ------------------------------------------

PACKAGE_R = np.array([0.05, 0.2, 0.5, 1.0])
PACKAGE_C = np.array([2e-4, 3e-3, 2e-2, 0.1])


@pytest.mark.parametrize("contacts", [(0.1, 1.0), (0.05, 0.3), (0.2, 2.0)])
def test_zth_curves_part_where_the_chains_differ(contacts):
    # one package chain (R = 1.75 K/W to its case), then a contact that differs, then the
    # same heat sink: theta_JC is the R where the chains start to differ
    t = np.logspace(-6, 4, 1000)
    z = []
    for contact in contacts:
        R = np.r_[PACKAGE_R, contact, 0.5]
        C = np.r_[PACKAGE_C, 5.0, 50.0]
        z.append(ladder_zth(t, R, C))
    theta = PACKAGE_R.sum()
    sep = zth_separation(t, *z)
    assert sep.criterion == "derivative" and sep.epsilon == pytest.approx(0.1)
    assert sep.theta_K_per_W == pytest.approx(theta, rel=0.03)
    assert zth_separation(t, z[1], z[0]) == sep  # either order
    # the better-cooled curve's Zth at the parting time
    assert sep.theta_K_per_W == pytest.approx(np.interp(np.log(sep.time_s), np.log(t), z[0]))
    diff = zth_separation(t, *z, criterion="difference")
    assert diff.time_s > sep.time_s  # the curves part after their slopes
    assert diff.theta_K_per_W == pytest.approx(theta, rel=0.06)
    # the same with a sparser sampling: the parting time is interpolated
    coarse = zth_separation(t[::5], z[0][::5], z[1][::5])
    assert coarse.theta_K_per_W == pytest.approx(sep.theta_K_per_W, rel=0.01)


def test_zth_separation_input_errors():
    t = np.logspace(-6, 4, 200)
    z = ladder_zth(t, np.r_[PACKAGE_R, 0.5], np.r_[PACKAGE_C, 5.0])
    with pytest.raises(InputError, match="parts"):
        zth_separation(t, z, z)
    with pytest.raises(InputError) as exc:
        zth_separation(t, z, z, criterion="sf")
    assert exc.value.key == "criterion"
    for eps in (0.0, 1.0, float("nan")):
        with pytest.raises(InputError) as exc:
            zth_separation(t, z, 1.1 * z, epsilon=eps)
        assert exc.value.key == "epsilon"
    with pytest.raises(InputError):
        zth_separation(t, z, z[:-1])


def test_thin_case_zth_method_reads_low_structure_functions_do_not():
    # package to case 0.55 K/W, the case node small (2 mJ/K), then a grease or a dry
    # contact to a large cold plate: Zth at the parting time is the rise when the heat
    # reaches the case, well below theta_JC (JESD51-14 method 1); the structure
    # functions part at theta_JC (method 2)
    t = np.logspace(-6, 4, 1000)
    R = np.array([0.05, 0.2, 0.3, 0.05, 0.2])
    C = np.array([2e-4, 3e-3, 1e-2, 2e-3, 500.0])
    dry = R.copy()
    dry[3] = 0.8
    za, zb = ladder_zth(t, R, C), ladder_zth(t, dry, C)
    theta = R[:3].sum()
    assert zth_separation(t, za, zb).theta_K_per_W < 0.7 * theta
    sf_a, sf_b = structure_function(t, za), structure_function(t, zb)
    assert separation_point(sf_a, sf_b, rel_tol=0.1) == pytest.approx(theta, rel=0.05)


# -- one and two Cauer stages against their closed forms -----------------------------------


@pytest.mark.parametrize(("method", "tol"), [("nnls", 1e-3), ("bayesian", 5e-3)])
def test_single_rc_is_one_time_constant_and_one_step(method, tol):
    """Zth = R (1 - exp(-t/RC)) with tau = 0.37 s off the grid of time constants: the
    spectrum is one peak at tau whose area is R, the staircase one tread C from R = 0 to R,
    and the spectrum convolved with w(z) = exp(z - exp(z)) is dZth/d(ln t) (Szekely's
    identity). Measured: C 6e-5 (nnls) and 1e-3 (bayesian) off, tau 1e-4 and 5e-4."""
    R, C = 2.0, 0.185
    t = np.logspace(-5, 3, 400)
    sf = structure_function(t, R * -np.expm1(-t / (R * C)), method=method)
    zeta = np.log(sf.tau_s)
    area = np.trapezoid(sf.R_spectrum, zeta)
    assert area == pytest.approx(R, rel=tol) and sf.R_total == pytest.approx(R, rel=tol)
    centroid = np.exp(np.trapezoid(sf.R_spectrum * zeta, zeta) / area)
    assert centroid == pytest.approx(R * C, rel=tol)
    assert sf.cauer.C[0] == pytest.approx(C, rel=tol)
    assert sf.cauer.R[0] == pytest.approx(R, rel=tol)
    np.testing.assert_allclose(sf.capacitance_at([0.0, 0.5 * R, 0.99 * R]), C, rtol=tol)
    slope = t / (R * C) * R * np.exp(-t / (R * C))  # dZth/d(ln t)
    u = np.log(t)[:, None] - zeta
    conv = np.trapezoid(sf.R_spectrum * np.exp(u - np.exp(u)), zeta, axis=1)
    assert np.max(np.abs(conv - slope)) < tol * slope.max()


@pytest.mark.parametrize(("method", "tol"), [("nnls", 0.01), ("bayesian", 0.02)])
def test_two_stage_ladder_from_its_state_equations(method, tol):
    """A two-node ladder (C1 = 10 mJ/K at the junction, R1 = 0.5 K/W, C2 = 1 J/K, R2 = 2
    K/W to ambient), its Zth from the nodal equations C dT/dt = -G T + e1 (eigenvalues,
    independent of foster_from_cauer): the staircase is C1 up to R1 and C1 + C2 up to R1 +
    R2. Measured: C1 within 1e-4 (nnls) and 1.2e-3 (bayesian), C1 + C2 0.5 % and 0.3 %
    high, R1 within 2e-4 and 1.6e-3; the spectrum's two peaks sit at the ladder's time
    constants within 3e-5 and 5e-4 with the Foster resistances as their areas within 2e-5
    and 6e-5."""
    R1, C1, R2, C2 = 0.5, 0.01, 2.0, 1.0
    G = np.array([[1 / R1, -1 / R1], [-1 / R1, 1 / R1 + 1 / R2]])
    Cd = np.array([C1, C2])
    # symmetric form: C^-1/2 G C^-1/2 = Q diag(lam) Q^T
    lam, Q = np.linalg.eigh(G / np.sqrt(np.outer(Cd, Cd)))
    w = Q[0] / np.sqrt(C1)  # the junction's row of C^-1/2 Q
    t = np.logspace(-6, 3, 400)
    zth = (w**2 / lam * -np.expm1(-np.outer(t, lam))).sum(axis=1)
    assert zth[-1] == pytest.approx(R1 + R2, rel=1e-12)  # Zth(inf) = the steady R
    sf = structure_function(t, zth, method=method)
    assert sf.R_total == pytest.approx(R1 + R2, rel=1e-3)
    assert sf.capacitance_at(0.5 * R1) == pytest.approx(C1, rel=tol / 5)
    assert sf.capacitance_at(R1 + 0.5 * R2) == pytest.approx(C1 + C2, rel=tol)
    assert sf.resistance_at(np.sqrt(C1 * (C1 + C2))) == pytest.approx(R1, rel=tol / 5)
    # the spectrum: a peak at each time constant 1/lam_i with the Foster R_i as its area
    zeta = np.log(sf.tau_s)
    split = -0.5 * np.log(lam).sum()
    for low, lam_i, r_i in (
        (True, lam[1], w[1] ** 2 / lam[1]),
        (False, lam[0], w[0] ** 2 / lam[0]),
    ):
        part = (zeta < split) if low else (zeta >= split)
        area = np.trapezoid(sf.R_spectrum * part, zeta)
        centroid = np.trapezoid(sf.R_spectrum * part * zeta, zeta) / area
        assert area == pytest.approx(r_i, rel=tol)
        assert np.exp(centroid) == pytest.approx(1 / lam_i, rel=tol)
