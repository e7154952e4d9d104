"""Time stepping: the theta method with fixed or adaptive steps, for any first-order
system ``M dy/dt + K y = f(t)`` whose one step the caller provides.

:func:`integrate` drives a caller's ``step(y, t, dt) -> y_new``; the adaptive mode
estimates the local error by step doubling and keeps the steps on a grid of ratio
sqrt(2) around the first step, so a caller that caches one factorization per step size
reuses them. Requested output times are served by linear interpolation between
accepted steps (the theta method's own dense output for theta = 1), so they never
force an off-grid step; the corners of a :class:`Profile` do (a load that jumps inside
a step would be smeared over it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError, SolverError
from ..validate import check_finite, check_range, check_rtol, init_renamed, renamed_attribute

__all__ = ["Integration", "Profile", "SCHEMES", "Transient", "integrate", "log_times"]

SCHEMES = ("steps", "reduced")


class Profile:
    """A piecewise-linear function of time through points ``(t_i, f_i)``.

    Times are non-decreasing; a time given twice is a jump (the second value holds from
    it on). Before the first point the first value holds, after the last the last. Used
    as the factor on every source and flux of a transient (a power-versus-time table).

    Parameters
    ----------
    points
        ``[(t_0, f_0), (t_1, f_1), ...]`` with times [s] >= 0 and finite factors.
    key
        The input's name in error messages.
    """

    def __init__(self, points: Sequence[Sequence[float]], key: str = "transient.power") -> None:
        try:
            a = np.asarray(points, dtype=float)
        except (TypeError, ValueError):
            raise InputError(key, points, "a table of (time [s], value) pairs") from None
        if a.ndim != 2 or a.shape[1] != 2 or len(a) == 0:
            raise InputError(key, points, "a table of (time [s], value) pairs")
        if not np.all(np.isfinite(a)) or a[0, 0] < 0 or np.any(np.diff(a[:, 0]) < 0):
            raise InputError(key, points, "finite values at non-decreasing times >= 0")
        if np.any(a[2:, 0] == a[:-2, 0]):
            raise InputError(key, points, "at most two values at one time (a jump)")
        self.t = a[:, 0].copy()
        self.f = a[:, 1].copy()
        self.key = key

    def __repr__(self) -> str:
        return f"Profile({np.column_stack([self.t, self.f]).tolist()!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Profile):
            return NotImplemented
        return np.array_equal(self.t, other.t) and np.array_equal(self.f, other.f)

    __hash__ = None  # type: ignore[assignment]

    @property
    def corners(self) -> NDArray[np.float64]:
        """Times where the profile jumps or bends [s], ascending, unique."""
        return np.unique(self.t)

    def __call__(self, t: float) -> float:
        """Value at ``t`` (right-continuous at a jump)."""
        i = int(np.searchsorted(self.t, t, side="right"))
        if i == 0:
            return float(self.f[0])
        if i == len(self.t):
            return float(self.f[-1])
        t0, t1 = self.t[i - 1], self.t[i]
        w = (t - t0) / (t1 - t0)
        return float((1 - w) * self.f[i - 1] + w * self.f[i])

    def left(self, t: float) -> float:
        """Value just before ``t`` (differs from :meth:`__call__` at a jump)."""
        i = int(np.searchsorted(self.t, t, side="left"))
        if i < len(self.t) and self.t[i] == t:
            return float(self.f[i])
        return self(t)

    def segments(self, t0: float, t1: float) -> list[tuple[float, float, float, float]]:
        """The linear pieces over [t0, t1]: (start, end, value after start, value before end)."""
        cuts = [t0, *[c for c in self.corners if t0 < c < t1], t1]
        return [
            (a, b, self(a), self.left(b)) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a
        ]

    def mean(self, t0: float, t1: float) -> float:
        """Mean value over [t0, t1] (exact: trapezoids over the linear pieces)."""
        if t1 <= t0:
            return self(t0)
        area = sum((b - a) * (fa + fb) / 2 for a, b, fa, fb in self.segments(t0, t1))
        return area / (t1 - t0)


#: Old keyword and attribute names of :class:`Transient` -> the names with units.
_TRANSIENT_RENAMED = {
    "t_end": "t_end_s",
    "dt": "dt_s",
    "initial": "initial_C",
    "tol": "tol_K",
    "dt_min": "dt_min_s",
    "dt_max": "dt_max_s",
}


def log_times(first: float, last: float, n: int) -> NDArray[np.float64]:
    """``n`` output times [s] spaced evenly in log time from ``first`` to ``last``."""
    if not (0 < first < last and n >= 2):
        raise InputError("outputs", (first, last, n), "0 < first < last and n >= 2")
    return np.geomspace(first, last, n)


@dataclass(frozen=True)
class Transient:
    """A transient: time span, initial state, load history, outputs and scheme.

    Parameters
    ----------
    t_end_s, dt_s
        End time and (initial, if adaptive) step [s]. ``scheme="reduced"``: ``dt_s`` is
        the shortest time of interest (the first output when ``outputs`` is not given).
    initial_C
        Initial temperature [degC]: a float, nodal values (n,) at the space's nodes (e.g.
        a previous ``ThermalResult.temperature``), or ``f(x, y, z)`` with x, y, z (n,) in m.
    theta
        1 = backward Euler, 0.5 = Crank-Nicolson.
    adaptive
        Adapt the step by step doubling: each step is also taken as two half steps, the
        difference estimates the local error, and the step grows or shrinks (within a
        factor 0.25-2, on a grid of ratio sqrt 2 so factorizations are reused) to keep it
        below ``tol``.
    tol_K
        Adaptive only: largest local error per step [K] (max norm over nodes).
    tol_rel
        Adaptive only: also keep the local error below this fraction of the state's
        largest change from the initial state at the step's end (max norm) [-], so the
        early, small part of a response is followed as closely as its later part (never
        below ``1e-6 tol_K``: a state not yet moved is not held to zero error); None:
        ``tol_K`` alone.
    extrapolate
        Adaptive backward Euler only: accept the Richardson extrapolation
        ``2 y_half - y_full`` of the step-doubling pair (second order; its amplification
        ``2/(1 - z/2)^2 - 1/(1 - z)`` is within [-0.037, 1] on the negative real axis and
        tends to 0, so a step load does not ring as under Crank-Nicolson), and serve the
        outputs by the quadratic through the step's start, midpoint and end instead of the
        chord. The step control still uses the backward-Euler estimate (conservative).
    dt_min_s, dt_max_s
        Adaptive only: bounds of the step [s] (default t_end_s * 1e-9 and t_end_s / 4).
    outputs
        Times [s] at which the solution is reported, ascending, in (0, t_end]; t = 0 is
        always reported first. None: every accepted step (``"steps"``), or 20 per
        decade from ``dt`` to ``t_end`` (``"reduced"``).
    fields
        Keep the whole field at t = 0 and at this many of the outputs, spread evenly in
        log time (the rest is reported only through the caller's observers); None: at
        every output.
    power
        Factor on every source and flux at time t: a function of t [s], a table of
        ``(t [s], factor)`` points (a :class:`Profile`: piecewise linear, a repeated time
        is a jump), or None for 1 (a step at t = 0 from the initial state).
    scheme
        ``"steps"``: the theta method. ``"reduced"``: a reduced model of the linear
        system by rational Krylov projection (:mod:`fea.fe.reduced`), exact in time; it
        needs a linear problem (constant coefficients, constant fixed values) and a
        ``power`` that is None or a table.
    rtol
        ``"reduced"`` only: the basis grows until the response changes by less than
        this fraction of its value at every time watched.

    The names before the unit suffixes (``t_end``, ``dt``, ``initial``, ``tol``,
    ``dt_min``, ``dt_max``) still work as keywords and attributes for one release, with a
    :class:`DeprecationWarning`.
    """

    t_end_s: float
    dt_s: float
    initial_C: float | ArrayLike | Callable[..., ArrayLike] = 25.0
    theta: float = 1.0
    adaptive: bool = False
    tol_K: float = 0.05
    tol_rel: float | None = None
    extrapolate: bool = False
    dt_min_s: float | None = None
    dt_max_s: float | None = None
    outputs: ArrayLike | None = None
    fields: int | None = None
    power: Callable[[float], float] | Sequence[Sequence[float]] | Profile | None = None
    scheme: str = "steps"
    rtol: float = 1e-4

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        init_renamed(self, "transient", args, kwargs, _TRANSIENT_RENAMED)

    def __getattr__(self, name: str) -> Any:
        return renamed_attribute(self, name, _TRANSIENT_RENAMED)

    def __post_init__(self) -> None:
        for key in ("t_end_s", "dt_s"):
            check_finite(f"transient.{key}", getattr(self, key))
        if not (self.t_end_s > 0 and 0 < self.dt_s <= self.t_end_s):
            raise InputError("transient", (self.t_end_s, self.dt_s), "0 < dt_s <= t_end_s [s]")
        check_range("transient.theta", self.theta, 0.5, 1.0)
        check_range("transient.tol_K", self.tol_K, 0.0, None, lo_open=True, unit="K")
        if self.tol_rel is not None:
            check_range("transient.tol_rel", self.tol_rel, 0.0, 1.0, lo_open=True)
        for key in ("dt_min_s", "dt_max_s"):
            if getattr(self, key) is not None:
                check_finite(f"transient.{key}", getattr(self, key))
        for key in ("adaptive", "extrapolate"):
            if not isinstance(getattr(self, key), bool | np.bool_):
                raise InputError(f"transient.{key}", getattr(self, key), "True or False")
        if self.extrapolate and not (self.adaptive and self.theta == 1.0):
            raise InputError(
                "transient.extrapolate",
                self.extrapolate,
                "False unless adaptive=True and theta=1 (it extrapolates the step doubling "
                "of backward Euler)",
            )
        lo, hi = self.bounds()
        if not 0 < lo <= hi:
            raise InputError(
                "transient.dt_min_s", (self.dt_min_s, self.dt_max_s), "0 < dt_min_s <= dt_max_s"
            )
        if self.scheme not in SCHEMES:
            raise InputError("transient.scheme", self.scheme, f"one of {', '.join(SCHEMES)}")
        object.__setattr__(self, "rtol", check_rtol("transient.rtol", self.rtol, hi=0.1))
        if self.outputs is not None:
            try:
                out = np.asarray(self.outputs, dtype=float).ravel()
            except (TypeError, ValueError):
                raise InputError("transient.outputs", self.outputs, "times [s]") from None
            if (
                out.size == 0
                or not np.all(np.isfinite(out))
                or out[0] <= 0
                or np.any(np.diff(out) <= 0)
                or out[-1] > self.t_end_s * (1 + 1e-12)
            ):
                raise InputError(
                    "transient.outputs", self.outputs, "increasing times in (0, t_end] [s]"
                )
            object.__setattr__(self, "outputs", tuple(float(x) for x in out))
        if self.fields is not None and not (
            isinstance(self.fields, int | np.integer)
            and not isinstance(self.fields, bool)
            and self.fields >= 0
        ):
            raise InputError("transient.fields", self.fields, "a number of fields >= 0, or None")
        if self.fields and self.output_times() is None:
            # the kept fields are chosen among the output times; with every accepted step
            # reported their number is not known in advance
            raise InputError(
                "transient.fields",
                self.fields,
                "None (every step) or 0 unless transient.outputs gives the output times",
            )
        p = self.power
        if p is not None and not callable(p) and not isinstance(p, Profile):
            object.__setattr__(self, "power", Profile(p))
        table = self.power is None or isinstance(self.power, Profile)
        if self.scheme == "reduced" and not table:
            raise InputError(
                "transient.power", "a function", "a table of (t, factor) points for 'reduced'"
            )

    def bounds(self) -> tuple[float, float]:
        """(dt_min, dt_max) [s] of the adaptive step."""
        lo = self.dt_min_s if self.dt_min_s is not None else self.t_end_s * 1e-9
        hi = self.dt_max_s if self.dt_max_s is not None else self.t_end_s / 4
        return lo, max(hi, min(self.dt_s, self.t_end_s))

    def output_times(self) -> NDArray[np.float64] | None:
        """The requested output times [s] (s,), or None for every step."""
        if self.outputs is not None:
            return np.asarray(self.outputs, dtype=float)
        if self.scheme == "reduced":
            n = max(2, math.ceil(20 * math.log10(self.t_end_s / self.dt_s)) + 1)
            return log_times(self.dt_s, self.t_end_s, n) if self.t_end_s > self.dt_s else None
        return None

    def kept(self, n_outputs: int) -> NDArray[np.bool_]:
        """Which of ``n_outputs`` outputs keep their whole field (t = 0 always does)."""
        keep = np.ones(n_outputs, dtype=bool)
        if self.fields is not None and self.fields < n_outputs:
            keep[:] = False
            if self.fields > 0:
                times = self.output_times()
                if times is None or len(times) != n_outputs:  # no times: by position
                    times = np.arange(1.0, n_outputs + 1.0)
                # the output nearest (in log time) each of ``fields`` times spread evenly
                # in log time from the first output to the last; the index spread by
                # np.geomspace over outputs already spaced in log time put 8 of 12 kept
                # fields in the first 1e-5 of a 1e-6 .. 1e4 s curve
                lt = np.log(np.asarray(times, dtype=float))
                for target in np.linspace(lt[0], lt[-1], self.fields)[::-1]:
                    order = np.argsort(np.abs(lt - target), kind="stable")
                    keep[next(int(i) for i in order if not keep[i])] = True
                keep[-1] = True
        return keep

    def factor(self, t0: float, t1: float) -> float:
        """The load factor of a step from t0 to t1: the exact mean of a table, the
        theta-weighted end values of a function, 1 without ``power``."""
        p = self.power
        if p is None:
            return 1.0
        if isinstance(p, Profile):
            return p.mean(t0, t1)
        th = self.theta
        return float(th * p(t1) + (1 - th) * p(t0))

    def corners(self) -> NDArray[np.float64]:
        """Times in (0, t_end) where a table ``power`` jumps or bends [s]."""
        if not isinstance(self.power, Profile):
            return np.zeros(0)
        c = self.power.corners
        return c[(c > 0) & (c < self.t_end_s * (1 - 1e-12))]


@dataclass
class Integration:
    """What :func:`integrate` produced: the reported times (s,) [s], the states at those
    times (s, ...) (empty when a ``record`` function took them), facts (steps, rejected
    steps, largest local error, step range) and the state at ``t_end``."""

    times: NDArray[np.float64]
    history: NDArray[np.float64]
    info: dict[str, Any] = field(default_factory=dict)
    final: NDArray[np.float64] | None = None


Step = Callable[[NDArray[np.float64], float, float], NDArray[np.float64]]
Record = Callable[[float, NDArray[np.float64]], None]


class _Reporter:
    """Hands the states at the output times to ``record``: every accepted step, or the
    requested outputs interpolated linearly between the accepted steps around them."""

    def __init__(self, outputs: NDArray | None, record: Record) -> None:
        self.outputs, self.record, self.k = outputs, record, 0

    def accepted(
        self, t0: float, y0: NDArray, t1: float, y1: NDArray, mid: NDArray | None = None
    ) -> None:
        """A step from (t0, y0) to (t1, y1); ``mid``: the state at its midpoint, for the
        quadratic through the three instead of the chord."""
        if self.outputs is None:
            self.record(t1, y1)
            return
        out = self.outputs
        while self.k < len(out) and out[self.k] <= t1 * (1 + 1e-12):
            w = min(1.0, (out[self.k] - t0) / (t1 - t0))
            if w == 1.0:
                y = y1
            elif mid is None:
                y = (1 - w) * y0 + w * y1
            else:  # Lagrange basis on the nodes 0, 1/2, 1
                y = 2 * (w - 0.5) * (w - 1) * y0 - 4 * w * (w - 1) * mid + 2 * w * (w - 0.5) * y1
            self.record(float(out[self.k]), y)
            self.k += 1


#: ``tol_rel``: the relative bound is never below this fraction of ``tol_K``, so a state
#: that has not moved from its start (or moved by the solver's round-off) does not ask for
#: a local error of zero.
_TOL_REL_FLOOR = 1e-6


def integrate(
    step: Step, y0: NDArray[np.float64], transient: Transient, record: Record | None = None
) -> Integration:
    """Advance ``y0`` from t = 0 to ``transient.t_end_s`` with ``step(y, t, dt)``.

    Fixed steps: ``ceil(t_end / dt)`` equal steps. Adaptive (``transient.adaptive``):
    each step is also taken as two half steps; the difference over ``2^p - 1`` (p = 1 for
    backward Euler, 2 for Crank-Nicolson) estimates the local error of the half-step
    solution, which is accepted when the error (max norm) is below ``transient.tol_K``.
    With ``transient.tol_rel`` the bound is the smaller of ``tol_K`` and ``tol_rel``
    times the largest change of the half-step solution from ``y0`` (but not below
    ``1e-6 tol_K``, so a state still at ``y0`` is not held to zero); at the smallest step
    only ``tol_K`` is enforced (a response too fast for ``dt_min_s`` is followed as
    closely as that step allows). With ``transient.extrapolate`` (backward Euler) the
    step accepts ``2 y_half - y_full`` and the midpoint ``y_mid + (y_half - y_full)/2``
    (the half steps' leading error removed), and outputs inside the step come from the
    quadratic through its start, midpoint and end.
    The next step is ``0.9 (tol/err)^(1/(p+1))`` times this one, within [0.25, 2] and
    the bounds, snapped to the sqrt(2) grid. Either way a step ends on each corner of a
    table ``power`` (:meth:`Transient.corners`).

    ``record(t, y)`` receives t = 0 and each output time (:meth:`Transient.output_times`:
    every accepted step, or the requested times by linear interpolation between the
    accepted steps around them); without it the states are returned in ``history``.
    """
    y = np.array(y0, dtype=float, copy=True)
    times: list[float] = []
    hist: list[NDArray] = []
    if record is None:

        def record(t: float, state: NDArray) -> None:
            times.append(t)
            hist.append(np.array(state, copy=True))

    outputs = transient.output_times()
    report = _Reporter(outputs, record)
    record(0.0, y)
    corners = list(transient.corners())
    t_end = transient.t_end_s
    info: dict[str, Any] = {}
    if not transient.adaptive:
        nsteps = int(np.ceil(t_end / transient.dt_s - 1e-9))
        grid = np.union1d(np.linspace(0.0, t_end, nsteps + 1), corners)
        for t0, t1 in zip(grid[:-1], grid[1:], strict=True):
            y_new = step(y, float(t0), float(t1 - t0))
            report.accepted(float(t0), y, float(t1), y_new)
            y = y_new
        info["steps"] = len(grid) - 1
        return Integration(np.array(times), np.array(hist), info, y)
    dt_lo, dt_hi = transient.bounds()
    order = 2 if transient.theta == 0.5 else 1
    ratio = np.sqrt(2.0)
    dt0 = transient.dt_s

    def snap(x: float) -> float:  # steps on a grid of ratio sqrt(2) around dt0
        return float(dt0 * ratio ** np.round(np.log(x / dt0) / np.log(ratio)))

    t, dt, rejected, worst, n_acc = 0.0, dt0, 0, 0.0, 0
    y_start = y.copy()
    steps: list[float] = []
    while t < t_end * (1 - 1e-12):
        h = min(dt, t_end - t)
        while corners and corners[0] <= t * (1 + 1e-12):
            corners.pop(0)
        if corners and t + h > corners[0]:
            h = corners[0] - t
        full = step(y, t, h)
        mid = step(y, t, h / 2)
        half = step(mid, t + h / 2, h / 2)
        diff = half - full
        err = float(np.abs(diff).max()) / (2**order - 1)
        smallest = h <= dt_lo * (1 + 1e-9)
        if err > transient.tol_K and smallest:
            raise SolverError(
                f"adaptive time stepping: local error {err:.3g} > tol "
                f"{transient.tol_K:g} at the smallest step {dt_lo:.3g} s (t = {t:.6g} s); "
                "an initial state incompatible with the boundary conditions "
                "(a jump at t = 0) needs a fixed first step or a larger tol"
            )
        tol = transient.tol_K
        if transient.tol_rel is not None and not smallest:
            # a state still at its start (power off before a table's first pulse) has no
            # rise to be relative to: a bound of 0 took every step down to dt_min_s and back
            # (66,859 steps against 20 over 1 % of the time before a scalar's first pulse)
            change = float(np.abs(half - y_start).max())
            tol = min(tol, max(transient.tol_rel * change, _TOL_REL_FLOOR * tol))
        if err <= tol:
            if transient.extrapolate:
                new, mid = half + diff, mid + 0.5 * diff
            else:
                new, mid = half, None
            report.accepted(t, y, t + h, new, mid)
            t += h
            y = new
            n_acc += 1
            steps.append(h)
            worst = max(worst, err)
        else:
            rejected += 1
        factor = 0.9 * (tol / max(err, 1e-300)) ** (1.0 / (order + 1))
        if err > tol:  # a rejected step always goes down the grid
            factor = min(factor, 1.0 / ratio)
        dt = min(max(snap(h * min(2.0, max(0.25, factor))), dt_lo), dt_hi)
    info.update(
        steps=n_acc,
        rejected=rejected,
        max_local_error=worst,
        dt_range=[float(min(steps)), float(max(steps))],
    )
    return Integration(np.array(times), np.array(hist), info, y)
