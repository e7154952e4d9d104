"""The results-file format (schema ``fea-results/1``, layout in :mod:`fea.io.hdf5`): its constants,
the data :func:`~fea.io.results_reader.read_results` returns (:class:`MeshData`,
:class:`Results`), the in-memory HDF5 file writers fill, and the field datasets' centring
and units (:data:`FIELD_UNITS`)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError

__all__ = [
    "FIELD_UNITS",
    "MeshData",
    "Results",
    "SCHEMA",
    "field_center",
    "field_datasets",
    "field_unit",
    "hdf5_text",
    "memory_file",
]


SCHEMA = "fea-results/1"


def hdf5_text(key: str, text: str) -> str:
    """``text`` if HDF5 stores it as given, else an :class:`~fea.errors.InputError` at
    ``key``: h5py refuses a NUL in a string value and ends a name at one ('a\\0b' stored
    as 'a'), and stores text as UTF-8 (a lone surrogate, how Python spells a byte of a
    file name that is not UTF-8, cannot be)."""
    if "\0" in text:
        raise InputError(key, text, "text without NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(key, text, "UTF-8 text (this holds bytes that are not)") from None
    return text


SCHEMA_NAME, SCHEMA_MAJOR = "fea-results", 1


RESERVED_ATTRS = ("schema", "fea_version", "created", "sha256")


COMPRESS_ABOVE = 4096  # elements; smaller datasets are stored contiguous and plain


# local (skfem) -> VTK/XDMF order of the 10-node tetrahedron's edge nodes: VTK wants the
# edges (0,1), (1,2), (2,0), (0,3), (1,3), (2,3); matched geometrically, never assumed.
VTK_TET10_EDGES = ((0, 1), (1, 2), (2, 0), (0, 3), (1, 3), (2, 3))


VTK_TRI6_EDGES = ((0, 1), (1, 2), (2, 0))


#: The unit of every field a result offers (its ``fields()``), written as the ``unit``
#: attribute of the field's dataset: "1" for a dimensionless number (a strain, a wetness,
#: a 0/1 flag or an id), degC for a temperature. A field not listed here is refused by
#: the writer (add its unit here).
FIELD_UNITS: dict[str, str] = {
    "region_id": "1",
    # thermal
    "temperature": "degC",
    # mechanical
    "displacement": "m",
    "von_mises": "Pa",
    "stress": "Pa",
    "stress_nodal": "Pa",
    "von_mises_nodal": "Pa",
    "principal_max_nodal": "Pa",
    "state_temperature": "degC",
    # process history and inelastic states
    "active": "1",
    "equivalent_inelastic_strain": "1",
    "dissipated_energy_density": "J/m^3",
    "back_stress_norm": "Pa",
    # thermal cycling
    "joint_id": "1",
    "delta_w": "J/m^3",
    "interface_layer": "1",
    # moisture
    "moisture_wetness": "1",
    "moisture_concentration": "kg/m^3",
}


def field_unit(name: str) -> str:
    """The unit of the field ``name`` (:data:`FIELD_UNITS`); an unknown field is an
    :class:`~fea.errors.InputError`."""
    unit = FIELD_UNITS.get(name)
    if unit is None:
        raise InputError(
            "fields", name, f"a field with a unit in FIELD_UNITS ({', '.join(FIELD_UNITS)})"
        )
    return unit


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
    transient, ``labels`` and ``state_values`` of several mechanical states), or are None;
    a transient kept beside a steady result (``/thermal/transient``) is
    ``thermal["transient_temperature"]`` (steps, n) [degC] at
    ``thermal["transient_times"]`` (steps,) [s].
    ``centers`` maps ``"group/field"`` to ``"Node"`` or ``"Cell"`` (the kept transient's:
    ``"thermal/transient/temperature"``).
    ``thermal_mesh`` is set when the thermal field lives on its own mesh.
    ``curves`` maps a curve's name to its columns (name -> 1-D array), e.g.
    ``curves["zth"]["zth_K_per_W"]``.
    ``units`` maps ``"group/field"`` to the field's unit (``"degC"``, ``"Pa"``, ``"1"``...;
    files written before fields carried a ``unit`` attribute have none), and the time and
    state axes' (``"thermal/times"``, ``"thermal/transient/times"``: ``"s"``;
    ``"mechanical/state_values"``: ``"degC"``, ``"s"`` or ``"step"``) where the file gives
    them.
    ``moisture`` (None without a moisture run) maps ``moisture_wetness`` (s, n) [-] and
    ``moisture_concentration`` (s, m) [kg/m^3] (on ``mesh``), ``times`` (s,) [s],
    ``temperatures`` (s,) [degC] and ``labels`` (s,) of the moisture states;
    ``moisture_shown`` maps a name (``soak``, ``peak``, ``reflow``) to the index of the
    state the ``.xdmf`` sidecar shows on the package as ``<field>@<name>``.
    ``cycling`` (empty without ``[cycling]``) maps a table's name to its columns, as
    ``curves``: ``cycling["joints"]`` (one row per joint: ``dW_MJ_per_m3``, ``x_mm``, ...)
    and ``cycling["hysteresis_critical"]`` (the critical joint's layer after every
    solver step: ``shear_strain_pct``, ``shear_stress_MPa``, ``state``, ...;
    :meth:`fea.package.cycling.CyclingRun.tables`).
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
    units: dict[str, str] = field(default_factory=dict)
    moisture: dict[str, NDArray] | None = None
    moisture_shown: dict[str, int] = field(default_factory=dict)
    cycling: dict[str, dict[str, NDArray]] = field(default_factory=dict)

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


#: Centring of the fields of files written before datasets carried a ``center`` attribute.
LEGACY_CENTER = {
    "temperature": "Node",
    "displacement": "Node",
    "von_mises": "Cell",
    "stress": "Cell",
    "region_id": "Cell",
}


def field_datasets(group: Any) -> dict[str, Any]:
    """The field datasets of a ``/thermal``, ``/mechanical`` or ``/moisture`` group: name ->
    dataset, with their centring in ``dataset.attrs["center"]`` (or the legacy defaults)
    and their unit in ``dataset.attrs["unit"]``."""
    out = {}
    for name, ds in group.items():
        if not hasattr(ds, "shape"):
            continue
        if "center" in ds.attrs or name in LEGACY_CENTER:
            out[name] = ds
    return out


def field_center(ds: Any) -> str:
    """``"Node"`` or ``"Cell"``: where a field dataset's values live."""
    c = ds.attrs.get("center")
    if c is None:
        return LEGACY_CENTER[ds.name.rsplit("/", 1)[-1]]
    return c.decode() if isinstance(c, bytes) else str(c)
