"""JEDEC thermal test environments, the JESD51-7 board and the package thermal metrics.

An environment (``[environment] kind``, :class:`~fea.package.spec.EnvironmentSpec`) says
which boundaries of a unit's thermal model get which heat-transfer condition:

- ``uniform_h``: ``loads.h`` on every exposed face of the package and the board (the
  stand-in used before the JEDEC environments; kept as the default). With a board, the
  faces in the stand-off gap get h = 0 (per facet of ``package_surface`` and
  ``board_surface``), as in still air (see below): they face each other, not the room.
  Cooling them at h to the ambient took 0.07 W of the baseline's 1.5 W and lowered its
  R_ja by 2.0 K/W (4 %). An imported model keeps h on every face of ``package_surface``
  and ``board_surface`` (its gap is not known).
- ``still_air`` (JESD51-2A): natural convection by face orientation (Churchill-Chu on
  vertical faces, the hot-plate correlations on faces up and down) plus radiation with
  an emissivity per region, both at the local surface temperature and iterated with the
  solve (:class:`~fea.physics.convection.FilmCoefficient`). Horizontal faces use the
  board's A/P (the assembly is one plate heated near its centre; the package top sits in
  the board's plume), vertical faces their own height (board edge: its thickness;
  package sides: the package's height above the board).
- ``forced_air`` (JESD51-6): the flat-plate forced coefficient at ``velocity`` over the
  length along the stream (the board's, and the package body's for the package faces),
  mixed with natural convection, plus radiation.
- ``junction_to_board`` (JESD51-8): the board clamped on both faces by a ring cold plate
  from ``ring_offset`` (5 mm minimum) outside the package body outwards, the openings
  insulated: every other face adiabatic, all the heat leaves through the board.

With a board in air, the package faces inside the stand-off gap (the underside and the
terminals) and the board's top under the package body face each other across a gap of a
few tenths of a millimetre, not the room: they get no coefficient (the gap's air
conduction, about k_air/gap * area ~ 0.01 W/K for the baseline, is negligible beside the
terminals and is not modelled).

Metrics (JESD51-12 names; T_j the die's hottest node, P the power):
theta_JA = (T_j - T_a)/P in still air, theta_JMA the same in forced
air, theta_JB = (T_j - T_B)/P on the ring cold plate, psi_JB = (T_j - T_B)/P and
psi_JT = (T_j - T_top)/P in air, with T_B on the board's top face
``board_point_offset`` (1 mm) outside the middle of the package's longest side and
T_top at the centre of the package top. ``uniform_h`` is no JEDEC environment: its
(T_j - T_a)/P, psi_JT and psi_JB are reported as ``R_ja_uniform_h_K_per_W``,
``psi_jt_uniform_h_K_per_W`` and ``psi_jb_uniform_h_K_per_W``, never under the JEDEC
names. theta_JC is a property of the package, the same in every environment: it is
computed by :func:`fea.package.analyse.thermal_metrics` on the package alone (no board),
its case face cooled, every other face adiabatic.

References
----------
JEDEC JESD51-2A (2008), JESD51-6 (1999), JESD51-7 (1999), JESD51-8 (1999), JESD51-12
(2005); Texas Instruments SPRA953, Semiconductor and IC package thermal metrics.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from ..physics import materials as _materials
from ..physics.convection import FilmCoefficient, horizontal_plate_length
from ..physics.effective import Orthotropic, layered_conductivity, via_fraction, with_vias
from ..validate import check_finite
from .geometry.board import BOARD_REGIONS
from .names import Column
from .spec import CaseSpec, EnvironmentSpec
from .spec.constants import UNIFORM_H_OUTPUTS
from .spec.geometry import is_imported, junction_region, without_board

__all__ = [
    "BoundaryConditions",
    "JESD51_7_COPPER",
    "board_conductivity",
    "board_point",
    "boundary_conditions",
    "case_materials",
    "environment_mesh",
    "jedec_metrics",
    "package_case",
    "ring_opening",
    "thermal_resistance",
]

#: JESD51-7 2s2p stack, top to bottom: (copper thickness [m], area coverage). Signal
#: layers 2 oz (70 um finished, JESD51-7/-9), buried power and ground planes 1 oz
#: (35 um) and solid. The signal layers' trace coverage is not fixed by the standard;
#: 10 % is a typical fan-out (override with ``[geometry.board] coverage``).
JESD51_7_COPPER: tuple[tuple[float, float], ...] = (
    (70e-6, 0.10),
    (35e-6, 1.0),
    (35e-6, 1.0),
    (70e-6, 0.10),
)

#: Boundaries of a unit in air without the faces in the stand-off gap (see module doc).
AIR_BOUNDARIES = {"package_surface": "package_air", "board_surface": "board_air"}


def thermal_resistance(T_junction_C: float, T_reference_C: float, power_W: float) -> float:
    """(T_j - T_ref) / P [K/W]: theta (ref = ambient, case, board) or psi (a temperature
    measured while the heat also flows elsewhere); NaN without power (undefined, not
    infinite)."""
    tj = check_finite("T_junction_C", T_junction_C)
    tr = check_finite("T_reference_C", T_reference_C)
    P = check_finite("power_W", power_W)
    if not P > 0:
        return math.nan
    return (tj - tr) / P


# -- the board ------------------------------------------------------------------------


def _copper_k() -> float:
    return float(_materials.get("copper").conductivity(25.0))


def board_conductivity(case: CaseSpec) -> Orthotropic | None:
    """Effective (in-plane, through-plane) conductivity [W/(m K)] of the case's board
    from its copper stack (laminate plus copper layers, each copper layer its coverage
    of copper and the rest laminate), or None when the board's material is used as
    given (``stack = "material"``) or there is no board."""
    b = case.geometry.board
    if b is None or not b.layers:
        return None
    k_cu = _copper_k()
    lam_xy, lam_z = b.laminate_k
    t_cu = [c.thickness for c in b.layers]
    thick = [b.thickness - sum(t_cu), *t_cu]
    k_xy = [lam_xy] + [c.coverage * k_cu + (1 - c.coverage) * lam_xy for c in b.layers]
    k_z = [lam_z] + [c.coverage * k_cu + (1 - c.coverage) * lam_z for c in b.layers]
    return layered_conductivity(thick, k_xy, k_z)


def _orthotropic(m: Any, key: str) -> tuple[float, float, float]:
    k = m.k
    if isinstance(k, tuple):
        return tuple(float(x) for x in k)  # type: ignore[return-value]
    if m.temperature_dependent_k:
        raise InputError(key, m.name, "a board material with a constant conductivity")
    v = float(m.conductivity(25.0))
    return (v, v, v)


def case_materials(case: CaseSpec) -> dict[str, Any]:
    """The case's region materials with the board's conductivity from its copper stack
    and the thermal-via zone's from the vias (other properties from ``materials.board``)."""
    mats = dict(case.materials)
    b = case.geometry.board
    if b is None or "board" not in mats:
        return mats
    eff = board_conductivity(case)
    board = mats["board"]
    if eff is not None:
        board = board.with_(k=(eff.in_plane, eff.in_plane, eff.through))
        mats["board"] = board
    tv = b.thermal_vias
    if tv is not None and "board_vias" in mats:
        kx, ky, kz = _orthotropic(board, "materials.board")
        f = via_fraction(tv.pitch, tv.drill, tv.plating, tv.filled)
        kz_v = with_vias(Orthotropic(kx, kz), f, _copper_k()).through
        mats["board_vias"] = board.with_(name=f"{board.name}+vias", k=(kx, ky, kz_v))
    return mats


# -- environments -----------------------------------------------------------------------


def ring_opening(case: CaseSpec) -> tuple[float, float]:
    """Inner size (x, y) [m] of the JESD51-8 ring cold plate: the body plus the ring
    offset on each side."""
    g, env = case.geometry, case.environment
    return (g.body[0] + 2 * env.ring_offset, g.body[1] + 2 * env.ring_offset)


def board_point(case: CaseSpec) -> tuple[float, float, float]:
    """Where T_B is read [m]: on the board's top face, ``board_point_offset`` outside the
    middle of the package body's longest side."""
    g = case.geometry
    d = case.environment.board_point_offset
    z = -g.terminals.height
    bx, by = g.body
    if bx >= by:  # the sides parallel to x are the longest: step out along y
        return (0.0, by / 2 + d, z)
    return (bx / 2 + d, 0.0, z)


def _in_gap(case: CaseSpec, centroids: np.ndarray) -> np.ndarray:
    """Facets in the stand-off gap: package faces at or below the dielectric's outer face,
    board top faces under the package body."""
    g = case.geometry
    tol = 1e-9
    bx, by = g.body
    z = centroids[:, 2]
    under = (np.abs(centroids[:, 0]) < bx / 2) & (np.abs(centroids[:, 1]) < by / 2)
    return (z < tol) & (z > -g.terminals.height - tol) & under


def environment_mesh(mesh: Any, case: CaseSpec) -> Any:
    """The mesh with the boundaries the case's environment uses added: for still and
    forced air with a board, ``package_air`` and ``board_air`` (the exposed faces
    without those in the stand-off gap). Returns ``mesh`` itself when none is needed;
    otherwise a shallow copy sharing its arrays."""
    env = case.environment
    if env.kind not in ("still_air", "forced_air") or case.geometry.board is None:
        return mesh
    extra = {}
    for name, air in AIR_BOUNDARIES.items():
        if name in mesh.boundaries:
            extra[air] = mesh.boundaries[name][_exposed_facets(mesh, case, name)]
    return dataclasses.replace(mesh, boundaries={**mesh.boundaries, **extra})


def _exposed_facets(mesh: Any, case: CaseSpec, name: str) -> np.ndarray:
    """Which facets of boundary ``name`` of ``mesh`` face the room, shape (n_f,), bool, in
    the order of ``mesh.boundaries[name]``: all but those in the stand-off gap (see the
    module doc) when the unit has a board, all of them without one."""
    f = mesh.boundaries[name]
    if case.geometry.board is None:
        return np.ones(len(f), dtype=bool)
    c = mesh.p1.p.T[mesh.p1.facets[:, f].T].mean(axis=1)
    return ~_in_gap(case, c)


@dataclass(frozen=True)
class BoundaryConditions:
    """What an environment puts on the thermal model: ``convection`` (boundary -> (h or
    a surface model, T_inf)) and ``fixed`` (boundary -> degC), for
    :func:`fea.physics.thermal.solve_thermal`; ``reference`` the temperature theta is
    taken from [degC] (ambient, or the cold plate)."""

    convection: dict[str, tuple[Any, float]]
    fixed: dict[str, float]
    reference: float


def _lengths(case: CaseSpec) -> dict[str, dict[str, float]]:
    """Characteristic lengths [m] per surface ("package", "board") and orientation."""
    g = case.geometry
    bx, by = g.body
    height = g.z_top + g.terminals.height
    if g.board is not None:
        horizontal = horizontal_plate_length(*g.board.size)
    else:
        horizontal = horizontal_plate_length(bx, by)
    out = {"package": {"up": horizontal, "down": horizontal, "vertical": height}}
    if g.board is not None:
        out["board"] = {"up": horizontal, "down": horizontal, "vertical": g.board.thickness}
    return out


def boundary_conditions(mesh: Any, case: CaseSpec) -> BoundaryConditions:
    """The convection and fixed-temperature conditions of the case's environment on
    ``mesh`` (from :func:`environment_mesh`), plus ``loads.h_boundaries``."""
    loads, env, g = case.loads, case.environment, case.geometry
    Ta = loads.ambient
    conv: dict[str, tuple[Any, float]] = {}
    fixed: dict[str, float] = {}
    reference = Ta
    if env.kind == "uniform_h":
        for name in ("package_surface", "board_surface"):
            if name in mesh.boundaries and loads.h > 0:
                if g.board is None or is_imported(g):
                    conv[name] = (loads.h, Ta)
                else:  # h per facet, 0 on the faces in the stand-off gap
                    conv[name] = (np.where(_exposed_facets(mesh, case, name), loads.h, 0.0), Ta)
    elif env.kind in ("still_air", "forced_air"):
        lengths = _lengths(case)
        v = env.velocity if env.kind == "forced_air" else 0.0
        axis = 0 if env.flow == "x" else 1
        flow = {"package": g.body[axis]}
        if g.board is not None:
            flow["board"] = g.board.size[axis]
        for part in lengths:
            surface = f"{part}_surface"
            name = AIR_BOUNDARIES[surface] if g.board is not None else surface
            if name not in mesh.boundaries:
                continue
            conv[name] = (
                FilmCoefficient(
                    length_m=lengths[part],
                    velocity_m_s=v,
                    flow_length_m=flow[part] if v > 0 else None,
                    emissivity=dict(env.emissivity),
                ),
                Ta,
            )
    else:  # junction_to_board
        T_cp = env.cold_plate if env.cold_plate is not None else Ta
        fixed["cold_plate"] = T_cp
        reference = T_cp
    for name, h in loads.h_boundaries.items():
        conv[name] = (h, Ta)
    if not (fixed or loads.fixed or any(callable(h) or np.any(h > 0) for h, _ in conv.values())):
        raise InputError(
            "loads.h",
            loads.h,
            "h > 0 W/(m^2 K), or a heat sink in loads.h_boundaries or loads.fixed_C (without "
            "one the steady temperature is undetermined)",
        )
    return BoundaryConditions(conv, fixed, reference)


def package_case(case: CaseSpec) -> CaseSpec:
    """The case's package alone, what theta_JC is a property of: no board (so no board
    regions, vias zone or cold-plate ring in its mesh), the default environment and no
    extra convection boundaries; geometry, materials, mesh settings, power and power map
    as the case's, and its contacts but those with the board. Every environment of one
    package gives the same one, so the same theta_JC
    (:func:`fea.package.analyse.thermal_analysis`)."""
    loads = dataclasses.replace(case.loads, h_boundaries={})
    contacts = {
        k: v
        for k, v in case.contacts.items()
        if not any(r in BOARD_REGIONS for r in str(k).split("|"))
    }
    return dataclasses.replace(
        case,
        geometry=without_board(case.geometry),
        environment=EnvironmentSpec(),
        loads=loads,
        contacts=contacts,
    )


# -- metrics ---------------------------------------------------------------------------


def jedec_metrics(case: CaseSpec, th: Any, bc: BoundaryConditions) -> dict[str, float]:
    """The environment's metrics from a steady :class:`~fea.physics.thermal.ThermalResult`
    (see the module doc): ``theta_ja_K_per_W`` and ``psi_jt_K_per_W`` in still air,
    ``theta_jma_K_per_W`` and ``psi_jt_K_per_W`` in forced air, ``psi_jb_K_per_W`` in air
    with a board, ``theta_jb_K_per_W`` on the ring cold plate; under ``uniform_h`` (no
    JEDEC environment) the same quantities as in still air under their own names,
    ``R_ja_uniform_h_K_per_W``, ``psi_jt_uniform_h_K_per_W`` and
    ``psi_jb_uniform_h_K_per_W`` (:data:`~fea.package.spec.constants.UNIFORM_H_OUTPUTS`);
    NaN without power. A ``loads.fixed_C`` face held away from the reference temperature
    adds heat of its own to (Tj - T_ref) / P: computed as defined, with a warning."""
    env, g = case.environment, case.geometry
    P = case.loads.total_power
    tj = th.region_max(junction_region(g))
    out: dict[str, float] = {}
    other = {k: v for k, v in case.loads.fixed.items() if v != bc.reference}
    if other and P > 0:
        # a face held away from the reference feeds or drains heat of its own: (Tj - T_ref)
        # / P then mixes that heat with the power's and is no property of the package
        held = ", ".join(f"loads.fixed_C.{k} = {v:g}" for k, v in other.items())
        warnings.warn(
            f"{held} degC differs from the reference {bc.reference:g} degC of theta/psi: "
            "the held face's own heat enters (Tj - T_ref) / P, so the thermal resistances "
            "are not the package's (hold it at the reference for them)",
            stacklevel=2,
        )
    uniform = env.kind == "uniform_h"

    def put(metric: str, value: float) -> None:
        if uniform:
            metric = UNIFORM_H_OUTPUTS.get(metric, metric)
        out[str(Column(metric))] = float(value)

    t_board = float(th.probe([board_point(case)])[0]) if g.board is not None else None
    if env.kind == "junction_to_board":
        assert t_board is not None
        put("theta_jb_K_per_W", thermal_resistance(tj, t_board, P))
        return out
    t_top = float(th.probe([[0.0, 0.0, g.z_top]])[0])
    name = "theta_jma_K_per_W" if env.kind == "forced_air" else "theta_ja_K_per_W"
    put(name, thermal_resistance(tj, bc.reference, P))
    put("psi_jt_K_per_W", thermal_resistance(tj, t_top, P))
    if t_board is not None:
        put("psi_jb_K_per_W", thermal_resistance(tj, t_board, P))
    return out
