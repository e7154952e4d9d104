"""Typed names: the regions and boundaries of a package model (DESIGN.md section 1) and
the columns of a study table.

A table column is a :class:`Column`: a metric (``warpage_um``), optionally the state it
was taken in (``25C``, ``r03_183C``) and a region (``shell``), written
``metric@state:region``. Code builds columns from these parts and reads them back with
:meth:`Column.parse`; nothing else splits column strings.
"""

from __future__ import annotations

from dataclasses import dataclass

from .geometry.tags import ALIASES, REGIONS, interface_name

__all__ = [
    "BOUNDARIES",
    "Column",
    "PACKAGE_REGIONS",
    "interface_name",
]

#: Regions a package model can have (the builders' internal names resolved).
PACKAGE_REGIONS: tuple[str, ...] = tuple(
    dict.fromkeys(ALIASES.get(r, r) for r in REGIONS if r != "void")
)

#: Named exterior boundaries a package model can have (interfaces are ``a|b``).
BOUNDARIES: tuple[str, ...] = (
    "exterior",
    "top",
    "shell_top",
    "bottom",
    "terminal_tips",
    "package_surface",
    "board_surface",
    "board_bottom",
    "board_top",
    "mandrel_top",
    "mandrel_surface",
)


#: Unit suffixes of metric names (longest match first) and how to print them.
UNITS: dict[str, str] = {
    "_K_per_W": "K/W",
    "_J_per_K": "J/K",
    "_1_per_m": "1/m",
    "_MPa": "MPa",
    "_mm": "mm",
    "_um": "µm",
    "_dB": "dB",
    "_C": "°C",
    "_W": "W",
    "_s": "s",
}


@dataclass(frozen=True)
class Column:
    """A study-table column: ``metric[@state[:region]]``.

    ``metric`` carries its unit in its suffix where it has one (``warpage_um``,
    ``von_mises_max_MPa``); :attr:`output` is the name used in ``[outputs] metrics``.
    """

    metric: str
    state: str | None = None
    region: str | None = None

    def __str__(self) -> str:
        text = self.metric
        if self.state is not None:
            text += f"@{self.state}"
            if self.region is not None:
                text += f":{self.region}"
        return text

    @classmethod
    def parse(cls, text: str) -> Column:
        """The column named by ``text`` (inverse of ``str``)."""
        metric, _, rest = str(text).partition("@")
        if not rest:
            return cls(metric)
        state, _, region = rest.partition(":")
        return cls(metric, state, region or None)

    @property
    def unit_suffix(self) -> str:
        """The metric's unit suffix (a key of :data:`UNITS`), or ``""``."""
        for suffix in sorted(UNITS, key=len, reverse=True):
            if self.metric.endswith(suffix) and len(self.metric) > len(suffix):
                return suffix
        return ""

    @property
    def unit(self) -> str:
        """The metric's unit as printed (``"K/W"``), or ``""`` for a pure number."""
        return UNITS.get(self.unit_suffix, "")

    @property
    def output(self) -> str:
        """The ``[outputs] metrics`` name: the metric without a trailing ``_MPa``."""
        return self.metric.removesuffix("_MPa")
