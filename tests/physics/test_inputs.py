"""Hostile arguments to the physics solvers: each is refused before any work with an
:class:`fea.errors.InputError` (the exact class, not a subclass of ValueError raised by
NumPy) that names the offending key.

Each case was a hang, a traceback from deep inside or a solver failure before:
``substeps=10**12`` and ``max_step_K=1e-300`` ran for ever, ``Stage(temperature=1e300)``
was accepted, ``flux={"nonexistent": ...}`` was a KeyError, a mesh of ``None``/str/array an
AttributeError, a temperature function of the wrong shape a NumPy ValueError, a film
coefficient or conductivity of 1e-300 "Pardiso failed in phase 12" or "not positive
definite".
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import fea
from fea.errors import InputError
from fea.physics.history import Process, Stage, solve_history
from fea.physics.materials import Material
from fea.physics.mechanics import solve_thermoelastic
from fea.physics.process import MAX_STEPS
from fea.physics.thermal import solve_thermal

from ..verification.helpers import layered_box, plane

MAT = Material("m", E=100e9, nu=0.3, alpha=10e-6, k=100.0, rho=2000.0, cp=700.0)


def refused(key: str, call, *args, **kwargs) -> InputError:
    """Run ``call``; assert it raises exactly InputError naming ``key``, fast."""
    t0 = time.perf_counter()
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    assert type(info.value) is InputError
    assert info.value.key == key, (info.value.key, key)
    assert key in str(info.value)
    assert time.perf_counter() - t0 < 30.0  # refused before any long work
    return info.value


# -- counts a value implies ------------------------------------------------------------------


def test_absurd_substeps_are_refused_with_the_bound(box):
    err = refused(
        "substeps", solve_history, box, {"*": MAT}, [(0.0, 25.0), (60.0, 100.0)], substeps=10**12
    )
    assert f"{MAX_STEPS:,}" in err.allowed


def test_an_absurd_step_limit_is_refused_with_the_estimated_count(box):
    """max_step_K = 1e-300 K over a 75 K ramp implies 7.5e301 steps: the estimate is in
    the message (computed in floating point, never as a loop)."""
    err = refused(
        "max_step_K",
        solve_history,
        box,
        {"*": MAT},
        [(0.0, 25.0), (60.0, 100.0)],
        max_step_K=1e-300,
    )
    assert "7.5e+301" in err.allowed


def test_a_stage_temperature_of_1e300_is_refused_at_the_stage():
    refused("stage.hot.temperature", Stage, "hot", 10.0, 1e300)
    refused("stage.hot.temperature", Stage, "hot", 10.0, np.array([25.0, np.inf]))
    refused("stage.cold.temperature", Stage, "cold", 10.0, -300.0)
    Stage("ok", 10.0, 260.0)  # a reflow peak is fine


def test_a_temperature_function_above_the_cap_is_refused_in_the_history(box):
    proc = Process([Stage("a", 0.0, 25.0), Stage("hot", 10.0, lambda x, y, z: 0 * x + 1e6)])
    refused("stage.hot.temperature", solve_history, box, {"*": MAT}, proc)
    wrong = Process([Stage("a", 0.0, 25.0), Stage("odd", 10.0, lambda x, y, z: np.ones(3))])
    refused("stage.odd.temperature", solve_history, box, {"*": MAT}, wrong)


# -- the mesh argument -----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, "meshes/reference/small_unit.msh", np.zeros((4, 3))])
def test_something_else_than_a_mesh_is_refused_naming_mesh(bad):
    refused("mesh", solve_thermal, bad, {"*": MAT}, convection={"top": (10.0, 25.0)})
    refused("mesh", solve_thermoelastic, bad, {"*": MAT}, 100.0)
    refused("mesh", solve_history, bad, {"*": MAT}, [(0.0, 25.0)])


# -- thermal arguments -----------------------------------------------------------------------


def test_flux_on_an_unknown_boundary_names_flux_and_the_boundary(box):
    err = refused(
        "flux.nonexistent",
        solve_thermal,
        box,
        {"*": MAT},
        flux={"nonexistent": 1.0},
        fixed={"bottom": 25.0},
    )
    assert "top" in err.allowed  # the boundaries there are


@pytest.mark.parametrize("h", [1e-300, -1.0, float("nan"), float("inf")])
def test_a_film_coefficient_that_cannot_carry_heat_is_refused_at_the_key(box, h):
    refused(
        "convection.top.h",
        solve_thermal,
        box,
        {"*": MAT},
        sources={"body": 0.1},
        convection={"top": (h, 25.0)},
    )


def test_only_zero_film_coefficients_are_no_heat_sink(box):
    refused(
        "convection/fixed",
        solve_thermal,
        box,
        {"*": MAT},
        sources={"body": 0.1},
        convection={"top": (0.0, 25.0)},
    )


@pytest.mark.parametrize("k", [1e-300, 0.0])
def test_a_vanishing_conductivity_is_refused_at_the_material(box, k):
    """(``fea.Material`` may refuse such a k itself; the solver checks what it gets.)"""
    bad = Material("bad", E=100e9, nu=0.3, alpha=10e-6, k=1.0, rho=2000.0, cp=700.0)
    object.__setattr__(bad, "k", k)  # past the constructor's own checks
    refused(
        "materials.body.k",
        solve_thermal,
        box,
        {"*": bad},
        sources={"body": 0.1},
        fixed={"bottom": 25.0},
    )


# -- mechanical arguments --------------------------------------------------------------------


def test_a_temperature_function_of_the_wrong_shape_names_temperature(box):
    refused("temperature", solve_thermoelastic, box, {"*": MAT}, lambda x, y, z: np.ones(3))
    refused("temperature", solve_thermoelastic, box, {"*": MAT}, lambda x, y, z: "hot")
    # a function returning a number or one value per node is fine
    me = solve_thermoelastic(box, {"*": MAT}, lambda x, y, z: 35.0 + 0 * x, 25.0)
    assert np.isfinite(me.displacement).all()


def test_the_public_names_resolve():
    assert fea.solve_history is solve_history


def test_stage_temperature_is_temperature_C_and_the_old_name_warns():
    new = Stage("cool", 60.0, temperature_C=25.0)
    with pytest.warns(DeprecationWarning, match="'temperature' is deprecated"):
        old = Stage("cool", 60.0, temperature=25.0)
    assert old == new and new.temperature_C == 25.0
    with pytest.warns(DeprecationWarning, match="Stage.temperature is deprecated"):
        assert old.temperature == 25.0


def test_k_at_is_k_at_C_and_the_old_name_warns(box):
    kw = dict(sources={"body": 0.1}, fixed={"bottom": 25.0}, backend="cpu")
    new = solve_thermal(box, {"*": MAT}, k_at_C=25.0, **kw)
    with pytest.warns(DeprecationWarning, match="'k_at' is deprecated, use 'k_at_C'"):
        old = solve_thermal(box, {"*": MAT}, k_at=25.0, **kw)
    assert np.array_equal(old.temperature, new.temperature)


def test_a_flux_whose_heat_overflows_is_refused_at_the_key(box):
    refused(
        "flux.top",
        solve_thermal,
        box,
        {"*": MAT},
        flux={"top": 1e308},  # overflowed in the solve before
        fixed={"bottom": 25.0},
    )


@pytest.fixture(scope="module")
def two_layers():
    """A 2 x 2 mm base (``base``, 0.5 mm) under a lid (``lid``, 0.3 mm), P1."""
    return layered_box(
        (2e-3, 2e-3),
        [("base", 0.5e-3, 1), ("lid", 0.3e-3, 1)],
        0.5e-3,
        order=1,
        faces={"bottom": plane(2, 0.0)},
    )


def test_removing_every_region_is_refused(two_layers):
    proc = Process([Stage("a", 0.0, 25.0), Stage("gone", 1.0, 25.0, remove=["base", "lid"])])
    refused("stage.gone.remove", solve_history, two_layers, {"*": MAT}, proc)


def test_a_cure_before_the_region_is_born_is_refused(two_layers):
    """The lid is born in ``mould``; a cure listed in ``pre``, before it exists, was
    accepted and lost."""
    proc = Process(
        [
            Stage("a", 0.0, 25.0),
            Stage("pre", 10.0, 150.0, cure=["lid"]),
            Stage("mould", 10.0, 175.0, add=["lid"]),
        ]
    )
    refused("stage.pre.cure", solve_history, two_layers, {"*": MAT}, proc)
    ok = Process([Stage("a", 0.0, 25.0), Stage("mould", 10.0, 175.0, add=["lid"], cure=["lid"])])
    h = solve_history(two_layers, {"*": MAT}, ok, backend="cpu")
    assert h.labels == ["a", "mould"]
