"""Transient thermal metrics of a unit case: the junction heating curve (Zth), its
structure function, and theta_JC by the transient dual-interface method (JESD51-14).

The heating curve is the junction temperature (the die's hottest node) after a power
step from the ambient, per watt: ``Zth(t) = (Tj(t) - Tj(0)) / P``, sampled at
log-spaced times. It comes from :func:`fea.solve_thermal` with the reduced scheme (a
rational Krylov model, exact in time; ``[transient] method = "steps"`` uses adaptive
time steps instead). k(T) is held at a temperature field (the steady field of the full
power by default, so Zth ends at theta_JA), as the structure-function theory assumes a
linear network.

Dual interface (JESD51-14): the unit alone (no board) heats with its case, the shell's
rear face, on an ideal cold plate at ambient through a dry and a greased contact (two
contact conductances); every other face is adiabatic. The cumulative structure
functions of the two heating curves coincide along the heat path inside the package
and part where the contact begins: that resistance is theta_JC
(:func:`fea.physics.structure.separation_point`).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..fe.probes import interpolation_matrix
from ..fe.spaces import space
from ..fe.submesh import submesh
from ..fe.timestep import Transient, log_times
from ..physics.structure import StructureFunction, separation_point, structure_function
from ..physics.thermal import contact_mesh, solve_thermal, solve_thermal_variants
from .geometry.board import BOARD_REGIONS
from .jedec import case_materials
from .power_map import thermal_loads
from .spec import CaseSpec
from .spec.geometry import junction_region

__all__ = [
    "DUAL_INTERFACE_END_S",
    "SEPARATION_TOL",
    "decade_label",
    "dual_interface",
    "heat_capacity",
    "junction_watch",
    "sf_curve",
    "zth_transient",
]

#: End of the dual-interface heating curves [s]: a unit on a cold plate settles in
#: seconds (tens of J/K at most times a few K/W); the curves are checked to have settled.
DUAL_INTERFACE_END_S = 1e3

#: Relative tolerance on R and C of the separation point. In a package whose case is
#: reached through a spreading layer (the mold cap above a face-down die) the two curves
#: part gradually over a few K/W, and the deconvolutions' staircases differ by a few per
#: cent well before that: at 3 % the point wandered with the deconvolution's grid (2.1
#: to 2.5 K/W on the coarse baseline with a 75-um attach), at 10 % it stays within
#: 3 % (4.6 to 4.7 K/W) over grids of 80 to 240 points per decade.
SEPARATION_TOL = 0.10


def decade_label(t: float) -> str:
    """``1e-3`` -> ``"1ms"``, ``1.0`` -> ``"1s"``, ``100.0`` -> ``"100s"``, ``1e-7`` ->
    ``"100ns"`` (decades)."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if t >= scale * (1 - 1e-9):
            return f"{t / scale:.0f}{unit}"
    return f"{t:g}s"


def heat_capacity(mesh: Any, materials: dict[str, Any]) -> float:
    """Total heat capacity of the model, sum of rho cp V [J/K]."""
    vol = mesh.element_volumes()
    return float(sum(m.rho * m.cp * vol[mesh.regions[r]].sum() for r, m in materials.items()))


def junction_watch(
    th_space: Any, mesh: Any, probes: dict[str, tuple] | None = None, junction: str = "die"
) -> dict:
    """Functions of the nodal temperature for ``watch=``: ``Tj`` (the hottest node of the
    region ``junction``, the die) and, with ``probes`` (name -> point [m]), ``probes``
    (their temperatures)."""
    die = np.unique(th_space.dofs[mesh.regions[junction]])
    out = {"Tj": lambda T: T[die].max()}
    if probes:
        try:
            P = interpolation_matrix(th_space, np.array(list(probes.values())))
        except InputError:
            raise InputError(
                "transient.probes_mm",
                {k: [1e3 * x for x in v] for k, v in probes.items()},
                "points inside the model",
            ) from None
        out["probes"] = lambda T: P @ T
    return out


def sf_curve(sf: StructureFunction) -> dict[str, NDArray[np.float64]]:
    """The cumulative and differential structure function as curve columns."""
    return {
        "R_K_per_W": sf.R_cum,
        "C_J_per_K": sf.C_cum,
        "K_J_per_K2": sf.K_diff,
    }


def zth_transient(
    case: CaseSpec, steady: Any, solve_kw: dict[str, Any]
) -> tuple[dict[str, float], dict[str, dict[str, NDArray]], Any]:
    """The case's ``[transient]`` on the mesh of its steady result.

    Parameters
    ----------
    steady
        The steady :class:`~fea.physics.thermal.ThermalResult` of the case (full power).
    solve_kw
        The keyword arguments of that steady solve (loads, backend, method).

    Returns
    -------
    (metrics, curves, transient ThermalResult). Metrics: ``Tj_peak_C``, Zth at each decade
    in the output range (``zth_1ms_K_per_W``...), the structure function's total R and
    the model's heat capacity; curves: ``zth`` (time, Tj, Zth, probes; the power of
    a table), ``structure_function`` and ``time_constant_spectrum``.
    """
    spec = case.transient
    mesh = steady.mesh
    mats = {r: m for r, m in case_materials(case).items() if r in mesh.regions}
    amb = case.loads.ambient
    P = case.loads.total_power
    if not P > 0:
        raise InputError("loads.power_W", case.loads.power, "a case with power for [transient]")
    times = log_times(spec.first_output, spec.duration, spec.outputs)
    profile = None
    if spec.power is not None:
        profile = [(t, p / P) for t, p in spec.power]
    junction = junction_region(case.geometry)
    rise = max(steady.region_max(junction) - amb, 1e-6)
    common = dict(initial_C=amb, outputs=times, fields=spec.fields, power=profile)
    if spec.method == "reduced":
        tr = Transient(spec.duration, spec.first_output, scheme="reduced", **common)
    else:
        tr = Transient(
            spec.duration,
            spec.first_output,
            adaptive=True,
            tol_K=2e-3 * rise,
            dt_min_s=spec.first_output * 1e-3,
            **common,
        )
    k_at = steady.temperature if spec.conductivity_at == "steady" else amb
    watch = junction_watch(steady.space, mesh, spec.probes, junction)
    th = solve_thermal(mesh, mats, **solve_kw, transient=tr, k_at_C=k_at, watch=watch)
    tj = th.series["Tj"]
    t_all = th.series.times
    curve: dict[str, NDArray] = {"time_s": t_all, "Tj_C": tj}
    m: dict[str, float] = {
        "Tj_peak_C": float(tj.max()),
        "heat_capacity_J_per_K": heat_capacity(mesh, mats),
        "transient_solve_s": th.solver_info["stages"]["total_s"],
    }
    step = spec.power is None
    if step:
        zth = (tj - tj[0]) / P
        curve["zth_K_per_W"] = zth
        lo, hi = math.ceil(math.log10(times[0]) - 1e-9), math.floor(math.log10(times[-1]) + 1e-9)
        for e in range(lo, hi + 1):
            t = 10.0**e
            m[f"zth_{decade_label(t)}_K_per_W"] = float(
                np.interp(np.log(t), np.log(t_all[1:]), zth[1:])
            )
        settled = (tj[-1] - amb) / rise
        if spec.conductivity_at == "steady" and abs(settled - 1) > 2e-3:
            warnings.warn(
                f"the heating curve reaches {100 * settled:.1f} % of the steady rise by "
                f"duration_s = {spec.duration:g} s: the structure function ends early",
                stacklevel=2,
            )
    else:
        curve["power_W"] = np.array([P * tr.power(t) for t in t_all])
    for i, name in enumerate(spec.probes):
        T = th.series["probes"][:, i]
        curve[f"T_{name}_C"] = T
        if step:
            curve[f"zth_{name}_K_per_W"] = (T - T[0]) / P
    curves = {"zth": curve}
    if step and spec.structure_function:
        sf = structure_function(times, curve["zth_K_per_W"][1:])
        curves["structure_function"] = sf_curve(sf)
        curves["time_constant_spectrum"] = {"tau_s": sf.tau_s, "R_K_per_W": sf.R_spectrum}
        m["sf_R_total_K_per_W"] = sf.R_total
    return m, curves, th


def dual_interface(
    case: CaseSpec, mesh: Any, backend: str, method: str = "auto", rtol: float = 1e-10
) -> tuple[float, dict[str, dict[str, NDArray]]]:
    """theta_JC [K/W] by the transient dual-interface method, and its curves.

    The unit without its board: ``mesh`` (the case's thermal model) less the board's
    elements, so theta_JC and theta_JA share one discretisation; the case's sources and
    power map; the shell's rear face (``shell_top``) on a cold plate at ambient through
    each of ``case.theta_jc.contact_h``; k(T) held at the ambient (the small-signal
    response a measurement at low power sees). Both curves come from one reduced basis
    (:func:`~fea.physics.thermal.solve_thermal_variants`), so they agree closely until
    the heat reaches the case; the separation is the point after the last agreement
    within :data:`SEPARATION_TOL`. Where the case is reached through a spreading layer
    the curves part gradually and this value lies below the steady fixed-case one, which
    also counts the spreading under the case. Curves: ``dual_interface_zth`` (time and
    both Zth) and ``dual_interface_sf_h<h>`` (each cumulative structure function).
    """
    unit = dataclasses.replace(case, geometry=dataclasses.replace(case.geometry, board=None))
    board = [r for r in BOARD_REGIONS if r in mesh.regions]
    if board:
        mesh = submesh(mesh, [r for r in mesh.regions if r not in board])
    mats = {r: m for r, m in case_materials(case).items() if r in mesh.regions}
    amb = case.loads.ambient
    P = case.loads.total_power
    if not P > 0:
        return math.nan, {}
    heat = thermal_loads(mesh, unit)
    # contacts split their interfaces once here, so that the watch sees the solved nodes
    mesh, _ = contact_mesh(mesh, heat.get("contacts"))
    times = log_times(1e-6, DUAL_INTERFACE_END_S, 400)
    tr = Transient(
        DUAL_INTERFACE_END_S, 1e-6, initial_C=amb, outputs=times, fields=0, scheme="reduced"
    )
    zth: dict[str, NDArray] = {"time_s": times}
    sfs: list[StructureFunction] = []
    curves: dict[str, dict[str, NDArray]] = {}
    watch = {"Tj": junction_watch(space(mesh), mesh, junction=junction_region(case.geometry))["Tj"]}
    hs = case.theta_jc.contact_h
    results = solve_thermal_variants(
        mesh,
        mats,
        [{"convection": {"shell_top": (h, amb)}} for h in hs],
        **heat,
        transient=tr,
        backend=backend,
        method=method,
        rtol=rtol,
        k_at_C=amb,
        watch=watch,
    )
    for h, th in zip(hs, results, strict=True):
        z = (th.series["Tj"][1:] - amb) / P
        if abs(z[-1] - z[np.searchsorted(times, times[-1] / 10)]) > 1e-3 * z[-1]:
            warnings.warn(
                f"dual interface (h = {h:g}): the heating curve has not settled by "
                f"{DUAL_INTERFACE_END_S:g} s",
                stacklevel=2,
            )
        label = f"h{h:g}"
        zth[f"zth_{label}_K_per_W"] = z
        sf = structure_function(times, z)
        sfs.append(sf)
        curves[f"dual_interface_sf_{label}"] = sf_curve(sf)
    curves["dual_interface_zth"] = zth
    return separation_point(sfs[0], sfs[1], rel_tol=SEPARATION_TOL, rule="last"), curves
