"""A small two-plate model with an n x n array of solder columns, for the cycling tests and
``scripts/bench_cycling.py``.

A "package" plate on top of solder columns on a "board" plate (different CTEs). One quarter
(x, y >= 0) is meshed with gmsh (OCC boxes and cylinders cut by the quarter, fragmented), then
mirrored about x = 0 and y = 0 in NumPy: the mesh is exactly symmetric, so joints related by
the model's symmetry give equal results to solver tolerance. Each column is split at
``layer`` above the board pad, so Darveaux's centroid rule selects exactly that layer.
Joint ids are row-major over the array (y rows from the lowest, x columns from the lowest).
"""

from __future__ import annotations

import numpy as np

from fea.fe.mesh import Mesh, gmsh_session, region_interfaces
from fea.physics.inelastic import anand_set
from fea.physics.materials import Material

#: Package and board plates, SAC305 columns (Anand, Motalab 2012).
MATERIALS = {
    "package": Material("package", E=30e9, nu=0.3, alpha=7e-6, k=1.0),
    "board": Material("board", E=22e9, nu=0.28, alpha=17e-6, k=1.0),
    "solder": Material(
        "solder", E=45e9, nu=0.35, alpha=21e-6, k=1.0, inelastic=anand_set("SAC305_Motalab2012")
    ),
}


def column_array(
    n: int = 3,
    pitch: float = 1.0e-3,
    diameter: float = 0.4e-3,
    height: float = 0.3e-3,
    layer: float = 25.4e-6,
    package_t: float = 0.5e-3,
    board_t: float = 0.8e-3,
    margin: float = 0.5e-3,
    h: float = 0.25e-3,
    h_solder: float = 0.1e-3,
    quarter: bool = False,
) -> tuple[Mesh, np.ndarray, dict]:
    """The mesh (P1), the joint id per element (-1 outside the solder) and the geometry.

    The board occupies z in [-board_t, 0], the columns [0, height], the package
    [height, height + package_t]; the array is centred on the origin. ``quarter``: the
    meshed quarter x, y >= 0 only (the full mesh is its mirror images), its cut faces the
    boundaries ``symmetry_x`` (x = 0) and ``symmetry_y`` (y = 0); the geometry then has
    ``fraction``, joint id -> the part of the joint in the model.
    """
    import gmsh

    k = 1e3  # gmsh in mm
    half = 0.5 * ((n - 1) * pitch) + margin
    centres = (np.arange(n) - 0.5 * (n - 1)) * pitch
    with gmsh_session():
        occ = gmsh.model.occ
        gmsh.option.setNumber("General.Verbosity", 0)
        owned: list[tuple[int, str]] = []
        owned.append(
            (
                occ.addBox(
                    -half * k, -half * k, -board_t * k, 2 * half * k, 2 * half * k, board_t * k
                ),
                "board",
            )
        )
        owned.append(
            (
                occ.addBox(
                    -half * k, -half * k, height * k, 2 * half * k, 2 * half * k, package_t * k
                ),
                "package",
            )
        )
        for cy in centres:
            for cx in centres:
                r = 0.5 * diameter * k
                owned.append((occ.addCylinder(cx * k, cy * k, 0, 0, 0, layer * k, r), "solder"))
                owned.append(
                    (
                        occ.addCylinder(cx * k, cy * k, layer * k, 0, 0, (height - layer) * k, r),
                        "solder",
                    )
                )
        cutter = occ.addBox(
            0,
            0,
            -2 * board_t * k,
            2 * half * k,
            2 * half * k,
            4 * (board_t + height + package_t) * k,
        )
        cut = []
        for tag, name in owned:
            out, _ = occ.intersect([(3, tag)], [(3, cutter)], removeObject=True, removeTool=False)
            cut.extend((t, name) for d, t in out if d == 3)
        occ.remove([(3, cutter)], recursive=True)
        _, out_map = occ.fragment([(3, t) for t, _ in cut], [])
        occ.synchronize()
        groups: dict[str, list[int]] = {}
        for (_, name), children in zip(cut, out_map, strict=True):
            groups.setdefault(name, []).extend(t for d, t in children if d == 3)
        for name, tags in groups.items():
            gmsh.model.addPhysicalGroup(3, sorted(set(tags)), name=name)
        for axis, name in ((0, "symmetry_x"), (1, "symmetry_y")):
            faces = [
                s
                for _, s in gmsh.model.getEntities(2)
                if abs(gmsh.model.getBoundingBox(2, s)[axis]) < 1e-5
                and abs(gmsh.model.getBoundingBox(2, s)[axis + 3]) < 1e-5
            ]
            gmsh.model.addPhysicalGroup(2, faces, name=name)
        gmsh.option.setNumber("Mesh.MeshSizeMax", h * k)
        solder_pts = gmsh.model.getBoundary(
            [(3, t) for t in groups["solder"]], combined=False, oriented=False, recursive=True
        )
        gmsh.model.mesh.setSize(list({p for p in solder_pts if p[0] == 0}), h_solder * k)
        gmsh.option.setNumber("Mesh.Algorithm3D", 1)
        gmsh.model.mesh.generate(3)
        gmsh.model.mesh.affineTransform([1 / k, 0, 0, 0, 0, 1 / k, 0, 0, 0, 0, 1 / k, 0])
        q = Mesh.from_gmsh(gmsh.model, order=1)
    geo = {
        "n": n,
        "pitch": pitch,
        "diameter": diameter,
        "height": height,
        "layer": layer,
        "centres": centres,
        "half": half,
        "package_t": package_t,
        "board_t": board_t,
    }
    if quarter:
        cen = q.p1.p.T[q.p1.t.T].mean(axis=1)
        joint = _joint_ids(cen, q.regions["solder"], centres, n, q.n_elements)
        keep = centres >= -1e-12
        geo["fraction"] = {
            int(iy * n + ix): (0.5 if abs(centres[ix]) < 1e-12 else 1.0)
            * (0.5 if abs(centres[iy]) < 1e-12 else 1.0)
            for iy in np.flatnonzero(keep)
            for ix in np.flatnonzero(keep)
        }
        return q, joint, geo
    p = q.p1.p.T.copy()
    t = q.p1.t.T
    reg = q.region_of_elements()
    names = list(q.regions)
    for axis in (0, 1):
        p, t, reg = _mirror(p, t, reg, axis)
    from skfem import MeshTet1

    d = p[t[:, 1:]] - p[t[:, :1]]
    neg = np.linalg.det(d) < 0
    t[neg, 0], t[neg, 1] = t[neg, 1].copy(), t[neg, 0].copy()
    p1 = MeshTet1(np.ascontiguousarray(p.T), np.ascontiguousarray(t.T))
    regions = {nm: np.flatnonzero(reg == i).astype(np.int64) for i, nm in enumerate(names)}
    mesh = Mesh(p1, p1, regions, dict(region_interfaces(p1, regions)), 1)
    joint = _joint_ids(p[t].mean(axis=1), regions["solder"], centres, n, len(t))
    return mesh, joint, geo


def _joint_ids(cen, sol, centres, n, n_el):
    """Row-major joint id of each solder element by the nearest column centre."""
    joint = np.full(n_el, -1, dtype=np.int64)
    ix = np.abs(cen[sol, 0][:, None] - centres[None, :]).argmin(axis=1)
    iy = np.abs(cen[sol, 1][:, None] - centres[None, :]).argmin(axis=1)
    joint[sol] = iy * n + ix
    return joint


def _mirror(p, t, reg, axis):
    """Mirror the mesh about the plane ``axis`` = 0, merging the nodes on the plane."""
    on = np.abs(p[:, axis]) < 1e-12
    p[on, axis] = 0.0
    m = p.copy()
    m[:, axis] *= -1.0
    n = len(p)
    new_index = np.empty(n, dtype=np.int64)
    new_index[on] = np.flatnonzero(on)
    off = np.flatnonzero(~on)
    new_index[off] = n + np.arange(off.size)
    p2 = np.vstack([p, m[off]])
    t2 = np.vstack([t, new_index[t]])
    return p2, t2, np.concatenate([reg, reg])
