"""CPU linear solvers: sparse direct (MKL Pardiso or SuperLU) and AMG-preconditioned CG
(pyamg's hierarchy, or the array-generic one of :mod:`fea.solvers.amg` on NumPy), and their
registry factories ``f(A, options)``.

Environment: importing this module sets ``MKL_CBWR=AUTO`` unless the user set it (before
MKL loads; pypardiso loads it on first use). It is MKL's conditional numerical
reproducibility mode: without it MKL's results depend on the memory alignment of the
arrays, so one case run twice differed in the last bits, which the structure function's
deconvolution amplified (a dual-interface theta_JC moved by up to 1e-5 between two runs of
one case); with it two runs agree bit for bit. ``AUTO`` keeps the fastest code path of the
CPU's instruction set, so results may still differ between instruction sets (set
``MKL_CBWR=COMPATIBLE`` for the same bits everywhere, at some speed). It also sets
``PYPARDISO_MKL_RT`` (:func:`pardiso_available`) only to spare pypardiso a search.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from ..errors import InputError, SolverError
from ..fe.namespace import HOST
from . import kernels
from .amg import build_hierarchy
from .base import (
    DIRECT_RESIDUAL_LIMIT,
    FACTOR_PRECISIONS,
    SINGULAR_CAUSES,
    Options,
    PcgSolver,
    check_block,
    check_direct_residual,
    relative_residual,
)
from .cost import available_memory, factorization_iterations
from .krylov import block_pcg, pcg

__all__ = [
    "CPU_METHODS",
    "DIRECT_RESIDUAL_LIMIT",
    "DirectSolver",
    "ENERGY_ITERATIONS",
    "Factorized",
    "MKL_MIN_NNZ",
    "OOC_CORE_FRACTION",
    "OOC_DISK_BYTES_PER_ENTRY",
    "PARDISO_ERRORS",
    "PardisoAnalysis",
    "SPLIT_MIN_NNZ",
    "amg_setup",
    "clear_pattern_cache",
    "direct",
    "galerkin_product",
    "mkl_sparse",
    "ooc_core_mb",
    "pardiso_available",
    "pardiso_call",
    "pardiso_error",
    "pattern_cache",
    "pyamg_solver",
    "single_threaded_openblas",
    "threaded",
    "upper_triangle",
    "xp_amg_solver",
]


@contextmanager
def single_threaded_openblas() -> Iterator[None]:
    """OpenBLAS (NumPy's and SciPy's BLAS) on one thread inside the block, as before after
    it; MKL (Pardiso) keeps its threads.

    For loops that alternate Pardiso's back-substitutions (MKL's OpenMP threads) with
    NumPy's vector and small matrix work (a Newton history's steps): a threaded OpenBLAS
    call of 10^4-10^5 entries there hands its work to OpenBLAS's own pool, and the two
    pools then wait for each other's spinning threads. Measured on the two cores, the
    cycling board's 86,061-DOF tangent: five dot products right after a float32
    back-substitution took 36.5 ms instead of 0.16 ms, and the next back-substitution 73
    instead of 37 ms; one cycle of the quarter board 137.3 s with OpenBLAS's two threads,
    119.5 s with one (``OPENBLAS_NUM_THREADS=1``, the same iterations). A NumPy on
    another BLAS (MKL, Accelerate) is left as it is (:mod:`threadpoolctl` finds no
    OpenBLAS)."""
    from threadpoolctl import ThreadpoolController

    with ThreadpoolController().select(internal_api="openblas").limit(limits=1):
        yield


def pardiso_available() -> bool:
    """True when pypardiso imports and MKL loads (an :class:`ImportError` or the
    :class:`OSError` of a missing or broken MKL library says no; anything else is a bug
    and is raised)."""
    _locate_mkl()
    try:
        import pypardiso  # noqa: F401
    except (ImportError, OSError):
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


# MKL in conditional numerical reproducibility mode unless the user chose one: see the
# module docstring (two runs of one case agree bit for bit only with it).
os.environ.setdefault("MKL_CBWR", "AUTO")

# Per sparsity pattern (the last two): the positions of the upper triangle
# in the full CSR pattern and Pardiso's fill-reducing ordering. Factorisations of one
# pattern (temperature states, history steps, Picard passes) then skip the triangle's
# extraction and the nested-dissection ordering (about 0.8 of the 1.5 s analysis at 250k
# elasticity DOF). An entry is used only for the very pattern it was made for (its index
# arrays are compared, not only their checksums).
_PATTERNS: dict[tuple, dict] = {}
_PATTERNS_KEPT = 2
_PATTERN_LOCK = threading.Lock()


def _pattern_key(A: sp.csr_matrix) -> tuple:
    import zlib

    return (
        A.shape[0],
        A.nnz,
        zlib.crc32(np.ascontiguousarray(A.indptr)),
        zlib.crc32(np.ascontiguousarray(A.indices)),
    )


def _same(a: NDArray, b: NDArray) -> bool:
    return a is b or np.array_equal(a, b)


def clear_pattern_cache() -> None:
    """Forget the per-pattern state (upper-triangle positions, Pardiso orderings): the next
    factorisation of a pattern computes its own ordering, as a first solve does."""
    with _PATTERN_LOCK:
        _PATTERNS.clear()


def pattern_cache(A: sp.csr_matrix) -> dict:
    """The per-pattern state of the CSR matrix ``A`` (a dict: ``"upper"`` positions,
    ``"perm"`` Pardiso's ordering, ``"index"`` its index arrays, once computed), made
    empty for a pattern not seen among the last two; used only for the very pattern it
    was made for (index arrays compared, not only their checksums)."""
    key = _pattern_key(A)
    with _PATTERN_LOCK:
        entry = _PATTERNS.pop(key, None)
        if entry is None or not (
            _same(entry["indptr"], A.indptr) and _same(entry["indices"], A.indices)
        ):
            entry = {"indptr": A.indptr, "indices": A.indices}
            while len(_PATTERNS) >= _PATTERNS_KEPT:
                _PATTERNS.pop(next(iter(_PATTERNS)))
        _PATTERNS[key] = entry
    return entry


def upper_triangle(A: sp.csr_matrix, pat: dict) -> sp.csr_matrix:
    """The upper triangle of ``A`` (CSR, sorted), its positions cached in ``pat`` (the
    dict of :func:`pattern_cache`, or an empty one)."""
    if "upper" not in pat:
        n = A.shape[0]
        rows = np.repeat(np.arange(n, dtype=A.indices.dtype), np.diff(A.indptr))
        pos = np.flatnonzero(A.indices >= rows)
        if A.nnz < 2**31:
            pos = pos.astype(np.int32)  # half the memory: 38 MB at 250k elasticity DOF
        counts = np.bincount(rows[pos], minlength=n)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(A.indptr.dtype)
        pat["upper"] = (pos, A.indices[pos].copy(), indptr)
    pos, indices, indptr = pat["upper"]
    upper = sp.csr_matrix((A.data[pos], indices, indptr), shape=A.shape)
    upper.has_sorted_indices = True
    return upper


def _init_pardiso(solver) -> None:
    """Pardiso's defaults for a real SPD matrix (``pardisoinit``), less iterative
    refinement: those defaults refine every solve twice (``iparm[7] = 2``), which triples a
    back-substitution's cost (0.48 against 0.17 s at 250k elasticity DOF) for no gain with
    a Cholesky factor that has no perturbed pivots (the relative residual of a load was
    about 1e-12 either way). With ``iparm[7] = 0`` Pardiso still refines twice if a pivot
    was perturbed."""
    import ctypes

    init = solver.libmkl.pardisoinit
    init.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int32), ctypes.c_void_p]
    init.restype = None
    init(solver.pt.ctypes.data, ctypes.byref(ctypes.c_int32(2)), solver.iparm.ctypes.data)
    solver.iparm[7] = 0


def _use_ordering(solver, pat: dict, n: int) -> bool:
    """Give the solver the pattern's cached ordering (True), or ask it to return the one
    it computes (False: call :func:`_keep_ordering` after the analysis)."""
    perm = pat.get("perm")
    if perm is not None and perm.shape[0] == n:
        solver.iparm[4] = 1  # the user's fill-reducing permutation
        solver.perm = perm.copy()
        return True
    solver.iparm[4] = 2  # return Pardiso's permutation in perm
    solver.perm = np.zeros(n, dtype=np.int32)
    return False


def _keep_ordering(solver, pat: dict) -> None:
    perm = solver.perm
    if perm.shape[0] and perm.any():
        pat["perm"] = perm.copy()


def _pardiso_spd(A: sp.spmatrix):
    """A Pardiso solver set up for a real SPD matrix (mtype 2): it reads the upper
    triangle only and factorizes by Cholesky, about twice as fast as the general LU.
    Returns ``(solver, upper, pattern)``: the pattern's cache (give it to
    :func:`_use_ordering`)."""
    import pypardiso

    solver = pypardiso.PyPardisoSolver(mtype=2)
    _init_pardiso(solver)
    A = _canonical(A)
    pat = pattern_cache(A)
    return solver, upper_triangle(A, pat), pat


def _canonical(A: sp.spmatrix) -> sp.csr_matrix:
    """``A`` as Pardiso may read it: square float64 CSR, sorted, without duplicate entries
    or empty rows (a copy where it is not; the raw call would misread or crash)."""
    A = sp.csr_matrix(A)
    if A.shape[0] != A.shape[1]:
        raise InputError("A", A.shape, "a square matrix")
    if A.dtype != np.float64:
        A = A.astype(np.float64)
    if not A.has_canonical_format:
        A = A.copy()
        A.sum_duplicates()  # sorts the indices too
    if not np.diff(A.indptr).all():
        raise SolverError("the matrix is singular: it has an empty row")
    return A


def direct(A: sp.spmatrix, b: NDArray[np.float64]) -> tuple[NDArray[np.float64], str]:
    """Sparse direct solve of an SPD system; returns ``(x, name)``. MKL Pardiso (Cholesky)
    where available, else SuperLU: one :class:`Factorized`, solved once and freed."""
    F = Factorized(A)
    try:
        return F.solve(b), F.name
    finally:
        F.close()


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
    if A.shape[0] % block:
        raise InputError(
            "kind",
            "elasticity",
            f"a matrix of {block} unknowns a node: {A.shape[0]} is not a multiple of {block}",
        )
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


def _pardiso_index(upper: sp.csr_matrix, pat: dict) -> tuple[NDArray, NDArray]:
    """Pardiso's 1-based int32 index arrays of ``upper``, kept per pattern in ``pat``."""
    if "index" not in pat:
        pat["index"] = (upper.indptr.astype(np.int32) + 1, upper.indices.astype(np.int32) + 1)
    return pat["index"]


#: Pardiso's error codes (``error`` of its call) in words, from MKL's reference.
PARDISO_ERRORS = {
    -1: "input inconsistent",
    -2: "not enough memory",
    -3: "reordering problem",
    -4: "zero or negative pivot in the Cholesky factorisation",
    -5: "unclassified internal error",
    -6: "reordering failed",
    -7: "diagonal matrix is singular",
    -8: "32-bit integer overflow",
    -9: "not enough memory for the out-of-core solver",
    -10: "error opening the out-of-core files",
    -11: "read/write error with the out-of-core files",
}


def pardiso_error(phase: int, code: int) -> SolverError:
    """The :class:`~fea.errors.SolverError` of Pardiso's ``code`` in ``phase``: the code in
    words, and for a zero pivot or a singular diagonal (-4, -7: the matrix is not positive
    definite) the likely causes in a user's terms."""
    what = PARDISO_ERRORS.get(code, "unknown error")
    msg = f"Pardiso failed in phase {phase} (error {code}: {what})"
    if code in (-4, -7):
        msg += f": {SINGULAR_CAUSES}"
    return SolverError(msg)


def pardiso_call(solver, phase: int, upper: sp.csr_matrix, ia, ja, b: NDArray) -> NDArray:
    """One Pardiso call (pypardiso's, less its per-call checks: a comparison of the whole
    matrix with the factorised one and a conversion of its index arrays, about 15 % of a
    back-substitution at 250k DOF). ``ia``, ``ja``: the 1-based int32 CSR arrays of
    ``upper``; ``b`` (n,) or (n, k) in Fortran order. ``upper``'s values and ``b`` are
    float64, or both float32 where the solver computes in single precision
    (``iparm[27] = 1``, :class:`Factorized` with ``precision="single"``)."""
    import ctypes

    want = np.float32 if int(solver.iparm[27]) == 1 else np.float64
    if upper.data.dtype != want or b.dtype != want:
        # the raw call would read the arrays in the wrong precision: garbage, no error
        raise SolverError(
            f"Pardiso call with {upper.data.dtype} values and a {b.dtype} right-hand side "
            f"for a {np.dtype(want).name} factorisation"
        )
    x = np.zeros_like(b)
    err = ctypes.c_int32(0)
    i32p, vp = ctypes.POINTER(ctypes.c_int32), ctypes.c_void_p
    one = ctypes.c_int32(1)
    solver._mkl_pardiso(
        solver.pt.ctypes.data_as(ctypes.POINTER(solver._pt_type[0])),
        ctypes.byref(one),  # maxfct
        ctypes.byref(one),  # mnum
        ctypes.byref(ctypes.c_int32(solver.mtype)),
        ctypes.byref(ctypes.c_int32(phase)),
        ctypes.byref(ctypes.c_int32(upper.shape[0])),
        vp(upper.data.ctypes.data),
        ia.ctypes.data_as(i32p),
        ja.ctypes.data_as(i32p),
        solver.perm.ctypes.data_as(i32p),
        ctypes.byref(ctypes.c_int32(1 if b.ndim == 1 else b.shape[1])),
        solver.iparm.ctypes.data_as(i32p),
        ctypes.byref(ctypes.c_int32(0)),  # msglvl
        vp(b.ctypes.data),
        vp(x.ctypes.data),
        ctypes.byref(err),
    )
    if err.value != 0:
        raise pardiso_error(phase, err.value)
    return x


# -- out-of-core factorisation -----------------------------------------------------------------

#: Disk [bytes] per entry of the Cholesky factor that Pardiso's out-of-core files take, with
#: a margin: measured 112.9 MB of files for 12.86 M factor entries (8.8 B an entry: the
#: float64 factor and its indices) of a 64,000-unknown Laplacian.
OOC_DISK_BYTES_PER_ENTRY = 10.0

#: The in-core part an out-of-core factorisation needs, as a fraction of the factor's
#: float64 values (8 bytes a factor entry): a 103 MB factor (64k-unknown Laplacian) failed
#: with -9 at 20 MB and ran at 40 MB (0.19-0.39 of it), a 1.07 GB one (288k-DOF plate) at
#: 256 and 512 MB (0.24-0.48): 0.4 fits both. Pardiso's own figure (``iparm(63)``) read 0
#: for elasticity.
OOC_CORE_FRACTION = 0.4

#: Environment variables that MKL reads at Pardiso's numerical factorisation (phase 22).
_OOC_PATH, _OOC_CORE = "MKL_PARDISO_OOC_PATH", "MKL_PARDISO_OOC_MAX_CORE_SIZE"
#: Held while those process-wide variables name one factorisation's folder (set, phase 22,
#: restored): two threads at once (a Dask worker's) read each other's folder, so that one
#: factor's files went to the other's folder and were removed with it (Pardiso's -10 at
#: the solve), and the thread that came second restored the first one's values for good.
_OOC_ENV_LOCK = threading.Lock()


def ooc_least_bytes(factor_nnz: int, reported: float = 0.0) -> float:
    """The in-core memory [bytes] an out-of-core factorisation of a factor of
    ``factor_nnz`` entries needs beyond the symbolic data: :data:`OOC_CORE_FRACTION` of the
    factor's values, or Pardiso's ``reported`` figure where larger."""
    return max(float(reported), OOC_CORE_FRACTION * 8.0 * factor_nnz)


def ooc_core_mb(least: float = 0.0) -> int:
    """Memory [MB] Pardiso's out-of-core factorisation may hold in core: the user's
    ``MKL_PARDISO_OOC_MAX_CORE_SIZE`` where set (a whole number of MB), else half the memory
    available now (:func:`fea.solvers.cost.available_memory`), at least 64 MB and at least
    ``least`` [bytes] (:func:`ooc_least_bytes`).

    Raises
    ------
    InputError
        ``MKL_PARDISO_OOC_MAX_CORE_SIZE`` is set but not a whole number >= 1.
    """
    with _OOC_ENV_LOCK:  # the user's value, not one a factorisation has set meanwhile
        raw = os.environ.get(_OOC_CORE)
    if raw is not None and raw.strip():
        try:
            mb = int(raw)
        except ValueError:
            mb = 0
        if mb < 1:
            raise InputError(_OOC_CORE, raw, "a whole number of MB >= 1")
        return mb
    return max(64, int(0.5 * available_memory() / 2**20), math.ceil(least / 2**20))


class _OocFiles:
    """A fresh folder for Pardiso's out-of-core files (under ``where``, else ``TMPDIR``),
    checked for room for a factor of ``factor_nnz`` entries and removed by :meth:`remove`
    (also when the owner is collected or the interpreter exits)."""

    def __init__(self, factor_nnz: int, where: str | None = None, least: float = 0.0) -> None:
        self.least = least  # the in-core part's expected need [bytes]
        self.folder = tempfile.mkdtemp(prefix="fea-pardiso-ooc-", dir=where)
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.folder, True)
        # MKL writes <path>/mkl_pardiso_*.bin (older releases: <path>_*.bin): a subfolder,
        # so that either way every file lies in self.folder
        self.prefix = os.path.join(self.folder, "ooc")
        os.mkdir(self.prefix)
        self.need = OOC_DISK_BYTES_PER_ENTRY * factor_nnz
        self.free = float(shutil.disk_usage(self.folder).free)
        if self.need > self.free:
            self.remove()
            raise SolverError(self.short_of_disk("does not fit on the disk"))
        self.core_mb = ooc_core_mb(least)

    def short_of_disk(self, what: str) -> str:
        return (
            f"Pardiso's out-of-core factorisation {what}: its files need about "
            f"{self.need / 1e9:.3g} GB in {os.path.dirname(self.folder)}, "
            f"{self.free / 1e9:.3g} GB free there; free disk space or set TMPDIR to a "
            "folder on a larger disk, or use solver.out_of_core = false (in core) or "
            "solver.method = 'amg'"
        )

    @contextmanager
    def environment(self) -> Iterator[None]:
        """MKL's out-of-core variables set for a factorisation, the user's restored after;
        one factorisation of the process at a time (:data:`_OOC_ENV_LOCK`)."""
        with _OOC_ENV_LOCK:
            old = {k: os.environ.get(k) for k in (_OOC_PATH, _OOC_CORE)}
            os.environ[_OOC_PATH] = self.prefix
            os.environ[_OOC_CORE] = str(self.core_mb)
            try:
                yield
            finally:
                for k, v in old.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v

    def error(self, exc: SolverError) -> SolverError:
        """Pardiso's out-of-core failures (-9: its in-core part short of memory; -10, -11:
        the files could not be opened, written or read) in terms of what was needed and
        what is free; other errors as they are."""
        msg = str(exc)
        with contextlib.suppress(OSError):  # the disk as the failure left it
            self.free = float(shutil.disk_usage(self.folder).free)
        if "error -9:" in msg:
            return SolverError(
                f"{msg}: its in-core part did not fit in {_OOC_CORE} = {self.core_mb} MB "
                f"(about {self.least / 2**20:.0f} MB expected: {OOC_CORE_FRACTION} of the "
                "factor's values); raise it (the memory free now is "
                f"{available_memory() / 1e9:.3g} GB)"
            )
        if "error -10:" in msg or "error -11:" in msg:
            return SolverError(f"{msg}: " + self.short_of_disk("could not write its files"))
        return exc

    def size(self) -> int:
        """Bytes of the files now in the folder."""
        total = 0
        for root, _, files in os.walk(self.folder):
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass
        return total

    def remove(self) -> None:
        self._finalizer()


class PardisoAnalysis:
    """Pardiso's symbolic analysis (phase 11: ordering and symbolic factorisation) of an SPD
    matrix, without its numerical factorisation: what the factor will cost, read from
    Pardiso's report, and the analysed solver, which :class:`Factorized` takes over (phase
    22 then, the analysis not repeated) or :meth:`close` frees.

    Attributes
    ----------
    peak_bytes
        Pardiso's peak memory [bytes] from the analysis to the solves:
        ``max(iparm[14], iparm[15] + iparm[16])`` kB (symbolic peak; permanent symbolic +
        numerical factorisation and solution).
    factor_nnz
        Entries of the Cholesky factor (``iparm[17]``).
    mflops
        Floating-point operations of the factorisation [1e6] (``iparm[18]``).
    seconds
        Wall time of the analysis [s] (with the matrix's upper triangle).
    ordering
        ``"cached"`` (an earlier factorisation's ordering of this pattern) or ``"computed"``.
    """

    def __init__(self, A: sp.spmatrix) -> None:
        t0 = time.perf_counter()
        self.A = _canonical(A)
        n = self.A.shape[0]
        self.solver, self.upper, pat = _pardiso_spd(self.A)
        self.ia, self.ja = _pardiso_index(self.upper, pat)
        known = _use_ordering(self.solver, pat, n)
        self.solver.iparm[17] = -1  # report the factor's entries
        self.solver.iparm[18] = -1  # report the factorisation's Mflop
        try:
            pardiso_call(self.solver, 11, self.upper, self.ia, self.ja, np.zeros((n, 1)))
        except SolverError:
            self.solver.free_memory(everything=True)
            raise
        if not known:
            _keep_ordering(self.solver, pat)
        ip = self.solver.iparm
        self.peak_bytes = 1024.0 * max(int(ip[14]), int(ip[15]) + int(ip[16]))
        self.factor_nnz = int(ip[17])
        self.mflops = float(ip[18])
        #: the permanent symbolic data [bytes] (``iparm[15]``), held in core out of core too
        self.symbolic_bytes = 1024.0 * int(ip[15])
        #: the least in-core memory of an out-of-core factorisation [bytes] (``iparm[62]``)
        self.ooc_min_bytes = 1024.0 * int(ip[62])
        self.ordering = "cached" if known else "computed"
        self.seconds = time.perf_counter() - t0
        self._open = True

    def matches(self, A: sp.spmatrix) -> bool:
        """True when ``A`` is the matrix analysed (the same object or the same pattern and
        values), so its factorisation may skip the analysis. The values are compared too:
        the factorisation takes over the analysed upper triangle, values included."""
        if A is self.A:
            return True
        return (
            sp.issparse(A)
            and A.shape == self.A.shape
            and A.nnz == self.A.nnz
            and _same(A.indptr, self.A.indptr)
            and _same(A.indices, self.A.indices)
            and _same(A.data, self.A.data)
        )

    def close(self) -> None:
        """Free Pardiso's memory (an analysis not handed to :class:`Factorized`)."""
        if self._open:
            self.solver.free_memory(everything=True)
            self._open = False


class Factorized:
    """A sparse LU/LDL factorization kept for many right-hand sides (Pardiso or SuperLU).

    ``analysis``: a :class:`PardisoAnalysis` of this very matrix, taken over (the
    factorisation then skips the ordering and symbolic analysis); ignored and freed if it
    does not match ``A`` or the factor is in single precision.

    ``precision``: ``"double"`` (default), or ``"single"``: Pardiso factorises and
    back-substitutes in float32 (``iparm[27] = 1``; ``b`` and the answer stay float64 to
    the caller). The factor takes half the memory, a factorisation about half the time and
    a back-substitution about 0.65 of it (86k DOF of the cycling board: 0.6 against 1.2 s,
    37 against 60 ms), but its answer is only as good as float32's rounding (a relative
    residual of about 1e-7): for a factor that preconditions PCG on the float64 matrix
    (:class:`DirectSolver` with ``Options.factor_precision = "single"``), not for a direct
    answer. SuperLU (no Pardiso) factorises in double whatever ``precision`` says.

    ``out_of_core``: Pardiso keeps the factor in files (MKL's ``iparm(60) = 2``) in a fresh
    folder under ``ooc_dir`` (``TMPDIR`` where None), holding at most
    :func:`ooc_core_mb` in core; the folder is checked for room for the factor first and
    removed by :meth:`close` or a failure. :attr:`out_of_core` says whether it was used,
    :attr:`ooc_facts` the folder's size and the core limit. SuperLU ignores it.

    Raises
    ------
    SolverError
        The factorisation fails; out of core also where the factor's files would not fit
        on the disk or could not be written (Pardiso's -10, -11), or its in-core part not
        in the core limit (-9): what was needed and what is free named.
    """

    def __init__(
        self,
        A: sp.spmatrix,
        analysis: PardisoAnalysis | None = None,
        precision: str = "double",
        out_of_core: bool = False,
        ooc_dir: str | None = None,
    ) -> None:
        if precision not in FACTOR_PRECISIONS:
            raise InputError("precision", precision, " or ".join(FACTOR_PRECISIONS))
        self.A = sp.csr_matrix(A)
        self.precision = "double"
        self.out_of_core = False
        self.ooc_facts: dict = {}
        self._ooc: _OocFiles | None = None
        if out_of_core and pardiso_available():
            if analysis is None or not (analysis._open and analysis.matches(self.A)):
                if analysis is not None:
                    analysis.close()
                analysis = PardisoAnalysis(self.A)
            self._factorise_ooc(analysis, ooc_dir)
            return
        if (
            precision == "double"
            and analysis is not None
            and analysis._open
            and analysis.matches(self.A)
        ):
            self._pardiso, self._upper = analysis.solver, analysis.upper
            self._ia, self._ja = analysis.ia, analysis.ja
            self._values = self._upper
            self.A = analysis.A
            analysis._open = False  # the factorisation owns Pardiso's memory now
            self._factorise(22)
            self.name = "pardiso"
            return
        if analysis is not None:
            analysis.close()
        if pardiso_available():
            self._pardiso, self._upper, pat = _pardiso_spd(self.A)
            self._ia, self._ja = _pardiso_index(self._upper, pat)
            known = _use_ordering(self._pardiso, pat, self.A.shape[0])
            # what Pardiso reads: the upper triangle, in the factor's precision
            self._values = self._upper
            if precision == "single":
                self._pardiso.iparm[27] = 1
                self._values = sp.csr_matrix(
                    (self._upper.data.astype(np.float32), self._upper.indices, self._upper.indptr),
                    shape=self._upper.shape,
                )
                self.precision = "single"
            self._factorise(12)
            if not known:
                _keep_ordering(self._pardiso, pat)
            self.name = "pardiso"
        else:
            try:
                self._lu = spla.splu(self.A.tocsc())
            except RuntimeError as exc:  # SuperLU's "Factor is exactly singular"
                raise SolverError(f"SuperLU failed ({exc}): {SINGULAR_CAUSES}") from None
            self._values = self.A.data.copy()  # what :meth:`matches` compares with
            self.name = "superlu"

    def _dtype(self) -> type:
        return np.float32 if self.precision == "single" else np.float64

    def _factorise_ooc(self, analysis: PardisoAnalysis, ooc_dir: str | None) -> None:
        """Phase 22 of ``analysis`` out of core, in a checked folder (see the class); in
        double precision (the analysis's), whatever ``precision`` asked."""
        self._pardiso, self._upper = analysis.solver, analysis.upper
        self._ia, self._ja = analysis.ia, analysis.ja
        self.A = analysis.A
        analysis._open = False  # the factorisation owns Pardiso's memory now
        self._values = self._upper
        self.name = "pardiso"
        try:
            least = ooc_least_bytes(analysis.factor_nnz, analysis.ooc_min_bytes)
            self._ooc = _OocFiles(analysis.factor_nnz, ooc_dir, least)
        except BaseException:
            self._pardiso.free_memory(everything=True)
            raise
        self._pardiso.iparm[59] = 2  # MKL's iparm(60): out-of-core
        try:
            with self._ooc.environment():
                self._factorise(22)
        except SolverError as exc:
            err = self._ooc.error(exc)
            self._ooc.remove()
            raise err from None
        except BaseException:
            self._ooc.remove()
            raise
        self.out_of_core = int(self._pardiso.iparm[59]) == 2
        self.ooc_facts = {
            "folder": self._ooc.folder,
            "file_bytes": self._ooc.size(),
            "disk_need_bytes": self._ooc.need,
            "disk_free_bytes": self._ooc.free,
            "core_mb": self._ooc.core_mb,
        }

    def _factorise(self, phase: int) -> None:
        """Pardiso's numerical factorisation (``phase`` 22 after an analysis, 12 with it);
        its memory freed where it fails (a singular matrix), not left to the collector."""
        n = self.A.shape[0]
        try:
            pardiso_call(
                self._pardiso,
                phase,
                self._values,
                self._ia,
                self._ja,
                np.zeros((n, 1), dtype=self._dtype()),
            )
        except SolverError:
            self._pardiso.free_memory(everything=True)
            raise

    def matches(self, A: sp.spmatrix) -> bool:
        """True when ``A`` (SPD, so its upper triangle decides) is the factorised matrix:
        the same pattern and the same values. The values are compared with the factor's
        own copy (Pardiso's float64 upper triangle; SuperLU's kept values), so a matrix
        changed in place since the factorisation is seen as changed."""
        A = sp.csr_matrix(A)
        F = self.A
        if A.shape != F.shape or A.nnz != F.nnz or A.dtype != np.float64:
            return False
        if not (_same(A.indptr, F.indptr) and _same(A.indices, F.indices)):
            return False
        if self.name != "pardiso":
            return bool(np.array_equal(A.data, self._values))
        if not A.has_canonical_format:
            return False  # not worth canonicalising a copy: taken as another matrix
        upper = upper_triangle(A, pattern_cache(A))
        return bool(
            _same(upper.indptr, self._upper.indptr)
            and _same(upper.indices, self._upper.indices)
            and np.array_equal(upper.data, self._upper.data)
        )

    @property
    def ordering(self) -> str:
        """Pardiso's fill-reducing ordering: ``"cached"`` (taken from an earlier
        factorisation of the pattern), ``"computed"``; ``"superlu"`` without Pardiso."""
        if self.name != "pardiso":
            return "superlu"
        return "cached" if int(self._pardiso.iparm[4]) == 1 else "computed"

    @property
    def refinement_steps(self) -> int:
        """Iterative refinement steps Pardiso took in the last solve (0 for SuperLU)."""
        return int(self._pardiso.iparm[6]) if self.name == "pardiso" else 0

    def solve(self, b: NDArray[np.float64]) -> NDArray[np.float64]:
        """``A^-1 b``, ``b`` shape (n,) or (n, k); float64 whatever the factor's precision
        (a single-precision factor's answer has float32's rounding)."""
        b = np.asarray(b, dtype=np.float64)
        if self.name == "pardiso":
            if b.shape[0] != self.A.shape[0] or b.ndim > 2:
                raise InputError("b", b.shape, f"shape ({self.A.shape[0]},) or (n, k)")
            dt = self._dtype()
            b = np.ascontiguousarray(b, dtype=dt) if b.ndim == 1 else np.asfortranarray(b, dtype=dt)
            x = pardiso_call(self._pardiso, 33, self._values, self._ia, self._ja, b)
            return np.ascontiguousarray(x, dtype=np.float64)
        return self._lu.solve(b)

    def close(self) -> None:
        """Free Pardiso's memory and remove the out-of-core files."""
        try:
            if self.name == "pardiso":
                self._pardiso.free_memory(everything=True)
        finally:
            if self._ooc is not None:
                self._ooc.remove()


# -- registry factories -----------------------------------------------------------------------


class DirectSolver:
    """Registry factory ``("cpu", "direct")``: a kept factorization. ``analysis``: a
    :class:`PardisoAnalysis` of ``A`` to take over (``method="auto"`` made it to choose).

    :meth:`update` with ``keep=False`` (the default) refactorises the new matrix: every
    solve is a back-substitution, its answer exact to rounding. With ``keep=True`` the old
    factorisation is kept: a matrix equal to the factorised one (pattern and values) is
    solved directly with it; another one is solved by PCG
    (:func:`fea.solvers.krylov.pcg`, a block by :func:`~fea.solvers.krylov.block_pcg`)
    preconditioned by the kept factor's back-substitution, from ``x0`` where given, to
    ``options.rtol`` (the answer then to rtol, not to rounding), and capped at
    :func:`fea.solvers.cost.factorization_iterations` (n) iterations, the measured cost of
    one factorisation in such iterations. A solve that does not converge within the cap
    (any column of a block) refactorises the new matrix and solves directly from zero (the
    whole block): past the cap a factorisation is the cheaper way, and its answer is the
    one a refactorising update would have given. Facts: ``setup`` ``"reused"`` (the kept
    factor) or ``"rebuilt"`` (refactorised), ``iterations`` (PCG's; 1 for a direct solve),
    ``reuse_cap`` (the cap), ``reuse_iterations`` (PCG's iterations when the cap tripped)
    and ``reuse`` (why, in words).

    The cap is 20 iterations up to 30k unknowns, 50 at 139k, 61 at 250k. Measured in a
    grouped study's material sweep (P2 package, 138,753 DOF, rtol 1e-8, 2 loaded cores;
    docs/performance.md "Grouped sweeps in a study"): the first case's factor kept for a
    shell's modulus x 0.94 to x 1.7 took 4-10 iterations, 0.6-2.0 s a solve against
    9.6-11.3 s a factorisation (about 0.2 s an iteration), and 0.1 s for the update's
    check that the matrix is not the factorised one; the study 2.0-2.5 x faster over
    four cases than each case alone.

    With ``options.factor_precision = "single"`` the factor is float32
    (:class:`Factorized`) and every solve is PCG on the float64 matrix preconditioned by
    it, from its back-substitution, to ``options.rtol`` within the same cap
    (``iterations`` >= 1): mixed-precision refinement, faster where the back-substitutions
    dominate (a factor that preconditions many PCG solves). Where PCG does not reach
    ``rtol`` from a fresh single factor of the very matrix (float32's rounding too coarse
    for the matrix's conditioning), it is refactorised in double, solved directly, and
    stays double (``reuse`` says so).
    """

    device = "cpu"

    def __init__(
        self, A: sp.spmatrix, options: Options, analysis: PardisoAnalysis | None = None
    ) -> None:
        t0 = time.perf_counter()
        self.options = options
        self._precision = options.factor_precision
        # out of core only where asked (True, or ``method="auto"``'s plan resolved to True)
        self._ooc = options.out_of_core is True
        self._fact = self._factor(A, analysis)
        self.name = self._fact.name
        self.A = self._fact.A  # the matrix solved: the factor's, or a newer one kept
        self._kept = False  # True: A is not the factor's matrix (PCG on the kept factor)
        self._why = ""
        self._event, self._event_s = "built", time.perf_counter() - t0

    @property
    def kept(self) -> bool:
        """True while the matrix is solved by PCG on an older matrix's factorisation."""
        return self._kept

    def _refactorise(self, A: sp.csr_matrix) -> float:
        t0 = time.perf_counter()
        self._fact.close()
        self._fact = self._factor(A)
        self.A, self._kept = A, False
        return time.perf_counter() - t0

    def _factor(self, A: sp.spmatrix, analysis: PardisoAnalysis | None = None) -> Factorized:
        """A factor of ``A`` in :attr:`_precision`; a single-precision factorisation that
        fails (a pivot that float32 takes as zero or negative in a matrix whose double
        Cholesky holds: conditioning past about 1e7) is redone in double, which is then
        kept for this solver's later factorisations."""
        if self._precision == "single":
            try:
                return Factorized(
                    A, analysis, "single", out_of_core=self._ooc, ooc_dir=self.options.ooc_dir
                )
            except SolverError:
                self._precision = "double"
                analysis = None
        return Factorized(A, analysis, out_of_core=self._ooc, ooc_dir=self.options.ooc_dir)

    @property
    def factor_precision(self) -> str:
        """The factor's precision now: ``"single"`` or ``"double"`` (a single one that
        failed, or SuperLU, is double)."""
        return self._fact.precision

    @property
    def _refined(self) -> bool:
        """True while every solve is PCG on the matrix (a kept older factor, or a factor
        in single precision)."""
        return self._kept or self._fact.precision == "single"

    def update(self, A: sp.spmatrix, keep: bool = False) -> None:
        """Take a new matrix of the same shape: refactorise it, or with ``keep`` keep the
        factorisation (see the class).

        Raises
        ------
        InputError
            ``A`` of another shape.
        """
        t0 = time.perf_counter()
        A = sp.csr_matrix(A)
        if A.shape != self.A.shape:
            raise InputError("A", A.shape, f"a matrix of the prepared shape {self.A.shape}")
        if not keep:
            self._why = ""
            self._event, self._event_s = "rebuilt", self._refactorise(A)
            return
        if self._fact.matches(A):
            self.A, self._kept = A, False
            self._why = "the factorised matrix again: solved directly with the kept factor"
        else:
            self.A, self._kept = A, True
            self._why = ""
        self._event, self._event_s = "reused", time.perf_counter() - t0

    def apply(self, b: NDArray[np.float64]) -> NDArray[np.float64]:
        """The back-substitution alone (a preconditioner's use): of the kept factor, which
        after an update with ``keep`` is an older matrix's."""
        return self._fact.solve(np.asarray(b, dtype=np.float64))

    def solve(self, b, *, x0=None, device_result: bool = False) -> tuple[NDArray, dict]:
        """``A^-1 b``, ``b`` (n,) or a block (n, k): one back-substitution of the block
        (Pardiso's ``nrhs = k``), or after an update with ``keep`` PCG on the kept factor
        (see the class), from ``x0`` (``b``'s shape) where given; ``residual`` is the
        largest true relative residual ``||b - A x|| / ||b||`` of the columns.

        Raises
        ------
        InputError
            ``b`` or ``x0`` of the wrong shape.
        SolverError
            A back-substitution's residual above :data:`DIRECT_RESIDUAL_LIMIT` (or not
            finite): the matrix is numerically singular (SuperLU answers such a system
            with ``x`` of 1e16 and a residual of order 1 where Pardiso's Cholesky stops).
        """
        b = np.asarray(b, dtype=np.float64)
        n = self.A.shape[0]
        check_block(b, n, "b")
        if x0 is not None:
            x0 = np.asarray(x0, dtype=np.float64)
            if x0.shape != b.shape:
                raise InputError("x0", x0.shape, f"the shape of b, {b.shape}")
        event, event_s = self._event, self._event_s
        facts: dict = {}
        iterations = 1
        direct = True  # x from a back-substitution (not PCG to rtol on a kept factor)
        if self._refined:
            rtol = self.options.rtol
            cap = max(1, min(factorization_iterations(n), self.options.maxiter))
            facts["reuse_cap"] = cap
            kept = self._kept
            x, its, ok = self._refine(b, x0, rtol, cap)
            words = []
            if not ok and kept:
                facts["reuse_iterations"] = its
                event, event_s = "rebuilt", event_s + self._refactorise(self.A)
                words.append(
                    f"kept factor: PCG not at rtol {rtol:.1e} within the cap of {cap} "
                    "iterations (the cost of a factorisation): refactorised"
                )
                if self._fact.precision == "single":
                    kept = False  # what follows is the fresh float32 factor's
                    x, its, ok = self._refine(b, None, rtol, cap)
                else:
                    x = self._fact.solve(b)
                    words[-1] += ", solved directly"
            if not ok and self._fact.precision == "single":
                facts["reuse_iterations"] = its
                self._precision = "double"
                event, event_s = "rebuilt", event_s + self._refactorise(self.A)
                x = self._fact.solve(b)
                words.append(
                    f"float32 factor: PCG not at rtol {rtol:.1e} within the cap of {cap} "
                    "iterations: refactorised in double (kept so), solved directly"
                )
            elif ok:
                iterations, direct = its, False
                what = "kept factor" if kept else "float32 factor"
                words.append(
                    f"{what}: PCG to rtol {rtol:.1e} in {its} iterations "
                    f"(cap {cap}, the cost of a factorisation)"
                )
            facts["reuse"] = "; ".join(words)
        else:
            x = self._fact.solve(b)
            if self._why:
                facts["reuse"] = self._why
        r = relative_residual(self.A, x, b)
        if direct:
            check_direct_residual(self.name, r)
        self._event, self._event_s = "reused", 0.0
        facts.update(
            method=self.name,
            device="cpu",
            iterations=iterations,
            residual=r,
            setup=event,
            setup_s=event_s,
            factor_precision=self._fact.precision,
            out_of_core=self._fact.out_of_core,
        )
        if self._fact.out_of_core:
            facts["ooc"] = dict(self._fact.ooc_facts)
        return x, facts

    def _refine(
        self, b: NDArray[np.float64], x0: NDArray[np.float64] | None, rtol: float, cap: int
    ) -> tuple[NDArray[np.float64], int, bool]:
        """PCG on ``self.A`` preconditioned by the factor's back-substitution, to ``rtol``
        within ``cap`` iterations; returns ``(x, iterations, converged)``. A float32 factor
        without ``x0`` starts from its own answer (that back-substitution counted as an
        iteration)."""
        start = 0
        if x0 is None and self._fact.precision == "single":
            x0, start = self._fact.solve(b), 1
        if b.ndim == 1:
            res = pcg(self.A, b, self._fact.solve, x0=x0, rtol=rtol, maxiter=cap)
            return res.x, start + res.iterations, bool(res.converged)
        blk = block_pcg(self.A, b, self._fact.solve, x0=x0, rtol=rtol, maxiter=cap)
        return blk.x, start + max(blk.iterations), bool(blk.all_converged)

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


def mkl_sparse():
    """The ``sparse_dot_mkl`` module (MKL's threaded sparse products), or None where it or
    MKL's runtime library is not installed. MKL is pointed at this environment's runtime
    (as for Pardiso) before the import."""
    _locate_mkl()
    if "MKL_RT" not in os.environ and "PYPARDISO_MKL_RT" in os.environ:
        os.environ["MKL_RT"] = os.environ["PYPARDISO_MKL_RT"]
    try:
        import sparse_dot_mkl
    except (ImportError, OSError, AttributeError):
        return None
    return sparse_dot_mkl


#: Fewest stored entries of a matrix whose products :func:`threaded` hands to MKL: below it
#: the handle MKL makes per call costs more than it saves.
MKL_MIN_NNZ = 200_000


class _MklMatrix:
    """A SciPy CSR matrix whose product with a dense vector or block runs in MKL (threaded
    by ``MKL_NUM_THREADS``); everything else is the matrix's own."""

    def __init__(self, M: sp.csr_matrix, mkl) -> None:
        self.M, self._mkl = M, mkl
        self.shape, self.nnz, self.dtype = M.shape, M.nnz, M.dtype

    def __matmul__(self, x):
        if isinstance(x, np.ndarray) and x.ndim in (1, 2) and x.dtype == self.dtype:
            return self._mkl.dot_product_mkl(self.M, np.ascontiguousarray(x))
        return self.M @ x

    def __getattr__(self, name: str):
        return getattr(self.M, name)


#: Fewest stored entries of ``A`` and ``P`` together of a Galerkin product that
#: :func:`galerkin_product` splits into row blocks for threads (by default).
SPLIT_MIN_NNZ = 1_000_000

_POOL: dict[int, ThreadPoolExecutor] = {}


def _pool(threads: int) -> ThreadPoolExecutor:
    with _PATTERN_LOCK:
        if threads not in _POOL:
            _POOL[threads] = ThreadPoolExecutor(threads, thread_name_prefix="fea-spgemm")
        return _POOL[threads]


def _row_cuts(X: sp.csr_matrix, k: int) -> np.ndarray:
    """Row boundaries of at most ``k`` blocks of ``X`` of about equal entries."""
    cuts = np.searchsorted(X.indptr, np.linspace(0, X.nnz, k + 1)[1:-1])
    return np.unique(np.concatenate([[0], cuts, [X.shape[0]]]))


def galerkin_product(
    R: sp.spmatrix,
    A: sp.spmatrix,
    P: sp.spmatrix,
    threads: int | None = None,
    min_nnz: int = SPLIT_MIN_NNZ,
) -> sp.csr_matrix:
    """The Galerkin product ``R A P`` (CSR) of the AMG setup
    (:func:`fea.solvers.amg.build_hierarchy`'s ``galerkin``) on ``threads`` threads
    (default :func:`fea.solvers.kernels.threads`): the rows of ``R`` in blocks, each block's
    ``(R_b A) P`` by SciPy's products in a thread pool, the blocks stacked. Only the
    blocks in flight hold their part of ``R A``, so the peak is below the one-thread
    ``R (A P)``'s, which holds all of ``A P``. One thread, or fewer than
    ``min_nnz`` entries in ``A`` and ``P``: ``R @ (A @ P)``. MKL's threaded sparse product
    was about 1.4 x SciPy's CPU seconds here (1.6 against 1.15 s for ``P^T (A P)`` at 139k
    elasticity DOF), so it is not used."""
    t = kernels.threads() if threads is None else int(threads)
    R, A, P = sp.csr_matrix(R), sp.csr_matrix(A), sp.csr_matrix(P)
    if t <= 1 or A.nnz + P.nnz < min_nnz or R.shape[0] < 4 * t:
        return sp.csr_matrix(R @ (A @ P))
    cuts = _row_cuts(R, 4 * t)  # four blocks per thread: a quarter of R A in flight
    parts = list(
        _pool(t).map(
            lambda c: sp.csr_matrix((R[cuts[c] : cuts[c + 1]] @ A) @ P), range(len(cuts) - 1)
        )
    )
    return sp.vstack(parts, format="csr")


def threaded(M: sp.spmatrix):
    """``M`` (CSR) with its matrix-vector products in MKL's threaded sparse BLAS where
    ``sparse_dot_mkl`` is installed and ``M`` has at least :data:`MKL_MIN_NNZ` entries;
    ``M`` itself otherwise. Single-threaded, MKL's float32 product is also about twice
    SciPy's (5.4 against 10 ms at 139k elasticity DOF, 11 M entries)."""
    mkl = mkl_sparse()
    if mkl is None or not sp.issparse(M) or M.nnz < MKL_MIN_NNZ:
        return M
    M = sp.csr_matrix(M)
    if not M.has_sorted_indices:
        M = M.sorted_indices()  # a sorted copy: the caller's matrix is left as it is
    return _MklMatrix(M, mkl)


#: CG steps of the energy-minimising prolongator in ``method="amg-xp"``: at 250k elasticity
#: DOF 4 steps give 133 PCG iterations, 6 give 112 (pyamg's evolution + energy: 78) for
#: about 10 % more CPU seconds in all (``scripts/bench_amg.py``); 6 keeps the count within
#: 1.5 x pyamg's.
ENERGY_ITERATIONS = 6


def xp_amg_solver(A: sp.spmatrix, options: Options) -> PcgSolver:
    """Registry factory ``("cpu", "amg-xp")``: the array-generic smoothed aggregation of
    :mod:`fea.solvers.amg` (the device hierarchy's code) on NumPy/SciPy + PCG, with the
    energy-minimising prolongator, the V-cycle's and PCG's products in MKL
    (:func:`threaded`)."""

    def build(M: sp.csr_matrix):
        nn = options.near_null if options.kind == "elasticity" else None
        h = build_hierarchy(
            M,
            near_null=nn,
            block=options.block,
            ns=HOST,
            prolongator="energy",
            energy_iterations=ENERGY_ITERATIONS,
            galerkin=galerkin_product,
        )
        return h.preconditioner(options.precision, wrap=threaded)

    def host(M: sp.spmatrix):
        return threaded(sp.csr_matrix(M))  # PCG's products in MKL too

    return PcgSolver(host(A), build, options, name="amg-xp-pcg", to_ns=host)


#: The CPU methods: name -> factory ``f(A, options)``.
CPU_METHODS = {"amg": pyamg_solver, "amg-xp": xp_amg_solver, "direct": DirectSolver}
