"""Post-processing of mechanical fields: recovered (nodal) stresses per region, surface
values, peel and shear on interfaces, yield checks, warpage with the JEDEC sign
convention and shape class, and JEDEC coplanarity.

Functions take plain data (a mesh, a :class:`~fea.fe.spaces.FieldSpace`, nodal
displacements (n, 3) m, Voigt stresses Pa at quadrature points) so every mechanical
result (a linear solve, a viscoelastic or process state) uses the same code.

Stress recovery
---------------
The finite-element stress lives at the quadrature points and is discontinuous
between elements. :func:`recover_stress` turns it into nodal values **per region**
(discontinuous across materials, continuous inside each): every element's stress is
fitted by the linear field through its quadrature points and evaluated at its four
vertices (exact for the linear stress of a P2 element), and each vertex takes the
volume-weighted mean of the values of the elements of that region around it -- the
"extrapolate to the nodes, average within the body" recovery of commercial codes.
It is a linear map from the quadrature values, built once per mesh and region
(a sparse matrix) and reused for every state.

Why this and not superconvergent patch recovery (SPR) or an L2 projection: the
maxima a package engineer needs sit on surfaces and interfaces, where SPR patches are
one-sided and an L2 projection spreads interior values outwards. At point A of NAFEMS
LE11 (a boundary point) on P2 tetrahedra of 7,860 DOF the three give -106.6 (this
method), -107.1 (SPR, linear patches), -113.2 (SPR, quadratic) and -107.9 MPa (L2)
against -105 MPa; on P1 tetrahedra of 80,547 DOF -104.5, -243.8 (SPR) and -107.0 (L2).
Centroid values, what the tables used before, were 21 % low on the silicon of a
three-layer plate (tests/verification/test_recovery.py).

Maxima of a linear-elastic stress at re-entrant corners, free edges of bonded layers
and material junctions are singular: they grow without bound as the mesh is refined,
so a raw maximum there is a mesh-dependent number, not a material stress. Interface
results therefore come with an average over a band at a set distance from the edges
(:meth:`InterfaceStress.band_mean`), which converges.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError
from .constitutive import principal, tensor, von_mises

__all__ = [
    "Extreme",
    "InterfaceStress",
    "MW_DEPTH",
    "MoltenRegion",
    "MoltenWarning",
    "QUANTITIES",
    "RecoveredStress",
    "SIGN_CONVENTION",
    "SurfaceStress",
    "Warpage",
    "YieldExceedance",
    "YieldWarning",
    "coplanarity",
    "interface_stress",
    "molten_check",
    "recover_stress",
    "recovery_operator",
    "seating_plane",
    "surface_samples",
    "vertex_values",
    "warpage",
    "warpage_shape",
    "yield_check",
    "yield_ratios",
]

#: The warpage sign convention of every result and plot of :mod:`fea`.
SIGN_CONVENTION = (
    "JESD22-B112 / JEITA ED-7306: positive = convex, negative = concave, seen from the "
    "top of the package (the side away from the terminals, +z) in its mounting "
    "orientation; convex = centre above the corners"
)

# -- warpage ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Warpage:
    """Warpage of a surface after removing the best-fit plane (lengths m, curvatures 1/m).

    Signs follow :data:`SIGN_CONVENTION` (JESD22-B112 / JEITA ED-7306): seen from the top
    (+z, away from the board), a convex surface (centre above the corners, a dome, the
    corners bending towards the board) is positive, a concave one (a bowl, corners lifting
    off the board) negative.

    Attributes
    ----------
    peak_to_valley
        Highest minus lowest point of the surface, its least-squares plane over its
        area removed [m] (:func:`warpage`). For a uniform bow of curvature ``kappa``
        over a rectangle ``a x b`` it is the centre-to-CORNER height ``kappa (a^2 + b^2) / 8``
        (``kappa L^2 / 4`` on a square of side L), twice the centre-to-edge-midpoint
        height ``kappa L^2 / 8`` of a strip formula over the side.
    signed
        ``+peak_to_valley`` when convex, ``-peak_to_valley`` when concave (centre of the
        quadratic fit against its corners) [m].
    curvature
        Mean curvature of a quadratic fit ``-(w_xx + w_yy) / 2`` [1/m]: positive convex.
    coplanarity
        JEDEC coplanarity of the terminal tips [m] (:func:`coplanarity`): 0 for a
        connected surface.
    principal_curvatures
        The two principal curvatures of the quadratic fit, larger first [1/m], same sign
        convention (both positive: convex bowl; opposite signs: saddle).
    shape
        ``"bowl"`` (both curvatures of one sign, see :attr:`sense` for convex or
        concave), ``"saddle"``, ``"cylindrical"`` (one curvature under a quarter of the
        other), ``"W"`` (centre and edges up, a ring down), ``"M"`` (the reverse) or
        ``"flat"``; :func:`warpage_shape` says how.
    """

    peak_to_valley: float
    signed: float
    curvature: float
    coplanarity: float
    principal_curvatures: tuple[float, float] = (0.0, 0.0)
    shape: str = ""

    convention: ClassVar[str] = SIGN_CONVENTION

    @property
    def sense(self) -> str:
        """``"convex"`` or ``"concave"`` seen from the top (the sign of :attr:`signed`)."""
        return "convex" if self.signed >= 0 else "concave"

    def describe(self) -> str:
        """One line: ``convex bowl, peak-to-valley 12.3 µm, signed +12.3 µm``."""
        shape = (
            f"{self.sense} {self.shape}" if self.shape in ("bowl", "cylindrical") else self.shape
        )
        return (
            f"{shape}, peak-to-valley {self.peak_to_valley * 1e6:.3g} µm, "
            f"signed {self.signed * 1e6:+.3g} µm"
        )


def _surface(mesh: Any, surface: str) -> NDArray[np.int64]:
    if surface not in mesh.boundaries:
        raise InputError("surface", surface, f"one of {', '.join(sorted(mesh.boundaries))}")
    return mesh.boundaries[surface]


#: A degree-4 rule on the triangle (Dunavant 1985, 6 points): barycentric coordinates
#: (6, 3) and weights (6,) summing to 1, exact for the squares of P2 fields.
_TRI_BARY = np.array(
    [
        [0.108103018168070, 0.445948490915965, 0.445948490915965],
        [0.445948490915965, 0.108103018168070, 0.445948490915965],
        [0.445948490915965, 0.445948490915965, 0.108103018168070],
        [0.816847572980459, 0.091576213509771, 0.091576213509771],
        [0.091576213509771, 0.816847572980459, 0.091576213509771],
        [0.091576213509771, 0.091576213509771, 0.816847572980459],
    ]
)
_TRI_WEIGHTS = np.array([0.223381589678011] * 3 + [0.109951743655322] * 3)


#: Least depth of the centre's dip (M) or rise (W) against the highest (lowest) ring of
#: the surface's azimuthally averaged radial profile, as a share of its peak-to-valley,
#: for :func:`warpage_shape` to name an M or a W: a dome with a flat top (a plateau) is a
#: bowl even where the radial quartic that fits it best turns inside the part.
MW_DEPTH = 0.05


def _ring_depth(
    rho2: NDArray[np.float64], r: NDArray[np.float64], weights: NDArray[np.float64], m: bool
) -> float:
    """How far the centre of the plane-removed surface ``r`` lies below (``m``: an M) or
    above (a W) the highest (lowest) ring, as a share of its peak-to-valley: on the
    azimuthal means of ``r`` over six rings of equal width in ``rho`` from 0 to sqrt(2)
    (``rho2``: rho^2, 1 at the edge midpoints), weighted by ``weights``."""
    k = np.minimum((np.sqrt(rho2) * 6 / np.sqrt(2)).astype(np.int64), 5)
    area = np.bincount(k, weights, minlength=6)
    if not np.any(area > 0):  # no weights: every point alike
        weights = np.ones_like(r)
        area = np.bincount(k, weights, minlength=6)
    rings = area > 0
    prof = np.bincount(k, weights * r, minlength=6)[rings] / area[rings]
    depth = prof.max() - prof[0] if m else prof[0] - prof.min()
    return float(depth / max(float(np.ptp(r)), 1e-300))


def _fit(
    A: NDArray[np.float64], w: NDArray[np.float64], weights: NDArray[np.float64] | None
) -> NDArray[np.float64]:
    """Coefficients of the (weighted) least-squares fit ``A c ~ w``."""
    if weights is None:
        return np.linalg.lstsq(A, w, rcond=None)[0]
    s = np.sqrt(weights)
    return np.linalg.lstsq(A * s[:, None], w * s, rcond=None)[0]


def warpage_shape(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    weights: NDArray[np.float64] | None = None,
) -> tuple[str, tuple[float, float], float]:
    """Shape class, principal curvatures (JEDEC sign, larger first) [1/m] and the mean
    curvature [1/m] of the surface ``w(x, y)`` [m] sampled at points ``x, y`` [m].

    ``weights``: the area [m^2] each point stands for (quadrature weights of the
    surface), so that the fits are least squares over the surface's area as a
    measurement's uniform grid of points gives, not over a mesh's uneven nodes; None:
    every point alike. A point of weight 0 only widens the extent (the centre and the
    half-widths below).

    The quadratic least-squares fit ``w = c0 + c1 x + c2 y + c3 x^2 + c4 x y + c5 y^2``
    gives the Hessian ``[[2 c3, c4], [c4, 2 c5]]``; the principal curvatures are its
    eigenvalues with the sign flipped (a dome has ``w_xx < 0`` and is convex, positive).
    When a radial quartic ``a r^2 + b r^4`` (r normalised so that the edge midpoints are
    at 1) fits the non-planar part at least twice as well as the quadratic, its slope
    changes sign between r = 0.3 and 1.3 and the centre of the surface (its mean over
    the innermost of six rings from r = 0 to sqrt(2)) stands at least :data:`MW_DEPTH`
    of its peak-to-valley above the lowest ring (W) or below the highest (M), the shape
    is ``"W"`` (a < 0) or ``"M"`` (a > 0); otherwise ``"saddle"`` (opposite signs),
    ``"cylindrical"`` (the smaller under a quarter of the larger in magnitude) or
    ``"bowl"``.
    """
    cx, cy = 0.5 * (x.min() + x.max()), 0.5 * (y.min() + y.max())
    ax, ay = max(0.5 * np.ptp(x), 1e-300), max(0.5 * np.ptp(y), 1e-300)
    X, Y = x - cx, y - cy
    one = np.ones_like(X)
    A1 = np.column_stack([one, X, Y])
    A2 = np.column_stack([one, X, Y, X * X, X * Y, Y * Y])
    c = _fit(A2, w, weights)
    H = np.array([[2 * c[3], c[4]], [c[4], 2 * c[5]]])
    k = np.sort(-np.linalg.eigvalsh(H))[::-1]
    mean = float(-(c[3] + c[5]))
    r1 = w - A1 @ _fit(A1, w, weights)
    scale = float(np.abs(r1).max())
    if scale == 0.0 or not np.isfinite(scale):
        return "flat", (0.0, 0.0), 0.0
    wt = one if weights is None else weights
    res2 = float(np.sum(wt * (w - A2 @ c) ** 2))
    rho2 = (X / ax) ** 2 + (Y / ay) ** 2
    A4 = np.column_stack([one, X, Y, rho2, rho2 * rho2])
    q = _fit(A4, w, weights)
    res4 = float(np.sum(wt * (w - A4 @ q) ** 2))
    a, b = q[3], q[4]
    turn = -a / (2 * b) if b != 0 else -1.0  # r^2 where the radial slope a + 2 b r^2 vanishes
    if res4 < 0.5 * res2 and 0.09 < turn < 1.69 and _ring_depth(rho2, r1, wt, a > 0) >= MW_DEPTH:
        return ("W" if a < 0 else "M"), (float(k[0]), float(k[1])), mean
    big, small = max(abs(k[0]), abs(k[1])), min(abs(k[0]), abs(k[1]))
    if small < 0.25 * big:
        shape = "cylindrical"
    elif k[0] * k[1] < 0:
        shape = "saddle"
    else:
        shape = "bowl"
    return shape, (float(k[0]), float(k[1])), mean


def surface_samples(
    mesh: Any, space: Any, facets: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """The nodes of a surface and a quadrature over its area in the x-y plane.

    Returns (nodes (k,): the surface's nodes of ``space`` (P2 mid-edge nodes included),
    Q (n_f * 6, k): the map from their nodal values to the values at 6 points of every
    facet (the facet's own P1 or P2 interpolation), weights (n_f * 6,) [m^2]: the
    points' share of the facet's area projected on the x-y plane (what a measurement
    looking along z sees; the true area where the surface has no projected area)).
    A degree-4 rule (Dunavant 1985): exact for the least-squares plane and quadratic of
    a P2 field. ``space`` needs only ``nodes`` and ``boundary_nodes(facets)``.
    """
    from scipy.spatial import cKDTree

    dofs = np.asarray(space.boundary_nodes(facets), dtype=np.int64)
    tri = mesh.p1.facets[:, facets].T  # (n_f, 3) vertices, the first nodes of a space
    p = mesh.p1.p.T
    d = np.cross(p[tri[:, 1]] - p[tri[:, 0]], p[tri[:, 2]] - p[tri[:, 0]])
    area = 0.5 * np.abs(d[:, 2])
    if not area.sum() > 0:
        area = 0.5 * np.linalg.norm(d, axis=1)
    L = _TRI_BARY  # (6 points, 3 barycentric)
    order = np.argsort(dofs)
    n_f = len(tri)
    rows = np.repeat(np.arange(n_f * 6), 3)
    if space.nodes.shape[0] > p.shape[0]:  # P2: the mid-edge nodes of every facet edge
        nodes = space.nodes[dofs]
        pairs = np.array([(0, 1), (1, 2), (0, 2)])
        mids = 0.5 * (p[tri[:, pairs[:, 0]]] + p[tri[:, pairs[:, 1]]])  # (n_f, 3, 3)
        scale = max(float(np.ptp(nodes, axis=0).max()), 1e-300)
        dist, idx = cKDTree(nodes).query(mids.reshape(-1, 3))
        if np.any(dist > 1e-9 * scale):
            raise InputError("surface", "facets", "a P2 surface with a node at every edge middle")
        edge = dofs[idx].reshape(n_f, 3)
        # P2 shape functions on the triangle: L_i (2 L_i - 1) and 4 L_i L_j
        Nv = L * (2 * L - 1)  # (6, 3)
        Ne = 4 * np.column_stack([L[:, i] * L[:, j] for i, j in pairs])  # (6, 3)
        cols = np.concatenate([tri, edge], axis=1)  # (n_f, 6)
        vals = np.broadcast_to(np.concatenate([Nv, Ne], axis=1), (n_f, 6, 6))
        rows = np.repeat(np.arange(n_f * 6), 6)
    else:
        cols = tri
        vals = np.broadcast_to(L, (n_f, 6, 3))
    c = np.repeat(cols, 6, axis=0).reshape(n_f, 6, -1)
    ci = order[np.searchsorted(dofs[order], c.ravel())]
    Q = sp.csr_matrix((vals.ravel(), (rows, ci)), shape=(n_f * 6, len(dofs)))
    weights = (area[:, None] * _TRI_WEIGHTS[None, :]).ravel()
    return dofs, Q, weights


def warpage(mesh: Any, space: Any, u: NDArray[np.float64], surface: str) -> Warpage:
    """Warpage of the named boundary of ``mesh`` under nodal displacements ``u`` (n, 3).

    The out-of-plane displacement ``u_z`` of the surface is fitted by least squares over
    its area (:func:`surface_samples`: a quadrature of each facet's interpolation, P2
    mid-edge nodes included), so that an uneven mesh weighs every part of the surface by
    its area, as the uniform grid of a shadow-moire or confocal measurement does (a
    fit to the nodes tilts towards the finely meshed side: 31 % too much peak-to-valley
    on a dome meshed 8 times finer at one edge). The peak-to-valley is taken over the
    nodes and the quadrature points; see :class:`Warpage` for the sign convention.
    """
    facets = _surface(mesh, surface)
    dofs, Q, aw = surface_samples(mesh, space, facets)
    xyz = space.nodes[dofs]
    wn = u[dofs, 2]
    xq, yq = Q @ xyz[:, 0], Q @ xyz[:, 1]
    wq = Q @ wn
    # the nodes (weight 0: they only fix the extent) and the quadrature points
    x = np.concatenate([xyz[:, 0], xq])
    y = np.concatenate([xyz[:, 1], yq])
    w = np.concatenate([wn, wq])
    weights = np.concatenate([np.zeros(len(dofs)), aw])
    A1 = np.column_stack([np.ones_like(x), x, y])
    r = w - A1 @ _fit(A1, w, weights)
    ptv = float(r.max() - r.min())
    A2 = np.column_stack([np.ones_like(x), x, y, x * x, x * y, y * y])
    c = _fit(A2, w, weights)
    cx, cy = 0.5 * (x.min() + x.max()), 0.5 * (y.min() + y.max())

    def q(px: float, py: float) -> float:
        return float(c[3] * px * px + c[4] * px * py + c[5] * py * py + c[1] * px + c[2] * py)

    corners = np.mean([q(a, b) for a in (x.min(), x.max()) for b in (y.min(), y.max())])
    sign = 1.0 if q(cx, cy) > corners else -1.0
    shape, kappa, mean = warpage_shape(x, y, w, weights)
    return Warpage(ptv, sign * ptv, mean, coplanarity(mesh, facets, u), kappa, shape)


def seating_plane(tips: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The JEDEC seating plane of terminal tips (n, 3) [m] and each tip's height above it.

    The package, terminals down on a flat plate, rests on the three lowest tips whose
    triangle holds its centre (taken as the centroid of the tips in x, y): that is the
    plane ``z = a + b x + c y`` below every tip that is highest at the centroid, a small
    linear programme; of several such planes (a symmetric package), the least tilted.
    Returns ((a, b, c), heights (n,) >= 0) [m].
    """
    from scipy.optimize import linprog

    p = np.asarray(tips, dtype=float)
    if p.ndim != 2 or p.shape[1] != 3 or len(p) < 3:
        raise InputError("tips", np.shape(p), "at least three points (n, 3)")
    xc = p[:, :2].mean(axis=0)
    L = max(float(np.ptp(p[:, :2], axis=0).max()), 1e-300)
    X = (p[:, :2] - xc) / L
    z0 = p[:, 2].min()
    S = max(float(np.ptp(p[:, 2])), 1e-300)
    Z = (p[:, 2] - z0) / S  # heights in [0, 1]: well-scaled unknowns for the solver
    n = len(p)
    res = linprog(
        c=[-1.0, 0.0, 0.0],  # maximise the plane's height at the centroid (X = 0)
        A_ub=np.column_stack([np.ones(n), X]),
        b_ub=Z,
        bounds=[(None, None)] * 3,
        method="highs",
    )
    if res.status != 0 or S <= 1e-300:  # on a line, or all level: untilted, lowest tip
        coef = np.array([0.0, 0.0, 0.0])
    else:
        coef = np.asarray(res.x)
        # Where several planes are equally high at the centre (a symmetric package: three
        # of four equal corners, or of a ring of equal balls), the LP's pick depended on
        # rounding; of those planes take the least tilted (|b| + |c| least), so that the
        # coplanarity is a continuous function of the tips (variables a, b, c, |b|, |c|).
        A2 = np.zeros((n + 5, 5))
        A2[:n, :3] = np.column_stack([np.ones(n), X])
        A2[n] = [-1.0, 0.0, 0.0, 0.0, 0.0]  # a >= a_opt - 1e-9
        A2[n + 1 : n + 3, 1] = [1.0, -1.0]  # +-b <= |b|
        A2[n + 1 : n + 3, 3] = -1.0
        A2[n + 3 : n + 5, 2] = [1.0, -1.0]  # +-c <= |c|
        A2[n + 3 : n + 5, 4] = -1.0
        b2 = np.concatenate([Z, [1e-9 - coef[0], 0.0, 0.0, 0.0, 0.0]])
        level = linprog(
            c=[0.0, 0.0, 0.0, 1.0, 1.0],
            A_ub=A2,
            b_ub=b2,
            bounds=[(None, None)] * 3 + [(0, None)] * 2,
            method="highs",
            options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
        )
        if level.status == 0:
            coef = np.asarray(level.x[:3])
    coef = coef * S  # a [m], b and c [m per L]
    heights = p[:, 2] - z0 - (coef[0] + X @ coef[1:])
    plane = np.array(
        [coef[0] + z0 - (coef[1] * xc[0] + coef[2] * xc[1]) / L, coef[1] / L, coef[2] / L]
    )
    return plane, np.maximum(heights, 0.0)


def coplanarity(mesh: Any, facets: NDArray[np.int64], u: NDArray[np.float64]) -> float:
    """JEDEC coplanarity [m] of the terminal tips that ``facets`` form; 0 for a connected
    surface.

    Each separate patch of facets is one terminal; its tip is its lowest deformed point.
    Coplanarity is the largest distance of a tip from the seating plane (JESD22-B108:
    the plane of the three lowest tips the package rests on, :func:`seating_plane`).
    """
    from scipy.sparse.csgraph import connected_components

    v = mesh.p1.facets[:, facets]
    nf = v.shape[1]
    if nf < 2:
        return 0.0
    # facets sharing a vertex belong to the same patch
    rows = np.repeat(np.arange(nf), 3)
    g = sp.coo_matrix((np.ones(3 * nf), (rows, v.T.ravel())), shape=(nf, mesh.p1.p.shape[1]))
    g = g.tocsr()
    n_comp, labels = connected_components(g @ g.T, directed=False)
    if n_comp < 2:
        return 0.0
    nv = mesh.p1.p.shape[1]
    x = mesh.p1.p.T + u[:nv]
    tips = []
    for k in range(n_comp):
        vk = np.unique(v[:, labels == k])
        tips.append(x[vk[np.argmin(x[vk, 2])]])
    if n_comp < 3:
        return float(max(t[2] for t in tips) - min(t[2] for t in tips))
    return float(seating_plane(np.array(tips))[1].max())


# -- stress recovery ----------------------------------------------------------------------


def vertex_values(space: Any, q_values: NDArray[np.float64]) -> NDArray[np.float64]:
    """A field known at the quadrature points of ``space`` (n_el, n_q, k), fitted by the
    linear field through them and evaluated at the four vertices: (n_el, 4, k).

    Exact for a field linear in the element (the stress of a P2 element under a uniform
    temperature); with one quadrature point (P1) the element value is repeated.
    """
    fit = _vertex_fit(space)
    return np.einsum("vq,eqk->evk", fit, q_values)


def _vertex_fit(space: Any) -> NDArray[np.float64]:
    """(4, n_q): the vertex values of the linear least-squares fit of n_q point values."""
    X = np.asarray(space.basis.X)  # (3, n_q) reference coordinates
    n_q = X.shape[1]
    if n_q == 1:
        return np.ones((4, 1))
    bary = np.vstack([1.0 - X.sum(axis=0), X]).T  # (n_q, 4)
    return np.linalg.pinv(bary)  # exact when n_q == 4


def recovery_operator(
    mesh: Any, space: Any, region: str
) -> tuple[NDArray[np.int64], sp.csr_matrix]:
    """The linear map from the quadrature-point values of a region's elements to its
    recovered vertex values: (vertices (k,), R (k, n_el_region * n_q)), cached on the mesh.

    ``R[i, e n_q + q]`` is the weight of quadrature point q of the region's e-th element
    in vertex i: the element's linear fit at the vertex times its volume share.
    """
    cache = mesh.info.recovery
    key = (region, int(space.n_q))
    if key in cache:
        return cache[key]
    elements = mesh.regions[region]
    fit = _vertex_fit(space)  # (4, n_q)
    n_q = fit.shape[1]
    m = len(elements)
    t = mesh.p1.t.T[elements]  # (m, 4)
    w = mesh.element_volumes()[elements]
    cols = np.broadcast_to(
        (np.arange(m) * n_q)[:, None, None] + np.arange(n_q)[None, None, :], (m, 4, n_q)
    ).ravel()
    vals = (w[:, None, None] * fit[None]).ravel()
    verts, local = np.unique(t, return_inverse=True)
    rows = local.reshape(t.shape)[:, :, None].repeat(n_q, axis=2).ravel()
    R = sp.csr_matrix((vals, (rows, cols)), shape=(len(verts), m * n_q))
    wsum = np.bincount(local.ravel(), np.repeat(w, 4), minlength=len(verts))
    R = (sp.diags(1.0 / wsum) @ R).tocsr()
    cache[key] = (verts, R)
    return verts, R


@dataclass(frozen=True)
class Extreme:
    """The largest value of a recovered quantity in a region and where it is.

    ``value`` in the quantity's unit (Pa for stresses), ``location`` (3,) m, ``region``
    the region (or interface) name.
    """

    value: float
    location: NDArray[np.float64]
    region: str

    def where_mm(self) -> str:
        """The location as text, ``"(x, y, z) mm"`` with three decimals."""
        x, y, z = (float(v) * 1e3 for v in self.location)
        return f"({x:.3f}, {y:.3f}, {z:.3f}) mm"


@dataclass(frozen=True)
class SurfaceStress:
    """Recovered stress on a surface: at each vertex of each facet, from the region on
    the chosen side. ``points`` (n_f, 3, 3) m, ``stress`` (n_f, 3, 6) Pa Voigt."""

    points: NDArray[np.float64]
    stress: NDArray[np.float64]

    @property
    def von_mises(self) -> NDArray[np.float64]:
        """Von Mises stress (n_f, 3), Pa."""
        return von_mises(self.stress)


#: Quantities of a Voigt stress (..., 6) that :meth:`RecoveredStress.extreme` maximises.
QUANTITIES = {
    "von_mises": von_mises,
    "principal_max": lambda s: principal(s)[..., -1],
    "principal_min_abs": lambda s: -principal(s)[..., 0],
}


@dataclass
class RecoveredStress:
    """Nodal stresses recovered per region (see the module docstring).

    ``values`` maps each region to (its vertices (k,), their Voigt stress (k, 6) Pa);
    a vertex on an interface has one value per region that touches it.
    """

    mesh: Any
    space: Any
    values: dict[str, tuple[NDArray[np.int64], NDArray[np.float64]]]
    cache: dict = field(default_factory=dict, repr=False)

    def region(self, name: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """(vertices, stress (k, 6)) of region ``name``."""
        if name not in self.values:
            raise InputError("region", name, f"one of {', '.join(self.values)}")
        return self.values[name]

    def vertex_field(self, name: str) -> NDArray[np.float64]:
        """The region's stress at every mesh vertex, (n_vertices, 6), NaN outside it."""
        verts, vals = self.region(name)
        out = np.full((self.mesh.p1.p.shape[1], 6), np.nan)
        out[verts] = vals
        return out

    def extreme(self, region: str, quantity: str = "von_mises") -> Extreme:
        """Largest recovered ``quantity`` in ``region`` (``von_mises``, ``principal_max``:
        the first principal stress, or ``principal_min_abs``: the magnitude of the most
        compressive one) with its vertex; Pa."""
        if quantity not in QUANTITIES:
            raise InputError("quantity", quantity, f"one of {', '.join(QUANTITIES)}")
        verts, vals = self.region(region)
        q = QUANTITIES[quantity](vals)
        i = int(np.argmax(q))
        return Extreme(float(q[i]), self.mesh.p1.p[:, verts[i]].copy(), region)

    def at(self, points: ArrayLike) -> NDArray[np.float64]:
        """Voigt stress (n, 6) at points (n, 3), interpolated linearly in the element that
        holds each point from its region's recovered vertex values."""
        from ..fe.probes import locate

        loc = locate(self.mesh, points)
        rid = self.mesh.region_of_elements()
        names = list(self.mesh.regions)
        t = self.mesh.p1.t.T
        out = np.zeros((len(loc.elements), 6))
        bary = np.vstack([1 - loc.X.sum(axis=0), loc.X])  # (4, n)
        for r in np.unique(rid[loc.elements]):
            field_r = self.vertex_field(names[r])
            sel = rid[loc.elements] == r
            vals = field_r[t[loc.elements[sel]]]  # (m, 4, 6)
            out[sel] = np.einsum("cm,mcv->mv", bary[:, sel], vals)
        return out

    def surface(self, boundary: str, region: str | None = None) -> SurfaceStress:
        """Recovered stress on the facets of ``boundary``, from the region of the element
        on each facet (``region`` chooses the side of an internal boundary)."""
        facets = _surface(self.mesh, boundary)
        e = self.mesh.p1.f2t[:, facets]
        names = list(self.mesh.regions)
        rid = self.mesh.region_of_elements()
        side = rid[e[0]].copy()
        if region is not None:
            if region not in self.values:
                raise InputError("region", region, f"one of {', '.join(self.values)}")
            r = names.index(region)
            other = np.where(e[1] >= 0, rid[np.maximum(e[1], 0)], -1)
            if not np.all((side == r) | (other == r)):
                raise InputError("region", region, f"a region on every facet of {boundary}")
            side[:] = r
        tri = self.mesh.p1.facets[:, facets].T
        stress = np.empty(tri.shape + (6,))
        for r in np.unique(side):
            sel = side == r
            stress[sel] = self.vertex_field(names[r])[tri[sel]]
        return SurfaceStress(self.mesh.p1.p.T[tri], stress)

    def nodal(self) -> NDArray[np.float64]:
        """One Voigt stress per node of ``space`` (n_nodes, 6) for display: each
        region's recovered field interpolated linearly to its elements' nodes; a node
        shared by several regions shows the value with the largest von Mises stress."""
        if "nodal" in self.cache:
            return self.cache["nodal"]
        dofs = self.space.dofs
        n = self.space.n
        pairs = _edge_vertex_pairs(self.space)  # (n_el, nb - 4, 2)
        out = np.zeros((n, 6))
        best = np.full(n, -np.inf)
        for name in self.values:
            e = self.mesh.regions[name]
            vf = self.vertex_field(name)
            t = self.mesh.p1.t.T[e]
            vals = [vf[t]]  # (m, 4, 6)
            if pairs.shape[1]:
                p = pairs[e]
                vals.append(
                    0.5
                    * (
                        vf[t[np.arange(len(e))[:, None], p[..., 0]]]
                        + vf[t[np.arange(len(e))[:, None], p[..., 1]]]
                    )
                )
            node_vals = np.concatenate(vals, axis=1).reshape(-1, 6)
            nodes, first = np.unique(dofs[e].ravel(), return_index=True)
            node_vals = node_vals[first]
            vm = von_mises(node_vals)
            upd = vm > best[nodes]
            out[nodes[upd]] = node_vals[upd]
            best[nodes[upd]] = vm[upd]
        self.cache["nodal"] = out
        return out


def _edge_vertex_pairs(space: Any) -> NDArray[np.int64]:
    """For each element, the two local vertices (0-3) of each edge node: (n_el, nb - 4, 2),
    matched geometrically (the edge node is the midpoint of its vertices)."""
    dofs = space.dofs
    nb = dofs.shape[1]
    if nb == 4:
        return np.zeros((dofs.shape[0], 0, 2), dtype=np.int64)
    cache = space.mesh.info.recovery
    if "edge_pairs" in cache:
        return cache["edge_pairs"]
    x = space.nodes
    combos = np.array([(0, 1), (1, 2), (0, 2), (0, 3), (1, 3), (2, 3)])
    mids = 0.5 * (x[dofs[:, combos[:, 0]]] + x[dofs[:, combos[:, 1]]])  # (n_el, 6, 3)
    edge = x[dofs[:, 4:]]  # (n_el, 6, 3)
    d = np.linalg.norm(edge[:, :, None, :] - mids[:, None, :, :], axis=3)
    cache["edge_pairs"] = combos[np.argmin(d, axis=2)]
    return cache["edge_pairs"]


def recover_stress(
    mesh: Any, space: Any, stress_q: NDArray[np.float64], regions: list[str] | None = None
) -> RecoveredStress:
    """Recover nodal stresses per region from quadrature-point stresses (n_el, n_q, 6) Pa;
    see the module docstring. ``regions``: those to recover (default all)."""
    names = list(mesh.regions) if regions is None else list(regions)
    values = {}
    for name in names:
        verts, R = recovery_operator(mesh, space, name)
        q = stress_q[mesh.regions[name]].reshape(-1, stress_q.shape[-1])
        values[name] = (verts, np.asarray(R @ q))
    return RecoveredStress(mesh, space, values)


# -- interfaces -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InterfaceStress:
    """Peel and shear on an interface ``a|b`` from the recovered stresses of both sides.

    At each facet vertex the traction is ``t = (sigma_a + sigma_b) / 2 . n`` with the
    unit normal ``n`` from region ``a`` into ``b``; peel is ``t . n`` (positive opens the
    interface), shear ``|t - (t . n) n|``.

    Attributes
    ----------
    points
        Facet vertices (n_f, 3, 3), m.
    area
        Facet areas (n_f,), m^2.
    normal
        Unit normals from the first region of the name into the second (n_f, 3).
    traction
        Traction vectors at the facet vertices (n_f, 3, 3), Pa.
    edge_distance
        Distance of each facet's centroid from the interface's boundary curve (a free
        edge, or a junction with a third material) (n_f,), m; inf for a closed interface.
    """

    name: str
    points: NDArray[np.float64]
    area: NDArray[np.float64]
    normal: NDArray[np.float64]
    traction: NDArray[np.float64]
    edge_distance: NDArray[np.float64]

    @property
    def peel(self) -> NDArray[np.float64]:
        """Normal traction at the facet vertices (n_f, 3), Pa; positive = tension."""
        return np.einsum("fva,fa->fv", self.traction, self.normal)

    @property
    def shear(self) -> NDArray[np.float64]:
        """Magnitude of the in-plane traction at the facet vertices (n_f, 3), Pa."""
        tn = self.peel[..., None] * self.normal[:, None, :]
        return np.linalg.norm(self.traction - tn, axis=-1)

    def maximum(self, kind: str = "peel") -> Extreme:
        """Largest peel (tension) or shear over the facet vertices, with its location.

        At a free edge or material junction the elastic stress is singular: this raw
        maximum grows with mesh refinement (see :meth:`band_mean`).
        """
        v = self._kind(kind)
        i = np.unravel_index(int(np.argmax(v)), v.shape)
        return Extreme(float(v[i]), self.points[i].copy(), self.name)

    def band(self, distance: float) -> NDArray[np.bool_]:
        """Facets in the band at ``distance`` [m] from the interface's edges: centroids at
        ``distance`` to ``2 distance``, widened to the next ring of facets where the mesh
        is coarser than the band."""
        d = self.edge_distance
        beyond = d[d >= distance]
        if len(beyond) == 0:
            return np.zeros(len(d), dtype=bool)
        size = float(np.sqrt(np.median(self.area) * 2.0))
        upper = max(2.0 * distance, float(beyond.min()) + size)
        return (d >= distance) & (d <= upper)

    def band_mean(self, kind: str = "peel", distance: float = 1e-4) -> float:
        """Area-weighted mean peel or shear [Pa] over :meth:`band` -- the stress at a
        distance from the singular edges, which converges with refinement; NaN when no
        facet is that far from the edges."""
        sel = self.band(distance)
        if not sel.any():
            return float("nan")
        v = self._kind(kind)[sel].mean(axis=1)
        return float(np.sum(v * self.area[sel]) / np.sum(self.area[sel]))

    def _kind(self, kind: str) -> NDArray[np.float64]:
        if kind == "peel":
            return self.peel
        if kind == "shear":
            return self.shear
        raise InputError("kind", kind, "'peel' or 'shear'")


def _interface_regions(mesh: Any, name: str) -> tuple[str, str]:
    if name not in mesh.boundaries:
        raise InputError("interface", name, f"one of {', '.join(sorted(mesh.boundaries))}")
    a, sep, b = name.partition("|")
    if not sep or a not in mesh.regions or b not in mesh.regions:
        raise InputError("interface", name, "an interface 'a|b' between two regions")
    return a, b


def _facet_geometry(
    mesh: Any, facets: NDArray[np.int64], region_a: str
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """(vertices (n_f, 3), areas, unit normals out of ``region_a``, element on a's side)."""
    p = mesh.p1.p.T
    tri = mesh.p1.facets[:, facets].T
    n = np.cross(p[tri[:, 1]] - p[tri[:, 0]], p[tri[:, 2]] - p[tri[:, 0]])
    norm = np.linalg.norm(n, axis=1)
    n /= norm[:, None]
    e = mesh.p1.f2t[:, facets]
    rid = mesh.region_of_elements()
    ra = list(mesh.regions).index(region_a)
    e_a = np.where(rid[e[0]] == ra, e[0], e[1])
    centre = p[mesh.p1.t[:, e_a].T].mean(axis=1)
    flip = np.einsum("fa,fa->f", p[tri].mean(axis=1) - centre, n) < 0
    n[flip] *= -1
    return tri, 0.5 * norm, n, e_a


def _edge_distance(
    mesh: Any, tri: NDArray[np.int64], symmetry: tuple[str, ...] = ()
) -> NDArray[np.float64]:
    """Distance of each facet centroid from the boundary curve of the facet set, leaving
    out the parts of the curve on the ``symmetry`` boundaries."""
    from scipy.spatial import cKDTree

    edges = np.sort(tri[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    uniq, count = np.unique(edges, axis=0, return_counts=True)
    border = uniq[count == 1]
    for name in symmetry:
        on = np.zeros(mesh.p1.p.shape[1], dtype=bool)
        on[mesh.p1.facets[:, _surface(mesh, name)].ravel()] = True
        border = border[~(on[border[:, 0]] & on[border[:, 1]])]
    p = mesh.p1.p.T
    centroid = p[tri].mean(axis=1)
    if len(border) == 0:
        return np.full(len(tri), np.inf)
    s = np.linspace(0.0, 1.0, 9)[:, None, None]
    samples = ((1 - s) * p[border[:, 0]] + s * p[border[:, 1]]).reshape(-1, 3)
    return cKDTree(samples).query(centroid)[0]


def interface_stress(
    recovered: RecoveredStress, name: str, symmetry: tuple[str, ...] = ()
) -> InterfaceStress:
    """Peel and shear on the interface ``name`` (``a|b``) of the recovered stresses.

    ``symmetry``: boundaries that are symmetry planes (or otherwise not edges of the
    real part); where the interface ends on them is not an edge for
    :attr:`InterfaceStress.edge_distance`.
    """
    mesh = recovered.mesh
    a, b = _interface_regions(mesh, name)
    cache = mesh.info.interfaces
    key = (name, tuple(symmetry))
    if key not in cache:
        tri, area, n, _ = _facet_geometry(mesh, mesh.boundaries[name], a)
        cache[key] = (tri, area, n, _edge_distance(mesh, tri, tuple(symmetry)))
    tri, area, n, dist = cache[key]
    sig = 0.5 * (tensor(recovered.vertex_field(a)[tri]) + tensor(recovered.vertex_field(b)[tri]))
    traction = np.einsum("fvab,fb->fva", sig, n)
    return InterfaceStress(name, mesh.p1.p.T[tri], area, n, traction, dist)


# -- yield -----------------------------------------------------------------------------------


def _percent(fraction: float) -> str:
    """A fraction as a percentage of two significant digits, never in exponent notation
    (100, 11, 6.5, 0.19; ``:.2g`` wrote 100 as 1e+02)."""
    return np.format_float_positional(100.0 * fraction, precision=2, fractional=False, trim="-")


@dataclass(frozen=True)
class YieldExceedance:
    """A region whose recovered von Mises stress passes its material's 0.2 % proof stress.

    ``von_mises`` and ``yield_strength`` Pa, ``location`` (3,) m of the largest excess,
    ``fraction`` of the region's vertices above yield. ``solder``: the material has a
    solidus (a solder, which creeps at these stresses): the message then points to the
    viscoplastic joints of ``[cycling]`` instead of a ``plasticity`` table.
    """

    region: str
    material: str
    von_mises: float
    yield_strength: float
    location: NDArray[np.float64]
    fraction: float
    solder: bool = False

    def message(self) -> str:
        """The note of the study table: where, how far and what to do about it."""
        x, y, z = (float(v) * 1e3 for v in self.location)
        text = (
            f"{self.region} ({self.material}): von Mises {self.von_mises / 1e6:.0f} MPa "
            f"passes the 0.2 % proof stress {self.yield_strength / 1e6:.0f} MPa at "
            f"({x:.3f}, {y:.3f}, {z:.3f}) mm ({_percent(self.fraction)} % of its nodes); "
        )
        if self.solder:
            return text + (
                "a solder creeps at these stresses, so its elastic ratio is an indicator: "
                "its strains and life come from a [cycling] analysis with viscoplastic "
                "joints (docs/reliability.md)"
            )
        if self.fraction <= 0.05:
            return text + "local plastic deformation, the elastic peak overestimates the stress"
        return text + (
            "yielding is not local: its elastic stresses, and the warpage they drive, need "
            "an elastic-plastic analysis: give the region a material with a plasticity "
            f'table ([materials.library.<name>] base = "{self.material}", plasticity = '
            "{ hardening_MPa = ... }, see docs/inelastic.md, Plasticity in a study)"
        )


@dataclass(frozen=True)
class MoltenRegion:
    """A region whose material is above its solidus at some of its vertices.

    ``solidus`` and ``temperature_max`` degC, ``fraction`` of the region's vertices above
    the solidus, ``von_mises`` Pa the largest elastic von Mises stress over them.
    """

    region: str
    material: str
    solidus: float
    temperature_max: float
    fraction: float
    von_mises: float

    def message(self) -> str:
        return (
            f"{self.region} ({self.material}) is above its {self.solidus:g} degC solidus "
            f"(up to {self.temperature_max:.4g} degC, {_percent(self.fraction)} % of its "
            "nodes): molten there, so its elastic stresses (von Mises up to "
            f"{self.von_mises / 1e6:.0f} MPa) are not a solid's and are not checked against "
            "its proof stress"
        )


def molten_check(
    recovered: RecoveredStress,
    materials: dict[str, Any],
    temperature: NDArray[np.float64] | float | None = None,
) -> list[MoltenRegion]:
    """Regions whose material has a ``solidus`` below the vertex temperature [degC] (a
    nodal field, a float, or 25 degC for None) somewhere: a solder at a reflow peak.
    Materials without a solidus are skipped."""
    out = []
    for region, (verts, vals) in recovered.values.items():
        m = materials.get(region)
        solidus = None if m is None else getattr(m, "solidus", None)
        if solidus is None:
            continue
        T = _vertex_temperature(verts, temperature)
        hot = T > solidus
        if hot.any():
            vm = von_mises(vals)[hot]
            out.append(
                MoltenRegion(
                    region,
                    m.name,
                    float(solidus),
                    float(T.max()),
                    float(hot.mean()),
                    float(vm.max()),
                )
            )
    return out


class MoltenWarning(UserWarning):
    """A solder (a material with a ``solidus``) is above its solidus at a state."""


class YieldWarning(UserWarning):
    """The recovered von Mises stress of a metal passes its 0.2 % proof stress."""


def _vertex_temperature(
    verts: NDArray[np.int64], temperature: NDArray[np.float64] | float | None
) -> NDArray[np.float64]:
    """The temperature [degC] at ``verts`` (nodal field, a float, or 25 degC for None)."""
    T = np.asarray(25.0 if temperature is None else temperature, dtype=float)
    return np.full(len(verts), float(T)) if T.ndim == 0 else T[verts]  # vertices come first


def _yield_fields(
    recovered: RecoveredStress,
    materials: dict[str, Any],
    temperature: NDArray[np.float64] | float | None,
) -> Iterator[tuple[str, Any, NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]]:
    """(region, material, vertices, von Mises, proof stress) of each region whose material
    has a yield strength, at the vertex temperature (25 degC without one); the vertices
    above the material's ``solidus`` (molten) are left out, and a region molten at every
    vertex with them."""
    for region, (verts, vals) in recovered.values.items():
        m = materials.get(region)
        if m is None or getattr(m, "yield_strength", None) is None:
            continue
        T = _vertex_temperature(verts, temperature)
        vm = von_mises(vals)
        solidus = getattr(m, "solidus", None)
        if solidus is not None:
            solid = T <= solidus
            if not solid.any():
                continue
            verts, vm, T = verts[solid], vm[solid], T[solid]
        yield region, m, verts, vm, m.yield_at(T)


def yield_ratios(
    recovered: RecoveredStress,
    materials: dict[str, Any],
    temperature: NDArray[np.float64] | float | None = None,
) -> dict[str, Extreme]:
    """Largest recovered von Mises stress over the 0.2 % proof stress, per region whose
    material has a ``yield_strength`` (evaluated at the vertex temperature when
    ``temperature`` is nodal [degC] or a float, else at 25 degC): region -> Extreme
    (value: the ratio, location: where it is largest)."""
    out = {}
    for region, _, verts, vm, sy in _yield_fields(recovered, materials, temperature):
        i = int(np.argmax(vm / sy))
        p = recovered.mesh.p1.p[:, verts[i]].copy()
        out[region] = Extreme(float(vm[i] / sy[i]), p, region)
    return out


def yield_check(
    recovered: RecoveredStress,
    materials: dict[str, Any],
    temperature: NDArray[np.float64] | float | None = None,
) -> list[YieldExceedance]:
    """Regions where the recovered von Mises stress passes the material's
    ``yield_strength`` (see :func:`yield_ratios`). Materials without one are skipped."""
    out = []
    for region, m, verts, vm, sy in _yield_fields(recovered, materials, temperature):
        over = vm > sy
        if over.any():
            i = int(np.argmax(vm / sy))
            p = recovered.mesh.p1.p[:, verts[i]].copy()
            # the share of all the region's vertices (the molten ones left out above count)
            share = float(over.sum()) / len(recovered.values[region][0])
            solder = getattr(m, "solidus", None) is not None
            out.append(
                YieldExceedance(region, m.name, float(vm[i]), float(sy[i]), p, share, solder)
            )
    return out
