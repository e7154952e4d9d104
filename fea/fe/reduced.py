"""Reduced models of linear first-order systems by rational Krylov projection.

For ``M du/dt + K u = p(t) g`` with symmetric positive definite ``M`` and ``K`` (heat
conduction with a sink), the response at many times (a heating curve sampled at a
thousand log-spaced times over ten decades) is far cheaper from a projection than from
time steps: a step-size sequence that follows log time needs a new factorization every
time the step grows, while the projection needs one per *shift*. The basis ``V``
(M-orthonormal) spans

.. math:: \\mathcal K = \\mathrm{span}\\{(K + s_j M)^{-1} g,\\ ((K + s_j M)^{-1} M)^k
          (K + s_j M)^{-1} g\\}

for a few shifts :math:`s_j` (one factorization each, ``k`` = 0, 1, ... one solve
each), so the projected transfer function matches the full one and its first
derivatives at every shift (multipoint moment matching, Grimme 1997). With
:math:`s_0 = 0` the steady state is exact. The projected system
:math:`\\dot y + V^T K V y = V^T g\\,p(t)` is diagonalised (:math:`V^T K V = Q \\Lambda
Q^T`); in modal coordinates :math:`z = Q^T y` each mode is
:math:`\\dot z_i + \\lambda_i z_i = \\beta_i p(t)`, integrated exactly for a
piecewise-linear ``p``. The driving-point response is then exactly a Foster network,
:math:`R_i = \\beta_i^2 / \\lambda_i`, :math:`\\tau_i = 1/\\lambda_i`.

The basis grows shift by shift (from s = 0 upwards), one vector at a time, until the
response at the monitored times near 1/s (s = 0: the slowest decade) changes by less
than ``rtol`` of its value there; the change is measured on the driving-point response
and on the M-norm of the state, both from the reduced quantities alone (the old basis
is part of the new one).

References
----------
- E. J. Grimme, Krylov projection methods for model reduction, PhD thesis, University
  of Illinois (1997).
- A. Ruhe, Rational Krylov sequence methods for eigenvalue computation, Linear Algebra
  Appl. 58 (1984) 391-405.
- T. Bechtold, E. B. Rudnyi, J. G. Korvink, Fast Simulation of Electro-Thermal MEMS,
  Springer (2007), ch. 3 (moment matching for heat transfer models).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..errors import SolverError
from .timestep import Profile

__all__ = [
    "ReducedBasisWarning",
    "ReducedModel",
    "STATE_FACTOR",
    "Shifted",
    "reduce_system",
    "reduce_systems",
    "shifts_for",
]

#: The state (M-norm) may change by this many times ``rtol`` when a shift is done; the
#: driving point by ``rtol``. Point values (a junction's maximum, probes) then agree
#: with a tightly converged model to about ``rtol`` (the M-norm weighs the whole body,
#: and resolving it to ``rtol`` at every time costs three times the vectors).
STATE_FACTOR = 30.0


class Shifted(Protocol):
    """A factorization of ``K + s M``: ``solve(b)`` returns x, ``close()`` frees it."""

    def solve(self, b: NDArray[np.float64]) -> NDArray[np.float64]: ...

    def close(self) -> None: ...


def shifts_for(first: float, last: float, per_decade: float = 0.5) -> list[float]:
    """Shifts [1/s] for responses from ``first`` to ``last`` [s]: 0, then 1/t at times
    spread evenly in log time, ``per_decade`` per decade (at least one)."""
    decades = max(math.log10(last / first), 0.0)
    n = max(1, math.ceil(decades * per_decade) + 1)
    return [0.0, *sorted(1.0 / np.geomspace(first, last, n))]


@dataclass
class ReducedModel:
    """A projected system in modal form.

    Attributes
    ----------
    shapes
        Modes ``W = V Q`` (n, m), M-orthonormal: ``u(t) = W z(t)``.
    rates
        Decay rates lambda_i [1/s] (m,), ascending.
    gain
        Input weights beta_i = W^T g (m,).
    initial
        Modal initial state z_i(0) = W^T M u0 (m,).
    info
        Basis size, shifts, solves and the last relative change of the response.
    """

    shapes: NDArray[np.float64]
    rates: NDArray[np.float64]
    gain: NDArray[np.float64]
    initial: NDArray[np.float64]
    info: dict[str, Any] = field(default_factory=dict)

    def modal(self, times: NDArray[np.float64], power: Profile | None = None) -> NDArray:
        """Modal amplitudes z at ``times`` (s,) [s], ascending; shape (s, m).

        ``power``: the input factor p(t) (None: 1 for t >= 0), integrated exactly over
        each linear piece.
        """
        return modal_response(self.rates, self.gain, self.initial, times, power)

    def foster(self, c: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
        """Foster terms (R_i, tau_i) of the step response of the output ``c^T u``
        (per unit input); for c = g (the driving point) every R_i >= 0."""
        w = self.shapes.T @ c
        return w * self.gain / self.rates, 1.0 / self.rates


def _ab(lam: NDArray, h: float) -> tuple[NDArray, NDArray]:
    """A = int_0^h e^{-lam (h - s)} ds and B = int_0^h e^{-lam (h - s)} s/h ds."""
    x = lam * h
    small = x < 1e-4
    xs = np.where(small, 1.0, x)
    A = np.where(small, h * (1 - x / 2 + x * x / 6 - x**3 / 24), -np.expm1(-xs) / xs * h)
    B = np.where(small, h * (0.5 - x / 6 + x * x / 24 - x**3 / 120), (h - A) / xs)
    return A, B


def modal_response(
    rates: NDArray, gain: NDArray, z0: NDArray, times: NDArray, power: Profile | None = None
) -> NDArray[np.float64]:
    """Exact solution of dz_i/dt + lambda_i z_i = beta_i p(t) at ``times``; (s, m)."""
    t = np.asarray(times, dtype=float)
    if power is None:
        e = np.exp(-np.outer(t, rates))
        with np.errstate(invalid="ignore", divide="ignore"):
            rise = np.where(
                rates > 0, -np.expm1(-np.outer(t, rates)) / rates, np.outer(t, np.ones_like(rates))
            )
        return e * z0 + rise * gain
    out = np.empty((t.size, rates.size))
    z = np.array(z0, dtype=float)
    now = 0.0
    cuts = power.corners
    k = 0
    for i, target in enumerate(t):
        while now < target:
            while k < len(cuts) and cuts[k] <= now:
                k += 1
            end = min(target, cuts[k]) if k < len(cuts) else target
            h = end - now
            pa, pb = power(now), power.left(end)
            A, B = _ab(rates, h)
            z = np.exp(-rates * h) * z + gain * (pa * A + (pb - pa) * B)
            now = end
        out[i] = z
    return out


def reduce_system(
    K: sp.spmatrix,
    M: sp.spmatrix,
    inputs: Sequence[NDArray[np.float64]],
    factor: Callable[[float], Shifted],
    shifts: Sequence[float],
    monitor: NDArray[np.float64],
    *,
    initial: NDArray[np.float64] | None = None,
    **kw: Any,
) -> ReducedModel:
    """Project ``M du/dt + K u = p(t) g`` (g = ``inputs[0]``) onto a rational Krylov basis.

    Parameters
    ----------
    K, M
        (n, n) symmetric positive definite matrices (sparse).
    inputs
        Start vectors, (n,) each: the input g first, then any other directions the
        basis must hold.
    factor
        ``factor(s)`` returns a :class:`Shifted` factorization of ``K + s M``; each is
        closed once its shift is done.
    shifts
        Expansion points [1/s], >= 0 (see :func:`shifts_for`).
    monitor
        Times [s] (ascending) at which the step response is watched for convergence.
    initial
        Initial state u0 (n,), or None for zero.
    kw
        ``rtol``, ``per_shift``, ``max_size``, ``skip_below`` of :func:`reduce_systems`.
    """
    return reduce_systems(
        [K], M, inputs, lambda i, s: factor(s), shifts, monitor, initial=[initial], **kw
    )[0]


class ReducedBasisWarning(UserWarning):
    """A reduced basis reached ``max_size`` before its response converged to ``rtol``;
    ``info["converged"]`` is False and ``info["last_change"]`` says by how much it
    still moved."""


class _System:
    """One system of a shared basis: its K, its projection and its monitored response."""

    def __init__(self, K: sp.spmatrix, u0: NDArray | None) -> None:
        self.K, self.u0 = K, u0
        self.Kr = np.zeros((0, 0))
        self.prev: tuple[NDArray, NDArray] | None = None
        self.changes: dict[float, float] = {}  # shift -> last relative change in its window
        self.open: dict[float, list[NDArray]] = {}  # unconverged shift -> its last vectors


class _Basis:
    """The shared M-orthonormal basis V (n, m), grown one vector at a time, with the
    projections ``V^T K_i V`` of every system kept up to date."""

    def __init__(self, M: sp.spmatrix, g: NDArray, systems: list[_System], size: int) -> None:
        self.M, self.g, self.systems = M, g, systems
        self.store = np.empty((M.shape[0], size))  # filled column by column
        self.V = self.store[:, :0]

    @property
    def size(self) -> int:
        return self.V.shape[1]

    @property
    def full(self) -> bool:
        return self.size >= self.store.shape[1]

    def add(self, x: NDArray) -> NDArray | None:
        """M-orthonormalise x against V (twice) and append it; the new column, or None
        if it adds nothing (already in the span, or the basis is full)."""
        M, V = self.M, self.V
        Mx = M @ x
        before = math.sqrt(max(float(x @ Mx), 0.0))
        if before == 0.0 or self.full:
            return None
        for _ in range(2):
            x = x - V @ (V.T @ Mx)
            Mx = M @ x
        norm = math.sqrt(max(float(x @ Mx), 0.0))
        if norm <= 1e-10 * before:
            return None
        v = x / norm
        m = self.size
        for sy in self.systems:
            Kv = sy.K @ v
            col = V.T @ Kv
            Kr = np.empty((m + 1, m + 1))
            Kr[:m, :m] = sy.Kr
            Kr[:m, m] = Kr[m, :m] = col
            Kr[m, m] = float(v @ Kv)
            sy.Kr = Kr
        self.store[:, m] = v
        self.V = self.store[:, : m + 1]
        return v

    def response(self, sy: _System, monitor: NDArray) -> tuple[NDArray, NDArray]:
        """Basis coordinates of u (s, m) and the driving point g^T u (s,) at ``monitor``."""
        lam, Q = np.linalg.eigh(sy.Kr)
        if lam[0] <= 0:
            raise SolverError("reduced model: K is not positive definite (no heat sink?)")
        gr = self.V.T @ self.g
        z0 = Q.T @ (self.V.T @ (self.M @ sy.u0)) if sy.u0 is not None else np.zeros(lam.size)
        y = modal_response(lam, Q.T @ gr, z0, monitor) @ Q.T
        return y, y @ gr

    def change(self, sy: _System, monitor: NDArray, window: NDArray) -> float:
        """Largest relative change of the system's response at the times in ``window``
        (a mask of ``monitor``) since the last call: the driving point, and the M-norm
        of the state divided by :data:`STATE_FACTOR`."""
        cur = self.response(sy, monitor)
        prev, sy.prev = sy.prev, cur
        if prev is None:
            return math.inf
        (y_old, d_old), (y, d) = prev, cur
        dy = y.copy()
        dy[:, : y_old.shape[1]] -= y_old
        # relative at each time (a heating curve is read on log axes), with a floor
        ny = np.linalg.norm(y, axis=1)
        floor_y = 1e-9 * max(float(ny.max()), 1e-300)
        floor_d = 1e-9 * max(float(np.abs(d).max()), 1e-300)
        ry = np.linalg.norm(dy, axis=1) / np.maximum(ny, floor_y)
        rd = np.abs(d - d_old) / np.maximum(np.abs(d), floor_d)
        return float(np.maximum(ry / STATE_FACTOR, rd)[window].max())

    def residual(self, sy: _System, s: float) -> float:
        """Relative residual of the projected solution of (K + s M) x = g: near zero
        when the basis already holds the response at s (no factorization needed)."""
        if self.size == 0:
            return math.inf
        y = np.linalg.solve(sy.Kr + s * np.eye(self.size), self.V.T @ self.g)
        x = self.V @ y
        r = self.g - sy.K @ x - s * (self.M @ x)
        return float(np.linalg.norm(r) / max(np.linalg.norm(self.g), 1e-300))


def _windows(shifts: Sequence[float], monitor: NDArray) -> Callable[[float], NDArray[np.bool_]]:
    """The monitored times each shift answers for: those near 1/s (s = 0: the last,
    slowest decade), overlapping their neighbours."""
    taus = sorted((1.0 / s for s in shifts if s > 0), reverse=True)
    ratios = [b / a for a, b in zip(taus[1:], taus[:-1], strict=True)] or [10.0]
    half = max(ratios) ** 0.75

    def window(s: float) -> NDArray[np.bool_]:
        if s > 0:
            w = (monitor >= 1 / (s * half)) & (monitor <= half / s)
        else:
            w = monitor >= (taus[0] if taus else monitor[-1]) / half
        return w if np.any(w) else np.ones(monitor.size, dtype=bool)

    return window


@dataclass
class _Grow:
    """Settings of one shift's Krylov sequence."""

    monitor: NDArray
    window: NDArray
    rtol: float
    steps: int | None  # most steps; None: until converged or the basis is full


def _grow(
    basis: _Basis, sy: _System, solver: Shifted, lasts: list[NDArray], how: _Grow
) -> tuple[float, list[NDArray], int]:
    """Extend a shift's sequence x <- (K + s M)^-1 M v from its last vectors ``lasts``
    until the response in its window changed by at most ``rtol`` twice in a row.

    Returns the last change (0 when the sequence closed: its space is invariant and
    the response from this shift exact), the last vectors if it did not converge
    (else []) and the solves done.
    """
    change = basis.change(sy, how.monitor, how.window)
    quiet = taken = solves = 0
    while lasts and not basis.full and (how.steps is None or taken < how.steps):
        grown = []
        for v in lasts:
            solves += 1
            w = basis.add(solver.solve(basis.M @ v))
            if w is not None:
                grown.append(w)
        lasts = grown
        taken += 1
        change = basis.change(sy, how.monitor, how.window)
        quiet = quiet + 1 if change <= how.rtol else 0
        if quiet >= 2:
            return change, [], solves
    if not lasts and not basis.full:  # the sequence closed: its space is invariant
        return 0.0, [], solves
    return change, lasts, solves


def reduce_systems(
    Ks: Sequence[sp.spmatrix],
    M: sp.spmatrix,
    inputs: Sequence[NDArray[np.float64]],
    factor: Callable[[int, float], Shifted],
    shifts: Sequence[float],
    monitor: NDArray[np.float64],
    *,
    initial: Sequence[NDArray[np.float64] | None] | None = None,
    rtol: float = 1e-4,
    per_shift: int = 24,
    max_size: int = 400,
    skip_below: float = 1e-8,
) -> list[ReducedModel]:
    """Reduced models of several systems ``M du/dt + K_i u = p(t) g`` on one shared basis.

    The systems differ in ``K`` only (e.g. the same body under two boundary conditions,
    as in the JESD51-14 dual-interface method): the basis holds the Krylov vectors of
    all of them, and each is projected onto all of it, so where their physics agree
    (early times, far from where they differ) their reduced responses agree too, which
    separately built bases would only do to ``rtol``.

    The basis checks its own convergence: a shift that has not converged after
    ``per_shift`` steps is left open, and once every shift has had its turn the open
    ones are factorized again and grown until they converge or the basis holds
    ``max_size`` vectors. A model that is still not converged then is returned with
    ``info["converged"] = False`` and a :class:`ReducedBasisWarning`.

    Parameters
    ----------
    Ks
        (n, n) symmetric positive definite matrices, one per system.
    factor
        ``factor(i, s)`` returns a :class:`Shifted` factorization of ``K_i + s M``.
    initial
        Per system: initial state u0 (n,) or None for zero.
    rtol
        A shift is done for a system when one more vector changes its monitored response
        (the driving point, and the M-norm of the state within ``STATE_FACTOR`` times
        this) by less than ``rtol`` of its value at every
        monitored time near 1/s, twice in a row.
    per_shift, max_size
        Most steps of a shift in the first pass (each adds up to one vector per start
        vector), and most vectors in all.
    skip_below
        A shift whose projected solution already has a relative residual below this is
        skipped for that system (its factorization would add nothing).

    Other arguments as :func:`reduce_system`.

    Returns
    -------
    list of ReducedModel
        One per system; ``info`` holds ``basis`` (size), ``shifts``, ``factorizations``,
        ``solves``, ``per_shift`` (vectors added at each shift), ``skipped`` ((system,
        shift) pairs), ``refined`` (shifts grown again in the second pass),
        ``last_change`` (this system's largest last relative change over its shifts)
        and ``converged`` (that change is at most ``rtol`` at every shift).
    """
    inits = list(initial) if initial is not None else [None] * len(Ks)
    systems = [
        _System(K, None if u is None else np.asarray(u, dtype=float))
        for K, u in zip(Ks, inits, strict=True)
    ]
    g = np.asarray(inputs[0], dtype=float)
    basis = _Basis(M, g, systems, min(max_size, M.shape[0]))
    window = _windows(shifts, monitor)
    counts: list[int] = []
    skipped: list[tuple[int, float]] = []
    tally = {"factorizations": 0, "solves": 0}

    def shift(i: int, sy: _System, s: float, lasts: list[NDArray] | None) -> None:
        """Open ``factor(i, s)``, start the sequence (``lasts`` None) or go on with it."""
        how = _Grow(monitor, window(s), rtol, per_shift if lasts is None else None)
        solver = factor(i, s)
        tally["factorizations"] += 1
        try:
            if lasts is None:
                starts = [np.asarray(b, dtype=float) for b in inputs]
                if sy.u0 is not None and np.any(sy.u0 != 0):
                    starts.append(M @ sy.u0)
                tally["solves"] += len(starts)
                lasts = [v for b in starts if (v := basis.add(solver.solve(b))) is not None]
                if basis.size == 0:
                    return
            change, sy.open[s], solves = _grow(basis, sy, solver, lasts, how)
            sy.changes[s] = change
            tally["solves"] += solves
        finally:
            solver.close()
        if not sy.open[s]:
            del sy.open[s]

    for s in map(float, shifts):
        size0 = basis.size
        for i, sy in enumerate(systems):
            if basis.residual(sy, s) < skip_below:
                skipped.append((i, s))
                sy.changes[s] = 0.0
            else:
                shift(i, sy, s, None)
        counts.append(basis.size - size0)
    if basis.size == 0:
        raise SolverError("reduced model: the input is zero")
    refined: list[tuple[int, float]] = []
    for i, sy in enumerate(systems):  # second pass: the shifts left open
        for s in sorted(sy.open):
            if not basis.full:
                refined.append((i, s))
                shift(i, sy, s, sy.open.pop(s))
    return [
        _model(basis, sy, i, shifts, counts, skipped, refined, tally, rtol)
        for i, sy in enumerate(systems)
    ]


def _model(
    basis: _Basis,
    sy: _System,
    i: int,
    shifts: Sequence[float],
    counts: list[int],
    skipped: list[tuple[int, float]],
    refined: list[tuple[int, float]],
    tally: dict[str, int],
    rtol: float,
) -> ReducedModel:
    """The modal form of one system on the finished basis, with its convergence report
    (and a :class:`ReducedBasisWarning` if it did not converge)."""
    change = max(sy.changes.values(), default=math.inf)
    converged = change <= rtol
    if not converged:
        warnings.warn(
            ReducedBasisWarning(
                f"reduced model of system {i}: the response still changed by {change:.1e} "
                f"(rtol {rtol:.0e}) when the basis reached {basis.size} vectors; raise "
                "max_size or use time steps"
            ),
            stacklevel=3,
        )
    info = {
        "basis": basis.size,
        "shifts": [float(s) for s in shifts],
        **tally,
        "per_shift": list(counts),
        "skipped": list(skipped),
        "refined": [(j, s) for j, s in refined if j == i],
        "last_change": float(change),
        "converged": bool(converged),
    }
    lam, Q = np.linalg.eigh(sy.Kr)
    W = basis.V @ Q
    z0 = W.T @ (basis.M @ sy.u0) if sy.u0 is not None else np.zeros(lam.size)
    return ReducedModel(W, lam, W.T @ basis.g, z0, info)
