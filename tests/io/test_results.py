"""Results files: HDF5 round trip, XDMF for ParaView and meshio, atomic writes, bad files."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np
import pytest

import fea
from fea.cli import main
from fea.errors import InputError, ResultsError
from fea.io import SCHEMA, describe, export_vtu, read_results, write_results
from fea.physics.materials import Material

from ..verification.helpers import layered_box, plane
from .pvtools import require_pvpython, x_display

ROOT = Path(__file__).resolve().parents[2]

MATS = {
    "base": Material("base", E=120e9, nu=0.3, alpha=17e-6, k=200.0, rho=8900.0, cp=385.0),
    "mold": Material("mold", E=20e9, nu=0.3, alpha=9e-6, k=0.8, rho=1900.0, cp=900.0),
}
FACES = {"bottom": plane(2, 0.0), "top": plane(2, 0.5e-3)}


def results_mesh(order: int, h: float = 0.4e-3):
    return layered_box(
        (2e-3, 1e-3), [("base", 0.2e-3, 1), ("mold", 0.3e-3, 1)], h, order=order, faces=FACES
    )


class Case:
    """A small two-layer block: steady and transient heating, two mechanical states."""

    def __init__(self, order: int) -> None:
        self.mesh = results_mesh(order)
        m = self.mesh
        kw = dict(sources={"base": 0.2}, convection={"top": (2000.0, 25.0)}, backend="cpu")
        self.th = fea.solve_thermal(m, MATS, **kw)
        self.tr = fea.solve_thermal(m, MATS, transient=fea.Transient(2.0, 0.5), **kw)
        self.me = fea.solve_thermoelastic(m, MATS, self.th.temperature, 25.0, backend="cpu")
        self.me2 = fea.solve_thermoelastic(m, MATS, 260.0, 25.0, backend="cpu")


@functools.cache
def solved(order: int) -> Case:
    """:class:`Case` of ``order``, built once and shared by the tests of this file (which
    only read it)."""
    return Case(order)


@pytest.fixture(scope="module", params=[1, 2], ids=["P1", "P2"])
def case(request):
    return solved(request.param)


def _same_mesh(md, mesh, space) -> None:
    assert np.array_equal(md.nodes, space.nodes)
    assert np.array_equal(md.tets[:, :4], mesh.p1.t.T)
    assert md.order == mesh.order
    assert md.region_names == list(mesh.regions)
    for name, idx in mesh.regions.items():
        assert np.array_equal(np.sort(md.region(name)), np.sort(idx))
    assert set(md.boundaries) == set(mesh.boundaries)
    for name, facets in mesh.boundaries.items():
        tri = np.sort(md.boundaries[name][:, :3], axis=1)
        assert np.array_equal(tri, np.sort(mesh.p1.facets[:, facets].T, axis=1))


def test_round_trip_steady(case, tmp_path):
    meta = {
        "study": "unit-test",
        "case": "c0",
        "metrics": {"Tj_max": 81.5, "theta_ja": 12.25},
        "inputs": {"geometry": {"shell_thickness_um": 35.0}, "materials": {"shell": "copper"}},
    }
    p = write_results(tmp_path / "r.h5", case.mesh, thermal=case.th, mechanical=case.me, meta=meta)
    assert p == tmp_path / "r.h5" and p.with_suffix(".xdmf").is_file()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["r.h5", "r.xdmf"]  # no leftovers
    r = read_results(p)
    assert r.schema == SCHEMA and r.attrs["fea_version"] == fea.__version__
    assert r.attrs["study"] == "unit-test" and r.attrs["case"] == "c0"
    assert r.attrs["created"][:4].isdigit()
    _same_mesh(r.mesh, case.mesh, case.me.space)
    assert np.array_equal(r.thermal["temperature"], case.th.temperature)
    assert "times" not in r.thermal
    assert np.array_equal(r.mechanical["displacement"], case.me.displacement)
    assert np.array_equal(r.mechanical["von_mises"], case.me.von_mises)
    assert np.array_equal(r.mechanical["stress"], case.me.stress)
    assert r.metrics["Tj_max"] == 81.5 and r.metrics["theta_ja"] == 12.25
    assert r.inputs == meta["inputs"]
    assert r.solver["thermal"]["backend"] == "cpu"
    assert r.solver["mechanical"]["iterations"] == case.me.solver_info["iterations"]
    assert r.solver["backend"] == "cpu"  # flat summary of DESIGN.md section 5
    # the stored mesh rebuilds an equivalent fea.Mesh
    m2 = r.mesh.to_mesh()
    assert m2.order == case.mesh.order and m2.n_elements == case.mesh.n_elements
    for name in case.mesh.boundaries:
        assert np.array_equal(np.sort(m2.boundaries[name]), np.sort(case.mesh.boundaries[name]))


def test_round_trip_transient_and_states(case, tmp_path):
    p = write_results(
        tmp_path / "t.h5", case.mesh, thermal=case.tr, mechanical={"25C": case.me, "260C": case.me2}
    )
    r = read_results(p)
    assert np.array_equal(r.thermal["times"], case.tr.times)
    assert r.thermal["temperature"].shape == (len(case.tr.times), case.me.space.n)
    assert np.array_equal(r.thermal["temperature"], case.tr.history)
    assert list(r.mechanical["labels"]) == ["25C", "260C"]
    assert np.array_equal(r.mechanical["displacement"][1], case.me2.displacement)
    assert np.array_equal(r.mechanical["von_mises"][0], case.me.von_mises)
    assert np.array_equal(r.mechanical["stress"][1], case.me2.stress)
    assert set(r.solver["mechanical"]) == {"25C", "260C"}
    # the XDMF holds a temporal collection with one grid per time step
    root = ET.parse(p.with_suffix(".xdmf")).getroot()
    coll = root.find("Domain/Grid")
    assert coll.get("CollectionType") == "Temporal"
    times = [float(g.find("Time").get("Value")) for g in coll.findall("Grid")]
    assert times == list(case.tr.times)


def test_thermal_on_its_own_mesh(tmp_path):
    """The thermal field of the package on its board lives on another mesh than the mechanics."""
    unit, board = results_mesh(2), results_mesh(1, 0.5e-3)
    th = fea.solve_thermal(
        board, MATS, sources={"base": 0.1}, fixed={"bottom": 30.0}, backend="cpu"
    )
    me = fea.solve_thermoelastic(unit, MATS, 125.0, 25.0, backend="cpu")
    p = write_results(tmp_path / "b.h5", unit, thermal=th, mechanical=me)
    r = read_results(p)
    assert r.mesh.order == 2 and r.thermal_mesh is not None and r.thermal_mesh.order == 1
    _same_mesh(r.thermal_mesh, board, th.space)
    assert np.array_equal(r.thermal["temperature"], th.temperature)
    # one spatial collection: the package grid and the thermal grid side by side
    (top,) = ET.parse(p.with_suffix(".xdmf")).getroot().find("Domain")
    assert top.get("CollectionType") == "Spatial"
    assert [g.get("Name") for g in top.findall("Grid")] == ["package", "thermal"]


def test_p2_nodes_in_vtk_order(tmp_path):
    """10-node tets: VTK edges 01, 12, 20, 03, 13, 23; 6-node facets: 01, 12, 20."""
    mesh = results_mesh(2)
    me = fea.solve_thermoelastic(mesh, MATS, 100.0, 25.0, backend="cpu")
    r = read_results(write_results(tmp_path / "p2.h5", mesh, mechanical=me))
    x, t = r.mesh.nodes, r.mesh.tets
    for j, (a, b) in enumerate(((0, 1), (1, 2), (2, 0), (0, 3), (1, 3), (2, 3))):
        assert np.allclose(x[t[:, 4 + j]], 0.5 * (x[t[:, a]] + x[t[:, b]]), atol=1e-15)
    for name, f in r.mesh.boundaries.items():
        assert f.shape[1] == 6, name
        for j, (a, b) in enumerate(((0, 1), (1, 2), (2, 0))):
            assert np.allclose(x[f[:, 3 + j]], 0.5 * (x[f[:, a]] + x[f[:, b]]), atol=1e-15)
        z = {"bottom": 0.0, "top": 0.5e-3, "base|mold": 0.2e-3}[name]  # the interface too
        assert np.allclose(x[f.ravel(), 2], z, atol=1e-15)
    # positive orientation kept: the vertex part has positive volume
    d = np.einsum(
        "nij->n",
        np.cross(x[t[:, 1]] - x[t[:, 0]], x[t[:, 2]] - x[t[:, 0]])[:, None, :]
        * (x[t[:, 3]] - x[t[:, 0]])[:, None, :],
    )
    assert np.all(d > 0)


def test_large_datasets_are_compressed_and_checksummed(tmp_path):
    mesh = results_mesh(2, 0.25e-3)
    me = fea.solve_thermoelastic(mesh, MATS, 100.0, 25.0, backend="cpu")
    p = write_results(tmp_path / "c.h5", mesh, mechanical=me)
    with h5py.File(p) as f:
        d = f["mechanical/displacement"]
        assert d.size > 4096
        assert d.compression == "gzip" and d.fletcher32 and d.chunks is not None
        assert f["metrics"].attrs is not None and f["mesh/region_id"].compression is None


def test_meshio_reads_the_xdmf(tmp_path):
    import meshio

    c = solved(2)
    p = write_results(tmp_path / "m.h5", c.mesh, thermal=c.th, mechanical=c.me)
    m = meshio.read(p.with_suffix(".xdmf"))
    assert len(m.points) == c.me.space.n
    assert np.array_equal(m.points, c.me.space.nodes)
    assert m.cells[0].type == "tetra10" and len(m.cells[0].data) == c.mesh.n_elements
    assert np.array_equal(m.point_data["temperature"], c.th.temperature)
    assert np.array_equal(m.point_data["displacement"], c.me.displacement)
    assert np.array_equal(m.cell_data["von_mises"][0], c.me.von_mises)
    assert np.array_equal(m.cell_data["region_id"][0], c.mesh.region_of_elements())


def test_every_xdmf_reference_resolves(case, tmp_path):
    for name, kw in {
        "s": dict(thermal=case.th, mechanical=case.me),
        "t": dict(thermal=case.tr, mechanical={"a": case.me, "b": case.me2}),
    }.items():
        p = write_results(tmp_path / f"{name}.h5", case.mesh, **kw)
        root = ET.parse(p.with_suffix(".xdmf")).getroot()
        items = [e for e in root.iter("DataItem") if e.get("Format") == "HDF"]
        assert items
        with h5py.File(p) as f:
            for e in items:
                file, _, ref = e.text.partition(":")
                assert file == p.name
                dims = tuple(int(v) for v in e.get("Dimensions").split())
                ds, _, sel = ref.partition("|")
                if not sel:
                    assert f[ds].shape == dims, ds
                    continue
                # ParaView hyperslab: start:stride:count:dims, one step of a series, or one
                # component (last axis) of a step: stress_xy, ...
                start, stride, count, full = (
                    tuple(int(v) for v in part.split()) for part in sel.split(":")
                )
                assert full == f[ds].shape and stride == (1,) * len(full)
                assert 0 <= start[0] < full[0]
                if len(full) == len(dims) + 1:
                    assert count == (1, *dims) and not any(start[1:])
                else:
                    assert len(full) == len(dims) + 2 and full[-1] == 6, (ds, dims)
                    assert count == (1, *dims, 1) and not any(start[1:-1])
                    assert 0 <= start[-1] < 6


def test_vtu_export(tmp_path):
    import meshio

    c = solved(2)
    p = write_results(tmp_path / "v.h5", c.mesh, thermal=c.th, mechanical={"a": c.me, "b": c.me2})
    (out,) = export_vtu(p)
    m = meshio.read(out)
    assert m.cells[0].type == "tetra10"
    assert np.array_equal(m.point_data["temperature"], c.th.temperature)
    assert np.allclose(m.point_data["displacement_b"], c.me2.displacement, rtol=0, atol=0)
    assert np.array_equal(m.cell_data["von_mises_a"][0], c.me.von_mises)


_SLOW_WRITER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import h5py
    sys.path.insert(0, {root!r})
    import fea.io.hdf5 as R
    from tests.io.test_results import Case

    c = Case(1)
    real = h5py.Group.create_dataset
    def slow(self, *a, **k):
        out = real(self, *a, **k)
        print("writing", flush=True)
        time.sleep(0.5)
        return out
    h5py.Group.create_dataset = slow
    R.write_results(sys.argv[1], c.mesh, thermal=c.th, mechanical=c.me, meta={{"case": "new"}})
    print("finished", flush=True)
    """
)


def test_sigkill_during_write_leaves_no_partial_file(tmp_path):
    c = solved(1)
    target = tmp_path / "k.h5"
    write_results(target, c.mesh, thermal=c.th, mechanical=c.me, meta={"case": "old"})
    before = target.read_bytes()
    script = tmp_path / "writer.py"
    script.write_text(_SLOW_WRITER.format(root=str(ROOT)))
    proc = subprocess.Popen(
        [sys.executable, str(script), str(target)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        for _ in range(3):  # let it write a few datasets into the temporary file
            assert proc.stdout.readline().strip() == "writing"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    # the previous file is untouched and still reads; nothing new under a final name
    assert target.read_bytes() == before
    assert read_results(target).attrs["case"] == "old"
    keep = ("k.h5", "k.xdmf", script.name)
    leftovers = [x.name for x in tmp_path.iterdir() if x.name not in keep]
    assert all(x.startswith(".k.") and x.endswith(".part") for x in leftovers), leftovers
    # and a fresh target name never appears at all
    fresh = tmp_path / "fresh.h5"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(fresh)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert not fresh.exists() and not fresh.with_suffix(".xdmf").exists()


def test_truncated_corrupt_foreign_and_newer_files(tmp_path):
    c = solved(2)
    good = write_results(tmp_path / "g.h5", c.mesh, thermal=c.th, mechanical=c.me)
    data = good.read_bytes()

    trunc = tmp_path / "trunc.h5"
    trunc.write_bytes(data[: len(data) // 2])
    with pytest.raises(ResultsError, match="truncated or corrupt"):
        read_results(trunc)

    corrupt = tmp_path / "corrupt.h5"
    shutil.copy(good, corrupt)
    with h5py.File(corrupt) as f:
        info = f["mechanical/displacement"].id.get_chunk_info(0)
    with open(corrupt, "r+b") as fh:
        fh.seek(info.byte_offset + info.size // 2)
        chunk = fh.read(16)
        fh.seek(info.byte_offset + info.size // 2)
        fh.write(bytes(b ^ 0xFF for b in chunk))
    with pytest.raises(ResultsError, match="truncated or corrupt"):
        read_results(corrupt)

    text = tmp_path / "notes.h5"
    text.write_text("hello")
    with pytest.raises(ResultsError, match="not an HDF5 file"):
        read_results(text)

    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(ResultsError, match="foreign"):
        read_results(foreign)

    for schema, says in (("someone-else/1", "foreign schema"), ("fea-results/2", "newer")):
        other = tmp_path / "other.h5"
        shutil.copy(good, other)
        with h5py.File(other, "r+") as f:
            f.attrs["schema"] = schema
        with pytest.raises(ResultsError, match=says):
            read_results(other)

    with pytest.raises(ResultsError, match="no such file"):
        read_results(tmp_path / "missing.h5")


def test_bad_arguments(tmp_path):
    c = solved(1)
    with pytest.raises(InputError, match="path"):
        write_results(tmp_path / "r.hdf", c.mesh, thermal=c.th)
    other = results_mesh(1, 0.5e-3)
    me = fea.solve_thermoelastic(other, MATS, 100.0, 25.0, backend="cpu")
    with pytest.raises(InputError, match="mechanical"):
        write_results(tmp_path / "r.h5", c.mesh, mechanical=me)
    assert not any(tmp_path.iterdir())


def test_fea_info(tmp_path, capsys):
    c = solved(2)
    p = write_results(
        tmp_path / "i.h5",
        c.mesh,
        thermal=c.th,
        mechanical={"25C": c.me, "260C": c.me2},
        meta={"study": "demo", "case": "c1", "metrics": {"Tj_max": 80.0}},
    )
    assert main(["info", str(p), "--vtu"]) == 0
    out = capsys.readouterr().out
    for word in (
        SCHEMA,
        "P2",
        "base",
        "mold",
        "thermal/temperature",
        "displacement",
        "Tj_max",
        "backend=cpu",
        "demo",
        "i.vtu",
    ):
        assert word in out, word
    assert f"{c.me.space.n:,} nodes" in out
    assert describe(p).splitlines()[0] == str(p)
    assert (tmp_path / "i.vtu").is_file()
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    assert main(["info", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.h5" in err and "Traceback" not in err


# -- real ParaView --------------------------------------------------------------------


@pytest.mark.paraview
def test_paraview_opens_renders_and_checks_fields(tmp_path):
    """Real ParaView (pvpython, its XDMF 3 reader) opens steady, transient and multi-state
    files, finds the arrays that were written, and renders the warped package."""
    pv = require_pvpython()
    c = solved(2)
    steady = write_results(tmp_path / "pv.h5", c.mesh, thermal=c.th, mechanical=c.me)
    trans = write_results(tmp_path / "tr.h5", c.mesh, thermal=c.tr, mechanical=c.me)
    states = write_results(
        tmp_path / "st.h5", c.mesh, thermal=c.th, mechanical={"25C": c.me, "260C": c.me2}
    )
    board = results_mesh(1, 0.5e-3)
    th_board = fea.solve_thermal(
        board, MATS, sources={"base": 0.1}, fixed={"bottom": 30.0}, backend="cpu"
    )
    both = write_results(
        tmp_path / "both.h5", c.mesh, thermal=th_board, mechanical={"25C": c.me, "260C": c.me2}
    )
    np.savez(
        tmp_path / "expect.npz",
        board_temperature=th_board.temperature,
        displacement=c.me.displacement,
        von_mises=c.me.von_mises,
        history=c.tr.history,
        states=np.stack([c.me.displacement, c.me2.displacement]),
    )
    job = {
        "expect": str(tmp_path / "expect.npz"),
        "steady": str(steady.with_suffix(".xdmf")),
        "png": str(tmp_path / "warped.png"),
        "blocks": str(both.with_suffix(".xdmf")),
        "series": [
            [str(trans.with_suffix(".xdmf")), "temperature", "history"],
            [str(states.with_suffix(".xdmf")), "displacement", "states"],
        ],
    }
    (tmp_path / "job.json").write_text(json.dumps(job))
    cmd = [
        pv,
        "--force-offscreen-rendering",
        str(ROOT / "tests" / "io" / "paraview_check.py"),
        str(tmp_path / "job.json"),
    ]
    with x_display() as env:  # Debian's ParaView renders through X, even offscreen
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert report["n_points"] == c.me.space.n and report["n_cells"] == c.mesh.n_elements
    assert report["cell_types"] == [24]  # VTK_QUADRATIC_TETRA
    assert report["temperature_range"] == pytest.approx(
        [c.th.temperature.min(), c.th.temperature.max()], rel=1e-12
    )
    assert report["displacement_max_abs_diff"] == 0.0
    assert report["von_mises_max_abs_diff"] == 0.0
    assert report["series"][0]["times"] == pytest.approx(list(c.tr.times))
    assert report["series"][1]["times"] == [0.0, 1.0]
    for s in report["series"]:
        assert s["max_abs_diff"] == [0.0] * len(s["times"]), s
    # package (mechanics, two states) and board (temperature) both reach ParaView as blocks
    blocks = report["blocks"]
    assert blocks["times"] == [0.0, 1.0]
    assert blocks["n_points"] == sorted([c.me.space.n, th_board.space.n])
    assert blocks["board_temperature_diff"] == 0.0 and blocks["state1_displacement_diff"] == 0.0
    from matplotlib.image import imread

    png = tmp_path / "warped.png"
    assert png.stat().st_size > 1000
    img = imread(png)
    assert img.shape[:2] == (480, 640)
    # ParaView's default map (Cool to Warm) at both ends of the colour bar: the model is
    # coloured over its whole von Mises range, lowest blue, highest red
    assert _has_colour(img, (0.23137, 0.29804, 0.75294)), "no Cool to Warm low end"
    assert _has_colour(img, (0.70588, 0.01569, 0.14902)), "no Cool to Warm high end"


@pytest.mark.paraview
def test_paraview_script_opens_the_case_warped_and_coloured(tmp_path):
    """The script written next to a results file runs in real pvpython: package block only
    (the board's thermal mesh left out), temperatures as ParaView times, warped, coloured
    by the recovered von Mises stress, screenshot saved."""
    from fea.io.xdmf import write_paraview_script

    pv = require_pvpython()
    c = solved(2)
    board = results_mesh(1, 0.5e-3)
    th_board = fea.solve_thermal(
        board, MATS, sources={"base": 0.1}, fixed={"bottom": 30.0}, backend="cpu"
    )
    h5 = write_results(
        tmp_path / "result.h5",
        c.mesh,
        thermal=th_board,
        mechanical={"25C": c.me, "260C": c.me2},
        meta={"state_values": [25.0, 260.0], "state_unit": "C", "case": "c0"},
    )
    script = write_paraview_script(h5)
    assert script == tmp_path / "result_paraview.py"
    assert "the state temperature [C]" in script.read_text()
    png = tmp_path / "view.png"
    cmd = [pv, "--force-offscreen-rendering", str(script), "--screenshot", str(png)]
    with x_display() as env:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd="/", env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert report["times"] == [25.0, 260.0]
    assert report["points"] == c.me.space.n  # the package alone
    assert report["colour"] == "von_mises_nodal"
    assert {"displacement", "von_mises_nodal", "state_temperature"} <= set(report["point_arrays"])
    vm = np.concatenate([s.fields()["von_mises_nodal"][0] for s in (c.me, c.me2)])
    assert report["colour_range"] == pytest.approx([vm.min(), vm.max()], rel=1e-6)
    from matplotlib.image import imread

    img = imread(png)
    assert img.shape[:2] == (768, 1024)
    # the script's Viridis map, over the data range in time: both ends on the colour bar
    assert _has_colour(img, (0.267004, 0.004874, 0.329415)), "no Viridis low end"
    assert _has_colour(img, (0.993248, 0.906157, 0.143936)), "no Viridis high end"


def _has_colour(img: np.ndarray, rgb: tuple[float, float, float], tol: float = 0.04) -> bool:
    """Whether some pixel of ``img`` (h, w, 3|4), values in [0, 1], is within ``tol`` of
    ``rgb`` in every channel (a colour map's end colour, from the map's definition)."""
    return bool((np.abs(img[..., :3] - np.asarray(rgb)) <= tol).all(axis=-1).any())


def test_notebook_views_meshio_and_pyvista(case, tmp_path):
    p = write_results(
        tmp_path / "r.h5", case.mesh, thermal=case.th, mechanical={"25C": case.me, "260C": case.me2}
    )
    r = fea.read_results(p)
    every = r.to_meshio()
    assert every.points.shape == (case.me.space.n, 3)
    assert {"displacement_25C", "displacement_260C", "von_mises_nodal_260C", "temperature"} <= set(
        every.point_data
    )
    assert "region_id" in every.cell_data
    one = r.to_meshio("260C")
    assert np.array_equal(one.point_data["displacement"], case.me2.displacement)
    assert np.array_equal(one.cell_data["von_mises"][0], case.me2.von_mises)
    assert np.array_equal(r.to_meshio(0).point_data["displacement"], case.me.displacement)
    with pytest.raises(InputError, match="state"):
        r.to_meshio("100C")
    with pytest.raises(InputError, match="mesh"):
        r.to_meshio(mesh="thermal")  # the thermal field lives on this mesh
    try:
        import pyvista  # noqa: F401  (optional)
    except ImportError:
        return
    grid = r.to_pyvista("25C")
    assert grid.n_points == case.me.space.n and "displacement" in grid.point_data
