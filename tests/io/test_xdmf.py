"""The XDMF sidecar read back by other readers: meshio, the standard XDMF HyperSlab form
(parsed here), and ParaView's three XDMF readers (``-m paraview``)."""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np
import pytest

import fea
from fea.io import write_results

from .pvtools import check_paraview_readers, require_pvpython
from .test_results import MATS, solved
from .test_results import results_mesh as _mesh

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def case():
    return solved(2)


def _fields(h5: Path) -> dict[str, tuple[str, np.ndarray]]:
    """Every field dataset of the file read with h5py: name -> (center, values)."""
    out = {}
    with h5py.File(h5) as f:
        out["region_id"] = ("Cell", f["mesh/region_id"][()])
        for group in ("thermal", "mechanical"):
            for name, ds in f.get(group, {}).items():
                if isinstance(ds, h5py.Dataset) and "center" in ds.attrs:
                    c = ds.attrs["center"]
                    c = c.decode() if isinstance(c, bytes) else str(c)
                    out[name] = ("Node" if c.lower().startswith("n") else "Cell", ds[()])
    return out


@pytest.mark.parametrize("order", [1, 2])
def test_meshio_reads_mesh_and_every_field(case, tmp_path, order):
    import meshio

    if order == 1:
        case = solved(1)
    p = write_results(tmp_path / "m.h5", case.mesh, thermal=case.th, mechanical=case.me)
    m = meshio.read(p.with_suffix(".xdmf"))
    with h5py.File(p) as f:
        assert np.array_equal(m.points, f["mesh/nodes"][()])
        assert m.cells[0].type == {1: "tetra", 2: "tetra10"}[order]
        assert np.array_equal(m.cells[0].data, f["mesh/tets"][()])
    fields = _fields(p)
    assert len(fields) > 5
    for name, (center, values) in fields.items():
        got = m.point_data[name] if center == "Node" else m.cell_data[name][0]
        assert np.array_equal(got, values), name
    assert set(m.point_data) | set(m.cell_data) == set(fields)


def hyperslab(item: ET.Element, folder: Path) -> np.ndarray:
    """The values of a standard XDMF HyperSlab item, read with h5py and NumPy slicing."""
    sel, data = item.findall("DataItem")
    rank = len(data.get("Dimensions").split())
    start, stride, count = np.array(sel.text.split(), dtype=int).reshape(3, rank)
    file, _, ds = data.text.partition(":")
    with h5py.File(folder / file) as f:
        a = f[ds][()]
    idx = tuple(slice(s, s + st * c, st) for s, st, c in zip(start, stride, count, strict=True))
    return a[idx].reshape([int(v) for v in item.get("Dimensions").split()])


@pytest.mark.parametrize("kind", ["transient", "states"])
def test_every_step_has_a_standard_hyperslab(case, tmp_path, kind):
    """The legacy XDMF 2 form of each step selects that step of the series."""
    kw = (
        dict(thermal=case.tr, mechanical=case.me)
        if kind == "transient"
        else dict(thermal=case.th, mechanical={"25C": case.me, "260C": case.me2})
    )
    p = write_results(tmp_path / "s.h5", case.mesh, **kw)
    expect = (
        {"temperature": case.tr.history}
        if kind == "transient"
        else {
            "displacement": np.stack([case.me.displacement, case.me2.displacement]),
            "von_mises": np.stack([case.me.von_mises, case.me2.von_mises]),
        }
    )
    steps = ET.parse(p.with_suffix(".xdmf")).getroot().find("Domain/Grid").findall("Grid")
    assert len(steps) == len(next(iter(expect.values())))
    for i, g in enumerate(steps):
        for name, series in expect.items():
            attrs = [a for a in g.findall("Attribute") if a.get("Name") == name]
            assert len(attrs) == 2, name  # XDMF 3 selection and standard HyperSlab
            (slab,) = [a[0] for a in attrs if a[0].get("ItemType") == "HyperSlab"]
            assert np.array_equal(hyperslab(slab, tmp_path), series[i]), (name, i)


@pytest.mark.paraview
def test_every_paraview_xdmf_reader_reads_every_array(case, tmp_path):
    """XDMFReader, Xdmf3ReaderS and Xdmf3ReaderT open steady, transient, multi-state and
    package-plus-board files by absolute and relative path and read the written values."""
    pv = require_pvpython()
    c = case
    sub = tmp_path / "out"
    sub.mkdir()
    board = _mesh(1, 0.5e-3)
    th_board = fea.solve_thermal(
        board, MATS, sources={"base": 0.1}, fixed={"bottom": 30.0}, backend="cpu"
    )
    two = {"25C": c.me, "260C": c.me2}
    files = {
        "steady": dict(thermal=c.th, mechanical=c.me),
        "transient": dict(thermal=c.tr, mechanical=c.me),
        "states": dict(thermal=c.th, mechanical=two),
        "board": dict(thermal=th_board, mechanical=two),
    }
    for tag, kw in files.items():
        write_results(sub / f"{tag}.h5", c.mesh, **kw)
    stack = np.stack
    expect = {
        "steady/temperature": c.th.temperature,
        "steady/displacement": c.me.displacement,
        "steady/von_mises": c.me.von_mises,
        # the six stored components in every reader (as Tensor6 the legacy XDMFReader built
        # a 3 x 3 tensor in XDMF's order: its xy held the stored yy, ...)
        "steady/stress": c.me.stress,
        "steady/stress_nodal": c.me.fields()["stress_nodal"][0],
        "steady/region_id": c.mesh.region_of_elements(),
        "transient/temperature": c.tr.history,
        "transient/displacement": c.me.displacement,
        "transient/stress": c.me.stress,
        "states/displacement": stack([c.me.displacement, c.me2.displacement]),
        "states/von_mises": stack([c.me.von_mises, c.me2.von_mises]),
        "states/stress": stack([c.me.stress, c.me2.stress]),
        "states/stress_nodal": stack([r.fields()["stress_nodal"][0] for r in (c.me, c.me2)]),
        "states/temperature": c.th.temperature,
        "board/temperature": th_board.temperature,
        "board/displacement": stack([c.me.displacement, c.me2.displacement]),
        "board/stress": stack([c.me.stress, c.me2.stress]),
    }
    paths = [[tag, str(sub / f"{tag}.xdmf")] for tag in files]  # absolute
    paths += [["steady", "out/steady.xdmf"], ["states", "./out/states.xdmf"]]  # relative
    n_times = {"steady": 1, "transient": len(c.tr.times), "states": 2, "board": 2}
    for r in check_paraview_readers(pv, tmp_path, expect, paths, n_times):
        assert {"temperature", "displacement", "von_mises", "stress", "region_id"} <= set(
            r["arrays"]
        ), r


def run_paraview_script(pv: str, h5: Path) -> dict:
    """Write ``h5``'s ``result_paraview.py``, run it offscreen with no X display from the
    results folder (``--screenshot view.png`` there) and return its JSON report."""
    from fea.io.xdmf import write_paraview_script

    script = write_paraview_script(h5)
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    cmd = [pv, "--force-offscreen-rendering", script.name, "--screenshot", "view.png"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=h5.parent, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.paraview
def test_paraview_script_offscreen_colours_in_mpa(case, tmp_path):
    """``pvpython --force-offscreen-rendering result_paraview.py`` with no X display, run
    from the results folder by a relative path: it renders, and the colour bar is the
    recovered von Mises stress in MPa over its range in every state."""

    pv = require_pvpython()
    h5 = write_results(
        tmp_path / "result.h5",
        case.mesh,
        thermal=case.th,
        mechanical={"25C": case.me, "260C": case.me2},
        meta={"state_values": [25.0, 260.0], "state_unit": "C", "case": "c0"},
    )
    report = run_paraview_script(pv, h5)
    assert report["times"] == [25.0, 260.0]
    assert report["colour_bar_title"] == "von Mises [MPa]"
    vm = np.concatenate([s.fields()["von_mises_nodal"][0] for s in (case.me, case.me2)])
    assert report["colour_range_MPa"] == pytest.approx([vm.min() / 1e6, vm.max() / 1e6], rel=1e-6)
    from matplotlib.image import imread

    assert imread(tmp_path / "view.png").shape[:2] == (768, 1024)
