"""The solver registry: one table of (backend, method) -> solver factory, used by both
:func:`solve` (prepare, one solve, close) and :class:`Prepared` (many solves, matrix updates).
``backend="auto"`` picks the device only where it wins, and every result says what ran and why.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..errors import BackendUnavailable, InputError, SolverError
from ..fe.namespace import HOST, Namespace
from . import cost
from .base import (
    BlockPreconditioner,
    Options,
    Solver,
    check_block,
    check_finite_matrix,
    check_finite_rhs,
    check_matrix,
    check_real,
    check_symmetric,
)
from .cpu import (
    CPU_METHODS,
    OOC_DISK_BYTES_PER_ENTRY,
    DirectSolver,
    PardisoAnalysis,
    ooc_least_bytes,
    pardiso_available,
)
from .gpu import GPU_METHODS, cudss_available, device_namespace, probe_device

__all__ = [
    "ANALYSIS_BYTES_PER_ENTRY",
    "AUTO_AMG_METHOD",
    "DIRECT_DOF_LIMIT",
    "GPU_CROSSOVER_DOF",
    "OOC_TIME_FACTOR",
    "Prepared",
    "SolveInfo",
    "assembly_namespace",
    "direct_limit",
    "gpu_crossover",
    "methods",
    "out_of_core_setting",
    "prepare",
    "register_method",
    "register_solver",
    "registered",
    "registrations",
    "resolve_backend",
    "restore",
    "solve",
]

#: Without MKL Pardiso (no symbolic analysis to estimate the factor from, SuperLU instead):
#: above this many unknowns ``method="auto"`` uses AMG-PCG instead of a direct solve, per
#: kind, on a 24 GB machine (scaled by :func:`direct_limit` to the machine's memory). With
#: Pardiso ``auto`` picks by :mod:`fea.solvers.cost` instead. P2
#: elasticity's fill-in makes Pardiso's memory grow fast past ~1e6 DOF (2.24 M DOF did
#: not fit); a scalar P2 conduction matrix of 442k nodes factorizes in 12 s at 3.9 GB peak,
#: where AMG-PCG on the high-contrast package took several minutes.
DIRECT_DOF_LIMIT = {"scalar": 1_000_000, "elasticity": 400_000}

#: The AMG method ``method="auto"`` runs on the CPU where it takes AMG-PCG, per kind:
#: elasticity the array-generic smoothed aggregation with the energy-minimising
#: prolongator (``amg-xp``: about half the CPU seconds of pyamg's evolution + energy
#: at 139k-250k DOF, 1.4-1.7 x its iterations, docs/performance.md "CPU AMG on the cores");
#: conduction stays pyamg (``amg``, not measured against it). Without Pardiso (the
#: :func:`direct_limit` rule, no estimates) ``auto``'s AMG stays pyamg's.
AUTO_AMG_METHOD = {"elasticity": "amg-xp", "scalar": "amg"}

#: Below this many unknowns ``backend="auto"`` stays on the CPU even with a usable GPU. Not
#: measured on a device yet: set from the H200 figures of the project (a float32 V-cycle +
#: float64 PCG iteration 2.1-2.2 ms, one level's Galerkin products 0.11 s at 738k DOF,
#: host-to-device copies at 8.5 GB/s) against Pardiso on the same node; the device pays a
#: fixed cost of a few tenths of a second (first-use kernel loads, a copy, ~10 launches
#: per aggregation round) that only a larger system earns back. ``scripts/bench_gpu.py``
#: measures the crossover; docs/performance.md (GPU) has the estimate.
GPU_CROSSOVER_DOF = {"scalar": 150_000, "elasticity": 60_000}


def direct_limit(kind: str) -> int:
    """Largest system ``method="auto"`` solves directly for ``kind`` where MKL Pardiso is
    not installed (with it the choice is :func:`fea.solvers.cost.choose`'s): the 24 GB limit of
    :data:`DIRECT_DOF_LIMIT` times (physical memory / 24 GB)^(3/4) (a nested-dissection
    factor of a 3D mesh grows about as n^(4/3)), the factor clamped to [0.25, 4]."""
    base = DIRECT_DOF_LIMIT.get(kind, DIRECT_DOF_LIMIT["elasticity"])
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return base
    return int(base * min(4.0, max(0.25, (mem / 24e9) ** 0.75)))


def gpu_crossover(kind: str) -> int:
    """Unknowns from which ``backend="auto"`` uses a usable GPU for ``kind``."""
    return GPU_CROSSOVER_DOF.get(kind, GPU_CROSSOVER_DOF["elasticity"])


@dataclass
class SolveInfo:
    """What ran: backend, device, method, iterations, residual, seconds, and why.

    ``extra`` holds the solver's facts: ``setup`` (``"built"``, ``"reused"`` or
    ``"rebuilt"``), ``setup_s``, AMG levels and complexity, per-stage seconds.
    """

    backend: str
    method: str
    device: str = "cpu"
    reason: str = ""
    iterations: int = 0
    residual: float = 0.0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def _dof(n: int) -> str:
    """A count of unknowns for a reason: ``"40k"``, or exact below 10,000 (``"144"``, where
    ``"0k"`` said nothing)."""
    return f"{n:,}" if n < 10_000 else f"{n / 1000:.0f}k"


def resolve_backend(backend: str, n: int | None = None, kind: str = "scalar") -> tuple[str, str]:
    """Map ``auto|cpu|gpu`` to the backend that will run and the reason.

    ``gpu`` without a usable device raises :class:`BackendUnavailable`; ``auto`` falls
    back to the CPU and says why, and with ``n`` (unknowns) it also stays on the CPU below
    :func:`gpu_crossover` of ``kind``. No silent downgrade of an explicit request.
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
    if not status.usable:
        return "cpu", f"auto: no usable GPU ({status.reason})"
    if n is not None and n < gpu_crossover(kind):
        return "cpu", (
            f"auto: {_dof(n)} DOF below the GPU crossover ({_dof(gpu_crossover(kind))} "
            f"for {kind}); {status.reason}"
        )
    return "gpu", f"auto: {status.reason}"


# -- the registry -----------------------------------------------------------------------------

Factory = Callable[[Any, Options], Solver]
_FACTORIES: dict[tuple[str, str], Factory] = {}


def register_solver(backend: str, method: str, factory: Factory) -> None:
    """Register ``factory(A, options) -> Solver`` (see :class:`fea.solvers.base.Solver`)
    under ``(backend, method)``; used by :func:`solve` and :class:`Prepared` alike."""
    if backend not in ("cpu", "gpu"):
        raise InputError("backend", backend, "cpu or gpu")
    _FACTORIES[(backend, method)] = factory


class _OneShot:
    """A solve function ``func(A, b, kind=, near_null=, rtol=, maxiter=) -> (x, facts)`` as
    a registry solver: every solve calls it (nothing is kept but the matrix)."""

    device = "cpu"

    def __init__(self, func: Callable, name: str, A: Any, options: Options) -> None:
        self.func, self.name, self.A, self.options = func, name, A, options

    def update(self, A: Any) -> None:
        self.A = A

    def solve(self, b: Any, *, x0: Any = None, device_result: bool = False) -> tuple[Any, dict]:
        o = self.options
        b = b if hasattr(b, "shape") else np.asarray(b, dtype=np.float64)
        check_block(b, self.A.shape[0], "b")
        if b.ndim == 2:  # a one-shot function takes one right-hand side: column by column
            xs, per = [], []
            for j in range(b.shape[1]):
                xj, fj = self.solve(b[:, j])
                xs.append(xj)
                per.append(fj)
            facts = dict(per[0])
            facts["iterations"] = max(f["iterations"] for f in per)
            facts["residual"] = max(f["residual"] for f in per)
            facts["columns"] = len(per)
            return np.stack(xs, axis=1), facts
        x, facts = self.func(
            self.A, b, kind=o.kind, near_null=o.near_null, rtol=o.rtol, maxiter=o.maxiter
        )
        facts = dict(facts)
        facts.setdefault("method", self.name)
        facts.setdefault("iterations", 1)
        # the true residual, whatever the function says (its own, often the recursive one
        # of its iteration, kept beside it)
        if "residual" in facts:
            facts["reported_residual"] = facts["residual"]
        bn = float(np.linalg.norm(b))
        facts["residual"] = float(np.linalg.norm(self.A @ x - b)) / bn if bn > 0 else 0.0
        facts.setdefault("setup", "built")
        facts.setdefault("setup_s", 0.0)
        facts["device"] = self.device
        return x, facts

    def close(self) -> None:
        self.A = None


def register_method(name: str, func: Callable, *, backend: str = "cpu") -> None:
    """Register a one-shot solve ``func(A, b, kind=, near_null=, rtol=, maxiter=)`` returning
    ``(x, facts)`` as method ``name`` (CPU by default); ``facts`` may name the ``method``
    that ran and its ``iterations``. The residual reported is the true one,
    ``||b - A x|| / ||b||``, computed from ``x``; a ``residual`` in ``facts`` is kept as
    ``reported_residual``."""

    def factory(A: Any, options: Options) -> Solver:
        return _OneShot(func, name, A, options)

    register_solver(backend, name, factory)


for _name, _factory in CPU_METHODS.items():
    register_solver("cpu", _name, _factory)
for _name, _factory in GPU_METHODS.items():
    register_solver("gpu", _name, _factory)


def methods(backend: str) -> list[str]:
    """The methods registered for ``backend`` (``auto`` not included)."""
    return sorted(m for b, m in _FACTORIES if b == backend)


def registered() -> dict[tuple[str, str], Factory]:
    """A copy of the registry: ``(backend, method) -> factory``."""
    return dict(_FACTORIES)


def restore(table: dict[tuple[str, str], Factory]) -> None:
    """Replace the registry by ``table`` (a copy made by :func:`registered`)."""
    _FACTORIES.clear()
    _FACTORIES.update(table)


@contextlib.contextmanager
def registrations() -> Iterator[None]:
    """Solvers registered inside the ``with`` block are removed at its end (and any
    registration it replaced comes back): for tests and scripts that add a method."""
    saved = registered()
    try:
        yield
    finally:
        restore(saved)


def _select(where: str, method: str, n: int, kind: str) -> str:
    """The registered method that runs for ``method`` on ``where``: ``auto`` is device
    AMG-PCG on the GPU (on the CPU :func:`_plan_cpu` decides, and this gives the
    :func:`direct_limit` rule used without Pardiso); ``direct`` on the GPU is cuDSS
    (``method="cudss"``, :class:`~fea.errors.BackendUnavailable` where nvmath-python with
    cuDSS is not installed), never silently an iterative solver."""
    if method == "auto":
        name = ("direct" if n <= direct_limit(kind) else "amg") if where == "cpu" else "amg"
    else:
        name = _registered_name(where, method)
    if (where, name) not in _FACTORIES:
        other = "gpu" if where == "cpu" else "cpu"
        elsewhere = f" ({method!r} is a {other.upper()} method)" if _only_on(other, name) else ""
        raise InputError(
            "solver.method",
            method,
            f"one of auto, {', '.join(methods(where))} on the {where}{elsewhere}",
        )
    return name


def _registered_name(where: str, method: str) -> str:
    """The registry's name of ``method`` on ``where``: ``direct`` on the GPU is cuDSS."""
    return "cudss" if where == "gpu" and method == "direct" else method


def _only_on(where: str, method: str) -> bool:
    """True when ``method`` runs on ``where`` and has no counterpart on the other backend
    (``direct`` has one on each: Pardiso/SuperLU and cuDSS)."""
    other = "gpu" if where == "cpu" else "cpu"
    return (where, _registered_name(where, method)) in _FACTORIES and (
        other,
        _registered_name(other, method),
    ) not in _FACTORIES


@dataclass
class _Plan:
    """``method="auto"`` on the CPU: the method, why, the estimates (for ``SolveInfo.extra``)
    and Pardiso's analysis when the direct solver is to take it over."""

    name: str
    reason: str
    estimate: dict = field(default_factory=dict)
    analysis: PardisoAnalysis | None = None
    out_of_core: bool = False


#: Memory [bytes] per stored entry of the matrix that Pardiso's symbolic analysis is
#: given room for before ``auto`` runs it (ordering and symbolic factorisation take a few
#: times the matrix; less room: AMG without an analysis).
ANALYSIS_BYTES_PER_ENTRY = 40.0


#: Out-of-core factorisation's time over the in-core one's, as ``auto`` weighs it against
#: AMG-PCG (the factor written once and read back by each back-substitution). Measured on
#: 288k DOF of the clamped plate (a 1.2 GB factor, local disk, docs/performance.md
#: "Out-of-core factorisation"): 1.3 with 1024 MB in core, 4.0 with 512 MB.
OOC_TIME_FACTOR = 4.0


#: ``(out_of_core, folder)`` in force where :class:`Prepared` is given ``out_of_core=None``
#: (:func:`out_of_core_setting`): a study's ``[solver] out_of_core``, its case folder.
_OOC_SETTING: contextvars.ContextVar[tuple[bool | str, str | None]] = contextvars.ContextVar(
    "fea_out_of_core", default=("auto", None)
)


@contextlib.contextmanager
def out_of_core_setting(
    value: bool | str, folder: str | os.PathLike | None = None
) -> Iterator[None]:
    """Within the block, solves that do not say ``out_of_core`` take ``value`` (``"auto"``,
    True or False), and an out-of-core factor's files go to a fresh folder under ``folder``
    (an existing folder, e.g. next to the results; ``TMPDIR`` where None). For the context
    (thread) that enters it; :func:`fea.package.analyse.analyse` enters it with
    ``[solver] out_of_core`` and the case folder.

    Raises
    ------
    InputError
        ``value`` not ``"auto"``, true or false (key ``out_of_core``).
    """
    Options(out_of_core=value)  # checked as a solve's option
    where = None if folder is None else os.fspath(folder)
    token = _OOC_SETTING.set((value, where if where and os.path.isdir(where) else None))
    try:
        yield
    finally:
        _OOC_SETTING.reset(token)


def _ooc_estimate(analysis: PardisoAnalysis, direct: cost.Estimate) -> cost.Estimate:
    """The direct solver's cost out of core: in core its permanent symbolic data and the
    working part (:func:`fea.solvers.cpu.ooc_least_bytes`), about
    :data:`OOC_TIME_FACTOR` times the time."""
    return cost.Estimate(
        "direct",
        analysis.symbolic_bytes + ooc_least_bytes(analysis.factor_nnz, analysis.ooc_min_bytes),
        OOC_TIME_FACTOR * direct.seconds,
        dict(direct.facts, disk_bytes=OOC_DISK_BYTES_PER_ENTRY * analysis.factor_nnz),
    )


def _plan_ooc(
    choice: cost.Choice,
    analysis: PardisoAnalysis | None,
    out_of_core: object,
    available: float,
) -> tuple[str, bool, cost.Estimate] | None:
    """Whether ``auto`` factorises out of core: ``(reason, disk_short, its estimate)`` or
    None (in core as chosen). ``out_of_core=True`` asks for it whenever Pardiso's analysis
    ran;
    ``"auto"`` where neither the in-core factor nor AMG-PCG fits in the headroom (where
    ``auto`` ran the smaller one anyway, or refused) but the out-of-core factor does, and
    its files fit on the disk (the setting's folder, else ``TMPDIR``). ``disk_short``: it
    would be chosen but the disk is too small (the reason says so)."""
    if analysis is None or choice.direct is None or out_of_core is False:
        return None
    direct, amg = choice.direct, choice.amg
    ooc = _ooc_estimate(analysis, direct)
    where = _OOC_SETTING.get()[1] or tempfile.gettempdir()
    disk = float(shutil.disk_usage(where).free)
    need = ooc.facts["disk_bytes"]
    disk_txt = f"factor files {need / 1e9:.3g} GB, {disk / 1e9:.3g} GB free on disk in {where}"
    if out_of_core is True:
        return f"direct out of core (requested; {disk_txt})", False, ooc
    room = cost.MEMORY_HEADROOM * available
    if direct.memory <= room or ooc.memory > room:
        return None
    if amg.memory <= room:  # AMG-PCG in memory: no disk, no 1.3-4 x slower factor
        return None
    if need > disk:
        return f"out of core does not fit on the disk: {disk_txt}", True, ooc
    return (
        f"direct out of core (the in-core factor does not fit: out of core est. "
        f"{ooc.format()} in memory, {disk_txt})",
        False,
        ooc,
    )


def _plan_cpu(A: sp.csr_matrix, kind: str, out_of_core: object = "auto") -> _Plan:
    """Choose between the direct solver and AMG-PCG for ``A`` by their estimated memory and
    time (:mod:`fea.solvers.cost`): Pardiso's symbolic analysis of ``A`` (kept for the
    factorisation when the direct solver is picked) against the AMG model, within the memory
    available now. Without Pardiso the :func:`direct_limit` rule.

    Raises
    ------
    SolverError
        The method picked (the smaller where neither fits in the headroom) needs more than
        the whole available memory: both estimates and the free memory named."""
    n, nnz = A.shape[0], A.nnz
    if not pardiso_available():
        name = _select("cpu", "auto", n, kind)
        return _Plan(
            name,
            f"{name}: no Pardiso to estimate from; {_dof(n)} DOF against "
            f"the direct limit {_dof(direct_limit(kind))} for {kind}",
        )
    available = cost.available_memory()
    amg_method = AUTO_AMG_METHOD.get(kind, "amg")
    amg = cost.amg_estimate(n, nnz, kind, method=amg_method)
    analysis = direct = None
    failed = ""
    # the analysis (ordering, symbolic factorisation) takes a few times the matrix itself
    if ANALYSIS_BYTES_PER_ENTRY * nnz <= cost.MEMORY_HEADROOM * available:
        try:
            analysis = PardisoAnalysis(A)
        except SolverError as exc:  # e.g. Pardiso's -2, not enough memory for the analysis
            failed = f" (Pardiso's analysis failed: {exc})"
        else:
            direct = cost.direct_estimate(analysis)
    else:
        failed = " (no room for Pardiso's analysis)"
    choice = cost.choose(direct, amg, available)
    ooc = _plan_ooc(choice, analysis, out_of_core, available)
    if ooc is not None and not ooc[1]:
        estimate = {
            "available_bytes": available,
            "amg": {"bytes": amg.memory, "seconds": amg.seconds, **amg.facts},
            "direct": {"bytes": direct.memory, "seconds": direct.seconds, **direct.facts},
        }
        ooc_est = ooc[2]
        estimate["out_of_core"] = {
            "bytes": ooc_est.memory,
            "seconds": ooc_est.seconds,
            **ooc_est.facts,
        }
        return _Plan("direct", f"{ooc[0]}; {choice.reason}", estimate, analysis, True)
    if ooc is not None:  # out of core was the way, but its files do not fit on the disk
        failed += f"; {ooc[0]}"
    need = choice.direct if choice.method == "direct" else choice.amg
    if need is not None and need.memory > available:
        # neither fits even without the headroom: the smaller would be killed for memory
        # after its setup; say so before any work
        if analysis is not None:
            analysis.close()
        d_txt = (
            f"the direct solver about {direct.memory / 1e9:.2g} GB"
            if direct is not None
            else f"no direct estimate{failed}"
        )
        raise SolverError(
            f"method='auto' on the CPU: not enough memory for this system ({n:,} unknowns, "
            f"{nnz:,} entries): {d_txt}, AMG-PCG about {amg.memory / 1e9:.2g} GB, and "
            f"{available / 1e9:.2g} GB free (MemAvailable, capped by the cgroup's room "
            "and FEA_MEMORY_GB); free memory or raise FEA_MEMORY_GB, run it where more is "
            "free, or coarsen the mesh (a larger mesh.size_mm); an explicit solver.method "
            f"runs without this check{failed if ooc is not None else ''}"
        )
    estimate = {
        "available_bytes": available,
        "amg": {"bytes": amg.memory, "seconds": amg.seconds, **amg.facts},
    }
    if direct is not None:
        estimate["direct"] = {"bytes": direct.memory, "seconds": direct.seconds, **direct.facts}
    if choice.method != "direct" and analysis is not None:
        analysis.close()
        analysis = None
    name = amg_method if choice.method == "amg" else choice.method
    return _Plan(name, choice.reason + failed, estimate, analysis)


def _where(backend: str, method: str, n: int, kind: str) -> tuple[str, str]:
    """:func:`resolve_backend`, except that ``backend="auto"`` with ``method="direct"`` stays
    on the CPU where the device has no direct solver (cuDSS): an automatic choice does not
    turn an explicit direct request into an error or an iterative solve; and that
    ``backend="auto"`` with a method registered on the GPU only (``jacobi``, ``cudss``) runs
    on the GPU at any size, or raises :class:`~fea.errors.BackendUnavailable` saying why no
    GPU is usable (it named the CPU's methods as if the method were misspelt); and that
    ``backend="auto"`` with a method that has no device counterpart (``amg-xp``) stays on
    the CPU where a GPU would otherwise be taken."""
    if backend == "auto" and _only_on("cpu", method):
        return "cpu", f"auto: method={method!r} runs on the CPU only"
    if backend == "auto" and _only_on("gpu", method):
        # an explicit device method: on the device whatever the size, never an error about
        # the CPU's methods where the device is missing
        status = probe_device()
        if not status.usable:
            raise BackendUnavailable(
                f"method={method!r} runs on the GPU only, and no GPU is usable here: "
                f"{status.reason}"
            )
        return "gpu", f"auto: method={method!r} runs on the GPU only; {status.reason}"
    where, reason = resolve_backend(backend, n=n, kind=kind)
    if backend == "auto" and where == "gpu" and method == "direct" and not cudss_available():
        return "cpu", f"auto: method='direct' and no cuDSS on the device ({reason})"
    return where, reason


def assembly_namespace(
    backend: str = "auto", n: int | None = None, kind: str = "scalar", method: str = "auto"
) -> Namespace:
    """Where a system of ``n`` unknowns of ``kind`` is to be assembled for the solver that
    :func:`prepare` will pick with these arguments: :data:`fea.fe.namespace.HOST` (NumPy and
    SciPy), or the device namespace (CuPy and cupyx) when the solve runs on the GPU, so the
    matrix is built where it is solved and never copied. Physics asks this instead of
    resolving backends or importing device modules itself."""
    where, _ = _where(backend, method, n if n is not None else 0, kind)
    return device_namespace() if where == "gpu" else HOST


class Prepared:
    """One matrix set up once for many right-hand sides (time steps, load cases), and for
    nearby matrices (temperature states, Picard iterations) through :meth:`update`.

    The factorization or the AMG hierarchy (CPU or device) is built in the constructor and
    kept. After :meth:`update` an AMG hierarchy keeps its coarse levels with the new fine
    matrix; a solve that then needs more than ``rebuild_factor`` times the iterations of the
    first solve after setup rebuilds it. A CPU factorisation is redone by :meth:`update`
    unless ``keep`` (or :attr:`keep_factor`) asks to keep it: the new matrix is then solved
    by PCG preconditioned by the kept factor, to ``rtol``, capped at the cost of a
    factorisation (:class:`fea.solvers.cpu.DirectSolver`), and refactorised past the cap.
    ``SolveInfo.extra["setup"]`` says which happened: ``"built"``, ``"reused"`` or
    ``"rebuilt"`` (with ``setup_s``). Use as a context manager.

    Parameters
    ----------
    A
        SPD matrix, shape (n, n): SciPy sparse, or cupyx CSR already on the device.
    kind, backend, method, near_null, rtol, maxiter
        As :func:`solve`.
    precision
        The AMG of :mod:`fea.solvers.amg` (device ``amg``, CPU ``amg-xp``): ``"mixed"``
        (float32 V-cycle under float64 CG) or ``"double"``.
    rebuild_factor
        Iteration growth past which a reused hierarchy is rebuilt (1.5).
    factor_precision
        The CPU direct solver's factor: ``"double"`` (default) or ``"single"`` (float32
        Pardiso; every solve PCG on the matrix preconditioned by it, to ``rtol``: for a
        factor that preconditions; :attr:`fea.solvers.base.Options.factor_precision`).
    keep_factor
        The default of :meth:`update`'s ``keep`` (False: a factorisation is redone for a
        new matrix, every answer exact to rounding); an attribute the owner may change. A
        study's group sets it (:class:`fea.package.analyse.SolverContext`): its later
        material cases took 4-10 PCG iterations on the first case's factor at 139k DOF,
        0.6-2.0 s a state against 10 s a factorisation (docs/performance.md, "Grouped
        sweeps in a study").
    out_of_core
        As :func:`solve` (None: :func:`out_of_core_setting`'s value, ``"auto"`` outside
        one).
    """

    def __init__(
        self,
        A: Any,
        *,
        kind: str = "scalar",
        backend: str = "auto",
        method: str = "auto",
        near_null: NDArray | None = None,
        rtol: float = 1e-10,
        maxiter: int = 2000,
        precision: str = "mixed",
        rebuild_factor: float = 1.5,
        keep_factor: bool = False,
        factor_precision: str = "double",
        out_of_core: bool | str | None = None,
    ) -> None:
        t0 = time.perf_counter()
        n = A.shape[0]
        #: The default of :meth:`update`'s ``keep``
        self.keep_factor = bool(keep_factor)
        self.kind, self.method, self.near_null = kind, method, near_null
        self.options = Options(
            kind=kind,
            near_null=near_null,
            rtol=rtol,
            maxiter=maxiter,
            precision=precision,
            rebuild_factor=rebuild_factor,
            factor_precision=factor_precision,
            out_of_core=_OOC_SETTING.get()[0] if out_of_core is None else out_of_core,
            ooc_dir=_OOC_SETTING.get()[1],
        )
        self.rtol, self.maxiter, self.backend = self.options.rtol, self.options.maxiter, backend
        self.where, self.reason = _where(backend, method, n, kind)
        if self.where == "cpu" and not sp.issparse(A):
            raise InputError("A", type(A).__name__, "a SciPy sparse matrix on the CPU backend")
        self.A = sp.csr_matrix(A) if self.where == "cpu" else A
        check_matrix(self.A, kind, near_null)
        #: ``method="auto"`` on the CPU: both methods' estimates (memory, seconds), else {}
        self.estimate: dict = {}
        plan = None
        if self.where == "cpu" and method == "auto":
            plan = _plan_cpu(self.A, kind, self.options.out_of_core)
            name, self.estimate = plan.name, plan.estimate
            self.reason = f"{self.reason}; {plan.reason}"
            # the plan decides: out of core where it chose so, else in core
            self.options = dataclasses.replace(self.options, out_of_core=plan.out_of_core)
        else:
            name = _select(self.where, method, n, kind)
            if self.options.out_of_core is True:
                self.reason = f"{self.reason}; out of core requested (direct solver only)"
        factory = _FACTORIES[(self.where, name)]
        if plan is not None and plan.analysis is not None and factory is DirectSolver:
            self._solver: Solver | None = DirectSolver(self.A, self.options, plan.analysis)
        else:
            if plan is not None and plan.analysis is not None:  # another direct solver
                plan.analysis.close()
            self._solver = factory(self.A, self.options)
        self.name = self._solver.name
        self._block_pre: BlockPreconditioner | None = None
        self.setup_s = time.perf_counter() - t0

    @property
    def namespace(self) -> Namespace:
        """Where this solver's matrix and vectors live (:data:`fea.fe.namespace.HOST` on the
        CPU, the device namespace on the GPU): assemble the next matrix there."""
        return HOST if self.where == "cpu" else device_namespace()

    def update(self, A: Any, *, keep: bool | None = None) -> None:
        """Replace the matrix (same size, e.g. the next temperature state or material case);
        the solver keeps what it can: an AMG hierarchy's coarse levels; a CPU factorization
        is redone, or with ``keep`` (None: :attr:`keep_factor`) kept as the preconditioner
        of PCG on the new matrix (the answers then to ``rtol``, not to rounding), a matrix
        equal to the factorised one solved directly with it
        (:meth:`fea.solvers.cpu.DirectSolver.update`). ``keep`` does nothing to the other
        solvers.

        Raises
        ------
        InputError
            ``A`` of another shape, or the solver closed.
        """
        if A.shape != self.A.shape:
            raise InputError("A", A.shape, f"a matrix of the prepared shape {self.A.shape}")
        live = self._live()
        check_real("A", A)
        A = sp.csr_matrix(A) if self.where == "cpu" else A
        check_finite_matrix(A, self.kind)
        check_symmetric(A)
        self.A = A
        keep = self.keep_factor if keep is None else bool(keep)
        if isinstance(live, DirectSolver):
            live.update(self.A, keep=keep)
        else:
            live.update(self.A)

    def _live(self) -> Solver:
        if self._solver is None:
            raise InputError("Prepared", "closed", "an open prepared solver")
        return self._solver

    def solve(
        self, b: Any, *, x0: Any = None, device_result: bool = False
    ) -> tuple[Any, SolveInfo]:
        """Solve ``A x = b`` with the prepared matrix; ``b`` shape (n,), or a block (n, k) of
        right-hand sides solved with the one setup (a direct solver's factor: one
        back-substitution of the block; AMG: one batched PCG of the block with the one
        hierarchy, :func:`fea.solvers.krylov.block_pcg`), NumPy
        (or CuPy on the GPU backend). ``x`` has ``b``'s shape; ``info.iterations`` and
        ``info.residual`` are the largest over the columns. ``x0``: a start of ``b``'s
        shape (iterative methods). ``device_result``: return ``x`` on the device (GPU
        backend).

        Raises
        ------
        SolverError
            ``b`` holds a NaN or inf (:func:`fea.solvers.base.check_finite_rhs`: nothing is
            solved), or the solve fails.
        """
        t0 = time.perf_counter()
        live = self._live()
        if not hasattr(b, "shape"):
            b = np.asarray(b)
        check_real("b", b)
        check_finite_rhs(b, self.kind)
        if x0 is not None:
            if not hasattr(x0, "shape"):
                x0 = np.asarray(x0)
            check_real("x0", x0)
            check_finite_rhs(x0, self.kind, start=True)
        x, facts = live.solve(b, x0=x0, device_result=device_result)
        facts = dict(facts)
        info = SolveInfo(
            self.where,
            facts.pop("method"),
            device=facts.pop("device", "cpu"),
            reason=self.reason,
            iterations=int(facts.pop("iterations", 1)),
            residual=float(facts.pop("residual", 0.0)),
            extra=facts,
        )
        if self.estimate:
            info.extra["estimate"] = self.estimate
        info.seconds = time.perf_counter() - t0
        return x, info

    @property
    def factor_precision(self) -> str | None:
        """A CPU direct solver's factor precision now (``"single"`` or ``"double"``), None
        for other solvers."""
        return getattr(self._live(), "factor_precision", None)

    def apply(self, b: Any) -> Any:
        """``A^-1 b`` as a preconditioner uses it: the answer only, without the residual
        check and facts of :meth:`solve` (a direct solver's back-substitution alone; an
        iterative one solves as :meth:`solve`)."""
        live = self._live()
        fast = getattr(live, "apply", None)
        return fast(b) if fast is not None else live.solve(b)[0]

    def precondition(self, r: Any) -> Any:
        """One application of the prepared preconditioner to ``r`` (n,) or a block (n, k),
        in the solver's namespace: a direct solver's back-substitution (of the whole
        block), an AMG hierarchy's V-cycle (on the block where the cycle takes one, else
        column by column; :class:`fea.solvers.base.BlockPreconditioner`), not a solve; a
        one-shot method solves. For Krylov iterations on nearby matrices preconditioned
        by this one (:func:`fea.solvers.krylov.block_pcg`)."""
        live = self._live()
        pre = getattr(live, "pre", None)
        if pre is None:
            fast = getattr(live, "apply", None)
            if fast is not None:
                return fast(r)
            return live.solve(r, device_result=self.where == "gpu")[0]
        if self._block_pre is None or self._block_pre.M is not pre:
            self._block_pre = BlockPreconditioner(pre)
        return self._block_pre(r)

    def close(self) -> None:
        if self._solver is not None:
            self._solver.close()
            self._solver = None

    def __enter__(self) -> Prepared:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prepare(A: Any, **kwargs: Any) -> Prepared:
    """Set ``A`` up once for many solves; keyword arguments as :class:`Prepared`."""
    return Prepared(A, **kwargs)


def solve(
    A: Any,
    b: Any,
    *,
    kind: str = "scalar",
    backend: str = "auto",
    method: str = "auto",
    near_null: NDArray | None = None,
    rtol: float = 1e-10,
    maxiter: int = 2000,
    precision: str = "mixed",
    device_result: bool = False,
    out_of_core: bool | str | None = None,
) -> tuple[NDArray[np.float64], SolveInfo]:
    """Solve ``A x = b`` for SPD ``A`` (n x n) and return ``(x, info)``: :func:`prepare`,
    one solve, close.

    Parameters
    ----------
    A
        SciPy sparse; on the GPU backend also cupyx CSR already on the device (assembled
        and eliminated there: one copy in, none for the matrix).
    b
        Right-hand side, shape (n,), or a block of them (n, k) (:meth:`Prepared.solve`):
        NumPy, or CuPy on the GPU backend.
    kind
        ``"scalar"`` (conduction) or ``"elasticity"`` (3 unknowns per node, interleaved).
    backend
        ``auto`` (the GPU where usable and the system above :func:`gpu_crossover`),
        ``cpu`` or ``gpu``.
    method
        ``auto`` (CPU: the direct solver or AMG-PCG, whichever is estimated faster within
        the memory available, :mod:`fea.solvers.cost`; AMG-PCG is the method of
        :data:`AUTO_AMG_METHOD`, ``amg-xp`` for elasticity, where Pardiso is installed;
        with the estimates in
        ``info.reason`` and ``info.extra["estimate"]``; GPU: device AMG-PCG),
        or a registered method: CPU ``direct``, ``amg`` (pyamg),
        ``amg-xp`` (the device hierarchy's code on NumPy, energy-minimising prolongator,
        MKL products); GPU ``amg``, ``amg-pyamg``,
        ``jacobi``, ``cudss``. An unknown method raises :class:`~fea.errors.InputError`
        listing them.
    near_null
        Rigid-body modes, shape (n, 6), for AMG on elasticity.
    rtol, maxiter
        Iterative methods: stop where PCG's (recursive) residual is at most ``rtol ||b||``,
        rtol in (0, 1], within ``maxiter`` iterations (a whole number >= 1); checked for
        every method. ``info.residual`` is the true ``||b - A x|| / ||b||``.
    precision
        As :class:`Prepared`.
    device_result
        GPU backend: return ``x`` as a CuPy array (no copy back).
    out_of_core
        The CPU direct solver's factor in files (MKL Pardiso out of core, in a fresh
        folder under ``TMPDIR``, removed after the solve or a failure; its in-core part at
        most ``MKL_PARDISO_OOC_MAX_CORE_SIZE`` MB where set, else half the free memory):
        ``True`` always (``method`` ``"auto"`` then takes the direct solver where Pardiso's
        analysis ran), ``False`` never, ``"auto"`` (the default: None takes
        :func:`out_of_core_setting`'s value, ``"auto"`` outside one) where ``method="auto"`` finds
        that neither the in-core factor nor AMG-PCG fits in the free memory (with
        :data:`fea.solvers.cost.MEMORY_HEADROOM`) but the out-of-core factor does and its
        files fit on the disk. ``info.extra["out_of_core"]`` says whether it ran,
        ``info.reason`` why.

    Raises
    ------
    InputError
        An option out of range or unknown (``backend``, ``method``, ``kind``, ``rtol``,
        ``maxiter``, ``precision``, ``out_of_core``), naming it and what is allowed.
    BackendUnavailable
        ``backend="gpu"`` where no GPU is usable, or ``method="cudss"`` without it.
    SolverError
        ``A`` or ``b`` holds a NaN or inf (before any work), ``method="auto"`` on the CPU
        where even the method estimated smaller needs more than the free memory (naming
        both estimates and the free memory, and the disk space where out of core was the
        way; before any setup), an out-of-core factor's files do not fit on the disk or
        cannot be written (naming what was needed and what is free), or the solve fails.
    """
    t0 = time.perf_counter()
    with Prepared(
        A,
        kind=kind,
        backend=backend,
        method=method,
        near_null=near_null,
        rtol=rtol,
        maxiter=maxiter,
        precision=precision,
        out_of_core=out_of_core,
    ) as p:
        x, info = p.solve(b, device_result=device_result)
    info.seconds = time.perf_counter() - t0
    return x, info
