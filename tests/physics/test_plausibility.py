"""Values a package cannot have: a Material in the wrong units warns, a value that is
not a property at all is refused, a WLF shift below absolute zero is refused."""

from __future__ import annotations

import math
import warnings

import pytest

import fea
from fea.errors import InputError
from fea.physics.materials import PlausibilityWarning

SILICON = dict(E=130e9, nu=0.28, alpha=2.6e-6, k=148.0, rho=2330.0, cp=700.0)


def _mat(**kw):
    return fea.Material("m", **{**SILICON, **kw})


def test_silicon_in_si_units_is_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _mat()
        fea.WLF(17.44, 51.6, 130.0)
        fea.WLF(17.44, 51.6, -273.0)


@pytest.mark.parametrize(
    ("key", "value", "unit"),
    [
        ("E", 130.0, "GPa"),  # 130 GPa typed in GPa
        ("E", 22_000.0, "MPa"),  # a mould compound typed in MPa
        ("E", 5e12, "Pa"),
        ("alpha", 2.6, "ppm"),  # 2.6 ppm/K typed in ppm
        ("k", 1e-4, "W/"),  # below aerogel
        ("k", 1e5, "W/"),
        ("rho", 2.33, "g/cm"),
        ("cp", 0.7, "J/\\(g K\\)"),
    ],
)
def test_a_property_in_another_unit_warns_naming_the_key(key, value, unit):
    with pytest.warns(PlausibilityWarning, match=rf"materials\.m\.{key} = .*{unit}"):
        _mat(**{key: value})


def test_warning_is_a_user_warning():
    assert issubclass(PlausibilityWarning, UserWarning)


@pytest.mark.parametrize("key", ["E", "k", "rho", "cp"])
@pytest.mark.parametrize("value", [0.0, -1.0, math.nan, math.inf])
def test_non_positive_or_non_finite_values_are_refused(key, value):
    with pytest.raises(InputError) as err:
        _mat(**{key: value})
    assert err.value.key == f"materials.m.{key}"


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_alpha_is_refused(value):
    with pytest.raises(InputError, match=r"materials\.m\.alpha"):
        _mat(alpha=value)


@pytest.mark.parametrize("T_ref", [-500.0, -273.15, math.nan, 1e300])
def test_wlf_reference_temperature_below_absolute_zero_is_refused(T_ref):
    with pytest.raises(InputError) as err:
        fea.WLF(17.44, 51.6, T_ref)
    assert err.value.key == "shift.T_ref_C"


def test_the_library_is_plausible():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in fea.materials.names():
            m = fea.materials.get(name)
            fea.Material(m.name, m.E, m.nu, m.alpha, m.k, m.rho, m.cp)
