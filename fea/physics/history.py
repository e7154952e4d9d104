"""Mechanical history: time stepping with viscoelastic materials, and process stages in
which regions are born and removed.

Each step solves for the total displacement ``u`` at the step's end,

.. math:: \\sum_{e\\ \\mathrm{active}} \\int_e B^T \\sigma = f_{ext}, \\qquad
          \\sigma = \\mathbb{C}_e : (\\varepsilon(u) - \\varepsilon_0 I - \\varepsilon_b)
                    + \\sigma_h,

with the isotropic eigenstrain ``eps0`` of :mod:`fea.physics.eigenstrain` (thermal
expansion from each region's stress-free temperature, cure shrinkage as far as the
region has cured), ``eps_b`` the strain a region had when it was born (zero for regions
present from the start) and, in a viscoelastic region, the step's algorithmic tangent
``C_e`` and history stress ``sigma_h`` of the recursive integration of
:class:`~fea.physics.viscoelastic.Viscoelastic` (Taylor, Pister & Goudreau 1970; Simo &
Hughes 1998, ch. 10), with the history at the quadrature points and the relaxation
temperature of each element its mean nodal temperature (as ``E(T)`` of elastic
materials). An elastic region's stress depends on its current strain only, so a history
of elastic materials gives at every time the state :func:`~fea.physics.mechanics.
solve_thermoelastic` gives; a viscoelastic one remembers the path (cooling-rate
dependence, heating/cooling hysteresis).

Birth and removal (ANSYS EKILL/EALIVE, Abaqus ``*MODEL CHANGE``): elements of a region
not yet born contribute no stiffness and their nodes that no active element touches are
held where they are, so the system stays positive definite. A region added at the start
of a stage is born stress free in the current, deformed configuration: its unattached
nodes take the extension of the attached nodes' displacement (its best affine fit, so a
rigid motion or uniform strain continues exactly, plus the elastic extension of the
remainder: an elasticity problem on the region with those nodes prescribed; on a model
cut by symmetry planes, ``symmetry=``, the fit and the extension of the full body) and its
strain at that moment,
``eps_b = eps(u) - eps0 I``, is kept as an offset. A removed region takes its stress with
it: the total formulation leaves its tractions on the rest unbalanced, and the next solve
releases them. Displacements, stresses and viscoelastic histories carry over from stage
to stage. Each connected part of the active body without enough Dirichlet conditions is
held by its own statically determinate 3-2-1 support (no stress; rigid-body part
projected out), so a panel cut into units stays solvable.

Solver reuse: the stiffness depends on the step only through the viscoelastic tangents,
i.e. on each element's reduced-time increment ``dxi`` (:meth:`~fea.physics.viscoelastic.
Viscoelastic.lame_at`). Far below the shift's reference temperature ``dxi ~ 0`` (glassy)
and far above it every Prony term relaxes within a step (rubbery), so most steps of a
reflow repeat one of two stiffnesses. Factorisations (or AMG hierarchies) are cached;
a step whose tangent is within ``snap_tol`` of a cached one (:meth:`~fea.physics.
viscoelastic.Viscoelastic.step_distance`: the largest weighted change of any term's decay
or interpolation weight) takes that entry's ``dxi`` for its viscoelastic elements -- one
consistent step with a nearby reduced-time increment -- and costs one back-substitution.
Other steps solve the exact system by conjugate gradients preconditioned by the nearest
cached factorisation (:func:`fea.solvers.pcg`), or factorise anew when the estimated
iterations cost more than a factorisation. A step that takes a cached entry right after
another step with it solves for its load increment, ``u_prev + A^-1 (b - b_prev)``, and
takes the part of that increment in the span of the entry's earlier right-hand sides
from their stored solutions: a glassy or a relaxed step's increment is the regions'
thermal loads times the temperature step, so after the first few steps of a regime most
steps cost no back-substitution at all (what the span leaves is accumulated and solved
once it exceeds a hundred times the residual a back-substitution leaves).

Where things are: the stages and the steps they imply in :mod:`fea.physics.process`; the
state between steps, a step's stiffness and loads, birth and removal in
:mod:`fea.physics.history_step`; the results in :mod:`fea.physics.history_results`; the
linear solves, which see matrices only, in :class:`fea.solvers.recycle.RecyclingSolver`.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError, IterationLimitError, SolverError
from ..fe.spaces import check_mesh
from ..solvers.base import FACTOR_PRECISIONS, MAXITER_CAP, naming_solve
from ..solvers.cpu import single_threaded_openblas
from ..solvers.recycle import RecyclingSolver
from ..solvers.registry import direct_limit
from ..validate import check_count, check_range, check_rtol
from .cycling import CyclingProfile
from .history_newton import TangentPreconditioner
from .history_results import HistoryResult, HistoryState, WatchedHistory
from .history_step import HistoryModel, StepWatch, check_symmetry_conditions
from .materials import Material
from .mechanics import check_shrinkage, nodal_temperature
from .process import MAX_STEPS, Process, Stage, count_steps, stage_segments

__all__ = ["HistoryResult", "HistoryState", "Process", "Stage", "WatchedHistory", "solve_history"]

Temperature = float | NDArray[np.float64] | Callable[..., Any]

#: Most PCG iterations of a Newton correction preconditioned by the kept tangent
#: factorisation (:class:`~fea.physics.history_newton.TangentPreconditioner`) before it
#: refactorises: a fresh factor of a nearby tangent takes a few. ``maxiter`` below it
#: lowers it (:func:`solve_history`).
TANGENT_PCG_MAXITER = 100


def solve_history(
    mesh: Any,
    materials: Mapping[str, Material],
    history: Process | CyclingProfile | Sequence[tuple[float, Temperature]],
    reference: float | Mapping[str, float] = 25.0,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    backend: str = "auto",
    *,
    method: str = "auto",
    shrinkage: bool | Sequence[str] = False,
    traction: Mapping[str, Sequence[float]] | None = None,
    eigenstrain: ArrayLike | None = None,
    substeps: int = 1,
    max_step_K: float | None = 10.0,
    rtol: float = 1e-8,
    maxiter: int = 2000,
    snap_tol: float = 1e-3,
    max_factorizations: int = 2,
    max_cg_iterations: int = 20,
    progress: Callable[[str], None] | None = None,
    newton_rtol: float = 1e-8,
    newton_max_iter: int = 25,
    newton_dtol: float = 1e-6,
    max_cutbacks: int = 6,
    newton_preconditioner: str = "auto",
    newton_refactor_iterations: int | None = None,
    newton_factor_precision: str = "auto",
    newton_predictor: str = "extrapolate",
    symmetry: Sequence[str] = (),
    inelastic_step_tol: float | None = None,
    watch: Mapping[str, ArrayLike] | None = None,
) -> HistoryResult:
    """Solve a mechanical history: temperatures over time, viscoelastic materials, and
    regions born and removed by process stages (see the module).

    Parameters
    ----------
    mesh, materials
        As :func:`fea.solve_thermoelastic`; a material with a ``relaxation`` is
        viscoelastic (its ``E`` the instantaneous modulus).
    history
        A list of ``(time [s], temperature)`` points, the temperature a float [degC],
        nodal values or ``f(x, y, z)`` (linear in time between points; one state per
        point, the first an instantaneous solve; the states' times count from the first
        point, the labels keep its times), or a :class:`Process` (one state per
        stage end and per ``Stage.outputs`` time), or a
        :class:`~fea.physics.cycling.CyclingProfile` (its points: a JEDEC temperature
        cycle, uniform).
    reference
        Stress-free temperature [degC] of the regions present from the start: a float, or
        region -> degC with ``"*"`` for the rest. A region born later is stress free at
        its birth whatever its reference.
    fixed
        Boundary -> {component: displacement [m]} held over the history (a stage's own
        ``fixed`` replaces it during that stage): the same meaning as in
        :func:`fea.solve_thermoelastic` (the component ``"n"``: along a flat boundary's
        normal, held in nodal frames), applied to the nodes of the active elements only.
        None or empty: free body (each connected part held by its own stress-free 3-2-1
        support, its rigid-body motion projected out).
    shrinkage
        Cure shrinkage applied from the start: True (every material that has one) or a
        list of regions; a region in some stage's ``cure`` starts uncured.
    traction
        Boundary -> (tx, ty, tz) [Pa], a constant surface load (e.g. a creep test).
    eigenstrain
        An isotropic strain [-] added to the thermal one over the whole history, as in
        :func:`fea.solve_thermoelastic` (one number, (n_el,) or (n_el, n_q)): e.g. the
        hygroscopic swelling of a soaked package through its reflow. It is constant: the
        swelling of the moisture state it was computed from (the state at the end of the
        soak bounds the swelling of a package that dries during reflow from above).
    substeps
        Least number of time steps between two history points (or per stage).
    max_step_K
        Largest temperature change of one step [K] (more steps where needed); None: no
        limit. All stages together may imply at most :data:`fea.physics.process.MAX_STEPS`
        steps (an :class:`~fea.errors.InputError` with the estimate otherwise).
    rtol
        Relative residual ``|b - A x| <= rtol |b|`` of the conjugate-gradient steps
        (steps that reuse an exact or snapped factorisation are direct solves).
    maxiter
        The iteration limit of the history's iterative solves (``[solver] maxiter`` of a
        study; a whole number >= 1). A solve by an iterative method (``method`` amg or
        jacobi, or auto where it takes AMG) that does not reach ``rtol`` within it raises
        :class:`~fea.errors.IterationLimitError` naming the stage and the step (a
        history does not cut a step for it). PCG preconditioned by a kept factorisation
        (a step near a cached one, :data:`~fea.solvers.recycle.NEARBY_CG_MAXITER`; a
        Newton correction on the kept tangent, :data:`TANGENT_PCG_MAXITER`, or on the
        step's elastic factorisation) has its own, smaller cap: past it a factorisation
        costs less than the iterations, so it factorises and solves directly instead of
        failing; ``maxiter`` below that cap lowers it, above it leaves it.
    snap_tol
        How close a step's viscoelastic tangent must be to a cached one to take that
        one's reduced-time increment (:meth:`~fea.physics.viscoelastic.Viscoelastic.
        step_distance`); 0: never. An APPROXIMATION: a snapped step is a consistent step
        with a nearby reduced-time increment, not the exact one. Measured on the strip
        cure/cooling/reflow of ``tests/physics/test_history.py``
        (``test_snapping_changes_the_warpage_by_less_than_its_bound``, 56 steps): against
        the exact-tangent run (``snap_tol=0``) the curvature of every state differs by at
        most 3.3e-7 of the largest curvature at the default 1e-3 (32 steps snapped; 37 and
        4.3e-7 before snapping counted the drift of many snapped steps), 1.5e-4 at 1e-2;
        on the reflow of the baseline unit
        (``scripts/bench_history.py --size 1.6 --order 1 --exact``, 36,522 DOF, 61 steps,
        49 snapped) the signed warpage moves by at most 6.1e-8 of its largest value
        (docs/history.md).
    max_factorizations
        How many factorisations (or AMG hierarchies) are kept at once.
    max_cg_iterations
        A step whose stiffness is neither cached nor snapped is solved by CG
        preconditioned by the nearest cached factorisation when the classical bound on
        its iterations (from the ratio of the two stiffnesses' moduli) is at most this;
        otherwise its own stiffness is factorised.
    newton_rtol, newton_dtol, newton_max_iter, max_cutbacks
        Steps with inelastic materials (``Material(..., inelastic=...)``) are solved by
        global Newton (see :mod:`fea.physics.history_step`): converged when the
        out-of-balance force is at most ``newton_rtol`` times the step's force scale (the
        norms of the load and of the internal forces, reactions included) and the last
        correction at most ``newton_dtol`` of the displacement (or the force residual below
        1e-3 of its tolerance); a step not converged in
        ``newton_max_iter`` corrections is cut in two halves (time, temperature, cure),
        recursively up to ``max_cutbacks`` times, then a :class:`~fea.errors.SolverError`
        names the step, its time and its length. A ``newton_rtol`` below the residual's
        rounding floor (1e-14 on a small model) is not cut: a step whose residual stalls
        there is accepted (:mod:`fea.solvers.newton`), counted in
        ``solver_info["newton_floor_steps"]`` and warned about once. Without inelastic
        materials these do nothing (the history is solved as before, step by step linear).
        An inelastic region is refused (:class:`~fea.errors.InputError`, before any solve)
        where a stage's temperature or its stress-free ``reference`` passes its law's
        solidus (:meth:`fea.physics.inelastic.Anand.check_solid`).
    newton_preconditioner
        What preconditions the PCG solves of the Newton steps' tangent systems:
        ``"tangent"``, a factorisation of a recent consistent tangent, kept across
        iterations and steps and refactorised when the PCG iterations it costs add up
        (:class:`~fea.physics.history_newton.TangentPreconditioner`); ``"elastic"``, the
        recycling solver's factorisation of the step's elastic stiffness; ``"auto"``
        (default): ``"tangent"`` where the system is solved directly (``method`` direct,
        or auto on the CPU within :func:`fea.solvers.registry.direct_limit`), else
        ``"elastic"``. Both solve to the same tolerance (``rtol``); the tangent takes a
        few PCG iterations where the elastic one takes tens (docs/history.md).
    newton_refactor_iterations
        When the kept tangent factorisation is replaced: once the PCG iterations beyond
        the baseline after a factorisation add up past this number; None (default): what
        a factorisation costs in PCG iterations, about, for the system's size
        (:func:`~fea.solvers.cost.factorization_iterations`). A count, so the
        history takes the same path on any machine and under any load.
    newton_factor_precision
        The kept tangent factorisation's precision: ``"single"`` (Pardiso in float32:
        back-substitutions, most of a large cycling history's time, in about 0.65 of the
        time; PCG still solves the float64 tangent to its tolerance), ``"double"``, or
        ``"auto"`` (default): single from
        :data:`~fea.physics.history_newton.SINGLE_FACTOR_MIN_UNKNOWNS` unknowns, where it
        pays, double below. A tangent float32 cannot factorise (conditioning past about
        1e7) is factorised in double from then on. ``solver_info`` gives
        ``tangent_factor_precision``.
    newton_predictor
        Newton's first iterate in a step with inelastic regions: ``"extrapolate"``
        (default) continues a ramp (this step's temperature change parallel to the last
        step's) by extrapolating the last steps' Newton solutions along it, the
        cumulative temperature change the parameter (quadratic through the last two
        increments, linear through one:
        :func:`fea.physics.history_step.ramp_extrapolation`), and elsewhere (a first step,
        a dwell, a turn, a change of the constraints) solves the step's loads through the
        last converged tangent;
        ``"tangent"`` solves that predictor at every step. Both converge to the same
        tolerances; the extrapolation saves a tangent assembly and a linear solve a
        ramp step (docs/history.md).
    symmetry
        The planes through the origin that cut the model: ``"x"``, ``"y"`` (the planes
        x = 0, y = 0) and ``"d"`` (the plane x = y: an eighth, the part ``0 <= y <= x``):
        ``mesh`` is the part ``x >= 0`` (and ``y >= 0``, and ``y <= x``) of a body
        symmetric about them, and ``fixed`` holds zero normal displacement on the planes
        (e.g. ``{"symmetry_x": {"x": 0.0}}``, and on the inclined plane the component
        ``"n"``, along the boundary's own normal: ``{"symmetry_d": {"n": 0.0}}``). A
        region born during the history then continues the FULL body's displacement (its
        affine fit over the body's mirror images,
        :func:`~fea.physics.history_step.symmetric_affine_fit`; its nodes on a plane keep
        u . n = 0), so every state is the full body's restricted to the model. Without
        births nothing else depends on it. Default ``()``: the mesh is the whole body.
    inelastic_step_tol
        Adaptive steps for histories with inelastic materials (as Abaqus' ``CETOL`` or
        ANSYS' creep ratio): the target of the largest equivalent inelastic strain
        increment of one step at any material point [-], e.g. ``2e-3``. Each step's
        length in time is the last one's times ``0.9 tol / (its largest increment)``
        (between 1/4 and 2 times it), at most the fixed step (of ``max_step_K`` and
        ``substeps``) times :data:`ADAPTIVE_MAX_GROWTH` and at least that over
        :data:`ADAPTIVE_MAX_REFINE`; a stage's output times are kept; a step is never
        repeated (the next one is sized instead). None (default): fixed steps. Nothing changes
        without inelastic materials.
    watch
        Element sets to follow through every converged step, sub-steps and cut-back halves
        included: name -> element indices (each non-empty, within the mesh, no
        repeats). Their volume-averaged stress, strain and temperature after each step
        go to ``HistoryResult.watched`` (:class:`~fea.physics.history_results.
        WatchedHistory`), e.g. a solder joint's interface layer for its hysteresis loop
        (a few numbers per set and step; the reported states are not changed). None
        (default): none.

    Returns
    -------
    HistoryResult
        ``.times`` [s], ``.states`` (one :class:`HistoryState` each), ``.labels``. The
        numbers do not depend on what any cache held before the call: the solver's
        caches live for the call only (the Pardiso ordering kept per pattern gives the
        same factorisation).
    """
    t_start = time.perf_counter()
    check_mesh(mesh)
    if isinstance(history, CyclingProfile):
        history = history.history()
    process = history if isinstance(history, Process) else Process.from_points(history)
    _check_arguments(mesh, process, fixed, substeps, max_step_K, snap_tol, max_factorizations)
    watch_sets = _check_watch(watch, mesh.n_elements)
    # as the elastic solves check it: 1 raised a TypeError, a misspelt region ["l3"] was
    # silently no shrinkage
    check_shrinkage(mesh, shrinkage)
    control = None
    if inelastic_step_tol is not None:
        control = _StepControl(
            check_range("inelastic_step_tol", inelastic_step_tol, 0.0, 0.1, lo_open=True)
        )
    maxiter = check_count("maxiter", maxiter, MAXITER_CAP, "iterations")
    check_rtol("newton_rtol", newton_rtol)
    check_rtol("newton_dtol", newton_dtol)
    check_count("newton_max_iter", newton_max_iter, 1000, "Newton corrections per step")
    if newton_predictor not in ("extrapolate", "tangent"):
        raise InputError("newton_predictor", newton_predictor, "'extrapolate' or 'tangent'")
    if newton_factor_precision not in ("auto", *FACTOR_PRECISIONS):
        raise InputError(
            "newton_factor_precision",
            newton_factor_precision,
            "'auto', " + " or ".join(f"'{p}'" for p in FACTOR_PRECISIONS),
        )
    if newton_refactor_iterations is not None:
        newton_refactor_iterations = check_count(
            "newton_refactor_iterations", newton_refactor_iterations, 10**9, "PCG iterations"
        )
    if (
        isinstance(max_cutbacks, bool)
        or not isinstance(max_cutbacks, int)
        or not (0 <= max_cutbacks <= 20)
    ):
        raise InputError("max_cutbacks", max_cutbacks, "an integer in [0, 20]")
    solver = RecyclingSolver(
        backend=backend,
        method=method,
        rtol=check_rtol("rtol", rtol),
        max_factorizations=max_factorizations,
        snap_tol=float(snap_tol),
        max_cg=float(max_cg_iterations),
        maxiter=maxiter,
    )
    model = HistoryModel(
        mesh,
        materials,
        reference,
        born=process.born,
        shrinkage=shrinkage,
        cured_later=[r for s in process.stages for r in s.cure],
        traction=traction,
        solver=solver,
        eigenstrain=eigenstrain,
        symmetry=symmetry,
    )
    for stage in process.stages:  # a stage's own fixed replaces the history's
        check_symmetry_conditions(
            mesh,
            model.symmetry,
            fixed if stage.fixed is None else stage.fixed,
            "fixed" if stage.fixed is None else f"stage.{stage.name}.fixed",
        )
    model.newton_options = {
        "rtol": newton_rtol,
        "dtol": newton_dtol,
        "max_iter": newton_max_iter,
        "predictor": newton_predictor,
    }
    if model.inel_laws and _tangent_preconditioner(
        newton_preconditioner, backend, method, 3 * model.fs.n
    ):
        model.tangent_pre = TangentPreconditioner(
            refactor_iterations=newton_refactor_iterations,
            maxiter=min(TANGENT_PCG_MAXITER, maxiter),
            precision=newton_factor_precision,
        )
    temps = [_stage_temperature(model, s) for s in process.stages]
    _check_solid(model, process, temps, reference)
    dTs = [float(np.abs(b - a).max()) for a, b in zip([temps[0], *temps], temps, strict=False)]
    count_steps(process.stages, dTs, substeps, max_step_K)
    out = _Output()
    if watch_sets:
        model.watch = out.watch = StepWatch(model.fs, watch_sets)
    # NumPy's BLAS on one thread beside Pardiso's (single_threaded_openblas)
    with (
        single_threaded_openblas(),
        naming_solve(lambda: f"the history ({model.step_label or 'its start'})"),
    ):
        try:
            T_prev = temps[0]
            t = 0.0
            for i, stage in enumerate(process.stages):
                _begin_stage(model, stage, fixed, backend, method, started=i > 0)
                if i == 0:
                    model.step_label = f"stage {stage.name!r}, the instantaneous solve at t = 0 s"
                    facts = model.start(T_prev)
                    # an instantaneous start is the start's solve, unless it cures a
                    # region (at once: one step of length 0 to the cured state)
                    if stage.duration_s == 0.0 and not stage.cure:
                        out.add(t, stage.name, model.state(t, facts), progress)
                        continue
                t = _run_stage(
                    model,
                    stage,
                    t,
                    T_prev,
                    temps[i],
                    substeps,
                    max_step_K,
                    out,
                    max_cutbacks,
                    control,
                )
                T_prev = temps[i]
                if progress:
                    progress(stage.name)
        finally:
            solver.close()
            if model.tangent_pre is not None:
                model.tangent_pre.close()
    info = dict(solver.stats)
    info["total_s"] = time.perf_counter() - t_start
    info["backend"] = backend
    if model.inel_laws:
        info.update(model.newton_stats)
        floor_steps = int(info.get("newton_floor_steps", 0))
        if floor_steps:
            warnings.warn(
                f"{floor_steps} of {info['newton_steps']} Newton steps stopped at the "
                "rounding floor of the residual (at most "
                f"{info['newton_floor_residual']:.1e} of the force scale) above "
                f"newton_rtol = {newton_rtol:g}, which float64 cannot reach on this model: "
                "those states are as converged as the arithmetic allows (a newton_rtol of "
                "1e-10 or more, the default 1e-8, converges without this note)",
                UserWarning,
                stacklevel=2,
            )
    where = solver.last_setup.get("backend", "cpu")
    for s in out.states:
        s.solver_info["history"] = {k: info[k] for k in ("steps", "factorizations")}
        # the results file's flat summary (DESIGN: backend, device of every result)
        s.solver_info.setdefault("backend", where)
        s.solver_info.setdefault("device", "cpu" if where == "cpu" else "cuda:0")
    watched = {}
    w = out.watch
    if w is not None:
        for k, (name, e) in enumerate(w.sets.items()):
            temp, stress, strain = w.record(k)
            watched[name] = WatchedHistory(
                e.copy(),
                np.asarray(w.times, dtype=float),
                temp,
                stress,
                strain,
                np.asarray(w.states, dtype=np.int64),
            )
    return HistoryResult(
        np.asarray(out.times, dtype=float), out.states, out.labels, info, watched
    )


def _check_watch(watch: Any, n_elements: int) -> dict[str, NDArray[np.int64]]:
    """``solve_history``'s ``watch``: name -> element indices, checked."""
    if watch is None:
        return {}
    if not isinstance(watch, Mapping):
        raise InputError("watch", type(watch).__name__, "a mapping name -> element indices")
    out = {}
    for name, el in watch.items():
        key = f"watch[{name!r}]"
        if not isinstance(name, str) or not name:
            raise InputError("watch", name, "non-empty names")
        try:
            e = np.asarray(el)
        except (TypeError, ValueError):
            e = np.asarray([None])
        if e.ndim != 1 or e.size == 0 or not np.issubdtype(e.dtype, np.integer):
            raise InputError(key, f"shape {e.shape}, {e.dtype}", "a non-empty 1-D integer array")
        if e.min() < 0 or e.max() >= n_elements:
            raise InputError(key, f"{int(e.min())}..{int(e.max())}", f"0..{n_elements - 1}")
        if np.unique(e).size != e.size:
            raise InputError(key, "a repeated element", "each element once")
        out[name] = e.astype(np.int64)
    return out


def _tangent_preconditioner(choice: Any, backend: str, method: str, n: int) -> bool:
    """Whether the Newton steps' PCG is preconditioned by a kept tangent factorisation
    (``newton_preconditioner`` of :func:`solve_history`) for ``n`` unknowns."""
    if choice not in ("auto", "tangent", "elastic"):
        raise InputError("newton_preconditioner", choice, "'auto', 'tangent' or 'elastic'")
    if choice != "auto":
        return choice == "tangent"
    if method == "direct":
        return True
    return method == "auto" and backend in ("cpu", "auto") and n <= direct_limit("elasticity")


#: How far an adaptive step (``inelastic_step_tol`` of :func:`solve_history`) may grow
#: beyond the fixed step of ``max_step_K`` and ``substeps``: a factor.
ADAPTIVE_MAX_GROWTH = 4.0
#: How far an adaptive step may shrink below the fixed step: a factor.
ADAPTIVE_MAX_REFINE = 64.0


class _StepControl:
    """Step lengths of an inelastic history from the largest equivalent inelastic strain
    increment of the last step (``inelastic_step_tol`` of :func:`solve_history`)."""

    def __init__(self, tol: float) -> None:
        self.tol = tol
        self.dt: float | None = None  # the next step's wanted length [s]
        self.taken = 0.0  # the length of the step being taken [s]
        self.rate = 0.0  # the largest increment over the step length of the last step [1/s]
        self.before: dict[str, Any] = {}

    def steps(
        self, model: HistoryModel, duration: float, a: float, b: float, n: int
    ) -> Iterator[float]:
        """The stage fractions at the ends of the steps from ``a`` to ``b`` (``n`` fixed
        steps there), one at a time (each step's length from the one before)."""
        nominal = duration * (b - a) / n
        lo, hi = nominal / ADAPTIVE_MAX_REFINE, nominal * ADAPTIVE_MAX_GROWTH
        s = a
        while b - s > 1e-12:
            dt = min(max(self.dt if self.dt is not None else nominal, lo), hi)
            self.dt = dt
            # the steps left, of equal length, to end on the segment's end
            k = max(1, math.ceil(duration * (b - s) / dt - 1e-9))
            s_next = b if k == 1 else s + (b - s) / k
            self.taken = duration * (s_next - s)
            self.before = {r: model.inel_states[r] for r in model.inelastic_present}
            s = s_next
            yield s

    def observe(self, model: HistoryModel) -> None:
        """The next step's length from the converged step's largest increment."""
        if self.dt is None or not self.before:
            return
        inc = 0.0
        for r, st in self.before.items():
            new = model.inel_states.get(r)
            if new is not None and new.eq_strain.shape == st.eq_strain.shape:
                inc = max(inc, float(np.max(new.eq_strain - st.eq_strain, initial=0.0)))
        grow = 2.0 * max(self.taken, self.dt)
        rate = inc / self.taken if self.taken > 0 else 0.0
        # a rate that grew from the step before is expected to grow as much again
        trend = min(max(rate / self.rate, 1.0), 10.0) if self.rate > 0 else 1.0
        want = grow if inc <= 0.0 else 0.9 * self.tol / (inc * trend) * self.taken
        self.dt = min(max(want, 0.25 * self.taken), grow)
        self.rate = rate
        self.before = {}


class _Output:
    """The states kept so far, with their times and labels."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.labels: list[str] = []
        self.states: list[HistoryState] = []
        self.watch: StepWatch | None = None

    def add(
        self,
        t: float,
        label: str,
        state: HistoryState,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.times.append(t)
        self.labels.append(label)
        self.states.append(state)
        if self.watch is not None:
            self.watch.mark_state()
        if progress:
            progress(label)


def _check_arguments(
    mesh: Any,
    process: Process,
    fixed: Any,
    substeps: Any,
    max_step_K: Any,
    snap_tol: Any,
    max_factorizations: Any,
) -> None:
    """The checks of :func:`solve_history`'s arguments that need no solve."""
    check_count("substeps", substeps, MAX_STEPS, "least time steps per stage")
    if max_step_K is not None:
        check_range("max_step_K", max_step_K, 0.0, None, lo_open=True, unit="K")
    if isinstance(snap_tol, bool) or not isinstance(snap_tol, int | float):
        raise InputError("snap_tol", snap_tol, "a tolerance in [0, 0.1)")
    check_range("snap_tol", snap_tol, 0.0, 0.1, hi_open=True)
    if (
        isinstance(max_factorizations, bool)
        or not isinstance(max_factorizations, int)
        or (max_factorizations < 1)
    ):
        raise InputError("max_factorizations", max_factorizations, "an integer >= 1")
    for s in process.stages:
        for kind in ("add", "remove", "cure"):
            for r in getattr(s, kind):
                if r not in mesh.regions:
                    raise InputError(
                        f"stage.{s.name}.{kind}",
                        r,
                        f"a region of the mesh ({', '.join(mesh.regions)})",
                    )
    if fixed is not None and not isinstance(fixed, Mapping):
        raise InputError("fixed", type(fixed).__name__, "a dict boundary -> {'z': 0.0}")
    _check_presence(mesh, process)
    _check_support_changes(process, fixed)
    first = process.stages[0]
    for key, regions in ((f"stage.{first.name}.remove", first.remove),):
        if regions:
            raise InputError(key, regions, "regions present before (not in the first stage)")
    if first.add:
        raise InputError(
            f"stage.{first.name}.add",
            first.add,
            "regions born after the start (not in the first stage)",
        )


def _supports(fixed: Mapping[str, Mapping[str, float]] | None) -> dict[str, dict]:
    """``fixed`` as plain dicts, None and ``{}`` alike (a free body)."""
    return {
        name: dict(comps) if isinstance(comps, Mapping) else comps
        for name, comps in (fixed or {}).items()
    }


def _same_supports(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """``a == b``; True where they cannot be compared (an array for a displacement, which
    :func:`~fea.physics.mechanics.prescribed_displacements` refuses naming its key)."""
    try:
        return bool(a == b)
    except (ValueError, TypeError):
        return True


def _check_support_changes(process: Process, fixed: Any) -> None:
    """A stage without its own ``fixed`` (None) takes the supports given to
    :func:`solve_history`, not those of the stage before: right after a stage with its own
    supports (a release, ``fixed={}``) that would clamp the body again where those
    supports hold it (a released, warped body pressed back onto its mandrel's face). That
    is refused at the stage's key rather than taken silently: give the stage its supports."""
    base = _supports(fixed)
    prev = base
    for i, s in enumerate(process.stages):
        own = None if s.fixed is None else _supports(s.fixed)
        if own is None and i > 0 and not _same_supports(prev, base):
            before = process.stages[i - 1].name
            raise InputError(
                f"stage.{s.name}.fixed",
                None,
                f"its supports given explicitly: stage {before!r} set its own ({prev}), and "
                f"None returns to those given to solve_history ({base}), e.g. clamps a "
                "released body again ({} keeps it free)",
            )
        prev = base if own is None else own


def _check_presence(mesh: Any, process: Process) -> None:
    """Walk the stages' births and removals: a stage may cure only regions present in it
    (a cure listed before the region's birth was accepted and lost), and some region must
    remain (a body that no longer exists has no warpage to report)."""
    born = set(process.born)
    present = [r for r in mesh.regions if r not in born]
    for i, stage in enumerate(process.stages):
        if i > 0:
            present = [r for r in present if r not in stage.remove] + list(stage.add)
        absent = [r for r in stage.cure if r not in present]
        if absent:
            raise InputError(
                f"stage.{stage.name}.cure",
                absent,
                "regions present in the stage (added by it or before it, not removed)",
            )
        if not present:
            raise InputError(
                f"stage.{stage.name}.remove",
                list(stage.remove),
                "removals that leave some region of the body",
            )


def _check_solid(
    model: HistoryModel,
    process: Process,
    temps: list[NDArray[np.float64]],
    reference: float | Mapping[str, float],
) -> None:
    """Refuse, before any solve, a history that takes an inelastic region above its law's
    solidus (a molten joint computed as a solid): a region present from the start whose
    stress-free temperature (``reference``) is above it, or one present in a stage at
    the stage's start or end temperature (linear in between, so the ends bound it), named
    after the stage. At the solidus itself is allowed. The stage temperatures are judged
    at the region's nodes (:meth:`~fea.physics.history_step.HistoryModel.check_solid`),
    not at its quadrature points, where a quadratic mesh's interpolation can overshoot
    every node of an element."""
    present = [r for r in model.present if r in model.inel_laws]
    for r in present:
        law = model.inel_laws[r]
        key = "reference"
        if isinstance(reference, Mapping):
            key = f"reference.{r}" if r in reference else "reference.*"
        law.check_solid(key, model.ref[r], f"region {r} (its stress-free temperature)")
    alive = set(model.present)
    for i, stage in enumerate(process.stages):
        if i > 0:
            alive = (alive - set(stage.remove)) | set(stage.add)
        hot = [r for r in model.inel_laws if r in alive]
        if not hot:
            continue
        key = f"stage.{stage.name}.temperature"
        if i > 0:  # the stage starts where the last one ended
            model.check_solid(temps[i - 1], key + " (the stage's start)", hot)
        model.check_solid(temps[i], key, hot)


def _stage_temperature(model: HistoryModel, stage: Stage) -> NDArray[np.float64]:
    """The stage's nodal end temperature [degC], its errors named after the stage."""
    try:
        return nodal_temperature(model.fs, stage.temperature_C)
    except InputError as err:
        raise InputError(f"stage.{stage.name}.temperature", err.value, err.allowed) from None


def _begin_stage(
    model: HistoryModel,
    stage: Stage,
    fixed: Mapping[str, Mapping[str, float]] | None,
    backend: str,
    method: str,
    *,
    started: bool,
) -> None:
    """The stage's supports, then its removals and births (not in the first stage)."""
    model.set_fixed(fixed if stage.fixed is None else stage.fixed)
    if stage.remove and started:
        model.remove(stage.remove)
    if stage.add and started:
        model.step_label = f"stage {stage.name!r}, the birth of {', '.join(stage.add)}"
        model.add(stage.add, backend, method)


def _run_stage(
    model: HistoryModel,
    stage: Stage,
    t: float,
    T_prev: NDArray[np.float64],
    T_end: NDArray[np.float64],
    substeps: int,
    max_step_K: float | None,
    out: _Output,
    max_cutbacks: int = 0,
    control: _StepControl | None = None,
) -> float:
    """Step through one stage from ``T_prev`` to ``T_end`` (linear in time, cure linear
    over the stage), keeping a state at each output time and at the end; with
    ``control``, steps of inelastic histories sized by it. Returns the time at the
    stage's end [s]."""
    cure0 = dict(model.cure)
    dT = float(np.abs(T_end - T_prev).max())
    facts: dict[str, Any] = {}
    for a, b, n in stage_segments(stage, substeps, dT, max_step_K):
        if control is not None and model.inelastic_present and stage.duration_s > 0:
            fractions = control.steps(model, stage.duration_s, a, b, n)
        else:
            fractions = iter([a + (b - a) * k / n for k in range(1, n + 1)])
        s = a
        for s_next in fractions:
            s_prev, s = s, s_next
            T_new = T_prev + s * (T_end - T_prev)
            cure = dict(cure0)
            for r in stage.cure:
                cure[r] = s
            if not model.inelastic_present:
                t_new = t + stage.duration_s * s
                model.step_label = f"stage {stage.name!r}, step to t = {t_new:.6g} s"
                facts = model.step(stage.duration_s * (s - s_prev), T_new, cure)
                continue
            T_old = T_prev + s_prev * (T_end - T_prev)
            cure_old = dict(cure0)
            for r in stage.cure:
                cure_old[r] = s_prev
            t_old = t + stage.duration_s * s_prev
            dt = stage.duration_s * (s - s_prev)
            facts = _nonlinear_step(
                model,
                f"stage {stage.name!r}",
                t_old,
                dt,
                T_old,
                T_new,
                cure_old,
                cure,
                max_cutbacks,
            )
            if control is not None:
                control.observe(model)
        if b < 1.0:
            tb = t + stage.duration_s * b
            out.add(tb, f"{stage.name}+{stage.duration_s * b:g}s", model.state(tb, facts))
    t += stage.duration_s
    out.add(t, stage.name, model.state(t, facts))
    return t


def _nonlinear_step(
    model: HistoryModel,
    name: str,
    t0: float,
    dt: float,
    T0: NDArray[np.float64],
    T1: NDArray[np.float64],
    cure0: Mapping[str, float],
    cure1: Mapping[str, float],
    cuts_left: int,
    depth: int = 0,
) -> dict[str, Any]:
    """One step with inelastic materials from ``(t0, T0, cure0)`` to ``(t0 + dt, T1,
    cure1)``; on a :class:`~fea.errors.SolverError` (the model is then as before the step)
    two half steps, recursively, ``cuts_left`` more times at most."""
    model.step_label = f"{name}, step to t = {t0 + dt:.6g} s (dt = {dt:.4g} s)"
    try:
        return model.step(dt, T1, cure1)
    except IterationLimitError:
        raise  # a half step needs as many iterations: the limit is the study's to change
    except SolverError as err:
        if cuts_left <= 0:
            raise SolverError(
                f"{name}: the step from t = {t0:.6g} s to t = {t0 + dt:.6g} s did not "
                f"converge after {depth} time-step cuts (dt = {dt:.4g} s): {err}"
            ) from err
    model.newton_stats["cutbacks"] += 1
    Tm = 0.5 * (T0 + T1)
    cm = {r: 0.5 * (cure0[r] + cure1[r]) for r in cure1}
    h = 0.5 * dt
    _nonlinear_step(model, name, t0, h, T0, Tm, cure0, cm, cuts_left - 1, depth + 1)
    return _nonlinear_step(model, name, t0 + h, h, Tm, T1, cm, cure1, cuts_left - 1, depth + 1)
