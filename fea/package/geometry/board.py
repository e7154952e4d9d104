"""Test board under the terminals, and the optional bond of the shell rim to board pads."""

from __future__ import annotations

from ..spec import GeometrySpec
from .pieces import Builder

__all__ = ["BOARD_REGIONS", "add_board", "board_z"]

#: Regions that make up the board.
BOARD_REGIONS = ("board", "board_vias")


def board_z(g: GeometrySpec) -> tuple[float, float]:
    """z of the board's bottom and top faces [m]."""
    top = -g.terminals.height
    assert g.board is not None
    return top - g.board.thickness, top


def add_board(
    b: Builder,
    g: GeometrySpec,
    cx: float = 0.0,
    cy: float = 0.0,
    ring: tuple[float, float] | None = None,
) -> None:
    """Add the board centred under the package and, with ``rim_bond``, the rim bond ring.

    With ``thermal_vias`` the via zone (default: the package body's footprint) is its own
    region ``board_vias``, through the board's thickness. ``ring``: the inner size (x, y)
    [m] of a ring cold plate; the board's faces are split there so the faces outside can
    be held at the cold plate's temperature (a second board piece, same region).

    The rim bond (claims 9-10: the conductive element attached to pads of another
    element) is a ring of width ``rim_bond_width`` centred on the side walls, from the
    board up to z = 0 where the side walls end; it is also a heat path into the board.
    With ``corner_radius`` r > 0 its corners are arcs about the walls' own centres, of
    radius r + t/2 + w/2 outside and r + t/2 - w/2 inside (square where that is <= 0).
    """
    assert g.board is not None
    z0, z1 = board_z(g)
    bx, by = g.board.size
    b.prism("board", cx, cy, bx, by, z0, z1)
    if ring is not None:
        b.prism("board", cx, cy, ring[0], ring[1], z0, z1)
    tv = g.board.thermal_vias
    if tv is not None:
        zx, zy = tv.zone if tv.zone is not None else g.body
        b.prism("board_vias", cx, cy, zx, zy, z0, z1)
    if g.board.rim_bond:
        t = g.shell_thickness
        w = max(g.board.rim_bond_width, t)
        cxy = g.cavity
        outer = (cxy[0] + t + w, cxy[1] + t + w)
        inner = (cxy[0] + t - w, cxy[1] + t - w)
        radius = g.corner_radius + t / 2 + w / 2 if g.corner_radius > 0 else 0.0
        b.ring("rim_bond", cx, cy, outer, inner, z1, 0.0, radius=radius)
