"""The analysis sections: ``[environment]`` (JEDEC conditions), ``[transient]`` (heating
curve), ``[theta_jc]``, ``[limits]``, ``[solver]`` and ``[outputs]``."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

from ...errors import InputError
from ...solvers.base import MAXITER_CAP, check_out_of_core
from .constants import (
    DEFAULT_EMISSIVITY,
    DEFAULT_OUTPUTS,
    ENVIRONMENTS,
    OUTPUT_ALIASES,
    OUTPUTS,
    UNIFORM_H_OUTPUTS,
)
from .geometry import GeometrySpec, is_imported, model_regions
from .loads import LoadSpec
from .reader import Section, check_label, check_number, hint

__all__ = [
    "EnvironmentSpec",
    "LimitSpec",
    "MAX_PROBES",
    "MIN_FIRST_OUTPUT_S",
    "MIN_OUTPUTS_PER_DECADE",
    "RING_CLEARANCE_M",
    "ReportSpec",
    "SolverSpec",
    "ThetaJcSpec",
    "TransientSpec",
    "WARPAGE_FACES",
    "WARPAGE_FACE_BOUNDARY",
    "check_environment",
    "environment_kinds",
    "parse_environment",
    "parse_limits",
    "parse_outputs",
    "parse_solver",
    "parse_theta_jc",
    "parse_transient",
]


@dataclass(frozen=True)
class ReportSpec:
    """How results are reported (``[outputs]``).

    ``interface_band``: distance [m] from an interface's edges of the band whose mean
    peel and shear are tabulated; ``warpage_limits``: allowed signed warpage (concave,
    convex) [m] or None; ``common_scale``: one colour scale for all of a case's warpage
    maps; ``warpage_face``: the face a unit's warpage is measured on, ``"top"`` (the
    package top) or ``"ball_side"`` (the substrate's bottom face between the terminals,
    what a shadow-moiré lab measures on a BGA); the sign is JEDEC's either way (+ convex
    seen from the top). A panel's warpage is always its ``bottom`` face.
    """

    interface_band: float = 0.1e-3
    warpage_limits: tuple[float, float] | None = None
    common_scale: bool = True
    warpage_face: str = "top"


@dataclass(frozen=True)
class EnvironmentSpec:
    """The thermal environment of a unit (:mod:`fea.package.jedec`). SI units, degC.

    ``kind``: ``uniform_h`` (``loads.h`` on every exposed face), ``still_air`` (JESD51-2:
    natural convection by face orientation plus radiation, iterated with the surface
    temperature), ``forced_air`` (JESD51-6: flat-plate forced convection at ``velocity``
    along ``flow`` mixed with natural convection, plus radiation) or
    ``junction_to_board`` (JESD51-8: the board clamped in a ring cold plate at
    ``cold_plate`` (default: ambient) from ``ring_offset`` outside the package body
    outwards; every other face insulated). ``emissivity``: region -> emissivity
    (``"*"`` for the others). The board temperature T_B of theta_JB and psi_JB is read
    on the board's top face ``board_point_offset`` outside the middle of a body side.
    ``loads.h_boundaries`` apply in every environment, in addition.
    """

    kind: str = "uniform_h"
    velocity: float = 1.0
    flow: str = "y"
    emissivity: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_EMISSIVITY))
    cold_plate: float | None = None
    ring_offset: float = 5.0e-3
    board_point_offset: float = 1.0e-3


@dataclass(frozen=True)
class TransientSpec:
    """A heating (or power-profile) transient of a unit case and its Zth outputs.

    Times in s, powers in W, probe points in m.

    Attributes
    ----------
    duration, first_output, outputs
        End time, first output time and number of output times (log-spaced).
    power
        ``((t, P), ...)``: the total power against time (piecewise linear, a repeated
        time is a jump), spread over the sources as the loads spread it; None: a step
        of the loads' power at t = 0 (the Zth heating curve).
    probes
        Name -> point (x, y, z) whose temperature is reported with the junction's.
    conductivity_at
        ``"steady"``: k(T) held at the steady field of the full power (Zth ends at
        theta_JA); ``"initial"``: at the ambient (the small-signal response).
    method
        ``"reduced"`` (rational Krylov model, exact in time) or ``"steps"`` (adaptive
        backward Euler by step doubling, extrapolated to second order, the local error
        within 1 % of the rise so far: within 0.2 % of a 1-D slab's Zth from 1 us on,
        at several times the cost).
    fields
        Whole temperature fields kept in the results file (log-spaced in time).
    structure_function
        Compute the structure function of the junction's Zth (step power only).
    """

    duration: float = 1e4
    first_output: float = 1e-6
    outputs: int = 1000
    power: tuple[tuple[float, float], ...] | None = None
    probes: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    conductivity_at: str = "steady"
    method: str = "reduced"
    fields: int = 12
    structure_function: bool = True


@dataclass(frozen=True)
class ThetaJcSpec:
    """How theta_JC is found.

    ``dual_interface`` (JESD51-14): two heating curves of the unit alone with its case
    (the shell's rear face) on an ideal cold plate at ambient through the contact
    conductances ``contact_h`` [W/(m^2 K)] (dry, greased), every other face adiabatic;
    theta_JC is where their structure functions separate. ``fixed_case``: the steady
    junction rise per watt with the case held at ambient (the ideal contact).
    """

    method: str = "dual_interface"
    contact_h: tuple[float, float] = (2.0e3, 5.0e4)


@dataclass(frozen=True)
class LimitSpec:
    """Design limits: the junction temperature [degC] (150 for silicon)."""

    Tj_max: float = 150.0


@dataclass(frozen=True)
class SolverSpec:
    """Linear-solver choices."""

    backend: str = "auto"  # auto | cpu | gpu
    method: str = "auto"  # auto | direct | amg | jacobi
    rtol: float = 1e-10
    maxiter: int = 2000
    out_of_core: bool | str = "auto"  # auto | true | false: Pardiso's factor in files


def parse_environment(
    e: Section, loads: LoadSpec, kind_of_study: str, g: GeometrySpec
) -> EnvironmentSpec:
    """``[environment]``: the JEDEC environment (see :class:`EnvironmentSpec`), checked
    against the study's model (its regions, its board)."""
    kind = e.string("kind", "uniform_h", choices=ENVIRONMENTS)
    eps_raw = e.raw("emissivity", {})
    if not isinstance(eps_raw, Mapping):
        raise InputError(e.key("emissivity"), eps_raw, "a table region -> emissivity in [0, 1]")
    eps = dict(DEFAULT_EMISSIVITY)
    regions = model_regions(kind_of_study, g)
    for r, v in eps_raw.items():
        if r != "*" and r not in regions:
            raise InputError(
                f"{e.key('emissivity')}.{r}",
                v,
                f"a region of the model or '*': {', '.join(regions)}{hint(str(r), regions)}",
            )
        eps[str(r)] = float(check_number(f"{e.key('emissivity')}.{r}", v, lo=0.0, hi=1.0))
    spec = EnvironmentSpec(
        kind=kind,
        velocity=e.number("velocity_m_s", 1.0, positive=True, hi=50.0),
        flow=e.string("flow", "y", choices=("x", "y")),
        emissivity=eps,
        cold_plate=e.number("cold_plate_C", loads.ambient, lo=-273.15, hi=2000.0),
        ring_offset=e.length("ring_offset", 5.0),
        board_point_offset=e.length("board_point_offset", 1.0),
    )
    e.done()
    check_environment(spec, kind_of_study, g)
    return spec


def check_environment(spec: EnvironmentSpec, kind_of_study: str, g: GeometrySpec) -> None:
    """``[environment]`` against the study's model (an :class:`~fea.errors.InputError`
    naming the key): a JEDEC environment only for a unit, ``junction_to_board`` only with a
    board, T_B's point inside the cold plate's opening and on the board, and the cold
    plate's inner edge (the ring opening, :func:`fea.package.jedec.ring_opening`) not
    within :data:`RING_CLEARANCE_M` of a face of the built-in board
    it splits (the board's edge, the thermal-via zone's, the rim bond ring's outer edge):
    the strip between them would mesh as slivers."""
    kind = spec.kind
    if kind != "uniform_h" and kind_of_study != "unit":
        raise InputError("environment.kind", kind, "'uniform_h' for a panel study")
    if kind == "junction_to_board" and g.board is None:
        raise InputError(
            "environment.kind", kind, "a board ([geometry.board]) for junction_to_board"
        )
    if spec.board_point_offset >= spec.ring_offset:
        raise InputError(
            "environment.board_point_offset_mm",
            spec.board_point_offset * 1e3,
            f"less than the ring offset ({spec.ring_offset * 1e3:g} mm): T_B is read inside "
            "the cold plate's opening",
        )
    if g.board is None:
        return
    ring = kind == "junction_to_board"
    name, offset = (
        ("ring_offset", spec.ring_offset)
        if ring
        else ("board_point_offset", spec.board_point_offset)
    )
    if max(g.body) / 2 + offset >= min(g.board.size) / 2:
        raise InputError(
            f"environment.{name}_mm",
            offset * 1e3,
            f"a point (body / 2 + offset) on the board "
            f"{g.board.size[0] * 1e3:g} x {g.board.size[1] * 1e3:g} mm",
        )
    if ring and not is_imported(g):
        _check_ring_faces(spec.ring_offset, g)


#: Least distance [m] between the ring cold plate's inner edge and a face of the board it
#: splits (the board's edge, the thermal-via zone's, the rim bond ring's outer edge), 20 um.
#: The strip between them meshes as slivers: on a 3 x 3 mm unit on a 16 mm board
#: (``board_size_mm`` 3 and 5) the least shape quality (mean ratio) was 9e-4 with a 0.2 um
#: strip, 3.4e-3 with 1 um, 7.7e-3 with 5 um, 0.012 with 10 um and 0.018 with 20 um,
#: against 0.035 without one: 20 um keeps it above :data:`fea.package.sizing.QUALITY_WARN`
#: (0.01) and is far inside any cold plate's clamping margin (JESD51-8: millimetres).
RING_CLEARANCE_M = 20e-6


def _check_ring_faces(offset: float, g: GeometrySpec) -> None:
    """The ring opening's edges (``body / 2 + offset`` [m] from the centre in x and y) at
    least :data:`RING_CLEARANCE_M` from the faces of the board they split, or on them
    (within OCC's 1e-10 m: one face)."""
    assert g.board is not None
    lim = RING_CLEARANCE_M
    b = g.board
    faces = [("the board's edge", b.size)]
    if b.thermal_vias is not None:
        zone = b.thermal_vias.zone if b.thermal_vias.zone is not None else g.body
        faces.append(("the thermal-via zone's edge", zone))
    if b.rim_bond:
        t, w = g.shell_thickness, max(b.rim_bond_width, g.shell_thickness)
        faces.append(("the rim bond ring's outer edge", (g.cavity[0] + t + w, g.cavity[1] + t + w)))
    for what, size in faces:
        for axis in (0, 1):
            edge = g.body[axis] / 2 + offset
            gap = abs(size[axis] / 2 - edge)
            if 1e-10 < gap < lim:
                on = (size[axis] - g.body[axis]) / 2  # the offset that puts the edge on it
                allowed = (
                    f"at most {(on - lim) * 1e3:.6g} mm"
                    if what == "the board's edge"
                    else f"{on * 1e3:.6g} mm (on it), at most {(on - lim) * 1e3:.6g} mm or at "
                    f"least {(on + lim) * 1e3:.6g} mm"
                )
                raise InputError(
                    "environment.ring_offset_mm",
                    offset * 1e3,
                    f"{allowed}: the cold plate's inner edge (body / 2 + offset = "
                    f"{edge * 1e3:.6g} mm in {'xy'[axis]}) lies {gap * 1e6:.3g} um from "
                    f"{what} ({size[axis] / 2 * 1e3:.6g} mm); a strip narrower than "
                    f"{lim * 1e6:g} um between them meshes as slivers",
                )


#: Most probes of a transient (each is a column of zth.csv and a watched quantity).
MAX_PROBES = 100


def parse_transient(t: Section) -> TransientSpec:
    """``[transient]``: the heating curve (Zth) of a unit case or a power profile."""
    duration = t.number("duration_s", 1e4, positive=True, hi=1e8)
    first = t.number("first_output_s", 1e-6, lo=MIN_FIRST_OUTPUT_S)
    if not first < duration:
        raise InputError(t.key("first_output_s"), first, f"a time below duration_s ({duration})")
    if duration / first < 100:
        raise InputError(
            t.key("first_output_s"), first, "at most duration_s / 100 (two decades of Zth)"
        )
    outputs = t.number("outputs", 1000, integer=True, lo=16, hi=100_000)
    # the per-decade Zth metrics are read off the output grid: it must resolve every decade
    need = math.ceil(MIN_OUTPUTS_PER_DECADE * math.log10(duration / first) - 1e-9)
    if outputs < need:
        raise InputError(
            t.key("outputs"),
            outputs,
            f"at least {need} ({MIN_OUTPUTS_PER_DECADE} per decade from first_output_s to "
            "duration_s, the grid the per-decade Zth metrics are interpolated on)",
        )
    power = None
    if t.has("power_t_s") or t.has("power_W"):
        ts, ps = t.raw("power_t_s", None), t.raw("power_W", None)
        if not isinstance(ts, list) or not isinstance(ps, list) or len(ts) != len(ps) or not ts:
            raise InputError(
                t.key("power_W"), ps, "power_t_s and power_W lists of equal, non-zero length"
            )
        ts = [
            float(check_number(f"{t.key('power_t_s')}[{i}]", x, nonneg=True))
            for i, x in enumerate(ts)
        ]
        ps = [
            float(check_number(f"{t.key('power_W')}[{i}]", x, nonneg=True))
            for i, x in enumerate(ps)
        ]
        if any(b < a for a, b in zip(ts, ts[1:], strict=False)):
            raise InputError(
                t.key("power_t_s"), ts, "non-decreasing times (a repeated time is a jump)"
            )
        if any(a == b == c for a, b, c in zip(ts, ts[1:], ts[2:], strict=False)):
            raise InputError(t.key("power_t_s"), ts, "at most two entries at one time")
        power = tuple(zip(ts, ps, strict=True))
    probes_raw = t.raw("probes_mm", {})
    if not isinstance(probes_raw, Mapping):
        raise InputError(t.key("probes_mm"), probes_raw, "a table name -> [x, y, z] in mm")
    if len(probes_raw) > MAX_PROBES:
        raise InputError(t.key("probes_mm"), len(probes_raw), f"at most {MAX_PROBES} probes")
    probes = {}
    for name, xyz in probes_raw.items():
        key = f"{t.key('probes_mm')}.{name}"
        check_label(key, name)
        if not isinstance(xyz, list) or len(xyz) != 3:
            raise InputError(key, xyz, "a point [x, y, z] in mm")
        probes[str(name)] = tuple(
            float(check_number(f"{key}[{i}]", v)) * 1e-3 for i, v in enumerate(xyz)
        )
    spec = TransientSpec(
        duration=duration,
        first_output=first,
        outputs=outputs,
        power=power,
        probes=probes,
        conductivity_at=t.string("conductivity_at", "steady", choices=("steady", "initial")),
        method=t.string("method", "reduced", choices=("reduced", "steps")),
        fields=t.number("fields", 12, integer=True, lo=0, hi=1000),
        structure_function=t.boolean("structure_function", True),
    )
    t.done()
    return spec


def parse_theta_jc(t: Section) -> ThetaJcSpec:
    """``[theta_jc]``: ``method`` and the two case contacts of the dual-interface method."""
    h = t.raw("contact_h", [2.0e3, 5.0e4])
    key = t.key("contact_h")
    if not isinstance(h, list) or len(h) != 2:
        raise InputError(key, h, "two contact conductances [W/(m^2 K)], e.g. [2000, 50000]")
    h1, h2 = (float(check_number(f"{key}[{i}]", x, lo=1.0, hi=1e9)) for i, x in enumerate(h))
    if not h2 >= 2 * h1 and not h1 >= 2 * h2:
        raise InputError(key, h, "two conductances at least a factor 2 apart")
    spec = ThetaJcSpec(
        method=t.string("method", "dual_interface", choices=("dual_interface", "fixed_case")),
        contact_h=(h1, h2),
    )
    t.done()
    return spec


def parse_limits(t: Section) -> LimitSpec:
    """``[limits]``: ``Tj_max_C``, the junction-temperature limit (150 for silicon)."""
    spec = LimitSpec(Tj_max=t.number("Tj_max_C", 150.0, lo=-273.15, hi=2000.0))
    t.done()
    return spec


def _out_of_core(s: Section) -> bool | str:
    """``[solver] out_of_core``: ``"auto"``, true or false."""
    s.note("out_of_core", '"auto" or boolean', "auto", choices=("auto", "true", "false"))
    return check_out_of_core(s.key("out_of_core"), s.raw("out_of_core", "auto"))


def parse_solver(s: Section) -> SolverSpec:
    spec = SolverSpec(
        backend=s.string("backend", "auto", choices=("auto", "cpu", "gpu")),
        method=s.string(
            "method", "auto", choices=("auto", "direct", "amg", "amg-xp", "jacobi", "cudss")
        ),
        rtol=s.number("rtol", 1e-10, positive=True, hi=1e-2),
        maxiter=s.number("maxiter", 2000, integer=True, lo=1, hi=MAXITER_CAP),
        out_of_core=_out_of_core(s),
    )
    s.done()
    if spec.method == "cudss" and spec.backend != "gpu":
        raise InputError(
            s.key("method"),
            "cudss",
            "with solver.backend = 'gpu' (cuDSS, through nvmath-python, runs on the device)",
        )
    if spec.method == "amg-xp" and spec.backend == "gpu":
        raise InputError(
            s.key("method"),
            "amg-xp",
            "with solver.backend = 'cpu' or 'auto' (amg-xp is the CPU's run of the device "
            "AMG; on the GPU that is method = 'amg')",
        )
    return spec


def environment_kinds(data: Mapping) -> set[str]:
    """The environments (``[environment] kind``) a study's cases can have: the base one and
    every value a sweep gives ``environment.kind`` (from the raw study ``data``)."""
    env = data.get("environment", {})
    kinds = {env.get("kind", "uniform_h") if isinstance(env, Mapping) else "uniform_h"}
    sweep = data.get("sweep", {})
    if isinstance(sweep, Mapping):
        params = sweep.get("parameters", {})
        if isinstance(params, Mapping) and isinstance(params.get("environment.kind"), list):
            kinds.update(params["environment.kind"])
        for case in sweep.get("cases", []) if isinstance(sweep.get("cases"), list) else []:
            if isinstance(case, Mapping) and "environment.kind" in case:
                kinds.add(case["environment.kind"])
    return {str(k) for k in kinds}


def parse_outputs(root: Section) -> tuple[tuple[str, ...], bool, ReportSpec]:
    """``[outputs]``: the outputs to tabulate (old names resolved, order kept), whether
    to draw each case's field plots, and how to report (:class:`ReportSpec`).

    The JEDEC names theta_JA, psi_JT and psi_JB belong to the air environments; a case
    under ``uniform_h`` reports the same quantities as ``R_ja_uniform_h_K_per_W``,
    ``psi_jt_uniform_h_K_per_W`` and ``psi_jb_uniform_h_K_per_W``
    (:data:`~fea.package.spec.constants.UNIFORM_H_OUTPUTS`). A study whose cases can be
    under ``uniform_h`` gets the uniform-h name in place of the JEDEC one (in addition to
    it when other cases are in air), with a :class:`DeprecationWarning` when all its cases
    are under ``uniform_h`` and it named the JEDEC one itself."""
    o = root.section("outputs")
    field_plots = o.boolean("field_plots", False)
    named = o.has("metrics")
    names = o.raw("metrics", list(DEFAULT_OUTPUTS))
    if not isinstance(names, list):
        raise InputError("outputs.metrics", names, "a list of metric names")
    kinds = environment_kinds(root.data)
    resolved: list[str] = []
    for n in names:
        if not isinstance(n, str) or (n not in OUTPUTS and n not in OUTPUT_ALIASES):
            raise InputError("outputs.metrics", n, f"one of {', '.join(OUTPUTS)}{hint(n, OUTPUTS)}")
        for out in OUTPUT_ALIASES.get(n, (n,)):
            new = UNIFORM_H_OUTPUTS.get(out) if "uniform_h" in kinds else None
            in_air = bool(kinds - {"uniform_h"})
            if new is not None and named and not in_air:
                warnings.warn(
                    f"outputs.metrics: {n!r} is a JEDEC name (JESD51-2/-6 air environments); "
                    f"under [environment] kind = 'uniform_h' the same quantity is {new!r} "
                    "(a uniform coefficient on every face is no JEDEC environment): name "
                    f"{new!r} instead",
                    DeprecationWarning,
                    stacklevel=2,
                )
            keep = [out] if in_air or new is None else []
            for x in [*keep, *([new] if new else [])]:
                if x not in resolved:
                    resolved.append(x)
    limits = None
    if o.has("warpage_limits_um"):
        v = o.raw("warpage_limits_um")
        if not isinstance(v, list) or len(v) != 2:
            raise InputError("outputs.warpage_limits_um", v, "[concave, convex] limits in um")
        lo = check_number("outputs.warpage_limits_um[0]", v[0], hi=0.0)
        hi = check_number("outputs.warpage_limits_um[1]", v[1], lo=0.0)
        if lo == hi:
            raise InputError("outputs.warpage_limits_um", v, "a negative and a positive limit")
        limits = (lo * 1e-6, hi * 1e-6)
    else:
        o.used.add("warpage_limits_um")
    report = ReportSpec(
        interface_band=o.length("interface_band", 0.1),
        warpage_limits=limits,
        common_scale=o.boolean("common_scale", True),
        warpage_face=o.string("warpage_face", "top", choices=WARPAGE_FACES),
    )
    o.done()
    return tuple(resolved), field_plots, report


#: The faces ``[outputs] warpage_face`` may name, and the boundary each measures.
WARPAGE_FACES = ("top", "ball_side")
#: The boundary of a unit's model that each warpage face is.
WARPAGE_FACE_BOUNDARY = {"top": "top", "ball_side": "bottom"}


#: Smallest ``transient.first_output_s`` [s]: the die's own time constant is ~1e-5 s;
#: earlier outputs resolve nothing and per-decade metrics there would be extrapolated.
MIN_FIRST_OUTPUT_S = 1e-7


#: Fewest transient outputs per decade of time: the per-decade Zth metrics are interpolated
#: between outputs, linearly in log time; at 10 per decade (a step of 0.23 in ln t) the
#: interpolation error of a single-exponential rise is at most 0.23**2 / 8 * 0.25 = 0.17 % of
#: its final value (0.25: the largest second derivative of 1 - exp(-t/tau) in ln t).
MIN_OUTPUTS_PER_DECADE = 10
