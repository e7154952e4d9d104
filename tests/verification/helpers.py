"""Small gmsh models for verification cases (built in mm, scaled to m)."""

from __future__ import annotations

import gmsh

from fea.fe.mesh import Mesh, gmsh_session


def layered_box(
    size_m: tuple[float, float],
    layers: list[tuple[str, float, int]],
    h_m: float,
    order: int = 2,
    faces: dict | None = None,
) -> Mesh:
    """A stack of boxes (name, thickness [m], sub-layers) from z = 0 upwards.

    ``faces``: name -> callable(bbox in m) -> bool selecting exterior faces.
    """
    k = 1e3
    with gmsh_session():
        occ = gmsh.model.occ
        z = 0.0
        owned: list[tuple[int, str]] = []
        for name, t, n in layers:
            for i in range(n):
                owned.append(
                    (
                        occ.addBox(
                            0, 0, k * (z + t * i / n), k * size_m[0], k * size_m[1], k * t / n
                        ),
                        name,
                    )
                )
            z += t
        if len(owned) > 1:
            _, out_map = occ.fragment([(3, t) for t, _ in owned], [])
        else:
            out_map = [[(3, owned[0][0])]]
        occ.synchronize()
        groups: dict[str, list[int]] = {}
        for (_, name), children in zip(owned, out_map, strict=True):
            groups.setdefault(name, []).extend(t for d, t in children if d == 3)
        for name, tags in groups.items():
            gmsh.model.addPhysicalGroup(3, sorted(set(tags)), name=name)
        for name, select in (faces or {}).items():
            tags = [
                s
                for _, s in gmsh.model.getEntities(2)
                if select(tuple(v / k for v in gmsh.model.getBoundingBox(2, s)))
            ]
            gmsh.model.addPhysicalGroup(2, tags, name=name)
        gmsh.option.setNumber("Mesh.MeshSizeMax", k * h_m)
        gmsh.option.setNumber("Mesh.Algorithm3D", 1)
        gmsh.model.mesh.generate(3)
        gmsh.model.mesh.affineTransform([1 / k, 0, 0, 0, 0, 1 / k, 0, 0, 0, 0, 1 / k, 0])
        return Mesh.from_gmsh(gmsh.model, order=order)


def plane(axis: int, value: float, tol: float = 1e-7):
    return lambda bb: abs(bb[axis] - value) < tol + 1e-9 and abs(bb[axis + 3] - value) < tol + 1e-9
