"""The ``[moisture]`` section against the values a user can get wrong: each refused at its
key in the study file (not at a key of the object built from it), none silently run as
something else."""

from __future__ import annotations

import math

import pytest

from fea.errors import InputError
from fea.package.moisture import moisture_analysis
from fea.package.spec.moisture import parse_moisture
from fea.package.spec.reader import Section
from fea.physics.moisture_data import MoistureProperties, get, p_sat

from ..verification.helpers import layered_box, plane


def parse(data: dict):
    return parse_moisture(Section(data, "moisture"))


def table(**kw):
    return {
        "D0_m2_per_s": 1e-5,
        "Ea_J_per_mol": 4e4,
        "Csat_kg_per_m3": 5.0,
        "Es_J_per_mol": 4e4,
        **kw,
    }


@pytest.mark.parametrize(
    ("data", "key", "value"),
    [
        # off water's saturation line p_sat was clipped: -20 degC ran as 0, 390 as 373.946
        ({"soak": {"T_C": -20, "RH": 0.5, "hours": 1}}, "moisture.soak.T_C", -20),
        ({"soak": {"T_C": 390, "RH": 0.5, "hours": 1}}, "moisture.soak.T_C", 390),
        (
            {"soak": "MSL3", "reflow": {"points_s_C": [[0, 25], [60, 500]]}},
            "moisture.reflow.points_s_C",
            500.0,
        ),
        (
            {"soak": "MSL3", "reflow": {"points_s_C": [[0, 25], [60, 260]], "ambient_C": -5}},
            "moisture.reflow.ambient_C",
            -5,
        ),
        (
            {"soak": "MSL3", "materials": {"encapsulant": table(T_ref_C=-1.0)}},
            "moisture.materials.encapsulant.T_ref_C",
            -1.0,
        ),
    ],
)
def test_temperatures_off_the_saturation_line_are_refused(data, key, value):
    assert float(p_sat(-20.0)) == float(p_sat(0.0))  # what the clipping did
    with pytest.raises(InputError) as e:
        parse(data)
    assert (e.value.key, e.value.value) == (key, value)


@pytest.mark.parametrize(
    "points",
    [
        [[0, 25], [60, 60], [120, 25]],  # peak 60 degC after an 85 degC soak
        [[0, 25], [600, 85]],  # peak at the soak's temperature
    ],
)
def test_a_reflow_peaking_at_or_below_the_soak_is_refused(points):
    # the "peak" state (moisture_peak_C, vapour_pressure_*@peak) would have been the soak's
    with pytest.raises(InputError) as e:
        parse({"soak": "MSL1", "reflow": {"points_s_C": points}})
    assert e.value.key == "moisture.reflow"
    assert "85 °C" in e.value.allowed
    # just above it is a (low) reflow
    ok = parse({"soak": "MSL1", "reflow": {"points_s_C": [[0, 25], [600, 86]]}})
    assert max(T for _, T in ok.reflow.points) == 86.0


@pytest.mark.parametrize(
    ("points", "key", "value"),
    [
        ([[0.0, 25.0], [True, 260.0]], "moisture.reflow.points_s_C[1][0]", True),
        ([["0", 25.0], ["100", 260.0]], "moisture.reflow.points_s_C[0][0]", "0"),
        ([[0.0, 25.0], [100.0, "260"]], "moisture.reflow.points_s_C[1][1]", "260"),
        ([[0.0, 25.0], [100.0, math.nan]], "moisture.reflow.points_s_C[1][1]", None),
    ],
)
def test_profile_points_are_numbers_as_written(points, key, value):
    # a boolean was read as 1 s and "100" as 100 s
    with pytest.raises(InputError) as e:
        parse({"soak": "MSL3", "reflow": {"points_s_C": points}})
    assert e.value.key == key
    if value is not None:
        assert e.value.value == value


def test_profile_errors_are_named_where_they_are_in_the_file():
    # before: "reflow.points", the profile's own name, not the key in the study file
    with pytest.raises(InputError) as e:
        parse({"soak": "MSL3", "reflow": {"points_s_C": [[5, 25], [60, 260]], "name": "ir"}})
    assert e.value.key == "moisture.reflow.points_s_C"
    # 1e12 s in 30-s pieces: refused instead of building 3.3e10 of them
    with pytest.raises(InputError) as e:
        parse({"soak": "MSL3", "reflow": {"points_s_C": [[0, 25], [1e12, 260]]}})
    assert e.value.key == "moisture.reflow.points_s_C"
    assert f"{math.ceil(1e12 / 30):.3g} pieces" in e.value.value


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("D0_m2_per_s", 2.0),
        ("D0_m2_per_s", 0.0),  # a permeable material needs D0 > 0
        ("Ea_J_per_mol", 1e30),
        ("Csat_kg_per_m3", 1e30),
        ("Csat_kg_per_m3", 0.0),
        ("RH_ref", 0.0),
        ("Es_J_per_mol", 1e30),
        ("CME_m3_per_kg", 1.0),
        # with D0, Csat given: the contradiction is named at the key that holds it, the
        # table's D0 (impermeable = true alone is a complete table)
        ("impermeable", True),
    ],
)
def test_material_table_errors_name_the_study_file_key(name, value):
    # before: "moisture.encapsulant.<name>" (MoistureProperties' key) for these values
    with pytest.raises(InputError) as e:
        parse({"soak": "MSL3", "materials": {"encapsulant": table(**{name: value})}})
    named = "D0_m2_per_s" if name == "impermeable" else name
    assert e.value.key == f"moisture.materials.encapsulant.{named}"


def test_a_negative_heat_of_solution_is_accepted_as_in_python():
    # MoistureProperties takes Es in [-200, 200] kJ/mol (solubility rising with T); the
    # study file refused every negative value
    m = parse({"soak": "MSL3", "materials": {"encapsulant": table(Es_J_per_mol=-10e3)}})
    enc = m.materials["encapsulant"]
    assert isinstance(enc, MoistureProperties) and enc.Es_J_per_mol == -10e3
    # S(T) rises with T: S(125)/S(85) = exp(Es/R (1/T - 1/T_ref)) > 1 by hand
    R = 8.314462618
    ratio = math.exp(-10e3 / R * (1 / 398.15 - 1 / 358.15))
    assert float(enc.solubility(125.0) / enc.solubility(85.0)) == pytest.approx(ratio, rel=1e-12)


def test_a_misspelt_region_is_refused_not_left_on_its_default():
    # before: "encapsulnt" was ignored and the encapsulant ran as the library compound
    m = parse({"soak": "MSL3", "materials": {"encapsulnt": table()}})
    regions = ["die", "dielectric", "encapsulant", "shell"]
    with pytest.raises(InputError) as e:
        m.region_materials(regions)
    assert e.value.key == "moisture.materials.encapsulnt"
    assert "encapsulant" in e.value.allowed
    # a package region this case's model lacks (no die attach here) stays allowed: a sweep
    # may add and remove it
    m = parse({"soak": "MSL3", "materials": {"die_attach": "die_attach_epoxy"}})
    assert "die_attach" not in m.region_materials(regions)


def test_a_bad_exposed_face_is_named_as_in_the_study_file():
    # before: "exposed.exteriour", solve_moisture's keyword, not the [moisture] key
    mesh = layered_box(
        (0.2e-3, 0.2e-3),
        [("die", 0.1e-3, 1), ("encapsulant", 0.2e-3, 1)],
        0.1e-3,
        order=1,
        faces={"exterior": plane(2, 0.3e-3)},
    )
    sealed = parse({**spec_data(), "materials": {"encapsulant": "copper"}})
    with pytest.raises(InputError) as e:  # before: "moisture_materials"
        moisture_analysis(mesh, sealed)
    assert e.value.key == "moisture.materials"
    spec = parse({"soak": {"T_C": 85, "RH": 0.85, "hours": "inf"}, "exposed": ["exteriour"]})
    with pytest.raises(InputError) as e:
        moisture_analysis(mesh, spec)
    assert (e.value.key, e.value.value) == ("moisture.exposed", "exteriour")
    assert "exterior" in e.value.allowed
    # the right name: saturated at 85 degC / 85 %RH, 6.0 kg/m^3 over the compound's volume
    ok = moisture_analysis(mesh, parse({**spec_data(), "exposed": ["exterior"]}))
    hand = float(get("mold_compound").csat(85.0, 0.85)) * 0.2e-3 * 0.2e-3 * 0.2e-3 * 1e6
    assert ok.metrics["moisture_mg@soak"] == pytest.approx(hand, rel=1e-9)


def spec_data() -> dict:
    return {"soak": {"T_C": 85, "RH": 0.85, "hours": "inf"}, "reflow": "none"}


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"soak": {"T_C": 85, "RH": 85, "hours": 1}}, "moisture.soak.RH"),
        (
            {"soak": "MSL1", "reflow": {"points_s_C": [[0, 25], [60, 260]], "ambient_RH": 85}},
            "moisture.reflow.ambient_RH",
        ),
        (
            {"soak": "MSL1", "materials": {"encapsulant": table(RH_ref=85)}},
            "moisture.materials.encapsulant.RH_ref",
        ),
    ],
)
def test_a_humidity_in_percent_is_refused_with_the_fraction_it_meant(data, key):
    with pytest.raises(InputError) as e:
        parse(data)
    assert (e.value.key, e.value.value) == (key, 85)
    assert "0.85 for 85 %RH" in e.value.allowed
    # below 0 or above 100 no hint: not a percentage
    with pytest.raises(InputError) as e:
        parse({"soak": {"T_C": 85, "RH": 150, "hours": 1}})
    assert "%RH" not in e.value.allowed
