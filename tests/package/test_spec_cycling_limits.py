"""``[cycling]`` inputs a reliability engineer would not sign (a cycle above the solder's
melting range, a stress-free temperature colder than the test, a Darveaux table without its
units), refused when the section is read, naming the key, the value and what is allowed."""

from __future__ import annotations

import math

import pytest

from fea.errors import InputError


def _section(**kw):
    from fea.package.spec.cycling import parse_cycling
    from fea.package.spec.reader import Section

    return parse_cycling(Section({"cycles": 1, **kw}, "cycling"))


@pytest.mark.parametrize(
    ("solder", "t_max", "solidus"),
    [("SAC305_Motalab2012", 300.0, "217"), ("Sn62Pb36Ag2_Wang2001", 200.0, "179")],
)
def test_a_cycle_above_the_solders_solidus_is_refused(solder, t_max, solidus):
    """t_max_C = 300 degC on SAC305 (solidus 217 degC), 200 degC on 62Sn36Pb2Ag (179 degC):
    the joints would be partly liquid at the hot dwell, no Anand set holds there; the
    cycle was accepted and run (the stress-free temperature was already held to the
    solidus, the cycle was not)."""
    with pytest.raises(InputError) as ei:
        _section(t_min_C=-40.0, t_max_C=t_max, stress_free_C=100.0, solder=solder)
    assert ei.value.key == "cycling.t_max_C" and ei.value.value == t_max
    assert solidus in ei.value.allowed and "solidus" in ei.value.allowed


def test_a_cycle_up_to_the_solidus_is_accepted():
    p = _section(t_min_C=-40.0, t_max_C=217.0, stress_free_C=217.0).profile
    assert (p.t_min_C, p.t_max_C) == (-40.0, 217.0)
    # the standard's conditions on SnPb (solidus 179 degC): condition C reaches 150 degC
    p = _section(condition="C", solder="Sn62Pb36Ag2_Wang2001").profile
    assert (p.t_max_C, p.stress_free_C) == (150.0, 179.0)


@pytest.mark.parametrize("T", [-60.0, -273.0])
def test_a_stress_free_temperature_below_the_cold_extreme_is_refused(T):
    """Condition G (-40/+125 degC) stress free at -60 degC or -273 degC: no assembly is
    stress free colder than the coldest point of its test (the joints solidify at the
    solidus, 217 degC); -273 degC was accepted and the history started there."""
    with pytest.raises(InputError) as ei:
        _section(condition="G", stress_free_C=T)
    assert ei.value.key == "cycling.stress_free_C" and ei.value.value == T
    assert "-40" in ei.value.allowed


@pytest.mark.parametrize("T", [-40.0, 25.0, 125.0])
def test_a_stress_free_temperature_inside_the_cycle_is_accepted(T):
    """The documented choice (docs/reliability.md): inside the cycle's range, at either
    extreme included, the profile starts there."""
    p = _section(condition="G", stress_free_C=T).profile
    assert p.stress_free_C == T and p.points[0][1] == T


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cycles", math.nan),
        ("cycles", 0),
        ("cycles", 21),
        ("cycles", 2.5),
        ("ramp_K_per_min", math.inf),
        ("ramp_K_per_min", -10.0),
        ("ramp_K_per_min", 1e-9),  # 1e-9 K/min was taken (a ramp of 300,000 years)
        ("initial_ramp_K_per_min", 1e-3),
        ("dwell_s", -1.0),
        ("dwell_s", math.nan),
        ("stress_free_C", math.nan),
        ("stress_free_C", 1e30),
        ("layer_um", -25.0),
        ("layer_um", math.inf),
        ("delta_alpha_ppm_per_K", 0.0),
        ("pad_diameter_mm", math.nan),
        ("max_step_K", 0.0),
        ("solder", "SAC999"),
        ("darveaux", "SAC_Darveaux2002"),
        ("models", ["darveaux", "coffin"]),
        ("models", ["syed", "syed"]),
        ("side", "top"),
    ],
)
def test_every_bad_cycling_value_names_its_key(key, value):
    with pytest.raises(InputError) as ei:
        _section(condition="G", **{key: value})
    assert ei.value.key == f"cycling.{key}"


def test_a_condition_above_the_solidus_names_the_condition(monkeypatch):
    """A condition whose hot extreme is above the solder's solidus (none of the tables'
    reaches 179 degC: one is added here, 200 degC) is refused naming cycling.condition
    and the value as written."""
    from fea.physics import cycling as phc

    monkeypatch.setitem(phc.JESD22_A104_CONDITIONS, "Z", (-40.0, 200.0))
    with pytest.raises(InputError) as ei:
        _section(condition="Z", solder="Sn62Pb36Ag2_Wang2001")
    assert ei.value.key == "cycling.condition" and ei.value.value == "Z"
    assert "179" in ei.value.allowed


@pytest.mark.parametrize("missing", ["energy_unit_Pa", "length_unit_m"])
def test_a_darveaux_table_without_its_units_is_refused(missing):
    """A table of Darveaux constants took Pa and m for a unit left out, units no published
    set is in (Darveaux 2000: psi and in; others MPa and mm). A MPa/mm set (K1 in
    cycles/MPa^K2, K3 in mm/(cycle MPa^K4)) without its units gave, at dW = 0.32 MJ/m^3,
    N0 = K1 x 320,000^K2 instead of K1 x 0.32^K2: here 2,240 x 0.32^-1.52 = 12,660 cycles
    against 2,240 x 320,000^-1.52 = 1e-5. Now both units are required."""
    table = {
        "K1": 2240.0,
        "K2": -1.52,
        "K3": 1e-3,
        "K4": 1.0,
        "energy_unit_Pa": 1e6,
        "length_unit_m": 1e-3,
        "thickness_um": 25.0,
    }
    ok = _section(condition="G", darveaux=dict(table)).fatigue.darveaux
    assert (ok.energy_unit, ok.length_unit) == (1e6, 1e-3)
    del table[missing]
    with pytest.raises(InputError) as ei:
        _section(condition="G", darveaux=table)
    assert ei.value.key == f"cycling.darveaux.{missing}"
    assert "required" in ei.value.allowed
