"""The study runner under hostile conditions (issue 13): injected sbatch lines, path
escapes, a case that crashes, a killed runner, two runners on one folder, a full disk;
and the progress lines, GPU jobs, CSV escaping, umask and stale temporary files."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

import fea.package.meshing
import fea.study.runner as runner_mod
from fea.cli import main
from fea.errors import InputError
from fea.io import read_results, read_table
from fea.package.spec import load_study, parse_study
from fea.study import run_study, write_slurm_script
from fea.study.runner import CaseLock, gpu_devices
from fea.study.slurm import JobOptions

from .faults import inject

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"
BASE = TINY.read_text().split("[sweep]")[0]


def tiny_with(tmp: Path, cases: str, name: str = "s.toml", extra: str = "") -> Path:
    """The tiny study with its own explicit cases (TOML inline tables, one per line)."""
    p = tmp / name
    p.write_text(BASE + extra + '\n[sweep]\nkind = "cases"\ncases = [\n' + cases + "\n]\n")
    return p


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


# -- injection into batch scripts -------------------------------------------------------


def _script_lines(path: Path) -> tuple[list[str], list[str]]:
    """(#SBATCH lines, command lines) of a script; comments and blanks left out."""
    sbatch, commands = [], []
    for line in path.read_text().splitlines():
        if line.startswith("#SBATCH"):
            sbatch.append(line)
        elif line and not line.startswith("#"):
            commands.append(line)
    return sbatch, commands


def test_generated_scripts_hold_exactly_the_expected_lines(tmp_path):
    """A study in a folder whose name is a shell attack, every option given: the scripts
    have exactly the expected #SBATCH lines and commands, and the study path comes back
    intact from the shell's parsing."""
    evil = tmp_path / "a b'$(touch INJECTED);`id`;\"c"
    evil.mkdir()
    study = tiny_with(evil, '{ "geometry.shell_thickness_um" = 35.0 },', "x.toml")
    out = tmp_path / "out"
    submit = write_slurm_script(
        study,
        tasks=2,
        out=out,
        partition="gpu,debug",
        time_limit="1-12:00:00",
        cpus_per_task=2,
        memory="8G",
        account="proj-42",
        qos="high",
        constraint="[a100|h100]&nvlink",
    )
    folder = submit.parent
    sbatch, commands = _script_lines(folder / "array.sbatch")
    assert sbatch == [
        "#SBATCH --job-name=fea-tiny",
        "#SBATCH --time=1-12:00:00",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --partition=gpu,debug",
        "#SBATCH --mem=8G",
        "#SBATCH --account=proj-42",
        "#SBATCH --qos=high",
        "#SBATCH --constraint=[a100|h100]&nvlink",
        "#SBATCH --array=0-0",
        f"#SBATCH --output={out.resolve() / 'slurm' / 'task-%a.log'}",
    ]
    assert [c.split()[0] for c in commands] == ["set", "cd", "export", "exec"]
    argv = shlex.split(commands[-1])
    assert argv[:6] == ["exec", sys.executable, "-m", "fea.cli", "run", str(study.resolve())]
    assert argv[argv.index("--out") + 1] == str(out.resolve())
    merge_sbatch, merge_cmds = _script_lines(folder / "merge.sbatch")
    assert merge_sbatch[-1].startswith("#SBATCH --output=") and len(merge_sbatch) == 9
    assert shlex.split(merge_cmds[-1])[6] == str(study.resolve())
    for name in ("array.sbatch", "merge.sbatch", "submit.sh"):
        r = subprocess.run(["bash", "-n", str(folder / name)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    assert not list(tmp_path.rglob("INJECTED"))


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("time_limit", "01:00:00\ntouch /tmp/x"),
        ("memory", "8G\n#SBATCH --array=0-999"),
        ("partition", "a\nb"),
        ("account", "x y"),
        ("qos", "q;id"),
        ("constraint", "a100\n#SBATCH --uid=0"),
    ],
)
def test_injected_option_values_are_refused(tmp_path, option, value):
    with pytest.raises(InputError) as info:
        write_slurm_script(TINY, out=tmp_path / "o", **{option: value})
    assert "\n" not in str(info.value)
    assert not (tmp_path / "o").exists()


def test_injected_study_names_are_refused(tmp_path):
    for name in ("x\ntouch /tmp/x", "x\n#SBATCH --array=0-99", "a b", "x;id"):
        p = tmp_path / "n.toml"
        p.write_text(BASE.replace('name = "tiny"', f"name = {json.dumps(name)}"))
        with pytest.raises(InputError, match="study.name"):
            write_slurm_script(p, out=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_gpu_study_asks_for_gpus_one_case_each(tmp_path, monkeypatch):
    study = tmp_path / "g.toml"
    study.write_text(TINY.read_text().replace('backend = "cpu"', 'backend = "gpu"'))
    array = write_slurm_script(study, tasks=2, out=tmp_path / "a").parent / "array.sbatch"
    sbatch, commands = _script_lines(array)
    assert "#SBATCH --gpus-per-task=1" in sbatch and "--workers 1" in commands[-1]
    array = write_slurm_script(study, out=tmp_path / "b", gpus_per_task="a100:2").parent
    sbatch, commands = _script_lines(array / "array.sbatch")
    assert "#SBATCH --gpus-per-task=a100:2" in sbatch and "--workers 2" in commands[-1]
    assert not any("--gpus" in line for line in _script_lines(array / "merge.sbatch")[0])
    # a CPU study asks for none, and refuses them
    cpu = write_slurm_script(TINY, out=tmp_path / "c").parent / "array.sbatch"
    assert not any("--gpus" in line for line in _script_lines(cpu)[0])
    with pytest.raises(InputError, match="--gpus-per-task"):
        write_slurm_script(TINY, out=tmp_path / "d", gpus_per_task=1)
    # dask-jobqueue: one GPU per worker job, the other options passed through
    opts = JobOptions(account="p", qos="high", constraint="a100", gpus_per_task="1")
    kw = opts.jobqueue_arguments("slurm")
    assert kw["account"] == "p"
    assert kw["job_extra_directives"] == ["--qos=high", "--constraint=a100", "--gpus-per-task=1"]
    assert (
        JobOptions(gpus_per_task="2").jobqueue_arguments("pbs")["resource_spec"].endswith("ngpus=2")
    )
    with pytest.raises(InputError, match="--qos"):
        opts.jobqueue_arguments("pbs")
    # the local runner shares out the GPUs the batch system gave it
    spec = load_study(study)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    assert gpu_devices(spec) == ["3", "5"]
    assert gpu_devices(load_study(TINY)) is None
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert gpu_devices(spec) is None


def test_a_gpu_study_runs_one_case_per_gpu(tmp_path, monkeypatch):
    """Each child gets one of the GPUs the batch system gave (no GPU here: the cases fail
    at the solve, after their child reported the device it was given)."""
    inject(monkeypatch, tmp_path / "inject", "report")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    study = tiny_with(
        tmp_path,
        "\n".join(f'{{ "geometry.shell_thickness_um" = {t} }},' for t in (35, 50, 20)),
        extra="",
    )
    study.write_text(study.read_text().replace('backend = "cpu"', 'backend = "gpu"'))
    out = tmp_path / "out"
    run_study(load_study(study), out=out, workers=4, progress=False)
    seen = []
    for c in ("case0000", "case0001", "case0002"):
        log = (out / c / "case.log").read_text()
        seen += re.findall(r"CUDA_VISIBLE_DEVICES=(\S+)", log)
    assert len(seen) == 3 and set(seen) <= {"3", "5"}, seen
    assert seen[:2] in (["3", "5"], ["5", "3"])  # the first two ran at once, one GPU each


# -- no path escape -----------------------------------------------------------------------


def test_results_stay_under_results_unless_out_is_given(tmp_path, monkeypatch):
    for name in ("../../../escape", "/abs", "", ".", "..", "a/b", "-rf", ".hidden"):
        raw = {"study": {"name": name}}
        with pytest.raises(InputError, match="study.name"):
            parse_study(raw)
    # a file's stem becomes a clean default name
    (tmp_path / "files").mkdir()
    named = _write(tmp_path / "files" / "my study (v2).toml", BASE.replace('name = "tiny"\n', ""))
    assert load_study(named).name == "my_study__v2_"
    assert parse_study({}, path="../x/evil name.toml").name == "evil_name"
    assert parse_study({}, path="...toml").name == "study"
    # without --out everything goes to results/<name> under the working folder
    monkeypatch.chdir(tmp_path)
    study = tiny_with(tmp_path, '{ "geometry.die.size_mm" = [5.0, 5.0] },')
    report = run_study(load_study(study), progress=False)
    assert report.out == Path("results") / "tiny" and report.failed == 1
    made = {p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*")}
    assert made == {"results", "s.toml", "files"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# -- one bad case never stops a study ----------------------------------------------------


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """A mesh cache of this test alone: every case meshes (the faults hit meshing)."""
    d = tmp_path / "cache"
    monkeypatch.setattr(fea.package.meshing, "CACHE_DIR", d)
    monkeypatch.setenv("FEA_MESH_CACHE", str(d))
    return d


def test_a_crashing_case_is_a_failed_row_and_the_study_goes_on(
    tmp_path, own_cache, monkeypatch, capfd
):
    inject(monkeypatch, tmp_path / "inject", "segv-meshing")
    study = tiny_with(
        tmp_path,
        '{ "geometry.shell_thickness_um" = 50.0 },\n{ "geometry.shell_thickness_um" = 35.0 },',
    )
    out = tmp_path / "out"
    report = run_study(load_study(study), out=out, workers=1)  # one worker: still isolated
    assert (report.done, report.failed) == (1, 1)
    err = json.loads((out / "case0000" / "error.json").read_text())
    assert err["status"] == "failed"
    assert "crashed with signal 11 (SIGSEGV) while meshing" in err["error"], err["error"]
    log = (out / "case0000" / "case.log").read_text()
    assert "started by" in log and "crashed with signal 11" in log
    rows = _csv(out / "table.csv")
    assert [r["status"] for r in rows] == ["failed", "ok"]
    assert read_results(out / "case0001" / "result.h5").attrs["case"] == "case0001"
    # plain progress lines (stderr is not a terminal here): stages, times, an estimate
    lines = capfd.readouterr().err.splitlines()
    assert any(re.match(r"\[\d+:\d\d:\d\d\] case0001: meshing", x) for x in lines), lines
    assert any("case0001: mechanical 25C" in x for x in lines)
    assert any("case0000 failed" in x and "signal 11" in x for x in lines)
    assert any("case0001 ok in" in x and "eta" in x for x in lines)


@pytest.mark.slow
def test_a_case_past_the_time_limit_is_stopped_and_the_study_goes_on(
    tmp_path, own_cache, monkeypatch
):
    """A case that never returns (here its mesher sleeps for an hour) held the whole
    study; with ``case_timeout_min`` (``fea run --case-timeout``) it is stopped, recorded
    as failed naming the limit and its stage, and the other case is computed."""
    inject(monkeypatch, tmp_path / "inject", "hang-meshing-50um")
    study = tiny_with(
        tmp_path,
        '{ "geometry.shell_thickness_um" = 50.0 },\n{ "geometry.shell_thickness_um" = 35.0 },',
    )
    out = tmp_path / "out"
    t0 = time.monotonic()
    report = run_study(load_study(study), out=out, workers=2, progress=False, case_timeout_min=2.0)
    assert time.monotonic() - t0 < 600  # not the hour
    assert (report.done, report.failed) == (1, 1)
    err = json.loads((out / "case0000" / "error.json").read_text())
    assert "stopped at the case time limit (2 min, --case-timeout) while meshing" in err["error"]
    assert "past the case time limit" in (out / "case0000" / "case.log").read_text()
    assert [r["status"] for r in _csv(out / "table.csv")] == ["failed", "ok"]


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), True, "5"])
def test_a_bad_case_time_limit_is_refused_before_any_case(tmp_path, bad):
    study = tiny_with(tmp_path, '{ "geometry.shell_thickness_um" = 35.0 },')
    with pytest.raises(InputError) as e:
        run_study(load_study(study), out=tmp_path / "out", progress=False, case_timeout_min=bad)
    assert e.value.key == "--case-timeout"
    assert not (tmp_path / "out").exists()


def test_fea_run_case_timeout_takes_minutes(tmp_path, capsys):
    study = tiny_with(tmp_path, '{ "geometry.shell_thickness_um" = 35.0 },')
    with pytest.raises(SystemExit) as e:  # argparse: not a number
        main(["run", str(study), "--case-timeout", "soon"])
    assert e.value.code == 2 and "--case-timeout" in capsys.readouterr().err
    assert main(["run", str(study), "--case-timeout", "-3", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--case-timeout" in err and "Traceback" not in err


_RUNNER = """
import sys
from fea.package.spec import load_study
from fea.study import run_study
if __name__ == "__main__":
    run_study(load_study(sys.argv[1]), out=sys.argv[2], workers=int(sys.argv[3]),
              progress=False)
"""


def _start_runner(tmp: Path, study: Path, out: Path, workers: int) -> subprocess.Popen:
    script = tmp / "runner.py"
    script.write_text(_RUNNER)
    return subprocess.Popen(
        [sys.executable, str(script), str(study), str(out), str(workers)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for(predicate, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"runner ended: {proc.stderr.read().decode()[-3000:]}")
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killing_the_runner_stops_its_workers(tmp_path, own_cache, monkeypatch, sig):
    inject(monkeypatch, tmp_path / "inject", "slow-meshing")
    study = tiny_with(
        tmp_path,
        "\n".join(f'{{ "geometry.shell_thickness_um" = {t} }},' for t in (30, 35, 40, 45)),
    )
    out = tmp_path / "out"
    proc = _start_runner(tmp_path, study, out, workers=2)
    try:
        runner = psutil.Process(proc.pid)
        _wait_for(lambda: len(runner.children()) == 2, proc)
        children = runner.children()
        # both children are in their case (meshing, where the fault holds them)
        _wait_for(
            lambda: (
                all(
                    "fault slow-meshing" in (out / c / "case.log").read_text()
                    for c in ("case0000", "case0001")
                    if (out / c / "case.log").exists()
                )
                and (out / "case0001" / "case.log").exists()
            ),
            proc,
        )
        os.kill(proc.pid, sig)
        proc.wait(timeout=30)
        gone, alive = psutil.wait_procs(children, timeout=15)
        assert not alive, f"workers left running: {alive}"
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (-sig, 128 + sig)
    assert not list(out.glob("*/metrics.json"))  # nothing half-done counts as done
    assert not (out / "case0002").exists() or not (out / "case0002" / "case.log").exists()


@pytest.mark.slow
def test_two_runners_on_one_folder_compute_each_case_once(tmp_path):
    out = tmp_path / "shared"
    study = tiny_with(
        tmp_path,
        '{ "geometry.shell_thickness_um" = 35.0 },\n{ "geometry.shell_thickness_um" = 50.0 },\n'
        '{ "geometry.die.size_mm" = [5.0, 5.0] },',
    )
    a = _start_runner(tmp_path, study, out, workers=1)
    time.sleep(0.5)
    b = _start_runner(tmp_path, study, out, workers=1)
    for p in (a, b):
        assert p.wait(timeout=600) in (0, 1), p.stderr.read().decode()[-3000:]
    errs = [p.stderr.read().decode() for p in (a, b)]
    for err in errs:  # progress=False: no stage or progress lines (failures still print)
        assert not re.search(r"case\d+: (starting|meshing|thermal)|eta ", err), err
    for c in ("case0000", "case0001"):
        starts = (out / c / "case.log").read_text().count("started by")
        assert starts == 1, f"{c} computed {starts} times"
        assert json.loads((out / c / "metrics.json").read_text())["status"] == "ok"
    assert json.loads((out / "case0002" / "error.json").read_text())["status"] == "failed"
    done = [int(m) for e in errs for m in re.findall(r"(\d+) done, \d+ already done", e)]
    assert sum(done) == 2, errs  # each ok case counted by exactly one runner
    # the last one to finish wrote the whole table
    assert [r["status"] for r in _csv(out / "table.csv")] == ["ok", "ok", "failed"]


def test_case_lock_excludes_and_breaks_stale_locks(tmp_path, monkeypatch):
    a, b = CaseLock(tmp_path), CaseLock(tmp_path)
    assert a.acquire() and not b.acquire()
    a.release()
    assert b.acquire()
    b.release()
    # without flock: a lock file naming host and pid; a dead holder's lock is broken
    monkeypatch.setattr(runner_mod, "fcntl", None)
    owner = tmp_path / ".lock.owner"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    owner.write_text(f"{socket.gethostname()} {dead.pid} then\n")
    c = CaseLock(tmp_path)
    assert c.acquire()
    assert not CaseLock(tmp_path).acquire()  # now held by this live process
    c.release()
    assert not owner.exists()


# -- a full disk ----------------------------------------------------------------------------


def test_full_disk_stops_the_study_with_one_line(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert main(["run", str(TINY), "--out", str(out), "--slice", "0/4", "--no-progress"]) == 0
    before = {p.name: p.read_bytes() for p in (out / "case0000").iterdir() if p.is_file()}
    capsys.readouterr()
    inject(monkeypatch, tmp_path / "inject", "enospc-results")
    assert main(["run", str(TINY), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(err)
    assert err[-1].startswith("fea run: error: no space left on device while writing ")
    assert err[-1].endswith(str(out / "case0001" / "result.h5")), err[-1]
    # earlier results untouched, nothing new under a final name, no table
    after = {p.name: p.read_bytes() for p in (out / "case0000").iterdir() if p.is_file()}
    assert after == before
    assert not (out / "case0001" / "result.h5").exists()
    assert not (out / "case0001" / "metrics.json").exists()
    assert not (out / "table.csv").exists()
    log = (out / "case0001" / "case.log").read_text()
    assert "no space left on device" in log and "Segmentation" not in log
    assert "destroy cache" not in log


# -- tables, files and folders -----------------------------------------------------------------


def test_csv_cells_that_look_like_formulas_are_escaped(tmp_path):
    study = tiny_with(
        tmp_path,
        '{ "geometry.openings.kind" = "=HYPERLINK(\\"http://x\\",\\"y\\")" },\n'
        '{ "geometry.openings.kind" = "@SUM(A1)" },\n'
        '{ "geometry.shell_thickness_um" = -5.0 },',
    )
    out = tmp_path / "out"
    run_study(load_study(study), out=out, progress=False)
    rows = _csv(out / "table.csv")
    assert rows[0]["param:geometry.openings.kind"] == '\'=HYPERLINK("http://x","y")'
    assert rows[1]["param:geometry.openings.kind"] == "'@SUM(A1)"
    assert rows[2]["param:geometry.shell_thickness_um"] == "-5.0"  # a number stays one
    h5 = read_table(out / "table.h5")  # the HDF5 table keeps the values as they are
    assert h5[0]["param:geometry.openings.kind"] == '=HYPERLINK("http://x","y")'


def test_outputs_honour_the_umask_and_stale_parts_are_swept(tmp_path):
    study = tiny_with(tmp_path, '{ "geometry.die.size_mm" = [5.0, 5.0] },')
    out = tmp_path / "out"
    case = out / "case0000"
    case.mkdir(parents=True)
    stale = [
        case / ".result.h5.otherhost-12.abcd1234.part",  # in a case folder: always stale
        out / ".table.csv.otherhost-12.abcd1234.part",
    ]
    for p in stale:
        p.write_bytes(b"x")
    old = time.time() - 3 * 86400
    os.utime(stale[1], (old, old))
    live = out / f".table.h5.{os.uname().nodename.split('.')[0]}-{os.getpid()}.zz.part"
    live.write_bytes(b"x")
    saved = os.umask(0o027)
    try:
        run_study(load_study(study), out=out, progress=False)
        submit = write_slurm_script(TINY, out=tmp_path / "s")
    finally:
        os.umask(saved)
    for p in (case / "error.json", out / "table.csv", out / "table.h5"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o640, p
    assert stat.S_IMODE(submit.stat().st_mode) == 0o750
    assert not any(p.exists() for p in stale)
    assert live.exists()  # a writer of this host that is alive keeps its file
