"""The spec's data model and the reading of each section into it.

Frozen dataclasses hold a validated study in SI units (temperatures in degC); one
``parse_*`` function per TOML section reads it through a
:class:`~fea.package.spec.reader.Section`, so each key's name, unit suffix, default and
bounds are stated once, here. Defaults reproduce the baseline package of
``shared/BASELINE.md``.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...physics import materials as _materials
from ...physics.inelastic import Plastic
from ...physics.materials import Material, Table
from ...physics.viscoelastic import WLF, Arrhenius, Prony
from ...units import wavelength
from ..defaults import DEFAULT_REGION_MATERIALS
from .checks import check_geometry
from .moisture import MoistureSpec
from .reader import Section, check_label, check_number, hint

__all__ = [
    "BOARD_STACKS",
    "BoardSpec",
    "CaseSpec",
    "CopperLayer",
    "DEFAULT_EMISSIVITY",
    "DEFAULT_OUTPUTS",
    "ENVIRONMENTS",
    "EnvironmentSpec",
    "GeometrySpec",
    "LimitSpec",
    "LoadSpec",
    "MeshSpec",
    "OPENING_KINDS",
    "OUTPUTS",
    "OUTPUT_ALIASES",
    "OpeningSpec",
    "PANEL_STAGES",
    "PanelSpec",
    "PowerMapSpec",
    "ProcessSpec",
    "ReportSpec",
    "SIDES",
    "SolverSpec",
    "StageSpec",
    "StudySpec",
    "SweepSpec",
    "T_MAX_C",
    "TerminalSpec",
    "ThermalViaSpec",
    "ThetaJcSpec",
    "TransientSpec",
    "ViaSpec",
    "model_boundaries",
    "model_regions",
    "parse_environment",
    "parse_geometry",
    "parse_limits",
    "parse_loads",
    "parse_materials",
    "parse_mesh",
    "parse_outputs",
    "parse_process",
    "parse_solver",
    "parse_theta_jc",
    "parse_transient",
    "process_regions",
]

SIDES = ("xmin", "xmax", "ymin", "ymax")
#: Highest temperature a spec may give [degC] (far above any process step; it keeps
#: every temperature difference a meaningful number).
T_MAX_C = 2000.0
#: Largest power per region [W], heat transfer coefficient [W/(m^2 K)] and frequency [GHz]
#: a spec may give: far beyond any package, small enough that the solve stays finite.
POWER_MAX_W = 1e5
H_MAX = 1e7
FREQUENCY_MAX_GHZ = 1e4
OPENING_KINDS = ("slots", "holes", "pillars", "none")
PANEL_STAGES = ("on_mandrel", "released", "singulated", "process")
#: Output names of ``[outputs] metrics``: the metric part of the table's column names
#: (``metric@state:region``), units included (:mod:`fea.package.names`).
OUTPUTS = (
    "Tj_max_C",
    "theta_ja_K_per_W",
    "psi_jt_K_per_W",
    "theta_jc_K_per_W",
    "die_spread_K",
    "warpage_um",
    "warpage_signed_um",
    "curvature_1_per_m",
    "curvature_max_1_per_m",
    "curvature_min_1_per_m",
    "warpage_shape",
    "coplanarity_um",
    "warpage_limit_ratio",
    "von_mises_max_MPa",
    "principal_max_MPa",
    "yield_ratio",
    "peel_max_MPa",
    "shear_max_MPa",
    "peel_band_MPa",
    "shear_band_MPa",
    "aperture_ratio",
    "shielding_dB",
    "theta_jma_K_per_W",
    "theta_jb_K_per_W",
    "psi_jb_K_per_W",
    "hotspot_C",
    "Tj_over_limit_flag",
    "Tj_peak_C",
    "zth_1ms_K_per_W",
    "zth_1s_K_per_W",
    "zth_100s_K_per_W",
    "sf_R_total_K_per_W",
    "plastic_strain_max_pct",
    "moisture_mg",
    "moisture_peak_C",
    "vapour_pressure_max_MPa",
    "vapour_pressure_mean_MPa",
)
#: The outputs of a study that names none.
DEFAULT_OUTPUTS = OUTPUTS[:7]
#: Earlier output names, still accepted: old name -> the outputs it stands for.
OUTPUT_ALIASES: dict[str, tuple[str, ...]] = {
    "Tj_max": ("Tj_max_C",),
    "theta_ja": ("theta_ja_K_per_W",),
    "psi_jt": ("psi_jt_K_per_W",),
    "theta_jc": ("theta_jc_K_per_W",),
    "curvature": ("curvature_1_per_m",),
    "von_mises_max": ("von_mises_max_MPa",),
    "interface_traction_max": ("peel_max_MPa", "shear_max_MPa"),
}
#: JEDEC environments of ``[environment] kind`` (see :mod:`fea.package.jedec`).
ENVIRONMENTS = ("uniform_h", "still_air", "forced_air", "junction_to_board")
#: Board stacks of ``[geometry.board] stack``: the board's material as given, the
#: JESD51-7 2s2p stack, or the layers listed in the spec.
BOARD_STACKS = ("material", "jesd51_7", "layers")
#: Default hemispherical emissivity per exposed region: bare electroformed copper lightly
#: oxidised, SAC solder, mold compound, polyimide and solder-mask-covered FR-4 (Incropera
#: Table A.11; Madding, Emissivity measurement and temperature correction accuracy
#: considerations, Proc. SPIE 3700 (1999)). ``"*"``: any other region.
DEFAULT_EMISSIVITY: dict[str, float] = {
    "shell": 0.10,
    "rim_bond": 0.10,
    "terminals": 0.10,
    "vias": 0.10,
    "encapsulant": 0.90,
    "dielectric": 0.85,
    "board": 0.90,
    "board_vias": 0.90,
    "*": 0.90,
}


# -- the spec dataclasses (SI units) ---------------------------------------------------


@dataclass(frozen=True)
class OpeningSpec:
    """Openings in one side wall. Lengths in m.

    ``slots``: ``count`` rectangles ``width`` x ``height`` whose lower edge is ``z0``
    above the dielectric; ``holes``: ``count`` circles of diameter ``width`` centred
    at ``z0 + width/2``; ``pillars``: the wall is ``count + 1`` posts with ``count``
    full-height gaps of ``width``; ``none``: a closed wall.
    """

    kind: str = "slots"
    count: int = 4
    width: float = 0.5e-3
    height: float = 0.2e-3
    z0: float = 0.15e-3
    key: str = field(default="geometry.openings", compare=False)

    @property
    def largest_dimension(self) -> float:
        """Largest dimension L of one opening [m] (for the aperture rule)."""
        if self.kind == "none" or self.count == 0:
            return 0.0
        if self.kind == "holes":
            return self.width
        return max(self.width, self.height)


@dataclass(frozen=True)
class TerminalSpec:
    """Terminal array on the dielectric's outer face (z < 0). Lengths in m."""

    kind: str = "balls"  # balls | pads | none
    diameter: float = 0.40e-3
    standoff: float = 0.30e-3
    pitch: float = 0.80e-3
    rows: int = 12
    cols: int = 12
    pad_thickness: float = 20e-6

    @property
    def height(self) -> float:
        """Distance from the dielectric face to the board [m]."""
        if self.kind == "balls":
            return self.standoff
        if self.kind == "pads":
            return self.pad_thickness
        return 0.0


@dataclass(frozen=True)
class CopperLayer:
    """One copper layer of a board: thickness [m] and the fraction of the board's area
    it covers (traces, planes) in [0, 1]."""

    thickness: float
    coverage: float


@dataclass(frozen=True)
class ThermalViaSpec:
    """Plated through-holes in the board under the package, on a square grid. Lengths in
    m; ``zone`` (x, y) defaults to the package body's footprint."""

    pitch: float = 1.0e-3
    drill: float = 0.30e-3
    plating: float = 25e-6
    filled: bool = False
    zone: tuple[float, float] | None = None


@dataclass(frozen=True)
class BoardSpec:
    """Test board under the terminals. Lengths in m.

    ``stack``: ``material`` (the board's conductivity is that of ``materials.board``),
    ``jesd51_7`` (the JESD51-7 2s2p stack, :data:`fea.package.jedec.JESD51_7_LAYERS`,
    coverages overridable) or ``layers`` (the copper layers listed); with a stack the
    board's conductivity is the stack's effective one (:func:`fea.package.jedec.board_conductivity`)
    and its other properties stay those of ``materials.board``. ``laminate_k``: the
    laminate's (in-plane, through-plane) conductivity [W/(m K)].
    """

    size: tuple[float, float] = (76.2e-3, 114.3e-3)
    thickness: float = 1.6e-3
    rim_bond: bool = False
    rim_bond_width: float = 0.2e-3
    stack: str = "material"
    layers: tuple[CopperLayer, ...] = ()
    laminate_k: tuple[float, float] = (0.8, 0.3)
    thermal_vias: ThermalViaSpec | None = None


@dataclass(frozen=True)
class ViaSpec:
    """Copper in the package dielectric at every terminal: a pad on each face of the
    dielectric (``pad_diameter`` x ``pad_thickness``) joined by a filled via
    (``via_diameter``) through the rest of it, coaxial with the terminal. Lengths in m."""

    pad_diameter: float = 0.30e-3
    pad_thickness: float = 12e-6
    via_diameter: float = 0.10e-3


@dataclass(frozen=True)
class PanelSpec:
    """Panel of depressions in one conductive sheet on a mandrel. Lengths in m."""

    nx: int = 3
    ny: int = 3
    pitch: float = 12.0e-3
    margin: float = 1.0e-3
    mandrel_thickness: float = 1.0e-3
    recess_depth: float = 0.10e-3
    kerf: float = 0.2e-3
    stage: str = "on_mandrel"
    singulated_units: str = "all"  # all | one
    pathways: bool = True
    hollow_walls: bool = False
    cover_thickness: float = 50e-6


@dataclass(frozen=True)
class GeometrySpec:
    """Geometry of the package (and of the panel when ``panel`` is set). Lengths in m.

    z = 0 is the dielectric's outer face; the shell's bottom wall is at the top.
    """

    cavity: tuple[float, float] = (10.0e-3, 10.0e-3)
    cavity_depth: float = 0.60e-3
    shell_thickness: float = 35e-6
    corner_radius: float = 0.0
    dielectric_thickness: float = 50e-6
    die: tuple[float, float, float] = (6.0e-3, 6.0e-3, 0.30e-3)
    die_attach_thickness: float = 25e-6
    exterior_thickness: float = 0.20e-3
    openings: dict[str, OpeningSpec] = field(
        default_factory=lambda: {s: OpeningSpec() for s in SIDES}
    )
    terminals: TerminalSpec = field(default_factory=TerminalSpec)
    board: BoardSpec | None = None
    panel: PanelSpec | None = None
    frequency: float = 5e9
    aperture_rule: str = "warn"  # off | warn | error
    vias: ViaSpec | None = None

    @property
    def outer(self) -> tuple[float, float]:
        """Outer size of the shell (x, y) [m]."""
        t = self.shell_thickness
        return (self.cavity[0] + 2 * t, self.cavity[1] + 2 * t)

    @property
    def z_cavity(self) -> tuple[float, float]:
        """z of the cavity floor (dielectric inner face) and ceiling [m]."""
        z0 = self.dielectric_thickness
        return (z0, z0 + self.cavity_depth)

    @property
    def z_top(self) -> float:
        """z of the bottom wall's rear face [m]."""
        return self.dielectric_thickness + self.cavity_depth + self.shell_thickness

    @property
    def body(self) -> tuple[float, float]:
        """Outer size (x, y) of the package body, exterior encapsulant included [m]."""
        e = self.exterior_thickness
        return (self.outer[0] + 2 * e, self.outer[1] + 2 * e)

    def aperture(self) -> dict[str, float]:
        """The aperture rule: largest opening L vs half the wavelength.

        Returns ``L`` [m], ``wavelength`` [m], ``ratio`` = L / (lambda/2) and the
        aperture shielding estimate ``shielding_dB`` = 20 log10(lambda / (2 L))
        (inf for closed walls).
        """
        L = max(o.largest_dimension for o in self.openings.values())
        lam = wavelength(self.frequency)
        se = math.inf if L == 0 else 20 * math.log10(lam / (2 * L))
        return {"L": L, "wavelength": lam, "ratio": L / (lam / 2), "shielding_dB": se}


@dataclass(frozen=True)
class MeshSpec:
    """Mesh controls. Lengths in m."""

    size: float = 0.5e-3
    board_size: float = 5.0e-3
    opening_size: float | None = None
    terminal_size: float | None = None
    film_size: float | None = None
    layers_through_thickness: int = 2
    order: int = 2
    algorithm: str = "delaunay"
    threads: int = 0
    optimize: bool = True


@dataclass(frozen=True)
class PowerMapSpec:
    """Power on the die's active face (its face toward the die attach, or the dielectric
    without one) as rectangles of uniform heat flux.

    Either ``rectangles``, ``(x0, x1, y0, y1, W)`` each in package coordinates (lengths
    in m, power in W), or ``grid``: W per cell of a grid over the whole face, rows from
    the die's -y edge to its +y edge, columns from -x to +x. ``source`` says which form
    the spec used (``rectangles``, ``grid`` or ``csv``).
    """

    rectangles: tuple[tuple[float, float, float, float, float], ...] = ()
    grid: tuple[tuple[float, ...], ...] = ()
    source: str = "rectangles"

    @property
    def total(self) -> float:
        """Power of the map [W]."""
        return float(sum(r[4] for r in self.rectangles) + sum(map(sum, self.grid)))

    def on_die(self, size: tuple[float, float]) -> tuple[tuple[float, ...], ...]:
        """The map as rectangles ``(x0, x1, y0, y1, W)`` [m, W] on a die of ``size``
        (x, y) [m] centred at the origin."""
        if not self.grid:
            return self.rectangles
        ny, nx = len(self.grid), len(self.grid[0])
        dx, dy = size[0] / nx, size[1] / ny
        x0, y0 = -size[0] / 2, -size[1] / 2
        return tuple(
            (x0 + j * dx, x0 + (j + 1) * dx, y0 + i * dy, y0 + (i + 1) * dy, w)
            for i, row in enumerate(self.grid)
            for j, w in enumerate(row)
        )


@dataclass(frozen=True)
class LoadSpec:
    """Thermal and mechanical loads. Temperatures in degC, powers in W, h in W/(m^2 K)."""

    power: dict[str, float] = field(default_factory=lambda: {"die": 1.5})
    ambient: float = 25.0
    h: float = 10.0
    h_boundaries: dict[str, float] = field(default_factory=dict)
    fixed: dict[str, float] = field(default_factory=dict)
    reference: dict[str, float] = field(default_factory=lambda: {"encapsulant": 175.0, "*": 25.0})
    cure_shrinkage: bool = True
    warpage_temperatures: tuple[float, ...] = (25.0, 260.0)
    reflow: tuple[float, ...] = ()
    reflow_tg_step: float = 5.0
    power_map: PowerMapSpec | None = None

    @property
    def total_power(self) -> float:
        """Power of every source, regions and power map together [W]."""
        extra = self.power_map.total if self.power_map is not None else 0.0
        return float(sum(self.power.values())) + extra


@dataclass(frozen=True)
class ReportSpec:
    """How results are reported (``[outputs]``).

    ``interface_band``: distance [m] from an interface's edges of the band whose mean
    peel and shear are tabulated; ``warpage_limits``: allowed signed warpage (concave,
    convex) [m] or None; ``common_scale``: one colour scale for all of a case's warpage
    maps.
    """

    interface_band: float = 0.1e-3
    warpage_limits: tuple[float, float] | None = None
    common_scale: bool = True


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
        backward Euler).
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
class StageSpec:
    """One stage of a ``[process]``: its name (the state's label), duration [s], end
    temperature [degC] (reached linearly from the previous stage's), the regions born
    (``add``), removed (``remove``) and curing (``cure``) at it, and its least number of
    steps (None: ``process.substeps``)."""

    name: str
    duration: float
    temperature: float
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    cure: tuple[str, ...] = ()
    steps: int | None = None


@dataclass(frozen=True)
class ProcessSpec:
    """The ``[process]`` of a study: the model (``history``: one mesh carried through
    the stages and the reflow profile by :func:`fea.solve_history`; ``independent``: each
    state solved alone, elastic, as before the history model), the stages, the times of
    the reflow profile ``loads.reflow_C`` [s] and the time-step controls."""

    model: str = "history"
    stages: tuple[StageSpec, ...] = ()
    reflow_times: tuple[float, ...] = ()
    substeps: int = 1
    max_step_K: float = 10.0


@dataclass(frozen=True)
class SolverSpec:
    """Linear-solver choices."""

    backend: str = "auto"  # auto | cpu | gpu
    method: str = "auto"  # auto | direct | amg | jacobi
    rtol: float = 1e-10
    maxiter: int = 2000


@dataclass(frozen=True)
class SweepSpec:
    """A sweep over dotted parameter paths of the base case (values in spec units)."""

    kind: str = "grid"  # grid | random | cases
    parameters: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    n: int = 0
    seed: int = 0
    cases: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class CaseSpec:
    """One fully resolved case of a study.

    ``materials`` holds the material of every region the case's model has
    (:func:`model_regions`), no others. ``outputs``: the study's ``[outputs] metrics``
    (empty: all), so an analysis can skip what nobody asked for.
    """

    name: str
    kind: str
    geometry: GeometrySpec
    mesh: MeshSpec
    materials: dict[str, Material]
    loads: LoadSpec
    solver: SolverSpec
    raw: dict[str, Any] = field(compare=False, hash=False, repr=False, default_factory=dict)
    process: ProcessSpec | None = None
    report: ReportSpec = field(default_factory=ReportSpec)
    environment: EnvironmentSpec = field(default_factory=EnvironmentSpec)
    transient: TransientSpec | None = None
    theta_jc: ThetaJcSpec = field(default_factory=ThetaJcSpec)
    limits: LimitSpec = field(default_factory=LimitSpec)
    moisture: MoistureSpec | None = None
    outputs: tuple[str, ...] = ()


def model_regions(kind: str, g: GeometrySpec) -> tuple[str, ...]:
    """The regions the model of a ``kind`` ("unit" or "panel") case with geometry ``g``
    has, in the order of :data:`~fea.package.defaults.DEFAULT_REGION_MATERIALS`."""
    have = {"shell", "dielectric", "die", "encapsulant"}
    if g.die_attach_thickness > 0:
        have.add("die_attach")
    if kind == "unit":
        if g.terminals.kind != "none":
            have.add("terminals")
            if g.vias is not None:
                have.add("vias")
        if g.board is not None:
            have.add("board")
            if g.board.rim_bond:
                have.add("rim_bond")
            if g.board.thermal_vias is not None:
                have.add("board_vias")
    elif g.panel is not None:
        if g.panel.stage in ("on_mandrel", "process"):
            have.add("mandrel")
        elif g.panel.hollow_walls:
            have.add("cover")
    return tuple(r for r in DEFAULT_REGION_MATERIALS if r in have)


def model_boundaries(kind: str, g: GeometrySpec) -> tuple[str, ...]:
    """The named exterior boundaries the model of a ``kind`` case with geometry ``g`` has
    (the thermal model of a unit: with its board), for checking load names before
    meshing. Interfaces ``a|b`` between two of :func:`model_regions` also exist."""
    names = ["exterior", "package_surface", "bottom"]
    if kind == "unit":
        names += ["top", "shell_top"]
        if g.board is not None:
            names += ["board_surface", "board_bottom", "board_top"]
            # the exposed faces in air, the stand-off gap left out (fea.package.jedec)
            names += ["package_air", "board_air"]
            names.append("cold_plate")  # the ring cold plate's faces (junction_to_board)
        elif g.terminals.kind != "none":
            names.append("terminal_tips")
    elif g.panel is not None:
        if g.panel.stage == "on_mandrel":
            names += ["mandrel_top", "mandrel_surface"]
        else:
            names += ["top", "shell_top"]
    return tuple(names)


@dataclass(frozen=True)
class StudySpec:
    """A study: a base case, an optional sweep and the outputs to tabulate."""

    name: str
    base: CaseSpec
    sweep: SweepSpec | None
    outputs: tuple[str, ...]
    raw: dict[str, Any] = field(compare=False, hash=False, repr=False, default_factory=dict)
    path: str | None = None
    field_plots: bool = False

    def cases(self) -> Iterator[tuple[str, dict[str, Any], CaseSpec | InputError]]:
        """Yield ``(case_id, parameters, case)`` for every case of the sweep (or the base).

        An explicit case (``kind = "cases"``) that is invalid yields its
        :class:`~fea.errors.InputError` in place of the case, so a runner can record it
        as failed and go on.
        """

        for cid, params in self.case_parameters():
            if self.sweep is None:
                yield cid, params, self.base
                continue
            try:
                yield cid, params, self.case(params)
            except InputError as exc:
                yield cid, params, exc

    def case_parameters(self) -> list[tuple[str, dict[str, Any]]]:
        """``(case_id, parameters)`` of every case, in order, without parsing any case."""
        from .sweeps import case_id, expand_sweep

        if self.sweep is None:
            return [(case_id(0), {})]
        return [(case_id(i), p) for i, p in enumerate(expand_sweep(self.sweep))]

    def case(self, params: Mapping[str, Any]) -> CaseSpec:
        """The validated case with the sweep ``params`` applied (an InputError if invalid)."""
        from . import parse_study
        from .sweeps import apply_overrides

        if not params:
            return self.base
        return parse_study(apply_overrides(self.raw, params), path=self.path).base


def parse_opening(sec: Section, base: OpeningSpec) -> OpeningSpec:
    key = sec.path
    kind = sec.string("kind", base.kind, choices=OPENING_KINDS)
    count = sec.number("count", base.count, integer=True, lo=0, hi=200)
    width = sec.length("width", base.width * 1e3)
    height = sec.length("height", base.height * 1e3)
    z0 = sec.length("z0", base.z0 * 1e3, nonneg=True)
    return OpeningSpec(kind, count, width, height, z0, key)


def parse_geometry(g: Section, kind: str) -> GeometrySpec:
    cavity = g.pair("cavity_mm", [10.0, 10.0], scale=1e-3)
    depth = g.length("cavity_depth", 0.60)
    t_shell = g.length("shell_thickness", 0.035)
    radius = g.length("corner_radius", 0.0, nonneg=True)
    t_diel = g.length("dielectric_thickness", 0.050)
    ext = g.length("exterior_thickness", 0.20, nonneg=True)
    freq = g.number("frequency_GHz", 5.0, positive=True, hi=FREQUENCY_MAX_GHZ, scale=1e9)
    rule = g.string("aperture_rule", "warn", choices=("off", "warn", "error"))

    d = g.section("die")
    die_xy = d.pair("size_mm", [6.0, 6.0], scale=1e-3)
    die = (die_xy[0], die_xy[1], d.length("thickness", 0.30))
    d.done()
    a = g.section("die_attach")
    t_attach = a.length("thickness", 0.025, nonneg=True)
    a.done()

    o = g.section("openings")
    common = parse_opening(o, OpeningSpec())
    sides_sec = o.section("sides")
    openings = {}
    for s in SIDES:
        openings[s] = parse_opening(sides_sec.section(s), common) if sides_sec.has(s) else common
    sides_sec.done()
    o.done()

    t = g.section("terminals")
    term = TerminalSpec(
        kind=t.string("kind", "balls", choices=("balls", "pads", "none")),
        diameter=t.length("diameter", 0.40),
        standoff=t.length("standoff", 0.30),
        pitch=t.length("pitch", 0.80),
        rows=t.number("rows", 12, integer=True, lo=1, hi=200),
        cols=t.number("cols", 12, integer=True, lo=1, hi=200),
        pad_thickness=t.length("pad_thickness", 0.020),
    )
    t.done()

    board = None
    if g.has("board"):
        b = g.section("board")
        if b.boolean("enabled", True):
            board = BoardSpec(
                size=b.pair("size_mm", [76.2, 114.3], scale=1e-3),
                thickness=b.length("thickness", 1.6),
                rim_bond=b.boolean("rim_bond", False),
                rim_bond_width=b.length("rim_bond_width", 0.2),
                **parse_board_stack(b),
            )
        else:
            for k in ("size_mm", "thickness_mm", "rim_bond", "rim_bond_width_mm", *BOARD_KEYS):
                b.used.add(k)
        b.done()

    panel = None
    if kind == "panel" or g.has("panel"):
        p = g.section("panel")
        panel = PanelSpec(
            nx=p.number("nx", 3, integer=True, lo=1, hi=50),
            ny=p.number("ny", 3, integer=True, lo=1, hi=50),
            pitch=p.length("pitch", 12.0),
            margin=p.length("margin", 1.0),
            mandrel_thickness=p.length("mandrel_thickness", 1.0),
            recess_depth=p.length("recess_depth", 0.10),
            kerf=p.length("kerf", 0.2),
            stage=p.string("stage", "on_mandrel", choices=PANEL_STAGES),
            singulated_units=p.string("singulated_units", "all", choices=("all", "one")),
            pathways=p.boolean("pathways", True),
            hollow_walls=p.boolean("hollow_walls", False),
            cover_thickness=p.length("cover_thickness", 0.05),
        )
        p.done()
        if kind != "panel":
            raise InputError("study.kind", kind, "'panel' when a [geometry.panel] table is given")
    vias = parse_vias(g.section("vias")) if g.has("vias") else None
    g.done()

    geo = GeometrySpec(
        cavity,
        depth,
        t_shell,
        radius,
        t_diel,
        die,
        t_attach,
        ext,
        openings,
        term,
        board,
        panel,
        freq,
        rule,
        vias=vias,
    )
    check_geometry(geo)
    check_copper(geo, kind)
    return geo


BOARD_KEYS = ("stack", "copper_um", "coverage", "laminate_k", "thermal_vias")


def parse_board_stack(b: Section) -> dict[str, Any]:
    """The copper stack keys of ``[geometry.board]`` (BoardSpec keyword arguments)."""
    stack = b.string("stack", "material", choices=BOARD_STACKS)
    out: dict[str, Any] = {"stack": stack}
    thick = b.raw("copper_um", None)
    cover = b.raw("coverage", None)
    if stack == "material":
        lam = b.raw("laminate_k", None)
        for name, v in (("copper_um", thick), ("coverage", cover), ("laminate_k", lam)):
            if v is not None:
                raise InputError(b.key(name), v, "no value unless stack is 'jesd51_7' or 'layers'")
    if stack == "layers":
        if not isinstance(thick, list) or not thick:
            raise InputError(b.key("copper_um"), thick, "a list of copper layer thicknesses [um]")
        thick_m = [
            check_number(f"{b.key('copper_um')}[{i}]", t, positive=True, hi=1000) * 1e-6
            for i, t in enumerate(thick)
        ]
    elif stack == "jesd51_7":
        if thick is not None:
            raise InputError(
                b.key("copper_um"), thick, "no value: the JESD51-7 stack fixes the thicknesses"
            )
        from ..jedec import JESD51_7_COPPER

        thick_m = [t for t, _ in JESD51_7_COPPER]
    if stack != "material":
        if cover is None and stack == "jesd51_7":
            from ..jedec import JESD51_7_COPPER

            cover = [c for _, c in JESD51_7_COPPER]
        if not isinstance(cover, list) or len(cover) != len(thick_m):
            raise InputError(
                b.key("coverage"), cover, f"a list of {len(thick_m)} coverages in [0, 1]"
            )
        cov = [
            check_number(f"{b.key('coverage')}[{i}]", c, lo=0.0, hi=1.0)
            for i, c in enumerate(cover)
        ]
        out["layers"] = tuple(CopperLayer(t, float(c)) for t, c in zip(thick_m, cov, strict=True))
    out["laminate_k"] = b.pair("laminate_k", [0.8, 0.3])
    if b.has("thermal_vias"):
        v = b.section("thermal_vias")
        tv = ThermalViaSpec(
            pitch=v.length("pitch", 1.0),
            drill=v.length("drill", 0.30),
            plating=v.length("plating", 0.025),
            filled=v.boolean("filled", False),
            zone=v.pair("zone_mm", None, scale=1e-3) if v.has("zone_mm") else None,
        )
        v.used.add("zone_mm")
        v.done()
        if tv.drill >= tv.pitch:
            raise InputError(v.key("drill_mm"), tv.drill * 1e3, "a drill smaller than the pitch")
        if 2 * tv.plating > tv.drill:
            raise InputError(
                v.key("plating_um"), tv.plating * 1e6, "a plating at most half the drill"
            )
        out["thermal_vias"] = tv
    return out


def parse_vias(v: Section) -> ViaSpec | None:
    """``[geometry.vias]``: copper pads and a via per terminal in the dielectric."""
    names = ("pad_diameter", "pad_thickness", "via_diameter")
    if not v.boolean("enabled", True):
        v.used.update(f"{n}_{u}" for n in names for u in ("mm", "um"))
        v.done()
        return None
    spec = ViaSpec(
        pad_diameter=v.length("pad_diameter", 0.30),
        pad_thickness=v.length("pad_thickness", 0.012),
        via_diameter=v.length("via_diameter", 0.10),
    )
    v.done()
    return spec


def check_copper(g: GeometrySpec, kind: str) -> None:
    """Pads and vias fit their terminals and the dielectric; board vias fit the board."""
    v = g.vias
    if v is not None:
        if kind != "unit" or g.terminals.kind == "none":
            raise InputError("geometry.vias.enabled", True, "only for a unit study with terminals")
        if v.via_diameter > v.pad_diameter:
            raise InputError(
                "geometry.vias.via_diameter_mm",
                v.via_diameter * 1e3,
                f"at most the pad diameter {v.pad_diameter * 1e3:g} mm",
            )
        if v.pad_diameter >= g.terminals.pitch:
            raise InputError(
                "geometry.vias.pad_diameter_mm",
                v.pad_diameter * 1e3,
                f"less than the terminal pitch {g.terminals.pitch * 1e3:g} mm",
            )
        if 2 * v.pad_thickness >= g.dielectric_thickness - 1e-12:
            raise InputError(
                "geometry.vias.pad_thickness_um",
                v.pad_thickness * 1e6,
                f"less than half the dielectric ({g.dielectric_thickness * 1e6:g} um)",
            )
    b = g.board
    if b is not None and b.layers:
        total = sum(c.thickness for c in b.layers)
        if total >= b.thickness:
            raise InputError(
                "geometry.board.copper_um",
                [c.thickness * 1e6 for c in b.layers],
                f"copper thinner in total than the board ({b.thickness * 1e3:g} mm)",
            )
    if b is not None and b.thermal_vias is not None and b.thermal_vias.zone is not None:
        zx, zy = b.thermal_vias.zone
        if zx >= b.size[0] or zy >= b.size[1]:
            raise InputError(
                "geometry.board.thermal_vias.zone_mm",
                [zx * 1e3, zy * 1e3],
                "a zone smaller than the board",
            )


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
    if kind != "uniform_h" and kind_of_study != "unit":
        raise InputError(e.key("kind"), kind, "'uniform_h' for a panel study")
    if kind == "junction_to_board" and g.board is None:
        raise InputError(e.key("kind"), kind, "a board ([geometry.board]) for junction_to_board")
    if spec.board_point_offset >= spec.ring_offset:
        raise InputError(
            e.key("board_point_offset_mm"),
            spec.board_point_offset * 1e3,
            f"less than the ring offset ({spec.ring_offset * 1e3:g} mm): T_B is read inside "
            "the cold plate's opening",
        )
    if g.board is not None:
        ring = kind == "junction_to_board"
        name, offset = (
            ("ring_offset", spec.ring_offset)
            if ring
            else ("board_point_offset", spec.board_point_offset)
        )
        if max(g.body) / 2 + offset >= min(g.board.size) / 2:
            raise InputError(
                e.key(f"{name}_mm"),
                offset * 1e3,
                f"a point (body / 2 + offset) on the board "
                f"{g.board.size[0] * 1e3:g} x {g.board.size[1] * 1e3:g} mm",
            )
    return spec


def parse_mesh(m: Section) -> MeshSpec:
    spec = MeshSpec(
        size=m.length("size", 0.5),
        board_size=m.length("board_size", 5.0),
        opening_size=m.length("opening_size", None),
        terminal_size=m.length("terminal_size", None),
        film_size=m.length("film_size", None),
        layers_through_thickness=m.number("layers_through_thickness", 2, integer=True, lo=1, hi=8),
        order=m.number("order", 2, integer=True, lo=1, hi=2),
        algorithm=m.string("algorithm", "delaunay", choices=("hxt", "delaunay", "frontal")),
        threads=m.number("threads", 0, integer=True, lo=0, hi=256),
        optimize=m.boolean("optimize", True),
    )
    m.done()
    return spec


def parse_table_or_number(
    sec: Section,
    name: str,
    scale: float,
    positive: bool = True,
    hi: float | None = None,
    lo: float | None = None,
) -> float | Table:
    v = sec.raw(name)
    key = sec.key(name)
    if isinstance(v, Mapping):
        t = Section(v, key)
        Ts = t.raw("T_C")
        vals = t.raw("values")
        t.done()
        if not isinstance(Ts, list) or not isinstance(vals, list) or len(Ts) != len(vals) or not Ts:
            raise InputError(key, v, "T_C and values lists of equal, non-zero length")
        Ts = [check_number(f"{key}.T_C[{i}]", x, lo=-273.15, hi=T_MAX_C) for i, x in enumerate(Ts)]
        vals = [
            check_number(f"{key}.values[{i}]", x, positive=positive, lo=lo, hi=hi) * scale
            for i, x in enumerate(vals)
        ]
        if any(b <= a for a, b in zip(Ts, Ts[1:], strict=False)):
            raise InputError(f"{key}.T_C", Ts, "strictly increasing temperatures")
        return Table(tuple(Ts), tuple(vals))
    if isinstance(v, list):
        if len(v) != 3:
            raise InputError(key, v, "a number, a {T_C, values} table, or [kx, ky, kz]")
        return tuple(
            check_number(f"{key}[{i}]", x, positive=True, lo=lo, hi=hi) * scale
            for i, x in enumerate(v)
        )
    return check_number(key, v, positive=positive, lo=lo, hi=hi) * scale


def parse_prony(t: Section) -> Prony:
    """``{ g = [...], tau_s = [...] }``: a Prony series (relative moduli g_i >= 0 with
    sum < 1, relaxation times [s] > 0 at the shift's reference temperature)."""
    lists = []
    for k in ("g", "tau_s"):
        v = t.raw(k)
        if not isinstance(v, list) or not v:
            raise InputError(t.key(k), v, "a non-empty list of numbers")
        lists.append([check_number(f"{t.key(k)}[{i}]", x) for i, x in enumerate(v)])
    t.done()
    try:
        return Prony(tuple(lists[0]), tuple(lists[1]))
    except InputError as exc:
        raise InputError(t.path, {"g": lists[0], "tau_s": lists[1]}, exc.allowed) from None


def parse_shift(t: Section) -> WLF | Arrhenius:
    """``{ kind = "WLF", C1 = 17.44, C2 = 51.6, T_ref_C = 130 }`` (C2 in K) or
    ``{ kind = "Arrhenius", activation_K = 31400, T_ref_C = 130 }`` (E_a / R in K)."""
    kind = t.string("kind", choices=("WLF", "Arrhenius"))
    T_ref = t.number("T_ref_C", lo=-273.15)
    if kind == "WLF":
        out = WLF(t.number("C1", positive=True), t.number("C2", positive=True), T_ref)
    else:
        out = Arrhenius(t.number("activation_K", nonneg=True), T_ref)
    t.done()
    return out


def parse_user_material(name: str, sec: Section) -> Material:
    base = None
    if sec.has("base"):
        base = (
            _materials.get(sec.string("base")) if sec.string("base") in _materials.LIBRARY else None
        )
        if base is None:
            bname = sec.string("base")
            raise InputError(
                sec.key("base"), bname, f"a library material{hint(bname, _materials.names())}"
            )
    vals: dict[str, Any] = {}
    # lower bounds: a tenth of the softest (silicone gel, ~1e-4 GPa) and least conducting
    # (aerogel, ~0.01 W/(m K)) package materials; below them a solve fails without a key
    for key, attr, scale, lo, hi in (
        ("E_GPa", "E", 1e9, 1e-5, 1e4),
        ("E_MPa", "E", 1e6, 1e-2, 1e7),
        ("alpha_ppm", "alpha", 1e-6, None, 1e4),
        ("k", "k", 1.0, 1e-3, 1e5),
    ):
        if sec.has(key):
            if attr in vals:
                raise InputError(sec.key(key), sec.data[key], "only one of E_GPa and E_MPa")
            vals[attr] = parse_table_or_number(sec, key, scale, hi=hi, lo=lo)
    for key, lo, hi in (
        ("nu", -0.999999, 0.499999),
        ("rho", None, 1e5),
        ("cp", None, 1e6),
        ("shrinkage", -0.1, 0.1),
        ("Tg_C", -273.15, T_MAX_C),
        ("alpha_ref_C", -273.15, T_MAX_C),
        ("yield_MPa", None, 1e5),
    ):
        if sec.has(key):
            if key == "nu":
                v = sec.raw("nu")
                check_number(sec.key("nu"), v)
                if not (-1 < v < 0.5):
                    raise InputError(sec.key("nu"), v, "Poisson's ratio in (-1, 0.5)")
                vals["nu"] = float(v)
            else:
                attr = {"Tg_C": "Tg", "alpha_ref_C": "alpha_ref", "yield_MPa": "yield_strength"}
                attr = attr.get(key, key)
                positive = key in ("rho", "cp", "yield_MPa")
                scale = 1e6 if key == "yield_MPa" else 1.0
                vals[attr] = float(sec.number(key, positive=positive, lo=lo, hi=hi, scale=scale))
    if sec.has("alpha_kind"):
        vals["alpha_kind"] = sec.string("alpha_kind", choices=("instantaneous", "secant"))
    for key in ("relaxation", "bulk_relaxation"):
        if sec.has(key):
            vals[key] = parse_prony(sec.section(key))
    if sec.has("shift"):
        vals["shift"] = parse_shift(sec.section("shift"))
    plastic = parse_plasticity(
        sec, vals.get("yield_strength", getattr(base, "yield_strength", None))
    )
    if plastic is not None:
        vals["inelastic"] = plastic
    vals["source"] = sec.string("source", "user-defined in the study file")
    sec.done()
    if base is not None:
        return base.with_(name=name, **vals)
    missing = [k for k in ("E", "nu", "alpha", "k") if k not in vals]
    if missing:
        raise InputError(
            sec.key(missing[0]),
            None,
            "a value (new materials need E_GPa, nu, alpha_ppm and k, or a 'base')",
        )
    return Material(name=name, **vals)


def parse_plasticity(sec: Section, yield_strength: Any) -> Plastic | None:
    """``plasticity = {hardening_MPa = ..., kinematic_MPa = ...}`` of a library material:
    rate-independent J2 plasticity (:class:`~fea.physics.inelastic.Plastic`) from the
    material's ``yield_MPa`` (or its base's yield strength) with linear isotropic and
    kinematic hardening moduli [MPa] (default 0: perfectly plastic). None without the key."""
    if not sec.has("plasticity"):
        return None
    p = sec.section("plasticity")
    if yield_strength is None:
        raise InputError(
            p.path, p.data, "a material with a yield strength (yield_MPa, or a base that has one)"
        )
    law = Plastic(
        yield_stress=yield_strength,
        hardening=p.number("hardening_MPa", 0.0, nonneg=True, hi=1e6, scale=1e6),
        kinematic=p.number("kinematic_MPa", 0.0, nonneg=True, hi=1e6, scale=1e6),
        source=f"study file: J2 plasticity of {sec.path}",
    )
    p.done()
    return law


def parse_materials(m: Section) -> dict[str, Material]:
    lib = m.section("library")
    user: dict[str, Material] = {}
    for name in list(lib.data):
        lib.used.add(name)
        user[name] = parse_user_material(name, Section(lib.data[name], lib.key(name)))
    lib.done()
    out: dict[str, Material] = {}
    for region, default in DEFAULT_REGION_MATERIALS.items():
        name = m.string(region, default)
        if name in user:
            out[region] = user[name]
        elif name in _materials.LIBRARY:
            out[region] = _materials.get(name)
        else:
            allowed = sorted(set(_materials.names()) | set(user))
            raise InputError(
                m.key(region),
                name,
                f"a material in the library or [materials.library]{hint(name, allowed)}",
            )
    m.done()
    return out


def parse_temperature_map(sec: Section, name: str, default: dict[str, float]) -> dict[str, float]:
    v = sec.raw(name, default)
    key = sec.key(name)
    if isinstance(v, int | float) and not isinstance(v, bool):
        return {"*": check_number(key, v, lo=-273.15, hi=T_MAX_C)}
    if not isinstance(v, Mapping):
        raise InputError(key, v, "a temperature in degC or a table region -> degC")
    return {
        str(r): float(check_number(f"{key}.{r}", x, lo=-273.15, hi=T_MAX_C)) for r, x in v.items()
    }


def parse_loads(s: Section, base: Path | None = None) -> LoadSpec:
    power_map = parse_power_map(s.section("power_map"), base) if s.has("power_map") else None
    if power_map is not None and "die" in s.data.get("power_W", {}):
        raise InputError(
            "loads.power_W.die",
            s.data["power_W"]["die"],
            "no die entry when loads.power_map is given (the map holds the die's power)",
        )
    power_raw = s.raw("power_W", {"die": 1.5} if power_map is None else {})
    if not isinstance(power_raw, Mapping):
        raise InputError(s.key("power_W"), power_raw, "a table region -> W")
    power = {
        str(r): float(check_number(f"loads.power_W.{r}", v, nonneg=True, hi=POWER_MAX_W))
        for r, v in power_raw.items()
    }
    h_b = s.raw("h_boundaries", {})
    if not isinstance(h_b, Mapping):
        raise InputError(s.key("h_boundaries"), h_b, "a table boundary -> W/(m^2 K)")
    h_boundaries = {
        str(b): float(check_number(f"loads.h_boundaries.{b}", v, nonneg=True, hi=H_MAX))
        for b, v in h_b.items()
    }
    fixed = s.raw("fixed_C", {})
    if not isinstance(fixed, Mapping):
        raise InputError(s.key("fixed_C"), fixed, "a table boundary -> degC")
    fixed = {
        str(b): float(check_number(f"loads.fixed_C.{b}", v, lo=-273.15, hi=T_MAX_C))
        for b, v in fixed.items()
    }

    def temps(name: str, default: list[float], distinct: bool = False) -> tuple[float, ...]:
        v = s.raw(name, default)
        if not isinstance(v, list):
            raise InputError(s.key(name), v, "a list of temperatures in degC")
        if len(v) > 1000:
            raise InputError(s.key(name), f"{len(v)} temperatures", "at most 1000 temperatures")
        out = tuple(
            float(check_number(f"{s.key(name)}[{i}]", x, lo=-273.15, hi=T_MAX_C))
            for i, x in enumerate(v)
        )
        # each warpage temperature becomes a state labelled with it: two with one label
        # would overwrite each other's results (reflow states carry their index)
        labels = [f"{T:g}" for T in out]
        if distinct and len(set(labels)) != len(labels):
            raise InputError(s.key(name), list(v), "distinct temperatures")
        return out

    spec = LoadSpec(
        power=power,
        ambient=s.number("ambient_C", 25.0, lo=-273.15, hi=T_MAX_C),
        h=s.number("h", 10.0, nonneg=True, hi=H_MAX),
        h_boundaries=h_boundaries,
        fixed=fixed,
        reference=parse_temperature_map(s, "reference_C", {"encapsulant": 175.0, "*": 25.0}),
        cure_shrinkage=s.boolean("cure_shrinkage", True),
        warpage_temperatures=temps("warpage_temperatures_C", [25.0, 260.0], distinct=True),
        reflow=temps("reflow_C", []),
        reflow_tg_step=s.number("reflow_Tg_step_K", 5.0, nonneg=True, hi=50.0),
        power_map=power_map,
    )
    s.done()
    return spec


def _grid_cells(key: str, rows: Any) -> list[list[float]]:
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise InputError(key, rows, "a grid: a list of rows of W per cell")
    if len({len(r) for r in rows}) != 1 or not rows[0]:
        raise InputError(key, [len(r) for r in rows], "rows of one, non-zero length")
    return [
        [
            float(check_number(f"{key}[{i}][{j}]", v, nonneg=True, hi=POWER_CELL_MAX_W))
            for j, v in enumerate(r)
        ]
        for i, r in enumerate(rows)
    ]


#: Most probes of a transient (each is a column of zth.csv and a watched quantity).
MAX_PROBES = 100

#: Largest power-map CSV file read [bytes] (a grid of 1000 x 1000 cells is about 10 MB).
POWER_CSV_MAX_BYTES = 16 << 20


#: Largest power of one cell or rectangle of a power map [W] (a package dissipates tens).
POWER_CELL_MAX_W = 1e4


def read_power_csv(path: Path, key: str) -> list[list[float]]:
    """A power grid from a CSV file: one row per line, W per cell (comment lines with #).

    Errors name the file, the line and the column and what was expected; they never
    show the file's content (:func:`fea.io.textfile.read_text_file`)."""
    from ...io.textfile import read_text_file

    text = read_text_file(path, key, POWER_CSV_MAX_BYTES, "CSV file")
    rows = []
    for n, raw_line in enumerate(text.splitlines(), start=1):
        if not raw_line.strip() or raw_line.lstrip().startswith("#"):
            continue
        cells = [v.strip() for v in next(csv.reader([raw_line]), [])]
        while cells and cells[-1] == "":  # a trailing comma
            cells.pop()
        row = []
        for c, v in enumerate(cells, start=1):
            where = f"{path}, line {n}, column {c}"
            if v == "":
                raise InputError(
                    key, where, "a number in every cell (an empty cell would shift the map)"
                )
            try:
                x = float(v)
            except ValueError:
                raise InputError(key, where, "a number (W per cell) separated by commas") from None
            if not (math.isfinite(x) and 0 <= x <= POWER_CELL_MAX_W):
                raise InputError(
                    key, where, f"a finite power of 0 to {POWER_CELL_MAX_W:g} W per cell"
                )
            row.append(x)
        rows.append(row)
    if not rows:
        raise InputError(key, str(path), "a CSV file with rows of W per cell")
    if len({len(r) for r in rows}) != 1:
        raise InputError(key, str(path), "rows of one length (W per cell, one row per line)")
    return _grid_cells(key, rows)


def parse_power_map(m: Section, base: Path | None = None) -> PowerMapSpec:
    """``[loads.power_map]``: ``rectangles = [{x_mm = [x0, x1], y_mm = [y0, y1], W = P}]``,
    or a grid of W per cell over the die's active face, ``grid_W = [[...], ...]`` or
    ``csv = "file.csv"`` (relative to the study file); rows run from the die's -y edge
    to its +y edge, columns from -x to +x. The die's footprint is checked with the
    geometry (:func:`~fea.package.spec.checks.cross_checks`)."""
    given = [k for k in ("rectangles", "grid_W", "csv") if m.has(k)]
    if len(given) != 1:
        raise InputError(m.path, sorted(m.data), "exactly one of rectangles, grid_W or csv")
    if given[0] == "rectangles":
        raw = m.raw("rectangles")
        if not isinstance(raw, list) or not raw:
            raise InputError(m.key("rectangles"), raw, "a list of {x_mm, y_mm, W} tables")
        rects = []
        for i, r in enumerate(raw):
            sec = Section(r, f"{m.key('rectangles')}[{i}]")
            x, y = _span(sec, "x_mm"), _span(sec, "y_mm")
            w = float(sec.number("W", nonneg=True, hi=POWER_CELL_MAX_W))
            sec.done()
            rects.append((x[0], x[1], y[0], y[1], w))
        m.done()
        spec = PowerMapSpec(rectangles=tuple(rects), source="rectangles")
    else:
        if given[0] == "grid_W":
            cells = _grid_cells(m.key("grid_W"), m.raw("grid_W"))
        else:
            name = m.string("csv")
            m.boolean("allow_outside", False)  # checked with the study file's folder
            path = Path(name)
            if not path.is_absolute() and base is not None:
                path = base / path
            cells = read_power_csv(path, m.key("csv"))
        m.done()
        spec = PowerMapSpec(
            grid=tuple(tuple(r) for r in cells), source="grid" if given[0] == "grid_W" else "csv"
        )
    if not spec.total > 0:
        raise InputError(m.path, spec.total, "a power map with a positive total power [W]")
    return spec


def _span(sec: Section, name: str) -> tuple[float, float]:
    v = sec.raw(name)
    key = sec.key(name)
    if not isinstance(v, list) or len(v) != 2:
        raise InputError(key, v, "[from, to] in mm")
    a, b = (float(check_number(f"{key}[{i}]", x)) * 1e-3 for i, x in enumerate(v))
    if not b > a:
        raise InputError(key, v, "[from, to] with to > from")
    return a, b


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


def parse_solver(s: Section) -> SolverSpec:
    spec = SolverSpec(
        backend=s.string("backend", "auto", choices=("auto", "cpu", "gpu")),
        method=s.string("method", "auto", choices=("auto", "direct", "amg", "jacobi", "cudss")),
        rtol=s.number("rtol", 1e-10, positive=True, hi=1e-2),
        maxiter=s.number("maxiter", 2000, integer=True, lo=1),
    )
    s.done()
    if spec.method == "cudss" and spec.backend != "gpu":
        raise InputError(
            s.key("method"),
            "cudss",
            "with solver.backend = 'gpu' (cuDSS, through nvmath-python, runs on the device)",
        )
    return spec


def parse_outputs(root: Section) -> tuple[tuple[str, ...], bool, ReportSpec]:
    """``[outputs]``: the outputs to tabulate (old names resolved, order kept), whether
    to draw each case's field plots, and how to report (:class:`ReportSpec`)."""
    o = root.section("outputs")
    field_plots = o.boolean("field_plots", False)
    names = o.raw("metrics", list(DEFAULT_OUTPUTS))
    if not isinstance(names, list):
        raise InputError("outputs.metrics", names, "a list of metric names")
    resolved: list[str] = []
    for n in names:
        if not isinstance(n, str) or (n not in OUTPUTS and n not in OUTPUT_ALIASES):
            raise InputError("outputs.metrics", n, f"one of {', '.join(OUTPUTS)}{hint(n, OUTPUTS)}")
        for out in OUTPUT_ALIASES.get(n, (n,)):
            if out not in resolved:
                resolved.append(out)
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
    )
    o.done()
    return tuple(resolved), field_plots, report


PROCESS_MODELS = ("history", "independent")


def process_regions(kind: str, g: GeometrySpec) -> tuple[str, ...]:
    """The region names a ``[process]`` stage may name: the regions of the model the
    history runs on (a unit without its board; a panel's ``process`` model, whose kerf is
    named ``kerf`` as a whole)."""
    if kind == "panel" and g.panel is not None:
        import dataclasses

        pg = dataclasses.replace(g, panel=dataclasses.replace(g.panel, stage="process"))
        return (*model_regions(kind, pg), "kerf")
    return tuple(r for r in model_regions(kind, g) if r not in ("board", "rim_bond"))


def parse_process(s: Section, kind: str, g: GeometrySpec, loads: LoadSpec) -> ProcessSpec:
    """Read ``[process]``: how the mechanical states of a case are reached.

    Keys::

        [process]
        model = "history"        # or "independent" (each state alone, elastic)
        substeps = 1             # least time steps per stage (and per reflow interval)
        max_step_K = 10.0        # largest temperature change of one step [K]
        reflow_time_s = [...]    # time [s] of each loads.reflow_C point (from the
                                 # reflow's start; required with reflow_C and "history")

        [[process.stages]]       # in order; each stage's end is a state of that name
        name = "mould"
        duration_s = 120.0       # >= 0
        temperature_C = 175.0    # at the stage's end, reached linearly
        add = ["encapsulant"]    # regions born at the stage's start (absent before)
        remove = []              # regions removed at its start
        cure = ["encapsulant"]   # cure shrinkage develops over the stage
        steps = 4                # optional: least time steps of the stage

    ``history`` runs the stages, then the reflow profile (states ``r00_25C``...), on one
    mesh with :func:`fea.solve_history`: a unit without its board, or the panel's
    ``process`` model with its mandrel and its kerf as regions ``kerf_<region>`` (a
    region named in a stage includes its part in the kerf; ``kerf`` means the whole
    kerf). Stress-free temperatures (``loads.reference_C``) apply to the regions present
    from the start; a region born later is stress free at its birth. ``independent``
    solves each state alone, elastic, as studies did before the history model: a unit at
    ``loads.warpage_temperatures_C`` and along ``reflow_C``, a panel at the temperature of
    each stage named like a panel stage (``on_mandrel``, ``released``, ``singulated``) on
    that stage's own model, and along ``reflow_C`` on the ``singulated`` model.
    """
    model = s.string("model", "history", choices=PROCESS_MODELS)
    substeps = s.number("substeps", 1, integer=True, lo=1, hi=10_000)
    max_step = float(s.number("max_step_K", 10.0, lo=MIN_STEP_K, hi=1000.0))
    regions = process_regions(kind, g)
    stages_raw = s.raw("stages", [])
    if not isinstance(stages_raw, list):
        raise InputError(s.key("stages"), stages_raw, "an array of tables [[process.stages]]")
    stages: list[StageSpec] = []
    for i, st in enumerate(stages_raw):
        sec = Section(st, f"{s.key('stages')}[{i}]")
        name = check_label(sec.key("name"), sec.string("name"))
        if name in {x.name for x in stages} or re.fullmatch(r"r\d+_.*", name):
            raise InputError(
                sec.key("name"), name, "a name distinct per stage, not r<digits>_ (reflow states)"
            )
        lists = {}
        for k in ("add", "remove", "cure"):
            v = sec.raw(k, [])
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise InputError(sec.key(k), v, "a list of region names")
            for r in v:
                if r not in regions:
                    raise InputError(
                        sec.key(k),
                        r,
                        f"a region of the model ({', '.join(regions)}){hint(r, regions)}",
                    )
            lists[k] = tuple(v)
        if i == 0 and (lists["add"] or lists["remove"]):
            raise InputError(
                sec.key("add"),
                lists["add"] or lists["remove"],
                "no births or removals in the first stage (it is the start)",
            )
        steps = (
            sec.number("steps", None, integer=True, lo=1, hi=10_000) if sec.has("steps") else None
        )
        stages.append(
            StageSpec(
                name,
                float(sec.number("duration_s", nonneg=True)),
                float(sec.number("temperature_C", lo=-273.15, hi=T_MAX_C)),
                lists["add"],
                lists["remove"],
                lists["cure"],
                steps,
            )
        )
        sec.done()
    times = s.raw("reflow_time_s", [])
    if not isinstance(times, list):
        raise InputError(s.key("reflow_time_s"), times, "a list of times [s]")
    rt = tuple(
        float(check_number(f"{s.key('reflow_time_s')}[{i}]", t, nonneg=True))
        for i, t in enumerate(times)
    )
    if any(b < a for a, b in zip(rt, rt[1:], strict=False)):
        raise InputError(s.key("reflow_time_s"), list(rt), "non-decreasing times [s]")
    if model == "history":
        if loads.reflow and len(rt) != len(loads.reflow):
            raise InputError(
                s.key("reflow_time_s"),
                list(rt),
                f"one time [s] per loads.reflow_C point ({len(loads.reflow)})",
            )
        if not stages and not loads.reflow:
            raise InputError(s.key("stages"), [], "at least one stage or a reflow profile")
        if kind == "panel" and g.panel is not None and g.panel.hollow_walls:
            raise InputError(
                "geometry.panel.hollow_walls",
                True,
                "false with a process history (its rear cover after release is not modelled)",
            )
    _check_lifecycle(s.key("stages"), stages, regions)
    n_steps = process_steps(stages, loads.reflow, int(substeps), max_step)
    if n_steps > MAX_PROCESS_STEPS:
        raise InputError(
            s.key("max_step_K"),
            max_step,
            f"a step that keeps the process under {MAX_PROCESS_STEPS:,} time steps "
            f"(the stages and the reflow profile imply about {n_steps:,.0f} steps)",
        )
    s.done()
    return ProcessSpec(model, tuple(stages), rt, int(substeps), max_step)


#: Smallest ``transient.first_output_s`` [s]: the die's own time constant is ~1e-5 s;
#: earlier outputs resolve nothing and per-decade metrics there would be extrapolated.
MIN_FIRST_OUTPUT_S = 1e-7

#: Fewest transient outputs per decade of time: the per-decade Zth metrics are interpolated
#: between outputs, linearly in log time; at 10 per decade (a step of 0.23 in ln t) the
#: interpolation error of a single-exponential rise is at most 0.23**2 / 8 * 0.25 = 0.17 % of
#: its final value (0.25: the largest second derivative of 1 - exp(-t/tau) in ln t).
MIN_OUTPUTS_PER_DECADE = 10

#: Smallest ``process.max_step_K`` [K] (a step of 1e-300 K would never end).
MIN_STEP_K = 1e-3
#: Most time steps a process history may take (stages and reflow together).
MAX_PROCESS_STEPS = 100_000


def process_steps(
    stages: Sequence[StageSpec], reflow: Sequence[float], substeps: int, max_step_K: float
) -> float:
    """Estimate of the time steps of a process history: per stage and per reflow interval
    the larger of its least steps and its temperature change over ``max_step_K``."""
    total = 0.0
    prev = stages[0].temperature if stages else (reflow[0] if reflow else 25.0)
    for st in stages:
        least = st.steps if st.steps is not None else substeps
        total += max(least, math.ceil(abs(st.temperature - prev) / max_step_K))
        prev = st.temperature
    for T in reflow:
        total += max(substeps, math.ceil(abs(T - prev) / max_step_K))
        prev = T
    return total


def _check_lifecycle(key: str, stages: Sequence[StageSpec], regions: Sequence[str]) -> None:
    """No stage may leave the model without a region, and a region is cured only once it
    exists (a cure listed before the stage that adds it would be lost)."""
    later_adds: dict[str, int] = {}
    for i, st in enumerate(stages):
        for r in st.add:
            later_adds.setdefault(r, i)
    present = set(regions) - set(later_adds)
    for i, st in enumerate(stages):
        present |= set(st.add)
        present -= set(st.remove)
        if st.remove and not present:
            raise InputError(
                f"{key}[{i}].remove", list(st.remove), "removals that leave at least one region"
            )
        for r in st.cure:
            born = later_adds.get(r)
            if born is not None and born > i:
                raise InputError(
                    f"{key}[{i}].cure",
                    r,
                    f"a region present at this stage ({r} is added at {key}[{born}])",
                )
