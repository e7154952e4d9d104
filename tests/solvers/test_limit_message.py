"""An AMG-PCG stopped by a small ``maxiter`` on a free body: the iteration limit, not a
singular system (before :data:`fea.solvers.base.GROWTH_EVIDENCE_ITERATIONS` iterations a
rising residual proves nothing), but its message said only "raise maxiter, loosen rtol"
while the residual had risen from 1 to 4-644 (a free two-layer box, 7,269 DOF): it now
adds that a residual which does not fall at a higher limit is a singular system, naming
the missing restraint."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import IterationLimitError
from fea.fe.constraints import rigid_body_modes
from fea.solvers import solve

from .systems import grid, two_layer_box


@pytest.fixture(scope="module")
def free_body():
    """A two-layer P2 box with no support at all (six rigid-body modes free)."""
    K, fs = two_layer_box()
    b = np.zeros(K.shape[0])
    b[2::3] = -1.0
    return K, b, rigid_body_modes(fs.nodes)


@pytest.mark.parametrize("maxiter", [1, 5, 9])
def test_a_rising_residual_at_a_small_limit_names_the_missing_restraint(free_body, maxiter):
    K, b, rbm = free_body
    with pytest.raises(IterationLimitError) as err:
        solve(K, b, kind="elasticity", near_null=rbm, backend="cpu", method="amg", maxiter=maxiter)
    msg = str(err.value)
    assert f"the iteration limit solver.maxiter = {maxiter} was reached: raise maxiter" in msg
    assert "did not fall below its start" in msg
    assert "should it still not fall at a limit of 10 or more" in msg
    assert "no restraint" in msg


def test_a_falling_residual_at_its_limit_names_no_singular_system():
    A = grid(40, 40)  # above pyamg's coarsest size: more than a V-cycle to converge
    b = np.linspace(1.0, 2.0, A.shape[0])
    with pytest.raises(IterationLimitError) as err:
        solve(A, b, backend="cpu", method="amg", rtol=1e-14, maxiter=2)
    msg = str(err.value)
    assert "raise maxiter" in msg
    assert "did not fall" not in msg and "no restraint" not in msg


@pytest.mark.parametrize("method", ["amg-pyamg", "jacobi"])
def test_the_device_path_names_the_missing_restraint_at_a_small_limit(free_body, device, method):
    """The device's PCG (NumPy standing in for CuPy) stops by the same rule: at maxiter 5
    on the free body (its residual rose to 22.7 with pyamg's hierarchy, 3.96 with
    Jacobi) an iteration limit, its message naming the missing restraint. (The device's
    own AMG refuses this body at its setup: its coarsest matrix is not positive
    definite.)"""
    K, b, rbm = free_body
    with pytest.raises(IterationLimitError) as err:
        solve(K, b, kind="elasticity", near_null=rbm, backend="gpu", method=method, maxiter=5)
    msg = str(err.value)
    assert "the iteration limit solver.maxiter = 5 was reached" in msg
    assert "did not fall below its start" in msg and "no restraint" in msg
