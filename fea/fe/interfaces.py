"""Interfaces split open: the two faces of an internal boundary with their own nodes.

A thin layer that is not meshed (a thermal contact, a TIM) acts between the two faces
of an interface ``a|b`` through their difference only (e.g. a conductance
``int_S (T_a - T_b)(v_a - v_b) / R'' dS``). :func:`split_interface` gives the interface's
nodes a copy for the elements of region ``b`` (the second name of ``a|b``, sorted): the
two regions no longer share nodes there. Region ``a`` keeps the original nodes, and the
boundary ``a|b`` becomes its face; :func:`contact_facets` pairs each facet of that face
with the coincident facet of region ``b``.

Every other region and boundary keeps its elements and facets, in their order (a
boundary facet is re-found from one of its elements, the ``a`` element on the split
interface, so its count, area and per-facet values do not change). Where a third
region ``c`` touches the interface's rim, its elements keep the original rim nodes: the
faces between ``b`` and ``c`` that contain a rim node are no longer shared (a seam one
element wide along the rim; ``b|c`` keeps its facets, seen from their first element).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from ..errors import InputError
from .mesh import Mesh, MeshInfo, interface_name, match_rows

__all__ = [
    "contact_facets",
    "interface_regions",
    "is_split",
    "split_interface",
]


def interface_regions(mesh: Any, name: str, key: str = "contacts") -> tuple[str, str]:
    """The two regions ``(a, b)`` of interface ``name`` (``"a|b"`` in either order), sorted;
    an :class:`~fea.errors.InputError` naming ``key`` when the mesh has no such interface."""
    parts = name.split("|") if isinstance(name, str) else []
    ok = len(parts) == 2 and all(p in mesh.regions for p in parts) and parts[0] != parts[1]
    if ok and interface_name(*parts) in mesh.boundaries:
        a, b = sorted(parts)
        return a, b
    inner = sorted(k for k in mesh.boundaries if "|" in k)
    raise InputError(key, name, f"an interface of the mesh: {', '.join(inner) or 'none'}")


def is_split(mesh: Any, name: str) -> bool:
    """True when the interface ``name`` no longer shares nodes between its two regions
    (every facet of ``a|b`` has one element only)."""
    a, b = interface_regions(mesh, name)
    facets = mesh.boundaries[interface_name(a, b)]
    return bool(len(facets)) and bool(np.all(mesh.p1.f2t[1, facets] < 0))


def split_interface(mesh: Mesh, name: str) -> tuple[Mesh, NDArray[np.int64]]:
    """Duplicate the nodes of interface ``name`` for the elements of its second region.

    Parameters
    ----------
    mesh
        A mesh with the interface ``a|b`` (:attr:`Mesh.boundaries`).
    name
        ``"a|b"`` or ``"b|a"``.

    Returns
    -------
    mesh
        The split mesh: the vertices of the interface appended once more (their
        copies, used by the elements of ``b``); same elements, regions and boundary
        names; ``a|b`` is now region ``a``'s face.
    pairs
        Facet pairs (``a`` side, ``b`` side), indices of the new ``p1.facets``, shape
        (n_f, 2) (:func:`contact_facets`).
    """
    a, b = interface_regions(mesh, name)
    iname = interface_name(a, b)
    if is_split(mesh, iname):
        raise InputError("contacts", name, "an interface that is not split yet")
    p1 = mesh.p1
    p = p1.p.T
    t = p1.t.T.astype(np.int64)
    facets = mesh.boundaries[iname]
    nodes = np.unique(p1.facets[:, facets])
    copy = np.full(len(p), -1, dtype=np.int64)
    copy[nodes] = len(p) + np.arange(len(nodes))
    in_b = np.zeros(mesh.n_elements, dtype=bool)
    in_b[mesh.regions[b]] = True
    t_new = t.copy()
    tb = t_new[in_b]
    moved = copy[tb] >= 0
    tb[moved] = copy[tb[moved]]
    t_new[in_b] = tb
    p_new = np.vstack([p, p[nodes]])
    from skfem import MeshTet1, MeshTet2

    q1 = MeshTet1(p_new.T.copy(), t_new.T.copy())
    # each element keeps its index and its vertices as sets: re-find every facet
    t_sorted = np.sort(q1.t.T.astype(np.int64), axis=1)
    if not np.array_equal(t_sorted, np.sort(t_new, axis=1)):
        raise RuntimeError("scikit-fem reordered the elements of the split mesh")
    in_a = np.zeros(mesh.n_elements, dtype=bool)
    in_a[mesh.regions[a]] = True
    new_facets = np.sort(q1.facets.T.astype(np.int64), axis=1)
    boundaries: dict[str, NDArray[np.int64]] = {}
    for bname, f in mesh.boundaries.items():
        if len(f) == 0:
            boundaries[bname] = f
            continue
        e = p1.f2t[0, f].astype(np.int64)
        if bname == iname:
            e = np.where(in_a[e], e, p1.f2t[1, f])
        tri = p1.facets[:, f].T.astype(np.int64)
        view = np.where(in_b[e][:, None] & (copy[tri] >= 0), copy[tri], tri)
        boundaries[bname] = _rows(new_facets, np.sort(view, axis=1), bname)
    regions = {k: v.copy() for k, v in mesh.regions.items()}
    sk = MeshTet2.from_mesh(q1) if mesh.order == 2 else q1
    info = MeshInfo(facts=mesh.info.facts)
    out = Mesh(sk, q1, regions, boundaries, mesh.order, info)
    return out, contact_facets(out, iname)


def _rows(table: NDArray[np.int64], query: NDArray[np.int64], name: str) -> NDArray[np.int64]:
    """Index in ``table`` of each row of ``query`` (sorted triples), in the order of
    ``query``: a boundary keeps the order of its facets, so per-facet values (a power
    map, ``surface_h``) stay with their facets."""
    found = match_rows(table, query, name)  # checks that every row is there
    n = int(max(table.max(), query.max())) + 1
    kt = (table[found, 0] * n + table[found, 1]) * n + table[found, 2]
    kq = (query[:, 0] * n + query[:, 1]) * n + query[:, 2]
    order = np.argsort(kt)
    return found[order[np.searchsorted(kt, kq, sorter=order)]]


def contact_facets(mesh: Mesh, name: str) -> NDArray[np.int64]:
    """The facet pairs of a split interface ``a|b``: each facet of the boundary ``a|b``
    (region ``a``'s face) with the coincident exterior facet of a region-``b`` element;
    shape (n_f, 2), indices of ``p1.facets``."""
    a, b = interface_regions(mesh, name)
    iname = interface_name(a, b)
    if not is_split(mesh, iname):
        raise InputError("contacts", name, "a split interface (fea.fe.interfaces.split_interface)")
    p1 = mesh.p1
    p = p1.p.T
    fa = mesh.boundaries[iname]
    in_b = np.zeros(mesh.n_elements, dtype=bool)
    in_b[mesh.regions[b]] = True
    outer = np.flatnonzero(p1.f2t[1] < 0)
    fb = outer[in_b[p1.f2t[0, outer]]]
    ca = p[p1.facets[:, fa].T].mean(axis=1)
    cb = p[p1.facets[:, fb].T].mean(axis=1)
    scale = float(np.ptp(p, axis=0).max())
    dist, idx = cKDTree(cb).query(ca)
    if len(fb) == 0 or not np.all(dist <= 1e-9 * scale):
        raise InputError("contacts", name, "an interface whose two faces coincide")
    return np.column_stack([fa, fb[idx]]).astype(np.int64)
