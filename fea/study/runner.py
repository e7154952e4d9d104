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

Concurrency. Each run of a study has an identity (:class:`RunId`: a random id, its host
and pid), written into the files it writes for a case (``error.json`` and the lock file),
and announced for its lifetime by ``<out>/.fea-runs/<id>``, a file it holds an ``flock``
on (:func:`register_run`). Which run wrote a file is decided by these ids, never by
comparing time stamps (the clocks of cluster nodes and of the file server differ, FAT
keeps 2-s times). A case is computed under an exclusive lock on ``<case>/.lock``
(``flock``; the kernel releases it when its holder dies; where the file system has no
``flock``, a lock file ``.lock.owner`` naming host, pid and run is created atomically).
Two runs on one output folder (a rerun while the first still runs, two array tasks of
one study) share the cases: each skips a case the other holds, finished, or failed
(its ``error.json`` names a run that is still running), so no case is computed twice;
a failure recorded by a run that has ended (or by a version that wrote no id) is
retried. A claim left by a killed run is taken over with a message in the case's
``case.log`` and in the run's own output, as it happens and again in its summary (one
line per case, naming the killed run; also for a Dask task on another node): an
``flock`` at once (the kernel released it); a lock file when its process is gone (same
host), or, for another host's, once it is older than ``FEA_STALE_CLAIM_HOURS`` (default
24; a run on another host cannot be asked whether it still runs, so set this longer than
any case takes). Stale temporary files are swept from a case's folder when its lock is
taken. A Dask task holds its case's lock on its worker, apart from the run (the client)
that handed it out, and goes on computing if that run is killed: its lock file says
``heartbeat`` and the task moves the file's time every :data:`HEARTBEAT_S`, so that its
claim counts as held (``fea check``: running) while the worker computes
(:func:`case_claim`). A run that left cases to another run reads them again as it ends:
those still running elsewhere make its table incomplete, which its summary and exit
status say (:attr:`fea.study.report.StudyReport.exit_status`); the run that ends last
builds the table from every case folder, the other run's rows included.

A full disk stops the study with one error (``no space left on device while writing
<path>``, also for a case's lock); every result written before it stays as it was.

Links. A shared output folder may hold symbolic links planted by someone else: a case
folder, its ``.lock`` or ``<out>/.fea-runs`` that is a link is refused (the run would
clear, overwrite or sweep the files of the folder it names), a ``case.log`` link is
replaced by a plain log (:func:`open_case_log`); the files they name are never touched.
A case's lock files and records (``metrics.json``, ``error.json``) and a run's
announcement are opened without blocking: a named pipe planted as one of them is read as
no record (a stale claim naming no holder, for a lock file), never waited on. A Dask run
hands its tasks the case folders made absolute, not resolved, so a linked case folder is
refused there too; the output folder itself may be a link (to scratch storage).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import socket
import stat
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import FeaError, InputError, ResultsError
from ..io.atomic import sweep_parts, write_atomic, write_error
from ..package.spec import CaseSpec, StudySpec, case_input, input_files
from ..package.spec.sweeps import set_path
from .report import StudyReport, limit_warnings

__all__ = [
    "CASE_OUTPUTS",
    "CaseLock",
    "Claim",
    "HEARTBEAT_LOST_S",
    "HEARTBEAT_S",
    "RUNS_DIR",
    "RUN_KEY",
    "RunId",
    "STALE_CLAIM_ENV",
    "StudyReport",
    "base_row",
    "case_claim",
    "case_digest",
    "claim_case",
    "clear_outputs",
    "failed_by",
    "file_digest",
    "finished_current",
    "finished_digest",
    "holder",
    "input_digest",
    "limit_warnings",
    "linked_case",
    "open_case_log",
    "record_failure",
    "register_run",
    "run_alive",
    "run_case",
    "stale_claim_s",
]


try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: Age [s] after which a lock file of the fallback (no ``flock``) counts as stale, unless
#: ``FEA_STALE_CLAIM_HOURS`` says otherwise (:func:`stale_claim_s`).
STALE_LOCK_S = 86400.0
#: The environment variable setting the age [h] after which a claim (a lock file, a run's
#: announcement) of another host counts as left by a killed run.
STALE_CLAIM_ENV = "FEA_STALE_CLAIM_HOURS"
#: How often [s] a Dask task computing a case marks its claim as alive (its lock file's
#: modification time, :meth:`CaseLock.beat`): the task runs on a worker, apart from the
#: run that handed it out, and goes on computing when that run (the Dask client) ends.
HEARTBEAT_S = 30.0
#: Age [s] of a task's last heartbeat past which its claim, its run ended, counts as left
#: by a lost worker (another host's; on this host its process decides). Twenty beats:
#: the clocks of the nodes and of the file server may differ by minutes.
HEARTBEAT_LOST_S = 600.0
#: The folder of an output folder where each running run announces itself.
RUNS_DIR = ".fea-runs"
#: The key of ``error.json`` naming the run that wrote it (``{"id", "host", "pid"}``).
RUN_KEY = "run"
#: The name of a run's announcement in :data:`RUNS_DIR`: its id (:meth:`RunId.new`).
_RUN_NAME = re.compile(r"[0-9a-f]{32}")


def _disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) in _DISK_FULL


# -- which run wrote a file -------------------------------------------------------------


@dataclass(frozen=True)
class RunId:
    """The identity of one run of a study: a random ``id`` (uuid4, hex), and the ``host``
    and ``pid`` of the process that runs it (for messages and, on one host, to ask
    whether it still runs)."""

    id: str
    host: str
    pid: int

    @classmethod
    def new(cls) -> RunId:
        """A fresh identity for a run starting in this process."""
        return cls(uuid.uuid4().hex, socket.gethostname(), os.getpid())

    @classmethod
    def from_record(cls, record: Any) -> RunId | None:
        """The identity written as :meth:`record`; None for anything else (a file of an
        older version, which names no run: it counts as an earlier run's)."""
        if not isinstance(record, Mapping):
            return None
        rid, host, pid = record.get("id"), record.get("host"), record.get("pid")
        if not isinstance(rid, str) or not rid or not isinstance(host, str):
            return None
        if isinstance(pid, bool) or not isinstance(pid, int):
            return None
        return cls(rid, host, pid)

    def record(self) -> dict[str, Any]:
        """The identity as written into a case's files (JSON)."""
        return {"id": self.id, "host": self.host, "pid": self.pid}

    def text(self) -> str:
        """``run 1a2b3c4d (host node7, pid 4242)``."""
        return f"run {self.id[:8]} (host {self.host}, pid {self.pid})"


def stale_claim_s() -> float:
    """``FEA_STALE_CLAIM_HOURS`` [h], in seconds (default :data:`STALE_LOCK_S`): the age
    after which a claim of another host (whose process cannot be looked up from here)
    counts as left by a killed run. A value that is not a positive number of hours is an
    :class:`~fea.errors.InputError`."""
    text = os.environ.get(STALE_CLAIM_ENV, "").strip()
    if not text:
        return STALE_LOCK_S
    try:
        hours = float(text)
    except ValueError:
        hours = float("nan")
    if not (0 < hours < 1e6):  # NaN and inf fail too
        raise InputError(STALE_CLAIM_ENV, text, "a positive number of hours (e.g. 24)")
    return hours * 3600.0


def _pid_gone(pid: int) -> bool:
    """Whether no process ``pid`` runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError, OverflowError):
        return False
    return False


@contextlib.contextmanager
def register_run(root: Path, run: RunId) -> Any:
    """Announce ``run`` in ``root/.fea-runs/<id>`` while the block runs: the file holds
    the run's identity and an ``flock`` the kernel releases when the process dies, so
    other runs can tell a concurrent run (:func:`run_alive`) from an ended one. The file
    is removed at the end; those of runs that were killed are swept."""
    folder = root / RUNS_DIR
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"cannot create {folder}: {exc.strerror}") from None
    if folder.is_symlink() or not folder.is_dir():
        # a link planted in a shared output folder: the sweep below would remove the
        # files of the folder it names
        raise ResultsError(
            f"{folder} is not a plain folder (a symbolic link or a file): it holds the "
            "announcements of the runs on this output folder; remove it"
        )
    for old in folder.iterdir():  # killed runs' announcements (nothing else is removed)
        if (
            _RUN_NAME.fullmatch(old.name)
            and old.name != run.id
            and old.is_file()
            and not old.is_symlink()
            and not run_alive(root, old.name)
        ):
            with contextlib.suppress(OSError):
                old.unlink()
    final = folder / run.id
    tmp = folder / f".{run.id}.new"
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o666)
    except OSError as exc:
        raise ResultsError(f"cannot write {tmp}: {exc.strerror}") from None
    try:
        if fcntl is not None:
            with contextlib.suppress(OSError):  # no flock: host/pid/age decide
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            os.write(fd, json.dumps(run.record()).encode())
            os.replace(tmp, final)  # announced only once locked: never swept while starting
        except OSError as exc:  # a full disk, a folder that refuses the rename
            raise ResultsError(f"cannot write {final}: {exc.strerror}") from None
        yield run
    finally:
        with contextlib.suppress(OSError):
            final.unlink()
        with contextlib.suppress(OSError):
            tmp.unlink()
        os.close(fd)


def run_alive(root: Path, run: RunId | str) -> bool:
    """Whether the run ``run`` (its identity or id) still runs on the output folder
    ``root``: its announcement (:func:`register_run`) is there and its ``flock`` held;
    where the file system has no ``flock``: its process runs (same host), or, another
    host's, the announcement is younger than :func:`stale_claim_s`. A run without an
    announcement has ended (or was of a version that made none)."""
    rid = run if isinstance(run, str) else run.id
    if isinstance(run, RunId) and run.host == socket.gethostname() and _pid_gone(run.pid):
        return False
    path = root / RUNS_DIR / rid
    try:  # never blocking: a named pipe planted there is no run's announcement
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            except OSError:
                pass  # no flock here: the process or the age decides
            else:
                fcntl.flock(fd, fcntl.LOCK_UN)
                return False
        try:
            found = RunId.from_record(json.loads(os.read(fd, 4096) or b"null"))
            age = time.time() - os.fstat(fd).st_mtime
        except (OSError, ValueError):
            return False
        if found is None:
            return False
        if found.host == socket.gethostname():
            return not _pid_gone(found.pid)
        return age < stale_claim_s()
    finally:
        os.close(fd)


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
    run: Mapping[str, Any] | None = None,
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
    updated and kept as the preconditioner). Both are text, so not pinned. ``run``: the
    :meth:`RunId.record` of the study's run, written into ``error.json``.
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
        record_failure(out, record, digest if digest is not None else case_digest(raw), run=run)
    return row


def record_failure(
    folder: Path,
    row: dict[str, Any],
    digest: str | None = None,
    run: RunId | Mapping[str, Any] | None = None,
) -> None:
    """Write a failed case's ``error.json`` (a full disk raises its ResultsError).

    ``digest``: :func:`case_digest` of the input the case failed from, kept with the row
    (as ``metrics.json`` keeps it), so that a failure of an earlier input (a sweep value,
    a base key or a file it reads edited since) is not tabled as the present input's.
    ``run``: the run writing it (:class:`RunId` or its record, under :data:`RUN_KEY`), so
    that another run tells a failure of a run still going from one of an earlier run.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"cannot create {folder}: {exc.strerror}") from None
    record = row if digest is None else {**row, DIGEST_KEY: digest}
    if run is not None:
        record = {**record, RUN_KEY: run.record() if isinstance(run, RunId) else dict(run)}
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


def _read_plain(path: Path, *, follow: bool = True, limit: int = -1) -> bytes:
    """The bytes (at most ``limit``; -1: all) of the regular file ``path``, opened without
    blocking (a named pipe planted there kept ``fea check`` and ``fea run`` waiting for a
    writer) and, with ``follow`` False, not through a link; an :class:`OSError` when it is
    not a plain file or cannot be read."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags if follow else flags | _NOFOLLOW)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return fh.read(limit)


def _read_record(path: Path) -> str:
    """The text of a case's ``metrics.json`` or ``error.json`` at ``path`` (:func:`_read_plain`)."""
    return _read_plain(path).decode("utf-8")


def finished_digest(folder: Path) -> str | None:
    """The input digest of the finished case in ``folder``: ``""`` for a ``metrics.json``
    without one (written by an older version), None when the case is not finished (no
    readable ``metrics.json``)."""
    try:
        row = json.loads(_read_record(folder / "metrics.json"))
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
    """The exclusive lock of one case folder (see the module docstring). ``run``: the
    run taking it, named in the lock file. After :meth:`acquire`, ``taken_over`` names
    the holder of a claim that a killed run left (None when there was none).
    ``heartbeat``: the holder is a task apart from its run (a Dask worker's) and calls
    :meth:`beat` every :data:`HEARTBEAT_S` while it computes; the lock file says so
    (``heartbeat 30``), so that its claim counts as held while the beat is live, also
    once the run that handed out the task has ended (:func:`case_claim`)."""

    def __init__(self, folder: Path, run: RunId | None = None, heartbeat: bool = False) -> None:
        self.path = folder / ".lock"
        self.run = run
        self.heartbeat = heartbeat
        self.fd: int | None = None
        self.owned_file = False
        self.written = b""  # the lock file's text as this holder wrote it
        self.taken_over: str | None = None

    def _text(self) -> bytes:
        text = holder()
        if self.run is not None:
            text += f"run {self.run.id}\n"
        if self.heartbeat:
            text += f"heartbeat {HEARTBEAT_S:g}\n"
        return text.encode()

    def beat(self) -> None:
        """Mark the claim as alive now: the lock file's modification time set to the
        present (through the held descriptor, or the fallback lock file this holder
        made). Where the file system refuses to set a time through a descriptor (EPERM
        on some network file systems) the held lock file is written again, the same
        text, which moves its time too. Nothing when the lock is not held; an error is
        ignored (the next beat tries again)."""
        with contextlib.suppress(OSError, NotImplementedError):
            if self.fd is not None:
                try:
                    os.utime(self.fd)
                except (OSError, NotImplementedError):
                    os.pwrite(self.fd, self.written, 0)
            elif self.owned_file:
                os.utime(self.path.with_name(".lock.owner"), follow_symlinks=False)

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
                    err = ResultsError(f"cannot lock {self.path}: {exc.strerror or exc}")
                    err.errno = exc.errno  # type: ignore[attr-defined]
                    raise err from None
                return self._exclusive_file()
            self.fd = fd
            # a released lock is emptied: a holder named here was killed holding it
            with contextlib.suppress(OSError, ValueError):
                text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
                left = _holder_text(text) if "\nrun " in text else None  # an older
                if left is not None:  # version's lock file is left as released
                    self.taken_over = f"{left}, whose process is gone"
            self.written = self._text()
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, self.written, 0)
            except OSError as exc:  # a full disk or quota: the study stops with one line
                self.release()
                raise write_error(self.path, exc) from None
            return True
        os.close(fd)  # pragma: no cover
        return self._exclusive_file()  # pragma: no cover

    def _exclusive_file(self) -> bool:
        path = self.path.with_name(".lock.owner")
        # written in full under a private name, then linked to the lock's name: link()
        # fails when the name exists (also on NFS), and nobody ever reads a half-written
        # lock file (which an empty read would take for a stale one)
        # (one name per attempt: threads of a Dask worker claim in one process)
        tmp = self.path.with_name(f".lock.owner.{uuid.uuid4().hex}.claim")
        try:
            tmp.write_bytes(self._text())
        except OSError as exc:
            raise ResultsError(f"cannot lock {path}: {exc.strerror}") from None
        try:
            for _ in range(2):
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    if not self._take_over(path):
                        return False
                    continue
                except OSError as exc:
                    if isinstance(exc, FileNotFoundError) or _disk_full(exc):
                        raise ResultsError(f"cannot lock {path}: {exc.strerror}") from None
                    # no hard links here (FAT, exFAT, SMB shares): an exclusive create
                    return self._create_file(path)
                self.owned_file = True
                return True
            return False
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()

    def _take_over(self, path: Path) -> bool:
        """Remove the fallback lock file ``path`` when its holder is gone (:func:`_stale`),
        noting whose claim in ``taken_over``; False while it counts as held."""
        why = _stale(path)
        if why is None or not _break(path, why[0]):
            return False
        self.taken_over = why[1]
        return True

    def _create_file(self, path: Path) -> bool:
        """The lock file ``path`` made by an exclusive create and written in place, where
        the file system has no hard links (its holder's text is briefly empty: a reader
        then counts it as held, :func:`_stale`, until older than the stale age)."""
        for _ in range(2):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o666)
            except FileExistsError:
                if not self._take_over(path):
                    return False
                continue
            except OSError as exc:
                raise ResultsError(f"cannot lock {path}: {exc.strerror}") from None
            try:
                os.write(fd, self._text())
            except OSError as exc:
                with contextlib.suppress(OSError):
                    path.unlink()
                raise ResultsError(f"cannot lock {path}: {exc.strerror}") from None
            finally:
                os.close(fd)
            self.owned_file = True
            return True
        return False

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, 0)  # released, not left by a killed holder
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


def _holder_text(text: str) -> str | None:
    """``host h, pid p (run r)`` of a lock file's text; None when it names no holder."""
    lines = text.split("\n")
    parts = lines[0].split()
    if len(parts) < 2:
        return None
    run = next((ln.split()[1][:8] for ln in lines[1:] if ln.startswith("run ") and ln[4:]), None)
    return f"the claim of host {parts[0]}, pid {parts[1]}" + (f" (run {run})" if run else "")


def _stale(path: Path) -> tuple[str, str] | None:
    """When a fallback lock file's holder is gone (same host and no such process, or
    older than :func:`stale_claim_s`; a file naming no holder once older than that):
    ``(its text, why)``; None while it counts as held. The file is read as
    :func:`_read_lock` reads it (not through a link, never blocking: a named pipe planted
    there kept ``fea check`` waiting for a writer), its age that of the name itself; one
    that is not a plain file names no holder."""
    try:
        age = time.time() - os.lstat(path).st_mtime
    except OSError:
        return None
    text = _read_lock(path) or ""
    limit = stale_claim_s()
    who = _holder_text(text)
    if who is None:
        if age > limit:
            return text, f"an unreadable claim {age / 3600:.1f} h old"
        return None
    host, pid = text.split()[:2]
    if host == socket.gethostname():
        try:
            gone = _pid_gone(int(pid))
        except ValueError:
            gone = False
        if gone:
            return text, f"{who}, whose process is gone"
    if age > limit:
        return text, f"{who}, {age / 3600:.1f} h old (over {STALE_CLAIM_ENV}={limit / 3600:g})"
    return None


def _break(path: Path, seen: str) -> bool:
    """Remove the stale lock file ``path`` whose text was ``seen``, unless another run
    broke and took it meanwhile (then it is put back): True when removed."""
    aside = path.with_name(f".lock.owner.{uuid.uuid4().hex}.stale")
    try:
        os.rename(path, aside)
    except OSError:
        return False  # gone already: the next link decides
    try:  # read as _stale read it: never blocking, a file that is not plain names no one
        now = _read_lock(aside) if stat.S_ISREG(os.lstat(aside).st_mode) else ""
    except OSError:
        now = None
    if now != seen:  # a fresh claim of another run: put it back
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        except OSError:  # no hard links here: the claim written anew
            with contextlib.suppress(OSError):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o666)
                try:
                    os.write(fd, (now or "").encode())
                finally:
                    os.close(fd)
        with contextlib.suppress(OSError):
            aside.unlink()
        return False
    with contextlib.suppress(OSError):
        aside.unlink()
    return True


@dataclass
class Claim:
    """What to do with one case: run it (lock held, case parsed), or a row to record,
    or nothing (``skip``: finished before; ``busy``: another run has it). ``stale``: the
    case had finished from another input and runs again. ``note``: what the progress
    should say of the claim (a claim left by a killed run taken over)."""

    action: str  # "run" | "row" | "skip" | "busy"
    lock: CaseLock | None = None
    case: CaseSpec | None = None
    row: dict[str, Any] | None = None
    stale: bool = False
    note: str | None = None


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
    spec: StudySpec,
    cid: str,
    params: dict,
    folder: Path,
    run: RunId | float | None,
    force: bool,
    *,
    heartbeat: bool = False,
) -> Claim:
    """Lock a case and decide: skip it (finished from this input), leave it (``busy``:
    another run holds it, or failed it and still runs: its ``error.json`` names a run
    whose announcement in ``folder``'s parent is held, :func:`run_alive`), record it as
    failed (an invalid case, one too large for this machine) or run it (its
    ``metrics.json`` from another input removed first, so a run stopped now leaves it
    unfinished; an ``error.json`` of an ended run, or of an older version that named
    none, is retried). ``run``: this run's identity; anything else (a number: the start
    time earlier versions took, which decides nothing now) claims without one.
    ``heartbeat``: the claim is a Dask task's, kept alive by :meth:`CaseLock.beat`."""
    from ..package.meshing import check_size

    if finished_current(spec, folder, params):
        return Claim("skip")
    refused = linked_case(folder)
    if refused is not None:
        raise refused
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        err = ResultsError(f"cannot create {folder}: {exc.strerror}")
        err.errno = exc.errno  # type: ignore[attr-defined]
        raise err from None
    me = run if isinstance(run, RunId) else None
    lock = CaseLock(folder, me, heartbeat)
    if not lock.acquire():
        return Claim("busy")
    note = None
    if lock.taken_over is not None:
        note = f"took over {lock.taken_over}"
        _log_line(folder, note)
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
        writer = failed_by(folder / "error.json")
        if writer is not None and (
            (me is not None and writer.id == me.id) or run_alive(folder.parent, writer)
        ):  # failed by this run, or by another one still going: not computed twice
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
            record_failure(folder, row, input_digest(spec, params), me)
            lock.release()
            return Claim("row", row=row, note=note)
    except BaseException:
        lock.release()
        raise
    return Claim("run", lock=lock, case=case, stale=stale, note=note)


def linked_case(folder: Path) -> ResultsError | None:
    """The error of a case folder that :func:`claim_case` refuses for a symbolic link
    planted in a shared output folder (None when there is none): the folder itself a
    link (the case would clear the outputs of the folder it names, its ``*.csv``,
    ``*.png`` and ``result.h5``, and write its own there) or its ``.lock`` one (taking
    the lock would truncate the file it names). ``fea check`` names it as ``fea run``
    would stop at it."""
    if folder.is_symlink():
        return ResultsError(
            f"the case folder {folder} is a symbolic link (to {os.readlink(folder)}): a "
            "case's folder is a plain folder of the output folder (remove the link; to "
            "keep results elsewhere, give --out that folder)"
        )
    lock = folder / ".lock"
    if lock.is_symlink():
        return ResultsError(
            f"cannot lock {lock}: it is a symbolic link (a case's lock is a plain file: "
            "remove it)"
        )
    return None


def failed_by(path: Path) -> RunId | None:
    """The run that wrote the ``error.json`` at ``path``; None when there is none, it
    cannot be read or names no run (an older version's: an earlier run's)."""
    try:
        record = json.loads(_read_record(path))
    except (OSError, ValueError):
        return None
    return RunId.from_record(record.get(RUN_KEY)) if isinstance(record, dict) else None


def _read_lock(path: Path) -> str | None:
    """The text of a case's lock file at ``path`` (not through a link, nothing created,
    no lock taken); None when there is none or it cannot be read."""
    try:
        return _read_plain(path, follow=False, limit=4096).decode("utf-8", "replace")
    except OSError:
        return None


def case_claim(folder: Path) -> tuple[bool, str] | None:
    """Who claims the case in ``folder`` (in an output folder), read without taking its
    lock, so that a run starting meanwhile is never kept from it (``fea check``): None when
    no run claims it; ``(True, who)`` while the run holding its lock still runs;
    ``(False, who)`` when the lock was left by a killed run (the next run takes it over,
    :func:`claim_case`). ``who``: ``the claim of host h, pid p (run 1a2b3c4d)``.

    An ``flock`` released by its holder leaves the lock file empty; one whose holder was
    killed still names it, and it counts as held while that run's announcement is held
    (:func:`run_alive`; its process, on this host, must also run). A Dask task's claim
    (``heartbeat`` in the lock file, :class:`CaseLock`) also counts as held once its run
    has ended (the client killed: the worker computes on and writes the case's result)
    while the task lives: its process, on this host; another host's, while its last
    heartbeat is younger than :data:`HEARTBEAT_LOST_S`. Where there is no
    ``flock`` the lock file ``.lock.owner`` is judged as a run taking it judges it (its
    process on this host, else its age against :func:`stale_claim_s`)."""
    owner = folder / ".lock.owner"
    if os.path.lexists(owner):
        text = _read_lock(owner) or ""
        stale = _stale(owner)
        if stale is None:
            return True, _holder_text(text) or "a claim being written"
        return False, stale[1]
    text = _read_lock(folder / ".lock")
    who = _holder_text(text) if text else None
    if text is None or who is None:
        return None  # no lock, or released
    lines = text.split("\n")
    host, pid_text = lines[0].split()[:2]
    rid = next(
        (ln.split()[1] for ln in lines[1:] if ln.startswith("run ") and ln[4:].strip()), None
    )
    try:
        pid = int(pid_text)
    except ValueError:
        pid = -1
    if rid is not None:
        live = run_alive(folder.parent, RunId(rid, host, pid))
        if not live and any(ln.startswith("heartbeat ") for ln in lines[1:]):
            task = _task_alive(folder / ".lock", host, pid)
            if task is not None:
                return True, f"{who}, a Dask task computing on after its run ended ({task})"
    elif host == socket.gethostname():  # an older version's: its process decides
        live = pid > 0 and not _pid_gone(pid)
    else:  # another host's, naming no run: as its lock file would be judged
        try:
            live = time.time() - (folder / ".lock").stat().st_mtime <= stale_claim_s()
        except OSError:
            return None
    if live:
        return True, who
    return False, f"{who}, whose process is gone"


def _task_alive(lock: Path, host: str, pid: int) -> str | None:
    """How a Dask task's claim in ``lock`` (host ``host``, process ``pid``) is known to
    be alive: ``"its process runs"`` on this host, ``"its heartbeat 12 s old"`` for
    another host's younger than :data:`HEARTBEAT_LOST_S`; None when it is not."""
    if host == socket.gethostname():
        return "its process runs" if pid > 0 and not _pid_gone(pid) else None
    try:
        age = time.time() - os.lstat(lock).st_mtime
    except OSError:
        return None
    if age > HEARTBEAT_LOST_S:
        return None
    return f"its heartbeat {max(age, 0.0):.0f} s old"


def open_case_log(folder: Path) -> Any:
    """The case's ``<folder>/case.log`` opened to append (binary), never through a
    symbolic link: a ``case.log`` planted as a link to another file (a shared output
    folder) had the case's log lines and its child's output appended to that file; the
    link is removed (its target kept) and a plain log begun. An :class:`OSError` where
    it cannot be opened."""
    path = folder / "case.log"
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        path.unlink()  # the link, not the file it names
        fd = os.open(path, flags | os.O_EXCL, 0o666)
    return os.fdopen(fd, "ab")


def _log_line(folder: Path, text: str) -> None:
    """Append ``text`` to the case's ``case.log`` as the backends' lines are."""
    with contextlib.suppress(OSError):
        with open_case_log(folder) as f:
            f.write(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] fea: {text}\n".encode())


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
