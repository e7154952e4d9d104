"""The ``[cycling]`` and ``[fatigue]`` sections: good inputs give the profile and options
written out by hand; each bad input raises an InputError naming its key."""

from __future__ import annotations

import pytest

from fea.errors import InputError
from fea.package.spec.cycling import parse_cycling, parse_fatigue
from fea.package.spec.reader import Section
from fea.physics.fatigue import PSI, DarveauxConstants


def cyc(**kw):
    return parse_cycling(Section(kw, "cycling"))


def fatg(**kw):
    return parse_fatigue(Section(kw, "fatigue"))


def test_condition_g_defaults():
    p = cyc(condition="g").profile
    assert (p.condition, p.t_min_C, p.t_max_C) == ("JESD22-A104 G", -40.0, 125.0)
    assert (p.cycles, p.ramp_K_per_min, p.dwell_s, p.stress_free_C) == (3, 10.0, 900.0, 217.0)
    # 2 x 165 K at 10 K/min = 1980 s of ramps, two 900 s dwells
    assert p.period_s == 3780.0
    assert p.cycles == 3 and p.condition == "JESD22-A104 G"
    # 217 -> -40 degC at 10 K/min: 1542 s
    assert p.points[1] == (pytest.approx(1542.0), -40.0)


def test_explicit_range_dwell_and_options():
    s = cyc(
        t_min_C=0,
        t_max_C=100,
        cycles=2,
        ramp_K_per_min=20,
        dwell_s=60,
        stress_free_C=25,
        first="hot",
        ramp_points=3,
    )
    p = s.profile
    assert (p.t_min_C, p.t_max_C, p.dwell_s, p.first, p.stress_free_C) == (0, 100, 60, "hot", 25)
    assert p.period_s == 2 * 100 / 20 * 60 + 2 * 60
    # 1 start + 3 pieces to the first extreme + 2 cycles x (2 ramps x 3 + 2 dwells x 6 pieces)
    assert len(p.points) == 1 + 3 + 2 * (2 * 3 + 2 * 6)
    assert cyc(condition="K", soak_mode=1).profile.dwell_s == 60.0
    assert cyc(condition="TC1").profile.dwell_s == 600.0  # IPC-9701 default 10 min
    assert cyc(condition="TC3", soak_mode=2).profile.dwell_s == 300.0
    assert parse_cycling(Section({}, "cycling")) is None


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"condition": "Z"}, "cycling.condition"),
        ({"condition": 7}, "cycling.condition"),
        ({"condition": "G", "t_min_C": 0}, "cycling.condition"),
        ({"t_min_C": 0}, "cycling.t_max_C"),
        ({"t_max_C": 100}, "cycling.t_min_C"),
        ({"t_min_C": 100, "t_max_C": 0}, "cycling.t_max_C"),
        ({"t_min_C": -300, "t_max_C": 0}, "cycling.t_min_C"),
        ({"condition": "G", "cycles": 0}, "cycling.cycles"),
        ({"condition": "G", "cycles": 1000}, "cycling.cycles"),
        ({"condition": "G", "cycles": 2.5}, "cycling.cycles"),
        ({"condition": "G", "ramp_K_per_min": 0}, "cycling.ramp_K_per_min"),
        ({"condition": "G", "soak_mode": 5}, "cycling.soak_mode"),
        ({"condition": "G", "soak_mode": True}, "cycling.soak_mode"),
        ({"condition": "G", "soak_mode": 4, "dwell_s": 10}, "cycling.soak_mode"),
        ({"condition": "G", "dwell_s": -1}, "cycling.dwell_s"),
        ({"condition": "G", "stress_free_C": "hot"}, "cycling.stress_free_C"),
        ({"condition": "G", "first": "warm"}, "cycling.first"),
        ({"condition": "G", "ramp_points": 0}, "cycling.ramp_points"),
        ({"condition": "G", "cycle": 3}, "cycling.cycle"),
    ],
)
def test_bad_cycling_inputs_name_their_key(section, key):
    with pytest.raises(InputError) as err:
        cyc(**section)
    assert err.value.key == key


def test_fatigue_defaults_and_options():
    f = fatg()
    assert f.layer_thickness_m == pytest.approx(25e-6)
    assert (f.side, f.pad_diameter_m, f.models) == ("board", None, ("darveaux", "syed"))
    o = f.options()
    assert o.darveaux == "SnPb_Darveaux2000_25um" and o.syed == "SAC_Syed2004"
    assert o.engelmaier is None
    f = fatg(
        layer_thickness_um=25.4,
        side="package",
        pad_diameter_mm=0.35,
        models=["engelmaier"],
        delta_alpha_ppm_per_K=10,
    )
    assert f.pad_diameter_m == pytest.approx(0.35e-3)
    assert f.delta_alpha == pytest.approx(10e-6)
    o = f.options()
    assert o.darveaux is None and o.syed is None
    assert o.engelmaier == {"delta_alpha": pytest.approx(10e-6), "factor": 1.0}
    assert o.side == "package" and o.layer_thickness == pytest.approx(25.4e-6)
    c = fatg(
        darveaux={
            "K1": 22400,
            "K2": -1.52,
            "K3": 5.86e-7,
            "K4": 0.98,
            "energy_unit_Pa": PSI,
            "length_unit_m": 0.0254,
            "thickness_um": 25.4,
        }
    )
    assert isinstance(c.darveaux, DarveauxConstants)
    assert c.darveaux.thickness == pytest.approx(25.4e-6) and c.darveaux.K1 == 22400


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"layer_thickness_um": 0}, "fatigue.layer_thickness_um"),
        ({"layer_thickness_um": 5000}, "fatigue.layer_thickness_um"),
        ({"side": "top"}, "fatigue.side"),
        ({"pad_diameter_mm": -0.4}, "fatigue.pad_diameter_mm"),
        ({"darveaux": "SAC_2002"}, "fatigue.darveaux"),
        ({"darveaux": {"K1": 1.0}}, "fatigue.darveaux.K2"),
        (
            {"darveaux": {"K1": 1, "K2": 1, "K3": 1, "K4": 1, "thickness_um": 25, "x": 1}},
            "fatigue.darveaux.x",
        ),
        ({"models": ["coffin"]}, "fatigue.models"),
        ({"models": ["syed", "syed"]}, "fatigue.models"),
        ({"models": ["engelmaier"]}, "fatigue.delta_alpha_ppm_per_K"),
        ({"delta_alpha_ppm_per_K": 0}, "fatigue.delta_alpha_ppm_per_K"),
        ({"layers": 1}, "fatigue.layers"),
    ],
)
def test_bad_fatigue_inputs_name_their_key(section, key):
    with pytest.raises(InputError) as err:
        fatg(**section)
    assert err.value.key == key


def test_engelmaiers_factor_is_a_key():
    """Engelmaier's F (IPC-D-279: 1 for leadless parts, 0.7-1.2 for others) was fixed at 1:
    ``engelmaier_factor`` reaches the model, its strain range in proportion, and is
    bounded as the model bounds it."""
    from fea.physics import fatigue as fat

    base = dict(condition="G", models=["engelmaier"], delta_alpha_ppm_per_K=7.0)
    assert cyc(**base).fatigue.engelmaier_factor == 1.0
    spec = cyc(**base, engelmaier_factor=0.7)
    given = spec.fatigue.options().engelmaier
    assert given == {"delta_alpha": 7e-6, "factor": 0.7}
    geo = dict(dnp=6.2e-3, delta_T=165.0, height=0.3e-3)
    g7 = fat.engelmaier_shear_strain(**geo, **given)
    g1 = fat.engelmaier_shear_strain(**geo, delta_alpha=7e-6)
    assert g7 == pytest.approx(0.7 * g1, rel=1e-12)
    for bad in (0.2, 2.0, float("nan")):
        with pytest.raises(InputError) as e:
            cyc(**base, engelmaier_factor=bad)
        assert e.value.key == "cycling.engelmaier_factor"
