"""Spec validation: every bad input gives an InputError naming its key path."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest

from fea.errors import InputError
from fea.package.spec import load_study, parse_study

GOOD = {
    "study": {"name": "t", "kind": "unit"},
    "geometry": {
        "cavity_mm": [10.0, 10.0],
        "cavity_depth_mm": 0.6,
        "shell_thickness_um": 35,
        "die": {"size_mm": [6.0, 6.0], "thickness_mm": 0.3},
        "openings": {"kind": "slots", "count": 4, "width_mm": 0.5, "height_mm": 0.2, "z0_mm": 0.15},
        "terminals": {"kind": "balls", "pitch_mm": 0.8, "rows": 12, "cols": 12},
    },
    "mesh": {"size_mm": 0.5, "order": 2},
    "materials": {"shell": "copper"},
    "loads": {"power_W": {"die": 1.5}},
}


def with_change(path: str, value):
    d = copy.deepcopy(GOOD)
    cur = d
    parts = path.split(".")
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    cur[parts[-1]] = value
    return d


def test_good_spec_si_units():
    s = parse_study(GOOD)
    g = s.base.geometry
    assert g.cavity == pytest.approx((0.01, 0.01))
    assert g.shell_thickness == pytest.approx(35e-6)
    assert g.die == pytest.approx((6e-3, 6e-3, 0.3e-3))
    assert s.base.materials["shell"].name == "copper"
    assert s.base.mesh.order == 2


# (path, value, key expected in the message)
BAD = [
    ("geometry.cavity_depht_mm", 0.6, "geometry.cavity_depht_mm"),  # typo
    ("study.knd", "unit", "study.knd"),  # typo
    ("geometry.shell_thickness_um", "thin", "geometry.shell_thickness_um"),  # wrong type
    ("geometry.cavity_depth_mm", float("nan"), "geometry.cavity_depth_mm"),  # NaN
    ("geometry.cavity_depth_mm", float("inf"), "geometry.cavity_depth_mm"),  # inf
    ("geometry.shell_thickness_um", -5, "geometry.shell_thickness_um"),  # negative
    ("geometry.cavity_mm", [10.0, 0.0], "geometry.cavity_mm[1]"),  # zero size
    ("mesh.film_size_mm", 0.0, "mesh.film_size_mm"),  # zero film size
    ("geometry.cavity_mm", [10.0], "geometry.cavity_mm"),  # wrong shape
    ("geometry.die.size_mm", [12.0, 6.0], "geometry.die.size_mm"),  # die > cavity
    ("geometry.die.thickness_mm", 0.7, "geometry.die.thickness_mm"),  # die too thick
    ("geometry.openings.width_mm", 3.0, "geometry.openings.width_mm"),  # too wide
    ("geometry.openings.height_mm", 0.6, "geometry.openings.height_mm"),  # too tall
    ("geometry.openings.kind", "windows", "geometry.openings.kind"),  # unknown kind
    ("geometry.openings.count", 2.5, "geometry.openings.count"),  # non-integer
    ("geometry.terminals.rows", 20, "geometry.terminals"),  # off dielectric
    ("geometry.terminals.pitch_mm", 0.3, "geometry.terminals.pitch_mm"),  # pitch < ball
    ("geometry.shell_thickness_mm", 0.05, "geometry.shell_thickness_um"),  # both units
    ("materials.shell", "coper", "materials.shell"),  # unknown mat
    (
        "materials.library",
        {"x": {"E_GPa": 1.0, "nu": 0.6, "alpha_ppm": 1, "k": 1}},
        "materials.library.x.nu",
    ),  # nu >= 0.5
    (
        "materials.library",
        {"x": {"E_GPa": 1.0, "nu": -1.2, "alpha_ppm": 1, "k": 1}},
        "materials.library.x.nu",
    ),  # nu <= -1
    (
        "materials.library",
        {"x": {"E_GPa": -1.0, "nu": 0.3, "alpha_ppm": 1, "k": 1}},
        "materials.library.x.E_GPa",
    ),  # E < 0
    (
        "materials.library",
        {"x": {"E_GPa": 1.0, "nu": 0.3, "k": 1}},
        "materials.library.x.alpha",
    ),  # missing
    ("mesh.order", 3, "mesh.order"),  # order
    ("mesh.layers_through_thickness", 0, "mesh.layers_through_thickness"),
    ("mesh.size_mm", True, "mesh.size_mm"),  # bool
    ("loads.power_W", {"dye": 1.5}, "loads.power_W.dye"),  # region typo
    ("loads.power_W", {"die": -1.5}, "loads.power_W.die"),  # negative
    ("loads.reference_C", {"encapsulant": -300.0}, "loads.reference_C.encapsulant"),  # < 0 K
    ("solver.backend", "cuda", "solver.backend"),
    ("geometry.openings.sides", {"north": {"count": 2}}, "geometry.openings.sides.north"),
    ("geometry.openings.sides", {"xmin": {"width_mm": 4.0}}, "geometry.openings.sides.xmin"),
    ("geometry.corner_radius_mm", 3.0, "geometry.corner_radius_mm"),
    ("geometry.aperture_rule", "strict", "geometry.aperture_rule"),
    ("outputs.metrics", ["Tj_maks"], "outputs.metrics"),
    ("geometry.board", {"size_mm": [5.0, 5.0]}, "geometry.board.size_mm"),
    ("geometry", "big", "geometry"),
]


@pytest.mark.parametrize(
    ("path", "value", "key"), BAD, ids=[b[0] + "-" + str(i) for i, b in enumerate(BAD)]
)
def test_bad_input_names_key(path, value, key):
    with pytest.raises(InputError) as info:
        parse_study(with_change(path, value))
    assert key in str(info.value), str(info.value)
    assert info.value.key.startswith(key.split("[")[0]) or key in info.value.key


def test_enough_distinct_bad_inputs():
    assert len({b[2] for b in BAD}) >= 20


def test_typo_suggests_key():
    with pytest.raises(InputError, match="did you mean 'cavity_depth_mm'"):
        parse_study(with_change("geometry.cavity_depht_mm", 0.6))


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("cyclng", "cycling"),
        ("moistur", "moisture"),
        ("sweeep", "sweep"),
        ("transent", "transient"),
        ("proces", "process"),
        ("contact", "contacts"),
        ("geometry.boad", "board"),
        ("geometry.via", "vias"),
    ],
)
def test_a_misspelt_optional_section_is_named_with_its_hint(key, meant):
    """An optional section (read only where present) is an allowed key too: its closest
    name is the hint and the list of allowed keys names it."""
    with pytest.raises(InputError) as info:
        parse_study(with_change(key, {"x": 1}))
    text = str(info.value)
    assert f"did you mean {meant!r}" in text
    allowed = text.split("allowed keys: ")[1].split(", ")
    assert meant in allowed
    if "." not in key:
        assert {"cycling", "moisture", "sweep", "process", "ctm", "contacts"} <= set(allowed)


def test_aperture_rule_error():
    d = with_change("geometry.aperture_rule", "error")
    d["geometry"]["frequency_GHz"] = 400.0  # lambda/2 = 0.37 mm < 0.5 mm slot
    with pytest.raises(InputError, match="half the wavelength"):
        parse_study(d)
    d["geometry"]["frequency_GHz"] = 5.0
    a = parse_study(d).base.geometry.aperture()
    assert a["ratio"] == pytest.approx(0.5e-3 / (0.0599584916 / 2))
    assert a["shielding_dB"] == pytest.approx(20 * __import__("math").log10(0.0599584916 / 1e-3))


def test_user_material_with_tables_and_base():
    d = copy.deepcopy(GOOD)
    d["materials"] = {
        "encapsulant": "my_emc",
        "shell": "thick_cu",
        "library": {
            "my_emc": {
                "E_GPa": {"T_C": [25, 150], "values": [20, 2]},
                "nu": 0.3,
                "alpha_ppm": 10,
                "k": 0.9,
                "Tg_C": 140,
            },
            "thick_cu": {"base": "copper", "E_GPa": 125},
        },
    }
    s = parse_study(d)
    assert s.base.materials["encapsulant"].youngs(87.5) == pytest.approx(11e9)
    assert s.base.materials["shell"].E == pytest.approx(125e9)
    assert s.base.materials["shell"].k == 390.0


def test_a_zero_or_negative_expansion_is_a_material_too():
    """alpha_ppm of 0 (a zero-CTE idealisation) or below (a negative-CTE filler), as a
    number or a table, was refused as 'a positive number' where fea.Material takes down to
    -1e-3 /K; below -1000 ppm/K, or NaN, is still refused at the key."""
    d = copy.deepcopy(GOOD)
    d["materials"] = {
        "encapsulant": "low",
        "shell": "flat",
        "library": {
            "low": {"base": "mold_compound", "alpha_ppm": {"T_C": [-50, 150], "values": [-2, 1]}},
            "flat": {"base": "copper", "alpha_ppm": 0.0},
        },
    }
    m = parse_study(d).base.materials
    assert m["encapsulant"].alpha.values == pytest.approx((-2e-6, 1e-6))
    assert m["shell"].alpha == 0.0
    for bad in (-2000.0, math.nan):
        d["materials"]["library"]["flat"]["alpha_ppm"] = bad
        with pytest.raises(InputError, match="materials.library.flat.alpha_ppm"):
            parse_study(d)


def test_properties_in_place_of_a_material_name_say_how_to_sweep_them():
    """``materials.die.E_GPa`` (a property where the region takes a material name, e.g. a
    sweep of it) is refused naming the library entry to define and the key to sweep; it
    said only "a string". The advertised way works."""
    d = copy.deepcopy(GOOD)
    d["sweep"] = {"kind": "grid", "parameters": {"materials.die.E_GPa": [150.0, 170.0]}}
    with pytest.raises(InputError) as e:
        parse_study(d)
    assert e.value.key.endswith("-> materials.die")  # reached through the sweep
    assert "materials.library.<name>.<property>" in str(e.value) and 'base = "silicon"' in str(
        e.value
    )
    d = copy.deepcopy(GOOD)
    d["materials"] = {"die": "si_var", "library": {"si_var": {"base": "silicon"}}}
    d["sweep"] = {"kind": "grid", "parameters": {"materials.library.si_var.E_GPa": [150.0, 170.0]}}
    cases = [c for _, _, c in parse_study(d).cases()]
    assert [c.materials["die"].E for c in cases] == pytest.approx([150e9, 170e9])


def test_solver_method_amg_xp_from_a_study():
    """``amg-xp`` (what auto takes for large elasticity) can be asked for in a study; on
    the GPU backend it is refused naming the device's own AMG."""
    d = copy.deepcopy(GOOD)
    d["solver"] = {"method": "amg-xp"}
    assert parse_study(d).base.solver.method == "amg-xp"
    d["solver"] = {"method": "amg-xp", "backend": "gpu"}
    with pytest.raises(InputError, match="method = 'amg'") as e:
        parse_study(d)
    assert e.value.key == "solver.method"


def test_pillar_gaps_are_as_tall_as_the_wall_in_the_aperture_rule():
    """A pillar wall's gaps run the cavity's full depth (0.6 mm here): the aperture rule
    took the slot ``height`` (0.2 mm by default, not used by pillars), so 0.4 mm gaps were
    rated L = 0.4 mm and 3.5 dB too well shielded."""
    import math

    d = copy.deepcopy(GOOD)
    d["geometry"]["openings"] = {"kind": "pillars", "count": 4, "width_mm": 0.4}
    a = parse_study(d).base.geometry.aperture()
    lam = 0.0599584916  # 5 GHz
    assert a["L"] == pytest.approx(0.6e-3)
    assert a["shielding_dB"] == pytest.approx(20 * math.log10(lam / 1.2e-3))


def test_shielding_of_several_openings_in_a_wall():
    """n equal openings within half a wavelength of each other: 10 log10(n) less than one
    (Ott 2009); farther apart only those within lambda/2 count; closed walls shield."""
    import math

    d = copy.deepcopy(GOOD)  # 4 slots of 0.5 x 0.2 mm per 10 mm wall, 5 GHz
    a = parse_study(d).base.geometry.aperture()
    assert a["apertures"] == 4
    assert a["shielding_array_dB"] == pytest.approx(a["shielding_dB"] - 10 * math.log10(4))
    d["geometry"]["frequency_GHz"] = 40.0  # lambda/2 = 3.75 mm: 1 mm pitch, 4 within it
    d["geometry"]["openings"]["count"] = 10
    a = parse_study(d).base.geometry.aperture()
    assert a["apertures"] == 4
    assert a["shielding_array_dB"] == pytest.approx(a["shielding_dB"] - 10 * math.log10(4))
    d["geometry"]["openings"] = {"kind": "none"}
    a = parse_study(d).base.geometry.aperture()
    assert a["apertures"] == 0 and a["shielding_array_dB"] == math.inf


def test_sweep_grid_and_random():
    d = copy.deepcopy(GOOD)
    d["sweep"] = {
        "kind": "grid",
        "parameters": {
            "geometry.shell_thickness_um": [20, 35],
            "geometry.openings.width_mm": [0.3, 0.5, 0.7],
        },
    }
    cases = list(parse_study(d).cases())
    assert len(cases) == 6
    assert cases[-1][2].geometry.openings["xmin"].width == pytest.approx(0.7e-3)
    d["sweep"] = {
        "kind": "random",
        "n": 5,
        "seed": 3,
        "parameters": {"geometry.shell_thickness_um": [20.0, 50.0]},
    }
    a = [c[1] for c in parse_study(d).cases()]
    b = [c[1] for c in parse_study(d).cases()]
    assert a == b and len(a) == 5
    assert all(20.0 <= c["geometry.shell_thickness_um"] <= 50.0 for c in a)


def test_sweep_bad_value_reported_before_running():
    d = copy.deepcopy(GOOD)
    d["sweep"] = {"kind": "grid", "parameters": {"geometry.shell_thickness_um": [35, -1]}}
    with pytest.raises(InputError, match="geometry.shell_thickness_um"):
        parse_study(d)


def test_sweep_error_names_the_parameter_it_comes_from():
    # the probe of the first parameter carries the second's first value: the error is the
    # second's, and must not be reported under the first one's name
    d = copy.deepcopy(GOOD)
    d["sweep"] = {
        "kind": "grid",
        "parameters": {
            "geometry.shell_thickness_um": [35.0],
            "loads.power_W": [{"nonexistent": 1.0}],
        },
    }
    with pytest.raises(InputError) as err:
        parse_study(d)
    assert err.value.key == "sweep.parameters.loads.power_W[0] -> loads.power_W.nonexistent"
    assert "shell_thickness" not in str(err.value)


def test_transient_output_grid_must_resolve_every_decade():
    d = copy.deepcopy(GOOD)
    # 1e-6 s to 1e4 s: ten decades, so at least 100 outputs
    d["transient"] = {"duration_s": 1e4, "first_output_s": 1e-6, "outputs": 99}
    with pytest.raises(InputError) as err:
        parse_study(d)
    assert err.value.key == "transient.outputs" and "at least 100" in str(err.value)
    d["transient"]["outputs"] = 100
    assert parse_study(d).base.transient.outputs == 100


def test_load_study_bad_toml(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[geometry\ncavity_mm = 3")
    with pytest.raises(InputError, match="valid TOML"):
        load_study(p)
    with pytest.raises(InputError, match="readable file"):
        load_study(tmp_path / "missing.toml")


def test_defaults_are_si():
    g = parse_study({}).base.geometry
    assert g.cavity == pytest.approx((0.01, 0.01))
    assert g.die == pytest.approx((6e-3, 6e-3, 0.3e-3))
    assert g.frequency == pytest.approx(5e9)
    assert g.z_top == pytest.approx(0.685e-3)


# -- [process] and viscoelastic materials ---------------------------------------------


def with_process(**process):
    d = copy.deepcopy(GOOD)
    d["loads"]["reflow_C"] = [25.0, 260.0, 25.0]
    d["process"] = {
        "reflow_time_s": [0.0, 100.0, 200.0],
        "stages": [
            {"name": "load", "duration_s": 0.0, "temperature_C": 175.0},
            {
                "name": "mould",
                "duration_s": 120.0,
                "temperature_C": 175.0,
                "add": ["encapsulant"],
                "cure": ["encapsulant"],
            },
            {"name": "cooled", "duration_s": 300.0, "temperature_C": 25.0},
        ],
        **process,
    }
    return d


def test_process_section():
    p = parse_study(with_process()).base.process
    assert p.model == "history" and [s.name for s in p.stages] == ["load", "mould", "cooled"]
    assert p.stages[1].add == ("encapsulant",) and p.stages[1].duration == 120.0
    assert p.reflow_times == (0.0, 100.0, 200.0) and p.max_step_K == 10.0
    assert parse_study(GOOD).base.process is None


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"model": "hystory"}, "process.model"),
        ({"reflow_time_s": [0.0, 100.0]}, "process.reflow_time_s"),
        ({"reflow_time_s": [0.0, 200.0, 100.0]}, "process.reflow_time_s"),
        ({"max_step_K": 0.0}, "process.max_step_K"),
        ({"stages": [{"name": "a", "duration_s": -1.0, "temperature_C": 25.0}]}, "duration_s"),
        (
            {"stages": [{"name": "a", "duration_s": 0.0, "temperature_C": 25.0, "add": ["dye"]}]},
            "process.stages[0].add",
        ),
        (
            {
                "stages": [
                    {"name": "a", "duration_s": 0.0, "temperature_C": 25.0},
                    {"name": "b", "duration_s": 1.0, "temperature_C": 25.0, "add": ["board"]},
                ]
            },
            "process.stages[1].add",
        ),  # the history's unit has no board
        (
            {"stages": [{"name": "a", "duration_s": 0.0, "temperature_C": 25.0, "add": ["die"]}]},
            "process.stages[0].add",
        ),  # nothing is born at the start
        (
            {
                "stages": [
                    {"name": "a", "duration_s": 0.0, "temperature_C": 25.0},
                    {"name": "a", "duration_s": 1.0, "temperature_C": 25.0},
                ]
            },
            "process.stages[1].name",
        ),
        (
            {"stages": [{"name": "a", "duration_s": 0.0, "temperature_C": 25.0, "colour": 1}]},
            "process.stages[0].colour",
        ),
        ({"unknown": 1}, "process.unknown"),
    ],
)
def test_bad_process_names_its_key(change, key):
    with pytest.raises(InputError) as e:
        parse_study(with_process(**change))
    assert key in str(e.value)


def test_user_viscoelastic_material():
    d = copy.deepcopy(GOOD)
    d["materials"] = {
        "encapsulant": "emc",
        "library": {
            "emc": {
                "E_GPa": 20.0,
                "nu": 0.3,
                "alpha_ppm": 10.0,
                "k": 0.8,
                "relaxation": {"g": [0.5, 0.4], "tau_s": [1.0, 100.0]},
                "shift": {"kind": "WLF", "C1": 17.44, "C2": 51.6, "T_ref_C": 130.0},
            },
            "emc2": {
                "base": "mold_compound_visco",
                "shift": {"kind": "Arrhenius", "activation_K": 31400.0, "T_ref_C": 130.0},
                "bulk_relaxation": {"g": [0.2], "tau_s": [10.0]},
            },
        },
    }
    m = parse_study(d).base.materials["encapsulant"]
    assert m.viscoelastic and m.E == 20e9 and m.relaxation.g == (0.5, 0.4)
    d2 = copy.deepcopy(d)
    d2["materials"]["encapsulant"] = "emc2"
    m2 = parse_study(d2).base.materials["encapsulant"]
    assert m2.E == 22e9 and m2.shift.activation_K == 31400.0 and m2.bulk_relaxation.g == (0.2,)
    assert m.shift.C2 == 51.6 and m.law().E_rubbery == pytest.approx(20e9 * 0.1)
    for bad, key in [
        ({"relaxation": {"g": [0.7, 0.4], "tau_s": [1.0, 2.0]}}, "library.emc.relaxation"),
        ({"relaxation": {"g": [0.5], "tau_s": [1.0], "beta": 1}}, "library.emc.relaxation.beta"),
        ({"shift": {"kind": "VFT", "T_ref_C": 130.0}}, "library.emc.shift.kind"),
        (
            {"shift": {"kind": "WLF", "C1": -1.0, "C2": 51.6, "T_ref_C": 130.0}},
            "library.emc.shift.C1",
        ),
        ({"E_GPa": {"T_C": [25.0, 150.0], "values": [20.0, 2.0]}}, "materials.emc.E"),
    ]:
        dd = copy.deepcopy(d)
        dd["materials"]["library"]["emc"].update(bad)
        with pytest.raises(InputError) as e:
            parse_study(dd)
        assert key in str(e.value), (bad, str(e.value))


def test_library_viscoelastic_compound():
    import fea

    m = fea.materials.get("mold_compound_visco")
    assert m.viscoelastic and "REPRESENTATIVE" in m.source
    assert m.law().E_rubbery == pytest.approx(1.5e9, rel=0.01)
    assert not fea.materials.get("mold_compound").viscoelastic


def test_outputs_old_names_are_aliases_and_reporting_keys():
    from fea.package.spec import OUTPUT_ALIASES, OUTPUTS

    old = ["Tj_max", "theta_ja", "psi_jt", "theta_jc", "von_mises_max", "interface_traction_max"]
    # under uniform_h the JEDEC names map to what the number is, with a warning
    with pytest.warns(DeprecationWarning, match="uniform_h"):
        s = parse_study(with_change("outputs", {"metrics": [*old, "warpage_um", "curvature"]}))
    assert s.outputs == (
        "Tj_max_C",
        "R_ja_uniform_h_K_per_W",
        "psi_jt_uniform_h_K_per_W",
        "theta_jc_K_per_W",
        "von_mises_max_MPa",
        "peel_max_MPa",
        "shear_max_MPa",
        "warpage_um",
        "curvature_1_per_m",
    )
    assert all(out in OUTPUTS for outs in OUTPUT_ALIASES.values() for out in outs)
    r = parse_study(GOOD).base.report
    assert r.warpage_limits is None and r.interface_band == pytest.approx(1e-4) and r.common_scale
    raw = with_change(
        "outputs",
        {"warpage_limits_um": [-80, 100], "interface_band_um": 50, "common_scale": False},
    )
    r = parse_study(raw).base.report
    assert r.warpage_limits == pytest.approx((-80e-6, 100e-6))
    assert r.interface_band == pytest.approx(50e-6) and not r.common_scale
    for bad in ([80, 100], [-80], "80"):
        with pytest.raises(InputError, match="outputs.warpage_limits_um"):
            parse_study(with_change("outputs", {"warpage_limits_um": bad}))
    with pytest.raises(InputError, match="outputs.metrics"):
        parse_study(with_change("outputs", {"metrics": ["Tj_maximum"]}))


def test_user_material_yield_and_reflow_step():
    raw = with_change(
        "materials", {"shell": "cu", "library": {"cu": {"base": "copper", "yield_MPa": 150}}}
    )
    raw["loads"]["reflow_Tg_step_K"] = 2.5
    case = parse_study(raw).base
    assert case.materials["shell"].yield_strength == pytest.approx(150e6)
    assert case.loads.reflow_tg_step == 2.5
    with pytest.raises(InputError, match="yield_MPa"):
        parse_study(
            with_change(
                "materials", {"shell": "x", "library": {"x": {"base": "copper", "yield_MPa": -1}}}
            )
        )


def test_user_material_solidus_in_the_study_file():
    """``solidus_C`` of a library material reaches Material.solidus (a user's SnPb balls:
    183 C); sac305 keeps its own 217 C; a value off the scale is refused at its key."""
    raw = with_change(
        "materials",
        {"terminals": "snpb", "library": {"snpb": {"base": "sac305", "solidus_C": 183.0}}},
    )
    case = parse_study(raw).base
    assert case.materials["terminals"].solidus == 183.0
    assert parse_study(with_change("materials", {})).base.materials["terminals"].solidus == 217.0
    for bad in (-300.0, 5000.0, "hot"):
        raw = with_change(
            "materials", {"terminals": "x", "library": {"x": {"base": "sac305", "solidus_C": bad}}}
        )
        with pytest.raises(InputError, match="materials.library.x.solidus_C"):
            parse_study(raw)


def test_cudss_is_reachable_with_the_gpu_backend():
    spec = parse_study(with_change("solver", {"backend": "gpu", "method": "cudss"}))
    assert spec.base.solver.method == "cudss"
    for backend in ("cpu", "auto"):
        with pytest.raises(InputError, match="solver.method") as e:
            parse_study(with_change("solver", {"backend": backend, "method": "cudss"}))
        assert "backend = 'gpu'" in str(e.value)


# -- issue 21: values that implied hangs or silently wrong results --------------------------


def _stage_err(**process) -> InputError:
    with pytest.raises(InputError) as err:
        parse_study(with_process(**process))
    return err.value


def test_stage_temperature_capped_at_key():
    d = with_process()
    d["process"]["stages"][2]["temperature_C"] = 1e300
    with pytest.raises(InputError) as err:
        parse_study(d)
    assert err.value.key == "process.stages[2].temperature_C" and "2000" in str(err.value)


def test_max_step_refused_with_the_step_estimate():
    assert _stage_err(max_step_K=1e-300).key == "process.max_step_K"
    # by hand: the stages change 0, 0, 150 K, the reflow 0, 235, 235 K: 620 K over 1e-2 K
    # is 62,000 steps plus one for each of the 3 unchanged intervals (under the cap);
    # over 1e-3 K, 620,003 (over it)
    assert parse_study(with_process(max_step_K=1e-2)).base.process.max_step_K == 1e-2
    err = _stage_err(max_step_K=1e-3)
    assert err.key == "process.max_step_K" and "620,003" in str(err)
    # too many substeps with the default step: named at substeps, not at max_step_K
    d = with_process(substeps=10_000)
    d["loads"]["reflow_C"] = [25.0, 260.0] * 6  # 12 reflow intervals + 3 stages
    d["process"]["reflow_time_s"] = [100.0 * i for i in range(12)]
    with pytest.raises(InputError) as info:
        parse_study(d)
    err = info.value
    assert (err.key, err.value) == ("process.substeps", 10_000)
    assert "substeps = 10000 and max_step_K = 10" in str(err)


def test_stage_removing_every_region_refused_at_key():
    from fea.package.spec.schema import process_regions

    d = with_process()
    base = parse_study(d).base
    regions = list(process_regions(base.kind, base.geometry))
    d["process"]["stages"][2]["remove"] = regions
    with pytest.raises(InputError) as err:
        parse_study(d)
    assert err.value.key == "process.stages[2].remove"


def test_cure_before_birth_refused_at_key():
    d = with_process()
    d["process"]["stages"][0]["cure"] = ["encapsulant"]
    with pytest.raises(InputError, match=r"added at process.stages\[1\]") as err:
        parse_study(d)
    assert err.value.key == "process.stages[0].cure"


@pytest.mark.parametrize("h", [[1e-300, 1.0], [0.5, 1e3]])
def test_contact_h_bounded_at_key(h):
    d = copy.deepcopy(GOOD)
    d["theta_jc"] = {"contact_h": h}
    with pytest.raises(InputError) as err:
        parse_study(d)
    assert err.value.key == "theta_jc.contact_h[0]"


def test_first_output_lower_bound():
    d = copy.deepcopy(GOOD)
    d["transient"] = {"first_output_s": 1e-300}
    with pytest.raises(InputError) as err:
        parse_study(d)
    assert err.value.key == "transient.first_output_s" and "1e-07" in str(err.value)


def test_size_guard_counts_process_steps_and_transients(monkeypatch):
    import fea.package.meshing as meshing

    d = with_process(max_step_K=1e-2)  # 62,003 steps (by hand, above)
    case = parse_study(d).base
    n = meshing.estimate(case).elements
    # the two theta_JC curves of 400 outputs each add 800 steps
    expected = n * (62_003 + 800)
    monkeypatch.setattr(meshing, "MAX_ELEMENT_STEPS", expected * 0.99)
    with pytest.raises(InputError, match="element-steps") as err:
        meshing.check_size(case)
    assert err.value.key == "process.max_step_K"
    assert f"about {expected:.3g} on" in str(err.value)
    meshing.check_size(case, force=True)
    monkeypatch.setattr(meshing, "MAX_ELEMENT_STEPS", expected * 1.01)
    meshing.check_size(case)
    d = copy.deepcopy(GOOD)
    d["transient"] = {"outputs": 100_000, "fields": 1000}
    case = parse_study(d).base
    # by hand: outputs 1e5 and fields 1000 x 8 outweigh the 800 theta_JC steps
    monkeypatch.setattr(meshing, "MAX_ELEMENT_STEPS", n * 1000)
    with pytest.raises(InputError, match="transient.outputs") as err:
        meshing.check_size(case)
    assert err.value.key == "transient.outputs"


@pytest.mark.parametrize(("key", "value"), [("k", 1e-300), ("E_GPa", 1e-300)])
def test_tiny_material_values_refused_at_key(key, value):
    d = copy.deepcopy(GOOD)
    d["materials"] = {"library": {"mysi": {"base": "silicon", key: value}}, "die": "mysi"}
    with pytest.raises(InputError) as err:
        parse_study(d)
    assert err.value.key == f"materials.library.mysi.{key}"


@pytest.mark.parametrize("data", ["studies/baseline.toml", Path("studies/baseline.toml"), 3])
def test_parse_study_given_a_path_or_other_non_dict_says_what_it_takes(data):
    """``parse_study`` takes the parsed TOML; a path (the easy slip: it was an
    AttributeError deep in the reader) names ``load_study``."""
    with pytest.raises(InputError, match="a dict") as err:
        parse_study(data)
    assert ("load_study" in str(err.value)) == isinstance(data, str | Path)


@pytest.mark.parametrize("key", ["E_GPa", "E_MPa", "alpha_ppm"])
def test_three_values_are_only_an_orthotropic_conductivity(key):
    """``[kx, ky, kz]`` is k's form; for E or alpha it was taken as a vector and refused
    by the material under a key not in the file (materials.my.E) and in SI units."""
    raw = with_change("materials", {"library": {"my": {"base": "copper", key: [100.0, 1.0, 1e4]}}})
    with pytest.raises(InputError) as err:
        parse_study(raw)
    assert err.value.key == f"materials.library.my.{key}"
    assert err.value.value == [100.0, 1.0, 1e4]
    raw = with_change("materials", {"library": {"my": {"base": "copper", "k": [300, 300, 30]}}})
    parse_study(raw)  # k's orthotropic form stays
