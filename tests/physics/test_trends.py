"""Trends a parametric study relies on, on a two-layer plate (a die-like layer under a
compound layer, 4 x 4 mm), against what holds exactly for the linear models:

- the junction's rise over ambient is proportional to the power when k does not depend
  on T (and grows faster than the power with silicon's k(T), which falls with T);
- a better-conducting compound lowers the junction temperature;
- the thermal warpage of an elastic body at a uniform temperature is proportional to
  the CTE mismatch times (T - T_ref): zero where the two CTEs are equal, of opposite
  sign on either side, and in proportion to the stress-free temperature's distance.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from fea.physics.materials import Material, get
from fea.physics.mechanics import solve_thermoelastic
from fea.physics.thermal import solve_thermal

from ..verification.helpers import layered_box, plane

L, T_DIE, T_MOLD = 4e-3, 0.3e-3, 0.5e-3
DIE = Material("die", E=130e9, nu=0.28, alpha=17e-6, k=150.0)
MOLD = Material("mold", E=20e9, nu=0.3, alpha=17e-6, k=0.9)
TA = 25.0


@pytest.fixture(scope="module")
def plate():
    return layered_box(
        (L, L),
        [("die", T_DIE, 1), ("mold", T_MOLD, 1)],
        1.0e-3,
        order=2,
        faces={"top": plane(2, T_DIE + T_MOLD), "bottom": plane(2, 0.0)},
    )


def _tj(mesh, die: Material, mold: Material, power: float) -> float:
    th = solve_thermal(
        mesh,
        {"die": die, "mold": mold},
        sources={"die": power},
        convection={"top": (10.0, TA), "bottom": (1000.0, TA)},
        backend="cpu",
    )
    return float(th.temperature.max())


def test_junction_rise_is_proportional_to_power(plate):
    """Constant k: (Tj - Ta) at 0.5, 1 and 2 W in the ratio 1 : 2 : 4 to the solver's
    tolerance; silicon's k(T) (150 W/(m K) at 25 degC, 95 at 150) makes the rise grow
    faster than the power."""
    rises = [_tj(plate, DIE, MOLD, p) - TA for p in (0.5, 1.0, 2.0)]
    assert rises[1] / rises[0] == pytest.approx(2.0, rel=1e-8)
    assert rises[2] / rises[0] == pytest.approx(4.0, rel=1e-8)
    si = replace(get("silicon"), name="die")
    hot = [_tj(plate, si, MOLD, p) - TA for p in (1.0, 2.0)]  # 85 and 150 degC
    assert hot[1] > (1 + 1e-6) * 2.0 * hot[0]


def test_a_better_conducting_compound_lowers_the_junction(plate):
    tj = [_tj(plate, DIE, replace(MOLD, k=k), 1.0) for k in (0.45, 0.9, 1.8, 3.6)]
    assert np.all(np.diff(tj) < 0)


def _warpage(mesh, alpha_mold: float, reference: float, T: float = 25.0) -> float:
    me = solve_thermoelastic(
        mesh,
        {"die": DIE, "mold": replace(MOLD, alpha=alpha_mold)},
        temperature=T,
        reference=reference,
        backend="cpu",
        method="direct",
    )
    return float(me.warpage("top").signed)


def test_warpage_reverses_where_the_ctes_cross(plate):
    """Cooled from 175 to 25 degC: the compound 5 ppm/K above the die's bends the plate
    one way, 5 below the other way by as much, equal CTEs not at all (a free body at a
    uniform temperature with one CTE is stress free). The compound on top shrinking more
    leaves the top concave: negative in the JEDEC sign."""
    lo, eq, hi = (_warpage(plate, a * 1e-6, 175.0) for a in (12.0, 17.0, 22.0))
    assert hi < 0 < lo
    assert hi == pytest.approx(-lo, rel=1e-6)
    assert abs(eq) < 1e-9 * abs(lo)


def test_warpage_is_proportional_to_the_distance_from_the_stress_free_temperature(plate):
    """(T - T_ref) of -75, -150 and -225 K: warpage in the ratio 1 : 2 : 3."""
    w = [_warpage(plate, 27e-6, ref) for ref in (100.0, 175.0, 250.0)]
    assert w[1] / w[0] == pytest.approx(2.0, rel=1e-6)
    assert w[2] / w[0] == pytest.approx(3.0, rel=1e-6)
