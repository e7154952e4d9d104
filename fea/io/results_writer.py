"""Writing a results file (:func:`write_results`): mesh, fields, curves, metrics, solver
records and inputs built in memory, checksummed per block, written atomically."""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from .hdf5_probe import remember_written
from .results_format import (
    COMPRESS_ABOVE,
    RESERVED_ATTRS,
    SCHEMA,
    VTK_TET10_EDGES,
    VTK_TRI6_EDGES,
    field_unit,
    hdf5_text,
    memory_file,
)
from .results_reader import block_digests

__all__ = [
    "write_results",
]


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
    for j, (a, b) in enumerate(VTK_TET10_EDGES):
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
    for j, (a, b) in enumerate(VTK_TRI6_EDGES):
        e = np.sort(tri[:, [a, b]], axis=1)
        pos = order[np.searchsorted(key, e[:, 0] * n_v + e[:, 1], sorter=order)]
        out[:, 3 + j] = n_v + pos  # skfem numbers P2 edge nodes after the vertices, by edge
    return out


#: Longest name of a metric, a root attribute or a boundary [characters]: HDF5 keeps an
#: attribute's name and value in one object-header message of at most 64 KiB.
MAX_NAME = 1024

#: Characters XML 1.0 cannot hold, even escaped: the C0 controls but tab, newline and
#: carriage return, and U+FFFE, U+FFFF. A results file's name, its states' labels and the
#: names of the moisture states it shows are in its XDMF text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _check_xml_text(key: str, text: str) -> str:
    """``text`` if HDF5 stores it (:func:`hdf5_text`) and the XDMF sidecar can hold it:
    a control character there makes the XML malformed, and ParaView opens nothing."""
    hdf5_text(key, text)
    if _NOT_XML.search(text):
        raise InputError(key, text, "text without control characters (the .xdmf file shows it)")
    return text


def _check_name(key: str, name: Any) -> str:
    """``name`` if it can name an HDF5 attribute or dataset unchanged."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        raise InputError(key, name, f"a name: non-empty text of at most {MAX_NAME} characters")
    return hdf5_text(key, name)


def _dataset(group: Any, name: str, data: Any, **kw: Any) -> Any:
    data = np.ascontiguousarray(data)
    if data.size > COMPRESS_ABOVE and data.dtype.kind in "fiu":
        rows = max(1, min(data.shape[0], (1 << 20) // max(1, data[:1].nbytes)))
        chunks = (rows, *data.shape[1:])
        kw.update(
            compression="gzip", compression_opts=4, shuffle=True, fletcher32=True, chunks=chunks
        )
    return group.create_dataset(name, data=data, **kw)


def _field(group: Any, name: str, data: Any, center: str) -> Any:
    """A field dataset: its values with their centring (``Node`` or ``Cell``) and unit
    (:data:`~fea.io.results_format.FIELD_UNITS`) as attributes."""
    unit = field_unit(name)  # before the dataset: an unknown field writes nothing
    ds = _dataset(group, name, data)
    ds.attrs["center"] = center
    ds.attrs["unit"] = unit
    return ds


def _write_mesh(g: Any, mesh: Any, space: Any) -> None:
    _dataset(g, "nodes", np.asarray(space.nodes, dtype=np.float64)).attrs["unit"] = "m"
    _dataset(g, "tets", _vtk_tets(space))
    names = list(mesh.regions)
    _field(g, "region_id", mesh.region_of_elements().astype(np.int32), "Cell")
    g["region_id"].attrs["region_names"] = json.dumps(names)
    for i, n in enumerate(names):
        g["region_id"].attrs[str(i)] = n
    b = g.create_group("boundaries")
    stored = _boundary_names(mesh)
    for name, facets in mesh.boundaries.items():
        _dataset(b, stored[name], _facet_connectivity(mesh, space, facets))


def _boundary_names(mesh: Any) -> dict[str, str]:
    """The dataset name of each boundary of ``mesh``: its name with '/' written as '_'
    (HDF5's path separator); a name that cannot be stored so, or two that meet, is an
    :class:`~fea.errors.InputError` (so is a region name with a NUL)."""
    for name in mesh.regions:
        hdf5_text("mesh.regions", str(name))
    out: dict[str, str] = {}
    for name in mesh.boundaries:
        stored = _check_name("mesh.boundaries", name).replace("/", "_")
        if stored == "." or stored in out.values():
            raise InputError(
                "mesh.boundaries",
                name,
                "names that stay distinct with '/' written as '_', and not '.'",
            )
        out[name] = stored
    return out


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
    *,
    moisture: Any = None,
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
        shows, e.g. the temperature [degC] of each state) and ``state_unit`` (its
        unit, stored as the dataset's ``unit``; ``"C"`` is stored as ``"degC"``); ``ctm``
        (compact thermal models: :func:`fea.package.ctm.results_group`, the ``/ctm``
        group); ``cycling`` (tables name -> column -> values, the ``/cycling`` group:
        :meth:`fea.package.cycling.CyclingRun.tables`); ``moisture_labels`` (one text per
        moisture state, distinct; default the state indices) and ``moisture_shown``
        (name -> state index: the moisture states the ``.xdmf`` sidecar shows on the
        package, as ``<field>@<name>``, e.g. ``{"soak": 10, "peak": 35}``; default
        none); other scalar entries become root attributes.
    moisture
        A :class:`fea.MoistureResult` on ``mesh`` (:func:`fea.solve_moisture`) or None:
        its states' fields ``moisture_wetness`` (s, n) [-] and ``moisture_concentration``
        (s, m) [kg/m^3] (0 in impermeable regions), their times [s], temperatures [degC]
        and labels go to ``/moisture``, and ``<stem>_moisture.xdmf`` beside the file
        shows them in ParaView on their own time axis (:func:`fea.io.xdmf.
        moisture_xdmf_text`).

    Every field a result offers (its ``fields()``: name -> (values, centring)) is
    written as a dataset of its group with a ``center`` attribute and a ``unit``
    attribute (:data:`~fea.io.results_format.FIELD_UNITS`; a field without one there is
    an :class:`~fea.errors.InputError`), so the XDMF, VTU and reader need no per-field
    code. Nothing is written unless every part succeeds. Returns the path of the HDF5
    file.
    """
    from .atomic import write_atomic_files
    from .xdmf import (
        moisture_xdmf_path,
        moisture_xdmf_text,
        transient_xdmf_path,
        transient_xdmf_text,
        xdmf_text,
    )

    path = _check_path(path)
    if thermal is not None and not (
        hasattr(thermal, "mesh") and hasattr(thermal, "temperature") and hasattr(thermal, "fields")
    ):
        raise InputError("thermal", thermal, "a ThermalResult of fea.solve_thermal, or None")
    _boundary_names(mesh)  # checked before any work
    if thermal is not None and thermal.mesh is not mesh:
        _boundary_names(thermal.mesh)
    if meta is not None and not isinstance(meta, Mapping):
        raise InputError("meta", meta, "a mapping of names to values, or None")
    meta = dict(meta or {})
    ctm = meta.pop("ctm", None)
    cycling = meta.pop("cycling", None)
    labels, states = _as_states(mechanical)
    for label in labels:
        _check_xml_text("mechanical", label)
    for s in states:
        if s.mesh is not mesh:
            raise InputError("mechanical", "result on another mesh", "results on `mesh`")
    state_values = meta.pop("state_values", None)
    state_unit = hdf5_text("state_unit", str(meta.pop("state_unit", "")))
    # the file's one name for Celsius (FIELD_UNITS, /moisture/temperatures): "C" is the
    # coulomb to a unit library (pint), and beside fields in degC it read as another unit
    state_unit = {"C": "degC"}.get(state_unit, state_unit)
    if state_values is not None and len(state_values) != len(states):
        raise InputError("state_values", state_values, f"one value per state ({len(states)})")
    moisture_labels, shown = _moisture_states(
        moisture, mesh, meta.pop("moisture_labels", None), meta.pop("moisture_shown", None)
    )

    with memory_file() as f:
        metrics, solver, inputs = _write_root(f, meta)
        fs = _write_main_mesh(f, mesh, states)
        if thermal is not None:
            solver["thermal"] = _write_thermal(f, thermal, mesh, fs)
            for k, v in (thermal.metrics or {}).items():
                metrics.setdefault(k, v)
        if states:
            solver["mechanical"] = _write_mechanical(f, labels, states, state_values, state_unit)
        if moisture is not None:
            solver["moisture"] = _write_moisture(f, moisture, moisture_labels, shown, fs)
        _write_records(f, metrics, solver, states, thermal, inputs)
        if ctm:
            _write_ctm(f, ctm)
        if cycling:
            _write_tables(f.create_group("cycling"), cycling, "meta.cycling")
        f.attrs["sha256"] = json.dumps(block_digests(f), sort_keys=True)
        kept_transient = "thermal" in f and "transient" in f["thermal"]
        f.flush()
        image = f.id.get_file_image()
    files: list[tuple[Path, str | bytes]] = [(path, image)]
    files.append((path.with_suffix(".xdmf"), xdmf_text(path.name, io.BytesIO(image))))
    if moisture is not None:
        text = moisture_xdmf_text(path.name, io.BytesIO(image))
        files.append((moisture_xdmf_path(path), text))
    if kept_transient:
        text = transient_xdmf_text(path.name, io.BytesIO(image))
        files.append((transient_xdmf_path(path), text))
    # all written before any is renamed (a full disk leaves the previous set), the .h5
    # renamed last: a run killed between the renames leaves no new results file beside
    # an old sidecar
    write_atomic_files(files)
    remember_written(path)  # read back here (the case's plots) without a probe
    if moisture is None:
        # a moisture sidecar of an earlier run of this file would point into a /moisture
        # group the new file does not have (ParaView fails on it): removed, after the new
        # pair is in place
        _remove_stale(moisture_xdmf_path(path))
    if not kept_transient:  # likewise a transient sidecar of an earlier run
        _remove_stale(transient_xdmf_path(path))
    return path


def _remove_stale(sidecar: Path) -> None:
    """Remove the stale sidecar ``sidecar`` if it is there; a failure is a
    :class:`~fea.errors.ResultsError` naming it (the new results are in place)."""
    from ..errors import ResultsError

    try:
        sidecar.unlink(missing_ok=True)
    except OSError as exc:
        raise ResultsError(
            f"cannot remove {sidecar} (a sidecar of an earlier results file of this name): "
            f"{exc.strerror}"
        ) from None


def _check_path(path: Any) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise InputError("path", path, "a file name ending in .h5 (str or path)")
    path = Path(path)
    if path.suffix != ".h5":
        raise InputError("path", str(path), "a file name ending in .h5")
    if ":" in path.name or "|" in path.name:
        # the XDMF sidecar references a dataset as <file>:<dataset>|<selection>
        raise InputError("path", str(path), "a file name without ':' or '|'")
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        # the XDMF text names the file, in UTF-8
        raise InputError("path", str(path), "a file name of UTF-8 text") from None
    if _NOT_XML.search(path.name):
        raise InputError(
            "path", str(path), "a file name without control characters (the XDMF text names it)"
        )
    from .atomic import check_output_path
    from .xdmf import moisture_xdmf_path, transient_xdmf_path

    for sidecar in (moisture_xdmf_path(path), transient_xdmf_path(path)):
        # written, or removed when stale: a folder or a FIFO there is refused before any
        # work, as one at the .h5 or .xdmf name is
        check_output_path(sidecar, "path")
    for kind in ("moisture", "transient"):
        if path.stem.endswith(f"_{kind}"):
            # its .xdmf would be the sidecar of <x>.h5 beside it, <x>_moisture.xdmf
            raise InputError(
                "path",
                str(path),
                f"a file name whose stem does not end in '_{kind}' (the {kind} "
                f"sidecar's suffix: x.h5 writes x_{kind}.xdmf)",
            )
    return path


def _write_root(f: Any, meta: dict[str, Any]) -> tuple[dict, dict, Any]:
    """The root attributes (schema, version, time, study, case, other scalar ``meta``
    entries); returns what ``meta`` holds for other blocks: (metrics, solver records,
    inputs)."""
    from .. import __version__

    f.attrs["schema"] = SCHEMA
    f.attrs["fea_version"] = __version__
    f.attrs["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    f.attrs["study"] = hdf5_text("meta.study", str(meta.pop("study", "")))
    f.attrs["case"] = hdf5_text("meta.case", str(meta.pop("case", "")))
    metrics = dict(meta.pop("metrics", {}) or {})
    for k, v in metrics.items():
        _check_name("meta.metrics", k)
        if isinstance(v, str):
            hdf5_text(f"meta.metrics.{k}", v)
    solver = dict(meta.pop("solver", {}) or {})
    inputs = meta.pop("inputs", None)
    for k, v in meta.items():
        _check_name("meta", k)
        if k in RESERVED_ATTRS:
            raise InputError(f"meta.{k}", v, "a key other than the file's own attributes")
        if isinstance(v, str):
            hdf5_text(f"meta.{k}", v)
        if isinstance(v, int) and not isinstance(v, bool) and not -(2**63) <= v < 2**63:
            raise InputError(f"meta.{k}", v, "an integer of at most 64 bits (HDF5 stores no other)")
        if isinstance(v, str | int | float | bool | np.generic):
            f.attrs[k] = v
        else:
            f.attrs[k] = _json(v)
    return metrics, solver, inputs


def _write_main_mesh(f: Any, mesh: Any, states: list[Any]) -> Any:
    """``/mesh``; returns the field space of the mechanical states (or of ``mesh``)."""
    from ..fe.spaces import space as make_space

    fs = states[0].space if states else make_space(mesh)
    _write_mesh(f.create_group("mesh"), mesh, fs)
    return fs


def _write_thermal(f: Any, thermal: Any, mesh: Any, fs: Any) -> Any:
    """``/thermal``: its own mesh when it has one, its fields, times, curves and kept
    transient fields, power and heat out; returns its solver record."""
    g = f.create_group("thermal")
    if thermal.mesh is not mesh:
        _write_mesh(g.create_group("mesh"), thermal.mesh, thermal.space)
    elif thermal.temperature.shape[0] != fs.n:
        raise InputError(
            "thermal",
            f"{thermal.temperature.shape[0]} nodes",
            f"a field on the {fs.n} nodes of `mesh`",
        )
    for name, (values, center) in thermal.fields().items():
        _field(g, name, values, center)
    if thermal.history is not None:
        _dataset(g, "times", np.asarray(thermal.times, np.float64)).attrs["unit"] = "s"
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
        _field(gt, "temperature", np.asarray(tr.history, np.float64), "Node")
        _dataset(gt, "times", np.asarray(tr.times, np.float64)).attrs["unit"] = "s"
    g.attrs["power_W"] = float(thermal.power)
    g.attrs["heat_out_W"] = _json(thermal.heat_out)
    return thermal.solver_info


def _write_mechanical(
    f: Any, labels: list[str], states: list[Any], state_values: Any, state_unit: str
) -> Any:
    """``/mechanical``: every field of the states (stacked when there are several, with
    their labels and ParaView time values), the reactions; returns the solver record(s)."""
    import h5py

    g = f.create_group("mechanical")
    stack = len(states) > 1 or labels != [""]
    per_state = [s.fields() for s in states]
    for name, (_, center) in per_state[0].items():
        arrays = [np.asarray(p[name][0]) for p in per_state]
        data = np.stack(arrays) if stack else arrays[0]
        _field(g, name, data, center)
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
    if stack:
        return {lab: s.solver_info for lab, s in zip(labels, states, strict=True)}
    return states[0].solver_info


def _moisture_states(
    moisture: Any, mesh: Any, labels: Any, shown: Any
) -> tuple[list[str], dict[str, int]]:
    """The moisture result checked against ``mesh``, its states' labels and the states
    shown on the package (name -> index), checked; ([], {}) without one."""
    if moisture is None:
        for key, v in (("moisture_labels", labels), ("moisture_shown", shown)):
            if v is not None:
                raise InputError(f"meta.{key}", v, "None without a moisture result")
        return [], {}
    if not all(hasattr(moisture, a) for a in ("mesh", "times", "temperature_C", "fields")):
        raise InputError("moisture", moisture, "a MoistureResult of fea.solve_moisture, or None")
    if moisture.mesh is not mesh:
        raise InputError("moisture", "result on another mesh", "a MoistureResult on `mesh`")
    n = len(moisture.times)
    if labels is None:
        labels = [str(i) for i in range(n)]
    if isinstance(labels, np.ndarray) and labels.ndim == 1:
        labels = labels.tolist()
    if (
        isinstance(labels, str | bytes)
        or not isinstance(labels, Sequence)
        or len(labels) != n
        or len({str(x) for x in labels}) != n
    ):
        raise InputError("meta.moisture_labels", labels, f"{n} distinct texts, one per state")
    labels = [_check_xml_text("meta.moisture_labels", str(x)) for x in labels]
    shown = {} if shown is None else shown
    if not isinstance(shown, Mapping):
        raise InputError("meta.moisture_shown", shown, "a mapping name -> state index")
    out = {}
    for name, k in shown.items():
        _check_xml_text("meta.moisture_shown", _check_name("meta.moisture_shown", name))
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 0 <= k < n:
            raise InputError(f"meta.moisture_shown.{name}", k, f"a state index in [0, {n - 1}]")
        out[str(name)] = int(k)
    return labels, out


def _write_moisture(
    f: Any, moisture: Any, labels: list[str], shown: dict[str, int], fs: Any
) -> Any:
    """``/moisture``: the states' fields (s, n) / (s, m) on the main mesh, their times
    [s], temperatures [degC] and labels, the shown states (attribute ``shown``, JSON);
    returns the run's solver record."""
    import h5py

    g = f.create_group("moisture")
    n_states = len(labels)
    n_cells = len(f["mesh/tets"])
    for name, (values, center) in moisture.fields().items():
        values = np.asarray(values)
        n = fs.n if center == "Node" else n_cells
        if values.shape[:2] != (n_states, n):
            raise InputError(
                f"moisture.{name}",
                f"shape {values.shape}",
                f"({n_states}, {n}, ...): a {center} field of `mesh` per state",
            )
        _field(g, name, values, center)
    _dataset(g, "times", np.asarray(moisture.times, np.float64)).attrs["unit"] = "s"
    T = np.asarray(moisture.temperature_C, np.float64)
    _dataset(g, "temperatures", T).attrs["unit"] = "degC"
    g.create_dataset("labels", data=np.array(labels, dtype=h5py.string_dtype()))
    g.attrs["shown"] = json.dumps(shown)
    return getattr(moisture, "solver_info", {})


def _write_records(
    f: Any, metrics: dict, solver: dict, states: list[Any], thermal: Any, inputs: Any
) -> None:
    """``/metrics``, ``/solver`` (the records and the flat summary of the last solve) and
    ``/inputs``."""
    import h5py

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


def _write_ctm(f: Any, ctm: Mapping[str, Any]) -> None:
    """``/ctm``: the compact models' metrics as attributes (2R resistances, DELPHI error
    maxima); with a DELPHI fit the datasets ``links_R_K_per_W`` (attribute ``links``: the
    node pairs), ``conditions`` (n_bc, n_faces) h [W/(m^2 K)] (attribute ``faces``),
    ``fitted`` (n_bc,), ``junction_error`` (n_bc,), ``heat_error`` (n_bc, n_nodes)
    (attribute ``nodes``: name, face class, area [m^2])."""
    g = f.create_group("ctm")
    for k, v in (ctm.get("metrics") or {}).items():
        g.attrs[k] = float(v)
    if "delphi_links" in ctm:
        links = ctm["delphi_links"]
        g.attrs["links"] = _json([[a, b] for a, b, _ in links])
        g.attrs["nodes"] = _json(ctm["delphi_nodes"])
        g.attrs["faces"] = _json(ctm["faces"])
        _dataset(g, "links_R_K_per_W", np.array([R for _, _, R in links], dtype=np.float64))
        _dataset(g, "conditions", np.asarray(ctm["conditions"], dtype=np.float64))
        _dataset(g, "fitted", np.asarray(ctm["fitted"], dtype=np.int8))
        _dataset(g, "junction_error", np.asarray(ctm["junction_error"], dtype=np.float64))
        _dataset(g, "heat_error", np.asarray(ctm["heat_error"], dtype=np.float64))


def _write_curves(g: Any, curves: Mapping[str, Mapping[str, Any]]) -> None:
    if not curves:
        return
    _write_tables(g.create_group("curves"), curves, "thermal.curves")


def _table_name(key: str, name: Any) -> str:
    """``name`` if it names a table or a column as one HDF5 member: not ``.``, no ``/``
    (HDF5's path separator would make it a group of groups)."""
    name = _check_name(key, name)
    if "/" in name or name == ".":
        raise InputError(key, name, "a name without '/' that is not '.'")
    return name


def _write_tables(c: Any, tables: Mapping[str, Mapping[str, Any]], where: str) -> None:
    """Each table (name -> column -> values) a subgroup of ``c``: a float64 dataset per
    column, their order in the attribute ``columns``. A table the reader would refuse
    (names HDF5 cannot hold as members, columns that are not numbers, not 1-D or of
    different lengths) is an :class:`~fea.errors.InputError` naming it (``where``: the
    argument that gave the tables, ``meta.cycling``)."""
    checked = {}
    for name, columns in tables.items():
        name = _table_name(where, str(name))
        cols = {}
        for col, values in columns.items():
            key = f"{where}.{name}"
            col = _table_name(key, str(col))
            try:
                a = np.atleast_1d(np.asarray(values, dtype=np.float64))
            except (TypeError, ValueError):
                raise InputError(f"{key}.{col}", values, "numbers") from None
            if a.ndim != 1:
                raise InputError(f"{key}.{col}", f"shape {a.shape}", "a one-dimensional column")
            cols[col] = a
        if len({len(a) for a in cols.values()}) > 1:
            lengths = {k: len(a) for k, a in cols.items()}
            raise InputError(f"{where}.{name}", lengths, "columns of one length")
        checked[name] = cols
    for name, cols in checked.items():
        cg = c.create_group(name)
        cg.attrs["columns"] = json.dumps(list(cols))  # their order
        for col, a in cols.items():
            _dataset(cg, col, a)
