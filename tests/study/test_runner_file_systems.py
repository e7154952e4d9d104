"""The runner on file systems that fail it: a run's announcement on a full disk, a case's
lock where hard links are not supported."""

from __future__ import annotations

import errno
import os

import pytest

import fea.study.runner as runner_mod
from fea.errors import ResultsError
from fea.study.runner import CaseLock, RunId, register_run


def test_a_run_announcement_on_a_full_disk_is_a_results_error(tmp_path, monkeypatch):
    """register_run's write of the announcement on a full disk raised a bare OSError
    (ENOSPC) traceback; the folder's other failures were a ResultsError naming it."""
    real = os.write

    def full(fd, data):
        if b'"id"' in bytes(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(ResultsError, match=".fea-runs"):
        with register_run(tmp_path, RunId.new()):
            pass
    monkeypatch.setattr(os, "write", real)
    left = [p.name for p in (tmp_path / ".fea-runs").iterdir()]
    assert left == []


def test_a_lock_file_where_hard_links_are_not_supported(tmp_path, monkeypatch):
    """Without flock (Windows, some network file systems) a case's lock file was made by
    os.link, which a file system without hard links (FAT, exFAT, many SMB shares)
    refuses: every case was a ResultsError 'cannot lock'. (Before the run identity, an
    exclusive create took it.) The exclusive create is kept where link is refused."""
    monkeypatch.setattr(runner_mod, "fcntl", None)

    def no_links(src, dst, *a, **k):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    folder = tmp_path / "case0000"
    folder.mkdir()
    first = CaseLock(folder, RunId.new())
    assert first.acquire()
    second = CaseLock(folder, RunId.new())
    assert not second.acquire()  # still exclusive
    text = (folder / ".lock.owner").read_text()
    assert f"run {first.run.id}" in text
    first.release()
    assert second.acquire()
    second.release()
    assert [p.name for p in folder.iterdir() if p.name.startswith(".lock.owner")] == []
