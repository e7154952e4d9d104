"""Run the cases of a study one after another and tabulate their metrics.

Each case writes ``<out>/<case>/metrics.json`` atomically; a finished case is
skipped when the study is run again; a failing case is recorded with its error
and does not stop the others; ``table.csv`` collects inputs and outputs.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FeaError, InputError
from ..spec import StudySpec

__all__ = ["StudyReport", "run_study"]


@dataclass
class StudyReport:
    """Outcome of a study run."""

    out: Path
    done: int = 0
    failed: int = 0
    skipped: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def run_study(
    spec: StudySpec,
    out: str | os.PathLike | None = None,
    workers: int = 1,
    slice_: str | None = None,
    scheduler: str | None = None,
    cluster: str | None = None,
) -> StudyReport:
    """Run every case of ``spec`` and write ``<out>/table.csv``.

    Only local, sequential execution is implemented so far: ``workers > 1``,
    ``slice_``, ``scheduler`` and ``cluster`` raise :class:`~fea.errors.InputError`.
    """
    from rich.console import Console

    from ..package import analyse

    for key, value, default in (
        ("--workers", workers, 1),
        ("--slice", slice_, None),
        ("--scheduler", scheduler, None),
        ("--cluster", cluster, None),
    ):
        if value != default:
            raise InputError(
                key, value, "not available yet: studies run locally, one case at a time"
            )
    console = Console(stderr=True)
    root = Path(out) if out is not None else Path("results") / spec.name
    report = StudyReport(root)
    cases = list(spec.cases())
    for i, (cid, params, case) in enumerate(cases):
        folder = root / cid
        done_file = folder / "metrics.json"
        if done_file.exists():
            row = json.loads(done_file.read_text())
            report.skipped += 1
            report.rows.append(row)
            continue
        console.print(f"[{i + 1}/{len(cases)}] {cid} {params or '(base case)'}")
        t0 = time.perf_counter()
        row: dict[str, Any] = {"case": cid, **{f"param:{k}": v for k, v in params.items()}}
        try:
            if isinstance(case, FeaError):
                raise case
            metrics = analyse(case)
            row.update(metrics)
            row["status"] = "ok"
            _atomic_write(done_file, json.dumps(row, indent=1, sort_keys=True))
            report.done += 1
        except FeaError as exc:
            row.update(status="failed", error=str(exc))
            _atomic_write(folder / "error.txt", traceback.format_exc())
            report.failed += 1
            console.print(f"  failed: {exc}")
        row["wall_s"] = time.perf_counter() - t0
        report.rows.append(row)
    keys: list[str] = []
    for r in report.rows:
        keys += [k for k in r if k not in keys]
    fd, tmp = tempfile.mkstemp(dir=root if root.exists() else None, suffix=".csv")
    root.mkdir(parents=True, exist_ok=True)
    with os.fdopen(fd, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        for r in report.rows:
            w.writerow(r)
    os.replace(tmp, root / "table.csv")
    _print_summary(console, spec, report)
    return report


def _print_summary(console, spec: StudySpec, report: StudyReport) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(
        title=f"study {spec.name}: {report.done} done, {report.skipped} already done, "
        f"{report.failed} failed -> {report.out / 'table.csv'}"
    )
    t.add_column("case")
    wanted = ["Tj_max", "theta_ja", "psi_jt", "theta_jc"]
    for r in report.rows:
        wanted += [
            k
            for k in r
            if k.startswith(("warpage_signed_um@", "von_mises_max_MPa@"))
            and k.endswith(("C", ":shell"))
            and k not in wanted
        ]
    for k in wanted:
        t.add_column(k, justify="right")
    for r in report.rows:
        vals = [f"{r[k]:.4g}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in wanted]
        t.add_row(r["case"], *vals)
    Console().print(t)
