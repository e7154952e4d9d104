"""A direct solver that keeps its factorisation across a matrix update (``keep``): PCG on the
kept factor for a nearby matrix, to rtol and in few iterations; a refactorisation past the
cap (the cost of a factorisation in PCG iterations); a matrix equal to the factorised one
solved directly; the default update still refactorises. Every answer is compared with
SciPy's own sparse solve of the new matrix."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from fea.errors import InputError
from fea.fe import forms as asm
from fea.fe.spaces import space
from fea.physics.constitutive import lame
from fea.solvers import eliminate, prepare
from fea.solvers.base import Options
from fea.solvers.cost import factorization_iterations
from fea.solvers.cpu import DirectSolver

from ..verification.helpers import layered_box

RTOL = 1e-10


@pytest.fixture(scope="module")
def plate():
    """A two-material P1 plate (a stiff layer on a soft one), bottom face clamped."""
    mesh = layered_box((2e-3, 1.5e-3), [("a", 0.3e-3, 2), ("b", 0.2e-3, 1)], 0.25e-3, order=1)
    fs = space(mesh)
    bottom = np.flatnonzero(fs.nodes[:, 2] < 1e-12)
    in_a = np.zeros(mesh.n_elements, dtype=bool)
    in_a[mesh.regions["a"]] = True
    D = np.concatenate([3 * bottom, 3 * bottom + 1, 3 * bottom + 2])

    def matrix(E_a: float, E_b: float) -> sp.csr_matrix:
        E = np.where(in_a, E_a, E_b)
        K = asm.elasticity_matrix(fs, *lame(E, np.full(len(in_a), 0.3)))
        return sp.csr_matrix(eliminate(K, D))

    n = 3 * fs.n
    b = np.zeros(n)
    b[2::3] = -1.0
    b[0::3] = 0.3
    b[D] = 0.0
    rng = np.random.default_rng(7)
    B = rng.standard_normal((n, 3))
    B[D] = 0.0
    return matrix, b, B


def _exact(A: sp.spmatrix, b: np.ndarray) -> np.ndarray:
    return spla.spsolve(sp.csc_matrix(A), b)


def _rel(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.linalg.norm(x - y) / np.linalg.norm(y))


def test_a_kept_factor_solves_a_nearby_matrix_by_few_pcg_iterations(plate):
    matrix, b, _ = plate
    A0, near = matrix(100e9, 3e9), matrix(130e9, 3e9)  # the stiff layer's modulus +30 %
    n = A0.shape[0]
    with prepare(A0, backend="cpu", method="direct", rtol=RTOL) as p:
        _, i0 = p.solve(b)
        assert i0.extra["setup"] == "built" and i0.iterations == 1
        p.update(near, keep=True)
        x, i1 = p.solve(b)
        assert i1.extra["setup"] == "reused"
        assert i1.extra["reuse_cap"] == factorization_iterations(n)
        assert "reuse_iterations" not in i1.extra and "kept factor" in i1.extra["reuse"]
        assert 2 <= i1.iterations <= 15
        assert i1.residual <= RTOL
        assert _rel(x, _exact(near, b)) < 1e-7
        # from the answer as a start PCG has almost nothing left to do
        x2, i2 = p.solve(b, x0=x)
        assert i2.iterations <= 2 and _rel(x2, _exact(near, b)) < 1e-7


def test_a_far_matrix_trips_the_cap_and_refactorises(plate):
    matrix, b, _ = plate
    A0, far = matrix(100e9, 3e9), matrix(3e9, 100e9)  # the contrast reversed
    n = A0.shape[0]
    with prepare(A0, backend="cpu", method="direct", rtol=RTOL, keep_factor=True) as p:
        p.solve(b)
        p.update(far)  # keep_factor=True: kept by default
        x, info = p.solve(b)
        assert info.extra["setup"] == "rebuilt" and info.extra["setup_s"] > 0
        assert info.extra["reuse_iterations"] == factorization_iterations(n)
        assert "refactorised" in info.extra["reuse"]
        assert info.iterations == 1 and info.residual < 1e-12
        assert _rel(x, _exact(far, b)) < 1e-11  # a direct answer: to rounding
        x, again = p.solve(-b)  # the new factor is kept
        assert again.extra["setup"] == "reused" and again.iterations == 1
        assert _rel(x, _exact(far, -b)) < 1e-11


def test_a_block_of_right_hand_sides_on_the_kept_factor(plate):
    matrix, _, B = plate
    A0, near, far = matrix(100e9, 3e9), matrix(80e9, 3.5e9), matrix(3e9, 100e9)
    with prepare(A0, backend="cpu", method="direct", rtol=RTOL) as p:
        p.update(near, keep=True)
        X, info = p.solve(B)
        assert X.shape == B.shape and info.extra["setup"] == "reused"
        assert 2 <= info.iterations <= 15 and info.residual <= RTOL
        for j in range(B.shape[1]):
            assert _rel(X[:, j], _exact(near, B[:, j])) < 1e-7, j
        p.update(far, keep=True)
        X, info = p.solve(B)
        assert info.extra["setup"] == "rebuilt" and info.residual < 1e-12
        for j in range(B.shape[1]):
            assert _rel(X[:, j], _exact(far, B[:, j])) < 1e-11, j


def test_the_factorised_matrix_again_is_solved_directly(plate):
    matrix, b, _ = plate
    A0 = matrix(100e9, 3e9)
    with prepare(A0, backend="cpu", method="direct", rtol=RTOL) as p:
        p.update(A0.copy(), keep=True)  # equal values, another object
        x, info = p.solve(b)
        assert info.extra["setup"] == "reused" and info.iterations == 1
        assert "factorised matrix again" in info.extra["reuse"]
        assert _rel(x, _exact(A0, b)) < 1e-11


def test_a_matrix_changed_in_place_is_not_taken_for_the_factorised_one(plate):
    """The same object, its values doubled in place: PCG on the kept factor of the old
    values, which is the new matrix's inverse to a factor 2 (one iteration)."""
    matrix, b, _ = plate
    A = matrix(100e9, 3e9)
    with prepare(A, backend="cpu", method="direct", rtol=RTOL) as p:
        A.data *= 2.0
        p.update(A, keep=True)
        x, info = p.solve(b)
        assert info.extra["setup"] == "reused" and info.iterations == 1
        assert _rel(x, _exact(A, b)) < 1e-11


def test_the_default_update_refactorises(plate):
    matrix, b, _ = plate
    A0, near = matrix(100e9, 3e9), matrix(130e9, 3e9)
    with prepare(A0, backend="cpu", method="direct", rtol=RTOL) as p:
        p.update(near)
        x, info = p.solve(b)
        assert info.extra["setup"] == "rebuilt" and info.iterations == 1
        assert "reuse" not in info.extra
        assert _rel(x, _exact(near, b)) < 1e-11


def test_a_matrix_of_another_shape_is_refused(plate):
    matrix, _, _ = plate
    A0 = matrix(100e9, 3e9)
    with prepare(A0, backend="cpu", method="direct") as p:
        with pytest.raises(InputError, match="shape"):
            p.update(A0[:30, :30], keep=True)
    d = DirectSolver(A0, Options(kind="elasticity"))
    try:
        with pytest.raises(InputError, match="shape"):
            d.update(A0[:30, :30], keep=True)
        with pytest.raises(InputError, match="x0"):
            d.solve(np.ones(A0.shape[0]), x0=np.ones(3))
    finally:
        d.close()
