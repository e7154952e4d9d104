"""One preconditioned conjugate-gradient loop for NumPy/SciPy and CuPy/cupyx arrays.

The loop only uses ``A @ x``, the preconditioner callable, ``xp.dot``-style
reductions and axpy updates, so the same code runs on the CPU (CI exercises it)
and on the GPU.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KrylovResult", "pcg"]


@dataclass
class KrylovResult:
    """Outcome of :func:`pcg`: solution, iterations, relative residual and its history."""

    x: Any
    iterations: int
    residual: float
    converged: bool
    history: list[float] = field(default_factory=list)


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
        Stop when ``||r|| <= rtol ||b||`` (2-norm of the true recursive residual).
    xp
        Array namespace (``numpy`` or ``cupy``); taken from ``b`` when None.

    Returns
    -------
    KrylovResult
        ``x`` has the array type of ``b``; ``history`` holds ``||r_k|| / ||b||``.
    """
    if xp is None:
        import sys

        import numpy

        # a CuPy array implies CuPy is imported already; look it up rather than import it
        # here (only fea.solvers.gpu imports CuPy)
        cupy = sys.modules.get("cupy")
        xp = cupy if cupy is not None and isinstance(b, cupy.ndarray) else numpy
    bnorm = float(xp.linalg.norm(b))
    if bnorm == 0.0:
        return KrylovResult(xp.zeros_like(b), 0, 0.0, True, [0.0])
    x = xp.zeros_like(b) if x0 is None else x0.copy()
    r = b - A @ x if x0 is not None else b.copy()
    z = M(r) if M is not None else r
    p = z.copy()
    rz = float(xp.dot(r, z))
    history = [float(xp.linalg.norm(r)) / bnorm]
    for k in range(1, maxiter + 1):
        Ap = A @ p
        pAp = float(xp.dot(p, Ap))
        if pAp <= 0.0:
            return KrylovResult(x, k, history[-1], False, history)
        alpha = rz / pAp
        x += alpha * p
        r -= alpha * Ap
        res = float(xp.linalg.norm(r)) / bnorm
        history.append(res)
        if res <= rtol:
            return KrylovResult(x, k, res, True, history)
        z = M(r) if M is not None else r
        rz_new = float(xp.dot(r, z))
        beta = rz_new / rz
        rz = rz_new
        p *= beta
        p += z
    return KrylovResult(x, maxiter, history[-1], False, history)
