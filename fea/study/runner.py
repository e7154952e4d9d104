"""Run the cases of a study: locally on a process pool, or on a Dask cluster.

Each case runs in its own folder ``<out>/<case>/`` and writes, in this order and each
atomically: ``result.h5`` + ``result.xdmf`` (fields), then ``metrics.json`` (its row
of the table). ``metrics.json`` marks the case finished: a study stopped at any point
(SIGKILL included) and run again skips the finished cases and recomputes only the
others. A failing case writes ``error.json`` (its error and traceback) and does not
stop the others. At the end ``table.csv`` and ``table.h5`` collect inputs and outputs
of every case present, and the plots are drawn next to them.
"""

from __future__ import annotations

import json
import math
import os
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FeaError, InputError
from ..io.atomic import write_atomic
from ..package.spec import StudySpec, apply_overrides
from .table import build_table

__all__ = ["StudyReport", "limit_warnings", "parse_slice", "run_case", "run_study"]


@dataclass
class StudyReport:
    """Outcome of a study run: counts of this run and the table rows of the whole study."""

    out: Path
    done: int = 0
    failed: int = 0
    skipped: int = 0
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


def run_case(
    raw: dict[str, Any],
    cid: str,
    params: dict[str, Any],
    folder: str,
    study: str,
    cache_dir: str | None = None,
    field_plots: bool = False,
) -> dict[str, Any]:
    """Run one case (in any process): returns its table row, never raises for a failed case.

    ``raw`` is the study's input with the case's parameters applied; it is validated
    here, so a worker needs nothing but this call. Writes ``result.h5`` then
    ``metrics.json`` into ``folder`` (or ``error.json`` on failure).
    """
    from ..package import analyse
    from ..package import meshing as mesh_mod
    from ..package.spec import parse_study

    if cache_dir is not None:
        mesh_mod.CACHE_DIR = Path(cache_dir)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    row = _base_row(cid, params)
    t0 = time.perf_counter()
    try:
        case = parse_study(raw).base
        metrics = analyse(case, out, meta={"study": study, "case": cid})
        if field_plots:
            from .plots import case_field_plots

            case_field_plots(case, out)
        if field_plots or case.transient is not None:
            from .plots import case_curve_plots

            case_curve_plots(case, out)
        row.update(metrics)
        row["status"] = "ok"
        row["wall_s"] = time.perf_counter() - t0
        write_atomic(out / "metrics.json", json.dumps(row, indent=1, sort_keys=True))
        (out / "error.json").unlink(missing_ok=True)
    except Exception as exc:  # a failing case is recorded and the study goes on
        kind = "error" if isinstance(exc, FeaError) else f"bug ({type(exc).__name__})"
        row.update(status="failed", error=f"{kind}: {exc}", wall_s=time.perf_counter() - t0)
        record = {**row, "traceback": traceback.format_exc()}
        write_atomic(out / "error.json", json.dumps(record, indent=1, sort_keys=True))
    return row


def _base_row(cid: str, params: dict[str, Any]) -> dict[str, Any]:
    """The table row of a case before it has results: its id and swept parameters."""
    return {"case": cid, **{f"param:{k}": _cell(v) for k, v in params.items()}}


def _cell(v: Any) -> Any:
    return v if isinstance(v, int | float | str | bool) else json.dumps(v)


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
) -> StudyReport:
    """Run every case of ``spec`` (or a slice of them) and write the table and plots.

    Parameters
    ----------
    out
        Output folder (default ``results/<study name>``).
    workers
        Cases run at once: processes of a local pool, or jobs of a dask-jobqueue cluster.
    slice_
        ``"i/n"``: run only cases ``i, i + n, i + 2n, ...`` (a Slurm array task).
        A slice does not build the table unless ``table=True``; ``fea study merge``
        (or a later full run) does.
    scheduler
        Address of a running Dask scheduler (``tcp://host:port``); cases become tasks.
    cluster
        ``"slurm"`` or ``"pbs"``: start a Dask cluster through dask-jobqueue with
        ``workers`` jobs of one core each.
    """
    from rich.console import Console

    if workers < 1:
        raise InputError("--workers", workers, "a positive number of processes")
    if scheduler is not None and cluster is not None:
        raise InputError("--scheduler", scheduler, "either --scheduler or --cluster, not both")
    root = Path(out) if out is not None else Path("results") / spec.name
    root.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True)
    report = StudyReport(root)
    cases = list(spec.cases())
    sl = parse_slice(slice_)
    if sl is not None:
        cases = cases[sl[0] :: sl[1]]
    from ..package import meshing as mesh_mod

    cache_dir = str(Path(mesh_mod.CACHE_DIR).resolve())
    todo = []
    for cid, params, case in cases:
        folder = root / cid
        if (folder / "metrics.json").exists():
            report.skipped += 1
            continue
        if isinstance(case, FeaError):  # invalid explicit case: record it, run nothing
            folder.mkdir(parents=True, exist_ok=True)
            row = _base_row(cid, params)
            row.update(status="failed", error=f"error: {case}", wall_s=0.0)
            write_atomic(folder / "error.json", json.dumps(row, indent=1, sort_keys=True))
            report.failed += 1
            continue
        args = (
            apply_overrides(spec.raw, params),
            cid,
            params,
            str(folder),
            spec.name,
            cache_dir,
            spec.field_plots,
        )
        todo.append((cid, args))

    with _Progress(console, spec.name, len(cases), report, enabled=progress) as bar:
        for row in _execute(todo, workers, scheduler, cluster):
            if row.get("status") == "ok":
                report.done += 1
            else:
                report.failed += 1
                console.print(f"  {row['case']} failed: {row.get('error')}")
            bar.advance(row)

    build = (sl is None) if table is None else table
    if build:
        report.rows, report.table = build_table(spec, root)
        from .plots import study_plots

        try:
            study_plots(spec, report.rows, root)
        except Exception as exc:  # plots never cost the results
            console.print(f"  plots failed: {type(exc).__name__}: {exc}")
        _print_summary(spec, report)
    else:
        console.print(
            f"slice {slice_}: {report.done} done, {report.skipped} already done, "
            f"{report.failed} failed (table: fea study merge)"
        )
    return report


# -- executors ----------------------------------------------------------------------------


def _execute(
    todo: list[tuple[str, tuple]], workers: int, scheduler: str | None, cluster: str | None
) -> Iterator[dict[str, Any]]:
    if not todo:
        return
    if scheduler is not None or cluster is not None:
        yield from _execute_dask(todo, workers, scheduler, cluster)
    elif workers == 1:
        for _, args in todo:
            yield run_case(*args)
    else:
        yield from _execute_pool(todo, workers)


def _failed_row(cid: str, args: tuple, exc: BaseException) -> dict[str, Any]:
    row = _base_row(cid, args[2])
    row.update(status="failed", error=f"worker lost: {type(exc).__name__}: {exc}", wall_s=0.0)
    write_atomic(Path(args[3]) / "error.json", json.dumps(row, indent=1, sort_keys=True))
    return row


def _execute_pool(todo: list[tuple[str, tuple]], workers: int) -> Iterator[dict[str, Any]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # one BLAS / Pardiso thread budget per worker, no oversubscription
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    os.environ.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    try:
        ctx = multiprocessing.get_context("spawn")  # gmsh and MKL do not survive fork
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx) as pool:
            futures = {pool.submit(run_case, *args): (cid, args) for cid, args in todo}
            for fut in as_completed(futures):
                cid, args = futures[fut]
                try:
                    yield fut.result()
                except Exception as exc:  # the worker process died
                    yield _failed_row(cid, args, exc)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _jobqueue_cluster(kind: str, workers: int, log_dir: Path) -> Any:
    try:
        import dask_jobqueue
    except ImportError as exc:
        raise InputError(
            "--cluster", kind, f"dask-jobqueue installed (pip install 'fea[cluster]'): {exc}"
        ) from None
    cls = {"slurm": dask_jobqueue.SLURMCluster, "pbs": dask_jobqueue.PBSCluster}[kind]
    cluster = cls(
        cores=1,
        processes=1,
        memory=os.environ.get("FEA_JOB_MEMORY", "8GB"),
        walltime=os.environ.get("FEA_JOB_WALLTIME", "04:00:00"),
        log_directory=str(log_dir),
    )
    cluster.scale(jobs=workers)
    return cluster


def _execute_dask(
    todo: list[tuple[str, tuple]], workers: int, scheduler: str | None, cluster: str | None
) -> Iterator[dict[str, Any]]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        key, value = ("--scheduler", scheduler) if scheduler else ("--cluster", cluster)
        raise InputError(
            key, value, f"dask.distributed installed (pip install 'fea[cluster]'): {exc}"
        ) from None
    log_dir = Path(todo[0][1][3]).parent / "dask-jobs"
    jq = _jobqueue_cluster(cluster, workers, log_dir) if cluster is not None else None
    try:
        with Client(jq if jq is not None else scheduler) as client:
            futures = {
                client.submit(run_case, *args, pure=False, key=f"fea-{cid}-{time.time_ns()}"): (
                    cid,
                    args,
                )
                for cid, args in todo
            }
            for fut in as_completed(list(futures)):
                cid, args = futures[fut]
                try:
                    yield fut.result()
                except Exception as exc:
                    yield _failed_row(cid, args, exc)
    except OSError as exc:
        raise InputError("--scheduler", scheduler, f"a reachable Dask scheduler ({exc})") from None
    finally:
        if jq is not None:
            jq.close()


# -- progress and summary -------------------------------------------------------------


class _Progress:
    """A rich progress bar: cases done / failed and time remaining."""

    def __init__(self, console, name: str, total: int, report: StudyReport, enabled: bool):
        self.enabled = enabled and total > 0
        self.report = report
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.p = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=console,
            )
            done = report.skipped + report.failed
            self.task = self.p.add_task(
                f"study {name}", total=total, completed=done, failed=report.failed
            )

    def __enter__(self) -> _Progress:
        if self.enabled:
            self.p.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.enabled:
            self.p.stop()

    def advance(self, row: dict[str, Any]) -> None:
        if self.enabled:
            self.p.update(self.task, advance=1, failed=self.report.failed)


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
        f"{report.failed} failed -> {report.table}"
    )


def limit_warnings(spec: StudySpec, rows: list[dict[str, Any]]) -> list[str]:
    """One line per case whose junction temperature exceeds its limit (``Tj_over_limit``)."""
    out = []
    for r in rows:
        if r.get("Tj_over_limit") == 1.0:
            tj = max(r.get("Tj_max", -math.inf), r.get("Tj_peak_C", -math.inf))
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
    region = Column.parse(column).region
    return region is None or region in ("shell", "die", "encapsulant")
