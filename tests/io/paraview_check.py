"""Run by ``pvpython --force-offscreen-rendering`` from tests/io/test_results.py.

Usage: pvpython paraview_check.py JOB.json

JOB.json: ``expect`` (npz of the written arrays), ``steady`` (an .xdmf with temperature,
displacement and von Mises), ``png`` (where to render), ``series`` (a list of
[xdmf, array name, npz key]: a temporal file and the expected array per time step).
Opens each file with ParaView's own XDMF 3 reader, compares the arrays with what was
written, renders the warped package coloured by von Mises and prints one JSON line.
"""

import json
import sys

import numpy as np
from paraview import servermanager
from paraview.simple import (
    ColorBy,
    GetActiveViewOrCreate,
    ResetCamera,
    SaveScreenshot,
    Show,
    WarpByVector,
    Xdmf3ReaderS,
)
from vtkmodules.numpy_interface import dataset_adapter as dsa


def fetch(reader, t=None):
    """The unstructured grid the reader produces (at time t), wrapped for NumPy."""
    reader.UpdatePipeline() if t is None else reader.UpdatePipeline(t)
    data = servermanager.Fetch(reader)
    if not data.IsA("vtkUnstructuredGrid"):
        it = data.NewIterator()
        it.InitTraversal()
        data = it.GetCurrentDataObject()
    return dsa.WrapDataObject(data)


job = json.load(open(sys.argv[1]))
expect = np.load(job["expect"])

reader = Xdmf3ReaderS(FileName=[job["steady"]])
grid = fetch(reader)
T = np.asarray(grid.PointData["temperature"])
u = np.asarray(grid.PointData["displacement"])
vm = np.asarray(grid.CellData["von_mises"])
types = sorted({int(grid.VTKObject.GetCellType(i)) for i in range(grid.GetNumberOfCells())})
report = {
    "n_points": int(grid.GetNumberOfPoints()),
    "n_cells": int(grid.GetNumberOfCells()),
    "cell_types": types,
    "temperature_range": [float(T.min()), float(T.max())],
    "displacement_max_abs_diff": float(np.abs(u - expect["displacement"]).max()),
    "von_mises_max_abs_diff": float(np.abs(vm - expect["von_mises"]).max()),
    "series": [],
}

for path, name, key in job["series"]:
    r = Xdmf3ReaderS(FileName=[path])
    times = [float(t) for t in r.TimestepValues]
    diffs = []
    for i, t in enumerate(times):
        a = np.asarray(fetch(r, t).PointData[name])
        diffs.append(float(np.abs(a - expect[key][i]).max()))
    report["series"].append({"file": path, "times": times, "max_abs_diff": diffs})

# a file with the package and its board as two blocks, two mechanical states
r = Xdmf3ReaderS(FileName=[job["blocks"]])
times = [float(t) for t in r.TimestepValues]
r.UpdatePipeline(times[-1])
data = servermanager.Fetch(r)
grids = []
if data.IsA("vtkUnstructuredGrid"):
    grids.append(dsa.WrapDataObject(data))
else:
    it = data.NewIterator()
    it.InitTraversal()
    while not it.IsDoneWithTraversal():
        grids.append(dsa.WrapDataObject(it.GetCurrentDataObject()))
        it.GoToNextItem()
by_array = {}
for g in grids:
    for name in g.PointData.keys():
        by_array[name] = np.asarray(g.PointData[name])
report["blocks"] = {
    "times": times,
    "n_points": sorted(int(g.GetNumberOfPoints()) for g in grids),
    "board_temperature_diff": float(
        np.abs(by_array["temperature"] - expect["board_temperature"]).max()
    ),
    "state1_displacement_diff": float(np.abs(by_array["displacement"] - expect["states"][1]).max()),
}

# warp so the largest displacement shows as 10 % of the package size
size = float(np.ptp(np.asarray(grid.Points), axis=0).max())
scale = 0.1 * size / max(float(np.linalg.norm(u, axis=1).max()), 1e-300)
warp = WarpByVector(Input=reader, Vectors=["POINTS", "displacement"], ScaleFactor=scale)
view = GetActiveViewOrCreate("RenderView")
view.ViewSize = [640, 480]
display = Show(warp, view)
ColorBy(display, ("CELLS", "von_mises"))
display.RescaleTransferFunctionToDataRange(True, False)
display.SetScalarBarVisibility(view, True)
view.CameraPosition = [1.0, -1.5, 1.2]
view.CameraFocalPoint = [0.0, 0.0, 0.0]
view.CameraViewUp = [0.0, 0.0, 1.0]
ResetCamera(view)
SaveScreenshot(job["png"], view, ImageResolution=[640, 480])
print(json.dumps(report))
