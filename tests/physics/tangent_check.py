"""The matrix-free Newton tangent of an inelastic history step against the matrix it
assembles: the tangents Newton was handed during a run, captured, applied to random
vectors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest


def assert_tangents_are_their_matrices(
    run: Callable[[], object], step_type: type | None = None, seed: int = 4
) -> None:
    """Run ``run()`` with :meth:`InelasticStep.tangent` watched; at least one step of
    ``step_type`` (default any) took a :class:`TangentOperator`, and each of the first
    three applies as its assembled matrix to 1e-12."""
    from fea.physics.history_newton import InelasticStep, TangentOperator, as_matrix

    captured = []
    orig = InelasticStep.tangent

    def spy(self, x):
        A = orig(self, x)
        if step_type is None or isinstance(self, step_type):
            captured.append(A)
        return A

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(InelasticStep, "tangent", spy)
        run()
    ops = [A for A in captured if isinstance(A, TangentOperator)]
    assert ops, "no step took the matrix-free tangent"
    rng = np.random.default_rng(seed)
    for A in ops[:3]:
        v = rng.standard_normal(A.shape[0])
        want = as_matrix(A) @ v
        assert np.abs(A @ v - want).max() < 1e-12 * np.abs(want).max()
