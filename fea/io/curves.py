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
from .textfile import read_text_file

__all__ = ["curve_csv", "read_curve_csv", "write_curves_csv"]


def curve_csv(columns: Mapping[str, NDArray]) -> str:
    """CSV text of one curve: a header of the column names, then one row per sample.

    A column name :func:`read_curve_csv` would not read back as written (empty, with a
    line break or a NUL, with spaces around it, or a first one starting with ``#``, which
    makes the header a comment) is an :class:`~fea.errors.InputError`."""
    for i, k in enumerate(columns):
        if (
            not isinstance(k, str)
            or not k
            or k != k.strip()
            or any(c in k for c in "\n\r\0")
            or (i == 0 and k.startswith("#"))
        ):
            raise InputError(
                "curve column",
                k,
                "a name that reads back as written: not empty, no line break, NUL or "
                "surrounding spaces, the first not starting with '#'",
            )
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


def _file_name(name: object) -> str:
    """``name`` if ``<name>.csv`` is a file directly in the folder (no folder part, not
    ``.`` or ``..``, text a file system stores); else an
    :class:`~fea.errors.InputError`."""
    allowed = "a file name: text without '/', NUL or bytes that are not UTF-8, not '.' or '..'"
    if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\0" in name:
        raise InputError("curve", name, allowed)
    if os.sep in name or (os.altsep and os.altsep in name):
        raise InputError("curve", name, allowed)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("curve", name, allowed) from None
    return name


def write_curves_csv(
    folder: str | os.PathLike, curves: Mapping[str, Mapping[str, NDArray]]
) -> list[Path]:
    """Write each curve (name -> column -> values) to ``folder/<name>.csv``; a name that
    is not a plain file name (``../x``, ``a/b``) is an :class:`~fea.errors.InputError`,
    raised before any file is written."""
    texts = [(Path(folder) / f"{_file_name(name)}.csv", curve_csv(c)) for name, c in curves.items()]
    for path, text in texts:
        write_atomic(path, text)
    return [path for path, _ in texts]


#: Largest heating-curve CSV read [bytes] (a curve of 10^5 samples is a few MB).
CURVE_CSV_MAX_BYTES = 32 << 20
#: Most samples of a curve read from CSV.
CURVE_MAX_ROWS = 1_000_000


def read_curve_csv(path: str | os.PathLike, key: str = "curve") -> dict[str, NDArray[np.float64]]:
    """A curve written by :func:`write_curves_csv` (or any CSV with a header row of
    names and numeric rows): column name -> values.

    The file is read by :func:`fea.io.textfile.read_text_file` (a regular file of at
    most :data:`CURVE_CSV_MAX_BYTES`, never blocking, a byte order mark dropped); an
    error names the file, the line and the column and what was expected, never the
    file's content. The header's names must be distinct and non-empty (a repeated name
    would hide a column); a header alone is a curve of no samples.
    """
    text = read_text_file(path, key, CURVE_CSV_MAX_BYTES, "CSV file")
    header: list[str] | None = None
    rows: list[list[float]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            cells = next(csv.reader([line]), [])
        except csv.Error as exc:  # a cell over the csv module's field limit
            raise InputError(key, f"{path}, line {n}", f"CSV cells ({exc})") from None
        if header is None:
            header = [h.strip() for h in cells]
            other = [s for s in (";", "\t") if len(header) == 1 and s in header[0]]
            if other:  # a European tester's export: ';' (decimal commas) or tabs
                named = "';'" if other[0] == ";" else "tabs"
                raise InputError(
                    key,
                    f"{path}, line {n}",
                    f"columns separated by commas (this header is separated by {named}: "
                    "export the curve as comma-separated values with decimal points)",
                )
            if "" in header or len(set(header)) != len(header):
                raise InputError(
                    key, f"{path}, line {n}", "a header of distinct, non-empty column names"
                )
            continue
        if len(cells) != len(header):
            raise InputError(
                key, f"{path}, line {n}", f"{len(header)} values per row (as the header)"
            )
        row = []
        for c, v in enumerate(cells, start=1):
            try:
                row.append(float(v))
            except ValueError:
                raise InputError(
                    key, f"{path}, line {n}, column {c}", "a number under the header"
                ) from None
        rows.append(row)
        if len(rows) > CURVE_MAX_ROWS:
            raise InputError(key, str(path), f"a curve of at most {CURVE_MAX_ROWS:,} rows")
    if header is None:
        raise InputError(key, str(path), "a CSV file with a header row")
    # a header alone is a curve of no samples (a table of no rows, as written)
    values = np.array(rows, dtype=float).reshape(len(rows), len(header))
    return {h: values[:, i] for i, h in enumerate(header)}
