"""The ``[ctm]`` section: compact thermal models of the package (:mod:`fea.physics.ctm`,
docs/ctm.md).

.. code-block:: toml

    [ctm]
    two_resistor = true            # JESD15-3 theta_JC / theta_JB model
    delphi = true                  # JESD15-4 DELPHI network
    conditions = "delphi38"        # or a list of {top, bottom, sides, leads} h tables
    holdout = 3                    # every 3rd condition held out of the fit (0: none)
    inner_scale = 1.2              # inner squares of the top and bottom faces / die side
    networks = ["foster", "cauer"] # heating-curve networks (with a [transient])
    formats = ["spice", "csv", "ecxml"]

    [ctm.junction]
    region = "die"
    statistic = "max"              # or "mean"

    [ctm.nodes]                    # default: the surface nodes of the built geometry
    top_inner = {face = "top", boundaries = ["top_inner"]}

A condition's h [W/(m^2 K)] is 0 to 1e9 (0 or absent: adiabatic; ``inf``: isothermal at
ambient), and at least one face of each condition carries heat. Whether a node's
boundaries and the junction region exist, the top and bottom nodes of the two-resistor
model and ``holdout`` against the number of conditions are checked where the mesh is
known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...errors import InputError
from ...physics.ctm import DELPHI_FACES, H_MAX, spice_pins
from .reader import Section

__all__ = ["CTM_FORMATS", "CTM_INNER_SCALE", "CTM_NETWORKS", "CtmSpec", "parse_ctm"]

#: Side of the inner square of the top and bottom faces of a compact thermal model over
#: the die's side (``[ctm] inner_scale``). On the shielded package (docs/ctm.md) 1.1 to
#: 1.2 gave the smallest DELPHI errors, 1.5 exceeded the JESD15-4 targets.
CTM_INNER_SCALE = 1.2

#: Files ``[ctm] formats`` may ask for.
CTM_FORMATS = ("spice", "csv", "ecxml")
#: Heating-curve networks ``[ctm] networks`` may ask for.
CTM_NETWORKS = ("foster", "cauer")
#: Most boundary conditions of ``[ctm] conditions`` (each is a steady solve).
MAX_CONDITIONS = 200


@dataclass(frozen=True)
class CtmSpec:
    """A parsed ``[ctm]`` section.

    Attributes
    ----------
    two_resistor, delphi
        Build the JESD15-3 two-resistor model, the JESD15-4 DELPHI network.
    conditions
        Boundary conditions (face class -> h [W/(m^2 K)]), or None for the DELPHI set of
        the body's face classes (:func:`fea.physics.ctm.delphi_boundary_conditions`).
    holdout
        Every ``holdout``-th condition (the 3rd, 6th, ... for 3) is held out of the fit
        and only checked; 0: all fitted.
    junction, statistic
        Region whose temperature is the junction's, and ``max`` (hottest node) or
        ``mean``.
    networks
        Heating-curve networks to write (``foster``, ``cauer``; with a ``[transient]``).
    formats
        Files to write (``spice``, ``csv``, ``ecxml``).
    nodes
        Surface node -> (face class, boundaries), or None for the geometry's own.
    inner_scale
        Side of the inner squares of the top and bottom faces over the die's side
        (:func:`fea.package.geometry.unit.ctm_squares`).
    """

    two_resistor: bool = True
    delphi: bool = True
    conditions: tuple[dict[str, float], ...] | None = None
    holdout: int = 3
    junction: str = "die"
    statistic: str = "max"
    networks: tuple[str, ...] = CTM_NETWORKS
    formats: tuple[str, ...] = CTM_FORMATS
    nodes: dict[str, tuple[str, tuple[str, ...]]] | None = None
    inner_scale: float = CTM_INNER_SCALE

    def fitted(self, n: int) -> list[bool]:
        """Fit flags of ``n`` conditions (False: held out)."""
        k = self.holdout
        return [not (k > 0 and i % k == k - 1) for i in range(n)]


def _choices(sec: Section, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    v = sec.raw(name, list(allowed))
    if not isinstance(v, list) or not all(isinstance(x, str) and x in allowed for x in v):
        raise InputError(sec.key(name), v, f"a list from {', '.join(allowed)}")
    if len(set(v)) != len(v):
        raise InputError(sec.key(name), v, "each entry once")
    return tuple(v)


def _conditions(sec: Section) -> tuple[dict[str, float], ...] | None:
    v = sec.raw("conditions", "delphi38")
    key = sec.key("conditions")
    if v == "delphi38":
        return None
    allowed = f"'delphi38' or a list of 1 to {MAX_CONDITIONS} tables {{top, bottom, sides, leads}}"
    if not isinstance(v, list) or not 1 <= len(v) <= MAX_CONDITIONS:
        raise InputError(key, v, allowed)
    out = []
    for i, row in enumerate(v):
        if not isinstance(row, dict) or not row:
            raise InputError(f"{key}[{i}]", row, "a table face class -> h [W/(m^2 K)]")
        bc = {}
        for f, h in row.items():
            where = f"{key}[{i}].{f}"
            if f not in DELPHI_FACES:
                raise InputError(where, f, f"a face class of {', '.join(DELPHI_FACES)}")
            if (
                isinstance(h, bool)
                or not isinstance(h, int | float)
                or math.isnan(h)
                or h < 0
                or H_MAX < h < math.inf
            ):
                raise InputError(
                    where, h, f"h in [0, {H_MAX:g}] W/(m^2 K) (inf: isothermal at ambient)"
                )
            bc[f] = float(h)
        if not any(h > 0 for h in bc.values()):
            raise InputError(
                f"{key}[{i}]",
                row,
                "h > 0 on some face (an adiabatic package has no steady temperature)",
            )
        out.append(bc)
    return tuple(out)


def _nodes(sec: Section) -> dict[str, tuple[str, tuple[str, ...]]] | None:
    if not sec.data:
        return None
    out = {}
    for name in list(sec.data):
        where = sec.key(name)
        if name == "junction" or not name.isidentifier():
            raise InputError(where, name, "a node name (letters, digits, _) other than junction")
        if not isinstance(sec.data[name], dict):
            raise InputError(where, sec.data[name], "a table {face, boundaries}")
        node = sec.section(name)
        face = node.string("face", choices=DELPHI_FACES)
        node.note("boundaries", "list")
        b = node.raw("boundaries")
        if isinstance(b, str):
            b = [b]
        if not isinstance(b, list) or not b or not all(isinstance(x, str) and x for x in b):
            raise InputError(node.key("boundaries"), b, "a boundary name or a list of them")
        node.done()
        out[name] = (face, tuple(b))
    sec.done()
    return out


def parse_ctm(sec: Section) -> CtmSpec:
    """``[ctm]`` (present, possibly empty: every default)."""
    two_r = sec.boolean("two_resistor", True)
    delphi = sec.boolean("delphi", True)
    sec.note("conditions", "list", "delphi38")
    conditions = _conditions(sec)
    holdout = sec.number("holdout", 3, lo=0, hi=MAX_CONDITIONS, integer=True)
    n = len(conditions) if conditions is not None else 29
    if holdout == 1 or (conditions is not None and holdout > 0 and n < holdout):
        raise InputError(
            sec.key("holdout"), holdout, "0 (none held out) or n >= 2 with some conditions fitted"
        )
    scale = sec.number("inner_scale", CTM_INNER_SCALE, lo=0.25, hi=4.0)
    j = sec.section("junction")
    region = j.string("region", "die")
    statistic = j.string("statistic", "max", choices=("max", "mean"))
    j.done()
    networks = _choices(sec, "networks", CTM_NETWORKS)
    formats = _choices(sec, "formats", CTM_FORMATS)
    nodes = _nodes(sec.section("nodes"))
    sec.done()
    if nodes is not None and "spice" in formats:  # names that would short SPICE pins
        spice_pins(list(nodes), key="ctm.nodes")
    if not (two_r or delphi):
        raise InputError("ctm.delphi", delphi, "true where ctm.two_resistor is false")

    return CtmSpec(
        two_r,
        delphi,
        conditions,
        int(holdout),
        region,
        statistic,
        networks,
        formats,
        nodes,
        float(scale),
    )
