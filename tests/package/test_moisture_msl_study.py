"""A study's ``[moisture]`` answers as a reliability engineer qualifying to J-STD-020 reads
them: the body's classification temperature against the reflow the study runs, the
table's units (mg, MPa) against hand numbers, and the keys a user can get wrong, each
refused naming the key, the value and what is allowed."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from fea.errors import InputError
from fea.package.analyse import warpage_case
from fea.package.meshing import build_mesh
from fea.package.moisture import body_classification, moisture_analysis
from fea.package.names import Column
from fea.package.spec import parse_study
from fea.package.spec.moisture import parse_moisture
from fea.package.spec.reader import Section
from fea.physics.moisture import REFLOW_PRESETS
from fea.physics.moisture_data import get, p_sat

from .test_moisture_case import msl_case_raw as msl_raw


def msl_study_raw(**moisture) -> dict:
    """studies/msl.toml on a small linear mesh (test_moisture_case's, ``[mesh] size_mm =
    1.5``)."""
    raw = msl_raw(**moisture)
    raw["mesh"]["size_mm"] = 1.5
    return raw


@pytest.fixture(scope="module")
def msl():
    case = parse_study(msl_study_raw()).base
    mesh, _ = build_mesh(warpage_case(case))
    return case, mesh


def test_the_msl_study_reflows_its_body_at_its_classification_temperature(msl):
    """studies/msl.toml's body (10.47 mm square, 0.685 mm thick, 75 mm^3 without its
    balls) is in J-STD-020E Table 4-2's first row and column: T_c = 260 degC, the peak of
    the reflow the study runs (Table 4-1 would give 235 degC for SnPb)."""
    case, mesh = msl
    body = body_classification(mesh)
    assert body.thickness_mm == pytest.approx(0.685, abs=1e-9)
    assert body.volume_mm3 == pytest.approx(75.09, abs=0.01)
    assert body.T_c == 260.0
    assert max(T for _, T in case.moisture.reflow.points) == body.T_c
    assert case.moisture.reflow is REFLOW_PRESETS["JSTD020_PbFree_260"]
    assert body_classification(mesh, "SnPb").T_c == 235.0
    # a quarter model of the same body: the full body's volume
    assert body_classification(mesh, share=0.25).volume_mm3 == pytest.approx(4 * 75.09, abs=0.04)
    with pytest.raises(InputError) as e:
        body_classification(mesh, share=0.0)
    assert e.value.key == "share"


def test_a_thick_large_body_is_classified_lower_and_has_its_preset(msl):
    """The same body 2 mm thick and 5x as large (J-STD-020E Table 4-2: 1.6-2.5 mm and
    350-2000 mm^3) is classified at 250 degC, and a study can name that reflow: its
    vapour pressures are taken at 250 degC."""
    _, mesh = msl

    f = np.array([2.2, 2.2, 2.0 / 0.685])  # x, y and z scales
    scaled = SimpleNamespace(
        regions=mesh.regions,
        p1=SimpleNamespace(p=mesh.p1.p * f[:, None], t=mesh.p1.t),
        element_volumes=lambda: mesh.element_volumes() * f.prod(),
    )
    body = body_classification(scaled)
    assert body.thickness_mm == pytest.approx(2.0)
    assert 350.0 < body.volume_mm3 < 2000.0
    assert body.T_c == 250.0
    spec = parse_study(msl_study_raw(soak="MSL3", reflow="JSTD020_PbFree_250")).base.moisture
    assert max(T for _, T in spec.reflow.points) == 250.0
    # the study's own body (260 degC class) reflowed at 250: the case says it is milder
    with pytest.warns(UserWarning, match=r"peaks at 250 C, below .* 260 C .*JSTD020_PbFree_260"):
        ma = moisture_analysis(mesh, spec)
    assert ma.metrics["moisture_peak_C"] == 250.0
    p_250 = float(p_sat(250.0)) / 1e6  # 3.976 MPa
    p = [v for k, v in ma.metrics.items() if k.startswith("vapour_pressure_max_MPa@peak:")]
    assert 0.0 < max(p) <= p_250


def test_a_reflow_at_the_classification_temperature_gives_no_note(msl, recwarn):
    """The study's own preset (260 degC, its body's class) and the SnPb preset of the SnPb
    class (235 degC for this body, Table 4-1) are what J-STD-020 asks: no note."""
    _, mesh = msl
    for reflow in ("JSTD020_PbFree_260", "JSTD020_SnPb_235"):
        spec = parse_study(msl_study_raw(soak="MSL3", reflow=reflow)).base
        moisture_analysis(mesh, spec.moisture)
    assert not [w for w in recwarn if "classification temperature" in str(w.message)]
    with pytest.warns(UserWarning, match=r"SnPb_220 peaks at 220 C, below .* 235 C"):
        moisture_analysis(
            mesh, parse_study(msl_study_raw(soak="MSL3", reflow="JSTD020_SnPb_220")).base.moisture
        )


def test_the_table_is_in_mg_and_mpa_by_hand(msl):
    """A body saturated at 85 degC / 85 %RH (MSL1 run to equilibrium) holds Csat x V of
    water in each region, tabulated in mg (kg x 1e6); at the 260 degC peak the interface
    pressures are tabulated in MPa, the compound's largest at the Henry value of its soaked
    water with none lost, ``w p_sat`` = (6.0 / C_sat(260)) x 4.692 MPa = 4.043 MPa, within
    1 % (measured 4.049 on ``die|encapsulant`` and 4.048 on ``encapsulant|shell``, 0.15 %
    above it: the compound's largest concentration at the peak is 6.17 kg/m^3 against
    the 6.0 soaked, water the drying polyimide gives it and the short steps' overshoot,
    docs/moisture.md, Limitations), none above p_sat(260 degC)."""
    case, mesh = msl
    spec = parse_study(msl_study_raw(soak={"T_C": 85.0, "RH": 0.85, "hours": "inf"})).base.moisture
    ma = moisture_analysis(mesh, spec)
    vol = mesh.element_volumes()
    for region, name in (("encapsulant", "mold_compound"), ("die_attach", "die_attach_epoxy")):
        hand = float(get(name).csat(85.0, 0.85)) * vol[mesh.regions[region]].sum() * 1e6
        assert ma.metrics[f"moisture_mg@soak:{region}"] == pytest.approx(hand, rel=1e-6)
    assert ma.metrics["moisture_mg@soak:encapsulant"] == pytest.approx(0.3239, abs=1e-4)
    bound = 6.0 / float(get("mold_compound").csat(260.0)) * float(p_sat(260.0)) / 1e6
    assert bound == pytest.approx(4.043, abs=1e-3)
    p = {k: v for k, v in ma.metrics.items() if k.startswith("vapour_pressure_max_MPa@peak:")}
    for iface in ("encapsulant|shell", "die|encapsulant"):
        assert p[f"vapour_pressure_max_MPa@peak:{iface}"] == pytest.approx(bound, rel=1e-2)
    assert all(0.0 <= v <= float(p_sat(260.0)) / 1e6 for v in p.values())
    # the units the plots and tables read off the column names
    units = {Column.parse(k).metric: Column.parse(k).unit for k in ma.metrics}
    assert units == {
        "moisture_mg": "mg",
        "moisture_peak_C": "°C",
        "vapour_pressure_max_MPa": "MPa",
        "vapour_pressure_mean_MPa": "MPa",
    }


def parse(data: dict):
    return parse_moisture(Section(data, "moisture"))


SOAK = {"T_C": 85.0, "RH": 0.85, "hours": 168.0}


@pytest.mark.parametrize(
    ("data", "key", "value"),
    [
        ({"soak": {**SOAK, "RH": 1.01}}, "moisture.soak.RH", 1.01),
        ({"soak": {**SOAK, "RH": 85}}, "moisture.soak.RH", 85),
        ({"soak": {**SOAK, "RH": -0.1}}, "moisture.soak.RH", -0.1),
        ({"soak": {**SOAK, "RH": math.nan}}, "moisture.soak.RH", math.nan),
        ({"soak": {**SOAK, "RH": "85 %"}}, "moisture.soak.RH", "85 %"),
        ({"soak": {**SOAK, "T_C": math.nan}}, "moisture.soak.T_C", math.nan),
        ({"soak": {**SOAK, "T_C": -5.0}}, "moisture.soak.T_C", -5.0),
        ({"soak": {**SOAK, "hours": 0}}, "moisture.soak.hours", 0),
        ({"soak": {**SOAK, "hours": math.nan}}, "moisture.soak.hours", math.nan),
        ({"soak": {**SOAK, "hours": 1e7}}, "moisture.soak.hours", 1e7),
        ({"soak": {**SOAK, "hours": "forever"}}, "moisture.soak.hours", "forever"),
        ({"soak": {**SOAK, "time_h": 168.0}}, "moisture.soak.time_h", 168.0),
        ({"soak": "MSL6"}, "moisture.soak", "MSL6"),
        ({"soak": "MSL7"}, "moisture.soak", "MSL7"),
        ({"soak": "msl3"}, "moisture.soak", "msl3"),
        ({"soak": {**SOAK, "T_C": 265.0}}, "moisture.reflow", "a peak of 260 °C"),
        ({"soak": "MSL3", "reflow": "JSTD020_PbFree_240"}, "moisture.reflow", "JSTD020_PbFree_240"),
        (
            {"soak": "MSL3", "reflow": {"points_s_C": [[0, 25], [60, math.nan]]}},
            "moisture.reflow.points_s_C[1][1]",  # the point's value itself
            math.nan,
        ),
        (
            {"soak": "MSL3", "materials": {"encapsulant": "epoxy_x"}},
            "moisture.materials.encapsulant",
            "epoxy_x",
        ),
        (
            {"soak": "MSL3", "materials": {"encapsulant": {"Csat_kg_per_m3": 5.0}}},
            "moisture.materials.encapsulant.D0_m2_per_s",
            None,
        ),
    ],
)
def test_a_bad_moisture_key_is_refused_naming_it(data, key, value):
    with pytest.raises(InputError) as e:
        parse(data)
    assert e.value.key == key
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(e.value.value)
    elif isinstance(value, tuple):
        assert str(e.value.value) == str(value)
    else:
        assert e.value.value == value
    assert e.value.allowed


def test_a_region_without_moisture_data_is_refused_naming_it(msl):
    """A region the model has that has no moisture data (no [moisture.materials] entry and
    no default: here a renamed region) is refused at ``moisture.materials.<region>``; a
    misspelt region in the table at its own key."""
    case, mesh = msl
    spec = case.moisture
    regions = [r if r != "encapsulant" else "potting" for r in mesh.regions]
    with pytest.raises(InputError) as e:
        spec.region_materials(regions)
    assert e.value.key == "moisture.materials.potting"
    typo = parse({"soak": "MSL3", "materials": {"encapsulent": "mold_compound"}})
    with pytest.raises(InputError) as e:
        typo.region_materials(list(mesh.regions))
    assert e.value.key == "moisture.materials.encapsulent"


def test_a_region_takes_the_moisture_data_of_the_material_it_is_made_of():
    """The moisture data of a region came from its name alone: a die attach of SAC305
    soaked water as an epoxy, a steel encapsulant as mould compound. A region without a
    ``[moisture.materials]`` entry now takes its library material's (a study's own
    material through its ``base``), then the region's default; an entry still wins."""
    from fea.package.moisture import library_materials

    raw = msl_study_raw()
    raw["moisture"].pop("materials")
    raw["materials"].update(die_attach="sac305", encapsulant="my_steel", dielectric="my_pi")
    raw["materials"]["library"] = {
        "my_steel": {"base": "stainless_steel", "E_GPa": 190.0},
        "my_pi": {"base": "polyimide", "k": 0.3},
    }
    case = parse_study(raw).base
    made_of = library_materials(case)
    assert made_of["die_attach"] == "sac305" and made_of["encapsulant"] == "stainless_steel"
    regions = ["die_attach", "encapsulant", "dielectric", "die", "shell", "terminals"]
    got = case.moisture.region_materials(regions, made_of)
    assert got == {
        "die_attach": "solder",
        "encapsulant": "metal",
        "dielectric": "polyimide",
        "die": "silicon",
        "shell": "copper",
        "terminals": "solder",
    }
    assert case.moisture.region_materials(regions)["die_attach"] == "die_attach_epoxy"
    raw["moisture"]["materials"] = {"die_attach": "die_attach_epoxy"}  # an entry wins
    case = parse_study(raw).base
    assert case.moisture.region_materials(regions, made_of)["die_attach"] == "die_attach_epoxy"


@pytest.mark.parametrize(
    ("key", "value", "hint"),
    [
        ("soak", "MSL6", r"time on the label .* soak = \{ T_C = 30, RH = 0.60, hours = <TOL>"),
        ("soak", "msl3", "case-sensitive: 'MSL3'"),
        ("reflow", "jstd020_pbfree_260", "case-sensitive: 'JSTD020_PbFree_260'"),
    ],
)
def test_a_study_files_preset_slip_is_answered_with_what_was_meant(key, value, hint):
    """The study file's soak and reflow names get the Python API's hints: level 6 has no
    preset (the time on the label, given as a table), a preset spelt in another case."""
    with pytest.raises(InputError, match=hint) as e:
        parse_study(msl_study_raw(**{key: value}))
    assert e.value.key == f"moisture.{key}"
