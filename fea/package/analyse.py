"""Package-level analyses of a validated case: thermal metrics and warpage.

This is the glue between a :class:`~fea.package.spec.CaseSpec` and the physics: it builds
the meshes, applies the loads of the spec, and reduces fields to the numbers a
package engineer tabulates.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..physics.history import Process, Stage, solve_history
from ..physics.mechanics import close_solver_cache, solve_thermoelastic
from ..physics.post import MoltenWarning, YieldWarning, yield_ratios
from ..physics.thermal import ThermalResult, solve_thermal
from ..solvers.base import naming_solve
from ..solvers.recycle import SolverCache
from . import jedec
from .geometry.imported import has_active_face
from .geometry.symmetry import (
    Unfolding,
    mesh_symmetry,
    symmetric_recovery,
    symmetry_axes,
    symmetry_boundaries,
    symmetry_fixed,
    symmetry_share,
)
from .meshing import build_mesh
from .moisture import (
    MoistureAnalysis,
    known_densities,
    library_materials,
    moisture_analysis,
    moisture_states,
)
from .names import Column
from .power_map import hotspot, thermal_loads
from .progress import history_stages, stage
from .sizing import MeshDependenceWarning, mesh_warnings
from .spec import PANEL_STAGES, CaseSpec, check_case_spec
from .spec.analyses import WARPAGE_FACE_BOUNDARY
from .spec.constants import THERMAL_OUTPUTS
from .spec.geometry import GeometrySpec, is_imported, junction_region, without_board
from .spec.moisture import ClassificationReflow, MoistureSpec
from .transient import dual_interface, zth_transient

__all__ = [
    "ApertureWarning",
    "SolverContext",
    "TJ_IMPLAUSIBLE_C",
    "ThermalAnalysis",
    "analyse",
    "history_metrics",
    "history_process",
    "independent_panel_metrics",
    "mechanics_fixed",
    "mechanics_mesh",
    "mechanics_symmetry",
    "panel_metrics",
    "reflow_profile",
    "reflow_tags",
    "reflow_times",
    "shielding_metrics",
    "state_times",
    "thermal_analysis",
    "thermal_metrics",
    "warpage_metrics",
]


KERF = "kerf"  # the panel's kerf regions are ``kerf_<region>`` (geometry/panel.py)

#: Regions whose first principal stress is tabulated: the brittle ones (silicon, mould
#: compound crack under tension, not by yielding).
BRITTLE_REGIONS = ("die", "encapsulant")


def _base_region(r: str) -> str:
    """The region whose material a kerf region ``kerf_<region>`` has (else ``r``)."""
    return r.removeprefix(f"{KERF}_") if r.startswith(f"{KERF}_") else r


def mesh_materials(mesh: Any, case: CaseSpec) -> dict[str, Any]:
    """The case's materials of the regions ``mesh`` has (a unit's warpage mesh has no
    board, a unit no mandrel), the board's conductivity from its copper stack and vias
    (:func:`fea.package.jedec.case_materials`); a panel's kerf region has the material it
    cuts."""
    mats = jedec.case_materials(case)
    return {r: mats[_base_region(r)] for r in mesh.regions if _base_region(r) in mats}


def mesh_reference(mesh: Any, case: CaseSpec) -> dict[str, float]:
    """The case's stress-free temperatures of the regions ``mesh`` has, and ``"*"``."""
    ref = case.loads.reference
    out = {r: T for r, T in ref.items() if r == "*" or r in mesh.regions}
    for r in mesh.regions:
        if r not in out and _base_region(r) in ref:
            out[r] = ref[_base_region(r)]
    return out


@dataclasses.dataclass
class ThermalAnalysis:
    """What :func:`thermal_analysis` found: the metrics, the steady result, the
    ``[transient]`` result (or None) and the curves (name -> column -> values)."""

    metrics: dict[str, float]
    steady: ThermalResult
    transient: ThermalResult | None
    curves: dict[str, dict[str, NDArray[np.float64]]]


def thermal_metrics(case: CaseSpec, backend: str | None = None) -> tuple[dict[str, float], Any]:
    """The thermal metrics of the case (see :func:`thermal_analysis`); returns
    (metrics, steady ThermalResult). ``case`` is checked as its study file would be
    (:func:`~fea.package.spec.check_case_spec`) before anything is meshed."""
    check_case_spec(case)
    a = thermal_analysis(case, backend)
    return a.metrics, a.steady


def thermal_analysis(case: CaseSpec, backend: str | None = None) -> ThermalAnalysis:
    """The thermal metrics of a unit case, steady and transient.

    In the case's environment (:mod:`fea.package.jedec`): theta_JA = (Tj - T_amb) / P
    (still air; ``R_ja_uniform_h`` under uniform h), theta_JMA (forced air), theta_JB (ring
    cold plate), psi_JB and psi_JT = (Tj - T_top) / P with T_top at the centre of the
    shell's rear face. theta_JC on the package alone
    (:func:`~fea.package.jedec.package_case`: no board, the same in every environment) by
    the transient dual-interface method of JESD51-14
    (:func:`~fea.package.transient.dual_interface`), or with ``[theta_jc] method =
    "fixed_case"`` the steady (Tj - T_case) / P with the rear face held at T_amb and every
    other face adiabatic; ``hotspot_C``: the hottest point of the die's active face (its
    location ``hotspot_x_mm``, ``hotspot_y_mm`` left out without power);
    ``Tj_over_limit_flag``: 1 when Tj (or its transient peak) exceeds ``[limits] Tj_max_C``.
    With ``[transient]``: the heating curve, its structure function and their metrics
    (:func:`~fea.package.transient.zth_transient`), the environment's surface
    coefficients held at their steady values.
    """
    backend = backend or case.solver.backend
    mesh, _ = build_mesh(case)
    mesh = jedec.environment_mesh(mesh, case)
    mats = mesh_materials(mesh, case)
    loads = case.loads
    P = loads.total_power

    def per_watt(dT: float) -> float:
        # no power: the resistances are not defined; undefined_per_watt drops them below
        return dT / P if P > 0 else math.nan

    if P <= 0:
        warnings.warn(
            "thermal resistances (theta, psi, Zth) are not defined: the case has no power; "
            "their columns are left empty (the temperatures and warpage are reported)",
            stacklevel=2,
        )
    bc = jedec.boundary_conditions(mesh, case)
    fixed = {**loads.fixed, **bc.fixed}
    heat = thermal_loads(mesh, case)
    steady = dict(
        backend=backend,
        method=case.solver.method,
        rtol=case.solver.rtol,
        maxiter=case.solver.maxiter,
    )
    stage("thermal")
    with naming_solve("the steady thermal solve"):
        th = solve_thermal(mesh, mats, **heat, convection=bc.convection, fixed=fixed, **steady)
    junction = junction_region(case.geometry)  # the die, or an imported model's role
    tj = th.region_max(junction)
    t_die = th.temperature[np.unique(th.space.dofs[mesh.regions[junction]])]
    m = {
        "Tj_max_C": tj,
        **jedec.jedec_metrics(case, th, bc),
        "die_spread_K": float(t_die.max() - t_die.min()),
        "heat_balance_ratio": th.heat_balance() if P > 0 else math.nan,
        "thermal_solve_s": th.solver_info["stages"]["total_s"],
        "thermal_nodes_count": float(th.temperature.shape[0]),
    }
    if not is_imported(case.geometry) or (junction == "die" and has_active_face(mesh)):
        spot = hotspot(th, mesh)
        if P <= 0:  # no heat: the face has no hot spot, its hottest node is any node
            spot = {"hotspot_C": spot["hotspot_C"]}
        m.update(spot)
    curves: dict[str, dict[str, NDArray]] = {}
    # theta_JC is the package's: solved on the package alone (its own mesh, no board,
    # no environment), so that every environment of one package gives the same value
    pkg = jedec.package_case(case)
    pkg_mesh = mesh if case.geometry.board is None else build_mesh(pkg)[0]
    if case.theta_jc.method == "fixed_case":
        with naming_solve("the theta_JC solve (fixed case)"):
            jc = solve_thermal(
                pkg_mesh,
                mesh_materials(pkg_mesh, pkg),
                **thermal_loads(pkg_mesh, pkg),
                fixed={"shell_top": loads.ambient},
                **steady,
            )
        m["theta_jc_K_per_W"] = per_watt(jc.region_max(junction) - loads.ambient)
    else:
        stage("theta_jc (dual interface)")
        _warn_placeholder_capacity(case, "theta_jc (JESD51-14 dual interface)")
        m["theta_jc_K_per_W"], jc_curves = dual_interface(pkg, pkg_mesh, **steady)
        curves.update(jc_curves)
    tr = None
    if case.transient is not None:
        stage("transient")
        _warn_placeholder_capacity(case, "the [transient] heating curve")
        # surface models (natural convection, radiation) held at their steady values
        conv = {
            name: ((th.surface_h[name], Tinf) if name in th.surface_h else (h, Tinf))
            for name, (h, Tinf) in bc.convection.items()
        }
        tm, tc, tr = zth_transient(case, th, dict(heat, convection=conv, fixed=fixed, **steady))
        m.update(tm)
        curves.update(tc)
    peak = max(tj, m.get("Tj_peak_C", tj))
    m["Tj_over_limit_flag"] = float(peak > case.limits.Tj_max)
    if peak > TJ_IMPLAUSIBLE_C:  # a number no package reaches: most often an input slip
        warnings.warn(
            f"case {case.name}: Tj {peak:.4g} C is beyond what any package survives (its "
            f"solder melts at about 217 C, mould compounds decompose at 300-400 C; the "
            f"material data stop at 300 C): an input slip is likely: power_W in W (not mW), "
            f"h and the environment (a package without its board, or in still air, runs "
            f"far hotter than on a JESD51-7 board)",
            UserWarning,
            stacklevel=2,
        )
    if P <= 0:
        m = undefined_per_watt(m)
    return ThermalAnalysis(m, th, tr, curves)


#: [degC] A junction temperature above which a case gets a note that no package survives
#: it (its solder melts, its mould compound decomposes): a result there is an input slip
#: more often than a design.
TJ_IMPLAUSIBLE_C = 400.0


def _warn_placeholder_capacity(case: CaseSpec, what: str) -> None:
    """Warn where a transient reads a study's new material whose ``rho`` or ``cp`` is the
    placeholder 1000 (not stated in its table): its heat capacity is then not the
    material's, and the curve's times with it."""
    from .spec.materials import unstated

    seen: dict[str, tuple[str, ...]] = {}
    for material in case.materials.values():
        name = getattr(material, "name", material)
        if name not in seen and (keys := unstated(case.raw, name)):
            seen[name] = keys
    for name, keys in seen.items():
        given = ", ".join(f"materials.library.{name}.{k}" for k in keys)
        warnings.warn(
            f"{what} takes {name}'s heat capacity from placeholders ({given} not given: "
            "1000 kg/m^3, 1000 J/(kg K)): give them for a transient that is the material's",
            UserWarning,
            stacklevel=2,
        )


def undefined_per_watt(metrics: dict[str, Any]) -> dict[str, Any]:
    """``metrics`` without what is not defined for a case with no power: every value per
    watt (theta, psi, Zth, structure-function resistances: the ``*_K_per_W`` columns, any
    per-watt capacity) and the heat balance ratio. A table shows their cells empty and the
    case's notes say why; nothing is written as NaN."""
    return {
        k: v
        for k, v in metrics.items()
        if not (k.endswith("_K_per_W") or k.endswith("_J_per_K") or k == "heat_balance_ratio")
    }


def mechanics_mesh(case: CaseSpec, mcase: CaseSpec | None = None) -> Any:
    """The mesh of a mechanical model of ``case``: ``mcase`` (default ``case``: a panel's
    stage; :func:`warpage_case` for a unit) meshed as the ``[mesh] symmetry`` model (x >= 0
    for ``half``, x, y >= 0 for ``quarter``, 0 <= y <= x for ``eighth``:
    :mod:`fea.package.geometry.symmetry`). A
    geometry or power map that is not symmetric about the planes is refused
    (:func:`~fea.package.geometry.symmetry.check_symmetry`). On a cut model a ``[process]``
    history that adds regions continues the full body's displacement into them
    (:func:`mechanics_symmetry`, ``symmetry=`` of :func:`fea.solve_history`) and
    ``[moisture]`` reports the full body's water (:func:`fea.package.moisture.
    moisture_analysis` with ``share``)."""
    mesh, _ = build_mesh(case if mcase is None else mcase, symmetry=case.mesh.symmetry)
    return mesh


def mechanics_symmetry(mesh: Any) -> tuple[str, ...]:
    """The axes of the symmetry planes that cut ``mesh`` (``()`` for a full model), for
    :func:`fea.solve_history` ``symmetry=``: ``("d", "x", "y")`` for an eighth (``"d"``
    the plane x = y)."""
    return symmetry_axes(mesh_symmetry(mesh))


def mechanics_fixed(mesh: Any) -> dict[str, dict[str, float]] | None:
    """The supports of a free body meshed as ``mesh``: zero normal displacement on its
    symmetry planes (None for a full model: free, rigid modes held by 3-2-1 supports)."""
    return symmetry_fixed(mesh_symmetry(mesh)) or None


class SolverContext:
    """What the cases of a study's group share (``[sweep] group``): the mechanics solver
    setup (factorisation or AMG hierarchy) of the group's first case, kept across the
    cases that run on its mesh.

    Each warpage state (its tag) keeps its own setup, so a later case's state goes to
    the kept solver of the same state of the earlier cases
    (:func:`fea.physics.mechanics.solve_thermoelastic` with ``solver_cache``): an
    identical stiffness (a load sweep) is solved with the kept setup as it is; another
    one (a material sweep) through :meth:`fea.solvers.Prepared.update`: an AMG hierarchy
    is kept as the preconditioner of PCG, capped at ``rebuild_factor`` times the
    iterations of its first solve and rebuilt for the case past that cap; a direct
    factorisation is kept too (``keep``, :meth:`fea.solvers.cpu.DirectSolver.update`): PCG
    preconditioned by it, capped at the cost of a factorisation
    (:func:`fea.solvers.cost.factorization_iterations`), the case's matrix refactorised
    past that cap. A case on another mesh starts a new setup. The results equal those of
    a case run alone to the solver's tolerance (``[solver] rtol``; a direct solve on an
    identical matrix or a refactorised one: to rounding). It holds one setup per warpage
    state (a factorisation each on the direct path). Close with :meth:`close` (or use as a
    context manager).

    Parameters
    ----------
    group
        The group's name (its first case's id), recorded in each case's facts.
    keep_factor
        Keep a direct factorisation across the cases' matrices as above (True); False
        refactorises each case's new matrix (every answer to rounding).
    """

    def __init__(self, group: str = "", keep_factor: bool = True) -> None:
        self.group = str(group)
        self.keep_factor = bool(keep_factor)
        self.cases = 0  # cases solved in this context so far
        self.setups = 0  # meshes set up in this context
        self._mesh_key: str | None = None
        self._caches: dict[str, dict] = {}
        #: Facts of the last case: ``reused_states``, its warpage states solved with the
        #: setup an earlier case of the group left (kept as it was, or updated to the
        #: new matrix and kept as the preconditioner), ``states`` (its elastic states)
        #: and ``solver_reused`` (any).
        self.last: dict[str, Any] = {}

    def begin(self, mesh: Any) -> None:
        """Start a case on ``mesh``: a mesh other than the kept setups' closes them."""
        import hashlib

        h = hashlib.sha1(np.ascontiguousarray(mesh.nodes).tobytes())
        h.update(repr(sorted(mesh.regions)).encode())
        key = h.hexdigest()
        if key != self._mesh_key:
            self.close()
            self._mesh_key = key
            self.setups += 1

    def solver_cache(self, state: str) -> tuple[dict, bool]:
        """The solver cache of the warpage state ``state`` (its tag, e.g. ``"25C"``): each
        state keeps its own setup across the cases (the same state of the next case is the
        nearest matrix: the same one in a load sweep), and whether it holds an earlier
        case's setup. A kept direct solver is told to keep its factorisation for the next
        matrix (:attr:`fea.solvers.Prepared.keep_factor`) as :attr:`keep_factor` says."""
        cache = self._caches.setdefault(str(state), {})
        solvers = cache.get("solvers")
        if isinstance(solvers, SolverCache):
            for held in solvers.held:
                held.prepared.keep_factor = self.keep_factor
        return cache, bool(cache)

    def close(self) -> None:
        """Free the kept solvers."""
        for cache in self._caches.values():
            close_solver_cache(cache)
        self._caches.clear()
        self._mesh_key = None

    def __enter__(self) -> SolverContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _solve_me(
    mesh, case: CaseSpec, T: float, backend: str, cache: dict | None = None, eigenstrain=None
):
    """:func:`fea.solve_thermoelastic` of a state on ``mesh``; on a cut model its free parts'
    rigid motions removed as the full body's (``symmetry=``: the units of a singulated
    panel)."""
    return solve_thermoelastic(
        mesh,
        mesh_materials(mesh, case),
        T,
        mesh_reference(mesh, case),
        fixed=mechanics_fixed(mesh),
        shrinkage=case.loads.cure_shrinkage,
        backend=backend,
        method=case.solver.method,
        rtol=case.solver.rtol,
        maxiter=case.solver.maxiter,
        solver_cache=cache,
        eigenstrain=eigenstrain,
        symmetry=mechanics_symmetry(mesh),
    )


def _state_metrics(
    me,
    mesh,
    tag: str,
    case: CaseSpec,
    surface: str = "top",
    full: bool = True,
    regions: Any = None,
    post: dict | None = None,
) -> dict[str, Any]:
    """The metrics of one mechanical state (columns ``metric@tag[:region]``).

    Warpage (JEDEC sign, principal curvatures, shape class, coplanarity) and the
    recovered von Mises maximum of every region and first principal stress of the brittle
    ones; with ``full`` also where those maxima are, and peel and shear on every
    interface (maximum and band mean).

    On a cut model (:func:`mechanics_mesh`) every metric is the full body's: the warpage
    and coplanarity of the surface unfolded onto the full body
    (:class:`~fea.package.geometry.symmetry.Unfolding`, kept in ``post``, a dict the
    caller keeps across the states of one mesh), the recovered stresses on the planes
    those of the full body (:func:`~fea.package.geometry.symmetry.symmetric_recovery`;
    a maximum of the cut model is then the body's), the interfaces' edges without the
    cut lines; a location is the one in the cut model of the (up to four) mirror images.
    """
    out: dict[str, Any] = {}
    planes = symmetry_boundaries(mesh_symmetry(mesh))
    unfold = None
    if planes:
        me.cache["recovered"] = symmetric_recovery(me.recovered)
        post = {} if post is None else post
        if "unfold" not in post:
            post["unfold"] = Unfolding.of(mesh, me.nodes, me.space.order)
        unfold = post["unfold"]

    def warpage(surface: str):
        return me.warpage(surface) if unfold is None else unfold.warpage(me.displacement, surface)

    def put(metric: str, value: Any, region: str | None = None) -> None:
        col = Column(metric, tag, region)
        out[str(col)] = value if col.is_text else float(value)

    w = warpage(surface)
    put("warpage_um", w.peak_to_valley * 1e6)
    put("warpage_signed_um", w.signed * 1e6)
    put("curvature_1_per_m", w.curvature)
    put("curvature_max_1_per_m", w.principal_curvatures[0])
    put("curvature_min_1_per_m", w.principal_curvatures[1])
    put("warpage_shape", w.shape)
    if "terminal_tips" in mesh.boundaries:
        put("coplanarity_um", warpage("terminal_tips").coplanarity * 1e6)
    present = list(mesh.regions) if regions is None else list(regions)
    for region in present:
        e = me.region_extreme(region)
        put("von_mises_max_MPa", e.value / 1e6, region)
        if full:
            put("von_mises_max_at_mm", e.where_mm(), region)
    for region in BRITTLE_REGIONS:
        if region in present:
            e = me.region_extreme(region, "principal_max")
            put("principal_max_MPa", e.value / 1e6, region)
            if full:
                put("principal_max_at_mm", e.where_mm(), region)
    if me.materials is not None:
        for region, r in yield_ratios(me.recovered, me.materials, me.temperature).items():
            if region in present:
                put("yield_ratio", r.value, region)
    if full:
        band = case.report.interface_band
        for name in mesh.boundaries:
            a, sep, b = name.partition("|")
            if not sep or a not in present or b not in present:
                continue
            if _base_region(a) == _base_region(b):  # a kerf's cut inside one material
                continue
            s = me.interface_stress(name, planes)
            put("peel_max_MPa", s.maximum("peel").value / 1e6, name)
            put("shear_max_MPa", s.maximum("shear").value / 1e6, name)
            for kind in ("peel", "shear"):
                v = s.band_mean(kind, band)
                if np.isfinite(v):  # no band on an interface narrower than twice its distance
                    put(f"{kind}_band_MPa", v / 1e6, name)
    if "stages" in me.solver_info:  # one elastic solve (a history reports its own total)
        put("mech_solve_s", me.solver_info["stages"]["total_s"])
    return out


def warpage_case(case: CaseSpec) -> CaseSpec:
    """The unit without its board, meshed for uniform-temperature mechanics."""
    geo = without_board(case.geometry)  # a user's model: without its board region
    ms = case.mesh
    if ms.film_size is None:
        # the default film refinement is for the heat path (Tj); at uniform temperature
        # the warpage converges without it (docs/performance.md) and it would triple the
        # DOF. An explicit mesh.film_size applies here too.
        ms = dataclasses.replace(ms, film_size=ms.size)
    return dataclasses.replace(case, geometry=geo, mesh=ms)


def reflow_profile(case: CaseSpec) -> tuple[float, ...]:
    """The reflow temperatures [degC] of ``loads.reflow_C``, dense around the encapsulant's
    glass transition: on every leg of the profile that crosses it, ``Tg + k step``
    (k = -2..2, step ``loads.reflow_Tg_step_K``) are inserted, in the leg's direction.
    Below and above Tg the compound's modulus and CTE change by an order of magnitude
    and the warpage curve bends there."""
    temps = list(case.loads.reflow)
    step = case.loads.reflow_tg_step
    mat = case.materials.get("encapsulant")
    tg = getattr(mat, "Tg", None)
    if len(temps) < 2 or step <= 0 or tg is None:
        return tuple(temps)
    targets = [tg + k * step for k in (-2, -1, 0, 1, 2)]
    out = [temps[0]]
    for a, b in zip(temps, temps[1:], strict=False):
        lo, hi = min(a, b), max(a, b)
        inside = [t for t in targets if lo < t < hi and min(abs(t - a), abs(t - b)) > 0.25 * step]
        out += sorted(inside, reverse=b < a) + [b]
    return tuple(out)


def state_times(temperatures: list[float]) -> tuple[list[float], str]:
    """ParaView time values of mechanical states at ``temperatures`` [degC]: the
    temperatures themselves when they increase (a sweep), else the step index (a reflow
    profile goes up and down, and ParaView needs increasing times; the temperature is the
    field ``state_temperature``). Returns (values, unit)."""
    if all(b > a for a, b in zip(temperatures, temperatures[1:], strict=False)):
        return [float(t) for t in temperatures], "degC"
    return [float(i) for i in range(len(temperatures))], "step"


def warpage_metrics(
    case: CaseSpec, backend: str | None = None, *, context: SolverContext | None = None
) -> tuple[dict[str, float], Any]:
    """Warpage of the top surface (or the ball side: ``[outputs] warpage_face``) at each
    of the spec's warpage temperatures (unit without
    board, free body, uniform temperature), the recovered stress maxima per region and
    peel and shear on every interface.

    Also the reflow profile (:func:`reflow_profile`) when given (states tagged
    ``r00_25C``...): warpage and stress maxima only. Returns (metrics, {state label:
    MechanicalResult}); the results share one mesh. ``context``: the solver setup kept
    across the cases of a study's group (:class:`SolverContext`; elastic states only).
    ``case`` is checked as its study file would be (:func:`~fea.package.spec.check_case_spec`)
    before anything is meshed.
    """
    check_case_spec(case)
    out, results, _ = _warpage(case, backend, context)
    return out, results


def _warpage(
    case: CaseSpec, backend: str | None, context: SolverContext | None
) -> tuple[dict[str, float], Any, MoistureAnalysis | None]:
    """:func:`warpage_metrics` and the case's moisture run (None without ``[moisture]``),
    whose fields go to the results file."""
    backend = backend or case.solver.backend
    mesh = mechanics_mesh(case, warpage_case(case))
    mats = mesh_materials(mesh, case)
    states: list[tuple] = [(T, f"{T:g}C", True) for T in case.loads.warpage_temperatures]
    states += [
        (T, tag, False) for T, tag in zip(reflow_profile(case), reflow_tags(case), strict=True)
    ]
    wet: dict[str, float] = {}
    ma = None
    if case.moisture is not None:
        ma = moisture_analysis(
            mesh,
            case.moisture,
            backend=backend,
            method=case.solver.method,
            rtol=case.solver.rtol,
            maxiter=case.solver.maxiter,
            share=symmetry_share(mesh_symmetry(mesh)),
            materials=library_materials(case),
            densities=known_densities(case, mats),
        )
        wet = ma.metrics
        if ma.swelling is not None:
            wet_T = wet_temperatures(case, ma.spec)
            states += [(T, f"wet_{T:g}C", True, ma.swelling) for T in wet_T]
    face = WARPAGE_FACE_BOUNDARY[case.report.warpage_face]  # [outputs] warpage_face
    if any(m.inelastic is not None for m in mats.values()):
        out, results = _inelastic_states(mesh, case, states, backend, face)
    else:
        out, results = _temperature_states(mesh, case, states, backend, face, context)
    out.update(wet)
    return out, results, ma


#: Temperature ramp [K/s] between the states of an elastic-plastic warpage path (rate
#: matters only to a viscoelastic material in the same model).
PATH_RAMP_K_PER_S = 1.0


def _inelastic_states(mesh, case: CaseSpec, states, backend: str, surface: str):
    """The states of :func:`_temperature_states` for a model with an elastic-plastic (or
    other inelastic) material: the answer depends on the path, so the states are one
    history (:func:`fea.solve_history`) that starts at the highest stress-free
    temperature of the case (the encapsulant's cure: the moulded package) and visits them
    in order at :data:`PATH_RAMP_K_PER_S`, steps of at most ``max_step_K`` 10 K. States
    with an added eigenstrain (the wet states of ``[moisture]``) are a second history
    from the same start. Adds the largest equivalent plastic strain per inelastic region
    (``plastic_strain_max_pct@tag:region``) and the histories' time (``mech_solve_s``, as
    the elastic states report theirs); a region whose material is inelastic gets no
    yield warning (its stress is bounded by its hardening law)."""
    mats = mesh_materials(mesh, case)
    ref = mesh_reference(mesh, case)
    T0 = max(float(v) for v in ref.values())
    out: dict[str, Any] = {}
    solve_s = 0.0
    results: dict[str, Any] = {}
    post: dict = {}
    groups: dict[int, tuple[Any, list]] = {}
    for T, tag, full, *eig in states:
        e = eig[0] if eig else None
        groups.setdefault(id(e), (e, []))[1].append((float(T), tag, full))
    for eigenstrain, group in groups.values():
        stages, t_prev = [Stage("start", 0.0, T0)], T0
        for T, tag, _ in group:
            stages.append(Stage(tag, abs(T - t_prev) / PATH_RAMP_K_PER_S, T))
            t_prev = T
        path = f"elastic-plastic path {group[0][1]} .. {group[-1][1]}"
        stage(path)
        with naming_solve(f"the warpage's {path}"):
            h = solve_history(
                mesh,
                mats,
                Process(tuple(stages)),
                ref,
                backend=backend,
                method=case.solver.method,
                rtol=case.solver.rtol,
                maxiter=case.solver.maxiter,
                shrinkage=case.loads.cure_shrinkage,
                eigenstrain=eigenstrain,
                fixed=mechanics_fixed(mesh),
                symmetry=mechanics_symmetry(mesh),
            )
        solve_s += float(h.solver_info["total_s"])
        for _T, tag, full in group:
            st = h[tag]
            out.update(_state_metrics(st, mesh, tag, case, surface=surface, full=full, post=post))
            for region, v in st.region_max().items():
                out[str(Column("plastic_strain_max_pct", tag, region))] = 100.0 * v
            results[tag] = st
    out["mechanical_dof_count"] = float(3 * mesh.nodes.shape[0])
    out["mech_solve_s"] = solve_s
    inelastic = {r for r, m in mats.items() if m.inelastic is not None}
    _state_checks(case, out, results, skip=inelastic)
    return out, results


def wet_temperatures(case: CaseSpec, spec: MoistureSpec | None = None) -> list[float]:
    """Temperatures [degC] of the wet warpage states of ``[moisture] swelling``: the
    warpage temperatures, then the moisture reflow's peak (where the vapour pressure is
    reported), each once. ``spec``: the section as run (a classification reflow resolved
    to its preset, :attr:`MoistureAnalysis.spec`); None: ``case.moisture``."""
    spec = case.moisture if spec is None else spec
    assert spec is not None
    temps = list(case.loads.warpage_temperatures)
    if isinstance(spec.reflow, ClassificationReflow):
        raise InputError(
            "moisture.reflow", spec.reflow.name, "resolved to its preset first (resolve_reflow)"
        )
    if spec.reflow is not None:
        temps.append(max(T for _, T in spec.reflow.points))
    return list(dict.fromkeys(temps))


def _temperature_states(mesh, case: CaseSpec, states, backend: str, surface: str, context=None):
    """Solve each (temperature, tag, full[, eigenstrain]) on one mesh, reusing the solver
    setup (an added eigenstrain, e.g. swelling, changes only the load); returns
    (metrics of every state, {tag: MechanicalResult}). Warns once per region whose metal
    yields, at its worst state. With a :class:`SolverContext` the setup is the one kept
    across the group's cases (left open for the next case; its ``last`` facts set)."""
    out: dict[str, Any] = {}
    results: dict[str, Any] = {}
    cache: dict = {}
    if context is not None:
        context.begin(mesh)
    post: dict = {}
    try:
        for T, tag, full, *eigenstrain in states:
            stage(f"mechanical {tag}")
            kept = False
            if context is not None:
                cache, kept = context.solver_cache(tag)
            with naming_solve(f"the elastic warpage state {tag}"):
                me = _solve_me(mesh, case, T, backend, cache, *eigenstrain)
            if context is not None:
                reused = bool(kept and me.solver_info.get("reused_setup"))
                n = context.last.get("reused_states", 0) + reused
                context.last = {
                    "solver_reused": n > 0,
                    "reused_states": n,
                    "states": context.last.get("states", 0) + 1,
                }
            out.update(_state_metrics(me, mesh, tag, case, surface=surface, full=full, post=post))
            results[tag] = me
    finally:
        if context is None:
            close_solver_cache(cache)
    last = next(reversed(results.values()), None)
    out["mechanical_dof_count"] = float(3 * last.nodes.shape[0]) if last is not None else 0.0
    _state_checks(case, out, results)
    return out, results


def _state_checks(
    case: CaseSpec, out: dict[str, Any], results: dict[str, Any], skip: set[str] | None = None
) -> None:
    """Across the states ``results`` (tag -> MechanicalResult) with their metrics in
    ``out``: the warpage limit ratio, and a YieldWarning per region whose metal yields,
    at its worst state (``out["warnings"]``, the table's notes); none for the regions in
    ``skip`` (modelled elastic-plastic: their plastic strain is a result). A region above
    its material's solidus (a solder at the reflow peak) is left out of the yield check
    there and gets a note at its hottest state instead."""
    worst: dict[str, tuple[float, str, Any]] = {}
    hottest: dict[str, tuple[float, str, Any]] = {}
    signed = []
    for tag, me in results.items():
        w = out.get(str(Column("warpage_signed_um", tag)))
        if w is not None:
            signed.append(w * 1e-6)
        for mr in me.molten_check():
            if mr.temperature_max > hottest.get(mr.region, (-np.inf,))[0]:
                hottest[mr.region] = (mr.temperature_max, tag, mr)
        for x in me.yield_check():
            if skip and x.region in skip:
                continue
            ratio = x.von_mises / x.yield_strength
            if ratio > worst.get(x.region, (0.0,))[0]:
                worst[x.region] = (ratio, tag, x)
    limits = case.report.warpage_limits
    if limits is not None and signed:
        out["warpage_limit_ratio"] = max(w / limits[1] if w > 0 else w / limits[0] for w in signed)
    for _, tag, x in worst.values():
        warnings.warn(f"case {case.name} at {tag}: {x.message()}", YieldWarning, stacklevel=4)
    out["warnings"] = [f"{tag}: {x.message()}" for _, tag, x in worst.values()]
    # a solder above its solidus (the reflow peak): a note, not a warning of a defect
    for _, tag, mr in hottest.values():
        warnings.warn(f"case {case.name} at {tag}: {mr.message()}", MoltenWarning, stacklevel=4)
    out["warnings"] += [f"{tag}: {mr.message()}" for _, tag, mr in hottest.values()]


def panel_metrics(case: CaseSpec, backend: str | None = None) -> tuple[dict[str, float], Any]:
    """Warpage of a panel stage (``geometry.panel.stage``) at each warpage temperature.

    The whole model is a free body, stress-free at each region's reference temperature
    (the cure); on the mandrel the mandrel is bonded to the sheet and deforms with it.
    The surface is ``bottom`` (the dielectric face, continuous across the panel until
    singulation). Linear elasticity makes each stage independent of the previous ones:
    releasing the mandrel leaves the free-body state of the cured panel. ``case`` is
    checked as its study file would be (:func:`~fea.package.spec.check_case_spec`)
    before anything is meshed.
    """
    check_case_spec(case)
    backend = backend or case.solver.backend
    mesh = mechanics_mesh(case)
    states = [(T, f"{T:g}C", True) for T in case.loads.warpage_temperatures]
    return _temperature_states(mesh, case, states, backend, "bottom")


def reflow_tags(case: CaseSpec) -> list[str]:
    """State labels of the reflow profile (:func:`reflow_profile`): ``r00_25C``,
    ``r01_100C``..."""
    return [f"r{i:02d}_{T:g}C" for i, T in enumerate(reflow_profile(case))]


def reflow_times(case: CaseSpec) -> tuple[float, ...]:
    """Times [s] of the points of :func:`reflow_profile`: ``process.reflow_time_s`` gives
    those of the ``loads.reflow_C`` points; a point inserted around Tg takes the time linear
    in temperature between the ends of its leg (a constant heating or cooling rate)."""
    given = case.process.reflow_times if case.process is not None else ()
    temps = case.loads.reflow
    if len(given) != len(temps):
        raise InputError(
            "process.reflow_time_s",
            list(given),
            f"one time [s] per loads.reflow_C point ({len(temps)})",
        )
    out: list[float] = []
    j = 0
    for i, T in enumerate(reflow_profile(case)):
        if i == 0:
            out.append(given[0])
        elif j + 1 < len(temps) and T == temps[j + 1]:
            j += 1
            out.append(given[j])
        else:  # inside the leg temps[j] -> temps[j + 1]
            a, b = temps[j], temps[j + 1]
            out.append(given[j] + (T - a) / (b - a) * (given[j + 1] - given[j]))
    return tuple(out)


def history_process(case: CaseSpec, mesh: Any) -> Process:
    """The :class:`~fea.physics.history.Process` of a case's ``[process]`` on ``mesh``:
    its stages (a region's name standing also for its part in the kerf, ``kerf_<region>``,
    and ``kerf`` for the whole kerf), then the reflow profile, one stage per point."""
    proc = case.process
    assert proc is not None
    kerf = [r for r in mesh.regions if r.startswith(f"{KERF}_")]

    def names(rs: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for r in rs:
            if r == KERF:
                out.extend(kerf)
            else:  # a region and its part in the kerf
                out.extend([r] + [k for k in kerf if k == f"{KERF}_{r}"])
        return list(dict.fromkeys(out))

    stages = [
        Stage(
            st.name,
            st.duration,
            st.temperature,
            add=names(st.add),
            remove=names(st.remove),
            cure=names(st.cure),
            steps=st.steps,
        )
        for st in proc.stages
    ]
    t_prev = 0.0
    profile = reflow_profile(case)
    for tag, T, t in zip(reflow_tags(case), profile, reflow_times(case), strict=True):
        stages.append(Stage(tag, t - t_prev, T))
        t_prev = t
    return Process(tuple(stages))


def history_metrics(
    case: CaseSpec, backend: str | None = None
) -> tuple[dict[str, float], dict[str, Any], dict[str, Any]]:
    """Metrics of every state of the case's process history (``process.model =
    "history"``), solved on one mesh by :func:`fea.solve_history`: a unit without its
    board (surface ``top``), or a panel's ``process`` model (surface ``bottom``, the
    dielectric face, until the kerf is removed, then ``units_bottom``, what singulation
    keeps). Regions not present in a state have no von Mises column for it.

    Returns (metrics, {label: HistoryState}, results-file meta with ``state_values``, the
    states' times [s]).
    """
    backend = backend or case.solver.backend
    if case.kind == "panel":
        g = case.geometry
        assert g.panel is not None
        pcase = dataclasses.replace(
            case,
            geometry=dataclasses.replace(g, panel=dataclasses.replace(g.panel, stage="process")),
        )
        mesh = mechanics_mesh(case, pcase)
    else:
        mesh = mechanics_mesh(case, warpage_case(case))
    proc = case.process
    assert proc is not None
    process = history_process(case, mesh)
    with naming_solve("the [process] history"):
        h = solve_history(
            mesh,
            mesh_materials(mesh, case),
            process,
            mesh_reference(mesh, case),
            backend=backend,
            method=case.solver.method,
            rtol=case.solver.rtol,  # its CG steps to the study's tolerance, as every solve
            maxiter=case.solver.maxiter,  # and to its iteration limit
            shrinkage=case.loads.cure_shrinkage,
            substeps=proc.substeps,
            max_step_K=proc.max_step_K,
            progress=history_stages([st.name for st in process.stages]),
            fixed=mechanics_fixed(mesh),
            symmetry=mechanics_symmetry(mesh),
        )
    stage(f"history: metrics of {len(h.states)} states")
    kerf = [r for r in mesh.regions if r.startswith(f"{KERF}_")]
    out: dict[str, float] = {}
    post: dict = {}
    born: set[str] = set()  # kerf regions present in this or an earlier state
    for label, st in zip(h.labels, h.states, strict=True):
        present = st.solver_info["regions"]
        if case.kind == "panel":
            # the panel's face until singulation removes the kerf: a kerf region born and
            # gone since (one not born yet, the compound before moulding, is no removal:
            # the formed, attached and preheated panels were measured on the kept unit)
            born |= {r for r in kerf if r in present}
            removed = any(r not in present for r in born)
            surface = "units_bottom" if removed else "bottom"
        else:
            surface = WARPAGE_FACE_BOUNDARY[case.report.warpage_face]
        out.update(
            _state_metrics(st, mesh, label, case, surface=surface, regions=present, post=post)
        )
    out["mechanical_dof_count"] = float(3 * mesh.nodes.shape[0])
    _state_checks(case, out, dict(zip(h.labels, h.states, strict=True)))
    out["history_steps_count"] = float(h.solver_info["steps"])
    out["history_factorizations_count"] = float(h.solver_info["factorizations"])
    out["history_solve_s"] = float(h.solver_info["total_s"])
    meta = {"state_values": [float(t) for t in h.times], "state_unit": "s"}
    return out, h.mapping(), meta


def independent_panel_metrics(
    case: CaseSpec, backend: str | None = None
) -> tuple[dict[str, float], dict[str, Any]]:
    """The panel's states each solved alone, elastic (``process.model = "independent"``,
    the model before the history): every process stage named like a panel stage
    (``on_mandrel``, ``released``, ``singulated``) on that stage's own model at the stage's
    temperature, stress free at ``loads.reference_C``; the reflow profile on the
    ``singulated`` model. Returns (metrics, states of the last model solved)."""
    backend = backend or case.solver.backend
    proc = case.process
    assert proc is not None
    g = case.geometry
    assert g.panel is not None
    out: dict[str, float] = {}
    states: dict[str, Any] = {}
    todo = [(st.name, st.temperature) for st in proc.stages if st.name in PANEL_STAGES[:3]]
    if case.loads.reflow and "singulated" not in [n for n, _ in todo]:
        todo.append(("singulated", None))
    notes: list[str] = []
    ratios: list[float] = []
    dofs: list[float] = []
    for name, T in todo:
        scase = dataclasses.replace(
            case, geometry=dataclasses.replace(g, panel=dataclasses.replace(g.panel, stage=name))
        )
        mesh = mechanics_mesh(case, scase)
        todo_states = [] if T is None else [(T, name, True)]
        if name == "singulated":
            todo_states += [
                (Tr, tag, False)
                for Tr, tag in zip(reflow_profile(case), reflow_tags(case), strict=True)
            ]
        m, states = _temperature_states(mesh, scase, todo_states, backend, "bottom")
        dofs.append(m.pop("mechanical_dof_count", 0.0))
        notes += m.pop("warnings", [])
        if "warpage_limit_ratio" in m:  # the worst over every model, not the last one's
            ratios.append(m.pop("warpage_limit_ratio"))
        out.update(m)
    if ratios:
        out["warpage_limit_ratio"] = max(ratios)
    out["mechanical_dof_count"] = max(dofs, default=0.0)  # the largest model
    out["warnings"] = notes
    return out, states


class ApertureWarning(UserWarning):
    """``[geometry] aperture_rule = "warn"``: an opening of half the wavelength or more."""


def shielding_metrics(g: GeometrySpec) -> tuple[dict[str, float], list[str]]:
    """The shielding columns of a built-in unit or panel (:meth:`GeometrySpec.aperture`):
    ``aperture_ratio`` (L / (lambda/2)), ``shielding_dB`` and ``shielding_array_dB`` [dB],
    none for the user's own model (no shell openings are known); and the notes: with
    ``aperture_rule = "warn"``, an opening of lambda/2 or more, named with L, lambda/2
    [mm] and the frequency [GHz], each also issued as an :class:`ApertureWarning` (a
    study's runner puts it in the case's notes). ``"error"`` refused such an opening
    when the study file was read."""
    if is_imported(g):
        return {}, []
    a = g.aperture()
    notes = []
    if g.aperture_rule == "warn" and a["ratio"] >= 1.0:
        notes.append(
            f"geometry.openings: L = {a['L'] * 1e3:g} mm is not below half the wavelength "
            f"({a['wavelength'] / 2 * 1e3:g} mm at {g.frequency / 1e9:g} GHz): the shell "
            "does not shield there (shielding_dB = 0)"
        )
    for text in notes:
        warnings.warn(text, ApertureWarning, stacklevel=2)
    metrics = {
        "aperture_ratio": a["ratio"],
        "shielding_dB": a["shielding_dB"],
        "shielding_array_dB": a["shielding_array_dB"],
    }
    return metrics, notes


def wants_thermal(case: CaseSpec) -> bool:
    """Whether a unit case runs its thermal solve: when its ``[outputs] metrics`` name a
    thermal output (or none are named: everything), or it has a ``[transient]``. A study
    that asks only for warpage, stresses, moisture or cycling skips it."""
    if not case.outputs or case.transient is not None:
        return True
    return any(o in THERMAL_OUTPUTS or o.startswith("zth_") for o in case.outputs)


def analyse(
    case: CaseSpec,
    folder: str | os.PathLike | None = None,
    meta: dict[str, Any] | None = None,
    *,
    context: SolverContext | None = None,
) -> dict[str, Any]:
    """Every metric of a case; with ``folder``, also its results file ``result.h5`` (+ .xdmf)
    and ``result_paraview.py`` (opens it in ParaView, warped and coloured); with
    ``[moisture]`` the moisture fields too (``/moisture``, ``result_moisture.xdmf``).

    Unit: thermal metrics (on the board when there is one), aperture rule, warpage and
    stresses of the unit at each warpage temperature and along the reflow profile, or,
    with a ``[process]`` history, at each state of the process and the reflow profile.
    Panel: warpage and stresses of the panel stage, or of each state of its process.
    Numbers are floats (units in the column names, :mod:`fea.package.names`); a shape
    class and the locations of maxima are text. A metal that yields raises a
    :class:`~fea.physics.post.YieldWarning`. ``context``: the mechanics solver setup kept
    across the cases of a study's group (:class:`SolverContext`: the unit's elastic
    warpage states use it; other analyses solve as without it).
    ``case`` is first checked as its study file would be
    (:func:`~fea.package.spec.check_case_spec`: a case changed in Python by
    ``dataclasses.replace`` is refused as the reader refuses it, before any meshing).
    Its solves take ``[solver] out_of_core`` (:func:`fea.solvers.out_of_core_setting`;
    an out-of-core factor's files in a fresh folder inside ``folder`` where given).
    """
    from ..solvers import out_of_core_setting

    with out_of_core_setting(case.solver.out_of_core, folder):
        return _analyse(case, folder, meta, context=context)


def _analyse(
    case: CaseSpec,
    folder: str | os.PathLike | None = None,
    meta: dict[str, Any] | None = None,
    *,
    context: SolverContext | None = None,
) -> dict[str, Any]:
    """:func:`analyse` within its out-of-core setting."""
    from ..io import write_results
    from ..io.xdmf import write_paraview_script

    t0 = time.perf_counter()
    # the reader's checks, for a case changed in Python: among them what a model read
    # from a file cannot do, the symmetry the mechanics will be cut by and [cycling]'s
    # board model, refused here rather than after the thermal solve
    check_case_spec(case)
    shielding, shielding_notes = shielding_metrics(case.geometry)  # the aperture rule
    m: dict[str, Any] = dict(shielding)
    th = None
    curves: dict[str, dict[str, NDArray]] = {}
    extra: dict[str, Any] = {}
    model = case.process.model if case.process is not None else None
    moist = None  # the moisture run, whose fields go to the results file
    if case.kind == "unit" and wants_thermal(case):
        ta = thermal_analysis(case)
        m.update(ta.metrics)
        # the results file's thermal field is the steady one the metrics come from; a
        # transient's kept fields go with it (/thermal/transient), its curves too
        th = ta.steady
        th.curves = curves = ta.curves
        th.transient = ta.transient
    if case.moisture is not None and (model is not None or case.kind != "unit"):
        raise InputError(
            "moisture",
            f"{case.kind} with process model {model}",
            "a unit without a [process] model (the moisture run and its swelling go with "
            "the unit's warpage states)",
        )
    if model == "history":
        w, states, extra = history_metrics(case)
    elif case.kind == "panel" and model == "independent":
        w, states = independent_panel_metrics(case)
    elif case.kind == "panel":
        w, states = panel_metrics(case)
    elif case.loads.warpage_temperatures or case.loads.reflow or case.moisture is not None:
        w, states, moist = _warpage(case, None, context)
    else:  # a thermal study: no warpage temperatures, no reflow
        w, states = {}, {}
    # warnings (yield) reach the study table through the runner's notes column
    notes = shielding_notes + w.pop("warnings", [])
    m.update(w)
    if case.cycling is not None:
        from .cycling import cycling_metrics

        cr = cycling_metrics(case, folder)
        notes += cr.metrics.pop("warnings", [])
        m.update(cr.metrics)
        if not states:  # the last cycle's start and end on the board-mounted model
            prof = case.cycling.profile
            k0, k1 = prof.cycle_start[-1], prof.cycle_end[-1]
            states = cr.states()  # with joint_id, delta_w per element (cycling.CyclingState)
            extra = {**extra, "state_values": [float(cr.history.times[k]) for k in (k0, k1)]}
            extra["state_unit"] = "s"
        if cr.run is not None:  # the per-joint table and the critical joint's loop
            extra = {**extra, "cycling": cr.run.tables()}
    meshes = {"thermal": th.mesh} if th is not None else {}
    if states:
        meshes["mechanical"] = next(iter(states.values())).mesh
    for text in mesh_warnings(case, meshes, thermal=th is not None):  # in the table's notes
        warnings.warn(f"case {case.name}: {text}", MeshDependenceWarning, stacklevel=2)
        notes.append(text)
    if case.ctm is not None and case.kind == "unit":
        # compact thermal models of the package alone (docs/ctm.md): files in <case>/ctm
        # (the case folder's own CSVs are its curves)
        from .ctm import ctm_analysis, results_group, write_ctm_files

        stage("compact thermal models")
        cm = ctm_analysis(case, curves)
        m.update(cm.metrics)
        extra = {**extra, "ctm": results_group(cm)}
        if folder is not None:
            # named after the row's case id where a study's runner gives one (every case of
            # a sweep carries the study's name: the files and ECXML packages were alike)
            stem = str(meta["case"]) if meta and meta.get("case") else None
            write_ctm_files(cm, Path(folder) / "ctm", case, stem)
    m["total_s"] = time.perf_counter() - t0
    if folder is not None and curves:
        from ..io import write_curves_csv

        write_curves_csv(folder, curves)
    if folder is not None and (states or th is not None or moist is not None):
        # no warpage temperatures: the thermal field (or the moisture) alone is still written
        if states:
            mesh = next(iter(states.values())).mesh
        else:
            mesh = th.mesh if th is not None else moist.result.mesh
        info = dict(meta or {})
        info.setdefault("case", case.name)
        stage("writing results")
        temps = [float(np.max(s.temperature)) for s in states.values()]
        times, unit = state_times(temps)
        if moist is not None and moist.result.mesh is not mesh:
            moist = None  # on the unit, the thermal field on its board: the table only
        if moist is not None:
            labels, shown = moisture_states(moist.result)
            extra = {**extra, "moisture_labels": labels, "moisture_shown": shown}
        path = write_results(
            Path(folder) / "result.h5",
            mesh,
            thermal=th,
            mechanical=states or None,
            meta={
                **info,
                "metrics": m,
                "inputs": case,
                "state_values": times,
                "state_unit": unit,
                "warnings": notes,
                **extra,
            },
            moisture=None if moist is None else moist.result,
        )
        if states or th is not None:  # it shows the displacement or the temperature
            write_paraview_script(path)
        else:  # an earlier run's script would look for fields this file does not have
            path.with_name(path.stem + "_paraview.py").unlink(missing_ok=True)
    return m
