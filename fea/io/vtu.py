"""VTU export of a results file through meshio (for tools that do not read XDMF)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .atomic import atomic_path
from .hdf5 import MeshData, read_results

__all__ = ["export_vtu"]


def export_vtu(path: str | os.PathLike, out: str | os.PathLike | None = None) -> list[Path]:
    """Convert a results file to VTK unstructured grids (``.vtu``) through meshio.

    The main mesh goes to ``out`` (default: ``path`` with suffix ``.vtu``) with
    ``region_id`` and every stored field: a transient's fields at the last step under
    their own name and every step as ``<name>_<i>``; several mechanical states as
    ``<name>_<label>``. A thermal field on its own mesh goes to
    ``<out stem>_thermal.vtu``. Written atomically like the HDF5 file. Returns the
    written paths.
    """
    import meshio

    r = read_results(path)
    out = Path(out) if out is not None else Path(path).with_suffix(".vtu")
    written: list[Path] = []

    def add(group: str, data: dict, point: dict, cell: dict) -> None:
        labels = data.get("labels")
        transient = "times" in data
        for name, values in data.items():
            center = r.centers.get(f"{group}/{name}")
            if center is None:
                continue
            target = point if center == "Node" else cell
            if transient:
                for i, v in enumerate(values):
                    target[f"{name}_{i}"] = v
                target[name] = values[-1]
            elif labels is not None:
                for lab, v in zip(labels, values, strict=True):
                    target[f"{name}_{lab}"] = v
            else:
                target[name] = values

    def write(target: Path, m: MeshData, point: dict, cell: dict) -> None:
        cells = [("tetra10" if m.order == 2 else "tetra", m.tets)]
        cell_data = {k: [np.asarray(v)] for k, v in cell.items()}
        cell_data["region_id"] = [m.region_id]
        mesh = meshio.Mesh(m.nodes, cells, point_data=point, cell_data=cell_data)
        with atomic_path(target, extension=".vtu") as tmp:
            meshio.write(tmp, mesh, file_format="vtu")
        written.append(target)

    point: dict = {}
    cell: dict = {}
    if r.thermal is not None and r.thermal_mesh is None:
        add("thermal", r.thermal, point, cell)
    if r.mechanical is not None:
        add("mechanical", r.mechanical, point, cell)
    write(out, r.mesh, point, cell)
    if r.thermal_mesh is not None:
        tp: dict = {}
        tc: dict = {}
        add("thermal", r.thermal, tp, tc)
        write(out.with_name(out.stem + "_thermal.vtu"), r.thermal_mesh, tp, tc)
    return written
