"""A quadratic mesh as a linear one on the same nodes: each 10-node tetrahedron split
into 8 linear ones through its edge mid-nodes.

The split is the standard red refinement (Bey, Computing 55, 1995; Zhang, Adv. Appl.
Math. Mech. 1(1), 2009): the four corner tetrahedra and the inner octahedron cut along
its shortest diagonal into four. The linear mesh's vertices are the quadratic mesh's
nodes, in the same order (vertices first, then the edge mid-nodes: the numbering of
:func:`fea.fe.spaces.space`), so a nodal field of one is a nodal field of the other.

Used where a P1 discretisation on the P2 node set is wanted: a P1 stiffness on such a
mesh can satisfy a discrete maximum principle where the P2 one, whose off-diagonal
entries can be positive, cannot (:func:`fea.physics.moisture.solve_moisture`).

For straight-edged tetrahedra (mid-nodes at edge midpoints, as :class:`fea.fe.mesh.Mesh`
builds them) the eight children have equal volumes, V/8 each, whichever diagonal cuts
the octahedron; the children of element ``e`` are the elements ``8 e .. 8 e + 7``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..errors import MeshError
from .mesh import Mesh, match_rows, orient_positive, tet_determinants
from .spaces import space

__all__ = [
    "CHILDREN",
    "LOCAL_EDGES",
    "child_nodes",
    "facet_children",
    "refine_p2",
    "refined_weights",
]

#: Children per parent tetrahedron.
CHILDREN = 8

#: Local vertex pairs of the six edge mid-nodes of a 10-node tetrahedron (its nodes 4-9
#: in the numbering of :func:`fea.fe.spaces.space`, scikit-fem's edge order).
LOCAL_EDGES = ((0, 1), (1, 2), (0, 2), (0, 3), (1, 3), (2, 3))

# local node of the mid-node of each vertex pair
_MID = np.full((4, 4), -1, dtype=np.int64)
for _j, (_a, _b) in enumerate(LOCAL_EDGES):
    _MID[_a, _b] = _MID[_b, _a] = 4 + _j

#: The four corner children, in local nodes (vertex first).
_CORNERS = np.array(
    [[v, *(_MID[v, w] for w in range(4) if w != v)] for v in range(4)], dtype=np.int64
)

# the octahedron's three diagonals (pairs of opposite mid-nodes: edges that share no
# vertex) and, for each, the four tetrahedra around it: the other four mid-nodes in
# cyclic order p, q, p', q' (p, p' and q, q' opposite pairs)
_DIAGONALS = ((_MID[0, 1], _MID[2, 3]), (_MID[0, 2], _MID[1, 3]), (_MID[0, 3], _MID[1, 2]))


def _octahedron(k: int) -> NDArray[np.int64]:
    a, b = _DIAGONALS[k]
    (p, p2), (q, q2) = (d for i, d in enumerate(_DIAGONALS) if i != k)
    ring = (p, q, p2, q2)
    return np.array([[a, b, ring[i], ring[(i + 1) % 4]] for i in range(4)], dtype=np.int64)


#: Local nodes of the 8 children for each choice of the octahedron's diagonal, (3, 8, 4).
_LOCAL_CHILDREN = np.stack([np.concatenate([_CORNERS, _octahedron(k)]) for k in range(3)])


def _p2_nodes(mesh: Mesh) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Element -> node numbers (m, 10) and node coordinates (n, 3) of the P2 space of
    ``mesh``, with the mid-nodes checked to lie at their edges' midpoints."""
    if mesh.order != 2:
        raise MeshError(f"refine_p2 needs a quadratic (order 2) mesh, not order {mesh.order}")
    fs = space(mesh, 2)
    dofs, nodes = fs.dofs, fs.nodes
    x = nodes[dofs]  # (m, 10, 3)
    ends = np.array(LOCAL_EDGES)
    mid = 0.5 * (x[:, ends[:, 0]] + x[:, ends[:, 1]])
    length = np.linalg.norm(x[:, ends[:, 0]] - x[:, ends[:, 1]], axis=2)
    off = np.linalg.norm(x[:, 4:] - mid, axis=2)
    if np.any(off > 1e-9 * length):
        e, j = np.unravel_index(int(np.argmax(off / length)), off.shape)
        raise MeshError(
            f"element {e}: its mid-node {j} lies {off[e, j]:.3g} m off the midpoint of its "
            f"edge ({off[e, j] / length[e, j]:.2g} of the edge's length): only straight-edged "
            "quadratic tetrahedra (mid-nodes at edge midpoints) can be split into linear ones"
        )
    return dofs, nodes


def _diagonals(dofs: NDArray[np.int64], nodes: NDArray[np.float64]) -> NDArray[np.int64]:
    """Index (0-2) of every element's shortest octahedron diagonal, shape (m,)."""
    d = np.array(_DIAGONALS)
    x = nodes[dofs]
    length = np.linalg.norm(x[:, d[:, 0]] - x[:, d[:, 1]], axis=2)  # (m, 3)
    return np.argmin(length, axis=1)


def child_nodes(mesh: Mesh) -> NDArray[np.int64]:
    """Nodes of the 8 children of every element of the quadratic ``mesh``, shape
    (m, 8, 4), numbers of the P2 nodes (:func:`fea.fe.spaces.space`); the corner
    children first (one per vertex, in vertex order), then the octahedron's four.
    Children keep the parent's orientation only up to sign; :func:`refine_p2` orders them
    positively."""
    dofs, nodes = _p2_nodes(mesh)
    local = _LOCAL_CHILDREN[_diagonals(dofs, nodes)]  # (m, 8, 4)
    return np.take_along_axis(dofs[:, None, :], local.reshape(len(dofs), 1, -1), axis=2).reshape(
        -1, CHILDREN, 4
    )


def refine_p2(mesh: Mesh) -> Mesh:
    """The linear mesh of the quadratic ``mesh``'s nodes: each tetrahedron split in 8.

    Parameters
    ----------
    mesh
        An order-2 :class:`~fea.fe.mesh.Mesh` with straight edges (lengths m).

    Returns
    -------
    Mesh
        Order 1, ``8 m`` tetrahedra (children of element ``e``: ``8 e .. 8 e + 7``), its
        vertices the P2 nodes of ``mesh`` in their order, shape (n, 3); every region holds
        its elements' children; every boundary (interfaces ``a|b`` included) holds the 4
        children of each of its facets (the triangles through the facet's mid-nodes).

    Raises
    ------
    MeshError
        An order-1 mesh, or a mid-node off its edge's midpoint (a curved element).
    """
    from skfem import MeshTet1

    _, nodes = _p2_nodes(mesh)
    tets = child_nodes(mesh).reshape(-1, 4)
    orient_positive(tets, tet_determinants(nodes, tets))
    p1 = MeshTet1(nodes.T.copy(), tets.T.copy())
    kids = np.arange(CHILDREN, dtype=np.int64)
    regions = {
        r: (CHILDREN * np.asarray(e, np.int64)[:, None] + kids).ravel()
        for r, e in mesh.regions.items()
    }
    table = np.sort(p1.facets.T.astype(np.int64), axis=1)
    boundaries: dict[str, NDArray[np.int64]] = {}
    for name, facets in mesh.boundaries.items():
        if not len(facets):
            boundaries[name] = np.zeros(0, dtype=np.int64)
            continue
        tri = facet_children(mesh, facets).reshape(-1, 3)
        boundaries[name] = match_rows(table, np.sort(tri, axis=1), name)
    return Mesh(p1, p1, regions, boundaries, 1)


def facet_children(mesh: Mesh, facets: NDArray[np.int64]) -> NDArray[np.int64]:
    """Nodes of the 4 children of each of ``facets`` (indices of ``mesh.p1.facets``) of the
    quadratic ``mesh``, shape (k, 4, 3), numbers of the P2 nodes: the corner triangles
    (one per vertex, in the facet's vertex order), then the middle one through the three
    mid-nodes. They have equal areas, a quarter of the facet's each."""
    dofs, nodes = _p2_nodes(mesh)
    n = len(nodes)
    ends = np.array(LOCAL_EDGES)
    # the mid-node of every edge, by its sorted vertex pair
    pairs = np.sort(dofs[:, ends], axis=2).reshape(-1, 2)  # (m * 6, 2)
    keys, first = np.unique(pairs[:, 0] * n + pairs[:, 1], return_index=True)
    mids = dofs[:, 4:].reshape(-1)[first]
    v = mesh.p1.facets[:, np.asarray(facets, dtype=np.int64)].T.astype(np.int64)  # (k, 3)

    def mid(a: int, b: int) -> NDArray[np.int64]:
        lo, hi = np.minimum(v[:, a], v[:, b]), np.maximum(v[:, a], v[:, b])
        return mids[np.searchsorted(keys, lo * n + hi)]

    m01, m02, m12 = mid(0, 1), mid(0, 2), mid(1, 2)
    triangles = ((v[:, 0], m01, m02), (v[:, 1], m01, m12), (v[:, 2], m02, m12), (m01, m02, m12))
    return np.stack([np.stack(t, axis=1) for t in triangles], axis=1)


def refined_weights(mesh: Mesh, points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Weights of the 10 nodes of every element of the quadratic ``mesh`` that give the
    value at reference points ``points`` of the field linear on each of its 8 children
    (:func:`refine_p2`), shape (m, n_p, 10).

    ``points``: reference coordinates (3, n_p) in scikit-fem's unit tetrahedron (vertices
    0, e_x, e_y, e_z), e.g. a basis's quadrature points ``basis.X``.
    """
    dofs, nodes = _p2_nodes(mesh)
    diag = _diagonals(dofs, nodes)
    ref = np.vstack([np.zeros(3), np.eye(3)])  # reference vertices (4, 3)
    ends = np.array(LOCAL_EDGES)
    ref10 = np.vstack([ref, 0.5 * (ref[ends[:, 0]] + ref[ends[:, 1]])])  # (10, 3)
    X = np.asarray(points, dtype=float).T  # (n_p, 3)
    table = np.zeros((3, len(X), 10))
    for k in range(3):
        found = np.zeros(len(X), dtype=bool)
        for child in _LOCAL_CHILDREN[k]:
            y = ref10[child]  # (4, 3)
            A = (y[1:] - y[0]).T
            lam = np.linalg.solve(A, (X - y[0]).T).T  # (n_p, 3)
            bary = np.column_stack([1.0 - lam.sum(axis=1), lam])
            inside = ~found & np.all(bary >= -1e-12, axis=1)
            for i, node in enumerate(child):
                table[k, inside, node] = bary[inside, i]
            found |= inside
        if not np.all(found):
            raise MeshError("a reference point outside the unit tetrahedron")
    return table[diag]
