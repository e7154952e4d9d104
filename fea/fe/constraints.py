"""Constraints: rigid-body modes and the statically determinate 3-2-1 supports of a free
body, part by part where the body falls into disconnected parts (Dirichlet DOFs are
eliminated in place by :func:`fea.solvers.eliminate`, on the host or the device).
:func:`free_body_constraints` is the one place both the static thermoelastic solve and the
process history take their supports from.

Vector unknowns are interleaved, ``3 * node + component``.

An inclined plane (a symmetry plane x = y, whose condition is u . n = 0) is held in nodal
frames (:class:`NodalFrames`, what CalculiX's and Abaqus's ``*TRANSFORM`` do): at each node
of the plane the displacement is ``u = Q q`` with an orthogonal 3x3 ``Q`` whose first
columns span the normals of every condition at the node (:func:`inclined_frames`), the
system becomes ``T^T K T q = T^T f`` (``T`` block-diagonal, the identity elsewhere) and
the local components along the normals are ordinary Dirichlet DOFs. A node where two
planes meet (the line x = y = 0 of an eighth model, on y = 0 and x = y) has two normals
and two fixed local components.
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
    "NodalFrames",
    "boundary_normal",
    "connected_parts",
    "frame_product",
    "free_body_constraints",
    "free_body_supports",
    "inclined_frames",
    "reflection_group",
    "remaining_modes",
    "remove_rigid_part",
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


def remove_rigid_part(u: Any, Q: Any, weights: Any = None, xp: Any = np) -> Any:
    """``u`` (3 n,) or a block (3 n, k) less its part in the rigid motions spanned by the
    orthonormal columns of ``Q`` (3 n, m) [the modes a body's supports leave free],
    projected out in the inner product weighted per DOF by ``weights`` (3 n,): a model cut
    by symmetry planes weights each node by its images, so its state is the full body's
    (the full body projects its mirrored displacement in its own inner product). None:
    each DOF once. ``xp``: the array namespace of ``u`` and ``Q`` (NumPy or CuPy). The one
    implementation of this projection (the static solve, the sweep, the process history)."""
    if Q.shape[1] == 0:
        return u
    if weights is None:
        return u - Q @ (Q.T @ u)
    WQ = xp.asarray(weights)[:, None] * Q
    return u - Q @ xp.linalg.solve(Q.T @ WQ, WQ.T @ u)


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
    frame: Any = None,
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
    frame
        None, or the nodal frames' (3 n, 3 n) matrix ``T`` (:meth:`NodalFrames.matrix`)
        when ``prescribed`` are DOFs of the local components ``q`` (``u = T q``): the
        modes, supports and returned modes are then those of ``q``.
    """
    n3 = 3 * len(nodes)
    modes_list, supports = [], []
    for part in parts:
        dn = (3 * part[:, None] + np.arange(3)).ravel()
        R = np.zeros((n3, 6))
        R[dn] = rigid_body_modes(nodes[part])
        if frame is not None:
            R = np.asarray(frame.T @ R)
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


def boundary_normal(mesh: Any, facets: NDArray[np.int64], key: str) -> NDArray[np.float64]:
    """The OUTWARD unit normal (3,) of a plane boundary: its facets' common normal, pointing
    out of the element next to the first facet (so ``u . n = value > 0`` moves the boundary
    outward, whatever the mesh's numbering). An :class:`~fea.errors.InputError` naming
    ``key`` when the facets are not on one plane (normals or offsets differing by more than
    1e-6 of the extent)."""
    facets = np.asarray(facets, dtype=np.int64)
    if facets.size == 0:
        raise InputError(key, "an empty boundary", "a plane boundary with facets")
    p = np.asarray(mesh.p1.p.T, dtype=np.float64)
    tri = p[np.asarray(mesh.p1.facets)[:, facets].T]  # (k, 3 vertices, 3)
    nrm = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    nrm *= np.where(nrm @ nrm[0] < 0, -1.0, 1.0)[:, None]
    n = nrm.mean(axis=0)
    n /= np.linalg.norm(n)
    extent = float(np.ptp(p, axis=0).max())
    offset = tri.reshape(-1, 3) @ n
    if np.abs(nrm - n).max() > 1e-6 or np.ptp(offset) > 1e-6 * extent:
        raise InputError(
            key, "a boundary that is not plane", "component 'n' on a plane boundary only"
        )
    element = int(np.asarray(mesh.p1.f2t)[0, facets[0]])
    inside = p[np.asarray(mesh.p1.t)[:, element]].mean(axis=0)
    if float((tri[0].mean(axis=0) - inside) @ n) < 0.0:
        n = -n
    return n


@dataclass
class NodalFrames:
    """Rotated displacement frames at some nodes: ``u[node] = rotations[i] @ q[node]``.

    Attributes
    ----------
    nodes
        The nodes with a frame, sorted, shape (m,).
    rotations
        Orthogonal matrices (m, 3, 3) whose columns are the local axes [-].
    """

    nodes: NDArray[np.int64]
    rotations: NDArray[np.float64]

    def matrix(self, n: int) -> sp.csr_matrix:
        """The block-diagonal orthogonal (3 n, 3 n) ``T`` of ``u = T q``: the frames at
        their nodes, the identity elsewhere."""
        blocks = np.tile(np.eye(3), (n, 1, 1))
        blocks[self.nodes] = self.rotations
        base = 3 * np.arange(n)[:, None, None]
        rows = np.broadcast_to(base + np.arange(3)[None, :, None], blocks.shape)
        cols = np.broadcast_to(base + np.arange(3)[None, None, :], blocks.shape)
        T = sp.csr_matrix((blocks.ravel(), (rows.ravel(), cols.ravel())), shape=(3 * n, 3 * n))
        T.eliminate_zeros()
        T.sort_indices()
        return T


def inclined_frames(
    n: int,
    dofs: NDArray[np.int64],
    values: NDArray[np.float64],
    planes: list[tuple[str, NDArray[np.int64], NDArray[np.float64], float]],
) -> tuple[NodalFrames, NDArray[np.int64], NDArray[np.float64]]:
    """Nodal frames for conditions ``u . normal = value`` on nodes, with the axis ones.

    Parameters
    ----------
    n
        Number of nodes.
    dofs, values
        The conditions along the axes: DOFs ``3 node + component`` (k,) and the
        displacements (3 n,) [m] (zero elsewhere).
    planes
        ``(key, nodes, normal, value)`` per inclined condition: the nodes (m,), the unit
        normal (3,), the normal displacement [m]; ``key`` names it in errors.

    Returns
    -------
    frames
        A frame at every node of a plane: its first ``r`` axes span the normals of every
        condition at the node (those of the planes and the axes), ``r`` their rank.
    dofs
        The constrained DOFs of ``q`` (``u = T q``), sorted: the first ``r`` local
        components at the frames' nodes, the axis DOFs elsewhere.
    values
        The prescribed ``q`` (3 n,) [m] (zero elsewhere).

    Raises
    ------
    fea.errors.InputError
        When the conditions at a node contradict each other (two planes and a value).
    """
    values = np.asarray(values, dtype=np.float64)
    dofs = np.asarray(dofs, dtype=np.int64)
    at = np.unique(np.concatenate([nodes for _, nodes, _, _ in planes]))
    # each node's conditions as a signature: the planes it is on, its axis components
    sig = np.zeros((len(at), len(planes) + 3), dtype=bool)
    for j, (_, nodes, _, _) in enumerate(planes):
        sig[np.searchsorted(at, nodes), j] = True
    is_axis = np.zeros(3 * n, dtype=bool)
    is_axis[dofs] = True
    sig[:, len(planes):] = is_axis.reshape(-1, 3)[at]
    axis_values = values.reshape(-1, 3)[at]
    q_values = values.copy()
    q_values.reshape(-1, 3)[at] = 0.0
    rotations = np.zeros((len(at), 3, 3))
    fixed_local = np.zeros((len(at), 3), dtype=bool)
    groups = np.unique(np.hstack([sig, axis_values]), axis=0, return_inverse=True)[1].ravel()
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        s, av = sig[rows[0]], axis_values[rows[0]]
        N = [planes[j][2] for j in np.flatnonzero(s[: len(planes)])]
        v = [planes[j][3] for j in np.flatnonzero(s[: len(planes)])]
        for c in np.flatnonzero(s[len(planes):]):
            N.append(np.eye(3)[c])
            v.append(float(av[c]))
        Nm, vv = np.array(N), np.array(v)
        _, sv, vt = np.linalg.svd(Nm)
        r = int((sv > 1e-9 * sv[0]).sum())
        Q = vt.T
        A = Nm @ Q[:, :r]
        qr = np.linalg.lstsq(A, vv, rcond=None)[0]
        if np.abs(A @ qr - vv).max() > 1e-9 * max(np.abs(vv).max(), 1e-300):
            key = planes[int(np.flatnonzero(s[: len(planes)])[0])][0]
            raise InputError(
                key,
                f"{vv.tolist()} on normals {np.round(Nm, 6).tolist()}",
                "conditions that agree where planes meet (e.g. zero normal displacement)",
            )
        rotations[rows] = Q
        fixed_local[rows, :r] = True
        q_values.reshape(-1, 3)[at[rows], :r] = qr
    keep = ~np.isin(dofs // 3, at)
    local = (3 * at[:, None] + np.arange(3))[fixed_local]
    D = np.unique(np.concatenate([dofs[keep], local])).astype(np.int64)
    return NodalFrames(at.astype(np.int64), rotations), D, q_values


def reflection_group(normals: list[NDArray[np.float64]]) -> list[NDArray[np.float64]]:
    """The orthogonal 3x3 matrices of the finite group the reflections ``I - 2 n n^T``
    across planes through the origin with the unit ``normals`` generate (the identity
    first): 2 for one plane, 4 for x = 0 and y = 0, 8 (the square's D4) with x = y too."""
    gens = [np.eye(3) - 2.0 * np.outer(n, n) for n in normals]
    group = [np.eye(3)]
    grew = True
    while grew:
        grew = False
        for g in list(group):
            for r in gens:
                h = r @ g
                if not any(np.abs(h - k).max() <= 1e-12 for k in group):
                    group.append(h)
                    grew = True
        if len(group) > 48:
            raise InputError("normals", len(normals), "planes that generate a finite group")
    return group


def frame_product(K: sp.spmatrix, T: sp.spmatrix) -> sp.csr_matrix:
    """``T^T K T`` for the block-diagonal ``T`` of nodal frames (:meth:`NodalFrames.
    matrix`), (3 n, 3 n), computed on K's 3x3 node blocks: every stored entry of ``K``
    stays stored (zeros too: a stiffness of elements not yet born keeps its diagonal,
    which SciPy's sparse product would drop), indices sorted."""
    n = K.shape[0] // 3
    c = sp.coo_matrix(T)
    Q = np.zeros((n, 3, 3))
    Q[c.row // 3, c.row % 3, c.col % 3] = c.data
    B = sp.bsr_matrix(K, blocksize=(3, 3))
    B.sort_indices()
    rows = np.repeat(np.arange(n), np.diff(B.indptr))
    data = np.einsum("kai,kab,kbj->kij", Q[rows], B.data, Q[B.indices], optimize=True)
    out = sp.bsr_matrix((data, B.indices, B.indptr), shape=K.shape).tocsr()
    out.sort_indices()
    return out
