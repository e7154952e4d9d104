"""A cross-check's value is shown as the user would write it in mm, not with the rounding
of the metre conversion (``shell_thickness_um = 35000`` was reported as
``geometry.shell_thickness_mm = 34.99999999999999``)."""

from __future__ import annotations

import pytest

from fea.errors import InputError
from fea.package.spec import parse_study

from .test_spec import with_change


@pytest.mark.parametrize(
    ("path", "value", "key", "shown"),
    [
        ("geometry.shell_thickness_um", 35000, "geometry.shell_thickness_mm", 35.0),
        ("geometry.die.thickness_mm", 0.7, "geometry.die.thickness_mm", 0.7),
        ("geometry.die.size_mm", [10.3, 6.0], "geometry.die.size_mm", [10.3, 6.0]),
    ],
)
def test_cross_check_values_are_shown_in_mm_as_written(path, value, key, shown):
    with pytest.raises(InputError) as ei:
        parse_study(with_change(path, value))
    assert ei.value.key == key and ei.value.value == shown


def test_solver_maxiter_is_capped_when_the_study_file_is_read():
    """``[solver] maxiter = 1e9`` parsed, meshed and was refused only at the first solve,
    under the solver's key ``maxiter``; now ``solver.maxiter`` when the file is read."""
    from fea.solvers.base import MAXITER_CAP

    with pytest.raises(InputError) as ei:
        parse_study(with_change("solver.maxiter", 10**9))
    assert ei.value.key == "solver.maxiter"
    spec = parse_study(with_change("solver.maxiter", MAXITER_CAP))
    assert spec.base.solver.maxiter == MAXITER_CAP


def test_an_ambient_in_kelvin_is_warned_of_and_a_hot_one_is_not_refused():
    """``[loads] ambient_C = 298`` (25 °C written in kelvin) was taken silently as a 298 °C
    ambient: it is warned of, naming the key and the kelvin reading; 150 °C (AEC-Q100
    grade 0) is not."""
    import warnings

    from fea.fe.mesh import PlausibilityWarning

    with pytest.warns(PlausibilityWarning, match=r"loads\.ambient_C = 298 .*24\.85 °C"):
        case = parse_study(with_change("loads.ambient_C", 298)).base
    assert case.loads.ambient == 298.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlausibilityWarning)
        assert parse_study(with_change("loads.ambient_C", 150)).base.loads.ambient == 150.0
