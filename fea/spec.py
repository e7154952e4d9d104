"""Typed, frozen, validated specs read from TOML.

A study file has the sections ``[study]``, ``[geometry]``, ``[mesh]``,
``[materials]``, ``[loads]``, ``[solver]``, ``[sweep]`` and ``[outputs]``. Keys carry
their unit in a suffix (``_mm``, ``_um``, ``_GPa``, ``_ppm``, ``_C``, ``_W``); the
values are converted to SI here, once (:mod:`fea.units`). Every invalid input
raises :class:`~fea.errors.InputError` naming the dotted key path, the bad value
and what is allowed. Nothing in a spec file is ever executed.

Defaults reproduce the baseline package of ``shared/BASELINE.md``.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import json
import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import materials as _materials
from .errors import InputError
from .materials import DEFAULT_REGION_MATERIALS, Material, Table
from .units import SUFFIX_TO_SI, wavelength

__all__ = [
    "BoardSpec",
    "CaseSpec",
    "GeometrySpec",
    "LoadSpec",
    "MeshSpec",
    "OpeningSpec",
    "PanelSpec",
    "SolverSpec",
    "StudySpec",
    "SweepSpec",
    "TerminalSpec",
    "load_study",
    "parse_study",
]

SIDES = ("xmin", "xmax", "ymin", "ymax")
OPENING_KINDS = ("slots", "holes", "pillars", "none")
PANEL_STAGES = ("on_mandrel", "released", "singulated")
OUTPUTS = (
    "Tj_max",
    "theta_ja",
    "psi_jt",
    "theta_jc",
    "warpage_um",
    "warpage_signed_um",
    "curvature",
    "coplanarity_um",
    "von_mises_max",
    "aperture_ratio",
    "shielding_dB",
    "interface_traction_max",
)
_MISSING = object()


# -- a small checked reader ---------------------------------------------------------


class _Section:
    """A TOML table being read: typed getters that record the keys they consume."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise InputError(path or "<root>", data, "a table")
        self.data = dict(data)
        self.path = path
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        self.used.add(name)
        if name not in self.data:
            if default is _MISSING:
                raise InputError(self.key(name), None, "a value (the key is required)")
            return default
        return self.data[name]

    def number(
        self,
        name: str,
        default: Any = _MISSING,
        *,
        lo: float | None = None,
        hi: float | None = None,
        positive: bool = False,
        nonneg: bool = False,
        integer: bool = False,
        scale: float = 1.0,
    ) -> Any:
        v = self.raw(name, default)
        if name not in self.data:
            if isinstance(v, float) and not integer:
                return v * scale
            return v
        return _check_number(
            self.key(name), v, lo=lo, hi=hi, positive=positive, nonneg=nonneg, integer=integer
        ) * (1 if integer else scale)

    def length(
        self, base: str, default_mm: Any = _MISSING, *, positive: bool = True, nonneg: bool = False
    ) -> Any:
        """A length given as ``base_mm`` or ``base_um``; returns metres."""
        keys = [k for k in (f"{base}_mm", f"{base}_um") if k in self.data]
        if len(keys) > 1:
            raise InputError(
                self.key(keys[1]), self.data[keys[1]], f"only one of {base}_mm and {base}_um"
            )
        if not keys:
            self.used.update({f"{base}_mm", f"{base}_um"})
            if default_mm is _MISSING:
                raise InputError(self.key(f"{base}_mm"), None, "a value (the key is required)")
            return None if default_mm is None else default_mm * 1e-3
        k = keys[0]
        return self.number(
            k,
            positive=positive and not nonneg,
            nonneg=nonneg,
            scale=SUFFIX_TO_SI[k.rsplit("_", 1)[1]],
        )

    def pair(self, name: str, default: Any = _MISSING, *, scale: float = 1.0) -> Any:
        v = self.raw(name, default)
        if not isinstance(v, list | tuple) or len(v) != 2:
            raise InputError(self.key(name), v, "a pair [x, y] of positive numbers")
        return tuple(
            _check_number(f"{self.key(name)}[{i}]", x, positive=True) * scale
            for i, x in enumerate(v)
        )

    def string(
        self, name: str, default: Any = _MISSING, *, choices: tuple[str, ...] | None = None
    ) -> Any:
        v = self.raw(name, default)
        if not isinstance(v, str):
            raise InputError(self.key(name), v, "a string")
        if choices is not None and v not in choices:
            raise InputError(self.key(name), v, f"one of {', '.join(choices)}{_hint(v, choices)}")
        return v

    def boolean(self, name: str, default: Any = _MISSING) -> Any:
        v = self.raw(name, default)
        if not isinstance(v, bool):
            raise InputError(self.key(name), v, "true or false")
        return v

    def section(self, name: str, default: Any = _MISSING) -> _Section:
        v = self.raw(name, {} if default is _MISSING else default)
        return _Section(v, self.key(name))

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            k = unknown[0]
            allowed = sorted(self.used)
            raise InputError(
                self.key(k),
                self.data[k],
                f"unknown key{_hint(k, allowed)}; allowed keys: {', '.join(allowed)}",
            )


def _hint(value: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_number(
    key: str,
    v: object,
    *,
    lo: float | None = None,
    hi: float | None = None,
    positive: bool = False,
    nonneg: bool = False,
    integer: bool = False,
) -> Any:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise InputError(key, v, "an integer" if integer else "a number")
    if integer and not isinstance(v, int):
        raise InputError(key, v, "an integer")
    if not math.isfinite(v):
        raise InputError(key, v, "a finite number (not NaN or inf)")
    if positive and v <= 0:
        raise InputError(key, v, "a positive number")
    if nonneg and v < 0:
        raise InputError(key, v, "a non-negative number")
    if lo is not None and v < lo:
        raise InputError(key, v, f"a number >= {lo}")
    if hi is not None and v > hi:
        raise InputError(key, v, f"a number <= {hi}")
    return v


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
class BoardSpec:
    """Test board under the terminals. Lengths in m."""

    size: tuple[float, float] = (76.2e-3, 114.3e-3)
    thickness: float = 1.6e-3
    rim_bond: bool = False
    rim_bond_width: float = 0.2e-3


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
    """One fully resolved case of a study."""

    name: str
    kind: str
    geometry: GeometrySpec
    mesh: MeshSpec
    materials: dict[str, Material]
    loads: LoadSpec
    solver: SolverSpec
    raw: dict[str, Any] = field(compare=False, hash=False, repr=False, default_factory=dict)

    def to_json(self) -> str:
        """The validated input as JSON text (stored in every results file)."""
        return json.dumps(self.raw, sort_keys=True, default=str)


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
        if self.sweep is None:
            yield "case0000", {}, self.base
            return
        for i, params in enumerate(_expand_sweep(self.sweep)):
            raw = copy.deepcopy(self.raw)
            raw.pop("sweep", None)
            for path, value in params.items():
                _set_path(raw, path, value)
            try:
                yield f"case{i:04d}", params, parse_study(raw, path=self.path).base
            except InputError as exc:
                yield f"case{i:04d}", params, exc


# -- parsing ----------------------------------------------------------------------------


def load_study(path: str | Path) -> StudySpec:
    """Read and validate a study file (TOML)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError("study file", str(p), f"a readable file ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("study file", str(p), f"valid TOML ({exc})") from None
    return parse_study(data, path=str(p))


def parse_study(data: Mapping[str, Any], path: str | None = None) -> StudySpec:
    """Validate a study given as a dict (the parsed TOML) and return its spec."""
    root = _Section(data, "")
    st = root.section("study")
    name = st.string("name", Path(path).stem if path else "study")
    kind = st.string("kind", "unit", choices=("unit", "panel"))
    st.done()
    geometry = _geometry(root.section("geometry"), kind)
    mesh = _mesh(root.section("mesh"))
    mats = _materials_section(root.section("materials"))
    loads = _loads(root.section("loads"))
    solver = _solver(root.section("solver"))
    sweep = _sweep(root.section("sweep"), data) if root.has("sweep") else None
    outputs, field_plots = _outputs(root)
    root.done()
    _cross_checks(geometry, loads, mats)
    base = CaseSpec(name, kind, geometry, mesh, mats, loads, solver, raw=copy.deepcopy(dict(data)))
    return StudySpec(
        name,
        base,
        sweep,
        outputs,
        raw=copy.deepcopy(dict(data)),
        path=path,
        field_plots=field_plots,
    )


def _opening(sec: _Section, base: OpeningSpec) -> OpeningSpec:
    key = sec.path
    kind = sec.string("kind", base.kind, choices=OPENING_KINDS)
    count = sec.number("count", base.count, integer=True, lo=0, hi=200)
    width = sec.length("width", base.width * 1e3)
    height = sec.length("height", base.height * 1e3)
    z0 = sec.length("z0", base.z0 * 1e3, nonneg=True)
    return OpeningSpec(kind, count, width, height, z0, key)


def _geometry(g: _Section, kind: str) -> GeometrySpec:
    cavity = g.pair("cavity_mm", [10.0, 10.0], scale=1e-3)
    depth = g.length("cavity_depth", 0.60)
    t_shell = g.length("shell_thickness", 0.035)
    radius = g.length("corner_radius", 0.0, nonneg=True)
    t_diel = g.length("dielectric_thickness", 0.050)
    ext = g.length("exterior_thickness", 0.20, nonneg=True)
    freq = g.number("frequency_GHz", 5.0, positive=True, scale=1e9)
    rule = g.string("aperture_rule", "warn", choices=("off", "warn", "error"))

    d = g.section("die")
    die_xy = d.pair("size_mm", [6.0, 6.0], scale=1e-3)
    die = (die_xy[0], die_xy[1], d.length("thickness", 0.30))
    d.done()
    a = g.section("die_attach")
    t_attach = a.length("thickness", 0.025, nonneg=True)
    a.done()

    o = g.section("openings")
    common = _opening(o, OpeningSpec())
    sides_sec = o.section("sides")
    openings = {}
    for s in SIDES:
        openings[s] = _opening(sides_sec.section(s), common) if sides_sec.has(s) else common
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
            )
        else:
            for k in ("size_mm", "thickness_mm", "rim_bond", "rim_bond_width_mm"):
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
    )
    _check_geometry(geo)
    return geo


def _check_geometry(g: GeometrySpec) -> None:
    t = g.shell_thickness
    if t > 0.2 * min(g.cavity):
        raise InputError(
            "geometry.shell_thickness_mm", t * 1e3, "a wall thinner than 1/5 of the cavity"
        )
    if g.corner_radius > 0.25 * min(g.cavity):
        raise InputError(
            "geometry.corner_radius_mm",
            g.corner_radius * 1e3,
            f"at most a quarter of the cavity side ({0.25e3 * min(g.cavity):g} mm)",
        )
    if g.die[0] >= g.cavity[0] or g.die[1] >= g.cavity[1]:
        raise InputError(
            "geometry.die.size_mm",
            [g.die[0] * 1e3, g.die[1] * 1e3],
            f"a die smaller than the cavity {g.cavity[0] * 1e3:g} x {g.cavity[1] * 1e3:g} mm",
        )
    stack = g.die[2] + g.die_attach_thickness
    if stack >= g.cavity_depth:
        raise InputError(
            "geometry.die.thickness_mm",
            g.die[2] * 1e3,
            f"die + attach ({stack * 1e3:g} mm) thinner than the cavity depth "
            f"{g.cavity_depth * 1e3:g} mm",
        )
    for side, o in g.openings.items():
        key = o.key
        L = g.cavity[0] if side in ("ymin", "ymax") else g.cavity[1]
        if o.kind == "none" or o.count == 0:
            continue
        if o.count * o.width + (o.count + 1) * max(t, 0.02e-3) > L:
            raise InputError(
                f"{key}.width_mm",
                o.width * 1e3,
                f"{o.count} openings of this width do not fit in the "
                f"{L * 1e3:g} mm wall on side {side} (total must stay below the wall length)",
            )
        if o.kind == "pillars":
            continue
        h = o.width if o.kind == "holes" else o.height
        if o.z0 + h > g.cavity_depth - 1e-9:
            raise InputError(
                f"{key}.height_mm",
                h * 1e3,
                f"an opening within the {g.cavity_depth * 1e3:g} mm wall height on "
                f"side {side} (z0 + height = {(o.z0 + h) * 1e3:g} mm)",
            )
    term = g.terminals
    if term.kind != "none":
        ox, oy = g.outer
        r = (term.diameter / 2) if term.kind == "balls" else term.diameter / 2
        ex = (term.cols - 1) * term.pitch / 2 + r
        ey = (term.rows - 1) * term.pitch / 2 + r
        if ex > ox / 2 or ey > oy / 2:
            raise InputError(
                "geometry.terminals",
                f"{term.rows} x {term.cols} at {term.pitch * 1e3:g} mm",
                f"an array within the dielectric ({ox * 1e3:g} x {oy * 1e3:g} mm); "
                f"this one spans {2 * ex * 1e3:g} x {2 * ey * 1e3:g} mm",
            )
        if term.pitch <= term.diameter:
            raise InputError(
                "geometry.terminals.pitch_mm",
                term.pitch * 1e3,
                f"a pitch larger than the terminal diameter {term.diameter * 1e3:g} mm",
            )
        if term.kind == "balls" and term.standoff >= term.diameter:
            raise InputError(
                "geometry.terminals.standoff_mm",
                term.standoff * 1e3,
                f"a stand-off below the ball diameter {term.diameter * 1e3:g} mm",
            )
    if g.board is not None:
        bx, by = g.board.size
        ox, oy = g.outer
        ext = 2 * g.exterior_thickness
        if bx < ox + ext or by < oy + ext:
            raise InputError(
                "geometry.board.size_mm",
                [bx * 1e3, by * 1e3],
                "a board larger than the package footprint",
            )
        if g.board.rim_bond and term.kind == "none":
            raise InputError("geometry.board.rim_bond", True, "terminals that set the stand-off")
    if g.panel is not None:
        p = g.panel
        ox, oy = g.outer
        lane = p.pitch - max(ox, oy)
        if lane <= 2 * g.exterior_thickness + p.kerf:
            raise InputError(
                "geometry.panel.pitch_mm",
                p.pitch * 1e3,
                f"a pitch larger than the unit ({max(ox, oy) * 1e3:g} mm) plus twice the "
                "exterior encapsulant and the kerf "
                f"({(2 * g.exterior_thickness + p.kerf) * 1e3:g} mm)",
            )
        if p.recess_depth >= g.cavity_depth:
            raise InputError(
                "geometry.panel.recess_depth_mm",
                p.recess_depth * 1e3,
                "a recess shallower than the cavity depth",
            )
    if g.aperture_rule == "error":
        a = g.aperture()
        if a["ratio"] >= 1.0:
            raise InputError(
                "geometry.openings",
                f"L = {a['L'] * 1e3:g} mm",
                f"openings below half the wavelength ({a['wavelength'] / 2 * 1e3:g} mm "
                f"at {g.frequency / 1e9:g} GHz)",
            )


def _mesh(m: _Section) -> MeshSpec:
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


_MAT_KEYS = {"E_GPa": 1e9, "E_MPa": 1e6, "alpha_ppm": 1e-6, "k": 1.0}


def _table_or_number(
    sec: _Section, name: str, scale: float, positive: bool = True
) -> float | Table:
    v = sec.raw(name)
    key = sec.key(name)
    if isinstance(v, Mapping):
        t = _Section(v, key)
        Ts = t.raw("T_C")
        vals = t.raw("values")
        t.done()
        if not isinstance(Ts, list) or not isinstance(vals, list) or len(Ts) != len(vals) or not Ts:
            raise InputError(key, v, "T_C and values lists of equal, non-zero length")
        Ts = [_check_number(f"{key}.T_C[{i}]", x) for i, x in enumerate(Ts)]
        vals = [
            _check_number(f"{key}.values[{i}]", x, positive=positive) * scale
            for i, x in enumerate(vals)
        ]
        if any(b <= a for a, b in zip(Ts, Ts[1:], strict=False)):
            raise InputError(f"{key}.T_C", Ts, "strictly increasing temperatures")
        return Table(tuple(Ts), tuple(vals))
    if isinstance(v, list):
        if len(v) != 3:
            raise InputError(key, v, "a number, a {T_C, values} table, or [kx, ky, kz]")
        return tuple(
            _check_number(f"{key}[{i}]", x, positive=True) * scale for i, x in enumerate(v)
        )
    return _check_number(key, v, positive=positive) * scale


def _user_material(name: str, sec: _Section) -> Material:
    base = None
    if sec.has("base"):
        base = (
            _materials.get(sec.string("base")) if sec.string("base") in _materials.LIBRARY else None
        )
        if base is None:
            bname = sec.string("base")
            raise InputError(
                sec.key("base"), bname, f"a library material{_hint(bname, _materials.names())}"
            )
    vals: dict[str, Any] = {}
    for key, attr, scale in (
        ("E_GPa", "E", 1e9),
        ("E_MPa", "E", 1e6),
        ("alpha_ppm", "alpha", 1e-6),
        ("k", "k", 1.0),
    ):
        if sec.has(key):
            if attr in vals:
                raise InputError(sec.key(key), sec.data[key], "only one of E_GPa and E_MPa")
            vals[attr] = _table_or_number(sec, key, scale)
    for key, lo, hi in (
        ("nu", -0.999999, 0.499999),
        ("rho", None, None),
        ("cp", None, None),
        ("shrinkage", -0.1, 0.1),
        ("Tg_C", None, None),
        ("alpha_ref_C", None, None),
    ):
        if sec.has(key):
            if key == "nu":
                v = sec.raw("nu")
                _check_number(sec.key("nu"), v)
                if not (-1 < v < 0.5):
                    raise InputError(sec.key("nu"), v, "Poisson's ratio in (-1, 0.5)")
                vals["nu"] = float(v)
            else:
                attr = {"Tg_C": "Tg", "alpha_ref_C": "alpha_ref"}.get(key, key)
                positive = key in ("rho", "cp")
                vals[attr] = float(sec.number(key, positive=positive, lo=lo, hi=hi))
    if sec.has("alpha_kind"):
        vals["alpha_kind"] = sec.string("alpha_kind", choices=("instantaneous", "secant"))
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


def _materials_section(m: _Section) -> dict[str, Material]:
    lib = m.section("library")
    user: dict[str, Material] = {}
    for name in list(lib.data):
        lib.used.add(name)
        user[name] = _user_material(name, _Section(lib.data[name], lib.key(name)))
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
                f"a material in the library or [materials.library]{_hint(name, allowed)}",
            )
    m.done()
    return out


def _temperature_map(sec: _Section, name: str, default: dict[str, float]) -> dict[str, float]:
    v = sec.raw(name, default)
    key = sec.key(name)
    if isinstance(v, int | float) and not isinstance(v, bool):
        return {"*": _check_number(key, v, lo=-273.15)}
    if not isinstance(v, Mapping):
        raise InputError(key, v, "a temperature in degC or a table region -> degC")
    return {str(r): float(_check_number(f"{key}.{r}", x, lo=-273.15)) for r, x in v.items()}


def _loads(s: _Section) -> LoadSpec:
    power_raw = s.raw("power_W", {"die": 1.5})
    if not isinstance(power_raw, Mapping):
        raise InputError(s.key("power_W"), power_raw, "a table region -> W")
    power = {
        str(r): float(_check_number(f"loads.power_W.{r}", v, nonneg=True))
        for r, v in power_raw.items()
    }
    h_b = s.raw("h_boundaries", {})
    if not isinstance(h_b, Mapping):
        raise InputError(s.key("h_boundaries"), h_b, "a table boundary -> W/(m^2 K)")
    h_boundaries = {
        str(b): float(_check_number(f"loads.h_boundaries.{b}", v, nonneg=True))
        for b, v in h_b.items()
    }
    fixed = s.raw("fixed_C", {})
    if not isinstance(fixed, Mapping):
        raise InputError(s.key("fixed_C"), fixed, "a table boundary -> degC")
    fixed = {
        str(b): float(_check_number(f"loads.fixed_C.{b}", v, lo=-273.15)) for b, v in fixed.items()
    }

    def temps(name: str, default: list[float]) -> tuple[float, ...]:
        v = s.raw(name, default)
        if not isinstance(v, list):
            raise InputError(s.key(name), v, "a list of temperatures in degC")
        return tuple(
            float(_check_number(f"{s.key(name)}[{i}]", x, lo=-273.15)) for i, x in enumerate(v)
        )

    spec = LoadSpec(
        power=power,
        ambient=s.number("ambient_C", 25.0, lo=-273.15),
        h=s.number("h", 10.0, nonneg=True),
        h_boundaries=h_boundaries,
        fixed=fixed,
        reference=_temperature_map(s, "reference_C", {"encapsulant": 175.0, "*": 25.0}),
        cure_shrinkage=s.boolean("cure_shrinkage", True),
        warpage_temperatures=temps("warpage_temperatures_C", [25.0, 260.0]),
        reflow=temps("reflow_C", []),
    )
    s.done()
    return spec


def _solver(s: _Section) -> SolverSpec:
    spec = SolverSpec(
        backend=s.string("backend", "auto", choices=("auto", "cpu", "gpu")),
        method=s.string("method", "auto", choices=("auto", "direct", "amg", "jacobi")),
        rtol=s.number("rtol", 1e-10, positive=True, hi=1e-2),
        maxiter=s.number("maxiter", 2000, integer=True, lo=1),
    )
    s.done()
    return spec


def _outputs(root: _Section) -> tuple[tuple[str, ...], bool]:
    o = root.section("outputs")
    field_plots = o.boolean("field_plots", False)
    names = o.raw("metrics", list(OUTPUTS[:6]))
    if not isinstance(names, list):
        raise InputError("outputs.metrics", names, "a list of metric names")
    for n in names:
        if n not in OUTPUTS:
            raise InputError(
                "outputs.metrics", n, f"one of {', '.join(OUTPUTS)}{_hint(n, OUTPUTS)}"
            )
    o.done()
    return tuple(names), field_plots


def _get_path(data: Mapping[str, Any], path: str) -> Any:
    cur: Any = data
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    cur = data
    for part in parts[:-1]:
        cur = cur.setdefault(part, {})
    cur[parts[-1]] = value


_SWEEPABLE_SECTIONS = ("geometry", "mesh", "materials", "loads", "solver")


def _sweep(s: _Section, data: Mapping[str, Any]) -> SweepSpec:
    kind = s.string("kind", "grid", choices=("grid", "random", "cases"))
    params_raw = s.raw("parameters", {})
    if not isinstance(params_raw, Mapping):
        raise InputError("sweep.parameters", params_raw, "a table 'dotted.path' = [values]")
    params: dict[str, tuple[Any, ...]] = {}
    for p, vals in params_raw.items():
        key = f"sweep.parameters.{p!s}"
        if str(p).split(".")[0] not in _SWEEPABLE_SECTIONS:
            raise InputError(
                key, p, f"a dotted path starting with one of {', '.join(_SWEEPABLE_SECTIONS)}"
            )
        if not isinstance(vals, list) or not vals:
            raise InputError(key, vals, "a non-empty list of values")
        if kind == "random" and (
            len(vals) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)
            or vals[0] >= vals[1]
        ):
            raise InputError(key, vals, "[low, high] with low < high for a random sweep")
        params[str(p)] = tuple(vals)
    n = s.number("n", 0, integer=True, lo=0, hi=100000)
    seed = s.number("seed", 0, integer=True, lo=0)
    cases_raw = s.raw("cases", [])
    if not isinstance(cases_raw, list) or not all(isinstance(c, Mapping) for c in cases_raw):
        raise InputError("sweep.cases", cases_raw, "a list of tables 'dotted.path' = value")
    s.done()
    if kind == "cases" and not cases_raw:
        raise InputError("sweep.cases", cases_raw, "at least one case for kind = 'cases'")
    if kind in ("grid", "random") and not params:
        raise InputError("sweep.parameters", {}, f"at least one parameter for kind = '{kind}'")
    if kind == "random" and n < 1:
        raise InputError("sweep.n", n, "a positive number of random cases")
    spec = SweepSpec(kind, params, n, seed, tuple(dict(c) for c in cases_raw))
    # Every case must be a valid study: validate each one now, so a typo in a swept
    # path or value is reported before any work starts.
    for i, case in enumerate(_expand_sweep(spec)):
        raw = copy.deepcopy(dict(data))
        raw.pop("sweep", None)
        for path, value in case.items():
            if str(path).split(".")[0] not in _SWEEPABLE_SECTIONS:
                raise InputError(
                    f"sweep.cases[{i}].{path}",
                    value,
                    f"a dotted path starting with one of {', '.join(_SWEEPABLE_SECTIONS)}",
                )
            _set_path(raw, str(path), value)
        try:
            parse_study(raw)
        except InputError as exc:
            if kind == "cases":
                # explicit cases may be deliberately invalid: recorded as failures at run time
                continue
            raise InputError(
                f"sweep (case {i}: {case}) -> {exc.key}", exc.value, exc.allowed
            ) from None
    return spec


def _expand_sweep(sweep: SweepSpec) -> list[dict[str, Any]]:
    if sweep.kind == "cases":
        return [dict(c) for c in sweep.cases]
    keys = list(sweep.parameters)
    if sweep.kind == "grid":
        return [
            dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(sweep.parameters[k] for k in keys))
        ]
    rng = np.random.default_rng(sweep.seed)
    out = []
    for _ in range(sweep.n):
        case = {}
        for k in keys:
            lo, hi = sweep.parameters[k]
            if isinstance(lo, int) and isinstance(hi, int):
                case[k] = int(rng.integers(lo, hi + 1))
            else:
                case[k] = float(rng.uniform(lo, hi))
        out.append(case)
    return out


def _cross_checks(g: GeometrySpec, loads: LoadSpec, mats: dict[str, Material]) -> None:
    regions = {
        "shell",
        "dielectric",
        "die",
        "encapsulant",
        "terminals",
        "board",
        "die_attach",
        "rim_bond",
        "mandrel",
        "cover",
        "*",
    }
    for r in loads.power:
        if r not in regions:
            raise InputError(
                f"loads.power_W.{r}",
                loads.power[r],
                f"a region name: {', '.join(sorted(regions - {'*'}))}{_hint(r, regions)}",
            )
    for r in loads.reference:
        if r not in regions:
            raise InputError(
                f"loads.reference_C.{r}",
                loads.reference[r],
                f"a region name or '*'{_hint(r, regions)}",
            )


def spec_to_dict(obj: Any) -> Any:
    """Plain-data view of a spec dataclass (for JSON and tables)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: spec_to_dict(v) for k, v in asdict(obj).items()}
    return obj
