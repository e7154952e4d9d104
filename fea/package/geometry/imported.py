"""The user's own package geometry: a gmsh ``.msh`` with physical groups or a STEP file.

``[geometry] kind = "mesh"`` reads a tetrahedral mesh whose 3D physical groups are the
regions and whose 2D physical groups are boundaries; ``kind = "step"`` imports a STEP file
with gmsh's OpenCASCADE kernel, makes the solids conformal (``fragment``: where solids
overlap, the overlap belongs to the smallest of them, so a die inside a mould block stays
die) and meshes it at ``mesh.size``. Volumes become regions by the table
``[geometry.regions]`` (region -> physical-group or volume numbers, or names) or by their
own names (physical-group names, or the STEP's solid names).

Every model gets boundaries derived from its mesh, so the analyses of the built-in family
run on it: ``exterior`` (every outer face), ``package_surface`` (the outer faces of the
package, the board's left out), ``board_surface`` (the board's, with a board),
``top`` and its alias ``shell_top`` (the face whose warpage is reported and which theta_JC
holds: a boundary of the file named by ``[geometry.roles] top``, by default the file's
``top`` if it has one, else the outer faces facing +z at the package's highest level;
``shell_top`` the file's own where it has one, as a built-in model written by ``fea mesh``),
``bottom`` (unless the file names one: the package's outer faces facing -z at its lowest
level), and the interfaces ``a|b`` between
regions (:meth:`fea.Mesh.from_gmsh`). Boundaries named in the file keep their names.

:func:`inspect_file` reads what a file holds (names, numbers, bounding boxes) when the
study is read, so a missing region is an error before any meshing; :func:`imported_mesh`
builds the :class:`~fea.Mesh`, cached in ``meshes/cache`` under a hash of the file's
bytes and the settings. Nothing in the file is executed: a ``.geo`` script is refused
(gmsh scripts can run shell commands).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...errors import InputError, MeshError
from ...fe.mesh import Mesh, gmsh_session
from ..spec.geometry import mesh_algorithm

__all__ = [
    "FileFacts",
    "IMPORTED_KINDS",
    "MAX_FILE_BYTES",
    "PLAUSIBLE_HEIGHT_M",
    "SUFFIXES",
    "TOP_AUTO",
    "cache_key",
    "check_case",
    "check_connection",
    "check_extent",
    "check_path",
    "derived_boundaries",
    "exterior_facets",
    "has_active_face",
    "imported_mesh",
    "inspect_file",
    "outer_boundaries",
    "top_facets",
    "write_example_mesh",
]

#: ``[geometry] kind`` values read from a file.
IMPORTED_KINDS = ("mesh", "step")
#: Accepted file name endings per kind (lower case).
SUFFIXES = {"mesh": (".msh",), "step": (".step", ".stp")}
#: Largest geometry file read [bytes].
MAX_FILE_BYTES = 512 << 20
#: ``[geometry.roles] top`` default: the outer faces facing +z at the highest level.
TOP_AUTO = "auto"
#: Highest model read from a file [m] (z extent, the board included): a package with its
#: heat sink is a few cm high; a file in mm read as m is 1000 times its height.
PLAUSIBLE_HEIGHT_M = 0.1
#: Cosine above which a facet's outward normal counts as facing +z (about 8 degrees).
UP_COSINE = 0.99


@dataclass(frozen=True)
class FileFacts:
    """What a geometry file holds, in the file's own length unit.

    ``volumes``: (number, name) of each 3D physical group (``mesh``) or solid (``step``,
    the last component of its STEP label, "" without one); ``surfaces``: the 2D physical
    groups' (number, name) (``mesh`` only); ``bbox``: number -> (xmin, ymin, zmin, xmax,
    ymax, zmax); ``digest``: SHA-256 of the file's bytes; ``elements``: tetrahedra of a
    ``mesh`` file (0 for ``step``).
    """

    volumes: tuple[tuple[int, str], ...]
    surfaces: tuple[tuple[int, str], ...]
    bbox: dict[int, tuple[float, ...]]
    digest: str
    elements: int = 0


def check_path(path: Path, source: str, key: str = "geometry.path") -> Path:
    """``path`` if it is a readable regular file of kind ``source`` (a ``.msh`` for
    ``mesh``, a ``.step``/``.stp`` for ``step``) of at most :data:`MAX_FILE_BYTES`; else an
    :class:`~fea.errors.InputError` naming ``key``, the path and what is allowed."""
    from ...io.atomic import file_problem

    what = "a gmsh .msh file" if source == "mesh" else "a STEP file (.step, .stp)"
    if path.suffix.lower() == ".geo":
        raise InputError(
            key, str(path), f"{what}, not a .geo script (mesh it with gmsh first: gmsh -3 x.geo)"
        )
    if path.suffix.lower() not in SUFFIXES[source]:
        raise InputError(key, str(path), f"{what} (a name ending {' or '.join(SUFFIXES[source])})")
    problem = file_problem(path)
    if problem is not None:
        raise InputError(key, str(path), f"{what} that exists and can be read ({problem})")
    size = path.stat().st_size
    if size == 0:
        raise InputError(key, str(path), f"{what} (this one is empty)")
    if size > MAX_FILE_BYTES:
        raise InputError(key, str(path), f"{what} of at most {MAX_FILE_BYTES >> 20} MiB")
    if not os.access(path, os.R_OK):
        raise InputError(key, str(path), f"{what} this process may read")
    return path


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _solid_name(label: str) -> str:
    return label.rsplit("/", 1)[-1].strip()


def inspect_file(path: Path, source: str, key: str = "geometry.path") -> FileFacts:
    """The :class:`FileFacts` of a checked file (:func:`check_path`); cached per path,
    size and modification time. A file gmsh cannot read, or one without volumes, is an
    :class:`~fea.errors.InputError` naming ``key``."""
    st = path.stat()
    return _inspect(str(path), source, key, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _inspect(path: str, source: str, key: str, size: int, mtime: int) -> FileFacts:
    import gmsh

    digest = _digest(Path(path))
    what = "a gmsh .msh file" if source == "mesh" else "a STEP file"
    with gmsh_session():
        try:
            if source == "mesh":
                gmsh.open(path)
            else:
                gmsh.model.occ.importShapes(path)
                gmsh.model.occ.synchronize()
        except Exception:  # gmsh's message may quote the file: it is not shown
            raise InputError(key, path, f"{what} gmsh can read") from None
        model = gmsh.model
        bbox: dict[int, tuple[float, ...]] = {}
        surfaces: tuple[tuple[int, str], ...] = ()
        if source == "mesh":
            groups = model.getPhysicalGroups(3)
            volumes = tuple((int(t), model.getPhysicalName(3, t)) for _, t in groups)
            surfaces = tuple(
                (int(t), model.getPhysicalName(2, t)) for _, t in model.getPhysicalGroups(2)
            )
            groups_of: dict[int, list[str]] = {}
            for tag, gname in volumes:
                for ent in model.getEntitiesForPhysicalGroup(3, tag):
                    groups_of.setdefault(int(ent), []).append(gname or str(tag))
            for _, ent in model.getEntities(3):
                other = [int(t) for t in model.mesh.getElementTypes(3, ent) if t not in (4, 11)]
                if other:
                    name = model.mesh.getElementProperties(other[0])[0]
                    where = ", ".join(groups_of.get(int(ent), [])) or "no physical group"
                    raise InputError(
                        key,
                        path,
                        "a mesh of linear or quadratic tetrahedra only: its volume "
                        f"{ent} (region {where}) has {name} elements; mesh it with "
                        "tetrahedra (gmsh: no recombination, Mesh.ElementOrder 1 or 2)",
                    )
            for tag, _ in volumes:
                boxes = []
                for ent in model.getEntitiesForPhysicalGroup(3, tag):
                    _, xyz, _ = model.mesh.getNodes(3, int(ent), includeBoundary=True)
                    if len(xyz):
                        c = np.asarray(xyz).reshape(-1, 3)
                        boxes.append((*c.min(axis=0), *c.max(axis=0)))
                if not boxes:
                    raise InputError(
                        key, path, f"a mesh with tetrahedra in every 3D physical group ({tag})"
                    )
                b = np.array(boxes)
                bbox[tag] = (*b[:, :3].min(axis=0), *b[:, 3:].max(axis=0))
            if not volumes:
                raise InputError(
                    key, path, "a mesh with 3D physical groups (the regions) holding tetrahedra"
                )
        else:
            ents = model.getEntities(3)
            volumes = tuple((int(t), _solid_name(model.getEntityName(3, t))) for _, t in ents)
            for tag, _ in volumes:
                bbox[tag] = tuple(float(x) for x in gmsh.model.occ.getBoundingBox(3, tag))
            if not volumes:
                raise InputError(key, path, "a STEP file with solids (volumes)")
        elements = 0
        if source == "mesh":
            for et in (4, 11):  # linear and quadratic tetrahedra
                elements += len(model.mesh.getElementsByType(et)[0])
    return FileFacts(volumes, surfaces, bbox, digest, elements)


# -- the mesh --------------------------------------------------------------------------


def _unit_regions(g: Any, keep_board: bool) -> dict[str, tuple[int, ...]]:
    regions = dict(g.region_volumes)
    if not keep_board and g.board_region:
        regions.pop(g.board_region, None)
    return regions


def cache_key(case: Any, keep_board: bool) -> str:
    """Hash of the file's bytes and everything that makes the mesh of an imported case."""
    g = case.geometry
    payload = {
        "digest": g.digest,
        "source": g.source,
        "unit": g.unit,
        "regions": {k: list(v) for k, v in _unit_regions(g, keep_board).items()},
        "mesh": dataclasses.asdict(case.mesh) if g.source == "step" else {},
        "format": 1,
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _mesh_model(g: Any, regions: dict[str, tuple[int, ...]]) -> None:
    """Physical groups of the opened .msh renamed and merged to the case's regions."""
    import gmsh

    model = gmsh.model
    old = {
        int(t): list(model.getEntitiesForPhysicalGroup(3, t)) for _, t in model.getPhysicalGroups(3)
    }
    names = {t: model.getPhysicalName(3, t) for t in old}
    model.removePhysicalGroups([(3, t) for t in old])
    region_of: dict[int, str] = {}
    for name, tags in regions.items():
        ents = sorted({int(e) for t in tags for e in old.get(t, [])})
        for e in ents:
            if region_of.setdefault(e, name) != name:
                groups = " and ".join(f"{t} ({names[t]})" for t, es in old.items() if e in es)
                raise InputError(
                    "geometry.regions",
                    f"{region_of[e]}, {name}",
                    f"regions that share no volume: the file's volume {e} is in the 3D "
                    f"physical groups {groups}, which make both (a group of every volume, "
                    "or of a few, is no region: map each group to one region in "
                    "[geometry.regions], the other groups' volumes elsewhere)",
                )
        model.addPhysicalGroup(3, ents, name=name)


def _step_model(g: Any, regions: dict[str, tuple[int, ...]], ms: Any) -> dict[str, float]:
    """Import, fragment, group and mesh the STEP file; returns timings."""
    import gmsh

    occ = gmsh.model.occ
    occ.importShapes(g.path)
    occ.synchronize()
    vols = [t for _, t in gmsh.model.getEntities(3)]
    volume = {t: occ.getMass(3, t) for t in vols}
    owner_of = {t: r for r, tags in regions.items() for t in tags}
    if len(vols) > 1:
        _, out_map = occ.fragment([(3, t) for t in vols], [])
        occ.synchronize()
        piece_owner: dict[int, int] = {}
        for t, pieces in zip(vols, out_map, strict=True):
            for dim, p in pieces:
                if dim != 3:
                    continue
                best = piece_owner.get(p)
                if best is None or volume[t] < volume[best]:
                    piece_owner[p] = t
    else:
        piece_owner = {t: t for t in vols}
    groups: dict[str, list[int]] = {}
    for p, t in piece_owner.items():
        if t in owner_of:
            groups.setdefault(owner_of[t], []).append(p)
    dropped = [p for p, t in piece_owner.items() if t not in owner_of]
    if dropped:
        gmsh.model.removeEntities([(3, p) for p in dropped], recursive=True)
    for name, pieces in groups.items():
        gmsh.model.addPhysicalGroup(3, sorted(pieces), name=name)
    k = 1.0 / g.unit  # model units per metre
    opt = gmsh.option
    opt.setNumber("Mesh.MeshSizeMax", ms.size * k)
    opt.setNumber("Mesh.MeshSizeMin", 0.0)
    opt.setNumber("Mesh.MeshSizeFromPoints", 0)
    opt.setNumber("Mesh.MeshSizeFromCurvature", 12)
    opt.setNumber("Mesh.Algorithm3D", mesh_algorithm(ms.algorithm))
    opt.setNumber("General.NumThreads", ms.threads or 1)
    opt.setNumber("Mesh.Optimize", 1 if ms.optimize else 0)
    opt.setNumber("Mesh.ElementOrder", 1)
    t0 = time.perf_counter()
    try:
        gmsh.model.mesh.generate(3)
    except Exception as exc:
        raise MeshError(f"gmsh could not mesh the STEP file {g.path} ({exc})") from None
    return {"mesh_3d_s": time.perf_counter() - t0}


def _element_parts(n: int, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
    """Component label of each of ``n`` items joined in pairs ``(a[i], b[i])``."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    graph = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def _part_names(mesh: Mesh, members: NDArray[np.bool_]) -> str:
    """' + '-joined names of the regions holding the elements flagged in ``members``."""
    return " + ".join(r for r, idx in mesh.regions.items() if members[idx].any()) or "?"


def _inside(
    p: NDArray[np.float64], tets: NDArray[np.int64], q: NDArray[np.float64], k: int = 16
) -> NDArray[np.bool_]:
    """Whether each point ``q`` (n, 3) lies strictly inside one of the tetrahedra ``tets``
    (m, 4) on the vertices ``p`` (N, 3), searched among the ``k`` whose centroids are
    nearest (a miss is possible for a sliver far from its centroid, a false hit not)."""
    from scipy.spatial import cKDTree

    v = p[tets]  # (m, 4, 3)
    T = np.transpose(v[:, 1:] - v[:, :1], (0, 2, 1))  # columns v_i - v_0, (m, 3, 3)
    ok = np.abs(np.linalg.det(T)) > 0
    inv = np.zeros_like(T)
    inv[ok] = np.linalg.inv(T[ok])
    k = min(k, len(tets))
    tree = cKDTree(v.mean(axis=1))
    out = np.zeros(len(q), dtype=bool)
    for lo in range(0, len(q), 20000):  # about 25 MB of barycentric maps at a time
        x = q[lo : lo + 20000]
        near = tree.query(x, k=k)[1].reshape(len(x), k)
        lam = np.einsum("nkij,nkj->nki", inv[near], x[:, None, :] - v[near, 0])
        lam = np.concatenate([1.0 - lam.sum(axis=2, keepdims=True), lam], axis=2)
        out[lo : lo + 20000] = np.any(np.all(lam > 1e-6, axis=2) & ok[near], axis=1)
    return out


def check_connection(mesh: Mesh, path: str) -> None:
    """Refuse or flag a model whose bodies are not joined as a package's are.

    - Two parts that share no node and overlap in space (a mould block meshed around the
      die instead of fragmented: two materials in one place): a
      :class:`~fea.errors.MeshError` naming the file ``path`` and both parts' regions.
    - Parts joined only along an edge or at a point (no shared face: a non-manifold
      body; heat and force cross through a line of nodes, mesh-dependent): a
      :class:`~fea.fe.mesh.PlausibilityWarning` naming them, a shared node's position in
      mm and the fix.

    Parts that share no node and do not overlap are :meth:`fea.Mesh.from_gmsh`'s warning.
    ``mesh`` in metres, tetrahedra ``mesh.p1.t`` (4, n)."""
    import warnings

    from ...fe.mesh import PlausibilityWarning

    t = np.asarray(mesh.p1.t.T, dtype=np.int64)
    p = np.asarray(mesh.p1.p.T, dtype=float)
    ne = len(t)
    node_part = _element_parts(len(p), np.repeat(t[:, :1], 3, axis=1).ravel(), t[:, 1:].ravel())[
        t[:, 0]
    ]
    f2t = mesh.p1.f2t
    inner = f2t[1] >= 0
    face_part = _element_parts(ne, f2t[0, inner], f2t[1, inner])
    parts = np.unique(node_part)
    if 1 < len(parts) <= 8:
        corners = {k: p[t[node_part == k]].reshape(-1, 3) for k in parts}
        boxes = {k: (c.min(0), c.max(0)) for k, c in corners.items()}
        for i, a in enumerate(parts):
            for b in parts[i + 1 :]:
                lo = np.maximum(boxes[a][0], boxes[b][0])
                hi = np.minimum(boxes[a][1], boxes[b][1])
                if np.any(hi <= lo):
                    continue
                small, big = (a, b) if (node_part == a).sum() <= (node_part == b).sum() else (b, a)
                ts = t[node_part == small]
                hit = _inside(p, t[node_part == big], p[ts].mean(axis=1))
                if hit.any():
                    at = ", ".join(f"{x * 1e3:.6g}" for x in p[ts[np.argmax(hit)]].mean(axis=0))
                    raise MeshError(
                        f"{path}: the regions {_part_names(mesh, node_part == small)} and "
                        f"{_part_names(mesh, node_part == big)} overlap (two bodies meshed "
                        f"in one place, sharing no node; {int(hit.sum())} elements of the "
                        f"first inside the second, one at ({at}) mm): cut or fragment the "
                        "volumes before meshing (gmsh: occ.cut, occ.fragment) so that each "
                        "place belongs to one region"
                    )
    for k in parts:
        sub = np.unique(face_part[node_part == k])
        if len(sub) < 2:
            continue
        shown = [
            f"{_part_names(mesh, face_part == s)} ({int((face_part == s).sum())} tetrahedra)"
            for s in sub[:6]
        ]
        first = np.unique(t[face_part == sub[0]])
        rest = np.unique(t[(node_part == k) & (face_part != sub[0])])
        shared = np.intersect1d(first, rest)
        at = ", ".join(f"{x * 1e3:.6g}" for x in p[shared[0]]) if len(shared) else "?"
        warnings.warn(
            PlausibilityWarning(
                f"{path}: {len(sub)} parts of the mesh are joined only along an edge or at a "
                f"point, sharing no face: {'; '.join(shown)}; a shared node at ({at}) mm. "
                "Heat and force cross there through a line of nodes (the answer depends on "
                "the mesh): make the bodies share a face, or keep them apart"
            ),
            stacklevel=3,
        )
        return


def exterior_facets(mesh: Mesh) -> NDArray[np.int64]:
    """Indices of the facets on the mesh's outer surface (one adjacent element)."""
    return np.flatnonzero(mesh.p1.f2t[1] < 0).astype(np.int64)


def top_facets(mesh: Mesh, facets: NDArray[np.int64], sign: float = 1.0) -> NDArray[np.int64]:
    """Of the outer ``facets``, those facing +z (``sign`` -1: -z) within about 8 degrees
    whose centroid lies within 1 % of the facets' height of the highest (lowest) such
    facet."""
    n = mesh.facet_normals(facets)
    up = facets[sign * n[:, 2] > UP_COSINE]
    if not len(up):
        return up
    p = mesh.p1.p.T
    z = sign * p[mesh.p1.facets[:, up].T].mean(axis=1)[:, 2]
    zs = p[mesh.p1.facets[:, facets].T][:, :, 2]
    tol = 0.01 * (zs.max() - zs.min())
    return up[z >= z.max() - tol]


def outer_boundaries(
    mesh: Mesh, top: str = TOP_AUTO, board: str | None = None
) -> dict[str, NDArray[np.int64]]:
    """The outer boundaries of any mesh, for :func:`fea.solve_thermal` and warpage.

    Parameters
    ----------
    mesh
        A :class:`~fea.Mesh` (e.g. :meth:`fea.Mesh.from_gmsh` of a user's ``.msh``).
    top
        ``"auto"`` (the outer faces facing +z at the highest level of the package) or the
        name of a boundary of ``mesh`` that is the top face.
    board
        The board's region name, or None: its outer faces go to ``board_surface``, not to
        ``package_surface``, ``top`` or ``bottom``.

    Returns
    -------
    Boundary name -> facet indices (shape (n_f,)): ``exterior`` (every outer face),
    ``package_surface``, ``board_surface`` (with a board), ``top`` and ``shell_top`` (the
    same faces, unless ``mesh`` has a ``shell_top`` already: then that one), and
    ``bottom`` (the outer faces facing -z at the package's lowest level;
    none on a board) unless ``mesh`` has a ``bottom`` already.
    """
    ext = exterior_facets(mesh)
    owner = mesh.p1.f2t[0, ext]
    board = board if board in mesh.regions else None
    on_board = np.zeros(len(ext), dtype=bool)
    if board is not None:
        on_board = np.isin(owner, mesh.regions[board])
    out = {"exterior": ext, "package_surface": ext[~on_board]}
    if board is not None:
        out["board_surface"] = ext[on_board]
    if top == TOP_AUTO:
        top_f = top_facets(mesh, ext[~on_board])
    elif top in mesh.boundaries:
        top_f = mesh.boundaries[top]
    else:
        raise InputError("top", top, f"'{TOP_AUTO}' or a boundary of the mesh")
    if not len(top_f):
        raise InputError("geometry.roles.top", top, "a top face: outer faces facing +z")
    out["top"] = top_f
    # a file's own shell_top (a built-in model written by `fea mesh`: the shell's rear face,
    # not the whole top) is the face theta_JC holds, as in the model it was written from
    out["shell_top"] = mesh.boundaries.get("shell_top", top_f)
    if "bottom" not in mesh.boundaries:
        bottom = top_facets(mesh, ext[~on_board], sign=-1.0)
        if len(bottom):  # none for a package on its board
            out["bottom"] = bottom
    return out


def derived_boundaries(mesh: Mesh, g: Any) -> dict[str, NDArray[np.int64]]:
    """:func:`outer_boundaries` of an imported model ``g`` (its top and board roles)."""
    return outer_boundaries(mesh, g.top, g.board_region)


def _build(case: Any, keep_board: bool, path: Path | None) -> tuple[Mesh, dict[str, float]]:
    """Mesh of the file scaled to metres; a STEP's mesh also written to ``path``."""
    import gmsh

    from ...io.atomic import atomic_path

    g = case.geometry
    regions = _unit_regions(g, keep_board)
    times: dict[str, float] = {}
    with gmsh_session():
        t0 = time.perf_counter()
        if g.source == "mesh":
            try:
                gmsh.open(g.path)
            except Exception:  # changed since the study was read
                raise InputError(
                    "geometry.path", g.path, "a gmsh .msh file gmsh can read"
                ) from None
            _mesh_model(g, regions)
        else:
            times.update(_step_model(g, regions, case.mesh))
        times["geometry_s"] = time.perf_counter() - t0
        u = g.unit  # file units to metres
        gmsh.model.mesh.affineTransform([u, 0, 0, 0, 0, u, 0, 0, 0, 0, u, 0])
        mesh = Mesh.from_gmsh(None, case.mesh.order)
        if path is not None and g.source == "step":
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path, extension=".msh") as tmp:
                gmsh.option.setNumber("Mesh.Binary", 1)
                gmsh.write(str(tmp))
    return mesh, times


def imported_mesh(case: Any, *, keep_board: bool = True, cache: bool = True) -> tuple[Mesh, Path]:
    """The mesh of a case whose ``[geometry]`` is a file (``kind = "mesh"`` or ``"step"``).

    Parameters
    ----------
    case
        A :class:`~fea.package.spec.CaseSpec` with an imported geometry.
    keep_board
        False: the model without its board region (the warpage model).
    cache
        Read and write the STEP's mesh in ``meshes/cache`` (a sweep meshes it once); a
        ``.msh`` is read from the file itself.

    Returns
    -------
    The mesh (SI units; regions as the case maps them; the derived boundaries of
    :func:`derived_boundaries`) and the path of its ``.msh`` (the user's file, or the
    cached mesh of a STEP file). A file whose bytes changed since the study was read is
    an :class:`~fea.errors.InputError` naming ``geometry.path``.
    """
    g = case.geometry
    path = Path(g.path)
    if g.source == "step":
        from ..meshing import CACHE_DIR

        path = CACHE_DIR / f"own-step-{cache_key(case, keep_board)}.msh"
    mesh = None
    if cache and g.source == "step" and path.is_file():
        try:
            mesh = Mesh.from_gmsh(path, case.mesh.order)
            mesh.info.update({"cache": "hit"})
        except (MeshError, OSError, ValueError):
            mesh = None
    if mesh is None:
        if g.digest and _digest(Path(g.path)) != g.digest:
            # built from the changed file, the mesh would be cached and recorded under the
            # digest of the file the study was read with
            raise InputError(
                "geometry.path",
                g.path,
                "the file as the study read it: it has changed since (its SHA-256 differs); "
                "read the study again",
            )
        mesh, times = _build(case, keep_board, path if cache else None)
        mesh.info.update({"cache": "miss", **times})
    if g.top != TOP_AUTO and g.top not in mesh.boundaries:
        raise InputError(
            "geometry.roles.top", g.top, f"a 2D physical group of the file or '{TOP_AUTO}'"
        )
    check_connection(mesh, g.path)
    mesh.boundaries.update(derived_boundaries(mesh, g))
    mesh.info.update({"path": str(path), "facts": {"source": g.source, "file": g.path}})
    return mesh, path


def check_case(case: Any) -> None:
    """Refuse what an imported model cannot do, by the key that asks for it (an
    :class:`~fea.errors.InputError`): temperature cycling (its board-mounted model is
    built from the built-in family's terminals), still or forced air with a board region
    (the faces in the stand-off gap are found from the built-in geometry), a power map on
    a die not centred on the z axis, a package whose footprint misses the z axis
    (psi_JT reads T_top at x = y = 0), and a ``[geometry] unit`` that makes the model
    larger than 0.5 m or smaller than 10 um across (a file in metres read as mm). Nothing
    for a built-in geometry."""
    g = case.geometry
    if getattr(g, "source", None) not in IMPORTED_KINDS:
        return
    check_extent(g)
    if case.cycling is not None:
        raise InputError(
            "cycling",
            "[cycling]",
            "the built-in geometry (geometry.kind = 'builtin'): the board-mounted cycling "
            "model is built from its terminal array",
        )
    env = case.environment.kind
    if env in ("still_air", "forced_air") and g.board_region:
        raise InputError(
            "environment.kind",
            env,
            "'uniform_h' for a model read from a file with a board region (still and forced "
            "air need the built-in family's board and stand-off), or the model without board",
        )
    x0, y0, _, x1, y1, _ = g.package_bbox()
    if not (x0 < 0.0 < x1 and y0 < 0.0 < y1):
        raise InputError(
            "geometry.path",
            g.path,
            "a package whose footprint contains x = y = 0 (psi_JT and the power map are "
            f"placed on the z axis); this one spans x {x0 * 1e3:g}..{x1 * 1e3:g} mm, "
            f"y {y0 * 1e3:g}..{y1 * 1e3:g} mm",
        )
    if case.loads.power_map is not None:
        d = g.region_bbox[g.junction]
        cx, cy = (d[0] + d[3]) / 2, (d[1] + d[4]) / 2
        if max(abs(cx), abs(cy)) > 1e-3 * max(g.die[:2]):
            raise InputError(
                "loads.power_map",
                f"die centred at ({cx * 1e3:g}, {cy * 1e3:g}) mm",
                "a die centred on the z axis (the map's cells are placed on a centred die)",
            )


def check_extent(g: Any) -> None:
    """:class:`~fea.errors.InputError` naming ``geometry.unit`` when the imported model
    ``g`` (an :class:`~fea.package.spec.geometry.ImportedGeometrySpec`), read in its
    unit, is not the size of a package, with the units that make it one: its largest
    extent (x, y or z) outside :data:`~fea.fe.mesh.MIN_PLAUSIBLE_EXTENT_M` to
    :data:`~fea.fe.mesh.PLAUSIBLE_EXTENT_M`, or its height (z) outside
    :data:`~fea.fe.mesh.MIN_PLAUSIBLE_EXTENT_M` to :data:`PLAUSIBLE_HEIGHT_M` (a
    12 x 12 x 1.2 mm file read in um is 12 um across, which alone passes, but 1.2 um
    thick; a 0.4 x 0.2 x 0.2 mm part read in m is 0.4 m across and 0.2 m high)."""
    from ...fe.mesh import MIN_PLAUSIBLE_EXTENT_M, PLAUSIBLE_EXTENT_M
    from ..spec.geometry import FILE_UNITS

    boxes = list(g.region_bbox.values())
    if not boxes:
        return
    size = [max(b[i + 3] for b in boxes) - min(b[i] for b in boxes) for i in range(3)]
    extent, height = max(size), size[2]

    def plausible(scale: float) -> bool:
        return (
            MIN_PLAUSIBLE_EXTENT_M <= extent * scale <= PLAUSIBLE_EXTENT_M
            and MIN_PLAUSIBLE_EXTENT_M <= height * scale <= PLAUSIBLE_HEIGHT_M
        )

    if plausible(1.0):
        return
    name = next((k for k, v in FILE_UNITS.items() if v == g.unit), f"{g.unit:g} m")
    fits = [
        f"'{k}' ({extent / g.unit * v * 1e3:.4g} mm)"
        for k, v in FILE_UNITS.items()
        if plausible(v / g.unit)
    ]
    raise InputError(
        "geometry.unit",
        name,
        f"the unit of the file's lengths: in '{name}' the model is {extent * 1e3:.4g} mm "
        f"across and {height * 1e3:.4g} mm high, not a package ({MIN_PLAUSIBLE_EXTENT_M * 1e3:g} "
        f"mm to {PLAUSIBLE_EXTENT_M * 1e3:g} mm across, {MIN_PLAUSIBLE_EXTENT_M * 1e3:g} mm to "
        f"{PLAUSIBLE_HEIGHT_M * 1e3:g} mm high)"
        + (f"; it is one in {' or '.join(fits)}" if fits else "")
        + (
            # OpenCASCADE converts a STEP file's coordinates to mm by the file's own
            # length unit (its SI_UNIT): a file in um or m is read in mm already
            "; gmsh reads a STEP file in mm whatever its own unit (it converts by the "
            "file's SI_UNIT): keep unit = 'mm' for a STEP file"
            if getattr(g, "source", "") == "step" and name != "mm"
            else ""
        ),
    )


def has_active_face(mesh: Mesh) -> bool:
    """Whether the die has an active face (``die|die_attach`` or ``die|dielectric``,
    :func:`fea.package.power_map.active_face`) in ``mesh``."""
    return any(f"die|{o}" in mesh.boundaries for o in ("die_attach", "dielectric"))


def write_example_mesh(path: str | os.PathLike, size_mm: float = 1.0) -> Path:
    """Write a small three-region model as a gmsh ``.msh`` in mm: a 4 x 4 x 0.1 carrier
    (3D physical group ``carrier``), a 2 x 2 x 0.3 die on it (``die``) and the
    ``encapsulant`` over both up to z = 0.6, with the 2D group ``bottom`` under the
    carrier: the smallest file ``[geometry] kind = "mesh"`` reads, for examples and the
    spec reference. Returns the path."""
    import gmsh

    out = Path(path)
    with gmsh_session():
        occ = gmsh.model.occ
        carrier = occ.addBox(-2.0, -2.0, 0.0, 4.0, 4.0, 0.1)
        die = occ.addBox(-1.0, -1.0, 0.1, 2.0, 2.0, 0.3)
        block = occ.addBox(-2.0, -2.0, 0.1, 4.0, 4.0, 0.5)
        mould, _ = occ.cut([(3, block)], [(3, die)], removeTool=False)
        occ.fragment([(3, carrier)], [(3, die)] + mould)
        occ.synchronize()
        groups: dict[str, list[int]] = {"carrier": [], "die": [], "encapsulant": []}
        for _, t in gmsh.model.getEntities(3):
            z = occ.getCenterOfMass(3, t)[2]
            vol = occ.getMass(3, t)
            name = "carrier" if z < 0.1 else ("die" if vol < 1.5 else "encapsulant")
            groups[name].append(t)
        for name, tags in groups.items():
            gmsh.model.addPhysicalGroup(3, tags, name=name)
        low = [t for _, t in gmsh.model.getEntities(2) if abs(occ.getCenterOfMass(2, t)[2]) < 1e-9]
        gmsh.model.addPhysicalGroup(2, low, name="bottom")
        gmsh.option.setNumber("Mesh.MeshSizeMax", size_mm)
        gmsh.model.mesh.generate(3)
        gmsh.write(str(out))
    return out
