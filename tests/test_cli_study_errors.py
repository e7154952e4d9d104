"""The CLI as a tired user meets it: `fea study merge` on partial results and on a wrong
`--out`, each error one line without a traceback and a non-zero exit status."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

import fea.study.driver as driver
from fea.cli import main
from fea.package.spec import load_study
from fea.study.runner import DIGEST_KEY, input_digest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"


def _study(tmp_path: Path, values: list[float]) -> Path:
    text = TINY.read_text()
    text = text[: text.index("[sweep]")]
    path = tmp_path / "study.toml"
    path.write_text(
        text + f'[sweep]\nparameters = {{ "geometry.shell_thickness_um" = {values} }}\n'
    )
    return path


def _finished(spec, out: Path, index: int, status: str = "ok") -> None:
    """Case ``index`` of ``spec`` recorded as a run records it (no analysis)."""
    cid, params = spec.case_parameters()[index]
    (out / cid).mkdir(parents=True)
    row = {"case": cid, "status": status, "Tj_max_C": 60.0, DIGEST_KEY: input_digest(spec, params)}
    name = "metrics.json" if status == "ok" else "error.json"
    (out / cid / name).write_text(json.dumps(row))


def test_merge_of_a_partial_study_names_the_cases_not_run(tmp_path, capsys):
    """A merge while array tasks are still out (or after some were lost): the line says
    how many cases have not run and which, not only 'N of M'."""
    path = _study(tmp_path, [20.0, 30.0, 40.0, 50.0])
    spec = load_study(path)
    out = tmp_path / "out"
    _finished(spec, out, 0)
    _finished(spec, out, 2, status="failed")
    assert main(["study", "merge", str(path), "--out", str(out)]) == 1
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.endswith("2 of 4 cases (1 failed; 2 not run yet (case0001, case0003))"), line


def test_merge_of_an_empty_folder_says_no_case_ran(tmp_path, capsys):
    path = _study(tmp_path, [20.0, 30.0])
    (tmp_path / "out").mkdir()
    assert main(["study", "merge", str(path), "--out", str(tmp_path / "out")]) == 1
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.endswith("0 of 2 cases (0 failed; 2 not run yet (case0000, case0001))"), line


def test_merge_into_a_file_says_it_is_not_a_folder(tmp_path, capsys):
    """`--out` naming a file was reported as a folder that does not exist."""
    path = _study(tmp_path, [20.0, 30.0])
    (tmp_path / "afile").write_text("x")
    assert main(["study", "merge", str(path), "--out", str(tmp_path / "afile")]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "it is not a folder" in err and "does not exist" not in err
    assert "Traceback" not in err
    assert main(["study", "merge", str(path), "--out", str(tmp_path / "none")]) == 2
    assert "it does not exist" in capsys.readouterr().err


def test_a_run_ended_by_sigterm_says_so(tmp_path, monkeypatch, capsys):
    """A Slurm time limit or scancel sends SIGTERM: the run stopped its cases and exited
    143 without a word, so a batch log just ended. It now ends with one line."""
    path = _study(tmp_path, [20.0, 30.0])

    def execute_local(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # handled: SystemExit(143) in this thread
        yield from ()

    monkeypatch.setattr(driver, "execute_local", execute_local)
    with pytest.raises(SystemExit) as stop:
        main(["run", str(path), "--out", str(tmp_path / "out"), "--no-progress"])
    assert stop.value.code == 128 + signal.SIGTERM
    err = capsys.readouterr().err
    assert "fea run: terminated (SIGTERM)" in err and "Traceback" not in err


def test_a_slurm_out_folder_that_cannot_go_into_sbatch_is_named_as_given(tmp_path, capsys):
    """The refusal named the scripts' folder (``<out>/slurm``), not the --out given."""
    path = _study(tmp_path, [20.0, 30.0])
    out = tmp_path / "my results"
    assert main(["study", "slurm", str(path), "--tasks", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--out = '{out}':" in err and "Traceback" not in err
    assert not out.exists()
