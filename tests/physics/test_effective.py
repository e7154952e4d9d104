"""Effective board conductivities against their closed forms: the parallel (Voigt,
Wiener upper) rule along layers, the series (Reuss, Wiener lower) rule across them, and
the plated-through-hole copper fraction."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics.effective import covered_layer, layered_conductivity, via_fraction, with_vias


def test_copper_on_laminate_closed_forms():
    """35 um copper (390 W/(m K)) on 1.565 mm laminate (0.8 along, 0.3 across): along the
    layers sum(t k) / sum(t) = 9.314 W/(m K), across them sum(t) / sum(t / k) = 0.3067."""
    t, kx, kz = [35e-6, 1.565e-3], [390.0, 0.8], [390.0, 0.3]
    eff = layered_conductivity(t, kx, kz)
    assert eff.in_plane == pytest.approx((35e-6 * 390 + 1.565e-3 * 0.8) / 1.6e-3, rel=1e-12)
    assert eff.in_plane == pytest.approx(9.31375, rel=1e-6)
    assert eff.through == pytest.approx(1.6e-3 / (35e-6 / 390 + 1.565e-3 / 0.3), rel=1e-12)
    assert eff.through == pytest.approx(0.306704, rel=1e-6)


def test_isotropic_layers_lie_between_the_wiener_bounds():
    """For isotropic layers the in-plane value is the arithmetic (upper) and the through
    value the harmonic (lower) mean of the same conductivities and volume fractions,
    with the Hashin-Shtrikman bounds of the 3-D mixture between them."""
    rng = np.random.default_rng(3)
    t = rng.uniform(10e-6, 200e-6, 6)
    k = rng.uniform(0.2, 400.0, 6)
    eff = layered_conductivity(t, k, k)
    f = t / t.sum()
    assert eff.in_plane == pytest.approx(f @ k, rel=1e-12)
    assert eff.through == pytest.approx(1.0 / (f @ (1.0 / k)), rel=1e-12)
    # two phases: HS bounds k1 + f2 / (1 / (k2 - k1) + f1 / (3 k1))
    eff2 = layered_conductivity([0.3, 0.7], [390.0, 0.3], [390.0, 0.3])
    lo = 0.3 + 0.3 / (1 / (390.0 - 0.3) + 0.7 / (3 * 0.3))
    hi = 390.0 + 0.7 / (1 / (0.3 - 390.0) + 0.3 / (3 * 390.0))
    assert eff2.through < lo < hi < eff2.in_plane


def test_covered_layer_and_vias():
    """A layer 40 % copper: 0.4 * 390 + 0.6 * 0.3 both ways (columns through the layer;
    in-plane the upper bound of traces along the flow). Vias of 0.3 mm drill, 25 um
    plating at 1 mm pitch: pi / 4 (0.3^2 - 0.25^2) = 0.02160 of the area (filled:
    pi / 4 0.3^2 = 0.07069), added in parallel through the board."""
    c = covered_layer(0.4, 390.0, 0.3)
    assert c.in_plane == c.through == pytest.approx(0.4 * 390.0 + 0.6 * 0.3, rel=1e-12)
    f = via_fraction(1e-3, 0.3e-3, 25e-6)
    assert f == pytest.approx(np.pi / 4 * (0.3**2 - 0.25**2), rel=1e-12)
    assert via_fraction(1e-3, 0.3e-3, 25e-6, filled=True) == pytest.approx(
        np.pi / 4 * 0.09, rel=1e-12
    )
    v = with_vias(layered_conductivity([1.6e-3], [0.8], [0.3]), f, 390.0)
    assert v.in_plane == 0.8
    assert v.through == pytest.approx((1 - f) * 0.3 + f * 390.0, rel=1e-12)
    with pytest.raises(InputError) as e:
        via_fraction(1e-3, 0.3e-3, 0.2e-3)
    assert e.value.key == "drill_m"
