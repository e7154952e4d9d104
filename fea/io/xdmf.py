"""XDMF 3 sidecars: ParaView opens a results file's fields with no conversion.

The XDMF text references the HDF5 datasets by relative path. Every field dataset of
``/thermal`` and ``/mechanical`` (those with a ``center`` attribute, see
:func:`fea.io.hdf5.field_datasets`) becomes an attribute of its grid, so a new field
needs no code here.

Time in ParaView: a transient's times [s]; several mechanical states: each state's
``state_values`` -- the temperature [degC] of a temperature sweep, the step index of a
reflow profile (whose temperatures go up and down, and ParaView needs increasing
times; the temperature is then the nodal field ``state_temperature``). States whose values
are not distinct (a process stage ending where the reflow starts) are numbered 0, 1, ...
instead: ParaView keeps one grid per time and would hide all but one of them.

Transient kept beside a steady result (``/thermal/transient``, a ``[transient]`` case of
a study: the steady field in ``/thermal/temperature``, the heating's kept fields beside
it): ``<stem>_transient.xdmf`` (:func:`transient_xdmf_text`), one grid of the thermal
mesh per kept time, its time in s from the power step.

Moisture (``/moisture``, a ``[moisture]`` case): its states have a time axis of their
own (the soak's hours, then the reflow's seconds), so they are a second sidecar,
``<stem>_moisture.xdmf`` (:func:`moisture_xdmf_text`), one grid of the package per
state. The package's ``.xdmf`` shows the named states (the end of the soak, the reflow
peak, the end of the reflow) at every time as fields ``moisture_wetness@soak``,
``moisture_concentration@peak``, ...

Readers (checked in tests/io/test_xdmf.py):

- ParaView's ``Xdmf3ReaderS``/``Xdmf3ReaderT`` and the legacy ``XDMFReader`` read every
  field of every file, steady or series, package alone or with its board. A step of a
  series is written twice under one name: the XDMF 3 selection ``file:/ds|...`` (the
  XDMF 3 readers drop the standard form) and a standard ``HyperSlab`` item (the legacy
  reader drops the XDMF 3 form); the XDMF 3 readers print "Skipping unrecognized array
  type" for the form they drop. ParaView 5.11's XDMF 3 readers crash on a bare file name
  (``s.xdmf``, no folder part: they read ``s.xdmfs.h5``); ``./s.xdmf`` or an absolute
  path works, and the script below opens the file by its absolute path.
- A six-component field (``stress``, ``stress_nodal``: xx, yy, zz, yz, xz, xy) is a
  ``Matrix``: both ParaView readers give the six stored components, which ParaView names
  XX, YY, ZZ, XY, YZ, XZ (its XY is the stored yz; docs/outputs.md says how to reorder).
  As a ``Tensor6`` the legacy reader built a wrong 3 x 3 tensor (XDMF's Tensor6 order is
  xx, xy, xz, yy, yz, zz). In a series (a transient, or mechanical states with labels,
  which is what a study writes, even for one state) each component is also a scalar
  attribute under its true name, ``stress_xx``, ``stress_yy``, ``stress_zz``,
  ``stress_xy``, ``stress_yz``, ``stress_xz`` (``stress_nodal_xy``, ...): a column
  selection of the same dataset, no copy in the file. A steady file (one state written
  without labels, from Python) has none: meshio reads those files, and a selection after
  the dataset's path is not something meshio reads.
- ``meshio.read`` reads a steady result on one mesh (one uniform grid): the mesh and
  every point and cell field. meshio reads only whole HDF5 datasets and one grid, so a
  series (one dataset of shape (steps, ...)) or a package with its board is not
  readable by meshio; :func:`fea.io.read_results` reads them.

:func:`write_paraview_script` writes ``<name>_paraview.py`` next to a results file: run
``paraview --script=result_paraview.py`` (or ``pvpython result_paraview.py
--screenshot view.png``) to see the package warped by its displacement and coloured by
the recovered von Mises stress in MPa (the table's unit). With no X display it starts
a private ``Xvfb`` when one is installed, so ``pvpython --force-offscreen-rendering``
works on a headless machine with ParaView's X build.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .hdf5 import field_center, field_datasets

__all__ = [
    "SCALAR_COMPONENTS",
    "VOIGT_COMPONENTS",
    "moisture_xdmf_path",
    "moisture_xdmf_text",
    "paraview_script",
    "state_times",
    "transient_xdmf_path",
    "transient_xdmf_text",
    "write_paraview_script",
    "xdmf_text",
]

_NUM = {"f": ("Float", 8), "i": ("Int", None), "u": ("UInt", None)}


def _selection(ds: Any, step: int | None, column: int | None) -> tuple[list, list, list]:
    """The selection of ``ds`` that an attribute shows: the shape it has in ParaView, and
    the start and count of each axis of ``ds`` (``ds[step]`` of a (steps, ...) series,
    and of that only the component ``column`` of the last axis)."""
    rank = len(ds.shape)
    start = [0] * rank
    count = list(ds.shape)
    if step is not None:
        start[0], count[0] = step, 1
    if column is not None:
        start[-1], count[-1] = column, 1
    shape = list(ds.shape if step is None else ds.shape[1:])
    if column is not None:
        shape = shape[:-1]
    return shape, start, count


def _item(
    parent: ET.Element,
    h5name: str,
    ds: Any,
    step: int | None = None,
    column: int | None = None,
) -> ET.Element:
    """A DataItem referencing the HDF5 dataset ``ds``, or only ``ds[step]`` of a
    (steps, ...) series, or only its component ``column`` (of the last axis).

    ParaView's XDMF 3 reader ignores the standard ``ItemType="HyperSlab"`` wrapper; it
    reads a selection appended to the dataset path, ``file:/ds|start:stride:count:dims``
    (each part one number per axis), which is what a step or a component is written as.
    """
    shape, start, count = _selection(ds, step, column)
    kind, prec = _NUM[ds.dtype.kind]
    e = ET.SubElement(
        parent,
        "DataItem",
        Dimensions=" ".join(map(str, shape)),
        NumberType=kind,
        Precision=str(prec or ds.dtype.itemsize),
        Format="HDF",
    )
    e.text = f"{h5name}:{ds.name}"
    if step is not None or column is not None:
        parts = (start, [1] * len(ds.shape), count, list(ds.shape))
        e.text += "|" + ":".join(" ".join(map(str, v)) for v in parts)
    return e


def _indexed(values: Any) -> bool:
    """Whether the states of ``values`` get their index as time (see :func:`state_times`)."""
    v = [float(x) for x in values]
    return not (len(set(v)) == len(v) and all(math.isfinite(x) for x in v))


def state_times(values: Any) -> list[float]:
    """The time in ParaView of each mechanical state: its value (``state_values``), or
    its index when the values are not distinct and finite. ParaView keeps one grid per
    time value, so two states at one time (a stage ending where the reflow starts) would
    hide one of them; the values stay in the results file."""
    v = [float(x) for x in values]
    return [float(i) for i in range(len(v))] if _indexed(v) else v


def _grid(parent: ET.Element, name: str, h5name: str, mg: Any) -> ET.Element:
    grid = ET.SubElement(parent, "Grid", Name=name, GridType="Uniform")
    tets = mg["tets"]
    topo = ET.SubElement(
        grid,
        "Topology",
        NumberOfElements=str(tets.shape[0]),
        TopologyType="Tetrahedron_10" if tets.shape[1] == 10 else "Tetrahedron",
    )
    _item(topo, h5name, tets)
    geo = ET.SubElement(grid, "Geometry", GeometryType="XYZ")
    _item(geo, h5name, mg["nodes"])
    return grid


def _hyperslab(
    parent: ET.Element, h5name: str, ds: Any, step: int | None, column: int | None = None
) -> ET.Element:
    """``ds[step]`` of a (steps, ...) series (and of that the component ``column``) as
    the standard XDMF ``HyperSlab`` item: a (3, rank) XML item (start, stride, count) and
    the whole HDF5 dataset.

    ParaView's legacy ``XDMFReader`` (XDMF 2) reads this form; its XDMF 3 readers
    (``Xdmf3ReaderS``, ``Xdmf3ReaderT``) silently drop an attribute written this way.
    """
    shape, start, count = _selection(ds, step, column)
    rank = len(ds.shape)
    e = ET.SubElement(
        parent, "DataItem", ItemType="HyperSlab", Dimensions=" ".join(map(str, shape))
    )
    sel = ET.SubElement(e, "DataItem", Dimensions=f"3 {rank}", Format="XML")
    sel.text = " ".join(map(str, start + [1] * rank + count))
    _item(e, h5name, ds)
    return e


#: The components of a six-component (symmetric tensor) field as they are stored (Voigt:
#: xx, yy, zz, yz, xz, xy) and the order of the scalar attributes ``<field>_<component>``
#: written for each: ParaView names the six components of any array XX, YY, ZZ, XY, YZ,
#: XZ, so its XY of the six-component array is the stored yz; the scalars carry their
#: true names.
VOIGT_COMPONENTS = ("xx", "yy", "zz", "yz", "xz", "xy")
SCALAR_COMPONENTS = ("xx", "yy", "zz", "xy", "yz", "xz")


def _attribute(grid: ET.Element, h5name: str, name: str, ds: Any, step: int | None) -> None:
    """The dataset ``ds`` (or its step ``step``) as an attribute ``name`` of ``grid``.

    A step is written twice under the same name: once with the XDMF 3 selection that
    ParaView's XDMF 3 readers read (``file:/ds|start:stride:count:dims``) and once as a
    standard ``HyperSlab`` item that the legacy XDMF 2 reader reads. Each reader drops
    the form it does not understand, so each sees the attribute once.
    """
    shape = ds.shape if step is None else ds.shape[1:]
    width = 1 if len(shape) == 1 else shape[1]
    # six components (stress: Voigt xx, yy, zz, yz, xz, xy) as a Matrix, not a Tensor6:
    # the legacy XDMFReader reads a Tensor6 as xx, xy, xz, yy, yz, zz and builds a wrong
    # 3 x 3 tensor from it; as a Matrix both readers give the six stored components.
    # ParaView labels them XX, YY, ZZ, XY, YZ, XZ (its XY is the stored yz), so each
    # component is also an attribute of its own, <name>_xx ... <name>_xz, correctly named
    kind = {1: "Scalar", 3: "Vector"}.get(width, "Matrix")
    a = ET.SubElement(grid, "Attribute", Name=name, AttributeType=kind, Center=field_center(ds))
    _item(a, h5name, ds, step)
    if step is not None:
        a = ET.SubElement(grid, "Attribute", Name=name, AttributeType=kind, Center=field_center(ds))
        _hyperslab(a, h5name, ds, step)
    if width == 6 and step is not None:
        # each component under its own name, in both forms (a column is a selection). Not
        # in a steady file (one state written without labels): meshio reads those and
        # takes any text after the dataset's path as part of it
        for comp in SCALAR_COMPONENTS:
            col = VOIGT_COMPONENTS.index(comp)
            for form in (_item, _hyperslab):
                a = ET.SubElement(
                    grid,
                    "Attribute",
                    Name=f"{name}_{comp}",
                    AttributeType="Scalar",
                    Center=field_center(ds),
                )
                form(a, h5name, ds, step, col)


def _fields(grid: ET.Element, h5name: str, group: Any, step: int | None, series: bool) -> None:
    for name, ds in field_datasets(group).items():
        _attribute(grid, h5name, name, ds, step if series else None)


def xdmf_text(h5name: str, h5path: str | Any) -> str:
    """XDMF 3 text for the HDF5 file at ``h5path`` (datasets referenced as ``h5name``).

    One grid for the main mesh (``package``) and, when the thermal field has its own
    mesh, one for it (``thermal``), side by side in a spatial collection so ParaView
    reads both as blocks. A transient or several mechanical states make a temporal
    collection: time = the transient's time [s], or each state's ``state_values``
    (e.g. its temperature [degC]; the state index in files without them).
    """
    import h5py

    root = ET.Element("Xdmf", Version="3.0")
    domain = ET.SubElement(root, "Domain")
    with h5py.File(h5path, "r") as f:
        th = f.get("thermal")
        me = f.get("mechanical")
        th_own = th is not None and "mesh" in th
        series_th = th is not None and "times" in th
        series_me = me is not None and "labels" in me
        if series_th:
            n_last = me["labels"].shape[0] - 1 if series_me else None
            steps = [(repr(float(t)), f"step{i}", i, n_last) for i, t in enumerate(th["times"][()])]
        elif series_me:
            labels = [x.decode() if isinstance(x, bytes) else str(x) for x in me["labels"][()]]
            raw = me["state_values"][()] if "state_values" in me else range(len(labels))
            values = state_times(raw)
            steps = [
                (repr(float(v)), f"state {lab}", None, i)
                for i, (lab, v) in enumerate(zip(labels, values, strict=True))
            ]
        else:
            steps = [(None, "package", None, None)]

        mo = f.get("moisture")
        shown = _shown(mo)

        def package(parent: ET.Element, name: str, i_th: int | None, i_me: int | None) -> None:
            g = _grid(parent, name, h5name, f["mesh"])
            _attribute(g, h5name, "region_id", f["mesh"]["region_id"], None)
            if th is not None and not th_own:
                _fields(g, h5name, th, i_th, series_th)
            if me is not None:
                _fields(g, h5name, me, i_me, series_me)
            for key, k in shown.items():  # the moisture at its named states, every time
                for field_name, ds in field_datasets(mo).items():
                    _attribute(g, h5name, f"{field_name}@{key}", ds, k)

        def thermal(parent: ET.Element, i_th: int | None) -> None:
            g = _grid(parent, "thermal", h5name, th["mesh"])
            _attribute(g, h5name, "region_id", th["mesh"]["region_id"], None)
            _fields(g, h5name, th, i_th, series_th)

        parent = domain
        if steps[0][0] is not None:
            parent = ET.SubElement(
                domain, "Grid", Name="package", GridType="Collection", CollectionType="Temporal"
            )
        for time_value, name, i_th, i_me in steps:
            if th_own:
                holder = ET.SubElement(
                    parent, "Grid", Name=name, GridType="Collection", CollectionType="Spatial"
                )
                package(holder, "package", i_th, i_me)
                thermal(holder, i_th)
            else:
                package(parent, name, i_th, i_me)
                holder = parent[-1]
            if time_value is not None:
                holder.insert(0, ET.Element("Time", Value=time_value))
    ET.indent(root)
    return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _shown(mo: Any) -> dict[str, int]:
    """The moisture states shown on the package (``/moisture`` attribute ``shown``):
    name -> state index; empty without moisture."""
    if mo is None or "shown" not in mo.attrs:
        return {}
    raw = mo.attrs["shown"]
    shown = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    return {str(k): int(v) for k, v in shown.items()}


def _sidecar_path(h5path: str | Any, kind: str) -> Path:
    p = Path(h5path)
    return p.with_name(f"{p.stem}_{kind}.xdmf")


def _temporal_text(
    h5name: str, name: str, mesh: Any, group: Any, grids: list[str], times: list[float]
) -> str:
    """XDMF 3 text of a sidecar: a temporal collection ``name`` of the mesh group
    ``mesh``, one grid per entry of ``grids`` at its time in ``times``, with
    ``region_id`` and every field of ``group`` at that index (datasets as ``h5name``)."""
    root = ET.Element("Xdmf", Version="3.0")
    domain = ET.SubElement(root, "Domain")
    parent = ET.SubElement(
        domain, "Grid", Name=name, GridType="Collection", CollectionType="Temporal"
    )
    for k, (grid, t) in enumerate(zip(grids, times, strict=True)):
        g = _grid(parent, grid, h5name, mesh)
        g.insert(0, ET.Element("Time", Value=repr(float(t))))
        _attribute(g, h5name, "region_id", mesh["region_id"], None)
        _fields(g, h5name, group, k, True)
    ET.indent(root)
    return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def moisture_xdmf_path(h5path: str | Any) -> Path:
    """The moisture sidecar of the results file ``h5path``: ``<stem>_moisture.xdmf``."""
    return _sidecar_path(h5path, "moisture")


def moisture_xdmf_text(h5name: str, h5path: str | Any) -> str:
    """XDMF 3 text of the moisture states of the HDF5 file at ``h5path`` (``/moisture``,
    datasets referenced as ``h5name``): a temporal collection of the main mesh, one grid
    per state named ``state <label>`` with ``region_id`` and every moisture field at that
    state; its time is the state's time [s] from the start of the soak, or the state
    index where two states share a time (a soak to equilibrium): :func:`state_times`.

    The moisture states have their own time axis (hours of soak, then seconds of
    reflow), which is why they are a file of their own: in the package's ``.xdmf`` a
    second temporal collection would share ParaView's one time axis with the mechanical
    states (temperatures or indices), seconds mixed with degrees, and the mechanical
    grid would be looked up at moisture times (``result_paraview.py`` reads the
    displacement at every time of the file). The package's ``.xdmf`` shows the named
    states (``moisture_shown``) instead, as fields ``<field>@<name>``.
    """
    import h5py

    with h5py.File(h5path, "r") as f:
        mo = f["moisture"]
        labels = [x.decode() if isinstance(x, bytes) else str(x) for x in mo["labels"][()]]
        grids = [f"state {label}" for label in labels]
        return _temporal_text(
            h5name, "moisture", f["mesh"], mo, grids, state_times(mo["times"][()])
        )


def transient_xdmf_path(h5path: str | Any) -> Path:
    """The transient sidecar of the results file ``h5path``: ``<stem>_transient.xdmf``."""
    return _sidecar_path(h5path, "transient")


def transient_xdmf_text(h5name: str, h5path: str | Any) -> str:
    """XDMF 3 text of the transient kept beside a steady thermal result in the HDF5 file
    at ``h5path`` (``/thermal/transient``: ``temperature`` (steps, n) degC and ``times``
    (steps,) s; datasets referenced as ``h5name``): a temporal collection of the thermal
    mesh (``/thermal/mesh`` when it has its own, else ``/mesh``), one grid per kept time
    named ``time <t> s`` with ``region_id`` and the temperature at that time; its time in
    ParaView is the time [s] from the power step (the step index where two share one,
    :func:`state_times`).

    A file of its own, as the moisture states are: the package's ``.xdmf`` holds the
    steady field, or the mechanical states on their own time axis (temperatures, steps).
    """
    import h5py

    with h5py.File(h5path, "r") as f:
        th = f["thermal"]
        tr = th["transient"]
        mg = th["mesh"] if "mesh" in th else f["mesh"]
        raw = [float(t) for t in tr["times"][()]]
        grids = [f"time {t:g} s" for t in raw]
        return _temporal_text(h5name, "transient", mg, tr, grids, state_times(raw))


_PARAVIEW_SCRIPT = '''"""Open {docstring_xdmf} in ParaView: the package warped by its displacement
(scaled so the largest shows as 10 % of the part) and coloured by the recovered von
Mises stress in MPa (the unit of the study table); a file without mechanical results
coloured by its temperature.

    paraview --script={name}                  (the GUI)
    pvpython --force-offscreen-rendering {name} [--screenshot view.png]
                                              (no GUI; with no X display the script
                                              starts a private Xvfb if one is installed)

Written by fea {version}. Time: {time_note}.
"""

import atexit
import builtins
import json
import os
import shutil
import subprocess
import sys


def _private_display():
    """Start an Xvfb server for this run when there is no X display: ParaView builds
    that render through X (most Linux packages) crash without one, even offscreen."""
    if os.environ.get("DISPLAY") or not sys.platform.startswith("linux"):
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        return
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-noreset"]
        + ["-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    # the server writes the number, then a newline: closing the pipe before the newline
    # makes it stop with "Cannot write display number"
    text = b""
    while not text.endswith(b"\\n"):
        chunk = os.read(read, 32)
        if not chunk:
            break
        text += chunk
    os.close(read)
    number = text.decode().strip()
    if not number.isdigit():
        server.terminate()
        return
    os.environ["DISPLAY"] = ":" + number

    def stop():
        server.terminate()
        server.wait(10)

    atexit.register(stop)


_private_display()

from paraview.simple import (  # noqa: E402 (after the display is there)
    Calculator,
    ColorBy,
    GetActiveViewOrCreate,
    GetAnimationScene,
    GetColorTransferFunction,
    GetScalarBar,
    ProgrammableFilter,
    Render,
    ResetCamera,
    SaveScreenshot,
    Show,
    Text,
    WarpByVector,
    Xdmf3ReaderS,
)

try:
    HERE = os.path.dirname(os.path.abspath(__file__))
except NameError:  # run from the GUI's Python shell
    HERE = {folder!r}
XDMF = os.path.join(HERE, {xdmf!r})  # ParaView's XDMF reader wants an absolute path
CASE = {case!r}
COLOUR = {colour!r}  # the recovered von Mises stress [Pa] in the file (or the temperature)
WARP = {warp!r}  # False: a file without mechanical results, coloured by its temperature
FACTOR = 1e-6 if WARP else 1.0  # file unit -> shown unit (Pa -> MPa, as in the table)
SHOWN = COLOUR + ("_MPa" if WARP else "_C")  # what the colours show
KEEP_PACKAGE = """
d = self.GetInputDataObject(0, 0)
out = self.GetOutputDataObject(0)
if d.IsA("vtkDataSet"):
    out.ShallowCopy(d)
else:
    it = d.NewIterator()
    it.InitTraversal()
    while not it.IsDoneWithTraversal():
        block = it.GetCurrentDataObject()
        if block.GetPointData().HasArray({keep!r}):
            out.ShallowCopy(block)
            break
        it.GoToNextItem()
"""


def main():
    # a function: each run of the programmable filter puts VTK's array functions (max,
    # size, ...) into the module namespace, so nothing here may rely on global names
    reader = Xdmf3ReaderS(FileName=[XDMF])
    times = list(reader.TimestepValues)
    # a thermal field on its own mesh (the board) is a second block: keep the package
    package = ProgrammableFilter(Input=reader)
    package.OutputDataSetType = "vtkUnstructuredGrid"
    package.Script = KEEP_PACKAGE
    package.UpdatePipeline(times[-1] if times else 0.0)
    info = package.GetDataInformation()
    b = info.GetBounds()
    extent = builtins.max(b[1] - b[0], b[3] - b[2], b[5] - b[4])
    largest = 0.0
    for t in (times or [0.0]) if WARP else []:
        package.UpdatePipeline(t)
        largest = builtins.max(largest, package.PointData["displacement"].GetRange(-1)[1])
    scale = 0.1 * extent / largest if largest > 0 else 1.0

    warp = package
    if WARP:
        warp = WarpByVector(Input=package, Vectors=["POINTS", "displacement"], ScaleFactor=scale)
    mpa = Calculator(Input=warp, ResultArrayName=SHOWN, Function="%s * %r" % (COLOUR, FACTOR))
    mpa.AttributeType = "Point Data"
    view = GetActiveViewOrCreate("RenderView")
    view.ViewSize = [1024, 768]
    display = Show(mpa, view)
    ColorBy(display, ("POINTS", SHOWN))
    lut = GetColorTransferFunction(SHOWN)
    lut.ApplyPreset("Viridis (matplotlib)", True)
    display.RescaleTransferFunctionToDataRangeOverTime()
    display.SetScalarBarVisibility(view, True)
    bar = GetScalarBar(lut, view)
    bar.Title = "von Mises [MPa]" if WARP else "temperature [C]"
    bar.ComponentTitle = "(recovered, nodal)" if WARP else ""
    text = (
        "%s: displacement x %.3g, colour: recovered von Mises stress [MPa]" % (CASE, scale)
        if WARP
        else "%s: colour: temperature [C]" % CASE
    )
    Show(Text(Text=text), view).FontSize = 14
    GetAnimationScene().UpdateAnimationUsingDataTimeSteps()
    view.CameraPosition = [1.0, -1.5, 1.2]
    view.CameraFocalPoint = [0.0, 0.0, 0.0]
    view.CameraViewUp = [0.0, 0.0, 1.0]
    ResetCamera(view)
    Render(view)
    if "--screenshot" in sys.argv:
        png = sys.argv[sys.argv.index("--screenshot") + 1]
        SaveScreenshot(png, view, ImageResolution=[1024, 768])
        rgb = list(lut.RGBPoints)
        summary = {{
            "times": times,
            "points": int(info.GetNumberOfPoints()),
            "point_arrays": sorted(package.PointData.keys()),
            "scale": scale,
            "colour": COLOUR,
            "colour_array": SHOWN,
            "colour_bar_title": bar.Title,
            "colour_range_shown": [rgb[0], rgb[-4]],
            "colour_range": [rgb[0] / FACTOR, rgb[-4] / FACTOR],  # in the file's unit
        }}
        if WARP:
            summary["colour_range_MPa"] = [rgb[0], rgb[-4]]
        print(json.dumps(summary))


main()
'''


def _docstring_safe(text: str) -> str:
    """``text`` as it may stand inside the script's docstring: backslashes and quotes
    escaped (a file name is any text)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def paraview_script(h5path: str | Any, case: str = "") -> str:
    """The text of the ParaView script for the results file ``h5path`` (its ``.xdmf``
    sidecar next to it); see the module docstring."""
    import h5py

    from .. import __version__

    path = Path(h5path).resolve()
    with h5py.File(path, "r") as f:
        me = f.get("mechanical")
        th = f.get("thermal")
        if me is not None and "state_values" in me and _indexed(me["state_values"][()]):
            note = "the state index (the states' values are not distinct: /mechanical/state_values)"
        elif me is not None and "state_values" in me:
            unit = str(me["state_values"].attrs.get("unit", ""))
            note = {
                "C": "the state temperature [C]",  # files written before degC
                "degC": "the state temperature [C]",
                "step": "the profile step (the temperature is the field state_temperature)",
            }.get(unit, unit or "index")
        elif th is not None and "times" in th:
            note = "the transient's time [s]"
        else:
            note = "one state"
        colour = "von_mises_nodal" if me is not None and "von_mises_nodal" in me else "von_mises"
        if me is None:
            colour = "temperature"
        case = case or str(f.attrs.get("case", ""))
    return _PARAVIEW_SCRIPT.format(
        xdmf=path.with_suffix(".xdmf").name,
        name=_docstring_safe(path.stem + "_paraview.py"),
        docstring_xdmf=_docstring_safe(path.with_suffix(".xdmf").name),
        folder=str(path.parent),
        version=__version__,
        time_note=_docstring_safe(note),
        colour=colour,
        warp=me is not None,
        keep="displacement" if me is not None else "temperature",
        case=case or path.stem,
    )


def write_paraview_script(h5path: str | Any, case: str = "") -> Any:
    """Write ``<stem>_paraview.py`` next to the results file ``h5path``; returns its path."""
    from .atomic import write_atomic

    target = Path(h5path).with_name(Path(h5path).stem + "_paraview.py")
    write_atomic(target, paraview_script(h5path, case))
    return target
