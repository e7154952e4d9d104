"""Curves as CSV: a heating curve, a structure function, any named columns of equal
length, one file per curve (``<name>.csv``), written atomically.

Column names carry their unit in a suffix (``time_s``, ``zth_K_per_W``,
``C_J_per_K``), as the study table's do.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from .atomic import write_atomic

__all__ = ["curve_csv", "read_curve_csv", "write_curves_csv"]


def curve_csv(columns: Mapping[str, NDArray]) -> str:
    """CSV text of one curve: a header of the column names, then one row per sample."""
    arrays = {k: np.asarray(v, dtype=float).ravel() for k, v in columns.items()}
    lengths = {len(v) for v in arrays.values()}
    if len(lengths) > 1:
        raise InputError("curve", {k: len(v) for k, v in arrays.items()}, "columns of one length")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(arrays))
    for row in zip(*arrays.values(), strict=True):
        w.writerow([repr(float(x)) for x in row])
    return buf.getvalue()


def write_curves_csv(
    folder: str | os.PathLike, curves: Mapping[str, Mapping[str, NDArray]]
) -> list[Path]:
    """Write each curve (name -> column -> values) to ``folder/<name>.csv``."""
    out = []
    for name, columns in curves.items():
        path = Path(folder) / f"{name}.csv"
        write_atomic(path, curve_csv(columns))
        out.append(path)
    return out


def read_curve_csv(path: str | os.PathLike) -> dict[str, NDArray[np.float64]]:
    """A curve written by :func:`write_curves_csv` (or any CSV with a header row of
    names and numeric rows): column name -> values."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh) if r and not r[0].startswith("#")]
    except OSError as exc:
        raise InputError("curve", str(path), f"a readable CSV file ({exc.strerror})") from None
    if len(rows) < 2:
        raise InputError("curve", str(path), "a CSV file with a header row and data rows")
    header, data = rows[0], rows[1:]
    try:
        values = np.array([[float(x) for x in r] for r in data])
    except ValueError as exc:
        raise InputError("curve", str(path), f"numeric rows under the header ({exc})") from None
    if values.shape[1] != len(header):
        raise InputError("curve", str(path), f"{len(header)} values per row")
    return {h.strip(): values[:, i] for i, h in enumerate(header)}
