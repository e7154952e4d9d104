"""The solver layer as a user meets it: bad options refused whatever the method, systems a
user makes by mistake (NaN in the matrix or the load, a body with no restraint, a zero
load, an iteration limit too low) answered by a :mod:`fea.errors` message that names the
likely cause, never by a NaN answer or a loop to ``maxiter``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fea.errors import InputError
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
