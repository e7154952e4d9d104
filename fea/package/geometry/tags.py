"""Region and boundary names (DESIGN.md section 1) and their fragment priorities."""

from __future__ import annotations

from ...fe.mesh import interface_name

__all__ = ["PRIORITY", "REGIONS", "interface_name"]

#: Region names in the order of precedence where input solids overlap: a fragment
#: piece inside several input solids belongs to the earliest region of this list.
#: ``void`` removes material (openings are encapsulant-filled, kerfs are void).
REGIONS: tuple[str, ...] = (
    "void",
    "ridge",  # becomes mandrel: the mandrel ridge inside a hollow wall
    "die",
    "die_attach",
    "opening",  # becomes encapsulant: an opening cut through a wall
    "cavity",  # becomes encapsulant: the inside of a depression
    "shell",
    "rim_bond",
    "terminals",
    "vias",  # copper pads and vias inside the dielectric
    "dielectric",
    "cover",
    "encapsulant",
    "mandrel",
    "board_vias",  # the board's thermal-via zone under the package
    "board",
)

PRIORITY: dict[str, int] = {name: i for i, name in enumerate(REGIONS)}

#: Regions whose pieces are renamed in the final model.
ALIASES: dict[str, str] = {"opening": "encapsulant", "cavity": "encapsulant", "ridge": "mandrel"}
