"""Verification of the history solver (fea.solve_history) in 3-D: viscoelastic bars and
strips against closed forms and the 1-D references of ``viscoelastic_reference``, elastic
histories against single elastic solves, and a process with birth and removal against a
hand solution.

Each test states the accuracy it checks; the numbers observed when written are in the
docstrings (P2 tetrahedra, double precision).
"""

from __future__ import annotations

import numpy as np
import pytest

import fea
from fea.errors import InputError, SolverError
from fea.physics.history import Process, Stage, solve_history
from fea.physics.materials import Material, Table
from fea.physics.mechanics import solve_thermoelastic
from fea.physics.viscoelastic import WLF, Prony, Viscoelastic, representative_mould_compound

from ..verification.helpers import BAR_LENGTH_M, layered_box, plane
from .viscoelastic_reference import Bilayer, bilayer_recursive, bilayer_reference

L = BAR_LENGTH_M  # length of the ``bar`` fixture [m]
SERIES = Prony((0.30, 0.35, 0.25), (1e-2, 1.0, 1e2))
SHIFT = WLF(17.44, 51.6, 130.0)


def visco(E0=10e9, nu=0.3, alpha=0.0, series=SERIES, shift=SHIFT, **kw):
    return Material("ve", E=E0, nu=nu, alpha=alpha, k=1.0, relaxation=series, shift=shift, **kw)


def pulled(strain):
    return {"x0": {"x": 0.0}, "x1": {"x": strain * L}}


def axial_stress(h):
    """Mean sigma_xx [Pa] of every state, and the largest other stress component."""
    s = np.array([st.stress_q[..., 0].mean() for st in h.states])
    other = max(float(np.abs(st.stress_q[..., 1:]).max()) for st in h.states)
    return s, other


# -- API -------------------------------------------------------------------------------


def test_public_names():
    for name in ("Prony", "WLF", "Arrhenius", "solve_history", "Process", "Stage"):
        assert name in fea.__all__ and getattr(fea, name) is not None
    assert fea.Process is Process and fea.Stage is Stage and fea.solve_history is solve_history


def test_inputs_are_checked(bar):
    m = visco()
    with pytest.raises(InputError, match="duration"):
        Stage("a", -1.0, 25.0)
    with pytest.raises(InputError, match="distinct"):
        Process([Stage("a", 0.0, 25.0), Stage("a", 1.0, 25.0)])
    with pytest.raises(InputError, match="region"):
        solve_history(
            bar, {"bar": m}, Process([Stage("a", 0, 25.0), Stage("b", 1, 25.0, add=["x"])])
        )
    with pytest.raises(InputError, match="history"):
        solve_history(bar, {"bar": m}, [(1.0, 25.0), (0.0, 25.0)])
    with pytest.raises(InputError, match="constant instantaneous"):
        Material(
            "v", E=Table((0.0, 100.0), (1e9, 2e9)), nu=0.3, alpha=0.0, k=1.0, relaxation=SERIES
        )
    with pytest.raises(InputError, match="relaxation"):
        Material("v", E=1e9, nu=0.3, alpha=0.0, k=1.0, shift=SHIFT)
    # cure shrinkage as the elastic solves check it: 1 raised a TypeError, a misspelt
    # region was silently no shrinkage
    for bad in (1, "bar", ["bra"]):
        with pytest.raises(InputError, match="shrinkage"):
            solve_history(bar, {"bar": m}, [(0.0, 25.0), (1.0, 25.0)], shrinkage=bad)


# -- viscoelastic verification ---------------------------------------------------------------


def test_bar_at_constant_strain_relaxes_as_the_prony_series(bar):
    """Uniaxial stress relaxation: 0.1 % strain applied at t = 0 and held, 41 times from
    1e-4 to 1e4 s at the shift's reference temperature. The 3-D stress is E0 g(t) eps
    within 0.1 % (3e-15 observed: the strain is constant, which the recursion integrates
    exactly), the other stress components vanish."""
    E0, eps = 10e9, 1e-3
    ts = np.concatenate([[0.0], np.geomspace(1e-4, 1e4, 41)])
    h = solve_history(
        bar, {"bar": visco(E0)}, [(t, 130.0) for t in ts], fixed=pulled(eps), backend="cpu"
    )
    s, other = axial_stress(h)
    ref = E0 * eps * SERIES.relaxation(h.times)
    assert np.abs(s / ref - 1).max() < 1e-3
    assert np.abs(s / ref - 1).max() < 1e-9  # exact in fact
    assert other < 1e-9 * E0 * eps


def test_creep_under_constant_stress_against_the_closed_form(bar):
    """A constant traction of 5 MPa on the end face (applied at t = 0), steps growing by
    1.25 from 1e-6 s to 1e6 s, representative mould compound at Tg: the axial strain is
    sigma J(t) of the generalised Maxwell model within 0.5 % (closed form through the
    Laplace-Carson roots, ``Prony.creep``; 0.22 % observed) and ends at the rubbery
    compliance within 0.1 %."""
    law = representative_mould_compound()
    m = Material(
        "ve", E=law.E0, nu=law.nu, alpha=0.0, k=1.0, relaxation=law.relaxation, shift=law.shift
    )
    sigma = 5e6
    t = [0.0, 1e-6]
    while t[-1] < 1e6:
        t.append(t[-1] + 1.25 * (t[-1] - t[-2]))
    ts = np.asarray(t)
    h = solve_history(
        bar,
        {"bar": m},
        [(x, 130.0) for x in ts],
        fixed={"x0": {"x": 0.0}},
        traction={"x1": (sigma, 0.0, 0.0)},
        backend="cpu",
    )
    x1 = bar.boundaries["x1"]
    from fea.fe.spaces import space

    nodes = space(bar).boundary_nodes(x1)
    eps = np.array([st.displacement[nodes, 0].mean() / L for st in h.states])
    J = law.relaxation.creep(h.times) / law.E0
    late = h.times >= 1e-4
    err = np.abs(eps[late] / (sigma * J[late]) - 1)
    assert err.max() < 5e-3
    assert eps[0] == pytest.approx(sigma / law.E0, rel=1e-9)  # glassy at t = 0
    assert eps[-1] == pytest.approx(sigma / law.E_rubbery, rel=1e-3)


def test_time_temperature_superposition(bar):
    """The relaxation held at 140 C is the one at 130 C (the reference) on a time axis
    scaled by a_T(140 C) = 10^-2.83: stresses equal within 1e-9 at corresponding times."""
    E0, eps = 10e9, 1e-3
    aT = float(SHIFT.shift(140.0))
    ts = np.concatenate([[0.0], np.geomspace(1e-3, 1e5, 25)])
    out = {}
    for T, scale in ((130.0, 1.0), (140.0, aT)):
        h = solve_history(
            bar,
            {"bar": visco(E0)},
            [(t * scale, T) for t in ts],
            reference=T,
            fixed=pulled(eps),
            backend="cpu",
        )
        out[T] = axial_stress(h)[0]
    assert np.allclose(out[140.0], out[130.0], rtol=1e-9, atol=0)
    assert out[130.0][-1] < 0.2 * out[130.0][0]  # it did relax


@pytest.fixture(scope="module")
def strip():
    """10 x 2 mm strip: 0.5 mm viscoelastic (``ve``, bottom) under 0.3 mm elastic (``el``)."""
    return layered_box(
        (10e-3, 2e-3),
        [("ve", 0.5e-3, 2), ("el", 0.3e-3, 1)],
        0.5e-3,
        order=2,
        faces={"bottom": plane(2, 0.0)},
    )


def curvature(mesh, u, half=2.5e-3):
    """Curvature [1/m] along x of the bottom face, fitted away from the strip's ends;
    signed as the 1-D reference (u_z = -kappa x^2 / 2)."""
    from fea.fe.spaces import space

    nodes = space(mesh).boundary_nodes(mesh.boundaries["bottom"])
    x, y = mesh.nodes[nodes, 0] - 5e-3, mesh.nodes[nodes, 1] - 1e-3
    sel = np.abs(x) < half
    A = np.column_stack([np.ones(sel.sum()), x[sel], y[sel], x[sel] ** 2, y[sel] ** 2])
    c = np.linalg.lstsq(A, u[nodes[sel], 2], rcond=None)[0]
    return -2.0 * c[3]


def test_glassy_and_rubbery_limits_equal_linear_elasticity(strip):
    """A bilayer stress free at 175 C, brought to 25 C at t = 0 and held 1e13 s (no shift,
    so it relaxes at 25 C): the first state is the elastic solution with the glassy
    modulus E0, the last the one with the rubbery modulus E0 g_inf (displacements and
    stresses within 1e-8 of the largest; 1e-12 and 1e-10 observed: the one long step
    leaves a fraction tau_max / dt = 1e-11 of the strain change unrelaxed)."""
    E0 = 20e9
    ve = visco(E0, nu=0.3, alpha=30e-6, shift=None)
    el = Material("el", E=130e9, nu=0.28, alpha=2.6e-6, k=1.0)
    h = solve_history(
        strip, {"ve": ve, "el": el}, [(0.0, 25.0), (1e13, 25.0)], reference=175.0, backend="cpu"
    )
    for state, E in ((h.states[0], E0), (h.states[-1], E0 * SERIES.g_inf)):
        lin = Material("lin", E=E, nu=0.3, alpha=30e-6, k=1.0)
        me = solve_thermoelastic(strip, {"ve": lin, "el": el}, 25.0, 175.0, backend="cpu")
        scale = np.abs(me.displacement).max()
        assert np.abs(state.displacement - me.displacement).max() < 1e-8 * scale
        assert np.allclose(
            state.stress_q, me.stress_q, rtol=0, atol=1e-8 * np.abs(me.stress_q).max()
        )


def test_bilayer_cooling_matches_the_1d_reference_and_is_rate_dependent(strip):
    """Silicon 0.3 mm on 0.5 mm of the representative compound (nu = 0 in both, so the
    3-D strip bends in x as the 1-D beam), stress free at 175 C, cooled to 25 C at
    10 K/min and 0.1 K/min in 30 equal steps. The curvature is within 0.5 % of the same
    recursion on the 1-D laminate (0.05 % observed: end effects) and within 1.5 % of the
    ODE reference (0.6 % observed); slow cooling warps more than 2 % less (3 %)."""
    law = representative_mould_compound()
    law0 = Viscoelastic(law.E0, 0.0, law.relaxation, law.shift)
    ref_strip = Bilayer(law0)
    ve = Material(
        "ve",
        E=law.E0,
        nu=0.0,
        alpha=ref_strip.alpha_ve,
        k=1.0,
        relaxation=law.relaxation,
        shift=law.shift,
    )
    el = Material("el", E=ref_strip.E_el, nu=0.0, alpha=ref_strip.alpha_el, k=1.0)
    kappa = {}
    for rate in (10 / 60, 0.1 / 60):
        t_end = 150.0 / rate
        h = solve_history(
            strip,
            {"ve": ve, "el": el},
            [(0.0, 175.0), (t_end, 25.0)],
            reference=175.0,
            substeps=30,
            max_step_K=None,
            backend="cpu",
        )
        k_fe = curvature(strip, h.states[-1].displacement)
        k_rec = bilayer_recursive(ref_strip, rate, 30)
        k_ref = bilayer_reference(ref_strip, rate)
        assert abs(k_fe / k_rec - 1) < 5e-3
        assert abs(k_fe / k_ref - 1) < 1.5e-2
        kappa[rate] = k_fe
    fast, slow = kappa[10 / 60], kappa[0.1 / 60]
    assert (fast - slow) / fast > 0.02


def test_elastic_history_equals_single_elastic_solves(strip):
    """With elastic materials (E(T) and CTE tables included) every state of a history is
    the elastic solution at that temperature (1e-10)."""
    mold = fea.materials.get("mold_compound")
    el = Material("el", E=130e9, nu=0.28, alpha=2.6e-6, k=1.0)
    temps = [25.0, 150.0, 260.0, 100.0]
    h = solve_history(
        strip,
        {"ve": mold, "el": el},
        [(60.0 * i, T) for i, T in enumerate(temps)],
        reference={"ve": 175.0, "*": 25.0},
        backend="cpu",
    )
    for T, st in zip(temps, h.states, strict=True):
        me = solve_thermoelastic(
            strip, {"ve": mold, "el": el}, T, {"ve": 175.0, "*": 25.0}, backend="cpu"
        )
        scale = np.abs(me.displacement).max()
        assert np.abs(st.displacement - me.displacement).max() < 1e-10 * scale


def reflow_of_the_strip():
    """(law, viscoelastic compound, elastic layer, history points) of the strip's cure,
    cooling and reflow: 175 -> 25 C in 600 s, then 25 -> 260 -> 25 C."""
    law = representative_mould_compound()
    ve = Material(
        "ve", E=law.E0, nu=0.3, alpha=9e-6, k=1.0, relaxation=law.relaxation, shift=law.shift
    )
    el = Material("el", E=130e9, nu=0.28, alpha=2.6e-6, k=1.0)
    T = [175, 25, 100, 130, 150, 183, 260, 183, 150, 130, 100, 25]
    t = [0, 600, 650, 670, 685, 705, 750, 765, 780, 790, 805, 850]
    return law, ve, el, list(zip(t, T, strict=True))


def test_reflow_hysteresis(strip):
    """The strip stress free at 175 C (the cure), cooled to 25 C in 600 s, then a reflow
    25 -> 100 -> 130 -> 150 -> 183 -> 260 C and back, heating about 1.6 K/s and cooling
    about 2 K/s. Below Tg the curvatures on the way down differ from those on the way up
    (at 130 C: 0.220 up, 0.246 down, 1.8 % of the curvature at 25 C), and after the cycle
    the strip keeps another curvature than before it (1.437 -> 1.462 1/m: it froze at
    another rate); above Tg (183, 260 C) the compound is relaxed and both legs agree.
    With the elastic compound both legs coincide everywhere (1e-9)."""
    law, ve, el, points = reflow_of_the_strip()
    h = solve_history(strip, {"ve": ve, "el": el}, points, reference=175.0, backend="cpu")
    k = [curvature(strip, s.displacement) for s in h.states]
    k25 = abs(k[1])
    for up, down in ((2, 10), (3, 9)):  # 100 and 130 C
        assert abs(k[down] - k[up]) > 0.01 * k25
    assert abs(k[11] - k[1]) > 0.01 * k25
    assert abs(k[5] - k[7]) < 1e-5 * k25  # 183 C, relaxed
    lin = Material("lin", E=law.E0, nu=0.3, alpha=9e-6, k=1.0)
    h = solve_history(strip, {"ve": lin, "el": el}, points, reference=175.0, backend="cpu")
    k = [curvature(strip, s.displacement) for s in h.states]
    for up, down in ((1, 11), (2, 10), (3, 9), (4, 8), (5, 7)):
        assert k[up] == pytest.approx(k[down], rel=1e-9)


def test_repeated_stiffness_steps_take_their_correction_from_the_span(strip, monkeypatch):
    """The reflow of the strip (as above, 5 steps between points): steps that repeat a
    factorised stiffness (glassy or relaxed, exactly or snapped) take their load increment's
    solution from the span of that factorisation's earlier solves, the remainder checked,
    and cost no back-substitution. The states equal those of the same history with the reuse
    off within 1e-10 of the largest displacement and stress (6.7e-12 and 6.1e-12 observed;
    8e-10 when the increment was taken as the residual ``b - A u_prev``, whose rounding
    reaches the solution); of the 38 steps solved directly 34 came from the span, and the
    run took 88 back-substitutions instead of 122 (the 18 CG steps through Tg take 84)."""
    import fea.solvers.recycle as recycle

    _, ve, el, points = reflow_of_the_strip()
    kw = dict(reference=175.0, backend="cpu", substeps=5, max_step_K=None)
    h = solve_history(strip, {"ve": ve, "el": el}, points, **kw)
    monkeypatch.setattr(recycle, "SPAN_VECTORS", 0)
    h0 = solve_history(strip, {"ve": ve, "el": el}, points, **kw)
    info, info0 = h.solver_info, h0.solver_info
    assert info0["span_steps"] == 0
    assert info["span_steps"] >= 0.6 * (info["steps"] - info["cg_steps"])
    assert info["back_substitutions"] <= info0["back_substitutions"] - info["span_steps"]
    du = max(float(np.abs(s.displacement).max()) for s in h0.states)
    ds = max(float(np.abs(s.stress_q).max()) for s in h0.states)
    for a, b in zip(h.states, h0.states, strict=True):
        assert np.abs(a.displacement - b.displacement).max() <= 1e-10 * du
        assert np.abs(a.stress_q - b.stress_q).max() <= 1e-10 * ds


@pytest.mark.parametrize("method", ["direct", "amg"])
def test_span_correction_meets_its_residual_and_keeps_an_orthonormal_ring(method):
    """``RecyclingSolver.solve_exact`` on a 2-D Laplacian (n = 900), with a factorisation and
    with AMG-PCG (whose answers from the span are checked on their true residual): a load
    whose increment repeats earlier directions is solved without a solve; every answer
    satisfies the residual tolerance; with 3 kept vectors and 5 independent loads the
    ring stays orthonormal and ``A Z = Q``."""
    import scipy.sparse as sp

    from fea.solvers import prepare
    from fea.solvers.recycle import Entry, RecyclingSolver

    m = 30
    T = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    A = (sp.kron(T, sp.eye(m)) + sp.kron(sp.eye(m), T) + 1e-3 * sp.eye(m * m)).tocsr()
    rng = np.random.default_rng(1)
    g = rng.standard_normal((5, m * m))
    solver = RecyclingSolver(
        backend="cpu",
        method=method,
        rtol=1e-10,
        max_factorizations=2,
        snap_tol=0.0,
        max_cg=20.0,
        span_cap=3,
    )
    # AMG solves each new direction to 1e-13, so that sums of them meet 1e-10
    with prepare(A, kind="scalar", backend="cpu", method=method, rtol=1e-13) as P:
        e = Entry(np.zeros(1), np.zeros(1), {}, 0, P, np.zeros(m * m), None, A=A)
        x = None
        for k, b in enumerate([g[0], 2 * g[0], 2 * g[0] - 3 * g[1], 5 * g[1], g[0] + g[1]]):
            n0 = solver.stats["back_substitutions"]
            x = solver.solve_exact(e, b, 0, x)
            assert np.linalg.norm(A @ x - b) <= 1e-10 * np.linalg.norm(b)
            # new directions: the first load and the first with g[1]
            assert solver.stats["back_substitutions"] - n0 == (1 if k in (0, 2) else 0)
        for b in g[2:]:
            x = solver.solve_exact(e, b, 0, x)
            assert np.linalg.norm(A @ x - b) <= 1e-10 * np.linalg.norm(b)
        assert e.added == 5 and solver.stats["span_steps"] == 3
        Q = e.Q[:3]
        assert np.abs(Q @ Q.T - np.eye(3)).max() < 1e-12
        assert np.abs(A @ e.Z[:3].T - Q.T).max() < 1e-10
        # a load that collapses (to 1e-8 of the last) is solved whole, not as an
        # increment 1e8 times its size: the answer keeps its relative accuracy
        b = 1e-8 * g[4]
        x = solver.solve_exact(e, b, 0, x)
        assert np.linalg.norm(A @ x - b) <= 1e-10 * np.linalg.norm(b)
        with pytest.raises(SolverError, match="not finite"):
            solver.solve_exact(e, np.full(m * m, np.nan), 0, x)


def test_stiffness_of_the_other_elements_follows_their_moduli(strip):
    """``StepStiffness`` keeps the other elements' stiffness while their moduli stay; when
    they change (an E(T) table) it is rebuilt, also at nu = 0.25 where lam = mu (a key
    made of two XORed hashes was 0 there and kept the first stiffness)."""
    from fea.fe import forms
    from fea.fe.spaces import space
    from fea.physics.constitutive import lame
    from fea.physics.history_step import StepStiffness

    fs = space(strip)
    ve_el = np.asarray(strip.regions["ve"])
    law = representative_mould_compound()
    stiffness = StepStiffness(fs)
    visco = {"ve": (ve_el, law)}
    for E in (130e9, 100e9, 100e9, 70e9):
        lam, mu = lame(np.full(strip.n_elements, E), 0.25)
        lam[ve_el], mu[ve_el] = lame(np.full(len(ve_el), 5e9), 0.3)
        K = stiffness(lam, mu, visco)
        ref = forms.elasticity_matrix(fs, lam, mu)
        assert abs(K - ref).max() <= 1e-12 * abs(ref).max()


# -- process: birth and removal -----------------------------------------------------------


@pytest.fixture(scope="module")
def film():
    """A 10 x 10 mm substrate, 1 mm thick (``substrate``, face ``base`` at z = 0), under
    a 0.1 mm layer (``layer``)."""
    return layered_box(
        (10e-3, 10e-3),
        [("substrate", 1e-3, 2), ("layer", 0.1e-3, 1)],
        1.0e-3,
        order=2,
        faces={"base": plane(2, 0.0)},
    )


def test_layer_born_hot_on_a_stiff_substrate_cooled_and_released(film):
    """Hand solution. Substrate: E_s = 400 GPa, alpha_s = 3 ppm/K, stress free at 25 C,
    on rollers (``base``: u_z = 0, so it expands freely in plane and cannot bend). Layer:
    E_l = 2 GPa, nu_l = 0.3, alpha_l = 50 ppm/K.

    1. Heat the substrate alone to T_h = 150 C: it expands freely, in-plane strain
       alpha_s (T_h - 25) = 3.75e-4, no stress.
    2. The layer is born at T_h, stress free on the expanded substrate.
    3. Cool to T_c = 25 C. The substrate (E_s t_s / E_l t_l = 2000) imposes its in-plane
       strain change alpha_s (T_c - T_h) on the layer, whose free thermal strain change
       is alpha_l (T_c - T_h); the equi-biaxial stress is
       sigma = E_l / (1 - nu_l) (alpha_s - alpha_l)(T_c - T_h) = +16.79 MPa (tension),
       sigma_zz = 0. (The layer's reference temperature plays no part.)
    4. Release (remove the substrate, free body): the layer's stress vanishes and its
       in-plane strain relative to the mesh is what it had at birth plus its free
       thermal strain since: alpha_s (T_h - 25) + alpha_l (T_c - T_h) = -5.875e-3.
       A layer stress free at T_h in the undeformed configuration (the independent-stage
       model) would have -6.25e-3: the birth on the deformed substrate is the 6 %
       difference.

    Checked: stress at the layer's centre (elements within 3 mm of the centre) within
    1 % of the hand value (0.12 % observed), sigma_zz below 1 % of it; after release the
    stress is below 1e-6 of it and the strain is the hand value within 1e-6."""
    Es, als, El, nul, all_ = 400e9, 3e-6, 2e9, 0.3, 50e-6
    sub = Material("sub", E=Es, nu=0.25, alpha=als, k=1.0)
    lay = Material("lay", E=El, nu=nul, alpha=all_, k=1.0)
    Th, Tc = 150.0, 25.0
    proc = Process(
        [
            Stage("heat", 0.0, Th),
            Stage("bond", 0.0, Th, add=["layer"]),
            Stage("cool", 100.0, Tc),
            Stage("release", 0.0, Tc, remove=["substrate"], fixed={}),
        ]
    )
    sigma_hand = El / (1 - nul) * (als - all_) * (Tc - Th)
    strain_hand = als * (Th - 25.0) + all_ * (Tc - Th)
    results = []
    for ref_layer in (25.0, 300.0):  # the layer's reference must not matter
        h = solve_history(
            film,
            {"substrate": sub, "layer": lay},
            proc,
            reference={"layer": ref_layer, "*": 25.0},
            fixed={"base": {"z": 0.0}},
            backend="cpu",
        )
        assert h.labels == ["heat", "bond", "cool", "release"]
        results.append(h)
        lay_el = film.regions["layer"]
        c = film.p1.p[:, film.p1.t[:, lay_el]].mean(axis=1)  # (3, k) centroids
        centre = lay_el[(np.abs(c[0] - 5e-3) < 3e-3) & (np.abs(c[1] - 5e-3) < 3e-3)]
        cool = h["cool"].stress_q[centre].mean(axis=(0, 1))
        assert cool[0] == pytest.approx(sigma_hand, rel=1e-2)
        assert cool[1] == pytest.approx(sigma_hand, rel=1e-2)
        assert abs(cool[2]) < 1e-2 * sigma_hand
        # before the birth the substrate expanded freely: no stress at all
        assert np.abs(h["heat"].stress_q).max() < 1e-6 * sigma_hand
        rel = h["release"]
        assert np.abs(rel.stress_q[lay_el]).max() < 1e-6 * sigma_hand
        assert np.all(rel.stress_q[film.regions["substrate"]] == 0.0)
        assert not rel.active[film.regions["substrate"]].any()
        from fea.fe.spaces import space

        nodes = np.unique(space(film).dofs[lay_el])
        x = film.nodes[nodes]
        A = np.column_stack([np.ones(len(nodes)), x[:, 0], x[:, 1], x[:, 2]])
        gx = np.linalg.lstsq(A, rel.displacement[nodes, 0], rcond=None)[0][1]
        gy = np.linalg.lstsq(A, rel.displacement[nodes, 1], rcond=None)[0][2]
        assert gx == pytest.approx(strain_hand, rel=1e-6)
        assert gy == pytest.approx(strain_hand, rel=1e-6)
    a, b = results
    assert np.allclose(
        a["release"].displacement,
        b["release"].displacement,
        rtol=0,
        atol=1e-7 * np.abs(a["release"].displacement).max(),
    )


def test_born_region_takes_the_elastic_extension(film):
    """A layer born on a uniformly expanded substrate: its unattached nodes continue the
    substrate's in-plane expansion exactly (the affine part of the extension), so there
    is no jump at birth, and the layer is stress free."""
    sub = Material("sub", E=400e9, nu=0.25, alpha=3e-6, k=1.0)
    lay = Material("lay", E=2e9, nu=0.3, alpha=50e-6, k=1.0)
    proc = Process([Stage("heat", 0.0, 150.0), Stage("bond", 0.0, 150.0, add=["layer"])])
    h = solve_history(
        film,
        {"substrate": sub, "layer": lay},
        proc,
        reference=25.0,
        fixed={"base": {"z": 0.0}},
        backend="cpu",
    )
    u = h["bond"].displacement
    from fea.fe.spaces import space

    nodes = np.unique(space(film).dofs[film.regions["layer"]])
    x = film.nodes[nodes]
    # in plane the substrate expands by 3.75e-4 about its support point
    A = np.column_stack([np.ones(len(nodes)), x[:, 0], x[:, 1]])
    for c in (0, 1):
        coef, res, *_ = np.linalg.lstsq(A, u[nodes, c], rcond=None)
        assert coef[1 + c] == pytest.approx(3e-6 * 125.0, rel=1e-6)
        assert np.abs(A @ coef - u[nodes, c]).max() < 1e-6 * np.abs(u[nodes, c]).max()
    assert np.abs(h["bond"].stress_q).max() < 1e-3  # Pa: still stress free


def test_snapping_changes_the_warpage_by_less_than_its_bound(strip):
    """``snap_tol`` is an approximation: a snapped step takes a cached entry's reduced-time
    increment. On the strip's cure, cooling and reflow (5 steps between points) the
    curvature of every state with the default ``snap_tol=1e-3`` is within 1e-5 of the
    largest curvature of the exact-tangent run (``snap_tol=0``, a second solve) -- 3.3e-7
    observed, with 32 of 56 steps snapped --, and with ``1e-2`` within 1e-3 (1.5e-4
    observed): the documented effect of the default is far below a measurement's."""
    _, ve, el, points = reflow_of_the_strip()
    kw = dict(reference=175.0, backend="cpu", substeps=5, max_step_K=None)
    k = {}
    for snap in (0.0, 1e-3, 1e-2):
        h = solve_history(strip, {"ve": ve, "el": el}, points, snap_tol=snap, **kw)
        k[snap] = np.array([curvature(strip, s.displacement) for s in h.states])
        if snap == 1e-3:
            assert h.solver_info["snapped_steps"] > 0
    scale = np.abs(k[0.0]).max()
    assert np.abs(k[1e-3] - k[0.0]).max() <= 1e-5 * scale
    assert np.abs(k[1e-2] - k[0.0]).max() <= 1e-3 * scale


def test_a_history_does_not_depend_on_the_cache_state(strip):
    """The same history solved twice, first with the solvers' per-pattern cache cleared
    (its orderings computed), then with it warm (orderings reused): the same numbers, bit
    for bit."""
    from fea.solvers import cpu

    _, ve, el, points = reflow_of_the_strip()
    kw = dict(reference=175.0, backend="cpu", substeps=2, max_step_K=None)
    cpu.clear_pattern_cache()
    cold = solve_history(strip, {"ve": ve, "el": el}, points, **kw)
    warm = solve_history(strip, {"ve": ve, "el": el}, points, **kw)
    for a, b in zip(cold.states, warm.states, strict=True):
        assert np.array_equal(a.displacement, b.displacement)
        assert np.array_equal(a.stress_q, b.stress_q)
