"""A corrupt HDF5 file whose metadata crash or hang the HDF5 library (C code: a
segmentation fault cannot be caught in Python) is a ResultsError naming the file, and
``fea info`` / ``fea structure`` exit 2 with that message: every reader probes a file in a
child process before opening it (:func:`fea.io.hdf5_probe.probe_hdf5`)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import fea.io.hdf5_probe
from fea.cli import main
from fea.errors import ResultsError
from fea.io import describe, read_results, read_table, read_units, write_results
from fea.io.hdf5_probe import forget_probes, probe_hdf5
from fea.io.results_reader import open_hdf5, read_ctm
from fea.physics.materials import Material

from ..verification.helpers import two_layer_solved
from .test_table_hostile import good_table

ROOT = Path(__file__).resolve().parents[2]
MATS = {
    "base": Material("base", E=120e9, nu=0.3, alpha=17e-6, k=200.0),
    "mold": Material("mold", E=20e9, nu=0.3, alpha=9e-6, k=0.8),
}

# The root attribute ``schema`` is a variable-length string: its datatype message (class 9,
# version 1: byte 0x19) is followed by the class bit field, whose bits 0-3 give the kind
# (0 sequence, 1 string, 2-15 reserved; HDF5 File Format Specification 3.0, IV.A.2.d
# "Datatype Message", variable-length class). A reserved kind makes HDF5 2.0.0 dereference
# a null pointer reading the attribute (SIGSEGV), in h5py's attrs.get as in attrs[...].
SCHEMA_VLEN = b"schema\x00\x00\x19\x01"

# the read limits of the results reader
LIMITS = dict(max_attrs=10_000, max_members=10_000, max_depth=8, max_compression=1100)


def _crash(good: Path, bad: Path) -> Path:
    """``good`` with the kind of its ``schema`` attribute's string type made reserved."""
    data = bytearray(good.read_bytes())
    at = data.find(SCHEMA_VLEN)
    assert at >= 0, "the schema attribute's datatype message was not found"
    data[at + len(SCHEMA_VLEN) - 1] ^= 0x02  # kind 1 (string) -> 3 (reserved)
    bad.write_bytes(bytes(data))
    return bad


def _h5py_dies(path: Path) -> bool:
    """Whether reading the root attribute ``schema`` with h5py alone kills the process
    (asked once per file content: the tests crash copies of one module-scoped file)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest not in _DIES:
        code = "import sys, h5py; h5py.File(sys.argv[1], 'r').attrs.get('schema')"
        proc = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, timeout=120
        )
        _DIES[digest] = proc.returncode < 0
    return _DIES[digest]


_DIES: dict[str, bool] = {}  # file content's SHA-256 -> whether h5py dies reading it


@pytest.fixture(scope="module")
def good_results(tmp_path_factory) -> Path:
    mesh, th, me = two_layer_solved(MATS)
    meta = {"study": "s", "case": "c", "metrics": {"Tj_max": 42.0}, "inputs": {"a": 1}}
    path = tmp_path_factory.mktemp("good") / "result.h5"
    return write_results(path, mesh, thermal=th, mechanical=me, meta=meta)


def test_a_results_file_that_crashes_hdf5_is_a_results_error(good_results, tmp_path):
    bad = _crash(good_results, tmp_path / "bad.h5")
    crashes = _h5py_dies(bad)
    for reader in (read_results, describe, read_ctm):
        with pytest.raises(ResultsError) as err:
            reader(bad)
        assert str(bad) in str(err.value)
        if crashes:  # this HDF5 dies on it: the probe's message
            assert "HDF5 library crashed" in str(err.value)
            assert "corrupt" in str(err.value)


def test_a_table_that_crashes_hdf5_is_a_results_error(tmp_path):
    bad = _crash(good_table(tmp_path / "good.h5"), tmp_path / "table.h5")
    crashes = _h5py_dies(bad)
    for reader in (read_table, read_units):
        with pytest.raises(ResultsError) as err:
            reader(bad)
        assert str(bad) in str(err.value)
        if crashes:
            assert "HDF5 library crashed" in str(err.value)


@pytest.mark.parametrize("command", ["info", "structure"])
def test_the_cli_exits_with_the_message_not_a_crash(
    good_results, tmp_path, command, capsys, monkeypatch
):
    """``fea info`` died by SIGSEGV without a word on such a file (``fea structure``, which
    reads a results file's heating curve, likewise). ``fea info`` runs as its own
    interpreter (a whole command's exit); ``fea structure`` through :func:`fea.cli.main` in
    this process (the same reader and probe, without a second interpreter's start)."""
    bad = _crash(good_results, tmp_path / "bad.h5")
    if command == "info":
        proc = subprocess.run(
            [sys.executable, "-m", "fea.cli", command, str(bad)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        code, err = proc.returncode, proc.stderr
    else:
        monkeypatch.chdir(tmp_path)
        code, err = main([command, str(bad)]), capsys.readouterr().err
    assert code == 2, (code, err[-2000:])
    assert f"fea {command}: error: {bad}: " in err and "Traceback" not in err
    if _h5py_dies(bad):
        assert "HDF5 library crashed" in err


def _child(monkeypatch, code: str) -> None:
    """Make the probe run ``code`` (a Python program) instead of its walk of the file
    (and probe every file again: the good file was read cleanly before)."""
    monkeypatch.setattr(fea.io.hdf5_probe, "PROBE_CODE", textwrap.dedent(code))
    forget_probes()


def test_a_file_read_cleanly_is_probed_again_only_when_it_changes(good_results, monkeypatch):
    """One child per unchanged file and process (a notebook reading a file again pays
    once); a file changed since (its modification time) is probed again."""
    forget_probes()
    probe_hdf5(good_results, **LIMITS)
    monkeypatch.setattr(
        fea.io.hdf5_probe, "PROBE_CODE", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
    )
    probe_hdf5(good_results, **LIMITS)  # remembered: no child
    assert read_results(good_results).metrics["Tj_max"] == 42.0  # the reader's limits
    st = good_results.stat()
    os.utime(good_results, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    with pytest.raises(ResultsError, match="crashed"):
        probe_hdf5(good_results, **LIMITS)
    forget_probes()


def test_a_file_this_process_wrote_is_read_back_without_a_child(tmp_path, monkeypatch):
    """A case's plots read the results file it has just written, and the study the table
    it has just written: no probe (about 0.2 s each); once the file is replaced or
    changed, the probe runs again."""
    from fea.io.table import write_table

    forget_probes()
    mesh, th, _ = two_layer_solved(MATS)
    meta = {"study": "s", "case": "c", "metrics": {"Tj_max": 42.0}, "inputs": {"a": 1}}
    path = write_results(tmp_path / "result.h5", mesh, thermal=th, meta=meta)
    table = tmp_path / "table.h5"
    write_table(table, "s", [{"case": "case0000", "Tj_max": 42.0}], ["case", "Tj_max"])
    # every child would die by a signal: any probe would be an error
    monkeypatch.setattr(
        fea.io.hdf5_probe, "PROBE_CODE", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
    )
    assert read_results(path).metrics["Tj_max"] == 42.0
    assert len(read_table(table)) == 1
    # the same file changed (its modification time) or replaced by another writer
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    with pytest.raises(ResultsError, match="crashed"):
        read_results(path)
    copy = tmp_path / "copy.h5"
    copy.write_bytes(table.read_bytes())
    os.replace(copy, table)
    with pytest.raises(ResultsError, match="crashed"):
        read_table(table)
    # rewritten in place (same inode and size) with its modification time set back: the
    # change time still tells
    path = write_results(tmp_path / "again.h5", mesh, thermal=th, meta=meta)
    st = path.stat()
    data = path.read_bytes()
    time.sleep(0.05)  # past the file system's clock tick (times are kept per tick)
    with open(path, "r+b") as fh:
        fh.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (st.st_ino, st.st_mtime_ns)
    with pytest.raises(ResultsError, match="crashed"):
        read_results(path)
    forget_probes()


def test_a_probe_killed_by_a_signal_is_a_results_error(good_results, monkeypatch, capsys):
    """Independent of the HDF5 version: a probe that dies by a signal is taken as the
    library crashing on the file, in the API and in ``fea info``."""
    _child(monkeypatch, "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    with pytest.raises(ResultsError, match=r"HDF5 library crashed \(SIGSEGV\)") as err:
        read_results(good_results)
    assert str(err.value).startswith(f"{good_results}: ")
    assert main(["info", str(good_results)]) == 2
    out = capsys.readouterr()
    assert "HDF5 library crashed (SIGSEGV)" in out.err and "Traceback" not in out.err
    _child(monkeypatch, "import os, signal; os.kill(os.getpid(), signal.SIGABRT)")
    with pytest.raises(ResultsError, match=r"crashed \(SIGABRT\)"):
        read_table(good_results)


def test_a_probe_that_hangs_is_a_results_error(good_results, monkeypatch):
    _child(monkeypatch, "import time; time.sleep(60)")
    monkeypatch.setattr(fea.io.hdf5_probe, "PROBE_TIMEOUT_S", 0.5)
    with pytest.raises(ResultsError, match=r"HDF5 library hung reading it") as err:
        read_results(good_results)
    assert str(good_results) in str(err.value)


def test_the_probe_can_be_skipped_and_an_inconclusive_one_is_not_an_error(
    good_results, monkeypatch
):
    """``probe=False`` reads without a child; a probe that cannot run (its Python exits
    with a status, e.g. h5py missing there) leaves the decision to the reader."""
    _child(monkeypatch, "import os; os.kill(os.getpid(), 9)")
    assert read_results(good_results, probe=False).metrics["Tj_max"] == 42.0
    _child(monkeypatch, "raise SystemExit(3)")
    assert read_results(good_results).metrics["Tj_max"] == 42.0


def test_the_probe_passes_good_files_and_a_forged_header(good_results, tmp_path):
    probe_hdf5(good_results, **LIMITS)
    probe_hdf5(good_table(tmp_path / "t.h5"), **LIMITS)
    # a forged header declaring terabytes: the probe skips its data, as the reader
    # refuses it (check_declared), rather than allocate them; no error from the probe
    forged = tmp_path / "forged.h5"
    with h5py.File(forged, "w") as f:
        f.create_dataset("x", data=np.zeros(4), maxshape=(None,))
    data = bytearray(forged.read_bytes())
    dims = np.array([4], "<u8").tobytes()
    at = data.find(dims)
    data[at : at + 8] = np.array([10**12], "<u8").tobytes()
    forged.write_bytes(bytes(data))
    with h5py.File(forged, "r") as f:
        assert f["x"].shape == (10**12,)
    probe_hdf5(forged, **LIMITS)
    open_hdf5(forged).close()


def test_a_bad_attribute_name_is_a_results_error(good_results, tmp_path):
    """An attribute name that is not UTF-8 after a flipped byte: h5py gives it as bytes
    and sorting the names for the checksum raised TypeError out of read_results."""
    data = bytearray(good_results.read_bytes())
    at = data.find(b"center\x00\x00")
    assert at >= 0
    data[at] = 0xE3  # "center" -> "\xe3enter": not UTF-8
    bad = tmp_path / "bad.h5"
    bad.write_bytes(bytes(data))
    with pytest.raises(ResultsError) as err:
        read_results(bad)
    assert str(bad) in str(err.value)


def test_the_probe_signal_names(monkeypatch, good_results):
    _child(monkeypatch, f"import os; os.kill(os.getpid(), {int(signal.SIGBUS)})")
    with pytest.raises(ResultsError, match=r"\(SIGBUS\)"):
        probe_hdf5(good_results, **LIMITS)
