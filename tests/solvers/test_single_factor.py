"""A direct solver's factor in single precision (Pardiso in float32): its back-substitution
is float32-accurate only, the solver's answers are PCG-refined on the float64 matrix to
rtol, and a matrix too ill-conditioned for float32 falls back to a double factor."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fea.errors import InputError, SolverError
from fea.solvers.base import Options
from fea.solvers.cpu import DirectSolver, Factorized, pardiso_available, pardiso_call

from .systems import clamped_plate, near_singular

needs_pardiso = pytest.mark.skipif(not pardiso_available(), reason="MKL Pardiso is not installed")


def _held_box():
    """A clamped two-layer P2 plate (stiff on soft, 2 mm): an SPD elasticity matrix (about
    7k DOF) and a load."""
    A, b, _ = clamped_plate(2e-3)
    return A, b


def _rel(A, x, b) -> float:
    return float(np.linalg.norm(b - A @ x) / np.linalg.norm(b))


@needs_pardiso
def test_single_factor_is_float32_accurate_and_double_is_not():
    A, b = _held_box()
    F64, F32 = Factorized(A), Factorized(A, precision="single")
    try:
        assert F64.precision == "double" and F32.precision == "single"
        r64, r32 = _rel(A, F64.solve(b), b), _rel(A, F32.solve(b), b)
        assert r64 <= 1e-12
        # float32's rounding, amplified by the conditioning: far above double's, far below 1
        assert 1e-11 < r32 <= 1e-3
        X = F32.solve(np.column_stack([b, -b]))  # a block, float64 to the caller
        assert X.dtype == np.float64 and X.shape == (len(b), 2)
        assert np.abs(X[:, 0] + X[:, 1]).max() <= 1e-6 * np.abs(X).max()
        assert F32.matches(A) and not F32.matches(A * 1.001)
    finally:
        F64.close()
        F32.close()


def test_factor_precision_is_checked():
    A, _ = _held_box()
    with pytest.raises(InputError, match="precision"):
        Factorized(A, precision="half")
    with pytest.raises(InputError, match="factor_precision"):
        Options(factor_precision="float32")


@needs_pardiso
def test_pardiso_call_refuses_a_precision_mismatch():
    # the raw call would read float64 values as float32 (garbage, no error from Pardiso)
    A, b = _held_box()
    F = Factorized(A, precision="single")
    try:
        with pytest.raises(SolverError, match="float32 factorisation"):
            pardiso_call(F._pardiso, 33, F._upper, F._ia, F._ja, b)
    finally:
        F.close()


@needs_pardiso
@pytest.mark.parametrize("rtol", [1e-6, 1e-10])
def test_direct_solver_refines_a_single_factor_to_rtol(rtol):
    A, b = _held_box()
    S = DirectSolver(A, Options(kind="elasticity", rtol=rtol, factor_precision="single"))
    try:
        x, facts = S.solve(b)
        assert facts["factor_precision"] == "single" and facts["iterations"] >= 1
        assert facts["residual"] == pytest.approx(_rel(A, x, b), rel=1e-6)
        assert _rel(A, x, b) <= rtol
        assert "float32 factor" in facts["reuse"]
        # a kept single factor preconditions a nearby matrix the same way
        A2 = (A + sp.diags(1e-3 * A.diagonal())).tocsr()
        S.update(A2, keep=True)
        x2, f2 = S.solve(b)
        assert f2["setup"] == "reused" and _rel(A2, x2, b) <= rtol
        X, fb = S.solve(np.column_stack([b, 2 * b]))
        assert max(_rel(A2, X[:, k], c) for k, c in enumerate([b, 2 * b])) <= rtol
        # a far matrix past the cap: refactorised (still float32) and refined again
        A3 = (A + sp.diags(0.5 * A.diagonal())).tocsr()
        S.update(A3, keep=True)
        x3, f3 = S.solve(b)
        assert f3["setup"] == "rebuilt" and f3["factor_precision"] == "single"
        assert "refactorised" in f3["reuse"] and "float32 factor: PCG to rtol" in f3["reuse"]
        assert _rel(A3, x3, b) <= rtol
    finally:
        S.close()


@needs_pardiso
def test_too_ill_conditioned_for_float32_falls_back_to_double():
    A = near_singular()
    b = A @ np.ones(A.shape[0])
    S = DirectSolver(A, Options(rtol=1e-10, factor_precision="single"))
    try:
        x, facts = S.solve(b)
        assert facts["factor_precision"] == "double"
        assert _rel(A, x, b) <= 1e-10
        # and it stays double for the solver's later factorisations
        S.update(A * 2.0)
        _, f2 = S.solve(b)
        assert f2["factor_precision"] == "double"
    finally:
        S.close()


def test_without_pardiso_single_is_a_double_superlu_factor(monkeypatch):
    import fea.solvers.cpu as cpu

    monkeypatch.setattr(cpu, "pardiso_available", lambda: False)
    A, b = _held_box()
    F = Factorized(A, precision="single")
    assert F.name == "superlu" and F.precision == "double"
    assert _rel(A, F.solve(b), b) <= 1e-12


def test_openblas_is_single_threaded_inside_the_block_only(openblas_threads):
    from fea.solvers.cpu import single_threaded_openblas

    before = openblas_threads()
    with single_threaded_openblas():
        assert openblas_threads() == [1] * len(before)
    assert openblas_threads() == before
