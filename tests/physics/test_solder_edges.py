"""The solder laws and the inelastic history at their edges: the solidus (a molten joint
is refused, not computed as a solid), Newton at a tolerance below rounding, the inelastic
energy at load reversals, and degenerate inputs of the laws."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics import history_step
from fea.physics.cycling import temperature_cycles
from fea.physics.history import Process, Stage, solve_history
from fea.physics.inelastic import (
    ANAND_SETS,
    GAROFALO_SETS,
    Anand,
    Garofalo,
    Plastic,
    anand_set,
    garofalo_set,
)
from fea.physics.materials import Material

from ..verification.helpers import layered_box, plane

E_SAC, NU_SAC = 45e9, 0.35


@pytest.fixture(scope="module")
def joint_on_board():
    """A solder layer on an elastic one, 2 x 1 mm, clamped at x = 0 (P1)."""
    return layered_box(
        (2e-3, 1e-3),
        [("solder", 0.3e-3, 1), ("board", 0.3e-3, 1)],
        0.3e-3,
        order=1,
        faces={"x0": plane(0, 0.0)},
    )


def _materials(law, solidus=None):
    return {
        "solder": Material(
            "solder", E=E_SAC, nu=NU_SAC, alpha=21e-6, k=58.0, inelastic=law, solidus=solidus
        ),
        "board": Material("board", E=22e9, nu=0.15, alpha=16e-6, k=1.0),
    }


FIXED = {"x0": {"x": 0.0, "y": 0.0, "z": 0.0}}


# -- the solidus -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "make", "name", "solidus"),
    [
        (ANAND_SETS, anand_set, "SAC305_Motalab2012", 217.0),
        (ANAND_SETS, anand_set, "SAC387_Bai2009", 217.0),
        (ANAND_SETS, anand_set, "Sn3.5Ag_Wang2001", 221.0),
        (ANAND_SETS, anand_set, "Sn62Pb36Ag2_Wang2001", 179.0),
        (GAROFALO_SETS, garofalo_set, "SAC387_Schubert2003", 217.0),
    ],
)
def test_published_sets_carry_their_alloys_solidus_and_refuse_a_molten_point(
    table, make, name, solidus
):
    """Every shipped set has its alloy's solidus with a source; the law built from it
    updates at the solidus (a joint solidifies stress free there) and refuses a point a
    tenth of a kelvin above it, naming the temperature and the solidus."""
    d = table[name]
    assert d["solidus_C"] == solidus and "degC" in d["solidus_source"]
    law = make(name, E=E_SAC, nu=NU_SAC)
    assert law.solidus_C == solidus
    st = law.init_state(2)
    de = np.zeros((2, 6))
    de[:, 5] = 1e-3
    law.update(de, solidus, 1.0, st)  # at the solidus: allowed
    with pytest.raises(InputError, match=rf"temperature = {solidus + 0.1:g}.*{solidus:g} degC"):
        law.update(de, [25.0, solidus + 0.1], 1.0, st)
    with pytest.raises(InputError, match="temperature_start"):
        law.update(de, 25.0, 1.0, st, temperature_start=solidus + 5.0)


def test_a_user_law_takes_a_solidus_or_none():
    p = dict(ANAND_SETS["SAC305_Motalab2012"]["params"])
    free = Anand(**p, E=E_SAC, nu=NU_SAC)  # no solidus given: no check (as before)
    assert free.solidus_C is None
    free.update(np.zeros((1, 6)), 300.0, 1.0, free.init_state(1))
    g = Garofalo(277984.0, 2.447e-8, 6.41, 54040.0, E=E_SAC, nu=NU_SAC, solidus_C=183.0)
    with pytest.raises(InputError, match="183 degC"):
        g.update(np.zeros((1, 6)), 190.0, 1.0, g.init_state(1))
    assert Plastic(30e6, solidus_C=183).solidus_C == 183.0
    for bad in (float("nan"), -300.0, "217", 5000.0):
        with pytest.raises(InputError, match=r"anand\.solidus_C"):
            Anand(**p, solidus_C=bad)


def test_a_material_solidus_binds_to_a_law_without_its_own():
    p = dict(ANAND_SETS["SAC305_Motalab2012"]["params"])
    m = _materials(Anand(**p), solidus=217.0)["solder"]
    assert m.inelastic_law().solidus_C == 217.0
    own = _materials(Anand(**p, solidus_C=179.0), solidus=217.0)["solder"]
    assert own.inelastic_law().solidus_C == 179.0
    assert _materials(Anand(**p))["solder"].inelastic_law().solidus_C is None


@pytest.fixture
def no_solve(monkeypatch):
    """Any start of a solve fails the test: the refusals come before it."""

    def start(*a, **k):  # pragma: no cover - reached only by a failure
        raise AssertionError("the solve started")

    monkeypatch.setattr(history_step.HistoryModel, "start", start)


def test_a_history_above_the_solidus_is_refused_before_any_solve(joint_on_board, no_solve):
    mats = _materials(anand_set("SAC305_Motalab2012"))
    with pytest.raises(InputError, match=r"stage\.01_100s\.temperature = 230.*solder.*217"):
        solve_history(joint_on_board, mats, [(0.0, 25.0), (100.0, 230.0)], fixed=FIXED)
    # a stress-free temperature above it: the joint solidified molten
    with pytest.raises(InputError, match=r"^reference = 250.*217 degC"):
        solve_history(joint_on_board, mats, [(0.0, 25.0)], reference=250.0, fixed=FIXED)
    with pytest.raises(InputError, match=r"^reference\.solder = 220"):
        solve_history(
            joint_on_board, mats, [(0.0, 25.0)], reference={"solder": 220.0, "*": 25.0}
        )
    # the material's solidus, where the law has none
    p = dict(ANAND_SETS["SAC305_Motalab2012"]["params"])
    with pytest.raises(InputError, match="183 degC"):
        solve_history(
            joint_on_board,
            _materials(Anand(**p), solidus=183.0),
            [(0.0, 25.0), (10.0, 190.0)],
            fixed=FIXED,
        )


def test_a_region_born_after_a_hot_stage_is_not_refused_for_it(joint_on_board, monkeypatch):
    """A joint added after a 250 degC stage is not there at 250 degC: the check follows
    the births and removals (only the stages the solder is present in are checked); one
    present while its stage heats it past the solidus is refused at the stage."""
    mats = _materials(anand_set("SAC305_Motalab2012"))
    calls = []
    monkeypatch.setattr(
        history_step.HistoryModel, "start", lambda self, T: calls.append(1) or {}
    )
    monkeypatch.setattr(history_step.HistoryModel, "step", lambda self, *a: {})
    monkeypatch.setattr(history_step.HistoryModel, "add", lambda self, *a, **k: None)
    later = Process(
        (
            Stage("hot", 0.0, 250.0),
            Stage("cool", 60.0, 217.0),
            Stage("join", 0.0, 217.0, add=("solder",)),
            Stage("cold", 60.0, 25.0),
        )
    )
    try:
        solve_history(joint_on_board, mats, later, fixed=FIXED)
    except Exception as err:  # the stubbed steps leave no state to report
        assert not isinstance(err, InputError), err
    assert calls  # the solve began: nothing was refused
    early = Process(
        (
            Stage("cold", 0.0, 25.0),
            Stage("reflow", 60.0, 245.0),
            Stage("remove", 0.0, 245.0, remove=("solder",)),
        )
    )
    calls.clear()
    with pytest.raises(InputError, match=r"stage\.reflow\.temperature = 245"):
        solve_history(joint_on_board, mats, early, fixed=FIXED)
    assert not calls
    # heated past it at its birth's own stage: the stage's start is named
    birth = Process(
        (
            Stage("hot", 0.0, 230.0),
            Stage("join", 60.0, 200.0, add=("solder",)),
        )
    )
    with pytest.raises(InputError, match=r"stage\.join\.temperature \(the stage's start\) = 230"):
        solve_history(joint_on_board, mats, birth, fixed=FIXED)


def test_a_cycle_to_the_solidus_runs_and_one_above_it_is_refused(joint_on_board, no_solve):
    """run_cycling refuses a profile above the joints' solidus at the profile's keys
    before anything is solved; at the solidus the history is not refused."""
    from fea.package.cycling import FatigueOptions, run_cycling

    kw = {"pad_diameter": 0.5e-3, "fixed": FIXED, "fatigue": FatigueOptions(layer_thickness=1e-4)}
    mats = _materials(anand_set("SAC305_Motalab2012"))
    joint = np.full(joint_on_board.n_elements, -1)
    joint[joint_on_board.regions["solder"]] = 0
    hot = temperature_cycles(-40.0, 225.0, cycles=1, dwell_s=60.0, stress_free_C=217.0)
    with pytest.raises(InputError, match=r"profile\.t_max_C = 225.*region solder.*217"):
        run_cycling(joint_on_board, mats, hot, joint, **kw)
    free = temperature_cycles(-40.0, 125.0, cycles=1, dwell_s=60.0, stress_free_C=230.0)
    with pytest.raises(InputError, match=r"profile\.stress_free_C = 230"):
        run_cycling(joint_on_board, mats, free, joint, **kw)
    at = temperature_cycles(-40.0, 217.0, cycles=1, dwell_s=60.0, stress_free_C=217.0)
    with pytest.raises(AssertionError, match="the solve started"):
        run_cycling(joint_on_board, mats, at, joint, **kw)


def test_a_p2_joint_stress_free_at_the_solidus_cycles_to_it_and_solves():
    """P2 (quadrature temperatures interpolated from the nodes): a cycle of the default
    kind, stress free at the 217 degC solidus, its hot extreme at the solidus too, is
    solved to the end, not refused by a temperature interpolated a rounding above the
    solidus (the profile's temperatures are uniform, so the quadrature points take the
    nodal value exactly); Delta W of the cycle is positive."""
    from fea.package.cycling import FatigueOptions, run_cycling

    mesh = layered_box(
        (2e-3, 1e-3),
        [("solder", 0.3e-3, 1), ("board", 0.3e-3, 1)],
        0.5e-3,
        order=2,
        faces={"x0": plane(0, 0.0)},
    )
    mats = _materials(anand_set("SAC305_Motalab2012"))
    joint = np.full(mesh.n_elements, -1)
    joint[mesh.regions["solder"]] = 0
    prof = temperature_cycles(-40.0, 217.0, cycles=1, dwell_s=60.0, stress_free_C=217.0)
    run = run_cycling(
        mesh, mats, prof, joint, pad_diameter=0.5e-3, fixed=FIXED,
        fatigue=FatigueOptions(layer_thickness=1e-4), max_step_K=40.0,
    )
    assert run.metrics()["dW_crit_MJ_per_m3"] > 0.0


# -- Newton at a tolerance below rounding ------------------------------------------------


def _noisy_linear(noise_rel, seed=0):
    """A linear residual ``A u - b`` with rounding-like noise of ``noise_rel |b|`` added
    (fixed seed), its matrix and its exact solution."""
    rng = np.random.default_rng(seed)
    n = 50
    M = rng.standard_normal((n, n))
    A = M @ M.T + n * np.eye(n)
    b = rng.standard_normal(n)
    scale = float(np.linalg.norm(b))

    def residual(u):
        return A @ u - b + noise_rel * scale * rng.standard_normal(n) / np.sqrt(n)

    return residual, A, np.linalg.solve(A, b), scale


def test_newton_accepts_a_residual_stalled_at_the_rounding_floor_with_a_note():
    """A tolerance below the residual's rounding (rtol 1e-16 against noise of 1e-15 of
    the force scale) is not met by any iterate: Newton stops after the residual has
    stalled at the floor for STALL_CORRECTIONS corrections and accepts the iterate with
    a note, instead of running all max_iter corrections into an error."""
    from fea.solvers.newton import STALL_CORRECTIONS, newton

    residual, A, exact, scale = _noisy_linear(1e-15)
    u, info = newton(
        residual, np.zeros(len(exact)), tangent=lambda u: A, force_scale=scale,
        rtol=1e-16, dtol=1e-16, max_iter=25, label="step 3", line_search=False,
    )
    assert info.converged and info.at_floor
    assert info.iterations <= 1 + STALL_CORRECTIONS + 1
    assert "step 3" in info.note and "rounding floor" in info.note and "1e-16" in info.note
    assert np.linalg.norm(u - exact) <= 1e-12 * np.linalg.norm(exact)


def test_newton_still_fails_when_the_residual_stalls_above_the_floor():
    """A residual that stalls far above rounding (noise 1e-9 of the scale against rtol
    1e-10) is a real failure: the error after max_iter, as before (a history cuts its
    step on it)."""
    from fea.errors import SolverError
    from fea.solvers.newton import newton

    residual, A, exact, scale = _noisy_linear(1e-9)
    with pytest.raises(SolverError, match="did not converge in 12 iterations"):
        newton(
            residual, np.zeros(len(exact)), tangent=lambda u: A, force_scale=scale,
            rtol=1e-10, max_iter=12, line_search=False,
        )


def test_newton_does_not_take_a_steadily_falling_residual_for_a_stall_at_the_floor():
    """A quasi-Newton iteration on a kept matrix 6 times the tangent falls at 0.83 a
    correction: never halving over STALL_CORRECTIONS corrections, yet converging. A
    tolerance it can reach (rtol 1e-13; the exact solution's residual is 4e-16 of the
    force scale) is met, not cut short where the residual passed 100 eps sqrt(n) of the
    force scale (1.6e-13 at 50 unknowns): it was accepted there at 1.49e-13 as "at the
    rounding floor", with a note calling the tolerance unreachable."""
    from fea.solvers.newton import newton

    residual, A, exact, scale = _noisy_linear(0.0)
    u, info = newton(
        residual, np.zeros(len(exact)), solve=lambda r: np.linalg.solve(6.0 * A, r),
        force_scale=scale, rtol=1e-13, dtol=1e-12, max_iter=400, line_search=False,
    )
    assert info.converged and not info.at_floor and info.note == ""
    assert info.residual_norms[-1] <= 1e-13 * scale


def test_a_history_at_a_force_tolerance_below_rounding_converges_with_a_note(joint_on_board):
    """newton_rtol = 1e-14 on an elastic-plastic layer: before, every step ran its 25
    corrections at the rounding floor (residual 1e-14 of the force scale), was cut, and
    the history failed; now each step stops at the floor, the history says so once, and
    its states are those of the default tolerance to that tolerance."""
    law = Plastic(60e6, 2e9)
    mats = {
        "solder": Material("pl", E=100e9, nu=0.3, alpha=20e-6, k=1.0, inelastic=law),
        "board": Material("el", E=200e9, nu=0.3, alpha=2e-6, k=1.0),
    }
    kw = {"fixed": FIXED, "substeps": 2, "max_step_K": None, "max_cutbacks": 0}
    hist = [(0.0, 25.0), (100.0, 225.0)]
    with pytest.warns(UserWarning, match=r"rounding floor.*newton_rtol = 1e-14"):
        tight = solve_history(joint_on_board, mats, hist, newton_rtol=1e-14, **kw)
    info = tight.solver_info
    assert info["newton_floor_steps"] >= 1 and info["cutbacks"] == 0
    assert info["newton_floor_residual"] < 1e-12
    assert info["newton_iterations"] <= info["newton_steps"] * 12
    ref = solve_history(joint_on_board, mats, hist, **kw)
    assert "newton_floor_steps" not in ref.solver_info
    assert tight.states[-1].region_max()["solder"] > 1e-3  # well into the plastic range
    u_t, u_r = tight.states[-1].displacement, ref.states[-1].displacement
    assert np.abs(u_t - u_r).max() <= 1e-6 * np.abs(u_r).max()


# -- the dissipated energy at a load reversal --------------------------------------------


@pytest.mark.parametrize("make", [anand_set, garofalo_set])
def test_a_step_across_a_load_reversal_dissipates_never_negative_energy(make):
    """After a 0.5 % shear, one step of -2 % over 100 s at 25 degC takes the stress from
    +22 MPa to -20 MPa (Anand SAC305; Garofalo +29 to -21 MPa). Its creep strain flows
    along the end stress, so it dissipates x q_n+1 > 0 (3.5e5 J/m^3); the trapezoid the
    energy took before weighted the start stress of the other sign half and subtracted
    energy (-1.6e4 Anand, -7.2e4 J/m^3 Garofalo)."""
    law = make(
        "SAC305_Motalab2012" if make is anand_set else "SAC387_Schubert2003",
        E=E_SAC, nu=NU_SAC,
    )
    de = np.zeros((1, 6))
    de[0, 5] = 5e-3
    first = law.update(de, 25.0, 1.0, law.init_state(1))
    de[0, 5] = -2e-2
    back = law.update(de, 25.0, 100.0, first.state)
    assert first.stress[0, 5] > 1e7 and back.stress[0, 5] < -1e7  # reversed
    dW = back.state.energy[0] - first.state.energy[0]
    d_in = back.state.inelastic_strain - first.state.inelastic_strain
    x = back.state.eq_strain[0] - first.state.eq_strain[0]
    s = back.stress[0]
    q = np.sqrt(1.5 * ((s[:3] - s[:3].mean()) ** 2).sum() + 3.0 * (s[3:] ** 2).sum())
    assert dW > 1e5
    assert dW == pytest.approx(float((back.stress * d_in).sum()), rel=1e-12)
    assert dW == pytest.approx(x * q, rel=1e-9)


def test_plastic_keeps_the_loop_area_of_its_stress_strain_points():
    """Rate-independent plasticity keeps the trapezoid (exact on a linear-hardening
    branch): a reversing shear step's energy is the trapezoid of its stresses."""
    law = Plastic(30e6, 1e9, kinematic=2e9, E=E_SAC, nu=NU_SAC)
    de = np.zeros((1, 6))
    de[0, 5] = 5e-3
    first = law.update(de, 25.0, 1.0, law.init_state(1))
    de[0, 5] = -1e-2
    back = law.update(de, 25.0, 1.0, first.state)
    d_in = back.state.inelastic_strain - first.state.inelastic_strain
    trap = float((0.5 * (first.stress + back.stress) * d_in).sum())
    assert back.state.energy[0] - first.state.energy[0] == pytest.approx(trap, rel=1e-12)


# -- the solidus on a quadratic mesh: judged at the nodes --------------------------------


@pytest.fixture(scope="module")
def joint_on_board_p2():
    """The solder layer on its board as :func:`joint_on_board`, quadratic (P2)."""
    return layered_box(
        (2e-3, 1e-3),
        [("solder", 0.3e-3, 1), ("board", 0.3e-3, 1)],
        0.3e-3,
        order=2,
        faces={"x0": plane(0, 0.0)},
    )


def _overshooting_field(mesh, low=197.0, high=217.0):
    """Nodal temperatures [degC]: ``high`` at the edge nodes, ``low`` at the vertices.
    Quadratic shape functions take it above ``high`` inside every element (at the
    centroid to ``high + (high - low) / 2``), above every node of the element."""
    from fea.fe.forms import at_quadrature
    from fea.fe.spaces import space

    fs = space(mesh)
    T = np.full(fs.n, high)
    T[np.unique(fs.dofs[:, :4])] = low
    Tq = at_quadrature(fs, T)[mesh.regions["solder"]]
    assert Tq.max() > high + 1.0 and Tq.min() >= low  # the interpolation overshoots
    return fs, T


def test_a_p2_field_at_most_the_solidus_at_every_node_runs(joint_on_board_p2):
    """An uneven nodal field whose every node is at most the 217 degC solidus, whose
    quadratic interpolation exceeds 217 degC at the quadrature points (a 20 K
    vertex-to-edge difference: about 220 degC there), is not a molten joint: it is
    neither refused before the solve nor by the law in the steps (the law is given the
    quadrature temperatures within each element's nodal range)."""
    _, T = _overshooting_field(joint_on_board_p2)
    mats = _materials(anand_set("SAC305_Motalab2012"))
    res = solve_history(
        joint_on_board_p2,
        mats,
        Process((Stage("cold", 0.0, 25.0), Stage("hot", 10.0, T))),
        fixed=FIXED,
    )
    last = res.states[-1]
    assert last.temperature.max() == 217.0
    assert np.all(np.isfinite(last.displacement)) and np.abs(last.displacement).max() > 0
    eq = last.inelastic["fields"]["equivalent_inelastic_strain"]
    assert eq[joint_on_board_p2.regions["solder"]].max() > 0  # the law ran at 217 degC


def test_a_p2_field_with_one_node_above_the_solidus_is_refused(joint_on_board_p2, no_solve):
    """The same field with one solder node at 218 degC is refused before the solve,
    naming the stage, 218 degC and the 217 degC solidus; one a millikelvin above it,
    where the quadrature points lie near 227 degC, names the node's 217.001 degC."""
    fs, T = _overshooting_field(joint_on_board_p2)
    node = int(fs.dofs[joint_on_board_p2.regions["solder"][0], 4])  # an edge node
    mats = _materials(anand_set("SAC305_Motalab2012"))
    for hot in (218.0, 217.001):
        T1 = T.copy()
        T1[node] = hot
        with pytest.raises(
            InputError, match=rf"^stage\.hot\.temperature = {hot:g}\b.*solder.*217 degC"
        ):
            solve_history(
                joint_on_board_p2,
                mats,
                Process((Stage("cold", 0.0, 25.0), Stage("hot", 10.0, T1))),
                fixed=FIXED,
            )
