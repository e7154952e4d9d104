"""An output folder belongs to one study (``study.json``, fea.study.owner): another study
sent there is refused before any of its cases recomputes a finished one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import fea.package
from fea.cli import main
from fea.errors import ResultsError
from fea.package.spec import apply_overrides, load_study, parse_study
from fea.study import run_study
from fea.study.check import check_study
from fea.study.owner import OWNER_FILE, check_owner, record_owner
from fea.study.runner import run_case

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"


def _write(path: Path, values: list[float], name: str = "tiny") -> Path:
    """The tiny study (coarse) named ``name`` with a grid of the shell thickness."""
    text = TINY.read_text()
    text = text[: text.index("[sweep]")].replace('name = "tiny"', f'name = "{name}"')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        text + f'[sweep]\nparameters = {{ "geometry.shell_thickness_um" = {values} }}\n'
    )
    return path


def _finish(monkeypatch, spec, out: Path) -> dict[str, int]:
    """Every case of ``spec`` finished in ``out`` as a worker finishes it (the analysis
    stubbed), the record written as ``run_study`` writes it; the metrics files' mtimes."""

    def analyse(case, folder, meta=None, context=None):
        return {"Tj_max_C": case.geometry.shell_thickness * 1e6}

    monkeypatch.setattr(fea.package, "analyse", analyse)
    out.mkdir(parents=True, exist_ok=True)
    record_owner(spec, out)
    for cid, params in spec.case_parameters():
        row = run_case(apply_overrides(spec.raw, params), cid, params, str(out / cid), spec.name)
        assert row["status"] == "ok"
    return {p.parent.name: p.stat().st_mtime_ns for p in out.glob("case*/metrics.json")}


def _unchanged(out: Path, before: dict[str, int]) -> bool:
    now = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("case*/metrics.json")}
    return now == before


def test_another_study_name_is_refused(tmp_path, monkeypatch, capsys):
    """``Foo`` and ``foo`` are one folder on a case-insensitive file system; ``--out``
    given another study's folder is the same on any."""
    out = tmp_path / "out"
    first = load_study(_write(tmp_path / "a" / "foo.toml", [30.0, 40.0], name="foo"))
    before = _finish(monkeypatch, first, out)
    assert json.loads((out / OWNER_FILE).read_text()) == {
        "study": "foo",
        "file": os.path.realpath(tmp_path / "a" / "foo.toml"),
    }
    other = load_study(_write(tmp_path / "b" / "Foo.toml", [30.0, 40.0], name="Foo"))
    with pytest.raises(ResultsError) as err:
        run_study(other, out=out, progress=False)
    text = str(err.value)
    assert "holds the results of study 'foo'" in text and "not of study 'Foo'" in text
    assert (
        os.path.realpath(tmp_path / "a" / "foo.toml") in text
        and "--out" in text
        and OWNER_FILE in text
    )
    with pytest.raises(ResultsError, match="holds the results of study 'foo'"):
        check_study(other, out)
    # the CLI: one line, no traceback, exit 2; fea check names it as a refused study
    assert main(["run", str(tmp_path / "b" / "Foo.toml"), "--out", str(out)]) == 2
    err_text = capsys.readouterr().err
    assert "holds the results of study 'foo'" in err_text and "Traceback" not in err_text
    assert main(["check", str(tmp_path / "b" / "Foo.toml"), "--out", str(out)]) == 2
    # nor does merge replace its table
    (out / "table.csv").write_text("foo's table\n")
    assert main(["study", "merge", str(tmp_path / "b" / "Foo.toml"), "--out", str(out)]) == 2
    assert (out / "table.csv").read_text() == "foo's table\n"
    (out / "table.csv").unlink()
    assert _unchanged(out, before) and not (out / "table.csv").exists()
    assert json.loads((out / OWNER_FILE).read_text())["study"] == "foo"


def test_the_same_name_from_another_file_is_refused_only_where_it_would_overwrite(
    tmp_path, monkeypatch
):
    out = tmp_path / "out"
    first = load_study(_write(tmp_path / "a" / "study.toml", [30.0, 40.0]))
    before = _finish(monkeypatch, first, out)
    # a copy whose name was not changed, one value edited: case0000 would be recomputed
    copy = load_study(_write(tmp_path / "b" / "variant.toml", [60.0, 40.0]))
    with pytest.raises(ResultsError) as err:
        run_study(copy, out=out, progress=False)
    text = str(err.value)
    assert "differs in 1 finished case(s) (case0000)" in text
    assert os.path.realpath(tmp_path / "a" / "study.toml") in text
    assert os.path.realpath(tmp_path / "b" / "variant.toml") in text
    with pytest.raises(ResultsError, match="case0000"):
        check_study(copy, out)
    assert _unchanged(out, before)
    # the same cases read through another path (a moved file): nothing is recomputed,
    # the run goes on and the record takes the new path
    moved = load_study(_write(tmp_path / "c" / "moved.toml", [30.0, 40.0]))
    report = run_study(moved, out=out, progress=False)
    assert (report.done, report.skipped, report.failed) == (0, 2, 0)
    assert _unchanged(out, before)
    moved_to = os.path.realpath(tmp_path / "c" / "moved.toml")
    assert json.loads((out / OWNER_FILE).read_text())["file"] == moved_to


def test_a_slice_compares_every_case(tmp_path, monkeypatch):
    """A Slurm array task runs one slice: a slice whose own cases are unchanged recorded
    the other file and let the next slices recompute theirs over the other results."""
    out = tmp_path / "out"
    before = _finish(monkeypatch, load_study(_write(tmp_path / "a" / "s.toml", [30.0, 40.0])), out)
    copy = load_study(_write(tmp_path / "b" / "s.toml", [30.0, 60.0]))  # case0001 differs
    for part in ("0/2", "1/2"):
        with pytest.raises(ResultsError, match=r"differs in 1 finished case\(s\) \(case0001\)"):
            run_study(copy, out=out, slice_=part, progress=False)
        with pytest.raises(ResultsError, match="case0001"):
            check_study(copy, out, slice_=part)
    assert _unchanged(out, before)
    assert json.loads((out / OWNER_FILE).read_text())["file"] == os.path.realpath(
        tmp_path / "a" / "s.toml"
    )


def test_a_study_edited_in_place_is_its_own(tmp_path, monkeypatch):
    """The one file edited and run again recomputes its changed cases, as always."""
    out = tmp_path / "out"
    path = _write(tmp_path / "study.toml", [30.0, 40.0])
    _finish(monkeypatch, load_study(path), out)
    edited = load_study(_write(path, [60.0, 40.0]))
    check_owner(edited, out)  # not refused
    assert [c.state for c in check_study(edited, out).cases] == ["stale", "finished"]
    # the same file through a symbolic link (a cluster's /home -> /gpfs/home): its own
    (tmp_path / "link").symlink_to(tmp_path, target_is_directory=True)
    linked = load_study(tmp_path / "link" / "study.toml")
    check_owner(linked, out)


def test_a_study_given_in_python_and_a_folder_without_a_record(tmp_path, monkeypatch):
    out = tmp_path / "out"
    path = _write(tmp_path / "study.toml", [30.0, 40.0])
    spec = load_study(path)
    _finish(monkeypatch, spec, out)
    # a study built in Python has no file: only its name is compared, the record's file kept
    data = load_study(path).raw
    data["sweep"]["parameters"]["geometry.shell_thickness_um"] = [60.0, 40.0]
    in_python = parse_study(data)
    check_owner(in_python, out)
    record_owner(in_python, out)
    assert json.loads((out / OWNER_FILE).read_text())["file"] == os.path.realpath(path)
    # an older version's folder (no record): taken over
    other = load_study(_write(tmp_path / "x" / "other.toml", [60.0, 40.0], name="other"))
    (out / OWNER_FILE).unlink()
    check_owner(other, out)
    record_owner(other, out)
    assert json.loads((out / OWNER_FILE).read_text())["study"] == "other"
    # a file of that name that is not our record (someone's own): an error, not overwritten
    for content in ("not json", "[1, 2]", '{"study": 3}', "\udcff"):
        (out / OWNER_FILE).write_text(content, errors="surrogateescape")
        for call in (check_owner, record_owner):
            with pytest.raises(ResultsError, match="not fea's record"):
                call(other, out)
        assert (out / OWNER_FILE).read_text(errors="surrogateescape") == content
        with pytest.raises(ResultsError, match="not fea's record"):
            run_study(other, out=out, progress=False)
