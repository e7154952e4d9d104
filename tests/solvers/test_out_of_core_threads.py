"""Pardiso's out-of-core factorisation from two threads at once: the process's
``MKL_PARDISO_OOC_*`` variables are left as they were."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
import scipy.sparse as sp


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
