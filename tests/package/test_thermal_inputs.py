"""The study-file side of the thermal models: inputs that
were accepted and then failed far from their key (or not at all), each now refused
naming the key, the value and what is allowed.

Before: a ``[ctm] conditions`` row with every face adiabatic ran the detailed model into
"the compact network has no path to ambient" (or "Pardiso failed in phase 22"); a row with
h = 1e300 overflowed; ``[ctm.nodes]`` without a board-side node stopped the two-resistor
model at ``board = 'bottom'``, a key no study file has (now ``ctm.nodes``, checked with
the mesh); ``holdout`` above the number of
conditions held none out, silently, so no boundary-condition independence was checked;
``loads.h = 0`` under ``uniform_h`` failed the case at ``convection/fixed = None``.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from fea.errors import InputError
from fea.package import jedec
from fea.package.ctm import ctm_analysis, ctm_mesh
from fea.package.spec import parse_study
from fea.package.transient import decade_label

#: The baseline package without terminals, coarse (as tests/package/test_ctm_case.py)
BASE = {
    "study": {"name": "thermal_inputs"},
    "geometry": {"terminals": {"kind": "none"}},
    "mesh": {"size_mm": 1.0, "film_size_mm": 1.0, "order": 1, "layers_through_thickness": 1},
    "loads": {"warpage_temperatures_C": []},
    "theta_jc": {"method": "fixed_case"},
    "outputs": {"metrics": ["Tj_max_C", "theta_JC_2R_K_per_W"]},
}


def case_of(ctm=None, **sections):
    data = {**BASE, **sections}
    if ctm is not None:
        data["ctm"] = ctm
    return parse_study(data).base


def refused_at(key, call, *args, **kwargs):
    with pytest.raises(InputError) as exc:
        call(*args, **kwargs)
    assert exc.value.key == key, (exc.value.key, key)
    assert key in str(exc.value)
    return exc.value


# -- [ctm] -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conditions", "key"),
    [
        ([{"top": 0.0}], "ctm.conditions[0]"),
        ([{"top": 10.0}, {"top": 0.0, "bottom": 0.0, "sides": 0.0}], "ctm.conditions[1]"),
        ([{"top": 1e300}], "ctm.conditions[0].top"),
    ],
)
def test_a_condition_the_detailed_model_cannot_solve_is_refused_at_its_row(conditions, key):
    refused_at(key, case_of, {"conditions": conditions, "holdout": 0})


def test_isothermal_and_ordinary_conditions_still_parse():
    c = case_of({"conditions": [{"top": math.inf}, {"top": 10.0, "bottom": 1e4}], "holdout": 0})
    assert c.ctm.conditions == ({"top": math.inf}, {"top": 10.0, "bottom": 1e4})


@pytest.fixture(scope="module")
def package():
    case = case_of({"holdout": 30})
    return case, ctm_mesh(case, scale=case.ctm.inner_scale)


def test_a_holdout_beyond_the_conditions_is_refused_before_any_solve(package):
    """The package without terminals has top, bottom and sides: the DELPHI set of those
    has 29 conditions, so every 30th holds none out."""
    case, mesh = package
    err = refused_at("ctm.holdout", ctm_analysis, case, mesh=mesh)
    assert "29" in err.allowed


def test_two_resistor_nodes_need_a_top_and_a_board_side_face(package):
    _, mesh = package
    nodes = {
        "t": {"face": "top", "boundaries": ["top"]},
        "s": {"face": "sides", "boundaries": ["sides"]},
    }
    err = refused_at("ctm.nodes", ctm_analysis, case_of({"nodes": nodes}), mesh=mesh)
    assert "bottom" in err.allowed and "two_resistor" in err.allowed


# -- environments --------------------------------------------------------------------------


def test_no_heat_sink_under_uniform_h_names_loads_h():
    case = case_of(loads={"warpage_temperatures_C": [], "h": 0.0})
    mesh = SimpleNamespace(boundaries={"package_surface": np.arange(3)})
    err = refused_at("loads.h", jedec.boundary_conditions, mesh, case)
    assert "h_boundaries" in err.allowed and "fixed_C" in err.allowed


def test_h_zero_with_a_fixed_face_is_a_heat_sink():
    case = case_of(loads={"warpage_temperatures_C": [], "h": 0.0, "fixed_C": {"top": 25.0}})
    mesh = SimpleNamespace(boundaries={"package_surface": np.arange(3)})
    bc = jedec.boundary_conditions(mesh, case)
    assert bc.convection == {} and bc.fixed == {}


# -- heating-curve columns -------------------------------------------------------------------


def test_a_decade_below_a_microsecond_has_a_plain_column_name():
    """``[transient] first_output_s`` may be 1e-7 s: its decade was ``zth_1e-07s_K_per_W``
    (a column name with '-' and '.'); now ``zth_100ns_K_per_W``."""
    assert [decade_label(t) for t in (1e-9, 1e-8, 1e-7, 1e-6)] == ["1ns", "10ns", "100ns", "1us"]


@pytest.mark.parametrize(
    ("args", "key"),
    [
        ((math.nan, 25.0, 1.5), "T_junction_C"),
        ((80.0, "25", 1.5), "T_reference_C"),
        ((80.0, 25.0, math.nan), "power_W"),  # was NaN, silently: an empty column
        ((80.0, 25.0, "1.5"), "power_W"),  # was a TypeError
    ],
)
def test_thermal_resistance_arguments_are_numbers(args, key):
    refused_at(key, jedec.thermal_resistance, *args)


def test_thermal_resistance_by_hand():
    assert jedec.thermal_resistance(85.0, 25.0, 1.5) == pytest.approx(40.0, rel=1e-12)
    assert math.isnan(jedec.thermal_resistance(25.0, 25.0, 0.0))  # no power: undefined
