"""Constraints: rigid-body modes and the statically determinate 3-2-1 supports of a free
body, part by part where the body falls into disconnected parts (Dirichlet DOFs are
eliminated in place by :func:`fea.solvers.eliminate`, on the host or the device).
:func:`free_body_constraints` is the one place both the static thermoelastic solve and the
process history take their supports from.

Vector unknowns are interleaved, ``3 * node + component``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..errors import InputError

__all__ = [
    "FreeBody",
    "connected_parts",
    "free_body_constraints",
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


def connected_parts(
    mesh: Any, dofs: NDArray[np.int64], active: NDArray[np.bool_] | None = None
) -> list[NDArray[np.int64]]:
    """The nodes of each connected part of the (active) elements, parts connected through
    shared vertices.

    Parameters
    ----------
    mesh
        A :class:`fea.fe.mesh.Mesh` (its P1 connectivity ``mesh.p1.t`` (4, n_el)).
    dofs
        Element -> node map of the space, shape (n_el, nb).
    active
        Elements taking part, bool (n_el,); all when None.

    Returns
    -------
    One sorted node array per part (all nodes of the P1/P2 space), in the order of each
    part's first element.
    """
    from scipy.sparse.csgraph import connected_components

    el = np.arange(dofs.shape[0]) if active is None else np.nonzero(active)[0]
    tv = mesh.p1.t.T[el]  # (k, 4) vertices
    nv = mesh.p1.p.shape[1]
    rows = np.repeat(np.arange(len(el)), 4)
    inc = sp.csr_matrix((np.ones(rows.size), (rows, tv.ravel())), shape=(len(el), nv))
    _, lab = connected_components(inc.T @ inc, directed=False)
    el_lab = lab[tv[:, 0]]
    return [np.unique(dofs[el[el_lab == c]]) for c in np.unique(el_lab)]


@dataclass
class FreeBody:
    """The supports of the free rigid-body modes of a body.

    Attributes
    ----------
    supports
        Sorted DOFs (``3 node + component``) of the statically determinate supports, one
        3-2-1 set (or its remainder) per part that the prescribed DOFs leave free.
    modes
        The free rigid-body modes of the parts, (3 n, k), zero outside their part
        (orthonormalise before projecting them out).
    """

    supports: NDArray[np.int64]
    modes: NDArray[np.float64]


def free_body_constraints(
    nodes: NDArray[np.float64],
    n_vertices: int,
    parts: list[NDArray[np.int64]],
    prescribed: NDArray[np.int64],
) -> FreeBody:
    """Supports that hold every part of a body the ``prescribed`` DOFs leave free.

    Each part gets its own rigid-body modes (:func:`rigid_body_modes` about its centroid);
    those the prescribed DOFs inside the part do not fix (:func:`remaining_modes`) are
    held by a statically determinate subset of a 3-2-1 support on its vertices
    (:func:`free_body_supports`): no stress, reactions that vanish for a
    self-equilibrated load. A panel cut into units (disconnected parts) stays solvable.

    Parameters
    ----------
    nodes
        Node coordinates, shape (n, 3), m; the first ``n_vertices`` are mesh vertices.
    parts
        Node sets of the connected parts (:func:`connected_parts`).
    prescribed
        The Dirichlet DOFs, sorted, shape (k,).
    """
    n3 = 3 * len(nodes)
    modes_list, supports = [], []
    for part in parts:
        dn = (3 * part[:, None] + np.arange(3)).ravel()
        R = np.zeros((n3, 6))
        R[dn] = rigid_body_modes(nodes[part])
        own = prescribed[np.isin(prescribed, dn)]
        modes = remaining_modes(R, own)
        if modes.shape[1] == 0:
            continue
        verts = part[part < n_vertices]
        dv = (3 * verts[:, None] + np.arange(3)).ravel()
        local = free_body_supports(modes[dv], nodes[verts])
        supports.append(3 * verts[local // 3] + local % 3)
        modes_list.append(modes)
    S = np.sort(np.concatenate(supports)) if supports else np.zeros(0, dtype=np.int64)
    M = np.concatenate(modes_list, axis=1) if modes_list else np.zeros((n3, 0))
    return FreeBody(S.astype(np.int64), M)
