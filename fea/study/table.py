"""The study table: one row per case (inputs, outputs, status), as CSV and HDF5."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..spec import StudySpec

__all__ = ["build_table", "read_table", "write_atomic"]

TABLE_SCHEMA = "fea-table/1"


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _read_row(folder: Path) -> dict[str, Any] | None:
    for name in ("metrics.json", "error.json"):
        f = folder / name
        if f.exists():
            try:
                row = json.loads(f.read_text())
            except (OSError, ValueError):
                continue
            row.pop("traceback", None)
            return row
    return None


def build_table(spec: StudySpec, root: str | os.PathLike) -> tuple[list[dict[str, Any]], Path]:
    """Collect the rows of every case of ``spec`` found under ``root`` (in case order) and
    write ``table.csv`` and ``table.h5`` atomically. Returns (rows, csv path)."""
    root = Path(root)
    rows = [r for cid, _, _ in spec.cases() if (r := _read_row(root / cid)) is not None]
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
        w.writerow({k: r.get(k, "") for k in keys})
    write_atomic(root / "table.csv", buf.getvalue())
    _write_h5(root / "table.h5", spec, rows, keys)
    return rows, root / "table.csv"


def _write_h5(path: Path, spec: StudySpec, rows: list[dict[str, Any]], keys: list[str]) -> None:
    import h5py

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["schema"] = TABLE_SCHEMA
            f.attrs["study"] = spec.name
            f.attrs["columns"] = json.dumps(keys)
            g = f.create_group("table")
            for k in keys:
                vals = [r.get(k) for r in rows]
                name = k.replace("/", "_")
                if all(
                    isinstance(v, int | float) and not isinstance(v, bool) or v is None
                    for v in vals
                ) and any(v is not None for v in vals):
                    g.create_dataset(
                        name, data=np.array([math.nan if v is None else float(v) for v in vals])
                    )
                else:
                    g.create_dataset(
                        name,
                        data=np.array(
                            ["" if v is None else str(v) for v in vals], dtype=h5py.string_dtype()
                        ),
                    )
                g[name].attrs["column"] = k
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_table(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Rows of a ``table.h5`` (numbers as float, NaN where a case has no value)."""
    import h5py

    with h5py.File(path, "r") as f:
        keys = json.loads(f.attrs["columns"])
        cols = {}
        for ds in f["table"].values():
            v = ds[()]
            cols[ds.attrs["column"]] = [x.decode() if isinstance(x, bytes) else x for x in v]
    n = len(next(iter(cols.values()))) if cols else 0
    return [{k: cols[k][i] for k in keys} for i in range(n)]
