"""The study workflow as a tired user runs it: edited studies and stale results in one
output folder, failed cases among good ones, plots of an earlier run, merge on partial
results. The analysis is stubbed where the numbers do not matter (fast tests)."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

import fea.package
from fea.cli import main
from fea.errors import InputError
from fea.package.spec import apply_overrides, load_study
from fea.study.runner import DIGEST_KEY, claim_case, input_digest, run_case
from fea.study.table import build_table, stale_cases

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"


def _study(tmp_path: Path, sweep: str, name: str = "study") -> Path:
    """The tiny study, coarse, with ``sweep`` (TOML of a [sweep] table) as its sweep."""
    text = TINY.read_text()
    text = text[: text.index("[sweep]")].replace("size_mm = 1.0", "size_mm = 2.0")
    path = tmp_path / f"{name}.toml"
    path.write_text(text + sweep)
    return path


def _grid(values: list[float]) -> str:
    return f'[sweep]\nparameters = {{ "geometry.shell_thickness_um" = {values} }}\n'


def _stub(monkeypatch, fail_at_um: float | None = None) -> None:
    """The analysis stubbed: a metric that is the shell thickness in um; an InputError
    (a failed case) at ``fail_at_um``."""

    def analyse(case, folder, meta=None, context=None):
        um = case.geometry.shell_thickness * 1e6
        if fail_at_um is not None and um == pytest.approx(fail_at_um):
            raise InputError("geometry.shell_thickness_um", um, "anything but this")
        return {"Tj_max_C": um}

    monkeypatch.setattr(fea.package, "analyse", analyse)


def _run_all(spec, out: Path) -> list[dict]:
    """Every case of ``spec`` run as the worker runs it (run_case in this process)."""
    return [
        run_case(apply_overrides(spec.raw, params), cid, params, str(out / cid), spec.name)
        for cid, params in spec.case_parameters()
    ]


def test_a_failure_of_an_earlier_input_is_not_the_present_inputs_row(tmp_path, monkeypatch, capsys):
    """case0000 failed at 30 um; the study is edited to 60 um and merged before it runs
    again: the table must not show the 30 um failure as the 60 um case's row (with the
    old parameter value in its param: column), merge names it as from another input."""
    old = load_study(_study(tmp_path, _grid([30.0, 40.0]), "old"))
    out = tmp_path / "out"
    _stub(monkeypatch, fail_at_um=30.0)
    rows = _run_all(old, out)
    assert [r["status"] for r in rows] == ["failed", "ok"]
    record = json.loads((out / "case0000" / "error.json").read_text())
    assert record[DIGEST_KEY] == input_digest(old, old.case_parameters()[0][1])
    rows, _ = build_table(old, out)  # the failure of the present input is tabled
    assert [r["status"] for r in rows] == ["failed", "ok"]
    assert all(DIGEST_KEY not in r for r in rows)

    path = _study(tmp_path, _grid([60.0, 40.0]), "new")
    new = load_study(path)
    assert stale_cases(new, out) == ["case0000"]
    rows, table = build_table(new, out)
    assert [r["case"] for r in rows] == ["case0001"]
    with open(table, newline="") as fh:
        assert [r["param:geometry.shell_thickness_um"] for r in csv.DictReader(fh)] == ["40.0"]
    assert main(["study", "merge", str(path), "--out", str(out)]) == 1
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "1 of 2 cases" in line and "1 left out" in line and "case0000" in line

    # run again: the stale failure runs (and now passes), nothing is skipped for it
    cid, params = new.case_parameters()[0]
    claim = claim_case(new, cid, params, out / cid, time.time(), False)
    try:
        assert claim.action == "run"
    finally:
        claim.lock.release()


def test_an_invalid_case_refused_at_claim_keeps_its_digest(tmp_path):
    """A case refused before it runs (the die larger than the cavity) records the
    digest of its input too, so an edit that fixes it is not tabled as failed."""
    sweep = (
        '[sweep]\nkind = "cases"\ncases = [{ "geometry.die.size_mm" = [5.0, 5.0] }, '
        '{ "geometry.die.size_mm" = [1.0, 1.0] }]\n'
    )
    spec = load_study(_study(tmp_path, sweep, "bad"))
    out = tmp_path / "out"
    cid, params = spec.case_parameters()[0]
    assert claim_case(spec, cid, params, out / cid, 0.0, False).action == "row"
    record = json.loads((out / cid / "error.json").read_text())
    assert record[DIGEST_KEY] == input_digest(spec, params)
    fixed = load_study(_study(tmp_path, sweep.replace("[5.0, 5.0]", "[2.0, 2.0]"), "fixed"))
    assert stale_cases(fixed, out) == ["case0000"]
    assert build_table(fixed, out)[0] == []


def test_a_failure_without_a_digest_is_kept(tmp_path):
    """An ``error.json`` written before failures kept a digest is still tabled."""
    spec = load_study(_study(tmp_path, _grid([30.0, 40.0])))
    out = tmp_path / "out"
    (out / "case0000").mkdir(parents=True)
    row = {"case": "case0000", "status": "failed", "error": "error: x"}
    (out / "case0000" / "error.json").write_text(json.dumps(row))
    assert stale_cases(spec, out) == []
    assert [r["status"] for r in build_table(spec, out)[0]] == ["failed"]


def _rows(param: str, values: list, status: str = "ok") -> list[dict]:
    return [
        {"case": f"case{i:04d}", "status": status, f"param:{param}": v, "Tj_max_C": 60.0 + i}
        for i, v in enumerate(values)
    ]


def test_plots_of_an_earlier_run_are_removed_a_users_files_stay(tmp_path):
    """The plots folder shows the present table only: a figure of a parameter swept by an
    earlier study in the same folder, or any figure once every case has failed, was left
    there looking current."""
    from PIL import Image

    from fea.study.plots import study_plots

    spec = load_study(_study(tmp_path, _grid([30.0, 40.0])))
    out = tmp_path / "out"
    first = study_plots(spec, _rows("geometry.shell_thickness_um", [30.0, 40.0]), out)
    assert [p.name for p in first] == ["Tj_max_C_vs_geometry.shell_thickness_um.png"]
    mine = out / "plots" / "my_sketch.png"
    Image.new("RGB", (4, 4)).save(mine)
    (out / "plots" / "notes.txt").write_text("mine")
    # a figure fea drew under a name study_plots never gives (fea structure -o ...) stays
    drawn = (out / "plots" / first[0].name).read_bytes()
    (out / "plots" / "my_structure.png").write_bytes(drawn)
    mine_too = ["my_sketch.png", "my_structure.png", "notes.txt"]

    second = study_plots(spec, _rows("geometry.die.size_mm", ["[1.0, 1.0]", "[2.0, 2.0]"]), out)
    names = sorted(p.name for p in (out / "plots").iterdir())
    assert names == sorted([second[0].name, *mine_too])

    assert study_plots(spec, _rows("geometry.die.size_mm", ["[1.0, 1.0]"], "failed"), out) == []
    assert sorted(p.name for p in (out / "plots").iterdir()) == mine_too


def test_a_plots_folder_linked_elsewhere_is_left_as_it_is(tmp_path):
    """plots/ linked to a folder shared by several studies: their figures stay."""
    from fea.study.plots import study_plots

    spec = load_study(_study(tmp_path, _grid([30.0, 40.0])))
    shared = tmp_path / "shared"
    other = study_plots(spec, _rows("geometry.shell_thickness_um", [30.0, 40.0]), tmp_path / "a")
    shared.mkdir()
    (shared / other[0].name).write_bytes(other[0].read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    (out / "plots").symlink_to(shared)
    mine = study_plots(spec, _rows("geometry.die.size_mm", ["[1.0, 1.0]"]), out)
    assert sorted(p.name for p in shared.iterdir()) == sorted([other[0].name, mine[0].name])


def test_a_failing_figure_still_removes_the_stale_ones(tmp_path, monkeypatch):
    import fea.study.plots as plots

    spec = load_study(_study(tmp_path, _grid([30.0, 40.0])))
    out = tmp_path / "out"
    plots.study_plots(spec, _rows("geometry.shell_thickness_um", [30.0, 40.0]), out)

    def broken(*args, **kwargs):
        raise RuntimeError("a plot bug")

    monkeypatch.setattr(plots, "sweep_figure", broken)
    with pytest.raises(RuntimeError):
        plots.study_plots(spec, _rows("geometry.die.size_mm", ["[1.0, 1.0]"]), out)
    assert list((out / "plots").iterdir()) == []


@pytest.mark.parametrize(
    ("env", "value", "allowed"),
    [
        ("FEA_MEMORY_GB", "abc", "a positive number of gigabytes"),
        ("FEA_MEMORY_GB", "-1", "a positive number of gigabytes"),
        ("FEA_MEMORY_GB", "1e300", "at most 1,048,576"),  # turned the size guard off
        ("FEA_MESH_CACHE", "afile", "a folder for the mesh cache"),
    ],
)
def test_a_bad_environment_setting_refuses_the_run_before_any_case(
    tmp_path, monkeypatch, capsys, env, value, allowed
):
    """A bad FEA_MEMORY_GB or a mesh cache that is a file failed every case of a sweep in
    turn (each with the same error, exit status 1); it is the run's error: one line
    naming the setting, exit status 2, no case folder made."""
    import fea.package.meshing

    path = _study(tmp_path, _grid([30.0, 40.0]))
    if env == "FEA_MESH_CACHE":
        value = str(tmp_path / value)
        Path(value).write_text("not a folder")
        monkeypatch.setattr(fea.package.meshing, "CACHE_DIR", Path(value))
    monkeypatch.setenv(env, value)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert env in err and allowed in err and "Traceback" not in err
    assert not (out / "case0000").exists()


def test_brackets_in_values_are_printed_as_they_are_on_a_terminal(tmp_path, monkeypatch, capsys):
    """On a terminal the progress and the summary went through rich markup: a case whose
    material is named ``[/bold]`` (a slip, or a hostile study file) stopped the whole
    study with a MarkupError traceback, and ``[materials.library]`` in an error message
    was swallowed. Every value is now printed as it is."""
    import fea.study.driver as driver

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: stderr is a terminal
    monkeypatch.setenv("COLUMNS", "400")
    sweep = (
        '[sweep]\nkind = "cases"\ncases = [{ "materials.shell" = "copper" }, '
        '{ "materials.shell" = "[/bold]" }, { "materials.shell" = "[red]nickel" }]\n'
    )
    spec = load_study(_study(tmp_path, sweep, "markup"))
    _stub(monkeypatch)

    def execute_local(spec, jobs, *args, **kwargs):  # the cases in this process
        for job in jobs:
            claim = claim_case(spec, job.cid, job.params, job.folder, time.time(), False)
            if claim.action == "row":
                yield "done", claim.row
                continue
            raw = apply_overrides(spec.raw, job.params)
            try:
                yield "done", run_case(raw, job.cid, job.params, str(job.folder), spec.name)
            finally:
                claim.lock.release()

    monkeypatch.setattr(driver, "execute_local", execute_local)
    report = driver.run_study(spec, out=tmp_path / "out", progress=True)
    assert (report.done, report.failed) == (1, 2)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "[/bold]" in err and "[red]nickel" in err
    assert "a material in the library or [materials.library]" in err


def test_a_crashed_case_records_the_digest_of_its_input(tmp_path, monkeypatch):
    """A case whose child process crashed (its row written by the parent) keeps the
    digest too: after an edit its failure is no row of the present input."""
    from fea.study import run_study

    from .faults import inject

    inject(monkeypatch, tmp_path / "inject", "segv-meshing")
    sweep = '[sweep]\nkind = "cases"\ncases = [{ "geometry.shell_thickness_um" = 50.0 }]\n'
    spec = load_study(_study(tmp_path, sweep, "crash"))
    out = tmp_path / "out"
    report = run_study(spec, out=out, progress=False)
    assert report.failed == 1
    record = json.loads((out / "case0000" / "error.json").read_text())
    assert "SIGSEGV" in record["error"]
    assert record[DIGEST_KEY] == input_digest(spec, spec.case_parameters()[0][1])
