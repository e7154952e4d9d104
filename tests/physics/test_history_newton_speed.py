"""The refactorisation count of the history's Newton solves (hand values)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from fea.physics.history_newton import TangentPreconditioner
from fea.solvers.cost import factorization_iterations


def test_factorization_iterations_hand_values():
    # 30 (n / 30000)^(1/3), at least 20: n = 30000 -> 30; 8 x that -> 60; 27 x -> 90;
    # a small system -> the floor
    assert factorization_iterations(30_000) == 30
    assert factorization_iterations(240_000) == 60
    assert factorization_iterations(810_000) == 90
    assert factorization_iterations(7_392) == 20


def test_default_count_refactorises_after_the_systems_count():
    # a 1-D Laplacian plus a diagonal that drifts from solve to solve, preconditioned by
    # the factorisation of the first: PCG needs more iterations as the drift grows; with
    # the default count (20 for this size) the preconditioner is stale only once the
    # iterations beyond the first changed solve's pass 20
    n = 200
    L = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n)).tocsr()
    d = np.linspace(0.2, 3.0, n)

    def A(k: int) -> sp.csr_matrix:
        return (L + sp.diags(1.0 + 0.5 * k * d)).tocsr()

    A0 = A(0)
    b = np.sin(np.arange(n) * 0.1) + 1.0
    tp = TangentPreconditioner()
    stats = {"pcg_iterations": 0}
    tp.solve(A0, b, 0, 1e-10, stats)
    extra = []
    while not tp.stale and len(extra) < 100:
        before = stats["pcg_iterations"]
        Ak = A(len(extra) + 1)
        x, ok = tp.solve(Ak, b, 0, 1e-10, stats)
        assert ok
        np.testing.assert_allclose(Ak @ x, b, rtol=0, atol=1e-8 * np.linalg.norm(b))
        extra.append(stats["pcg_iterations"] - before)
    base = extra[0]
    assert tp.stale and stats["tangent_factorizations"] == 1
    assert sum(k - base for k in extra) > factorization_iterations(n) == 20
    assert sum(k - base for k in extra[:-1]) <= 20
    tp.close()
