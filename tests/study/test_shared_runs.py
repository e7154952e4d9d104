"""Several processes on one output folder, as a batch script meets them: a second
``fea run`` while the first still computes, ``fea study merge`` while a run is going,
and a Dask run whose client died while its worker computes on. The run that leaves cases
to another says its table is incomplete and exits non-zero (4, as ``fea check``, while
that run goes on; 3 once it ended without finishing them); the run that ends last writes
the full table; ``fea study merge`` and ``fea check`` say ``running`` for a case another
process computes. The other process is this one holding a case's lock under a run it
announces (as ``fea run`` holds them), or a real run in a child process; the analysis of
the cases' child processes is stubbed (fast)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from subprocess import PIPE

import pytest

from fea.cli import main
from fea.package.spec import load_study
from fea.study import run_study
from fea.study.check import check_study
from fea.study.runner import (
    DIGEST_KEY,
    HEARTBEAT_LOST_S,
    CaseLock,
    RunId,
    case_claim,
    input_digest,
    register_run,
)
from fea.study.table import build_table

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"
GRID = '[sweep]\nparameters = { "geometry.shell_thickness_um" = [30.0, 50.0, 70.0] }\n'

#: The analysis of the child processes stubbed: Tj = 25 + the shell in um; ``wait-50um``
#: computes the 50 um case until the file ``FEA_TEST_RELEASE`` exists.
STUB = """
import os
import time

if os.environ.get("FEA_TEST_STUB"):
    import fea.package as _package

    def _analyse(case, folder, meta=None, context=None):
        um = case.geometry.shell_thickness * 1e6
        if os.environ["FEA_TEST_STUB"] == "wait-50um" and abs(um - 50.0) < 1e-6:
            while not os.path.exists(os.environ["FEA_TEST_RELEASE"]):
                time.sleep(0.05)
        return {"Tj_max_C": 25.0 + um}

    _package.analyse = _analyse
"""


def _study(tmp_path: Path) -> Path:
    text = TINY.read_text()
    text = text[: text.index("[sweep]")].replace("size_mm = 1.0", "size_mm = 2.0")
    path = tmp_path / "study.toml"
    path.write_text(text.replace('name = "tiny"', 'name = "study"') + GRID)
    return path


def _stub(monkeypatch, tmp_path: Path, mode: str = "ok") -> Path:
    """The stub in the children's path; returns the file that releases ``wait-50um``."""
    folder = tmp_path / "stub"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(STUB)
    parts = (str(folder), str(ROOT), os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in parts if p))
    monkeypatch.setenv("FEA_TEST_STUB", mode)
    release = tmp_path / "release"
    monkeypatch.setenv("FEA_TEST_RELEASE", str(release))
    return release


def _record(spec, out: Path, cid: str) -> None:
    """Case ``cid`` finished as a run records it (its ``metrics.json``)."""
    params = dict(spec.case_parameters())[cid]
    row = {"case": cid, "status": "ok", "Tj_max_C": 75.0, DIGEST_KEY: input_digest(spec, params)}
    (out / cid / "metrics.json").write_text(json.dumps(row))


def _after_case0002(out: Path, tries: int = 600, pause: float = 1.0) -> None:
    """Wait (at most ``tries`` x 50 ms) until this run has finished case0002, then
    ``pause`` s more: the other run ends its case while this one waits for it."""
    for _ in range(tries):
        if (out / "case0002" / "metrics.json").exists():
            break
        time.sleep(0.05)
    time.sleep(pause)


@contextlib.contextmanager
def _other_run_ends(out: Path, lock: CaseLock, end, tries: int = 600, pause: float = 1.0):
    """The other run, a thread holding ``lock``: once this run has finished case0002 it
    ends its case by ``end()`` and releases the lock; joined (and the lock released) on
    leaving the block."""

    def other() -> None:
        _after_case0002(out, tries, pause)
        end()
        lock.release()

    thread = threading.Thread(target=other)
    thread.start()
    try:
        yield
    finally:
        thread.join()
        lock.release()


def _cases(table: Path) -> list[str]:
    return [line.split(",")[0] for line in table.read_text().splitlines()[1:]]


def _fea(*argv: str) -> list[str]:
    """The command line of ``fea ARGV`` in a child process (this checkout's code)."""
    return [
        sys.executable,
        "-c",
        f"import sys; from fea.cli import main; sys.exit(main({list(argv)!r}))",
    ]


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
        assert time.monotonic() < end, f"{path} never written"
        time.sleep(0.05)


# -- a second fea run while the first computes ------------------------------------------------


def test_a_run_leaving_cases_to_a_run_still_going_says_its_table_is_incomplete(
    tmp_path, monkeypatch, capsys
):
    """A second ``fea run`` while another run holds case0001: it wrote a table without
    that row, said ``1 run by another process`` and exited 0, which a batch script takes
    for a finished study. It exits 4 (``fea check``'s code while a run is going), its
    summary says the table is incomplete, names the case and the claim, and says what to
    do (``fea check``, ``fea study merge`` once that run has ended). The run holding the
    case, ending last, writes the full table."""
    path = _study(tmp_path)
    spec = load_study(path)
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path)
    other = RunId.new()
    argv = ["run", str(path), "--out", str(out), "--no-progress"]
    out.mkdir()
    with register_run(out, other):
        (out / "case0001").mkdir()
        lock = CaseLock(out / "case0001", other)
        assert lock.acquire()
        try:
            assert main(argv) == 4
            err = capsys.readouterr().err
            assert _cases(out / "table.csv") == ["case0000", "case0002"]
            assert "2 done, 0 already done, 0 failed, 1 run by another process" in err
            line = next(ln for ln in err.splitlines() if ln.startswith("table incomplete"))
            assert "1 case still running in another run (case0001: the claim of host" in line
            assert f"(run {other.id[:8]})" in line
            assert f"fea check {path} --out {out}" in line
            assert f"fea study merge {path} --out {out}" in line and "exit status 4" in line
            # the other run finishes its case and, ending last, builds the table
            _record(spec, out, "case0001")
        finally:
            lock.release()
        rows, table = build_table(spec, out)
    assert _cases(table) == ["case0000", "case0001", "case0002"]
    # everything finished: a rerun skips all, the table is complete, exit 0
    assert main(argv) == 0
    assert "table incomplete" not in capsys.readouterr().err


def test_a_run_with_wait_writes_the_full_table_once_the_other_run_has_finished(
    tmp_path, monkeypatch, capsys
):
    """``fea run --wait``: its own cases done, the run waits for case0001, held by
    another run, which finishes it 1 s later; then it writes the full table and exits 0."""

    import fea.study.driver as driver

    path = _study(tmp_path)
    spec = load_study(path)
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path)
    monkeypatch.setattr(driver, "WAIT_POLL_S", 0.1)
    other = RunId.new()
    out.mkdir()
    with register_run(out, other):
        (out / "case0001").mkdir()
        lock = CaseLock(out / "case0001", other)
        assert lock.acquire()

        with _other_run_ends(out, lock, lambda: _record(spec, out, "case0001")):
            argv = ["run", str(path), "--out", str(out), "--no-progress", "--wait"]
            assert main(argv) == 0
    err = capsys.readouterr().err
    assert "waiting for 1 case running in another run (case0001)" in err
    assert "table incomplete" not in err
    assert _cases(out / "table.csv") == ["case0000", "case0001", "case0002"]


def test_a_case_left_by_a_run_that_ended_makes_the_run_exit_3(tmp_path, monkeypatch, capsys):
    """The run holding case0001 ended (killed) without finishing it while the second run
    went on: the second run's table lacks the case and no run computes it. It exits 3
    (``fea check``'s code for cases a rerun runs) and says to run the study again; a
    slice (no table) says the same."""
    path = _study(tmp_path)
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path)
    gone = RunId("0badc0de" + "0" * 24, socket.gethostname(), os.getpid())  # announces none
    (out / "case0001").mkdir(parents=True)
    lock = CaseLock(out / "case0001", gone)
    assert lock.acquire()  # still held here, its run gone: fea run leaves it (busy)
    try:
        assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 3
        err = capsys.readouterr().err
        assert "left unfinished by another run that has ended (case0001)" in err
        assert f"fea run {path} --out {out} again runs it (exit status 3)" in err
        report = run_study(load_study(path), out=out, progress=False, slice_="0/1")
        assert (report.busy, report.left, report.exit_status) == (1, ["case0001"], 3)
        assert "left unfinished" in capsys.readouterr().err
    finally:
        lock.release()


@pytest.mark.slow
def test_whichever_run_ends_last_writes_the_full_table(tmp_path, monkeypatch):
    """Two real runs: A (a child process) computes case0000, then case0001 until
    released; B starts meanwhile, skips case0000, leaves case0001 to A, computes case0002
    and ends first: exit 4, its table without case0001. A ends last: it skips case0002
    (B's: ``already done``), its table has every row, exit 0."""
    path = _study(tmp_path)
    out = tmp_path / "out"
    release = _stub(monkeypatch, tmp_path, "wait-50um")
    a = subprocess.Popen(_fea("run", str(path), "--out", str(out), "--no-progress"), stderr=PIPE)
    try:
        _wait_for(out / "case0001" / "case.log", a)
        b = run_study(load_study(path), out=out, progress=False)
        assert (b.done, b.skipped, b.busy, b.failed) == (1, 1, 1, 0)
        assert b.exit_status == 4 and b.running[0].startswith("case0001: the claim of host")
        assert _cases(out / "table.csv") == ["case0000", "case0002"]
        release.write_text("")
        _, err = a.communicate(timeout=120)
    finally:
        if a.poll() is None:
            a.kill()
            a.wait()
    assert a.returncode == 0, err.decode()[-3000:]
    assert _cases(out / "table.csv") == ["case0000", "case0001", "case0002"]
    assert "2 done, 1 already done, 0 failed ->" in err.decode()  # case0002 B's
    assert "table incomplete" not in err.decode()


# -- fea study merge while a run is going -----------------------------------------------------


def test_merge_says_running_for_a_case_another_run_computes(tmp_path, capsys):
    """``fea study merge`` counted a case a run is computing right now as ``not run
    yet`` and exited 1. It says ``running`` (as ``fea check``), keeps ``not run yet`` for
    the case no run holds, and exits 4 while the run goes on; 1 once it has ended with
    the case unfinished."""
    path = _study(tmp_path)
    spec = load_study(path)
    out = tmp_path / "out"
    (out / "case0000").mkdir(parents=True)
    _record(spec, out, "case0000")
    argv = ["study", "merge", str(path), "--out", str(out)]
    live = RunId.new()
    with register_run(out, live):
        (out / "case0001").mkdir()
        lock = CaseLock(out / "case0001", live)
        assert lock.acquire()
        try:
            assert main(argv) == 4
            line = capsys.readouterr().out.strip().splitlines()[-1]
            assert line.endswith(
                "1 of 3 cases (0 failed; 1 running in another run (case0001): fea check shows "
                "them, fea study merge again once that run has ended; 1 not run yet (case0002))"
            ), line
            assert check_study(spec, out).cases[1].state == "running"
        finally:
            lock.release()
    assert main(argv) == 1
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.endswith("1 of 3 cases (0 failed; 2 not run yet (case0001, case0002))"), line


# -- a Dask task computing on after its client died --------------------------------------------


def _task_lock(folder: Path, host: str, pid: int, run_id: str) -> Path:
    """The lock a Dask task holds while computing (its worker's host and pid, the run
    that handed it out, its heartbeat), its flock left aside."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / ".lock"
    lock.write_text(f"{host} {pid} 2026-01-01T00:00:00\nrun {run_id}\nheartbeat 30\n")
    return lock


def test_a_task_of_an_ended_run_is_running_while_its_heartbeat_is_live(tmp_path):
    """A Dask task on another host whose run (the client) has ended: ``fea check``
    called its case ``orphaned`` (the next run takes it over) while the worker computed
    on. Its claim counts as running while its heartbeat (the lock file's time) is younger
    than ``HEARTBEAT_LOST_S``, orphaned after; a claim without a heartbeat (a local run's,
    whose process is the run) is orphaned as before."""
    ended = "e0ded000" + "0" * 24  # announced by no run
    lock = _task_lock(tmp_path / "case0000", "node-elsewhere", 4242, ended)
    claim = case_claim(tmp_path / "case0000")
    assert claim is not None and claim[0], claim
    assert "node-elsewhere, pid 4242" in claim[1] and "heartbeat" in claim[1]
    old = time.time() - HEARTBEAT_LOST_S - 60.0
    os.utime(lock, (old, old))
    claim = case_claim(tmp_path / "case0000")
    assert claim is not None and not claim[0], claim
    lock.write_text(f"node-elsewhere 4242 2026-01-01T00:00:00\nrun {ended}\n")
    claim = case_claim(tmp_path / "case0000")
    assert claim is not None and not claim[0], claim


def test_a_case_lock_beats(tmp_path):
    """:meth:`CaseLock.beat` moves the lock file's time: the heartbeat others read."""
    (tmp_path / "case0000").mkdir()
    lock = CaseLock(tmp_path / "case0000", RunId.new(), heartbeat=True)
    assert lock.acquire()
    try:
        assert "heartbeat 30" in (tmp_path / "case0000" / ".lock").read_text()
        os.utime(lock.path, (1.0e9, 1.0e9))
        lock.beat()
        assert time.time() - lock.path.stat().st_mtime < 60.0
    finally:
        lock.release()


@pytest.mark.slow
def test_a_dask_task_whose_client_died_is_running_in_check(tmp_path, monkeypatch, capsys):
    """``fea run --scheduler`` killed while a worker computes case0001: the worker
    computes on and writes the case's result, but ``fea check`` said ``orphaned`` (exit
    3: "the next fea run takes it over"). It says ``running`` (exit 4) until the task
    has finished, then ``finished``."""
    distributed = pytest.importorskip("distributed")
    path = _study(tmp_path)
    spec = load_study(path)
    out = tmp_path / "out"
    release = _stub(monkeypatch, tmp_path, "wait-50um")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=3,
        processes=False,  # the worker in this process: it lives on when the client dies
        protocol="tcp",  # reached by the client, a child process
        dashboard_address=None,
    ) as cluster:
        argv = ("run", str(path), "--out", str(out), "--no-progress")
        client = subprocess.Popen(
            _fea(*argv, "--scheduler", cluster.scheduler_address), stderr=PIPE
        )
        try:
            _wait_for(out / "case0001" / "case.log", client)
            for cid in ("case0000", "case0002"):
                _wait_for(out / cid / "metrics.json", client)
        finally:
            client.send_signal(signal.SIGKILL)
            client.wait()
        res = check_study(spec, out)
        assert [c.state for c in res.cases] == ["finished", "running", "finished"]
        assert res.exit_status == 4 and "Dask task" in res.cases[1].run
        assert main(["check", str(path), "--out", str(out)]) == 4
        assert "orphaned" not in capsys.readouterr().out
        release.write_text("")
        metrics = out / "case0001" / "metrics.json"
        end = time.monotonic() + 60.0
        while not metrics.exists() and time.monotonic() < end:
            time.sleep(0.1)
        assert metrics.exists(), "the worker did not finish the case"
        for _ in range(100):  # the task releases the lock once its row is written
            if check_study(spec, out).exit_status == 0:
                break
            time.sleep(0.1)
    res = check_study(spec, out)
    assert [c.state for c in res.cases] == ["finished"] * 3 and res.exit_status == 0


# -- a case left to another run that fails it; Ctrl-C while waiting; a slice ------------------


def _fail(spec, out: Path, cid: str, run: RunId) -> None:
    """Case ``cid`` failed as the run ``run`` records it (its ``error.json``)."""
    from fea.study.runner import base_row, record_failure

    params = dict(spec.case_parameters())[cid]
    row = base_row(cid, params)
    row.update(status="failed", error="MeshError: stub", wall_s=1.0)
    record_failure(out / cid, row, input_digest(spec, params), run)


def test_a_case_another_run_failed_makes_the_run_exit_1(tmp_path, monkeypatch, capsys):
    """case0001 failed in another run still going (its ``error.json`` names that run):
    the run leaves it (``1 run by another process``) and its table holds the failed row,
    but it exited 0, which a batch script takes for a study every case of which
    finished. It exits 1 and says which case failed there; a slice (no table) too."""
    path = _study(tmp_path)
    spec = load_study(path)
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path)
    other = RunId.new()
    (out / "case0001").mkdir(parents=True)
    with register_run(out, other):
        _fail(spec, out, "case0001", other)
        assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 1
        err = capsys.readouterr().err
        assert "2 done, 0 already done, 0 failed, 1 run by another process" in err
        assert "1 case left to another run failed there (case0001)" in err, err
        rows = {r["case"]: r["status"] for r in build_table(spec, out)[0]}
        assert rows == {"case0000": "ok", "case0001": "failed", "case0002": "ok"}
        report = run_study(spec, out=out, progress=False, slice_="0/1")
        assert (report.busy, report.failed_elsewhere, report.exit_status) == (1, ["case0001"], 1)


def test_a_run_with_wait_ends_with_1_when_the_other_run_fails_the_case(
    tmp_path, monkeypatch, capsys
):
    """``fea run --wait`` while another run computes case0001, which fails there: the
    wait ends (the case is no longer held) but the run exited 0 over a table with a
    failed row. It exits 1."""

    import fea.study.driver as driver

    path = _study(tmp_path)
    spec = load_study(path)
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path)
    monkeypatch.setattr(driver, "WAIT_POLL_S", 0.1)
    other = RunId.new()
    out.mkdir()
    with register_run(out, other):
        (out / "case0001").mkdir()
        lock = CaseLock(out / "case0001", other)
        assert lock.acquire()

        with _other_run_ends(out, lock, lambda: _fail(spec, out, "case0001", other), pause=0.5):
            argv = ["run", str(path), "--out", str(out), "--no-progress", "--wait"]
            assert main(argv) == 1
    err = capsys.readouterr().err
    assert "waiting for 1 case running in another run (case0001)" in err
    assert "1 case left to another run failed there (case0001)" in err
    assert "table incomplete" not in err


def test_ctrl_c_while_waiting_ends_the_wait_and_writes_the_table(tmp_path, monkeypatch, capsys):
    """Ctrl-C while ``fea run --wait`` waits for case0001 (its own cases done): the run
    stopped with 130 and wrote neither the table of the cases it had computed nor its
    summary. It stops waiting and ends as a run without ``--wait``: its table without
    case0001, the summary, exit 4."""
    import fea.study.driver as driver

    path = _study(tmp_path)
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path)
    monkeypatch.setattr(driver, "WAIT_POLL_S", 0.01)
    calls = []

    def interrupted(*args, **kwargs):  # Ctrl-C as the wait reads the case again
        calls.append(args[1])
        if len(calls) > 1:
            raise KeyboardInterrupt
        return check_case_state(*args, **kwargs)

    from fea.study.check import case_state as check_case_state

    monkeypatch.setattr(driver, "case_state", interrupted)
    other = RunId.new()
    out.mkdir()
    with register_run(out, other):
        (out / "case0001").mkdir()
        lock = CaseLock(out / "case0001", other)
        assert lock.acquire()
        try:
            argv = ["run", str(path), "--out", str(out), "--no-progress", "--wait"]
            assert main(argv) == 4
        finally:
            lock.release()
    err = capsys.readouterr().err
    assert "stopped waiting (Ctrl-C)" in err
    assert "2 done, 0 already done, 0 failed, 1 run by another process" in err
    assert "table incomplete: 1 case still running in another run (case0001" in err
    assert _cases(out / "table.csv") == ["case0000", "case0002"]


def test_a_slice_counts_only_its_own_cases(tmp_path, monkeypatch, capsys):
    """A Slurm array task (``--slice 0/2``: case0000, case0002) while its sibling task
    computes case0001: the sibling's case is none of this slice's, which ends with 0."""
    path = _study(tmp_path)
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path)
    sibling = RunId.new()
    out.mkdir()
    with register_run(out, sibling):
        (out / "case0001").mkdir()
        lock = CaseLock(out / "case0001", sibling)
        assert lock.acquire()
        try:
            argv = ["run", str(path), "--out", str(out), "--no-progress", "--slice", "0/2"]
            assert main(argv) == 0
        finally:
            lock.release()
    err = capsys.readouterr().err
    assert "slice 0/2: 2 done, 0 already done, 0 failed (table: fea study merge)" in err
    assert "table incomplete" not in err


def test_a_case_lock_beats_where_utime_fails(tmp_path, monkeypatch):
    """Where setting a file's time through its descriptor fails (EPERM on some network
    file systems) the heartbeat never moved: after ``HEARTBEAT_LOST_S`` the claim of a
    Dask task computing on another node counted as left by a lost worker. The lock file
    is written again (the same text), which moves its time too."""
    import errno

    (tmp_path / "case0000").mkdir()
    lock = CaseLock(tmp_path / "case0000", RunId.new(), heartbeat=True)
    assert lock.acquire()
    try:
        text = lock.path.read_text()
        os.utime(lock.path, (1.0e9, 1.0e9))

        def refused(*args, **kwargs):
            raise PermissionError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(os, "utime", refused)
        lock.beat()
        monkeypatch.undo()
        assert time.time() - lock.path.stat().st_mtime < 60.0
        assert lock.path.read_text() == text
    finally:
        lock.release()


def test_a_run_with_wait_ends_with_3_when_the_other_run_is_killed(tmp_path, monkeypatch, capsys):
    """``fea run --wait`` while another run holds case0001, and that run ends (killed)
    without finishing it: the wait ends (nothing holds the case) and the run exits 3,
    saying a rerun runs it."""

    import fea.study.driver as driver

    path = _study(tmp_path)
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path)
    monkeypatch.setattr(driver, "WAIT_POLL_S", 0.1)
    other = RunId.new()
    out.mkdir()
    (out / "case0001").mkdir()
    lock = CaseLock(out / "case0001", other)
    assert lock.acquire()  # left held by this process, its run gone: as a killed run's
    killed = threading.Event()

    def other_run() -> None:
        with register_run(out, other):
            _after_case0002(out, pause=0.5)
        killed.set()

    thread = threading.Thread(target=other_run)
    thread.start()
    time.sleep(0.2)  # announced before the run starts
    try:
        argv = ["run", str(path), "--out", str(out), "--no-progress", "--wait"]
        assert main(argv) == 3
    finally:
        thread.join()
        lock.release()
    assert killed.is_set()
    err = capsys.readouterr().err
    assert "waiting for 1 case running in another run (case0001)" in err
    assert "left unfinished by another run that has ended (case0001)" in err


def test_a_dask_run_with_wait_writes_the_full_table(tmp_path, monkeypatch, capsys):
    """``fea run --scheduler ... --wait``: the Dask tasks say which case another run
    holds (case0001), and the run waits for it as a local run does, then writes the full
    table and exits 0."""

    distributed = pytest.importorskip("distributed")
    import fea.study.driver as driver

    path = _study(tmp_path)
    spec = load_study(path)
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path)
    monkeypatch.setattr(driver, "WAIT_POLL_S", 0.1)
    other = RunId.new()
    out.mkdir()
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=3, processes=False, dashboard_address=None
        ) as cluster,
        register_run(out, other),
    ):
        (out / "case0001").mkdir()
        lock = CaseLock(out / "case0001", other)
        assert lock.acquire()

        with _other_run_ends(out, lock, lambda: _record(spec, out, "case0001"), tries=1200):
            argv = ["run", str(path), "--out", str(out), "--no-progress", "--wait"]
            assert main([*argv, "--scheduler", cluster.scheduler_address]) == 0
    err = capsys.readouterr().err
    assert "waiting for 1 case running in another run (case0001)" in err
    assert _cases(out / "table.csv") == ["case0000", "case0001", "case0002"]


@pytest.mark.parametrize("flock", [True, False])
def test_a_beat_after_release_touches_nothing(tmp_path, monkeypatch, flock):
    """A beat once the task has released its case (its row written) neither moves the
    lock file's time nor makes a lock file again: the claim is no longer the task's.
    Also where the file system has no ``flock`` (the lock file ``.lock.owner``), whose
    time the beat moves while held."""
    import errno

    import fea.study.runner as runner

    if not flock:

        def no_flock(*args, **kwargs):
            raise OSError(errno.ENOLCK, "No locks available")

        monkeypatch.setattr(runner.fcntl, "flock", no_flock)
    folder = tmp_path / "case0000"
    folder.mkdir()
    lock = CaseLock(folder, RunId.new(), heartbeat=True)
    assert lock.acquire()
    held = folder / (".lock" if flock else ".lock.owner")
    assert "heartbeat 30" in held.read_text()
    os.utime(held, (1.0e9, 1.0e9), follow_symlinks=False)
    lock.beat()
    assert time.time() - held.lstat().st_mtime < 60.0
    lock.release()
    if flock:
        os.utime(held, (1.0e9, 1.0e9))
        lock.beat()
        assert held.stat().st_mtime == 1.0e9 and held.read_text() == ""
    else:
        lock.beat()
        assert not os.path.lexists(held)


def test_sigterm_while_waiting_ends_the_wait_as_ctrl_c(tmp_path, monkeypatch, capsys):
    """SIGTERM (``scancel``, a batch time limit) while ``fea run --wait`` waits: the run
    had given SIGTERM back to its default as its own cases ended, so the signal killed
    it, without the ``terminated`` line and without the table of the cases it had
    computed (here the handler the test installs stands for that default). As with
    Ctrl-C, the wait stops and the run ends as without ``--wait``: table, summary, 4."""
    import fea.study.driver as driver
    from fea.study.check import case_state as check_case_state

    path = _study(tmp_path)
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path)
    monkeypatch.setattr(driver, "WAIT_POLL_S", 0.01)
    calls = []

    def terminated(*args, **kwargs):  # SIGTERM as the wait reads the case again
        calls.append(args[1])
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return check_case_state(*args, **kwargs)

    class DefaultError(Exception):
        """SIGTERM reached the handler that was there before the run."""

    def default(signum, frame):
        raise DefaultError

    monkeypatch.setattr(driver, "case_state", terminated)
    saved = signal.signal(signal.SIGTERM, default)
    other = RunId.new()
    out.mkdir()
    try:
        with register_run(out, other):
            (out / "case0001").mkdir()
            lock = CaseLock(out / "case0001", other)
            assert lock.acquire()
            try:
                argv = ["run", str(path), "--out", str(out), "--no-progress", "--wait"]
                assert main(argv) == 4
            finally:
                lock.release()
    finally:
        signal.signal(signal.SIGTERM, saved)
    err = capsys.readouterr().err
    assert "stopped waiting (SIGTERM)" in err
    assert "table incomplete: 1 case still running in another run (case0001" in err
    assert _cases(out / "table.csv") == ["case0000", "case0002"]
