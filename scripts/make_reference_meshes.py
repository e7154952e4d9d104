"""Regenerate the small tracked reference meshes in ``meshes/reference/``.

    python scripts/make_reference_meshes.py

``small_unit.msh``: a 3 x 3 mm shielded unit (2 slots per wall, 2 x 2 balls, no board)
at 0.6 mm (films at the global size, one sub-layer), the geometry of SMALL in
``tests/package/test_analyse.py`` without its board; gmsh binary format with named
regions and boundaries (interfaces ``a|b`` included).
Tests read it as a user's own mesh would be read (``fea.Mesh.from_gmsh``).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SMALL_UNIT = {
    "study": {"name": "small_unit"},
    "geometry": {
        "cavity_mm": [3.0, 3.0],
        "cavity_depth_mm": 0.5,
        "die": {"size_mm": [1.5, 1.5], "thickness_mm": 0.25},
        "openings": {"kind": "slots", "count": 2, "width_mm": 0.4, "height_mm": 0.15},
        "terminals": {"kind": "balls", "rows": 2, "cols": 2, "pitch_mm": 1.2},
    },
    "mesh": {
        "size_mm": 0.6,
        "terminal_size_mm": 0.3,
        "film_size_mm": 0.6,
        "layers_through_thickness": 1,
        "order": 1,
    },
}


def main() -> int:
    from fea.package.meshing import build_mesh
    from fea.package.spec import parse_study

    case = parse_study(SMALL_UNIT).base
    _, path = build_mesh(case, cache=False)
    out = ROOT / "meshes" / "reference" / "small_unit.msh"
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, out)
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
