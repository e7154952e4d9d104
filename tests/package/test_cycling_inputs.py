"""Temperature cycling as a reliability engineer checks it: wrong inputs refused before
the (long) solve, naming the key, the value and what is allowed; the notes of a case (a
widened Darveaux layer, an estimate outside its model's range) reaching the study's table."""

from __future__ import annotations

import copy
import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from fea.errors import InputError
from fea.package import cycling as pc
from fea.package.cycling import FatigueOptions, board_model_case, cycling_metrics, run_cycling
from fea.package.spec import parse_study
from fea.physics import fatigue as fat
from fea.physics.cycling import jesd22_a104, temperature_cycles

ROOT = Path(__file__).resolve().parents[2]


def _raw(**cycling) -> dict:
    """The board_cycling study, small: a 2 x 2 ball array, a coarse P1 mesh, a short cycle
    (0/60 degC, no dwell, stress free at 60 degC)."""
    raw = copy.deepcopy(tomllib.loads((ROOT / "studies" / "board_cycling.toml").read_text()))
    raw["geometry"]["terminals"].update(rows=2, cols=2)
    raw["mesh"].update(size_mm=1.2, order=1, layers_through_thickness=1, film_size_mm=0.6)
    raw["mesh"].update(opening_size_mm=0.4, terminal_size_mm=0.4, board_size_mm=3.0)
    raw["solver"]["backend"] = "cpu"
    raw["cycling"].update(
        t_min_C=0.0, t_max_C=60.0, cycles=1, dwell_s=0.0, stress_free_C=60.0,
        board_size_mm=[12.0, 12.0],
    )
    del raw["cycling"]["condition"]
    raw["cycling"].update(cycling)
    return raw


def _solder():
    """A SAC305 joint material (Anand, Motalab 2012)."""
    from fea.physics.inelastic import anand_set
    from fea.physics.materials import Material

    return Material("solder", E=45e9, nu=0.35, alpha=21e-6, k=1.0,
                    inelastic=anand_set("SAC305_Motalab2012"))


def _no_solve(*args, **kwargs):
    raise AssertionError("the history was solved: the input should have been refused before")


# -- the interface layer must fit in the joint --------------------------------------------


@pytest.mark.parametrize("layer_um", [150.0, 400.0, 1000.0])
def test_a_layer_as_thick_as_half_the_joint_is_refused_before_meshing(layer_um, monkeypatch):
    """The balls stand 0.3 mm: Darveaux's layer at one pad stays under half of that (150 um
    would reach the middle of the joint, 400 um the whole joint and more: it was averaged
    over the whole joint and tabulated as a 400 um layer); 149 um passes. The reader
    refuses it (fea check, fea run before meshing), and cycling_metrics a case changed
    in Python."""
    import dataclasses

    monkeypatch.setattr(pc, "build_board_model", _no_solve)
    case = parse_study(_raw(layer_um=149.0)).base
    assert board_model_case(case) is not None
    fatigue = dataclasses.replace(case.cycling.fatigue, layer_thickness_m=layer_um * 1e-6)
    changed = dataclasses.replace(case, cycling=dataclasses.replace(case.cycling, fatigue=fatigue))
    for run in (lambda: parse_study(_raw(layer_um=layer_um)), lambda: cycling_metrics(changed)):
        with pytest.raises(InputError) as ei:
            run()
        assert ei.value.key == "cycling.layer_um"
        assert ei.value.value == layer_um  # as written, not 399.99999999999994
        assert "150" in ei.value.allowed  # half the 300 um stand-off


def test_run_cycling_refuses_a_layer_thicker_than_half_a_joint_before_the_solve(monkeypatch):
    """Two tetrahedra stacked in z as one 100 um joint: a 60 um layer is refused by
    run_cycling before solve_history is called."""
    mesh = _two_tet_joint(height=100e-6)
    solder = _solder()
    monkeypatch.setattr(pc, "solve_history", _no_solve)
    with pytest.raises(InputError) as ei:
        run_cycling(
            mesh, {"solder": solder}, jesd22_a104("G", cycles=1), np.zeros(2, dtype=np.int64),
            pad_diameter=0.3e-3, fatigue=FatigueOptions(layer_thickness=60e-6),
        )
    assert ei.value.key == "fatigue.layer_thickness"
    assert "5e-05" in ei.value.allowed or "50" in ei.value.allowed  # half of 100 um


def _two_tet_joint(height: float):
    """A mesh of two tetrahedra (a prism's corner pieces) spanning z in [0, height], the
    region ``solder``."""
    from skfem import MeshTet1

    from fea.fe.mesh import Mesh

    p = np.array(
        [[0, 0, 0], [1e-4, 0, 0], [0, 1e-4, 0], [0, 0, height], [1e-4, 1e-4, height]],
        dtype=float,
    )
    t = np.array([[0, 1, 2, 3], [1, 2, 3, 4]], dtype=np.int64)
    m = MeshTet1(p.T, t.T)
    return Mesh(m, m, {"solder": np.array([0, 1])}, {}, 1)


# -- the board coupon is cut from the board -----------------------------------------------


@pytest.mark.parametrize("size", [[100.0, 100.0], [1e9, 1e9], [20.0, 120.0]])
def test_a_board_coupon_larger_than_the_board_is_refused(size):
    """[geometry.board] is 76.2 x 114.3 mm: the coupon is cut from it, never larger (1e9 mm
    was reported as a mesh of 2e16 elements naming mesh.board_size_mm). The reader
    refuses it."""
    with pytest.raises(InputError) as ei:
        parse_study(_raw(board_size_mm=size))
    assert ei.value.key == "cycling.board_size_mm"
    assert "76.2" in ei.value.allowed and "114.3" in ei.value.allowed


# -- fatigue options are checked when made, not after the solve ---------------------------


@pytest.mark.parametrize(
    ("kw", "key"),
    [
        ({"darveaux": "SAC_Darveaux2002"}, "fatigue.darveaux"),
        ({"darveaux": 3}, "fatigue.darveaux"),
        ({"syed": "SAC_Syed"}, "fatigue.syed"),
        ({"syed": ["SAC_Syed2004"]}, "fatigue.syed"),
        ({"engelmaier": {"delta_alpha": math.nan}}, "fatigue.engelmaier.delta_alpha"),
        ({"engelmaier": {"delta_alpha": 0.0}}, "fatigue.engelmaier.delta_alpha"),
        ({"engelmaier": {"delta_alpha": "7e-6"}}, "fatigue.engelmaier.delta_alpha"),
        ({"engelmaier": {"delta_alpha": 7e-6, "dnp": -1.0}}, "fatigue.engelmaier.dnp"),
        ({"engelmaier": {"delta_alpha": 7e-6, "hieght": 3e-4}}, "fatigue.engelmaier.hieght"),
        ({"board_below": "no"}, "fatigue.board_below"),
    ],
)
def test_fatigue_options_refuse_bad_values_when_made(kw, key):
    with pytest.raises(InputError) as ei:
        FatigueOptions(**kw)
    assert ei.value.key == key


def test_fatigue_options_accept_the_documented_values():
    c = fat.DarveauxConstants(1.0, -1.0, 1e-6, 1.0, fat.PSI, 0.0254, 25.4e-6)
    o = FatigueOptions(darveaux=c, syed=None, engelmaier={"delta_alpha": -7e-6, "factor": 1.2})
    assert (o.darveaux, o.syed) == (c, None)
    assert FatigueOptions(darveaux=None).darveaux is None


# -- a study's notes reach its table; Engelmaier out of its range -------------------------


@pytest.mark.slow
def test_cycling_notes_reach_the_table_and_an_out_of_range_engelmaier_is_left_out(tmp_path):
    """``fea run`` of a small cycling study. Its coarse mesh has no element centroid within
    25 um of the pads: Delta W is averaged over a wider layer, and Darveaux's constants
    (fitted with 25.4 um) warn. Both notes went to the results file only: now also to the
    row's ``notes`` (metrics.json, the table). A 1000 ppm/K mismatch puts Engelmaier's
    shear strain past the model's range (2 eps_f = 0.65): the case failed after its solve,
    naming fatigue.shear_strain_range; now the estimate is left out with a note naming the
    study's key, and the other columns stand."""
    from fea.cli import main

    text = (ROOT / "studies" / "board_cycling.toml").read_text()
    for a, b in [
        ("rows = 12\ncols = 12", "rows = 6\ncols = 6"),
        ("size_mm = 0.8\n", "size_mm = 1.2\n"),
        ("terminal_size_mm = 0.2", "terminal_size_mm = 0.4"),
        ("order = 2", "order = 1"),
        ('condition = "G"', "t_min_C = -40.0\nt_max_C = 125.0\ndwell_s = 0.0"),
        ("cycles = 3", "cycles = 1"),
        ("stress_free_C = 217.0", "stress_free_C = 125.0"),
        ("delta_alpha_ppm_per_K = 7.0", "delta_alpha_ppm_per_K = 1000.0"),
        ('backend = "auto"', 'backend = "cpu"'),
        ("field_plots = true", "field_plots = false"),
    ]:
        assert a in text, a
        text = text.replace(a, b, 1)
    # Engelmaier by hand at the corner joint: L_D = hypot(2, 2) mm, h = 0.3 mm
    assert math.hypot(2.0e-3, 2.0e-3) * 1000e-6 * 165.0 / 0.3e-3 > 0.65
    study = tmp_path / "s.toml"
    study.write_text(text)
    assert main(["run", str(study), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    row = json.loads((tmp_path / "out" / "case0000" / "metrics.json").read_text())
    assert row["status"] == "ok"
    notes = row["notes"]
    assert "Delta W is averaged over" in notes
    assert "Darveaux constants fitted with a 25.4 um layer" in notes
    assert "Engelmaier" in notes and "delta_alpha_ppm_per_K" in notes
    assert "N_engelmaier_cycles" not in row
    assert row["N_darveaux_cycles"] > 0 and row["N_syed_cycles"] > 0
    assert "notes" in (tmp_path / "out" / "table.csv").read_text().splitlines()[0]
    # one note each in the summary (notes are joined by "; ": none of them holds one)
    from fea.study.report import case_notes

    assert any("no element centroid" in n and "Delta W is averaged" in n for n in case_notes(row))


# -- more keys checked against what they imply, before the mesh ---------------------------


def test_a_max_step_implying_too_many_steps_is_refused_by_the_section():
    """max_step_K = 1e-3 on condition G (one cycle and the first ramp: 2 x 165 + 257 K of
    ramps, 587,000 steps of 1 mK, more than fea.physics.process.MAX_STEPS = 100,000) was
    refused by solve_history after the mesh was built, naming max_step_K; now by the
    section, naming cycling.max_step_K. 0.01 K (58,700 steps) passes."""
    from fea.package.spec.cycling import parse_cycling
    from fea.package.spec.reader import Section

    with pytest.raises(InputError) as ei:
        parse_cycling(Section({"condition": "G", "cycles": 1, "max_step_K": 1e-3}, "cycling"))
    assert ei.value.key == "cycling.max_step_K"
    assert "100,000" in ei.value.allowed and "5.87e+05" in ei.value.allowed
    s = parse_cycling(Section({"condition": "G", "cycles": 1, "max_step_K": 0.01}, "cycling"))
    assert s.max_step_K == 0.01


def test_a_pad_wider_than_the_pitch_is_refused():
    """Pads 0.8 mm apart cannot be 0.9 mm wide: Darveaux's crack length would be longer
    than the pads' spacing."""
    with pytest.raises(InputError) as ei:
        board_model_case(parse_study(_raw(pad_diameter_mm=0.9)).base)
    assert ei.value.key == "cycling.pad_diameter_mm"
    assert "0.8" in ei.value.allowed
    assert board_model_case(parse_study(_raw(pad_diameter_mm=0.3)).base) is not None


@pytest.mark.parametrize(
    ("kw", "key"),
    [
        ({"centres": {0: (math.nan, 0.0)}}, "centres"),
        ({"centres": {0: ("a", 0.0)}}, "centres"),
        ({"centres": {0: (0.0,)}}, "centres"),
        ({"centres": {1: (0.0, 0.0)}}, "centres"),
        ({"pad_z": {0: math.nan}}, "pad_z"),
        ({"pad_z": {1: 0.0}}, "pad_z"),
        ({"pad_z": [0.0, 1.0]}, "pad_z"),
    ],
)
def test_run_cycling_checks_centres_and_pads_before_the_solve(kw, key, monkeypatch):
    """A NaN, non-numeric, short or missing centre or pad plane was found after the solve
    (by the map's or joint_energy's checks, or a ValueError)."""
    solder = _solder()
    monkeypatch.setattr(pc, "solve_history", _no_solve)
    with pytest.raises(InputError) as ei:
        run_cycling(
            _two_tet_joint(100e-6), {"solder": solder}, jesd22_a104("G", cycles=1),
            np.zeros(2, dtype=np.int64), pad_diameter=0.3e-3, **kw,
        )
    assert ei.value.key.startswith(key)


# -- the stress-free temperature and the solder ---------------------------------------------


def _section(**kw):
    from fea.package.spec.cycling import parse_cycling
    from fea.package.spec.reader import Section

    return parse_cycling(Section({"condition": "G", "cycles": 1, **kw}, "cycling"))


def test_the_default_stress_free_temperature_is_the_solders_solidus():
    """SAC305 solidifies at 217 degC, eutectic 62Sn36Pb2Ag at 179 degC: a SnPb study kept the
    SAC default of 217 degC, 38 K above its melting point, and ran."""
    assert _section().profile.stress_free_C == 217.0
    assert _section(solder="Sn62Pb36Ag2_Wang2001").profile.stress_free_C == 179.0
    assert _section(solder="Sn3.5Ag_Wang2001").profile.stress_free_C == 221.0
    # a value below the solidus stays as given (room temperature, a measured one)
    assert _section(solder="Sn62Pb36Ag2_Wang2001", stress_free_C=25.0).profile.stress_free_C == 25


@pytest.mark.parametrize(
    ("solder", "T", "solidus"),
    [("Sn62Pb36Ag2_Wang2001", 217.0, "179"), ("SAC305_Motalab2012", 260.0, "217")],
)
def test_a_stress_free_temperature_above_the_solidus_is_refused(solder, T, solidus):
    with pytest.raises(InputError) as ei:
        _section(solder=solder, stress_free_C=T)
    assert ei.value.key == "cycling.stress_free_C" and ei.value.value == T
    assert solidus in ei.value.allowed


def test_a_partial_joint_away_from_its_plane_is_refused_before_the_solve(monkeypatch):
    """A joint said to be half cut by the plane x = 0 whose centroid lies 1 mm from it (an
    asymmetric array on a half model) was found after the solve (full_centres)."""
    mesh = _two_tet_joint(100e-6)
    mesh.p1.p[0] += 1e-3  # the joint at x = 1.0-1.1 mm
    solder = _solder()
    monkeypatch.setattr(pc, "solve_history", _no_solve)
    with pytest.raises(InputError) as ei:
        run_cycling(
            mesh, {"solder": solder}, jesd22_a104("G", cycles=1), np.zeros(2, dtype=np.int64),
            pad_diameter=0.3e-3, joint_fraction=[0.5], symmetry="half",
            fixed={"symmetry_x": {"x": 0.0}},
        )
    assert ei.value.key == "joint_fraction[0]"


def test_engelmaiers_frequency_outside_its_range_is_noted(recwarn):
    """A 1-day dwell makes the cycle 2 x 60 K / (10 K/min) + 2 x 86,400 s = 173,520 s long:
    0.498 cycles/day, taken as 1 (Engelmaier's range 1-1000/day) without a word; now with a
    warning. The estimate by hand with f = 1: c = -0.442 - 6e-4 x 30 + 1.74e-2 ln 2."""
    from .cycling_model import MATERIALS, column_array

    mesh, joint, _ = column_array(n=1, h=0.4e-3, h_solder=0.15e-3)
    prof = temperature_cycles(0.0, 60.0, cycles=1, dwell_s=86_400.0, stress_free_C=60.0)
    assert 86_400.0 / prof.period_s == pytest.approx(0.498, abs=1e-3)
    eng = {"delta_alpha": 10e-6, "dnp": 1e-3}  # one joint: at the neutral point
    with pytest.warns(UserWarning, match=r"0\.498 cycles/day .* taken as 1 "):
        run = run_cycling(
            mesh, MATERIALS, prof, joint, pad_diameter=0.4e-3,
            fatigue=FatigueOptions(layer_thickness=25.4e-6, engelmaier=eng),
        )
    est = next(e for e in run.estimates if e.model.startswith("Engelmaier"))
    assert est.inputs["cycles_per_day"] == 1.0
    c = -0.442 - 6e-4 * 30.0 + 1.74e-2 * math.log(2.0)
    assert est.constants["c"] == pytest.approx(c, rel=1e-12)


def test_a_critical_joint_at_the_neutral_point_gets_no_engelmaier_estimate():
    """One joint, at the array's centre: Engelmaier's DNP is 0 and so its strain: the
    evaluation failed after the solve (fatigue.dnp = 0.0); now the estimate is left out
    with a warning, Darveaux and Syed (by hand from the column) stand."""
    from .cycling_model import MATERIALS, column_array

    mesh, joint, _ = column_array(n=1, h=0.4e-3, h_solder=0.15e-3)
    prof = temperature_cycles(0.0, 60.0, cycles=1, dwell_s=0.0, stress_free_C=60.0)
    with pytest.warns(UserWarning, match="neutral point"):
        run = run_cycling(
            mesh, MATERIALS, prof, joint, pad_diameter=0.4e-3,
            fatigue=FatigueOptions(layer_thickness=25.4e-6, engelmaier={"delta_alpha": 1e-5}),
        )
    m = run.metrics()
    assert "N_engelmaier_est" not in m
    assert m["N_syed_est"] == pytest.approx(1.0 / (0.0019 * m["dW_crit_MJ_per_m3"]), rel=1e-12)


def test_an_eighth_asked_for_by_cycling_names_its_key_when_the_array_is_not_square(monkeypatch):
    """[cycling] symmetry = "eighth" on a 2 x 3 ball array: refused before the mesh, naming
    geometry.terminals.cols, and the message points at cycling.symmetry (it said
    mesh.symmetry, a key this study does not set)."""
    raw = _raw(symmetry="eighth")
    raw["mesh"].pop("symmetry", None)
    raw["geometry"]["terminals"].update(rows=2, cols=3)
    monkeypatch.setattr(pc, "build_board_model", _no_solve)
    with pytest.raises(InputError) as ei:
        parse_study(raw)  # the reader's check, before fea run meshes anything
    assert ei.value.key == "geometry.terminals.cols"
    assert "cycling.symmetry = 'eighth'" in str(ei.value)
    assert "mesh.symmetry" not in str(ei.value)


@pytest.mark.parametrize(
    ("models", "column"),
    [([], "N_darveaux_cycles"), (["darveaux"], "N_syed_cycles"), (["syed"], "N0_darveaux_cycles")]
    + [(["darveaux", "syed"], "N_engelmaier_cycles")],
)
def test_a_life_column_of_a_model_that_does_not_run_is_refused(models, column):
    """``[outputs] metrics`` naming a life whose model ``[cycling] models`` leaves out gave a
    table without that column and no word; it is refused at parse naming both keys."""
    raw = _raw(models=models)
    raw["outputs"]["metrics"] = ["dW_crit_MJ_per_m3", column]
    with pytest.raises(InputError, match=f"outputs.metrics = '{column}'.*cycling.models"):
        parse_study(raw)
    raw["cycling"]["models"] = ["darveaux", "syed", "engelmaier"]
    assert column in parse_study(raw).outputs
