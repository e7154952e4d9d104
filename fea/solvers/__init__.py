"""Linear-solver backends: a registry (:func:`solve`, :func:`prepare`), solvers kept and
recycled across nearby systems (:class:`SolverCache`, :class:`RecyclingSolver`), where a
system is assembled (:func:`assembly_namespace`), and a report of what works here."""

from __future__ import annotations

from typing import NamedTuple

from .amg import eliminate
from .gpu import DeviceStatus, probe_device
from .krylov import BlockKrylovResult, KrylovResult, block_pcg, pcg
from .newton import NewtonInfo, NewtonResult, newton
from .recycle import RecyclingSolver, SolverCache
from .registry import (
    Prepared,
    SolveInfo,
    assembly_namespace,
    out_of_core_setting,
    prepare,
    register_method,
    register_solver,
    resolve_backend,
    solve,
)

__all__ = [
    "BackendRow",
    "BlockKrylovResult",
    "DeviceStatus",
    "KrylovResult",
    "NewtonInfo",
    "NewtonResult",
    "Prepared",
    "RecyclingSolver",
    "SolveInfo",
    "SolverCache",
    "assembly_namespace",
    "backend_report",
    "block_pcg",
    "eliminate",
    "newton",
    "out_of_core_setting",
    "pcg",
    "prepare",
    "probe_device",
    "register_method",
    "register_solver",
    "resolve_backend",
    "solve",
]


class BackendRow(NamedTuple):
    """One line of ``fea check``: a backend, whether it works here, and why."""

    name: str
    usable: bool
    reason: str


def backend_report() -> list[BackendRow]:
    """Probe every backend for real (a tiny solve or allocation), never just an import."""
    import numpy as np
    import scipy.sparse as sp

    rows = []
    A = sp.diags([[-1.0] * 4, [2.0] * 5, [-1.0] * 4], [-1, 0, 1], format="csr")
    b = np.ones(5)
    import scipy.sparse.linalg as spla

    x = spla.spsolve(A.tocsc(), b)
    rows.append(BackendRow("scipy-direct", bool(np.allclose(A @ x, b)), "SuperLU via SciPy"))
    try:
        import pypardiso

        x = pypardiso.spsolve(A, b)
        rows.append(BackendRow("pardiso", bool(np.allclose(A @ x, b)), "MKL Pardiso via pypardiso"))
    except Exception as exc:
        rows.append(
            BackendRow("pardiso", False, f"pypardiso unusable ({type(exc).__name__}: {exc})")
        )
    try:
        import pyamg

        ml = pyamg.smoothed_aggregation_solver(A)
        x = ml.solve(b, tol=1e-10)
        rows.append(
            BackendRow(
                "amg",
                bool(np.allclose(A @ x, b, atol=1e-6)),
                f"pyamg {pyamg.__version__} smoothed aggregation + PCG",
            )
        )
    except Exception as exc:
        rows.append(BackendRow("amg", False, f"pyamg unusable ({type(exc).__name__}: {exc})"))
    dev = probe_device()
    rows.append(BackendRow("gpu", dev.usable, dev.reason))
    return rows
