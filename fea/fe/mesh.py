"""Meshes: a scikit-fem tetrahedral mesh with named regions and boundaries.

:meth:`Mesh.from_gmsh` reads nodes, tetrahedra and physical groups straight from
the gmsh API (not through meshio's tag parsing, which loses names and internal
interfaces), for any gmsh model or ``.msh`` file with named physical groups.
Building and meshing the package geometry is the job of :mod:`fea.package.meshing`.

Elements are straight-sided: ``order=2`` gives quadratic (10-node) tetrahedra with
mid-edge nodes at edge midpoints, so curved surfaces (balls, holes) are
represented by flat facets as with ``order=1``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, MeshError

__all__ = [
    "FLAT_TETRAHEDRON",
    "MIN_PLAUSIBLE_EXTENT_M",
    "Mesh",
    "MeshInfo",
    "PLAUSIBLE_EXTENT_M",
    "PlausibilityWarning",
    "QualityReport",
    "gmsh_session",
    "interface_name",
    "match_rows",
    "orient_positive",
    "quality_report",
    "region_interfaces",
    "shape_quality",
    "tet_determinants",
    "warn_if_implausible_size",
    "warn_if_millimetres",
]


class MeshInfo:
    """What is known about a mesh besides its arrays: caches of quantities derived from
    it, and where it came from.

    Caches (filled on first use; a mesh is not changed after it is built):
    ``nodes`` (P2 node coordinates, (n, 3) m, :attr:`Mesh.nodes`), ``spaces``
    (:mod:`fea.fe.spaces`), ``locator`` (:mod:`fea.fe.probes`), ``recovery`` and
    ``interfaces`` (:mod:`fea.physics.post`).

    Provenance (set by :func:`fea.package.meshing.build_mesh`): ``cache`` ("hit" or
    "miss" of the mesh cache; None for a mesh read otherwise), ``path`` (its ``.msh``
    file), ``facts`` (geometry facts of the case) and ``timings`` (``geometry_s``,
    ``mesh_3d_s``... [s]).

    It also reads and writes like the dict it replaces (``info["cache"]``,
    ``info.get``, ``info.setdefault``, ``info.update``; a key ending in ``_s`` is a
    timing); any other key is a :class:`KeyError`.
    """

    __slots__ = (
        "cache",
        "facts",
        "interfaces",
        "locator",
        "nodes",
        "path",
        "recovery",
        "spaces",
        "timings",
    )
    _CACHES = ("interfaces", "locator", "recovery", "spaces", "timings")

    def __init__(self, **values: Any) -> None:
        self.nodes: NDArray[np.float64] | None = None
        self.cache: str | None = None
        self.path: str | None = None
        self.facts: dict[str, Any] | None = None
        for name in self._CACHES:
            setattr(self, name, {})
        self.update(values)

    def __repr__(self) -> str:
        return f"MeshInfo(cache={self.cache!r}, path={self.path!r}, timings={self.timings!r})"

    # -- the mapping interface of the former dict -------------------------------------
    def _field(self, key: str) -> str | None:
        return key if key in self.__slots__ else None

    def __getitem__(self, key: str) -> Any:
        name = self._field(key)
        if name is not None and getattr(self, name) is not None:
            return getattr(self, name)
        if name is None and key in self.timings:
            return self.timings[key]
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        name = self._field(key)
        if name is not None:
            setattr(self, name, value)
        elif key.endswith("_s"):
            self.timings[key] = float(value)
        else:
            raise KeyError(f"{key}: not a field of MeshInfo ({', '.join(self.__slots__)})")

    def __contains__(self, key: object) -> bool:
        try:
            self[str(key)]
        except KeyError:
            return False
        return True

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, values: Mapping[str, Any]) -> None:
        for key, value in dict(values).items():
            self[key] = value


# gmsh element types
_TET4, _TET10, _TRI3, _TRI6 = 4, 11, 2, 9


@dataclass(repr=False)
class Mesh:
    """A tetrahedral mesh with named regions and boundaries (SI units).

    Attributes
    ----------
    skfem
        The scikit-fem mesh: ``MeshTet1`` (order 1) or ``MeshTet2`` (order 2).
    p1
        The straight-sided linear mesh (vertices only) used for mappings.
    regions
        Region name -> element indices, shape (n_e,), int64.
    boundaries
        Boundary name -> facet indices of ``p1.facets``, shape (n_f,), int64.
        Internal interfaces are named ``a|b`` (the two region names, sorted):
        :meth:`from_gmsh` adds every interface between two named regions that the
        model does not name itself.
    order
        1 or 2.
    info
        Caches and provenance (:class:`MeshInfo`).
    """

    skfem: object
    p1: object
    regions: dict[str, NDArray[np.int64]]
    boundaries: dict[str, NDArray[np.int64]]
    order: int = 1
    info: MeshInfo = field(default_factory=MeshInfo)

    def __post_init__(self) -> None:
        if not isinstance(self.info, MeshInfo):
            self.info = MeshInfo(**dict(self.info))
        warn_if_implausible_size(self.p1.p.T)

    def __repr__(self) -> str:
        return (
            f"<Mesh order {self.order}: {self.p1.p.shape[1]:,} vertices, "
            f"{self.n_elements:,} tetrahedra, {len(self.regions)} regions>"
        )

    def __str__(self) -> str:
        """A one-screen summary: nodes, elements, order, regions (element counts),
        boundaries and interfaces (facet counts), bounding box in mm."""
        p = self.p1.p
        lo, hi = p.min(axis=1) * 1e3, p.max(axis=1) * 1e3
        size = hi - lo
        lines = [
            f"Mesh: {len(self.nodes):,} nodes ({p.shape[1]:,} vertices), "
            f"{self.n_elements:,} tetrahedra, order {self.order}",
            "  bounding box [mm]: "
            + ", ".join(f"{a} {x:.4g}..{y:.4g}" for a, x, y in zip("xyz", lo, hi, strict=True))
            + f" ({size[0]:.4g} x {size[1]:.4g} x {size[2]:.4g})",
        ]

        def listing(title: str, items: dict[str, NDArray[np.int64]], unit: str) -> None:
            if not items:
                lines.append(f"  {title}: none")
                return
            text = ", ".join(f"{k} ({len(v):,})" for k, v in sorted(items.items()))
            if len(text) > 400:  # one screen: the longest lists are cut
                text = text[:397] + "..."
            lines.append(f"  {title} [{unit}]: {text}")

        listing(f"{len(self.regions)} regions", self.regions, "elements")
        outer = {k: v for k, v in self.boundaries.items() if "|" not in k}
        inner = {k: v for k, v in self.boundaries.items() if "|" in k}
        listing(f"{len(outer)} boundaries", outer, "facets")
        listing(f"{len(inner)} interfaces", inner, "facets")
        return "\n".join(lines)

    # -- construction -----------------------------------------------------------------
    @classmethod
    def from_gmsh(
        cls, source: object = None, order: int = 2, check_parts: bool = True
    ) -> Mesh:
        """Read a mesh from a ``.msh`` path or from the live gmsh model.

        Parameters
        ----------
        source
            Path of a ``.msh`` file, or ``None``/the ``gmsh.model`` module for the
            current model of an initialised gmsh session.
        order
            1 (linear) or 2 (quadratic) elements.
        check_parts
            Warn when the mesh falls into parts or holds doubled nodes (below); the
            built-in mesher, whose volumes are fragmented and whose singulated panels
            are separate units by design, passes False.

        3D physical groups become regions, 2D ones boundaries; the interfaces between
        named regions are found from the tetrahedra and named ``a|b`` unless the model
        names them itself. Coordinates are read as metres. A second-order file's
        mid-edge nodes are not read: ``order=2`` places them at the edges' midpoints
        (straight-sided elements), so a curved surface is as faceted as at ``order=1``.

        A tetrahedron of no volume (its four vertices in one plane) is a
        :class:`~fea.errors.MeshError`; a mesh that falls into parts sharing no node, or
        with two nodes at one place, warns (:class:`PlausibilityWarning`): no heat or
        force crosses between the parts or at the doubled node, which is what volumes
        meshed one by one (not made conformal) give where they touch.
        """
        if order not in (1, 2):
            raise InputError("order", order, "1 or 2")
        import gmsh

        if isinstance(source, str | os.PathLike):
            path = Path(source)
            if not path.exists():
                raise MeshError(f"mesh file {path} does not exist")
            if not path.is_file():
                raise MeshError(f"mesh file {path} is not a regular file (a folder?)")
            if path.stat().st_size == 0:
                raise MeshError(f"mesh file {path} is empty")
            with gmsh_session():
                try:
                    gmsh.open(str(path))
                except Exception as exc:
                    raise MeshError(f"gmsh cannot read {path}: {exc}") from None
                if len(gmsh.model.mesh.getNodes()[0]) == 0:
                    raise MeshError(
                        f"mesh file {path} holds no mesh elements in its physical groups "
                        "(gmsh saves only the elements of physical groups where there are "
                        "any: mesh the model in 3D and put its volumes in 3D physical groups)"
                    )
                return cls._from_model(gmsh.model, order, check_parts)
        if not gmsh.isInitialized():
            raise MeshError("no gmsh session: pass a .msh path or initialise gmsh first")
        return cls._from_model(gmsh.model, order, check_parts)

    @classmethod
    def _from_model(cls, model, order: int, check_parts: bool = True) -> Mesh:
        from skfem import MeshTet1, MeshTet2

        node_tags, coords, _ = model.mesh.getNodes()
        if len(node_tags) == 0:
            raise MeshError("the gmsh model has no mesh (call gmsh.model.mesh.generate(3))")
        coords = coords.reshape(-1, 3)
        index = np.full(int(node_tags.max()) + 1, -1, dtype=np.int64)
        index[node_tags.astype(np.int64)] = np.arange(len(node_tags))

        region_elems: dict[str, list[NDArray[np.int64]]] = {}
        all_tets = []
        group_of: dict[int, str] = {}
        for dim, ptag in model.getPhysicalGroups(3):
            name = model.getPhysicalName(dim, ptag) or f"region{ptag}"
            for ent in model.getEntitiesForPhysicalGroup(dim, ptag):
                if group_of.setdefault(int(ent), name) != name:
                    raise MeshError(
                        f"volume {int(ent)} is in two 3D physical groups, "
                        f"{group_of[int(ent)]} and {name}: a volume belongs to one region "
                        "(a group of every volume, or of a few, is not a region)"
                    )
                types, _, nodes = model.mesh.getElements(3, ent)
                for et, nt in zip(types, nodes, strict=True):
                    if et not in (_TET4, _TET10):
                        raise MeshError(f"element type {et} in region {name}: only tetrahedra")
                    npe = 4 if et == _TET4 else 10
                    conn = index[np.asarray(nt, dtype=np.int64).reshape(-1, npe)[:, :4]]
                    start = sum(len(a) for a in all_tets)
                    all_tets.append(conn)
                    region_elems.setdefault(name, []).append(np.arange(start, start + len(conn)))
        if not all_tets:
            raise MeshError("the gmsh model has no 3D physical groups with tetrahedra")
        tets = np.concatenate(all_tets)
        if len(np.unique(np.sort(tets, axis=1), axis=0)) != len(tets):
            raise MeshError("a tetrahedron belongs to two 3D physical groups")
        used = np.unique(tets)
        remap = np.full(len(coords), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        tets = remap[tets]
        p = coords[used]
        det = tet_determinants(p, tets)
        _refuse_flat_tetrahedra(p, tets, det, region_elems)
        orient_positive(tets, det)
        p1 = MeshTet1(p.T.copy(), tets.T.copy())
        regions = {k: np.concatenate(v) for k, v in region_elems.items()}

        boundaries: dict[str, NDArray[np.int64]] = {}
        facets_sorted = np.sort(p1.facets.T.astype(np.int64), axis=1)
        for dim, ptag in model.getPhysicalGroups(2):
            name = model.getPhysicalName(dim, ptag) or f"boundary{ptag}"
            tris = []
            for ent in model.getEntitiesForPhysicalGroup(dim, ptag):
                types, _, nodes = model.mesh.getElements(2, ent)
                for et, nt in zip(types, nodes, strict=True):
                    if et not in (_TRI3, _TRI6):
                        continue
                    npe = 3 if et == _TRI3 else 6
                    tris.append(
                        remap[index[np.asarray(nt, dtype=np.int64).reshape(-1, npe)[:, :3]]]
                    )
            if not tris:
                boundaries[name] = np.zeros(0, dtype=np.int64)
                continue
            tri = np.sort(np.concatenate(tris), axis=1)
            if np.any(tri < 0):
                raise MeshError(f"boundary {name} has nodes outside the 3D mesh")
            boundaries[name] = match_rows(facets_sorted, tri, name)
        for name, facets in region_interfaces(p1, regions).items():
            boundaries.setdefault(name, facets)
        if check_parts:
            _warn_if_in_parts(p, tets, regions)
        sk = MeshTet2.from_mesh(p1) if order == 2 else p1
        return cls(sk, p1, regions, boundaries, order)

    # -- geometry helpers ---------------------------------------------------------------
    @property
    def nodes(self) -> NDArray[np.float64]:
        """All nodes of the P1/P2 mesh, shape (n_nodes, 3), m (vertices first)."""
        if self.order == 1:
            return self.p1.p.T
        from skfem import Basis, ElementTetP2

        if self.info.nodes is None:
            self.info.nodes = Basis(self.p1, ElementTetP2(), intorder=1).doflocs.T.copy()
        return self.info.nodes

    @property
    def n_elements(self) -> int:
        """Number of tetrahedra."""
        return int(self.p1.t.shape[1])

    def element_volumes(self) -> NDArray[np.float64]:
        """Volume of every tetrahedron [m^3], shape (n_elements,)."""
        return np.abs(tet_determinants(self.p1.p.T, self.p1.t.T)) / 6.0

    def region_of_elements(self) -> NDArray[np.int32]:
        """Region index per element (order of ``regions``), shape (n_elements,); -1 if none."""
        out = np.full(self.n_elements, -1, dtype=np.int32)
        for i, idx in enumerate(self.regions.values()):
            out[idx] = i
        return out

    def facet_elements(self, name: str) -> NDArray[np.int64]:
        """Elements adjacent to the facets of boundary ``name``, shape (n_f, 2); -1 = none."""
        f = self.boundaries[name]
        return self.p1.f2t[:, f].T

    def facet_normals(self, facets: NDArray[np.int64]) -> NDArray[np.float64]:
        """Unit normals of facets (indices of ``p1.facets``), shape (n_f, 3).

        Each normal points away from the facet's first adjacent element: outward on the
        exterior boundary; on an internal interface it points out of that element.
        """
        facets = np.asarray(facets, dtype=np.int64)
        p = self.p1.p.T
        f = self.p1.facets[:, facets].T
        n = np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]])
        inside = p[self.p1.t[:, self.p1.f2t[0, facets]].T].mean(axis=1)
        flip = np.einsum("ij,ij->i", n, p[f].mean(axis=1) - inside) < 0
        n[flip] *= -1.0
        return n / np.linalg.norm(n, axis=1)[:, None]

    def boundary_area(self, name: str) -> float:
        """Total area of boundary ``name`` [m^2]."""
        p = self.p1.p.T
        f = self.p1.facets[:, self.boundaries[name]].T
        return float(
            0.5
            * np.linalg.norm(
                np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]]), axis=1
            ).sum()
        )


def interface_name(a: str, b: str) -> str:
    """Name of the internal boundary between regions ``a`` and ``b``: ``"a|b"``, sorted."""
    x, y = sorted((a, b))
    return f"{x}|{y}"


def region_interfaces(p1: object, regions: dict[str, NDArray[np.int64]]) -> dict[str, NDArray]:
    """Every interface between two named regions of a linear mesh ``p1``: name ``a|b``
    (:func:`interface_name`) -> facet indices (sorted), for each pair that shares facets.

    A facet is on an interface when its two tetrahedra belong to different regions.
    """
    rid = np.full(p1.t.shape[1], -1, dtype=np.int64)
    names = list(regions)
    for i, e in enumerate(regions.values()):
        rid[e] = i
    f2t = p1.f2t
    inner = np.flatnonzero(f2t[1] >= 0)
    ra, rb = rid[f2t[0, inner]], rid[f2t[1, inner]]
    keep = (ra != rb) & (ra >= 0) & (rb >= 0)
    inner, ra, rb = inner[keep], ra[keep], rb[keep]
    lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
    out: dict[str, NDArray[np.int64]] = {}
    for a, b in sorted(set(zip(lo.tolist(), hi.tolist(), strict=True))):
        out[interface_name(names[a], names[b])] = np.sort(inner[(lo == a) & (hi == b)])
    return dict(sorted(out.items()))


def match_rows(table: NDArray[np.int64], query: NDArray[np.int64], name: str) -> NDArray[np.int64]:
    """Indices in ``table`` of the rows of ``query`` (both sorted triples, shape (k, 3));
    :class:`~fea.errors.MeshError` naming ``name`` when a row is missing."""
    n = int(max(table.max(), query.max())) + 1
    kt = (table[:, 0] * n + table[:, 1]) * n + table[:, 2]
    kq = (query[:, 0] * n + query[:, 1]) * n + query[:, 2]
    order = np.argsort(kt)
    pos = np.searchsorted(kt, kq, sorter=order)
    pos = np.clip(pos, 0, len(kt) - 1)
    found = order[pos]
    if not np.all(kt[found] == kq):
        raise MeshError(f"boundary {name} has triangles that are not faces of the tetrahedra")
    return np.unique(found)


#: Largest extent [m] (the longest side of the bounding box) a mesh of this toolkit
#: plausibly has. The largest body it models is a moulded panel (300 mm square, 424 mm
#: across its diagonal) and a JESD51-7 board is 114 x 76 mm; 0.5 m leaves room for all
#: of them. A package drawn in millimetres and read as metres is a thousand times
#: larger (a 12 mm package becomes 12 m, a panel 300 m) and lands far above it.
PLAUSIBLE_EXTENT_M = 0.5

#: Smallest extent [m] a mesh plausibly has: 10 um, below a single micro-bump or a
#: thin-film test structure (20 um and more) of a package; a model scaled by 1e-3 twice
#: (a 5 mm die becomes 5 um) lands below it.
MIN_PLAUSIBLE_EXTENT_M = 10e-6


class PlausibilityWarning(UserWarning):
    """A value is valid but implausible for a microelectronic package (a size or a
    material property off by a unit factor: mm read as m, GPa given as Pa...)."""


def warn_if_implausible_size(points: NDArray[np.float64]) -> None:
    """Warn (:class:`PlausibilityWarning`) when the bounding box of ``points`` (n, 3) [m]
    is larger than :data:`PLAUSIBLE_EXTENT_M` or smaller than
    :data:`MIN_PLAUSIBLE_EXTENT_M` across: fea reads coordinates as metres, so a package
    drawn in mm is a thousand times too large (and its temperatures far too low)."""
    if len(points) == 0:
        return
    extent = float(np.max(points.max(axis=0) - points.min(axis=0)))
    if extent > PLAUSIBLE_EXTENT_M:
        warnings.warn(
            PlausibilityWarning(
                f"the mesh is {extent:.4g} m across (more than {PLAUSIBLE_EXTENT_M:g} m, "
                "larger than a 300 mm panel): coordinates are read as metres (SI); a model "
                "drawn in millimetres must be scaled by 1e-3 (e.g. gmsh.model.mesh."
                "affineTransform) before Mesh.from_gmsh"
            ),
            stacklevel=4,
        )
    elif extent < MIN_PLAUSIBLE_EXTENT_M:
        warnings.warn(
            PlausibilityWarning(
                f"the mesh is {extent:.4g} m across (less than "
                f"{MIN_PLAUSIBLE_EXTENT_M * 1e6:g} um): coordinates are read as metres "
                "(SI); was the model scaled twice?"
            ),
            stacklevel=4,
        )


def tet_determinants(p: NDArray[np.float64], tets: NDArray[np.int64]) -> NDArray[np.float64]:
    """Six times the signed volume [m^3] of each tetrahedron ``tets`` (n, 4) on the
    vertices ``p`` (m, 3), shape (n,)."""
    return np.linalg.det(p[tets[:, 1:]] - p[tets[:, :1]])


def orient_positive(tets: NDArray[np.int64], det: NDArray[np.float64]) -> None:
    """Swap the first two vertices of the tetrahedra ``tets`` (n, 4) whose determinant
    ``det`` (n,) is negative, in place: scikit-fem wants positively oriented ones."""
    neg = det < 0
    tets[neg, 0], tets[neg, 1] = tets[neg, 1].copy(), tets[neg, 0].copy()


#: Volume of a tetrahedron, relative to the cube of its longest edge, under which it is
#: flat (its four vertices in one plane): a regular one has 0.118, gmsh's worst slivers
#: 1e-4 and more.
FLAT_TETRAHEDRON = 1e-10


def _refuse_flat_tetrahedra(
    p: NDArray[np.float64],
    tets: NDArray[np.int64],
    det: NDArray[np.float64],
    region_elems: Mapping[str, list[NDArray[np.int64]]],
) -> None:
    """:class:`~fea.errors.MeshError` naming the region and place of the first
    tetrahedron of ``tets`` (n, 4) on vertices ``p`` (m, 3) [m] whose volume ``det`` / 6
    is under :data:`FLAT_TETRAHEDRON` times the cube of its longest edge."""
    if not len(tets):
        return
    # the bounding box's diagonal is longer than any edge: few candidates to measure
    diagonal = float(np.linalg.norm(p.max(axis=0) - p.min(axis=0)))
    maybe = np.flatnonzero(np.abs(det) / 6.0 <= FLAT_TETRAHEDRON * diagonal**3)
    if not len(maybe):
        return
    v = p[tets[maybe]]
    pairs = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
    longest = np.max([np.linalg.norm(v[:, i] - v[:, j], axis=1) for i, j in pairs], axis=0)
    flat = maybe[np.abs(det[maybe]) / 6.0 <= FLAT_TETRAHEDRON * longest**3]
    if not len(flat):
        return
    first = int(flat[0])
    region = next((k for k, idx in region_elems.items() if any(first in a for a in idx)), "?")
    at = ", ".join(f"{x * 1e3:.6g}" for x in p[tets[first]].mean(axis=0))
    raise MeshError(
        f"{len(flat)} tetrahedr{'on' if len(flat) == 1 else 'a'} of no volume (four "
        f"vertices in one plane), the first in region {region} at ({at}) mm: remesh the "
        "model (gmsh: Mesh.Optimize)"
    )


def _warn_if_in_parts(
    p: NDArray[np.float64], tets: NDArray[np.int64], regions: Mapping[str, NDArray[np.int64]]
) -> None:
    """Warn (:class:`PlausibilityWarning`) when the tetrahedra ``tets`` (n, 4) on the
    vertices ``p`` (m, 3) fall into parts that share no vertex, naming each part's
    regions, or when two vertices lie at the same place (a crack: the elements on either
    side are not joined there)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    order = np.lexsort(p.T[::-1])
    same = np.flatnonzero(np.all(p[order[1:]] == p[order[:-1]], axis=1))
    if len(same):
        at = ", ".join(f"{x * 1e3:.6g}" for x in p[order[same[0]]])
        warnings.warn(
            PlausibilityWarning(
                f"{len(same)} vertices of the mesh lie where another one does, the first at "
                f"({at}) mm: the elements on either side are not joined there (no heat or "
                "force crosses); merge them (gmsh: Coherence Mesh, "
                "gmsh.model.mesh.removeDuplicateNodes) or fragment the volumes before meshing"
            ),
            stacklevel=4,
        )

    a = np.repeat(tets[:, :1], 3, axis=1).ravel()
    b = tets[:, 1:].ravel()
    graph = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(len(p), len(p)))
    n, label = connected_components(graph, directed=False)
    if n < 2:
        return
    part = label[tets[:, 0]]
    of = np.full(len(tets), -1, dtype=np.int64)
    names = list(regions)
    for i, idx in enumerate(regions.values()):
        of[idx] = i
    shown = []
    for k in np.unique(part)[:6]:
        members = sorted({names[i] for i in np.unique(of[part == k]) if i >= 0})
        shown.append(f"{' + '.join(members)} ({int(np.sum(part == k))} tetrahedra)")
    more = f" and {n - 6} more" if n > 6 else ""
    warnings.warn(
        PlausibilityWarning(
            f"the mesh falls into {n} parts that share no node: {'; '.join(shown)}{more}. "
            "No heat or force crosses between them; where they touch, their volumes were "
            "meshed one by one (not conformal): fragment them before meshing (gmsh: "
            "occ.fragment, BooleanFragments) so that touching volumes share their nodes"
        ),
        stacklevel=4,
    )


#: The former name of :func:`warn_if_implausible_size`.
warn_if_millimetres = warn_if_implausible_size


# -- gmsh sessions and mesh generation ---------------------------------------------------


_GMSH_LOCK = threading.RLock()


@contextlib.contextmanager
def gmsh_session() -> Iterator[object]:
    """An initialised, quiet gmsh session; finalised on exit unless it was already open.

    gmsh has one global state per process: sessions are serialised by a lock, and in a
    thread other than the main one (a Dask worker) gmsh is told not to install its
    SIGINT handler, which only the main thread may do.
    """
    import gmsh

    with _GMSH_LOCK:
        owned = not gmsh.isInitialized()
        if owned:
            main = threading.current_thread() is threading.main_thread()
            gmsh.initialize(["-noenv"], readConfigFiles=False, interruptible=main)
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.clear()
        try:
            yield gmsh
        finally:
            if owned:
                gmsh.finalize()


# -- quality ------------------------------------------------------------------------------


@dataclass
class QualityReport:
    """Element counts per region and the mean-ratio shape measure (1 = regular tet)."""

    n_nodes: int
    n_elements: int
    per_region: dict[str, int]
    q_min: float
    q_p01: float
    q_median: float
    per_region_q_min: dict[str, float]

    def format(self) -> str:
        """Human-readable multi-line report."""
        lines = [
            f"nodes {self.n_nodes}, tetrahedra {self.n_elements}",
            f"shape (mean ratio, 1 = regular): min {self.q_min:.3g}, "
            f"1st percentile {self.q_p01:.3g}, median {self.q_median:.3g}",
        ]
        for name, n in sorted(self.per_region.items()):
            lines.append(f"  {name:<14} {n:>9} tets, min quality {self.per_region_q_min[name]:.3g}")
        return "\n".join(lines)


def shape_quality(mesh: Mesh) -> NDArray[np.float64]:
    """Mean-ratio quality 12 (3V)^(2/3) / sum(l^2) per tetrahedron, shape (n_elements,)."""
    p = mesh.p1.p.T
    t = mesh.p1.t.T
    v = mesh.element_volumes()
    pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    l2 = sum(np.sum((p[t[:, a]] - p[t[:, b]]) ** 2, axis=1) for a, b in pairs)
    return 12.0 * (3.0 * v) ** (2.0 / 3.0) / l2


def quality_report(mesh: Mesh) -> QualityReport:
    """Element counts per region and shape-quality statistics of ``mesh``."""
    q = shape_quality(mesh)
    return QualityReport(
        n_nodes=int(mesh.nodes.shape[0]),
        n_elements=mesh.n_elements,
        per_region={k: len(v) for k, v in mesh.regions.items()},
        q_min=float(q.min()),
        q_p01=float(np.percentile(q, 1)),
        q_median=float(np.median(q)),
        per_region_q_min={k: float(q[v].min()) for k, v in mesh.regions.items()},
    )
