"""The report of a study run: its counts, the summary table printed at the end and the
junction-temperature limit warnings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..package.spec import StudySpec

__all__ = ["StudyReport", "busy_text", "limit_warnings", "print_summary"]


@dataclass
class StudyReport:
    """Outcome of a study run: counts of this run and the table rows of the whole study.

    ``busy`` counts cases another run was computing (or finished meanwhile).
    """

    out: Path
    done: int = 0
    failed: int = 0
    skipped: int = 0
    busy: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    table: Path | None = None


def busy_text(report: StudyReport) -> str:
    return f", {report.busy} run by another process" if report.busy else ""


def print_summary(spec: StudySpec, report: StudyReport) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    wanted: list[str] = []
    for r in report.rows:
        wanted += [k for k in r if _is_output(k, spec.outputs) and k not in wanted]
    if len(report.rows) == 1:  # one case: its outputs as rows, readable in any terminal
        r = report.rows[0]
        t = Table(title=f"{spec.name} {r['case']}: {r.get('status')}")
        t.add_column("output")
        t.add_column("value", justify="right")
        for k in wanted:
            v = r.get(k, "")
            t.add_row(k, f"{v:.4g}" if isinstance(v, float) else str(v))
    else:
        t = Table()
        t.add_column("case")
        t.add_column("status")
        wanted = wanted[:8]
        for k in wanted:
            t.add_column(k, justify="right")
        for r in report.rows:
            vals = [
                f"{r[k]:.4g}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in wanted
            ]
            t.add_row(r["case"], str(r.get("status")), *vals)
    console.print(t)
    for line in limit_warnings(spec, report.rows):
        console.print(f"warning: {line}", style="bold yellow", markup=False)
    console.print(
        f"study {spec.name}: {report.done} done, {report.skipped} already done, "
        f"{report.failed} failed{busy_text(report)} -> {report.table}"
    )


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
