"""Defects that the fixes from b8732f1 on introduced: each test fails on the code before
its fix (named in its docstring)."""

from __future__ import annotations

import errno
import os
import threading

import numpy as np
import pytest
import scipy.sparse as sp

import fea.study.runner as runner_mod
from fea.errors import ResultsError
from fea.study.runner import CaseLock, RunId, register_run


def _laplacian(n: int) -> sp.csr_matrix:
    """The SPD 1-D Laplacian of ``n`` unknowns (Dirichlet ends)."""
    return sp.diags([-np.ones(n - 1), 2.0 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1]).tocsr()


def test_concurrent_out_of_core_factorisations_leave_the_environment_as_it_was(monkeypatch):
    """Two threads (a Dask worker's) factorising out of core at once: each saved the
    process's MKL_PARDISO_OOC_* variables on entry and put them back on exit, so the one
    that entered second restored the first one's folder and core limit, which then stayed
    set for the process (and the core limit was taken for the user's own thereafter)."""
    from fea.solvers.cpu import Factorized, pardiso_available

    if not pardiso_available():
        pytest.skip("Pardiso (MKL) not available")
    for k in ("MKL_PARDISO_OOC_PATH", "MKL_PARDISO_OOC_MAX_CORE_SIZE"):
        monkeypatch.delenv(k, raising=False)
    real = Factorized._factorise
    both_in = threading.Barrier(2)

    def factorise(self, phase):
        if phase == 22:  # out of core: wait (a little) for the other thread to be inside
            try:
                both_in.wait(timeout=2.0)
            except threading.BrokenBarrierError:
                pass
        return real(self, phase)

    monkeypatch.setattr(Factorized, "_factorise", factorise)
    A = _laplacian(2000)
    b = np.ones(2000)
    answers: list = []
    errors: list = []

    def work():
        try:
            f = Factorized(A, out_of_core=True)
            try:
                answers.append(f.solve(b))
            finally:
                f.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    x = np.linalg.solve(A.toarray(), b)
    for got in answers:
        np.testing.assert_allclose(got, x, rtol=1e-9)
    assert os.environ.get("MKL_PARDISO_OOC_PATH") is None
    assert os.environ.get("MKL_PARDISO_OOC_MAX_CORE_SIZE") is None


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
