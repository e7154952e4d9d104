"""``[geometry]`` and ``[mesh]``: the package's shape (shell, openings, die, terminals,
board, vias, panel) and its mesh settings, with the regions and boundaries a model has."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...units import wavelength
from ..defaults import DEFAULT_REGION_MATERIALS
from .checks import MIN_FEATURE_M, check_geometry, inside_rounded
from .constants import BOARD_STACKS, FREQUENCY_MAX_GHZ, OPENING_KINDS, PANEL_STAGES, SIDES
from .reader import Section, check_number, hint

__all__ = [
    "BOARD_KEYS",
    "BoardSpec",
    "CopperLayer",
    "FILE_UNITS",
    "GEOMETRY_KINDS",
    "GeometrySpec",
    "ImportedGeometrySpec",
    "MESH_ALGORITHMS",
    "MeshSpec",
    "OPENING_UNUSED",
    "OpeningSpec",
    "PanelSpec",
    "REGION_NAME",
    "REGION_NAME_RULE",
    "RESERVED_REGION_NAMES",
    "TerminalSpec",
    "ThermalViaSpec",
    "ViaSpec",
    "absolute_geometry_paths",
    "check_copper",
    "check_features",
    "check_panel_planes",
    "check_sub_layers",
    "is_imported",
    "is_region_name",
    "junction_region",
    "mesh_algorithm",
    "model_boundaries",
    "model_regions",
    "parse_board_stack",
    "parse_geometry",
    "parse_imported_geometry",
    "parse_mesh",
    "parse_opening",
    "parse_vias",
    "resolve_geometry_path",
    "unused_opening_keys",
    "unused_opening_text",
    "walls_reach_zero",
    "without_board",
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

    def largest_dimension(self, wall_height: float) -> float:
        """Largest dimension L of one opening [m] (for the aperture rule) in a wall of
        inner height ``wall_height`` [m] (the cavity's depth): a pillar gap is that tall
        (``height`` is not used for pillars)."""
        if self.closed:
            return 0.0
        if self.kind == "holes":
            return self.width
        if self.kind == "pillars":
            return max(self.width, wall_height)
        return max(self.width, self.height)

    @property
    def closed(self) -> bool:
        """A wall without openings: ``kind = "none"`` or ``count = 0``, however written."""
        return self.kind == "none" or self.count == 0

    def dam_pathway(self) -> OpeningSpec:
        """The opening of a panel dam's pathways (one per unit span) beside this wall: the
        wall's own, or for a closed wall (:attr:`closed`: ``none`` and ``count = 0`` alike,
        whatever unused sizes come with them) a slot of the default size."""
        return OpeningSpec(kind="slots", count=1) if self.closed else self


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

    @property
    def contact_diameter(self) -> float:
        """Diameter of the joint where it meets each pad [m]: a ball (a sphere of
        ``diameter`` truncated symmetrically to ``standoff``) meets them on a circle of
        ``2 sqrt((d/2)^2 - (standoff/2)^2)``; a pad is a cylinder of ``diameter``."""
        if self.kind == "balls":
            r, h = self.diameter / 2, self.standoff / 2
            return 2.0 * math.sqrt(max(r * r - h * h, 0.0))
        return self.diameter if self.kind == "pads" else 0.0


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
    ``jesd51_7`` (the JESD51-7 2s2p stack, :data:`fea.package.jedec.JESD51_7_COPPER`,
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

    ``walls_to_zero``: the side walls reach z = 0 with the dielectric inside them, as a
    rim-bonded unit's do (``board.rim_bond``), in a model of it without its board
    (:func:`without_board`: the warpage model, the package for theta_JC and the compact
    models); not a key of a study file (:func:`walls_reach_zero` reads both).
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
    walls_to_zero: bool = False

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
        """The aperture rule: largest opening L vs half the wavelength, and the shielding
        estimates of H. W. Ott, *Electromagnetic Compatibility Engineering*, Wiley 2009,
        ch. 6 (apertures, multiple apertures).

        Returns ``L`` [m] (the largest dimension of an opening in any side wall:
        :meth:`OpeningSpec.largest_dimension`), ``wavelength`` [m] (lambda = c / f in free
        space: the encapsulant filling the openings is not counted), ``ratio`` = L /
        (lambda/2), the single-aperture estimate ``shielding_dB`` = 20 log10(lambda /
        (2 L)) [dB] (inf for closed walls; 0 where L >= lambda/2: the formula holds for
        L < lambda/2, and a wall shields no less than nothing), ``shielding_array_dB``
        [dB], the least over the walls of that wall's own ``20 log10(lambda / (2 L_w)) -
        10 log10(n_w)`` (again at least 0): ``n_w`` equal apertures within lambda/2 of
        each other leak as one sqrt(n_w) times as large; openings of different walls
        radiate in different directions and are not added, nor is one wall's largest
        opening taken with another wall's count; and ``apertures``, the ``n_w`` of the
        wall that sets ``shielding_array_dB`` (0 with every wall closed). Estimates for
        the walls alone: no cavity resonance, seam, encapsulant (an opening filled with
        a dielectric of relative permittivity er resonates at lambda / (2 sqrt(er))), no
        wall-thickness (waveguide below cutoff) term and no absorption in the metal.
        """
        lam = wavelength(self.frequency)
        L, n, se_array = 0.0, 0, math.inf
        for side, o in self.openings.items():
            size = o.largest_dimension(self.cavity_depth)
            if size == 0.0:
                continue
            length = self.cavity[0] if side in ("ymin", "ymax") else self.cavity[1]
            pitch = length / o.count  # centres evenly spaced (geometry.openings)
            window = 1 + math.floor(lam / 2 / pitch + 1e-9)  # openings within lambda/2
            n_wall = min(o.count, window)
            wall = max(0.0, _aperture_dB(lam, size) - 10 * math.log10(n_wall))
            if wall < se_array or (wall == se_array and n_wall > n):
                se_array, n = wall, n_wall
            L = max(L, size)
        return {
            "L": L,
            "wavelength": lam,
            "ratio": L / (lam / 2),
            "shielding_dB": math.inf if L == 0 else max(0.0, _aperture_dB(lam, L)),
            "apertures": float(n),
            "shielding_array_dB": se_array,
        }


def _aperture_dB(lam: float, size: float) -> float:
    """Ott's single-aperture shielding 20 log10(lambda / (2 L)) [dB] of an opening of
    largest dimension ``size`` [m] at wavelength ``lam`` [m], unbounded below (negative
    for L > lambda/2, where it no longer holds: :meth:`GeometrySpec.aperture` clips)."""
    return 20 * math.log10(lam / (2 * size))


#: gmsh's 3D algorithms a case may mesh with: ``[mesh] algorithm`` -> gmsh's
#: ``Mesh.Algorithm3D``. HXT (10) is not offered: on the packages' thin sub-layers its
#: optimisation pass (``Mesh.Optimize``) aborted the process with a corrupted heap
#: (``munmap_chunk(): invalid pointer``; gmsh 4.15, the baseline at 0.8 and 2 mm, one and
#: two threads: 3 runs of 4) or spent 548 s optimising a 2 mm mesh Delaunay makes in
#: seconds; without the optimisation it left flat tetrahedra. A native abort loses the
#: case and its worker with no message, so it is refused when the study file is read.
MESH_ALGORITHMS: dict[str, int] = {"delaunay": 1, "frontal": 4}


def mesh_algorithm(name: str, key: str = "mesh.algorithm") -> int:
    """gmsh's ``Mesh.Algorithm3D`` number of ``[mesh] algorithm`` (:data:`MESH_ALGORITHMS`);
    anything else (``"hxt"`` among them) an :class:`~fea.errors.InputError` naming
    ``key``."""
    if isinstance(name, str) and name in MESH_ALGORITHMS:
        return MESH_ALGORITHMS[name]
    allowed = " or ".join(repr(a) for a in MESH_ALGORITHMS)
    if isinstance(name, str) and name.lower() == "hxt":
        allowed += (
            " (gmsh's HXT is not offered: on these thin-layer models it aborted the process "
            "with a corrupted heap or optimised for minutes; see MESH_ALGORITHMS)"
        )
    raise InputError(key, name, allowed)


@dataclass(frozen=True)
class MeshSpec:
    """Mesh controls. Lengths in m.

    ``symmetry``: ``"none"``, ``"half"`` (the model x >= 0), ``"quarter"`` (x, y >= 0) or
    ``"eighth"`` (0 <= y <= x, a square unit or panel): the mechanical models (warpage
    states, process history, panel) are solved on the cut
    model with zero normal displacement on the symmetry planes
    (:mod:`fea.package.geometry.symmetry`); the thermal solve stays on the full model.
    """

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
    symmetry: str = "none"


#: ``[geometry] kind``: the built-in shielded package, or the user's own model from a
#: gmsh ``.msh`` file (``mesh``) or a STEP file (``step``), :mod:`fea.package.geometry.imported`.
GEOMETRY_KINDS = ("builtin", "mesh", "step")
#: ``[geometry] unit`` of an imported file: metres per file unit.
FILE_UNITS = {"mm": 1e-3, "um": 1e-6, "m": 1.0}


@dataclass(frozen=True)
class ImportedGeometrySpec(GeometrySpec):
    """The user's own package model read from a file (``[geometry] kind = "mesh"`` or
    ``"step"``). Lengths in m.

    ``path``: the file (absolute); ``unit``: metres per file unit; ``region_volumes``:
    region -> the file's 3D physical-group numbers (``mesh``) or volume numbers
    (``step``), the regions named by ``[geometry.regions]`` or by the volumes themselves
    (:func:`is_region_name`), in the order of their first volume in the file;
    ``region_bbox``: region -> (xmin, ymin, zmin, xmax, ymax, zmax) [m]; ``junction``: the
    region Tj is read in (any region; the die's power map and active face need it named
    ``die``); ``top``: the boundary whose warpage
    is reported and which theta_JC holds (``"auto"``: the outer faces facing +z at the
    package's highest level); ``board_region``: the board's region (left out of the
    warpage model) or None; ``keep_board``: False for the model without it; ``digest``:
    SHA-256 of the file; ``elements``: the tetrahedra of a ``.msh`` (0 for STEP). The
    built-in family's fields keep values that mean "none" (no
    terminals, openings or board spec); ``die`` is the junction region's bounding box.
    """

    source: str = "mesh"
    path: str = ""
    unit: float = 1e-3
    region_volumes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    region_bbox: dict[str, tuple[float, ...]] = field(default_factory=dict)
    surfaces: tuple[str, ...] = ()
    junction: str = "die"
    top: str = "auto"
    board_region: str | None = None
    keep_board: bool = True
    digest: str = ""
    elements: int = 0

    def package_bbox(self) -> tuple[float, ...]:
        """(xmin, ymin, zmin, xmax, ymax, zmax) [m] of the package (the board left out)."""
        b = [v for r, v in self.region_bbox.items() if r != self.board_region]
        lo = [min(x[i] for x in b) for i in range(3)]
        hi = [max(x[i + 3] for x in b) for i in range(3)]
        return (*lo, *hi)

    @property
    def body(self) -> tuple[float, float]:
        """Size (x, y) of the package's bounding box [m]."""
        b = self.package_bbox()
        return (b[3] - b[0], b[4] - b[1])

    @property
    def outer(self) -> tuple[float, float]:
        """The package's bounding box (x, y) [m] (no shell: the body)."""
        return self.body

    @property
    def z_top(self) -> float:
        """Highest z of the package [m]."""
        return self.package_bbox()[5]

    def aperture(self) -> dict[str, float]:
        """No shielding openings are known for an imported model: L = 0."""
        lam = wavelength(self.frequency)
        return {
            "L": 0.0,
            "wavelength": lam,
            "ratio": 0.0,
            "shielding_dB": math.inf,
            "apertures": 0.0,
            "shielding_array_dB": math.inf,
        }


def is_imported(g: GeometrySpec) -> bool:
    """Whether ``g`` is the user's own model read from a file."""
    return isinstance(g, ImportedGeometrySpec)


def walls_reach_zero(g: GeometrySpec) -> bool:
    """Whether the shell's side walls reach z = 0 (the dielectric inside them): a unit
    with a rim bond to its board, or a model of one without the board."""
    return bool(g.walls_to_zero or (g.board is not None and g.board.rim_bond))


def without_board(g: GeometrySpec) -> GeometrySpec:
    """The package of ``g`` without its board (a user's model: without its board region),
    its walls as they are with the board (:func:`walls_reach_zero`): the rim-bonded
    unit's walls still reach z = 0."""
    bare = replace(g, board=None, walls_to_zero=walls_reach_zero(g))
    if is_imported(bare):
        bare = replace(bare, keep_board=False)
    return bare


def _region_items(key: str, v: Any) -> list[int | str]:
    items = v if isinstance(v, list) else [v]
    out: list[int | str] = []
    for i, x in enumerate(items):
        if isinstance(x, bool) or not isinstance(x, int | str) or x == "":
            raise InputError(
                f"{key}[{i}]" if isinstance(v, list) else key,
                x,
                "a volume number or name (or a list of them)",
            )
        out.append(x)
    if not out:
        raise InputError(key, v, "at least one volume: a region in no volume has no elements")
    return out


#: What the name of an imported model's region may be: a letter, then letters, digits,
#: ``_`` and ``-`` (it names ``[materials]`` keys, table columns and interfaces ``a|b``).
REGION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
#: :data:`REGION_NAME` and the reserved names in words, for error messages.
REGION_NAME_RULE = (
    "1 to 64 characters from A-Z a-z 0-9 _ - starting with a letter, not 'library', "
    "'kerf', 'void' or 'kerf_...'"
)
#: Names a region may not have: the ``[materials.library]`` table, and the panel's kerf
#: regions (``kerf``, ``kerf_<region>`` take the material of the region they cut).
RESERVED_REGION_NAMES = ("library", "kerf", "void")


def is_region_name(name: object) -> bool:
    """Whether ``name`` may name a region of an imported model (:data:`REGION_NAME`, none
    of :data:`RESERVED_REGION_NAMES`, no ``kerf_`` prefix)."""
    return (
        isinstance(name, str)
        and REGION_NAME.fullmatch(name) is not None
        and name not in RESERVED_REGION_NAMES
        and not name.startswith("kerf_")
    )


def _map_regions(
    table: Mapping[str, Any], volumes: tuple[tuple[int, str], ...], source: str
) -> dict[str, tuple[int, ...]]:
    """Region -> volume numbers, from ``[geometry.regions]`` and the volumes' names; the
    regions in the order of their first volume in the file."""
    what = "3D physical group" if source == "mesh" else "volume"
    numbers = {t for t, _ in volumes}
    by_name: dict[str, list[int]] = {}
    for t, name in volumes:
        if name:
            by_name.setdefault(name, []).append(t)
    for region in table:
        if not is_region_name(region):
            raise InputError(
                f"geometry.regions.{region}", region, f"a region name: {REGION_NAME_RULE}"
            )
    owner: dict[int, str] = {}
    for region, v in table.items():
        key = f"geometry.regions.{region}"
        for x in _region_items(key, v):
            if isinstance(x, int):
                if x not in numbers:
                    raise InputError(key, x, f"a {what} number of the file: {sorted(numbers)}")
                tags = [x]
            else:
                if x not in by_name:
                    raise InputError(
                        key, x, f"a {what} name of the file: {sorted(by_name)}{hint(x, by_name)}"
                    )
                tags = by_name[x]
            for t in tags:
                if owner.get(t, region) != region:
                    raise InputError(key, x, f"a {what} of one region ({t} is in {owner[t]})")
                owner[t] = region
    for t, name in volumes:
        if t in owner:
            continue
        if not is_region_name(name):
            raise InputError(
                "geometry.regions",
                f"{what} {t}" + (f" named {name!r}" if name else " without a name"),
                f"a region for every {what}: list it in [geometry.regions] (region = "
                f"[numbers] or [names], e.g. substrate = [1]) or give it a name that can name "
                f"a region ({REGION_NAME_RULE})",
            )
        owner[t] = name
    out: dict[str, list[int]] = {}
    for t, _ in volumes:
        out.setdefault(owner[t], []).append(t)
    return {r: tuple(sorted(v)) for r, v in out.items()}


def resolve_geometry_path(name: str, base: Path | None, allow_outside: bool) -> Path:
    """The file ``name`` of ``[geometry] path``: relative to ``base`` (the study file's
    folder; the working directory without one). With a ``base`` the file must lie in it
    or below unless ``allow_outside`` (a study file is shared between people)."""
    if not isinstance(name, str) or not name.strip() or "\0" in name:
        raise InputError("geometry.path", name, "the name of a .msh or STEP file")
    p = Path(name).expanduser()
    if base is None:
        return p.resolve()
    folder = base.resolve()
    full = (folder / p).resolve()
    if not allow_outside and not full.is_relative_to(folder):
        raise InputError(
            "geometry.path",
            name,
            f"a file in the study file's folder {folder} or below (set "
            "geometry.allow_outside = true to read one elsewhere)",
        )
    return full


def absolute_geometry_paths(data: Mapping[str, Any], path: str | None) -> Mapping[str, Any]:
    """The study ``data`` with a relative ``[geometry] path`` made absolute (relative to
    the study file at ``path``), checked to lie in the study file's folder or below unless
    ``[geometry] allow_outside = true``; ``data`` itself when there is nothing to do."""
    g = data.get("geometry")
    name = g.get("path") if isinstance(g, Mapping) else None
    if path is None or not isinstance(name, str) or g.get("kind") not in ("mesh", "step"):
        return data
    full = resolve_geometry_path(name, Path(path).parent, g.get("allow_outside") is True)
    if Path(name).is_absolute():
        return data
    data = copy.deepcopy(dict(data))
    data["geometry"]["path"] = str(full)
    return data


def parse_imported_geometry(
    g: Section, source: str, kind: str, base: Path | None = None
) -> ImportedGeometrySpec:
    """``[geometry] kind = "mesh"`` or ``"step"``: the user's own model from a file.

    Keys: ``path`` (relative to the study file), ``unit`` (of the file's lengths: mm, um
    or m), ``allow_outside``, ``[geometry.regions]`` (region -> numbers or names of the
    file's volumes) and ``[geometry.roles]`` (``junction``, ``top``, ``board``). The file
    is checked and read (names, numbers, bounding boxes) here, so a missing region is an
    error before any meshing."""
    from ..geometry.imported import TOP_AUTO, check_path, inspect_file

    if kind != "unit":
        raise InputError("geometry.kind", source, "'builtin' for a panel study")
    allow = g.boolean("allow_outside", False)
    path = resolve_geometry_path(g.string("path"), base, allow)
    unit = FILE_UNITS[g.string("unit", "mm", choices=tuple(FILE_UNITS))]
    check_path(path, source)
    facts = inspect_file(path, source)
    table = g.raw("regions", {})
    if not isinstance(table, Mapping):
        raise InputError(g.key("regions"), table, "a table region -> volume numbers or names")
    regions = _map_regions(table, facts.volumes, source)
    r = g.section("roles")
    junction = r.string("junction", "die")
    surfaces = tuple(n for _, n in facts.surfaces if n)
    top = r.string("top", "top" if "top" in surfaces else TOP_AUTO)
    board = r.string("board", "board" if "board" in regions else "")
    r.done()
    g.done()
    names = tuple(regions)
    if junction not in regions:
        raise InputError(
            "geometry.roles.junction",
            junction,
            f"a region of the model: {', '.join(names)}{hint(junction, names)}",
        )
    if top != TOP_AUTO and top not in surfaces:
        raise InputError(
            "geometry.roles.top",
            top,
            f"'{TOP_AUTO}' or a 2D physical group of the file: {', '.join(surfaces) or 'none'}"
            f"{hint(top, surfaces)}",
        )
    if board and board not in regions:
        raise InputError(
            "geometry.roles.board", board, f"a region of the model: {', '.join(names)}"
        )
    if board and board != "board":
        raise InputError(
            "geometry.roles.board", board, "'board' (the region named board is the board)"
        )
    if board and len(regions) < 2:
        raise InputError("geometry.roles.board", board, "a model with a package on the board")
    bbox = {}
    for region, tags in regions.items():
        b = [facts.bbox[t] for t in tags]
        bbox[region] = tuple(
            [min(x[i] for x in b) * unit for i in range(3)]
            + [max(x[i + 3] for x in b) * unit for i in range(3)]
        )
    d = bbox[junction]
    return ImportedGeometrySpec(
        die=(d[3] - d[0], d[4] - d[1], d[5] - d[2]),
        die_attach_thickness=0.0,
        exterior_thickness=0.0,
        openings={s: OpeningSpec(kind="none", count=0) for s in SIDES},
        terminals=TerminalSpec(kind="none"),
        aperture_rule="off",
        source=source,
        path=str(path),
        unit=unit,
        region_volumes=regions,
        region_bbox=bbox,
        surfaces=surfaces,
        junction=junction,
        top=top,
        board_region=board or None,
        digest=facts.digest,
        elements=facts.elements,
    )


def model_regions(kind: str, g: GeometrySpec) -> tuple[str, ...]:
    """The regions the model of a ``kind`` ("unit" or "panel") case with geometry ``g``
    has, in the order of :data:`~fea.package.defaults.DEFAULT_REGION_MATERIALS`; an
    imported model's own region names follow, in the file's order."""
    if is_imported(g):
        assert isinstance(g, ImportedGeometrySpec)
        have = [r for r in g.region_volumes if g.keep_board or r != g.board_region]
        builtin = tuple(r for r in DEFAULT_REGION_MATERIALS if r in have)
        return builtin + tuple(r for r in have if r not in DEFAULT_REGION_MATERIALS)
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


def junction_region(g: GeometrySpec) -> str:
    """The region Tj is read in: ``[geometry.roles] junction`` of an imported model, the
    ``die`` of the built-in family."""
    return g.junction if isinstance(g, ImportedGeometrySpec) else "die"


def model_boundaries(kind: str, g: GeometrySpec) -> tuple[str, ...]:
    """The named exterior boundaries the model of a ``kind`` case with geometry ``g`` has
    (the thermal model of a unit: with its board), for checking load names before
    meshing. Interfaces ``a|b`` between two of :func:`model_regions` also exist."""
    if is_imported(g):
        assert isinstance(g, ImportedGeometrySpec)
        extra = ["board_surface"] if g.board_region and g.keep_board else []
        names = ("exterior", "package_surface", "top", "shell_top", "bottom", *extra)
        return tuple(dict.fromkeys((*names, *g.surfaces)))
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


#: The length keys of ``[geometry.openings]`` (and of a side's table) an opening kind does
#: not read, and what it reads instead (:class:`OpeningSpec`); ``slots`` read them all.
OPENING_UNUSED: dict[str, tuple[tuple[str, ...], str]] = {
    "holes": (("height",), "a hole's diameter is width_mm, its lower edge z0_mm"),
    "pillars": (
        ("height", "z0"),
        "the wall is count + 1 posts with full-height gaps width_mm wide",
    ),
}


def unused_opening_keys(data: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """``(dotted key, value, kind)`` of each length key a study's input (the parsed TOML,
    ``data``) sets in ``[geometry.openings]`` or a side's table that the openings reading
    it do not use (:data:`OPENING_UNUSED`: ``height_mm`` for holes and pillars, ``z0_mm``
    for pillars; ``_um`` alike). A side's key is unused when the side's kind does not read
    it; a common key when every side that takes it (a side without a key of its own) has a
    kind that does not (``kind`` names those kinds, ``" and "``-joined). Reads the tables
    as given, no values are checked here: a bad table is the reader's to refuse."""
    g = data.get("geometry")
    o = g.get("openings") if isinstance(g, Mapping) else None
    if not isinstance(o, Mapping):
        return []
    common = o.get("kind", OpeningSpec.kind)
    sides_raw = o.get("sides")
    sides = sides_raw if isinstance(sides_raw, Mapping) else {}
    tables = {s: t for s in SIDES if isinstance(t := sides.get(s), Mapping)}
    kinds = {s: tables[s].get("kind", common) if s in tables else common for s in SIDES}

    def unused(kind: Any, base: str) -> bool:
        return isinstance(kind, str) and base in OPENING_UNUSED.get(kind, ((), ""))[0]

    out = []
    for base in ("height", "z0"):
        names = (f"{base}_mm", f"{base}_um")
        for k in names:
            if k in o:
                takers = [s for s in SIDES if not any(n in tables.get(s, {}) for n in names)]
                if takers and all(unused(kinds[s], base) for s in takers):
                    ks = " and ".join(sorted({str(kinds[s]) for s in takers}))
                    out.append((f"geometry.openings.{k}", o[k], ks))
            for s, t in tables.items():
                if k in t and unused(kinds[s], base):
                    out.append((f"geometry.openings.sides.{s}.{k}", t[k], str(kinds[s])))
    return out


def unused_opening_text(key: str, kind: str) -> str:
    """What a kind reads instead of ``key`` (the end of an error or a warning)."""
    base = key.rsplit(".", 1)[1].rsplit("_", 1)[0]
    readers = " and ".join(
        k
        for k in OPENING_KINDS
        if k != "none" and not (k in OPENING_UNUSED and base in OPENING_UNUSED[k][0])
    )
    uses = "; ".join(OPENING_UNUSED[k][1] for k in kind.split(" and ") if k in OPENING_UNUSED)
    return f"{base}_mm is read for {readers} only ({kind}: {uses})"


def parse_opening(sec: Section, base: OpeningSpec) -> OpeningSpec:
    key = sec.path
    kind = sec.string("kind", base.kind, choices=OPENING_KINDS)
    count = sec.number("count", base.count, integer=True, lo=0, hi=200)
    width = sec.length("width", base.width * 1e3)
    height = sec.length("height", base.height * 1e3)
    z0 = sec.length("z0", base.z0 * 1e3, nonneg=True)
    return OpeningSpec(kind, count, width, height, z0, key)


def parse_geometry(g: Section, kind: str, base: Path | None = None) -> GeometrySpec:
    """``[geometry]``: the built-in shielded package (``kind = "builtin"``, the default) or
    the user's own model from a file (``"mesh"``, ``"step"``:
    :func:`parse_imported_geometry`, a ``path`` relative to ``base``)."""
    source = g.string("kind", "builtin", choices=GEOMETRY_KINDS)
    if source != "builtin":
        return parse_imported_geometry(g, source, kind, base)
    cavity = g.pair("cavity_mm", [10.0, 10.0], scale=1e-3, length=True)
    depth = g.length("cavity_depth", 0.60)
    t_shell = g.length("shell_thickness", 0.035)
    radius = g.length("corner_radius", 0.0, nonneg=True)
    t_diel = g.length("dielectric_thickness", 0.050)
    ext = g.length("exterior_thickness", 0.20, nonneg=True)
    freq = g.number("frequency_GHz", 5.0, positive=True, hi=FREQUENCY_MAX_GHZ, scale=1e9)
    rule = g.string("aperture_rule", "warn", choices=("off", "warn", "error"))

    d = g.section("die")
    die_xy = d.pair("size_mm", [6.0, 6.0], scale=1e-3, length=True)
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
                size=b.pair("size_mm", [76.2, 114.3], scale=1e-3, length=True),
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
    check_features(geo)
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
            zone=v.pair("zone_mm", None, scale=1e-3, length=True) if v.has("zone_mm") else None,
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
        if min(zx, zy) < MIN_FEATURE_M:
            raise InputError(
                "geometry.board.thermal_vias.zone_mm",
                [_mm(zx), _mm(zy)],
                f"a zone at least {MIN_FEATURE_M * 1e6:g} um wide in x and y: narrower ones "
                "are below what the mesher resolves",
            )
        # centred on the board: a zone edge closer than MIN_FEATURE_M to the board's edge
        # is a sliver of board (5 nm: shape quality 2e-4)
        room = 2 * MIN_FEATURE_M - 1e-12
        if zx > b.size[0] - room or zy > b.size[1] - room:
            raise InputError(
                "geometry.board.thermal_vias.zone_mm",
                [_mm(zx), _mm(zy)],
                f"a zone smaller than the board ({b.size[0] * 1e3:.10g} x "
                f"{b.size[1] * 1e3:.10g} mm) by "
                f"at least {2 * MIN_FEATURE_M * 1e6:g} um: its edges stay "
                f"{MIN_FEATURE_M * 1e6:g} um or more inside the board's",
            )


def check_features(g: GeometrySpec) -> None:
    """Features of the built-in package that :func:`~fea.package.spec.checks.check_geometry`
    does not size, each refused when it would not be built as its keys say (an
    :class:`~fea.errors.InputError` naming the key):

    - the die at least :data:`~fea.package.spec.checks.MIN_FEATURE_M` wide in x and y;
    - a ball's caps (cut off at the stand-off, ``(diameter - standoff) / 2`` each) at least
      that tall: thinner ones are below OCC's tolerance and leave the ball no contact face
      with the dielectric or the board (a free body);
    - a via pad's edge on the terminals' contact circle or that far from it (a ring
      between them thinner than that meshes as slivers), and the pads within the
      dielectric;
    - the rim bond ring at least as wide as the side walls it is centred on, and with
      rounded corners the terminals inside its rounded inner corners;
    - a panel's lanes (``pitch - max(outer)``) wider than what stands in them, the dam
      (one shell thickness; with ``hollow_walls`` the kerf and two) and the kerf, with that
      much to spare: a dam wider than its lane merged into the cans' side walls;
    - where the kerf cuts (``singulated``, ``process``), a single dam cut away whole or
      leaving at least that much of itself on each side.
    """
    lim = MIN_FEATURE_M
    shown = f"{lim * 1e6:g} um"
    if min(g.die[:2]) < lim:
        raise InputError(
            "geometry.die.size_mm",
            [_mm(g.die[0]), _mm(g.die[1])],
            f"a die at least {shown} wide in x and y: narrower ones are below what the "
            "mesher resolves",
        )
    term = g.terminals
    built = term.kind != "none" and g.panel is None  # a panel's sites have no terminals
    if built and term.kind == "balls" and term.diameter - term.standoff < 2 * lim:
        raise InputError(
            "geometry.terminals.standoff_mm",
            _mm(term.standoff),
            f"at most {_mm(term.diameter - 2 * lim)} mm: the {_mm(term.diameter)} mm ball is "
            f"cut to the stand-off at both of its pads, and caps thinner than {shown} leave "
            "it no contact face with the dielectric or the board",
        )
    v = g.vias
    if v is not None and built:
        c = term.contact_diameter
        ring = abs(v.pad_diameter - c) / 2
        if 1e-10 < ring < lim:  # 1e-10 m: OCC's tolerance, the circles are one
            raise InputError(
                "geometry.vias.pad_diameter_mm",
                _mm(v.pad_diameter),
                f"the terminals' contact diameter {c * 1e3:.6g} mm or one at least "
                f"{2 * lim * 1e6:g} um from it: a ring between the pad's edge and the "
                f"contact circle thinner than {shown} meshes as slivers",
            )
        _check_pads_on_dielectric(g)
    b = g.board
    if b is not None and b.rim_bond and b.rim_bond_width < g.shell_thickness:
        raise InputError(
            "geometry.board.rim_bond_width_mm",
            _mm(b.rim_bond_width),
            f"at least the shell thickness {_mm(g.shell_thickness)} mm: the ring is centred "
            "on the side walls and bonds their whole rim",
        )
    if b is not None and b.rim_bond and g.corner_radius > 0 and built:
        # the ring's inner corners are arcs about the cavity's arc centres
        # (fea.package.geometry.board); the straight edges are checked with the ring
        r_in = g.corner_radius + (g.shell_thickness - b.rim_bond_width) / 2
        ax, ay = g.cavity[0] / 2 - g.corner_radius, g.cavity[1] / 2 - g.corner_radius
        x, y = (term.cols - 1) * term.pitch / 2, (term.rows - 1) * term.pitch / 2
        reach = math.hypot(x - ax, y - ay) + term.diameter / 2
        if r_in > 0 and x > ax and y > ay and reach > r_in:
            raise InputError(
                "geometry.terminals",
                f"{term.rows} x {term.cols} at {_mm(term.pitch)} mm",
                f"an array within the rim bond ring's rounded inner corners (radius "
                f"{_mm(r_in)} mm about ({_mm(ax)}, {_mm(ay)}) mm): the corner terminal at "
                f"({_mm(x)}, {_mm(y)}) mm reaches {reach * 1e3:.4g} mm from it; fewer rows and "
                "columns, a smaller geometry.corner_radius_mm or a narrower "
                "geometry.board.rim_bond_width_mm",
            )
    p = g.panel
    if p is not None and (p.nx > 1 or p.ny > 1):
        unit = max(g.outer)
        lane = p.pitch - unit
        t = g.shell_thickness
        dam = p.kerf + 2 * t if p.hollow_walls else t
        what = (
            f"the hollow_walls' dam pair ({_mm(dam)} mm: the kerf and two shell thicknesses)"
            if p.hollow_walls
            else f"the dam (one shell thickness, {_mm(dam)} mm)"
        )
        need = max(dam, p.kerf)
        if lane - need < 2 * lim:
            raise InputError(
                "geometry.panel.pitch_mm",
                _mm(p.pitch),
                f"more than {_mm(unit + need)} mm: the {_mm(lane)} mm lanes between the cans "
                f"({_mm(unit)} mm) must hold {what} and the kerf ({_mm(p.kerf)} mm) "
                f"clear of the cans' side walls by {shown} or more",
            )
        left = (t - p.kerf) / 2  # of a single dam on each side of the cut
        if p.stage in ("singulated", "process") and not p.hollow_walls and 0 < left < lim:
            raise InputError(
                "geometry.panel.kerf_mm",
                _mm(p.kerf),
                f"at least the dam's thickness (the shell's, {_mm(t)} mm) or at most "
                f"{_mm(t - 2 * lim)} mm: the kerf cuts the dam along its middle, and the "
                f"{left * 1e6:.3g} um it leaves on each side is below the {shown} the mesher "
                "resolves",
            )


def _check_pads_on_dielectric(g: GeometrySpec) -> None:
    """The copper pads (``geometry.vias``, centred on the terminals) within the dielectric:
    the shell's outer footprint with corners of radius ``corner_radius + shell_thickness``
    or, with the rim bond (the walls then reach z = 0), the cavity with corners of
    ``corner_radius``. A pad beyond it was built into the exterior encapsulant or the
    walls."""
    v, term = g.vias, g.terminals
    assert v is not None
    rim = walls_reach_zero(g)
    size = g.cavity if rim else g.outer
    radius = g.corner_radius + (0.0 if rim else g.shell_thickness) if g.corner_radius > 0 else 0.0
    rp = v.pad_diameter / 2
    x, y = (term.cols - 1) * term.pitch / 2, (term.rows - 1) * term.pitch / 2
    if not inside_rounded(x, y, rp - 1e-12, size, radius):
        where = "the shell's footprint"
        if rim:
            where = "the cavity (the walls reach z = 0 with geometry.board.rim_bond)"
        corners = f", corners of radius {_mm(radius)} mm" if radius > 0 else ""
        raise InputError(
            "geometry.vias.pad_diameter_mm",
            _mm(v.pad_diameter),
            f"pads within the dielectric, {where}: {size[0] * 1e3:.10g} x {size[1] * 1e3:.10g} mm"
            f"{corners}; the corner pad at ({_mm(x)}, {_mm(y)}) mm reaches beyond it: "
            "smaller pads, a smaller pitch or fewer rows and columns",
        )


def _mm(x: float) -> float:
    """``x`` [m] in mm to 10 digits: 0.3999999 stays itself, 0.9e-3 m is 0.9 mm (not
    0.9000000000000001)."""
    return float(f"{x * 1e3:.10g}")


def _symmetry(m: Section) -> str:
    """``[mesh] symmetry``: one of :data:`~fea.package.geometry.symmetry.SYMMETRY`
    (``none``, ``half``, ``quarter``, ``eighth``)."""
    from ..geometry.symmetry import SYMMETRY, symmetry_axes

    v = m.raw("symmetry", "none")
    if isinstance(v, str) and v not in SYMMETRY:
        symmetry_axes(v)  # raises, saying what is allowed
    return m.string("symmetry", "none", choices=tuple(SYMMETRY))


def _algorithm(m: Section) -> str:
    try:
        return m.string("algorithm", "delaunay", choices=tuple(MESH_ALGORITHMS))
    except InputError as e:  # HXT: say why it is not offered
        mesh_algorithm(e.value, m.key("algorithm"))
        raise  # pragma: no cover - mesh_algorithm refuses what string() refused


def parse_mesh(m: Section, g: GeometrySpec | None = None) -> MeshSpec:
    """``[mesh]``; with the case's geometry ``g`` (the built-in family's) each thin layer's
    sub-layers are checked too (:func:`check_sub_layers`)."""
    spec = MeshSpec(
        size=m.length("size", 0.5),
        board_size=m.length("board_size", 5.0),
        opening_size=m.length("opening_size", None),
        terminal_size=m.length("terminal_size", None),
        film_size=m.length("film_size", None),
        layers_through_thickness=m.number("layers_through_thickness", 2, integer=True, lo=1, hi=8),
        order=m.number("order", 2, integer=True, lo=1, hi=2),
        algorithm=_algorithm(m),
        threads=m.number("threads", 0, integer=True, lo=0, hi=256),
        optimize=m.boolean("optimize", True),
        symmetry=_symmetry(m),
    )
    m.done()
    for name in ("size", "board_size", "opening_size", "terminal_size", "film_size"):
        _check_mesh_size(m, name, getattr(spec, name))
    if g is not None and not is_imported(g):
        check_sub_layers(g, spec.layers_through_thickness)
        check_panel_planes(g, spec.layers_through_thickness)
    return spec


def _check_mesh_size(m: Section, name: str, size: float | None) -> None:
    """An element size ``size`` [m] (``mesh.<name>_mm`` or ``_um``) of at least
    :data:`~fea.package.spec.checks.MIN_FEATURE_M`: smaller ones are below what the mesher
    resolves (a 0.1 nm size passed the reader and never finished meshing)."""
    if size is None or size >= MIN_FEATURE_M * (1 - 1e-9):
        return
    key = next((m.key(k) for k in (f"{name}_mm", f"{name}_um") if k in m.data), m.key(name))
    raise InputError(
        key,
        m.data.get(key.rsplit(".", 1)[1], size),
        f"an element size of at least {MIN_FEATURE_M * 1e6:g} um (it is {size * 1e6:.3g} um): "
        "smaller ones are below what the mesher resolves",
    )


def check_panel_planes(g: GeometrySpec, layers: int) -> None:
    """A panel's web and the lane encapsulant under it are boxes across the whole panel
    (:mod:`fea.package.geometry.panel`): their horizontal faces -- the web's underside,
    its ``layers`` sub-layer faces, its top -- run through every can. Each must lie level
    with the can's own horizontal faces (cavity floor and ceiling, die attach sub-layers,
    die top, the bottom wall's sub-layers, the openings' and the dams' pathways' lower and
    upper edges) or at least :data:`~fea.package.spec.checks.MIN_FEATURE_M` from them; a
    closer pair meshes as slivers across the can (a 35.01 um recess under a 35 um shell:
    shape quality 5e-5). The key named is ``geometry.panel.recess_depth_mm``, which sets
    the web's level."""
    p = g.panel
    if p is None:
        return
    t, ta = g.shell_thickness, g.die_attach_thickness
    z_floor, z_ceiling = g.z_cavity
    can = [(z_floor, "the cavity floor")]
    can += [(z_floor + ta * k / layers, "a die attach sub-layer face") for k in range(1, layers)]
    if ta > 0:
        can.append((z_floor + ta, "the die attach's top"))
    can.append((z_floor + ta + g.die[2], "the die's top"))
    can.append((z_ceiling, "the cavity ceiling"))
    can += [
        (z_ceiling + t * k / layers, "a sub-layer face of the bottom wall")
        for k in range(1, layers)
    ]
    z_web = g.z_top - p.recess_depth - t
    # (opening, its name, the z its upper edge is cut at): a dam's pathway stops at the web
    openings = [
        (o, o.key, math.inf) for o in g.openings.values() if not o.closed and o.kind != "pillars"
    ]
    if p.pathways and (p.nx > 1 or p.ny > 1):
        # from z0 up (fea.package.geometry.panel); a pillars' gap over the dam's height
        path = g.openings["xmin"].dam_pathway()
        if path.kind == "pillars":
            path = replace(path, z0=0.0, height=z_web - z_floor)
        openings.append((path, "the dams' pathways", z_web))
    for o, name, cut in openings:
        h = o.width if o.kind == "holes" else o.height
        can += [
            (z_floor + o.z0, f"the lower edge of {name}"),
            (min(z_floor + o.z0 + h, cut), f"the upper edge of {name}"),
        ]
    web = [(z_web, "the web's underside")]
    web += [(z_web + t * k / layers, "a sub-layer face of the web") for k in range(1, layers)]
    web.append((z_web + t, "the web's top"))
    for zw, wname in web:
        for zc, cname in can:
            gap = abs(zw - zc)
            if 1e-10 < gap < MIN_FEATURE_M:  # 1e-10 m: OCC's tolerance, one plane
                raise InputError(
                    "geometry.panel.recess_depth_mm",
                    _mm(p.recess_depth),
                    f"a recess that puts {wname} (z = {zw * 1e3:.6g} mm, with "
                    f"mesh.layers_through_thickness = {layers}) level with {cname} "
                    f"(z = {zc * 1e3:.6g} mm) or at least {MIN_FEATURE_M * 1e6:g} um from it "
                    f"(it is {gap * 1e6:.3g} um): the web's faces run through every can, and "
                    "closer ones mesh as slivers",
                )


def check_sub_layers(g: GeometrySpec, layers: int) -> None:
    """The thin layers of the built-in package (shell, dielectric, die attach) are built as
    ``layers`` nested sub-layers each (:mod:`fea.package.geometry.unit`): every sub-layer
    at least :data:`~fea.package.spec.checks.MIN_FEATURE_M`, or an
    :class:`~fea.errors.InputError` naming ``mesh.layers_through_thickness`` (a 0.1 um
    shell in 8 sub-layers failed after meshing with flat tetrahedra); and the copper pads'
    faces (``geometry.vias``) level with the dielectric's sub-layer faces or that far from
    them."""
    films = (
        ("the shell", g.shell_thickness),
        ("the dielectric", g.dielectric_thickness),
        ("the die attach", g.die_attach_thickness),
    )
    for what, t in films:
        if t > 0 and t / layers < MIN_FEATURE_M * (1 - 1e-9):
            most = max(1, math.floor(t / MIN_FEATURE_M + 1e-9))
            raise InputError(
                "mesh.layers_through_thickness",
                layers,
                f"at most {most} for {what} ({t * 1e6:.6g} um): its sub-layers of "
                f"{t / layers * 1e6:.3g} um are below the {MIN_FEATURE_M * 1e6:g} um the "
                "mesher resolves",
            )
    v = g.vias
    if v is not None:
        # the dielectric's sub-layer faces cut through the pads (z = tp and td - tp)
        td, tp = g.dielectric_thickness, v.pad_thickness
        for k in range(1, layers):
            gap = min(abs(td * k / layers - tp), abs(td * k / layers - (td - tp)))
            if 1e-10 < gap < MIN_FEATURE_M:  # 1e-10 m: OCC's tolerance, one face
                raise InputError(
                    "geometry.vias.pad_thickness_um",
                    float(f"{tp * 1e6:.10g}"),
                    f"a pad face level with the dielectric's sub-layer face at "
                    f"{td * k / layers * 1e6:.6g} um (mesh.layers_through_thickness = "
                    f"{layers}) or at least {MIN_FEATURE_M * 1e6:g} um from it (it is "
                    f"{gap * 1e6:.3g} um): closer faces made gmsh fail (overlapping facets)",
                )
