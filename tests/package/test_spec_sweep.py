"""``[sweep]`` slips that ran without a word: a key the kind does not read (a grid with
``n``, cases with ``parameters``), the same value or case twice (run twice), and an error of
the study itself blamed on the first sweep entry."""

from __future__ import annotations

import copy

import pytest

from fea.errors import InputError
from fea.package.spec import parse_study

from .test_spec import GOOD


def _study(**sweep):
    d = copy.deepcopy(GOOD)
    d["sweep"] = sweep
    return d


@pytest.mark.parametrize(
    ("sweep", "key"),
    [
        ({"kind": "grid", "parameters": {"loads.h": [10.0, 20.0]}, "n": 20}, "sweep.n"),
        ({"kind": "grid", "parameters": {"loads.h": [10.0, 20.0]}, "seed": 3}, "sweep.seed"),
        ({"parameters": {"loads.h": [10.0]}, "cases": [{"loads.h": 5.0}]}, "sweep.cases"),
        ({"kind": "random", "parameters": {"loads.h": [10.0, 20.0]}, "n": 2,
          "cases": [{"loads.h": 5.0}]}, "sweep.cases"),
        ({"kind": "cases", "cases": [{"loads.h": 5.0}], "parameters": {"loads.h": [1.0]}},
         "sweep.parameters"),
        ({"kind": "cases", "cases": [{"loads.h": 5.0}], "n": 3}, "sweep.n"),
    ],
)
def test_a_key_the_kind_does_not_read_is_refused(sweep, key):
    with pytest.raises(InputError) as ei:
        parse_study(_study(**sweep))
    assert ei.value.key == key and f"kind = '{sweep.get('kind', 'grid')}'" in ei.value.allowed


def test_the_same_value_or_case_twice_is_refused():
    with pytest.raises(InputError) as ei:
        parse_study(_study(parameters={"loads.h": [10.0, 20.0, 10.0]}))
    assert ei.value.key == "sweep.parameters.loads.h[2]" and "[0]" in ei.value.allowed
    with pytest.raises(InputError) as ei:
        parse_study(_study(kind="cases", cases=[{"loads.h": 5.0}, {"loads.h": 6.0},
                                                {"loads.h": 5.0}]))
    assert ei.value.key == "sweep.cases[2]" and "[0]" in ei.value.allowed
    # distinct values are a grid
    s = parse_study(_study(parameters={"loads.h": [10.0, 20.0]}))
    assert s.sweep.kind == "grid"


def test_an_error_of_the_study_itself_is_named_as_its_own():
    bad = _study(parameters={"loads.h": [10.0, 20.0]})
    bad["outputs"] = {"metrics": ["Tj_mx"]}
    with pytest.raises(InputError) as ei:
        parse_study(bad)
    assert ei.value.key.startswith("outputs.metrics") and "sweep" not in ei.value.key
    # an error that comes with a swept value stays the sweep entry's
    bad = _study(parameters={"geometry.shell_thickness_um": [35.0, -5.0]})
    with pytest.raises(InputError) as ei:
        parse_study(bad)
    assert ei.value.key.startswith("sweep.parameters.geometry.shell_thickness_um[1]")


def test_an_integer_and_its_float_are_one_value():
    """``1`` and ``1.0`` (TOML's integer and float) ran as two cases of one value."""
    with pytest.raises(InputError) as ei:
        parse_study(_study(parameters={"loads.h": [10.0, 10]}))
    assert ei.value.key == "sweep.parameters.loads.h[1]" and "[0]" in ei.value.allowed
    with pytest.raises(InputError) as ei:
        parse_study(_study(kind="cases", cases=[{"loads.h": 5.0}, {"loads.h": 5}]))
    assert ei.value.key == "sweep.cases[1]"
    with pytest.raises(InputError) as ei:  # inside a list value too
        parse_study(_study(parameters={"geometry.cavity_mm": [[9.0, 9.0], [9, 9]]}))
    assert ei.value.key == "sweep.parameters.geometry.cavity_mm[1]"
    # a boolean is not a number: true and false stay two values
    s = parse_study(_study(parameters={"geometry.board.enabled": [True, False]}))
    assert len(s.case_parameters()) == 2
