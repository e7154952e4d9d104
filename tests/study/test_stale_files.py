"""A finished case is reused only when the files its input reads are the ones it was
computed from: the digest of a case's input (:func:`fea.study.runner.case_digest`)
covers the content of the power-map CSV and of the ``.msh``/STEP model, not only the
study file's keys. A study that reads no file keeps the digests of earlier versions."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

import fea.package
import fea.study.runner as runner
from fea.package.spec import apply_overrides, input_files, load_study
from fea.study.check import check_study
from fea.study.runner import (
    DIGEST_KEY,
    case_digest,
    claim_case,
    file_digest,
    finished_current,
    run_case,
)
from fea.study.table import build_table, stale_cases

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"
MESH = ROOT / "meshes" / "reference" / "small_unit.msh"


def _study(folder: Path, csv_name: str | None = "map.csv") -> Path:
    """The tiny study, coarse, one case; its die's power from ``csv_name`` (relative to
    the study file) or, without one, the study file's own ``power_W``."""
    text = TINY.read_text()
    text = text[: text.index("[sweep]")].replace("size_mm = 1.0", "size_mm = 2.0")
    if csv_name is not None:
        text = text.replace("power_W = { die = 0.5 }", "power_W = {}")
        text += f'\n[loads.power_map]\ncsv = "{csv_name}"\n'
    path = folder / "s.toml"
    path.write_text(text)
    return path


def _finish(monkeypatch, spec, out: Path) -> None:
    """Finish every case of ``spec`` as the worker does (run_case in this process), with
    the analysis stubbed: Tj is the case's total power map [W]."""

    def analyse(case, folder, meta=None, context=None):
        pm = case.loads.power_map
        return {"Tj_max_C": pm.total if pm is not None else 0.0}

    monkeypatch.setattr(fea.package, "analyse", analyse)
    for cid, params in spec.case_parameters():
        row = run_case(apply_overrides(spec.raw, params), cid, params, str(out / cid), spec.name)
        assert row["status"] == "ok", row.get("error")


def _states(spec, out: Path) -> list[str]:
    return [c.state for c in check_study(spec, out).cases]


def _action(spec, out: Path) -> str:
    (cid, params), *_ = spec.case_parameters()
    claim = claim_case(spec, cid, params, out / cid, 0.0, False)
    if claim.lock is not None:
        claim.lock.release()
    return claim.action


def test_an_edited_power_map_makes_the_finished_case_stale(tmp_path, monkeypatch):
    (tmp_path / "map.csv").write_text("0.5,0.5\n0.2,0.3\n")
    path = _study(tmp_path)
    out = tmp_path / "out"
    _finish(monkeypatch, load_study(path), out)
    spec = load_study(path)
    assert _states(spec, out) == ["finished"]
    assert _action(spec, out) == "skip"

    (tmp_path / "map.csv").write_text("5.0,5.0\n2.0,3.0\n")  # 10x the power
    spec = load_study(path)
    assert _states(spec, out) == ["stale"]
    assert stale_cases(spec, out) == ["case0000"]
    assert build_table(spec, out)[0] == []  # the old Tj is not tabled as the new map's
    assert _action(spec, out) == "run"

    # run again: the new map's result, finished from the present file
    _finish(monkeypatch, spec, out)
    assert _states(load_study(path), out) == ["finished"]
    rows, _ = build_table(load_study(path), out)
    assert [r["Tj_max_C"] for r in rows] == pytest.approx([15.0])


def test_an_unchanged_or_touched_file_keeps_the_case_finished(tmp_path, monkeypatch):
    csv = tmp_path / "map.csv"
    csv.write_text("0.5,0.5\n0.2,0.3\n")
    path = _study(tmp_path)
    out = tmp_path / "out"
    _finish(monkeypatch, load_study(path), out)
    assert _states(load_study(path), out) == ["finished"]

    # written again with the same bytes, its times moved: the content counts, not mtime
    st = csv.stat()
    csv.write_text("0.5,0.5\n0.2,0.3\n")
    os.utime(csv, ns=(st.st_atime_ns + 10**9, st.st_mtime_ns + 10**9))
    assert csv.stat().st_mtime_ns != st.st_mtime_ns
    spec = load_study(path)
    assert _states(spec, out) == ["finished"]
    assert _action(spec, out) == "skip"


def test_a_study_without_files_keeps_its_digest():
    """Digests computed before files were covered: finished cases of existing studies
    that read no file stay finished."""
    spec = load_study(TINY)
    assert input_files(spec.raw) == {}
    digests = [case_digest(apply_overrides(spec.raw, p)) for _, p in spec.case_parameters()]
    assert digests == [
        "45ea3c26c8fc89bccdeb8944",
        "35998ac646213eedd87b5c71",
        "7c6770203c7466643e1313fa",
        "1cdacdcb14d90056f33f50a6",
    ]
    raw = {"geometry": {"x_mm": 1.0, "y_mm": 2.0}, "loads": {"power_W": {"die": 0.5}}}
    assert case_digest(raw) == "c07ef6531cb4982251b43115"


def test_a_study_reading_a_file_gets_a_new_digest(tmp_path):
    """Its cases finished by the earlier version (a digest of the keys only) run once
    more: the file they read was not recorded."""
    (tmp_path / "map.csv").write_text("0.5,0.5\n0.2,0.3\n")
    spec = load_study(_study(tmp_path))
    keys_only = runner.hashlib.sha256(
        json.dumps(spec.raw, sort_keys=True, default=str).encode()
    ).hexdigest()[:24]
    assert case_digest(spec.raw) != keys_only
    assert input_files(spec.raw) == {"loads.power_map.csv": tmp_path / "map.csv"}


def test_a_missing_file_changes_the_digest_and_the_run_reports_it(tmp_path, monkeypatch):
    csv = tmp_path / "map.csv"
    csv.write_text("0.5,0.5\n0.2,0.3\n")
    path = _study(tmp_path)
    out = tmp_path / "out"
    spec = load_study(path)
    _finish(monkeypatch, spec, out)
    raw = spec.raw
    before = case_digest(raw)
    csv.unlink()
    assert file_digest(csv).startswith("missing")
    assert case_digest(raw) != before
    assert finished_current(spec, out / "case0000", {}) is False  # stale: runs again
    row = run_case(raw, "case0000", {}, str(out / "case0000"), spec.name)
    assert row["status"] == "failed" and "loads.power_map.csv" in row["error"]
    # a folder in the file's place is no file either, and is never read
    csv.mkdir()
    assert file_digest(csv) == "not a regular file"


def test_the_digest_recorded_is_the_input_the_case_started_from(tmp_path, monkeypatch):
    """A file edited while the case runs: the case records the digest of the file as it
    read it, so it is stale afterwards, not finished with the new file's digest."""
    csv = tmp_path / "map.csv"
    csv.write_text("0.5,0.5\n0.2,0.3\n")
    spec = load_study(_study(tmp_path))
    started = case_digest(spec.raw)

    def analyse(case, folder, meta=None, context=None):
        csv.write_text("5.0,5.0\n2.0,3.0\n")  # edited during the analysis
        return {"Tj_max_C": case.loads.power_map.total}

    monkeypatch.setattr(fea.package, "analyse", analyse)
    out = tmp_path / "out"
    row = run_case(spec.raw, "case0000", {}, str(out / "case0000"), spec.name)
    assert row["status"] == "ok" and row["Tj_max_C"] == pytest.approx(1.5)
    stored = json.loads((out / "case0000" / "metrics.json").read_text())
    assert stored[DIGEST_KEY] == started
    assert _states(load_study(_study(tmp_path)), out) == ["stale"]


def test_one_file_is_hashed_once_per_version(tmp_path, monkeypatch):
    """Many cases reading one large file hash it once; a new version is hashed again."""
    big = tmp_path / "model.step"
    big.write_bytes(b"x" * 100_000)
    read = []
    real = os.read

    def counting(fd, n):
        data = real(fd, n)
        read.append(len(data))
        return data

    monkeypatch.setattr(runner.os, "read", counting)
    monkeypatch.setattr(runner, "FILE_SETTLE_NS", 0)  # the file just written counts as settled
    raw = {"geometry": {"kind": "step", "path": str(big)}}
    first = {case_digest(raw) for _ in range(50)}
    assert len(first) == 1 and sum(read) == 100_000
    new = tmp_path / "new.step"
    new.write_bytes(b"y" * 100_000)  # same size, other bytes, put in its place
    new.replace(big)
    assert case_digest(raw) not in first
    assert sum(read) == 200_000


def test_a_file_rewritten_at_once_is_hashed_again(tmp_path, monkeypatch):
    """Two writes within one tick of the clock leave a file's times as they were (here a
    clock of whole seconds, as some file systems keep): a file changed just now is never
    answered from the cache."""
    real = os.fstat

    def coarse(fd):
        st = real(fd)
        tick = 10**9
        return SimpleNamespace(
            st_mode=st.st_mode,
            st_dev=st.st_dev,
            st_ino=st.st_ino,
            st_size=st.st_size,
            st_mtime_ns=st.st_mtime_ns // tick * tick,
            st_ctime_ns=st.st_ctime_ns // tick * tick,
        )

    monkeypatch.setattr(runner.os, "fstat", coarse)
    csv = tmp_path / "map.csv"
    raw = {"loads": {"power_map": {"csv": str(csv)}}}
    digests = []
    for text in ("0.5,0.5\n", "5.0,5.0\n", "0.5,0.5\n"):
        with open(csv, "r+" if csv.exists() else "w") as fh:  # in place, the same size
            fh.write(text)
        digests.append(case_digest(raw))
    assert digests[0] != digests[1] and digests[0] == digests[2]


def test_the_geometry_file_is_in_the_digest(tmp_path):
    """``[geometry] kind = "mesh"``: the ``.msh`` the case reads, as the reader resolves
    it (relative to the study file), is hashed; its path alone is not what counts."""
    from fea.package.spec.geometry import absolute_geometry_paths

    msh = tmp_path / "own.msh"
    msh.write_bytes(MESH.read_bytes())
    study = tmp_path / "own.toml"
    raw = absolute_geometry_paths({"geometry": {"kind": "mesh", "path": "own.msh"}}, str(study))
    assert input_files(raw) == {"geometry.path": msh.resolve()}
    before = case_digest(raw)
    assert before == case_digest(raw)
    with open(msh, "ab") as fh:
        fh.write(b"\n")
    assert case_digest(raw) != before
    # the built-in geometry reads no file, whatever a stray path says
    assert input_files({"geometry": {"kind": "builtin", "path": "own.msh"}}) == {}


def test_swept_files_are_read_next_to_the_study_wherever_it_runs(tmp_path, monkeypatch):
    """A grid or the cases over ``loads.power_map.csv`` gave paths the runner read from the
    working folder (refused unless run from the study's folder): they are the study
    file's, as the base's path is; a file outside its folder is refused unless the case
    allows it; the sweep's values stay as written (the table's parameter columns)."""
    from fea.errors import InputError
    from fea.package.spec import case_input

    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "a.csv").write_text("0.25,0.25\n0.25,0.25\n")
    (folder / "b.csv").write_text("2.5,2.5\n2.5,2.5\n")
    (tmp_path / "outside.csv").write_text("1,1\n1,1\n")
    base = _study(folder, "a.csv").read_text()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    path = folder / "swept.toml"
    for sweep in (
        '[sweep]\nparameters = { "loads.power_map.csv" = ["a.csv", "b.csv"] }\n',
        '[sweep]\nkind = "cases"\ncases = [{ "loads.power_map.csv" = "a.csv" }, '
        '{ "loads.power_map" = { csv = "b.csv" } }]\n',
    ):
        path.write_text(base + sweep)
        spec = load_study(path)
        cases = spec.case_parameters()
        totals = [spec.case(p).loads.power_map.total for _, p in cases]
        assert totals == pytest.approx([1.0, 10.0])
        files = [input_files(case_input(spec.raw, p, spec.path)) for _, p in cases]
        assert [f["loads.power_map.csv"] for f in files] == [folder / "a.csv", folder / "b.csv"]
        assert "a.csv" in json.dumps(cases[0][1]) and str(folder) not in json.dumps(cases[0][1])
    # outside the study's folder: refused by the grid's check, allowed by a case that says so
    path.write_text(
        base + '[sweep]\nparameters = { "loads.power_map.csv" = ["a.csv", "../outside.csv"] }\n'
    )
    with pytest.raises(InputError) as err:
        load_study(path)
    assert err.value.key.startswith("sweep.parameters.loads.power_map.csv[1]")
    assert "allow_outside" in err.value.allowed
    path.write_text(
        base + '[sweep]\nkind = "cases"\ncases = [{ "loads.power_map.csv" = "a.csv" }, '
        '{ "loads.power_map.csv" = "../outside.csv", "loads.power_map.allow_outside" = true }, '
        '{ "loads.power_map.csv" = "../outside.csv" }]\n'
    )
    spec = load_study(path)
    cases = spec.case_parameters()
    assert spec.case(cases[1][1]).loads.power_map.total == pytest.approx(4.0)
    with pytest.raises(InputError, match="allow_outside"):
        spec.case(cases[2][1])


def test_a_moved_project_keeps_its_finished_cases(tmp_path, monkeypatch):
    """The digest stands for a file by its bytes, not by where it lies: the study folder
    moved (or reached through another mount) leaves its cases finished."""
    import shutil

    first = tmp_path / "a"
    first.mkdir()
    (first / "map.csv").write_text("0.5,0.5\n0.2,0.3\n")
    spec = load_study(_study(first))
    out = tmp_path / "out"
    _finish(monkeypatch, spec, out)
    shutil.copytree(first, tmp_path / "b")
    moved = load_study(tmp_path / "b" / "s.toml")
    assert moved.raw["loads"]["power_map"]["csv"] != spec.raw["loads"]["power_map"]["csv"]
    assert [c.state for c in check_study(moved, out).cases] == ["finished"]
    (tmp_path / "b" / "map.csv").write_text("5.0,5.0\n2.0,3.0\n")  # then edited: stale
    assert [c.state for c in check_study(moved, out).cases] == ["stale"]
