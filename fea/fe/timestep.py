"""Time stepping: the theta method with fixed or adaptive steps, for any first-order
system ``M dy/dt + K y = f(t)`` whose one step the caller provides.

:func:`integrate` drives a caller's ``step(y, t, dt) -> y_new``; the adaptive mode
estimates the local error by step doubling and keeps the steps on a grid of ratio
sqrt(2) around the first step, so a caller that caches one factorization per step size
reuses them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError, SolverError

__all__ = ["Integration", "Transient", "integrate"]


@dataclass(frozen=True)
class Transient:
    """Time stepping by the theta method.

    Parameters
    ----------
    t_end, dt
        End time and (initial, if adaptive) step [s].
    initial
        Initial temperature [degC]: a float, nodal values (n,) at the space's nodes (e.g.
        a previous ``ThermalResult.temperature``), or ``f(x, y, z)`` with x, y, z (n,) in m.
    theta
        1 = backward Euler, 0.5 = Crank-Nicolson.
    adaptive
        Adapt the step by step doubling: each step is also taken as two half steps, the
        difference estimates the local error, and the step grows or shrinks (within a
        factor 0.25-2, on a grid of ratio sqrt 2 so factorizations are reused) to keep it
        below ``tol``.
    tol
        Adaptive only: largest local error per step [K] (max norm over nodes).
    dt_min, dt_max
        Adaptive only: bounds of the step [s] (default t_end * 1e-9 and t_end / 4).
    """

    t_end: float
    dt: float
    initial: float | ArrayLike | Callable[..., ArrayLike] = 25.0
    theta: float = 1.0
    adaptive: bool = False
    tol: float = 0.05
    dt_min: float | None = None
    dt_max: float | None = None

    def __post_init__(self) -> None:
        if not (self.t_end > 0 and 0 < self.dt <= self.t_end):
            raise InputError("transient", (self.t_end, self.dt), "0 < dt <= t_end")
        if not 0.5 <= self.theta <= 1.0:
            raise InputError("transient.theta", self.theta, "a value in [0.5, 1]")
        if not self.tol > 0:
            raise InputError("transient.tol", self.tol, "a positive temperature error [K]")
        lo, hi = self.bounds()
        if not 0 < lo <= hi:
            raise InputError("transient.dt_min", (self.dt_min, self.dt_max), "0 < dt_min <= dt_max")

    def bounds(self) -> tuple[float, float]:
        """(dt_min, dt_max) [s] of the adaptive step."""
        lo = self.dt_min if self.dt_min is not None else self.t_end * 1e-9
        hi = self.dt_max if self.dt_max is not None else self.t_end / 4
        return lo, max(hi, min(self.dt, self.t_end))


@dataclass
class Integration:
    """What :func:`integrate` produced: accepted times (s,) [s], the states at those
    times (s, ...) and facts (steps, rejected steps, largest local error, step range)."""

    times: NDArray[np.float64]
    history: NDArray[np.float64]
    info: dict[str, Any] = field(default_factory=dict)


Step = Callable[[NDArray[np.float64], float, float], NDArray[np.float64]]


def integrate(step: Step, y0: NDArray[np.float64], transient: Transient) -> Integration:
    """Advance ``y0`` from t = 0 to ``transient.t_end`` with ``step(y, t, dt)``.

    Fixed steps: ``ceil(t_end / dt)`` equal steps. Adaptive (``transient.adaptive``):
    each step is also taken as two half steps; the difference over ``2^p - 1`` (p = 1 for
    backward Euler, 2 for Crank-Nicolson) estimates the local error of the half-step
    solution, which is accepted when the error (max norm) is below ``transient.tol``.
    The next step is ``0.9 (tol/err)^(1/(p+1))`` times this one, within [0.25, 2] and
    the bounds, snapped to the sqrt(2) grid.
    """
    y = np.array(y0, dtype=float, copy=True)
    times, hist = [0.0], [y.copy()]
    info: dict[str, Any] = {}
    if not transient.adaptive:
        nsteps = int(np.ceil(transient.t_end / transient.dt - 1e-9))
        dt = transient.t_end / nsteps
        for k in range(1, nsteps + 1):
            y = step(y, (k - 1) * dt, dt)
            times.append(k * dt)
            hist.append(y.copy())
        info["steps"] = nsteps
        return Integration(np.array(times), np.array(hist), info)
    dt_lo, dt_hi = transient.bounds()
    order = 2 if transient.theta == 0.5 else 1
    grid = np.sqrt(2.0)
    dt0 = transient.dt

    def snap(x: float) -> float:  # steps on a grid of ratio sqrt(2) around dt0
        return float(dt0 * grid ** np.round(np.log(x / dt0) / np.log(grid)))

    t, dt, rejected, worst = 0.0, dt0, 0, 0.0
    while t < transient.t_end * (1 - 1e-12):
        h = min(dt, transient.t_end - t)
        full = step(y, t, h)
        half = step(step(y, t, h / 2), t + h / 2, h / 2)
        err = float(np.abs(half - full).max()) / (2**order - 1)
        if err > transient.tol and h <= dt_lo * (1 + 1e-9):
            raise SolverError(
                f"adaptive time stepping: local error {err:.3g} > tol "
                f"{transient.tol:g} at the smallest step {dt_lo:.3g} s (t = {t:.6g} s); "
                "an initial state incompatible with the boundary conditions "
                "(a jump at t = 0) needs a fixed first step or a larger tol"
            )
        if err <= transient.tol:
            t += h
            y = half
            times.append(t)
            hist.append(y.copy())
            worst = max(worst, err)
        else:
            rejected += 1
        factor = 0.9 * (transient.tol / max(err, 1e-300)) ** (1.0 / (order + 1))
        if err > transient.tol:  # a rejected step always goes down the grid
            factor = min(factor, 1.0 / grid)
        dt = min(max(snap(h * min(2.0, max(0.25, factor))), dt_lo), dt_hi)
    info.update(
        steps=len(times) - 1,
        rejected=rejected,
        max_local_error=worst,
        dt_range=[float(np.min(np.diff(times))), float(np.max(np.diff(times)))],
    )
    return Integration(np.array(times), np.array(hist), info)
