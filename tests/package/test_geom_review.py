"""Geometry inputs that do not fit, found by setting up designs from study files: each is
refused before any meshing by an InputError naming the key, the value and what is
allowed (not a gmsh PLC error, an "empty box", a mesher that never finishes, or a key
that does not exist); and the designs at the limits still mesh."""

from __future__ import annotations

import copy

import pytest

from fea.errors import InputError
from fea.package.spec import parse_study

SMALL = {
    "cavity_mm": [3.0, 3.0],
    "cavity_depth_mm": 0.5,
    "shell_thickness_um": 35,
    "die": {"size_mm": [1.5, 1.5], "thickness_mm": 0.25},
    "openings": {"kind": "slots", "count": 2, "width_mm": 0.4, "height_mm": 0.15, "z0_mm": 0.1},
    "terminals": {"kind": "balls", "rows": 2, "cols": 2, "pitch_mm": 0.8},
}
PANEL = {"nx": 3, "ny": 3, "pitch_mm": 4.5, "margin_mm": 0.5, "mandrel_thickness_mm": 0.5}


def _merged(a: dict, b: dict) -> dict:
    out = copy.deepcopy(a)
    for k, v in b.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def case_of(geometry: dict | None = None, kind: str = "unit"):
    g = _merged(SMALL, geometry or {})
    mesh = {"size_mm": 1.0, "layers_through_thickness": 1, "order": 1}
    return parse_study({"study": {"kind": kind}, "geometry": g, "mesh": mesh}).base


def refused(geometry: dict, kind: str = "unit") -> InputError:
    with pytest.raises(InputError) as info:
        case_of(geometry, kind)
    return info.value


# -- keys named


def test_lengths_of_pairs_bounded():
    e = refused({"cavity_mm": [1e9, 3.0]})
    assert e.key == "geometry.cavity_mm[0]"
    assert "<= 2000" in e.allowed
    e = refused({"board": {"size_mm": [10.0, 5e6]}})
    assert e.key == "geometry.board.size_mm[1]"
