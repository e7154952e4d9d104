"""Post-processing of mechanical fields: warpage of a surface, interface tractions,
stresses extrapolated to element vertices and averaged per region.

Functions take plain data (a mesh, a :class:`~fea.fe.spaces.FieldSpace`, nodal
displacements (n, 3) m, Voigt stresses Pa) so every mechanical result (a linear
solve, a viscoelastic or process state) uses the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from .constitutive import tensor

__all__ = [
    "Warpage",
    "coplanarity",
    "interface_traction",
    "region_vertex_average",
    "vertex_values",
    "warpage",
]


@dataclass(frozen=True)
class Warpage:
    """Warpage of a surface after removing the best-fit plane (all lengths m).

    ``signed`` is ``+peak_to_valley`` when the surface centre lies above its corners
    (z up, away from the board: a dome, convex seen from above and concave seen
    from the terminal side) and ``-peak_to_valley`` otherwise. JESD22-B112 states
    the sign in terms of concave/convex seen from its measurement side; map it with
    that geometric description. ``curvature`` is the mean curvature
    ``(w_xx + w_yy) / 2`` [1/m] of a quadratic fit (negative for a dome).
    ``coplanarity`` is the spread of the lowest points of the terminal tips (only for
    a surface made of several separate patches, else 0).
    """

    peak_to_valley: float
    signed: float
    curvature: float
    coplanarity: float


def _surface(mesh: Any, surface: str) -> NDArray[np.int64]:
    if surface not in mesh.boundaries:
        raise InputError("surface", surface, f"one of {', '.join(sorted(mesh.boundaries))}")
    return mesh.boundaries[surface]


def warpage(mesh: Any, space: Any, u: NDArray[np.float64], surface: str) -> Warpage:
    """Warpage of the named boundary of ``mesh`` under nodal displacements ``u`` (n, 3)."""
    facets = _surface(mesh, surface)
    dofs = space.boundary_nodes(facets)
    xyz = space.nodes[dofs]
    w = u[dofs, 2]
    x, y = xyz[:, 0], xyz[:, 1]
    A1 = np.column_stack([np.ones_like(x), x, y])
    r = w - A1 @ np.linalg.lstsq(A1, w, rcond=None)[0]
    ptv = float(r.max() - r.min())
    A2 = np.column_stack([np.ones_like(x), x, y, x * x, x * y, y * y])
    c = np.linalg.lstsq(A2, w, rcond=None)[0]
    curvature = float(c[3] + c[5])
    cx, cy = 0.5 * (x.min() + x.max()), 0.5 * (y.min() + y.max())

    def q(px: float, py: float) -> float:
        return float(c[3] * px * px + c[4] * px * py + c[5] * py * py + c[1] * px + c[2] * py)

    corners = np.mean([q(a, b) for a in (x.min(), x.max()) for b in (y.min(), y.max())])
    sign = 1.0 if q(cx, cy) > corners else -1.0
    return Warpage(ptv, sign * ptv, curvature, coplanarity(mesh, facets, u))


def coplanarity(mesh: Any, facets: NDArray[np.int64], u: NDArray[np.float64]) -> float:
    """Spread [m] of the lowest deformed points of the separate patches (terminal tips)
    that ``facets`` form; 0 for a connected surface."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    v = mesh.p1.facets[:, facets]
    nf = v.shape[1]
    if nf < 2:
        return 0.0
    # facets sharing a vertex belong to the same patch
    rows = np.repeat(np.arange(nf), 3)
    g = coo_matrix((np.ones(3 * nf), (rows, v.T.ravel())), shape=(nf, mesh.p1.p.shape[1])).tocsr()
    n_comp, labels = connected_components(g @ g.T, directed=False)
    if n_comp < 2:
        return 0.0
    z = mesh.p1.p[2] + u[: mesh.p1.p.shape[1], 2]
    lows = [z[np.unique(v[:, labels == k])].min() for k in range(n_comp)]
    return float(max(lows) - min(lows))


def interface_traction(
    mesh: Any, stress: NDArray[np.float64], name: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Normal and shear traction [Pa] on the facets of an interface ``a|b``.

    ``stress`` per element (n_el, 6); the facet stress is the mean of the two adjacent
    elements' stresses; the normal points from the first to the second element.
    Returns (normal, shear), each (n_f,).
    """
    if name not in mesh.boundaries:
        raise InputError("interface", name, f"one of {', '.join(sorted(mesh.boundaries))}")
    f = mesh.boundaries[name]
    e = mesh.p1.f2t[:, f]
    inner = e[1] >= 0
    sig = tensor(stress[e[0]])
    sig[inner] = 0.5 * (sig[inner] + tensor(stress[e[1, inner]]))
    p = mesh.p1.p.T
    v = mesh.p1.facets[:, f].T
    n = np.cross(p[v[:, 1]] - p[v[:, 0]], p[v[:, 2]] - p[v[:, 0]])
    n /= np.linalg.norm(n, axis=1)[:, None]
    tr = np.einsum("fab,fb->fa", sig, n)
    sn = np.einsum("fa,fa->f", tr, n)
    shear = np.linalg.norm(tr - sn[:, None] * n, axis=1)
    return sn, shear


def vertex_values(space: Any, q_values: NDArray[np.float64]) -> NDArray[np.float64]:
    """A field known at the quadrature points of ``space`` (n_el, n_q, k), fitted by the
    linear field through them and evaluated at the four vertices: (n_el, 4, k).

    Exact for a field linear in the element (the stress of a P2 element under a uniform
    temperature); with one quadrature point (P1) the element value is repeated.
    """
    X = np.asarray(space.basis.X)  # (3, n_q) reference coordinates
    n_q = X.shape[1]
    if n_q == 1:
        return np.repeat(q_values, 4, axis=1)
    bary = np.vstack([1.0 - X.sum(axis=0), X]).T  # (n_q, 4)
    # least-squares linear fit (exact when n_q == 4): values_q = bary @ c -> c = vertex values
    fit = np.linalg.pinv(bary)  # (4, n_q)
    return np.einsum("vq,eqk->evk", fit, q_values)


def region_vertex_average(
    mesh: Any, vertex: NDArray[np.float64], elements: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Volume-weighted average at each mesh vertex of per-element vertex values
    ``vertex`` (n_el, 4, k) over ``elements`` (one region, so material interfaces keep
    each side's own values). Returns (n_vertices, k); vertices outside are 0."""
    t = mesh.p1.t.T
    w = mesh.element_volumes()[elements]
    nv = mesh.p1.p.shape[1]
    k = vertex.shape[2]
    acc = np.zeros((nv, k))
    wsum = np.zeros(nv)
    for c in range(4):
        np.add.at(acc, t[elements, c], vertex[elements, c] * w[:, None])
        np.add.at(wsum, t[elements, c], w)
    return acc / np.maximum(wsum, 1e-300)[:, None]
