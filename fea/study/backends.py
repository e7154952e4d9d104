"""Where the cases of a study run: child processes on this machine (at most ``workers``
at a time, one per GPU for a GPU study) or tasks of a Dask cluster; each case in its own
child process (:mod:`fea.study.worker`), its lock held by the parent (see
:mod:`fea.study.runner`).

Groups (``[sweep] group = "auto"``, :func:`fea.package.spec.sweeps.group_cases`): on this
machine the cases of one mesh that differ only in materials and loads run in order in one
child process (:class:`GroupProcess`), sharing the mesh and the mechanics solver setup
(:class:`fea.package.analyse.SolverContext`). Each case keeps its folder, lock, results,
row and failure record as alone; its lock is released when its row arrives. A case that
fails with an error is recorded and the group goes on; a crash of the child (a signal)
fails the running case, and the group's cases not yet started run again, each alone. The
child's log is the first case's ``case.log`` (the others' logs point to it). A Dask run
keeps one case per task."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, ResultsError
from ..package.spec import StudySpec, case_input
from .progress import StudyProgress
from .runner import (
    HEARTBEAT_S,
    STALE_NOTE,
    CaseLock,
    RunId,
    base_row,
    case_digest,
    claim_case,
    holder,
    input_digest,
    open_case_log,
    record_failure,
)

__all__ = ["CaseProcess", "GroupProcess", "Job", "execute_dask", "execute_local", "gpu_devices"]


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
        self.case_t0 = self.t0  # when the running case started (a group's: its current)
        self.time_limit: float | None = None  # set when stopped for the case time limit [s]
        self._buf = b""
        try:
            self._log = open_case_log(self.folder)  # kept open for the child's life
        except OSError:
            self._log = open(os.devnull, "wb")  # noqa: SIM115
        self.log_line(f"started by {holder().strip()}")
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

    def over_time(self, limit_s: float | None) -> bool:
        """True when the running case has run past ``limit_s`` [s] (None: no limit)."""
        return limit_s is not None and time.monotonic() - self.case_t0 > limit_s

    def stop_for_time(self, limit_s: float) -> None:
        """End the child (SIGTERM, then SIGKILL after 3 s) for running past the case time
        limit ``limit_s`` [s]; :meth:`finish` then records the case as failed, saying so.
        The lock is kept until then."""
        self.time_limit = limit_s
        self.log_line(
            f"stopping: past the case time limit ({_minutes(limit_s)}) while {self.stage}"
        )
        self._end_child()

    def _end_child(self) -> None:
        """SIGTERM to the child, SIGKILL if it has not ended 3 s later; waits for it."""
        with contextlib.suppress(OSError):
            self.proc.terminate()
        try:
            self.proc.wait(timeout=3.0)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                self.proc.kill()
            self.proc.wait()

    def _ended(self, rc: int | None) -> str:
        """How the child ended without a row, for the failed row's ``error``."""
        if self.time_limit is not None:
            return f"stopped at the case time limit ({_minutes(self.time_limit)}, --case-timeout)"
        return _how_it_ended(rc)

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
                row = base_row(self.cid, self.job["params"])
                row.update(
                    status="failed",
                    error=f"{self._ended(rc)} while {self.stage} (see case.log)",
                    wall_s=time.monotonic() - self.t0,
                )
                record_failure(self.folder, row, self.job["digest"], self.job.get("run"))
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
            self._end_child()
            self.log_line(f"stopped while {self.stage} (the study was interrupted)")
        self.close()

    def close(self) -> None:
        self.lock.release()
        for f in (self.proc.stdout, self._log):
            with contextlib.suppress(OSError, AttributeError, ValueError):
                f.close()


class GroupProcess(CaseProcess):
    """The cases of a group running in order in one child process (:mod:`fea.study.worker`
    with a ``"group"`` job); the parent holds every case's lock until its row arrives."""

    def __init__(self, jobs: list[dict[str, Any]], locks: list[CaseLock], env: dict[str, str]):
        self.order = [str(j["case"]) for j in jobs]
        self.jobs = dict(zip(self.order, jobs, strict=True))
        self.locks = dict(zip(self.order, locks, strict=True))
        self.rows: dict[str, dict[str, Any]] = {}
        self.fresh: list[str] = []  # cases whose rows arrived and were not yet taken
        self.current = self.order[0]
        first = jobs[0]
        for j in jobs[1:]:
            with contextlib.suppress(OSError):
                with open_case_log(Path(j["folder"])) as f:
                    f.write(
                        f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] fea: run in group "
                        f"{self.order[0]} (its log: {self.order[0]}/case.log)\n".encode()
                    )
        super().__init__({**first, "group": jobs}, locks[0], env)

    def read(self) -> list[dict[str, Any]]:
        messages = super().read()
        for msg in messages:
            cid = str(msg.get("case", ""))
            if cid not in self.jobs:
                continue
            if "stage" in msg:
                if cid != self.current:
                    self.case_t0 = time.monotonic()  # the time limit is per case
                self.current = cid
            if "row" in msg and isinstance(msg["row"], dict) and cid not in self.rows:
                self.rows[cid] = msg["row"]
                self.fresh.append(cid)
                self.locks[cid].release()  # its metrics.json or error.json is written
        return messages

    def take(self) -> list[dict[str, Any]]:
        """The rows that arrived since the last call, in case order."""
        out = [self.rows[c] for c in self.fresh]
        self.fresh.clear()
        return out

    def finish_group(self) -> tuple[list[dict[str, Any]], list[str]]:
        """Once the child has ended: ``(rows not yet taken, cases to run again)``. A crash
        fails the running case (its ``error.json`` says how) and returns the cases not yet
        started. Releases every lock."""
        try:
            self.proc.wait()
            self.read()
            rc = self.proc.returncode
            if self.stop is not None:
                self.log_line(f"stopped: {self.stop}")
                raise ResultsError(self.stop)
            rows = self.take()
            missing = [c for c in self.order if c not in self.rows]
            again: list[str] = []
            if missing:
                failed = self.current if self.current in missing else missing[0]
                row = base_row(failed, self.jobs[failed]["params"])
                row.update(
                    status="failed",
                    error=f"{self._ended(rc)} while {self.stage} (see {self.order[0]}/case.log)",
                    wall_s=time.monotonic() - self.t0,
                )
                job = self.jobs[failed]
                record_failure(Path(job["folder"]), row, job["digest"], job.get("run"))
                rows.append(row)
                again = [c for c in missing if c != failed]
            self.log_line(f"group finished: {len(self.rows)} rows, {len(again)} to run again")
            return rows, again
        finally:
            self.close()

    def close(self) -> None:
        for lock in self.locks.values():
            lock.release()
        super().close()


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min"


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
class Job:
    cid: str
    params: dict[str, Any]
    folder: Path


def _child_job(
    spec: StudySpec, job: Job, cache_dir: str, force: bool, run: RunId
) -> dict[str, Any]:
    from ..package import meshing

    raw = case_input(spec.raw, job.params, spec.path)  # its files next to the study file
    return {
        "raw": raw,
        # the input's digest as the case is handed out: a crash is recorded against it,
        # not against a file edited while the case ran (as run_case records its own)
        "digest": case_digest(raw),
        "case": job.cid,
        "params": job.params,
        "folder": str(job.folder),
        "study": spec.name,
        "cache_dir": cache_dir,
        "field_plots": spec.field_plots,
        "force": force or not meshing.SIZE_GUARD,
        "run": run.record(),  # named in the case's error.json
    }


def execute_local(
    spec: StudySpec,
    jobs: list[Job],
    workers: int,
    run: RunId,
    force: bool,
    cache_dir: str,
    progress: StudyProgress,
    case_timeout: float | None = None,
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Run the jobs in child processes, at most ``workers`` at a time (one per GPU for a
    GPU study); yields ``(what, row)`` per job: ``done`` with its row, ``skip`` (None) or
    ``busy`` (``{"case": id}``: another run holds it);
    before a case whose claim a killed run left is run, ``("takeover", {"case", "note"})``
    (whose claim it was, :attr:`fea.study.runner.Claim.note`).
    ``case_timeout`` [s]: a case running longer is stopped and recorded as failed (a group
    goes on with its other cases, each alone)."""
    from collections import deque

    from ..package.spec.sweeps import group_cases

    devices = gpu_devices(spec)
    if devices is not None:
        workers = min(workers, len(devices))
    threads = max(1, _cpus() // workers)
    free = list(devices) if devices is not None else []
    by_cid = {j.cid: j for j in jobs}
    pending = deque(
        [jobs[i] for i in g] for g in group_cases(spec.sweep, [(j.cid, j.params) for j in jobs])
    )
    running: dict[str, tuple[CaseProcess, str | None]] = {}
    sel = selectors.DefaultSelector()
    try:
        while True:
            while pending and len(running) < workers:
                unit = pending.popleft()
                claims = []
                try:
                    for job in unit:
                        claim = claim_case(spec, job.cid, job.params, job.folder, run, force)
                        if claim.note is not None:  # the run's output says it (also quiet)
                            yield "takeover", {"case": job.cid, "note": claim.note}
                        if claim.action == "run":
                            claims.append((job, claim))
                            if claim.stale:
                                progress.message(f"{job.cid}: {STALE_NOTE}")
                        elif claim.action == "row":
                            yield "done", claim.row
                        elif claim.action == "busy":  # the run says which, as it ends
                            yield "busy", {"case": job.cid}
                        else:
                            yield claim.action, None
                except BaseException:
                    for _, c in claims:
                        assert c.lock is not None
                        c.lock.release()
                    raise
                if not claims:
                    continue
                device = free.pop(0) if devices is not None else None
                env = _child_env(threads, device)
                locks = [c.lock for _, c in claims]
                try:
                    child_jobs = [_child_job(spec, job, cache_dir, force, run) for job, _ in claims]
                    if len(claims) == 1:
                        assert locks[0] is not None
                        child: CaseProcess = CaseProcess(child_jobs[0], locks[0], env)
                    else:
                        child = GroupProcess(child_jobs, locks, env)  # type: ignore[arg-type]
                except BaseException:
                    for lock in locks:
                        assert lock is not None
                        lock.release()
                    raise
                first = claims[0][0].cid
                running[first] = (child, device)
                sel.register(child.fileno, selectors.EVENT_READ, first)
                progress.started(first)
            if not running:
                return
            for _ in sel.select(timeout=0.5):
                pass
            for cid, (child, device) in list(running.items()):
                group = child if isinstance(child, GroupProcess) else None
                for msg in child.read():
                    now = group.current if group is not None else cid
                    if "stage" in msg:
                        progress.stage(now, child.stage)
                    if "warning" in msg:
                        progress.message(f"{now}: warning: {msg['warning']}")
                if group is not None:
                    for row in group.take():
                        yield "done", row
                        nxt = [c for c in group.order if c not in group.rows]
                        if nxt and child.proc.poll() is None:
                            progress.started(nxt[0])
                if not child.poll() and child.over_time(case_timeout):
                    assert case_timeout is not None
                    late = group.current if group is not None else cid
                    progress.message(f"{late}: past the case time limit, stopped")
                    child.stop_for_time(case_timeout)
                if not child.poll():
                    continue
                sel.unregister(child.fileno)
                del running[cid]
                if device is not None:
                    free.append(device)
                if group is None:
                    yield "done", child.finish()
                    continue
                rows, again = group.finish_group()
                for row in rows:
                    yield "done", row
                for c in reversed(again):  # run again, each alone, before the rest
                    pending.appendleft([by_cid[c]])
    finally:
        for child, _ in running.values():
            child.kill()
        sel.close()


def _run_isolated(
    spec: StudySpec,
    job: Job,
    run: RunId,
    force: bool,
    cache_dir: str,
    case_timeout: float | None = None,
) -> tuple[str, dict[str, Any] | None, str | None]:
    """Claim and run one case in a child process here and wait for it (a Dask task):
    ``("done", row, note)``, or ``("skip", None, None)`` (finished before) or
    ``("busy", {"case": id}, None)`` (another run's), as :func:`execute_local` yields them;
    ``note``: whose claim, left by a killed run, the task took over (None: none), for the
    run's own output (the task's worker may be on another node). ``case_timeout`` [s] as
    for :func:`execute_local`."""
    # a task's claim beats: it stays the task's should the run that handed it out end
    claim = claim_case(spec, job.cid, job.params, job.folder, run, force, heartbeat=True)
    if claim.action == "skip":
        return "skip", None, None
    if claim.action == "busy":
        return "busy", {"case": job.cid}, None
    if claim.action == "row":
        return "done", claim.row, claim.note
    assert claim.lock is not None
    child_job = _child_job(spec, job, cache_dir, force, run)
    child = CaseProcess(child_job, claim.lock, _child_env(1, None))
    beat = time.monotonic()
    try:
        while not child.poll():
            time.sleep(0.2)
            child.read()
            if time.monotonic() - beat >= HEARTBEAT_S:
                claim.lock.beat()
                beat = time.monotonic()
            if child.over_time(case_timeout):
                assert case_timeout is not None
                child.stop_for_time(case_timeout)
        return "done", child.finish(), claim.note
    finally:
        child.kill()


def execute_dask(
    spec: StudySpec,
    jobs: list[Job],
    workers: int,
    run: RunId,
    force: bool,
    cache_dir: str,
    scheduler: str | None,
    cluster: str | None,
    job_options: Any,
    case_timeout: float | None = None,
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
    # workers of a cluster may start elsewhere: absolute folders, links not followed (a
    # case folder planted as a link is refused by claim_case, not replaced by its target)
    jobs = [Job(j.cid, j.params, Path(os.path.abspath(j.folder))) for j in jobs]
    log_dir = jobs[0].folder.parent / "dask-jobs"
    jq = _jobqueue_cluster(cluster, workers, log_dir, job_options) if cluster is not None else None
    try:
        try:
            client = Client(jq if jq is not None else scheduler)
        except (ValueError, TypeError) as exc:  # a malformed address ("host" with no port)
            if jq is not None:
                raise
            raise InputError(
                "--scheduler",
                scheduler,
                f"a Dask scheduler address such as tcp://host:8786 ({exc})",
            ) from None
        # the inputs' digests as the cases are handed out (a lost worker's case is recorded
        # against them, not against a file edited while it ran)
        digests = {job.cid: input_digest(spec, job.params) for job in jobs}
        with client:
            futures = {
                client.submit(
                    _run_isolated,
                    spec,
                    job,
                    run,
                    force,
                    cache_dir,
                    case_timeout,
                    pure=False,
                    key=f"fea-{job.cid}-{time.time_ns()}",
                ): job
                for job in jobs
            }
            for fut in as_completed(list(futures)):
                job = futures[fut]
                try:
                    what, row, note = fut.result()
                except ResultsError:
                    raise
                except Exception as exc:  # the Dask worker itself was lost
                    row = base_row(job.cid, job.params)
                    row.update(
                        status="failed",
                        error=f"worker lost: {type(exc).__name__}: {exc}",
                        wall_s=0.0,
                    )
                    record_failure(job.folder, row, digests[job.cid], run)
                    what, note = "done", None
                if note is not None:  # the takeover reached only the case's log
                    yield "takeover", {"case": job.cid, "note": note}
                yield what, row
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
