"""Meshes: a scikit-fem tetrahedral mesh with named regions and boundaries.

:meth:`Mesh.from_gmsh` reads nodes, tetrahedra and physical groups straight from
the gmsh API (not through meshio's tag parsing, which loses names and internal
interfaces), for any gmsh model or ``.msh`` file with named physical groups.
:func:`generate` meshes a model built by :func:`fea.geometry.build` with size
fields; :func:`build_mesh` adds a cache in ``meshes/cache`` keyed by a hash of the
geometry and mesh settings.

Elements are straight-sided: ``order=2`` gives quadratic (10-node) tetrahedra with
mid-edge nodes at edge midpoints, so curved surfaces (balls, holes) are
represented by flat facets as with ``order=1``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .errors import InputError, MeshError

__all__ = ["Mesh", "QualityReport", "build_mesh", "generate", "gmsh_session", "quality_report"]

#: Bump when the geometry builders change in a way that changes meshes.
BUILDER_VERSION = 2
CACHE_DIR = Path(os.environ.get("FEA_MESH_CACHE", "meshes/cache"))

# gmsh element types
_TET4, _TET10, _TRI3, _TRI6 = 4, 11, 2, 9


@dataclass
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
        Internal interfaces are named ``a|b``.
    order
        1 or 2.
    """

    skfem: object
    p1: object
    regions: dict[str, NDArray[np.int64]]
    boundaries: dict[str, NDArray[np.int64]]
    order: int = 1
    info: dict = field(default_factory=dict)

    # -- construction -----------------------------------------------------------------
    @classmethod
    def from_gmsh(cls, source: object = None, order: int = 2) -> Mesh:
        """Read a mesh from a ``.msh`` path or from the live gmsh model.

        Parameters
        ----------
        source
            Path of a ``.msh`` file, or ``None``/the ``gmsh.model`` module for the
            current model of an initialised gmsh session.
        order
            1 (linear) or 2 (quadratic) elements.
        """
        if order not in (1, 2):
            raise InputError("order", order, "1 or 2")
        import gmsh

        if isinstance(source, str | os.PathLike):
            path = Path(source)
            if not path.exists():
                raise MeshError(f"mesh file {path} does not exist")
            with gmsh_session():
                try:
                    gmsh.open(str(path))
                except Exception as exc:
                    raise MeshError(f"gmsh cannot read {path}: {exc}") from None
                return cls._from_model(gmsh.model, order)
        if not gmsh.isInitialized():
            raise MeshError("no gmsh session: pass a .msh path or initialise gmsh first")
        return cls._from_model(gmsh.model, order)

    @classmethod
    def _from_model(cls, model, order: int) -> Mesh:
        from skfem import MeshTet1, MeshTet2

        node_tags, coords, _ = model.mesh.getNodes()
        if len(node_tags) == 0:
            raise MeshError("the gmsh model has no mesh (call gmsh.model.mesh.generate(3))")
        coords = coords.reshape(-1, 3)
        index = np.full(int(node_tags.max()) + 1, -1, dtype=np.int64)
        index[node_tags.astype(np.int64)] = np.arange(len(node_tags))

        region_elems: dict[str, list[NDArray[np.int64]]] = {}
        all_tets = []
        for dim, ptag in model.getPhysicalGroups(3):
            name = model.getPhysicalName(dim, ptag) or f"region{ptag}"
            for ent in model.getEntitiesForPhysicalGroup(dim, ptag):
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
        # scikit-fem wants positively oriented tetrahedra
        d = p[tets[:, 1:]] - p[tets[:, :1]]
        neg = np.linalg.det(d) < 0
        tets[neg, 0], tets[neg, 1] = tets[neg, 1].copy(), tets[neg, 0].copy()
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
            boundaries[name] = _match_rows(facets_sorted, tri, name)
        sk = MeshTet2.from_mesh(p1) if order == 2 else p1
        return cls(sk, p1, regions, boundaries, order)

    # -- geometry helpers ---------------------------------------------------------------
    @property
    def nodes(self) -> NDArray[np.float64]:
        """All nodes of the P1/P2 mesh, shape (n_nodes, 3), m (vertices first)."""
        if self.order == 1:
            return self.p1.p.T
        from skfem import Basis, ElementTetP2

        if "_nodes" not in self.info:
            self.info["_nodes"] = Basis(self.p1, ElementTetP2(), intorder=1).doflocs.T.copy()
        return self.info["_nodes"]

    @property
    def n_elements(self) -> int:
        """Number of tetrahedra."""
        return int(self.p1.t.shape[1])

    def element_volumes(self) -> NDArray[np.float64]:
        """Volume of every tetrahedron [m^3], shape (n_elements,)."""
        p = self.p1.p.T
        t = self.p1.t.T
        d = p[t[:, 1:]] - p[t[:, :1]]
        return np.abs(np.linalg.det(d)) / 6.0

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


def _match_rows(table: NDArray[np.int64], query: NDArray[np.int64], name: str) -> NDArray[np.int64]:
    """Indices in ``table`` of the rows of ``query`` (both sorted triples)."""
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


def _box_field(
    model,
    size_in: float,
    size_out: float,
    lo: tuple[float, ...],
    hi: tuple[float, ...],
    thickness: float,
) -> int:
    f = model.mesh.field.add("Box")
    fld = model.mesh.field
    fld.setNumber(f, "VIn", size_in)
    fld.setNumber(f, "VOut", size_out)
    for k, v in zip(("XMin", "YMin", "ZMin"), lo, strict=True):
        fld.setNumber(f, k, v)
    for k, v in zip(("XMax", "YMax", "ZMax"), hi, strict=True):
        fld.setNumber(f, k, v)
    fld.setNumber(f, "Thickness", thickness)
    return f


def generate(model, case, info) -> dict[str, float]:
    """Mesh a model built by :func:`fea.geometry.build` for ``case``; returns timings.

    Sizes come from fields, not from the global size: the package gets
    ``mesh.size``, the board grades to ``mesh.board_size`` away from it, openings get
    ``mesh.opening_size`` (default half the smallest opening dimension) and the
    terminal band ``mesh.terminal_size`` (default a quarter of the ball diameter), and
    the low-conductivity films (dielectric, die attach) the in-plane size
    ``mesh.film_size`` (default for a unit: 3 x the thicker film, at most ``mesh.size``;
    for a panel and for the uniform-temperature warpage mesh of
    :func:`fea.package.warpage_metrics`: ``mesh.size``). The films carry the heat from
    the die into the ball contacts through a constriction about one film thickness
    wide; elements much wider than the film there make the conduction too stiff and Tj
    too low (docs/performance.md, mesh convergence). Thin layers are resolved by their
    sub-layers (see :mod:`fea.geometry.unit`).
    The mesh is scaled from model units (mm) to metres at the end.
    """
    import gmsh

    from .geometry.pieces import MODEL_SCALE

    k = MODEL_SCALE
    from .spec import SIDES

    g = case.geometry
    ms = case.mesh
    opt = gmsh.option
    opt.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    opt.setNumber("Mesh.MeshSizeFromPoints", 0)
    opt.setNumber("Mesh.MeshSizeFromCurvature", 0)
    opt.setNumber("Mesh.Algorithm", 6)
    opt.setNumber("Mesh.Algorithm3D", {"hxt": 10, "delaunay": 1, "frontal": 4}[ms.algorithm])
    # one thread by default: gmsh's OpenMP next to MKL's (Pardiso) in one process crashed
    opt.setNumber("General.NumThreads", ms.threads or 1)
    opt.setNumber("Mesh.Optimize", 1 if ms.optimize else 0)
    opt.setNumber("Mesh.ElementOrder", 1)
    big = max(ms.board_size, ms.size) * k
    opt.setNumber("Mesh.MeshSizeMax", big)
    opt.setNumber("Mesh.MeshSizeMin", 0.0)

    fields = []
    ox, oy = g.outer
    e = g.exterior_thickness
    if case.kind == "panel":
        hx, hy = info.facts["panel_half_x"], info.facts["panel_half_y"]
    else:
        hx, hy = ox / 2 + e, oy / 2 + e
    zlo = -g.terminals.height
    zhi = g.z_top + (g.panel.mandrel_thickness if g.panel is not None else 0.0)
    pad = ms.size
    fields.append(
        _box_field(
            model,
            ms.size * k,
            big,
            ((-hx - pad) * k, (-hy - pad) * k, (zlo - pad) * k),
            ((hx + pad) * k, (hy + pad) * k, (zhi + pad) * k),
            thickness=4 * ms.size * k,
        )
    )
    # openings: a band around each wall that has openings
    dims = [
        (o.width, o.height if o.kind == "slots" else o.width)
        for o in g.openings.values()
        if o.kind != "none" and o.count > 0
    ]
    if dims:
        h_open = ms.opening_size or min(min(w, h) for w, h in dims) / 2
        h_open = min(h_open, ms.size)
        t = g.shell_thickness
        z0, z1 = g.z_cavity
        Cx, Cy = g.cavity
        centres = [(0.0, 0.0)] if case.kind == "unit" else [(x, y) for x, y in _sites(g)]
        band = 2 * h_open
        for cx, cy in centres:
            for side in SIDES:
                o = g.openings[side]
                if o.kind == "none" or o.count == 0:
                    continue
                if side in ("xmin", "xmax"):
                    x = cx + (Cx / 2 + t / 2) * (1 if side == "xmax" else -1)
                    lo = (x - t / 2 - band, cy - Cy / 2, z0)
                    hi = (x + t / 2 + band, cy + Cy / 2, z1)
                else:
                    y = cy + (Cy / 2 + t / 2) * (1 if side == "ymax" else -1)
                    lo = (cx - Cx / 2, y - t / 2 - band, z0)
                    hi = (cx + Cx / 2, y + t / 2 + band, z1)
                fields.append(
                    _box_field(
                        model,
                        h_open * k,
                        big,
                        tuple(v * k for v in lo),
                        tuple(v * k for v in hi),
                        thickness=2 * h_open * k,
                    )
                )
    term = g.terminals
    if case.kind == "unit" and term.kind != "none":
        h_term = min(ms.terminal_size or term.diameter / 4, ms.size)
        ax = (term.cols - 1) * term.pitch / 2 + term.diameter
        ay = (term.rows - 1) * term.pitch / 2 + term.diameter
        fields.append(
            _box_field(
                model,
                h_term * k,
                big,
                (-ax * k, -ay * k, zlo * k),
                (ax * k, ay * k, 0.0),
                thickness=2 * h_term * k,
            )
        )
    h_film = film_size(case)
    film = [v for r in ("dielectric", "die_attach") for v in info.regions.get(r, [])]
    if film and h_film < ms.size:
        f = model.mesh.field.add("Constant")
        model.mesh.field.setNumber(f, "VIn", h_film * k)
        model.mesh.field.setNumber(f, "VOut", big)
        model.mesh.field.setNumbers(f, "VolumesList", film)
        model.mesh.field.setNumber(f, "IncludeBoundary", 1)
        fields.append(f)
    fmin = model.mesh.field.add("Min")
    model.mesh.field.setNumbers(fmin, "FieldsList", fields)
    model.mesh.field.setAsBackgroundMesh(fmin)

    times = {}
    t0 = time.perf_counter()
    try:
        model.mesh.generate(3)
    except Exception as exc:
        raise MeshError(_geometry_message(case, exc, "mesh")) from None
    times["mesh_3d_s"] = time.perf_counter() - t0
    s = 1.0 / k
    model.mesh.affineTransform([s, 0, 0, 0, 0, s, 0, 0, 0, 0, s, 0])
    return times


def film_size(case) -> float:
    """In-plane element size [m] in the dielectric and die attach of ``case``."""
    ms, g = case.mesh, case.geometry
    if ms.film_size is not None:
        return min(ms.film_size, ms.size)
    if case.kind != "unit":
        return ms.size
    t = max(g.dielectric_thickness, g.die_attach_thickness)
    return min(3 * t, ms.size) if t > 0 else ms.size


def _sites(g) -> list[tuple[float, float]]:
    from .geometry import panel_sites

    return panel_sites(g)


def cache_key(case) -> str:
    """Hash of everything that determines the mesh of ``case``."""
    payload = {
        "kind": case.kind,
        "geometry": asdict(case.geometry),
        "mesh": asdict(case.mesh),
        "builder": BUILDER_VERSION,
    }
    for o in payload["geometry"]["openings"].values():
        o.pop("key", None)
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_mesh(
    case, output: str | os.PathLike | None = None, *, cache: bool = True
) -> tuple[Mesh, Path]:
    """Build (or fetch from the cache) the mesh of ``case``; returns the mesh and its path.

    The ``.msh`` is written atomically (temporary name, then rename).
    """
    import gmsh

    from .geometry import build

    key = cache_key(case)
    path = CACHE_DIR / f"{case.kind}-{key}.msh"
    if cache and path.exists():
        mesh = Mesh.from_gmsh(path, order=case.mesh.order)
        mesh.info.update({"cache": "hit", "path": str(path)})
        _load_facts(mesh, path)
    else:
        with gmsh_session():
            t0 = time.perf_counter()
            try:
                info = build(gmsh.model, case)
            except MeshError:
                raise
            except Exception as exc:
                raise MeshError(_geometry_message(case, exc)) from None
            t_geo = time.perf_counter() - t0
            times = generate(gmsh.model, case, info)
            mesh = Mesh._from_model(gmsh.model, case.mesh.order)
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_gmsh_write(path)
        mesh.info.update(
            {"cache": "miss", "path": str(path), "geometry_s": t_geo, **times, "facts": info.facts}
        )
        path.with_suffix(".json").write_text(json.dumps(info.facts))
    if output is not None:
        out = Path(output)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_bytes(path.read_bytes())
        os.replace(tmp, out)
        path = out
    empty = [n for n, f in mesh.boundaries.items() if len(f) == 0]
    if empty:
        raise MeshError(f"boundaries without facets after meshing: {', '.join(empty)}")
    return mesh, path


def _load_facts(mesh: Mesh, path: Path) -> None:
    side = path.with_suffix(".json")
    if side.exists():
        mesh.info["facts"] = json.loads(side.read_text())


def _atomic_gmsh_write(path: Path) -> None:
    import gmsh

    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".msh")
    os.close(fd)
    try:
        gmsh.option.setNumber("Mesh.Binary", 1)
        gmsh.write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _geometry_message(case, exc: Exception, stage: str = "build") -> str:
    g = case.geometry
    return (
        f"gmsh/OCC could not {stage} the geometry ({exc}); mesh size "
        f"{case.mesh.size * 1e3:g} mm; parameters: cavity "
        f"{g.cavity[0] * 1e3:g} x {g.cavity[1] * 1e3:g} mm, depth {g.cavity_depth * 1e3:g} mm, "
        f"shell {g.shell_thickness * 1e6:g} um, corner radius {g.corner_radius * 1e3:g} mm, "
        f"openings {[(o.kind, o.count, o.width * 1e3) for o in g.openings.values()]}"
    )


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
