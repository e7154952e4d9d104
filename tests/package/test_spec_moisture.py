"""The ``[moisture]`` section: presets, custom soak and reflow, materials, and every bad
value refused at its key."""

from __future__ import annotations

import math

import pytest

from fea.errors import InputError
from fea.package.spec.moisture import DEFAULT_REGION_MOISTURE, parse_moisture
from fea.package.spec.reader import Section
from fea.physics.moisture import MSL_PRESETS, REFLOW_PRESETS
from fea.physics.moisture_data import MoistureProperties


def parse(data: dict):
    return parse_moisture(Section(data, "moisture"))


def test_absent_section_is_none():
    assert parse({}) is None


def test_presets_and_defaults():
    m = parse({"soak": "MSL3"})
    assert m.soak == MSL_PRESETS["MSL3"]
    assert (m.soak.T_C, m.soak.RH, m.soak.hours) == (30.0, 0.6, 192.0)  # J-STD-020E
    assert m.reflow == REFLOW_PRESETS["JSTD020_PbFree_260"]
    assert m.exposed == ("exterior",)
    assert (m.outputs, m.vapour_model, m.void_fraction, m.swelling) == (30, "henry", 0.05, True)
    mats = m.region_materials(["die", "encapsulant", "dielectric", "shell"])
    assert mats == {r: DEFAULT_REGION_MOISTURE[r] for r in mats}


def test_custom_soak_reflow_and_material():
    m = parse(
        {
            "soak": {"T_C": 60.0, "RH": 0.6, "hours": 40, "name": "accel"},
            "reflow": {"points_s_C": [[0, 25], [100, 245], [200, 25]], "ambient_RH": 0.5},
            "exposed": "top",
            "swelling": False,
            "materials": {
                "encapsulant": {
                    "D0_m2_per_s": 1e-5,
                    "Ea_J_per_mol": 4e4,
                    "Csat_kg_per_m3": 5,
                    "Es_J_per_mol": 4e4,
                },
                "dielectric": "polyimide",
            },
        }
    )
    assert (m.soak.T_C, m.soak.RH, m.soak.hours, m.soak.name) == (60.0, 0.6, 40.0, "accel")
    assert m.reflow.points[1] == (100.0, 245.0) and m.reflow.ambient_RH == 0.5
    assert m.exposed == ("top",) and m.swelling is False
    enc = m.materials["encapsulant"]
    assert isinstance(enc, MoistureProperties)
    assert (enc.D0_m2_per_s, enc.Ea_J_per_mol, enc.Csat_kg_per_m3) == (1e-5, 4e4, 5.0)
    assert parse({"soak": {"T_C": 85, "RH": 0.85, "hours": "inf"}}).soak.hours == math.inf
    assert parse({"soak": "MSL1", "reflow": "none"}).reflow is None


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"soak": "MSL9"}, "moisture.soak"),
        ({"soak": {"T_C": 30, "RH": 1.5, "hours": 1}}, "moisture.soak.RH"),
        ({"soak": {"T_C": 30, "RH": 0.5, "hours": -1}}, "moisture.soak.hours"),
        ({"soak": {"T_C": 30, "RH": 0.5, "hours": 1, "rh": 2}}, "moisture.soak.rh"),
        ({"soak": "MSL3", "reflow": "hot"}, "moisture.reflow"),
        ({"soak": "MSL3", "reflow": {"points_s_C": [1, 2]}}, "moisture.reflow.points_s_C"),
        ({"soak": "MSL3", "exposed": []}, "moisture.exposed"),
        ({"soak": "MSL3", "outputs": 0}, "moisture.outputs"),
        ({"soak": "MSL3", "outputs": 10_000}, "moisture.outputs"),
        ({"soak": "MSL3", "vapour_model": "steam"}, "moisture.vapour_model"),
        ({"soak": "MSL3", "void_fraction": float("nan")}, "moisture.void_fraction"),
        ({"soak": "MSL3", "swelling": "yes"}, "moisture.swelling"),
        (
            {"soak": "MSL3", "materials": {"encapsulant": "cheese"}},
            "moisture.materials.encapsulant",
        ),
        (
            {
                "soak": "MSL3",
                "materials": {"encapsulant": {"D0_m2_per_s": -1, "Csat_kg_per_m3": 1}},
            },
            "moisture.materials.encapsulant.D0_m2_per_s",
        ),
        ({"soak": "MSL3", "bake": True}, "moisture.bake"),
        ({"reflow": "none"}, "moisture.soak"),
    ],
)
def test_bad_values_name_their_key(data, key):
    with pytest.raises(InputError) as ei:
        parse(data)
    assert ei.value.key == key


def test_a_region_without_moisture_data_is_named():
    m = parse({"soak": "MSL3"})
    with pytest.raises(InputError) as ei:
        m.region_materials(["encapsulant", "board"])
    assert ei.value.key == "moisture.materials.board"


def test_split_p2_reaches_the_diffusion_solve():
    """``[moisture] split_p2`` (default false) reaches ``solve_moisture(split_p2=...)``:
    on a P2 block the split run's reflow keeps the soak's bound (docs/moisture.md) while
    the quadratic one overshoots; a value that is no boolean is refused at its key."""
    from fea.package.moisture import moisture_analysis

    from ..verification.helpers import layered_box, plane

    assert parse({"soak": "MSL3"}).split_p2 is False
    with pytest.raises(InputError, match="moisture.split_p2"):
        parse({"soak": "MSL3", "split_p2": "yes"})
    mesh = layered_box(
        (1e-3, 1e-3),
        [("die", 0.1e-3, 1), ("encapsulant", 0.2e-3, 1)],
        0.2e-3,
        order=2,
        faces={"exterior": plane(2, 0.3e-3)},
    )
    soak = {"T_C": 85.0, "RH": 0.85, "hours": 1e6}
    peaks = {}
    for split in (False, True):
        spec = parse({"soak": soak, "split_p2": split, "outputs": 2})
        res = moisture_analysis(mesh, spec).result
        enc = res.mesh.regions["encapsulant"]
        peaks[split] = max(res.element_concentration(k)[enc].max() for k in range(len(res.times)))
    # 6.0 kg/m^3 soaked in (85 C / 85 %RH); the split run stays within 1 %
    assert peaks[True] < 6.0 * 1.01 < peaks[False]


@pytest.mark.parametrize("left_out", ["Ea_J_per_mol", "Es_J_per_mol"])
def test_a_permeable_material_table_states_both_activation_energies(left_out):
    """A left-out Es (or Ea) was read as 0: Csat (or D) independent of temperature, which
    no polymer is. A compound given 6.0 kg/m^3 at 85 C/85 %RH then held 0.311 kg/m^3 at
    MSL3's 30 C/60 %RH instead of 3.56 (Es = 40 kJ/mol), silently. Now the key is
    required for a permeable material, and its error says what the value is; 0 given
    explicitly is a choice, and an impermeable material needs neither."""
    full = {
        "D0_m2_per_s": 1e-5,
        "Ea_J_per_mol": 4e4,
        "Csat_kg_per_m3": 6.0,
        "Es_J_per_mol": 4e4,
    }
    table = {k: v for k, v in full.items() if k != left_out}
    with pytest.raises(InputError) as e:
        parse({"soak": "MSL3", "materials": {"encapsulant": table}})
    assert e.value.key == f"moisture.materials.encapsulant.{left_out}"
    assert "J/mol" in str(e.value) and "40e3" in str(e.value)
    zero = parse({"soak": "MSL3", "materials": {"encapsulant": {**table, left_out: 0.0}}})
    assert getattr(zero.materials["encapsulant"], left_out) == 0.0
    metal = {"D0_m2_per_s": 0.0, "Csat_kg_per_m3": 0.0, "impermeable": True}
    m = parse({"soak": "MSL3", "materials": {"shell": metal}})
    assert m.materials["shell"].impermeable
    assert (m.materials["shell"].Ea_J_per_mol, m.materials["shell"].Es_J_per_mol) == (0.0, 0.0)


def test_impermeable_alone_is_a_complete_material_table():
    """``impermeable = true`` alone was refused: D0_m2_per_s and Csat_kg_per_m3 were
    required, to be written as zeros. It now says it all; a contradictory table (a
    nonzero D0, Csat or CME beside it) is refused at that key, naming its value."""
    m = parse({"soak": "MSL3", "materials": {"shell": {"impermeable": True}}})
    shell = m.materials["shell"]
    assert shell.impermeable
    assert (shell.D0_m2_per_s, shell.Csat_kg_per_m3, shell.CME_m3_per_kg) == (0.0, 0.0, 0.0)
    for key, value in (("D0_m2_per_s", 1e-12), ("Csat_kg_per_m3", 2.0), ("CME_m3_per_kg", 1e-4)):
        with pytest.raises(InputError) as e:
            parse({"soak": "MSL3", "materials": {"shell": {"impermeable": True, key: value}}})
        assert e.value.key == f"moisture.materials.shell.{key}"
        assert e.value.value == value
        assert "impermeable = true" in str(e.value) and "0 or left out" in str(e.value)
    # a permeable table still needs both
    with pytest.raises(InputError) as e:
        parse({"soak": "MSL3", "materials": {"encapsulant": {"Csat_kg_per_m3": 6.0}}})
    assert e.value.key == "moisture.materials.encapsulant.D0_m2_per_s"
