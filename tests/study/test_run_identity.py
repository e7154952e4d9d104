"""Which run wrote a case's files is told by the run's identity written into them, not by
time stamps. On a cluster the clocks of the nodes and of the file server differ, and FAT
keeps 2-s times: a failure recorded by an earlier run whose ``error.json`` is dated after
the rerun's start was skipped as "another run's" and never retried, and one recorded by
a run still going, dated before, was computed a second time. Skew is simulated by dating
the files with ``os.utime``. Also: two runs of one study at once, claims left by killed
runs (taken over with a message) and files of older versions (no run named). The
analysis of the cases' child processes is stubbed (fast)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import fea.study.runner as runner_mod
from fea.errors import InputError
from fea.package.spec import load_study
from fea.study import run_study
from fea.study.runner import claim_case

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"
GRID = '[sweep]\nparameters = { "geometry.shell_thickness_um" = [30.0, 50.0, 70.0] }\n'

#: The analysis of the child processes stubbed: Tj = 25 + the shell in um; ``fail-50um``
#: fails the 50 um case, ``fail-50um-hang-70um`` also hangs in the 70 um one.
STUB = """
import os
import time

if os.environ.get("FEA_TEST_STUB"):
    import fea.package as _package

    def _analyse(case, folder, meta=None, context=None):
        um = case.geometry.shell_thickness * 1e6
        mode = os.environ["FEA_TEST_STUB"]
        if mode.startswith("fail-50um") and abs(um - 50.0) < 1e-6:
            raise ZeroDivisionError("stubbed failure at 50 um")
        if mode == "fail-50um-hang-70um" and abs(um - 70.0) < 1e-6:
            time.sleep(600)
        return {"Tj_max_C": 25.0 + um}

    _package.analyse = _analyse
"""


def _study(tmp_path: Path) -> Path:
    text = TINY.read_text()
    text = text[: text.index("[sweep]")].replace("size_mm = 1.0", "size_mm = 2.0")
    path = tmp_path / "study.toml"
    path.write_text(text.replace('name = "tiny"', 'name = "study"') + GRID)
    return path


def _stub(monkeypatch, tmp_path: Path, mode: str) -> None:
    folder = tmp_path / "stub"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(STUB)
    parts = (str(folder), str(ROOT), os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in parts if p))
    monkeypatch.setenv("FEA_TEST_STUB", mode)


def _date(path: Path, shift_s: float) -> None:
    """Date ``path`` ``shift_s`` seconds from now (a clock ahead or behind)."""
    t = time.time() + shift_s
    os.utime(path, (t, t))


def _status(out: Path, cid: str) -> str:
    for name in ("metrics.json", "error.json"):
        if (out / cid / name).exists():
            return json.loads((out / cid / name).read_text())["status"]
    return "none"


# -- a failure of an earlier run ------------------------------------------------------------


@pytest.mark.parametrize("old_format", [False, True])
def test_a_failure_of_an_earlier_run_dated_in_the_future_is_retried(
    tmp_path, monkeypatch, old_format
):
    """The file server's clock an hour ahead of the node: the earlier run's
    ``error.json`` is dated after the rerun starts. It was taken for a concurrent run's
    and the case was never retried (0 done, 1 busy); it is retried (1 done). Also for an
    ``error.json`` of an older version, which names no run."""
    spec = load_study(_study(tmp_path))
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path, "fail-50um")
    first = run_study(spec, out=out, progress=False)
    assert (first.done, first.failed) == (2, 1)
    err = out / "case0001" / "error.json"
    record = json.loads(err.read_text())
    assert "run" in record or not hasattr(runner_mod, "RUN_KEY")
    if old_format:
        record.pop("run", None)
        err.write_text(json.dumps(record))
    _date(err, 3600.0)
    _stub(monkeypatch, tmp_path, "ok")
    again = run_study(spec, out=out, progress=False)
    assert (again.done, again.skipped, again.busy, again.failed) == (1, 2, 0, 0)
    assert _status(out, "case0001") == "ok"
    assert not err.exists()
    header = (out / "table.csv").read_text().splitlines()[0].split(",")
    assert "run" not in header  # which run wrote a file is no column


def test_a_coarse_clock_does_not_hide_an_earlier_failure(tmp_path, monkeypatch):
    """FAT's 2-s times: an ``error.json`` written in the same 2 s as the rerun starts is
    dated at or after its start (here: exactly the next even second). Retried."""
    spec = load_study(_study(tmp_path))
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path, "fail-50um")
    run_study(spec, out=out, progress=False)
    err = out / "case0001" / "error.json"
    t = float(int(time.time()) // 2 * 2 + 2)
    os.utime(err, (t, t))
    _stub(monkeypatch, tmp_path, "ok")
    assert run_study(spec, out=out, progress=False).done == 1
    assert _status(out, "case0001") == "ok"


# -- two runs at once ------------------------------------------------------------------------------


def _start_run(tmp_path: Path, study: Path, out: Path) -> subprocess.Popen:
    code = (
        "from fea.package.spec import load_study; from fea.study import run_study; "
        f"run_study(load_study({str(study)!r}), out={str(out)!r}, progress=False)"
    )
    return subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)


def _wait_for(path: Path, proc: subprocess.Popen) -> None:
    for _ in range(1200):
        if path.exists():
            return
        assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
        time.sleep(0.1)
    raise AssertionError(f"{path} never written")


@pytest.mark.slow
def test_a_failure_of_a_run_still_going_is_not_computed_again(tmp_path, monkeypatch):
    """Run A fails the 50 um case and is still computing the 70 um one when run B starts
    on the same folder; A's ``error.json`` is dated an hour back (the node's clock behind
    the server's). B computed the case a second time; it leaves it to A (busy). Once A is
    killed, run C retries the failure and takes over the claim A left on the 70 um case,
    saying so in the case's log and its output."""
    study = _study(tmp_path)
    spec = load_study(study)
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path, "fail-50um-hang-70um")
    a = _start_run(tmp_path, study, out)
    try:
        err = out / "case0001" / "error.json"
        _wait_for(err, a)
        _wait_for(out / "case0002" / "case.log", a)
        _date(err, -3600.0)
        _stub(monkeypatch, tmp_path, "ok")
        b = run_study(spec, out=out, progress=False, table=False)
        assert (b.done, b.skipped, b.busy, b.failed) == (0, 1, 2, 0)
        assert _status(out, "case0001") == "failed"  # A's failure, not computed again
        assert not (out / "case0001" / "metrics.json").exists()
    finally:
        a.send_signal(signal.SIGKILL)
        a.wait()
    c = run_study(spec, out=out, progress=False)
    assert (c.done, c.skipped, c.busy, c.failed) == (2, 1, 0, 0)
    assert _status(out, "case0001") == _status(out, "case0002") == "ok"
    log = (out / "case0002" / "case.log").read_text()
    assert f"took over the claim of host {socket.gethostname()}, pid {a.pid}" in log


# -- claims left by killed runs, without flock --------------------------------------------------


def _claim(tmp_path: Path, monkeypatch):
    """Claim case0000 of the study with the lock file of a file system without flock."""
    spec = load_study(_study(tmp_path))
    cid, params = spec.case_parameters()[0]
    monkeypatch.setattr(runner_mod, "fcntl", None)
    return lambda: claim_case(spec, cid, params, tmp_path / "out" / cid, 0.0, False)


def _owner(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "out" / "case0000" / ".lock.owner"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_claim_of_a_process_gone_is_taken_over_with_a_message(tmp_path, monkeypatch):
    """A lock file naming a process of this host that is gone was broken silently; it is
    taken over, and the claim and ``case.log`` say whose it was."""
    claim = _claim(tmp_path, monkeypatch)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _owner(tmp_path, f"{socket.gethostname()} {dead.pid} 2024-01-01T00:00:00\n")
    got = claim()
    try:
        assert got.action == "run"
        note = getattr(got, "note", None) or ""
        assert f"pid {dead.pid}" in note and "gone" in note, note
        log = (tmp_path / "out" / "case0000" / "case.log").read_text()
        assert f"pid {dead.pid}" in log
    finally:
        got.lock.release()


def test_another_hosts_claim_is_taken_over_past_the_set_age(tmp_path, monkeypatch):
    """Another host's claim cannot be checked by its pid: it counts as held until it is
    older than ``FEA_STALE_CLAIM_HOURS`` (it was a fixed day), then it is taken over
    with a message naming the host."""
    claim = _claim(tmp_path, monkeypatch)
    owner = _owner(tmp_path, "node-elsewhere 4242 2024-01-01T00:00:00\n")
    monkeypatch.setenv("FEA_STALE_CLAIM_HOURS", "0.5")
    _date(owner, -600.0)  # 10 min: held
    assert claim().action == "busy"
    assert owner.read_text().startswith("node-elsewhere 4242")
    _date(owner, -3600.0)  # an hour: past 0.5 h
    got = claim()
    try:
        assert got.action == "run"
        note = getattr(got, "note", None) or ""
        assert "node-elsewhere" in note and "pid 4242" in note, note
    finally:
        got.lock.release()


def test_a_claim_being_written_is_not_broken(tmp_path, monkeypatch):
    """A lock file just created and not yet written (its holder between create and
    write) read as empty and was broken at once: two runs computed the case. It is
    held until it is older than the stale age."""
    claim = _claim(tmp_path, monkeypatch)
    owner = _owner(tmp_path, "")
    assert claim().action == "busy"
    assert owner.exists()


def test_a_bad_stale_claim_age_is_refused(tmp_path, monkeypatch):
    spec = load_study(_study(tmp_path))
    for bad in ("soon", "0", "-1", "nan", "inf"):
        monkeypatch.setenv("FEA_STALE_CLAIM_HOURS", bad)
        with pytest.raises(InputError) as exc:
            run_study(spec, out=tmp_path / "out", progress=False)
        assert exc.value.key == "FEA_STALE_CLAIM_HOURS" and bad in str(exc.value)
