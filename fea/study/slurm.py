"""Slurm job arrays for a study: each array task runs a slice of the cases, then a merge.

``write_slurm_script`` writes into ``<out>/slurm/``:

* ``array.sbatch``: ``--array=0-(n-1)``; task ``i`` runs ``fea run STUDY --slice i/n``;
* ``merge.sbatch``: ``fea study merge STUDY`` (table and plots of every finished case);
* ``submit.sh``: submits the array, then the merge with ``--dependency=afterany`` on it,
  and prints both job ids.

The scripts call the Python interpreter that wrote them (``sys.executable``) with
absolute paths, so the jobs run the same installation on a shared file system.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from ..errors import InputError
from ..io.atomic import write_atomic
from ..package.spec import load_study

__all__ = ["write_slurm_script"]


def write_slurm_script(
    study: str | os.PathLike,
    tasks: int = 4,
    out: str | os.PathLike | None = None,
    *,
    partition: str | None = None,
    time_limit: str = "04:00:00",
    cpus_per_task: int = 1,
    memory: str | None = None,
) -> Path:
    """Write the job-array, merge and submit scripts of ``study``; returns ``submit.sh``.

    Parameters
    ----------
    tasks
        Array size n (each task runs every n-th case); capped at the number of cases.
    out
        The study's output folder (default ``results/<study name>``).
    """
    spec = load_study(study)
    n_cases = sum(1 for _ in spec.cases())
    if tasks < 1:
        raise InputError("--tasks", tasks, "a positive number of array tasks")
    tasks = min(tasks, n_cases)
    study_path = Path(study).resolve()
    root = (Path(out) if out is not None else Path("results") / spec.name).resolve()
    folder = root / "slurm"
    py = shlex.quote(sys.executable)
    q = shlex.quote
    head = [
        "#!/bin/bash",
        f"#SBATCH --job-name=fea-{spec.name}",
        f"#SBATCH --time={time_limit}",
        f"#SBATCH --cpus-per-task={cpus_per_task}",
    ]
    if partition:
        head.append(f"#SBATCH --partition={partition}")
    if memory:
        head.append(f"#SBATCH --mem={memory}")
    env = [
        "set -euo pipefail",
        f"cd {q(str(Path.cwd()))}",
        f"export OMP_NUM_THREADS={cpus_per_task} MKL_NUM_THREADS={cpus_per_task}",
    ]
    array = head + [
        f"#SBATCH --array=0-{tasks - 1}",
        f"#SBATCH --output={q(str(folder / 'task-%a.log'))}",
        *env,
        f"exec {py} -m fea.cli run {q(str(study_path))} --out {q(str(root))} "
        f'--slice "$SLURM_ARRAY_TASK_ID/{tasks}" --no-progress',
    ]
    merge = head + [
        f"#SBATCH --output={q(str(folder / 'merge.log'))}",
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
    for name, lines in (("array.sbatch", array), ("merge.sbatch", merge), ("submit.sh", submit)):
        write_atomic(folder / name, "\n".join(lines) + "\n")
        (folder / name).chmod(0o755)
    return folder / "submit.sh"
