"""The study summary as a log shows it (stderr not a terminal): full column names, the
swept parameters, every output value as the table holds it, the table's absolute path."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from fea.package.spec import load_study
from fea.study.report import StudyReport, print_summary
from fea.study.table import build_table

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"

LONG = "von_mises_max_MPa@r07_217C:die|die_attach"  # an interface of a key region
OUTPUTS = {  # the output columns written for each ok case (names as the table has them)
    "Tj_max_C": 81.523456789,
    "R_ja_uniform_h_K_per_W": 12.2512345,
    "warpage_um@25C": -3.14159265,
    "warpage_um@125C": 17.0,
    LONG: 123.456789e3,
}
NOT_OUTPUTS = {  # in the table, not in the summary: no output, or no key region
    "wall_s": 4.2,
    "von_mises_max_at_mm@25C:shell": "[0.1, 0.2, 0.3]",
    "von_mises_max_MPa@25C:board": 11.0,
}


def _study(tmp_path: Path) -> Path:
    """A study folder as the runner leaves it: three ok cases and one failed one."""
    spec = load_study(TINY)
    out = tmp_path / "results" / "tiny"
    for i, (cid, params) in enumerate(spec.case_parameters()):
        folder = out / cid
        folder.mkdir(parents=True)
        row = {
            "case": cid,
            **{
                f"param:{k}": json.dumps(v) if isinstance(v, list) else v for k, v in params.items()
            },
        }
        if cid == "case0002":
            row |= {"status": "failed", "error": "InputError: die larger than the cavity"}
            (folder / "error.json").write_text(json.dumps(row))
            continue
        row |= {"status": "ok", **{k: v * (1 + i) for k, v in OUTPUTS.items()}, **NOT_OUTPUTS}
        (folder / "metrics.json").write_text(json.dumps(row))
    return out


def _same(printed: str, held: str) -> bool:
    """A printed value equals the table's: numbers to 6 digits, other text exactly."""
    try:
        return float(printed) == pytest.approx(float(held), rel=5e-6)
    except ValueError:
        return printed.replace(" ", "") == held.replace(" ", "")


def test_log_summary_has_full_names_parameters_values_and_table_path(tmp_path, capsys, monkeypatch):
    out = _study(tmp_path)
    spec = load_study(TINY)
    rows, table = build_table(spec, out)
    monkeypatch.chdir(tmp_path)  # the table path relative to here: printed absolute
    report = StudyReport(
        Path("results/tiny"), done=3, failed=1, rows=rows, table=Path("results/tiny/table.csv")
    )
    print_summary(spec, report)
    text = capsys.readouterr().err
    lines = text.splitlines()
    assert "…" not in text and "..." not in text
    with open(table, newline="") as f:
        held = list(csv.DictReader(f))
    assert [r["case"] for r in held] == ["case0000", "case0001", "case0002", "case0003"]

    # the swept parameters, by their full keys, in the first line
    assert "geometry.shell_thickness_um" in lines[0] and "geometry.die.size_mm" in lines[0]
    for r in held:
        (head,) = [ln for ln in lines if ln.startswith(f"case {r['case']} ")]
        assert f"({r['status']})" in head
        for key in ("geometry.shell_thickness_um", "geometry.die.size_mm"):
            if r[f"param:{key}"]:
                value = head.split(f"{key} = ")[1].split(", geometry")[0]
                assert _same(value, r[f"param:{key}"]), (key, value)
        block = lines[lines.index(head) + 1 :]
        block = block[: next((i for i, ln in enumerate(block) if not ln.startswith("  ")), None)]
        shown = dict(ln.strip().split(" = ", 1) for ln in block if " = " in ln)
        if r["status"] != "ok":
            assert shown == {} and "die larger than the cavity" in "\n".join(block)
            continue
        # every output column of the table, by its full name, equal to the table's value
        assert set(shown) == set(OUTPUTS), shown
        for name, value in shown.items():
            assert _same(value, r[name]), name
    # the last line: the counts and the table's absolute path
    assert lines[-1] == (
        f"study tiny: 3 done, 0 already done, 1 failed -> {(tmp_path / 'results/tiny/table.csv')}"
    )
    assert Path(lines[-1].split(" -> ")[1]).is_absolute()


def test_terminal_summary_shows_parameters_and_table_path(tmp_path, capsys, monkeypatch):
    out = _study(tmp_path)
    spec = load_study(TINY)
    rows, table = build_table(spec, out)
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich treats stderr as a terminal
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setenv("NO_COLOR", "1")
    print_summary(spec, StudyReport(out, done=3, failed=1, rows=rows, table=table))
    text = capsys.readouterr().err
    assert "┃" in text  # the table form
    assert "geometry.shell_thickness_um" in text and "geometry.die.size_mm" in text
    assert text.rstrip().endswith(str(table.resolve()))


@pytest.mark.parametrize(
    "error, shown",
    [
        ("error: die larger than the cavity", "  error: die larger than the cavity"),
        ("bug (ValueError): bad shape", "  bug (ValueError): bad shape"),
        ("killed by signal 9 while meshing (see case.log)",
         "  error: killed by signal 9 while meshing (see case.log)"),
    ],
)
def test_a_failed_rows_error_is_printed_once_prefixed(tmp_path, error, shown):
    """The runner's rows already say "error: ..." or "bug (...): ..."; the summary adds the
    prefix only to a row without one (it printed "error: error: ...")."""
    from fea.study.report import summary_lines

    spec = load_study(TINY)
    rows = [{"case": "case0000", "status": "failed", "error": error}]
    report = StudyReport(tmp_path, done=0, failed=1, rows=rows, table=tmp_path / "table.csv")
    lines = summary_lines(spec, report)
    assert shown in lines
    assert not any("error: error:" in ln for ln in lines)
