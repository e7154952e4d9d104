"""Defaults of the package application that are choices, not physics."""

from __future__ import annotations

__all__ = ["DEFAULT_REGION_MATERIALS"]

#: Default material (a name of the library :mod:`fea.materials`) per region of the package:
#: the application's choice, so it lives here, not in the physics layer.
DEFAULT_REGION_MATERIALS: dict[str, str] = {
    "shell": "copper",
    "dielectric": "polyimide",
    "die": "silicon",
    "die_attach": "die_attach",
    "encapsulant": "mold_compound",
    "terminals": "sac305",
    "board": "board_2s2p",
    "board_vias": "board_2s2p",
    "vias": "copper",
    "rim_bond": "sac305",
    "mandrel": "molybdenum",
    "cover": "mold_compound",
}
