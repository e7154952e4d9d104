"""Probes: point location and interpolation of P1/P2 fields on a tetrahedral mesh."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError

__all__ = ["Located", "interpolate", "interpolation_matrix", "locate"]


@dataclass
class Located:
    """Points located in a mesh: element, local (reference) coordinates, inverse Jacobians."""

    elements: NDArray[np.int64]  # (n,)
    X: NDArray[np.float64]  # (3, n) reference coordinates
    Jinv: NDArray[np.float64]  # (n, 3, 3)

    def values(self, elem: Any) -> NDArray[np.float64]:
        """Shape-function values at the points, shape (nb, n)."""
        return np.stack([elem.lbasis(self.X, i)[0] for i in range(elem.doflocs.shape[0])])

    def grads(self, elem: Any) -> NDArray[np.float64]:
        """Physical shape-function gradients at the points, shape (nb, 3, n)."""
        out = []
        for i in range(elem.doflocs.shape[0]):
            g_ref = elem.lbasis(self.X, i)[1]  # (3, n)
            out.append(np.einsum("nba,bn->an", self.Jinv, g_ref))
        return np.stack(out)


def locate(mesh: Any, points: ArrayLike, tol: float = 1e-6) -> Located:
    """Find the tetrahedron holding each point (surface, edge and corner points included).

    Candidates are the elements with the nearest centroids; the one with the largest
    smallest barycentric coordinate wins, so points on shared faces, edges and
    corners are found. Points outside the body by more than ``tol`` (relative to
    the element size) raise :class:`~fea.errors.InputError`.

    Parameters
    ----------
    points
        Shape (n, 3), m.
    """
    from scipy.spatial import cKDTree

    pts = np.atleast_2d(np.asarray(points, dtype=float))
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise InputError("points", pts.shape, "an array of shape (n, 3)")
    bad = ~np.isfinite(pts).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"points[{i}]", pts[i].tolist(), "finite coordinates [m]")
    p = mesh.p1.p.T
    t = mesh.p1.t.T
    cache = mesh.info.setdefault("locator", {})
    if "tree" not in cache:
        cache["tree"] = cKDTree(p[t].mean(axis=1))
        J = np.stack(
            [p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]], p[t[:, 3]] - p[t[:, 0]]], axis=2
        )  # (ne, 3, 3), columns = edges
        cache["Jinv"] = np.linalg.inv(J)
    tree, Jinv_all = cache["tree"], cache["Jinv"]
    rows = np.arange(len(pts))
    # flat elements of thin layers have far-away centroids: widen the search if needed
    for k in (32, 256, 2048):
        k = min(k, len(t))
        _, cand = tree.query(pts, k=k)
        cand = np.atleast_2d(cand)
        X = np.einsum("nkab,nkb->nka", Jinv_all[cand], pts[:, None, :] - p[t[cand, 0]])
        bary = np.concatenate([1 - X.sum(axis=2, keepdims=True), X], axis=2)
        score = bary.min(axis=2)
        best = np.argmax(score, axis=1)
        if np.all(score[rows, best] >= -tol) or k == len(t):
            break
    if np.any(score[rows, best] < -tol):
        bad = int(np.argmin(score[rows, best]))
        raise InputError("points", pts[bad].tolist(), "points inside or on the body")
    el = cand[rows, best]
    Xb = np.clip(X[rows, best], 0.0, 1.0).T
    return Located(el.astype(np.int64), Xb, Jinv_all[el])


def interpolate(space: Any, values: NDArray[np.float64], points: ArrayLike) -> NDArray[np.float64]:
    """Values of a nodal field of ``space`` at arbitrary points (surface included).

    Parameters
    ----------
    space
        The :class:`~fea.fe.spaces.FieldSpace` the field lives on.
    values
        Nodal values, shape (n,) or (n, k).
    points
        Shape (m, 3), m.

    Returns
    -------
    Shape (m,) or (m, k).
    """
    loc = locate(space.mesh, points)
    V = loc.values(space.basis.elem)  # (nb, m)
    vals = np.asarray(values)[space.dofs[loc.elements]]  # (m, nb) or (m, nb, k)
    return np.einsum("im,mi...->m...", V, vals)


def interpolation_matrix(space: Any, points: ArrayLike) -> Any:
    """The linear map from nodal values of ``space`` to values at ``points`` (m, 3) [m]:
    a (m, n) CSR matrix, so a field sampled at many times costs one product each."""
    import scipy.sparse as sp

    loc = locate(space.mesh, points)
    V = loc.values(space.basis.elem)  # (nb, m)
    m = V.shape[1]
    rows = np.repeat(np.arange(m), V.shape[0])
    cols = space.dofs[loc.elements].ravel()
    return sp.csr_matrix((V.T.ravel(), (rows, cols)), shape=(m, space.n))
