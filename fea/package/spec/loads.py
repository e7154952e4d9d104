"""``[loads]``: power per region, convection, stress-free temperatures, warpage and reflow
temperatures, and the die's power map (rectangles, a grid, or a CSV file next to the
study)."""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...fe.mesh import PlausibilityWarning
from .constants import H_MAX, POWER_MAX_W, T_MAX_C
from .reader import Section, check_number

__all__ = [
    "AMBIENT_PLAUSIBLE_MAX_C",
    "LoadSpec",
    "POWER_CELL_MAX_W",
    "POWER_CSV_MAX_BYTES",
    "PowerMapSpec",
    "parse_loads",
    "parse_power_map",
    "parse_temperature_map",
    "read_power_csv",
]


#: Hottest ambient [°C] taken without a :class:`~fea.fe.mesh.PlausibilityWarning`: the top
#: of AEC-Q100 grade 0 (-40 to 150 °C), the hottest qualification ambient of packaged
#: parts; 298 (25 °C written in kelvin) is above it.
AMBIENT_PLAUSIBLE_MAX_C = 150.0


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
    die_power: str = "auto"

    @property
    def total_power(self) -> float:
        """Power of every source, regions and power map together [W]."""
        extra = self.power_map.total if self.power_map is not None else 0.0
        return float(sum(self.power.values())) + extra


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


def _number_table(
    s: Section, name: str, default: dict, what: str, **bounds: Any
) -> dict[str, float]:
    """A table ``name -> number`` of ``[loads]`` (``what`` says what maps to what), each
    value checked with ``bounds`` (:func:`~fea.package.spec.reader.check_number`)."""
    raw = s.raw(name, default)
    if not isinstance(raw, Mapping):
        raise InputError(s.key(name), raw, f"a table {what}")
    return {str(k): float(check_number(f"loads.{name}.{k}", v, **bounds)) for k, v in raw.items()}


def parse_loads(s: Section, base: Path | None = None) -> LoadSpec:
    power_map = parse_power_map(s.section("power_map"), base) if s.has("power_map") else None
    if power_map is not None and "die" in s.data.get("power_W", {}):
        raise InputError(
            "loads.power_W.die",
            s.data["power_W"]["die"],
            "no die entry when loads.power_map is given (the map holds the die's power)",
        )
    power = _number_table(
        s,
        "power_W",
        {"die": 1.5} if power_map is None else {},
        "region -> W",
        nonneg=True,
        hi=POWER_MAX_W,
    )
    h_boundaries = _number_table(
        s, "h_boundaries", {}, "boundary -> W/(m^2 K)", nonneg=True, hi=H_MAX
    )
    fixed = _number_table(s, "fixed_C", {}, "boundary -> degC", lo=-273.15, hi=T_MAX_C)

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

    ambient = s.number("ambient_C", 25.0, lo=-273.15, hi=T_MAX_C)
    if ambient > AMBIENT_PLAUSIBLE_MAX_C:
        warnings.warn(
            f"{s.key('ambient_C')} = {ambient:g} °C is above any operating ambient (AEC-Q100 "
            f"grade 0 ends at {AMBIENT_PLAUSIBLE_MAX_C:g} °C); a temperature in kelvin? "
            f"({ambient:g} K = {ambient - 273.15:g} °C; the key is in °C)",
            PlausibilityWarning,
            stacklevel=2,
        )
    spec = LoadSpec(
        power=power,
        ambient=ambient,
        h=s.number("h", 10.0, nonneg=True, hi=H_MAX),
        h_boundaries=h_boundaries,
        fixed=fixed,
        reference=parse_temperature_map(s, "reference_C", {"encapsulant": 175.0, "*": 25.0}),
        cure_shrinkage=s.boolean("cure_shrinkage", True),
        warpage_temperatures=temps("warpage_temperatures_C", [25.0, 260.0], distinct=True),
        reflow=temps("reflow_C", []),
        reflow_tg_step=s.number("reflow_Tg_step_K", 5.0, nonneg=True, hi=50.0),
        power_map=power_map,
        die_power=s.string("die_power", "auto", choices=("auto", "active_face", "volume")),
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
        try:
            cells = [v.strip() for v in next(csv.reader([raw_line]), [])]
        except csv.Error as exc:  # a cell over the csv module's field limit
            raise InputError(key, f"{path}, line {n}", f"CSV cells ({exc})") from None
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
