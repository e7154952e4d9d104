"""One preconditioned conjugate-gradient loop for NumPy/SciPy and CuPy/cupyx arrays.

:func:`block_pcg` is the loop (k right-hand sides in lockstep); :func:`pcg` is its one
column. The loop only uses ``A @ x``, the preconditioner callable, ``xp.dot``-style
reductions and axpy updates, so the same code runs on the CPU (CI exercises it)
and on the GPU.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from ..validate import check_count, check_range

__all__ = [
    "BlockKrylovResult",
    "KrylovResult",
    "affine_product",
    "array_module",
    "block_pcg",
    "block_product",
    "host_dot",
    "host_norm",
    "pcg",
]


def array_module(a: Any) -> Any:
    """The array module of the array ``a`` (any shape): ``cupy`` for a CuPy array, else
    ``numpy``. A CuPy array implies CuPy is imported already: it is looked up in
    ``sys.modules``, never imported here (only :mod:`fea.solvers.gpu` imports CuPy)."""
    cupy = sys.modules.get("cupy")
    return cupy if cupy is not None and isinstance(a, cupy.ndarray) else np


def host_dot(a: np.ndarray, b: np.ndarray) -> float:
    """``a . b`` of two host vectors (n,) by NumPy's own summation loop, not BLAS.

    A multithreaded BLAS ``ddot`` of 10^4-10^5 entries hands its work to a thread pool,
    which next to Pardiso's OpenMP threads (a back-substitution before and after every
    reduction of a PCG preconditioned by a factorisation) waits for a free core: on a
    loaded two-core machine 1-5 ms a reduction instead of 25 us, and the pools' spinning
    slows the back-substitutions too."""
    return float(np.einsum("i,i->", a, b))


def host_norm(a: np.ndarray) -> float:
    """The Euclidean norm of a host vector (n,) without BLAS (see :func:`host_dot`)."""
    return math.sqrt(host_dot(a, a))


@dataclass
class KrylovResult:
    """Outcome of :func:`pcg`: solution, iterations, relative residual and its history;
    ``breakdown`` True where it stopped before ``maxiter`` because ``p^T A p`` was not a
    positive finite number (the matrix or the preconditioner not positive definite, or a
    NaN on the way), not converged."""

    x: Any
    iterations: int
    residual: float
    converged: bool
    history: list[float] = field(default_factory=list)
    breakdown: bool = False


def _checked(name: str, rtol: Any, maxiter: Any) -> tuple[float, int]:
    """``rtol`` a finite number > 0 (above 1 a start of zero meets it: an inexact Newton
    step's forcing term may ask that) and ``maxiter`` a whole number >= 0 (0: the start is
    the answer), or an :class:`~fea.errors.InputError` naming ``<name>.rtol`` /
    ``<name>.maxiter``: a NaN tolerance never stopped (every comparison false) and 2.5
    steps ran 3."""
    return check_range(f"{name}.rtol", rtol, 0.0, None, lo_open=True), check_count(
        f"{name}.maxiter", maxiter, 10**9, lo=0
    )


def pcg(
    A: Any,
    b: Any,
    M: Callable[[Any], Any] | None = None,
    *,
    x0: Any = None,
    rtol: float = 1e-10,
    maxiter: int = 2000,
    xp: Any = None,
) -> KrylovResult:
    """Solve the SPD system ``A x = b`` by preconditioned conjugate gradients.

    Parameters
    ----------
    A
        Sparse matrix or linear operator supporting ``A @ x``, shape (n, n).
    b
        Right-hand side, shape (n,).
    M
        Preconditioner: ``M(r)`` approximates ``A^-1 r``; identity when None.
    rtol
        Stop when ``||r_k|| <= rtol ||b||``, ``r_k`` the recursive residual
        (``r_k = r_{k-1} - alpha_k A p_k``: ``b - A x_k`` in exact arithmetic, drifting
        from it by rounding; :class:`fea.solvers.base.PcgSolver` reports the true one).
    xp
        Array namespace (``numpy`` or ``cupy``); taken from ``b`` when None.

    Returns
    -------
    KrylovResult
        ``x`` has the array type of ``b``; ``history`` holds ``||r_k|| / ||b||``. Where
        ``p^T A p`` is not a positive finite number (``A`` or ``M`` not positive definite,
        a NaN) it stops there, not converged, with ``breakdown`` True.
    """
    if xp is None:
        xp = array_module(b)
    rtol, maxiter = _checked("pcg", rtol, maxiter)
    if b.ndim != 1:
        raise InputError("pcg.b", f"shape {b.shape}", "a vector (n,) (block_pcg takes a block)")

    # one column of the block loop: the operator and the preconditioner see vectors
    def product(X: Any, cols: Any) -> Any:
        return (A @ X[:, 0])[:, None]

    pre = None if M is None else (lambda R: M(R[:, 0])[:, None])
    res = block_pcg(
        product,
        b[:, None],
        pre,
        x0=None if x0 is None else x0[:, None],
        rtol=rtol,
        maxiter=maxiter,
        xp=xp,
    )
    return KrylovResult(
        res.x[:, 0],
        res.iterations[0],
        res.residuals[0],
        res.converged[0],
        res.history[0],
        breakdown=res.breakdown[0],
    )


@dataclass
class BlockKrylovResult:
    """Outcome of :func:`block_pcg` for k right-hand sides.

    Attributes
    ----------
    x
        Solutions, shape (n, k), in the array type of the block.
    iterations
        Iterations per column (k,): the step at which the column converged (or stopped).
    residuals
        Relative recursive residual ``||r_j|| / ||b_j||`` per column at its last step.
    converged
        Per column.
    breakdown
        Per column: True where it stopped because ``p^T A p`` was not a positive finite
        number (not converged).
    steps
        Block steps taken: products of the operator with the (shrinking) block.
    history
        Per column, ``||r_j|| / ||b_j||`` at every step it took part in.
    """

    x: Any
    iterations: list[int]
    residuals: list[float]
    converged: list[bool]
    steps: int
    history: list[list[float]] = field(default_factory=list)
    breakdown: list[bool] = field(default_factory=list)

    @property
    def all_converged(self) -> bool:
        return all(self.converged)


def block_product(A: Any, xp: Any) -> Callable[[Any, Any], Any]:
    """The product ``(X, cols) -> Y`` of :func:`block_pcg` for its operator argument ``A``:
    a matrix (one for every column: ``A @ X``, one sparse-matrix-times-block product), a
    list of k matrices (column ``X[:, i]`` times ``A[cols[i]]``), or already such a
    callable."""
    if isinstance(A, list | tuple):
        mats = list(A)

        def per_column(X: Any, cols: Any) -> Any:
            return xp.stack([mats[int(c)] @ X[:, i] for i, c in enumerate(cols)], axis=1)

        return per_column
    if hasattr(A, "__matmul__"):
        return lambda X, cols: A @ X
    if callable(A):
        return A
    raise TypeError(f"block_pcg: A must be a matrix, a list of matrices or a callable, not {A!r}")


def affine_product(
    base: Any, terms: Sequence[Any], coefficients: Any, xp: Any
) -> Callable[[Any, Any], Any]:
    """The product ``(X, cols) -> Y`` of the matrices ``A_j = base + sum_t c[j, t] terms[t]``
    for :func:`block_pcg`: ``1 + len(terms)`` sparse-matrix-times-block products per step,
    however many columns. ``coefficients``: shape (k, len(terms)), host or ``xp``."""
    c = xp.asarray(coefficients, dtype=xp.float64)

    def product(X: Any, cols: Any) -> Any:
        out = base @ X
        if len(terms):
            sel = c[xp.asarray(cols)]
            for t, T in enumerate(terms):
                out += (T @ X) * sel[:, t]
        return out

    return product


def block_pcg(
    A: Any,
    B: Any,
    M: Callable[[Any], Any] | None = None,
    *,
    x0: Any = None,
    rtol: float = 1e-10,
    maxiter: int = 2000,
    xp: Any = None,
) -> BlockKrylovResult:
    """Solve the SPD systems ``A_j x_j = b_j`` of the k columns of ``B`` by preconditioned
    conjugate gradients in lockstep: each step one product of the operator with the block of
    the columns still running, one application of ``M`` to that block, and per-column
    ``alpha``/``beta`` (each column is the PCG of :func:`pcg`, to rounding). A column that
    converges is taken out of the block (frozen); the others go on.

    Parameters
    ----------
    A
        The operator: a sparse matrix or linear operator, shape (n, n), the same for every
        column (``A @ X``: one sparse-matrix-times-block product, SpMM); a list of k
        matrices, column j multiplied by ``A[j]``; or a callable ``A(X, cols)`` returning
        ``A_cols[i] X[:, i]`` for the columns ``cols`` (host integers, indices into ``B``)
        of ``X`` (n, m) (e.g. :func:`affine_product`).
    B
        Right-hand sides, shape (n, k); a vector (n,) is one column.
    M
        Preconditioner: ``M(R)`` for a block R (n, m) approximates ``A^-1 R`` column by
        column (an AMG V-cycle of the block, a factor's back-substitution of the block);
        identity when None. With a list or callable ``A`` it is the one preconditioner of
        every column (e.g. the nominal matrix's).
    x0
        Start, shape of ``B``; zero when None.
    rtol
        A column stops when ``||r_j|| <= rtol ||b_j||`` (2-norm of the recursive residual).
    maxiter
        Most steps; a column still above ``rtol`` then is reported not converged.
    xp
        Array namespace (``numpy`` or ``cupy``); taken from ``B`` when None.

    Returns
    -------
    BlockKrylovResult
        ``x`` (n, k) (``(n,)`` for a vector ``B``); a column of zeros converges in 0
        iterations with ``x_j = 0``; a column whose ``p^T A p`` is not a positive finite
        number stops there, not converged, its ``breakdown`` True.
    """
    if xp is None:
        xp = array_module(B)
    vector = B.ndim == 1
    if vector:
        B = B[:, None]
        x0 = None if x0 is None else x0[:, None]
    n, k = B.shape
    product = block_product(A, xp)
    rtol, maxiter = _checked("block_pcg", rtol, maxiter)
    bnorm = [float(v) for v in xp.linalg.norm(B, axis=0).tolist()]
    iterations = [0] * k
    residuals = [0.0] * k
    converged = [True] * k
    broken = [False] * k
    history: list[list[float]] = [[0.0] for _ in range(k)]
    X = xp.zeros((n, k), dtype=B.dtype) if x0 is None else x0.astype(B.dtype, copy=True)
    for j in range(k):
        if bnorm[j] == 0.0:
            X[:, j] = 0.0
    steps = 0
    cols = np.asarray([j for j in range(k) if bnorm[j] > 0.0], dtype=np.int64)
    if len(cols):
        cd = xp.asarray(cols)
        Xw = X[:, cd]
        R = B[:, cd] if x0 is None else B[:, cd] - product(Xw, cols)
        scale = np.asarray([bnorm[j] for j in cols])
        res = np.asarray(xp.linalg.norm(R, axis=0).tolist()) / scale
        for i, j in enumerate(cols):
            history[j], residuals[j] = [float(res[i])], float(res[i])
            converged[j] = bool(res[i] <= rtol)
        done = res <= rtol  # a start that meets the tolerance already
        P: Any = None
        rz: Any = None
        if maxiter < 1:
            done[:] = True
        while True:
            if done.any():  # finished columns leave the block
                out = np.flatnonzero(done)
                X[:, xp.asarray(cols[out])] = Xw[:, xp.asarray(out)]
                keep = np.flatnonzero(~done)
                if not len(keep):
                    break
                kd = xp.asarray(keep)
                cols, scale = cols[keep], scale[keep]
                Xw, R = Xw[:, kd], R[:, kd]
                if steps:
                    P, rz = P[:, kd], rz[kd]
            Z = M(R) if M is not None else R
            if steps:
                rz_new = xp.einsum("ij,ij->j", R, Z)
                beta = rz_new / rz
                rz = rz_new
                P *= beta
                P += Z
            else:
                P = Z.copy()
                rz = xp.einsum("ij,ij->j", R, Z)
            steps += 1
            AP = product(P, cols)
            pap = xp.einsum("ij,ij->j", P, AP)
            # not SPD, or a NaN: the column stops rather than run to maxiter
            bad = ~np.isfinite(np.asarray(pap.tolist(), dtype=float))
            bad |= np.asarray((pap <= 0.0).tolist(), dtype=bool)
            alpha = rz / xp.where(pap > 0.0, pap, 1.0)
            if bad.any():  # a column that breaks down stops where it was (no update)
                good = xp.asarray(~bad)
                Xw += xp.where(good, P * alpha, 0.0)
                R -= xp.where(good, AP * alpha, 0.0)
            else:
                Xw += P * alpha
                R -= AP * alpha
            res = np.asarray(xp.linalg.norm(R, axis=0).tolist()) / scale
            done = (res <= rtol) | bad
            for i, j in enumerate(cols):
                iterations[j] = steps
                broken[j] = bool(bad[i])
                if bad[i]:
                    converged[j] = False
                    continue
                history[j].append(float(res[i]))
                residuals[j] = float(res[i])
                converged[j] = bool(res[i] <= rtol)
            if steps >= maxiter:
                done[:] = True
    if vector:
        X = X[:, 0]
    return BlockKrylovResult(X, iterations, residuals, converged, steps, history, broken)
