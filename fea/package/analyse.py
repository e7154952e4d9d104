"""Package-level analyses of a validated case: thermal metrics and warpage.

This is the glue between a :class:`~fea.package.spec.CaseSpec` and the physics: it builds
the meshes, applies the loads of the spec, and reduces fields to the numbers a
package engineer tabulates.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..physics.mechanics import close_solver_cache, solve_thermoelastic
from ..physics.thermal import ThermalResult, solve_thermal
from .meshing import build_mesh
from .names import Column
from .power_map import hotspot, thermal_loads
from .spec import CaseSpec
from .transient import dual_interface, zth_transient

__all__ = [
    "ThermalAnalysis",
    "analyse",
    "panel_metrics",
    "thermal_analysis",
    "thermal_metrics",
    "warpage_metrics",
]


def mesh_materials(mesh: Any, case: CaseSpec) -> dict[str, Any]:
    """The case's materials of the regions ``mesh`` has (a unit's warpage mesh has no
    board, a unit no mandrel)."""
    return {r: m for r, m in case.materials.items() if r in mesh.regions}


def mesh_reference(mesh: Any, case: CaseSpec) -> dict[str, float]:
    """The case's stress-free temperatures of the regions ``mesh`` has, and ``"*"``."""
    return {r: T for r, T in case.loads.reference.items() if r == "*" or r in mesh.regions}


def _convection(mesh, case: CaseSpec) -> dict[str, tuple[float, float]]:
    loads = case.loads
    conv = {}
    for name in ("package_surface", "board_surface"):
        if name in mesh.boundaries and loads.h > 0:
            conv[name] = (loads.h, loads.ambient)
    for name, h in loads.h_boundaries.items():
        conv[name] = (h, loads.ambient)
    return conv


@dataclasses.dataclass
class ThermalAnalysis:
    """What :func:`thermal_analysis` found: the metrics, the steady result, the
    ``[transient]`` result (or None) and the curves (name -> column -> values)."""

    metrics: dict[str, float]
    steady: ThermalResult
    transient: ThermalResult | None
    curves: dict[str, dict[str, NDArray[np.float64]]]


def thermal_metrics(case: CaseSpec, backend: str | None = None) -> tuple[dict[str, float], Any]:
    """Tj max, theta_JA, psi_JT, theta_JC, the hot spot (and the ``[transient]``
    metrics) of the case; returns (metrics, steady ThermalResult). See
    :func:`thermal_analysis`."""
    a = thermal_analysis(case, backend)
    return a.metrics, a.steady


def thermal_analysis(case: CaseSpec, backend: str | None = None) -> ThermalAnalysis:
    """The thermal metrics of a unit case, steady and transient.

    theta_JA = (Tj - T_amb) / P with the spec's convection (and board);
    psi_JT = (Tj - T_top) / P with T_top at the centre of the shell's rear face;
    theta_JC by the transient dual-interface method of JESD51-14
    (:func:`~fea.package.transient.dual_interface`), or with ``[theta_jc] method =
    "fixed_case"`` the steady (Tj - T_case) / P with the rear face held at T_amb and every
    other face adiabatic; ``hotspot_C``: the hottest point of the die's active face;
    ``Tj_over_limit``: 1 when Tj (or its transient peak) exceeds ``[limits] Tj_max_C``.
    With ``[transient]``: the heating curve, its structure function and their metrics
    (:func:`~fea.package.transient.zth_transient`).
    """
    backend = backend or case.solver.backend
    mesh, _ = build_mesh(case)
    mats = mesh_materials(mesh, case)
    loads = case.loads
    P = loads.total_power
    conv = _convection(mesh, case)
    fixed = {b: T for b, T in loads.fixed.items()}
    heat = thermal_loads(mesh, case)
    solver = dict(backend=backend, method=case.solver.method, rtol=case.solver.rtol)
    th = solve_thermal(mesh, mats, **heat, convection=conv, fixed=fixed, **solver)
    tj = th.region_max("die")
    z_top = case.geometry.z_top
    t_top = float(th.probe([[0.0, 0.0, z_top]])[0])
    m = {
        "Tj_max": tj,
        "theta_ja": (tj - loads.ambient) / P,
        "psi_jt": (tj - t_top) / P,
        "heat_balance": th.heat_balance(),
        "thermal_solve_s": th.solver_info["stages"]["total_s"],
        "n_nodes_thermal": float(th.temperature.shape[0]),
    }
    m.update(hotspot(th, mesh))
    curves: dict[str, dict[str, NDArray]] = {}
    if case.theta_jc.method == "fixed_case":
        jc = solve_thermal(mesh, mats, **heat, fixed={"shell_top": loads.ambient}, **solver)
        m["theta_jc"] = (jc.region_max("die") - loads.ambient) / P
    else:
        m["theta_jc"], jc_curves = dual_interface(case, mesh, **solver)
        curves.update(jc_curves)
    tr = None
    if case.transient is not None:
        tm, tc, tr = zth_transient(case, th, dict(heat, convection=conv, fixed=fixed, **solver))
        m.update(tm)
        curves.update(tc)
    peak = max(tj, m.get("Tj_peak_C", tj))
    m["Tj_over_limit"] = float(peak > case.limits.Tj_max)
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


def _state_metrics(me, mesh, tag: str, surface: str = "top") -> dict[str, float]:
    out: dict[str, float] = {}

    def put(metric: str, value: float, region: str | None = None) -> None:
        out[str(Column(metric, tag, region))] = float(value)

    w = me.warpage(surface)
    put("warpage_um", w.peak_to_valley * 1e6)
    put("warpage_signed_um", w.signed * 1e6)
    put("curvature", w.curvature)
    if "terminal_tips" in mesh.boundaries:
        put("coplanarity_um", me.warpage("terminal_tips").coplanarity * 1e6)
    for region in mesh.regions:
        put("von_mises_max_MPa", me.region_max_von_mises(region) / 1e6, region)
    if "die|encapsulant" in mesh.boundaries:
        sn, ss = me.interface_traction("die|encapsulant")
        put("interface_traction_max_MPa", np.hypot(sn, ss).max() / 1e6)
    put("mech_solve_s", me.solver_info["stages"]["total_s"])
    return out


def warpage_metrics(case: CaseSpec, backend: str | None = None) -> tuple[dict[str, float], Any]:
    """Warpage of the top surface at each of the spec's warpage temperatures (unit without
    board, free body, uniform temperature), and the largest von Mises stress per region.

    Also the reflow profile ``loads.reflow_C`` when given (states tagged ``r00_25C``...).
    Returns (metrics, {state label: MechanicalResult}); the results share one mesh.
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
    tags = [f"{T:g}C" for T in case.loads.warpage_temperatures]
    tags += [f"r{i:02d}_{T:g}C" for i, T in enumerate(case.loads.reflow)]
    temps = list(case.loads.warpage_temperatures) + list(case.loads.reflow)
    return _temperature_states(mesh, case, zip(temps, tags, strict=True), backend, "top")


def _temperature_states(mesh, case: CaseSpec, temps_tags, backend: str, surface: str):
    """Solve each (temperature, tag) on one mesh, reusing the solver setup; returns
    (metrics of every state, {tag: MechanicalResult})."""
    out: dict[str, float] = {}
    states: dict[str, Any] = {}
    cache: dict = {}
    try:
        for T, tag in temps_tags:
            me = _solve_me(mesh, case, T, backend, cache)
            out.update(_state_metrics(me, mesh, tag, surface=surface))
            states[tag] = me
    finally:
        close_solver_cache(cache)
    last = next(reversed(states.values()), None)
    out["n_dof_mechanical"] = float(3 * last.nodes.shape[0]) if last is not None else 0.0
    return out, states


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
    temps_tags = [(T, f"{T:g}C") for T in case.loads.warpage_temperatures]
    return _temperature_states(mesh, case, temps_tags, backend, "bottom")


def analyse(
    case: CaseSpec, folder: str | os.PathLike | None = None, meta: dict[str, Any] | None = None
) -> dict[str, float]:
    """Every metric of a case; with ``folder``, also its results file ``result.h5`` (+ .xdmf).

    Unit: thermal metrics (on the board when there is one), aperture rule, warpage and
    stresses of the unit at each warpage temperature and along the reflow profile.
    Panel: warpage and stresses of the panel stage.
    """
    from ..io import write_results

    t0 = time.perf_counter()
    a = case.geometry.aperture()
    m: dict[str, float] = {"aperture_ratio": a["ratio"], "shielding_dB": a["shielding_dB"]}
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
        else:  # a thermal-only study
            w, states = {}, {}
    m.update(w)
    m["total_s"] = time.perf_counter() - t0
    if folder is not None and curves:
        from ..io import write_curves_csv

        write_curves_csv(folder, curves)
    if folder is not None and (states or th is not None):
        # without warpage temperatures the thermal result alone is written
        mesh = next(iter(states.values())).mesh if states else th.mesh
        info = dict(meta or {})
        info.setdefault("case", case.name)
        write_results(
            Path(folder) / "result.h5",
            mesh,
            thermal=th,
            mechanical=states or None,
            meta={**info, "metrics": m, "inputs": case},
        )
    return m
