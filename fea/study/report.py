"""The report of a study run: its counts, the summary table printed at the end and the
junction-temperature limit warnings."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..package.spec import StudySpec

__all__ = [
    "SUMMARY_CASES",
    "StudyReport",
    "busy_text",
    "case_notes",
    "first_cases",
    "incomplete_lines",
    "limit_warnings",
    "print_summary",
    "summary_lines",
    "summary_rows",
    "takeover_lines",
]

_PARAM = "param:"  # the table columns of the swept parameters (runner.base_row)


@dataclass
class StudyReport:
    """Outcome of a study run: counts of this run and the table rows of the whole study.

    ``busy`` counts cases another run was computing (or finished meanwhile).
    ``taken_over``: one line per case whose claim, left by a killed run, this run took
    over (``"case0003: took over the claim of host n7, pid 4242 (run 1a2b3c4d), whose
    process is gone"``), in the order taken.

    Of the busy cases, read again as the run ends (:func:`fea.study.check.case_state`),
    before its table is built: ``running``, those a run still going holds (``"case0003:
    the claim of host n7, pid 4242 (run 1a2b3c4d)"``) and that the table (when this run
    built one) still lacks; ``left``, the ids of those that the other run left neither
    finished nor failed (it was killed after this run passed them: a rerun runs them).
    Either makes the table incomplete (:attr:`exit_status`). ``failed_elsewhere``: the
    ids of those the other run recorded as failed (their rows, in the table, say why),
    failures of the study as this run's own are (:attr:`failed` counts only those).
    """

    out: Path
    done: int = 0
    failed: int = 0
    skipped: int = 0
    busy: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    table: Path | None = None
    taken_over: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    failed_elsewhere: list[str] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        """``fea run``'s exit status: 4 while cases of this run are still running in
        another run (the table lacks them: ``fea study merge`` once that run has ended),
        else 3 when cases were left unfinished by another run that has ended (a rerun
        runs them), else 1 when a case failed (in this run, or in the other run this
        one left it to: :attr:`failed_elsewhere`), else 0 (every case of the run finished
        and, for a run that builds one, in the table). 4 and 3 are ``fea check``'s codes
        for the same states (:data:`fea.study.check.EXIT_RUNNING`, ``EXIT_RERUN``)."""
        from .check import EXIT_RERUN, EXIT_RUNNING

        if self.running:
            return EXIT_RUNNING
        if self.left:
            return EXIT_RERUN
        return 1 if self.failed or self.failed_elsewhere else 0


def takeover_lines(report: StudyReport) -> list[str]:
    """The summary's lines of the claims this run took over from killed runs (none when
    it took over none): ``took over case0003: the claim of host ...``."""
    return [f"took over {line.replace(': took over ', ': ', 1)}" for line in report.taken_over]


#: Most cases the summary lists (a sweep of up to 100,000 cases rendered every row: 22 s
#: a 10,000-row table on a terminal, a million lines in a log); the failed ones first,
#: then those over the junction limit, then the others; ``table.csv`` has every row.
SUMMARY_CASES = 200


def summary_rows(rows: list[dict[str, Any]], most: int = SUMMARY_CASES) -> list[dict[str, Any]]:
    """The rows the summary lists: all of them up to ``most``; past it the failed rows
    first, then those over the junction-temperature limit (``Tj_over_limit_flag``), then
    the others, ``most`` in all, in case order."""
    if len(rows) <= most:
        return rows
    order = sorted(range(len(rows)), key=lambda i: (_rank(rows[i]), i))
    return [rows[i] for i in sorted(order[:most])]


def _rank(row: dict[str, Any]) -> int:
    """0 for a failed row, 1 for one over the junction limit, 2 for the others."""
    if row.get("status") != "ok":
        return 0
    return 1 if row.get("Tj_over_limit_flag") == 1.0 else 2


def _left_out_line(report: StudyReport, shown: list[dict[str, Any]]) -> list[str]:
    """The line saying how many cases the summary leaves out (none when it lists all)."""
    left = len(report.rows) - len(shown)
    if left <= 0:
        return []
    failed = sum(_rank(r) == 0 for r in report.rows) - sum(_rank(r) == 0 for r in shown)
    hot = sum(_rank(r) == 1 for r in report.rows) - sum(_rank(r) == 1 for r in shown)
    what = f", {failed} of them failed" if failed else ""
    what += f", {hot} of them over the junction-temperature limit" if hot else ""
    where = Path(report.table).resolve() if report.table is not None else "the table"
    return [f"({left} more cases not listed here{what}: every row is in {where})"]


def busy_text(report: StudyReport) -> str:
    return f", {report.busy} run by another process" if report.busy else ""


def first_cases(cases: list[str], sep: str = ", ", most: int = 5) -> str:
    """The first ``most`` of ``cases`` joined by ``sep``, ``...`` after them when there
    are more (the lists of a summary line)."""
    return sep.join(cases[:most]) + (f"{sep}..." if len(cases) > most else "")


def incomplete_lines(spec: StudySpec, report: StudyReport) -> list[str]:
    """The lines saying why the run's table is incomplete and what to do (none when it
    is not): the cases another run still computes, each with its claim, and those
    another run left unfinished; then those left to another run that failed there
    (:attr:`StudyReport.failed_elsewhere`); each line ending with the run's exit status
    (:attr:`StudyReport.exit_status`). Example::

        table incomplete: 1 case still running in another run (case0001: the claim of
          host n7, pid 4242 (run 1a2b3c4d)); fea check study.toml shows it; once that
          run has ended, fea study merge study.toml writes the full table (exit status 4)
    """
    study = str(spec.path) if spec.path else "STUDY.toml"
    default = Path("results") / spec.name
    out = "" if Path(report.out) == default else f" --out {report.out}"

    def them(k: int) -> str:
        return "them" if k != 1 else "it"

    lines = []
    if report.running:
        k, shown = len(report.running), first_cases(report.running, "; ")
        lines.append(
            f"table incomplete: {k} case{'s' * (k != 1)} still running in another run "
            f"({shown}); fea check {study}{out} shows {them(k)}; once that run has ended, "
            f"fea study merge {study}{out} writes the full table (exit status 4)"
        )
    if report.left:
        k, shown = len(report.left), first_cases(report.left)
        lines.append(
            f"table incomplete: {k} case{'s' * (k != 1)} left unfinished by another run "
            f"that has ended ({shown}); fea run {study}{out} again runs {them(k)} "
            f"(exit status {report.exit_status})"
        )
    if report.failed_elsewhere:
        k, shown = len(report.failed_elsewhere), first_cases(report.failed_elsewhere)
        lines.append(
            f"{k} case{'s' * (k != 1)} left to another run failed there ({shown}); "
            f"{'their' if k != 1 else 'its'} error.json says why (exit status "
            f"{report.exit_status})"
        )
    return lines


def print_summary(spec: StudySpec, report: StudyReport) -> None:
    """Print the study's summary to stderr: a table in a terminal; in a log (stderr not a
    terminal) the plain lines of :func:`summary_lines`, nothing cut or wrapped. Either way
    it ends with the counts and the table's absolute path."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        for line in summary_lines(spec, report):
            print(line, file=sys.stderr, flush=True)
        return
    from rich.table import Table
    from rich.text import Text

    # cells and headers as Text: a value, a parameter's name or a status holding
    # brackets is shown as it is, never read as rich markup
    rows = summary_rows(report.rows)
    wanted = _output_columns(spec, rows)
    params = _param_columns(rows)
    if len(rows) == 1:  # one case: its outputs as rows, readable in any terminal
        r = rows[0]
        t = Table(title=Text(f"{spec.name} {r['case']}: {r.get('status')}"))
        t.add_column("output")
        t.add_column("value", justify="right")
        for k in params + wanted:
            t.add_row(Text(_param_name(k)), Text(_text(r.get(k, ""))))
    else:
        t = Table()
        t.add_column("case")
        t.add_column("status")
        for k in params:
            t.add_column(Text(_param_name(k)))
        wanted = wanted[:8]
        for k in wanted:
            t.add_column(Text(k), justify="right")
        for r in rows:
            vals = [Text(_text(r.get(k, ""))) for k in params + wanted]
            t.add_row(Text(str(r["case"])), Text(str(r.get("status"))), *vals)
    console.print(t)
    for r in rows:
        for note in case_notes(r):
            console.print(f"warning: {r['case']}: {note}", style="yellow", markup=False)
    for line in limit_warnings(spec, rows):
        console.print(f"warning: {line}", style="bold yellow", markup=False)
    for line in _left_out_line(report, rows):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    for line in takeover_lines(report):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(_counts_line(spec, report), markup=False, highlight=False, soft_wrap=True)
    for line in incomplete_lines(spec, report):
        console.print(line, style="bold yellow", markup=False, highlight=False, soft_wrap=True)


def summary_lines(spec: StudySpec, report: StudyReport) -> list[str]:
    """The study's summary as plain lines for a log: the swept parameters, then per case
    its id, status and parameter values and one line per output column (full column
    name, value to 6 significant digits) and its warnings (the ``notes`` column: yield,
    mesh dependence), the limit warnings and the counts with the table's absolute path.
    A sweep of more than :data:`SUMMARY_CASES` cases lists that many (:func:`summary_rows`:
    the failed first) and says how many it leaves out.

    Example::

        study tiny: 2 cases, swept parameters: geometry.shell_thickness_mm
        case c000 (ok): geometry.shell_thickness_mm = 0.035
          Tj_max_C = 81.5
        ...
        study tiny: 2 done, 0 already done, 0 failed -> /abs/results/tiny/table.csv

    and, when cases are still running in another run (or were left unfinished by one),
    :func:`incomplete_lines`.
    """
    rows = summary_rows(report.rows)
    params = _param_columns(rows)
    wanted = _output_columns(spec, rows)
    swept = ", ".join(_param_name(k) for k in params) or "none (the base case)"
    n = len(report.rows)
    lines = [f"study {spec.name}: {n} case{'s' * (n != 1)}, swept parameters: {swept}"]
    for r in rows:
        head = f"case {r['case']} ({r.get('status')})"
        values = [f"{_param_name(k)} = {_text(r[k])}" for k in params if k in r]
        lines.append(head + (": " + ", ".join(values) if values else ""))
        lines += [f"  {k} = {_text(r[k])}" for k in wanted if k in r and r[k] != ""]
        if r.get("error"):  # the runner's rows say "error: ..." or "bug (...): ..."
            text = str(r["error"])
            lines.append("  " + (text if text.startswith(("error:", "bug")) else f"error: {text}"))
        lines += [f"  warning: {note}" for note in case_notes(r)]
    lines += [f"warning: {line}" for line in limit_warnings(spec, rows)]
    lines += _left_out_line(report, rows)
    lines += takeover_lines(report)
    lines.append(_counts_line(spec, report))
    lines += incomplete_lines(spec, report)
    return lines


def _counts_line(spec: StudySpec, report: StudyReport) -> str:
    table = Path(report.table).resolve() if report.table is not None else "no table written"
    return (
        f"study {spec.name}: {report.done} done, {report.skipped} already done, "
        f"{report.failed} failed{busy_text(report)} -> {table}"
    )


def _text(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _param_columns(rows: list[dict[str, Any]]) -> list[str]:
    """The ``param:`` columns of the rows (the swept parameters), in first-seen order."""
    out: list[str] = []
    for r in rows:
        out += [k for k in r if k.startswith(_PARAM) and k not in out]
    return out


def _param_name(column: str) -> str:
    return column[len(_PARAM) :] if column.startswith(_PARAM) else column


def _output_columns(spec: StudySpec, rows: list[dict[str, Any]]) -> list[str]:
    wanted: list[str] = []
    for r in rows:
        wanted += [k for k in r if _is_output(k, spec.outputs) and k not in wanted]
    return wanted


def case_notes(row: dict[str, Any]) -> list[str]:
    """The warnings of a case's row (its ``notes`` column: yield, mesh dependence, ...),
    one per item."""
    notes = row.get("notes")
    if not notes or not isinstance(notes, str):
        return []
    return [n.strip() for n in notes.split("; ") if n.strip()]


def limit_warnings(spec: StudySpec, rows: list[dict[str, Any]]) -> list[str]:
    """One line per case whose junction temperature exceeds its limit (``Tj_over_limit_flag``)."""
    out = []
    for r in rows:
        if r.get("Tj_over_limit_flag") == 1.0:
            tj = max(r.get("Tj_max_C", -math.inf), r.get("Tj_peak_C", -math.inf))
            out.append(
                f"{r['case']}: Tj {tj:.1f} °C exceeds the junction-temperature limit "
                f"([limits] Tj_max_C, {spec.base.limits.Tj_max:g} °C in the base case)"
            )
    return out


def _is_output(column: str, outputs: tuple[str, ...]) -> bool:
    from ..package.names import Column
    from .plots import column_output

    name = column_output(column)
    if name is None or name not in outputs:
        return False
    return Column.parse(column).key
