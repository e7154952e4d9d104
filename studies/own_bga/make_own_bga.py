"""Write the flip-chip BGA of ``own_bga.toml`` as a STEP file (and as a gmsh .msh with
physical groups), lengths in mm:

    python studies/own_bga/make_own_bga.py

Solids, in the STEP file's order (the numbers ``[geometry.regions]`` uses): 1 the
substrate (12 x 12 x 0.4), 2 the underfill layer with the bumps in it (6 x 6 x 0.08),
3 the die (6 x 6 x 0.4), 4 the mould block (12 x 12, from the substrate up to z = 1.2;
it overlaps the die and the underfill, which keep the overlap when imported). The .msh
has the 3D physical groups substrate, underfill, die and mould and the 2D group
mould_top; use it with ``[geometry] kind = "mesh"`` (see docs/own_geometry.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import gmsh

SUB, DIE, T_SUB, T_UF, T_DIE, Z_TOP = 12.0, 6.0, 0.4, 0.08, 0.4, 1.2


def boxes(occ) -> list[int]:
    h, d = SUB / 2, DIE / 2
    return [
        occ.addBox(-h, -h, 0.0, SUB, SUB, T_SUB),
        occ.addBox(-d, -d, T_SUB, DIE, DIE, T_UF),
        occ.addBox(-d, -d, T_SUB + T_UF, DIE, DIE, T_DIE),
        occ.addBox(-h, -h, T_SUB, SUB, SUB, Z_TOP - T_SUB),
    ]


def main(folder: Path, size_mm: float = 0.5) -> None:
    gmsh.initialize(["-noenv"], readConfigFiles=False)
    gmsh.option.setNumber("General.Terminal", 0)
    try:
        boxes(gmsh.model.occ)
        gmsh.model.occ.synchronize()
        gmsh.write(str(folder / "own_bga.step"))
        gmsh.clear()
        occ = gmsh.model.occ
        tags = boxes(occ)
        _, pieces = occ.fragment([(3, t) for t in tags], [])
        occ.synchronize()
        inner = {p for _, p in pieces[1] + pieces[2]}
        groups = {
            "substrate": [p for _, p in pieces[0]],
            "underfill": [p for _, p in pieces[1]],
            "die": [p for _, p in pieces[2]],
            "mould": [p for _, p in pieces[3] if p not in inner],
        }
        for name, ents in groups.items():
            gmsh.model.addPhysicalGroup(3, ents, name=name)
        top = [
            t
            for _, t in gmsh.model.getEntities(2)
            if abs(occ.getCenterOfMass(2, t)[2] - Z_TOP) < 1e-6
        ]
        gmsh.model.addPhysicalGroup(2, top, name="mould_top")
        gmsh.option.setNumber("Mesh.MeshSizeMax", size_mm)
        gmsh.model.mesh.generate(3)
        gmsh.write(str(folder / "own_bga.msh"))
    finally:
        gmsh.finalize()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
