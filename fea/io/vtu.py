"""meshio views of a results file: VTU export (for tools that do not read XDMF) and
:func:`to_meshio` for notebooks (``fea.read_results(path).to_meshio()``)."""

from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from .atomic import atomic_path
from .hdf5 import Results, read_results
from .xdmf import SCALAR_COMPONENTS, VOIGT_COMPONENTS

__all__ = ["export_vtu", "to_meshio", "vtu_targets"]


def to_meshio(results: Results, state: int | str | None = None, mesh: str = "main") -> Any:
    """A results file's mesh and fields as a :class:`meshio.Mesh` (for notebooks).

    ``mesh``: ``"main"`` (the mechanical mesh, with the thermal field when it lives
    there) or ``"thermal"`` (the thermal field's own mesh, e.g. the board). Without
    ``state`` every stored field is there: a transient's fields at the last step under
    their own name and every step as ``<name>_<i>``; several mechanical states as
    ``<name>_<label>``. With ``state`` (a mechanical state's label or index, or a
    transient's step index) only that state's fields, under their plain names.
    The moisture states (a time axis of their own) are there without ``state``, as
    ``<name>_<label>``, and left out with it. ``region_id`` is cell data. A
    six-component field (``stress``: xx, yy, zz, yz, xz, xy) comes with its components
    as scalars under their true names, ``stress_xx`` ... ``stress_xz`` (``stress_xy_25C``
    for a state): ParaView names the six components XX, YY, ZZ, XY, YZ, XZ, so its XY
    of the six-component array is the stored yz.
    """
    import meshio

    r = results
    if state is not None and (
        isinstance(state, bool | np.bool_) or not isinstance(state, str | numbers.Integral)
    ):
        # a float or a bool was taken for no state: every state came back, suffixed
        raise InputError("state", state, "a state's label (text) or index (an integer)")
    if mesh not in ("main", "thermal"):
        raise InputError("mesh", mesh, "'main' or 'thermal'")
    m = r.mesh if mesh == "main" else r.thermal_mesh
    if m is None:
        raise InputError("mesh", mesh, "'main' (this file has no separate thermal mesh)")
    point: dict = {}
    cell: dict = {}

    def add(group: str, data: dict) -> None:
        labels = data.get("labels")
        transient = "times" in data and labels is None  # the moisture states have both
        index = None
        if state is not None:
            if labels is not None and isinstance(state, str):
                names = [str(x) for x in labels]
                if state not in names:
                    raise InputError("state", state, f"one of {', '.join(names)}")
                index = names.index(state)
            elif isinstance(state, numbers.Integral) and not isinstance(state, bool | np.bool_):
                n = len(labels) if labels is not None else len(data.get("times", ()))
                if n and not -n <= state < n:
                    raise InputError("state", state, f"an index from {-n} to {n - 1}")
                index = int(state)
        for name, values in data.items():
            center = r.centers.get(f"{group}/{name}")
            if center is None:
                continue
            target = point if center == "Node" else cell

            def put(suffix: str, v: Any, name: str = name, target: dict = target) -> None:
                target[name + suffix] = v
                if np.ndim(v) == 2 and np.shape(v)[1] == len(VOIGT_COMPONENTS):
                    for comp in SCALAR_COMPONENTS:  # true names (ParaView's XY is yz)
                        target[f"{name}_{comp}{suffix}"] = v[:, VOIGT_COMPONENTS.index(comp)]

            series = transient or labels is not None
            if series and index is not None:
                put("", values[index])
            elif transient:
                for i, v in enumerate(values):
                    put(f"_{i}", v)
                put("", values[-1])
            elif labels is not None:
                for lab, v in zip(labels, values, strict=True):
                    put(f"_{lab}", v)
            else:
                put("", values)

    own_thermal = r.thermal_mesh is not None
    if r.thermal is not None and own_thermal == (mesh == "thermal"):
        add("thermal", r.thermal)
    if r.mechanical is not None and mesh == "main":
        add("mechanical", r.mechanical)
    if r.moisture is not None and mesh == "main" and state is None:
        add("moisture", r.moisture)  # its own states: every one as <name>_<label>
    cells = [("tetra10" if m.order == 2 else "tetra", m.tets)]
    cell_data = {k: [np.asarray(v)] for k, v in cell.items()}
    cell_data["region_id"] = [m.region_id]
    return meshio.Mesh(m.nodes, cells, point_data=point, cell_data=cell_data)


def export_vtu(path: str | os.PathLike, out: str | os.PathLike | None = None) -> list[Path]:
    """Convert a results file to VTK unstructured grids (``.vtu``) through meshio.

    The main mesh goes to ``out`` (default: ``path`` with suffix ``.vtu``) with
    ``region_id`` and every stored field (:func:`to_meshio`). A thermal field on its own
    mesh goes to ``<out stem>_thermal.vtu``. Written atomically like the HDF5 file.
    Returns the written paths.

    ``out`` must end in ``.vtu`` and may not be the results file itself (``fea info r.h5
    --vtu r.h5`` replaced the results with their VTU export): either is an
    :class:`~fea.errors.InputError`, before anything is read or written.
    """
    import meshio

    targets = vtu_targets(path, out)
    r = read_results(path)
    if r.thermal_mesh is None:
        targets = targets[:1]
    written: list[Path] = []
    for target, which in targets:
        with atomic_path(target, extension=".vtu") as tmp:
            meshio.write(tmp, to_meshio(r, mesh=which), file_format="vtu")
        written.append(target)
    return written


def vtu_targets(
    path: str | os.PathLike, out: str | os.PathLike | None = None, key: str = "out"
) -> list[tuple[Path, str]]:
    """The files :func:`export_vtu` may write for the results file ``path``: ``[(out,
    "main"), (<out stem>_thermal.vtu, "thermal")]``, ``out`` by default ``path`` with
    suffix ``.vtu``. Each must end in ``.vtu`` and not be the results file itself: an
    :class:`~fea.errors.InputError` at ``key`` otherwise. Reads nothing."""
    out = Path(out) if out is not None else Path(path).with_suffix(".vtu")
    targets = [(out, "main"), (out.with_name(out.stem + "_thermal.vtu"), "thermal")]
    for target, _ in targets:
        if target.suffix.lower() != ".vtu":
            raise InputError(key, str(target), "a file name ending in .vtu")
        if _same_file(target, Path(path)):
            raise InputError(key, str(target), f"a file other than the results file {path}")
    return targets


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (both exist and are the same inode)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False
