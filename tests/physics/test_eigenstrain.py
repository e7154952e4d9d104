"""Eigenstrains against hand values: volumetric cure shrinkage as a linear strain, a
secant CTE table referred to its own reference temperature, the degree of cure."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from fea.physics.eigenstrain import thermal_eigenstrain
from fea.physics.materials import Material, Table

MESH = SimpleNamespace(regions={"mold": np.array([0, 1]), "die": np.array([2])})
SILICON = Material("si", E=130e9, nu=0.28, alpha=2.6e-6, k=150.0)


def test_volumetric_shrinkage_is_a_third_linear():
    """0.3 % volumetric shrinkage is a linear strain of -0.1 % (small strain:
    (1 - 0.003)^(1/3) - 1 = -0.1001 %); at the stress-free temperature only that."""
    mold = Material("mc", E=20e9, nu=0.3, alpha=10e-6, k=0.8, shrinkage=0.003)
    mats = {"mold": mold, "die": SILICON}
    T = np.full((3, 4), 175.0)
    eps = thermal_eigenstrain(MESH, mats, {"mold": 175.0, "die": 175.0}, T, ["mold"])
    assert eps[:2] == pytest.approx(np.full((2, 4), -0.001), rel=1e-12)
    assert (1 - 0.003) ** (1 / 3) - 1 == pytest.approx(-0.001, rel=2e-3)
    assert eps[2] == pytest.approx(np.zeros(4), abs=1e-18)
    # half cured: half of it; cooled to 25 degC: the thermal strain adds
    eps = thermal_eigenstrain(
        MESH, mats, {"mold": 175.0, "die": 175.0}, T - 150.0, cure={"mold": 0.5}
    )
    assert eps[0, 0] == pytest.approx(10e-6 * -150.0 - 0.5 * 0.001, rel=1e-12)
    assert eps[2, 0] == pytest.approx(2.6e-6 * -150.0, rel=1e-12)


def test_secant_table_is_referred_to_its_own_reference():
    """Secant CTE measured from 25 degC, 10 ppm/K at 25 and 150 degC, 30 ppm/K at 260:
    from a stress-free 175 degC to 200 degC, eps = a(200) (200 - 25) - a(175) (175 - 25)
    = 19.091e-6 * 175 - 14.545e-6 * 150 = 1.1591e-3, where a(T) (T - T0) with the
    secant value read as if measured from 175 degC would give 0.477e-3."""
    table = Table((25.0, 150.0, 260.0), (10e-6, 10e-6, 30e-6))
    m = Material("mc", E=20e9, nu=0.3, alpha=table, k=0.8, alpha_kind="secant", alpha_ref=25.0)
    eps = thermal_eigenstrain(
        SimpleNamespace(regions={"mold": np.array([0])}),
        {"mold": m},
        {"mold": 175.0},
        np.array([[200.0]]),
    )

    def a(T: float) -> float:
        return float(np.interp(T, table.T, table.values))

    expected = a(200.0) * (200.0 - 25.0) - a(175.0) * (175.0 - 25.0)
    assert eps[0, 0] == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(1.159091e-3, rel=1e-6)
