""":func:`fea.solve_thermal` arguments that were accepted and then crashed, ran out of memory
or gave an impossible answer, each refused with an :class:`~fea.errors.FeaError` naming the
key, the value and what is allowed.

Before: ``max_picard=0`` was a ``TypeError`` from deep inside; ``picard_tol`` NaN or
negative a "did not converge" ``SolverError`` after 50 passes; a transient of 10**9 fixed
steps was killed by the kernel for memory (an 8 GB time grid); an ambient or fixed
temperature of 1e30 degC was solved (Tj 1e30 degC; a stated boundary temperature is now
capped as everywhere in :mod:`fea`, a field handed on, ``k_at_C`` or ``initial_C``, is
not); a source of 1e30 W gave Tj 8e33 degC; a negative source stronger than the sinks
gave a field at -8000 degC, below absolute zero.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import fea
from fea.errors import SolverError
from fea.fe.spaces import space
from fea.physics.materials import Material, Table
from fea.physics.thermal import MAX_FIELD_VALUES, MAX_STEPS, solve_thermal

from .test_inputs import MAT, refused

#: k falls with T (silicon-like): the steady solve iterates (Picard)
MAT_KT = Material(
    "kt",
    E=100e9,
    nu=0.3,
    alpha=10e-6,
    k=Table([25.0, 225.0], [150.0, 80.0]),
    rho=2000.0,
    cp=700.0,
)


CONV = {"top": (10.0, 25.0)}


ROOT = Path(__file__).resolve().parents[2]


# -- the steady iteration's controls ---------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [("max_picard", v) for v in (0, -1, 2.5, True, "5", math.nan)]
    + [("picard_tol", v) for v in (math.nan, -1.0, 0.0, math.inf, 1.0)],
)
def test_picard_controls_out_of_range_are_refused(box, key, value):
    """A Picard limit that is no count, a tolerance outside (0, 0.1]."""
    refused(
        key, solve_thermal, box, {"*": MAT_KT}, sources={"body": 0.5}, convection=CONV,
        **{key: value},
    )


def test_the_picard_iteration_still_converges_to_the_hand_value(box):
    """One pass of k(T) is refused no more: with the default controls the iteration
    converges, and the rise matches the 1-D slab with k at the mean temperature."""
    P, h, A, L = 0.5, 1e4, 4e-6, 1e-3
    th = solve_thermal(
        box, {"*": MAT_KT}, flux={"bottom": P / A}, convection={"top": (h, 25.0)}, backend="cpu"
    )
    T_top = 25.0 + P / (h * A)
    T_bot = th.probe(np.array([[1e-3, 1e-3, 0.0]]))[0]
    # k linear in T: the exact 1-D drop q L / k(T_mean) with k at the slab's mean T
    k_mean = float(MAT_KT.conductivity(np.array([(T_top + T_bot) / 2]))[0])
    assert T_bot - T_top == pytest.approx(P / A * L / k_mean, rel=1e-3)


# -- transients too large to run -----------------------------------------------------------


def test_a_transient_of_1e9_fixed_steps_is_refused_before_any_work(box):
    err = refused(
        "transient.dt_s",
        solve_thermal,
        box,
        {"*": MAT},
        sources={"body": 0.5},
        convection=CONV,
        transient=fea.Transient(1e9, 1.0),
    )
    assert f"{MAX_STEPS:,}" in err.allowed
    assert "1,000,000,000" in err.allowed  # the implied count


def test_whole_fields_at_every_step_beyond_memory_are_refused():
    """Every step's field kept (no outputs, no fields): steps x nodes values, on the
    reference package mesh (4,710 nodes: 212,000 steps pass the cap)."""
    mesh = fea.Mesh.from_gmsh(ROOT / "meshes" / "reference" / "small_unit.msh", order=1)
    n = space(mesh).n
    steps = MAX_FIELD_VALUES // n + 10
    assert steps <= MAX_STEPS
    err = refused(
        "transient.fields",
        solve_thermal,
        mesh,
        {"*": MAT},
        sources={"die": 0.5},
        convection={"top": (10.0, 25.0)},
        transient=fea.Transient(float(steps), 1.0),
    )
    assert "outputs" in err.allowed


def test_a_transient_within_the_bounds_still_runs(box):
    """100 fixed steps, every one kept (no outputs): t = 0 and the 100 steps."""
    tr = fea.Transient(10.0, 0.1, initial_C=25.0)
    th = solve_thermal(
        box, {"*": MAT}, sources={"body": 0.5}, fixed={"bottom": 25.0}, transient=tr, backend="cpu"
    )
    assert th.history.shape[0] == 101


# -- temperatures a user states ------------------------------------------------------------


@pytest.mark.parametrize("T", [1e30, 2500.0])
def test_an_ambient_above_the_temperature_cap_is_refused(box, T):
    refused(
        "convection.top.T_inf",
        solve_thermal,
        box,
        {"*": MAT},
        sources={"body": 0.5},
        convection={"top": (10.0, T)},
    )


def test_a_fixed_temperature_above_the_cap_is_refused(box):
    refused("fixed.bottom", solve_thermal, box, {"*": MAT}, fixed={"bottom": 1e30})


def test_a_2000_degC_ambient_is_still_a_temperature(box):
    th = solve_thermal(
        box,
        {"*": MAT},
        convection={"top": (10.0, 2000.0)},
        fixed=None,
        sources={"body": 0.0},
        backend="cpu",
    )
    assert np.allclose(th.temperature, 2000.0)


# -- powers --------------------------------------------------------------------------------


def test_a_source_above_the_power_cap_is_refused(box):
    """1e30 W was solved: Tj 8e33 degC."""
    err = refused(
        "sources.body", solve_thermal, box, {"*": MAT}, sources={"body": 1e30}, convection=CONV
    )
    assert "W" in err.allowed


def test_a_sink_that_takes_more_than_the_boundaries_give_is_not_a_temperature(box):
    """-1 W out of a block whose only sink is h = 10 on 4 mm^2: the linear answer is
    25 - 1 / (10 * 4e-6) = -24975 degC, below absolute zero: refused, naming the source."""
    with pytest.raises(SolverError) as info:
        solve_thermal(box, {"*": MAT}, sources={"body": -1.0}, convection=CONV, backend="cpu")
    msg = str(info.value)
    assert "absolute zero" in msg and "sources.body" in msg


def test_a_moderate_sink_is_still_solved(box):
    """A sink the boundary can feed: -1 mW with h = 10 on 4 mm^2 cools the block by
    P / (h A) = 25 K (the block's own drop is below 0.01 K)."""
    th = solve_thermal(box, {"*": MAT}, sources={"body": -1e-3}, convection=CONV, backend="cpu")
    assert th.temperature.mean() == pytest.approx(25.0 - 1e-3 / (10.0 * 4e-6), abs=0.01)
