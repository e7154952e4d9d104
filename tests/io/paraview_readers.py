"""Run by ``pvpython --force-offscreen-rendering`` from tests/io/test_xdmf.py.

Usage: pvpython paraview_readers.py JOB.json

JOB.json: ``expect`` (an npz of the arrays written, one key per [file, array] named
``<tag>/<array>``, with a leading step axis for series) and ``files`` (a list of
[tag, xdmf path as given to the reader]). Opens each file with ParaView's three XDMF
readers (the legacy ``XDMFReader`` and ``Xdmf3ReaderS``/``Xdmf3ReaderT``), and for each
time step prints, per array, the largest difference from what was written, and each
array read with another shape than written (``shape_mismatch``: name -> [read, written]
shapes, a failure). One JSON line.
"""

import json
import sys

import numpy as np
from paraview import servermanager
from paraview.simple import Delete, Xdmf3ReaderS, Xdmf3ReaderT, XDMFReader
from vtkmodules.numpy_interface import dataset_adapter as dsa


def blocks(reader, t):
    """The unstructured grids the reader produces at time t, wrapped for NumPy."""
    reader.UpdatePipeline(t)
    data = servermanager.Fetch(reader)
    if data.IsA("vtkUnstructuredGrid"):
        return [dsa.WrapDataObject(data)]
    out = []
    it = data.NewIterator()
    it.InitTraversal()
    while not it.IsDoneWithTraversal():
        out.append(dsa.WrapDataObject(it.GetCurrentDataObject()))
        it.GoToNextItem()
    return out


job = json.load(open(sys.argv[1]))
expect = np.load(job["expect"])
report = []
for tag, path in job["files"]:
    wanted = {k.split("/", 1)[1]: expect[k] for k in expect.files if k.split("/", 1)[0] == tag}
    for make in (XDMFReader, Xdmf3ReaderS, Xdmf3ReaderT):
        name = make.__name__
        reader = make(FileNames=[path]) if make is XDMFReader else make(FileName=[path])
        times = [float(t) for t in reader.TimestepValues] or [0.0]
        diffs = {}
        mismatch = {}
        names = set()
        for i, t in enumerate(times):
            for g in blocks(reader, t):
                for data in (g.PointData, g.CellData):
                    for a in data.keys():
                        names.add(a)
                        if a not in wanted:
                            continue
                        ref = wanted[a]
                        ref = (
                            ref[i]
                            if ref.ndim and ref.shape[0] == len(times) and len(times) > 1
                            else ref
                        )
                        got = np.asarray(data[a])
                        if got.shape != ref.shape:  # a wrong layout, not to be skipped
                            mismatch[a] = [list(got.shape), list(ref.shape)]
                            diffs[a] = float("inf")
                            continue
                        d = float(np.abs(got - ref).max())
                        diffs[a] = max(diffs.get(a, 0.0), d)
        report.append(
            {
                "file": tag,
                "path": path,
                "reader": name,
                "times": times,
                "arrays": sorted(names),
                "max_abs_diff": diffs,
                "shape_mismatch": mismatch,
            }
        )
        Delete(reader)
print(json.dumps(report))
