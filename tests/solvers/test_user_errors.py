"""The solver layer as a user meets it: bad options refused whatever the method, systems a
user makes by mistake (NaN in the matrix or the load, a body with no restraint, a zero
load, an iteration limit too low) answered by a :mod:`fea.errors` message that names the
likely cause, never by a NaN answer or a loop to ``maxiter``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fea.errors import InputError, SolverError
from fea.solvers import prepare, solve

from .systems import grid

METHODS = ["direct", "amg", "amg-xp", "auto"]


@pytest.fixture(scope="module")
def poisson():
    """A 12 x 12 shifted Laplacian (SPD, 144 unknowns) and a load."""
    A = grid(12, 12)
    return A, np.linspace(1.0, 2.0, A.shape[0])


@pytest.mark.parametrize("method", ["direct", "amg"])
@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("maxiter", 0),
        ("maxiter", -5),
        ("maxiter", 2.5),
        ("maxiter", math.nan),
        ("maxiter", "100"),
        ("maxiter", True),
        ("rebuild_factor", math.inf),
        ("rebuild_factor", math.nan),
        ("rebuild_factor", 0.5),
        ("rebuild_factor", "2"),
    ],
)
def test_a_bad_iteration_setting_is_refused_whatever_the_method(poisson, method, key, value):
    """maxiter and rebuild_factor are checked as rtol is, for a direct solve too (it used to
    ignore them: maxiter = -5 passed until a later iterative solve broke on it, and
    rebuild_factor = inf broke the reuse cap, floor(inf), with an OverflowError)."""
    A, b = poisson
    with pytest.raises(InputError, match=key):
        prepare(A, backend="cpu", method=method, **{key: value})
    if key == "maxiter":
        with pytest.raises(InputError, match=key):
            solve(A, b, backend="cpu", method=method, maxiter=value)


def test_a_whole_float_maxiter_is_taken_as_an_int(poisson):
    A, b = poisson
    with prepare(A, backend="cpu", method="amg", maxiter=50.0) as p:
        assert p.maxiter == 50 and isinstance(p.options.maxiter, int)
        _, info = p.solve(b)
    assert info.residual <= 1e-10


@pytest.mark.parametrize("method", METHODS)
def test_a_nan_in_the_load_is_named_before_any_work(poisson, method):
    """A NaN load gave a NaN answer from Pardiso (residual NaN, no error) and 2000 PCG
    iterations of NaN from AMG; now one message says where it is and where it comes from."""
    A, b = poisson
    bad = b.copy()
    bad[[17, 40]] = [np.nan, np.inf]
    with pytest.raises(SolverError, match=r"right-hand side .* 2 NaN or inf .* unknown 17"):
        solve(A, bad, backend="cpu", method=method)
    with prepare(A, backend="cpu", method=method) as p:
        block = np.stack([b, bad], axis=1)
        with pytest.raises(SolverError, match=r"unknown 17 \(node 17\), column 1"):
            p.solve(block)
        x, info = p.solve(b)  # the prepared solver is still usable
    assert info.residual <= 1e-10 and np.isfinite(x).all()


@pytest.mark.parametrize("method", METHODS)
def test_a_nan_in_the_matrix_is_named_before_any_work(poisson, method):
    """A NaN stiffness entry (a NaN modulus reaching the assembly) was factorised by Pardiso
    into a NaN-residual answer without an error, and raised a bare ValueError from pyamg."""
    A, b = poisson
    bad = A.copy()
    bad.data[bad.indptr[30] + 1] = np.nan
    with pytest.raises(SolverError, match=r"matrix has 1 NaN or inf .* row of unknown 30 .*E, nu"):
        solve(bad, b, backend="cpu", method=method)
    with prepare(A, backend="cpu", method=method) as p:
        with pytest.raises(SolverError, match="matrix has 1 NaN"):
            p.update(bad)
        x, _ = p.solve(b)  # the refused update left the prepared matrix as it was
    assert np.linalg.norm(A @ x - b) <= 1e-9 * np.linalg.norm(b)


def test_an_elasticity_row_is_named_as_a_node_and_component(poisson):
    A, b = poisson  # 144 unknowns: 48 nodes of 3 components
    bad = b.copy()
    bad[31] = np.nan
    with pytest.raises(SolverError, match=r"unknown 31 \(node 10, uy\)"):
        solve(A, bad, kind="elasticity", backend="cpu", method="direct")
