"""The refactorisation count of the history's Newton solves (hand values), and the kept
factor's precision (single, double where float32 cannot hold the tangent)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fea.errors import InputError
from fea.physics.history_newton import SINGLE_FACTOR_MIN_UNKNOWNS, TangentPreconditioner
from fea.solvers.cost import factorization_iterations
from fea.solvers.cpu import pardiso_available

from ..solvers.systems import near_singular


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


def _drifting(n: int) -> tuple[sp.csr_matrix, np.ndarray]:
    L = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n)).tocsr()
    return (L + sp.diags(np.linspace(0.2, 3.0, n))).tocsr(), np.sin(np.arange(n) * 0.1) + 1.0


def _precision_of_solve(A, b, rtol: float, **kw) -> str:
    """Solve ``A x = b`` once by a fresh :class:`TangentPreconditioner` (``kw``), check the
    answer to ``rtol``, and return the precision its factor was made in."""
    tp = TangentPreconditioner(**kw)
    stats = {"pcg_iterations": 0}
    x, ok = tp.solve(A, b, 0, rtol, stats)
    tp.close()
    assert ok and np.linalg.norm(A @ x - b) <= rtol * np.linalg.norm(b)
    return stats["tangent_factor_precision"]


@pytest.mark.skipif(not pardiso_available(), reason="MKL Pardiso is not installed")
def test_tangent_factor_single_answers_to_rtol():
    # the kept factor preconditions PCG on the float64 tangent: its float32 rounding does
    # not limit the answer, which is as tight as asked
    assert _precision_of_solve(*_drifting(200), 1e-12, precision="single") == "single"


@pytest.mark.skipif(not pardiso_available(), reason="MKL Pardiso is not installed")
def test_tangent_factor_auto_is_single_from_the_threshold():
    for n, want in ((200, "double"), (SINGLE_FACTOR_MIN_UNKNOWNS, "single")):
        assert _precision_of_solve(*_drifting(n), 1e-10) == want


@pytest.mark.skipif(not pardiso_available(), reason="MKL Pardiso is not installed")
def test_tangent_too_ill_conditioned_for_float32_goes_double():
    A = near_singular()
    assert _precision_of_solve(A, A @ np.ones(A.shape[0]), 1e-10, precision="single") == "double"


def test_tangent_precision_is_checked():
    with pytest.raises(InputError, match="precision"):
        TangentPreconditioner(precision="float16")
