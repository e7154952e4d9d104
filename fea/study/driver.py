"""Run a study: pick its cases (or a slice), run them on a backend
(:mod:`fea.study.backends`), count them, then write the table, the plots and the
summary (:mod:`fea.study.report`)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError, ResultsError
from ..io.atomic import sweep_parts
from ..package.spec import StudySpec
from .backends import Job, execute_dask, execute_local
from .check import case_state
from .owner import check_owner, record_owner
from .progress import StudyProgress
from .report import (
    StudyReport,
    busy_text,
    first_cases,
    incomplete_lines,
    print_summary,
    takeover_lines,
)
from .runner import RunId, case_claim, finished_current, register_run, stale_claim_s
from .table import build_table

__all__ = ["check_case_timeout", "check_environment", "output_path", "parse_slice", "run_study"]


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
    case_timeout_min: float | None = None,
    wait: bool = False,
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
        cluster. Here, a group of cases (``[sweep] group = "auto"``: cases of one mesh that
        differ only in materials and loads) takes one child process, which runs its cases
        in order on one mechanics solver setup (:class:`fea.study.backends.GroupProcess`).
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
    case_timeout_min
        Longest a case may run [min] (None: no limit): a case still running then (a mesher
        that does not return, a solve far beyond its estimate) is stopped and recorded as
        failed, naming the limit and the stage it was in; the other cases go on.
    wait
        Once this run's own cases are done, wait for those another run still computes
        (re-read every :data:`WAIT_POLL_S`) before the table is built, so that it is
        complete (``fea run --wait``). Without it, the run ends at once and its report
        says which cases it left (:attr:`StudyReport.running`, exit status 4); so does a
        run whose wait Ctrl-C or SIGTERM stops (its own cases are done and in the table).

    Returns
    -------
    StudyReport
        The run's counts, the table's rows, and the cases the table lacks because another
        run still computes them or left them (:attr:`StudyReport.exit_status`).
    """
    from ..package import meshing as mesh_mod

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError("--workers", workers, "a positive number of processes")
    if scheduler is not None and cluster is not None:
        raise InputError("--scheduler", scheduler, "either --scheduler or --cluster, not both")
    if cluster is not None and cluster not in ("slurm", "pbs"):
        raise InputError("--cluster", cluster, "slurm or pbs")
    case_timeout = check_case_timeout(case_timeout_min)
    check_environment()
    root = output_path(spec, out)
    sl = parse_slice(slice_)
    cases = spec.case_parameters()
    if sl is not None:
        cases = cases[sl[0] :: sl[1]]
    jobs = [Job(cid, params, root / cid) for cid, params in cases]
    if spec.sweep is None and jobs and not finished_current(spec, jobs[0].folder, {}):
        mesh_mod.check_size(spec.base, force=force)  # the only case: refuse the whole run
    _make_folder(root)
    check_owner(spec, root)  # another study's results are not recomputed over
    record_owner(spec, root)
    run = RunId.new()  # named in the files this run writes for a case
    report = StudyReport(root)
    cache_dir = str(Path(mesh_mod.CACHE_DIR).resolve())
    sweep_parts(root)
    bar = StudyProgress(spec.name, len(jobs), workers, enabled=progress)
    busy: list[str] = []  # the cases left to another run, in the order met
    if scheduler is not None or cluster is not None:
        results = execute_dask(
            spec,
            jobs,
            workers,
            run,
            force,
            cache_dir,
            scheduler,
            cluster,
            job_options,
            case_timeout,
        )
    else:
        results = execute_local(spec, jobs, workers, run, force, cache_dir, bar, case_timeout)
    # closing() stops the running cases however the loop ends (an error, Ctrl-C, SIGTERM)
    # announced while it runs: a concurrent run leaves the cases this one failed
    with bar, _terminate_on_sigterm(), register_run(root, run), contextlib.closing(results):
        for what, row in results:
            if what == "takeover":  # a claim a killed run left: one line, kept for the summary
                assert row is not None
                report.taken_over.append(f"{row['case']}: {row['note']}")
                bar.print(f"  {row['case']}: {row['note']}")
                continue
            if what == "skip":
                report.skipped += 1
                bar.skipped()
                continue
            if what == "busy":
                report.busy += 1
                if row is not None and "case" in row:
                    busy.append(str(row["case"]))
                bar.skipped()
                continue
            assert row is not None
            if row.get("status") == "ok":
                report.done += 1
            else:
                report.failed += 1
            bar.finished(row, report)

    # the cases left to another run, read again now that this one has ended (before
    # the table: one the other run finishes meanwhile has its row in it)
    params = dict(cases)
    states = {cid: case_state(spec, root / cid, params[cid]) for cid in busy}
    if wait:
        # this run's cases are done: Ctrl-C or SIGTERM (a batch system's cancel) stops the
        # wait, and the run ends as without it, its table written
        why = None
        try:
            with _terminate_on_sigterm():
                _wait_for_others(spec, root, states, params, bar)
        except KeyboardInterrupt:
            why = "Ctrl-C"
        except SystemExit as exc:
            if exc.code != 128 + signal.SIGTERM:
                raise
            why = "SIGTERM"
        if why is not None:
            bar.print(
                f"stopped waiting ({why}): the table is written without the cases "
                "still running in another run"
            )
    build = (sl is None) if table is None else table
    if build:
        report.rows, report.table = build_table(spec, root)
    _incomplete(report, root, states)
    if build:
        from .plots import study_plots

        try:
            study_plots(spec, report.rows, root)
        except ResultsError:
            raise
        except Exception as exc:  # plots never cost the results
            bar.print(f"  plots failed: {type(exc).__name__}: {exc}")
        print_summary(spec, report)
    else:
        for line in takeover_lines(report):
            bar.print(line)
        bar.print(
            f"slice {slice_}: {report.done} done, {report.skipped} already done, "
            f"{report.failed} failed{busy_text(report)} (table: fea study merge)"
        )
        for line in incomplete_lines(spec, report):
            bar.print(line)
    return report


#: How often [s] ``fea run --wait`` reads again the cases another run computes.
WAIT_POLL_S = 10.0


def _held(states: dict[str, tuple[str, str | None, bool]]) -> list[str]:
    """The cases of ``states`` (:func:`case_state`) a run still going holds."""
    return [cid for cid, (state, _, live) in states.items() if state == "running" and live]


def _wait_for_others(
    spec: StudySpec,
    root: Path,
    states: dict[str, tuple[str, str | None, bool]],
    params: dict[str, Any],
    bar: StudyProgress,
) -> None:
    """Wait until no case of ``states`` is held by another run still going, reading
    their states again every :data:`WAIT_POLL_S` (updated in ``states``); one line when
    it starts waiting."""
    held = _held(states)
    if held:
        shown = first_cases(held)
        bar.print(
            f"waiting for {len(held)} case{'s' * (len(held) != 1)} running in another run "
            f"({shown}) before the table is written (--wait)"
        )
    while held:
        time.sleep(WAIT_POLL_S)
        for cid in held:
            states[cid] = case_state(spec, root / cid, params[cid])
        held = _held(states)


def _incomplete(
    report: StudyReport, root: Path, states: dict[str, tuple[str, str | None, bool]]
) -> None:
    """Fill ``report.running``, ``report.left`` and ``report.failed_elsewhere`` from the
    states (:func:`case_state`, read as the run ended) of the cases it left to another
    run: those still held by a run going on, those no run holds that are neither
    finished nor failed (their holder was killed after this run passed them), and those
    it failed; the table built, when there is one, decides over the state read before:
    the case's row (ok or failed, also when the other run ended it meanwhile), or none
    (a failure from another input than the present one: a rerun runs it)."""
    tabled = {r.get("case"): r for r in report.rows}
    for cid, (state, _, live) in states.items():
        row = tabled.get(cid)
        if row is not None:
            if row.get("status") != "ok":
                report.failed_elsewhere.append(cid)
            continue
        if state == "finished":
            continue
        if state == "failed" and report.table is None:  # a slice: no table to read
            report.failed_elsewhere.append(cid)
            continue
        if state == "running" and live:
            claim = case_claim(root / cid)
            held = claim is not None and claim[0]
            report.running.append(f"{cid}: {claim[1]}" if held and claim else cid)
        else:  # to run, orphaned, stale: a rerun runs it
            report.left.append(cid)


#: The longest case time limit accepted [min] (a year).
MAX_CASE_TIMEOUT_MIN = 525_600.0


def check_case_timeout(minutes: float | None) -> float | None:
    """``--case-timeout`` [min] checked, in seconds (None: no limit)."""
    if minutes is None:
        return None
    ok = isinstance(minutes, int | float) and not isinstance(minutes, bool)
    if not ok or not (0 < minutes <= MAX_CASE_TIMEOUT_MIN):  # NaN fails too
        raise InputError(
            "--case-timeout", minutes, f"minutes, more than 0 and at most {MAX_CASE_TIMEOUT_MIN:g}"
        )
    return float(minutes) * 60.0


def check_environment() -> None:
    """The settings from the environment that every case reads, checked once before any
    case runs: a bad one is the whole run's error (exit status 2), not the same failure
    recorded for every case in turn. ``FEA_MEMORY_GB`` (a positive number of GiB,
    :func:`fea.solvers.cost.memory_setting`), ``FEA_STALE_CLAIM_HOURS``
    (:func:`fea.study.runner.stale_claim_s`) and the mesh cache (``FEA_MESH_CACHE``,
    default ``meshes/cache``: a folder, or a path where one can be made)."""
    from ..package import meshing as mesh_mod
    from ..solvers.cost import memory_setting

    memory_setting()
    stale_claim_s()
    cache = Path(mesh_mod.CACHE_DIR)
    if cache.exists() and not cache.is_dir():
        key = "FEA_MESH_CACHE" if os.environ.get("FEA_MESH_CACHE") else "the mesh cache"
        raise InputError(key, str(cache), "a folder for the mesh cache (a file is there)")


def output_path(spec: StudySpec, out: str | os.PathLike | None) -> Path:
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
