"""The study table: one row per case (inputs, outputs, status), as CSV and HDF5."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from ..io.atomic import write_atomic
from ..io.table import read_frame, read_table, write_table
from ..package.names import Column
from ..package.spec import StudySpec

__all__ = ["build_table", "csv_cell", "read_frame", "read_table"]


def csv_cell(value: Any) -> Any:
    """A value for ``table.csv``: text that a spreadsheet would run as a formula (starting
    with ``= + - @``, a tab or a carriage return) gets a leading ``'``; numbers stay."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _read_row(folder: Path) -> dict[str, Any] | None:
    for name in ("metrics.json", "error.json"):
        f = folder / name
        if f.exists():
            try:
                row = json.loads(f.read_text())
            except (OSError, ValueError):
                continue
            if not isinstance(row, dict):
                continue
            row.pop("traceback", None)
            return row
    return None


def build_table(spec: StudySpec, root: str | os.PathLike) -> tuple[list[dict[str, Any]], Path]:
    """Collect the rows of every case of ``spec`` found under ``root`` (in case order) and
    write ``table.csv`` and ``table.h5`` atomically. Returns (rows, csv path)."""
    root = Path(root)
    rows = [r for cid, _ in spec.case_parameters() if (r := _read_row(root / cid)) is not None]
    keys: list[str] = ["case", "status"]
    for r in rows:
        keys += [k for k in r if k not in keys]
    keys = [k for k in keys if k != "error"] + (
        ["error"] if any("error" in r for r in rows) else []
    )
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: csv_cell(r.get(k, "")) for k in keys})
    write_atomic(root / "table.csv", buf.getvalue())
    columns = {k: Column.parse(k) for k in keys if k not in ("case", "status", "error")}
    units = {k: c.unit for k, c in columns.items() if c.unit}
    descriptions = {k: c.description for k, c in columns.items() if c.description}
    write_table(root / "table.h5", spec.name, rows, keys, units, descriptions)
    return rows, root / "table.csv"
