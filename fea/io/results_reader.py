"""Reading a results file (:func:`read_results`, :func:`open_hdf5`) and its checksums
(:func:`block_digests`): every declared shape, link and storage checked before a read,
every block's SHA-256 verified, the tree turned into :class:`~fea.io.results_format.Results`
with shapes and ids checked; anything malformed is a :class:`~fea.errors.ResultsError`,
a file that crashes or hangs the HDF5 library too (:func:`open_hdf5` reads it in a child
process first: :mod:`fea.io.hdf5_probe`). The read limits (:data:`MAX_ATTRS` and the
private ones) live here, where they are used."""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, ResultsError
from .hdf5_probe import probe_hdf5
from .results_format import LEGACY_CENTER, SCHEMA, SCHEMA_MAJOR, SCHEMA_NAME, MeshData, Results

__all__ = [
    "MAX_ATTRS",
    "block_digests",
    "check_declared",
    "check_digests",
    "hard_member",
    "open_hdf5",
    "read_ctm",
    "read_results",
]


def _read_curves(g: _Node, path: Path) -> dict[str, dict[str, NDArray]]:
    """The curves under ``/thermal/curves``: name -> column -> 1-D array, the columns in
    their written order, each checked to be a real vector of the curve's length."""
    return _read_tables(g, "curves", "/thermal/curves", path)


def _read_tables(g: _Node, name: str, where_g: str, path: Path) -> dict[str, dict[str, NDArray]]:
    """The tables of the group ``name`` of ``g`` (at ``where_g``): table -> column -> 1-D
    array, as :func:`_read_curves`; empty without that group."""
    out: dict[str, dict[str, NDArray]] = {}
    node = (g.members or {}).get(name)
    if node is None:
        return out
    if node.members is None:
        raise ResultsError(f"{path}: {where_g} is not a group")
    for table, cg in node.members.items():
        where = f"{where_g}/{table}"
        if cg.members is None:
            raise ResultsError(f"{path}: {where} is not a group of columns")
        raw = cg.attrs.get("columns")
        order = list(cg.members) if raw is None else _json_text(raw, f"{where}@columns", path)
        if not isinstance(order, list) or set(order) != set(cg.members):
            raise ResultsError(f"{path}: {where} lists columns {order!r}, not its datasets")
        cols = {
            str(c): _array(cg.members[c], f"{where}/{c}", path, "fiu", (1,), empty=True)
            for c in order
        }
        if len({len(v) for v in cols.values()}) > 1:
            raise ResultsError(f"{path}: the columns of {where} differ in length")
        out[str(table)] = cols
    return out


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
    """``v`` shown in at most 60 characters, on one line (a NumPy array's repr has
    several)."""
    text = " ".join(repr(v).split())
    return text if len(text) <= 60 else text[:50] + "..."


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


def check_declared(ds: Any, where: str, path: Path) -> None:
    """Refuse the open h5py dataset ``ds`` before reading it, with a
    :class:`~fea.errors.ResultsError` naming ``path`` and ``where`` (its name in the
    file): external or virtual storage, an odd type (compound, enum, ...), or a declared
    shape the stored bytes cannot hold (a (1e11, 3) header on a small file would
    otherwise allocate terabytes). The results and table readers check every dataset
    with it."""
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


def _load(
    obj: Any, where: str, path: Path, depth: int = 0, max_members: int = _MAX_MEMBERS
) -> _Node:
    """Read a group or dataset and everything below it, each dataset checked first."""
    import h5py

    n_attrs = len(obj.attrs)  # counted from the object header, nothing read
    if n_attrs > MAX_ATTRS:
        raise ResultsError(
            f"{path}: {n_attrs:,} attributes on {where} (a results file has at most "
            f"{MAX_ATTRS:,} per group or dataset)"
        )
    attrs = {_name(k, where, "an attribute", path): obj.attrs[k] for k in obj.attrs}
    if isinstance(obj, h5py.Dataset):
        check_declared(obj, where, path)
        return _Node(attrs, data=obj[()])
    if depth >= _MAX_GROUP_DEPTH:
        raise ResultsError(f"{path}: groups nested deeper than {_MAX_GROUP_DEPTH} at {where}")
    members: dict[str, _Node] = {}
    if len(obj) > max_members:
        raise ResultsError(
            f"{path}: {len(obj):,} members in {where} (at most {max_members:,} per group)"
        )
    for key in obj:
        key = _name(key, where, "a member", path)
        sub = f"{where.rstrip('/')}/{key}"
        child = hard_member(obj, key, sub, path)
        if not isinstance(child, h5py.Group | h5py.Dataset):
            raise ResultsError(f"{path}: {sub} is neither a group nor a dataset")
        members[key] = _load(child, sub, path, depth + 1, max_members)
    return _Node(attrs, members=members)


def _name(key: Any, where: str, what: str, path: Path) -> str:
    """An attribute or member name of ``where`` as text: h5py gives a name that is not
    UTF-8 (a corrupt file) as bytes, refused here with a ResultsError."""
    if not isinstance(key, str):
        raise ResultsError(f"{path}: {what} of {where} has a name that is not UTF-8 text")
    return key


def hard_member(
    group: Any, key: str, where: str, path: Path, holder: str = "a results file"
) -> Any:
    """The member ``key`` of the open HDF5 ``group`` (at ``where`` in the file ``path``),
    where it is stored in this file: a missing member, an external link to another file
    or a soft link is a :class:`~fea.errors.ResultsError` naming ``where`` (``holder``
    names the kind of file in the message: it holds its data)."""
    import h5py

    link = group.get(key, getlink=True)
    if link is None:
        raise ResultsError(f"{path}: {where} is missing")
    if isinstance(link, h5py.ExternalLink):
        raise ResultsError(f"{path}: {where} is an external link to another file")
    if not isinstance(link, h5py.HardLink):
        raise ResultsError(f"{path}: {where} is a soft link ({holder} holds its data)")
    return group.get(key)


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


def block_digests(f: Any, max_members: int = _MAX_MEMBERS) -> dict[str, str]:
    """SHA-256 (hex) of each block of an open results file: ``"/"`` (the root attributes
    but ``sha256``) and every top-level group or dataset, over everything the reader
    returns (names, types, shapes, values, attributes). ``max_members``: the most members
    of one group (a study table has one dataset per column)."""
    return _tree_digests(_load(f, "/", Path(str(f.filename)), max_members=max_members))


def check_digests(f: Any, path: Path, max_members: int = _MAX_MEMBERS) -> None:
    """Verify the checksums (root attribute ``sha256``, :func:`block_digests`) of the open
    HDF5 file ``f`` at ``path``: a :class:`~fea.errors.ResultsError` naming the block that
    differs; a file without checksums (written before they were kept) passes. Every
    dataset is checked by :func:`check_declared` on the way. The results reader verifies
    the tree it has read; the table reader calls this. ``max_members`` as for
    :func:`block_digests`."""
    _verify(_load(f, "/", path, max_members=max_members), path)


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


def _member(node: _Node, name: str, where: str, path: Path, *, group: bool) -> _Node:
    m = (node.members or {}).get(name)
    if m is None:
        raise ResultsError(f"{path}: {where}/{name} is missing".replace("//", "/"))
    if group != (m.members is not None):
        what = "a group" if group else "a dataset"
        raise ResultsError(f"{path}: {where}/{name} is not {what}".replace("//", "/"))
    return m


#: The number types a dataset may have, in words (by NumPy's kind letters).
_KIND_WORDS = {
    "f": "floating-point numbers",
    "iu": "integers",
    "fiu": "numbers",
}


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
    if isinstance(a, np.ndarray) and a.dtype.kind not in kinds:
        raise ResultsError(
            f"{path}: {where} holds {a.dtype} values (expected {_KIND_WORDS.get(kinds, kinds)})"
        )
    if not isinstance(a, np.ndarray):
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
        return LEGACY_CENTER.get(name)
    return c.decode() if isinstance(c, bytes) else str(c)


def _read_fields(
    g: _Node, where: str, path: Path, mesh: MeshData, steps: int | None, units: dict[str, str]
) -> tuple[dict[str, NDArray], dict[str, str]]:
    """The field datasets of a group, each checked against its mesh (and the number of
    time steps or states of a series); their units (``unit`` attribute) go to ``units``
    as ``"group/field" -> unit``."""
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
        if "unit" in node.attrs:
            units[f"{where.strip('/')}/{name}"] = _text(
                node.attrs["unit"], f"{where}/{name} attribute unit", path
            )
    return fields, centers


def _axis_unit(node: _Node, key: str, path: Path, units: dict[str, str]) -> None:
    """A time or state axis's ``unit`` attribute, where it has one, into ``units[key]``
    (``"s"``, ``"degC"``, ``"step"``; ``"C"`` of older files as ``"degC"``)."""
    if "unit" in node.attrs:
        unit = _text(node.attrs["unit"], f"/{key} attribute unit", path)
        units[key] = {"C": "degC"}.get(unit, unit)


def _labels(node: _Node, where: str, path: Path) -> NDArray:
    """A ``labels`` dataset: one text per state, at least one."""
    raw = node.data
    if not isinstance(raw, np.ndarray) or raw.ndim != 1 or raw.size == 0:
        raise ResultsError(f"{path}: {where} is not a list of state labels")
    return np.array([_text(x, where, path) for x in raw])


def _read_moisture(
    g: _Node, path: Path, mesh: MeshData, centers: dict[str, str], units: dict[str, str]
) -> tuple[dict[str, NDArray], dict[str, int]]:
    """``/moisture``: its fields, ``times``, ``temperatures`` and ``labels`` (one per
    state, checked), and the states shown on the package (attribute ``shown``)."""
    gm = g.members or {}
    for need in ("labels", "times", "temperatures"):
        if need not in gm or gm[need].members is not None:
            raise ResultsError(f"{path}: /moisture lacks the dataset {need}")
    labels = _labels(gm["labels"], "/moisture/labels", path)
    n = len(labels)
    times = _array(gm["times"], "/moisture/times", path, "f", (1,))
    temps = _array(gm["temperatures"], "/moisture/temperatures", path, "f", (1,))
    if len(times) != n or len(temps) != n:
        raise ResultsError(
            f"{path}: /moisture has {n} labels, {len(times)} times and {len(temps)} "
            "temperatures (one of each per state)"
        )
    out, c = _read_fields(g, "/moisture", path, mesh, n, units)
    centers.update(c)
    out.update(times=times, temperatures=temps, labels=labels)
    shown = _json_text(g.attrs.get("shown", "{}"), "/moisture attribute shown", path)
    if not isinstance(shown, dict) or not all(
        isinstance(k, int) and not isinstance(k, bool) and 0 <= k < n for k in shown.values()
    ):
        raise ResultsError(
            f"{path}: /moisture attribute shown is {_brief(shown)}, not name -> state index "
            f"below {n}"
        )
    return out, shown


def _results(root: _Node, path: Path) -> Results:
    mesh = _read_mesh(_member(root, "mesh", "", path, group=True), "/mesh", path)
    thermal = mech = th_mesh = moisture = None
    shown: dict[str, int] = {}
    centers: dict[str, str] = {}
    units: dict[str, str] = {}
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
        thermal, c = _read_fields(g, "/thermal", path, th_mesh or mesh, steps, units)
        centers.update(c)
        if times is not None:
            thermal["times"] = times
            _axis_unit(gm["times"], "thermal/times", path, units)
        curves = _read_curves(g, path)
        if "transient" in gm:  # a transient's kept fields beside the steady one
            gt = _member(g, "transient", "/thermal", path, group=True)
            tt = gt.members or {}
            if "times" not in tt or "temperature" not in tt:
                raise ResultsError(f"{path}: /thermal/transient lacks times or temperature")
            ttimes = _array(tt["times"], "/thermal/transient/times", path, "f", (1,))
            fields_t, c = _read_fields(
                gt, "/thermal/transient", path, th_mesh or mesh, len(ttimes), units
            )
            centers.update(c)
            thermal["transient_temperature"] = fields_t["temperature"]
            thermal["transient_times"] = ttimes
            _axis_unit(tt["times"], "thermal/transient/times", path, units)
    if "mechanical" in members:
        g = _member(root, "mechanical", "", path, group=True)
        gm = g.members or {}
        labels = None
        if "labels" in gm:
            labels = _labels(gm["labels"], "/mechanical/labels", path)
        mech, c = _read_fields(
            g, "/mechanical", path, mesh, None if labels is None else len(labels), units
        )
        centers.update(c)
        if labels is not None:
            mech["labels"] = labels
        if "state_values" in gm:
            sv = _array(gm["state_values"], "/mechanical/state_values", path, "fiu", (1,))
            if labels is None or len(sv) != len(labels):
                raise ResultsError(f"{path}: /mechanical/state_values has {len(sv)} values")
            mech["state_values"] = sv
            _axis_unit(gm["state_values"], "mechanical/state_values", path, units)
    if "moisture" in members:
        g = _member(root, "moisture", "", path, group=True)
        moisture, shown = _read_moisture(g, path, mesh, centers, units)
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
        path,
        attrs,
        mesh,
        thermal,
        mech,
        metrics,
        solver,
        inputs,
        th_mesh,
        centers,
        curves,
        units,
        moisture,
        shown,
        _read_tables(root, "cycling", "/cycling", path),
    )


def _check_schema(f: Any, path: Path) -> None:
    schema = f.attrs.get("schema")
    if schema is None:
        raise ResultsError(f"{path}: not a fea results file (foreign HDF5: no 'schema' attribute)")
    schema = schema.decode() if isinstance(schema, bytes) else str(schema)
    name, _, ver = schema.partition("/")
    if name == "fea-table":
        raise ResultsError(
            f"{path}: a study table (schema {schema!r}), not a results file: read it with "
            "fea.io.read_table or fea.io.read_frame"
        )
    if name != SCHEMA_NAME or not (ver.isascii() and ver.isdigit()):
        raise ResultsError(f"{path}: foreign schema {schema!r} (expected {SCHEMA!r})")
    if int(ver) > SCHEMA_MAJOR:
        raise ResultsError(
            f"{path}: schema {schema!r} is newer than this fea reads ({SCHEMA!r}); upgrade fea"
        )


def open_hdf5(
    path: str | os.PathLike, *, probe: bool = True, max_members: int = _MAX_MEMBERS
) -> Any:
    """Open an HDF5 file for reading, or a :class:`~fea.errors.ResultsError` naming why it
    cannot be (no such file, a folder, a FIFO, a symbolic link loop, not HDF5, truncated,
    a corrupt file that crashes or hangs the HDF5 library).

    With ``probe`` (the default) the file is first read in a child process
    (:func:`fea.io.hdf5_probe.probe_hdf5`, with this module's read limits and
    ``max_members``, the most members of one group the caller reads): a crash of the
    library there is an error here, not the end of this process. ``probe=False`` skips it,
    for a file this process has just probed or written."""
    import h5py

    from .atomic import file_problem

    path = Path(path)
    problem = file_problem(path)
    if problem is not None:
        raise ResultsError(f"{path}: {problem}")
    if probe:
        probe_hdf5(
            path,
            max_attrs=MAX_ATTRS,
            max_members=max_members,
            max_depth=_MAX_GROUP_DEPTH,
            max_compression=_MAX_COMPRESSION,
        )
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        kind = "truncated or corrupt HDF5" if _looks_hdf5(path) else "not an HDF5 file"
        raise ResultsError(f"{path}: {kind} ({exc})") from None


def read_results(path: str | os.PathLike, *, probe: bool = True) -> Results:
    """Read a results file written by :func:`write_results`.

    Raises :class:`~fea.errors.ResultsError` for a missing, truncated, corrupt, foreign,
    newer-schema or malformed file, saying which; a checksum mismatch names the block.
    ``probe``: read the file in a child process first (:func:`open_hdf5`), so a file that
    crashes the HDF5 library is an error, not the end of this process; ``False`` for a
    file this process has just probed or written.
    """
    if not isinstance(path, str | os.PathLike):
        raise InputError("path", path, "the path of a results file (.h5)")
    path = Path(path)
    f = open_hdf5(path, probe=probe)
    try:
        with f:
            _check_schema(f, path)
            root = _load(f, "/", path)
        _verify(root, path)
    except ResultsError:
        raise
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise ResultsError(f"{path}: truncated or corrupt results file ({exc})") from None
    try:
        return _results(root, path)
    except ResultsError:
        raise
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise ResultsError(
            f"{path}: malformed results file ({type(exc).__name__}: {exc})"
        ) from None


def read_ctm(path: str | os.PathLike) -> dict[str, Any]:
    """The ``/ctm`` group of a results file (compact thermal models, ``[ctm]``): its
    attributes (metrics; ``links``, ``nodes``, ``faces`` decoded from JSON) and datasets
    (``links_R_K_per_W``, ``conditions``, ``fitted``, ``junction_error``,
    ``heat_error``) as one mapping; empty when the file has none. The file is checked as
    by :func:`read_results`."""
    import h5py

    read_results(path)  # schema, structure and checksums; probed there
    path = Path(path)
    try:
        with open_hdf5(path, probe=False) as f:
            if "ctm" not in f:
                return {}
            g = f["ctm"]
            if not isinstance(g, h5py.Group):
                raise ResultsError(f"{path}: /ctm is not a group")
            out: dict[str, Any] = {}
            for k, v in g.attrs.items():
                v = _scalar(v)
                if k in ("links", "nodes", "faces"):
                    v = _json_text(v, f"/ctm attribute {k}", path)
                out[k] = v
            for k in g:
                if not isinstance(g[k], h5py.Dataset):
                    raise ResultsError(f"{path}: /ctm/{k} is not a dataset")
                out[k] = np.asarray(g[k][()])
            return out
    except ResultsError:
        raise
    except (OSError, RuntimeError, KeyError, ValueError, TypeError) as exc:
        raise ResultsError(f"{path}: malformed /ctm group ({type(exc).__name__}: {exc})") from None


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
