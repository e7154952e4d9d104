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
    /metrics                 attrs: Tj_max, theta_ja, warpage_um@25C, ...
    /solver                  attrs: thermal / mechanical solver records (JSON text)
    /inputs                  the validated inputs as JSON text

When the thermal result lives on another mesh than ``mesh`` (the package on its
test board, while the mechanics use the unit alone), that mesh is written under
``/thermal/mesh`` with the same layout, and the XDMF file has one grid per mesh.

Every field dataset carries a ``center`` attribute (``Node`` or ``Cell``); several
mechanical states also store ``state_values`` (the time coordinate of each state in
ParaView, e.g. its temperature) with its ``unit``.

Files are written through :func:`fea.io.atomic.atomic_path` (temporary name, sync,
rename), so a crash never leaves a partial file under the final name. Every large
dataset carries a Fletcher-32 checksum, so corruption is detected on reading.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
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
    "describe",
    "field_center",
    "field_datasets",
    "read_results",
    "write_results",
]

SCHEMA = "fea-results/1"
_SCHEMA_NAME, _SCHEMA_MAJOR = "fea-results", 1
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
        json.loads(inputs)  # must already be JSON
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
    from .atomic import atomic_path, write_atomic
    from .xdmf import xdmf_text

    path = Path(path)
    if path.suffix != ".h5":
        raise InputError("path", str(path), "a file name ending in .h5")
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

    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w", libver=("earliest", "v110")) as f:
            f.attrs["schema"] = SCHEMA
            f.attrs["fea_version"] = __version__
            f.attrs["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            f.attrs["study"] = str(meta.pop("study", ""))
            f.attrs["case"] = str(meta.pop("case", ""))
            metrics = dict(meta.pop("metrics", {}) or {})
            solver_extra = dict(meta.pop("solver", {}) or {})
            inputs = meta.pop("inputs", None)
            for k, v in meta.items():
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
            f.flush()
        xml = xdmf_text(path.name, tmp)
    write_atomic(path.with_suffix(".xdmf"), xml)
    return path


def _write_curves(g: Any, curves: Mapping[str, Mapping[str, Any]]) -> None:
    if not curves:
        return
    c = g.create_group("curves")
    for name, columns in curves.items():
        cg = c.create_group(str(name))
        cg.attrs["columns"] = json.dumps([str(k) for k in columns])  # their order
        for col, values in columns.items():
            _dataset(cg, str(col), np.asarray(values, dtype=np.float64).ravel())


def _read_curves(g: Any) -> dict[str, dict[str, NDArray]]:
    out: dict[str, dict[str, NDArray]] = {}
    if "curves" not in g:
        return out
    for name, cg in g["curves"].items():
        order = json.loads(cg.attrs.get("columns", "[]")) or list(cg)
        out[name] = {col: cg[col][()] for col in order}
    return out


# -- reading ------------------------------------------------------------------------------

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


def _read_mesh(g: Any) -> MeshData:
    names = json.loads(g["region_id"].attrs["region_names"])
    return MeshData(
        g["nodes"][()],
        g["tets"][()],
        g["region_id"][()],
        names,
        {k: v[()] for k, v in g["boundaries"].items()},
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


def read_results(path: str | os.PathLike) -> Results:
    """Read a results file written by :func:`write_results`.

    Raises :class:`~fea.errors.ResultsError` for a missing, truncated, corrupt, foreign or
    newer-schema file, saying which.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        kind = "truncated or corrupt HDF5" if _looks_hdf5(path) else "not an HDF5 file"
        raise ResultsError(f"{path}: {kind} ({exc})") from None
    try:
        with f:
            _check_schema(f, path)
            mesh = _read_mesh(f["mesh"])
            thermal = mech = th_mesh = None
            centers: dict[str, str] = {}
            curves: dict[str, dict[str, NDArray]] = {}
            if "thermal" in f:
                g = f["thermal"]
                thermal = {k: ds[()] for k, ds in field_datasets(g).items()}
                centers.update(
                    {f"thermal/{k}": field_center(ds) for k, ds in field_datasets(g).items()}
                )
                if "times" in g:
                    thermal["times"] = g["times"][()]
                if "mesh" in g:
                    th_mesh = _read_mesh(g["mesh"])
                curves = _read_curves(g)
            if "mechanical" in f:
                g = f["mechanical"]
                mech = {k: ds[()] for k, ds in field_datasets(g).items()}
                centers.update(
                    {f"mechanical/{k}": field_center(ds) for k, ds in field_datasets(g).items()}
                )
                if "labels" in g:
                    mech["labels"] = np.array(
                        [x.decode() if isinstance(x, bytes) else x for x in g["labels"][()]]
                    )
                if "state_values" in g:
                    mech["state_values"] = g["state_values"][()]
            metrics = {k: _scalar(v) for k, v in f["metrics"].attrs.items()}
            solver = {k: json.loads(v) for k, v in f["solver"].attrs.items()}
            raw = f["inputs"][()]
            inputs = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
            attrs = {k: _scalar(v) for k, v in f.attrs.items()}
    except ResultsError:
        raise
    except (OSError, KeyError, ValueError) as exc:
        raise ResultsError(f"{path}: truncated or corrupt results file ({exc})") from None
    return Results(
        path, attrs, mesh, thermal, mech, metrics, solver, inputs, th_mesh, centers, curves
    )


def _scalar(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _looks_hdf5(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(8) == b"\x89HDF\r\n\x1a\n"


def describe(path: str | os.PathLike) -> str:
    """A human-readable summary of a results file (what ``fea info`` prints)."""
    r = read_results(path)
    lines = [
        f"{r.path}",
        f"  schema {r.schema}, fea {r.attrs.get('fea_version')}, created {r.attrs.get('created')}",
    ]
    if r.attrs.get("study") or r.attrs.get("case"):
        lines.append(f"  study {r.attrs.get('study')!r}, case {r.attrs.get('case')!r}")

    def mesh_lines(title: str, m: MeshData) -> None:
        counts = np.bincount(m.region_id, minlength=len(m.region_names))
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
