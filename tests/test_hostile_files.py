"""Hostile paths (issue 21): no device or system file overwritten by an output, no file's
content read into an error or a result, no FIFO that blocks a reader.

Every FIFO, symbolic link and large file is made in the test's tmp folder; ``/dev/null``
is only checked to be refused and to stay a character device.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from fea.cli import main
from fea.errors import InputError
from fea.io import write_atomic, write_curves_csv
from fea.io.curves import CURVE_CSV_MAX_BYTES, read_curve_csv
from fea.io.textfile import line_column, read_text_file
from fea.package.spec import load_study
from fea.package.spec.schema import POWER_CSV_MAX_BYTES

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"
BASE_TOML = TINY.read_text().split("[sweep]")[0]
SECRET = "root:x:0:0:secret-content"

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


def listing(folder: Path) -> dict[str, int]:
    """Names and file types under ``folder`` (what a refused command must leave as is)."""
    return {str(p.relative_to(folder)): stat.S_IFMT(os.lstat(p).st_mode) for p in folder.rglob("*")}


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    p = tmp_path / "pipe"
    os.mkfifo(p)
    return p


@pytest.fixture
def curve(tmp_path: Path) -> Path:
    t = np.logspace(-5, 2, 60)
    z = 1.0 - np.exp(-t)
    (path,) = write_curves_csv(tmp_path, {"good": {"time_s": t, "zth_K_per_W": z}})
    return path


def study_with(tmp: Path, text: str, name: str = "s.toml") -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    p = tmp / name
    p.write_text(BASE_TOML.replace("power_W = { die = 0.5 }\n", "") + "\n" + text)
    return p


# -- point 1: outputs over a device, FIFO or symlink to one ---------------------------------


def test_atomic_writer_refuses_fifo_and_symlink_to_fifo(tmp_path, fifo):
    link = tmp_path / "link"
    link.symlink_to(fifo)
    before = listing(tmp_path)
    for target in (fifo, link):
        with pytest.raises(InputError, match="FIFO") as err:
            write_atomic(target, "data")
        assert str(target) in str(err.value)
    assert listing(tmp_path) == before
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_atomic_writer_refuses_dev_null():
    with pytest.raises(InputError, match="device"):
        write_atomic("/dev/null", "data")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_atomic_writer_still_replaces_a_regular_file_and_a_link_to_one(tmp_path):
    f = tmp_path / "f.txt"
    f.write_text("old")
    write_atomic(f, "new")
    assert f.read_text() == "new"


@pytest.mark.parametrize("target", ["fifo", "link", "devnull", "folder"])
def test_cli_outputs_refused_before_work(tmp_path, fifo, curve, target, capsys):
    link = tmp_path / "link"
    link.symlink_to(fifo)
    (tmp_path / "folder").mkdir()
    path = {
        "fifo": str(fifo),
        "link": str(link),
        "devnull": "/dev/null",
        "folder": str(tmp_path / "folder"),
    }[target]
    st = study_with(tmp_path / "st", "")
    before = listing(tmp_path)
    commands = [
        ["structure", str(curve), "-o", path],
        ["mesh", str(st.parent / "s.toml"), "-o", path],
    ]
    if target != "folder":
        commands.append(["run", str(st), "--out", path])
    for argv in commands:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert path in err
    assert listing(tmp_path) == before
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# -- point 2 and 5: one hardened reader ----------------------------------------------------


def test_text_reader_fifo_does_not_block(fifo):
    with pytest.raises(InputError, match="FIFO"):
        read_text_file(fifo, "k", 100)


def test_text_reader_size_cap_and_utf8_position(tmp_path):
    big = tmp_path / "big"
    with open(big, "wb") as f:
        f.truncate(1001)
    with pytest.raises(InputError, match="at most 1,000 bytes"):
        read_text_file(big, "k", 1000)
    bad = tmp_path / "bad"
    bad.write_bytes(b"ab\ncd\xffef")
    with pytest.raises(InputError, match=r"line 2, column 3") as err:
        read_text_file(bad, "k", 1000)
    assert "cd" not in str(err.value).split("=")[1]
    assert line_column(b"ab\ncd\xffef", 5) == (2, 3)  # by hand: after "ab\n", "cd"


def test_power_map_outside_folder_refused_without_echo(tmp_path, capsys):
    secret = tmp_path / "elsewhere" / "passwd"
    secret.parent.mkdir()
    secret.write_text(SECRET + "\n")
    inside = tmp_path / "study"
    for csv in (str(secret), "../elsewhere/passwd"):
        p = study_with(inside, f'[loads.power_map]\ncsv = "{csv}"\n')
        with pytest.raises(InputError, match="allow_outside") as err:
            load_study(p)
        assert err.value.key == "loads.power_map.csv" and "secret" not in str(err.value)
    # a symbolic link in the study's folder to a file outside it: refused too
    (inside / "map.csv").symlink_to(secret)
    p = study_with(inside, '[loads.power_map]\ncsv = "map.csv"\n')
    with pytest.raises(InputError, match="allow_outside"):
        load_study(p)
    # allowed explicitly: the content is wrong, the error names line and column only
    p = study_with(inside, f'[loads.power_map]\ncsv = "{secret}"\nallow_outside = true\n')
    out = tmp_path / "out"
    assert main(["run", str(p), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "line 1, column 1" in err and "root:x" not in err and "secret" not in err
    assert not out.exists()


def test_power_map_relative_to_study_file(tmp_path, monkeypatch):
    inside = tmp_path / "study"
    p = study_with(inside, '[loads.power_map]\ncsv = "map.csv"\n')
    (inside / "map.csv").write_text("# W per cell\n0.1, 0.2\n0.3, 0.4\n")
    monkeypatch.chdir(tmp_path)
    pm = load_study(p).base.loads.power_map
    assert pm.grid == ((0.1, 0.2), (0.3, 0.4))
    assert abs(pm.total - 1.0) < 1e-12


@pytest.mark.parametrize(
    ("cells", "where"),
    [
        ("0.1, 1e308\n", "line 2, column 2"),
        ("0.1,, 0.2\n", "line 2, column 2"),
        ("0.1, abc\n", "line 2, column 2"),
        ("0.1, -1\n", "line 2, column 2"),
        # a cell past the csv module's field limit (131,072 characters): was a raw
        # _csv.Error traceback
        ("0.1, " + "1" * 200_000 + "\n", "line 2"),
    ],
)
def test_power_map_cells_checked_at_file_line_column(tmp_path, cells, where):
    inside = tmp_path / "study"
    p = study_with(inside, '[loads.power_map]\ncsv = "map.csv"\n')
    (inside / "map.csv").write_text("# header comment\n" + cells)
    with pytest.raises(InputError) as err:
        load_study(p)
    assert err.value.key == "loads.power_map.csv" and where in str(err.value)
    assert "abc" not in str(err.value)


def test_power_grid_cell_over_cap_refused_at_key(tmp_path):
    p = study_with(tmp_path, "[loads.power_map]\ngrid_W = [[0.1, 1e308]]\n")
    with pytest.raises(InputError) as err:
        load_study(p)
    assert err.value.key == "loads.power_map.grid_W[0][1]"


def test_study_file_not_utf8_names_line_column(tmp_path):
    p = tmp_path / "s.toml"
    p.write_bytes(b'[study]\nname = "a\xff"\n')
    with pytest.raises(InputError, match=r"line 2, column 10"):
        load_study(p)


@pytest.mark.parametrize("kind", ["binary", "fifo", "devzero", "huge", "text"])
def test_structure_bad_curve_files(tmp_path, kind, capsys):
    if kind == "binary":
        path = tmp_path / "b.csv"
        path.write_bytes(b"time_s,zth\n1,\x89PNG\x00\xff\n")
        expect = "line 2, column"
    elif kind == "fifo":
        path = tmp_path / "p.csv"
        os.mkfifo(path)
        expect = "FIFO"
    elif kind == "devzero":
        path = Path("/dev/zero")
        expect = "device"
    elif kind == "huge":
        path = tmp_path / "h.csv"
        with open(path, "wb") as f:
            f.truncate(CURVE_CSV_MAX_BYTES + 1)  # sparse: 10^7 rows would be larger
        expect = f"at most {CURVE_CSV_MAX_BYTES:,} bytes"
    else:
        path = tmp_path / "t.csv"
        path.write_text(f"time_s,zth\n1,{SECRET}\n")
        expect = "line 2, column 2"
    before = listing(tmp_path)
    assert main(["structure", str(path), "-o", str(tmp_path / "sf.png")]) == 2
    err = capsys.readouterr().err
    assert expect in err and "Traceback" not in err and "secret" not in err
    assert listing(tmp_path) == before


def test_curve_reader_reads_what_the_writer_wrote(curve):
    c = read_curve_csv(curve)
    t = np.logspace(-5, 2, 60)
    assert np.allclose(c["time_s"], t) and np.allclose(c["zth_K_per_W"], 1.0 - np.exp(-t))


def test_caps_are_sane():
    assert POWER_CSV_MAX_BYTES < CURVE_CSV_MAX_BYTES < 1 << 30


# -- point 5 (API) and point 3 (fea info on a file with many attributes) ---------------------


@pytest.fixture(scope="module")
def solved():
    from .verification.helpers import two_layer_solved

    return two_layer_solved(mechanical=False)


def test_api_bad_arguments_named(solved, tmp_path):
    from fea.io import read_results, write_results

    mesh, th = solved
    cases = [
        ("thermal", lambda: write_results(tmp_path / "a.h5", mesh, thermal="hot")),
        (
            "meta.inputs",
            lambda: write_results(
                tmp_path / "b.h5", mesh, thermal=th, meta={"inputs": "{not json"}
            ),
        ),
        ("meta", lambda: write_results(tmp_path / "c.h5", mesh, thermal=th, meta="x")),
        ("path", lambda: read_results(None)),
        ("points[0]", lambda: th.probe([[np.nan, 0.0, 0.0]])),
    ]
    for key, call in cases:
        with pytest.raises(InputError) as err:
            call()
        assert err.value.key == key
    assert "not json" not in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_info_many_attributes_bounded(solved, tmp_path, monkeypatch, capsys):
    import h5py

    import fea.io.results_reader as reader
    from fea.io import write_results

    mesh, th = solved
    path = write_results(tmp_path / "r.h5", mesh, thermal=th, meta={"metrics": {"a": 1.0}})
    monkeypatch.setattr(reader, "MAX_ATTRS", 50)  # where the limit is read
    assert main(["info", str(path)]) == 0  # a normal file is under the cap
    capsys.readouterr()
    with h5py.File(path, "a") as h:
        for i in range(51):
            h["metrics"].attrs[f"m{i}"] = float(i)
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert "attributes on /metrics" in err and err.count("\n") == 1


def test_info_vtu_checks_both_outputs_before_writing(solved, tmp_path):
    from fea.io import write_results

    mesh, th = solved
    path = write_results(tmp_path / "r.h5", mesh, thermal=th)
    os.mkfifo(tmp_path / "x_thermal.vtu")  # where the thermal twin of x.vtu would go
    before = listing(tmp_path)
    assert main(["info", str(path), "--vtu", str(tmp_path / "x.vtu")]) == 2
    assert listing(tmp_path) == before  # x.vtu not written either


# -- point 7 and 4(d): fea structure --------------------------------------------------------


def _foster_curve(folder: Path, name: str, R, C) -> Path:
    from fea.physics.structure import foster_from_cauer, zth_from_foster

    t = np.logspace(-6, 3, 200)
    z = zth_from_foster(t, *foster_from_cauer(np.asarray(R), np.asarray(C)))
    (path,) = write_curves_csv(folder, {name: {"time_s": t, "zth_K_per_W": z}})
    return path


def test_structure_labels_parting_and_device_check(tmp_path, capsys):
    R, C = [0.05, 0.2, 0.3, 0.5, 1.0], [2e-4, 3e-3, 1e-2, 5.0, 500.0]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    pa = _foster_curve(tmp_path / "a", "zth", R, C)
    pb = _foster_curve(tmp_path / "b", "zth", [0.05, 0.2, 0.3, 2.0, 1.0], C)
    png = str(tmp_path / "sf.png")
    assert main(["structure", str(pa), str(pb), "-o", png]) == 0
    out = capsys.readouterr().out
    assert f"{pa}: " in out and f"{pb}: " in out  # same base name: labelled by path
    assert "part at" not in out  # not asked for
    # a curve ten times higher at early times is not the same device
    pc = _foster_curve(tmp_path, "other", [0.5, 2.0, 3.0, 5.0, 10.0], C)
    assert main(["structure", str(pa), str(pc), "-o", png, "--dual-interface"]) == 2
    assert "one device" in capsys.readouterr().err
    assert main(["structure", str(pa), "-o", png, "--dual-interface"]) == 2
    assert "exactly two" in capsys.readouterr().err


def test_structure_huge_zth_refused(tmp_path, capsys):
    t = np.logspace(-6, 3, 50)
    (path,) = write_curves_csv(tmp_path, {"big": {"time_s": t, "zth_K_per_W": 1e300 * t}})
    assert main(["structure", str(path), "-o", str(tmp_path / "sf.png")]) == 2
    err = capsys.readouterr().err
    assert "at most 1e+06 K/W" in err and "Traceback" not in err
    assert not (tmp_path / "sf.png").exists()


@pytest.mark.parametrize("target", ["r.h5", "r.vtk"])
def test_info_vtu_onto_the_results_or_not_vtu_refused_before_the_summary(
    solved, tmp_path, target, capsys
):
    """``fea info r.h5 --vtu r.h5`` is refused (it replaced the results with their VTU
    export) and was refused only after the summary had been printed: now at ``--vtu``
    before anything is read or printed, the results file untouched."""
    from fea.io import write_results

    mesh, th = solved
    path = write_results(tmp_path / "r.h5", mesh, thermal=th)
    data = path.read_bytes()
    assert main(["info", str(path), "--vtu", str(tmp_path / target)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "--vtu" in err and err.count("\n") == 1
    assert path.read_bytes() == data
