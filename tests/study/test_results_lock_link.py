"""A case folder's lock file is opened without following a symbolic link: a ``.lock``
planted as a link to another file (a shared results folder) made taking the lock
truncate that file and write the holder's name into it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from fea.errors import ResultsError
from fea.study.runner import CaseLock


def test_a_lock_that_is_a_symbolic_link_is_refused_and_its_target_kept(tmp_path):
    victim = tmp_path / "thesis.tex"
    victim.write_text("four years of work\n")
    folder = tmp_path / "case0000"
    folder.mkdir()
    (folder / ".lock").symlink_to(victim)
    with pytest.raises(ResultsError, match=r"cannot lock .*case0000/\.lock: it is a symbolic link"):
        CaseLock(folder).acquire()
    assert victim.read_text() == "four years of work\n"


def test_a_plain_lock_is_taken_and_released(tmp_path):
    lock = CaseLock(tmp_path)
    assert lock.acquire()
    assert not CaseLock(tmp_path).acquire()  # held
    lock.release()
    assert CaseLock(tmp_path).acquire()


def test_a_case_folder_that_is_a_symbolic_link_is_refused_and_its_target_kept(tmp_path):
    """A case folder planted in a shared output folder as a link to another folder: the
    case cleared that folder's outputs before running (every ``*.csv`` and ``*.png`` of
    the folder it names removed, then its own results written there). It is refused,
    naming the link, and the folder it names is left as it was."""
    from fea.package.spec import load_study
    from fea.study.runner import claim_case

    root = Path(__file__).resolve().parents[2]
    spec = load_study(root / "tests" / "data" / "tiny_study.toml")
    cid, params = spec.case_parameters()[0]
    victim = tmp_path / "measurements"
    victim.mkdir()
    (victim / "tester_run7.csv").write_text("t_s,Tj_C\n0,25\n")
    (victim / "figure.png").write_bytes(b"\x89PNG")
    out = tmp_path / "out"
    out.mkdir()
    (out / cid).symlink_to(victim, target_is_directory=True)
    with pytest.raises(ResultsError, match=rf"the case folder .*{cid} is a symbolic link"):
        claim_case(spec, cid, params, out / cid, None, False)
    assert sorted(p.name for p in victim.iterdir()) == ["figure.png", "tester_run7.csv"]


def test_the_runs_folder_as_a_symbolic_link_is_refused_and_its_target_kept(tmp_path):
    """``<out>/.fea-runs`` planted as a link to another folder: a run starting swept
    every file there it took for a killed run's announcement, that is every file whose
    name does not start with a dot (2 of 2 files of the linked folder removed). It is
    refused, and in a plain ``.fea-runs`` only a run's announcement (named by its id) is
    ever swept."""
    from fea.study.runner import RUNS_DIR, RunId, register_run

    victim = tmp_path / "thesis"
    victim.mkdir()
    (victim / "chapter1.tex").write_text("four years of work\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / RUNS_DIR).symlink_to(victim, target_is_directory=True)
    with pytest.raises(ResultsError, match=r"\.fea-runs is not a plain folder"):
        with register_run(out, RunId.new()):
            pass
    assert [p.name for p in victim.iterdir()] == ["chapter1.tex"]
    (out / RUNS_DIR).unlink()
    (out / RUNS_DIR).mkdir()
    (out / RUNS_DIR / "README").write_text("someone's note\n")
    dead = "0" * 32  # a killed run's announcement: swept
    (out / RUNS_DIR / dead).write_text("{}")
    with register_run(out, RunId.new()):
        pass
    assert [p.name for p in (out / RUNS_DIR).iterdir()] == ["README"]


def test_a_case_log_that_is_a_symbolic_link_is_replaced_and_its_target_kept(tmp_path):
    """A ``case.log`` planted as a link to another file: the case's log lines (here the
    takeover of a killed run's claim) and its child's output were appended to that file.
    The link is replaced by a plain log; the file it named is left as it was."""
    import socket

    from fea.package.spec import load_study
    from fea.study.runner import claim_case

    root = Path(__file__).resolve().parents[2]
    spec = load_study(root / "tests" / "data" / "tiny_study.toml")
    cid, params = spec.case_parameters()[0]
    victim = tmp_path / ".bashrc"
    victim.write_text("export PATH=$HOME/bin:$PATH\n")
    folder = tmp_path / "out" / cid
    folder.mkdir(parents=True)
    (folder / "case.log").symlink_to(victim)
    # the claim a killed run left (no such process): taking it over writes to the log
    (folder / ".lock").write_text(f"{socket.gethostname()} 999999999 x\nrun {'a' * 32}\n")
    claim = claim_case(spec, cid, params, folder, None, False)
    try:
        assert claim.note is not None and "took over" in claim.note
    finally:
        claim.lock.release()
    assert victim.read_text() == "export PATH=$HOME/bin:$PATH\n"
    log = folder / "case.log"
    assert not log.is_symlink() and "took over" in log.read_text()
    from fea.study.runner import open_case_log

    with open_case_log(folder) as f:  # a plain log is appended to
        f.write(b"next\n")
    assert log.read_text().endswith("next\n")


# -- through Dask, and an output folder that is itself a link --------------------------------


def _stubbed_two_case_study(tmp_path: Path, monkeypatch) -> Path:
    """The two-case sweep of tests/study/test_sweep_states.py with its children's analysis
    stubbed (Tj = 25 + the shell in um): the workflow, not the numbers."""
    import os

    from .test_sweep_states import ROOT, STUB, TINY, TWO

    folder = tmp_path / "stub"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(STUB)
    parts = (str(folder), str(ROOT), os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in parts if p))
    monkeypatch.setenv("FEA_TEST_STUB", "ok")
    text = TINY.read_text()
    text = text[: text.index("[sweep]")].replace("size_mm = 1.0", "size_mm = 2.0")
    path = tmp_path / "study.toml"
    path.write_text(text.replace('name = "tiny"', 'name = "study"') + TWO)
    return path


@pytest.mark.slow
def test_a_case_folder_link_is_refused_through_dask_too(tmp_path, monkeypatch):
    """A Dask run handed its tasks the case folders with their links resolved
    (``Path.resolve``), so ``claim_case`` saw the folder a planted link names, not the
    link: the case cleared that folder's ``*.csv`` and ``*.png`` and wrote its results
    there (2 of 2 files removed). The folders are made absolute without following a
    link: the link is refused and the folder it names left as it was."""
    distributed = pytest.importorskip("distributed")
    from fea.package.spec import load_study
    from fea.study import run_study

    spec = load_study(_stubbed_two_case_study(tmp_path, monkeypatch))
    victim = tmp_path / "measurements"
    victim.mkdir()
    (victim / "tester_run7.csv").write_text("t_s,Tj_C\n0,25\n")
    (victim / "figure.png").write_bytes(b"\x89PNG")
    out = tmp_path / "out"
    out.mkdir()
    (out / "case0001").symlink_to(victim, target_is_directory=True)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        with pytest.raises(ResultsError, match=r"case0001 is a symbolic link"):
            run_study(spec, out=out, scheduler=cluster.scheduler_address, progress=False)
    assert sorted(p.name for p in victim.iterdir()) == ["figure.png", "tester_run7.csv"]


@pytest.mark.slow
@pytest.mark.parametrize("dask", [False, True])
def test_an_output_folder_that_is_a_link_to_scratch_runs_and_checks(tmp_path, monkeypatch, dask):
    """The whole output folder a link to scratch storage (common on a cluster): only the
    links planted inside it are refused. A run there, a rerun, and ``fea check`` (exit 0,
    every case finished) work through the link."""
    from fea.cli import main
    from fea.package.spec import load_study
    from fea.study import run_study

    study = _stubbed_two_case_study(tmp_path, monkeypatch)
    spec = load_study(study)
    scratch = tmp_path / "scratch" / "study"
    scratch.mkdir(parents=True)
    out = tmp_path / "results"
    out.symlink_to(scratch, target_is_directory=True)
    kw: dict = {}
    if dask:
        distributed = pytest.importorskip("distributed")
        cluster = distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        )
        kw["scheduler"] = cluster.scheduler_address
    try:
        report = run_study(spec, out=out, progress=False, **kw)
        assert (report.done, report.failed) == (2, 0)
        again = run_study(spec, out=out, progress=False, **kw)
        assert again.skipped == 2
    finally:
        if dask:
            cluster.close()
    assert out.is_symlink() and (scratch / "table.csv").is_file()
    assert sorted(p.name for p in scratch.glob("case*")) == ["case0000", "case0001"]
    assert main(["check", str(study), "--out", str(out)]) == 0


@pytest.mark.parametrize("link", [False, True])
def test_a_lock_owner_that_is_a_fifo_does_not_hang_the_check(tmp_path, link):
    """``<case>/.lock.owner`` planted as a named pipe (or a link to one): ``case_claim``
    (``fea check``) opened it as ``Path.read_text`` does, blocking until someone writes to
    the pipe, so ``fea check`` of the folder never returned. It is read without following
    a link and without blocking: a claim that names nobody, held until the stale age."""
    import threading

    from fea.study.runner import case_claim

    folder = tmp_path / "out" / "case0000"
    folder.mkdir(parents=True)
    fifo = tmp_path / "pipe" if link else folder / ".lock.owner"
    os.mkfifo(fifo)
    if link:
        (folder / ".lock.owner").symlink_to(fifo)
    answer: list = []
    reader = threading.Thread(target=lambda: answer.append(case_claim(folder)), daemon=True)
    reader.start()
    reader.join(timeout=20)
    hung = reader.is_alive()
    if hung:  # let the blocked open return: a writer that closes at once
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=20)
    assert not hung, "case_claim blocked on a named pipe"
    assert answer == [(True, "a claim being written")]


def test_a_stale_lock_owner_fifo_is_broken_without_blocking(tmp_path, monkeypatch):
    """Where there is no ``flock`` (the lock file ``.lock.owner`` instead), a named pipe
    planted there and older than the stale age blocked the run taking the case: its text
    was read as ``Path.read_text`` reads (waiting for a writer), before and after it was
    moved aside. It names no holder: once past the stale age it is broken (moved aside
    and removed, the pipe never opened) and the case's lock taken."""
    import threading
    import time

    import fea.study.runner as runner_mod

    monkeypatch.setattr(runner_mod, "fcntl", None)
    monkeypatch.setenv(runner_mod.STALE_CLAIM_ENV, "1")
    owner = tmp_path / ".lock.owner"
    os.mkfifo(owner)
    old = time.time() - 7200.0  # two hours: past the stale age of one
    os.utime(owner, (old, old), follow_symlinks=False)
    lock = CaseLock(tmp_path)
    answer: list = []
    taker = threading.Thread(target=lambda: answer.append(lock.acquire()), daemon=True)
    taker.start()
    taker.join(timeout=20)
    hung = taker.is_alive()
    if hung:  # let the blocked open return: a writer that closes at once
        for pipe in [owner, *tmp_path.glob(".lock.owner.*.stale")]:
            try:
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        taker.join(timeout=20)
    assert not hung, "taking the lock blocked on a named pipe"
    try:
        assert answer == [True] and "an unreadable claim" in str(lock.taken_over)
        assert owner.is_file() and not owner.is_symlink()  # this run's own claim
    finally:
        lock.release()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".lock.owner")]


def test_a_run_announcement_that_is_a_fifo_does_not_hang(tmp_path):
    """``<out>/.fea-runs/<run id>`` planted as a named pipe, with a case's ``error.json``
    naming that run: ``run_alive`` opened it blocking, so ``fea check`` of the folder (and
    ``fea run`` deciding whether to retry the failure) waited for a writer forever. A
    file that is not plain is no run's announcement: the run has ended."""
    import threading

    from fea.study.runner import RUNS_DIR, run_alive

    rid = "b" * 32
    (tmp_path / RUNS_DIR).mkdir()
    fifo = tmp_path / RUNS_DIR / rid
    os.mkfifo(fifo)
    answer: list = []
    reader = threading.Thread(target=lambda: answer.append(run_alive(tmp_path, rid)), daemon=True)
    reader.start()
    reader.join(timeout=20)
    hung = reader.is_alive()
    if hung:  # let the blocked open return: a writer that closes at once
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=20)
    assert not hung, "run_alive blocked on a named pipe"
    assert answer == [False]


@pytest.mark.parametrize("name", ["metrics.json", "error.json"])
def test_a_case_record_that_is_a_fifo_does_not_hang(tmp_path, name):
    """A case's ``metrics.json`` or ``error.json`` planted as a named pipe: reading it
    (``finished_digest``, ``failed_by``: ``fea check`` and ``fea run`` on every case)
    waited for a writer forever. It is read without blocking and counts as no record."""
    import threading

    from fea.study.runner import failed_by, finished_digest

    fifo = tmp_path / name
    os.mkfifo(fifo)
    read = (lambda: finished_digest(tmp_path)) if name == "metrics.json" else (
        lambda: failed_by(fifo)
    )
    answer: list = []
    reader = threading.Thread(target=lambda: answer.append(read()), daemon=True)
    reader.start()
    reader.join(timeout=20)
    hung = reader.is_alive()
    if hung:  # let the blocked open return: a writer that closes at once
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=20)
    assert not hung, f"reading {name} blocked on a named pipe"
    assert answer == [None]
    (tmp_path / name).unlink()
    (tmp_path / name).write_text('{"run": null, "input_digest": "abc"}')
    assert read() == ("abc" if name == "metrics.json" else None)  # a plain record is read


@pytest.mark.parametrize("planted", ["folder", "lock"])
def test_check_names_a_linked_case_as_fea_run_stops_at_it(tmp_path, monkeypatch, capsys, planted):
    """``fea check`` read a case folder planted as a link (or its ``.lock`` as one) as a
    case to run (exit 0), while ``fea run`` stops the study at it (exit 2). It now names
    the link as the run would, with the run's exit status, and the file it names is left
    as it was."""
    from fea.cli import main

    study = _stubbed_two_case_study(tmp_path, monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "measurements"
    victim.mkdir()
    (victim / "tester_run7.csv").write_text("t_s,Tj_C\n0,25\n")
    if planted == "folder":
        (out / "case0001").symlink_to(victim, target_is_directory=True)
        what = r"case0001 is a symbolic link"
    else:
        (out / "case0001").mkdir()
        (out / "case0001" / ".lock").symlink_to(victim / "tester_run7.csv")
        what = r"cannot lock .*case0001/\.lock: it is a symbolic link"
    capsys.readouterr()
    assert main(["check", str(study), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(what, err), err
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 2
    assert re.search(what, capsys.readouterr().err)
    assert [p.name for p in victim.iterdir()] == ["tester_run7.csv"]
    assert (victim / "tester_run7.csv").read_text() == "t_s,Tj_C\n0,25\n"
