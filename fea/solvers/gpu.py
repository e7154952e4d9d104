"""CuPy backend. The only module of :mod:`fea` that imports CuPy."""

from __future__ import annotations

import functools
from typing import NamedTuple

__all__ = ["DeviceStatus", "probe_device"]


class DeviceStatus(NamedTuple):
    """Whether a CUDA device really works here, and why (not)."""

    usable: bool
    reason: str
    name: str = ""


@functools.cache
def probe_device() -> DeviceStatus:
    """Try CuPy for real: import, count devices, allocate and reduce an array.

    CuPy imports on machines without a driver and fails only on first use, so the
    import alone proves nothing; the allocation is the test.
    """
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken install raising anything
        return DeviceStatus(False, f"CuPy is not importable ({type(exc).__name__}: {exc})")
    try:
        n = cupy.cuda.runtime.getDeviceCount()
        if n < 1:
            return DeviceStatus(False, "CuPy found no CUDA device")
        x = cupy.arange(8, dtype=cupy.float64)
        if float((x * 2).sum()) != 56.0:
            return DeviceStatus(False, "a test computation on the device gave a wrong result")
        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
        return DeviceStatus(True, f"CUDA device 0 works ({name})", name)
    except Exception as exc:
        return DeviceStatus(
            False, f"CuPy imports but the device does not work ({type(exc).__name__}: {exc})"
        )


def solve_gpu(
    A, b, *, kind: str, method: str, near_null=None, rtol: float = 1e-10, maxiter: int = 2000
):
    """Solve on the GPU with the shared PCG loop; Jacobi or AMG (hierarchy built on the CPU)."""
    import cupy
    import cupyx.scipy.sparse as csp
    import numpy as np

    from ..errors import SolverError
    from .krylov import pcg

    Ad = csp.csr_matrix(A)
    bd = cupy.asarray(b)
    if method in ("auto", "amg", "direct"):
        import pyamg
        import scipy.sparse as sp

        A_h = sp.csr_matrix(A)
        kw = {"max_coarse": 500}
        if kind == "elasticity":
            A_h = A_h.tobsr(blocksize=(3, 3))
            kw.update(B=near_null, strength="evolution", smooth="energy")
        ml = pyamg.smoothed_aggregation_solver(A_h, **kw)
        levels = []
        for lvl in ml.levels[:-1]:
            Ai = csp.csr_matrix(sp.csr_matrix(lvl.A))
            levels.append(
                (
                    Ai,
                    csp.csr_matrix(sp.csr_matrix(lvl.P)),
                    csp.csr_matrix(sp.csr_matrix(lvl.R)),
                    1.0 / Ai.diagonal(),
                )
            )
        coarse = cupy.asarray(np.linalg.pinv(sp.csr_matrix(ml.levels[-1].A).toarray()))

        def vcycle(i, r):
            if i == len(levels):
                return coarse @ r
            Ai, P, R, dinv = levels[i]
            x = (2.0 / 3.0) * dinv * r  # damped Jacobi pre-smoothing
            x += (2.0 / 3.0) * dinv * (r - Ai @ x)
            x += P @ vcycle(i + 1, R @ (r - Ai @ x))
            x += (2.0 / 3.0) * dinv * (r - Ai @ x)
            x += (2.0 / 3.0) * dinv * (r - Ai @ x)
            return x

        def M(r):
            return vcycle(0, r)

        name = "amg-pcg"
    else:
        dinv = 1.0 / Ad.diagonal()

        def M(r):
            return dinv * r

        name = "jacobi-pcg"
    res = pcg(Ad, bd, M, rtol=rtol, maxiter=maxiter, xp=cupy)
    if not res.converged:
        raise SolverError(
            f"GPU {name} did not converge in {res.iterations} iterations "
            f"(relative residual {res.residual:.2e})"
        )
    return cupy.asnumpy(res.x), {
        "method": name,
        "iterations": res.iterations,
        "residual": res.residual,
        "device": "cuda:0",
    }
