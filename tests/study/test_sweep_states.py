"""A large sweep as its user follows it on a cluster: which cases a run still holds,
which failed, which a killed run left (``fea check``), claims of killed runs taken over
and said so in the run's own output (also through Dask), runs killed and rerun, two runs
at once, a full disk, hostile values, empty and huge sweeps. The analysis of the cases'
child processes is stubbed: the point is the workflow, not the numbers."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from fea.package.spec import load_study
from fea.study import run_study

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"
TWO = '[sweep]\nparameters = { "geometry.shell_thickness_um" = [30.0, 50.0] }\n'
GRID = '[sweep]\nparameters = { "geometry.shell_thickness_um" = [30.0, 50.0, 70.0] }\n'

#: The analysis of the child processes stubbed: Tj = 25 + the shell in um; ``fail-50um``
#: fails the 50 um case, ``hang-50um`` computes it for 10 minutes.
STUB = """
import json
import os

if os.environ.get("FEA_TEST_STUB"):
    import fea.package as _package

    def _analyse(case, folder, meta=None, context=None):
        um = case.geometry.shell_thickness * 1e6
        if os.environ["FEA_TEST_STUB"] == "fail-50um" and abs(um - 50.0) < 1e-6:
            raise ZeroDivisionError("stubbed failure at 50 um")
        if os.environ["FEA_TEST_STUB"] == "hang-50um" and abs(um - 50.0) < 1e-6:
            import time

            time.sleep(600)
        return {"Tj_max_C": 25.0 + um}

    _package.analyse = _analyse
"""


def _study(tmp_path: Path, sweep: str = GRID, name: str = "study") -> Path:
    """The tiny study, coarse, with ``sweep`` (TOML of a [sweep] table) as its sweep."""
    text = TINY.read_text()
    text = text[: text.index("[sweep]")].replace("size_mm = 1.0", "size_mm = 2.0")
    path = tmp_path / f"{name}.toml"
    path.write_text(text.replace('name = "tiny"', f'name = "{name}"') + sweep)
    return path


def _stub(monkeypatch, tmp_path: Path, mode: str = "ok") -> None:
    folder = tmp_path / "stub"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(STUB)
    parts = (str(folder), str(ROOT), os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in parts if p))
    monkeypatch.setenv("FEA_TEST_STUB", mode)


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _left_claim(case: Path, pid: int, run_id: str) -> None:
    """The case lock a run killed while computing ``case`` leaves: its holder's text
    (the kernel released the flock)."""
    case.mkdir(parents=True, exist_ok=True)
    (case / ".lock").write_text(f"{socket.gethostname()} {pid} 2026-01-01T00:00:00\nrun {run_id}\n")


# -- claims of killed runs: said in the run's output ------------------------------------------


@pytest.mark.slow
def test_a_dask_run_says_which_claims_it_took_over(tmp_path, monkeypatch, capsys):
    """A Dask task that took over the claim a killed run left on a case said so only in
    that case's ``case.log``: the run's output (what its user reads) had nothing. The
    output and the summary now have one line per takeover, naming the case and the
    killed run; a rerun that takes over nothing says nothing of it."""
    distributed = pytest.importorskip("distributed")
    _stub(monkeypatch, tmp_path)
    spec = load_study(_study(tmp_path, TWO))
    out = tmp_path / "out"
    dead = "deadbeef" + "0" * 24
    _left_claim(out / "case0001", _dead_pid(), dead)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        report = run_study(spec, out=out, scheduler=cluster.scheduler_address, progress=False)
    assert (report.done, report.failed) == (2, 0)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if "took over" in ln]
    assert len(lines) == 2, err  # as it happened, and in the summary
    for line in lines:
        assert "case0001" in line and "run deadbeef" in line, line
    assert report.taken_over and "case0001" in report.taken_over[0]
    assert "run deadbeef" in (out / "case0001" / "case.log").read_text()
    again = run_study(spec, out=out, progress=False)
    assert (again.skipped, again.taken_over) == (2, [])
    assert "took over" not in capsys.readouterr().err


@pytest.mark.slow
def test_a_local_run_lists_its_takeovers_in_the_summary(tmp_path, monkeypatch, capsys):
    """The same for the child processes of one machine: the line as it happened was
    there; the summary at the end lists it again, and a slice's closing line too."""
    _stub(monkeypatch, tmp_path)
    spec = load_study(_study(tmp_path, TWO))
    out = tmp_path / "out"
    dead = "feedface" + "0" * 24
    _left_claim(out / "case0001", _dead_pid(), dead)
    report = run_study(spec, out=out, progress=False, slice_="0/1")
    assert report.taken_over == [
        f"case0001: took over the claim of host {socket.gethostname()}, pid "
        f"{report.taken_over[0].split('pid ')[1].split()[0]} (run feedface), whose process "
        "is gone"
    ]
    err = capsys.readouterr().err
    assert sum("took over" in ln and "case0001" in ln for ln in err.splitlines()) == 2, err


# -- fea check: running, failed, orphaned, finished --------------------------------------------

SIX = (
    '[sweep]\nparameters = { "geometry.shell_thickness_um" = '
    "[30.0, 40.0, 50.0, 60.0, 70.0, 80.0] }\n"
)


def test_check_tells_running_failed_orphaned_and_finished_cases(tmp_path, capsys):
    """``fea check`` showed every case with an ``error.json`` as ``failed``, whether the
    run that wrote it still runs (a rerun leaves it to that run) or has ended (a rerun
    retries it), and a case held by a running run or left claimed by a killed one as
    ``to run``. It now says ``running`` (the claim held by a live run), ``failed`` with
    the run that recorded it and whether it still runs, ``orphaned`` (a claim whose
    process is gone) and ``finished``; its exit status is 4 while a run is going, 3 when
    failed or orphaned cases are left, 0 once nothing is. The claims are read, never
    taken."""
    from fea.cli import main
    from fea.study.check import check_study
    from fea.study.runner import (
        DIGEST_KEY,
        CaseLock,
        RunId,
        input_digest,
        record_failure,
        register_run,
    )

    path = _study(tmp_path, SIX)
    spec = load_study(path)
    out = tmp_path / "out"
    params = dict(spec.case_parameters())
    out.mkdir()
    (out / "case0000").mkdir()
    (out / "case0000" / "metrics.json").write_text(
        json.dumps({"case": "case0000", DIGEST_KEY: input_digest(spec, params["case0000"])})
    )
    dead = RunId("0123abcd" + "0" * 24, socket.gethostname(), _dead_pid())
    record_failure(out / "case0003", {"case": "case0003", "status": "failed"}, run=dead)
    _left_claim(out / "case0004", dead.pid, dead.id)
    live = RunId.new()
    argv = ["check", str(path), "--out", str(out)]
    with register_run(out, live):
        lock = CaseLock(out / "case0001", live)
        (out / "case0001").mkdir()
        assert lock.acquire()
        try:
            record_failure(out / "case0002", {"case": "case0002", "status": "failed"}, run=live)
            # a Dask worker of the live run lost while computing: its claim is left, and
            # the run recorded the case failed
            _left_claim(out / "case0005", dead.pid, live.id)
            record_failure(out / "case0005", {"case": "case0005", "status": "failed"}, run=live)
            res = check_study(spec, out)
            states = [(c.state, c.live) for c in res.cases]
            assert states == [
                ("finished", False),
                ("running", True),
                ("failed", True),
                ("failed", False),
                ("orphaned", False),
                ("failed", True),
            ]
            assert res.running and res.exit_status == 4
            assert res.counts == {
                "finished": 1,
                "running": 1,
                "stale": 0,
                "failed": 3,
                "orphaned": 1,
                "to run": 0,
            }
            assert f"run {live.id[:8]}" in res.cases[1].run and "still running" in res.cases[1].run
            assert "leaves it" in res.cases[2].run
            assert f"run {dead.id[:8]}" in res.cases[3].run and "ended" in res.cases[3].run
            assert f"pid {dead.pid}" in res.cases[4].run and "gone" in res.cases[4].run
            text = res.format()
            assert (
                "1 finished, 1 running, 3 failed (2 by a run still going), 1 orphaned; "
                "2 would run" in text
            )
            # a long sweep lists them with its refused cases, the others counted
            short = res.format(limit=2)
            assert all(f"\n{cid} " in short for cid in ("case0001", "case0002", "case0004"))
            assert "\ncase0000 " not in short and "(1 ok cases not listed" in short
            assert main(argv) == 4
            assert "orphaned" in capsys.readouterr().out
            # read, not taken: the run still holds its case, the killed run's claim is
            # there for the next run to take over
            assert not CaseLock(out / "case0001").acquire()
            assert "run 0123abcd" in (out / "case0004" / ".lock").read_text()
        finally:
            lock.release()
    # the run has ended: its failure is retried, its released case is to run
    res = check_study(spec, out)
    states = ["finished", "to run", "failed", "failed", "orphaned", "orphaned"]
    assert [c.state for c in res.cases] == states
    assert not res.running and res.exit_status == 3
    assert main(argv) == 3
    capsys.readouterr()
    for cid in ("case0002", "case0003", "case0005"):
        (out / cid / "error.json").unlink()
    for cid in ("case0004", "case0005"):
        (out / cid / ".lock").write_text("")  # released
    assert main(argv) == 0
    assert check_study(spec, tmp_path / "none").exit_status == 0


# -- a full disk ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ENOSPC", "EDQUOT"])
def test_a_full_disk_while_a_case_is_claimed_stops_the_run_with_one_line(
    tmp_path, monkeypatch, capsys, code
):
    """Writing the holder into a case's lock on a full disk (or past the user's quota,
    common on a cluster's shared file system) ended ``fea run`` with a traceback
    (``OSError: [Errno 122] Disk quota exceeded``) and the lock's flock still taken. It
    is the study's one-line error (exit status 2), the lock released for the next run."""
    import errno

    from fea.cli import main

    _stub(monkeypatch, tmp_path)
    path = _study(tmp_path, TWO)
    out = tmp_path / "out"
    real = os.pwrite

    def full(fd: int, data: bytes, offset: int) -> int:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(os.sep + ".lock"):
            raise OSError(getattr(errno, code), os.strerror(getattr(errno, code)))
        return real(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", full)
    assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "OSError" not in err, err
    what = "no space left on device" if code == "ENOSPC" else "disk quota exceeded"
    assert f"{what} while writing {out / 'case0000' / '.lock'}" in err
    from fea.study.runner import CaseLock

    monkeypatch.setattr(os, "pwrite", real)
    lock = CaseLock(out / "case0000")  # released: another run can take it
    assert lock.acquire()
    lock.release()


# -- kill -9 and run again -------------------------------------------------------------------------


@pytest.mark.slow
def test_a_run_killed_during_a_case_is_checked_and_rerun(tmp_path, monkeypatch, capsys):
    """``fea run`` killed with SIGKILL while computing case0001 (case0000 finished):
    ``fea check`` says case0001 is held while the run lives (exit 4), then orphaned by
    the killed run, naming it (exit 3); the rerun keeps case0000, takes case0001 over
    (one line in its output and summary) and computes it and case0002; then nothing is
    left (exit 0)."""
    import signal
    import subprocess
    import sys
    import time

    from fea.cli import main

    path = _study(tmp_path)
    out = tmp_path / "out"
    _stub(monkeypatch, tmp_path, "hang-50um")
    code = (
        "from fea.cli import main; import sys; "
        f"sys.exit(main(['run', {str(path)!r}, '--out', {str(out)!r}, '--no-progress']))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
    try:
        for _ in range(1200):
            if (out / "case0001" / "case.log").exists():
                break
            assert proc.poll() is None
            time.sleep(0.1)
        argv = ["check", str(path), "--out", str(out)]
        assert main(argv) == 4
        assert "1 finished, 1 running" in capsys.readouterr().out
        first = (out / "case0000" / "metrics.json").read_bytes()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert main(argv) == 3
    text = capsys.readouterr().out
    assert "1 finished, 1 orphaned" in text and f"pid {proc.pid}" in text
    _stub(monkeypatch, tmp_path, "ok")
    report = run_study(load_study(path), out=out, progress=False)
    assert (report.done, report.skipped, report.failed) == (2, 1, 0)
    assert len(report.taken_over) == 1 and f"pid {proc.pid}" in report.taken_over[0]
    assert (out / "case0000" / "metrics.json").read_bytes() == first  # kept as it was
    err = capsys.readouterr().err
    assert sum("took over" in ln for ln in err.splitlines()) == 2  # as it happened, summary
    assert main(argv) == 0


# -- a huge sweep's summary ----------------------------------------------------------------------


def test_a_huge_sweeps_summary_lists_a_bounded_number_of_cases(tmp_path, capsys, monkeypatch):
    """The summary at the end of a run listed every case: a sweep of 100,000 cases (the
    most a study may have) printed a million lines into its log, and on a terminal a
    100,000-row table (10,000 rows took 22 s to render). It lists at most
    ``SUMMARY_CASES``, the failed ones first, and says how many it left out and where
    every row is; a sweep of that many or fewer is listed in full as before."""
    from fea.study import report as report_mod
    from fea.study.report import StudyReport, print_summary, summary_lines

    spec = load_study(TINY)
    n = 1000
    rows = [
        {"case": f"case{i:04d}", "status": "ok", "param:loads.ambient_C": float(i)}
        for i in range(n)
    ]
    for i in (3, n - 1):  # failed cases come first, wherever they are
        rows[i] = {**rows[i], "status": "failed", "error": "error: stubbed"}
    rows[n - 2] = {**rows[n - 2], "Tj_over_limit_flag": 1.0, "Tj_max_C": 190.0}  # then these
    table = tmp_path / "table.csv"
    report = StudyReport(tmp_path, done=n - 2, failed=2, rows=rows, table=table)
    lines = summary_lines(spec, report)
    listed = [ln for ln in lines if ln.startswith("case ")]
    assert len(listed) < n, len(listed)
    most = report_mod.SUMMARY_CASES
    assert len(listed) == most
    assert f"case case{n - 1:04d} (failed)" in {ln.split(":")[0] for ln in listed}
    assert any(ln.startswith(f"warning: case{n - 2:04d}: Tj 190.0") for ln in lines)
    left = f"({n - most} more cases not listed here: every row is in {table})"
    assert left in lines
    assert lines[0].startswith(f"study tiny: {n} cases")
    monkeypatch.setenv("FORCE_COLOR", "1")  # the terminal's table
    monkeypatch.setenv("COLUMNS", "200")
    print_summary(spec, report)
    err = capsys.readouterr().err
    assert sum(f"case{i:04d} " in err for i in range(n)) == most
    assert left in err.replace("\n", "")
    small = StudyReport(tmp_path, done=3, rows=rows[:3], table=table)
    assert sum(ln.startswith("case ") for ln in summary_lines(spec, small)) == 3
    assert not any("more cases" in ln for ln in summary_lines(spec, small))
