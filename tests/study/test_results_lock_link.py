"""A case folder's lock file is opened without following a symbolic link: a ``.lock``
planted as a link to another file (a shared results folder) made taking the lock
truncate that file and write the holder's name into it."""

from __future__ import annotations

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
