"""Transient thermal metrics of a unit case: the junction heating curve (Zth), its
structure function, and theta_JC by the transient dual-interface method (JESD51-14).

The heating curve is the junction temperature (the die's hottest node) after a power
step from the equilibrium without power, per watt: ``Zth(t) = (Tj(t) - Tj(0)) / P``,
sampled at log-spaced times. The equilibrium is the ambient, or, where a fixed
temperature (``loads.fixed_C``, a cold plate) differs from it, the steady field of the
case's boundary conditions with the power off (JESD51-14 starts from thermal
equilibrium): Zth is then the power's own response and ends at ``(Tj - Tj(0)) / P``
(a uniform start at the ambient mixed in the boundary's own relaxation, and the
structure function refused the curve). It comes from :func:`fea.solve_thermal` with
the reduced scheme (a rational Krylov model, exact in time; ``[transient] method =
"steps"`` uses adaptive time steps instead: backward Euler by step doubling, extrapolated
to second order, the local error held below 1 % of the rise so far and 2e-3 of the
total, the outputs from each step's quadratic; within 0.2 % of a 1-D slab's series
solution from 1 us on, at 1.3-1.7 times the steps of the absolute tolerance alone).
k(T) is held at a temperature field (the steady field of the full power by default, so
Zth ends at theta_JA when the start is the ambient), as the structure-function theory
assumes a linear network.

Exact in time, the curve is only as fine in space as the mesh at the junction: before
the heat has crossed the die's first elements it reads low, and a P1 curve then
overshoots (a 1.5 mm P1 mesh of a 0.25 mm die, one element through it: 58 % low at 10
us, 16 % high at 0.26 ms; at P2 24 % low at 10 us, within 3 % at 0.26 ms). With the
die's power on its active face the early curve is checked against the surface response
of two semi-infinite solids (:func:`early_response_check`) and a warning says up to when
it is not resolved; the values are reported as computed.

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
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..fe.probes import interpolation_matrix
from ..fe.spaces import space
from ..fe.submesh import submesh
from ..fe.timestep import Transient, log_times
from ..physics.structure import StructureFunction, separation_point, structure_function
from ..physics.thermal import contact_mesh, solve_thermal, solve_thermal_variants
from ..solvers.base import naming_solve
from .geometry.board import BOARD_REGIONS
from .jedec import case_materials
from .power_map import active_face, thermal_loads
from .spec import CaseSpec
from .spec.geometry import junction_region, without_board

__all__ = [
    "DUAL_INTERFACE_END_S",
    "EARLY_RESPONSE_TOL",
    "EarlyResponse",
    "SEPARATION_TOL",
    "SF_K_COLUMN",
    "SF_K_COLUMN_BEFORE",
    "STEPS_TOL_REL",
    "decade_label",
    "dual_interface",
    "early_response_check",
    "heat_capacity",
    "junction_watch",
    "sf_curve",
    "sf_k_column",
    "zth_transient",
]

#: ``[transient] method = "steps"``: the local error of a step below this fraction of the
#: junction rise so far (:attr:`fea.fe.timestep.Transient.tol_rel`); with the absolute
#: 2e-3 of the total rise alone the early curve read 5.9 % low at 1 us, 2.2 % at 1 ms.
STEPS_TOL_REL = 1e-2

#: The differential structure function's column K = dC/dR, in W^2 s/K^2 ((J/K)/(K/W)).
SF_K_COLUMN = "K_W2s_per_K2"
#: Its name in results files written before, whose suffix said J/K^2 (read as the same
#: column, :func:`sf_k_column`).
SF_K_COLUMN_BEFORE = "K_J_per_K2"

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


#: Largest relative departure of the junction's heating curve from the die's surface
#: response (:func:`early_response_check`) at which an early output counts as resolved.
EARLY_RESPONSE_TOL = 0.05


class EarlyResponse(NamedTuple):
    """How the early heating curve compares with the die's surface response.

    Attributes
    ----------
    first_s
        The first output time [s].
    departure
        ``Zth / Zth_surface - 1`` there [-] (negative: the curve reads low).
    resolved_s
        The first output time [s] from which every output up to ``window_s`` is within
        :data:`EARLY_RESPONSE_TOL` of the surface response; NaN when the last one is not.
    window_s
        The end [s] of the comparison: ``L^2 / (6 alpha)`` of the die (thickness L), when
        its back face starts to tell (the image term is below 1 %).
    """

    first_s: float
    departure: float
    resolved_s: float
    window_s: float


def early_response_check(
    mesh: Any,
    materials: dict[str, Any],
    flux: dict[str, Any],
    times: NDArray[np.float64],
    zth: NDArray[np.float64],
    power_W: float,
    T_held_C: float,
) -> EarlyResponse | None:
    """Compare the junction's early heating curve with the die's surface response.

    While the heat has not crossed the die, a flux ``q`` on its active face (the face
    source of :func:`~fea.package.power_map.thermal_loads`) heats the face as the contact
    of two semi-infinite solids, the die and the layer under it:
    :math:`\\Delta T = 2 q \\sqrt{t/\\pi} / (e_{die} + e_{other})` with the effusivities
    :math:`e = \\sqrt{k \\rho c_p}` (Carslaw & Jaeger, Conduction of Heat in Solids, 1959,
    sections 2.9 and 2.15), ``q`` the largest facet flux (no point of the face heats
    faster). A mesh too coarse at the face for the first outputs reads far below it (a
    1.5 mm P1 mesh of a 0.25 mm die: 58 % low at 10 us, then 16 % high at 0.26 ms).

    Parameters
    ----------
    mesh
        The thermal model (regions ``die`` and the layer under it).
    materials
        Region -> material; k at ``T_held_C`` [degC] (where the transient holds k(T)).
    flux
        Boundary -> facet flux [W/m^2] of the solve (shape (n_f,) or a number).
    times, zth
        Output times [s] (m,) and the junction's Zth [K/W] there (m,).
    power_W
        The step's power [W].

    Returns
    -------
    An :class:`EarlyResponse`; None when the die's power is not on its active face or no
    output lies before the die's back face tells.
    """
    try:
        face = active_face(mesh)
    except InputError:
        return None
    if face not in flux or "die" not in materials or not power_W > 0:
        return None
    other = next(r for r in face.split("|") if r != "die")
    q = float(np.max(np.asarray(flux[face], dtype=float)))
    if other not in materials or not q > 0:
        return None

    def k_of(region: str) -> float:
        k = materials[region].conductivity(np.array([float(T_held_C)]))
        return float(np.asarray(k).reshape(-1)[-1])  # through the thickness (z)

    die, low = materials["die"], materials[other]
    e_die = math.sqrt(k_of("die") * die.rho * die.cp)
    e_low = math.sqrt(k_of(other) * low.rho * low.cp)
    z = mesh.p1.p[2, np.unique(mesh.p1.t[:, mesh.regions["die"]])]
    window = float(np.ptp(z)) ** 2 / (6.0 * k_of("die") / (die.rho * die.cp))
    times = np.asarray(times, dtype=float)
    inside = times <= window
    if not inside.any():
        return None
    ref = 2.0 * q * np.sqrt(times[inside] / math.pi) / (e_die + e_low) / power_W
    departure = np.asarray(zth, dtype=float)[inside] / ref - 1.0
    # resolved from the first output after which every one in the window is within the
    # tolerance: a P1 curve that starts low may cross the response and overshoot it
    off = np.flatnonzero(np.abs(departure) > EARLY_RESPONSE_TOL)
    if not len(off):
        resolved = float(times[0])
    elif off[-1] + 1 < len(departure):
        resolved = float(times[inside][off[-1] + 1])
    else:
        resolved = math.nan
    return EarlyResponse(float(times[0]), float(departure[0]), resolved, window)


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


def sf_k_column(columns: Any) -> str:
    """The name of the differential structure function's column among ``columns`` (a
    curve's column names): :data:`SF_K_COLUMN`, or :data:`SF_K_COLUMN_BEFORE` in a results
    file written before."""
    return SF_K_COLUMN if SF_K_COLUMN in columns else SF_K_COLUMN_BEFORE


def sf_curve(sf: StructureFunction) -> dict[str, NDArray[np.float64]]:
    """The cumulative and differential structure function as curve columns: R [K/W], C
    [J/K] and K = dC/dR [W^2 s/K^2] ((J/K)/(K/W); :data:`SF_K_COLUMN`; results files
    written before it named the column ``K_J_per_K2``, :data:`SF_K_COLUMN_BEFORE`)."""
    return {
        "R_K_per_W": sf.R_cum,
        "C_J_per_K": sf.C_cum,
        SF_K_COLUMN: sf.K_diff,
    }


def _power_off_field(
    mesh: Any, materials: dict[str, Any], solve_kw: dict[str, Any], ambient_C: float, k_at: Any
) -> float | NDArray[np.float64]:
    """Where the heating curve starts [degC]: the steady state of the case's boundary
    conditions with the power off (k held as in the transient), or the ambient itself
    when every fixed and film temperature is the ambient (no solve needed)."""
    fixed = solve_kw.get("fixed") or {}
    conv = solve_kw.get("convection") or {}
    temps = [*fixed.values(), *(T for _, T in conv.values())]
    if all(not callable(T) and float(T) == ambient_C for T in temps):
        return ambient_C
    kw = {k: v for k, v in solve_kw.items() if k not in ("sources", "flux")}
    return solve_thermal(mesh, materials, **kw, k_at_C=k_at).temperature


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
    k_at = steady.temperature if spec.conductivity_at == "steady" else amb
    with naming_solve("the [transient] heating curve's start (the power-off field)"):
        start = _power_off_field(mesh, mats, solve_kw, amb, k_at)
    tj_steady = steady.region_max(junction)
    die = np.unique(steady.space.dofs[mesh.regions[junction]])
    tj0 = amb if np.ndim(start) == 0 else float(np.max(start[die]))
    rise = max(tj_steady - tj0, 1e-6)
    common = dict(initial_C=start, outputs=times, fields=spec.fields, power=profile)
    if spec.method == "reduced":
        tr = Transient(spec.duration, spec.first_output, scheme="reduced", **common)
    else:
        tr = Transient(
            spec.duration,
            spec.first_output,
            adaptive=True,
            tol_K=2e-3 * rise,
            tol_rel=STEPS_TOL_REL,
            extrapolate=True,
            dt_min_s=spec.first_output * 1e-3,
            **common,
        )
    watch = junction_watch(steady.space, mesh, spec.probes, junction)
    with naming_solve("the [transient] heating curve (Zth)"):
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
        held = tj_steady if spec.conductivity_at == "steady" else amb
        flux = solve_kw.get("flux") or {}
        early = early_response_check(mesh, mats, flux, times, zth[1:], P, held)
        if junction == "die" and early is not None and abs(early.departure) > EARLY_RESPONSE_TOL:
            until = (
                f"before {early.resolved_s:.2g} s"
                if math.isfinite(early.resolved_s)
                else f"up to {early.window_s:.2g} s at least"
            )
            warnings.warn(
                f"the heating curve is not resolved by the mesh {until}: Zth at "
                f"{early.first_s:.2g} s is {100 * early.departure:+.0f} % off the die's "
                "surface response 2 q sqrt(t/pi) / (e_die + e_under), the contact of two "
                "semi-infinite solids, so its decades there (zth_..._K_per_W) follow the "
                "mesh, not the package: refine the die and its active face ([mesh] order "
                "= 2, film_size_mm, size_mm) or start the outputs later ([transient] "
                "first_output_s)",
                stacklevel=2,
            )
        settled = (tj[-1] - tj[0]) / rise
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
    case: CaseSpec,
    mesh: Any,
    backend: str,
    method: str = "auto",
    rtol: float = 1e-10,
    maxiter: int = 2000,
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
    ``backend``, ``method``, ``rtol``, ``maxiter``: the solves' (``[solver]``; ``maxiter``
    the iteration limit of each iterative solve of the reduced basis).
    """
    unit = dataclasses.replace(case, geometry=without_board(case.geometry))
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
    with naming_solve("the theta_JC transient (JESD51-14 dual interface)"):
        results = solve_thermal_variants(
            mesh,
            mats,
            [{"convection": {"shell_top": (h, amb)}} for h in hs],
            **heat,
            transient=tr,
            backend=backend,
            method=method,
            rtol=rtol,
            maxiter=maxiter,
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
