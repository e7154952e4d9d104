"""``[geometry]`` and ``[mesh]``: the package's shape (shell, openings, die, terminals,
board, vias, panel) and its mesh settings, with the regions and boundaries a model has."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ...errors import InputError
from ...units import wavelength
from ..defaults import DEFAULT_REGION_MATERIALS
from .checks import check_geometry
from .constants import BOARD_STACKS, FREQUENCY_MAX_GHZ, OPENING_KINDS, PANEL_STAGES, SIDES
from .reader import Section, check_number

__all__ = [
    "BOARD_KEYS",
    "BoardSpec",
    "CopperLayer",
    "GeometrySpec",
    "MeshSpec",
    "OpeningSpec",
    "PanelSpec",
    "TerminalSpec",
    "ThermalViaSpec",
    "ViaSpec",
    "check_copper",
    "model_boundaries",
    "model_regions",
    "parse_board_stack",
    "parse_geometry",
    "parse_mesh",
    "parse_opening",
    "parse_vias",
]


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
    """``[geometry.vias]``: copper pads and a via per terminal in the dielectric.

    Read only when the table is given (a study without it has no pads or vias); then
    ``enabled`` defaults to true, and ``enabled = false`` turns them off again (a sweep
    can toggle them)."""
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
