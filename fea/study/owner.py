"""Which study an output folder belongs to: ``<out>/study.json``.

A study's cases are folders named by their position (``case0000`` ...), and a finished
case whose input has changed is recomputed (:mod:`fea.study.runner`). That is right for a
study edited in place, and wrong for another study that lands in the same folder: a copy
of a study file whose ``[study] name`` was not changed, ``--out`` given another study's
folder, or two names that differ only in case (``Foo`` and ``foo``) on a file system that
does not tell them apart (macOS, Windows shares). Its cases would overwrite the other
study's finished results one by one.

So the first run writes ``study.json`` (the study's name and, for a study read from a
file, the file's absolute path) and every later run checks it before touching a case:

* another study name: refused (the run would recompute every case anyway, the name being
  part of every case's input);
* the same name read from another file: refused only when a finished case would be
  recomputed (its input differs), so a study file moved or opened through another path
  with its cases unchanged goes on and the record takes its new path.

The error names both studies, the cases at stake and the two ways on (``--out``, or
removing ``study.json`` to let this study take the folder over). A folder without the
record (written by an older version) is taken as this study's; a ``study.json`` that is
not such a record is an error (it is not overwritten).
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

from ..errors import ResultsError
from ..package.spec import StudySpec

__all__ = ["OWNER_FILE", "check_owner", "record_owner", "study_file"]

#: The record of the study an output folder belongs to, in that folder.
OWNER_FILE = "study.json"


def study_file(spec: StudySpec) -> str | None:
    """The absolute path of the file ``spec`` was read from, symbolic links resolved
    (None for a study given as a dict). Relative paths are taken against the present
    working folder, as the reader took them."""
    if not spec.path:
        return None
    return os.path.realpath(spec.path)  # one name through symbolic links (/home -> /gpfs)


def _read(root: Path) -> dict[str, Any] | None:
    """The record in ``root`` (None when there is none); a
    :class:`~fea.errors.ResultsError` when it cannot be read or is not a record of ours
    (a file of that name someone else put there is never overwritten)."""
    path = root / OWNER_FILE
    for attempt in (0, 1):
        try:
            text = path.read_text(encoding="utf-8")
            break
        except FileNotFoundError:
            return None
        except OSError as exc:
            # another array task replacing the record on NFS: ESTALE once, then read
            if attempt == 0 and exc.errno == errno.ESTALE:
                continue
            raise ResultsError(f"cannot read {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            text = ""
            break
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("study"), str):
        raise ResultsError(
            f"{path} is not fea's record of the study this folder holds (a JSON object with "
            "'study' and 'file'): rename or remove it, it is not overwritten"
        )
    file = data.get("file")
    return {"study": data["study"], "file": file if isinstance(file, str) else None}


def _same_file(a: str, b: str) -> bool:
    """Whether the paths ``a`` and ``b`` name one file (also through a bind mount)."""
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _describe(name: str, file: str | None) -> str:
    return f"study {name!r}" + (f" (from {file})" if file else "")


def check_owner(spec: StudySpec, root: Path) -> None:
    """Refuse to run ``spec`` in the output folder ``root`` when it holds another study's
    results (see the module docstring): a :class:`~fea.errors.ResultsError` naming both
    studies and the way on. Nothing is read when ``root`` has no record. Every case of
    the study is compared, also for a run of one slice (``--slice``): a slice whose own
    cases are unchanged would otherwise record the new file and let the other slices
    recompute theirs over the other study's results."""
    found = _read(root)
    if found is None:
        return
    this = study_file(spec)
    way_on = (
        f"run it with --out and another folder, or remove {root / OWNER_FILE} to let this "
        "study take the folder over"
    )
    if found["study"] != spec.name:
        raise ResultsError(
            f"the output folder {root} holds the results of "
            f"{_describe(found['study'], found['file'])}, not of "
            f"{_describe(spec.name, this)} (names that differ only in case are one folder "
            f"on some file systems); a run here would recompute its cases over those "
            f"results and replace its table: {way_on}"
        )
    if this is None or found["file"] is None or _same_file(found["file"], this):
        return
    from .runner import finished_current

    stale = [
        cid
        for cid, params in spec.case_parameters()
        if finished_current(spec, root / cid, params) is False
    ]
    if stale:
        shown = ", ".join(stale[:5]) + (f" and {len(stale) - 5} more" if len(stale) > 5 else "")
        raise ResultsError(
            f"the output folder {root} holds the results of study {spec.name!r} from "
            f"{found['file']}; this study of the same name is read from {this} and "
            f"differs in {len(stale)} finished case(s) ({shown}), which would be "
            f"recomputed over those results: {way_on}"
        )


def record_owner(spec: StudySpec, root: Path) -> None:
    """Write ``root/study.json`` for ``spec`` (atomically) unless it already says so."""
    from ..io.atomic import write_atomic

    record = {"study": spec.name, "file": study_file(spec)}
    found = _read(root)  # not ours or unreadable: an error, nothing overwritten
    if found is not None and found["study"] == spec.name and record["file"] is None:
        return  # a study given in Python keeps the file the record names
    if found == record:
        return
    write_atomic(root / OWNER_FILE, json.dumps(record, indent=1) + "\n")
