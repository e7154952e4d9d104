"""Input/output: results files (HDF5 with fields as named datasets), their XDMF sidecars
for ParaView, VTU export, and the atomic-write helper every writer of :mod:`fea` uses.
Nothing else in :mod:`fea` touches HDF5."""

from __future__ import annotations

from .atomic import atomic_path, write_atomic
from .curves import read_curve_csv, write_curves_csv
from .hdf5 import SCHEMA, MeshData, Results, describe, read_results, write_results
from .table import read_frame, read_table, read_units, write_table
from .vtu import export_vtu

__all__ = [
    "MeshData",
    "Results",
    "SCHEMA",
    "atomic_path",
    "describe",
    "export_vtu",
    "read_curve_csv",
    "read_frame",
    "read_results",
    "read_table",
    "read_units",
    "write_atomic",
    "write_curves_csv",
    "write_results",
    "write_table",
]
