"""Test bodies of the compact-thermal-model verification (built in mm, scaled to m)."""

from __future__ import annotations

import gmsh

from fea.fe.mesh import Mesh, gmsh_session
from fea.physics.materials import Material

#: Body edge, die edge, substrate thickness, die thickness, body height [mm].
L_MM, DIE_MM, SUB_MM, DIE_T_MM, TOP_MM = 10.0, 4.0, 0.4, 0.3, 1.2


def material(name: str, k: float) -> Material:
    return Material(name, E=1e9, nu=0.3, alpha=1e-6, k=k, rho=2000.0, cp=800.0)


#: A plastic BGA-like stack: laminate substrate, silicon die, mould compound.
MATERIALS = {
    "substrate": material("substrate", 15.0),
    "die": material("die", 150.0),
    "mould": material("mould", 0.9),
}

#: DELPHI surface nodes of :func:`package_body`: name -> (face class, boundary).
NODES = {
    "top_inner": ("top", "top_inner"),
    "top_outer": ("top", "top_outer"),
    "bottom_inner": ("bottom", "bottom_inner"),
    "bottom_outer": ("bottom", "bottom_outer"),
    "sides": ("sides", "sides"),
}


def package_body(h_mm: float = 1.0, order: int = 1, inner_mm: float = 6.0) -> Mesh:
    """A square BGA-like body: substrate (z 0 to SUB), a die centred on it (DIE x DIE x
    DIE_T), mould over everything up to z = TOP. Regions ``substrate``, ``die``,
    ``mould``; boundaries ``top_inner`` / ``bottom_inner`` (the central ``inner_mm``
    square of the top / bottom face), ``top_outer`` / ``bottom_outer`` (the rest) and
    ``sides``."""
    k = 1e3
    a = (L_MM - inner_mm) / 2
    b = a + inner_mm
    da = (L_MM - DIE_MM) / 2
    with gmsh_session():
        occ = gmsh.model.occ
        sub_in = occ.addBox(a, a, 0, inner_mm, inner_mm, SUB_MM)
        sub = occ.addBox(0, 0, 0, L_MM, L_MM, SUB_MM)
        sub_out = occ.cut([(3, sub)], [(3, sub_in)], removeTool=False)[0][0][1]
        die = occ.addBox(da, da, SUB_MM, DIE_MM, DIE_MM, DIE_T_MM)
        column = occ.addBox(a, a, SUB_MM, inner_mm, inner_mm, TOP_MM - SUB_MM)
        col = occ.cut([(3, column)], [(3, die)], removeTool=False)[0][0][1]
        mould = occ.addBox(0, 0, SUB_MM, L_MM, L_MM, TOP_MM - SUB_MM)
        cut = occ.addBox(a, a, SUB_MM, inner_mm, inner_mm, TOP_MM - SUB_MM)
        ring = occ.cut([(3, mould)], [(3, cut)])[0][0][1]
        owned = [
            (sub_in, "substrate"),
            (sub_out, "substrate"),
            (die, "die"),
            (col, "mould"),
            (ring, "mould"),
        ]
        _, out_map = occ.fragment([(3, t) for t, _ in owned], [])
        occ.synchronize()
        groups: dict[str, list[int]] = {}
        for (_, name), children in zip(owned, out_map, strict=True):
            groups.setdefault(name, []).extend(t for d, t in children if d == 3)
        for name, tags in groups.items():
            gmsh.model.addPhysicalGroup(3, sorted(set(tags)), name=name)
        faces: dict[str, list[int]] = {n: [] for n in NODES}
        eps = 1e-6
        for _, s in gmsh.model.getEntities(2):
            x0, y0, z0, x1, y1, z1 = gmsh.model.getBoundingBox(2, s)
            inside = x0 > a - eps and x1 < b + eps and y0 > a - eps and y1 < b + eps
            if abs(z0 - TOP_MM) < eps and abs(z1 - TOP_MM) < eps:
                faces["top_inner" if inside else "top_outer"].append(s)
            elif abs(z0) < eps and abs(z1) < eps:
                faces["bottom_inner" if inside else "bottom_outer"].append(s)
            elif any(
                abs(lo - hi) < eps and (abs(lo) < eps or abs(lo - L_MM) < eps)
                for lo, hi in ((x0, x1), (y0, y1))
            ):
                faces["sides"].append(s)
        for name, tags in faces.items():
            gmsh.model.addPhysicalGroup(2, tags, name=name)
        gmsh.option.setNumber("Mesh.MeshSizeMax", h_mm)
        gmsh.option.setNumber("Mesh.Algorithm3D", 1)
        gmsh.model.mesh.generate(3)
        gmsh.model.mesh.affineTransform([1 / k, 0, 0, 0, 0, 1 / k, 0, 0, 0, 0, 1 / k, 0])
        return Mesh.from_gmsh(gmsh.model, order=order)
