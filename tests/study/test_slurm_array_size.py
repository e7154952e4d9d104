"""A job array larger than the cluster's ``MaxArraySize`` is refused when the scripts are
written, not by sbatch at submit ("Invalid job array specification")."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import fea.study.slurm as slurm
from fea.errors import InputError
from fea.study import write_slurm_script

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"


def _fake_scontrol(folder: Path, text: str) -> None:
    exe = folder / "scontrol"
    lines = "".join(f"echo '{line}'\n" for line in text.splitlines())
    exe.write_text(f"#!/bin/sh\n{lines}")  # echo: a shell builtin (PATH holds no cat)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)


def test_max_array_size_reads_the_cluster_and_falls_back_to_slurms_default(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert slurm.max_array_size()[0] == slurm.DEFAULT_MAX_ARRAY_SIZE == 1001  # no scontrol
    _fake_scontrol(tmp_path, "MaxArraySize            = 40001\nMaxJobCount = 10000")
    size, source = slurm.max_array_size()
    assert size == 40001 and "scontrol" in source
    _fake_scontrol(tmp_path, "slurm_load_ctl_conf error: Unable to contact slurm controller")
    assert slurm.max_array_size()[0] == 1001


def test_tasks_beyond_the_array_limit_are_refused_naming_the_key(tmp_path, monkeypatch):
    monkeypatch.setattr(slurm, "max_array_size", lambda: (2, "this cluster's MaxArraySize"))
    with pytest.raises(InputError) as e:
        write_slurm_script(TINY, tasks=3, out=tmp_path / "s")
    msg = str(e.value)
    assert "--tasks" in msg and "3" in msg and "at most 2" in msg and "MaxArraySize" in msg
    assert not (tmp_path / "s").exists()  # nothing written
    submit = write_slurm_script(TINY, tasks=2, out=tmp_path / "ok")
    assert "#SBATCH --array=0-1" in (submit.parent / "array.sbatch").read_text()
    assert os.access(submit, os.X_OK)
