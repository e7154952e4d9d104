"""What every solver of the registry is: options, the solver protocol, and the PCG solver that
keeps its preconditioner across nearby matrices (the one reuse policy of CPU and GPU)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import InputError, IterationLimitError, SolverError
from ..fe.namespace import HOST, Namespace
from ..validate import check_count, check_range, check_rtol
from .krylov import array_module, block_pcg, pcg

__all__ = [
    "BlockPreconditioner",
    "DIRECT_RESIDUAL_LIMIT",
    "FACTOR_PRECISIONS",
    "GROWTH_EVIDENCE_ITERATIONS",
    "MAXITER_ADVICE",
    "MAXITER_CAP",
    "OUT_OF_CORE_CHOICES",
    "Options",
    "PcgSolver",
    "Preconditioner",
    "SINGULAR_CAUSES",
    "SYMMETRY_RTOL",
    "Solver",
    "check_block",
    "check_direct_residual",
    "check_finite_matrix",
    "check_finite_rhs",
    "check_matrix",
    "check_near_null",
    "check_out_of_core",
    "check_real",
    "check_symmetric",
    "iteration_limit",
    "naming_solve",
    "relative_residual",
]


#: What to do about a solve stopped at its iteration limit: the end of every such message.
MAXITER_ADVICE = (
    "raise maxiter (solver.maxiter: the study file's [solver] maxiter, maxiter= of the "
    "solve functions), loosen rtol (solver.rtol), or take method = 'direct' where its "
    "factor fits in memory"
)

#: Iterations after which a residual above its start marks a singular system (the
#: causes named, :data:`SINGULAR_CAUSES`): CG's residual is not monotone (CG minimises the
#: error's energy norm), so after fewer a rise says nothing about the matrix, and a solve
#: stopped there by its limit (``maxiter`` of 1 or 2) is named an iteration limit.
GROWTH_EVIDENCE_ITERATIONS = 10


def iteration_limit(head: str, maxiter: int, *, fell: bool = True) -> IterationLimitError:
    """The error of an iterative solve stopped at its limit: ``head`` (what stopped, after
    how many iterations, its residuals), the key ``solver.maxiter`` and its value
    ``maxiter``, and :data:`MAXITER_ADVICE`. ``fell``: whether the residual ended below
    its start; where it did not (a limit under :data:`GROWTH_EVIDENCE_ITERATIONS`, too
    few iterations for a rise to mean anything) the message adds that a rise which goes on
    at a higher limit is a singular system, and names its causes
    (:data:`SINGULAR_CAUSES`): a free body's AMG-PCG at maxiter 1-9 rose from 1 to 4-644
    and was told only to raise maxiter or loosen rtol. The solve it belongs to is named
    by the :func:`naming_solve` blocks it ran in."""
    msg = f"{head}; the iteration limit solver.maxiter = {maxiter} was reached: {MAXITER_ADVICE}"
    if not fell:
        msg += (
            f". The residual did not fall below its start: in fewer than "
            f"{GROWTH_EVIDENCE_ITERATIONS} iterations that says nothing (CG's residual is "
            f"not monotone), but should it still not fall at a limit of "
            f"{GROWTH_EVIDENCE_ITERATIONS} or more, {SINGULAR_CAUSES}"
        )
    return IterationLimitError(msg)


@contextmanager
def naming_solve(what: str | Callable[[], str]) -> Iterator[None]:
    """Name the solve an :class:`~fea.errors.IterationLimitError` comes from: one raised
    inside the block is raised again as ``"<what>: <message>"`` (blocks inside blocks
    name the solve from the outside in). ``what``: the name, or a function giving it
    when the error is raised (e.g. the step of a history at that moment)."""
    try:
        yield
    except IterationLimitError as err:
        name = what() if callable(what) else what
        raise IterationLimitError(f"{name}: {err}") from err


def check_block(b: Any, n: int, key: str = "b") -> None:
    """Check that ``b`` is one right-hand side (n,) or a block (n, k), k >= 1, of a system of
    ``n`` unknowns (any array namespace).

    Raises
    ------
    InputError
        Another shape, naming ``key``.
    """
    shape = tuple(b.shape)
    if not (shape[:1] == (n,) and (len(shape) == 1 or (len(shape) == 2 and shape[1] >= 1))):
        raise InputError(key, shape, f"shape ({n},) or ({n}, k) with k >= 1")


#: Why an assembled stiffness or conduction matrix is singular or not positive definite,
#: in a user's terms: the end of every such message of the solvers.
SINGULAR_CAUSES = (
    "the system is singular or not positive definite: most often a body, or a part of it, "
    "with no restraint (a rigid-body mode left free: fix or support it, e.g. a 3-2-1 "
    "support, or hold a temperature or a convection somewhere for conduction), a "
    "material with a zero or negative modulus or conductivity (E = 0, k = 0), or a "
    "region not connected to the rest"
)

#: The largest relative residual ``||b - A x|| / ||b||`` a direct solve's answer may have
#: (Pardiso or SuperLU on the CPU, cuDSS on the device): a backward-stable factorisation of
#: the package systems gives 1e-15 to 1e-11, so an answer above this comes from a
#: numerically singular factor (SuperLU does not stop at a zero pivot of a free body: its
#: answer was of 1e16 with a residual of 21).
DIRECT_RESIDUAL_LIMIT = 1e-6


def relative_residual(A: Any, x: Any, b: Any) -> float:
    """The true relative residual ``||b - A x|| / ||b||`` of ``x`` for ``b`` (n,), or the
    largest over the columns of a block (n, k) (a zero column: ``||A x||``, 0 for its
    zero answer); any array namespace."""
    xp = array_module(b)
    rn = xp.linalg.norm(b - A @ x, axis=0) / xp.maximum(xp.linalg.norm(b, axis=0), 1e-300)
    return float(rn.max())


def check_direct_residual(name: str, r: float) -> None:
    """Refuse a direct solve's answer whose relative residual ``r`` is above
    :data:`DIRECT_RESIDUAL_LIMIT` or not finite: the factor is numerically singular.

    Raises
    ------
    SolverError
        Naming the solver ``name``, ``r``, the limit and the likely causes.
    """
    if not r <= DIRECT_RESIDUAL_LIMIT:
        raise SolverError(
            f"{name}: the direct solve's relative residual ||b - A x|| / ||b|| is "
            f"{r:.2e} (a factorisation of a well-posed system gives about 1e-12; at most "
            f"{DIRECT_RESIDUAL_LIMIT:g} is accepted), the factor is numerically singular: "
            f"{SINGULAR_CAUSES}"
        )


#: The largest ``maxiter`` a solver accepts: far above any useful count (AMG-PCG takes tens
#: to hundreds of iterations), it only refuses a value that is a slip.
MAXITER_CAP = 10_000_000


def _first_nonfinite(values: Any) -> tuple[int, int]:
    """How many entries of ``values`` (any shape, any array namespace) are NaN or inf, and
    the flat index of the first (-1 where none)."""
    xp = array_module(values)
    bad = ~xp.isfinite(values)
    count = int(bad.sum())
    if not count:
        return 0, -1
    return count, int(xp.flatnonzero(bad.ravel())[0])


def _unknown(i: int, kind: str) -> str:
    """Unknown ``i`` in words: ``"unknown 7 (node 2, uy)"`` for elasticity (3 interleaved
    components per node), ``"unknown 7"`` (node 7) for a scalar field."""
    if kind == "elasticity":
        return f"unknown {i} (node {i // 3}, u{'xyz'[i % 3]})"
    return f"unknown {i} (node {i})"


#: Where a NaN or inf in an assembled system comes from, in a user's terms.
_NONFINITE_CAUSES = (
    "a material property (E, nu, k, alpha, rho c), a load, a source, a convection "
    "coefficient h or a temperature that is NaN or inf, or so large that the assembly "
    "overflowed (a unit slip)"
)


def check_finite_matrix(A: Any, kind: str = "scalar") -> None:
    """Check that the sparse matrix ``A`` (SciPy, or cupyx on the device) holds no NaN or
    inf before it is factorised or an AMG hierarchy is built from it (Pardiso factorises
    such a matrix without complaint and answers with a NaN residual; pyamg raises a bare
    ``ValueError``). One pass over the stored entries.

    Raises
    ------
    SolverError
        Naming how many entries are not finite, the row of the first (as an unknown and
        a node, see ``kind``) and the likely causes.
    """
    count, first = _first_nonfinite(A.data)
    if not count:
        return
    where = f"entry {first}"
    if getattr(A, "format", "") == "csr":
        import numpy as np

        indptr = np.asarray(A.indptr.get() if hasattr(A.indptr, "get") else A.indptr)
        row = int(np.searchsorted(indptr, first, side="right")) - 1
        where = f"row of {_unknown(row, kind)}"
    raise SolverError(
        f"the system matrix is not finite: {count} NaN or inf entries (the first in the "
        f"{where}): {_NONFINITE_CAUSES}; nothing was solved"
    )


def check_finite_rhs(b: Any, kind: str = "scalar", start: bool = False) -> None:
    """Check that the right-hand side ``b`` (n,) or block (n, k) holds no NaN or inf before
    a solve: a direct solver would answer NaN, PCG would run to ``maxiter`` on it.
    ``start``: ``b`` is the start ``x0`` of an iterative solve, named so.

    Raises
    ------
    SolverError
        Naming how many entries are not finite, the first (an unknown and a node, and its
        column in a block) and the likely causes.
    """
    count, first = _first_nonfinite(b)
    if not count:
        return
    shape = tuple(b.shape)
    if len(shape) == 2:
        i, j = divmod(first, shape[1])
        where = f"{_unknown(i, kind)}, column {j}"
    else:
        where = _unknown(first, kind)
    name = "the start x0" if start else "the right-hand side (load vector)"
    causes = "an earlier answer that was not finite" if start else _NONFINITE_CAUSES
    raise SolverError(
        f"{name} is not finite: {count} NaN or inf entries (the first at {where}): "
        f"{causes}; nothing was solved"
    )


def check_real(key: str, a: Any) -> None:
    """Check that the array or sparse matrix ``a`` (any namespace) is of real numbers.

    Raises
    ------
    InputError
        Naming ``key`` and the dtype (a complex ``b`` lost its imaginary part with only a
        warning).
    """
    kind = getattr(getattr(a, "dtype", None), "kind", "f")
    if kind not in "fiub":
        raise InputError(key, f"dtype {a.dtype}", "real numbers (float64)")


def check_matrix(A: Any, kind: str = "scalar", near_null: Any = None) -> None:
    """What every entry point checks of a system matrix before any work: real numbers
    (:func:`check_real`), square, the near-null space of its size
    (:func:`check_near_null`), no NaN or inf (:func:`check_finite_matrix`; its row is
    named where ``A`` is CSR) and symmetric (:func:`check_symmetric`).

    Raises
    ------
    InputError, SolverError
        As those checks.
    """
    check_real("A", A)
    if len(A.shape) != 2 or A.shape[0] != A.shape[1]:
        raise InputError("A", A.shape, "a square matrix (n, n)")
    check_near_null(near_null, A.shape[0])
    check_finite_matrix(A, kind)
    check_symmetric(A)


#: The largest asymmetry ``||A - A^T||_F / ||A||_F`` of a system matrix that
#: :func:`check_symmetric` accepts. An assembled stiffness or conduction matrix is symmetric
#: to rounding (1e-17 to 1e-16; the probe below, rounding included, 2e-15 to 8e-15 at
#: 900 to 36k unknowns); an asymmetry of 1e-6 already
#: made Pardiso's Cholesky (which reads the upper triangle only) answer with a residual of
#: 1e-4 against the whole matrix, and CG has no meaning for a non-symmetric one.
SYMMETRY_RTOL = 1e-8

#: Random probe vectors of :func:`check_symmetric`: 4 give 6 independent samples of
#: ``x_i^T (A - A^T) x_j``, so a non-symmetric matrix is missed only if all 6 are below a
#: hundredth of their spread (probability about 1e-12 for a given matrix).
_SYMMETRY_PROBES = 4


def check_symmetric(A: Any, key: str = "A") -> None:
    """Check that the square sparse matrix ``A`` (n, n) (SciPy, or cupyx on the device) is
    symmetric to :data:`SYMMETRY_RTOL`, as CG (AMG-PCG) and Pardiso's Cholesky (which
    reads the upper triangle only) assume. A non-symmetric matrix gave a misleading
    error: "the factor is numerically singular" from the direct solver, and a
    "raise maxiter" after ``maxiter`` iterations from AMG-PCG.

    The asymmetry is estimated without forming ``A^T``: one product of ``A`` with a block
    ``X`` of 4 random vectors (from a fixed seed: the same verdict every run), the
    off-diagonal entries of ``X^T A X - (X^T A X)^T`` (each ``x_i^T (A - A^T) x_j``, of
    spread ``||A - A^T||_F``) against ``||A||_F``: about a third of a SpMV's cost per
    stored entry more than the finite check.

    Raises
    ------
    InputError
        Naming ``key``, the estimated ``||A - A^T||_F / ||A||_F`` and what is allowed.
    """
    n = A.shape[0]
    if n < 2:
        return
    xp = array_module(A.data)
    scale = float(xp.linalg.norm(A.data))
    if not 0.0 < scale < math.inf:
        return  # a zero matrix (singular: the solvers say so), or no finite norm
    import numpy as np

    X = xp.asarray(np.random.default_rng(0).standard_normal((n, _SYMMETRY_PROBES)))
    G = X.T @ (A @ X)
    asym = float(xp.abs(G - G.T).max()) / scale
    if asym > SYMMETRY_RTOL:
        raise InputError(
            key,
            f"not symmetric: ||A - A^T||_F / ||A||_F about {asym:.1e}",
            f"a symmetric matrix (to {SYMMETRY_RTOL:g}): AMG-PCG and the Cholesky "
            "factorisation solve symmetric positive definite systems only (a stiffness or "
            "conduction matrix is one; for another, scipy.sparse.linalg.spsolve)",
        )


def check_near_null(near_null: Any, n: int) -> None:
    """Check the near-null space of AMG: None, or finite of shape (n, m), m >= 1.

    Raises
    ------
    InputError
        Another shape (pyamg raised a bare ``ValueError``), or a NaN or inf in it.
    """
    if near_null is None:
        return
    shape = tuple(getattr(near_null, "shape", ()))
    if len(shape) != 2 or shape[0] != n or shape[1] < 1:
        raise InputError("near_null", shape, f"shape ({n}, m), m >= 1 (the rigid-body modes)")
    if _first_nonfinite(near_null)[0]:
        raise InputError("near_null", "NaN or inf entries", "finite numbers")


#: The precisions of a direct solver's factor (:attr:`Options.factor_precision`).
FACTOR_PRECISIONS = ("double", "single")

#: Values of the out-of-core option (``[solver] out_of_core``, ``Options.out_of_core``):
#: ``"auto"`` (``method="auto"`` factorises out of core where the in-core factor does not fit
#: in memory, the direct method is the one to run and the factor fits on the disk), ``True``
#: (every Pardiso factorisation out of core), ``False`` (never).
OUT_OF_CORE_CHOICES = ("auto", True, False)


def check_out_of_core(key: str, value: object) -> object:
    """``value`` when it is one of :data:`OUT_OF_CORE_CHOICES` (``"auto"``, ``True`` or
    ``False``; not 1/0 or "true").

    Raises
    ------
    InputError
        Any other value, naming ``key``.
    """
    if value is True or value is False or (isinstance(value, str) and value == "auto"):
        return value
    raise InputError(key, value, "'auto', true or false")


@dataclass(frozen=True)
class Options:
    """Settings shared by every solver factory.

    Attributes
    ----------
    kind
        ``"scalar"`` or ``"elasticity"`` (3 interleaved unknowns per node).
    near_null
        Near-null space for AMG, shape (n, m) (rigid-body modes for elasticity).
    rtol, maxiter
        PCG stopping rule (2-norm of the residual relative to ``||b||``, in (0, 1]: the
        one meaning of ``rtol`` in :mod:`fea`, :func:`fea.validate.check_rtol`) and cap (a
        whole number in [1, :data:`MAXITER_CAP`]). Both are checked whatever the method,
        a direct solver's too: a bad value is refused, not ignored until a later
        iterative solve.
    precision
        ``"mixed"`` (float32 V-cycle under float64 CG) or ``"double"``; the AMG of
        :mod:`fea.solvers.amg` only (the device's, and ``amg-xp`` on the CPU).
    rebuild_factor
        A reused preconditioner is rebuilt once a solve needs more than this many times the
        iterations of the first solve after its setup (a finite number >= 1).
    factor_precision
        The CPU direct solver's factor (:data:`FACTOR_PRECISIONS`): ``"double"``, or
        ``"single"`` (Pardiso in float32: half the factor's memory, about 0.65 of a
        back-substitution's time; every solve is then PCG on the float64 matrix
        preconditioned by it, to ``rtol``, not an answer exact to rounding). For a factor
        that preconditions (a Newton history's kept tangent); other solvers ignore it.
    out_of_core
        The CPU direct solver's factor in files (Pardiso out of core,
        :class:`fea.solvers.cpu.Factorized`): ``True``; ``False`` never; ``"auto"``
        (default): in core, unless ``method="auto"`` finds that only an out-of-core factor
        fits (:func:`fea.solvers.solve`). Other solvers ignore it.
    ooc_dir
        Where the out-of-core factor's fresh folder is made (``TMPDIR`` where None).

    Raises
    ------
    InputError
        A setting out of range, naming it.
    """

    kind: str = "scalar"
    near_null: Any = None
    rtol: float = 1e-10
    maxiter: int = 2000
    precision: str = "mixed"
    rebuild_factor: float = 1.5
    factor_precision: str = "double"
    out_of_core: Any = "auto"
    ooc_dir: str | None = None

    def __post_init__(self) -> None:
        check_out_of_core("out_of_core", self.out_of_core)
        object.__setattr__(self, "rtol", check_rtol("rtol", self.rtol, hi=1.0))
        object.__setattr__(
            self, "maxiter", check_count("maxiter", self.maxiter, MAXITER_CAP, "iterations")
        )
        if self.kind not in ("scalar", "elasticity"):
            raise InputError("kind", self.kind, "scalar or elasticity")
        if self.precision not in ("mixed", "double"):
            raise InputError("precision", self.precision, "mixed or double")
        if self.factor_precision not in FACTOR_PRECISIONS:
            raise InputError(
                "factor_precision", self.factor_precision, " or ".join(FACTOR_PRECISIONS)
            )
        # finite: the reuse cap is floor(rebuild_factor * iterations), an int
        object.__setattr__(
            self, "rebuild_factor", check_range("rebuild_factor", self.rebuild_factor, 1.0)
        )

    @property
    def block(self) -> int:
        return 3 if self.kind == "elasticity" else 1


class Solver(Protocol):
    """A matrix set up for solves: what a registry factory ``f(A, options)`` returns.

    ``solve`` takes ``b`` (n,) or a block (n, k) of right-hand sides (one setup for all) and
    returns ``(x, facts)``, ``x`` of ``b``'s shape, with at least ``method``, ``device``,
    ``iterations``, ``residual`` (the largest of a block's columns), ``setup``
    (``"built"``, ``"reused"`` or ``"rebuilt"``) and ``setup_s`` (seconds of setup charged
    to this solve).
    """

    name: str
    device: str

    def solve(self, b: Any, *, x0: Any = None, device_result: bool = False) -> tuple[Any, dict]: ...

    def update(self, A: Any) -> None: ...

    def close(self) -> None: ...


class Preconditioner(Protocol):
    """``M(r)``, its facts, and the same preconditioner for a new matrix of the same size
    (the coarse levels of an AMG hierarchy kept, only the fine level redone)."""

    facts: dict

    def __call__(self, r: Any) -> Any: ...

    def with_matrix(self, A: Any) -> Preconditioner: ...


class BlockPreconditioner:
    """A preconditioner ``M`` applied to a block of residuals (n, k): ``M`` itself where it
    takes blocks (the V-cycle of :mod:`fea.solvers.amg`, a factor's back-substitution),
    else column by column (pyamg's cycle takes vectors only). The first block decides: a
    ``ValueError`` or ``TypeError``, or a result of another shape, switches to columns for
    good. A vector goes to ``M`` as it is."""

    def __init__(self, M: Callable[[Any], Any]) -> None:
        self.M = M
        self.blocks: bool | None = None  # unknown until the first block
        self.facts = getattr(M, "facts", {})

    def _columns(self, R: Any) -> Any:
        xp = array_module(R)
        return xp.stack([self.M(R[:, j]) for j in range(R.shape[1])], axis=1)

    def __call__(self, R: Any) -> Any:
        if R.ndim == 1 or self.blocks is False:
            return self.M(R) if R.ndim == 1 else self._columns(R)
        if self.blocks:
            return self.M(R)
        try:
            Z = self.M(R)
        except (ValueError, TypeError):
            Z = None
        self.blocks = Z is not None and tuple(Z.shape) == tuple(R.shape)
        return Z if self.blocks else self._columns(R)


class PcgSolver:
    """PCG (:func:`fea.solvers.krylov.pcg`) with a preconditioner built once and reused.

    After :meth:`update` the preconditioner keeps its coarse levels and takes the new fine
    matrix; a solve is then capped at ``rebuild_factor`` times the iterations of the first
    solve after the last setup, and when it does not converge within that the
    preconditioner is rebuilt for the new matrix and the system solved again from zero.
    The reported residual is the true one, ``||b - A x|| / ||b||``.

    Parameters
    ----------
    A
        The matrix in the namespace ``ns`` (SciPy CSR, or cupyx CSR on the device).
    build
        ``build(A) -> Preconditioner``.
    to_ns
        Moves a matrix given to :meth:`update` into ``ns`` (identity on the host).
    stages_key
        Key of the per-stage seconds in the facts (``"gpu_stages"`` on the device).
    """

    def __init__(
        self,
        A: Any,
        build: Callable[[Any], Preconditioner],
        options: Options,
        *,
        name: str,
        ns: Namespace = HOST,
        device: str = "cpu",
        to_ns: Callable[[Any], Any] = lambda A: A,
        extra: dict | None = None,
        stages_key: str = "solve_stages",
    ) -> None:
        self.name, self.device, self.ns = name, device, ns
        self.options = options
        self._build, self._to_ns = build, to_ns
        self.extra = dict(extra or {})
        self.stages_key = stages_key
        self.A = A
        t0 = time.perf_counter()
        self.pre = build(A)
        ns.synchronize()
        self._event, self._event_s = "built", time.perf_counter() - t0
        self._stale = False  # the matrix changed since the preconditioner was built
        self._baseline: int | None = None

    def update(self, A: Any) -> None:
        """Take a new matrix (same size and meaning); keep the preconditioner's coarse levels."""
        t0 = time.perf_counter()
        A = self._to_ns(A)
        if A.shape != self.A.shape:
            raise InputError("A", A.shape, f"a matrix of the prepared shape {self.A.shape}")
        self.A = A
        self.pre = self.pre.with_matrix(A)
        self.ns.synchronize()
        self._stale = True
        self._event, self._event_s = "reused", time.perf_counter() - t0

    def _rebuild(self) -> float:
        t0 = time.perf_counter()
        self.pre = self._build(self.A)
        self.ns.synchronize()
        self._stale, self._baseline = False, None
        return time.perf_counter() - t0

    def solve(self, b: Any, *, x0: Any = None, device_result: bool = False) -> tuple[Any, dict]:
        """Solve ``A x = b``; ``b`` (n,) or a block (n, k) of right-hand sides, NumPy or in
        the solver's namespace. Returns ``x`` (the shape of ``b``) as NumPy (or in the
        namespace when ``device_result``) and the facts of the solve.

        A block is solved by batched PCG (:func:`fea.solvers.krylov.block_pcg`: the columns
        in lockstep, one product of the matrix with the block and one preconditioner
        application to the block per step, a converged column frozen): ``iterations`` and
        ``residual`` are the largest over the columns, ``column_iterations`` and
        ``column_residuals`` (the true ones) list them all, ``block_steps`` counts the
        steps and ``per_iteration_s`` is the seconds of one step of the block."""
        xp = self.ns.xp
        t0 = time.perf_counter()
        bd = xp.asarray(b, dtype=xp.float64)
        x0d = None if x0 is None else xp.asarray(x0, dtype=xp.float64)
        check_block(bd, self.A.shape[0], "b")
        if x0d is not None and x0d.shape != bd.shape:
            raise InputError("x0", x0d.shape, f"the shape of b, {bd.shape}")
        self.ns.synchronize()
        t_move = time.perf_counter() - t0
        if bd.ndim == 1:
            return self._solve_one(bd, x0d, t_move, device_result)
        return self._solve_block(bd, x0d, t_move, device_result)

    def _reuse_cap(self) -> int:
        """The iteration cap of the next solve: ``maxiter``, or with a reused preconditioner
        (after :meth:`update`) ``rebuild_factor`` times the iterations of the first solve
        after the last setup (at least 1), past which it is rebuilt."""
        opt = self.options
        if self._stale and self._baseline is not None:
            return min(opt.maxiter, max(math.floor(opt.rebuild_factor * self._baseline), 1))
        return opt.maxiter

    def _solve_block(
        self, bd: Any, x0d: Any, t_move: float, device_result: bool
    ) -> tuple[Any, dict]:
        """A block ``bd`` (n, k) already in the namespace: batched PCG
        (:func:`fea.solvers.krylov.block_pcg`), the capped reuse and the rebuild as
        :meth:`_solve_one`, the columns that did not converge within the cap solved again
        after the rebuild."""
        xp, opt = self.ns.xp, self.options
        event, event_s = self._event, self._event_s
        cap = self._reuse_cap()
        t1 = time.perf_counter()
        res = block_pcg(
            self.A, bd, BlockPreconditioner(self.pre), x0=x0d, rtol=opt.rtol, maxiter=cap, xp=xp
        )
        facts: dict = {}
        iterations, steps = list(res.iterations), res.steps
        X = res.x
        redo, again = None, []
        if not res.all_converged and cap < opt.maxiter:
            facts["reuse_iterations"] = max(res.iterations)
            event, event_s = "rebuilt", event_s + self._rebuild()
            t1 = time.perf_counter()
            again = [j for j, ok in enumerate(res.converged) if not ok]
            ad = xp.asarray(again)
            redo = block_pcg(
                self.A,
                bd[:, ad],
                BlockPreconditioner(self.pre),
                x0=None if x0d is None else x0d[:, ad],
                rtol=opt.rtol,
                maxiter=opt.maxiter,
                xp=xp,
            )
            X[:, ad] = redo.x
            for i, j in enumerate(again):
                iterations[j] = redo.iterations[i]
                res.converged[j] = redo.converged[i]
            steps = redo.steps
        self.ns.synchronize()
        t_pcg = time.perf_counter() - t1
        failed = [j for j, ok in enumerate(res.converged) if not ok]
        if failed:
            j = failed[0]
            last, i = (res, j) if redo is None else (redo, again.index(j))
            raise self._failure(
                last.iterations[i],
                last.history[i],
                last.breakdown[i],
                f" on {len(failed)} of {len(iterations)} columns (the first: column {j})",
            )
        if self._baseline is None and not self._stale:
            self._baseline = max(iterations)
        bnorm = xp.linalg.norm(bd, axis=0)
        rnorm = xp.linalg.norm(bd - self.A @ X, axis=0)
        true_res = [
            float(r) / float(b) if float(b) > 0 else 0.0
            for r, b in zip(rnorm.tolist(), bnorm.tolist(), strict=True)
        ]
        self._facts(
            facts,
            event,
            event_s,
            t_move,
            t_pcg,
            steps,
            iterations=max(iterations),
            residual=max(true_res),
            column_iterations=iterations,
            column_residuals=true_res,
            columns=len(iterations),
            block_steps=steps,
        )
        return (X if device_result else self.ns.asnumpy(X)), facts

    def _failure(
        self, iterations: int, history: list[float], breakdown: bool, columns: str = ""
    ) -> SolverError:
        """The error of a solve that did not converge (of the first such column of a block,
        ``columns`` saying which): a breakdown (``p^T A p`` not positive: the matrix is not
        SPD) or a residual that grew over :data:`GROWTH_EVIDENCE_ITERATIONS` or more
        names the likely causes of a singular system; an iteration limit reached otherwise
        is an :class:`~fea.errors.IterationLimitError` saying what to change
        (:func:`iteration_limit`)."""
        opt = self.options
        h = history or [math.nan]
        trail = f"relative residual {h[0]:.2e} -> {h[len(h) // 2]:.2e} -> {h[-1]:.2e}"
        who = f"{self.name} ({self.device})"
        if breakdown:
            return SolverError(
                f"{who} stopped at iteration {iterations}{columns}: p^T A p was not positive "
                f"({trail}, target rtol {opt.rtol:.1e}); {SINGULAR_CAUSES}"
            )
        head = (
            f"{who} did not converge{columns} in {iterations} iterations (maxiter = "
            f"{opt.maxiter}): {trail}, target rtol {opt.rtol:.1e}"
        )
        grew = not h[-1] < h[0]
        if grew and (iterations >= GROWTH_EVIDENCE_ITERATIONS or not math.isfinite(h[-1])):
            # grew over enough iterations (or NaN): no limit would have helped
            return SolverError(f"{head}; the residual grew: {SINGULAR_CAUSES}")
        return iteration_limit(head, opt.maxiter, fell=not grew)

    def _facts(
        self,
        facts: dict,
        event: str,
        event_s: float,
        t_move: float,
        t_pcg: float,
        steps: int,
        **solve: Any,
    ) -> None:
        """Fill ``facts`` with a finished solve's record (the solver's and preconditioner's
        facts, ``solve``'s numbers, the setup event, the stage times; ``steps``: PCG steps,
        a block's counted once) and mark the setup as reused for the next solve."""
        self._event, self._event_s = "reused", 0.0  # later solves reuse this setup
        facts.update(self.extra)
        facts.update(self.pre.facts)
        facts.update(
            method=self.name,
            device=self.device,
            setup=event,
            setup_s=event_s,
            baseline_iterations=self._baseline,
            **solve,
        )
        facts[self.stages_key] = {
            "move_s": t_move,
            "setup_s": event_s,
            "pcg_s": t_pcg,
            "per_iteration_s": t_pcg / max(steps, 1),
        }

    def _solve_one(self, bd: Any, x0d: Any, t_move: float, device_result: bool) -> tuple[Any, dict]:
        """One right-hand side ``bd`` (n,) already in the namespace."""
        xp, opt = self.ns.xp, self.options
        event, event_s = self._event, self._event_s
        cap = self._reuse_cap()
        t1 = time.perf_counter()
        res = pcg(self.A, bd, self.pre, x0=x0d, rtol=opt.rtol, maxiter=cap, xp=xp)
        facts: dict = {}
        if not res.converged and cap < opt.maxiter:
            facts["reuse_iterations"] = res.iterations
            event, event_s = "rebuilt", event_s + self._rebuild()
            t1 = time.perf_counter()
            res = pcg(self.A, bd, self.pre, x0=x0d, rtol=opt.rtol, maxiter=opt.maxiter, xp=xp)
        self.ns.synchronize()
        t_pcg = time.perf_counter() - t1
        if not res.converged:
            raise self._failure(res.iterations, res.history, res.breakdown)
        if self._baseline is None and not self._stale:
            self._baseline = res.iterations
        bnorm = float(xp.linalg.norm(bd))
        true_res = float(xp.linalg.norm(bd - self.A @ res.x)) / bnorm if bnorm > 0 else 0.0
        self._facts(
            facts,
            event,
            event_s,
            t_move,
            t_pcg,
            res.iterations,
            iterations=res.iterations,
            residual=true_res,
        )
        x = res.x if device_result else self.ns.asnumpy(res.x)
        return x, facts

    def close(self) -> None:
        self.pre = None  # type: ignore[assignment]
