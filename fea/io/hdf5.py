"""Results files: HDF5 with an XDMF sidecar for ParaView (schema ``fea-results/1``).

Layout (DESIGN.md §5)::

    /                        attrs: schema, fea_version, created, study, case
    /mesh/nodes              (n, 3) float64, m
    /mesh/tets               (m, 4|10) int64, VTK node order (10-node: vertices, then the
                             edges 01, 12, 20, 03, 13, 23)
    /mesh/region_id          (m,) int32; attrs region_names (JSON list, index = id)
    /mesh/boundaries/<name>  (k, 3|6) int64 facet connectivity (6: vertices, then 01, 12, 20)
    /thermal/temperature     (n,) or (steps, n), degC; /thermal/times (steps,) s
    /thermal/curves/<name>/<column>  1-D curves of the thermal result (a heating curve
                             ``zth``: time_s, Tj_C, zth_K_per_W...; ``structure_function``:
                             R_K_per_W, C_J_per_K, K_J_per_K2); the unit is the column's
                             name suffix
    /mechanical/displacement (n, 3) or (states, n, 3), m; /mechanical/von_mises (m,) or
                             (states, m), Pa; /mechanical/stress (m, 6) or (states, m, 6), Pa,
                             Voigt xx, yy, zz, yz, xz, xy; /mechanical/labels (states,)
    /metrics                 attrs: Tj_max_C, theta_ja_K_per_W, warpage_um@25C, ...
    /solver                  attrs: thermal / mechanical solver records (JSON text)
    /inputs                  the validated inputs as JSON text

When the thermal result lives on another mesh than ``mesh`` (the package on its
test board, while the mechanics use the unit alone), that mesh is written under
``/thermal/mesh`` with the same layout, and the XDMF file has one grid per mesh.

Every field dataset carries a ``center`` attribute (``Node`` or ``Cell``); several
mechanical states also store ``state_values`` (the time coordinate of each state in
ParaView, e.g. its temperature) with its ``unit``.

A file is built in memory (HDF5's core driver) and written in one piece through
:func:`fea.io.atomic.write_atomic` (temporary name, sync, rename): a crash never leaves a
partial file under the final name, and a full disk is one clear error from a plain
write, never an HDF5 library left half-closed.

Checksums: the root attribute ``sha256`` holds a SHA-256 of each block (``/`` for the
root attributes, ``/mesh``, ``/thermal``, ``/mechanical``, ``/metrics``, ``/solver``,
``/inputs``) over everything the reader returns: dataset names, types, shapes and values,
and every attribute. Reading verifies them, so a flipped bit anywhere, metrics included,
is a :class:`~fea.errors.ResultsError` naming the block. Large datasets also carry
HDF5's Fletcher-32 per chunk. Before a dataset is read its declared shape is checked
against the bytes the file stores, links to other objects or files, external and
virtual storage are refused, and the mesh and fields are checked for consistency
(shapes, node and region ids in range), so every malformed file is a ResultsError.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, ResultsError

__all__ = [
    "MeshData",
    "Results",
    "SCHEMA",
    "block_digests",
    "describe",
    "field_center",
    "field_datasets",
    "memory_file",
    "open_hdf5",
    "read_results",
    "write_results",
]

SCHEMA = "fea-results/1"
_SCHEMA_NAME, _SCHEMA_MAJOR = "fea-results", 1
_RESERVED_ATTRS = ("schema", "fea_version", "created", "sha256")
_COMPRESS_ABOVE = 4096  # elements; smaller datasets are stored contiguous and plain

# local (skfem) -> VTK/XDMF order of the 10-node tetrahedron's edge nodes: VTK wants the
# edges (0,1), (1,2), (2,0), (0,3), (1,3), (2,3); matched geometrically, never assumed.
_VTK_TET10_EDGES = ((0, 1), (1, 2), (2, 0), (0, 3), (1, 3), (2, 3))
_VTK_TRI6_EDGES = ((0, 1), (1, 2), (2, 0))


# -- data returned by read_results -------------------------------------------------------


@dataclass
class MeshData:
    """A mesh as stored: nodes (n, 3) m, tets (m, 4|10) VTK order, region ids (m,),
    region names (index = id), boundaries name -> facet connectivity (k, 3|6)."""

    nodes: NDArray[np.float64]
    tets: NDArray[np.int64]
    region_id: NDArray[np.int32]
    region_names: list[str]
    boundaries: dict[str, NDArray[np.int64]] = field(default_factory=dict)

    @property
    def order(self) -> int:
        return 2 if self.tets.shape[1] == 10 else 1

    def region(self, name: str) -> NDArray[np.int64]:
        """Element indices of a region, shape (k,)."""
        return np.flatnonzero(self.region_id == self.region_names.index(name))

    def to_mesh(self) -> Any:
        """Rebuild a :class:`fea.Mesh` (same element order; boundaries as facet indices)."""
        from skfem import MeshTet1, MeshTet2

        from ..fe.mesh import Mesh, match_rows

        nv = int(self.tets[:, :4].max()) + 1
        p1 = MeshTet1(self.nodes[:nv].T.copy(), self.tets[:, :4].T.copy())
        regions = {n: self.region(n) for n in self.region_names}
        table = np.sort(p1.facets.T.astype(np.int64), axis=1)
        boundaries = {
            n: match_rows(table, np.sort(f[:, :3], axis=1), n) if len(f) else f[:, 0]
            for n, f in self.boundaries.items()
        }
        sk = MeshTet2.from_mesh(p1) if self.order == 2 else p1
        return Mesh(sk, p1, regions, boundaries, self.order)


@dataclass
class Results:
    """Contents of a results file. Fields are NumPy arrays in SI units (temperature degC).

    ``thermal`` / ``mechanical`` map dataset names to arrays (every stored field, e.g.
    ``temperature``, ``displacement``, ``von_mises``, ``stress``; plus ``times`` of a
    transient, ``labels`` and ``state_values`` of several mechanical states), or are None.
    ``centers`` maps ``"group/field"`` to ``"Node"`` or ``"Cell"``.
    ``thermal_mesh`` is set when the thermal field lives on its own mesh.
    ``curves`` maps a curve's name to its columns (name -> 1-D array), e.g.
    ``curves["zth"]["zth_K_per_W"]``.
    """

    path: Path
    attrs: dict[str, Any]
    mesh: MeshData
    thermal: dict[str, NDArray] | None
    mechanical: dict[str, NDArray] | None
    metrics: dict[str, float]
    solver: dict[str, Any]
    inputs: Any
    thermal_mesh: MeshData | None = None
    centers: dict[str, str] = field(default_factory=dict)
    curves: dict[str, dict[str, NDArray]] = field(default_factory=dict)

    @property
    def schema(self) -> str:
        return str(self.attrs["schema"])

    def to_meshio(self, state: int | str | None = None, mesh: str = "main") -> Any:
        """The mesh and fields as a :class:`meshio.Mesh`; see :func:`fea.io.vtu.to_meshio`
        (``state``: one mechanical state's label or index, or a transient's step)."""
        from .vtu import to_meshio

        return to_meshio(self, state, mesh)

    def to_pyvista(self, state: int | str | None = None, mesh: str = "main") -> Any:
        """The mesh and fields as a :class:`pyvista.UnstructuredGrid` (pyvista is
        optional: ``pip install pyvista``)."""
        try:
            import pyvista
        except ImportError as exc:
            raise InputError("to_pyvista", str(self.path), f"pyvista installed: {exc}") from None
        return pyvista.from_meshio(self.to_meshio(state, mesh))


# -- writing ----------------------------------------------------------------------------


def _vtk_tets(space: Any) -> NDArray[np.int64]:
    """Element connectivity of a P1/P2 scalar space in VTK order, shape (m, 4|10)."""
    dofs = space.dofs
    if dofs.shape[1] == 4:
        return dofs.copy()
    x = space.nodes
    out = np.empty_like(dofs)
    out[:, :4] = dofs[:, :4]
    edge_nodes = dofs[:, 4:]  # (m, 6)
    xe = x[edge_nodes]  # (m, 6, 3)
    for j, (a, b) in enumerate(_VTK_TET10_EDGES):
        mid = 0.5 * (x[dofs[:, a]] + x[dofs[:, b]])
        k = np.argmin(np.linalg.norm(xe - mid[:, None, :], axis=2), axis=1)
        out[:, 4 + j] = edge_nodes[np.arange(len(dofs)), k]
    return out


def _facet_connectivity(mesh: Any, space: Any, facets: NDArray[np.int64]) -> NDArray[np.int64]:
    """Facet connectivity (k, 3|6) in the numbering of ``space`` (edges 01, 12, 20)."""
    tri = mesh.p1.facets[:, facets].T.astype(np.int64)
    if space.dofs.shape[1] == 4 or len(tri) == 0:
        return tri if space.dofs.shape[1] == 4 else np.zeros((len(tri), 6), np.int64)
    # the P2 node of an edge is the node at its midpoint: look it up by edge index
    n_v = mesh.p1.p.shape[1]
    edges = np.sort(mesh.p1.edges.T.astype(np.int64), axis=1)
    key = edges[:, 0] * n_v + edges[:, 1]
    order = np.argsort(key)
    out = np.empty((len(tri), 6), np.int64)
    out[:, :3] = tri
    for j, (a, b) in enumerate(_VTK_TRI6_EDGES):
        e = np.sort(tri[:, [a, b]], axis=1)
        pos = order[np.searchsorted(key, e[:, 0] * n_v + e[:, 1], sorter=order)]
        out[:, 3 + j] = n_v + pos  # skfem numbers P2 edge nodes after the vertices, by edge
    return out


def _dataset(group: Any, name: str, data: Any, **kw: Any) -> Any:
    data = np.ascontiguousarray(data)
    if data.size > _COMPRESS_ABOVE and data.dtype.kind in "fiu":
        rows = max(1, min(data.shape[0], (1 << 20) // max(1, data[:1].nbytes)))
        chunks = (rows, *data.shape[1:])
        kw.update(
            compression="gzip", compression_opts=4, shuffle=True, fletcher32=True, chunks=chunks
        )
    return group.create_dataset(name, data=data, **kw)


def _write_mesh(g: Any, mesh: Any, space: Any) -> None:
    _dataset(g, "nodes", np.asarray(space.nodes, dtype=np.float64))
    _dataset(g, "tets", _vtk_tets(space))
    names = list(mesh.regions)
    _dataset(g, "region_id", mesh.region_of_elements().astype(np.int32))
    g["region_id"].attrs["center"] = "Cell"
    g["region_id"].attrs["region_names"] = json.dumps(names)
    for i, n in enumerate(names):
        g["region_id"].attrs[str(i)] = n
    b = g.create_group("boundaries")
    for name, facets in mesh.boundaries.items():
        _dataset(b, name.replace("/", "_"), _facet_connectivity(mesh, space, facets))


def _json(obj: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, np.generic):
            return o.item()
        if is_dataclass(o) and not isinstance(o, type):
            return asdict(o)
        return str(o)

    return json.dumps(obj, default=default, sort_keys=True)


def _inputs_json(inputs: Any) -> str:
    if inputs is None:
        return "null"
    if isinstance(inputs, str):
        try:
            json.loads(inputs)  # must already be JSON
        except (ValueError, RecursionError) as exc:
            where = f"line {exc.lineno}, column {exc.colno}" if hasattr(exc, "lineno") else ""
            raise InputError(
                "meta.inputs", f"<{len(inputs):,} characters>", f"JSON text (invalid at {where})"
            ) from None
        return inputs
    raw = getattr(inputs, "raw", None)
    if is_dataclass(inputs) and raw is not None:
        return _json({"input": raw, "validated": inputs})
    return _json(inputs)


def _as_states(mechanical: Any) -> tuple[list[str], list[Any]]:
    if mechanical is None:
        return [], []
    if isinstance(mechanical, Mapping):
        return [str(k) for k in mechanical], list(mechanical.values())
    if isinstance(mechanical, Sequence) and not isinstance(mechanical, str | bytes):
        return [str(i) for i in range(len(mechanical))], list(mechanical)
    return [""], [mechanical]


def write_results(
    path: str | os.PathLike,
    mesh: Any,
    thermal: Any = None,
    mechanical: Any = None,
    meta: Mapping[str, Any] | None = None,
) -> Path:
    """Write a results file ``path`` (.h5) and its ``.xdmf`` sidecar, atomically.

    Parameters
    ----------
    mesh
        The :class:`fea.Mesh` the mechanical result (and normally the thermal one) lives on.
    thermal
        A :class:`fea.ThermalResult` (steady or transient) or None. If it was solved on
        another mesh (``thermal.mesh is not mesh``) that mesh is stored with it.
    mechanical
        A :class:`fea.MechanicalResult`, or several as a mapping label -> result (e.g.
        ``{"25C": r25, "260C": r260}``) or a sequence; all on ``mesh``.
    meta
        ``study``, ``case`` (root attributes), ``metrics`` (name -> float), ``inputs``
        (a CaseSpec, a JSON-able mapping or JSON text), ``solver`` (extra records),
        ``state_values`` (one number per mechanical state: the time coordinate ParaView
        shows, e.g. the temperature [degC] of each state) and ``state_unit``; other
        scalar entries become root attributes.

    Every field a result offers (its ``fields()``: name -> (values, centring)) is
    written as a dataset of its group with a ``center`` attribute, so the XDMF, VTU and
    reader need no per-field code. Returns the path of the HDF5 file.
    """
    import h5py

    from .. import __version__
    from ..fe.spaces import space as make_space
    from .atomic import write_atomic
    from .xdmf import xdmf_text

    if not isinstance(path, str | os.PathLike):
        raise InputError("path", path, "a file name ending in .h5 (str or path)")
    path = Path(path)
    if path.suffix != ".h5":
        raise InputError("path", str(path), "a file name ending in .h5")
    if thermal is not None and not (
        hasattr(thermal, "mesh") and hasattr(thermal, "temperature") and hasattr(thermal, "fields")
    ):
        raise InputError("thermal", thermal, "a ThermalResult of fea.solve_thermal, or None")
    if meta is not None and not isinstance(meta, Mapping):
        raise InputError("meta", meta, "a mapping of names to values, or None")
    meta = dict(meta or {})
    labels, states = _as_states(mechanical)
    for s in states:
        if s.mesh is not mesh:
            raise InputError("mechanical", "result on another mesh", "results on `mesh`")
    fs = states[0].space if states else make_space(mesh)
    th_own_mesh = thermal is not None and thermal.mesh is not mesh
    state_values = meta.pop("state_values", None)
    state_unit = str(meta.pop("state_unit", ""))
    if state_values is not None and len(state_values) != len(states):
        raise InputError("state_values", state_values, f"one value per state ({len(states)})")

    with memory_file() as f:
        f.attrs["schema"] = SCHEMA
        f.attrs["fea_version"] = __version__
        f.attrs["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        f.attrs["study"] = str(meta.pop("study", ""))
        f.attrs["case"] = str(meta.pop("case", ""))
        metrics = dict(meta.pop("metrics", {}) or {})
        solver_extra = dict(meta.pop("solver", {}) or {})
        inputs = meta.pop("inputs", None)
        for k, v in meta.items():
            if k in _RESERVED_ATTRS:
                raise InputError(f"meta.{k}", v, "a key other than the file's own attributes")
            if isinstance(v, str | int | float | bool | np.generic):
                f.attrs[k] = v
            else:
                f.attrs[k] = _json(v)
        _write_mesh(f.create_group("mesh"), mesh, fs)

        solver: dict[str, Any] = dict(solver_extra)
        if thermal is not None:
            g = f.create_group("thermal")
            if th_own_mesh:
                _write_mesh(g.create_group("mesh"), thermal.mesh, thermal.space)
            elif thermal.temperature.shape[0] != fs.n:
                raise InputError(
                    "thermal",
                    f"{thermal.temperature.shape[0]} nodes",
                    f"a field on the {fs.n} nodes of `mesh`",
                )
            for name, (values, center) in thermal.fields().items():
                _dataset(g, name, values).attrs["center"] = center
            if thermal.history is not None:
                _dataset(g, "times", np.asarray(thermal.times, np.float64))
            _write_curves(g, getattr(thermal, "curves", None) or {})
            tr = getattr(thermal, "transient", None)
            if tr is not None and tr.history is not None and len(tr.history):
                if tr.temperature.shape[0] != thermal.temperature.shape[0]:
                    raise InputError(
                        "thermal.transient",
                        f"{tr.temperature.shape[0]} nodes",
                        f"the {thermal.temperature.shape[0]} nodes of the steady result",
                    )
                gt = g.create_group("transient")
                _dataset(gt, "temperature", np.asarray(tr.history, np.float64)).attrs["center"] = (
                    "Node"
                )
                _dataset(gt, "times", np.asarray(tr.times, np.float64))
            g.attrs["power_W"] = float(thermal.power)
            g.attrs["heat_out_W"] = _json(thermal.heat_out)
            solver["thermal"] = thermal.solver_info
            for k, v in (thermal.metrics or {}).items():
                metrics.setdefault(k, v)
        if states:
            g = f.create_group("mechanical")
            stack = len(states) > 1 or labels != [""]
            per_state = [s.fields() for s in states]
            for name, (_, center) in per_state[0].items():
                arrays = [np.asarray(p[name][0]) for p in per_state]
                data = np.stack(arrays) if stack else arrays[0]
                _dataset(g, name, data).attrs["center"] = center
            if stack:
                g.create_dataset("labels", data=np.array(labels, dtype=h5py.string_dtype()))
                values = (
                    np.arange(len(states), dtype=float)
                    if state_values is None
                    else np.asarray(state_values, dtype=float)
                )
                g.create_dataset("state_values", data=values)
                g["state_values"].attrs["unit"] = state_unit or "index"
            g.attrs["reactions"] = _json([float(s.reactions) for s in states])
            solver["mechanical"] = (
                {lab: s.solver_info for lab, s in zip(labels, states, strict=True)}
                if stack
                else states[0].solver_info
            )
        m = f.create_group("metrics")
        for k, v in metrics.items():
            m.attrs[k] = float(v) if isinstance(v, int | float | np.number) else str(v)
        s = f.create_group("solver")
        for k, v in solver.items():
            s.attrs[k] = _json(v)
        # the schema's flat summary: backend/device/iterations/residual of the last solve
        last = states[-1].solver_info if states else (thermal.solver_info if thermal else {})
        for k in ("backend", "device", "method", "iterations", "residual", "reason"):
            if k in (last or {}):
                s.attrs[k] = _json(last[k])
        f.create_dataset("inputs", data=_inputs_json(inputs), dtype=h5py.string_dtype())
        f.attrs["sha256"] = json.dumps(block_digests(f), sort_keys=True)
        f.flush()
        image = f.id.get_file_image()
    xml = xdmf_text(path.name, io.BytesIO(image))
    write_atomic(path, image)
    del image
    write_atomic(path.with_suffix(".xdmf"), xml)
    return path


@contextlib.contextmanager
def memory_file() -> Iterator[Any]:
    """A new HDF5 file held in memory (h5py's core driver; nothing touches the disk).

    Writers fill it, take ``f.id.get_file_image()`` and write those bytes with
    :func:`fea.io.atomic.write_atomic`: a full disk then fails in one plain write,
    never inside the HDF5 library (which, left with a file it cannot flush, printed
    "Can't destroy cache" and crashed the interpreter at exit).
    """
    import h5py

    f = h5py.File(
        f"fea-memory-{uuid.uuid4().hex}.h5",
        "w",
        driver="core",
        backing_store=False,
        block_size=1 << 20,
        libver=("earliest", "v110"),
    )
    try:
        yield f
    finally:
        f.close()


def _write_curves(g: Any, curves: Mapping[str, Mapping[str, Any]]) -> None:
    if not curves:
        return
    c = g.create_group("curves")
    for name, columns in curves.items():
        cg = c.create_group(str(name))
        cg.attrs["columns"] = json.dumps([str(k) for k in columns])  # their order
        for col, values in columns.items():
            _dataset(cg, str(col), np.asarray(values, dtype=np.float64).ravel())


def _read_curves(g: _Node, path: Path) -> dict[str, dict[str, NDArray]]:
    """The curves under ``/thermal/curves``: name -> column -> 1-D array, the columns in
    their written order, each checked to be a real vector of the curve's length."""
    out: dict[str, dict[str, NDArray]] = {}
    node = (g.members or {}).get("curves")
    if node is None:
        return out
    if node.members is None:
        raise ResultsError(f"{path}: /thermal/curves is not a group")
    for name, cg in node.members.items():
        where = f"/thermal/curves/{name}"
        if cg.members is None:
            raise ResultsError(f"{path}: {where} is not a group of columns")
        raw = cg.attrs.get("columns")
        order = list(cg.members) if raw is None else _json_text(raw, f"{where}@columns", path)
        if not isinstance(order, list) or set(order) != set(cg.members):
            raise ResultsError(f"{path}: {where} lists columns {order!r}, not its datasets")
        cols = {str(c): _array(cg.members[c], f"{where}/{c}", path, "fiu", (1,)) for c in order}
        if len({len(v) for v in cols.values()}) > 1:
            raise ResultsError(f"{path}: the columns of {where} differ in length")
        out[str(name)] = cols
    return out


#: Centring of the fields of files written before datasets carried a ``center`` attribute.
_LEGACY_CENTER = {
    "temperature": "Node",
    "displacement": "Node",
    "von_mises": "Cell",
    "stress": "Cell",
    "region_id": "Cell",
}


def field_datasets(group: Any) -> dict[str, Any]:
    """The field datasets of a ``/thermal`` or ``/mechanical`` group: name -> dataset,
    with their centring in ``dataset.attrs["center"]`` (or the legacy defaults)."""
    out = {}
    for name, ds in group.items():
        if not hasattr(ds, "shape"):
            continue
        if "center" in ds.attrs or name in _LEGACY_CENTER:
            out[name] = ds
    return out


def field_center(ds: Any) -> str:
    """``"Node"`` or ``"Cell"``: where a field dataset's values live."""
    c = ds.attrs.get("center")
    if c is None:
        return _LEGACY_CENTER[ds.name.rsplit("/", 1)[-1]]
    return c.decode() if isinstance(c, bytes) else str(c)


def _text(v: Any, where: str, path: Path) -> str:
    """An attribute or dataset value that must be text (str or UTF-8 bytes)."""
    if isinstance(v, np.ndarray) and v.shape == () and v.dtype.kind in "OS":
        v = v[()]
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            raise ResultsError(f"{path}: {where} is not UTF-8 text") from None
    if isinstance(v, str):
        return v
    raise ResultsError(f"{path}: {where} is {type(v).__name__} {_brief(v)}, not text")


def _json_text(v: Any, where: str, path: Path) -> Any:
    text = _text(v, where, path)
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ResultsError(f"{path}: {where} is not valid JSON text") from None


def _brief(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:50] + "..."


# -- the file as a tree, checked before anything is read ----------------------------------


@dataclass
class _Node:
    """A group (``members``) or a dataset (``data``) as read, with its attributes."""

    attrs: dict[str, Any]
    data: Any = None
    members: dict[str, _Node] | None = None


_MAX_GROUP_DEPTH = 8
#: Most attributes of one group or dataset (``/metrics`` of a study has a few hundred).
MAX_ATTRS = 10_000
#: Most members of one group (states, curves, fields).
_MAX_MEMBERS = 10_000
#: Largest ratio of declared to stored bytes of a compressed dataset (deflate's limit
#: is about 1032:1 even for constant data).
_MAX_COMPRESSION = 1100


def _check_declared(ds: Any, where: str, path: Path) -> None:
    """Refuse a dataset before reading it: external or virtual storage, an odd type, or a
    declared shape the stored bytes cannot hold (a (1e11, 3) header on a small file would
    otherwise allocate terabytes)."""
    if ds.is_virtual:
        raise ResultsError(f"{path}: dataset {where} is virtual (its data lie in other files)")
    if ds.external:
        raise ResultsError(
            f"{path}: dataset {where} uses external storage (its data lie in another file)"
        )
    kind = ds.dtype.kind
    if kind not in "fiubSO":
        raise ResultsError(f"{path}: dataset {where} has an unsupported type {ds.dtype}")
    if kind == "O" or ds.shape is None:
        return
    nbytes = math.prod(int(n) for n in ds.shape) * ds.dtype.itemsize
    stored = int(ds.id.get_storage_size())
    filtered = ds.id.get_create_plist().get_nfilters() > 0
    limit = _MAX_COMPRESSION * stored + (1 << 20) if filtered else stored
    if nbytes > limit:
        raise ResultsError(
            f"{path}: dataset {where} declares shape {tuple(ds.shape)} ({nbytes:,} bytes) "
            f"but the file stores {stored:,} bytes of it (corrupt or forged header)"
        )


def _load(obj: Any, where: str, path: Path, depth: int = 0) -> _Node:
    """Read a group or dataset and everything below it, each dataset checked first."""
    import h5py

    n_attrs = len(obj.attrs)  # counted from the object header, nothing read
    if n_attrs > MAX_ATTRS:
        raise ResultsError(
            f"{path}: {n_attrs:,} attributes on {where} (a results file has at most "
            f"{MAX_ATTRS:,} per group or dataset)"
        )
    attrs = {k: obj.attrs[k] for k in obj.attrs}
    if isinstance(obj, h5py.Dataset):
        _check_declared(obj, where, path)
        return _Node(attrs, data=obj[()])
    if depth >= _MAX_GROUP_DEPTH:
        raise ResultsError(f"{path}: groups nested deeper than {_MAX_GROUP_DEPTH} at {where}")
    members: dict[str, _Node] = {}
    if len(obj) > _MAX_MEMBERS:
        raise ResultsError(
            f"{path}: {len(obj):,} members in {where} (a results file has at most "
            f"{_MAX_MEMBERS:,} per group)"
        )
    for key in obj:
        sub = f"{where.rstrip('/')}/{key}"
        link = obj.get(key, getlink=True)
        if isinstance(link, h5py.ExternalLink):
            raise ResultsError(f"{path}: {sub} is an external link to another file")
        if not isinstance(link, h5py.HardLink):
            raise ResultsError(f"{path}: {sub} is a soft link (a results file holds its data)")
        child = obj.get(key)
        if not isinstance(child, h5py.Group | h5py.Dataset):
            raise ResultsError(f"{path}: {sub} is neither a group nor a dataset")
        members[key] = _load(child, sub, path, depth + 1)
    return _Node(attrs, members=members)


def _update(h: Any, value: Any) -> None:
    """Feed one value (as h5py returns it) into a hash, tagged with its type and shape."""
    if isinstance(value, bytes):
        h.update(b"B%d:" % len(value))
        h.update(value)
    elif isinstance(value, str):
        b = value.encode("utf-8", "surrogatepass")
        h.update(b"S%d:" % len(b))
        h.update(b)
    elif isinstance(value, np.ndarray) and value.dtype.kind == "O":
        h.update(f"O{value.shape}:".encode())
        for x in value.ravel():
            _update(h, x)
    elif isinstance(value, np.ndarray | np.generic | bool | int | float):
        a = np.ascontiguousarray(value)
        if a.dtype.kind in "fiuc" and a.dtype.itemsize > 1:
            a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        h.update(f"A{a.dtype.str}{a.shape}:".encode())
        h.update(a.tobytes())
    else:
        h.update(f"R{type(value).__name__}:{value!r}".encode())


def _digest(h: Any, node: _Node) -> None:
    for k in sorted(node.attrs):
        _update(h, k)
        _update(h, node.attrs[k])
    if node.members is None:
        h.update(b"D")
        _update(h, node.data)
        return
    for k in sorted(node.members):
        h.update(b"M")
        _update(h, k)
        _digest(h, node.members[k])


def _tree_digests(root: _Node) -> dict[str, str]:
    h = hashlib.sha256()
    _digest(h, _Node({k: v for k, v in root.attrs.items() if k != "sha256"}, members={}))
    out = {"/": h.hexdigest()}
    for name, node in (root.members or {}).items():
        h = hashlib.sha256()
        _digest(h, node)
        out[f"/{name}"] = h.hexdigest()
    return out


def block_digests(f: Any) -> dict[str, str]:
    """SHA-256 (hex) of each block of an open results file: ``"/"`` (the root attributes
    but ``sha256``) and every top-level group or dataset, over everything the reader
    returns (names, types, shapes, values, attributes)."""
    return _tree_digests(_load(f, "/", Path(str(f.filename))))


def _verify(root: _Node, path: Path) -> None:
    stored = root.attrs.get("sha256")
    if stored is None:  # written before results carried checksums
        return
    want = _json_text(stored, "the checksum attribute /sha256", path)
    if not isinstance(want, dict) or not all(isinstance(v, str) for v in want.values()):
        raise ResultsError(f"{path}: the checksum attribute /sha256 is corrupt")
    got = _tree_digests(root)
    for block in sorted(set(want) | set(got)):
        if block not in got:
            raise ResultsError(f"{path}: block {block} is missing (the file was changed)")
        if block not in want:
            raise ResultsError(f"{path}: block {block} has no checksum (added after writing)")
        if want[block] != got[block]:
            raise ResultsError(
                f"{path}: checksum mismatch in block {block}: the file is corrupt or was "
                "changed after writing"
            )


# -- from the tree to Results, every shape and id checked ---------------------------------


def _member(node: _Node, name: str, where: str, path: Path, *, group: bool) -> _Node:
    m = (node.members or {}).get(name)
    if m is None:
        raise ResultsError(f"{path}: {where}/{name} is missing".replace("//", "/"))
    if group != (m.members is not None):
        what = "a group" if group else "a dataset"
        raise ResultsError(f"{path}: {where}/{name} is not {what}".replace("//", "/"))
    return m


def _array(
    node: _Node,
    where: str,
    path: Path,
    kinds: str,
    ndim: tuple[int, ...],
    *,
    empty: bool = False,
    finite: bool = False,
) -> NDArray:
    a = node.data
    if not isinstance(a, np.ndarray) or a.dtype.kind not in kinds:
        raise ResultsError(f"{path}: {where} is {_brief(a)}, not a numeric array")
    if a.ndim not in ndim:
        raise ResultsError(f"{path}: {where} has shape {a.shape} (expected {len(ndim)} axes)")
    if a.size == 0 and not empty:
        raise ResultsError(f"{path}: {where} is empty (shape {a.shape})")
    if finite and not np.all(np.isfinite(a)):
        raise ResultsError(f"{path}: {where} holds NaN or infinite values")
    return a


def _read_mesh(node: _Node, where: str, path: Path) -> MeshData:
    nodes = _array(
        _member(node, "nodes", where, path, group=False),
        f"{where}/nodes",
        path,
        "f",
        (2,),
        finite=True,
    )
    if nodes.shape[1] != 3:
        raise ResultsError(f"{path}: {where}/nodes has shape {nodes.shape} (expected (n, 3))")
    n = nodes.shape[0]
    tets = _array(
        _member(node, "tets", where, path, group=False), f"{where}/tets", path, "iu", (2,)
    )
    if tets.shape[1] not in (4, 10):
        raise ResultsError(f"{path}: {where}/tets has shape {tets.shape} (expected (m, 4|10))")
    if tets.min() < 0 or tets.max() >= n:
        raise ResultsError(f"{path}: {where}/tets has node ids outside 0..{n - 1}")
    rid_node = _member(node, "region_id", where, path, group=False)
    rid = _array(rid_node, f"{where}/region_id", path, "iu", (1,))
    if rid.shape[0] != tets.shape[0]:
        raise ResultsError(
            f"{path}: {where}/region_id has {rid.shape[0]} entries for {tets.shape[0]} elements"
        )
    names = _json_text(
        rid_node.attrs.get("region_names"), f"{where}/region_id attribute region_names", path
    )
    if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
        raise ResultsError(
            f"{path}: {where}/region_id attribute region_names is {_brief(names)}, "
            "not a JSON list of names"
        )
    if rid.min() < -1 or rid.max() >= len(names):  # -1: an element of no region
        raise ResultsError(f"{path}: {where}/region_id has region ids outside 0..{len(names) - 1}")
    b = _member(node, "boundaries", where, path, group=True)
    boundaries = {}
    for name, facets in (b.members or {}).items():
        f = _array(facets, f"{where}/boundaries/{name}", path, "iu", (2,), empty=True)
        if f.shape[1] not in (3, 6) or (f.size and (f.min() < 0 or f.max() >= n)):
            raise ResultsError(
                f"{path}: {where}/boundaries/{name} is not (k, 3|6) node ids below {n}"
            )
        boundaries[name] = f
    return MeshData(nodes, tets, rid, names, boundaries)


def _center(node: _Node, name: str) -> str | None:
    c = node.attrs.get("center")
    if c is None:
        return _LEGACY_CENTER.get(name)
    return c.decode() if isinstance(c, bytes) else str(c)


def _read_fields(
    g: _Node, where: str, path: Path, mesh: MeshData, steps: int | None
) -> tuple[dict[str, NDArray], dict[str, str]]:
    """The field datasets of a group, each checked against its mesh (and the number of
    time steps or states of a series)."""
    fields: dict[str, NDArray] = {}
    centers: dict[str, str] = {}
    for name, node in (g.members or {}).items():
        if node.members is not None or name in ("times", "labels", "state_values", "curves"):
            continue
        center = _center(node, name)
        if center is None:
            continue
        if center not in ("Node", "Cell"):
            raise ResultsError(f"{path}: {where}/{name} has center {center!r} (Node or Cell)")
        a = _array(node, f"{where}/{name}", path, "fiu", (1, 2, 3))
        n = len(mesh.nodes) if center == "Node" else len(mesh.tets)
        axis = 0 if steps is None else 1
        if a.ndim <= axis or a.shape[axis] != n or (steps is not None and a.shape[0] != steps):
            lead = "" if steps is None else f"{steps}, "
            raise ResultsError(
                f"{path}: {where}/{name} has shape {a.shape}; a {center} field of this mesh "
                f"is ({lead}{n}, ...)"
            )
        fields[name] = a
        centers[f"{where.strip('/')}/{name}"] = center
    return fields, centers


def _results(root: _Node, path: Path) -> Results:
    mesh = _read_mesh(_member(root, "mesh", "", path, group=True), "/mesh", path)
    thermal = mech = th_mesh = None
    centers: dict[str, str] = {}
    curves: dict[str, dict[str, NDArray]] = {}
    members = root.members or {}
    if "thermal" in members:
        g = _member(root, "thermal", "", path, group=True)
        gm = g.members or {}
        if "mesh" in gm:
            th_mesh = _read_mesh(
                _member(g, "mesh", "/thermal", path, group=True), "/thermal/mesh", path
            )
        times = None
        if "times" in gm:
            times = _array(gm["times"], "/thermal/times", path, "f", (1,))
        steps = None if times is None else len(times)
        thermal, c = _read_fields(g, "/thermal", path, th_mesh or mesh, steps)
        centers.update(c)
        if times is not None:
            thermal["times"] = times
        curves = _read_curves(g, path)
        if "transient" in gm:  # a transient's kept fields beside the steady one
            gt = _member(g, "transient", "/thermal", path, group=True)
            tt = gt.members or {}
            if "times" not in tt or "temperature" not in tt:
                raise ResultsError(f"{path}: /thermal/transient lacks times or temperature")
            ttimes = _array(tt["times"], "/thermal/transient/times", path, "f", (1,))
            fields_t, _ = _read_fields(gt, "/thermal/transient", path, th_mesh or mesh, len(ttimes))
            thermal["transient_temperature"] = fields_t["temperature"]
            thermal["transient_times"] = ttimes
    if "mechanical" in members:
        g = _member(root, "mechanical", "", path, group=True)
        gm = g.members or {}
        labels = None
        if "labels" in gm:
            raw = gm["labels"].data
            if not isinstance(raw, np.ndarray) or raw.ndim != 1 or raw.size == 0:
                raise ResultsError(f"{path}: /mechanical/labels is not a list of state labels")
            labels = np.array([_text(x, "/mechanical/labels", path) for x in raw])
        mech, c = _read_fields(
            g, "/mechanical", path, mesh, None if labels is None else len(labels)
        )
        centers.update(c)
        if labels is not None:
            mech["labels"] = labels
        if "state_values" in gm:
            sv = _array(gm["state_values"], "/mechanical/state_values", path, "fiu", (1,))
            if labels is None or len(sv) != len(labels):
                raise ResultsError(f"{path}: /mechanical/state_values has {len(sv)} values")
            mech["state_values"] = sv
    metrics: dict[str, Any] = {}
    for k, v in _member(root, "metrics", "", path, group=True).attrs.items():
        v = _scalar(v)
        if isinstance(v, bool) or not isinstance(v, float | int | str):
            raise ResultsError(f"{path}: metric /metrics/{k} is {_brief(v)}, not a number")
        metrics[k] = v
    solver = {
        k: _json_text(v, f"attribute /solver/{k}", path)
        for k, v in _member(root, "solver", "", path, group=True).attrs.items()
    }
    inputs = _json_text(_member(root, "inputs", "", path, group=False).data, "/inputs", path)
    attrs = {k: _scalar(v) for k, v in root.attrs.items() if k != "sha256"}
    return Results(
        path, attrs, mesh, thermal, mech, metrics, solver, inputs, th_mesh, centers, curves
    )


def _check_schema(f: Any, path: Path) -> None:
    schema = f.attrs.get("schema")
    if schema is None:
        raise ResultsError(f"{path}: not a fea results file (foreign HDF5: no 'schema' attribute)")
    schema = schema.decode() if isinstance(schema, bytes) else str(schema)
    name, _, ver = schema.partition("/")
    if name != _SCHEMA_NAME or not ver.isdigit():
        raise ResultsError(f"{path}: foreign schema {schema!r} (expected {SCHEMA!r})")
    if int(ver) > _SCHEMA_MAJOR:
        raise ResultsError(
            f"{path}: schema {schema!r} is newer than this fea reads ({SCHEMA!r}); upgrade fea"
        )


def open_hdf5(path: str | os.PathLike) -> Any:
    """Open an HDF5 file for reading, or a :class:`~fea.errors.ResultsError` naming why it
    cannot be (no such file, a folder, a FIFO, a symbolic link loop, not HDF5, truncated)."""
    import h5py

    from .atomic import file_problem

    path = Path(path)
    problem = file_problem(path)
    if problem is not None:
        raise ResultsError(f"{path}: {problem}")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        kind = "truncated or corrupt HDF5" if _looks_hdf5(path) else "not an HDF5 file"
        raise ResultsError(f"{path}: {kind} ({exc})") from None


def read_results(path: str | os.PathLike) -> Results:
    """Read a results file written by :func:`write_results`.

    Raises :class:`~fea.errors.ResultsError` for a missing, truncated, corrupt, foreign,
    newer-schema or malformed file, saying which; a checksum mismatch names the block.
    """
    if not isinstance(path, str | os.PathLike):
        raise InputError("path", path, "the path of a results file (.h5)")
    path = Path(path)
    f = open_hdf5(path)
    try:
        with f:
            _check_schema(f, path)
            root = _load(f, "/", path)
    except ResultsError:
        raise
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise ResultsError(f"{path}: truncated or corrupt results file ({exc})") from None
    _verify(root, path)
    try:
        return _results(root, path)
    except ResultsError:
        raise
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise ResultsError(
            f"{path}: malformed results file ({type(exc).__name__}: {exc})"
        ) from None


def _scalar(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _looks_hdf5(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == b"\x89HDF\r\n\x1a\n"
    except OSError:
        return False


def describe(path: str | os.PathLike) -> str:
    """A human-readable summary of a results file (what ``fea info`` prints)."""
    r = read_results(path)
    lines = [
        f"{r.path}",
        f"  schema {r.schema}, fea {r.attrs.get('fea_version')}, created {r.attrs.get('created')}",
    ]
    if r.attrs.get("study") or r.attrs.get("case"):
        lines.append(f"  study {r.attrs.get('study')!r}, case {r.attrs.get('case')!r}")
    try:
        notes = json.loads(r.attrs.get("warnings", "[]"))
    except (TypeError, ValueError):
        notes = [r.attrs["warnings"]]
    lines += [f"  warning: {n}" for n in (notes if isinstance(notes, list) else [notes])]

    def mesh_lines(title: str, m: MeshData) -> None:
        counts = np.bincount(m.region_id[m.region_id >= 0], minlength=len(m.region_names))
        lines.append(
            f"  {title}: {len(m.nodes):,} nodes, {len(m.tets):,} tets (P{m.order}), "
            f"{len(m.boundaries)} boundaries"
        )
        for name, c in zip(m.region_names, counts, strict=True):
            lines.append(f"    {name:<22} {c:>10,} elements")

    mesh_lines("mesh", r.mesh)
    if r.thermal_mesh is not None:
        mesh_lines("thermal mesh", r.thermal_mesh)
    lines.append("  fields:")
    for group, data in (("thermal", r.thermal), ("mechanical", r.mechanical)):
        for k, v in (data or {}).items():
            extra = ""
            if v.dtype.kind == "f":
                extra = f"  min {np.min(v):.6g} max {np.max(v):.6g}"
            lines.append(f"    {group}/{k:<14} {str(v.shape):<18}{extra}")
    if r.curves:
        lines.append("  curves:")
        for name, cols in r.curves.items():
            n = len(next(iter(cols.values()))) if cols else 0
            lines.append(f"    {name:<28} {n:>6} samples: {', '.join(cols)}")
    if r.metrics:
        lines.append("  metrics:")
        for k, v in sorted(r.metrics.items()):
            lines.append(f"    {k:<40} {v:.6g}" if isinstance(v, float) else f"    {k:<40} {v}")
    if r.solver:
        lines.append("  solver:")
        for k, v in r.solver.items():
            lines.append(f"    {k}: {_solver_summary(v)}")
    return "\n".join(lines)


def _solver_summary(info: Any) -> str:
    if not isinstance(info, dict):
        return str(info)
    if all(isinstance(v, dict) for v in info.values()) and "backend" not in info:
        return "; ".join(f"{k}: {_solver_summary(v)}" for k, v in info.items())
    keys = ("backend", "method", "device", "iterations", "residual", "reason")
    parts = [f"{k}={info[k]}" for k in keys if k in info]
    st = info.get("stages")
    if isinstance(st, dict) and "total_s" in st:
        parts.append(f"total {st['total_s']:.3g} s")
    return ", ".join(parts)
