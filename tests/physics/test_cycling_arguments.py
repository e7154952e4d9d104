"""Cycling profiles (:mod:`fea.physics.cycling`) given wrong arguments: dwell fractions, a
JESD22-A104 keyword given twice, a time that is not a number, each an InputError naming
it; the dwell fractions by hand."""

from __future__ import annotations

import math

import pytest

from fea.errors import InputError
from fea.physics.cycling import dwell_fractions, jesd22_a104, temperature_cycles

# -- profiles -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "key"),
    [
        ((0,), "cycling.dwell_points"),
        ((-1,), "cycling.dwell_points"),
        ((2.5,), "cycling.dwell_points"),
        ((3, 0.0), "cycling.dwell_ratio"),
        ((3, math.nan), "cycling.dwell_ratio"),
    ],
)
def test_dwell_fractions_refuses_what_temperature_cycles_refuses(args, key):
    """Before: dwell_fractions(0) gave (1.0,), one piece; ratio 0 three ends at 1.0; NaN
    NaN ends."""
    with pytest.raises(InputError) as ei:
        dwell_fractions(*args)
    assert ei.value.key == key


def test_dwell_fractions_by_hand():
    # pieces 1, 2, 4 of 7
    assert dwell_fractions(3, 2.0) == pytest.approx((1 / 7, 3 / 7, 1.0))
    assert dwell_fractions(1) == (1.0,)


def test_a_profile_keyword_twice_is_an_input_error():
    """jesd22_a104 fixes the extremes: t_min_C passed on was a TypeError."""
    with pytest.raises(InputError) as ei:
        jesd22_a104("G", t_min_C=0.0)
    assert ei.value.key == "cycling.t_min_C"
    # the documented keywords still pass
    p = jesd22_a104("G", cycles=1, first="hot", dwell_points=2)
    assert (p.first, p.dwell_points) == ("hot", 2)
    assert len(temperature_cycles(0.0, 100.0, cycles=1, dwell_s=0.0).points) == 4


def test_temperature_at_a_time_that_is_not_a_number_is_refused():
    """Before: temperature_at(nan) gave the last point's temperature (NaN compares false)."""
    p = temperature_cycles(0.0, 100.0, cycles=1, dwell_s=0.0, stress_free_C=50.0)
    # by hand: 50 -> 0 degC at 10 K/min takes 300 s; then up to 100 degC in 600 s
    assert p.temperature_at(150.0) == pytest.approx(25.0)
    assert p.temperature_at(600.0) == pytest.approx(50.0)
    for bad in (math.nan, math.inf, "10"):
        with pytest.raises(InputError) as ei:
            p.temperature_at(bad)
        assert ei.value.key == "t_s"
