"""CPU linear solvers: sparse direct (MKL Pardiso or SuperLU) and AMG-preconditioned CG
(pyamg's hierarchy, or the array-generic one of :mod:`fea.solvers.amg` on NumPy), and their
registry factories ``f(A, options)``."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from ..errors import SolverError
from .amg import HOST, build_hierarchy
from .base import Options, PcgSolver
from .krylov import pcg

__all__ = [
    "CPU_METHODS",
    "DirectSolver",
    "Factorized",
    "amg_pcg",
    "amg_run",
    "amg_setup",
    "direct",
    "pardiso_available",
    "pyamg_solver",
    "xp_amg_solver",
]


def pardiso_available() -> bool:
    """True when pypardiso imports and MKL loads."""
    _locate_mkl()
    try:
        import pypardiso  # noqa: F401
    except Exception:
        return False
    return True


def _locate_mkl() -> None:
    """Point pypardiso at MKL's runtime library in this environment's ``lib`` when it is
    there: without ``PYPARDISO_MKL_RT`` every solver object it constructs searches the
    whole ``sys.prefix`` tree for it (about 0.2 s each)."""
    if "PYPARDISO_MKL_RT" in os.environ:
        return
    libs = sorted(Path(sys.prefix, "lib").glob("libmkl_rt.so*"), key=lambda q: len(q.name))
    if libs:
        os.environ["PYPARDISO_MKL_RT"] = str(libs[0])


# MKL in conditional numerical reproducibility mode (unless the user chose a mode), set
# before MKL loads (pypardiso loads it on first use): otherwise its results depend on where
# the arrays happen to lie in memory, so one case run twice differed in the last bits,
# which the structure function's deconvolution amplifies (a dual-interface theta_JC moved
# by up to 1e-5 between two runs of one case); with the mode set the runs agree bit for bit.
os.environ.setdefault("MKL_CBWR", "AUTO")

_PARDISO_LOCK = threading.Lock()
_PARDISO_SHARED: list = []  # one reusable solver object (its constructor locates MKL, ~0.2 s)


def _pardiso_spd(A: sp.spmatrix, shared: bool = False):
    """A Pardiso solver set up for a real SPD matrix (mtype 2): it reads the upper
    triangle only and factorizes by Cholesky, about twice as fast as the general LU.
    ``shared``: the process's reusable solver object (hold ``_PARDISO_LOCK``)."""
    import pypardiso

    if shared:
        if not _PARDISO_SHARED:
            _PARDISO_SHARED.append(pypardiso.PyPardisoSolver(mtype=2))
        solver = _PARDISO_SHARED[0]
    else:
        solver = pypardiso.PyPardisoSolver(mtype=2)
    upper = sp.triu(sp.csr_matrix(A), format="csr")
    upper.sort_indices()
    return solver, upper


def direct(A: sp.spmatrix, b: NDArray[np.float64]) -> tuple[NDArray[np.float64], str]:
    """Sparse direct solve of an SPD system; returns ``(x, name)``. MKL Pardiso (Cholesky)
    where available, else SuperLU."""
    if pardiso_available():
        with _PARDISO_LOCK:
            solver, upper = _pardiso_spd(A, shared=True)
            try:
                x = solver.solve(upper, np.asarray(b, dtype=np.float64))
            finally:
                solver.free_memory(everything=True)
        return np.asarray(x), "pardiso"
    return spla.spsolve(sp.csc_matrix(A), b), "superlu"


def amg_setup(
    A: sp.spmatrix, *, near_null: NDArray[np.float64] | None = None, block: int = 1
) -> tuple[object, dict]:
    """Build the smoothed-aggregation hierarchy once; returns (pyamg solver, facts).

    For elasticity give ``block=3`` and the rigid-body modes as ``near_null``
    (shape (n, 6)); the matrix is converted to 3 x 3 BSR so aggregates keep the
    three components of a node together.
    """
    import pyamg

    A = sp.csr_matrix(A)
    kwargs: dict = {"max_coarse": 500}
    if block > 1:
        A_amg = A.tobsr(blocksize=(block, block))
        kwargs.update(B=near_null, strength="evolution", smooth="energy")
    else:
        A_amg = A
        if near_null is not None:
            kwargs["B"] = near_null
    ml = pyamg.smoothed_aggregation_solver(A_amg, **kwargs)
    return ml, {"levels": len(ml.levels), "operator_complexity": ml.operator_complexity()}


def amg_run(
    A: sp.spmatrix, b: NDArray[np.float64], ml: object, *, rtol: float = 1e-10, maxiter: int = 2000
) -> tuple[NDArray[np.float64], dict]:
    """CG (the shared :func:`~fea.solvers.krylov.pcg` loop) with one AMG V-cycle as M."""

    def M(r: NDArray[np.float64]) -> NDArray[np.float64]:
        return ml.solve(r, x0=np.zeros_like(r), tol=1e-30, maxiter=1, cycle="V")

    res = pcg(A, np.asarray(b, dtype=np.float64), M, rtol=rtol, maxiter=maxiter, xp=np)
    if not res.converged:
        h = res.history
        raise SolverError(
            f"AMG-PCG did not converge in {res.iterations} iterations: relative "
            f"residual {h[0]:.2e} -> {h[len(h) // 2]:.2e} -> {h[-1]:.2e} "
            f"(target {rtol:.1e})"
        )
    return res.x, {"iterations": res.iterations, "residual": res.residual}


def amg_pcg(
    A: sp.spmatrix,
    b: NDArray[np.float64],
    *,
    near_null: NDArray[np.float64] | None = None,
    block: int = 1,
    rtol: float = 1e-10,
    maxiter: int = 2000,
) -> tuple[NDArray[np.float64], dict]:
    """CG preconditioned by one V-cycle of smoothed-aggregation AMG (pyamg): setup + run."""
    A = sp.csr_matrix(A)
    ml, facts = amg_setup(A, near_null=near_null, block=block)
    x, info = amg_run(A, b, ml, rtol=rtol, maxiter=maxiter)
    return x, {**info, **facts}


class Factorized:
    """A sparse LU/LDL factorization kept for many right-hand sides (Pardiso or SuperLU)."""

    def __init__(self, A: sp.spmatrix) -> None:
        self.A = sp.csr_matrix(A)
        if pardiso_available():
            self._pardiso, self._upper = _pardiso_spd(self.A)
            self._pardiso.factorize(self._upper)
            self.name = "pardiso"
        else:
            self._lu = spla.splu(self.A.tocsc())
            self.name = "superlu"

    def solve(self, b: NDArray[np.float64]) -> NDArray[np.float64]:
        b = np.asarray(b, dtype=np.float64)
        if self.name == "pardiso":
            return np.asarray(self._pardiso.solve(self._upper, b))  # reuses the factorization
        return self._lu.solve(b)

    def close(self) -> None:
        if self.name == "pardiso":
            self._pardiso.free_memory(everything=True)


# -- registry factories -----------------------------------------------------------------------


class DirectSolver:
    """Registry factory ``("cpu", "direct")``: a kept factorization; :meth:`update`
    refactorizes (a direct solver has nothing to reuse across matrices)."""

    device = "cpu"

    def __init__(self, A: sp.spmatrix, options: Options) -> None:
        t0 = time.perf_counter()
        self._fact = Factorized(A)
        self.name = self._fact.name
        self._event, self._event_s = "built", time.perf_counter() - t0

    def update(self, A: sp.spmatrix) -> None:
        t0 = time.perf_counter()
        self._fact.close()
        self._fact = Factorized(A)
        self._event, self._event_s = "rebuilt", time.perf_counter() - t0

    def solve(self, b, *, x0=None, device_result: bool = False) -> tuple[NDArray, dict]:
        b = np.asarray(b, dtype=np.float64)
        x = self._fact.solve(b)
        A = self._fact.A
        r = float(np.linalg.norm(A @ x - b) / max(np.linalg.norm(b), 1e-300))
        event, event_s = self._event, self._event_s
        self._event, self._event_s = "reused", 0.0
        return x, {
            "method": self.name,
            "device": "cpu",
            "iterations": 1,
            "residual": r,
            "setup": event,
            "setup_s": event_s,
        }

    def close(self) -> None:
        if self._fact is not None:
            self._fact.close()
            self._fact = None


# pyamg's default smoother of smoothed aggregation, redone on every level for a new fine matrix
_PYAMG_SMOOTHER = ("block_gauss_seidel", {"sweep": "symmetric"})


class _Pyamg:
    """A pyamg hierarchy as a :class:`~fea.solvers.base.Preconditioner`: one V-cycle."""

    def __init__(self, A: sp.spmatrix, options: Options, ml: object = None, facts=None) -> None:
        self.options = options
        if ml is None:
            nn = options.near_null if options.kind == "elasticity" else None
            ml, facts = amg_setup(A, near_null=nn, block=options.block)
        self.ml, self.facts = ml, dict(facts or {})

    def __call__(self, r: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.ml.solve(r, x0=np.zeros_like(r), tol=1e-30, maxiter=1, cycle="V")

    def with_matrix(self, A: sp.spmatrix) -> _Pyamg:
        from pyamg.relaxation.smoothing import change_smoothers

        ml = self.ml
        b = self.options.block
        ml.levels[0].A = A.tobsr(blocksize=(b, b)) if b > 1 else sp.csr_matrix(A)
        # the block Gauss-Seidel smoothers hold the inverted diagonal blocks of their level
        change_smoothers(ml, _PYAMG_SMOOTHER, _PYAMG_SMOOTHER)
        return _Pyamg(A, self.options, ml, self.facts)


def pyamg_solver(A: sp.spmatrix, options: Options) -> PcgSolver:
    """Registry factory ``("cpu", "amg")``: pyamg smoothed aggregation + PCG (rigid-body
    modes, evolution strength and energy-minimising prolongation for elasticity)."""
    return PcgSolver(sp.csr_matrix(A), lambda M: _Pyamg(M, options), options, name="amg-pcg")


def xp_amg_solver(A: sp.spmatrix, options: Options) -> PcgSolver:
    """Registry factory ``("cpu", "amg-xp")``: the array-generic smoothed aggregation of
    :mod:`fea.solvers.amg` (the device hierarchy's code) on NumPy/SciPy + PCG."""

    def build(M: sp.csr_matrix):
        nn = options.near_null if options.kind == "elasticity" else None
        h = build_hierarchy(M, near_null=nn, block=options.block, ns=HOST)
        return h.preconditioner(options.precision)

    return PcgSolver(sp.csr_matrix(A), build, options, name="amg-xp-pcg")


#: The CPU methods: name -> factory ``f(A, options)``.
CPU_METHODS = {"amg": pyamg_solver, "amg-xp": xp_amg_solver, "direct": DirectSolver}
