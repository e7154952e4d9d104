"""The ``fea`` command. Each subcommand adds its arguments and calls library functions.

``main(argv)`` returns the exit status so tests can call it in-process: 0 on
success, 2 for an :class:`~fea.errors.FeaError` (printed as one line, no
traceback), 1 for a study with failed cases. ``fea run`` and ``fea study merge`` also
use ``fea check``'s 4 and 3 (:mod:`fea.study.check`): 4 when the table lacks cases
another run is still computing (``fea study merge`` once it has ended), 3 (``fea run``)
when another run left cases unfinished as it ended (a rerun runs them).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import platform
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import FeaError

if TYPE_CHECKING:
    from .package.spec import StudySpec

__all__ = ["gpu_extras_hint", "main"]

Handler = Callable[[argparse.Namespace], int]


def _version() -> str:
    try:
        return importlib.metadata.version("fea")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


# -- check ---------------------------------------------------------------------------

DEPENDENCIES = (
    "numpy",
    "scipy",
    "skfem",
    "gmsh",
    "meshio",
    "h5py",
    "pyamg",
    "rich",
    "matplotlib",
    "pypardiso",
    "threadpoolctl",
    "numba",
    "cupy",
    "nvmath",
    "dask",
    "distributed",
    "dask_jobqueue",
)


def _module_version(name: str) -> str:
    try:
        mod = importlib.import_module(name)
    except Exception as exc:
        return f"not available ({type(exc).__name__})"
    version = getattr(mod, "__version__", None)
    if version is None:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "installed"
    return str(version)


def _check_add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "study",
        nargs="*",
        help="study files (TOML) to check case by case without running them; none: the "
        "environment and solver backends",
    )
    p.add_argument(
        "--out", default=None, help="output folder of one study (default results/<study name>)"
    )
    p.add_argument("--all", action="store_true", help="list every case, not only those refused")
    p.add_argument(
        "--slice",
        default=None,
        help="i/n: only the cases fea run --slice i/n runs (one array task)",
    )
    p.add_argument(
        "--force", action="store_true", help="as fea run --force: the size guard refuses nothing"
    )


def _check_studies(args: argparse.Namespace) -> int:
    """Each study read and every case checked (:func:`fea.study.check.check_study`); the
    exit status 0 when every case would run (or is finished), 1 when some case is
    refused, 2 when a study file itself is refused (the other studies are still
    checked), 4 while a run is still going on an output folder, 3 when failed or orphaned
    cases are left there (:attr:`fea.study.check.StudyCheck.exit_status`); where several
    hold, the first of 2, 1, 4, 3."""
    import warnings

    from .package.spec import load_study
    from .study.check import check_study
    from .study.driver import check_environment

    if args.out is not None:
        if len(args.study) > 1:
            raise_input("--out", args.out, "--out with one study file (each study has its folder)")
        _check_output_folder("--out", args.out)
    check_environment()  # FEA_MEMORY_GB, the mesh cache: this machine's error, not a study's
    rank = {0: 0, 3: 1, 4: 2, 1: 3, 2: 4}  # which status wins over which
    status = 0
    for i, path in enumerate(args.study):
        if i:
            print()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                spec = load_study(path)
            seen = tuple(dict.fromkeys(str(w.message) for w in caught))
            result = check_study(
                spec, args.out, force=args.force, base_warnings=seen, slice_=args.slice
            )
        except FeaError as exc:
            print(f"fea check: error: {path}: {exc}", file=sys.stderr)
            status = 2
            continue
        print(f"{path}:")
        print(result.format(all_rows=args.all))
        status = max(status, result.exit_status, key=rank.__getitem__)
    return status


def _check(args: argparse.Namespace) -> int:
    if args.study:
        return _check_studies(args)
    for flag, given in (
        ("--out", args.out),
        ("--all", args.all),
        ("--force", args.force),
        ("--slice", args.slice),
    ):
        if given not in (None, False):
            raise_input(flag, given, "a study file to check with it (fea check STUDY.toml ...)")
    from .solvers import backend_report

    print(f"fea {_version()} on Python {platform.python_version()} ({platform.machine()})")
    print("dependencies:")
    for name in DEPENDENCIES:
        print(f"  {name:<14} {_module_version(name)}")
    print("solver backends:")
    for row in backend_report():
        mark = "yes" if row.usable else "no "
        print(f"  {row.name:<14} {mark}  {row.reason}")
    from .solvers import kernels

    if kernels.available():
        print(f"  {'amg setup':<14} yes  threaded compiled kernel ({kernels.threads()} threads)")
    else:
        print(
            f"  {'amg setup':<14} no   serial pyamg routine (Numba not installed, or "
            "FEA_NO_NUMBA set)"
        )
    hint = gpu_extras_hint()
    if hint:
        print(hint)
    return 0


#: The optional GPU modules (the ``gpu`` extra) and their pip names.
GPU_EXTRAS = {"cupy": "cupy-cuda12x", "nvmath": "nvmath-python"}


def gpu_extras_hint() -> str:
    """How to add the GPU extras when one is missing (empty when both import): the pip
    and make commands, and whether this machine has CUDA (``nvidia-smi`` or libcuda)."""
    import ctypes.util
    import shutil

    missing = [pip for name, pip in GPU_EXTRAS.items() if _module_version(name).startswith("not")]
    if not missing:
        return ""
    smi = shutil.which("nvidia-smi")
    cuda = smi is not None or ctypes.util.find_library("cuda") is not None
    where = (
        f"this machine has CUDA ({'nvidia-smi' if smi else 'libcuda'} found)"
        if cuda
        else "this machine shows no CUDA (no nvidia-smi, no libcuda): the GPU backend "
        "cannot run here"
    )
    return (
        f"GPU extras not installed ({', '.join(missing)}); {where}. Add them with "
        "`.venv/bin/pip install -e '.[gpu]'` or `make EXTRAS=test,cluster,gpu test` "
        "(`make` adds them by itself only where CUDA is found)"
    )


# -- run / mesh / info / study ------------------------------------------------------


def _job_args(p: argparse.ArgumentParser, what: str) -> None:
    """Options of batch jobs, each checked against its pattern (fea.study.slurm.JobOptions)."""
    p.add_argument("--account", default=None, help=f"account to charge ({what})")
    p.add_argument("--qos", default=None, help=f"quality of service ({what})")
    p.add_argument("--constraint", default=None, help=f"node features, e.g. a100 ({what})")
    p.add_argument(
        "--gpus-per-task",
        default=None,
        help=f"GPUs per job, e.g. 1 or a100:1; default 1 for a study whose backend is gpu ({what})",
    )


def _run_add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="study file (TOML)")
    p.add_argument("--out", default=None, help="output folder (default results/<study name>)")
    p.add_argument("--workers", type=int, default=1, help="parallel cases (processes)")
    p.add_argument("--slice", default=None, help="i/n: run only the i-th of n slices of the cases")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address tcp://host:port")
    p.add_argument(
        "--cluster",
        default=None,
        choices=("slurm", "pbs"),
        help="start a Dask cluster through dask-jobqueue",
    )
    p.add_argument("--partition", default=None, help="queue of the --cluster jobs")
    _job_args(p, "--cluster jobs")
    p.add_argument(
        "--force", action="store_true", help="run cases the size guard refuses (too large)"
    )
    p.add_argument(
        "--case-timeout",
        type=float,
        default=None,
        metavar="MIN",
        help="stop a case still running after MIN minutes and record it as failed "
        "(the other cases go on)",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="once this run's cases are done, wait for those another run on the same "
        "--out still computes, then write the full table",
    )
    p.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="no progress display or log lines (failures and the summary still print)",
    )


def _run(args: argparse.Namespace) -> int:
    from .package.spec import load_study
    from .study import run_study
    from .study.slurm import JobOptions

    if args.out is not None:
        _check_output_folder("--out", args.out)
    spec = load_study(args.study)
    given = {
        "--partition": args.partition,
        "--account": args.account,
        "--qos": args.qos,
        "--constraint": args.constraint,
        "--gpus-per-task": args.gpus_per_task,
    }
    job = None
    if args.cluster is None:
        for key, value in given.items():
            if value is not None:
                raise_input(key, value, "an option of --cluster jobs (give --cluster too)")
    else:
        gpus = args.gpus_per_task
        backend = spec.base.solver.backend
        if gpus is not None and backend == "cpu":
            raise_input("--gpus-per-task", gpus, "a study whose solver.backend is gpu or auto")
        if gpus is None and backend == "gpu":
            gpus = "1"  # one case per GPU: each worker job has one
        job = JobOptions(
            partition=args.partition,
            account=args.account,
            qos=args.qos,
            constraint=args.constraint,
            gpus_per_task=gpus,
        ).checked()
        job.jobqueue_arguments(args.cluster)  # options the batch system has, before any work
    report = run_study(
        spec,
        out=args.out,
        workers=args.workers,
        slice_=args.slice,
        scheduler=args.scheduler,
        cluster=args.cluster,
        progress=args.progress,
        force=args.force,
        job_options=job,
        case_timeout_min=args.case_timeout,
        wait=args.wait,
    )
    return report.exit_status  # 4 or 3: the table lacks cases another run left


def _mesh_add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="study file (TOML)")
    p.add_argument("-o", "--output", default=None, help="mesh file to write (.msh)")
    p.add_argument("--case", default=None, help="case id of a sweep (default: the base case)")
    p.add_argument("--force", action="store_true", help="mesh even if the size guard refuses")


def _mesh(args: argparse.Namespace) -> int:
    import time

    from .fe.mesh import quality_report
    from .package import progress
    from .package.meshing import build_mesh, check_size
    from .package.spec import load_study

    if args.output is not None:
        _check_output_file("--output", args.output)
    spec = load_study(args.study)
    case = spec.base
    if args.case is not None:
        params = dict(spec.case_parameters())
        if args.case not in params:
            ids = list(params)
            shown = ", ".join(ids[:10]) + (f", ... ({len(ids)} cases)" if len(ids) > 10 else "")
            raise_input("--case", args.case, f"one of {shown}")
        case = spec.case(params[args.case])
    est = check_size(case, force=args.force)
    t0 = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - t0:6.1f} s] {text}", file=sys.stderr, flush=True)

    say(f"estimated {est.format()}")
    with progress.reporting(say):
        mesh, path = build_mesh(case, output=args.output, force=args.force)
    say(f"{mesh.n_elements:,} elements ({mesh.info.get('cache', 'new')} mesh)")
    print(f"mesh written to {path}")
    print(quality_report(mesh).format())
    return 0


def raise_input(key: str, value: object, allowed: str) -> None:
    from .errors import InputError

    raise InputError(key, value, allowed)


def _check_output_file(key: str, value: str) -> None:
    """An output file's folder must exist (nothing is created outside it)."""
    from pathlib import Path

    from .io.atomic import check_output_path

    check_output_path(value, key)  # not a device, FIFO, socket or folder
    parent = Path(value).parent
    if not parent.is_dir():
        raise_input(key, value, f"a file in an existing folder ({parent} is not one)")
    if Path(value).is_dir():
        raise_input(key, value, "a file path, not a folder")


def _check_output_folder(key: str, value: str) -> None:
    """An output folder is a folder or a new path (not a file, device or FIFO)."""
    import os

    if not value or "\0" in value:
        raise_input(key, value, "a folder path (not empty, no NUL character)")
    if os.path.lexists(value) and not os.path.isdir(value):
        raise_input(key, value, "a folder for the results (a file, device or FIFO is there)")


def _info_add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("result", help="results file (.h5)")
    p.add_argument(
        "--vtu",
        nargs="?",
        const="",
        default=None,
        metavar="OUT.vtu",
        help="also export the fields to VTK .vtu through meshio (default name: RESULT.vtu)",
    )


def _info(args: argparse.Namespace) -> int:
    from .io import describe, export_vtu
    from .io.vtu import vtu_targets

    if args.vtu is not None:
        # both files export_vtu may write, checked before any work: OUT and its thermal twin
        for path, _ in vtu_targets(args.result, args.vtu or None, key="--vtu"):
            _check_output_file("--vtu", str(path))
    print(describe(args.result))
    if args.vtu is not None:
        for path in export_vtu(args.result, args.vtu or None):
            print(f"wrote {path}")
    return 0


def _materials_add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", default=None, help="one material in full (with its tables)")


def _materials(args: argparse.Namespace) -> int:
    from .physics.materials import describe

    print(describe(args.name))
    return 0


def _study_add_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="study_command", required=True)
    s = sub.add_parser("slurm", help="write an sbatch job-array script for a study")
    s.add_argument("study", help="study file (TOML)")
    s.add_argument("--tasks", type=int, default=4, help="array tasks (slices of the cases)")
    s.add_argument("--out", default=None, help="study output folder (default results/<name>)")
    s.add_argument("--partition", default=None)
    s.add_argument("--time", default="04:00:00", help="time limit per array task")
    s.add_argument("--mem", default=None, help="memory per task, e.g. 8G")
    s.add_argument("--cpus-per-task", type=int, default=1, help="cores per array task")
    s.add_argument(
        "--case-timeout",
        type=float,
        default=None,
        metavar="MIN",
        help="each array task stops a case still running after MIN minutes and records it "
        "as failed (its other cases go on)",
    )
    _job_args(s, "array tasks")
    m = sub.add_parser("merge", help="build the table and plots of the finished cases")
    m.add_argument("study", help="study file (TOML)")
    m.add_argument("--out", default=None, help="study output folder (default results/<name>)")


def _slurm_notes(res, study: str, memory: str | None, at_once: int = 1) -> list[str]:
    """What to know before a job array is queued: the cases its tasks would record as
    failed at once (the reader refuses them; the size guard is the compute nodes' and is
    left out here, but for cases beyond any node) and a ``--mem`` below the largest case's
    estimate."""
    from .study.slurm import LARGEST_TASK_MEMORY, beyond_any_node, memory_bytes

    notes = []
    beyond = beyond_any_node(res, at_once)
    if beyond:
        first = beyond[0]
        values = ", ".join(f"{k} = {v!r}" for k, v in first.params.items()) or "the base case"
        notes.append(
            f"note: {len(beyond)} of {len(res.cases)} cases need more memory than any node "
            f"(over {LARGEST_TASK_MEMORY / 2**40:.0f} TiB a task; {first.case_id}, {values}: "
            f"~{first.memory / 2**40:.3g} TiB by the size guard's estimate): the tasks' memory "
            "leaves them out and the size guard on the nodes refuses them; "
            f"`fea check {study}` lists them"
        )
    bad = [c for c in res.cases if not c.ok]
    if bad:
        first = bad[0]
        verb = "is" if len(bad) == 1 else "are"
        notes.append(
            f"note: {len(bad)} of {len(res.cases)} cases {verb} invalid and will be recorded "
            f"failed ({first.case_id}: {first.error}); `fea check {study}` lists them"
        )
    beyond_ids = {c.case_id for c in beyond}  # named above; no node holds them anyway
    fits = [c for c in res.cases if c.case_id not in beyond_ids]
    big = max(fits, key=lambda c: c.memory or 0.0, default=None)
    if memory is not None and big is not None and big.memory:
        if memory_bytes(memory) < big.memory:
            notes.append(
                f"note: --mem {memory} is below the largest case's estimate "
                f"({big.case_id}: ~{big.memory / 2**30:.1f} GiB): the size guard on the "
                "nodes refuses the cases that do not fit (fea check with FEA_MEMORY_GB "
                "set to the job's memory lists them)"
            )
    return notes


def _study(args: argparse.Namespace) -> int:
    from .package.spec import load_study

    if args.study_command == "slurm":
        import warnings

        from .study.check import check_study
        from .study.slurm import cases_at_once, task_gpus, write_slurm_script

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the study's warnings were not asked for here
            spec = load_study(args.study)
            res = check_study(spec, args.out, force=True)
        if res.cases and all(c.status == "invalid" for c in res.cases):
            first = res.cases[0]
            raise_input(
                "study",
                args.study,
                f"a study with a case to run: the reader refuses every case "
                f"({first.case_id}: {first.error}; `fea check` lists them)",
            )
        path = write_slurm_script(
            args.study,
            tasks=args.tasks,
            out=args.out,
            partition=args.partition,
            time_limit=args.time,
            cpus_per_task=args.cpus_per_task,
            memory=args.mem,
            account=args.account,
            qos=args.qos,
            constraint=args.constraint,
            gpus_per_task=args.gpus_per_task,
            case_timeout_min=args.case_timeout,
            checked=res,
        )
        print(f"wrote {path.parent / 'array.sbatch'}, {path.parent / 'merge.sbatch'}")
        at_once = cases_at_once(task_gpus(spec, args.gpus_per_task))
        if args.mem is None:
            from .study.slurm import MEMORY_MARGIN, task_memory

            mem = task_memory(res, at_once)
            if mem is not None:  # as write_slurm_script chose it
                print(
                    f"memory per task: {mem} ({MEMORY_MARGIN:g} x the largest case's "
                    "estimate; --mem sets it)"
                )
        for note in _slurm_notes(res, args.study, args.mem, at_once):
            print(note)
        print(f"submit with: bash {path}")
        return 0
    from .study.check import EXIT_RUNNING
    from .study.driver import output_path
    from .study.plots import study_plots
    from .study.table import build_table, stale_cases

    spec = load_study(args.study)
    root = output_path(spec, args.out)  # an empty --out refused, as fea run refuses it
    if not root.is_dir():
        what = "it is not a folder" if root.exists() else "it does not exist"
        raise_input("--out", str(root), f"the folder of the study's results ({what})")
    from .study.owner import check_owner

    check_owner(spec, root)  # another study's table not replaced
    params = dict(spec.case_parameters())
    untabled = {cid for cid in params if not (root / cid / "metrics.json").is_file()}
    # the states before the table (as fea check reads them): a case another run is
    # computing is running, not "not run yet"; one it finishes meanwhile has its row
    running = [cid for cid in params if cid in untabled and _running(spec, root, cid, params)]
    rows, table = build_table(spec, root)
    cases = list(params)
    failed = sum(r.get("status") != "ok" for r in rows)
    stale = stale_cases(spec, root)
    tabled = {r.get("case") for r in rows}
    running = [cid for cid in running if cid not in tabled]
    missing = [
        cid for cid in cases if cid not in tabled and cid not in stale and cid not in running
    ]
    left_out = (
        f"; {len(stale)} left out, computed from another input than the study's present "
        f"one ({_first(stale)}): run the study again"
        if stale
        else ""
    )
    not_run = f"; {len(missing)} not run yet ({_first(missing)})" if missing else ""
    if running:
        not_run = (
            f"; {len(running)} running in another run ({_first(running)}): fea check "
            f"shows them, fea study merge again once that run has ended{not_run}"
        )
    try:
        study_plots(spec, rows, root)
    finally:  # the table is written: its path is printed even when a plot fails
        print(
            f"{table.resolve()}: {len(rows)} of {len(cases)} cases "
            f"({failed} failed{not_run}{left_out})"
        )
    if running:
        return EXIT_RUNNING  # as fea check: a run is still going on the folder
    return 0 if failed == 0 and len(rows) == len(cases) else 1


def _running(spec: StudySpec, root: Path, cid: str, params: dict[str, Any]) -> bool:
    """Whether a run still going holds the case ``cid`` of ``spec`` in the output folder
    ``root`` (``fea check``'s ``running``); ``params``: case id -> its sweep values."""
    from .study.check import case_state

    state, _, live = case_state(spec, root / cid, params[cid])
    return state == "running" and live


def _first(names: list[str], n: int = 5) -> str:
    """The first ``n`` of ``names``, then ``...`` when there are more."""
    return ", ".join(names[:n]) + (", ..." if len(names) > n else "")


def _converge_add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="study file (TOML)")
    p.add_argument("--case", default=None, help="case id, e.g. case0002 (default: the first)")
    p.add_argument(
        "--sizes", type=int, default=3, choices=(2, 3), help="mesh sizes to run (default 3)"
    )
    p.add_argument(
        "--ratio", type=float, default=1.5, help="refinement ratio r between sizes (default 1.5)"
    )
    p.add_argument(
        "--metric",
        action="append",
        default=None,
        help="metric column to extrapolate (repeat; default: the study's outputs)",
    )
    p.add_argument(
        "--finer",
        action="store_true",
        help="refine from the case's mesh (default: coarsen, the case's mesh the finest)",
    )
    p.add_argument("--out", default=None, help="folder (default results/<study>/converge/<case>)")


def _converge(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .package.spec import load_study
    from .study.converge import converge, read_levels, write_convergence, write_levels

    if args.out is not None:
        _check_output_folder("--out", args.out)
    spec = load_study(args.study)
    cases = {cid: case for cid, _, case in spec.cases()}
    cid = args.case if args.case is not None else next(iter(cases))
    if cid not in cases:
        raise_input("--case", cid, f"a case of the study: {', '.join(cases)}")
    case = cases[cid]
    if isinstance(case, Exception):
        raise case

    out = Path(args.out) if args.out else Path("results") / spec.name / "converge" / cid
    # each level's metrics are kept as computed: a killed run, started again, runs only
    # the levels it lacks
    kept = read_levels(out)
    metrics_of = {k: v["metrics"] for k, v in kept.items()}

    def level(i: int, c) -> None:
        from .study.converge import level_key

        again = " (kept from an earlier run)" if level_key(c) in metrics_of else ""
        print(f"mesh {i + 1}/{args.sizes}: size {c.mesh.size * 1e3:.4g} mm{again}", flush=True)

    def keep(i: int, c, metrics: dict) -> None:
        from .study.converge import level_key

        kept[level_key(c)] = {"size_m": c.mesh.size, "metrics": metrics}
        write_levels(out, kept)

    results = converge(
        case,
        args.metric,
        n=args.sizes,
        ratio=args.ratio,
        finer=args.finer,
        on_level=level,
        on_result=keep,
        known=metrics_of,
    )
    paths = write_convergence(results, out, f"{spec.name} {cid}: mesh convergence")
    chosen = "coarsest" if args.finer else "finest"
    print(f"{spec.name} {cid}: r = {args.ratio:g}, the case's own mesh is the {chosen}")
    for r in results:
        vals = ", ".join(f"{v:.6g}" for v in r.values)
        p = "n/a" if r.order != r.order else f"{r.order:.3g}"
        print(
            f"  {r.metric}: {vals} -> extrapolated {r.extrapolated:.6g}, observed order {p}, "
            f"GCI {100 * r.gci_fine:.3g} %, error of the chosen mesh {100 * r.chosen_error:.3g} %"
            + (f" ({r.note})" if r.note else "")
        )
    print("wrote " + ", ".join(str(q.resolve()) for q in paths))
    return 0


def _structure_add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "curves",
        nargs="+",
        help="heating curves: CSV (time_s, zth_K_per_W columns; time_ms or time_us instead "
        "of time_s are converted to s; else time [s] first and Zth [K/W] the column named "
        "Zth (or Z_th, or in K/W), or the second; a temperature or power column is refused) "
        "or results files (.h5, their zth curve)",
    )
    p.add_argument("-o", "--output", default="structure_function.png", help="plot to write")
    p.add_argument(
        "--noise", type=float, default=0.0, help="noise of measured curves [K/W] (std. dev.)"
    )
    p.add_argument(
        "--dual-interface",
        action="store_true",
        help="two curves of one device on two case contacts (JESD51-14): report theta_JC, "
        "where their structure functions part, and where the curves themselves part (their "
        "slopes dZth/dln t differ by more than --epsilon)",
    )
    p.add_argument(
        "--epsilon",
        type=float,
        default=None,
        help="--dual-interface: relative threshold of the parting (default 0.1 on the slopes)",
    )


#: Largest heating-curve value accepted [K/W] (a package is well under 1e4 K/W).
ZTH_MAX_K_PER_W = 1e6
#: Time columns of a heating-curve CSV -> their factor to seconds.
TIME_COLUMNS = {"time_s": 1.0, "time_ms": 1e-3, "time_us": 1e-6}
#: Units in a time column's name that are not seconds (refused unless in TIME_COLUMNS).
OTHER_TIME_UNITS = {"ms", "us", "µs", "ns", "min", "h", "hr", "hrs", "hour", "hours"}
#: Words in a column's name that say it holds no Zth [K/W] (a temperature or a power).
NOT_ZTH_WORDS = {"tj", "temp", "temperature", "degc", "°c", "power"}
#: Dual interface: the two curves of one device agree at early times within this.
SAME_DEVICE_RTOL = 0.1


def _load_zth(path: str):
    """The heating curve of ``path``: times [s] and Zth [K/W] at positive times. A CSV
    gives its ``time_s`` (or ``time_ms``, ``time_us``: converted to s) and ``zth_K_per_W``
    columns, else its first column as time [s] and as Zth [K/W] the first column whose
    name holds "zth" (``Z_th``, ``Z-th`` too) or the unit K/W (``K_per_W``), or the second;
    a temperature or power there (``Tj_C``, ``power_W``: the ``zth.csv`` of a power-profile
    case) is refused, not read as Zth."""
    import re
    from pathlib import Path

    from .io import read_curve_csv, read_results

    if Path(path).suffix == ".h5":
        c = read_results(path).curves.get("zth")
        if c is None or "zth_K_per_W" not in c:
            raise_input("curves", path, "a results file with a heating curve (a [transient] case)")
        return c["time_s"][1:], c["zth_K_per_W"][1:]
    c = read_curve_csv(path, key="curves")
    names = list(c)
    if len(names) < 2:
        raise_input("curves", path, "time_s and zth_K_per_W columns")
    time_col = next((n for n in TIME_COLUMNS if n in c), names[0])
    rest = [n for n in names if n != time_col]

    def named_zth(name: str) -> bool:  # Zth, Z_th, Z-th, "Z th", or in K/W (K_per_W...)
        low = name.lower()
        return "zth" in re.sub(r"[^a-z]", "", low) or bool(re.search(r"k\s*(/|_?per_?)\s*w", low))

    z_col = (
        "zth_K_per_W" if "zth_K_per_W" in c else next((n for n in rest if named_zth(n)), rest[0])
    )
    unit_suffix = re.search(r"_(C|degC|K|W)$", z_col) and not z_col.endswith("_per_W")
    words_not_zth = set(re.findall(r"[a-z°]+", z_col.lower())) & NOT_ZTH_WORDS
    if not named_zth(z_col) and (unit_suffix or words_not_zth):
        # a temperature in degC read as Zth adds the ambient to every resistance
        raise_input(
            "curves",
            f"{path}, column {z_col!r}",
            "a Zth column zth_K_per_W (or named Zth, or the second column: Zth [K/W]); "
            "a temperature or power is not a heating curve",
        )
    words = set(re.findall(r"[a-zµ]+", time_col.lower()))
    if time_col not in TIME_COLUMNS and words & OTHER_TIME_UNITS:
        # a time column in another unit read as seconds would shift the curve by 1000x
        raise_input(
            "curves",
            f"{path}, column {time_col!r}",
            f"a time column {', '.join(TIME_COLUMNS)} (or unnamed, in s)",
        )
    t, z = c[time_col] * TIME_COLUMNS.get(time_col, 1.0), c[z_col]
    keep = t > 0  # a curve from t = 0 starts at its first positive time
    t, z = t[keep], z[keep]
    return _checked_curve(path, t, z)


def _checked_curve(path: str, t, z):
    import numpy as np

    if len(t) < 8:
        raise_input("curves", path, "a heating curve of at least 8 samples at positive times")
    if not (np.all(np.isfinite(t)) and np.all(np.diff(t) > 0)):
        raise_input("curves", path, "finite, increasing times [s]")
    if not (np.all(np.isfinite(z)) and np.all(np.abs(z) <= ZTH_MAX_K_PER_W)):
        raise_input("curves", path, f"finite Zth values of at most {ZTH_MAX_K_PER_W:g} K/W")
    if not z[-1] > 0:
        raise_input("curves", path, "a heating curve rising to a positive Zth [K/W]")
    return t, z


def _labels(paths: Sequence[str]) -> list[str]:
    """A label per curve: its file's stem (a results file: its folder's name), or its
    path when two curves would share a label."""
    from pathlib import Path

    short = [Path(p).parent.name if Path(p).suffix == ".h5" else Path(p).stem for p in paths]
    if len(set(short)) == len(short):
        return short
    return [str(p) for p in paths]


def _same_device(labels: list[str], curves) -> None:
    """Two heating curves of one device on two case contacts coincide at early times (the
    heat has not reached the case): refuse two that differ there by over
    :data:`SAME_DEVICE_RTOL`."""
    import numpy as np

    (ta, za), (tb, zb) = curves
    lo, hi = max(ta[0], tb[0]), min(ta[-1], tb[-1])
    if not hi > lo:
        raise_input("curves", labels, "two curves over a common time range (--dual-interface)")
    t_early = np.exp(np.log(lo) + 0.1 * (np.log(hi) - np.log(lo)))
    a = np.interp(np.log(t_early), np.log(ta), za)
    b = np.interp(np.log(t_early), np.log(tb), zb)
    if not abs(a - b) <= SAME_DEVICE_RTOL * max(abs(a), abs(b)):
        raise_input(
            "curves",
            labels,
            f"two curves of one device (--dual-interface): they differ by {abs(a - b):.3g} "
            f"K/W ({a:.3g} and {b:.3g}) at {t_early:.3g} s, before the heat reaches the case",
        )


def _structure(args: argparse.Namespace) -> int:
    import math
    from pathlib import Path

    import numpy as np

    from .package.transient import SEPARATION_TOL
    from .physics.structure import separation_point, structure_function, zth_separation
    from .study.plots import structure_plot

    _check_output_file("--output", args.output)
    if args.dual_interface and len(args.curves) != 2:
        raise_input("--dual-interface", args.curves, "exactly two heating curves")
    if args.dual_interface and Path(args.curves[0]).resolve() == Path(args.curves[1]).resolve():
        raise_input("curves", args.curves, "two different files (--dual-interface)")
    curves = dict(zip(_labels(args.curves), map(_load_zth, args.curves), strict=True))
    if args.dual_interface:
        _same_device(list(curves), list(curves.values()))
    sfs = {}
    for label, (t, z) in curves.items():
        sf = structure_function(t, z, noise_K_per_W=args.noise)
        if not (math.isfinite(sf.R_total) and math.isfinite(sf.residual_K_per_W)):
            raise_input("curves", label, "a heating curve whose structure function fits")
        sfs[label] = sf
        print(
            f"{label}: {len(t)} samples, {t[0]:.3g} to {t[-1]:.3g} s, R_total "
            f"{sf.R_total:.4g} K/W, {len(sf.cauer.R)} Cauer stages, fit residual "
            f"{sf.residual_K_per_W:.2g} K/W"
        )
    sep = None
    if args.dual_interface:
        a, b = sfs.values()
        sep = separation_point(a, b, rel_tol=SEPARATION_TOL, rule="last")
        print(
            f"the structure functions part at {sep:.4g} K/W: theta_JC by dual interface "
            f"(JESD51-14 method 2; the last point where they agree within {SEPARATION_TOL:.0%})"
        )
        (ta, za), (tb, zb) = curves.values()
        common = ta[(ta >= tb[0]) & (ta <= tb[-1])]  # a's samples, b read there in ln t
        part = zth_separation(
            common,
            np.interp(np.log(common), np.log(ta), za),
            np.interp(np.log(common), np.log(tb), zb),
            epsilon=args.epsilon,
        )
        print(
            f"the heating curves separate at {part.time_s:.3g} s, Zth {part.theta_K_per_W:.4g} "
            f"K/W (JESD51-14 method 1: their slopes differ by over {part.epsilon:.0%}; it "
            "reads low where little capacitance lies between the case and the contact)"
        )
    print(f"wrote {structure_plot(curves, args.output, sep)}")
    return 0


def _ctm_add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="study file (TOML); its [ctm] section, or every default")
    p.add_argument("--out", default=None, help="output folder (default results/<study>/ctm)")


def _ctm(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .package.ctm import run_ctm
    from .package.spec import load_study

    if args.out is not None:
        _check_output_folder("--out", args.out)
    spec = load_study(args.study)
    out = Path(args.out) if args.out else Path("results") / spec.name / "ctm"
    rows = run_ctm(spec, out)
    files = [f for _, _, fs in rows for f in fs]
    print(f"wrote {len(files)} files to {out}")
    return 0 if all(r is not None for _, r, _ in rows) else 1


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Handler]] = {
    "check": (
        "environment and solver backends; with study files, every case checked without running",
        _check_add_args,
        _check,
    ),
    "run": ("run a study", _run_add_args, _run),
    "mesh": ("build and write the mesh of a study, print its quality", _mesh_add_args, _mesh),
    "info": ("describe a results file", _info_add_args, _info),
    "materials": (
        "the built-in materials: properties and sources",
        _materials_add_args,
        _materials,
    ),
    "study": ("study tools: slurm job arrays, merge", _study_add_args, _study),
    "converge": (
        "mesh convergence of a case: 2-3 sizes, Richardson extrapolation, GCI",
        _converge_add_args,
        _converge,
    ),
    "structure": (
        "structure functions of heating curves (measured CSV or results), overlaid",
        _structure_add_args,
        _structure,
    ),
    "ctm": (
        "compact thermal models (2R, DELPHI, Foster/Cauer) of a study: SPICE, CSV, ECXML",
        _ctm_add_args,
        _ctm,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fea`` command."""
    parser = argparse.ArgumentParser(
        prog="fea", description="Thermal and warpage FEA of shielded microelectronic packages."
    )
    parser.add_argument("--version", action="version", version=f"fea {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_, add_args, handler) in COMMANDS.items():
        p = sub.add_parser(name, help=help_)
        add_args(p)
        p.set_defaults(handler=handler)
    return parser


def _short_warnings(command: str) -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints a library warning as one line,
    ``fea COMMAND: warning: MESSAGE``, without Python's file name, line number and source
    line (a user reads the message, not the code that raised it); other categories
    (NumPy's RuntimeWarning, deprecations) keep Python's own form."""
    import warnings

    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        if not issubclass(category, UserWarning) or issubclass(category, DeprecationWarning):
            default(message, category, filename, lineno, file, line)
            return
        stream = sys.stderr if file is None else file
        try:
            stream.write(f"fea {command}: warning: {message}\n")
        except (OSError, ValueError):  # stderr closed or gone, as Python's own form ignores
            pass

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fea`` command with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    A library warning is printed as one line, ``fea COMMAND: warning: MESSAGE``."""
    import warnings

    parser = build_parser()
    args = parser.parse_args(argv)
    previous = warnings.showwarning
    warnings.showwarning = _short_warnings(args.command)
    try:
        return int(args.handler(args))
    except FeaError as exc:
        print(f"fea {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"fea {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of the output went away (``fea check big.toml | head``): no
        # traceback; stdout pointed at /dev/null so that the interpreter's own flush at
        # exit does not fail again (the Python documentation's recipe for SIGPIPE)
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command its pipe ended
    except SystemExit as exc:
        # SIGTERM (a batch system's cancel or time limit, kill) ends a study as Ctrl-C
        # does (fea.study.driver); a batch log must say so rather than just stop
        if exc.code == 128 + signal.SIGTERM:
            print(f"fea {args.command}: terminated (SIGTERM)", file=sys.stderr)
        raise
    finally:
        warnings.showwarning = previous


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
