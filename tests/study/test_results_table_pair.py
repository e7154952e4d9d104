"""``table.csv`` and ``table.h5`` are written as one: a full disk while writing the
second leaves both as they were (before, ``table.csv`` was already renamed: a new CSV beside
an old HDF5 table, two answers for one study)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

import fea.package
from fea.errors import ResultsError
from fea.io import read_table
from fea.package.spec import apply_overrides, load_study
from fea.study.runner import run_case
from fea.study.table import build_table

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"


def _study(tmp_path: Path) -> Path:
    text = TINY.read_text()
    text = text[: text.index("[sweep]")].replace("size_mm = 1.0", "size_mm = 2.0")
    path = tmp_path / "study.toml"
    path.write_text(text + '[sweep]\nparameters = { "geometry.shell_thickness_um" = [30, 40] }\n')
    return path


@pytest.mark.parametrize("failing", ["table.h5", "table.csv"])
def test_a_full_disk_leaves_both_tables_as_they_were(tmp_path, monkeypatch, failing):
    spec = load_study(_study(tmp_path))
    out = tmp_path / "out"
    metric = {"v": 1.0}

    def analyse(case, folder, meta=None, context=None):
        return {"Tj_max_C": metric["v"]}

    monkeypatch.setattr(fea.package, "analyse", analyse)

    def finish() -> None:
        for cid, params in spec.case_parameters():
            folder = out / cid
            (folder / "metrics.json").unlink(missing_ok=True)
            run_case(apply_overrides(spec.raw, params), cid, params, str(folder), spec.name)

    finish()
    build_table(spec, out)
    csv_before = (out / "table.csv").read_bytes()
    h5_before = (out / "table.h5").read_bytes()
    assert [r["Tj_max_C"] for r in read_table(out / "table.h5")] == [1.0, 1.0]

    metric["v"] = 2.0
    finish()
    real = os.fsync

    def full(fd):  # the disk fills while the temporary file of `failing` is synced
        if f".{failing}." in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ResultsError, match=f"no space left on device while writing .*{failing}"):
        build_table(spec, out)
    assert (out / "table.csv").read_bytes() == csv_before
    assert (out / "table.h5").read_bytes() == h5_before
    assert sorted(p.name for p in out.iterdir() if ".part" in p.name) == []
    monkeypatch.setattr(os, "fsync", real)
    build_table(spec, out)  # the disk has room again: both new
    assert [r["Tj_max_C"] for r in read_table(out / "table.h5")] == [2.0, 2.0]
