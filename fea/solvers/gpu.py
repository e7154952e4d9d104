"""CuPy backend. The only module of :mod:`fea` that imports CuPy (inside its functions).

The default device solver builds the smoothed-aggregation hierarchy on the device
(:mod:`fea.solvers.amg` over CuPy/cupyx) and runs the shared PCG loop there; the matrix may
be given on the host (moved once) or already on the device (assembled there), and the
solution comes back to the host or stays on the device. Other device methods: ``amg-pyamg``
(the hierarchy built by pyamg on the host and moved level by level), ``jacobi`` and
``cudss`` (the cuDSS direct solver through nvmath-python, when installed).
"""

from __future__ import annotations

import functools
import time
from typing import Any, NamedTuple

import numpy as np

from ..errors import BackendUnavailable, InputError, SolverError
from ..fe.namespace import Namespace, namespace_of
from .amg import build_hierarchy
from .base import (
    Options,
    PcgSolver,
    check_block,
    check_direct_residual,
    check_finite_rhs,
    check_matrix,
    check_real,
    relative_residual,
)

__all__ = [
    "DeviceStatus",
    "GPU_METHODS",
    "amg_hierarchy",
    "cudss_available",
    "device_namespace",
    "probe_device",
    "register_namespace",
    "solve_gpu",
    "to_device",
]


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


def register_namespace() -> Any:
    """Import CuPy and cupyx's sparse module (after which
    :func:`fea.fe.namespace.namespace_of` finds them) and return ``cupy``."""
    import cupy
    import cupyx.scipy.sparse  # noqa: F401

    return cupy


def device_namespace() -> Namespace:
    """CuPy and cupyx.scipy.sparse as a :class:`fea.fe.namespace.Namespace` (the arrays of
    the device solvers and of the array-generic kernels of :mod:`fea.fe`)."""
    return namespace_of(register_namespace())


def to_device(A: Any, dtype: Any = None) -> Any:
    """A SciPy or cupyx sparse matrix as cupyx CSR on the device (optionally cast), with
    int32 indices where they fit (cuSPARSE's sparse products take no others); a cupyx CSR
    matrix of the right types is returned as it is (no copy)."""
    import cupy
    import cupyx.scipy.sparse as csp
    import scipy.sparse as sp

    on_device = csp.issparse(A)
    A = A.tocsr() if on_device else sp.csr_matrix(A)
    fits = A.nnz < 2**31 - 1
    wide = A.indices.dtype != np.int32 or A.indptr.dtype != np.int32
    if not on_device or (fits and wide):
        it = np.int32 if fits else np.int64
        A = csp.csr_matrix(
            (
                cupy.asarray(A.data),
                cupy.asarray(A.indices.astype(it, copy=False)),
                cupy.asarray(A.indptr.astype(it, copy=False)),
            ),
            shape=A.shape,
        )
    return A.astype(dtype) if dtype is not None and A.dtype != dtype else A


# -- device AMG ------------------------------------------------------------------------------


def _device_sa(A: Any, options: Options, ns: Namespace) -> Any:
    """The device smoothed-aggregation preconditioner of ``A`` (cupyx CSR, float64)."""
    nn = None
    if options.kind == "elasticity" and options.near_null is not None:
        nn = ns.xp.asarray(options.near_null, dtype=ns.xp.float64)
    h = build_hierarchy(A, near_null=nn, block=options.block, ns=ns)
    return h.preconditioner(options.precision)


class _PyamgDevice:
    """pyamg's smoothed-aggregation hierarchy (built on the host, rigid-body modes for
    elasticity) moved level by level to the device; damped Jacobi smoothing, dense
    pseudo-inverse on the coarsest level.

    pyamg's tentative prolongator keeps a zero column where the near-null space is rank
    deficient in an aggregate (two nodes, or nodes on a line, carry five rigid-body modes):
    the coarse matrix then has a zero row and column. Such a row is an exact null direction
    of the coarse operator; it gets zero smoother weight here instead of ``1 / 0``. The
    device hierarchy (method ``amg``) drops those columns instead.
    """

    def __init__(self, A: Any, options: Options, ns: Namespace, _coarse: Any = None) -> None:
        import scipy.sparse as sp

        self.ns, self.options = ns, options
        xp, csp = ns.xp, ns.sparse
        self.dtype = xp.float32 if options.precision == "mixed" else xp.float64
        if _coarse is not None:
            self.levels, self.coarse, self.ml = _coarse
            self.levels = [self._fine(A, self.levels[0][1], self.levels[0][2])] + self.levels[1:]
            return
        import pyamg

        A_h = sp.csr_matrix(
            (ns.asnumpy(A.data), ns.asnumpy(A.indices), ns.asnumpy(A.indptr)), shape=A.shape
        )
        kw: dict = {"max_coarse": 500}
        if options.kind == "elasticity":
            A_h = A_h.tobsr(blocksize=(3, 3))
            kw.update(B=options.near_null, strength="evolution", smooth="energy")
        ml = pyamg.smoothed_aggregation_solver(A_h, **kw)
        self.ml = ml
        self.levels = []
        for i, lvl in enumerate(ml.levels[:-1]):
            P = csp.csr_matrix(sp.csr_matrix(lvl.P)).astype(self.dtype)
            R = csp.csr_matrix(sp.csr_matrix(lvl.R)).astype(self.dtype)
            Ai = A if i == 0 else csp.csr_matrix(sp.csr_matrix(lvl.A))
            self.levels.append(self._fine(Ai, P, R))
        self.coarse = xp.asarray(
            np.linalg.pinv(sp.csr_matrix(ml.levels[-1].A).toarray()), dtype=self.dtype
        )

    def _fine(self, A: Any, P: Any, R: Any) -> tuple:
        from .amg import lanczos_max

        xp, ns = self.ns.xp, self.ns
        A = A.tocsr()
        d = A.diagonal()
        dinv = xp.where(d != 0, 1.0 / xp.where(d != 0, d, 1.0), 0.0)
        idx = xp.arange(A.shape[0])
        D = ns.sparse.coo_matrix((xp.where(d != 0, d, 1.0), (idx, idx)), shape=A.shape).tocsr()
        Dinv = ns.sparse.coo_matrix((dinv, (idx, idx)), shape=A.shape).tocsr()
        # damped Jacobi with w = 4 / (3 rho(D^-1 A)) (pyamg's choice): convergent for SPD
        rho = lanczos_max(A, D, Dinv, ns)
        return (A.astype(self.dtype), P, R, ((4.0 / (3.0 * rho)) * dinv).astype(self.dtype))

    def _cycle(self, i: int, r: Any) -> Any:
        if i == len(self.levels):
            return self.coarse @ r
        Ai, P, R, wdinv = self.levels[i]
        if r.ndim == 2:  # a block of residuals (n, k): the same cycle on every column
            wdinv = wdinv[:, None]
        x = wdinv * r  # damped Jacobi pre-smoothing (2 sweeps)
        x += wdinv * (r - Ai @ x)
        x += P @ self._cycle(i + 1, R @ (r - Ai @ x))
        x += wdinv * (r - Ai @ x)  # post-smoothing (2 sweeps): a symmetric cycle
        x += wdinv * (r - Ai @ x)
        return x

    def __call__(self, r: Any) -> Any:
        return self._cycle(0, r.astype(self.dtype)).astype(r.dtype)

    @property
    def facts(self) -> dict:
        item = 4 if self.options.precision == "mixed" else 8
        cycle = sum(6 * (A.nnz * (item + 4) + 3 * A.shape[0] * item) for A, *_ in self.levels)
        return {
            "levels": len(self.ml.levels),
            "operator_complexity": self.ml.operator_complexity(),
            "precision": self.options.precision,
            "cycle_bytes": int(cycle + self.coarse.size * item),
        }

    def with_matrix(self, A: Any) -> _PyamgDevice:
        return _PyamgDevice(A, self.options, self.ns, (self.levels, self.coarse, self.ml))


def amg_hierarchy(
    A: Any, *, kind: str, near_null: Any = None, precision: str = "mixed", builder: str = "device"
) -> tuple[Any, dict]:
    """A device AMG preconditioner of ``A`` (SciPy or cupyx): ``(M, facts)`` with ``M(r)``
    one V-cycle on the device. ``builder="device"``: the hierarchy of
    :func:`fea.solvers.amg.build_hierarchy` built on the device; ``"pyamg"``: pyamg's, built
    on the host and moved."""
    import cupy

    ns = device_namespace()
    opt = Options(kind=kind, near_null=near_null, precision=precision)
    Ad = to_device(A, cupy.float64)
    if builder == "device":
        M = _device_sa(Ad, opt, ns)
    elif builder == "pyamg":
        M = _PyamgDevice(Ad, opt, ns)
    else:
        raise InputError("builder", builder, "device or pyamg")
    return M, M.facts


# -- the device solvers of the registry ------------------------------------------------------------


class _Jacobi:
    def __init__(self, A: Any, ns: Namespace) -> None:
        self.ns, self.dinv = ns, 1.0 / A.diagonal()
        self.facts: dict = {}

    def __call__(self, r: Any) -> Any:
        return self.dinv * r

    def with_matrix(self, A: Any) -> _Jacobi:
        return _Jacobi(A, self.ns)


def _pcg_solver(A: Any, options: Options, name: str, build) -> PcgSolver:
    import cupy

    ns = device_namespace()
    t0 = time.perf_counter()
    Ad = to_device(A, cupy.float64)
    ns.synchronize()
    t_move = time.perf_counter() - t0
    return PcgSolver(
        Ad,
        lambda M: build(M, options, ns),
        options,
        name=name,
        ns=ns,
        device="cuda:0",
        to_ns=lambda M: to_device(M, cupy.float64),
        extra={"matrix_move_s": t_move},
        stages_key="gpu_stages",
    )


def device_amg_solver(A: Any, options: Options) -> PcgSolver:
    """Registry factory ``("gpu", "amg")``: device-built smoothed aggregation + PCG."""
    return _pcg_solver(A, options, "amg-pcg", _device_sa)


def pyamg_device_solver(A: Any, options: Options) -> PcgSolver:
    """Registry factory ``("gpu", "amg-pyamg")``: pyamg's hierarchy moved to the device."""
    return _pcg_solver(A, options, "amg-pyamg-pcg", _PyamgDevice)


def jacobi_solver(A: Any, options: Options) -> PcgSolver:
    """Registry factory ``("gpu", "jacobi")``: Jacobi-PCG on the device."""
    return _pcg_solver(A, options, "jacobi-pcg", lambda M, _o, ns: _Jacobi(M, ns))


def cudss_available() -> bool:
    """True when nvmath-python with its sparse direct solver (cuDSS) imports."""
    try:
        import nvmath.sparse.advanced  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


class CudssSolver:
    """Registry factory ``("gpu", "cudss")``: the cuDSS direct solver through nvmath-python
    (:class:`BackendUnavailable` where it is not installed). An answer whose relative
    residual is above :data:`fea.solvers.base.DIRECT_RESIDUAL_LIMIT` is refused
    (:func:`fea.solvers.base.check_direct_residual`), as the CPU's direct solver does."""

    name = "cudss"
    device = "cuda:0"

    def __init__(self, A: Any, options: Options) -> None:
        try:
            import nvmath.sparse.advanced  # noqa: F401
        except Exception as exc:
            raise BackendUnavailable(
                f"method='cudss' needs nvmath-python with cuDSS ({type(exc).__name__}: {exc})"
            ) from None
        import cupy

        self.A = to_device(A, cupy.float64)
        self.options = options
        self._event = "built"

    def update(self, A: Any) -> None:
        import cupy

        self.A = to_device(A, cupy.float64)
        self._event = "rebuilt"

    def solve(self, b: Any, *, x0: Any = None, device_result: bool = False) -> tuple[Any, dict]:
        import cupy
        from nvmath.sparse.advanced import direct_solver

        t0 = time.perf_counter()
        bd = cupy.asarray(b, dtype=cupy.float64)
        x = direct_solver(self.A, bd)
        cupy.cuda.runtime.deviceSynchronize()
        r = relative_residual(self.A, x, bd)
        check_direct_residual(self.name, r)
        event, self._event = self._event, "reused"
        return (x if device_result else cupy.asnumpy(x)), {
            "method": "cudss",
            "device": self.device,
            "iterations": 1,
            "residual": r,
            "setup": event,
            "setup_s": 0.0,
            "gpu_stages": {"solve_s": time.perf_counter() - t0},
        }

    def close(self) -> None:
        self.A = None


#: The device methods: name -> factory ``f(A, options)`` (registered by
#: :mod:`fea.solvers.registry` under backend ``"gpu"``).
GPU_METHODS = {
    "amg": device_amg_solver,
    "amg-pyamg": pyamg_device_solver,
    "cudss": CudssSolver,
    "jacobi": jacobi_solver,
}


def solve_gpu(
    A: Any,
    b: Any,
    *,
    kind: str,
    method: str,
    near_null: Any = None,
    rtol: float = 1e-10,
    maxiter: int = 2000,
    precision: str = "mixed",
    device_result: bool = False,
) -> tuple[Any, dict]:
    """Solve SPD ``A x = b`` on the GPU; returns ``(x, facts)``.

    ``A`` may be SciPy (moved as CSR) or already a cupyx matrix (assembled on the device);
    ``b`` NumPy or CuPy; ``x`` NumPy, or CuPy when ``device_result``. ``method``:
    ``auto``/``amg`` (device-built AMG-PCG), ``amg-pyamg``, ``jacobi``, ``cudss`` or
    ``direct`` (cuDSS: :class:`~fea.errors.BackendUnavailable` without it). This is the
    device half of :func:`fea.solvers.solve` without the device probe (for callers that
    hold device arrays).
    """
    name = {"auto": "amg", "direct": "cudss"}.get(method, method)
    if name not in GPU_METHODS:
        raise InputError(
            "solver.method", method, f"one of auto, {', '.join(sorted(GPU_METHODS))} on the GPU"
        )
    # what fea.solvers.solve checks, before anything reaches the device (a NaN matrix gave
    # a non-finite residual only after the hierarchy was built; b of another length an
    # index error inside a kernel)
    check_matrix(A, kind, near_null)
    check_real("b", b)
    check_block(b, A.shape[0], "b")
    check_finite_rhs(b, kind)
    opt = Options(kind=kind, near_null=near_null, rtol=rtol, maxiter=maxiter, precision=precision)
    solver = GPU_METHODS[name](A, opt)
    try:
        x, facts = solver.solve(b, device_result=device_result)
    finally:
        solver.close()
    if not np.isfinite(facts["residual"]):
        raise SolverError(f"GPU {name}: non-finite residual")
    return x, facts
