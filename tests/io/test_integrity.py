"""Results files keep their integrity: every block checksummed (a changed bit anywhere is
a ResultsError naming the block), a full disk is one clear error that leaves the previous
file untouched and never crashes the interpreter, and files honour the umask."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

import fea
import fea.io.atomic
from fea.cli import main
from fea.errors import ResultsError
from fea.io import read_results, write_results
from fea.physics.materials import Material

from ..verification.helpers import two_layer_solved

ROOT = Path(__file__).resolve().parents[2]
MATS = {
    "base": Material("base", E=120e9, nu=0.3, alpha=17e-6, k=200.0),
    "mold": Material("mold", E=20e9, nu=0.3, alpha=9e-6, k=0.8),
}


@pytest.fixture(scope="module")
def results():
    return two_layer_solved(MATS)


def _write(results, path: Path) -> Path:
    mesh, th, me = results
    meta = {"study": "s", "case": "c", "metrics": {"Tj_max": 422.6}, "inputs": {"a": 1}}
    return write_results(path, mesh, thermal=th, mechanical={"25C": me, "260C": me}, meta=meta)


# one change per block, made as a bit flip or a write that bypasses the writer
CHANGES = {
    "/": lambda f: f.attrs.__setitem__("case", "d"),
    "/mesh": lambda f: f["mesh/nodes"].__setitem__((0, 0), f["mesh/nodes"][0, 0] + 1e-9),
    "/thermal": lambda f: f["thermal/temperature"].__setitem__(0, 25.0001),
    "/mechanical": lambda f: f["mechanical/labels"].__setitem__(0, b"26C"),
    "/metrics": lambda f: f["metrics"].attrs.__setitem__("Tj_max", 294.6),
    "/solver": lambda f: f["solver"].attrs.__setitem__("backend", '"gpu"'),
    "/inputs": lambda f: f.__delitem__("inputs") or f.__setitem__("inputs", '{"a": 2}'),
}


@pytest.mark.parametrize("block", list(CHANGES))
def test_a_change_in_any_block_is_named(results, tmp_path, block):
    path = _write(results, tmp_path / "r.h5")
    assert set(json.loads(h5py.File(path).attrs["sha256"])) == set(CHANGES)
    with h5py.File(path, "r+") as f:
        CHANGES[block](f)
    with pytest.raises(ResultsError, match=f"checksum mismatch in block {block}:"):
        read_results(path)


def test_one_flipped_bit_of_a_metric_is_detected(results, tmp_path, capsys):
    """The case of the issue: fea info printed 294.6 instead of 422.6 with exit 0."""
    path = _write(results, tmp_path / "r.h5")
    data = bytearray(path.read_bytes())
    at = data.find(np.float64(422.6).tobytes())
    data[at + 6] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ResultsError, match="block /metrics"):
        read_results(path)
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert "checksum mismatch in block /metrics" in err and "Traceback" not in err


def test_full_disk_is_one_error_and_the_old_file_stays(results, tmp_path, monkeypatch):
    path = _write(results, tmp_path / "r.h5")
    before = path.read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fea.io.atomic.os, "fsync", full)
    with pytest.raises(ResultsError) as info:
        _write(results, path)
    assert str(info.value) == f"no space left on device while writing {path}"
    assert info.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.h5", "r.xdmf"]


_TMPFS_WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from fea.errors import ResultsError
    from tests.io.test_integrity import MATS
    import fea
    from tests.verification.helpers import layered_box, plane
    mesh = layered_box((2e-3, 1e-3), [("base", 0.2e-3, 2), ("mold", 0.3e-3, 2)], 0.2e-3,
                       order=2, faces={{"top": plane(2, 0.5e-3)}})
    me = fea.solve_thermoelastic(mesh, MATS, 100.0, 25.0, backend="cpu")
    try:
        fea.write_results(sys.argv[1], mesh, mechanical=me)
    except ResultsError as exc:
        print(exc)
    """
)


def test_a_real_full_file_system(tmp_path):
    """A 64 kB tmpfs (root only): one clear line, the interpreter exits cleanly (the old
    writer left HDF5 unable to close the file and crashed at exit). The results file
    would be 0.52 MB (P2 at 0.2 mm, 3,321 nodes), eight times the disk."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)])
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        (disk / "old.h5").write_bytes(b"previous results")
        script = tmp_path / "w.py"
        script.write_text(_TMPFS_WRITER.format(root=str(ROOT)))
        r = subprocess.run(
            [sys.executable, str(script), str(disk / "old.h5")],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )
        assert r.returncode == 0, r.stderr[-3000:]
        assert r.stdout.strip() == f"no space left on device while writing {disk / 'old.h5'}"
        assert "destroy cache" not in r.stderr and "Traceback" not in r.stderr
        assert (disk / "old.h5").read_bytes() == b"previous results"
        assert [p.name for p in disk.iterdir()] == ["old.h5"]  # no temporary file left
    finally:
        subprocess.run(["umount", str(disk)])


def test_files_honour_the_umask(results, tmp_path):
    saved = os.umask(0o027)
    try:
        path = _write(results, tmp_path / "r.h5")
    finally:
        os.umask(saved)
    for p in (path, path.with_suffix(".xdmf")):
        assert stat.S_IMODE(p.stat().st_mode) == 0o640
    saved = os.umask(0o002)
    try:
        path = _write(results, tmp_path / "s.h5")
    finally:
        os.umask(saved)
    assert stat.S_IMODE(path.stat().st_mode) == 0o664
