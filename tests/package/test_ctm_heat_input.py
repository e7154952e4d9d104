"""The compact models of a case are those of its own heat input: the die's power and its
power map on the die's active face, as its thermal analysis has them, not a uniform
source in the die's volume (a corner hot spot rose 3.5 times as much)."""

from __future__ import annotations

import functools
import json

import pytest

from fea.package.analyse import mesh_materials
from fea.package.ctm import ctm_analysis, ctm_case, ctm_mesh
from fea.package.power_map import thermal_loads
from fea.package.spec import parse_study
from fea.physics.thermal import solve_thermal

AMB = 25.0
BASE = {
    "study": {"name": "ctm_heat"},
    "geometry": {"terminals": {"kind": "none"}},
    "mesh": {"size_mm": 1.0, "film_size_mm": 1.0, "order": 1, "layers_through_thickness": 1},
    "loads": {"warpage_temperatures_C": []},
    "theta_jc": {"method": "fixed_case"},
    "ctm": {"delphi": False},
}
#: 1 W on a 1 x 1 mm square in a corner of the 6 x 6 mm die
HOT_SPOT = {"rectangles": [{"x_mm": [-3, -2], "y_mm": [-3, -2], "W": 1.0}]}


def _case(**loads):
    return parse_study({**BASE, "loads": {**BASE["loads"], **loads}}).base


def _theta_jc(mesh, case):
    """theta_JC (top held at ambient, every other face adiabatic) of the case's own heat
    input, solved here with solve_thermal, not through fea.ctm."""
    heat = thermal_loads(mesh, ctm_case(case))
    th = solve_thermal(
        mesh,
        mesh_materials(mesh, case),
        **heat,
        fixed={"top_inner": AMB, "top_outer": AMB},
        k_at_C=AMB,
        rtol=1e-12,
    )
    return (th.region_max("die") - AMB) / case.loads.total_power


def _analysed(**loads):
    """(case, its compact-model mesh, theta_JC of its two-resistor model) of the loads."""
    return _analysed_once(json.dumps(loads, sort_keys=True))


@functools.cache
def _analysed_once(loads: str):
    """:func:`_analysed` once per loads (JSON) for the tests below: both heat inputs are
    on one mesh (the power map is not in the mesh's cache key), so each analysis is the
    same wherever a test asks for it."""
    case = _case(**json.loads(loads))
    mesh = ctm_mesh(case)
    return case, mesh, ctm_analysis(case, mesh=mesh).metrics["theta_JC_2R_K_per_W"]


@pytest.mark.parametrize("loads", [{}, {"power_W": {}, "power_map": HOT_SPOT}])
def test_two_resistor_theta_jc_of_the_case_heat_input(loads):
    case, mesh, jc = _analysed(**loads)
    assert jc == pytest.approx(_theta_jc(mesh, case), rel=1e-6)


def test_hot_spot_rises_above_uniform_power():
    _, mesh, jc_u = _analysed()
    _, spot_mesh, jc_s = _analysed(power_W={}, power_map=HOT_SPOT)
    assert spot_mesh.info["path"] == mesh.info["path"]  # the same package's one mesh
    # the same package, the heat concentrated in a corner: far hotter per watt (a
    # uniform source gave the same 6.4 K/W for both)
    assert jc_s > 2.0 * jc_u
