"""``fea study merge`` always prints the table's absolute path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fea.study.plots
from fea.cli import main
from fea.package.spec import load_study

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_study.toml"


def _finished(out: Path) -> None:
    for i, (cid, _) in enumerate(load_study(TINY).case_parameters()):
        (out / cid).mkdir(parents=True)
        row = {"case": cid, "status": "ok", "Tj_max_C": 80.0 + i}
        (out / cid / "metrics.json").write_text(json.dumps(row))


def test_merge_prints_the_absolute_table_path(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _finished(tmp_path / "res")
    assert main(["study", "merge", str(TINY), "--out", "res"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line == f"{tmp_path / 'res' / 'table.csv'}: 4 of 4 cases (0 failed)"


def test_merge_prints_the_table_path_when_a_plot_fails(tmp_path, capsys, monkeypatch):
    _finished(tmp_path / "res")

    def broken(*args, **kwargs):
        raise RuntimeError("plot failed")

    monkeypatch.setattr(fea.study.plots, "study_plots", broken)
    with pytest.raises(RuntimeError, match="plot failed"):
        main(["study", "merge", str(TINY), "--out", str(tmp_path / "res")])
    assert str(tmp_path / "res" / "table.csv") in capsys.readouterr().out
    assert (tmp_path / "res" / "table.csv").is_file()


def test_a_row_is_its_folders_case_whatever_its_file_says(tmp_path, capsys):
    """A metrics.json without "case" (edited by hand) made merge's plots raise a KeyError
    with a traceback; one copied from another case's folder was tabled as that case."""
    import csv

    out = tmp_path / "res"
    _finished(out)
    row = json.loads((out / "case0000" / "metrics.json").read_text())
    del row["case"]
    (out / "case0000" / "metrics.json").write_text(json.dumps(row))
    row = json.loads((out / "case0001" / "metrics.json").read_text())
    row["case"] = "case0003"
    (out / "case0001" / "metrics.json").write_text(json.dumps(row))
    assert main(["study", "merge", str(TINY), "--out", str(out)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    with open(out / "table.csv", newline="") as fh:
        cases = [r["case"] for r in csv.DictReader(fh)]
    assert cases == ["case0000", "case0001", "case0002", "case0003"]
