"""Run one case of a study, under its folder's lock.

The study itself (:func:`run_study`) is in :mod:`fea.study.driver`, the backends
(child processes here, Dask) in :mod:`fea.study.backends`, the summary in
:mod:`fea.study.report`; those names stay importable from here.

Each case runs in its own folder ``<out>/<case>/`` and writes, in this order and each
atomically: ``result.h5`` + ``result.xdmf`` (fields), then ``metrics.json`` (its row
of the table and the digest of the input it was computed from, :func:`case_digest`).
``metrics.json`` marks the case finished: a study stopped at any point (SIGKILL
included) and run again skips the finished cases and recomputes only the others. A
finished case whose input has changed since (a sweep value edited, a base key changed:
case ids are positions in the sweep, not values; or a file the case reads, the power-map
CSV or the ``.msh``/STEP model, written with other content: the digest covers each
file's bytes, not its time stamps) is stale: it is run again, never reused (a
``metrics.json`` without a digest, from an older version, is kept). The digest is taken
as the case starts reading its input, so a file edited while the case runs leaves it
stale. Digests of studies that read no file are those of earlier versions; a case of a
study that reads a file, finished by a version whose digest did not cover files, is
stale once and computed again. A case that
runs, again or after a failed attempt, first loses the results, curves and figures an
earlier attempt left (:func:`clear_outputs`), so none is shown as this run's. A failing
case writes ``error.json`` (its error and traceback) and does not stop the others. At
the end ``table.csv`` and ``table.h5`` collect inputs and outputs of every case present
and finished from the study's present input, and the plots are drawn next to them.

Isolation. Every case runs in a child process (:mod:`fea.study.worker`), also with one
worker: a crash in native code becomes a failed row whose ``error.json`` says
``crashed with signal 11 (SIGSEGV) while meshing``, and the study goes on. The children
die with the runner (SIGKILL or SIGTERM), and SIGTERM or Ctrl-C stops them first. The
child's output goes to ``<case>/case.log``, one header line per attempt.

Concurrency. A case is computed under an exclusive lock on ``<case>/.lock`` (``flock``;
the kernel releases it when its holder dies, so a lock is never stale; where the file
system has no ``flock``, a lock file naming host and pid is taken, and broken when that
process is gone or the file is older than a day). Two runs on one output folder share the
cases: each skips a case the other holds or finished after it started, so no case is
computed twice. Stale temporary files are swept from a case's folder when its lock is
taken.

A full disk stops the study with one error (``no space left on device while writing
<path>``); every result written before it stays as it was.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import socket
import stat
import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import FeaError, InputError, ResultsError
from ..io.atomic import sweep_parts, write_atomic
from ..package.spec import CaseSpec, StudySpec, case_input, input_files
from ..package.spec.sweeps import set_path
from .report import StudyReport, limit_warnings

__all__ = [
    "CASE_OUTPUTS",
    "CaseLock",
    "Claim",
    "StudyReport",
    "base_row",
    "case_digest",
    "claim_case",
    "clear_outputs",
    "file_digest",
    "finished_current",
    "finished_digest",
    "holder",
    "input_digest",
    "limit_warnings",
    "record_failure",
    "run_case",
]


try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: Age [s] after which a lock file of the fallback (no ``flock``) counts as stale.
STALE_LOCK_S = 86400.0


def _disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) in _DISK_FULL


# -- one case, in the current process ---------------------------------------------------


def run_case(
    raw: dict[str, Any],
    cid: str,
    params: dict[str, Any],
    folder: str,
    study: str,
    cache_dir: str | None = None,
    field_plots: bool = False,
    *,
    force: bool = False,
    on_warning: Callable[[str], None] | None = None,
    context: Any = None,
) -> dict[str, Any]:
    """Run one case in this process: returns its table row, never raises for a failed case.

    ``raw`` is the study's input with the case's parameters applied; it is validated
    here, so a worker needs nothing but this call. Writes ``result.h5`` then
    ``metrics.json`` into ``folder`` (or ``error.json`` on failure). User-facing warnings
    (e.g. undefined resistances without power) go to the row's ``notes`` and to
    ``on_warning``. ``force`` skips the size guard. A full disk raises its
    :class:`~fea.errors.ResultsError`: nothing more can be recorded. ``context``: the
    :class:`fea.package.analyse.SolverContext` of the case's group (``[sweep] group``),
    whose mechanics setup the case reuses; the row then says so: ``solve_group`` (the
    group's first case) and ``solver_reused`` (text ``"r/n"``: r of the case's n elastic
    warpage states solved with a setup an earlier case of the group left, as it was or
    updated and kept as the preconditioner). Both are text, so not pinned.
    """
    from ..package import analyse
    from ..package import meshing as mesh_mod
    from ..package.progress import stage
    from ..package.spec import parse_study

    if cache_dir is not None:
        mesh_mod.CACHE_DIR = Path(cache_dir)
    guard = mesh_mod.SIZE_GUARD
    out = Path(folder)
    row = base_row(cid, params)
    t0 = time.perf_counter()
    notes: list[str] = []
    base_name: list[str] = []  # the parsed case's name (the study's), once it is parsed

    def note(message: warnings.WarningMessage) -> None:
        # "; " separates the notes of the row's column (report.case_notes splits on it):
        # inside one note it would cut it in two
        text = str(message.message).replace("; ", ", ")
        # the analysis names the case it was given, whose name is the study's: in a sweep
        # every row's note said "case <study> ...", so it names the row's case instead
        for name in base_name:
            head = f"case {name}"
            if name != cid and text.startswith((head + " ", head + ":")):
                text = f"case {cid}" + text[len(head) :]
        if text not in notes:
            notes.append(text)
            if on_warning is not None:
                on_warning(text)

    digest: str | None = None
    try:
        # the input as the case starts to read it: a file edited while the case runs is
        # not recorded as the one its results came from (the case is stale, not finished)
        digest = case_digest(raw)
        out.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            case = parse_study(raw).base
            base_name.append(str(case.name))
            mesh_mod.SIZE_GUARD = guard and not force
            try:
                if context is not None:
                    context.last = {}
                metrics = analyse(case, out, meta={"study": study, "case": cid}, context=context)
            finally:
                mesh_mod.SIZE_GUARD = guard
            if field_plots:
                from .plots import case_field_plots

                stage("field plots")
                case_field_plots(case, out)
            if field_plots or case.transient is not None:
                from .plots import case_curve_plots

                stage("curve plots")
                case_curve_plots(case, out)
        for w in caught:
            if issubclass(w.category, UserWarning):
                note(w)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        row.update(metrics)
        if context is not None:
            row["solve_group"] = context.group
            last = context.last
            row["solver_reused"] = f"{last.get('reused_states', 0)}/{last.get('states', 0)}"
        if notes:
            row["notes"] = "; ".join(notes)
        row["status"] = "ok"
        row["wall_s"] = time.perf_counter() - t0
        record = {**row, DIGEST_KEY: digest}
        write_atomic(out / "metrics.json", json.dumps(record, indent=1, sort_keys=True))
        (out / "error.json").unlink(missing_ok=True)
    except Exception as exc:  # a failing case is recorded and the study goes on
        if _disk_full(exc):  # nothing more can be recorded: the study stops
            if isinstance(exc, ResultsError):
                raise
            err = ResultsError(f"no space left on device ({exc})")
            err.errno = exc.errno  # type: ignore[attr-defined]
            raise err from None
        kind = "error" if isinstance(exc, FeaError) else f"bug ({type(exc).__name__})"
        row.update(status="failed", error=f"{kind}: {exc}", wall_s=time.perf_counter() - t0)
        record = {**row, "traceback": traceback.format_exc()}
        record_failure(out, record, digest if digest is not None else case_digest(raw))
    return row


def record_failure(folder: Path, row: dict[str, Any], digest: str | None = None) -> None:
    """Write a failed case's ``error.json`` (a full disk raises its ResultsError).

    ``digest``: :func:`case_digest` of the input the case failed from, kept with the row
    (as ``metrics.json`` keeps it), so that a failure of an earlier input (a sweep value,
    a base key or a file it reads edited since) is not tabled as the present input's.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"cannot create {folder}: {exc.strerror}") from None
    record = row if digest is None else {**row, DIGEST_KEY: digest}
    write_atomic(folder / "error.json", json.dumps(record, indent=1, sort_keys=True, default=str))


#: What the progress says of a stale case (finished from another input) that runs again.
STALE_NOTE = (
    "finished before from another input (the study file or a file it reads changed): run again"
)

#: The key of ``metrics.json`` holding :func:`case_digest` of the case's input (not a
#: table column: :func:`fea.study.table.build_table` drops it).
DIGEST_KEY = "input_digest"


def case_digest(raw: Mapping[str, Any]) -> str:
    """A digest of one case's input: the study's input with the case's overrides applied
    (:func:`fea.package.spec.case_input`, the ``raw`` a case runs from), and the
    content of every file that input reads (:func:`fea.package.spec.input_files`: the
    power-map CSV, the ``.msh`` or STEP file), each by :func:`file_digest` under the key
    that names it, in place of its path. Equal inputs give equal digests (key order, a
    file's path or time stamps do not count, its bytes do: a project folder moved or
    reached through another mount keeps its finished cases); any changed value, a sweep
    value, a base key or a file's content alike, gives another. The digest of an input
    that reads no file is the one earlier versions gave (their finished cases stay
    finished)."""
    found = input_files(raw)
    if not found:
        text = json.dumps(raw, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:24]
    files = {key: file_digest(path) for key, path in found.items()}
    keyed = dict(raw)
    for key in found:  # the file's bytes stand for it, not where it lies (copy on write)
        set_path(keyed, key, "<file>")
    text = json.dumps(keyed, sort_keys=True, default=str)
    # json.dumps writes no newline: the two parts cannot run into each other
    text += "\nfiles " + json.dumps(files, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


#: :func:`file_digest`'s cache: (path, st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns)
#: -> the SHA-256 of the file's bytes, the oldest entry dropped past FILE_DIGEST_CACHE.
_FILE_DIGESTS: dict[tuple[Any, ...], str] = {}
#: Most files whose digest :func:`file_digest` keeps.
FILE_DIGEST_CACHE = 256
#: Age [ns] a file's last change must have for :func:`file_digest` to keep its digest: a
#: file written twice within one tick of the file system's clock keeps its times (and
#: maybe its size), so the digest of a file changed this recently is never reused.
FILE_SETTLE_NS = 2_000_000_000


def file_digest(path: str | os.PathLike) -> str:
    """The SHA-256 (hex) of the bytes of the regular file ``path``, for :func:`case_digest`.

    Cached in this process by the file's path, device, inode, size and modification and
    change times [ns]: a study of many cases reading one large file hashes it once, and a
    file written again (even with the same size and modification time: its change time
    moves) is hashed again. A file changed less than :data:`FILE_SETTLE_NS` ago is hashed
    each time (two writes within one tick of the clock leave the same times). A file that
    cannot be read gives a marker instead (``missing: <reason>``, ``not a regular
    file``), never an error and never a SHA-256: the digest differs from any file's, and
    the case's own run reports the real error. Never blocks (a FIFO is opened
    non-blocking and refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return f"missing: {exc.strerror or type(exc).__name__}"
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            return "not a regular file"
        key = (
            os.fspath(path),
            before.st_dev,
            before.st_ino,
            before.st_size,
            before.st_mtime_ns,
            before.st_ctime_ns,
        )
        found = _FILE_DIGESTS.get(key)
        if found is not None:
            return found
        h = hashlib.sha256()
        while chunk := os.read(fd, 1 << 20):
            h.update(chunk)
        digest = h.hexdigest()
        after = os.fstat(fd)
    except OSError as exc:
        return f"unreadable: {exc.strerror or type(exc).__name__}"
    finally:
        os.close(fd)
    settled = time.time_ns() - max(after.st_mtime_ns, after.st_ctime_ns) >= FILE_SETTLE_NS
    if settled and (after.st_size, after.st_mtime_ns, after.st_ctime_ns) == key[3:]:
        # kept only when the file did not change while it was read, nor just before
        while len(_FILE_DIGESTS) >= FILE_DIGEST_CACHE:
            del _FILE_DIGESTS[next(iter(_FILE_DIGESTS))]
        _FILE_DIGESTS[key] = digest
    return digest


def input_digest(spec: StudySpec, params: Mapping[str, Any]) -> str:
    """:func:`case_digest` of the case of ``params`` in ``spec`` (its present input, as
    :func:`fea.package.spec.case_input` builds it)."""
    return case_digest(case_input(spec.raw, params, spec.path))


def finished_digest(folder: Path) -> str | None:
    """The input digest of the finished case in ``folder``: ``""`` for a ``metrics.json``
    without one (written by an older version), None when the case is not finished (no
    readable ``metrics.json``)."""
    try:
        row = json.loads((folder / "metrics.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(row, dict):
        return None
    return str(row.get(DIGEST_KEY, ""))


def finished_current(spec: StudySpec, folder: Path, params: Mapping[str, Any]) -> bool | None:
    """Whether the case of ``params`` in ``folder`` is finished from its present input:
    True (also when finished by an older version, which kept no digest), False when
    finished from another input (stale: it runs again), None when not finished."""
    found = finished_digest(folder)
    if found is None:
        return None
    return found in ("", input_digest(spec, params))


def base_row(cid: str, params: dict[str, Any]) -> dict[str, Any]:
    """The table row of a case before it has results: its id and swept parameters."""
    return {"case": cid, **{f"param:{k}": _cell(v) for k, v in params.items()}}


def _cell(v: Any) -> Any:
    return v if isinstance(v, int | float | str | bool) else json.dumps(v, default=str)


# -- claiming a case: lock, skip, check ----------------------------------------------------


class CaseLock:
    """The exclusive lock of one case folder (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ".lock"
        self.fd: int | None = None
        self.owned_file = False

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""
        try:
            # not through a symbolic link: a .lock planted as a link to another file
            # would have that file truncated and overwritten with the holder's name
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o666)
        except OSError as exc:
            reason = exc.strerror
            if exc.errno == errno.ELOOP:
                reason = "it is a symbolic link (a case's lock is a plain file: remove it)"
            err = ResultsError(f"cannot lock {self.path}: {reason}")
            err.errno = exc.errno  # type: ignore[attr-defined]
            raise err from None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            except OSError as exc:  # no flock on this file system: a lock file instead
                os.close(fd)
                if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                    raise
                return self._exclusive_file()
            self.fd = fd
            os.ftruncate(fd, 0)
            os.write(fd, holder().encode())
            return True
        os.close(fd)  # pragma: no cover
        return self._exclusive_file()  # pragma: no cover

    def _exclusive_file(self) -> bool:
        path = self.path.with_name(".lock.owner")
        for _ in range(2):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                if not _stale(path):
                    return False
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            except OSError as exc:
                raise ResultsError(f"cannot lock {path}: {exc.strerror}") from None
            os.write(fd, holder().encode())
            os.close(fd)
            self.owned_file = True
            return True
        return False

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        if self.owned_file:
            with contextlib.suppress(OSError):
                self.path.with_name(".lock.owner").unlink()
            self.owned_file = False


def holder() -> str:
    return f"{socket.gethostname()} {os.getpid()} {time.strftime('%Y-%m-%dT%H:%M:%S')}\n"


def _stale(path: Path) -> bool:
    """Whether a fallback lock file's holder is gone: same host and no such process, or
    older than :data:`STALE_LOCK_S`."""
    try:
        host, pid, *_ = path.read_text().split()
        age = time.time() - path.stat().st_mtime
    except (OSError, ValueError):
        return True
    if age > STALE_LOCK_S:
        return True
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError):
        return False
    return False


@dataclass
class Claim:
    """What to do with one case: run it (lock held, case parsed), or a row to record,
    or nothing (``skip``: finished before; ``busy``: another run has it). ``stale``: the
    case had finished from another input and runs again."""

    action: str  # "run" | "row" | "skip" | "busy"
    lock: CaseLock | None = None
    case: CaseSpec | None = None
    row: dict[str, Any] | None = None
    stale: bool = False


#: The files a case writes besides ``metrics.json``/``error.json`` and its log: results
#: and their sidecars, the ParaView script, curve tables, figures.
CASE_OUTPUTS = ("result.h5", "result*.xdmf", "result_paraview.py", "*.csv", "*.png")


def clear_outputs(folder: Path) -> list[Path]:
    """Remove the outputs (:data:`CASE_OUTPUTS`) an earlier attempt of the case in
    ``folder`` left, before the case runs (its folder's lock held): a run from another
    input, or a failed or stopped one, would otherwise leave its fields for ParaView and
    its curves for the study's plots (which read every CSV of a case folder) beside
    this run's. The log, ``error.json`` and other files stay. Returns the removed paths;
    a file that cannot be removed is a :class:`~fea.errors.ResultsError` naming it."""
    removed = []
    for pattern in CASE_OUTPUTS:
        for path in sorted(folder.glob(pattern)):
            if path.is_dir() and not path.is_symlink():
                continue
            try:
                path.unlink()
            except OSError as exc:
                raise ResultsError(
                    f"cannot remove {path} (an earlier attempt's output): {exc.strerror}"
                ) from None
            removed.append(path)
    return removed


def claim_case(
    spec: StudySpec, cid: str, params: dict, folder: Path, started: float, force: bool
) -> Claim:
    """Lock a case and decide: skip it (finished from this input), record it as failed
    (an invalid case, one too large for this machine) or run it (its ``metrics.json``
    from another input removed first, so a run stopped now leaves it unfinished)."""
    from ..package.meshing import check_size

    if finished_current(spec, folder, params):
        return Claim("skip")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        err = ResultsError(f"cannot create {folder}: {exc.strerror}")
        err.errno = exc.errno  # type: ignore[attr-defined]
        raise err from None
    lock = CaseLock(folder)
    if not lock.acquire():
        return Claim("busy")
    try:
        current = finished_current(spec, folder, params)
        if current:  # another run finished it meanwhile
            lock.release()
            return Claim("busy")
        stale = current is False
        if stale:
            try:
                (folder / "metrics.json").unlink(missing_ok=True)
            except OSError as exc:
                raise ResultsError(
                    f"cannot remove {folder / 'metrics.json'} (a result from another input): "
                    f"{exc.strerror}"
                ) from None
        err = folder / "error.json"
        if err.exists() and err.stat().st_mtime >= started:  # another run, meanwhile
            lock.release()
            return Claim("busy")
        sweep_parts(folder, everything=True)
        clear_outputs(folder)
        try:
            case = spec.case(params)
            check_size(case, force=force)
        except InputError as exc:
            if spec.sweep is None:
                raise  # the study's only case: the whole run is refused
            row = base_row(cid, params)
            row.update(status="failed", error=f"error: {exc}", wall_s=0.0)
            record_failure(folder, row, input_digest(spec, params))
            lock.release()
            return Claim("row", row=row)
    except BaseException:
        lock.release()
        raise
    return Claim("run", lock=lock, case=case, stale=stale)


# -- one case in a child process -------------------------------------------------------------


#: Names that moved to :mod:`fea.study.backends` and :mod:`fea.study.driver` (which
#: import this module), still importable from here.
_MOVED = {
    "CaseProcess": "backends",
    "gpu_devices": "backends",
    "parse_slice": "driver",
    "run_study": "driver",
}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
