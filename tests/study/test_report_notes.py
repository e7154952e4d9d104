"""A case's warnings (its ``notes`` column: mesh dependence, yield) in the study summary."""

from __future__ import annotations

import json
from pathlib import Path

from fea.package.spec import load_study
from fea.study.report import StudyReport, case_notes, print_summary
from fea.study.table import build_table

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_study.toml"
FILM = "mesh.film_size 0.4 mm is coarser than the default rule (3 x the thicker film = 0.15 mm)"
SLIVER = "mechanical mesh: 3 elements of shape quality under 0.01 (minimum 0.004 in die_attach)"


def test_case_notes_split_the_notes_column():
    assert case_notes({"notes": f"{FILM}; {SLIVER}"}) == [FILM, SLIVER]
    assert case_notes({}) == [] and case_notes({"notes": ""}) == []


def test_log_summary_shows_each_case_warning(tmp_path, capsys):
    spec = load_study(TINY)
    out = tmp_path / "tiny"
    for i, (cid, _) in enumerate(spec.case_parameters()):
        (out / cid).mkdir(parents=True)
        row = {"case": cid, "status": "ok", "Tj_max_C": 80.0 + i}
        if i == 1:
            row["notes"] = f"{FILM}; {SLIVER}"
        (out / cid / "metrics.json").write_text(json.dumps(row))
    rows, table = build_table(spec, out)
    print_summary(spec, StudyReport(out, done=4, rows=rows, table=table))
    lines = capsys.readouterr().err.splitlines()
    head = lines.index("case case0001 (ok)")
    block = lines[head + 1 : head + 4]
    assert block == ["  Tj_max_C = 81", f"  warning: {FILM}", f"  warning: {SLIVER}"]
    assert sum("warning:" in ln for ln in lines) == 2
    assert lines[-1].endswith(f"-> {table.resolve()}")


def test_a_note_holding_the_separator_stays_one_note(tmp_path, monkeypatch):
    """A warning whose text holds "; " (the notes column's separator) is one note of the
    row and of the summary: run_case writes it with ", " there (it was cut in two)."""
    import tomllib
    import warnings

    import fea.package
    from fea.study.runner import run_case

    def fake(case, folder, **kw):
        warnings.warn("first part; second part", UserWarning, stacklevel=1)
        warnings.warn(FILM, UserWarning, stacklevel=1)
        return {"Tj_max_C": 80.0}

    monkeypatch.setattr(fea.package, "analyse", fake)  # what run_case imports
    raw = tomllib.loads(TINY.read_text())
    row = run_case(raw, "case0000", {}, str(tmp_path / "c"), "tiny")
    assert row["status"] == "ok", row.get("error")
    assert case_notes(row) == ["first part, second part", FILM]


def test_a_note_names_the_row_case_not_the_study(tmp_path, monkeypatch):
    """The analysis prefixes its notes with the name of the case it is given, which in a
    study is the study's: every row of a sweep said "case tiny at 25C: ...". The row's
    note names its own case."""
    import tomllib
    import warnings

    import fea.package
    from fea.study.runner import run_case

    def fake(case, folder, **kw):
        warnings.warn(f"case {case.name} at 25C: shell (copper) yields", UserWarning, stacklevel=1)
        warnings.warn(f"case {case.name}: {FILM}", UserWarning, stacklevel=1)
        warnings.warn(f"case {case.name}x is another case", UserWarning, stacklevel=1)
        return {"Tj_max_C": 80.0}

    monkeypatch.setattr(fea.package, "analyse", fake)
    raw = tomllib.loads(TINY.read_text())
    name = raw["study"]["name"]
    row = run_case(raw, "case0003", {}, str(tmp_path / "c"), name)
    assert row["status"] == "ok", row.get("error")
    assert case_notes(row) == [
        "case case0003 at 25C: shell (copper) yields",
        f"case case0003: {FILM}",
        f"case {name}x is another case",  # only the case's own name is replaced
    ]
