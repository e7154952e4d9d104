"""Temperature sweeps of warpage: one factorization reused, same answers as single solves."""

from __future__ import annotations

import numpy as np
import pytest

from fea.physics.materials import Material, Table
from fea.physics.mechanics import close_solver_cache, solve_thermoelastic, warpage_curve

from ..verification.helpers import layered_box, plane

MATS = {
    "metal": Material("metal", E=120e9, nu=0.34, alpha=17e-6, k=1.0),
    "mold": Material("mold", E=20e9, nu=0.3, alpha=9e-6, k=1.0),
}


@pytest.fixture(scope="module")
def strip():
    return layered_box(
        (4e-3, 2e-3),
        [("metal", 0.1e-3, 1), ("mold", 0.3e-3, 2)],
        0.5e-3,
        order=2,
        faces={"top": plane(2, 0.4e-3)},
    )


def test_warpage_curve_is_linear_in_temperature_and_matches_single_solves(strip):
    temps = [25.0, 100.0, 183.0, 260.0, 183.0, 25.0]
    curve = warpage_curve(strip, MATS, temps, surface="top", reference=175.0, backend="cpu")
    assert [T for T, _ in curve] == temps
    w = np.array([c.signed for _, c in curve])
    # one reference temperature, constant properties: warpage proportional to T - T_ref
    slope = w[0] / (25.0 - 175.0)
    assert np.allclose(w, slope * (np.array(temps) - 175.0), rtol=1e-8, atol=0)
    assert w[0] == pytest.approx(w[-1], rel=1e-12)  # back at 25 degC: same warpage
    assert np.sign(w[0]) != np.sign(w[3])  # cooling and heating bend opposite ways
    single = solve_thermoelastic(strip, MATS, 260.0, 175.0, backend="cpu").warpage("top")
    assert curve[3][1].peak_to_valley == pytest.approx(single.peak_to_valley, rel=1e-9)
    assert curve[3][1].curvature == pytest.approx(single.curvature, rel=1e-9)


def test_solver_cache_reuses_the_setup_only_when_stiffness_is_unchanged(strip):
    cache: dict = {}
    try:
        a = solve_thermoelastic(strip, MATS, 25.0, 175.0, backend="cpu", solver_cache=cache)
        b = solve_thermoelastic(strip, MATS, 260.0, 175.0, backend="cpu", solver_cache=cache)
        assert a.solver_info["reused_setup"] is False and b.solver_info["reused_setup"] is True
        ref = solve_thermoelastic(strip, MATS, 260.0, 175.0, backend="cpu")
        assert np.allclose(
            b.displacement, ref.displacement, rtol=0, atol=1e-10 * np.abs(ref.displacement).max()
        )
        # a modulus that drops above 120 degC: the stiffness changes, the setup is redone
        soft = dict(
            MATS,
            mold=Material(
                "mold", E=Table((25.0, 120.0, 140.0), (20e9, 20e9, 2e9)), nu=0.3, alpha=9e-6, k=1.0
            ),
        )
        c = solve_thermoelastic(strip, soft, 100.0, 175.0, backend="cpu", solver_cache=cache)
        d = solve_thermoelastic(strip, soft, 260.0, 175.0, backend="cpu", solver_cache=cache)
        # at 100 degC the soft mold still has 20 GPa: the very same stiffness, reused
        assert c.solver_info["reused_setup"] is True and d.solver_info["reused_setup"] is False
        e = solve_thermoelastic(strip, soft, 260.0, 175.0, backend="cpu", solver_cache=cache)
        assert e.solver_info["reused_setup"] is True
        assert len(cache) == 1
    finally:
        close_solver_cache(cache)
    assert cache == {}


def test_amg_setup_reused_in_a_sweep(strip):
    curve_direct = warpage_curve(strip, MATS, [25.0, 260.0], reference=175.0, backend="cpu")
    curve_amg = warpage_curve(
        strip, MATS, [25.0, 260.0], reference=175.0, backend="cpu", method="amg", rtol=1e-12
    )
    for (_, a), (_, b) in zip(curve_direct, curve_amg, strict=True):
        assert b.signed == pytest.approx(a.signed, rel=1e-7)
