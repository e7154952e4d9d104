"""Openings in the side walls of a shell: slots, holes and pillars.

Each opening is added as an ``opening`` solid spanning exactly the wall
thickness; in the fragment it takes precedence over ``shell`` and becomes
``encapsulant``, so the encapsulant runs through the wall.
"""

from __future__ import annotations

import math

from ..spec import OpeningSpec
from .pieces import Builder

__all__ = ["add_openings", "opening_volume"]


def _centres(length: float, count: int) -> list[float]:
    """Centres of ``count`` openings evenly spaced along a wall of ``length`` (from -L/2)."""
    return [-length / 2 + length * (i + 0.5) / count for i in range(count)]


def add_openings(
    b: Builder,
    side: str,
    o: OpeningSpec,
    cx: float,
    cy: float,
    cavity: tuple[float, float],
    t: float,
    z_floor: float,
    z_ceiling: float,
) -> int:
    """Add the openings of one side wall; return how many were added.

    Parameters
    ----------
    side
        ``xmin``, ``xmax``, ``ymin`` or ``ymax``.
    cavity
        Inner size (x, y) of the shell [m]; the wall of thickness ``t`` lies outside it.
    z_floor, z_ceiling
        z of the cavity floor and ceiling [m]; openings are placed from ``z_floor + z0``.
    """
    if o.closed:
        return 0
    along_x = side in ("ymin", "ymax")
    length = cavity[0] if along_x else cavity[1]
    if side in ("xmin", "xmax"):
        sgn = -1 if side == "xmin" else 1
        w0, w1 = sorted((cx + sgn * cavity[0] / 2, cx + sgn * (cavity[0] / 2 + t)))
    else:
        sgn = -1 if side == "ymin" else 1
        w0, w1 = sorted((cy + sgn * cavity[1] / 2, cy + sgn * (cavity[1] / 2 + t)))
    # the wall's slab, for the mesher's refinement around the openings
    if along_x:
        lo, hi = (cx - cavity[0] / 2, w0, z_floor), (cx + cavity[0] / 2, w1, z_ceiling)
    else:
        lo, hi = (w0, cy - cavity[1] / 2, z_floor), (w1, cy + cavity[1] / 2, z_ceiling)
    b.refine("opening", lo, hi, min(o.width, o.height) if o.kind == "slots" else o.width)
    for c in _centres(length, o.count):
        if o.kind == "holes":
            r = o.width / 2
            zc = z_floor + o.z0 + r
            if along_x:
                b.cylinder("opening", cx + c, w0, zc, 0, w1 - w0, 0, r)
            else:
                b.cylinder("opening", w0, cy + c, zc, w1 - w0, 0, 0, r)
            continue
        if o.kind == "slots":
            z0, z1 = z_floor + o.z0, z_floor + o.z0 + o.height
        else:  # pillars: full-height gaps between posts
            z0, z1 = z_floor, z_ceiling
        a0, a1 = c - o.width / 2, c + o.width / 2
        if along_x:
            b.box("opening", cx + a0, w0, z0, cx + a1, w1, z1)
        else:
            b.box("opening", w0, cy + a0, z0, w1, cy + a1, z1)
    return o.count


def opening_volume(o: OpeningSpec, t: float, wall_height: float) -> float:
    """Closed-form volume [m^3] removed from one wall of thickness ``t`` by its openings."""
    if o.closed:
        return 0.0
    if o.kind == "holes":
        return o.count * math.pi * o.width**2 / 4 * t
    if o.kind == "slots":
        return o.count * o.width * o.height * t
    return o.count * o.width * wall_height * t
