"""CuPy backend. The only module of :mod:`fea` that imports CuPy."""

from __future__ import annotations

import functools
from typing import NamedTuple

__all__ = ["DeviceStatus", "probe_device", "register_namespace"]


def register_namespace() -> object:
    """Import CuPy, register cupyx's sparse module as its sparse namespace for the
    array-generic kernels (:func:`fea.fe.spaces.register_sparse`), and return ``cupy``."""
    import cupy
    import cupyx.scipy.sparse as csp

    from ..fe.spaces import register_sparse

    register_sparse(cupy, csp)
    return cupy


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
        register_namespace()
        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
        return DeviceStatus(True, f"CUDA device 0 works ({name})", name)
    except Exception as exc:
        return DeviceStatus(
            False, f"CuPy imports but the device does not work ({type(exc).__name__}: {exc})"
        )


def _device_csr(A, cupy, csp, dtype=None):
    """A SciPy or cupyx sparse matrix as cupyx CSR on the device (optionally cast)."""
    if not csp.issparse(A):
        import scipy.sparse as sp

        A = csp.csr_matrix(sp.csr_matrix(A))
    A = A.tocsr()
    return A.astype(dtype) if dtype is not None and A.dtype != dtype else A


def amg_hierarchy(A, *, kind: str, near_null=None, precision: str = "mixed"):
    """Smoothed-aggregation hierarchy built once on the CPU (pyamg, rigid-body modes for
    elasticity) and moved level by level to the device. Returns ``M(r)``: one V-cycle
    (damped Jacobi smoothing, dense pseudo-inverse on the coarsest level) on the GPU.

    ``precision="mixed"`` keeps the hierarchy and the cycle in float32 (half the memory
    traffic; CG stays float64, so the answer is unchanged); ``"double"`` in float64.
    """
    import cupy
    import cupyx.scipy.sparse as csp
    import numpy as np
    import pyamg
    import scipy.sparse as sp

    A_h = sp.csr_matrix(A.get() if hasattr(A, "get") else A)
    kw: dict = {"max_coarse": 500}
    if kind == "elasticity":
        A_h = A_h.tobsr(blocksize=(3, 3))
        kw.update(B=near_null, strength="evolution", smooth="energy")
    ml = pyamg.smoothed_aggregation_solver(A_h, **kw)
    from pyamg.util.linalg import approximate_spectral_radius

    dt = cupy.float32 if precision == "mixed" else cupy.float64
    levels = []
    for lvl in ml.levels[:-1]:
        A_l = sp.csr_matrix(lvl.A)
        dinv_h = 1.0 / A_l.diagonal()
        # damped Jacobi with w = 4 / (3 rho(D^-1 A)) (pyamg's choice): a convergent smoother
        # for any SPD level, however large the material contrast
        rho = approximate_spectral_radius(sp.diags(dinv_h) @ A_l)
        Ai = csp.csr_matrix(A_l).astype(dt)
        levels.append(
            (
                Ai,
                csp.csr_matrix(sp.csr_matrix(lvl.P)).astype(dt),
                csp.csr_matrix(sp.csr_matrix(lvl.R)).astype(dt),
                cupy.asarray((4.0 / (3.0 * rho)) * dinv_h, dtype=dt),
            )
        )
    coarse = cupy.asarray(np.linalg.pinv(sp.csr_matrix(ml.levels[-1].A).toarray()), dtype=dt)

    def vcycle(i, r):
        if i == len(levels):
            return coarse @ r
        Ai, P, R, wdinv = levels[i]
        x = wdinv * r  # damped Jacobi pre-smoothing (2 sweeps)
        x += wdinv * (r - Ai @ x)
        x += P @ vcycle(i + 1, R @ (r - Ai @ x))
        x += wdinv * (r - Ai @ x)  # post-smoothing (2 sweeps): a symmetric cycle
        x += wdinv * (r - Ai @ x)
        return x

    def M(r):
        return vcycle(0, r.astype(dt)).astype(r.dtype)

    item = 4 if precision == "mixed" else 8
    # memory traffic of one V-cycle: ~6 SpMVs per level (values + int32 indices) and vectors
    cycle_bytes = sum(6 * (Ai.nnz * (item + 4) + 3 * Ai.shape[0] * item) for Ai, *_ in levels)
    cycle_bytes += coarse.size * item
    facts = {
        "levels": len(ml.levels),
        "operator_complexity": ml.operator_complexity(),
        "precision": precision,
        "cycle_bytes": int(cycle_bytes),
    }
    return M, facts


def solve_gpu(
    A,
    b,
    *,
    kind: str,
    method: str,
    near_null=None,
    rtol: float = 1e-10,
    maxiter: int = 2000,
    precision: str = "mixed",
):
    """Solve SPD ``A x = b`` on the GPU; returns (x as NumPy, info).

    ``A`` may be SciPy (moved as CSR) or already a cupyx matrix (assembled on the
    device); ``b`` NumPy or CuPy. ``method``: ``auto``/``amg`` (AMG-PCG, hierarchy built
    on the CPU and moved), ``jacobi`` (Jacobi-PCG), ``cudss`` (cuDSS direct solver
    through nvmath-python, when installed). ``direct`` maps to AMG-PCG on the device.
    The PCG loop is :func:`fea.solvers.krylov.pcg`, the one the CPU path runs.
    """
    import time

    import cupy
    import cupyx.scipy.sparse as csp

    from ..errors import BackendUnavailable, InputError, SolverError
    from .krylov import pcg

    t0 = time.perf_counter()
    Ad = _device_csr(A, cupy, csp, cupy.float64)
    bd = cupy.asarray(b, dtype=cupy.float64)
    t_move = time.perf_counter() - t0
    if method == "cudss":
        try:
            import nvmath
        except Exception as exc:
            raise BackendUnavailable(
                f"method='cudss' needs nvmath-python with cuDSS ({type(exc).__name__}: {exc})"
            ) from None
        x = nvmath.sparse.advanced.direct_solver(Ad, bd)
        cupy.cuda.runtime.deviceSynchronize()
        r = float(cupy.linalg.norm(Ad @ x - bd) / cupy.linalg.norm(bd))
        return cupy.asnumpy(x), {
            "method": "cudss",
            "iterations": 1,
            "residual": r,
            "device": "cuda:0",
            "gpu_stages": {"move_s": t_move, "solve_s": time.perf_counter() - t0},
        }
    t1 = time.perf_counter()
    if method in ("auto", "amg", "direct"):
        M, facts = amg_hierarchy(A, kind=kind, near_null=near_null, precision=precision)
        name = "amg-pcg"
    elif method == "jacobi":
        dinv = 1.0 / Ad.diagonal()

        def M(r):
            return dinv * r

        facts, name = {}, "jacobi-pcg"
    else:
        raise InputError("solver.method", method, "one of auto, amg, jacobi, cudss on the GPU")
    cupy.cuda.runtime.deviceSynchronize()
    t_setup = time.perf_counter() - t1
    t2 = time.perf_counter()
    res = pcg(Ad, bd, M, rtol=rtol, maxiter=maxiter, xp=cupy)
    cupy.cuda.runtime.deviceSynchronize()
    t_pcg = time.perf_counter() - t2
    if not res.converged:
        h = res.history
        raise SolverError(
            f"GPU {name} did not converge in {res.iterations} iterations: relative residual "
            f"{h[0]:.2e} -> {h[len(h) // 2]:.2e} -> {h[-1]:.2e} (target {rtol:.1e})"
        )
    return cupy.asnumpy(res.x), {
        "method": name,
        "iterations": res.iterations,
        "residual": res.residual,
        "device": "cuda:0",
        "gpu_stages": {
            "move_s": t_move,
            "setup_s": t_setup,
            "pcg_s": t_pcg,
            "per_iteration_s": t_pcg / max(res.iterations, 1),
        },
        **facts,
    }
