"""A finished case is reused only when its input is the one it was computed from.

Case ids are positions in the sweep (``case0000``...), not values: a study whose sweep
values or base keys were edited, run again into the same folder, must run the changed
cases again (not report them as "already done" with the old numbers), and ``fea study
merge`` must not table them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import fea.package
from fea.cli import main
from fea.package.spec import apply_overrides, load_study
from fea.study import run_study
from fea.study.runner import DIGEST_KEY, case_digest, claim_case, run_case
from fea.study.table import build_table, stale_cases

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"


def _study(tmp_path: Path, values: list[float], power: float = 0.5) -> Path:
    """The tiny study, coarse, with a two-value grid of the shell thickness."""
    text = TINY.read_text()
    text = text[: text.index("[sweep]")].replace("size_mm = 1.0", "size_mm = 2.0")
    text = text.replace("power_W = { die = 0.5 }", f"power_W = {{ die = {power} }}")
    path = tmp_path / f"study_{'_'.join(map(str, values))}_{power}.toml"
    path.write_text(
        text + f'[sweep]\nparameters = {{ "geometry.shell_thickness_um" = {values} }}\n'
    )
    return path


def _finish(monkeypatch, spec, out: Path) -> None:
    """Finish every case of ``spec`` as the worker does (run_case in this process), with
    the analysis stubbed: a metric that is the case's shell thickness in um."""

    def analyse(case, folder, meta=None, context=None):
        return {"Tj_max_C": case.geometry.shell_thickness * 1e6}

    monkeypatch.setattr(fea.package, "analyse", analyse)
    for cid, params in spec.case_parameters():
        row = run_case(apply_overrides(spec.raw, params), cid, params, str(out / cid), spec.name)
        assert row["status"] == "ok" and DIGEST_KEY not in row


def test_case_digest_follows_the_input_not_its_key_order():
    a = {"geometry": {"x_mm": 1.0, "y_mm": 2.0}, "loads": {"power_W": {"die": 0.5}}}
    b = {"loads": {"power_W": {"die": 0.5}}, "geometry": {"y_mm": 2.0, "x_mm": 1.0}}
    assert case_digest(a) == case_digest(b)
    assert case_digest(a) != case_digest({**a, "loads": {"power_W": {"die": 0.6}}})


def test_a_finished_case_is_skipped_only_for_its_own_input(tmp_path, monkeypatch):
    old = load_study(_study(tmp_path, [30.0, 40.0]))
    out = tmp_path / "out"
    _finish(monkeypatch, old, out)
    stored = json.loads((out / "case0000" / "metrics.json").read_text())
    assert stored[DIGEST_KEY] == case_digest(apply_overrides(old.raw, old.case_parameters()[0][1]))

    # the same study again: both finished
    for cid, params in old.case_parameters():
        assert claim_case(old, cid, params, out / cid, 0.0, False).action == "skip"

    # the first sweep value edited: case0000 is stale and runs again, case0001 is kept
    new = load_study(_study(tmp_path, [60.0, 40.0]))
    (cid0, p0), (cid1, p1) = new.case_parameters()
    assert claim_case(new, cid1, p1, out / cid1, 0.0, False).action == "skip"
    claim = claim_case(new, cid0, p0, out / cid0, 0.0, False)
    try:
        assert claim.action == "run" and claim.stale
        # a run stopped now leaves the case unfinished, not finished with the old numbers
        assert not (out / cid0 / "metrics.json").exists()
    finally:
        claim.lock.release()

    # a base key edited (the power): every case is stale
    hot = load_study(_study(tmp_path, [30.0, 40.0], power=1.5))
    assert stale_cases(hot, out) == ["case0001"]  # case0000's old result is gone already


def test_the_table_and_merge_leave_stale_cases_out(tmp_path, monkeypatch, capsys):
    old = load_study(_study(tmp_path, [30.0, 40.0]))
    out = tmp_path / "out"
    _finish(monkeypatch, old, out)
    rows, _ = build_table(old, out)
    assert [r["Tj_max_C"] for r in rows] == pytest.approx([30.0, 40.0])
    assert all(DIGEST_KEY not in r for r in rows)  # not a table column

    path = _study(tmp_path, [60.0, 40.0])
    new = load_study(path)
    assert stale_cases(new, out) == ["case0000"]
    rows, table = build_table(new, out)
    assert [r["case"] for r in rows] == ["case0001"]  # the 30 um result is not the 60 um one
    with open(table, newline="") as fh:
        assert [r["param:geometry.shell_thickness_um"] for r in csv.DictReader(fh)] == ["40.0"]
    assert main(["study", "merge", str(path), "--out", str(out)]) == 1
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "1 of 2 cases" in line and "1 left out" in line and "case0000" in line


def test_results_without_a_digest_are_kept(tmp_path):
    """A ``metrics.json`` written before digests were kept still counts as finished."""
    spec = load_study(_study(tmp_path, [30.0, 40.0]))
    out = tmp_path / "out"
    for cid, params in spec.case_parameters():
        (out / cid).mkdir(parents=True)
        row = {"case": cid, "status": "ok", "Tj_max_C": 1.0}
        (out / cid / "metrics.json").write_text(json.dumps(row))
        assert claim_case(spec, cid, params, out / cid, 0.0, False).action == "skip"
    assert stale_cases(spec, out) == []
    assert len(build_table(spec, out)[0]) == 2


@pytest.mark.slow
def test_an_edited_sweep_runs_the_changed_case_again(tmp_path):
    """End to end: a run, the first sweep value edited, the run again into one folder."""
    out = tmp_path / "out"
    path = _study(tmp_path, [30.0, 40.0])
    first = run_study(load_study(path), out=out, progress=False)
    assert (first.done, first.skipped) == (2, 0)
    kept = (out / "case0001" / "metrics.json").stat().st_mtime_ns
    _study(tmp_path, [60.0, 40.0]).replace(path)  # the study file edited in place
    again = run_study(load_study(path), out=out, progress=False)
    assert (again.done, again.skipped, again.failed) == (1, 1, 0)
    assert (out / "case0001" / "metrics.json").stat().st_mtime_ns == kept
    assert [r["param:geometry.shell_thickness_um"] for r in again.rows] == [60.0, 40.0]
    warp = [r["warpage_um@25C"] for r in again.rows]
    assert warp[0] != pytest.approx(
        [r["warpage_um@25C"] for r in first.rows][0], rel=1e-6
    )  # computed anew, not the 30 um numbers
