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

from ..physics.mechanics import close_solver_cache, solve_thermoelastic
from ..physics.post import YieldWarning, yield_ratios
from ..physics.thermal import ThermalResult, solve_thermal
from . import jedec
from .meshing import build_mesh
from .names import Column
from .power_map import hotspot, thermal_loads
from .progress import stage
from .spec import CaseSpec
from .transient import dual_interface, zth_transient

__all__ = [
    "ThermalAnalysis",
    "analyse",
    "panel_metrics",
    "reflow_profile",
    "state_times",
    "thermal_analysis",
    "thermal_metrics",
    "warpage_metrics",
]

#: Regions whose first principal stress is tabulated: the brittle ones (silicon, mould
#: compound crack under tension, not by yielding).
BRITTLE_REGIONS = ("die", "encapsulant")


def mesh_materials(mesh: Any, case: CaseSpec) -> dict[str, Any]:
    """The case's materials of the regions ``mesh`` has (a unit's warpage mesh has no
    board, a unit no mandrel), the board's conductivity from its copper stack and vias
    (:func:`fea.package.jedec.case_materials`)."""
    return {r: m for r, m in jedec.case_materials(case).items() if r in mesh.regions}


def mesh_reference(mesh: Any, case: CaseSpec) -> dict[str, float]:
    """The case's stress-free temperatures of the regions ``mesh`` has, and ``"*"``."""
    return {r: T for r, T in case.loads.reference.items() if r == "*" or r in mesh.regions}


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
    (metrics, steady ThermalResult)."""
    a = thermal_analysis(case, backend)
    return a.metrics, a.steady


def thermal_analysis(case: CaseSpec, backend: str | None = None) -> ThermalAnalysis:
    """The thermal metrics of a unit case, steady and transient.

    In the case's environment (:mod:`fea.package.jedec`): theta_JA = (Tj - T_amb) / P
    (still air, uniform h), theta_JMA (forced air), theta_JB (ring cold plate), psi_JB
    and psi_JT = (Tj - T_top) / P with T_top at the centre of the shell's rear face.
    theta_JC by the transient dual-interface method of JESD51-14
    (:func:`~fea.package.transient.dual_interface`), or with ``[theta_jc] method =
    "fixed_case"`` the steady (Tj - T_case) / P with the rear face held at T_amb and every
    other face adiabatic; ``hotspot_C``: the hottest point of the die's active face;
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
        # no power: the resistances are undefined (NaN); the fields and warpage are not
        return dT / P if P > 0 else math.nan

    if P <= 0:
        warnings.warn(
            "thermal resistances (theta, psi) are undefined (NaN): the case has no power",
            stacklevel=2,
        )
    bc = jedec.boundary_conditions(mesh, case)
    fixed = {**loads.fixed, **bc.fixed}
    heat = thermal_loads(mesh, case)
    solver = dict(backend=backend, method=case.solver.method, rtol=case.solver.rtol)
    stage("thermal")
    th = solve_thermal(mesh, mats, **heat, convection=bc.convection, fixed=fixed, **solver)
    tj = th.region_max("die")
    t_die = th.temperature[np.unique(th.space.dofs[mesh.regions["die"]])]
    m = {
        "Tj_max_C": tj,
        **jedec.jedec_metrics(case, th, bc),
        "die_spread_K": float(t_die.max() - t_die.min()),
        "heat_balance_ratio": th.heat_balance() if P > 0 else math.nan,
        "thermal_solve_s": th.solver_info["stages"]["total_s"],
        "thermal_nodes_count": float(th.temperature.shape[0]),
    }
    m.update(hotspot(th, mesh))
    curves: dict[str, dict[str, NDArray]] = {}
    if case.theta_jc.method == "fixed_case":
        jc = solve_thermal(mesh, mats, **heat, fixed={"shell_top": loads.ambient}, **solver)
        m["theta_jc_K_per_W"] = per_watt(jc.region_max("die") - loads.ambient)
    else:
        stage("theta_jc (dual interface)")
        m["theta_jc_K_per_W"], jc_curves = dual_interface(case, mesh, **solver)
        curves.update(jc_curves)
    tr = None
    if case.transient is not None:
        stage("transient")
        # surface models (natural convection, radiation) held at their steady values
        conv = {
            name: ((th.surface_h[name], Tinf) if name in th.surface_h else (h, Tinf))
            for name, (h, Tinf) in bc.convection.items()
        }
        tm, tc, tr = zth_transient(case, th, dict(heat, convection=conv, fixed=fixed, **solver))
        m.update(tm)
        curves.update(tc)
    peak = max(tj, m.get("Tj_peak_C", tj))
    m["Tj_over_limit_flag"] = float(peak > case.limits.Tj_max)
    return ThermalAnalysis(m, th, tr, curves)


def _solve_me(mesh, case: CaseSpec, T: float, backend: str, cache: dict | None = None):
    return solve_thermoelastic(
        mesh,
        mesh_materials(mesh, case),
        T,
        mesh_reference(mesh, case),
        shrinkage=case.loads.cure_shrinkage,
        backend=backend,
        method=case.solver.method,
        rtol=case.solver.rtol,
        solver_cache=cache,
    )


def _state_metrics(
    me, mesh, tag: str, case: CaseSpec, surface: str = "top", full: bool = True
) -> dict[str, Any]:
    """The metrics of one mechanical state (columns ``metric@tag[:region]``).

    Warpage (JEDEC sign, principal curvatures, shape class, coplanarity) and the
    recovered von Mises maximum of every region and first principal stress of the brittle
    ones; with ``full`` also where those maxima are, and peel and shear on every
    interface (maximum and band mean).
    """
    out: dict[str, Any] = {}

    def put(metric: str, value: Any, region: str | None = None) -> None:
        col = Column(metric, tag, region)
        out[str(col)] = value if col.is_text else float(value)

    w = me.warpage(surface)
    put("warpage_um", w.peak_to_valley * 1e6)
    put("warpage_signed_um", w.signed * 1e6)
    put("curvature_1_per_m", w.curvature)
    put("curvature_max_1_per_m", w.principal_curvatures[0])
    put("curvature_min_1_per_m", w.principal_curvatures[1])
    put("warpage_shape", w.shape)
    if "terminal_tips" in mesh.boundaries:
        put("coplanarity_um", me.warpage("terminal_tips").coplanarity * 1e6)
    for region in mesh.regions:
        e = me.region_extreme(region)
        put("von_mises_max_MPa", e.value / 1e6, region)
        if full:
            put("von_mises_max_at_mm", e.where_mm(), region)
    for region in BRITTLE_REGIONS:
        if region in mesh.regions:
            e = me.region_extreme(region, "principal_max")
            put("principal_max_MPa", e.value / 1e6, region)
            if full:
                put("principal_max_at_mm", e.where_mm(), region)
    if me.materials is not None:
        for region, r in yield_ratios(me.recovered, me.materials, me.temperature).items():
            put("yield_ratio", r.value, region)
    if full:
        band = case.report.interface_band
        for name in mesh.boundaries:
            a, sep, b = name.partition("|")
            if not sep or a not in mesh.regions or b not in mesh.regions:
                continue
            s = me.interface_stress(name)
            put("peel_max_MPa", s.maximum("peel").value / 1e6, name)
            put("shear_max_MPa", s.maximum("shear").value / 1e6, name)
            for kind in ("peel", "shear"):
                v = s.band_mean(kind, band)
                if np.isfinite(v):  # no band on an interface narrower than twice its distance
                    put(f"{kind}_band_MPa", v / 1e6, name)
    put("mech_solve_s", me.solver_info["stages"]["total_s"])
    return out


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
        return [float(t) for t in temperatures], "C"
    return [float(i) for i in range(len(temperatures))], "step"


def warpage_metrics(case: CaseSpec, backend: str | None = None) -> tuple[dict[str, float], Any]:
    """Warpage of the top surface at each of the spec's warpage temperatures (unit without
    board, free body, uniform temperature), the recovered stress maxima per region and
    peel and shear on every interface.

    Also the reflow profile (:func:`reflow_profile`) when given (states tagged
    ``r00_25C``...): warpage and stress maxima only. Returns (metrics, {state label:
    MechanicalResult}); the results share one mesh.
    """
    backend = backend or case.solver.backend
    geo = dataclasses.replace(case.geometry, board=None)
    ms = case.mesh
    if ms.film_size is None:
        # the default film refinement is for the heat path (Tj); at uniform temperature
        # the warpage converges without it (docs/performance.md) and it would triple the
        # DOF. An explicit mesh.film_size applies here too.
        ms = dataclasses.replace(ms, film_size=ms.size)
    unit = dataclasses.replace(case, geometry=geo, mesh=ms)
    mesh, _ = build_mesh(unit)
    reflow = reflow_profile(case)
    states = [(T, f"{T:g}C", True) for T in case.loads.warpage_temperatures]
    states += [(T, f"r{i:02d}_{T:g}C", False) for i, T in enumerate(reflow)]
    return _temperature_states(mesh, case, states, backend, "top")


def _temperature_states(mesh, case: CaseSpec, states, backend: str, surface: str):
    """Solve each (temperature, tag, full) on one mesh, reusing the solver setup; returns
    (metrics of every state, {tag: MechanicalResult}). Warns once per region whose metal
    yields, at its worst state."""
    out: dict[str, Any] = {}
    results: dict[str, Any] = {}
    worst: dict[str, tuple[float, str, Any]] = {}
    signed = []
    cache: dict = {}
    try:
        for T, tag, full in states:
            stage(f"mechanical {tag}")
            me = _solve_me(mesh, case, T, backend, cache)
            out.update(_state_metrics(me, mesh, tag, case, surface=surface, full=full))
            signed.append(out[str(Column("warpage_signed_um", tag))] * 1e-6)
            for x in me.yield_check():
                ratio = x.von_mises / x.yield_strength
                if ratio > worst.get(x.region, (0.0,))[0]:
                    worst[x.region] = (ratio, tag, x)
            results[tag] = me
    finally:
        close_solver_cache(cache)
    last = next(reversed(results.values()), None)
    out["mechanical_dof_count"] = float(3 * last.nodes.shape[0]) if last is not None else 0.0
    limits = case.report.warpage_limits
    if limits is not None and signed:
        out["warpage_limit_ratio"] = max(w / limits[1] if w > 0 else w / limits[0] for w in signed)
    for _, tag, x in worst.values():
        warnings.warn(f"case {case.name} at {tag}: {x.message()}", YieldWarning, stacklevel=3)
    out["warnings"] = [f"{tag}: {x.message()}" for _, tag, x in worst.values()]
    return out, results


def panel_metrics(case: CaseSpec, backend: str | None = None) -> tuple[dict[str, float], Any]:
    """Warpage of a panel stage (``geometry.panel.stage``) at each warpage temperature.

    The whole model is a free body, stress-free at each region's reference temperature
    (the cure); on the mandrel the mandrel is bonded to the sheet and deforms with it.
    The surface is ``bottom`` (the dielectric face, continuous across the panel until
    singulation). Linear elasticity makes each stage independent of the previous ones:
    releasing the mandrel leaves the free-body state of the cured panel.
    """
    backend = backend or case.solver.backend
    mesh, _ = build_mesh(case)
    states = [(T, f"{T:g}C", True) for T in case.loads.warpage_temperatures]
    return _temperature_states(mesh, case, states, backend, "bottom")


def analyse(
    case: CaseSpec, folder: str | os.PathLike | None = None, meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Every metric of a case; with ``folder``, also its results file ``result.h5`` (+ .xdmf)
    and ``result_paraview.py`` (opens it in ParaView, warped and coloured).

    Unit: thermal metrics (on the board when there is one), aperture rule, warpage and
    stresses of the unit at each warpage temperature and along the reflow profile.
    Panel: warpage and stresses of the panel stage. Numbers are floats (units in the
    column names, :mod:`fea.package.names`); a shape class and the locations of maxima
    are text. A metal that yields raises a :class:`~fea.physics.post.YieldWarning`.
    """
    from ..io import write_results
    from ..io.xdmf import write_paraview_script

    t0 = time.perf_counter()
    a = case.geometry.aperture()
    m: dict[str, Any] = {"aperture_ratio": a["ratio"], "shielding_dB": a["shielding_dB"]}
    th = None
    curves: dict[str, dict[str, NDArray]] = {}
    if case.kind == "panel":
        w, states = panel_metrics(case)
    else:
        ta = thermal_analysis(case)
        m.update(ta.metrics)
        # a transient's fields (a temporal collection) go to the results file
        th = ta.transient if ta.transient is not None else ta.steady
        th.curves = curves = ta.curves
        if case.loads.warpage_temperatures or case.loads.reflow:
            w, states = warpage_metrics(case)
        else:  # a thermal study: no warpage temperatures, no reflow
            w, states = {}, {}
    # warnings (yield) reach the study table through the runner's notes column
    notes = w.pop("warnings", [])
    m.update(w)
    m["total_s"] = time.perf_counter() - t0
    if folder is not None and curves:
        from ..io import write_curves_csv

        write_curves_csv(folder, curves)
    if folder is not None and (states or th is not None):
        # no warpage temperatures: the thermal field alone is still written
        mesh = next(iter(states.values())).mesh if states else th.mesh
        info = dict(meta or {})
        info.setdefault("case", case.name)
        stage("writing results")
        temps = [float(np.max(s.temperature)) for s in states.values()]
        times, unit = state_times(temps)
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
            },
        )
        write_paraview_script(path)
    return m
