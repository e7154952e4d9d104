"""A case folder's lock file is opened without following a symbolic link: a ``.lock``
planted as a link to another file (a shared results folder) made taking the lock
truncate that file and write the holder's name into it."""

from __future__ import annotations

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
