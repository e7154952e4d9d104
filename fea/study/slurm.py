"""Slurm job arrays for a study: each array task runs a slice of the cases, then a merge.

``write_slurm_script`` writes into ``<out>/slurm/``:

* ``array.sbatch``: ``--array=0-(n-1)``; task ``i`` runs ``fea run STUDY --slice i/n``;
* ``merge.sbatch``: ``fea study merge STUDY`` (table and plots of every finished case);
* ``submit.sh``: submits the array, then the merge with ``--dependency=afterany`` on it,
  and prints both job ids.

The scripts call the Python interpreter that wrote them (``sys.executable``) with
absolute paths, so the jobs run the same installation on a shared file system.

Nothing from a study or an option reaches a script unchecked: every ``#SBATCH`` value
(job name, time, memory, partition, account, QOS, constraint, GPUs) must match its
pattern (:class:`JobOptions`), every path in a command is quoted, and paths with control
characters (or, in ``#SBATCH`` lines, characters that sbatch would misread) are
refused. A study whose solver backend is ``gpu`` asks for ``--gpus-per-task`` (default
1) and each array task runs one case per GPU at a time.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io.atomic import default_mode, write_atomic
from ..package.spec import check_name, load_study
from ..package.spec.sweeps import case_count

__all__ = [
    "DEFAULT_MAX_ARRAY_SIZE",
    "JobOptions",
    "LARGEST_TASK_MEMORY",
    "MEMORY_MARGIN",
    "beyond_any_node",
    "cases_at_once",
    "check_memory_text",
    "default_job_memory",
    "max_array_size",
    "memory_bytes",
    "task_gpus",
    "task_memory",
    "write_slurm_script",
]

#: The array tasks' memory when ``--mem`` is not given: this many times the largest case's
#: estimate (:func:`fea.package.meshing.estimate`; its element count from the spec alone
#: is good to about a factor of 2, docs/performance.md), per case a task runs at once.
#: Without a ``--mem`` line a task gets the site's default, often a few GB, and a larger
#: case is killed for memory on the node.
MEMORY_MARGIN = 2.0

#: The most memory [bytes] an array task asks for by itself: more than any compute node
#: holds (64 TiB). A case whose estimate needs more (a mesh size slip such as
#: ``mesh.size_mm = 1e-6``) is left out of the request: no node could run it, and its task
#: records it as refused by the size guard.
LARGEST_TASK_MEMORY = 64 * 2**40

# Slurm's formats: minutes, minutes:seconds, hours:minutes:seconds, days-hours,
# days-hours:minutes, days-hours:minutes:seconds.
_TIME = re.compile(r"\d{1,6}(?::\d{1,2}){0,2}|\d{1,4}-\d{1,2}(?::\d{1,2}){0,2}")
_MEMORY = re.compile(r"\d{1,12}[KMGT]?")
_NAME_LIST = re.compile(r"[A-Za-z0-9_.-]{1,64}(?:,[A-Za-z0-9_.-]{1,64}){0,31}")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# node features with Slurm's operators: & | , * [ ] ( ) and counts (a100&nvlink, [r1|r2])
_CONSTRAINT = re.compile(r"[A-Za-z0-9_.:&|,*()\[\]-]{1,256}")
_GPUS = re.compile(r"(?:[A-Za-z0-9_.-]{1,32}:)?[1-9]\d{0,2}")
# what a path may hold inside an #SBATCH line (sbatch splits at blanks, expands %)
_SBATCH_PATH = re.compile(r"[A-Za-z0-9_./+,@=~:-]{1,4000}")


#: Slurm's ``MaxArraySize`` when the cluster's own cannot be read (``slurm.conf``'s
#: default): array indices run from 0 to ``MaxArraySize - 1``, so at most this many tasks.
DEFAULT_MAX_ARRAY_SIZE = 1001


def max_array_size() -> tuple[int, str]:
    """This cluster's ``MaxArraySize`` (the most tasks one job array may have) and where
    it came from: ``scontrol show config`` where ``scontrol`` answers within 10 s, else
    :data:`DEFAULT_MAX_ARRAY_SIZE` (``"Slurm's default"``)."""
    import shutil
    import subprocess

    exe = shutil.which("scontrol")
    if exe is not None:
        try:
            out = subprocess.run(
                [exe, "show", "config"], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        m = re.search(r"^\s*MaxArraySize\s*=\s*(\d+)\s*$", out, re.MULTILINE)
        if m and int(m.group(1)) > 0:
            return int(m.group(1)), "this cluster's MaxArraySize (scontrol show config)"
    return DEFAULT_MAX_ARRAY_SIZE, "Slurm's default MaxArraySize (scontrol did not say)"


def _check(key: str, value: Any, pattern: re.Pattern, allowed: str) -> str:
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise InputError(key, value, allowed)
    return value


def check_memory_text(value: str, key: str = "--mem") -> str:
    """A memory amount for a job (``8G``, ``8GB``, ``8000M``), or an InputError."""
    if not isinstance(value, str) or re.fullmatch(r"\d{1,12}(?:[KMGT]i?B?|B)?", value) is None:
        raise InputError(key, value, "a memory amount such as 8G, 8GB or 8000M")
    return value


@dataclasses.dataclass(frozen=True)
class JobOptions:
    """Options of the batch jobs of a study, each checked against its pattern.

    ``time_limit`` (Slurm's time formats, e.g. ``04:00:00`` or ``1-12:00``), ``memory``
    (``8G``), ``partition``, ``account``, ``qos`` (names), ``constraint`` (node
    features with ``& | , * [ ] ( )``), ``gpus_per_task`` (``1`` or ``a100:2``; for a
    study whose backend is ``gpu`` the default is 1), ``cpus_per_task``.
    """

    partition: str | None = None
    time_limit: str = "04:00:00"
    cpus_per_task: int = 1
    memory: str | None = None
    account: str | None = None
    qos: str | None = None
    constraint: str | None = None
    gpus_per_task: str | None = None

    def replace(self, **changes: Any) -> JobOptions:
        return dataclasses.replace(self, **changes)

    def checked(self) -> JobOptions:
        """Itself, every value checked (an InputError names the option and the pattern)."""
        _check("--time", self.time_limit, _TIME, "a Slurm time: MM, HH:MM:SS or D-HH[:MM[:SS]]")
        c = self.cpus_per_task
        if isinstance(c, bool) or not isinstance(c, int) or not 1 <= c <= 1024:
            raise InputError("--cpus-per-task", c, "an integer from 1 to 1024")
        if self.memory is not None:
            _check("--mem", self.memory, _MEMORY, "a memory amount: an integer and K, M, G or T")
        for key, value, pattern, allowed in (
            ("--partition", self.partition, _NAME_LIST, "partition names (A-Z a-z 0-9 _ . -)"),
            ("--account", self.account, _NAME, "an account name (A-Z a-z 0-9 _ . -)"),
            ("--qos", self.qos, _NAME_LIST, "QOS names (A-Z a-z 0-9 _ . -)"),
            (
                "--constraint",
                self.constraint,
                _CONSTRAINT,
                "node features (A-Z a-z 0-9 _ . : -) joined by & | , * [ ] ( )",
            ),
            ("--gpus-per-task", self.gpus_per_task, _GPUS, "a GPU count, or type:count"),
        ):
            if value is not None:
                _check(key, value, pattern, allowed)
        return self

    def sbatch_lines(self) -> list[str]:
        """The ``#SBATCH`` lines of these options (checked first)."""
        self.checked()
        lines = [
            f"#SBATCH --time={self.time_limit}",
            f"#SBATCH --cpus-per-task={self.cpus_per_task}",
        ]
        for flag, value in (
            ("partition", self.partition),
            ("mem", self.memory),
            ("account", self.account),
            ("qos", self.qos),
            ("constraint", self.constraint),
            ("gpus-per-task", self.gpus_per_task),
        ):
            if value is not None:
                lines.append(f"#SBATCH --{flag}={value}")
        return lines

    def jobqueue_arguments(self, kind: str) -> dict[str, Any]:
        """Keyword arguments of a dask-jobqueue cluster (``slurm`` or ``pbs``) for these
        options: one worker per job, one GPU per job when asked."""
        self.checked()
        kw: dict[str, Any] = {}
        extra: list[str] = []
        if kind == "slurm":
            if self.partition is not None:
                kw["queue"] = self.partition
            if self.account is not None:
                kw["account"] = self.account
            if self.qos is not None:
                extra.append(f"--qos={self.qos}")
            if self.constraint is not None:
                extra.append(f"--constraint={self.constraint}")
            if self.gpus_per_task is not None:
                extra.append(f"--gpus-per-task={self.gpus_per_task}")
        else:
            for key, value in (("--qos", self.qos), ("--constraint", self.constraint)):
                if value is not None:
                    raise InputError(key, value, "a Slurm option (PBS has none)")
            if self.partition is not None:
                kw["queue"] = self.partition
            if self.account is not None:
                kw["account"] = self.account
            if self.gpus_per_task is not None:
                count = self.gpus_per_task.rsplit(":", 1)[-1]
                kw["resource_spec"] = f"select=1:ncpus=1:ngpus={count}"
        if extra:
            kw["job_extra_directives"] = extra
        return kw


def _path(key: str, path: Path, *, sbatch: bool = False) -> str:
    """An absolute path for a script: no control characters anywhere; inside an
    ``#SBATCH`` line only characters sbatch reads as one word (no blanks, quotes, %)."""
    text = str(path)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InputError(key, text, "a path without control characters (newline, tab, NUL)")
    if sbatch and _SBATCH_PATH.fullmatch(text) is None:
        raise InputError(
            key,
            text,
            "a path of A-Z a-z 0-9 _ . / + , @ = ~ : - only (it goes into #SBATCH lines, "
            "where blanks, quotes and % are not paths)",
        )
    return text


def default_job_memory(peak: float, cases_at_once: int = 1) -> str:
    """The ``--mem`` of an array task whose largest case needs about ``peak`` bytes
    (:func:`fea.package.meshing.estimate`) and which runs ``cases_at_once`` cases at a
    time: :data:`MEMORY_MARGIN` times that, in whole GiB (``"9G"``), at least 2G."""
    import math

    gib = MEMORY_MARGIN * float(peak) * max(int(cases_at_once), 1) / 2**30
    return f"{max(2, math.ceil(gib))}G"


def beyond_any_node(checked: Any, at_once: int = 1) -> list[Any]:
    """The cases of ``checked`` (a :func:`fea.study.check.check_study`) whose request by
    :func:`default_job_memory` would exceed :data:`LARGEST_TASK_MEMORY`, in case order."""
    limit = LARGEST_TASK_MEMORY / (MEMORY_MARGIN * max(int(at_once), 1))
    return [c for c in checked.cases if c.memory and c.memory > limit]


def task_memory(checked: Any, at_once: int = 1) -> str | None:
    """:func:`default_job_memory` of the largest case of ``checked`` (a
    :func:`fea.study.check.check_study`) for a task running ``at_once`` cases at a time,
    the cases :func:`beyond_any_node` left out; None when no case is left with an
    estimate (every one invalid or beyond any node)."""
    beyond = {c.case_id for c in beyond_any_node(checked, at_once)}
    peak = max((c.memory or 0.0 for c in checked.cases if c.case_id not in beyond), default=0.0)
    return default_job_memory(peak, at_once) if peak > 0 else None


def task_gpus(spec: Any, gpus_per_task: str | int | None) -> str | None:
    """The ``--gpus-per-task`` of a study's array tasks: as given (refused for a study
    whose ``solver.backend`` is ``cpu``), else ``"1"`` for a ``gpu`` study, else None."""
    backend = spec.base.solver.backend
    if gpus_per_task is not None:
        if backend == "cpu":
            raise InputError(
                "--gpus-per-task", str(gpus_per_task), "a study whose solver.backend is gpu or auto"
            )
        return str(gpus_per_task)
    return "1" if backend == "gpu" else None


def cases_at_once(gpus_per_task: str | None) -> int:
    """Cases an array task runs at a time: one per GPU (``a100:2`` -> 2), else 1."""
    return int(gpus_per_task.rsplit(":", 1)[-1]) if gpus_per_task is not None else 1


def memory_bytes(text: str) -> float:
    """Bytes of a Slurm memory amount (``8G``, ``8000M``, ``8000``: Slurm's default unit
    is M; K, M, G, T are powers of 1024); an InputError for another form."""
    value = _check("--mem", text, _MEMORY, "a memory amount: an integer and K, M, G or T")
    unit = value[-1] if value[-1] in "KMGT" else "M"
    return float(value.rstrip("KMGT")) * 1024.0 ** (1 + "KMGT".index(unit))


def write_slurm_script(
    study: str | os.PathLike,
    tasks: int = 4,
    out: str | os.PathLike | None = None,
    *,
    partition: str | None = None,
    time_limit: str = "04:00:00",
    cpus_per_task: int = 1,
    memory: str | None = None,
    account: str | None = None,
    qos: str | None = None,
    constraint: str | None = None,
    gpus_per_task: str | int | None = None,
    case_timeout_min: float | None = None,
    checked: Any = None,
) -> Path:
    """Write the job-array, merge and submit scripts of ``study``; returns ``submit.sh``.

    Parameters
    ----------
    tasks
        Array size n (each task runs every n-th case); capped at the number of cases, and
        refused above the cluster's ``MaxArraySize`` (:func:`max_array_size`).
    out
        The study's output folder (default ``results/<study name>``).
    partition, time_limit, cpus_per_task, memory, account, qos, constraint, gpus_per_task
        The jobs' options (:class:`JobOptions`). ``memory`` None: the array tasks ask for
        :func:`default_job_memory` of the largest case (every case read as ``fea check``
        reads it), the merge job for the site's default. A study whose solver backend is ``gpu``
        asks for one GPU per task unless ``gpus_per_task`` says otherwise (``auto`` may ask
        too, ``cpu`` may not); each task then runs as many cases at once as it has GPUs.
    case_timeout_min
        [min] each array task's ``fea run --case-timeout``: a case still running after it
        is stopped and recorded as failed, and the task goes on with its other cases (None:
        no limit but the job's ``time_limit``).
    checked
        The study's :func:`fea.study.check.check_study` where the caller has it (``memory``
        None takes the largest case from it instead of reading every case again).
    """
    spec = load_study(study)
    check_name(spec.name)
    n_cases = case_count(spec.sweep)
    if isinstance(tasks, bool) or not isinstance(tasks, int) or tasks < 1:
        raise InputError("--tasks", tasks, "a positive number of array tasks")
    tasks = min(tasks, n_cases)
    limit_tasks, source = max_array_size()
    if tasks > limit_tasks:
        # sbatch would refuse the array only at submit ("Invalid job array specification")
        raise InputError(
            "--tasks",
            tasks,
            f"at most {limit_tasks} array tasks ({source}); fewer tasks each run more "
            f"cases (--tasks {limit_tasks} runs {n_cases} cases as "
            f"{-(-n_cases // limit_tasks)} or fewer a task)",
        )
    gpus_per_task = task_gpus(spec, gpus_per_task)
    from .driver import check_case_timeout

    check_case_timeout(case_timeout_min)  # the key, the value and what is allowed, before any file
    limit = "" if case_timeout_min is None else f" --case-timeout {float(case_timeout_min)!r}"
    opts = JobOptions(
        partition, time_limit, cpus_per_task, memory, account, qos, constraint, gpus_per_task
    ).checked()
    workers = cases_at_once(gpus_per_task)
    merge_opts = opts.replace(gpus_per_task=None)
    if memory is None:
        if checked is None:
            from .check import check_study

            checked = check_study(spec, out, force=True)
        default = task_memory(checked, workers)
        if default is not None:
            opts = opts.replace(memory=default).checked()

    study_path = Path(_path("study", Path(study).resolve()))
    root = (Path(out) if out is not None else Path("results") / spec.name).resolve()
    _path("--out", root, sbatch=True)  # the folder as given: its slurm/ adds no character
    folder = root / "slurm"
    py = shlex.quote(_path("python", Path(sys.executable)))
    q = shlex.quote
    cwd = _path("working folder", Path.cwd())
    head = ["#!/bin/bash", f"#SBATCH --job-name=fea-{spec.name}", *opts.sbatch_lines()]
    env = [
        "set -euo pipefail",
        f"cd {q(cwd)}",
        f"export OMP_NUM_THREADS={opts.cpus_per_task} MKL_NUM_THREADS={opts.cpus_per_task}",
    ]
    array = head + [
        f"#SBATCH --array=0-{tasks - 1}",
        f"#SBATCH --output={folder / 'task-%a.log'}",
        *env,
        f"exec {py} -m fea.cli run {q(str(study_path))} --out {q(str(root))} "
        f'--slice "$SLURM_ARRAY_TASK_ID/{tasks}" --workers {workers} --no-progress{limit}',
    ]
    merge = [
        "#!/bin/bash",
        f"#SBATCH --job-name=fea-{spec.name}",
        *merge_opts.sbatch_lines(),
        f"#SBATCH --output={folder / 'merge.log'}",
        *env,
        f"exec {py} -m fea.cli study merge {q(str(study_path))} --out {q(str(root))}",
    ]
    submit = [
        "#!/bin/bash",
        "# Submit the array, then the merge once every array task has ended (ok or not).",
        "set -euo pipefail",
        f"cd {q(str(folder))}",
        "array=$(sbatch --parsable array.sbatch)",
        'merge=$(sbatch --parsable --dependency="afterany:${array%%;*}" merge.sbatch)',
        'echo "array ${array%%;*} merge ${merge%%;*}"',
    ]
    # executable wherever readable, within the umask (0644 -> 0755, 0600 -> 0700)
    executable = default_mode() | (default_mode() & 0o444) >> 2
    for name, lines in (("array.sbatch", array), ("merge.sbatch", merge), ("submit.sh", submit)):
        write_atomic(folder / name, "\n".join(lines) + "\n")
        (folder / name).chmod(executable)
    return folder / "submit.sh"
