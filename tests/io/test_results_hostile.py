"""Results files under hostile conditions: a full disk on the second
file of a results pair, names that reach the ParaView script, the XDMF references and the
HDF5 names."""

from __future__ import annotations

import ast
import copy
import errno
import os
from pathlib import Path

import numpy as np
import pytest

from fea.errors import InputError, ResultsError
from fea.io import read_results, write_results
from fea.io.xdmf import paraview_script

from ..verification.helpers import two_layer_solved
from .pvtools import require_pvpython
from .test_integrity import MATS
from .test_xdmf import run_paraview_script


@pytest.fixture(scope="module")
def solved():
    return two_layer_solved(MATS)


def _write(solved, path: Path, **meta) -> Path:
    mesh, th, me = solved
    return write_results(path, mesh, thermal=th, mechanical=me, meta=meta or None)


def _fd_path(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        pytest.skip("needs /proc/self/fd to tell the files apart")


def test_full_disk_on_the_sidecar_keeps_the_old_pair(solved, tmp_path, monkeypatch):
    """The .h5 fits, its .xdmf does not: the previous pair stays as it was (the writer
    had replaced the .h5 already, leaving a new file beside a sidecar of the old one)."""
    h5 = _write(solved, tmp_path / "r.h5", case="old")
    xdmf = h5.with_suffix(".xdmf")
    before = h5.read_bytes(), xdmf.read_bytes()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if ".xdmf." in Path(_fd_path(fd)).name:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(ResultsError) as info:
        _write(solved, h5, case="new")
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert (h5.read_bytes(), xdmf.read_bytes()) == before
    assert read_results(h5).attrs["case"] == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.h5", "r.xdmf"]


def _caption(script: str, scale: float) -> str:
    """The caption the ParaView script shows: its ``text = ...`` expression evaluated
    with ``scale`` and the script's constants (the script itself needs ParaView)."""
    body = ast.parse(script).body
    names = {"scale": scale}
    for n in body:
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant):
            exec(compile(ast.Module([n], []), "constants", "exec"), names)
    (main,) = [n for n in body if isinstance(n, ast.FunctionDef) and n.name == "main"]
    (value,) = [
        n.value
        for n in ast.walk(main)
        if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "text"
    ]
    return eval(compile(ast.Expression(value), "caption", "eval"), names)


@pytest.mark.parametrize("case", ['a"b', "50% Cu", "two\nlines", "back\\slash", "it's"])
def test_paraview_script_quotes_the_case_name(solved, tmp_path, case):
    """A case id with a quote, a newline or a backslash made the script a syntax error,
    one with '%' failed when run (the caption is %-formatted)."""
    h5 = _write(solved, tmp_path / "r.h5", case=case)
    text = paraview_script(h5)
    assert _caption(text, 2.0).startswith(case + ": displacement x 2,")


@pytest.mark.parametrize("name", ["q\"u'o", 'tri"""ple', "end\\"])
def test_paraview_script_for_any_file_name(solved, tmp_path, name):
    h5 = _write(solved, tmp_path / f"{name}.h5")
    tree = ast.parse(paraview_script(h5))
    xdmf = [
        n.value.args[1].value
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign)
        and getattr(n.targets[0], "id", "") == "XDMF"
        and isinstance(n.value, ast.Call)
    ]
    assert xdmf == [f"{name}.xdmf"]


@pytest.mark.parametrize("name", ["co:lon.h5", "p|pe.h5"])
def test_file_names_the_xdmf_cannot_reference_are_refused(solved, tmp_path, name):
    """The sidecar references the datasets as ``<file>:<dataset>`` and a step as
    ``...|<selection>``: ParaView split 'co:lon.h5' at the colon (no file 'co') and aborted
    on 'p|pe.h5'. Refused before anything is written."""
    with pytest.raises(InputError) as info:
        _write(solved, tmp_path / name)
    assert info.value.key == "path"
    assert list(tmp_path.iterdir()) == []


def _names_meta(where: str, name: object) -> dict:
    return {"metrics": {name: 1.0}} if where == "meta.metrics" else {name: 1.0}


@pytest.mark.parametrize("where", ["meta.metrics", "meta"])
@pytest.mark.parametrize("name", ["", "a\0b", 5, "x" * 70_000])
def test_names_hdf5_cannot_store_are_input_errors(solved, tmp_path, where, name):
    """An empty name, a name with NUL (HDF5 ended it there: 'a\\0b' came back as 'a'), a
    number or a name longer than an object header were h5py errors or silently changed."""
    with pytest.raises(InputError) as info:
        write_results(
            tmp_path / "r.h5", solved[0], mechanical=solved[2], meta=_names_meta(where, name)
        )
    assert info.value.key == where
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "meta",
    [
        {"case": "a\0b"},
        {"study": "a\0b"},
        {"metrics": {"shape": "x\0y"}},
        {"note": "x\0y"},
    ],
    ids=["case", "study", "metric-text", "attribute"],
)
def test_text_with_nul_is_an_input_error(solved, tmp_path, meta):
    with pytest.raises(InputError, match="NUL"):
        _write(solved, tmp_path / "r.h5", **meta)
    assert list(tmp_path.iterdir()) == []


def test_state_labels_and_unit_with_nul_are_input_errors(solved, tmp_path):
    mesh, _, me = solved
    with pytest.raises(InputError) as info:
        write_results(tmp_path / "r.h5", mesh, mechanical={"a\0b": me, "c": me})
    assert info.value.key == "mechanical"
    with pytest.raises(InputError) as info:
        write_results(
            tmp_path / "r.h5", mesh, mechanical={"a": me, "b": me}, meta={"state_unit": "\0"}
        )
    assert info.value.key == "state_unit"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("names", [["."], [""], ["x\0y"], ["a/b", "a_b"]])
def test_boundary_names_hdf5_cannot_store_are_input_errors(solved, tmp_path, names):
    """A boundary of a user's mesh becomes an HDF5 dataset named after it ('/' written as
    '_'): '.', '' and two names that meet were h5py errors, 'x\\0y' came back as 'x'."""
    mesh, _, _ = solved
    own = copy.copy(mesh)
    own.boundaries = dict(mesh.boundaries) | {n: mesh.boundaries["top"] for n in names}
    with pytest.raises(InputError) as info:
        write_results(tmp_path / "r.h5", own)
    assert info.value.key == "mesh.boundaries"
    assert list(tmp_path.iterdir()) == []


def test_unusual_but_storable_names_round_trip(solved, tmp_path):
    """Names with spaces, unicode, '..', '/' and shell characters are stored as given."""
    mesh, _, me = solved
    names = ["sp ace", "ünï", "..", "a/b", "$(x);`y`|z&"]
    own = copy.copy(mesh)
    own.boundaries = dict(mesh.boundaries) | {"..": mesh.boundaries["top"]}
    meta = {
        "study": names[4],
        "case": names[1],
        "metrics": {n: float(i) for i, n in enumerate(names)},
    }
    p = write_results(tmp_path / "r.h5", own, meta=meta)
    r = read_results(p)
    assert (r.attrs["study"], r.attrs["case"]) == (names[4], names[1])
    assert r.metrics == {n: float(i) for i, n in enumerate(names)}
    assert ".." in r.mesh.boundaries
    p = write_results(tmp_path / "s.h5", mesh, mechanical={n: me for n in names})
    assert list(read_results(p).mechanical["labels"]) == names


def test_info_of_a_field_with_nan_and_inf(solved, tmp_path):
    """A NaN or infinite value is written and read as it is; ``fea info`` gives the range
    of the finite values and counts the others (it printed 'min nan max nan')."""
    from fea.io import describe

    mesh, th, me = solved
    bad = copy.copy(me)
    u = me.displacement.copy()
    u[0, 0], u[1, 2], u[2, 1] = np.nan, np.inf, -np.inf
    bad.displacement = u
    p = write_results(tmp_path / "r.h5", mesh, thermal=th, mechanical=bad)
    got = read_results(p).mechanical["displacement"]
    assert np.array_equal(got, u, equal_nan=True)
    (line,) = [x for x in describe(p).splitlines() if "mechanical/displacement" in x]
    finite = u[np.isfinite(u)]
    assert f"min {finite.min():.6g} max {finite.max():.6g}" in line
    assert "1 NaN, 2 infinite" in line


def test_every_state_has_its_own_time_in_paraview(solved, tmp_path):
    """A process history whose last stage ends when the reflow starts gave two states the
    same time (1082 s): ParaView keeps one grid per time, so one state could not be shown
    (29 of 30 time steps). States whose values are not distinct take their index as time
    in the XDMF; the file keeps the values."""
    import xml.etree.ElementTree as ET

    mesh, _, me = solved
    states = {"singulated": me, "r00_25C": me, "r01_100C": me}
    meta = {"state_values": [1082.0, 1082.0, 1132.0], "state_unit": "s"}
    p = write_results(tmp_path / "r.h5", mesh, mechanical=states, meta=meta)
    grids = ET.parse(p.with_suffix(".xdmf")).getroot().find("Domain/Grid").findall("Grid")
    times = [float(g.find("Time").get("Value")) for g in grids]
    assert [g.get("Name") for g in grids] == [f"state {k}" for k in states]
    assert len(set(times)) == 3
    assert list(read_results(p).mechanical["state_values"]) == meta["state_values"]
    assert "the state index" in paraview_script(p)
    # distinct values stay the time, in any order
    meta = {"state_values": [260.0, 25.0, 100.0], "state_unit": "C"}
    p = write_results(tmp_path / "s.h5", mesh, mechanical=states, meta=meta)
    grids = ET.parse(p.with_suffix(".xdmf")).getroot().find("Domain/Grid").findall("Grid")
    assert [float(g.find("Time").get("Value")) for g in grids] == meta["state_values"]


def test_region_name_with_nul_is_an_input_error(solved, tmp_path):
    mesh, _, _ = solved
    own = copy.copy(mesh)
    own.regions = {("x\0y" if k == "base" else k): v for k, v in mesh.regions.items()}
    with pytest.raises(InputError) as info:
        write_results(tmp_path / "r.h5", own)
    assert info.value.key == "mesh.regions"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("label", ["$\\bad{$", "50% $x^$", "a$b$_c"])
def test_structure_plot_of_curves_named_with_dollars(tmp_path, label):
    """Curve labels are file names (``fea structure run$1.csv``): a '$' started
    matplotlib's mathtext, which failed on the figure ('Unknown symbol') or set the name
    as a formula."""
    from matplotlib.image import imread

    from fea.study.plots import structure_plot

    t = np.logspace(-5, 2, 200)
    z = 10.0 * (1.0 - np.exp(-t / 0.1)) + 5.0 * (1.0 - np.exp(-t / 10.0))
    p = structure_plot({label: (t, z), "plain": (t, 1.5 * z)}, tmp_path / "sf.png")
    assert imread(p).ndim == 3


@pytest.mark.parametrize("state", [2, -3, 99])
def test_to_meshio_state_index_out_of_range_is_an_input_error(solved, tmp_path, state):
    """A state index past the stored states was a bare IndexError."""
    mesh, _, me = solved
    p = write_results(tmp_path / "r.h5", mesh, mechanical={"25C": me, "260C": me})
    r = read_results(p)
    with pytest.raises(InputError) as info:
        r.to_meshio(state)
    assert info.value.key == "state"
    assert np.array_equal(r.to_meshio(-2).point_data["displacement"], me.displacement)


@pytest.mark.paraview
def test_paraview_script_of_a_thermal_only_result(tmp_path):
    """A case without warpage temperatures writes its temperature alone, and the ParaView
    script beside it failed looking for the displacement ('NoneType' object has no
    attribute 'GetRange'). It colours by the temperature, unwarped."""
    pv = require_pvpython()
    mesh, th = two_layer_solved(MATS, mechanical=False)
    h5 = write_results(tmp_path / "result.h5", mesh, thermal=th, meta={"case": "c0"})
    report = run_paraview_script(pv, h5)
    assert report["colour"] == "temperature"
    T = th.temperature
    assert report["colour_range"] == pytest.approx([T.min(), T.max()], rel=1e-9)
    assert (tmp_path / "view.png").is_file()


def test_info_shows_control_characters_escaped(solved, tmp_path):
    """``fea info`` printed names and warnings of a file as stored: a terminal escape in a
    metric name, a region or a warning went to the terminal (a file from someone else can
    clear the screen or hide lines). They are shown escaped."""
    from fea.io import describe

    mesh, _, me = solved
    meta = {
        "case": "c\x1b[2J",
        "metrics": {"red\x1b[31m": 1.0, "note": "ok\rhidden"},
        "warnings": ["w\x07bell"],
    }
    text = describe(write_results(tmp_path / "r.h5", mesh, mechanical=me, meta=meta))
    assert not any(c in text for c in "\x1b\r\x07")
    assert "red\\x1b[31m" in text and "ok\\rhidden" in text and "w\\x07bell" in text
