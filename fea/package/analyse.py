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

from ..physics.history import Process, Stage, solve_history
from ..physics.mechanics import close_solver_cache, solve_thermoelastic
from ..physics.thermal import solve_thermal
from .meshing import build_mesh
from .names import Column
from .spec import PANEL_STAGES, CaseSpec

__all__ = [
    "analyse",
    "history_metrics",
    "history_process",
    "independent_panel_metrics",
    "panel_metrics",
    "thermal_metrics",
    "warpage_metrics",
]


KERF = "kerf"  # the panel's kerf regions are ``kerf_<region>`` (geometry/panel.py)


def _base_region(r: str) -> str:
    """The region whose material a kerf region ``kerf_<region>`` has (else ``r``)."""
    return r.removeprefix(f"{KERF}_") if r.startswith(f"{KERF}_") else r


def mesh_materials(mesh: Any, case: CaseSpec) -> dict[str, Any]:
    """The case's materials of the regions ``mesh`` has (a unit's warpage mesh has no
    board, a unit no mandrel); a panel's kerf region has the material it cuts."""
    return {
        r: case.materials[_base_region(r)]
        for r in mesh.regions
        if _base_region(r) in case.materials
    }


def mesh_reference(mesh: Any, case: CaseSpec) -> dict[str, float]:
    """The case's stress-free temperatures of the regions ``mesh`` has, and ``"*"``."""
    ref = case.loads.reference
    out = {r: T for r, T in ref.items() if r == "*" or r in mesh.regions}
    for r in mesh.regions:
        if r not in out and _base_region(r) in ref:
            out[r] = ref[_base_region(r)]
    return out


def _convection(mesh, case: CaseSpec) -> dict[str, tuple[float, float]]:
    loads = case.loads
    conv = {}
    for name in ("package_surface", "board_surface"):
        if name in mesh.boundaries and loads.h > 0:
            conv[name] = (loads.h, loads.ambient)
    for name, h in loads.h_boundaries.items():
        conv[name] = (h, loads.ambient)
    return conv


def thermal_metrics(case: CaseSpec, backend: str | None = None) -> tuple[dict[str, float], Any]:
    """Tj max, theta_JA, psi_JT and theta_JC of the case; returns (metrics, ThermalResult).

    theta_JA = (Tj - T_amb) / P with the spec's convection (and board);
    psi_JT = (Tj - T_top) / P with T_top at the centre of the shell's rear face;
    theta_JC = (Tj - T_case) / P with the rear face held at T_amb and every other face
    adiabatic (JESD51-14-style boundary condition, steady state).
    """
    backend = backend or case.solver.backend
    mesh, _ = build_mesh(case)
    mats = mesh_materials(mesh, case)
    loads = case.loads
    P = sum(loads.power.values())
    conv = _convection(mesh, case)
    fixed = {b: T for b, T in loads.fixed.items()}
    th = solve_thermal(
        mesh,
        mats,
        sources=loads.power,
        convection=conv,
        fixed=fixed,
        backend=backend,
        method=case.solver.method,
        rtol=case.solver.rtol,
    )
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


def _state_metrics(
    me, mesh, tag: str, surface: str = "top", regions: Any = None
) -> dict[str, float]:
    out: dict[str, float] = {}

    def put(metric: str, value: float, region: str | None = None) -> None:
        out[str(Column(metric, tag, region))] = float(value)

    w = me.warpage(surface)
    put("warpage_um", w.peak_to_valley * 1e6)
    put("warpage_signed_um", w.signed * 1e6)
    put("curvature", w.curvature)
    if "terminal_tips" in mesh.boundaries:
        put("coplanarity_um", me.warpage("terminal_tips").coplanarity * 1e6)
    for region in mesh.regions if regions is None else regions:
        put("von_mises_max_MPa", me.region_max_von_mises(region) / 1e6, region)
    if "die|encapsulant" in mesh.boundaries:
        sn, ss = me.interface_traction("die|encapsulant")
        put("interface_traction_max_MPa", np.hypot(sn, ss).max() / 1e6)
    if "stages" in me.solver_info:  # one elastic solve (a history reports its own total)
        put("mech_solve_s", me.solver_info["stages"]["total_s"])
    return out


def _warpage_case(case: CaseSpec) -> CaseSpec:
    """The unit without its board, meshed for uniform-temperature mechanics."""
    geo = dataclasses.replace(case.geometry, board=None)
    ms = case.mesh
    if ms.film_size is None:
        # the default film refinement is for the heat path (Tj); at uniform temperature
        # the warpage converges without it (docs/performance.md) and it would triple the
        # DOF. An explicit mesh.film_size applies here too.
        ms = dataclasses.replace(ms, film_size=ms.size)
    return dataclasses.replace(case, geometry=geo, mesh=ms)


def warpage_metrics(case: CaseSpec, backend: str | None = None) -> tuple[dict[str, float], Any]:
    """Warpage of the top surface at each of the spec's warpage temperatures (unit without
    board, free body, uniform temperature), and the largest von Mises stress per region.

    Also the reflow profile ``loads.reflow_C`` when given (states tagged ``r00_25C``...).
    Returns (metrics, {state label: MechanicalResult}); the results share one mesh.
    """
    backend = backend or case.solver.backend
    mesh, _ = build_mesh(_warpage_case(case))
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


def reflow_tags(case: CaseSpec) -> list[str]:
    """State labels of the reflow profile: ``r00_25C``, ``r01_100C``..."""
    return [f"r{i:02d}_{T:g}C" for i, T in enumerate(case.loads.reflow)]


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
    for tag, T, t in zip(reflow_tags(case), case.loads.reflow, proc.reflow_times, strict=True):
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
        mesh, _ = build_mesh(pcase)
    else:
        mesh, _ = build_mesh(_warpage_case(case))
    proc = case.process
    assert proc is not None
    h = solve_history(
        mesh,
        mesh_materials(mesh, case),
        history_process(case, mesh),
        mesh_reference(mesh, case),
        backend=backend,
        method=case.solver.method,
        shrinkage=case.loads.cure_shrinkage,
        substeps=proc.substeps,
        max_step_K=proc.max_step_K,
    )
    kerf = [r for r in mesh.regions if r.startswith(f"{KERF}_")]
    out: dict[str, float] = {}
    for label, st in zip(h.labels, h.states, strict=True):
        present = st.solver_info["regions"]
        if case.kind == "panel":
            surface = "bottom" if all(r in present for r in kerf) else "units_bottom"
        else:
            surface = "top"
        out.update(_state_metrics(st, mesh, label, surface=surface, regions=present))
    out["n_dof_mechanical"] = float(3 * mesh.nodes.shape[0])
    out["history_steps"] = float(h.solver_info["steps"])
    out["history_factorizations"] = float(h.solver_info["factorizations"])
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
    for stage, T in todo:
        scase = dataclasses.replace(
            case, geometry=dataclasses.replace(g, panel=dataclasses.replace(g.panel, stage=stage))
        )
        mesh, _ = build_mesh(scase)
        temps_tags = [] if T is None else [(T, stage)]
        if stage == "singulated":
            temps_tags += list(zip(case.loads.reflow, reflow_tags(case), strict=True))
        m, states = _temperature_states(mesh, scase, temps_tags, backend, "bottom")
        m.pop("n_dof_mechanical", None)
        out.update(m)
    return out, states


def analyse(
    case: CaseSpec, folder: str | os.PathLike | None = None, meta: dict[str, Any] | None = None
) -> dict[str, float]:
    """Every metric of a case; with ``folder``, also its results file ``result.h5`` (+ .xdmf).

    Unit: thermal metrics (on the board when there is one), aperture rule, warpage and
    stresses of the unit at each warpage temperature and along the reflow profile, or,
    with a ``[process]`` history, at each state of the process and the reflow profile.
    Panel: warpage and stresses of the panel stage, or of each state of its process.
    """
    from ..io import write_results

    t0 = time.perf_counter()
    a = case.geometry.aperture()
    m: dict[str, float] = {"aperture_ratio": a["ratio"], "shielding_dB": a["shielding_dB"]}
    th = None
    extra: dict[str, Any] = {}
    model = case.process.model if case.process is not None else None
    if case.kind == "unit":
        tm, th = thermal_metrics(case)
        m.update(tm)
    if model == "history":
        w, states, extra = history_metrics(case)
    elif case.kind == "panel" and model == "independent":
        w, states = independent_panel_metrics(case)
    elif case.kind == "panel":
        w, states = panel_metrics(case)
    else:
        w, states = warpage_metrics(case)
    m.update(w)
    m["total_s"] = time.perf_counter() - t0
    if folder is not None and states:
        mesh = next(iter(states.values())).mesh
        info = dict(meta or {})
        info.setdefault("case", case.name)
        write_results(
            Path(folder) / "result.h5",
            mesh,
            thermal=th,
            mechanical=states,
            meta={**info, "metrics": m, "inputs": case, **extra},
        )
    return m
