"""Newton's start in the steps of an inelastic history (``solve_history(newton_predictor=...)``):
the ramp extrapolation against polynomials it must reproduce, and the history it starts
against the one every step of which solves the tangent predictor; the kept tangent factor in
single precision (``newton_factor_precision``) against double."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics.history import solve_history
from fea.physics.history_step import ramp_extrapolation
from fea.solvers.cpu import pardiso_available

from ..verification.helpers import creep_bilayer, creep_bilayer_materials

# heat, dwell, cool, dwell, heat: ramps in both senses, turns and dwells
HIST = [(0.0, 25.0), (600.0, 125.0), (1500.0, 125.0), (2100.0, 25.0), (2400.0, 25.0),
        (2700.0, 75.0)]
FIXED = {"x0": {"x": 0.0, "y": 0.0, "z": 0.0}}


def _steps(s, n=4):
    """Temperature changes (n,) of the steps between the ramp parameters ``s`` (a
    non-uniform field, each step the same shape): |dT_k| = s[k+1] - s[k]."""
    shape = np.linspace(1.0, 2.0, n)
    shape /= np.linalg.norm(shape)
    return [(s[k + 1] - s[k]) * shape for k in range(len(s) - 1)]


def test_quadratic_and_linear_extrapolation_are_exact_on_their_polynomials():
    a, b, c = np.array([1.0, -2.0, 0.5]), np.array([0.3, -0.1, 2.0]), np.array([0.05, 0.2, -1.0])

    def x(s):
        return a + b * s + c * s * s

    s = [0.0, 2.0, 5.0, 6.5]  # uneven steps
    d = _steps(s)
    inc = [(d[0], x(s[1]) - x(s[0])), (d[1], x(s[2]) - x(s[1]))]
    np.testing.assert_allclose(ramp_extrapolation(x(s[2]), d[2], inc), x(s[3]), atol=1e-12)
    # one increment: linear, exact on a line and not on the parabola
    line = lambda t: a + b * t  # noqa: E731
    inc1 = [(d[1], line(s[2]) - line(s[1]))]
    np.testing.assert_allclose(ramp_extrapolation(line(s[2]), d[2], inc1), line(s[3]),
                               atol=1e-12)
    one = ramp_extrapolation(x(s[2]), d[2], inc[-1:])
    assert np.abs(one - x(s[3])).max() > 0.1


def test_no_extrapolation_across_a_dwell_a_turn_or_another_direction():
    x0 = np.zeros(3)
    d = _steps([0.0, 1.0, 2.0])
    inc = [(d[0], np.ones(3)), (d[1], np.ones(3))]
    assert ramp_extrapolation(x0, np.zeros(4), inc) is None  # a dwell
    assert ramp_extrapolation(x0, -d[1], inc) is None  # the turn of a cycle
    other = np.array([1.0, 0.0, 0.0, 0.0])  # another direction of the field
    assert ramp_extrapolation(x0, other, inc) is None
    assert ramp_extrapolation(x0, d[1], []) is None  # nothing to continue
    # after a turn only the increments since are used: the last one alone (linear)
    turned = [(-d[0], np.full(3, 7.0)), (d[1], np.ones(3))]
    np.testing.assert_allclose(ramp_extrapolation(x0, d[1], turned), np.ones(3))


def _assert_same_states(ref, run) -> None:
    """Every state of two histories of one model: displacements within 1e-8 of the
    largest, dissipated energy densities within 1e-7 (Newton's tolerances of 1e-10)."""
    for a, b in zip(ref.states, run.states, strict=True):
        scale = max(np.abs(a.displacement).max(), 1e-300)
        assert np.abs(a.displacement - b.displacement).max() <= 1e-8 * scale
        wa = a.fields()["dissipated_energy_density"][0]
        wb = b.fields()["dissipated_energy_density"][0]
        np.testing.assert_allclose(wb, wa, rtol=1e-7, atol=1e-9 * max(wa.max(), 1.0))


@pytest.fixture(scope="module")
def bilayer():
    """A creeping layer under an elastic one, 2 x 1 mm, faces x = 0 and y = 0 named."""
    return creep_bilayer()


@pytest.mark.parametrize(
    "held",
    [
        # clamped at x = 0
        {"fixed": FIXED},
        # a free body cut by two symmetry planes (a quarter model: the rigid translation
        # along z is free, held by a support and projected out of each committed state)
        {"fixed": {"x0": {"x": 0.0}, "y0": {"y": 0.0}}, "symmetry": ("x", "y")},
    ],
    ids=["clamped", "free-quarter"],
)
def test_extrapolated_starts_reach_the_predictors_solution_with_less_work(bilayer, held):
    mats = creep_bilayer_materials()
    kw = {"max_step_K": 5.0, "newton_rtol": 1e-10, "newton_dtol": 1e-10, **held}
    t = solve_history(bilayer, mats, HIST, newton_predictor="tangent", **kw)
    e = solve_history(bilayer, mats, HIST, **kw)  # the default: extrapolate
    _assert_same_states(t, e)
    ti, ei = t.solver_info, e.solver_info
    steps = ti["newton_steps"]
    assert ei["newton_steps"] == steps
    assert ti["predictor_solves"] == steps and "extrapolated_starts" not in ti
    # the first step of each ramp solves the predictor, the next ones extrapolate
    # (linearly, then quadratically)
    assert ei["extrapolated_starts"] + ei["predictor_solves"] == steps
    assert ei["extrapolated_starts"] >= steps // 2
    # observed (clamped, free quarter): 53 steps, 47 extrapolated; Newton iterations 130
    # and 130 against 147 and 145. Extrapolating from the committed (projected) states
    # instead of Newton's own solutions took 152 on the free body: more than the tangent
    assert ei["newton_iterations"] < ti["newton_iterations"]


def test_a_bad_predictor_is_refused(bilayer):
    mats = creep_bilayer_materials(creep=False)
    with pytest.raises(InputError, match="newton_predictor"):
        solve_history(bilayer, mats, HIST, fixed=FIXED, newton_predictor="quadratic")


@pytest.mark.skipif(not pardiso_available(), reason="MKL Pardiso is not installed")
def test_a_single_precision_tangent_factor_reaches_the_same_history(bilayer):
    # the float32 factor only preconditions PCG on the float64 tangent: the history is the
    # double factor's to Newton's tolerances
    mats = creep_bilayer_materials()
    kw = {"max_step_K": 5.0, "newton_rtol": 1e-10, "newton_dtol": 1e-10, "fixed": FIXED}
    d = solve_history(bilayer, mats, HIST, newton_factor_precision="double", **kw)
    s = solve_history(bilayer, mats, HIST, newton_factor_precision="single", **kw)
    assert d.solver_info["tangent_factor_precision"] == "double"
    assert s.solver_info["tangent_factor_precision"] == "single"
    _assert_same_states(d, s)
    # the default on this small system: double (below SINGLE_FACTOR_MIN_UNKNOWNS)
    a = solve_history(bilayer, mats, HIST[:3], **kw)
    assert a.solver_info["tangent_factor_precision"] == "double"


def test_a_bad_factor_precision_is_refused(bilayer):
    mats = creep_bilayer_materials(creep=False)
    with pytest.raises(InputError, match="newton_factor_precision"):
        solve_history(bilayer, mats, HIST, fixed=FIXED, newton_factor_precision="half")


def test_the_history_steps_with_openblas_on_one_thread(bilayer, monkeypatch):
    # the steps run inside single_threaded_openblas (Pardiso's threads and OpenBLAS's
    # pool waited for each other: a cycle 1.15x slower), and it is left afterwards
    import contextlib

    import fea.physics.history as hist

    seen = []

    @contextlib.contextmanager
    def spy():
        seen.append("in")
        yield
        seen.append("out")

    monkeypatch.setattr(hist, "single_threaded_openblas", spy)
    mats = creep_bilayer_materials()
    solve_history(bilayer, mats, HIST[:3], fixed=FIXED, max_step_K=20.0)
    assert seen == ["in", "out"]
