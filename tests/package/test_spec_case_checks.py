"""The study's inputs, last gaps: a case changed in Python gets the reader's checks, keys an
opening's kind does not use, names that collide, and the ring cold plate's sliver."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import warnings

import pytest

from fea.errors import InputError, MeshError
from fea.package.analyse import analyse, thermal_metrics, warpage_metrics
from fea.package.spec import check_case_spec, parse_study

from .test_jedec import UNIT

# the module (fea.package.analyse is also the name of its function)
analyse_module = importlib.import_module("fea.package.analyse")


def _no_meshing(*args, **kwargs):
    raise AssertionError("meshed a case its study file would refuse")


def _same_error(raw, case, entry, monkeypatch):
    """The reader's InputError for ``raw`` and the one ``entry(case)`` raises, before any
    meshing."""
    with pytest.raises(InputError) as read:
        parse_study(raw)
    monkeypatch.setattr(analyse_module, "build_mesh", _no_meshing)
    with pytest.raises(InputError) as run:
        entry(case)
    assert (run.value.key, run.value.value, run.value.allowed) == (
        read.value.key,
        read.value.value,
        read.value.allowed,
    )
    return run.value


@pytest.mark.parametrize("entry", [analyse, thermal_metrics, warpage_metrics])
def test_case_changed_in_python_refused_as_the_reader_refuses_it(entry, monkeypatch):
    base = parse_study(copy.deepcopy(UNIT)).base
    # a wall thicker than 1/5 of the 3 mm cavity (check_geometry)
    case = dataclasses.replace(
        base, geometry=dataclasses.replace(base.geometry, shell_thickness=0.7e-3)
    )
    raw = copy.deepcopy(UNIT)
    raw["geometry"]["shell_thickness_um"] = 700
    err = _same_error(raw, case, entry, monkeypatch)
    assert err.key == "geometry.shell_thickness_mm"


def test_case_changed_in_python_features_sub_layers_environment(monkeypatch):
    base = parse_study(copy.deepcopy(UNIT)).base
    g = base.geometry
    # balls whose caps at the stand-off are thinner than 0.1 um (check_features)
    term = dataclasses.replace(g.terminals, standoff=g.terminals.diameter - 0.1e-6)
    case = dataclasses.replace(base, geometry=dataclasses.replace(g, terminals=term))
    raw = copy.deepcopy(UNIT)
    raw["geometry"]["terminals"]["standoff_mm"] = (g.terminals.diameter - 0.1e-6) * 1e3
    assert _same_error(raw, case, analyse, monkeypatch).key == "geometry.terminals.standoff_mm"
    # a junction_to_board environment without a board (the environment's checks)
    env = dataclasses.replace(base.environment, kind="junction_to_board")
    case = dataclasses.replace(base, geometry=dataclasses.replace(g, board=None), environment=env)
    raw = copy.deepcopy(UNIT)
    del raw["geometry"]["board"]
    raw["environment"] = {"kind": "junction_to_board", "ring_offset_mm": 3.0}
    assert _same_error(raw, case, analyse, monkeypatch).key == "environment.kind"
    # power on a region the model lacks (cross_checks)
    loads = dataclasses.replace(base.loads, power={"lid": 1.0})
    case = dataclasses.replace(base, loads=loads)
    raw = copy.deepcopy(UNIT)
    raw["loads"]["power_W"] = {"lid": 1.0}
    assert _same_error(raw, case, analyse, monkeypatch).key == "loads.power_W.lid"


def test_check_case_spec_passes_a_parsed_case():
    case = parse_study(copy.deepcopy(UNIT)).base
    check_case_spec(case)  # no error: the reader's own case passes its checks


# -- the ring cold plate's edge ------------------------------------------------------------


def _ring(offset_mm: float, **board):
    raw = copy.deepcopy(UNIT)
    raw["geometry"]["board"].update(board)
    raw["environment"] = {"kind": "junction_to_board", "ring_offset_mm": offset_mm}
    return parse_study(raw).base


def test_ring_offset_edge_near_the_board_edge_refused():
    """A cold-plate edge 0.05-0.2 um inside the board's edge left a strip meshed at shape
    quality 4e-4 to 9e-4 (5 um: 7.7e-3, 20 um: 0.018; RING_CLEARANCE_M)."""
    case = _ring(3.0)
    body = case.geometry.body[0]
    on_edge = (16e-3 - body) / 2 * 1e3  # mm: the cold plate's edge on the board's edge
    _ring(on_edge - 0.025)  # a 25 um strip: kept
    for strip_um in (0.05, 0.2, 5.0, 19.0):
        with pytest.raises(InputError) as exc:
            _ring(on_edge - strip_um * 1e-3)
        assert exc.value.key == "environment.ring_offset_mm"
        assert "board's edge" in exc.value.allowed
        assert f"at most {on_edge - 0.02:.6g} mm" in exc.value.allowed
    with pytest.raises(InputError, match="environment.ring_offset_mm"):
        _ring(on_edge)  # on the edge: no board point (the check that was there)


def test_ring_offset_edge_near_the_via_zone_refused():
    vias = {"pitch_mm": 1.2, "drill_mm": 0.3, "plating_um": 25, "zone_mm": [10.0, 10.0]}
    case = _ring(3.0, thermal_vias=vias)
    on_zone = (10e-3 - case.geometry.body[0]) / 2 * 1e3
    _ring(on_zone, thermal_vias=vias)  # on the zone's edge: one face
    _ring(on_zone + 0.025, thermal_vias=vias)
    _ring(on_zone - 0.025, thermal_vias=vias)
    for strip_um in (-5.0, 0.05, 10.0):
        with pytest.raises(InputError) as exc:
            _ring(on_zone + strip_um * 1e-3, thermal_vias=vias)
        assert exc.value.key == "environment.ring_offset_mm"
        assert "thermal-via zone" in exc.value.allowed


# -- keys an opening's kind does not use ---------------------------------------------------


def _openings(openings, sweep=None):
    raw = copy.deepcopy(UNIT)
    raw["geometry"]["openings"] = openings
    if sweep is not None:
        raw["sweep"] = sweep
    return raw


def _read(tmp_path, raw):
    """``raw`` read as the study file it would be (parse_study with the file's path)."""
    return parse_study(raw, path=str(tmp_path / "s.toml"))


def test_unused_opening_key_in_a_study_file_refused(tmp_path):
    holes = {"kind": "holes", "count": 2, "width_mm": 0.2, "height_mm": 0.3, "z0_mm": 0.1}
    with pytest.raises(InputError) as exc:
        _read(tmp_path, (_openings(holes)))
    e = exc.value
    assert e.key == "geometry.openings.height_mm" and e.value == 0.3
    assert "kind = 'holes'" in e.allowed and "width_mm" in e.allowed
    pillars = {"kind": "pillars", "count": 2, "width_mm": 0.2, "z0_um": 100}
    with pytest.raises(InputError) as exc:
        _read(tmp_path, (_openings(pillars)))
    assert exc.value.key == "geometry.openings.z0_um" and "pillars" in exc.value.allowed
    # a side's own key
    side = {"kind": "slots", "sides": {"xmin": {"kind": "pillars", "height_mm": 0.2}}}
    with pytest.raises(InputError) as exc:
        _read(tmp_path, (_openings(side)))
    assert exc.value.key == "geometry.openings.sides.xmin.height_mm"
    # a common key another side's slots use, a side's key its own kind uses: no word
    used = {
        "kind": "holes",
        "width_mm": 0.2,
        "height_mm": 0.15,
        "z0_mm": 0.1,
        "sides": {"xmin": {"kind": "slots", "width_mm": 0.4}},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _read(tmp_path, (_openings(used)))
        parse_study(_openings(used))


def test_unused_opening_key_without_a_path_warns():
    # a dict with neither path nor sweep may be one case's input of a sweep (the runner's)
    holes = {"kind": "holes", "count": 2, "width_mm": 0.2, "height_mm": 0.3}
    with pytest.warns(UserWarning, match=r"geometry.openings.height_mm = 0.3 is not used"):
        parse_study(_openings(holes))


def test_unused_opening_key_in_a_sweep_over_kind_warns_naming_the_cases():
    slots = {"kind": "slots", "count": 2, "width_mm": 0.2, "height_mm": 0.15, "z0_mm": 0.1}
    sweep = {"parameters": {"geometry.openings.kind": ["slots", "holes", "pillars"]}}
    with pytest.warns(UserWarning) as record:
        study = parse_study(_openings(slots, sweep))
    texts = [str(w.message) for w in record]
    assert any("height_mm = 0.15" in t and "'holes'" in t and "case0001" in t for t in texts)
    assert any("z0_mm = 0.1" in t and "'pillars'" in t and "case0002" in t for t in texts)
    assert not any("case0000" in t for t in texts)  # the slots case uses them
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a case of the read study: nothing said again
        cases = list(study.cases())
    assert [c.geometry.openings["xmin"].kind for _, _, c in cases] == ["slots", "holes", "pillars"]


def test_unused_opening_key_set_by_a_sweep_refused():
    holes = {"kind": "holes", "count": 2, "width_mm": 0.2}
    sweep = {"parameters": {"geometry.openings.height_mm": [0.1, 0.2]}}
    with pytest.raises(InputError) as exc:
        parse_study(_openings(holes, sweep))
    assert exc.value.key == "sweep.parameters -> geometry.openings.height_mm"
    # the base's own unused key in a sweep over something else: the study's
    sweep = {"parameters": {"geometry.openings.width_mm": [0.1, 0.2]}}
    with pytest.raises(InputError) as exc:
        parse_study(_openings({**holes, "height_mm": 0.3}, sweep))
    assert exc.value.key == "geometry.openings.height_mm"


def _with_process(raw):
    raw = copy.deepcopy(raw)
    raw["process"] = {
        "model": "history",
        "stages": [
            {"name": "mould", "duration_s": 60.0, "temperature_C": 175.0},
            {"name": "cool", "duration_s": 600.0, "temperature_C": 25.0},
        ],
    }
    return raw


def test_case_changed_in_python_process_checked(monkeypatch):
    """``[process]`` across its stages, the model and the loads (check_process) on a case
    changed in Python: the reader's error, before any meshing."""
    raw0 = _with_process(UNIT)
    base = parse_study(copy.deepcopy(raw0)).base
    check_case_spec(base)
    pr = base.process
    # a stage that adds a region the unit's history model does not have
    cool = dataclasses.replace(pr.stages[1], add=("mandrel",))
    case = dataclasses.replace(base, process=dataclasses.replace(pr, stages=(pr.stages[0], cool)))
    raw = copy.deepcopy(raw0)
    raw["process"]["stages"][1]["add"] = ["mandrel"]
    assert _same_error(raw, case, analyse, monkeypatch).key == "process.stages[1].add"
    # a reflow profile set in Python without its times
    loads = dataclasses.replace(base.loads, reflow=(25.0, 260.0, 25.0))
    case = dataclasses.replace(base, loads=loads)
    raw = copy.deepcopy(raw0)
    raw["loads"]["reflow_C"] = [25.0, 260.0, 25.0]
    assert _same_error(raw, case, analyse, monkeypatch).key == "process.reflow_time_s"
    # a cure below the use temperature (the lifecycle and cure checks)
    mould = dataclasses.replace(pr.stages[0], temperature=17.5, cure=("encapsulant",))
    case = dataclasses.replace(base, process=dataclasses.replace(pr, stages=(mould, pr.stages[1])))
    raw = copy.deepcopy(raw0)
    raw["process"]["stages"][0].update(temperature_C=17.5, cure=["encapsulant"])
    assert _same_error(raw, case, analyse, monkeypatch).key == "process.stages[0].temperature_C"


def test_derived_models_whose_loads_name_the_board_are_meshed(monkeypatch):
    """``build_mesh`` meshes the models derived from a study's case as they are: the
    package without its board (theta_JC) and the warpage model keep loads that name the
    study's board (``fixed_C`` on ``board_bottom``), which the reader would refuse for a
    study of that model alone; checking them there refused valid studies."""
    from fea.package import meshing
    from fea.package.analyse import warpage_case
    from fea.package.jedec import package_case

    raw = copy.deepcopy(UNIT)
    raw["loads"]["fixed_C"] = {"board_bottom": 25.0}
    case = parse_study(raw).base

    class ReachedError(MeshError):  # passed through by build_mesh as a builder's own error
        pass

    def _reached(*args, **kwargs):
        raise ReachedError("geometry reached")

    monkeypatch.setattr("fea.package.geometry.build", _reached)
    for derived in (package_case(case), warpage_case(case)):
        with pytest.raises(InputError):
            check_case_spec(derived)  # what a study of this model alone would be told
        with pytest.raises(ReachedError):
            meshing.build_mesh(derived, cache=False)


@pytest.mark.parametrize(
    ("stages", "extra", "key"),
    [
        # a stage with two problems: the region is named first, as each list is read
        ([{"add": ["dye"], "duration_s": -1.0}], {}, "process.stages[1].add"),
        ([{"add": ["dye"], "colour": "red"}], {}, "process.stages[1].add"),
        ([{"add": ["dye"]}, {"name": "cool"}], {}, "process.stages[1].add"),
        ([{"add": ["dye"]}], {"reflow_time_s": [0.0, 2.0, 1.0]}, "process.stages[1].add"),
        ([{"steps": 0, "cure": ["dye"]}], {}, "process.stages[1].cure"),
    ],
)
def test_process_errors_in_reading_order(stages, extra, key):
    """A [process] with several problems names the first one met reading it stage by
    stage (the order before check_process was factored out)."""
    raw = _with_process(UNIT)
    raw["process"]["stages"][1].update(stages[0])  # the "cool" stage
    for change in stages[1:]:  # stages after it
        raw["process"]["stages"].append({"duration_s": 1.0, "temperature_C": 25.0, **change})
    raw["process"].update(extra)
    with pytest.raises(InputError) as err:
        parse_study(raw)
    assert err.value.key == key


def test_process_first_stage_removal_named_at_remove():
    raw = _with_process(UNIT)
    raw["process"]["stages"][0]["remove"] = ["die"]
    with pytest.raises(InputError) as err:
        parse_study(raw)
    assert (err.value.key, err.value.value) == ("process.stages[0].remove", ("die",))
    raw["process"]["stages"][0]["remove"] = []
    raw["process"]["stages"][0]["add"] = ["die"]
    with pytest.raises(InputError) as err:
        parse_study(raw)
    assert (err.value.key, err.value.value) == ("process.stages[0].add", ("die",))
