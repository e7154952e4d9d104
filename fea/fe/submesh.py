"""Part of a mesh: the elements of some regions, with their nodes and boundaries.

Used where a model is needed without one of its parts and the same discretisation
should be kept (the package of a package-on-board model, for the dual-interface
theta_JC), which re-meshing would not give and which costs no gmsh run.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from .mesh import Mesh

__all__ = ["submesh"]


def _keys(tri: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    t = np.sort(tri, axis=1)
    return (t[:, 0] * n + t[:, 1]) * n + t[:, 2]


def submesh(mesh: Mesh, regions: Iterable[str]) -> Mesh:
    """The mesh made of the elements of ``regions`` (same order, P1 or P2).

    Nodes are renumbered (the kept vertices in their old order); each boundary keeps
    its facets that are facets of the kept elements, so an interface to a dropped
    region (``board|terminals``) becomes part of the new exterior under its old name,
    and boundaries of dropped regions only disappear.
    """
    from skfem import MeshTet1, MeshTet2

    names = list(dict.fromkeys(regions))
    for r in names:
        if r not in mesh.regions:
            raise InputError("regions", r, f"a region of the mesh: {', '.join(mesh.regions)}")
    elements = np.unique(np.concatenate([mesh.regions[r] for r in names]))
    tets = mesh.p1.t[:, elements].T.astype(np.int64)
    used = np.unique(tets)
    remap = np.full(mesh.p1.p.shape[1], -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    p1 = MeshTet1(mesh.p1.p[:, used].copy(), remap[tets].T.copy())
    new_regions = {r: np.searchsorted(elements, mesh.regions[r]) for r in names}
    n = used.size
    table = _keys(p1.facets.T.astype(np.int64), n)
    order = np.argsort(table)
    boundaries: dict[str, NDArray[np.int64]] = {}
    for name, facets in mesh.boundaries.items():
        tri = remap[mesh.p1.facets[:, facets].T.astype(np.int64)]
        tri = tri[np.all(tri >= 0, axis=1)]
        if not len(tri):
            continue
        keys = _keys(tri, n)
        pos = np.clip(np.searchsorted(table, keys, sorter=order), 0, table.size - 1)
        found = order[pos]
        hit = table[found] == keys
        if np.any(hit):
            boundaries[name] = np.unique(found[hit])
    sk = MeshTet2.from_mesh(p1) if mesh.order == 2 else p1
    return Mesh(sk, p1, new_regions, boundaries, mesh.order)
