"""The batch paths of ``fea run``: a malformed or unreachable ``--scheduler`` and a
missing Dask or dask-jobqueue give one line naming the option (exit status 2), never a
traceback. No cluster is started and nothing is reached over the network."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fea.cli import main

TINY = Path(__file__).resolve().parent / "data" / "tiny_study.toml"


def _run(tmp_path: Path, *options: str) -> list[str]:
    return ["run", str(TINY), "--out", str(tmp_path / "out"), "--no-progress", *options]


@pytest.mark.parametrize("address", ["garbage", "tcp://", "tcp://host:port"])
def test_a_malformed_scheduler_address_is_one_line(tmp_path, capsys, address):
    pytest.importorskip("distributed")
    assert main(_run(tmp_path, "--scheduler", address)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fea run: error: --scheduler = '{address}'"), err
    assert "Traceback" not in err and "tcp://host:8786" in err


def test_without_dask_the_scheduler_option_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    assert main(_run(tmp_path, "--scheduler", "tcp://127.0.0.1:8786")) == 2
    err = capsys.readouterr().err
    assert "--scheduler" in err and "fea[cluster]" in err and "Traceback" not in err


def test_without_dask_jobqueue_the_cluster_option_says_what_to_install(
    tmp_path, capsys, monkeypatch
):
    pytest.importorskip("distributed")
    monkeypatch.setitem(sys.modules, "dask_jobqueue", None)
    assert main(_run(tmp_path, "--cluster", "slurm")) == 2
    err = capsys.readouterr().err
    assert "--cluster = 'slurm'" in err and "dask-jobqueue" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["run", "ctm", "converge"])
def test_an_out_that_is_a_file_is_one_line(tmp_path, capsys, command):
    """``--out`` naming a file (or a device) is refused before any work, as one line."""
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    for out in (str(taken), "/dev/null"):
        assert main([command, str(TINY), "--out", out]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"fea {command}: error: --out = '{out}'"), err
        assert "Traceback" not in err
