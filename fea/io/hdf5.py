"""Results files: HDF5 with an XDMF sidecar for ParaView (schema ``fea-results/1``).

Layout (DESIGN.md §5)::

    /                        attrs: schema, fea_version, created, study, case
    /mesh/nodes              (n, 3) float64, m (attribute unit)
    /mesh/tets               (m, 4|10) int64, VTK node order (10-node: vertices, then the
                             edges 01, 12, 20, 03, 13, 23)
    /mesh/region_id          (m,) int32; attrs region_names (JSON list, index = id)
    /mesh/boundaries/<name>  (k, 3|6) int64 facet connectivity (6: vertices, then 01, 12, 20)
    /thermal/temperature     (n,) or (steps, n), degC; /thermal/times (steps,) s
    /thermal/transient/temperature  (steps, n) degC, /thermal/transient/times (steps,) s:
                             a transient's kept fields beside the steady result (a
                             ``[transient]`` case of a study); ParaView: its own sidecar
                             ``<stem>_transient.xdmf``
    /thermal/curves/<name>/<column>  1-D curves of the thermal result (a heating curve
                             ``zth``: time_s, Tj_C, zth_K_per_W...; ``structure_function``:
                             R_K_per_W, C_J_per_K, K_W2s_per_K2); the unit is the column's
                             name suffix
    /mechanical/displacement (n, 3) or (states, n, 3), m; /mechanical/von_mises (m,) or
                             (states, m), Pa; /mechanical/stress (m, 6) or (states, m, 6), Pa,
                             Voigt xx, yy, zz, yz, xz, xy; /mechanical/labels (states,)
    /moisture/moisture_wetness (states, n) [1]; /moisture/moisture_concentration
                             (states, m) kg/m^3 (0 in impermeable regions);
                             /moisture/times (states,) s, /moisture/temperatures (states,)
                             degC, /moisture/labels (states,); attrs shown (JSON: soak,
                             peak, reflow -> state index); with a moisture run only
    /metrics                 attrs: Tj_max_C, theta_ja_K_per_W, warpage_um@25C, ...
    /solver                  attrs: thermal / mechanical solver records (JSON text)
    /inputs                  the validated inputs as JSON text

When the thermal result lives on another mesh than ``mesh`` (the package on its
test board, while the mechanics use the unit alone), that mesh is written under
``/thermal/mesh`` with the same layout, and the XDMF file has one grid per mesh.

Every field dataset carries a ``center`` attribute (``Node`` or ``Cell``) and a ``unit``
(:data:`fea.io.results_format.FIELD_UNITS`: ``degC``, ``m``, ``Pa``, ``J/m^3``,
``kg/m^3``, ``1`` for a dimensionless number); several mechanical states also store
``state_values`` (the time coordinate of each state in ParaView, e.g. its temperature)
with its ``unit``. The moisture states have their own sidecar, ``<stem>_moisture.xdmf``
(their own time axis), the kept transient beside a steady result its own,
``<stem>_transient.xdmf``; a file written without them removes a stale one.

A file is built in memory (HDF5's core driver) and written in one piece with its XDMF
sidecar through :func:`fea.io.atomic.write_atomic_files` (temporary names, both synced
before either is renamed, the .h5 renamed last): a crash never leaves a partial file under
the final name, a full disk leaves the previous pair as it was and is one clear error from
a plain write, never an HDF5 library left half-closed.

Checksums: the root attribute ``sha256`` holds a SHA-256 of each block (``/`` for the
root attributes, ``/mesh``, ``/thermal``, ``/mechanical``, ``/moisture``, ``/metrics``,
``/solver``, ``/inputs``) over everything the reader returns: dataset names, types,
shapes and values, and every attribute. Reading verifies them, so a flipped bit
anywhere, metrics included, is a :class:`~fea.errors.ResultsError` naming the block.
Large datasets also carry HDF5's Fletcher-32 per chunk. Before a dataset is read its
declared shape is checked against the bytes the file stores, links to other objects or
files, external and virtual storage are refused, and the mesh and fields are checked for
consistency (shapes, node and region ids in range), so every malformed file is a
ResultsError. A file whose metadata crash or hang the HDF5 library itself (C code: a
segmentation fault ends the process, no handler runs) is read first in a child process
(:func:`fea.io.hdf5_probe.probe_hdf5`, called by :func:`open_hdf5`): a ResultsError too.

The work is done by modules of one job each: :mod:`fea.io.results_format` (constants, the
returned data, the in-memory file, field centring), :mod:`fea.io.results_writer`
(:func:`write_results`), :mod:`fea.io.results_reader` (:func:`read_results`, the
checksums, the read limits) and :mod:`fea.io.results_describe` (``fea info``). This module
re-exports their public names; a test that changes a read limit patches
:mod:`fea.io.results_reader`, where it is used.
"""

from __future__ import annotations

from .results_describe import describe
from .results_format import (
    SCHEMA,
    MeshData,
    Results,
    field_center,
    field_datasets,
    memory_file,
)
from .results_reader import MAX_ATTRS, block_digests, open_hdf5, read_results
from .results_writer import write_results

__all__ = [
    "MAX_ATTRS",
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
