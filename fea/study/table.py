"""The study table: one row per case (inputs, outputs, status), as CSV and HDF5."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..io.atomic import write_atomic_files
from ..io.table import read_frame, read_table, table_image
from ..package.names import Column
from ..package.spec import StudySpec, case_input
from ..package.spec.reference import key_unit
from .runner import DIGEST_KEY, RUN_KEY, case_digest

__all__ = ["build_table", "csv_cell", "read_frame", "read_table", "stale_cases"]

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


def csv_cell(value: Any) -> Any:
    """A value for ``table.csv``: text that a spreadsheet would run as a formula (starting
    with ``= + - @``, a tab or a carriage return) gets a leading ``'``; numbers stay."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _recorded(folder: Path) -> tuple[dict[str, Any], str] | None:
    """The row the case in ``folder`` recorded and the digest of the input it came from:
    its ``metrics.json``, else its ``error.json`` (``""`` for a file without a digest,
    written by an older version); None when it has neither (or neither is readable)."""
    for name in ("metrics.json", "error.json"):
        f = folder / name
        if f.exists():
            try:
                row = json.loads(f.read_text())
            except (OSError, ValueError):
                continue
            if not isinstance(row, dict):
                continue
            return row, str(row.pop(DIGEST_KEY, ""))
    return None


def _read_row(folder: Path, digest: str) -> dict[str, Any] | None:
    """The row of the case in ``folder``: its ``metrics.json`` (when computed from the
    input of ``digest``, or by an older version that kept no digest), else its
    ``error.json`` (likewise: a failure of another input is no row of this one); None
    when it has neither or only a record of another input."""
    found = _recorded(folder)
    if found is None or found[1] not in ("", digest):
        return None  # stale: the case's input changed since it was run
    row = found[0]
    row.pop("traceback", None)
    row.pop(RUN_KEY, None)  # which run failed it: not a column
    row["case"] = folder.name  # the folder's case, whatever an edited or copied file says
    return row


def _digests(spec: StudySpec) -> list[tuple[str, str]]:
    """``(case id, digest of its present input)`` of every case, in case order."""
    return [
        (cid, case_digest(case_input(spec.raw, params, spec.path)))
        for cid, params in spec.case_parameters()
    ]


def stale_cases(spec: StudySpec, root: str | os.PathLike) -> list[str]:
    """The cases under ``root`` whose recorded result (``metrics.json``, or the
    ``error.json`` of a failure) came from another input than the study's present one (a
    sweep value, a base key or the content of a file the case reads changed since):
    left out of the table, and run again by the next run."""
    root = Path(root)
    return [
        cid
        for cid, digest in _digests(spec)
        if (found := _recorded(root / cid)) is not None and found[1] not in ("", digest)
    ]


def build_table(spec: StudySpec, root: str | os.PathLike) -> tuple[list[dict[str, Any]], Path]:
    """Collect the rows of every case of ``spec`` found under ``root`` (in case order) and
    write ``table.csv`` and ``table.h5`` atomically and as one
    (:func:`~fea.io.atomic.write_atomic_files`: a full disk leaves both as they were).
    Returns (rows, csv path). A case finished from another input than the study's present
    one (:func:`stale_cases`) has no row."""
    root = Path(root)
    with _table_lock(root):
        return _build_table(spec, root)


@contextlib.contextmanager
def _table_lock(root: Path) -> Iterator[None]:
    """An exclusive lock on ``root/.table.lock`` while a table is built: two runs of one
    study ending at once each read the rows and write the table, and without it the run
    that read first could rename its older table over the other's. Waits for the other
    run's build; where the file system has no ``flock`` (or the lock file cannot be
    made) the table is built without it."""
    try:
        fd: int | None = os.open(
            root / ".table.lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666
        )
    except OSError:
        fd = None
    try:
        if fd is not None and fcntl is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        if fd is not None:
            os.close(fd)  # releases the lock


def _build_table(spec: StudySpec, root: Path) -> tuple[list[dict[str, Any]], Path]:
    """:func:`build_table`, its lock held."""
    rows = [r for cid, digest in _digests(spec) if (r := _read_row(root / cid, digest)) is not None]
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
    columns = {k: Column.parse(k) for k in keys if k not in ("case", "status", "error")}
    units = {k: c.unit for k, c in columns.items() if c.unit}
    for k in columns:  # a swept parameter: its key's unit (loads.h, loads.power_W.die)
        if k.startswith("param:") and (u := key_unit(k.removeprefix("param:"))):
            units[k] = u
    descriptions = {k: c.description for k, c in columns.items() if c.description}
    # both written before either is renamed: a full disk leaves the previous pair, never a
    # new table.csv beside an old table.h5
    image = table_image(spec.name, rows, keys, units, descriptions)
    write_atomic_files([(root / "table.h5", image), (root / "table.csv", buf.getvalue())])
    return rows, root / "table.csv"
