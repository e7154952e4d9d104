from __future__ import annotations

import math

import pytest

from fea import units
from fea.errors import InputError


@pytest.mark.parametrize("suffix", sorted(units.SUFFIX_TO_SI))
@pytest.mark.parametrize("value", [0.0, 1.0, 0.035, 123.456, -7.5])
def test_round_trip(suffix, value):
    assert math.isclose(
        units.from_si(units.to_si(value, suffix), suffix), value, rel_tol=1e-15, abs_tol=1e-300
    )


def test_known_conversions():
    assert units.mm(10.0) == pytest.approx(0.01)
    assert units.um(35.0) == pytest.approx(35e-6)
    assert units.gpa(130.0) == pytest.approx(130e9)
    assert units.mpa(50.0) == pytest.approx(50e6)
    assert units.ppm(17.0) == pytest.approx(17e-6)


def test_wavelength_5ghz():
    assert units.wavelength(5e9) == pytest.approx(0.05996, rel=1e-4)
    for bad in (0.0, -1e9, math.inf, math.nan, "5e9", True):
        with pytest.raises(InputError, match="frequency_hz"):
            units.wavelength(bad)
