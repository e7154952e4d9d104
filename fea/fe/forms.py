"""Weak forms on P1/P2 tetrahedra: diffusion, mass, sources, Robin terms, elasticity,
eigenstrain and stress loads.

Element matrices are built with one ``einsum`` per block of elements from the bases of a
:class:`~fea.fe.spaces.FieldSpace` and scattered through its cached pattern. Material
parameters enter as plain arrays per element (the physics layer turns materials and
temperatures into them). The elasticity kernel takes an array namespace ``xp``
(``numpy`` or ``cupy``) so the same code assembles on the host and on the device.
Vector unknowns are interleaved, ``3 * node + component``; Voigt order is
(xx, yy, zz, yz, xz, xy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .spaces import PAIRS, FieldSpace, accumulate_blocks, finish_blocks, scatter_scalar

__all__ = [
    "FacetOperator",
    "at_quadrature",
    "conduction_matrix",
    "eigenstrain_load",
    "elasticity_blocks",
    "elasticity_matrix",
    "facet_load",
    "facet_mass",
    "facet_operator",
    "mass_matrix",
    "source_vector",
    "strain_at_quadrature",
    "stress_load",
]

_CHUNK = 20_000  # elements per einsum block: bounds the temporary memory
_CHUNK_VECTOR = 500  # vector kernels: blocks that stay in cache while combined
_SLAB = 50_000  # elements whose vector element matrices are held at once (0.24 GB at P2)


# -- conduction --------------------------------------------------------------------------


def conduction_matrix(fs: FieldSpace, k: NDArray[np.float64], xp: Any = np) -> sp.csr_matrix:
    """Stiffness of ``-div(k grad T)``: ``K_ij = int k grad(phi_i) . grad(phi_j)``.

    Parameters
    ----------
    k
        Conductivity per element, shape (n_el,) (isotropic) or (n_el, 3) (diagonal
        tensor in x, y, z), W/(m K), on the host.
    xp
        ``numpy`` (SciPy result) or ``cupy`` (element kernels, scatter and the CSR result
        on the device).
    """
    a = fs.arrays(xp)
    G, dx = a.grads, a.dx
    k = np.asarray(k, dtype=float)
    kk = xp.asarray(np.repeat(k[:, None], 3, axis=1) if k.ndim == 1 else k)
    Ke = xp.empty((fs.dofs.shape[0], fs.nb, fs.nb))
    for s in range(0, Ke.shape[0], _CHUNK):
        e = slice(s, s + _CHUNK)
        Ke[e] = xp.einsum("ideq,jdeq,eq,ed->eij", G[:, :, e], G[:, :, e], dx[e], kk[e])
    return scatter_scalar(fs, Ke, xp)


def mass_matrix(fs: FieldSpace, c: NDArray[np.float64], xp: Any = np) -> sp.csr_matrix:
    """Capacity matrix ``M_ij = int c phi_i phi_j`` with ``c = rho cp`` per element, J/(m^3 K)."""
    b = fs.mass_basis
    V = fs.values(b)
    Ke = np.einsum("ieq,jeq,eq,e->eij", V, V, b.dx, np.asarray(c, float), optimize=True)
    return scatter_scalar(fs, Ke, xp)


def source_vector(fs: FieldSpace, q: NDArray[np.float64]) -> NDArray[np.float64]:
    """Load of a volumetric source ``q`` per element [W/m^3]: ``f_i = int q phi_i``, shape (n,)."""
    b = fs.mass_basis
    fe = np.einsum("ieq,eq,e->ei", fs.values(b), b.dx, np.asarray(q, float))
    return np.bincount(fs.dofs.ravel(), weights=fe.ravel(), minlength=fs.n)


def _facet_basis(fs: FieldSpace, facets: NDArray[np.int64]):
    from skfem import FacetBasis

    return FacetBasis(fs.mesh.p1, fs.basis.elem, facets=facets, intorder=2 * fs.order)


def _per_facet(value: float | NDArray[np.float64], n: int) -> NDArray[np.float64]:
    v = np.asarray(value, dtype=float)
    return np.full(n, float(v)) if v.ndim == 0 else v


def facet_mass(
    fs: FieldSpace, facets: NDArray[np.int64], h: float | NDArray[np.float64]
) -> sp.csr_matrix:
    """Robin (convection) matrix ``int h phi_i phi_j`` [W/K] on boundary facets.

    ``h`` [W/(m^2 K)]: one value, or one per facet, shape (n_f,).
    """
    fb = _facet_basis(fs, facets)
    V = np.stack([np.asarray(fb.basis[i][0]) for i in range(fb.Nbfun)])
    hf = _per_facet(h, len(facets))
    Ke = np.einsum("ieq,jeq,eq,e->eij", V, V, fb.dx, hf)
    d = fb.element_dofs.T
    nb = d.shape[1]
    rows = np.repeat(d, nb, axis=1).ravel()
    cols = np.tile(d, (1, nb)).ravel()
    return sp.csr_matrix((Ke.ravel(), (rows, cols)), shape=(fs.n, fs.n))


def facet_load(
    fs: FieldSpace, facets: NDArray[np.int64], g: float | NDArray[np.float64]
) -> NDArray[np.float64]:
    """Boundary load ``int g phi_i`` on facets, shape (n,).

    ``g``: a flux [W/m^2] or ``h T_inf`` [W/m^2], one value or one per facet (n_f,).
    """
    fb = _facet_basis(fs, facets)
    V = np.stack([np.asarray(fb.basis[i][0]) for i in range(fb.Nbfun)])
    fe = np.einsum("ieq,eq,e->ei", V, fb.dx, _per_facet(g, len(facets)))
    return np.bincount(fb.element_dofs.T.ravel(), weights=fe.ravel(), minlength=fs.n)


@dataclass(frozen=True)
class FacetOperator:
    """Boundary integrals on a fixed set of facets, computed once, for Robin terms whose
    coefficient changes from one iteration to the next.

    Attributes
    ----------
    n
        Number of nodes of the space.
    dofs
        Facet -> its nodes, shape (n_f, nb_f).
    mass
        ``int_f phi_i phi_j`` per facet, shape (n_f, nb_f, nb_f), m^2.
    weights
        ``int_f phi_i`` per facet, shape (n_f, nb_f), m^2.
    area
        Facet areas, shape (n_f,), m^2.
    """

    n: int
    dofs: NDArray[np.int64]
    mass: NDArray[np.float64]
    weights: NDArray[np.float64]
    area: NDArray[np.float64]

    def matrix(self, h: float | NDArray[np.float64]) -> sp.csr_matrix:
        """``int h phi_i phi_j`` with ``h`` constant per facet (n_f,), (n, n) CSR, W/K."""
        Ke = self.mass * _per_facet(h, len(self.area))[:, None, None]
        nb = self.dofs.shape[1]
        rows = np.repeat(self.dofs, nb, axis=1).ravel()
        cols = np.tile(self.dofs, (1, nb)).ravel()
        return sp.csr_matrix((Ke.ravel(), (rows, cols)), shape=(self.n, self.n))

    def vector(self, g: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """``int g phi_i`` with ``g`` constant per facet (n_f,), shape (n,)."""
        fe = self.weights * _per_facet(g, len(self.area))[:, None]
        return np.bincount(self.dofs.ravel(), weights=fe.ravel(), minlength=self.n)

    def average(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """Area mean of the nodal field ``u`` (n,) over each facet, shape (n_f,)."""
        return np.einsum("fi,fi->f", self.weights, u[self.dofs]) / self.area


def facet_operator(fs: FieldSpace, facets: NDArray[np.int64]) -> FacetOperator:
    """The :class:`FacetOperator` of ``facets`` (indices of the mesh's facets)."""
    fb = _facet_basis(fs, np.asarray(facets, dtype=np.int64))
    V = np.stack([np.asarray(fb.basis[i][0]) for i in range(fb.Nbfun)])
    mass = np.einsum("ieq,jeq,eq->eij", V, V, fb.dx)
    weights = np.einsum("ieq,eq->ei", V, fb.dx)
    dofs = np.ascontiguousarray(fb.element_dofs.T.astype(np.int64))
    return FacetOperator(fs.n, dofs, mass, weights, fb.dx.sum(axis=1))


# -- elasticity -----------------------------------------------------------------------------


def elasticity_matrix(
    fs: FieldSpace,
    lam: NDArray[np.float64],
    mu: NDArray[np.float64],
    xp: Any = np,
    to_csr: bool = True,
) -> Any:
    """Isotropic elasticity stiffness, 3 x 3 blocks, unknowns ``3 * node + component``.

    .. math:: K_{(i a)(j b)} = \\int \\lambda\\, \\partial_a\\phi_i \\partial_b\\phi_j
              + \\mu\\, \\partial_b\\phi_i \\partial_a\\phi_j
              + \\mu\\, \\delta_{ab}\\, \\nabla\\phi_i \\cdot \\nabla\\phi_j

    Parameters
    ----------
    lam, mu
        Lamé parameters [Pa] per element, shape (n_el,) (from a constitutive law:
        :func:`fea.physics.constitutive.lame`, or a viscoelastic step's effective moduli).
    xp
        ``numpy`` (SciPy result) or ``cupy`` (element kernels, scatter and the CSR
        result on the device; cupyx CSR).
    to_csr
        CSR (default) or, NumPy only, 3 x 3 BSR.
    """
    nel = fs.dofs.shape[0]
    data = xp.zeros((9, fs.pattern.nnz))
    # element blocks are made and summed a slab of elements at a time: the (6, n_el, nb, nb)
    # array of a whole large mesh is never held
    G = fs.arrays(xp).grads
    for s in range(0, nel, _SLAB):
        e = slice(s, min(s + _SLAB, nel))
        accumulate_blocks(fs, elasticity_blocks(fs, lam, mu, xp, e, G), e, data, xp)
    return finish_blocks(fs, data, xp, to_csr)


def elasticity_blocks(
    fs: FieldSpace,
    lam: Any,
    mu: Any,
    xp: Any = np,
    elements: slice | None = None,
    grads: NDArray[np.float64] | None = None,
) -> Any:
    """Upper component blocks of the element matrices of :func:`elasticity_matrix`,
    shape (6, k, nb, nb), pairs (a, b) in the order of ``PAIRS``, for the contiguous
    range ``elements`` (default all)."""
    elements = elements or slice(0, fs.dofs.shape[0])
    lam = xp.asarray(lam, dtype=float)[elements]
    mu = xp.asarray(mu, dtype=float)[elements]
    G = xp.asarray((fs.grads() if grads is None else grads)[:, :, elements])
    dx = fs.arrays(xp).dx[elements]
    nel, nb = lam.shape[0], fs.dofs.shape[1]
    # S[a, b, e, i, j] = int d_a phi_i d_b phi_j; K_(ia)(jb) = lam S_ab + mu S_ba + mu tr(S)
    Ke = xp.empty((6, nel, nb, nb))
    opt = {"optimize": True} if xp is np else {}
    for s in range(0, nel, _CHUNK_VECTOR):
        e = slice(s, s + _CHUNK_VECTOR)
        S = xp.einsum("iaeq,jbeq,eq->abeij", G[:, :, e], G[:, :, e], dx[e], **opt)
        lam_e, mu_e = lam[e, None, None], mu[e, None, None]
        tr = (S[0, 0] + S[1, 1] + S[2, 2]) * mu_e
        for k, (i, j) in enumerate(PAIRS):
            out = Ke[k, e]
            xp.multiply(S[i, j], lam_e, out=out)
            out += mu_e * S[j, i]
            if i == j:
                out += tr
    return Ke


def eigenstrain_load(
    fs: FieldSpace, lam: Any, mu: Any, eps0: Any, xp: Any = np
) -> NDArray[np.float64]:
    """Load of an isotropic eigenstrain ``eps0 I`` (thermal + shrinkage) at quadrature points.

    ``f_(i a) = int (3 lambda + 2 mu) eps0 d(phi_i)/dx_a``; ``lam, mu`` (n_el,) [Pa],
    ``eps0`` shape (n_el, n_q). Returns shape (3 n,), in namespace ``xp`` (NumPy or CuPy).
    """
    a = fs.arrays(xp)
    bulk3 = 3 * xp.asarray(lam, dtype=float) + 2 * xp.asarray(mu, dtype=float)
    w = xp.asarray(eps0, dtype=float) * a.dx * bulk3[:, None]  # (n_el, n_q)
    fe = xp.einsum("iaeq,eq->eia", a.grads, w)
    idx = (3 * a.dofs[:, :, None] + xp.arange(3)).ravel()
    return xp.bincount(idx, weights=fe.ravel(), minlength=3 * fs.n)


_VOIGT = np.array([[0, 5, 4], [5, 1, 3], [4, 3, 2]])  # tensor (a, b) -> Voigt index


def stress_load(
    fs: FieldSpace,
    sigma: NDArray[np.float64],
    elements: NDArray[np.int64] | None = None,
    grads: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Load ``f_(i a) = int sigma_ab d(phi_i)/dx_b`` of a stress field at quadrature points.

    ``sigma`` shape (n_el, n_q, 6), Voigt [Pa]; with ``elements`` (indices, shape (k,))
    the stress of those elements only, shape (k, n_q, 6); ``grads``: their shape-function
    gradients (:meth:`FieldSpace.grads` of those elements) when the caller keeps them. A
    pre-stress ``sigma0`` (history stress of a viscoelastic step, stress locked in at an
    element's birth) enters the equilibrium ``int B^T (C eps - sigma0) = 0`` as
    ``+stress_load(fs, sigma0)``. Returns shape (3 n,).
    """
    dx, dofs = fs.basis.dx, fs.dofs
    if elements is not None:
        dx, dofs = dx[elements], dofs[elements]
    if grads is not None:
        G = grads
    else:
        G = fs.grads()
        G = G if elements is None else G[:, :, elements]
    S = np.asarray(sigma, float)[:, :, _VOIGT]  # (n_el, n_q, 3, 3)
    fe = np.einsum("ibeq,eqab,eq->eia", G, S, dx, optimize=True)
    idx = (3 * dofs[:, :, None] + np.arange(3)).ravel()
    return np.bincount(idx, weights=fe.ravel(), minlength=3 * fs.n)


def strain_operator(
    fs: FieldSpace, elements: NDArray[np.int64], grads: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """The strain-displacement operator ``B`` of ``elements`` (k,): Voigt strain with
    ENGINEERING shears (xx, yy, zz, yz, xz, xy) of the element's displacements
    ``u_(i a)`` (unknown ``3 i + a``), shape (k, n_q, 6, 3 nb) [1/m]."""
    G = fs.grads()[:, :, elements] if grads is None else grads  # (nb, 3, k, n_q)
    nb = G.shape[0]
    B = np.zeros((G.shape[2], G.shape[3], 6, nb, 3))
    g = np.moveaxis(G, (0, 1), (2, 3))  # (k, n_q, nb, 3)
    for a in range(3):
        B[:, :, a, :, a] = g[..., a]
    for v, (a, b) in ((3, (1, 2)), (4, (0, 2)), (5, (0, 1))):
        B[:, :, v, :, a] = g[..., b]
        B[:, :, v, :, b] = g[..., a]
    return B.reshape(G.shape[2], G.shape[3], 6, 3 * nb)


def tangent_matrix(
    fs: FieldSpace,
    D: NDArray[np.float64],
    elements: NDArray[np.int64],
    grads: NDArray[np.float64] | None = None,
) -> sp.csr_matrix:
    """Stiffness ``int B^T D B`` of a general material tangent at the quadrature points of
    ``elements`` (k,): ``D`` shape (k, n_q, 6, 6) [Pa], Voigt, d(stress, tensor shears) /
    d(strain, engineering shears) -- the consistent tangent of an inelastic law. Unknowns
    ``3 * node + component``; shape (3 n, 3 n), zero outside ``elements``."""
    elements = np.asarray(elements, dtype=np.int64)
    dx = fs.basis.dx[elements]
    dofs = fs.dofs[elements]
    n3 = 3 * fs.n
    idx = (3 * dofs[:, :, None] + np.arange(3)).reshape(len(elements), -1)
    nd = idx.shape[1]
    out = sp.csr_matrix((n3, n3))
    for s in range(0, len(elements), 2048):
        e = slice(s, s + 2048)
        B = strain_operator(fs, elements[e], None if grads is None else grads[:, :, e])
        Ke = np.einsum("eqvi,eqvw,eqwj,eq->eij", B, D[e], B, dx[e], optimize=True)
        rows = np.repeat(idx[e], nd, axis=1).ravel()
        cols = np.tile(idx[e], (1, nd)).ravel()
        out = out + sp.csr_matrix((Ke.ravel(), (rows, cols)), shape=(n3, n3))
    return out.tocsr()


def at_quadrature(fs: FieldSpace, u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Interpolate a nodal scalar field to the stiffness quadrature points, shape (n_el, n_q)."""
    return np.einsum("ieq,ei->eq", fs.values(), u[fs.dofs])


def _strain_voigt(grad_u: Any, xp: Any = np) -> Any:
    """Displacement gradients (..., comp, deriv) -> Voigt strain (..., 6), tensor shears."""
    g = grad_u
    return xp.stack(
        [
            g[..., 0, 0],
            g[..., 1, 1],
            g[..., 2, 2],
            0.5 * (g[..., 1, 2] + g[..., 2, 1]),
            0.5 * (g[..., 0, 2] + g[..., 2, 0]),
            0.5 * (g[..., 0, 1] + g[..., 1, 0]),
        ],
        axis=-1,
    )


def strain_at_quadrature(
    fs: FieldSpace,
    u: Any,
    xp: Any = np,
    *,
    elements: NDArray[np.int64] | None = None,
    grads: NDArray[np.float64] | None = None,
) -> Any:
    """Small strain of the nodal displacement ``u`` (n, 3) at the quadrature points.

    Shape (n_el, n_q, 6), Voigt order with TENSOR shear components (eps_yz, not gamma_yz);
    in namespace ``xp`` (NumPy or CuPy, ``u`` in the same). With ``elements`` (indices,
    shape (k,); NumPy only) only those elements', shape (k, n_q, 6) (``grads``: their
    shape-function gradients, when the caller keeps them).
    """
    if elements is None and grads is None:
        a = fs.arrays(xp)
        grad = xp.einsum("iaeq,eic->eqca", a.grads, u[a.dofs])
        return _strain_voigt(grad, xp)
    dofs = fs.dofs if elements is None else fs.dofs[elements]
    if grads is not None:
        G = grads
    else:
        G = fs.grads()
        G = G if elements is None else G[:, :, elements]
    grad = np.einsum("iaeq,eic->eqca", G, u[dofs], optimize=True)
    return _strain_voigt(grad)
