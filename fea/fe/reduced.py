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
response at each monitored time changes by less than ``rtol`` of its value there; the
change is measured on the driving-point response and on the M-norm of the state, both
from the reduced quantities alone (the old basis is part of the new one).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..errors import SolverError
from .timestep import Profile

__all__ = ["ReducedModel", "Shifted", "reduce_system", "shifts_for"]


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
    rtol: float = 1e-4,
    per_shift: int = 24,
    max_size: int = 400,
) -> ReducedModel:
    """Project ``M du/dt + K u = p(t) g`` (g = ``inputs[0]``) onto a rational Krylov basis.

    Parameters
    ----------
    K, M
        (n, n) symmetric positive definite matrices (sparse).
    inputs
        Start vectors, (n,) each: the input g first, then any other directions the
        basis must hold (e.g. ``M u0`` for a non-zero initial state).
    factor
        ``factor(s)`` returns a :class:`Shifted` factorization of ``K + s M``; each is
        closed once its shift is done.
    shifts
        Expansion points [1/s], >= 0 (see :func:`shifts_for`).
    monitor
        Times [s] (ascending) at which the step response is watched for convergence.
    initial
        Initial state u0 (n,), or None for zero.
    rtol
        A shift is done when one more vector changes the monitored response by less than
        ``rtol`` of its value at every monitored time, twice in a row.
    per_shift, max_size
        Most vectors per shift and in all.
    """
    n = K.shape[0]
    u0 = None if initial is None else np.asarray(initial, dtype=float)
    V = np.zeros((n, 0))
    Kr = np.zeros((0, 0))
    g = np.asarray(inputs[0], dtype=float)
    solves = 0
    change = math.inf
    state: dict[str, Any] = {}

    def response() -> tuple[NDArray, NDArray]:
        """Basis coordinates of u (s, m) and the driving point g^T u (s,) at ``monitor``."""
        lam, Q = np.linalg.eigh(Kr)
        if lam[0] <= 0:
            raise SolverError("reduced model: K is not positive definite (no heat sink?)")
        gr = V.T @ g
        z0 = Q.T @ (V.T @ (M @ u0)) if u0 is not None else np.zeros(lam.size)
        y = modal_response(lam, Q.T @ gr, z0, monitor) @ Q.T
        return y, y @ gr

    def add(x: NDArray) -> bool:
        """M-orthonormalise x against V (twice) and append it; False if it adds nothing."""
        nonlocal V, Kr
        Mx = M @ x
        before = math.sqrt(max(float(x @ Mx), 0.0))
        if before == 0.0:
            return False
        for _ in range(2):
            c = V.T @ Mx
            x = x - V @ c
            Mx = M @ x
        norm = math.sqrt(max(float(x @ Mx), 0.0))
        if norm <= 1e-10 * before:
            return False
        v = x / norm
        Kv = K @ v
        col = V.T @ Kv
        m = V.shape[1]
        Kr_new = np.empty((m + 1, m + 1))
        Kr_new[:m, :m] = Kr
        Kr_new[:m, m] = col
        Kr_new[m, :m] = col
        Kr_new[m, m] = float(v @ Kv)
        V = np.column_stack([V, v])
        Kr = Kr_new
        state["last"] = v
        return True

    def converged(prev: tuple[NDArray, NDArray] | None) -> tuple[float, tuple]:
        cur = response()
        if prev is None:
            return math.inf, cur
        y_old, d_old = prev
        y, d = cur
        dy = y.copy()
        dy[:, : y_old.shape[1]] -= y_old
        # relative at each time (a heating curve is read on log axes), with a floor
        ny = np.linalg.norm(y, axis=1)
        floor_y = 1e-9 * max(float(ny.max()), 1e-300)
        floor_d = 1e-9 * max(float(np.abs(d).max()), 1e-300)
        rel = max(
            float((np.linalg.norm(dy, axis=1) / np.maximum(ny, floor_y)).max()),
            float((np.abs(d - d_old) / np.maximum(np.abs(d), floor_d)).max()),
        )
        return rel, cur

    starts = [np.asarray(b, dtype=float) for b in inputs]
    if u0 is not None and np.any(u0 != 0):
        starts.append(M @ u0)
    prev = None
    for s in shifts:
        solver = factor(float(s))
        try:
            lasts: list[NDArray] = []
            for b in starts:
                x = solver.solve(b)
                solves += 1
                if add(x):
                    lasts.append(state["last"])
            if V.shape[1] == 0:
                continue
            change, prev = converged(prev)
            quiet = 0
            for _ in range(per_shift):
                if V.shape[1] >= max_size or not lasts:
                    break
                grown = []
                for v in lasts:
                    x = solver.solve(M @ v)
                    solves += 1
                    if add(x):
                        grown.append(state["last"])
                lasts = grown
                change, prev = converged(prev)
                quiet = quiet + 1 if change <= rtol else 0
                if quiet >= 2:
                    break
        finally:
            solver.close()
    if V.shape[1] == 0:
        raise SolverError("reduced model: the input is zero")
    lam, Q = np.linalg.eigh(Kr)
    W = V @ Q
    beta = W.T @ g
    z0 = W.T @ (M @ u0) if u0 is not None else np.zeros(lam.size)
    info = {
        "basis": int(V.shape[1]),
        "shifts": [float(s) for s in shifts],
        "factorizations": len(shifts),
        "solves": solves,
        "last_change": float(change),
    }
    return ReducedModel(W, lam, beta, z0, info)
