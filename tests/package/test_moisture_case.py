"""A study case with ``[moisture]``: the package's water against hand numbers, the wet
warpage states, and the moisture run kept off cases it does not fit."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import numpy as np
import pytest

from fea.errors import InputError
from fea.package.analyse import analyse, mesh_materials, warpage_case, wet_temperatures
from fea.package.meshing import build_mesh
from fea.package.moisture import known_densities, moisture_analysis
from fea.package.spec import parse_study
from fea.physics.materials import get as get_material
from fea.physics.moisture_data import get

ROOT = Path(__file__).resolve().parents[2]


def msl_case_raw(**moisture) -> dict:
    raw = copy.deepcopy(tomllib.loads((ROOT / "studies" / "msl.toml").read_text()))
    raw.pop("sweep")
    raw["mesh"].update(size_mm=1.2, order=1, layers_through_thickness=1, film_size_mm=0.6)
    raw["mesh"].update(opening_size_mm=0.4, terminal_size_mm=0.4, board_size_mm=12.0)
    raw["outputs"]["field_plots"] = False
    raw["solver"]["backend"] = "cpu"
    raw["moisture"].update(moisture)
    return raw


@pytest.fixture(scope="module")
def saturated():
    case = parse_study(msl_case_raw(soak={"T_C": 85.0, "RH": 0.85, "hours": "inf"})).base
    mesh, _ = build_mesh(warpage_case(case))
    rho = {r: m.rho for r, m in mesh_materials(mesh, case).items()}
    return case, mesh, moisture_analysis(mesh, case.moisture, densities=rho)


def test_saturated_soak_by_hand(saturated):
    """A soak at 85 C / 85 %RH run to equilibrium saturates every polymer: the compound's
    water is Csat(85 C, 85 %) times its volume (a constant wetness is exact on the mesh),
    the regions add up to the total, and the reflow (260 C peak, 25 C / 60 %RH air) only
    takes water out."""
    case, mesh, ma = saturated
    vol = mesh.element_volumes()[mesh.regions["encapsulant"]].sum()
    hand = float(get("mold_compound").csat(85.0, 0.85)) * vol * 1e6  # kg -> mg
    got = ma.metrics["moisture_mg@soak:encapsulant"]
    assert got == pytest.approx(hand, rel=1e-6), (got, hand)
    assert ma.metrics["moisture_mg@reflow"] < ma.metrics["moisture_mg@soak"]
    parts = [v for k, v in ma.metrics.items() if k.startswith("moisture_mg@soak:")]
    assert sum(parts) == pytest.approx(ma.metrics["moisture_mg@soak"], rel=1e-12)
    # the metals and the die take no water: no column for them
    assert not any(k.endswith((":shell", ":die", ":terminals")) for k in ma.metrics)


def test_weight_gain_of_a_saturated_package_by_hand(saturated):
    """The weight gain a sorption test and a package weighing report: saturated at
    85 C / 85 %RH the compound holds Csat = 6.0 kg/m^3 in 1,950 kg/m^3, 0.3077 wt %
    (JESD22-A120's number for the material), whatever its volume; the package's gain is
    all the water over the dry mass of every region, the metals' and the die's too."""
    case, mesh, ma = saturated
    mats = mesh_materials(mesh, case)
    compound = float(get("mold_compound").csat(85.0, 0.85)) / mats["encapsulant"].rho * 100
    assert compound == pytest.approx(6.0 / 1950 * 100, rel=1e-9)
    got = ma.metrics["moisture_gain_pct@soak:encapsulant"]
    assert got == pytest.approx(compound, rel=1e-6)
    vol = mesh.element_volumes()
    dry = sum(m.rho * vol[mesh.regions[r]].sum() for r, m in mats.items()) * 1e6  # mg
    water = ma.metrics["moisture_mg@soak"]  # the full body's; this model is the full one
    assert ma.metrics["moisture_gain_pct@soak"] == pytest.approx(100 * water / dry, rel=1e-9)
    assert 0 < ma.metrics["moisture_gain_pct@reflow"] < ma.metrics["moisture_gain_pct@soak"]
    assert not any(k.startswith("moisture_gain_pct") and k.endswith(":shell") for k in ma.metrics)


def test_vapour_pressure_is_bounded_by_saturation(saturated):
    """No interface pressure above p_sat at the reported peak (IAPWS: 4.69 MPa at the
    260 C peak), and every interface with compound on a side has a column."""
    _, mesh, ma = saturated
    peak = ma.metrics["moisture_peak_C"]
    assert peak == 260.0  # the J-STD-020 preset's peak, as the profile reaches it
    p = {k: v for k, v in ma.metrics.items() if k.startswith("vapour_pressure_max_MPa@peak:")}
    assert max(p.values()) <= 4.70
    assert "vapour_pressure_max_MPa@peak:encapsulant|shell" in p
    assert ma.swelling.shape == (mesh.n_elements, ma.swelling.shape[1])
    assert np.all(ma.swelling[mesh.regions["shell"]] == 0.0)


def test_wet_states_follow_the_warpage_temperatures():
    case = parse_study(msl_case_raw(soak="MSL3")).base
    assert wet_temperatures(case) == [25.0, 260.0]
    dry = parse_study(msl_case_raw(soak="MSL3", reflow="none")).base
    assert wet_temperatures(dry) == [25.0, 260.0]  # the warpage temperatures alone


def test_moisture_refused_where_it_does_not_fit(tmp_path):
    raw = msl_case_raw()
    raw["process"] = {"model": "independent"}
    case = parse_study(raw).base
    with pytest.raises(InputError) as ei:
        analyse(case)
    assert ei.value.key == "moisture"
    panel = msl_case_raw()
    panel["study"]["kind"] = "panel"
    with pytest.raises(InputError):
        parse_study(panel)


def test_a_region_of_unknown_density_is_left_out_of_the_gain_and_named():
    """A study's new material without ``rho`` has the dataclass's placeholder 1000 kg/m^3,
    not a density: its region is left out of the weight gain's dry mass (and gets no gain
    of its own), and the run says so. A library material, a ``base`` or a ``rho`` of the
    study's own table is a known density."""
    raw = msl_case_raw(soak={"T_C": 85.0, "RH": 0.85, "hours": "inf"})
    raw["materials"]["encapsulant"] = "my_emc"
    raw["materials"].setdefault("library", {}).update(
        my_emc={"E_GPa": 22.0, "nu": 0.3, "alpha_ppm": 9.0, "k": 0.9},
        my_pi={"base": "polyimide", "E_GPa": 3.0},
        my_die={"E_GPa": 130.0, "nu": 0.28, "alpha_ppm": 2.6, "k": 150.0, "rho": 2330.0},
    )
    raw["materials"]["dielectric"] = "my_pi"
    raw["materials"]["die"] = "my_die"
    raw["moisture"]["materials"] = {"encapsulant": "mold_compound"}
    case = parse_study(raw).base
    mesh, _ = build_mesh(warpage_case(case))
    mats = mesh_materials(mesh, case)
    rho = known_densities(case, mats)
    assert "encapsulant" not in rho and mats["encapsulant"].rho == 1000.0
    assert rho["dielectric"] == mats["dielectric"].rho == get_material("polyimide").rho
    assert rho["die"] == 2330.0 and rho["shell"] == get_material("copper").rho
    with pytest.warns(UserWarning, match=r"no density for region\(s\) encapsulant"):
        ma = moisture_analysis(mesh, case.moisture, densities=rho)
    assert "moisture_gain_pct@soak:encapsulant" not in ma.metrics
    assert "moisture_gain_pct@soak:dielectric" in ma.metrics
    vol = mesh.element_volumes()
    dry = sum(rho[r] * vol[mesh.regions[r]].sum() for r in rho if r in mesh.regions) * 1e6
    water = sum(v for k, v in ma.metrics.items() if k.startswith("moisture_mg@soak:"))
    water -= ma.metrics["moisture_mg@soak:encapsulant"]
    assert ma.metrics["moisture_gain_pct@soak"] == pytest.approx(100 * water / dry, rel=1e-9)
