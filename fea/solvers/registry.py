"""The solver registry: ``solve(A, b, kind=...)`` picks and runs a backend, and says which."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..errors import BackendUnavailable, InputError
from . import cpu
from .gpu import probe_device

__all__ = [
    "DIRECT_DOF_LIMIT",
    "Prepared",
    "SolveInfo",
    "direct_limit",
    "prepare",
    "register_method",
    "resolve_backend",
    "solve",
]

#: Above this many unknowns ``method="auto"`` uses AMG-PCG instead of a direct solve, per
#: kind, on a 24 GB machine (scaled by :func:`direct_limit` to the machine's memory). P2
#: elasticity's fill-in makes Pardiso's memory grow fast past ~1e6 DOF (2.24 M DOF did
#: not fit); a scalar P2 conduction matrix of 442k nodes factorizes in 12 s at 3.9 GB peak,
#: where AMG-PCG on the high-contrast package took several minutes.
DIRECT_DOF_LIMIT = {"scalar": 1_000_000, "elasticity": 400_000}


def direct_limit(kind: str) -> int:
    """Largest system ``method="auto"`` solves directly for ``kind``: the 24 GB limit of
    :data:`DIRECT_DOF_LIMIT` times (physical memory / 24 GB)^(3/4) (a nested-dissection
    factor of a 3D mesh grows about as n^(4/3)), the factor clamped to [0.25, 4]."""
    base = DIRECT_DOF_LIMIT.get(kind, DIRECT_DOF_LIMIT["elasticity"])
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return base
    return int(base * min(4.0, max(0.25, (mem / 24e9) ** 0.75)))


@dataclass
class SolveInfo:
    """What ran: backend, device, method, iterations, residual, seconds, and why."""

    backend: str
    method: str
    device: str = "cpu"
    reason: str = ""
    iterations: int = 0
    residual: float = 0.0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def resolve_backend(backend: str) -> tuple[str, str]:
    """Map ``auto|cpu|gpu`` to the backend that will run and the reason.

    ``gpu`` without a usable device raises :class:`BackendUnavailable`; ``auto`` falls
    back to the CPU and says why. No silent downgrade of an explicit request.
    """
    if backend not in ("auto", "cpu", "gpu"):
        raise InputError("backend", backend, "one of auto, cpu, gpu")
    if backend == "cpu":
        return "cpu", "requested"
    status = probe_device()
    if backend == "gpu":
        if not status.usable:
            raise BackendUnavailable(
                f"backend='gpu' requested but no GPU is usable: {status.reason}"
            )
        return "gpu", status.reason
    if status.usable:
        return "gpu", f"auto: {status.reason}"
    return "cpu", f"auto: no usable GPU ({status.reason})"


Method = Callable[..., tuple[NDArray[np.float64], dict]]
_METHODS: dict[str, Method] = {}


def register_method(name: str, func: Method) -> None:
    """Register a CPU solve method ``func(A, b, kind=, near_null=, rtol=, maxiter=)``."""
    _METHODS[name] = func


def _direct(A, b, **_):
    x, name = cpu.direct(A, b)
    return x, {"method": name}


def _amg(A, b, *, kind, near_null, rtol, maxiter):
    block = 3 if kind == "elasticity" else 1
    x, info = cpu.amg_pcg(
        A,
        b,
        near_null=near_null if kind == "elasticity" else None,
        block=block,
        rtol=rtol,
        maxiter=maxiter,
    )
    return x, {"method": "amg-pcg", **info}


register_method("direct", _direct)
register_method("amg", _amg)


def _cpu_method(method: str, n: int, kind: str) -> str:
    """The CPU method that runs for ``method`` on ``n`` unknowns of ``kind`` (``auto``:
    direct up to :func:`direct_limit`, AMG-PCG above)."""
    name = ("direct" if n <= direct_limit(kind) else "amg") if method == "auto" else method
    if name not in _METHODS:
        raise InputError("solver.method", method, f"one of auto, {', '.join(sorted(_METHODS))}")
    return name


def solve(
    A: sp.spmatrix,
    b: NDArray[np.float64],
    *,
    kind: str = "scalar",
    backend: str = "auto",
    method: str = "auto",
    near_null: NDArray | None = None,
    rtol: float = 1e-10,
    maxiter: int = 2000,
) -> tuple[NDArray[np.float64], SolveInfo]:
    """Solve ``A x = b`` for SPD ``A`` (n x n CSR) and return ``(x, info)``.

    Parameters
    ----------
    kind
        ``"scalar"`` (conduction) or ``"elasticity"`` (3 unknowns per node, interleaved).
    backend
        ``auto``, ``cpu`` or ``gpu``.
    method
        ``auto`` (direct below :func:`direct_limit` unknowns, AMG-PCG above),
        ``direct``, ``amg``, or ``jacobi`` (GPU only).
    near_null
        Rigid-body modes, shape (n, 6), for AMG on elasticity.
    """
    t0 = time.perf_counter()
    where, reason = resolve_backend(backend)
    n = A.shape[0]
    if where == "gpu":
        from .gpu import solve_gpu

        x, extra = solve_gpu(
            A, b, kind=kind, method=method, near_null=near_null, rtol=rtol, maxiter=maxiter
        )
        info = SolveInfo(
            "gpu",
            extra.pop("method"),
            device=extra.pop("device", "cuda:0"),
            reason=reason,
            iterations=extra.pop("iterations", 0),
            residual=extra.pop("residual", 0.0),
            extra=extra,
        )
    else:
        name = _cpu_method(method, n, kind)
        x, extra = _METHODS[name](A, b, kind=kind, near_null=near_null, rtol=rtol, maxiter=maxiter)
        r = float(np.linalg.norm(A @ x - b) / max(np.linalg.norm(b), 1e-300))
        info = SolveInfo(
            "cpu",
            extra.pop("method"),
            reason=reason,
            iterations=extra.pop("iterations", 1),
            residual=r,
            extra=extra,
        )
    info.seconds = time.perf_counter() - t0
    return x, info


class Prepared:
    """One matrix set up once for many right-hand sides (time steps, load cases).

    CPU: the direct factorization or the AMG hierarchy is built in the constructor and
    reused by every :meth:`solve`. GPU: each solve runs :func:`solve` (the device path
    rebuilds its preconditioner). Use as a context manager to free the factorization.
    """

    def __init__(
        self,
        A: sp.spmatrix,
        *,
        kind: str = "scalar",
        backend: str = "auto",
        method: str = "auto",
        near_null: NDArray | None = None,
        rtol: float = 1e-10,
        maxiter: int = 2000,
    ) -> None:
        t0 = time.perf_counter()
        self.A = sp.csr_matrix(A)
        self.kind, self.method, self.near_null = kind, method, near_null
        self.rtol, self.maxiter = rtol, maxiter
        self.where, self.reason = resolve_backend(backend)
        self.backend = backend
        self._fact = self._ml = None
        self.extra: dict = {}
        if self.where == "cpu":
            name = _cpu_method(method, self.A.shape[0], kind)
            if name == "direct":
                self._fact = cpu.Factorized(self.A)
                self.name = self._fact.name
            elif name == "amg":
                block = 3 if kind == "elasticity" else 1
                nn = near_null if kind == "elasticity" else None
                self._ml, self.extra = cpu.amg_setup(self.A, near_null=nn, block=block)
                self.name = "amg-pcg"
            else:
                raise InputError("solver.method", method, "one of auto, direct, amg")
        self.setup_s = time.perf_counter() - t0

    def solve(self, b: NDArray[np.float64]) -> tuple[NDArray[np.float64], SolveInfo]:
        """Solve ``A x = b`` with the prepared matrix; ``b`` shape (n,)."""
        if self.where == "gpu":
            return solve(
                self.A,
                b,
                kind=self.kind,
                backend=self.backend,
                method=self.method,
                near_null=self.near_null,
                rtol=self.rtol,
                maxiter=self.maxiter,
            )
        t0 = time.perf_counter()
        its, extra = 1, dict(self.extra)
        if self._fact is not None:
            x = self._fact.solve(b)
        else:
            x, run = cpu.amg_run(self.A, b, self._ml, rtol=self.rtol, maxiter=self.maxiter)
            its = run["iterations"]
        r = float(np.linalg.norm(self.A @ x - b) / max(np.linalg.norm(b), 1e-300))
        info = SolveInfo(
            "cpu", self.name, reason=self.reason, iterations=its, residual=r, extra=extra
        )
        info.seconds = time.perf_counter() - t0
        return x, info

    def close(self) -> None:
        if self._fact is not None:
            self._fact.close()
            self._fact = None

    def __enter__(self) -> Prepared:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prepare(A: sp.spmatrix, **kwargs) -> Prepared:
    """Set ``A`` up once for many solves; keyword arguments as :func:`solve`."""
    return Prepared(A, **kwargs)
