"""The panel's process input: stage lists that contradict
themselves or the panel's states, refused at their key before any work."""

from __future__ import annotations

import copy

import pytest

from fea import Stage
from fea.errors import InputError
from fea.package.spec import parse_study

from .test_symmetry_study import PANEL_PROCESS

PANEL = {
    "study": {"name": "panel_process", "kind": "panel"},
    "geometry": {
        "cavity_mm": [4.0, 4.0],
        "cavity_depth_mm": 0.50,
        "shell_thickness_um": 35,
        "dielectric_thickness_um": 50,
        "exterior_thickness_mm": 0.20,
        "die": {"size_mm": [2.5, 2.5], "thickness_mm": 0.25},
        "terminals": {"kind": "pads", "pitch_mm": 0.80, "rows": 4, "cols": 4},
        "panel": {"nx": 2, "ny": 2, "pitch_mm": 5.6, "singulated_units": "one"},
    },
    "mesh": {"size_mm": 2.0, "order": 1},
    "materials": {"shell": "copper", "encapsulant": "mold_compound", "mandrel": "molybdenum"},
    "loads": {"reference_C": {"encapsulant": 175.0, "*": 25.0}, "cure_shrinkage": True},
    # the stages of studies/panel_process.toml
    "process": {"model": "history", "stages": copy.deepcopy(PANEL_PROCESS["stages"])},
}


def study(**changes):
    d = copy.deepcopy(PANEL)
    for i, kv in changes.items():
        d["process"]["stages"][int(i[1:])].update(kv)
    return d


def refused(d) -> InputError:
    with pytest.raises(InputError) as err:
        parse_study(d)
    return err.value


def test_the_panel_process_study_is_valid():
    p = parse_study(copy.deepcopy(PANEL)).base.process
    assert [s.name for s in p.stages][-3:] == ["on_mandrel", "released", "singulated"]


def test_removing_an_absent_region_refused_at_its_stage():
    # the mandrel is removed at "released"; removing it again at singulation is a slip
    err = refused(study(s6={"remove": ["mandrel", "kerf"]}))
    assert err.key == "process.stages[6].remove" and err.value == "mandrel"
    # the compound is not there yet at stage 1 (it is born at stage 3)
    err = refused(study(s1={"remove": ["encapsulant"]}))
    assert err.key == "process.stages[1].remove" and err.value == "encapsulant"


def test_adding_a_present_region_refused_at_its_stage():
    # born at stage 3, born again at stage 4: the second birth would be lost or restart it
    err = refused(study(s4={"add": ["encapsulant"]}))
    assert err.key == "process.stages[4].add" and err.value == "encapsulant"
    # twice in one stage
    err = refused(study(s3={"add": ["encapsulant", "encapsulant"]}))
    assert err.key == "process.stages[3].add" and err.value == "encapsulant"


def test_panel_states_out_of_order_refused():
    # "released" before "on_mandrel": the state named on_mandrel would have no mandrel
    d = copy.deepcopy(PANEL)
    st = d["process"]["stages"]
    st[4], st[5] = st[5], st[4]
    err = refused(d)
    assert err.key == "process.stages[5].name" and err.value == "on_mandrel"
    assert "mandrel" in err.allowed
    # a "released" stage that does not remove the mandrel is not released
    err = refused(study(s5={"remove": []}, s6={"remove": ["mandrel", "kerf"]}))
    assert err.key == "process.stages[5].name" and err.value == "released"
    # a "singulated" stage with the kerf still on
    err = refused(study(s6={"remove": []}))
    assert err.key == "process.stages[6].name" and err.value == "singulated"


def test_independent_panel_takes_the_state_from_the_name():
    # the independent model solves each named state on its own model: no removals needed
    d = copy.deepcopy(PANEL)
    d["process"]["model"] = "independent"
    d["process"]["stages"] = [
        {"name": "on_mandrel", "duration_s": 0.0, "temperature_C": 25.0},
        {"name": "released", "duration_s": 0.0, "temperature_C": 25.0},
    ]
    assert [s.name for s in parse_study(d).base.process.stages] == ["on_mandrel", "released"]


def test_independent_panel_without_a_panel_stage_refused():
    # the independent model solves only the stages named like panel states: a list that
    # names none (here a misspelt one) would run and report nothing
    d = copy.deepcopy(PANEL)
    d["process"]["model"] = "independent"
    d["process"]["stages"] = [
        {"name": "formed", "duration_s": 0.0, "temperature_C": 25.0},
        {"name": "relesed", "duration_s": 1.0, "temperature_C": 25.0, "remove": ["mandrel"]},
    ]
    err = refused(d)
    assert err.key == "process.stages" and "released" in err.allowed


def test_cure_below_the_use_temperature_refused():
    # a cure at 17.5 C (175 C mistyped) with the panel used at 25 C
    err = refused(study(s2={"temperature_C": 17.5}, s3={"temperature_C": 17.5}))
    assert err.key == "process.stages[3].temperature_C" and err.value == 17.5
    assert "25" in err.allowed


@pytest.mark.parametrize("duration", [1e12, 1e300])
def test_long_durations_kept_valid(duration):
    # a hold of 1e12 s or more is the relaxed (rubbery) limit of a viscoelastic region,
    # used as such (tests/physics/test_history.py); the history integrates it finitely
    p = parse_study(study(s4={"duration_s": duration})).base.process
    assert p.stages[4].duration == duration
    assert Stage("hold", duration, 25.0).duration_s == duration


def test_zero_duration_kept_valid():
    # an instantaneous change is documented and used (the "formed" start)
    assert parse_study(study(s5={"duration_s": 0.0})).base.process.stages[5].duration == 0.0
    assert Stage("quench", 0.0, 25.0).duration_s == 0.0


def test_python_process_refuses_removing_an_absent_region():
    # the same slips through the Python API: refused when the Process is built, not in
    # the middle of solve_history after the stages before them have run
    from fea import Process

    start = Stage("formed", 0.0, 25.0)
    released = Stage("released", 1.0, 25.0, remove=["mandrel"])
    with pytest.raises(InputError) as err:
        Process((start, released, Stage("again", 1.0, 25.0, remove=["mandrel"])))
    assert err.value.key == "stage.again.remove" and err.value.value == "mandrel"
    early = Stage("early", 1.0, 25.0, remove=["encapsulant"])
    mould = Stage("moulded", 1.0, 175.0, add=["encapsulant"])
    with pytest.raises(InputError) as err:
        Process((start, early, mould))
    assert err.value.key == "stage.early.remove" and err.value.value == "encapsulant"


def test_python_process_refuses_adding_a_present_region():
    from fea import Process

    start = Stage("formed", 0.0, 25.0)
    mould = Stage("moulded", 1.0, 175.0, add=["encapsulant"])
    with pytest.raises(InputError) as err:
        Process((start, mould, Stage("again", 1.0, 175.0, add=["encapsulant"])))
    assert err.value.key == "stage.again.add" and err.value.value == "encapsulant"
    # born, removed, born again: a valid history
    p = Process(
        (
            start,
            mould,
            Stage("off", 1.0, 25.0, remove=["encapsulant"]),
            Stage("on", 1.0, 175.0, add=["encapsulant"]),
        )
    )
    assert p.born == ("encapsulant",)


@pytest.mark.parametrize("T", ["hot", None, True, ["a", "b"], {"die": 25.0}])
def test_stage_temperature_of_no_kind_refused_when_built(T):
    # a number, nodal values or f(x, y, z); anything else was accepted here and failed only
    # when the history reached the stage
    with pytest.raises(InputError) as err:
        Stage("mould", 1.0, T)
    assert err.value.key == "stage.mould.temperature"


def _geometry(nx: int, ny: int):
    d = copy.deepcopy(PANEL)
    d["geometry"]["panel"].update(nx=nx, ny=ny)
    return parse_study(d).base.geometry


@pytest.mark.parametrize(
    ("nx", "ny", "kept_mm"),
    [
        (3, 3, (0.0, 0.0)),  # the centre unit
        (1, 1, (0.0, 0.0)),
        # no unit at the centre: one of the units nearest it (by hand: pitch / 2 off the
        # centre in y, in the middle column), not the left column's (-5.6, 2.8) mm
        (3, 2, (0.0, 2.8)),
        (2, 3, (2.8, 0.0)),
        (2, 2, (-2.8, 2.8)),  # all four equally near: the one kept before
        (5, 2, (0.0, 2.8)),
    ],
)
def test_singulated_one_keeps_a_unit_nearest_the_centre(nx, ny, kept_mm):
    from fea.package.geometry.panel import kept_site

    x, y = kept_site(_geometry(nx, ny))
    assert (x * 1e3, y * 1e3) == pytest.approx(kept_mm, abs=1e-9)
