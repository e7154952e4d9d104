"""Study runner: failures recorded, resume after SIGKILL, slices + merge, Dask, real Slurm."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import fea.package.meshing
from fea.cli import main
from fea.errors import InputError
from fea.io import read_results, read_units
from fea.package.names import Column
from fea.package.spec import load_study
from fea.study import read_frame, read_table, run_study, write_slurm_script
from fea.study.runner import parse_slice

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"
OK = ["case0000", "case0001", "case0003"]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """One mesh cache for the module (and its subprocesses, through FEA_MESH_CACHE)."""
    d = tmp_path_factory.mktemp("meshes")
    saved = fea.package.meshing.CACHE_DIR
    fea.package.meshing.CACHE_DIR = d
    os.environ["FEA_MESH_CACHE"] = str(d)
    yield d
    fea.package.meshing.CACHE_DIR = saved
    os.environ.pop("FEA_MESH_CACHE", None)


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _numbers(
    rows, skip=("wall_s", "total_s", "heat_balance_ratio")
) -> dict[tuple[str, str], float]:
    """(case, column) -> every numeric output; timings and round-off residuals left out."""
    out = {}
    for r in rows:
        for k, v in r.items():
            if k in skip or "solve_s" in k or k in ("case", "status", "error"):
                continue
            try:
                out[(r["case"], k)] = float(v)
            except (TypeError, ValueError):
                pass
    return out


def _same_numbers(a, b, rel=1e-8) -> None:
    na, nb = _numbers(a), _numbers(b)
    assert na.keys() == nb.keys()
    for k, v in na.items():
        assert nb[k] == pytest.approx(v, rel=rel, abs=1e-12), k


@pytest.fixture(scope="module")
def local_run(cache_dir, tmp_path_factory):
    """The tiny study on a local pool of two processes."""
    out = tmp_path_factory.mktemp("local")
    report = run_study(load_study(TINY), out=out, workers=2, progress=False)
    return out, report


def test_failures_are_recorded_and_the_table_is_right(local_run):
    out, report = local_run
    assert (report.done, report.failed, report.skipped) == (3, 1, 0)
    rows = _csv(out / "table.csv")
    assert [r["case"] for r in rows] == ["case0000", "case0001", "case0002", "case0003"]
    assert [r["status"] for r in rows] == ["ok", "ok", "failed", "ok"]
    assert "geometry.die.size_mm" in rows[2]["error"] and rows[2]["Tj_max_C"] == ""
    assert rows[1]["param:geometry.shell_thickness_um"] == "50.0"
    err = json.loads((out / "case0002" / "error.json").read_text())
    assert err["status"] == "failed" and "die" in err["error"]
    # each finished case has its results file, and the table holds its metrics
    for r in rows:
        if r["status"] != "ok":
            assert not (out / r["case"] / "result.h5").exists()
            continue
        res = read_results(out / r["case"] / "result.h5")
        assert res.attrs["case"] == r["case"] and res.attrs["study"] == "tiny"
        assert float(r["Tj_max_C"]) == pytest.approx(res.metrics["Tj_max_C"], rel=1e-12)
        assert float(r["warpage_um@25C"]) == pytest.approx(res.metrics["warpage_um@25C"])
        assert res.thermal_mesh is not None  # thermal on the board, mechanics on the unit
        assert res.inputs["input"]["geometry"]["shell_thickness_um"] == float(
            r["param:geometry.shell_thickness_um"]
        )
        assert 25 < float(r["Tj_max_C"]) < 1000 and float(r["warpage_um@25C"]) > 0
    # a thicker shell of the same package: different results per case
    assert float(rows[0]["warpage_um@25C"]) != float(rows[1]["warpage_um@25C"])
    # the HDF5 table holds the same rows
    h5 = read_table(out / "table.h5")
    assert [r["case"] for r in h5] == [r["case"] for r in rows]
    assert h5[0]["Tj_max_C"] == pytest.approx(float(rows[0]["Tj_max_C"]), rel=1e-12)
    assert np.isnan(h5[2]["Tj_max_C"]) and h5[2]["status"] == "failed"
    # units: in every metric's column name and as attributes of table.h5
    units = read_units(out / "table.h5")
    assert units["Tj_max_C"] == "°C" and units["R_ja_uniform_h_K_per_W"] == "K/W"
    assert units["von_mises_max_MPa@25C:shell"] == "MPa" and units["warpage_um@25C"] == "µm"
    # every metric column names its unit (a shape class or a location is text)
    for k in rows[0]:
        if k in ("case", "status", "error", "notes") or k.startswith("param:"):
            continue
        c = Column.parse(k)
        assert c.unit or c.is_text, k
    # the same table as a pandas DataFrame (pandas is in the test extra)
    pd = pytest.importorskip("pandas")
    df = read_frame(out / "table.h5")
    assert isinstance(df, pd.DataFrame) and list(df.index) == [r["case"] for r in rows]
    assert df.loc["case0000", "Tj_max_C"] == pytest.approx(float(rows[0]["Tj_max_C"]))
    assert df.attrs["units"]["Tj_max_C"] == "°C"
    # plots: each output vs the swept parameter (the study names outputs by their old names)
    plots = sorted(p.name for p in (out / "plots").iterdir())
    assert "Tj_max_C_vs_geometry.shell_thickness_um.png" in plots
    assert "warpage_um_vs_geometry.shell_thickness_um.png" in plots
    assert all((out / "plots" / p).stat().st_size > 5000 for p in plots)


def test_rerun_skips_finished_cases(local_run, tmp_path):
    out, _ = local_run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    stamp = {c: (copy / c / "metrics.json").stat().st_mtime_ns for c in OK}
    report = run_study(load_study(TINY), out=copy, progress=False)
    assert (report.done, report.skipped, report.failed) == (0, 3, 1)  # the invalid one again
    assert {c: (copy / c / "metrics.json").stat().st_mtime_ns for c in OK} == stamp


_KILLED_RUN = """
import sys
from fea.package.spec import load_study
from fea.study import run_study
if __name__ == "__main__":
    run_study(load_study(sys.argv[1]), out=sys.argv[2], progress=False)
"""


@pytest.mark.slow
def test_sigkill_after_first_case_then_resume(local_run, cache_dir, tmp_path):
    out = tmp_path / "killed"
    script = tmp_path / "run.py"
    script.write_text(_KILLED_RUN)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(TINY), str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    first = out / "case0000" / "metrics.json"
    try:
        deadline = time.monotonic() + 300
        while not first.exists():
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "first case did not finish"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "table.csv").exists()
    before = first.read_bytes()
    mtime = first.stat().st_mtime_ns
    report = run_study(load_study(TINY), out=out, progress=False)
    assert report.skipped >= 1 and report.done + report.skipped == 3 and report.failed == 1
    assert first.read_bytes() == before and first.stat().st_mtime_ns == mtime  # not recomputed
    rows = _csv(out / "table.csv")
    assert [r["case"] for r in rows] == ["case0000", "case0001", "case0002", "case0003"]
    for c in OK:  # complete results for every case, nothing half-written left behind
        assert read_results(out / c / "result.h5").attrs["case"] == c
        assert not [p for p in (out / c).iterdir() if p.name.endswith(".part")]
    _same_numbers(rows, _csv(local_run[0] / "table.csv"))


def test_slices_then_merge_equal_the_full_run(local_run, cache_dir, tmp_path, capsys):
    out = tmp_path / "sliced"
    for i in range(2):
        r = run_study(load_study(TINY), out=out, slice_=f"{i}/2", progress=False)
        assert not (out / "table.csv").exists()  # a slice leaves the table to the merge
        assert r.done + r.failed == 2
    assert main(["study", "merge", str(TINY), "--out", str(out)]) == 1  # one case failed
    assert "4 of 4 cases (1 failed)" in capsys.readouterr().out
    _same_numbers(_csv(out / "table.csv"), _csv(local_run[0] / "table.csv"))


def test_bad_runner_arguments(tmp_path, capsys):
    for bad in ("2/2", "x", "1/0", "-1/3", "1-2"):
        with pytest.raises(InputError, match="--slice"):
            parse_slice(bad)
    assert parse_slice("3/4") == (3, 4)
    with pytest.raises(InputError, match="--workers"):
        run_study(load_study(TINY), out=tmp_path, workers=0)
    assert main(["run", str(TINY), "--out", str(tmp_path), "--slice", "5/2"]) == 2
    err = capsys.readouterr().err
    assert "--slice" in err and "Traceback" not in err


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_table(local_run, cache_dir, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        report = run_study(
            load_study(TINY),
            out=tmp_path / "dask",
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    assert (report.done, report.failed) == (3, 1)
    _same_numbers(_csv(tmp_path / "dask" / "table.csv"), _csv(local_run[0] / "table.csv"))


def test_slurm_script_contents(tmp_path):
    submit = write_slurm_script(TINY, tasks=3, out=tmp_path / "s")
    folder = submit.parent
    array = (folder / "array.sbatch").read_text()
    assert "#SBATCH --array=0-2" in array
    assert '--slice "$SLURM_ARRAY_TASK_ID/3"' in array
    assert sys.executable in array and str(TINY) in array
    assert "fea.cli study merge" in (folder / "merge.sbatch").read_text()
    assert "--dependency=" in submit.read_text()
    assert os.access(submit, os.X_OK)
    # more tasks than cases: capped
    capped = write_slurm_script(TINY, tasks=10, out=tmp_path / "c").parent / "array.sbatch"
    assert "#SBATCH --array=0-3" in capped.read_text()


def test_slurm_case_timeout(tmp_path):
    """``fea study slurm --case-timeout`` reaches each array task's ``fea run``; a bad value
    is refused naming the option before any script is written."""
    array = write_slurm_script(TINY, tasks=2, out=tmp_path / "s", case_timeout_min=2.5)
    text = array.parent.joinpath("array.sbatch").read_text()
    line = [x for x in text.splitlines() if "exec" in x]
    assert line[0].endswith("--no-progress --case-timeout 2.5")
    plain = write_slurm_script(TINY, tasks=2, out=tmp_path / "p").parent / "array.sbatch"
    assert "--case-timeout" not in plain.read_text()
    for bad in (0.0, -1.0, float("nan"), 1e9):
        with pytest.raises(InputError, match="--case-timeout"):
            write_slurm_script(TINY, tasks=2, out=tmp_path / "bad", case_timeout_min=bad)
    assert not (tmp_path / "bad").exists()
    out = tmp_path / "cli"
    assert main(["study", "slurm", str(TINY), "--out", str(out), "--case-timeout", "7"]) == 0
    assert "--case-timeout 7.0" in (out / "slurm" / "array.sbatch").read_text()
    assert main(["study", "slurm", str(TINY), "--out", str(out), "--case-timeout", "nan"]) == 2


# -- a real single-node Slurm ---------------------------------------------------------------


@pytest.fixture(scope="module")
def slurm():
    """A running single-node Slurm: started with scripts/slurm_single_node.sh if needed."""
    if shutil.which("sbatch") is None:
        if os.environ.get("FEA_REQUIRE_SLURM"):
            pytest.fail("sbatch not found but FEA_REQUIRE_SLURM is set (CI installs slurm-wlm)")
        pytest.skip("Slurm not installed (apt-get install slurm-wlm munge)")
    r = subprocess.run(
        [str(ROOT / "scripts" / "slurm_single_node.sh")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if r.returncode != 0:
        pytest.fail(f"could not start Slurm: {r.stderr[-2000:]}")
    return True


def _wait_jobs(ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        q = subprocess.run(["squeue", "-h", "-j", ",".join(ids)], capture_output=True, text=True)
        if q.returncode == 0 and not q.stdout.strip():
            return
        time.sleep(1)
    raise AssertionError(f"Slurm jobs {ids} still queued or running after {timeout} s")


@pytest.mark.slurm
def test_slurm_array_end_to_end(slurm, local_run, cache_dir, tmp_path):
    out = tmp_path / "slurm-run"
    submit = write_slurm_script(TINY, tasks=2, out=out)
    r = subprocess.run(
        ["bash", str(submit)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "FEA_MESH_CACHE": str(cache_dir)},
    )
    assert r.returncode == 0, r.stderr
    _, array_id, _, merge_id = r.stdout.split()
    _wait_jobs([array_id, merge_id], timeout=600)
    logs = {p.name: p.read_text() for p in (out / "slurm").glob("*.log")}
    assert set(logs) == {"task-0.log", "task-1.log", "merge.log"}, logs
    rows = _csv(out / "table.csv")
    assert [r["status"] for r in rows] == ["ok", "ok", "failed", "ok"], logs
    _same_numbers(rows, _csv(local_run[0] / "table.csv"))


@pytest.mark.slurm
def test_dask_jobqueue_on_slurm(slurm, local_run, cache_dir, tmp_path, monkeypatch):
    """``--cluster slurm``: dask-jobqueue submits two worker jobs to the real Slurm."""
    pytest.importorskip("dask_jobqueue")
    monkeypatch.setenv("FEA_JOB_MEMORY", "2GB")
    monkeypatch.setenv("FEA_JOB_WALLTIME", "00:20:00")
    out = tmp_path / "jobqueue"
    report = run_study(load_study(TINY), out=out, cluster="slurm", workers=2, progress=False)
    assert (report.done, report.failed) == (3, 1)
    assert list((out / "dask-jobs").glob("*.out")) or list((out / "dask-jobs").glob("*.err"))
    _same_numbers(_csv(out / "table.csv"), _csv(local_run[0] / "table.csv"))
