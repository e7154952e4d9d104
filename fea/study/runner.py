"""Run the cases of a study: locally, each case in its own child process, or on Dask.

Each case runs in its own folder ``<out>/<case>/`` and writes, in this order and each
atomically: ``result.h5`` + ``result.xdmf`` (fields), then ``metrics.json`` (its row
of the table). ``metrics.json`` marks the case finished: a study stopped at any point
(SIGKILL included) and run again skips the finished cases and recomputes only the
others. A failing case writes ``error.json`` (its error and traceback) and does not
stop the others. At the end ``table.csv`` and ``table.h5`` collect inputs and outputs
of every case present, and the plots are drawn next to them.

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
import json
import math
import os
import pickle
import selectors
import signal
import socket
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FeaError, InputError, ResultsError
from ..io.atomic import sweep_parts, write_atomic
from ..package.spec import CaseSpec, StudySpec, apply_overrides
from .progress import StudyProgress
from .table import build_table

__all__ = [
    "CaseLock",
    "CaseProcess",
    "StudyReport",
    "gpu_devices",
    "limit_warnings",
    "parse_slice",
    "run_case",
    "run_study",
]

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
#: Age [s] after which a lock file of the fallback (no ``flock``) counts as stale.
STALE_LOCK_S = 86400.0


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


def parse_slice(value: str | None) -> tuple[int, int] | None:
    """``"i/n"`` -> (i, n) with 0 <= i < n; None for no slicing."""
    if value is None:
        return None
    i_s, sep, n_s = str(value).partition("/")
    try:
        i, n = int(i_s), int(n_s)
    except ValueError:
        i, n = -1, 0
    if not sep or n < 1 or not 0 <= i < n:
        raise InputError("--slice", value, "i/n with integers 0 <= i < n (e.g. 0/4)")
    return i, n


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
) -> dict[str, Any]:
    """Run one case in this process: returns its table row, never raises for a failed case.

    ``raw`` is the study's input with the case's parameters applied; it is validated
    here, so a worker needs nothing but this call. Writes ``result.h5`` then
    ``metrics.json`` into ``folder`` (or ``error.json`` on failure). User-facing warnings
    (e.g. undefined resistances without power) go to the row's ``notes`` and to
    ``on_warning``. ``force`` skips the size guard. A full disk raises its
    :class:`~fea.errors.ResultsError`: nothing more can be recorded.
    """
    from ..package import analyse
    from ..package import meshing as mesh_mod
    from ..package.progress import stage
    from ..package.spec import parse_study

    if cache_dir is not None:
        mesh_mod.CACHE_DIR = Path(cache_dir)
    guard = mesh_mod.SIZE_GUARD
    out = Path(folder)
    row = _base_row(cid, params)
    t0 = time.perf_counter()
    notes: list[str] = []

    def note(message: warnings.WarningMessage) -> None:
        text = str(message.message)
        if text not in notes:
            notes.append(text)
            if on_warning is not None:
                on_warning(text)

    try:
        out.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            case = parse_study(raw).base
            mesh_mod.SIZE_GUARD = guard and not force
            try:
                metrics = analyse(case, out, meta={"study": study, "case": cid})
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
        if notes:
            row["notes"] = "; ".join(notes)
        row["status"] = "ok"
        row["wall_s"] = time.perf_counter() - t0
        write_atomic(out / "metrics.json", json.dumps(row, indent=1, sort_keys=True))
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
        _record(out, record)
    return row


def _record(folder: Path, row: dict[str, Any]) -> None:
    """Write a failed case's ``error.json`` (a full disk raises its ResultsError)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"cannot create {folder}: {exc.strerror}") from None
    write_atomic(folder / "error.json", json.dumps(row, indent=1, sort_keys=True, default=str))


def _base_row(cid: str, params: dict[str, Any]) -> dict[str, Any]:
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
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            err = ResultsError(f"cannot lock {self.path}: {exc.strerror}")
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
            os.write(fd, _holder().encode())
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
            os.write(fd, _holder().encode())
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


def _holder() -> str:
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
class _Claim:
    """What to do with one case: run it (lock held, case parsed), or a row to record,
    or nothing (``skip``: finished before; ``busy``: another run has it)."""

    action: str  # "run" | "row" | "skip" | "busy"
    lock: CaseLock | None = None
    case: CaseSpec | None = None
    row: dict[str, Any] | None = None


def _claim(
    spec: StudySpec, cid: str, params: dict, folder: Path, started: float, force: bool
) -> _Claim:
    """Lock a case and decide: skip it, record it as failed (an invalid case, one too
    large for this machine) or run it."""
    from ..package.meshing import check_size

    if (folder / "metrics.json").exists():
        return _Claim("skip")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        err = ResultsError(f"cannot create {folder}: {exc.strerror}")
        err.errno = exc.errno  # type: ignore[attr-defined]
        raise err from None
    lock = CaseLock(folder)
    if not lock.acquire():
        return _Claim("busy")
    try:
        if (folder / "metrics.json").exists():
            lock.release()
            return _Claim("busy")
        err = folder / "error.json"
        if err.exists() and err.stat().st_mtime >= started:  # another run, meanwhile
            lock.release()
            return _Claim("busy")
        sweep_parts(folder, everything=True)
        try:
            case = spec.case(params)
            check_size(case, force=force)
        except InputError as exc:
            if spec.sweep is None:
                raise  # the study's only case: the whole run is refused
            row = _base_row(cid, params)
            row.update(status="failed", error=f"error: {exc}", wall_s=0.0)
            _record(folder, row)
            lock.release()
            return _Claim("row", row=row)
    except BaseException:
        lock.release()
        raise
    return _Claim("run", lock=lock, case=case)


# -- one case in a child process -------------------------------------------------------------


def _package_root() -> str:
    """The folder holding this ``fea`` package: a child imports the same code."""
    return str(Path(__file__).resolve().parents[2])


class CaseProcess:
    """A case running in a child process (:mod:`fea.study.worker`)."""

    def __init__(self, job: dict[str, Any], lock: CaseLock, env: dict[str, str]) -> None:
        self.job = job
        self.cid: str = job["case"]
        self.folder = Path(job["folder"])
        self.lock = lock
        self.stage = "starting"
        self.warnings: list[str] = []
        self.row: dict[str, Any] | None = None
        self.stop: str | None = None
        self.t0 = time.monotonic()
        self._buf = b""
        log = self.folder / "case.log"
        try:
            self._log = open(log, "ab")  # noqa: SIM115 (kept open for the child's life)
        except OSError:
            self._log = open(os.devnull, "wb")  # noqa: SIM115
        self.log_line(f"started by {_holder().strip()}")
        code = (
            f"import sys; sys.path.insert(0, {_package_root()!r}); "
            "from fea.study.worker import main; main()"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            close_fds=True,
            start_new_session=True,  # Ctrl-C reaches the runner, which stops its cases
        )
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(pickle.dumps({**job, "parent": os.getpid()}))
            self.proc.stdin.close()
        except OSError:  # the child died at once: its exit status tells
            pass
        assert self.proc.stdout is not None
        os.set_blocking(self.proc.stdout.fileno(), False)

    @property
    def fileno(self) -> int:
        assert self.proc.stdout is not None
        return self.proc.stdout.fileno()

    def log_line(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._log.write(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] fea: {text}\n".encode())
            self._log.flush()

    def read(self) -> list[dict[str, Any]]:
        """The messages the child has sent since the last call."""
        while True:
            try:
                chunk = os.read(self.fileno, 1 << 16)
            except BlockingIOError:
                break
            except (OSError, ValueError):
                break
            if not chunk:
                break
            self._buf += chunk
        messages = []
        while b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if not isinstance(msg, dict):
                continue
            if "stage" in msg:
                self.stage = str(msg["stage"])
            if "warning" in msg:
                self.warnings.append(str(msg["warning"]))
            if "row" in msg and isinstance(msg["row"], dict):
                self.row = msg["row"]
            if "stop" in msg:
                self.stop = str(msg["stop"])
            messages.append(msg)
        return messages

    def poll(self) -> bool:
        """True once the child has ended."""
        return self.proc.poll() is not None

    def finish(self) -> dict[str, Any]:
        """The case's row once the child has ended: its own, or a failed row (recorded in
        ``error.json``) saying how it ended. Releases the lock."""
        try:
            self.proc.wait()
            self.read()
            rc = self.proc.returncode
            if self.stop is not None:
                self.log_line(f"stopped: {self.stop}")
                raise ResultsError(self.stop)  # nothing more can be recorded
            if self.row is not None:
                row = self.row
            else:
                row = _base_row(self.cid, self.job["params"])
                row.update(
                    status="failed",
                    error=f"{_how_it_ended(rc)} while {self.stage} (see case.log)",
                    wall_s=time.monotonic() - self.t0,
                )
                _record(self.folder, row)
            self.log_line(
                f"finished: {row.get('status')}"
                + (f": {row['error']}" if row.get("status") != "ok" else "")
            )
            return row
        finally:
            self.close()

    def kill(self) -> None:
        """End the child now (SIGTERM, then SIGKILL after 3 s) and release the lock."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.terminate()
            try:
                self.proc.wait(timeout=3.0)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    self.proc.kill()
                self.proc.wait()
            self.log_line(f"stopped while {self.stage} (the study was interrupted)")
        self.close()

    def close(self) -> None:
        self.lock.release()
        for f in (self.proc.stdout, self._log):
            with contextlib.suppress(OSError, AttributeError, ValueError):
                f.close()


def _how_it_ended(rc: int | None) -> str:
    if rc is not None and rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = "unknown"
        why = " (killed: out of memory, or by hand)" if -rc == signal.SIGKILL else ""
        return f"crashed with signal {-rc} ({name}){why}"
    return f"the case's process exited with status {rc} without a result"


def _child_env(threads: int, device: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    if device is not None:
        env["CUDA_VISIBLE_DEVICES"] = device
    return env


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def gpu_devices(spec: StudySpec) -> list[str] | None:
    """The GPUs a study whose solver backend is ``gpu`` shares out, one case per GPU:
    ``CUDA_VISIBLE_DEVICES`` as the batch system set it; None when not set (or the
    backend is not ``gpu``)."""
    if spec.base.solver.backend != "gpu":
        return None
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "").strip()
    if not visible:
        return None
    devices = [d.strip() for d in visible.split(",") if d.strip() and d.strip() != "-1"]
    return devices or None


# -- executors ---------------------------------------------------------------------------------


@dataclass
class _Job:
    cid: str
    params: dict[str, Any]
    folder: Path


def _child_job(spec: StudySpec, job: _Job, cache_dir: str, force: bool) -> dict[str, Any]:
    from ..package import meshing

    return {
        "raw": apply_overrides(spec.raw, job.params),
        "case": job.cid,
        "params": job.params,
        "folder": str(job.folder),
        "study": spec.name,
        "cache_dir": cache_dir,
        "field_plots": spec.field_plots,
        "force": force or not meshing.SIZE_GUARD,
    }


def _execute_local(
    spec: StudySpec,
    jobs: list[_Job],
    workers: int,
    started: float,
    force: bool,
    cache_dir: str,
    progress: StudyProgress,
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Run the jobs in child processes, at most ``workers`` at a time (one per GPU for a
    GPU study); yields ``(what, row)`` per job: ``done`` with its row, or ``skip``/``busy``."""
    devices = gpu_devices(spec)
    if devices is not None:
        workers = min(workers, len(devices))
    threads = max(1, _cpus() // workers)
    free = list(devices) if devices is not None else []
    pending = iter(jobs)
    running: dict[str, tuple[CaseProcess, str | None]] = {}
    sel = selectors.DefaultSelector()
    exhausted = False
    try:
        while True:
            while not exhausted and len(running) < workers:
                job = next(pending, None)
                if job is None:
                    exhausted = True
                    break
                claim = _claim(spec, job.cid, job.params, job.folder, started, force)
                if claim.action in ("skip", "busy"):
                    yield claim.action, None
                    continue
                if claim.action == "row":
                    yield "done", claim.row
                    continue
                device = free.pop(0) if devices is not None else None
                assert claim.lock is not None
                try:
                    child = CaseProcess(
                        _child_job(spec, job, cache_dir, force),
                        claim.lock,
                        _child_env(threads, device),
                    )
                except BaseException:
                    claim.lock.release()
                    raise
                running[job.cid] = (child, device)
                sel.register(child.fileno, selectors.EVENT_READ, job.cid)
                progress.started(job.cid)
            if not running:
                return
            for _ in sel.select(timeout=0.5):
                pass
            for cid, (child, device) in list(running.items()):
                for msg in child.read():
                    if "stage" in msg:
                        progress.stage(cid, child.stage)
                    if "warning" in msg:
                        progress.message(f"{cid}: warning: {msg['warning']}")
                if not child.poll():
                    continue
                sel.unregister(child.fileno)
                del running[cid]
                if device is not None:
                    free.append(device)
                yield "done", child.finish()
    finally:
        for child, _ in running.values():
            child.kill()
        sel.close()


def _run_isolated(
    spec: StudySpec, job: _Job, started: float, force: bool, cache_dir: str
) -> dict[str, Any] | None:
    """Claim and run one case in a child process here and wait for it (a Dask task);
    None when the case was skipped or is another run's."""
    claim = _claim(spec, job.cid, job.params, job.folder, started, force)
    if claim.action in ("skip", "busy"):
        return None
    if claim.action == "row":
        return claim.row
    assert claim.lock is not None
    child = CaseProcess(_child_job(spec, job, cache_dir, force), claim.lock, _child_env(1, None))
    try:
        while not child.poll():
            time.sleep(0.2)
            child.read()
        return child.finish()
    finally:
        child.kill()


def _execute_dask(
    spec: StudySpec,
    jobs: list[_Job],
    workers: int,
    started: float,
    force: bool,
    cache_dir: str,
    scheduler: str | None,
    cluster: str | None,
    job_options: Any,
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        key, value = ("--scheduler", scheduler) if scheduler else ("--cluster", cluster)
        raise InputError(
            key, value, f"dask.distributed installed (pip install 'fea[cluster]'): {exc}"
        ) from None
    if not jobs:
        return
    # workers of a cluster may start elsewhere: absolute folders
    jobs = [_Job(j.cid, j.params, j.folder.resolve()) for j in jobs]
    log_dir = jobs[0].folder.parent / "dask-jobs"
    jq = _jobqueue_cluster(cluster, workers, log_dir, job_options) if cluster is not None else None
    try:
        with Client(jq if jq is not None else scheduler) as client:
            futures = {
                client.submit(
                    _run_isolated,
                    spec,
                    job,
                    started,
                    force,
                    cache_dir,
                    pure=False,
                    key=f"fea-{job.cid}-{time.time_ns()}",
                ): job
                for job in jobs
            }
            for fut in as_completed(list(futures)):
                job = futures[fut]
                try:
                    row = fut.result()
                except ResultsError:
                    raise
                except Exception as exc:  # the Dask worker itself was lost
                    row = _base_row(job.cid, job.params)
                    row.update(
                        status="failed",
                        error=f"worker lost: {type(exc).__name__}: {exc}",
                        wall_s=0.0,
                    )
                    _record(job.folder, row)
                yield ("busy", None) if row is None else ("done", row)
    except OSError as exc:
        raise InputError("--scheduler", scheduler, f"a reachable Dask scheduler ({exc})") from None
    finally:
        if jq is not None:
            jq.close()


def _jobqueue_cluster(kind: str, workers: int, log_dir: Path, job_options: Any) -> Any:
    """A dask-jobqueue cluster of ``workers`` one-core jobs (one GPU each when asked)."""
    from .slurm import JobOptions

    try:
        import dask_jobqueue
    except ImportError as exc:
        raise InputError(
            "--cluster", kind, f"dask-jobqueue installed (pip install 'fea[cluster]'): {exc}"
        ) from None
    opts = job_options if job_options is not None else JobOptions()
    walltime = os.environ.get("FEA_JOB_WALLTIME", opts.time_limit)
    memory = os.environ.get("FEA_JOB_MEMORY", "8GB")
    opts = opts.replace(time_limit=walltime).checked()
    kw = opts.jobqueue_arguments(kind)
    cls = {"slurm": dask_jobqueue.SLURMCluster, "pbs": dask_jobqueue.PBSCluster}[kind]
    from .slurm import check_memory_text

    cluster = cls(
        cores=1,
        processes=1,
        memory=check_memory_text(memory, "FEA_JOB_MEMORY"),
        walltime=walltime,
        log_directory=str(log_dir),
        **kw,
    )
    cluster.scale(jobs=workers)
    return cluster


# -- the study ------------------------------------------------------------------------------------


def run_study(
    spec: StudySpec,
    out: str | os.PathLike | None = None,
    workers: int = 1,
    slice_: str | None = None,
    scheduler: str | None = None,
    cluster: str | None = None,
    *,
    progress: bool = True,
    table: bool | None = None,
    force: bool = False,
    job_options: Any = None,
) -> StudyReport:
    """Run every case of ``spec`` (or a slice of them) and write the table and plots.

    Parameters
    ----------
    out
        Output folder (default ``results/<study name>``, the only place a study writes
        without ``out``).
    workers
        Cases run at once: child processes here (one per GPU for a ``gpu`` study on a
        node whose ``CUDA_VISIBLE_DEVICES`` lists several), or jobs of a dask-jobqueue
        cluster.
    slice_
        ``"i/n"``: run only cases ``i, i + n, i + 2n, ...`` (a Slurm array task).
        A slice does not build the table unless ``table=True``; ``fea study merge``
        (or a later full run) does.
    scheduler
        Address of a running Dask scheduler (``tcp://host:port``); cases become tasks.
    cluster
        ``"slurm"`` or ``"pbs"``: start a Dask cluster through dask-jobqueue with
        ``workers`` jobs of one core each (and one GPU each for a ``gpu`` study).
    progress
        Show progress: stages of the running cases, elapsed time and an estimate of the
        time left (a live display on a terminal, plain log lines otherwise).
    force
        Run cases the size guard (:func:`fea.package.meshing.check_size`) refuses.
    job_options
        :class:`fea.study.slurm.JobOptions` of the jobs of ``cluster`` (account, QOS,
        constraint, partition, time, GPUs).
    """
    from ..package import meshing as mesh_mod

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError("--workers", workers, "a positive number of processes")
    if scheduler is not None and cluster is not None:
        raise InputError("--scheduler", scheduler, "either --scheduler or --cluster, not both")
    if cluster is not None and cluster not in ("slurm", "pbs"):
        raise InputError("--cluster", cluster, "slurm or pbs")
    root = _output_path(spec, out)
    sl = parse_slice(slice_)
    cases = spec.case_parameters()
    if sl is not None:
        cases = cases[sl[0] :: sl[1]]
    jobs = [_Job(cid, params, root / cid) for cid, params in cases]
    if spec.sweep is None and jobs and not (jobs[0].folder / "metrics.json").exists():
        mesh_mod.check_size(spec.base, force=force)  # the only case: refuse the whole run
    _make_folder(root)
    started = time.time()
    report = StudyReport(root)
    cache_dir = str(Path(mesh_mod.CACHE_DIR).resolve())
    sweep_parts(root)
    bar = StudyProgress(spec.name, len(jobs), workers, enabled=progress)
    if scheduler is not None or cluster is not None:
        results = _execute_dask(
            spec, jobs, workers, started, force, cache_dir, scheduler, cluster, job_options
        )
    else:
        results = _execute_local(spec, jobs, workers, started, force, cache_dir, bar)
    # closing() stops the running cases however the loop ends (an error, Ctrl-C, SIGTERM)
    with bar, _terminate_on_sigterm(), contextlib.closing(results):
        for what, row in results:
            if what == "skip":
                report.skipped += 1
                bar.skipped()
                continue
            if what == "busy":
                report.busy += 1
                bar.skipped()
                continue
            assert row is not None
            if row.get("status") == "ok":
                report.done += 1
            else:
                report.failed += 1
            bar.finished(row, report)

    build = (sl is None) if table is None else table
    if build:
        report.rows, report.table = build_table(spec, root)
        from .plots import study_plots

        try:
            study_plots(spec, report.rows, root)
        except ResultsError:
            raise
        except Exception as exc:  # plots never cost the results
            bar.console.print(f"  plots failed: {type(exc).__name__}: {exc}")
        _print_summary(spec, report)
    else:
        bar.console.print(
            f"slice {slice_}: {report.done} done, {report.skipped} already done, "
            f"{report.failed} failed{_busy(report)} (table: fea study merge)"
        )
    return report


def _busy(report: StudyReport) -> str:
    return f", {report.busy} run by another process" if report.busy else ""


def _output_path(spec: StudySpec, out: str | os.PathLike | None) -> Path:
    """The study's output folder: ``out``, or ``results/<name>`` (the name is one plain
    path component, checked at parse time)."""
    from ..package.spec import check_name

    if out is None:
        return Path("results") / check_name(spec.name)
    text = os.fspath(out)
    if not text or "\0" in text:
        raise InputError("--out", text, "a folder path (not empty, no NUL character)")
    return Path(text)


def _make_folder(root: Path) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"cannot create the output folder {root}: {exc.strerror}") from None
    if not root.is_dir():
        raise ResultsError(f"the output folder {root} is not a folder")


@contextlib.contextmanager
def _terminate_on_sigterm() -> Iterator[None]:
    """SIGTERM (a batch system's cancel, ``kill``) ends the run as Ctrl-C does: the
    running cases are stopped first (their folders stay unfinished and are rerun)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    saved = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, saved)


# -- progress and summary -------------------------------------------------------------


def _print_summary(spec: StudySpec, report: StudyReport) -> None:
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
        f"{report.failed} failed{_busy(report)} -> {report.table}"
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
