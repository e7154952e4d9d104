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

from ..physics.mechanics import close_solver_cache, solve_thermoelastic
from ..physics.thermal import solve_thermal
from . import jedec
from .meshing import build_mesh
from .names import Column
from .spec import CaseSpec

__all__ = ["analyse", "panel_metrics", "thermal_metrics", "warpage_metrics"]


def mesh_materials(mesh: Any, case: CaseSpec) -> dict[str, Any]:
    """The case's materials of the regions ``mesh`` has (a unit's warpage mesh has no
    board, a unit no mandrel), the board's conductivity from its copper stack and vias
    (:func:`fea.package.jedec.case_materials`)."""
    return {r: m for r, m in jedec.case_materials(case).items() if r in mesh.regions}


def mesh_reference(mesh: Any, case: CaseSpec) -> dict[str, float]:
    """The case's stress-free temperatures of the regions ``mesh`` has, and ``"*"``."""
    return {r: T for r, T in case.loads.reference.items() if r == "*" or r in mesh.regions}


def thermal_metrics(case: CaseSpec, backend: str | None = None) -> tuple[dict[str, float], Any]:
    """Tj max, the environment's metrics and theta_JC of the case; returns (metrics,
    ThermalResult).

    In the case's environment (:mod:`fea.package.jedec`): theta_JA = (Tj - T_amb) / P
    (still air, uniform h), theta_JMA (forced air), theta_JB (ring cold plate), psi_JB
    and psi_JT = (Tj - T_top) / P with T_top at the centre of the shell's rear face;
    theta_JC = (Tj - T_case) / P with the rear face held at T_amb and every other face
    adiabatic (JESD51-14-style boundary condition, steady state).
    """
    backend = backend or case.solver.backend
    mesh, _ = build_mesh(case)
    mesh = jedec.environment_mesh(mesh, case)
    mats = mesh_materials(mesh, case)
    loads = case.loads
    P = sum(loads.power.values())
    bc = jedec.boundary_conditions(mesh, case)
    fixed = {**loads.fixed, **bc.fixed}
    th = solve_thermal(
        mesh,
        mats,
        sources=loads.power,
        convection=bc.convection,
        fixed=fixed,
        backend=backend,
        method=case.solver.method,
        rtol=case.solver.rtol,
    )
    tj = th.region_max("die")
    m = {
        "Tj_max": tj,
        **jedec.jedec_metrics(case, th, bc),
        "heat_balance": th.heat_balance(),
        "thermal_solve_s": th.solver_info["stages"]["total_s"],
        "n_nodes_thermal": float(th.temperature.shape[0]),
    }
    jc = solve_thermal(
        mesh,
        mats,
        sources=loads.power,
        fixed={"shell_top": loads.ambient},
        backend=backend,
        method=case.solver.method,
        rtol=case.solver.rtol,
    )
    m["theta_jc"] = (jc.region_max("die") - loads.ambient) / P
    return m, th


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
    stresses of the unit at each warpage temperature and along the reflow profile (none
    when both lists are empty: a thermal study).
    Panel: warpage and stresses of the panel stage.
    """
    from ..io import write_results

    t0 = time.perf_counter()
    a = case.geometry.aperture()
    m: dict[str, float] = {"aperture_ratio": a["ratio"], "shielding_dB": a["shielding_dB"]}
    th = None
    if case.kind == "panel":
        w, states = panel_metrics(case)
    else:
        tm, th = thermal_metrics(case)
        m.update(tm)
        if case.loads.warpage_temperatures or case.loads.reflow:
            w, states = warpage_metrics(case)
        else:  # a thermal study: no warpage temperatures, no reflow
            w, states = {}, {}
    m.update(w)
    m["total_s"] = time.perf_counter() - t0
    if folder is not None and (states or th is not None):
        mesh = next(iter(states.values())).mesh if states else th.mesh
        info = dict(meta or {})
        info.setdefault("case", case.name)
        write_results(
            Path(folder) / "result.h5",
            mesh,
            thermal=th,
            mechanical=states,
            meta={**info, "metrics": m, "inputs": case},
        )
    return m
