"""Edges of the process chain and of the viscoelastic law that the other tests leave out,
each against a closed form computed here: relaxation at constant strain under a
temperature RAMP (the shift varies within each step), the WLF shift through its pole,
thermal strain across a CTE kink at Tg, cure shrinkage applied exactly once (a cure at an
instantaneous start; a region cured by two stages), release from the supports of a bar
holding a relaxed stress (the glassy jump and the recovery of a standard linear solid).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from scipy.integrate import quad

from fea import Process, Stage, solve_history
from fea.errors import InputError
from fea.fe.spaces import space
from fea.package.spec import parse_study
from fea.physics.materials import Material, Table
from fea.physics.viscoelastic import WLF, Prony, Viscoelastic

from ..package.test_panel_process import PANEL
from ..verification.helpers import BAR_LENGTH_M as L
from ..verification.helpers import layered_box, plane

SHIFT = WLF(17.44, 51.6, 130.0)


def stretch(h, bar) -> np.ndarray:
    """Mean axial strain of every state: (u_x(x1) - u_x(x0)) / L."""
    fs = space(bar)
    n0 = fs.boundary_nodes(bar.boundaries["x0"])
    n1 = fs.boundary_nodes(bar.boundaries["x1"])
    return np.array(
        [(st.displacement[n1, 0].mean() - st.displacement[n0, 0].mean()) / L for st in h.states]
    )


def reduced_time(shift, T0: float, T1: float, duration: float) -> float:
    """int_0^duration dt / a_T(T(t)), T linear from T0 to T1 [s] (adaptive quadrature)."""
    f = lambda t: 10.0 ** (-float(shift.log10_shift(T0 + (T1 - T0) * t / duration)))  # noqa: E731
    return quad(f, 0.0, duration, epsabs=0.0, epsrel=1e-11, limit=400)[0]


# -- cure shrinkage applied once ---------------------------------------------------------


def test_a_cure_at_an_instantaneous_start_is_applied(bar):
    """A free bar whose first stage (duration 0, the start) cures it: its free strain is
    -shrinkage / 3 from then on, as when the stage lasts 1 s. The start's solve used to
    be the stage's state, and the cure was never applied (strain 0 instead of -2e-3)."""
    s = 0.006
    m = Material("b", E=10e9, nu=0.3, alpha=0.0, k=1.0, shrinkage=s)
    for d in (0.0, 1.0):
        p = Process([Stage("cured", d, 25.0, cure=["bar"]), Stage("held", 10.0, 25.0)])
        h = solve_history(bar, {"bar": m}, p, fixed={}, backend="cpu")
        assert stretch(h, bar) == pytest.approx([-s / 3, -s / 3], rel=1e-9)


def test_a_region_cured_by_two_stages_refused():
    """Each stage that cures a region takes its shrinkage from 0 to the full value: a
    second cure (an in-mould cure, then a post-mould cure) undid the first at its first
    step (a free bar's strain went back from -2e-3 to -1e-3 half way through it) and
    applied it again. Refused at the second stage's key, in Python and in a study, also
    for a region removed and added anew (its degree of cure is kept: a second cure would
    start with a jump from full to none)."""
    with pytest.raises(InputError) as err:
        Process(
            [
                Stage("s", 0.0, 175.0),
                Stage("in_mould", 120.0, 175.0, cure=["bar"]),
                Stage("post_mould", 3600.0, 175.0, cure=["bar"]),
            ]
        )
    assert err.value.key == "stage.post_mould.cure" and err.value.value == "bar"
    assert "in_mould" in err.value.allowed
    with pytest.raises(InputError) as err:  # added anew, it keeps its degree of cure
        Process(
            [
                Stage("s", 0.0, 175.0),
                Stage("a", 1.0, 175.0, add=["x"], cure=["x"]),
                Stage("b", 1.0, 175.0, remove=["x"]),
                Stage("c", 1.0, 175.0, add=["x"], cure=["x"]),
            ]
        )
    assert err.value.key == "stage.c.cure"
    Process([Stage("s", 0.0, 175.0), Stage("a", 1.0, 175.0, cure=["x", "x"])])  # one cure
    d = copy.deepcopy(PANEL)
    d["process"]["stages"][4]["cure"] = ["encapsulant"]  # moulded at 3, again at 4
    with pytest.raises(InputError) as err:
        parse_study(d)
    assert err.value.key == "process.stages[4].cure" and err.value.value == "encapsulant"


# -- relaxation under a temperature ramp, and over many short steps ----------------------


def test_a_hold_in_many_short_steps_relaxes(bar):
    """A bar pulled to 0.1 % at T_ref and held for tau = 1000 s (one Prony term) in 10,
    100 and 1000 steps: sigma = E0 (g_inf + g1 / e) = 0.6207 E0 eps each time (1e-9; the
    strain is constant, which the recursion integrates exactly). With 1000 steps of
    dxi / tau = 1e-3 each step was within ``snap_tol`` of the glassy stiffness and took
    its reduced-time increment, 0: the bar did not relax at all (sigma = E0 eps, 61 %
    too high), with no warning."""
    E0, eps, g1, tau = 10e9, 1e-3, 0.6, 1000.0
    m = Material("ve", E=E0, nu=0.3, alpha=0.0, k=1.0, relaxation=Prony((g1,), (tau,)), shift=SHIFT)
    ref = 1.0 - g1 + g1 * math.exp(-1.0)
    for n in (10, 100, 1000):
        proc = Process([Stage("pulled", 0.0, 130.0), Stage("held", tau, 130.0, steps=n)])
        h = solve_history(
            bar, {"bar": m}, proc, fixed={"x0": {"x": 0.0}, "x1": {"x": eps * L}}, backend="cpu"
        )
        assert h["held"].stress_q[..., 0].mean() / (E0 * eps) == pytest.approx(ref, rel=1e-9)


def test_relaxation_at_constant_strain_under_a_temperature_ramp(bar):
    """A bar pulled to 0.1 % at 132 C (glassy step) and held while cooled linearly to
    115 C in 300 s (a_T from 0.22 to 1.4e7: eight decades, through T_ref = 130 C), one
    Prony term of 50 s: sigma = E0 (g_inf + g1 exp(-xi / tau)), xi = int dt / a_T(T(t))
    = 104 s by adaptive quadrature. The shift varies within every step; the recursion's
    logarithmic mean of 1/a_T over a step is exact only where log a_T is linear in time,
    so the error is second order in the step: within 0.2 % at 1 K steps and 4 times
    smaller at 0.5 K (observed 7.9e-4 and 2.0e-4, ratio 3.98), with the default
    ``snap_tol``. The steps that took a cached factorisation's reduced time used to add
    an error that did not fall with the step (1.06e-3, 6.5e-4, 1.01e-3 at 1, 0.5 and
    0.25 K: the cooler steps all took the glassy one's)."""
    E0, eps = 10e9, 1e-3
    g1, tau = 0.6, 50.0
    m = Material("ve", E=E0, nu=0.3, alpha=0.0, k=1.0, relaxation=Prony((g1,), (tau,)), shift=SHIFT)
    T0, T1, dur = 132.0, 115.0, 300.0
    proc = Process([Stage("pulled", 0.0, T0), Stage("cooled", dur, T1)])
    xi = reduced_time(SHIFT, T0, T1, dur)
    assert 0.5 * tau < xi < 5.0 * tau  # the term relaxes partly: the stress sees xi
    ref = E0 * eps * (1.0 - g1 + g1 * math.exp(-xi / tau))
    errs = []
    for dK in (1.0, 0.5):
        h = solve_history(
            bar,
            {"bar": m},
            proc,
            fixed={"x0": {"x": 0.0}, "x1": {"x": eps * L}},
            max_step_K=dK,
            backend="cpu",
        )
        s = h["cooled"].stress_q[..., 0].mean()
        errs.append(abs(s / ref - 1.0))
    assert errs[0] < 2e-3
    assert 3.0 < errs[0] / errs[1] < 5.0


def test_reduced_time_of_a_ramp_converges_at_second_order():
    """The sum of the steps' reduced-time increments over linear ramps, against the
    integral by adaptive quadrature: second order in the step (the error falls 4 times
    per halving) through T_ref (140 -> 120 C), on the hot side (175 -> 100 C) and across
    the whole glass transition (130 -> 70 C, where the WLF shift reaches its cap)."""
    law = Viscoelastic(1e9, 0.3, Prony((0.5,), (10.0,)), SHIFT)
    for T0, T1 in ((140.0, 120.0), (175.0, 100.0), (130.0, 70.0)):
        ex = reduced_time(SHIFT, T0, T1, 600.0)
        err = []
        for n in (20, 40, 80):
            T = np.linspace(T0, T1, n + 1)
            got = sum(
                float(law.reduced_time_increment(600.0 / n, a, b))
                for a, b in zip(T[:-1], T[1:], strict=True)
            )
            err.append(abs(got / ex - 1.0))
        assert err[0] < 0.05
        assert 3.5 < err[0] / err[1] < 4.5 and 3.5 < err[1] / err[2] < 4.5


def test_wlf_through_its_pole_is_capped_without_nan():
    """log10 a_T = -C1 (T - T_ref) / (C2 + T - T_ref): positive below T_ref (slower), 0 at
    it, tending to -C1 far above. At and below the pole T = T_ref - C2 (78.4 C here),
    where the formula changes sign, it is the cap (glassy), so it rises monotonically as
    the temperature falls and is finite everywhere; the reduced time of a step through
    the pole is finite and non-negative."""
    T = np.linspace(-55.0, 300.0, 35501)
    T = np.sort(np.concatenate([T, [78.4, 78.4 - 1e-12, 78.4 + 1e-12]]))
    L10 = SHIFT.log10_shift(T)
    assert np.all(np.isfinite(L10)) and np.all(np.diff(L10) <= 0.0)
    assert L10[T <= 78.4].min() == SHIFT.log10_cap
    d = 140.0 - 130.0
    assert SHIFT.log10_shift(140.0) == pytest.approx(-17.44 * d / (51.6 + d), rel=1e-14)
    assert SHIFT.log10_shift(130.0) == 0.0 and SHIFT.log10_shift(120.0) > 0.0
    law = Viscoelastic(1e9, 0.3, Prony((0.5,), (10.0,)), SHIFT)
    dxi = law.reduced_time_increment(10.0, 90.0, 60.0)
    assert np.isfinite(dxi) and dxi >= 0.0


# -- thermal strain across Tg ------------------------------------------------------------


def test_thermal_strain_across_a_cte_kink_at_tg(bar):
    """A free elastic bar stress free at 25 C heated to 200 C and back through Tg = 130 C,
    where its instantaneous CTE steps from 15 to 45 ppm/K over 1 K (a table): the strain
    is int alpha dT (not alpha(T) (T - T_ref)), continuous at Tg, and the same on the way
    down (1e-9)."""
    a = Table((25.0, 129.5, 130.5, 200.0), (15e-6, 15e-6, 45e-6, 45e-6))
    m = Material("b", E=10e9, nu=0.3, alpha=a, k=1.0)
    Ts = [25.0, 129.0, 129.5, 130.0, 130.5, 131.0, 200.0, 130.0, 25.0]
    h = solve_history(
        bar, {"bar": m}, [(10.0 * i, T) for i, T in enumerate(Ts)], fixed={}, backend="cpu"
    )

    def integral(T: float) -> float:
        return float(quad(lambda x: float(a(x)), 25.0, T, points=[129.5, 130.5])[0])

    ref = np.array([integral(T) for T in Ts])
    assert stretch(h, bar) == pytest.approx(ref, rel=1e-9, abs=1e-12)


# -- release from the supports -----------------------------------------------------------


def test_release_of_a_relaxed_bar_jumps_glassy_then_recovers(bar):
    """A standard linear solid bar (one Prony term, no shift) held at its length and
    cooled at once by 100 K: mechanical strain eps_m = -alpha 100 K, stress
    E0 g(t) eps_m. Released at t1 = tau (supports removed, ``fixed={}``, an instantaneous
    stage): the stored stress is released at once with the glassy modulus (stress 0
    everywhere, eps_mech jumps to eps_m (1 - g(t1))), then the free bar recovers as
    eps_mech(t) = eps_m (1 - g(t1)) exp(-(t - t1) g_inf / tau) (the closed form of the
    model with sigma = 0). Within 1e-9 at the jump, 0.5 % over the recovery (0.1 %
    observed with 40 steps per tau)."""
    E0, alpha, tau, g1 = 10e9, 20e-6, 10.0, 0.7
    series = Prony((g1,), (tau,))
    m = Material("ve", E=E0, nu=0.3, alpha=alpha, k=1.0, relaxation=series)
    held = {"x0": {"x": 0.0}, "x1": {"x": 0.0}}
    rec = np.linspace(0.0, 3 * tau / 0.3, 5)[1:]  # recovery output times [s]
    proc = Process(
        [
            Stage("hot", 0.0, 125.0),
            Stage("quenched", 0.0, 25.0),
            Stage("held", tau, 25.0, steps=40),
            Stage("released", 0.0, 25.0, fixed={}),
            Stage("recovered", rec[-1], 25.0, fixed={}, steps=400, outputs=tuple(rec[:-1])),
        ]
    )
    h = solve_history(bar, {"bar": m}, proc, reference=125.0, fixed=held, backend="cpu")
    eps_th = -alpha * 100.0
    eps_m = -eps_th
    e = stretch(h, bar) - eps_th  # mechanical strain
    s_held = h["held"].stress_q[..., 0].mean()
    assert s_held == pytest.approx(E0 * eps_m * series.relaxation(tau), rel=1e-9)
    assert np.abs(h["released"].stress_q).max() < 1e-6 * abs(s_held)
    jump = eps_m * (1.0 - float(series.relaxation(tau)))
    assert e[h.labels.index("released")] == pytest.approx(jump, rel=1e-6)
    t = h.times[h.labels.index("released") + 1 :] - h.times[h.labels.index("released")]
    ref = jump * np.exp(-t * series.g_inf / tau)
    got = e[h.labels.index("released") + 1 :]
    assert np.abs(got / ref - 1.0).max() < 5e-3


# -- bulk relaxation ---------------------------------------------------------------------


def test_one_series_relaxes_the_bulk_modulus_an_empty_bulk_series_keeps_it(bar):
    """A bar pulled to 0.1 % and held 1e13 s (relaxed): with one series the bulk modulus
    relaxes too, sigma = E0 g_inf eps; with ``bulk_relaxation=Prony((), ())`` (the bulk
    modulus elastic, as an Abaqus deck with k_i = 0) sigma = 9 K0 G_inf / (3 K0 + G_inf)
    eps, the closed form of a relaxed shear modulus beside an elastic bulk modulus (1e-6),
    and ``Prony((0.0,), (1.0,))``, what a study's ``bulk_relaxation = { g = [0.0], tau_s =
    [1.0] }`` reads as, is the same law."""
    E0, nu, eps = 10e9, 0.3, 1e-3
    series = Prony((0.9,), (1.0,))
    proc = Process([Stage("pulled", 0.0, 25.0), Stage("relaxed", 1e13, 25.0)])
    K0, G0 = E0 / (3 * (1 - 2 * nu)), E0 / (2 * (1 + nu))
    G = 0.1 * G0
    for bulk, ref in ((None, 0.1 * E0), (Prony((), ()), 9 * K0 * G / (3 * K0 + G))):
        m = Material("ve", E=E0, nu=nu, alpha=0.0, k=1.0, relaxation=series, bulk_relaxation=bulk)
        h = solve_history(
            bar, {"bar": m}, proc, fixed={"x0": {"x": 0.0}, "x1": {"x": eps * L}}, backend="cpu"
        )
        s = h["relaxed"].stress_q
        assert s[..., 0].mean() == pytest.approx(ref * eps, rel=1e-6)
        assert np.abs(s[..., 1:]).max() < 1e-6 * ref * eps
    k0 = Viscoelastic(E0, nu, series, None, Prony((0.0,), (1.0,)))
    assert k0.E_rubbery == pytest.approx(9 * K0 * G / (3 * K0 + G), rel=1e-12)


def test_a_stage_after_a_release_must_give_its_supports(bar):
    """A bar held at both ends, cooled by 100 K (20 MPa), released (``fixed={}``: stress
    0), then held 10 s more in a stage without its own ``fixed``: None meant the supports
    given to solve_history, so the released bar was clamped again at its original length
    and its stress went back to 20 MPa, silently. Refused at that stage's key; with
    ``fixed={}`` repeated the bar stays free (stress 0), and a stage without ``fixed``
    after stages without their own stays valid."""
    m = Material("b", E=10e9, nu=0.3, alpha=20e-6, k=1.0)
    held = {"x0": {"x": 0.0}, "x1": {"x": 0.0}}
    kw = dict(reference=125.0, fixed=held, backend="cpu")
    stages = [Stage("hot", 0.0, 125.0), Stage("cooled", 10.0, 25.0)]
    release = Stage("released", 0.0, 25.0, fixed={})
    with pytest.raises(InputError) as err:
        solve_history(
            bar, {"bar": m}, Process([*stages, release, Stage("later", 10.0, 25.0)]), **kw
        )
    assert err.value.key == "stage.later.fixed" and "released" in err.value.allowed
    h = solve_history(
        bar, {"bar": m}, Process([*stages, release, Stage("later", 10.0, 25.0, fixed={})]), **kw
    )
    assert h["cooled"].stress_q[..., 0].mean() == pytest.approx(20e6, rel=1e-9)
    assert np.abs(h["later"].stress_q).max() < 1e-6 * 20e6
    assert stretch(h, bar)[-1] == pytest.approx(-20e-6 * 100.0, rel=1e-9)


# -- a viscoelastic layer born hot, cured and cooled on a stiff substrate ------------------


@pytest.fixture(scope="module")
def film():
    """A 10 x 10 mm substrate, 1 mm thick (``substrate``, face ``base`` at z = 0), under a
    0.1 mm layer (``layer``), P2 (the mesh of ``test_history``'s birth test)."""
    return layered_box(
        (10e-3, 10e-3),
        [("substrate", 1e-3, 2), ("layer", 0.1e-3, 1)],
        1.0e-3,
        order=2,
        faces={"base": plane(2, 0.0)},
    )


def test_viscoelastic_layer_born_hot_cured_and_cooled_on_a_stiff_substrate(film):
    """The substrate (400 GPa, 3 ppm/K, on rollers: it expands freely and cannot bend) is
    heated alone to 150 C; the layer (E0 = 2 GPa, nu 0.3, 50 ppm/K, one Prony term g1 =
    0.8 of 10 s at T_ref = 130 C, WLF) is born there stress free, cures over 120 s at
    150 C (0.6 % volumetric shrinkage) and is cooled to 25 C in 300 s. The substrate
    (E_s t_s / E_l t_l = 2000) imposes its in-plane strain, so the layer's mechanical
    strain is eps_m(t) = (a_s - a_l)(T - 150) + (s / 3) c(t) from 0 at its birth, and its
    equi-biaxial stress the hereditary integral

        sigma = E0 / (1 - nu) int g(xi_end - xi(s)) deps_m/ds ds,

    computed here with xi(s) = int ds / a_T(T(s)) on a fine grid: the cure's shrinkage
    relaxes almost entirely at 150 C (a_T = 1.3e-5) and the cooling's mismatch is
    frozen in below Tg: 15.87 MPa. The layer's centre within 1 % of it (0.06 %
    observed, 0.5 K steps; the substrate takes about 0.05 % of the strain); the elastic
    answer (g1 = 0), 22.5 MPa, is 42 % off."""
    Es, als, El, nul, all_, sv = 400e9, 3e-6, 2e9, 0.3, 50e-6, 0.006
    g1, tau = 0.8, 10.0
    sub = Material("sub", E=Es, nu=0.25, alpha=als, k=1.0)
    lay = Material(
        "lay", E=El, nu=nul, alpha=all_, k=1.0, shrinkage=sv,
        relaxation=Prony((g1,), (tau,)), shift=SHIFT,
    )  # fmt: skip
    Th, Tc, t_cure, t_cool = 150.0, 25.0, 120.0, 300.0
    proc = Process(
        [
            Stage("heat", 0.0, Th),
            Stage("bond", t_cure, Th, add=["layer"], cure=["layer"], steps=12),
            Stage("cool", t_cool, Tc),
        ]
    )
    h = solve_history(
        film,
        {"substrate": sub, "layer": lay},
        proc,
        reference=25.0,
        fixed={"base": {"z": 0.0}},
        max_step_K=0.5,
        backend="cpu",
    )
    # the closed form: eps_m piecewise linear in time, xi on a fine grid
    s_cure = np.linspace(0.0, t_cure, 20001)
    s_cool = np.linspace(0.0, t_cool, 400001)
    inv_a = 10.0 ** -SHIFT.log10_shift(Th + (Tc - Th) * s_cool / t_cool)
    xi_cool = np.concatenate([[0.0], np.cumsum(0.5 * (inv_a[1:] + inv_a[:-1]) * np.diff(s_cool))])
    xi_cure = s_cure / float(SHIFT.shift(Th))
    xi_end = xi_cure[-1] + xi_cool[-1]

    def g(x):
        return 1.0 - g1 + g1 * np.exp(-x / tau)

    rate_cure = (sv / 3.0) / t_cure
    rate_cool = (als - all_) * (Tc - Th) / t_cool
    sigma = (
        El
        / (1.0 - nul)
        * (
            rate_cure * np.trapezoid(g(xi_end - xi_cure), s_cure)
            + rate_cool * np.trapezoid(g(xi_end - xi_cure[-1] - xi_cool), s_cool)
        )
    )
    elastic = El / (1.0 - nul) * (sv / 3.0 + (als - all_) * (Tc - Th))
    assert abs(sigma / elastic - 1.0) > 0.05
    lay_el = film.regions["layer"]
    c = film.p1.p[:, film.p1.t[:, lay_el]].mean(axis=1)
    centre = lay_el[(np.abs(c[0] - 5e-3) < 3e-3) & (np.abs(c[1] - 5e-3) < 3e-3)]
    got = h["cool"].stress_q[centre].mean(axis=(0, 1))
    assert got[0] == pytest.approx(sigma, rel=1e-2)
    assert got[1] == pytest.approx(sigma, rel=1e-2)
    assert abs(got[2]) < 1e-2 * abs(sigma)
