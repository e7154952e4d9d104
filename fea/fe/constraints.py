"""Constraints: rigid-body modes and the statically determinate 3-2-1 supports of a free
body (Dirichlet DOFs are eliminated in place by :func:`fea.solvers.eliminate`, on the host
or the device).

Vector unknowns are interleaved, ``3 * node + component``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError

__all__ = [
    "free_body_supports",
    "remaining_modes",
    "rigid_body_modes",
    "support_321",
]


def rigid_body_modes(nodes: NDArray[np.float64]) -> NDArray[np.float64]:
    """The six rigid-body modes of interleaved 3D displacements, shape (3 n, 6).

    Translations x, y, z and rotations about axes through the centroid; ``nodes``
    shape (n, 3), m.
    """
    x = nodes - nodes.mean(axis=0)
    n = len(nodes)
    R = np.zeros((3 * n, 6))
    for a in range(3):
        R[a::3, a] = 1.0
    R[0::3, 3], R[1::3, 3] = -x[:, 1], x[:, 0]  # about z
    R[1::3, 4], R[2::3, 4] = -x[:, 2], x[:, 1]  # about x
    R[0::3, 5], R[2::3, 5] = x[:, 2], -x[:, 0]  # about y
    return R


def remaining_modes(R: NDArray[np.float64], D: NDArray[np.int64]) -> NDArray[np.float64]:
    """Rigid-body modes left free by the Dirichlet dofs ``D``, shape (3 n, k), k <= 6."""
    if len(D) == 0:
        return R
    _, s, vt = np.linalg.svd(R[D], full_matrices=True)
    rank = int((s > 1e-10 * max(s.max(), 1e-300)).sum())
    return R @ vt[rank:].T


def free_body_supports(
    modes: NDArray[np.float64], vertices: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Statically determinate extra supports: as many dofs as free modes, chosen from a
    3-2-1 pattern (:func:`support_321`) so that together they fix exactly those modes.

    Their reactions vanish for a self-equilibrated load, so they add no stress.
    """
    k = modes.shape[1]
    chosen: list[int] = []
    for d in support_321(vertices):
        trial = chosen + [int(d)]
        if np.linalg.matrix_rank(modes[trial], tol=1e-10 * np.abs(modes).max()) == len(trial):
            chosen = trial
        if len(chosen) == k:
            break
    if len(chosen) < k:
        raise InputError(
            "fixed",
            "partial supports",
            "Dirichlet conditions that leave rigid-body modes removable by a 3-2-1 support",
        )
    return np.array(sorted(chosen), dtype=np.int64)


def support_321(nodes: NDArray[np.float64]) -> NDArray[np.int64]:
    """Six dofs on three far-apart vertices forming a statically determinate support."""
    a = int(np.argmin(nodes[:, 0]))
    b = int(np.argmax(nodes[:, 0]))
    d = nodes - nodes[a]
    ab = d[b] / np.linalg.norm(d[b])
    off = d - np.outer(d @ ab, ab)
    c = int(np.argmax(np.abs(off[:, 1]) + 1e-3 * np.abs(off[:, 2])))
    # A: x, y, z; B: y, z (rotations about z and y); C: z (rotation about the AB axis)
    return np.array([3 * a, 3 * a + 1, 3 * a + 2, 3 * b + 1, 3 * b + 2, 3 * c + 2])
