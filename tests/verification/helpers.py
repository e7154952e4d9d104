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


BAR_LENGTH_M = 4e-3  # length of :func:`bar_along_x` [m]


def bar_along_x() -> Mesh:
    """A 4 x 1 x 1 mm bar along x (region ``bar``, P2), faces ``x0`` (x = 0) and ``x1``
    (x = :data:`BAR_LENGTH_M`)."""
    return layered_box(
        (BAR_LENGTH_M, 1e-3),
        [("bar", 1e-3, 1)],
        0.5e-3,
        order=2,
        faces={"x0": plane(0, 0.0), "x1": plane(0, BAR_LENGTH_M)},
    )


def disk_on_plate(
    a_m: float, b_m: float, t_m: float, h_m: float, h_edge_m: float, order: int = 2
) -> Mesh:
    """A circular plate (radius ``b_m``, thickness ``t_m``, z from 0 to t) whose top face
    holds a centred disk of radius ``a_m`` as its own boundary ``source``; boundaries
    ``top`` (the rest of the top face), ``bottom`` (z = 0) and ``rim``. Elements of size
    ``h_edge_m`` at the disk's edge, growing to ``h_m``."""
    k = 1e3
    with gmsh_session():
        occ = gmsh.model.occ
        cyl = occ.addCylinder(0, 0, 0, 0, 0, k * t_m, k * b_m)
        disk = occ.addDisk(0, 0, k * t_m, k * a_m, k * a_m)
        occ.fragment([(3, cyl)], [(2, disk)])
        occ.synchronize()
        vols = [t for _, t in gmsh.model.getEntities(3)]
        gmsh.model.addPhysicalGroup(3, vols, name="plate")
        groups: dict[str, list[int]] = {"source": [], "top": [], "bottom": [], "rim": []}
        for _, s in gmsh.model.getEntities(2):
            x0, y0, z0, x1, y1, z1 = (v / k for v in gmsh.model.getBoundingBox(2, s))
            if abs(z0 - t_m) < 1e-9 and abs(z1 - t_m) < 1e-9:
                groups["source" if max(x1 - x0, y1 - y0) < 2 * a_m * 1.01 else "top"].append(s)
            elif abs(z0) < 1e-9 and abs(z1) < 1e-9:
                groups["bottom"].append(s)
            else:
                groups["rim"].append(s)
        for name, tags in groups.items():
            gmsh.model.addPhysicalGroup(2, tags, name=name)
        edges = gmsh.model.getBoundary([(2, t) for t in groups["source"]], oriented=False)
        field = gmsh.model.mesh.field
        dist = field.add("Distance")
        field.setNumbers(dist, "CurvesList", [abs(t) for _, t in edges])
        field.setNumber(dist, "Sampling", 200)
        thr = field.add("Threshold")
        field.setNumber(thr, "InField", dist)
        field.setNumber(thr, "SizeMin", k * h_edge_m)
        field.setNumber(thr, "SizeMax", k * h_m)
        field.setNumber(thr, "DistMin", k * h_edge_m)
        field.setNumber(thr, "DistMax", k * 0.5 * a_m + k * h_m)
        field.setAsBackgroundMesh(thr)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
        gmsh.option.setNumber("Mesh.Algorithm3D", 1)
        gmsh.model.mesh.generate(3)
        gmsh.model.mesh.affineTransform([1 / k, 0, 0, 0, 0, 1 / k, 0, 0, 0, 0, 1 / k, 0])
        return Mesh.from_gmsh(gmsh.model, order=order)
