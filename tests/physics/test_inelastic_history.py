"""Inelastic materials in :func:`fea.solve_history`: the material API, uniaxial bars against
the 1-D closed form and return map, time-step cutting, and a model with a viscoelastic and
an inelastic region that reduces to the elastic answer when nothing yields."""

from __future__ import annotations

import numpy as np
import pytest

import fea
from fea.errors import InputError, SolverError
from fea.fe.spaces import space
from fea.physics.history import Process, Stage, solve_history
from fea.physics.inelastic import Anand, Garofalo, Plastic
from fea.physics.materials import Material
from fea.physics.mechanics import solve_thermoelastic
from fea.physics.viscoelastic import WLF, Prony

from ..verification.helpers import BAR_LENGTH_M, layered_box, plane

L = BAR_LENGTH_M  # length of the ``bar`` fixture [m]
E, NU, Y = 100e9, 0.3, 200e6


def metal(law):
    return Material("cu", E=E, nu=NU, alpha=0.0, k=1.0, inelastic=law)


def pulled_stages(strains, duration=1.0):
    """One stage per end strain (the bar's end displacement held over the stage)."""
    out = [Stage("s0", 0.0, 25.0, fixed={"x0": {"x": 0.0}, "x1": {"x": 0.0}})]
    for i, e in enumerate(strains):
        out.append(Stage(f"e{i}", duration, 25.0, fixed={"x0": {"x": 0.0}, "x1": {"x": e * L}}))
    return Process(out)


# -- API -----------------------------------------------------------------------------------


def test_material_takes_an_inelastic_law_and_binds_its_elasticity():
    m = metal(Plastic(Y, 1e9))
    law = m.inelastic_law()
    assert law.E == E and law.nu == NU
    own = Material("s", E=E, nu=NU, alpha=0.0, k=1.0, inelastic=Plastic(Y, E=50e9, nu=0.35))
    assert own.inelastic_law().E == 50e9
    for law in (
        Anand(21e6, 9320, 3501, 4, 0.25, 180e9, 30.2e6, 0.01, 1.78),
        Garofalo(277984, 0.02447e-6, 6.41, 54040),
    ):
        assert metal(law).inelastic_law().E == E
    assert {"Anand", "Garofalo", "Plastic", "InelasticState"} <= set(fea.__all__)


def test_material_refuses_a_bad_inelastic_value_and_relaxation_together():
    with pytest.raises(InputError, match="inelastic"):
        Material("x", E=E, nu=NU, alpha=0.0, k=1.0, inelastic="J2")
    with pytest.raises(InputError, match="inelastic"):
        Material(
            "x",
            E=E,
            nu=NU,
            alpha=0.0,
            k=1.0,
            relaxation=Prony((0.5,), (1.0,)),
            inelastic=Plastic(Y),
        )
    with pytest.raises(InputError, match="inelastic"):
        Material("x", E=E, nu=NU, alpha=0.0, k=1.0).inelastic_law()


# -- uniaxial bars ---------------------------------------------------------------------------


def test_bar_with_linear_hardening_matches_the_uniaxial_closed_form(bar):
    h = 10e9
    strains = [0.001, 0.002, 0.004, 0.006]
    res = solve_history(bar, {"bar": metal(Plastic(Y, h))}, pulled_stages(strains))
    Et = E * h / (E + h)
    for st, e in zip(res.states[1:], strains, strict=True):
        ref = E * e if E * e <= Y else Y + Et * (e - Y / E)
        # uniform uniaxial stress: every quadrature point; observed 3e-12
        assert np.abs(st.stress_q[..., 0] / ref - 1).max() < 1e-8
        assert np.abs(st.stress_q[..., 1:]).max() < 1e-8 * ref
        ep = max(e - ref / E, 0.0)
        got = st.region_max()["bar"]
        assert got == pytest.approx(ep, abs=1e-10)
        f = st.fields()
        assert f["equivalent_inelastic_strain"][1] == "Cell"
        assert f["equivalent_inelastic_strain"][0].shape == (bar.n_elements,)
        np.testing.assert_allclose(f["equivalent_inelastic_strain"][0], ep, atol=1e-10)
        # plastic work of linear hardening: int sigma d eps_p = Y ep + h ep^2 / 2
        np.testing.assert_allclose(
            f["dissipated_energy_density"][0], Y * ep + 0.5 * h * ep**2, rtol=1e-8, atol=1e-3
        )
    info = res.solver_info
    assert info["newton_steps"] == len(strains) + 1 and info["cutbacks"] == 0


@pytest.mark.parametrize("law", ["anand", "plastic"])
def test_a_free_body_of_one_inelastic_material_heated_expands_without_stress(bar, law):
    """No load at all (one material, uniform temperature, 3-2-1 supports): the loads and
    the internal force are rounding noise, which a tolerance relative to them never met
    (SolverError after six cuts); the force scale's floor (FORCE_FLOOR of the restrained
    force) converges it. Free expansion about the centroid: u = alpha dT (x - x_c)."""
    inel = (
        Anand(21e6, 9320, 3501, 4, 0.25, 180e9, 30.2e6, 0.01, 1.78)
        if law == "anand"
        else Plastic(Y, 1e9)
    )
    alpha, dT = 21e-6, 100.0
    m = Material("sac", E=50e9, nu=0.35, alpha=alpha, k=1.0, inelastic=inel)
    stages = [Stage("s0", 0.0, 25.0), Stage("hot", 600.0, 125.0), Stage("dwell", 600.0, 125.0)]
    res = solve_history(bar, {"bar": m}, Process(stages), reference=25.0)
    nodes = space(bar).nodes
    centre = nodes.mean(axis=0)
    for st in res.states[1:]:
        u = np.asarray(st.displacement)
        np.testing.assert_allclose(u, alpha * dT * (nodes - centre), atol=1e-12 * L)
        assert np.abs(st.stress_q).max() < 1e-3  # Pa: nothing but rounding
    assert res.solver_info["cutbacks"] == 0


def _return_map_1d(strains, Hk):
    """1-D elastic-plastic return map with linear kinematic hardening (Prager)."""
    sig, ep, beta, out = 0.0, 0.0, 0.0, []
    for e in strains:
        trial = E * (e - ep)
        xi = trial - beta
        f = abs(xi) - Y
        if f > 0:
            dg = f / (E + Hk)
            ep += dg * np.sign(xi)
            beta += Hk * dg * np.sign(xi)
        sig = E * (e - ep)
        out.append(sig)
    return np.array(out)


def test_cyclic_bar_with_kinematic_hardening_shows_the_bauschinger_effect(bar):
    Hk = 20e9
    path = [0.002, 0.004, 0.006, 0.002, -0.002, -0.006, -0.002, 0.002, 0.006]
    res = solve_history(bar, {"bar": metal(Plastic(Y, 0.0, kinematic=Hk))}, pulled_stages(path))
    got = np.array([st.stress_q[..., 0].mean() for st in res.states[1:]])
    ref = _return_map_1d(path, Hk)
    # observed 1e-12 of Y
    assert np.abs(got - ref).max() < 1e-7 * Y
    # Bauschinger: on unloading from +0.006 the bar yields in compression at
    # sigma_max - 2 Y, far above -sigma_max
    smax = ref[2]
    assert smax - 2 * Y > -smax + 1e6
    assert got[4] == pytest.approx(ref[4], abs=1e-6 * Y)
    # back stress reported per element: sqrt(3/2)|beta| = |beta_xx| (3/2) in uniaxial
    bn = res.states[-1].fields()["back_stress_norm"][0]
    beta_xx_1d = ref[-1] - Y  # loading in tension at the end: sigma = beta + Y
    np.testing.assert_allclose(bn, abs(beta_xx_1d), rtol=1e-7)


# -- time-step cutting ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def bilayer():
    """An elastic layer on a plastic layer, 2 x 1 mm, clamped at x = 0."""
    return layered_box(
        (2e-3, 1e-3),
        [("pl", 0.3e-3, 1), ("el", 0.3e-3, 1)],
        0.3e-3,
        order=1,
        faces={"x0": plane(0, 0.0)},
    )


def _bilayer_materials(law):
    return {
        "pl": Material("pl", E=E, nu=NU, alpha=20e-6, k=1.0, inelastic=law),
        "el": Material("el", E=2 * E, nu=NU, alpha=2e-6, k=1.0),
    }


def test_a_step_that_does_not_converge_is_cut_and_then_named(bilayer):
    mats = _bilayer_materials(Plastic(60e6, 2e9))
    hist = [(0.0, 25.0), (100.0, 225.0)]
    fixed = {"x0": {"x": 0.0, "y": 0.0, "z": 0.0}}
    fine = solve_history(bilayer, mats, hist, fixed=fixed, substeps=16, max_step_K=None)
    cut = solve_history(
        bilayer, mats, hist, fixed=fixed, substeps=1, max_step_K=None, newton_max_iter=3
    )
    assert cut.solver_info["cutbacks"] > 0
    assert fine.states[-1].region_max()["pl"] > 1e-3  # well into the plastic range
    # path dependence of the coarser cut steps only: observed 2e-3 of the displacement
    u_f, u_c = fine.states[-1].displacement, cut.states[-1].displacement
    assert np.abs(u_c - u_f).max() < 2e-2 * np.abs(u_f).max()
    with pytest.raises(SolverError, match=r"t = 0 s to t = 100 s.*0 time-step cuts"):
        solve_history(
            bilayer,
            mats,
            hist,
            fixed=fixed,
            substeps=1,
            max_step_K=None,
            newton_max_iter=1,
            max_cutbacks=0,
        )
    with pytest.raises(InputError, match="max_cutbacks"):
        solve_history(bilayer, mats, hist, fixed=fixed, max_cutbacks=-1)


def test_the_laws_get_each_steps_start_temperature_for_their_substeps(bilayer, monkeypatch):
    """Every law update of a step is told the step's start temperature (the last committed
    one), which its substeps interpolate from (``temperature_start``)."""
    seen = []
    update = Garofalo.update

    def spy(self, de, T, dt, state, temperature_start=None):
        seen.append((float(np.mean(temperature_start)), float(np.mean(T))))
        return update(self, de, T, dt, state, temperature_start=temperature_start)

    monkeypatch.setattr(Garofalo, "update", spy)
    mats = _bilayer_materials(Garofalo(277984, 0.02447e-6, 6.41, 54040))
    solve_history(
        bilayer,
        mats,
        [(0.0, 25.0), (100.0, 125.0)],
        fixed={"x0": {"x": 0.0, "y": 0.0, "z": 0.0}},
        substeps=4,
        max_step_K=None,
    )
    pairs = {(round(a, 9), round(b, 9)) for a, b in seen}
    assert pairs == {(25.0, 25.0), (25.0, 50.0), (50.0, 75.0), (75.0, 100.0), (100.0, 125.0)}


# -- viscoelastic and inelastic regions together ------------------------------------------


def test_viscoelastic_and_inelastic_regions_reduce_to_the_elastic_answer(bilayer):
    """A huge yield stress: the inelastic region stays elastic, and the history equals the
    one with that region elastic (and, at its instantaneous first state, the
    thermoelastic solve) to 1e-9, Newton's steps solved to 1e-12 (at its default
    tolerances the inelastic path is within those, 1e-8 and 1e-6, not at rounding: a
    ramp step starts from an extrapolation and stops once within them)."""
    ve = Material(
        "ve",
        E=10e9,
        nu=0.35,
        alpha=40e-6,
        k=1.0,
        relaxation=Prony((0.3, 0.35, 0.25), (1e-2, 1.0, 1e2)),
        shift=WLF(17.44, 51.6, 130.0),
    )
    solder = Material("sol", E=E, nu=NU, alpha=20e-6, k=1.0)
    hard = Material("sol", E=E, nu=NU, alpha=20e-6, k=1.0, inelastic=Plastic(1e15))
    hist = [(0.0, 125.0), (60.0, 100.0), (300.0, 25.0)]
    kw = {"reference": 175.0, "substeps": 3}
    a = solve_history(
        bilayer, {"pl": hard, "el": ve}, hist, newton_rtol=1e-12, newton_dtol=1e-12, **kw
    )
    b = solve_history(bilayer, {"pl": solder, "el": ve}, hist, **kw)
    for sa, sb in zip(a.states, b.states, strict=True):
        scale = np.abs(sb.displacement).max()
        assert np.abs(sa.displacement - sb.displacement).max() < 1e-9 * scale
        assert np.abs(sa.stress_q - sb.stress_q).max() < 1e-9 * np.abs(sb.stress_q).max()
        assert sa.region_max()["pl"] == 0.0
    te = solve_thermoelastic(bilayer, {"pl": solder, "el": ve}, 125.0, reference=175.0)
    d = te.displacement - te.displacement.mean(axis=0)  # both free bodies: compare shapes
    da = a.states[0].displacement - a.states[0].displacement.mean(axis=0)
    assert np.abs(da - d).max() < 1e-9 * np.abs(d).max()
    assert b.solver_info.get("newton_steps") is None
    assert a.solver_info["newton_steps"] >= len(a.states)


# -- the Newton step's linear algebra --------------------------------------------------------


@pytest.mark.parametrize("order", [1, 2])
def test_tangent_assembly_into_the_pattern_equals_the_sparse_sum(order):
    """The tangent's values scattered into the assembled pattern equal the general
    sparse assembly (:func:`fea.fe.forms.tangent_matrix`) for a non-symmetric ``D``."""
    import scipy.sparse as sp

    from fea.fe import forms
    from fea.fe.spaces import space
    from fea.physics.history_newton import TangentAssembly

    mesh = layered_box(
        (2e-3, 1e-3), [("pl", 0.3e-3, 1), ("el", 0.3e-3, 1)], 0.3e-3, order=order, faces={}
    )
    fs = space(mesh)
    el = np.asarray(mesh.regions["pl"], dtype=np.int64)
    D = np.random.default_rng(1).standard_normal((len(el), fs.n_q, 6, 6)) * 1e9
    K = forms.elasticity_matrix(fs, np.ones(mesh.n_elements), np.ones(mesh.n_elements))
    asm = TangentAssembly(fs, el)
    assert asm.fits(K)
    got = sp.csr_matrix((asm.values(D), K.indices, K.indptr), shape=K.shape)
    ref = forms.tangent_matrix(fs, D, el)
    assert abs(got - ref).max() < 1e-13 * abs(ref).max()  # observed 3e-16


@pytest.mark.parametrize("order", [1, 2])
def test_matrix_free_tangent_product_equals_the_assembled_matrix(order):
    """``TangentAssembly.product`` (element by element, nothing assembled) equals the
    assembled ``int B^T D B`` times a vector for a non-symmetric ``D``, and is zero off the
    elements' unknowns."""
    import scipy.sparse as sp

    from fea.fe import forms
    from fea.fe.spaces import space
    from fea.physics.history_newton import TangentAssembly

    mesh = layered_box(
        (2e-3, 1e-3), [("pl", 0.3e-3, 1), ("el", 0.3e-3, 1)], 0.3e-3, order=order, faces={}
    )
    fs = space(mesh)
    el = np.asarray(mesh.regions["pl"], dtype=np.int64)
    rng = np.random.default_rng(3)
    D = rng.standard_normal((len(el), fs.n_q, 6, 6)) * 1e9
    asm = TangentAssembly(fs, el)
    ref = forms.tangent_matrix(fs, D, el)
    for _ in range(3):
        v = rng.standard_normal(3 * fs.n) * 1e-6
        got = asm.product(D, v)
        want = ref @ v
        assert np.abs(got - want).max() < 1e-12 * np.abs(want).max()
    off = np.setdiff1d(np.arange(3 * fs.n), asm.dofs)
    assert off.size and not np.any(got[off])
    assert isinstance(ref, sp.csr_matrix)


def test_newton_step_tangent_operator_equals_its_assembled_matrix(bilayer):
    """In a real inelastic step, the tangent Newton gets (a matrix-free operator, the
    prescribed DOFs eliminated) applies as the matrix it assembles for a factorisation."""
    from .tangent_check import assert_tangents_are_their_matrices

    assert_tangents_are_their_matrices(
        lambda: solve_history(
            bilayer,
            _bilayer_materials(Plastic(60e6, 2e9)),
            [(0.0, 25.0), (100.0, 225.0)],
            fixed={"x0": {"x": 0.0, "y": 0.0, "z": 0.0}},
            substeps=4,
            max_step_K=None,
        ),
    )


def test_kept_tangent_factorisation_solves_nearby_systems_and_is_refactorised():
    """PCG preconditioned by a kept factorisation: an exact one takes one iteration, a
    nearby matrix a few and the same answer as a direct solve (that count is the
    baseline); iterations beyond the baseline (the matrix drifting further) are added up
    and the factorisation replaced past ``refactor_iterations``; a PCG that cannot
    converge refactorises at once; other constraints refactorise."""
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    from fea.physics.history_newton import TangentPreconditioner

    n = 400
    rng = np.random.default_rng(2)
    A0 = sp.diags([-1.0, 2.05, -1.0], [-1, 0, 1], shape=(n, n), format="csr")
    b = rng.standard_normal(n)

    def near(rows, size):
        d = np.zeros(n)
        d[:rows] = size
        return (A0 + sp.diags(d)).tocsr()

    stats = {"pcg_iterations": 0}
    tp = TangentPreconditioner(refactor_iterations=4)
    x, ok = tp.solve(A0, b, key=1, rtol=1e-12, stats=stats)
    assert ok and stats == {
        "pcg_iterations": 1,
        "tangent_factorizations": 1,
        "tangent_factor_precision": "double",  # "auto" below SINGLE_FACTOR_MIN_UNKNOWNS
    }
    # a perturbation of a few rows: a few iterations (rank + 1 at most), the direct answer
    A1 = near(5, 0.3)
    x1, ok = tp.solve(A1, b, key=1, rtol=1e-12, stats=stats)
    ref = spla.spsolve(A1.tocsc(), b)
    assert ok and np.abs(x1 - ref).max() < 1e-10 * np.abs(ref).max()
    base = stats["pcg_iterations"] - 1
    assert 2 <= base <= 6
    for _ in range(5):  # the same matrix again: no drift, no refactorisation
        tp.solve(A1, b, key=1, rtol=1e-12, stats=stats)
    assert not tp.stale and stats["tangent_factorizations"] == 1
    A2 = near(40, 3.0)  # drifted further: more iterations than the baseline
    before = stats["pcg_iterations"]
    x2, ok = tp.solve(A2, b, key=1, rtol=1e-12, stats=stats)
    assert ok and stats["pcg_iterations"] - before > base + 4
    assert tp.stale and stats["tangent_factorizations"] == 1
    before = stats["pcg_iterations"]
    tp.solve(A2, b, key=1, rtol=1e-12, stats=stats)  # refactorised first: exact
    assert stats["tangent_factorizations"] == 2 and stats["pcg_iterations"] - before == 1
    # other constraints: a new factorisation; a PCG that stalls: refactorised and solved
    tp.solve(A0, b, key=2, rtol=1e-12, stats=stats)
    assert stats["tangent_factorizations"] == 3
    tp.maxiter = 1
    x3, ok = tp.solve(near(40, 30.0), b, key=2, rtol=1e-12, stats=stats)
    assert ok and stats["tangent_factorizations"] == 4
    tp.close()


def test_tangent_and_elastic_preconditioning_reach_the_same_solution(bilayer):
    """The Newton steps preconditioned by a kept tangent factorisation and by the
    elastic one converge to the same states (to the Newton tolerance, here 1e-10), the
    tangent in far fewer PCG iterations."""
    mats = _bilayer_materials(Plastic(60e6, 2e9))
    hist = [(0.0, 25.0), (100.0, 225.0), (200.0, 25.0)]
    fixed = {"x0": {"x": 0.0, "y": 0.0, "z": 0.0}}
    kw = {"fixed": fixed, "substeps": 6, "max_step_K": None, "newton_rtol": 1e-10}
    kw["newton_dtol"] = 1e-10
    # every step from the tangent predictor (the ramp's extrapolated start, the default,
    # takes fewer linear solves with either preconditioner: 138 vs 221)
    kw["newton_predictor"] = "tangent"
    t = solve_history(
        bilayer, mats, hist, newton_preconditioner="tangent", newton_refactor_iterations=3, **kw
    )
    e = solve_history(bilayer, mats, hist, newton_preconditioner="elastic", **kw)
    assert t.states[1].region_max()["pl"] > 1e-3  # well into the plastic range
    for st, se in zip(t.states, e.states, strict=True):
        scale = max(np.abs(se.displacement).max(), 1e-300)  # the first state: zero
        assert np.abs(st.displacement - se.displacement).max() <= 1e-8 * scale
    ti, ei = t.solver_info, e.solver_info
    assert ti["tangent_factorizations"] >= 1 and ei["tangent_factorizations"] == 0
    assert ti["pcg_iterations"] < 0.6 * ei["pcg_iterations"]  # observed 128 vs 258
    with pytest.raises(InputError, match="newton_preconditioner"):
        solve_history(bilayer, mats, hist, newton_preconditioner="ilu", **kw)


def test_a_plastic_historys_results_file_records_backend_device_iterations_residual(
    bar, tmp_path
):
    """The results file's /solver summary (DESIGN: backend, device, iterations, residual
    of the last solve) for an inelastic history: the last step's Newton corrections and
    its relative out-of-balance force (below Newton's 1e-8), where the factorisations ran."""
    import h5py

    from fea.io import write_results

    res = solve_history(bar, {"bar": metal(Plastic(Y, 10e9))}, pulled_stages([0.001, 0.004]))
    last = res.states[-1].solver_info
    assert last["backend"] == "cpu" and last["device"] == "cpu"
    assert last["iterations"] == last["newton_iterations"] >= 1
    assert 0.0 <= last["residual"] <= 1e-8
    path = write_results(tmp_path / "r.h5", bar, mechanical=list(res.states))
    with h5py.File(path) as f:
        attrs = dict(f["solver"].attrs)
    for key in ("backend", "device", "method", "iterations", "residual"):
        assert key in attrs, key
