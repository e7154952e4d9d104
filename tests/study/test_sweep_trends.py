"""What a parametric study does with its swept keys: the unit of each swept parameter's
column (``table.h5``, the plots' axes) is the unit the study file gives the value in; a
swept key that no case reads (a material of a region the model lacks, a study material
no region is made of, an environment key its kind ignores, a board k a copper stack
replaces) is refused when the study is read, not run as identical cases; a swept entry
of a table the study leaves to its default replaces that default, and is said."""

from __future__ import annotations

from pathlib import Path

import pytest

from fea.errors import InputError
from fea.package.spec import load_study
from fea.package.spec.reference import key_unit


@pytest.mark.parametrize(
    ("key", "unit"),
    [
        # a modulus table in GPa (E_GPa = { T_C = [...], values = [...] }) is read in GPa
        # (fea.package.spec.materials.parse_user_material scales it by 1e9): its column was
        # labelled MPa, a factor 1000 on the axis of a modulus sweep
        ("materials.library.mc.E_GPa.values", "GPa"),
        ("materials.library.mc.E_GPa.T_C", "°C"),
        ("materials.library.mc.E_MPa.values", "MPa"),
        ("materials.library.mc.E_GPa", "GPa"),
        # keys in seconds, hours and m/s had no unit: a forced-air sweep of JESD51-6
        # (environment.velocity_m_s) or a soak-time sweep had a bare axis
        ("environment.velocity_m_s", "m/s"),
        ("transient.duration_s", "s"),
        ("process.reflow_time_s", "s"),
        ("cycling.dwell_s", "s"),
        ("materials.library.mc.relaxation.tau_s", "s"),
        ("moisture.soak.hours", "h"),
        ("loads.power_map.rectangles[0].W", "W"),
        ("geometry.board.laminate_k", "W/(m K)"),
        # the ones that were right stay so
        ("moisture.materials.encapsulant.D0_m2_per_s", "m²/s"),
        ("cycling.ramp_K_per_min", "K/min"),
        ("loads.power_W.die", "W"),
    ],
)
def test_swept_key_unit(key, unit):
    assert key_unit(key) == unit


# --- a swept material key that changes no region of the model -------------------------

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_study.toml"


def _study(tmp_path: Path, sweep: str, extra: str = "") -> Path:
    """The tiny study (shell, dielectric, die, die attach, encapsulant, balls, board; no
    vias, rim bond or board vias) with ``extra`` tables and the ``[sweep]`` ``sweep``."""
    text = TINY.read_text().split("[sweep]")[0]
    path = tmp_path / "s.toml"
    path.write_text(text + extra + "\n[sweep]\n" + sweep)
    return path


@pytest.mark.parametrize(
    ("sweep", "key"),
    [
        # the model has no vias ([geometry.vias] absent): three identical cases
        ('kind = "grid"\n[sweep.parameters]\n"materials.vias" = ["copper", "gold"]\n',
         "sweep.parameters.materials.vias"),
        ('kind = "cases"\ncases = [{ "materials.rim_bond" = "copper" }]\n',
         "sweep.cases[0].materials.rim_bond"),
        # a study material no region is made of: its conductivity changes nothing
        ('kind = "grid"\n[sweep.parameters]\n"materials.library.mc.k" = [0.5, 3.0]\n',
         "sweep.parameters.materials.library.mc.k"),
        # a stress-free temperature of a region the model lacks
        ('kind = "grid"\n[sweep.parameters]\n"loads.reference_C.vias" = [100.0, 150.0]\n',
         "sweep.parameters.loads.reference_C.vias"),
    ],
)
def test_a_swept_material_no_region_uses_is_refused(tmp_path, sweep, key):
    extra = (
        '\n[materials.library.mc]\nbase = "mold_compound"\n'
        '\n[loads.reference_C]\nencapsulant = 175.0\n"*" = 25.0\n'
    )
    with pytest.raises(InputError) as exc:
        load_study(_study(tmp_path, sweep, extra))
    assert exc.value.key == key
    assert "no region" in exc.value.allowed or "not a region" in exc.value.allowed


def test_a_swept_material_the_model_uses_is_read(tmp_path):
    extra = '\n[materials]\nencapsulant = "mc"\n[materials.library.mc]\nbase = "mold_compound"\n'
    sweep = 'kind = "grid"\n[sweep.parameters]\n"materials.library.mc.k" = [0.5, 3.0]\n'
    spec = load_study(_study(tmp_path, sweep, extra))
    ks = [spec.case(p).materials["encapsulant"].k for _, p in spec.case_parameters()]
    assert ks == [0.5, 3.0]


def test_a_material_used_in_some_cases_of_a_sweep_is_a_warning(tmp_path):
    """The encapsulant is ``mc`` in one case of two: the other case's ``mc.k`` does nothing,
    said once, naming that case."""
    extra = '\n[materials.library.mc]\nbase = "mold_compound"\n'
    sweep = (
        'kind = "cases"\ncases = [\n'
        '  { "materials.encapsulant" = "mc", "materials.library.mc.k" = 2.0 },\n'
        '  { "materials.library.mc.k" = 3.0 },\n]\n'
    )
    with pytest.warns(UserWarning, match=r"materials\.library\.mc\.k.*case0001"):
        load_study(_study(tmp_path, sweep, extra))


# --- a swept stress-free temperature of one region -------------------------------------


def test_a_reference_table_without_star_is_refused_before_meshing(tmp_path):
    """The tiny study has no loads.reference_C (the default { encapsulant = 175, "*" = 25 }):
    sweeping loads.reference_C.encapsulant makes the table { encapsulant = X } with no
    stress-free temperature for the other regions. Each case meshed and solved the heat
    for a minute and then failed with 'reference.die = None'; the sweep is refused when
    read, naming loads.reference_C, the regions without a value and the way out."""
    sweep = 'kind = "grid"\n[sweep.parameters]\n"loads.reference_C.encapsulant" = [100.0, 250.0]\n'
    with pytest.raises(InputError) as exc:
        load_study(_study(tmp_path, sweep))
    assert exc.value.key.endswith("loads.reference_C")
    assert "'*'" in exc.value.allowed and "die" in exc.value.allowed


def test_a_reference_table_with_star_sweeps(tmp_path):
    sweep = 'kind = "grid"\n[sweep.parameters]\n"loads.reference_C.encapsulant" = [100.0, 250.0]\n'
    path = _study(tmp_path, sweep)
    path.write_text(path.read_text().replace(
        "[loads]\n", '[loads]\nreference_C = { encapsulant = 175.0, "*" = 25.0 }\n'))
    spec = load_study(path)
    refs = [spec.case(p).loads.reference for _, p in spec.case_parameters()]
    assert refs == [{"encapsulant": 100.0, "*": 25.0}, {"encapsulant": 250.0, "*": 25.0}]


def test_a_thermal_study_needs_no_reference(tmp_path):
    """No warpage state: the stress-free temperatures are not read, a table without '*'
    is let be."""
    sweep = 'kind = "grid"\n[sweep.parameters]\n"loads.reference_C.encapsulant" = [100.0, 250.0]\n'
    path = _study(tmp_path, sweep)
    path.write_text(path.read_text().replace(
        "warpage_temperatures_C = [25.0]", "warpage_temperatures_C = []").replace(
        '"warpage_um", ', "").replace(', "von_mises_max"', ""))
    assert len(load_study(path).case_parameters()) == 2


def test_a_swept_power_entry_replacing_the_default_power_is_said(tmp_path):
    """Without loads.power_W the die dissipates the default 1.5 W; a sweep of another
    region's power (``loads.power_W.terminals``) makes the table { terminals = P } and
    the die's 1.5 W is gone from every case: said when the study is read."""
    sweep = 'kind = "grid"\n[sweep.parameters]\n"loads.power_W.terminals" = [0.1, 0.2]\n'
    path = _study(tmp_path, sweep)
    path.write_text(path.read_text().replace("power_W = { die = 0.5 }\n", ""))
    with pytest.warns(UserWarning, match=r"loads\.power_W.*die = 1\.5"):
        spec = load_study(path)
    powers = [spec.case(p).loads.power for _, p in spec.case_parameters()]
    assert powers == [{"terminals": 0.1}, {"terminals": 0.2}]


@pytest.mark.parametrize(
    ("env", "sweep", "key"),
    [
        # the air speed is read by forced_air alone: still air ran two identical cases
        ('kind = "still_air"', '"environment.velocity_m_s" = [1.0, 2.0]',
         "sweep.parameters.environment.velocity_m_s"),
        ('kind = "uniform_h"', '"environment.cold_plate_C" = [20.0, 40.0]',
         "sweep.parameters.environment.cold_plate_C"),
    ],
)
def test_a_swept_environment_key_its_kind_does_not_read_is_refused(tmp_path, env, sweep, key):
    path = _study(tmp_path, f'kind = "grid"\n[sweep.parameters]\n{sweep}\n',
                  f"\n[environment]\n{env}\n")
    with pytest.raises(InputError) as exc:
        load_study(path)
    assert exc.value.key == key
    assert "environment.kind" in exc.value.allowed


def test_a_velocity_swept_with_the_kind_is_read_where_the_kind_reads_it(tmp_path):
    """still_air and forced_air x two speeds: the still-air cases' speed is said, not
    refused (the forced-air cases read it)."""
    sweep = (
        'kind = "grid"\n[sweep.parameters]\n"environment.kind" = ["still_air", "forced_air"]\n'
        '"environment.velocity_m_s" = [1.0, 2.0]\n'
    )
    with pytest.warns(UserWarning, match=r"velocity_m_s changes nothing in 2 .*case0000"):
        load_study(_study(tmp_path, sweep))


def test_a_material_for_a_region_the_model_lacks_is_said(tmp_path):
    """``[materials] vias = "gold"`` without ``[geometry.vias]``: the model has no vias
    and the key was dropped unsaid; a warning names it. With a sweep that changes the
    geometry (the vias may exist in some case) nothing is said of the base's key."""
    text = TINY.read_text().split("[sweep]")[0]
    path = tmp_path / "s.toml"
    path.write_text(text + '\n[materials]\nvias = "gold"\n')
    with pytest.warns(UserWarning, match=r"materials\.vias = 'gold'.*no region 'vias'"):
        load_study(path)
    import warnings

    path.write_text(
        text + '\n[materials]\nvias = "gold"\n[sweep]\nkind = "grid"\n[sweep.parameters]\n'
        '"geometry.vias.enabled" = [false, true]\n'
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_study(path)


def test_integer_bounds_of_a_continuous_key_draw_real_values_unsaid(tmp_path):
    """``"loads.power_W.die" = [1, 3]`` (TOML integers) drew 1, 2 or 3 W alone: ten random
    cases repeated three powers. The bounds of a continuous key are a range: ten distinct
    powers in [1, 3], read without a warning; a count's integer bounds (openings.count)
    draw integers."""
    import warnings

    sweep = 'kind = "random"\nn = 10\n[sweep.parameters]\n"loads.power_W.die" = [1, 3]\n'
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spec = load_study(_study(tmp_path, sweep))
    powers = [p["loads.power_W.die"] for _, p in spec.case_parameters()]
    assert len(set(powers)) == 10 and all(1.0 <= w <= 3.0 for w in powers)
    assert not set(powers) <= {1, 2, 3}

    sweep = 'kind = "random"\nn = 4\n[sweep.parameters]\n"geometry.openings.count" = [1, 3]\n'
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spec = load_study(_study(tmp_path, sweep))
    counts = [p["geometry.openings.count"] for _, p in spec.case_parameters()]
    assert all(isinstance(c, int) and 1 <= c <= 3 for c in counts)


def test_a_board_conductivity_a_stack_replaces_is_refused(tmp_path):
    """With [geometry.board] stack = "jesd51_7" the board's conductivity is the stack's
    (materials.board gives the rest): sweeping the board material's k ran identical
    cases. Its k is refused; the same sweep with stack = "material" is read."""
    extra = '\n[materials]\nboard = "pcb"\n[materials.library.pcb]\nbase = "board_2s2p"\n'
    sweep = (
        'kind = "grid"\n[sweep.parameters]\n'
        '"materials.library.pcb.k" = [[30.0, 30.0, 0.8], [10.0, 10.0, 0.4]]\n'
    )
    path = _study(tmp_path, sweep, extra)
    text = path.read_text()
    stacked = text.replace("thickness_mm = 0.8\n", 'thickness_mm = 0.8\nstack = "jesd51_7"\n', 1)
    path.write_text(stacked)
    with pytest.raises(InputError) as exc:
        load_study(path)
    assert exc.value.key == "sweep.parameters.materials.library.pcb.k"
    assert "stack" in exc.value.allowed
    path.write_text(text)
    assert len(load_study(path).case_parameters()) == 2
