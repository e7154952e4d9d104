from __future__ import annotations

import numpy as np
import pytest

from fea import materials
from fea.errors import InputError
from fea.physics.materials import Material, Table


@pytest.mark.parametrize("name", materials.names())
def test_library_entry_positive_with_source(name):
    m = materials.get(name)
    T = np.array([-55.0, 25.0, 125.0, 260.0])
    assert np.all(m.youngs(T) > 0)
    assert 0 < m.nu < 0.5
    assert np.all(m.secant_alpha(T, 25.0) > 0)
    assert np.all(m.conductivity(T) > 0)
    assert m.rho > 0 and m.cp > 0
    assert len(m.source) > 20, "every library value needs a cited source"


def test_required_library_materials():
    for n in [
        "copper",
        "nickel",
        "gold",
        "silicon",
        "polyimide",
        "mold_compound",
        "die_attach",
        "sac305",
        "fr4",
        "molybdenum",
        "stainless_steel",
        "brass",
        "chromium",
    ]:
        assert n in materials.LIBRARY


def test_unknown_material_suggests_closest():
    with pytest.raises(InputError, match="did you mean 'copper'"):
        materials.get("coper")


def test_table_interpolation_by_hand():
    t = Table((0.0, 100.0), (10.0, 30.0))
    assert t(50.0) == pytest.approx(20.0)
    assert t(-10.0) == pytest.approx(10.0)  # held constant beyond the ends
    assert t(150.0) == pytest.approx(30.0)
    # integral 0..100 = 2000; 50..150 = 0.5*(20+30)*50 + 30*50 = 2750
    assert t.integral(0.0, 100.0) == pytest.approx(2000.0)
    assert t.integral(50.0, 150.0) == pytest.approx(2750.0)
    assert t.integral(100.0, 0.0) == pytest.approx(-2000.0)


def test_mold_compound_thermal_strain_by_hand():
    m = materials.get("mold_compound")
    # 25->125 at 9 ppm: 900e-6; 125->135 linear 9->35 (mean 22): 220e-6; 135->175 at 35: 1400e-6
    assert m.thermal_strain(175.0, 25.0) == pytest.approx(2520e-6, rel=1e-12)
    assert m.secant_alpha(175.0, 25.0) == pytest.approx(2520e-6 / 150.0, rel=1e-12)
    assert m.secant_alpha(25.0, 25.0) == pytest.approx(9e-6, rel=1e-6)
    assert m.youngs(130.0) == pytest.approx((22e9 + 1.5e9) / 2)


def test_secant_instantaneous_conversion_by_hand():
    inst = Table((25.0, 125.0, 225.0), (10e-6, 10e-6, 30e-6))
    sec = materials.secant_from_instantaneous(inst, 25.0)
    # at 125: mean of a constant 10 ppm = 10 ppm; at 225: (1000 + 0.5*(10+30)*100)e-6 / 200 = 15 ppm
    assert sec(125.0) == pytest.approx(10e-6)
    assert sec(225.0) == pytest.approx(15e-6)
    assert sec(25.0) == pytest.approx(10e-6)
    # a secant-kind material built from it gives the same strains as the instantaneous one
    a = Material("a", E=1.0, nu=0.3, alpha=inst, k=1.0)
    b = Material("b", E=1.0, nu=0.3, alpha=sec, k=1.0, alpha_kind="secant", alpha_ref=25.0)
    for T, T0 in [(125.0, 25.0), (225.0, 25.0), (225.0, 125.0)]:
        assert b.thermal_strain(T, T0) == pytest.approx(a.thermal_strain(T, T0), rel=1e-12)
    # and back: a secant constant -> instantaneous constant
    back = materials.instantaneous_from_secant(Table((0.0, 100.0), (5e-6, 5e-6)), 0.0)
    assert back(50.0) == pytest.approx(5e-6)
    # secant linear in T from T_ref=0: a_sec = 1e-6 + 1e-8 T -> a_inst = 1e-6 + 2e-8 T
    back = materials.instantaneous_from_secant(Table((0.0, 100.0), (1e-6, 2e-6)), 0.0, T=[50.0])
    assert back(50.0) == pytest.approx(1e-6 + 2e-8 * 50.0)


def test_orthotropic_conductivity():
    m = materials.get("board_2s2p")
    k = m.conductivity(np.array([25.0, 50.0]))
    assert k.shape == (2, 3)
    assert k[0, 0] > 10 * k[0, 2]
    assert m.anisotropic


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(E=-1.0),
        dict(nu=0.5),
        dict(nu=-1.0),
        dict(k=0.0),
        dict(rho=float("nan")),
        dict(E=float("inf")),
        dict(k=(1.0, 2.0)),
    ],
)
def test_bad_material(kwargs):
    base = dict(name="x", E=1e9, nu=0.3, alpha=1e-5, k=1.0)
    base.update(kwargs)
    with pytest.raises(InputError):
        Material(**base)
