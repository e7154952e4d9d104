"""Small gmsh models for verification cases (built in mm, scaled to m)."""

from __future__ import annotations

import gmsh

import fea
from fea.fe.mesh import Mesh, gmsh_session
from fea.physics.inelastic import garofalo_set
from fea.physics.materials import Material


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


#: a copper-like ``base`` and a mould compound ``mold`` for :func:`two_layer_block`
TWO_LAYER_MATERIALS = {
    "base": Material("base", E=120e9, nu=0.3, alpha=17e-6, k=200.0, rho=8900.0, cp=385.0),
    "mold": Material("mold", E=20e9, nu=0.3, alpha=9e-6, k=0.8, rho=1900.0, cp=900.0),
}


def two_layer_block() -> Mesh:
    """A 2 x 1 mm block (P1, 0.5 mm elements): ``base`` (0.2 mm, z from 0) under ``mold``
    (0.3 mm), faces ``bottom`` (z = 0) and ``top`` (z = 0.5 mm)."""
    return layered_box(
        (2e-3, 1e-3),
        [("base", 0.2e-3, 1), ("mold", 0.3e-3, 1)],
        0.5e-3,
        order=1,
        faces={"bottom": plane(2, 0.0), "top": plane(2, 0.5e-3)},
    )


def two_layer_solved(materials: dict | None = None, mechanical: bool = True) -> tuple:
    """:func:`two_layer_block` with 0.1 W in ``base`` and 100 W/(m^2 K) to 25 degC on
    ``top`` (CPU): ``(mesh, thermal)``, with ``mechanical=True`` also the thermoelastic
    result at that temperature, stress free at 25 degC: ``(mesh, thermal, mechanical)``.
    ``materials`` defaults to :data:`TWO_LAYER_MATERIALS`."""
    mats = TWO_LAYER_MATERIALS if materials is None else materials
    mesh = two_layer_block()
    th = fea.solve_thermal(
        mesh, mats, sources={"base": 0.1}, convection={"top": (100.0, 25.0)}, backend="cpu"
    )
    if not mechanical:
        return mesh, th
    me = fea.solve_thermoelastic(mesh, mats, th.temperature, 25.0, backend="cpu")
    return mesh, th, me


BAR_LENGTH_M = 4e-3  # length of :func:`bar_along_x` [m]


def creep_bilayer() -> Mesh:
    """A creeping layer ``cr`` (0.3 mm) under an elastic one ``el`` (0.3 mm), 2 x 1 mm, P1
    at 0.5 mm, faces ``x0`` (x = 0) and ``y0`` (y = 0) named."""
    return layered_box(
        (2e-3, 1e-3),
        [("cr", 0.3e-3, 1), ("el", 0.3e-3, 1)],
        0.5e-3,
        order=1,
        faces={"x0": plane(0, 0.0), "y0": plane(1, 0.0)},
    )


def creep_bilayer_materials(creep: bool = True) -> dict[str, Material]:
    """The materials of :func:`creep_bilayer`: ``cr`` SAC387 (Garofalo, Schubert 2003; with
    ``creep`` False elastic), ``el`` a stiff low-expansion layer."""
    law = garofalo_set("SAC387_Schubert2003") if creep else None
    return {
        "cr": Material("cr", E=40e9, nu=0.35, alpha=22e-6, k=1.0, inelastic=law),
        "el": Material("el", E=200e9, nu=0.3, alpha=2e-6, k=1.0),
    }


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
