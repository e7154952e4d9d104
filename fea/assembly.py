"""Vectorised assembly of conduction and thermoelasticity on P1/P2 tetrahedra.

Element matrices are computed from scikit-fem's bases (shape-function gradients,
mapping and quadrature: :class:`skfem.Basis`) with one ``einsum`` per block of
elements, then scattered into a CSR (scalar) or 3 x 3 BSR (vector) matrix whose
sparsity pattern and element-to-slot map are built once per mesh
(:class:`Pattern`) and reused whenever materials, temperatures or loads change.
Vector unknowns are interleaved, ``3 * node + component``.

Kernels take an array namespace ``xp`` (``numpy`` or ``cupy``) so the same code
runs on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .errors import InputError

__all__ = [
    "FieldSpace",
    "Pattern",
    "at_quadrature",
    "conduction_matrix",
    "elasticity_matrix",
    "facet_load",
    "facet_mass",
    "lame",
    "mass_matrix",
    "rigid_body_modes",
    "source_vector",
    "space",
    "thermal_load",
]

_CHUNK = 20_000  # elements per einsum block: bounds the temporary memory
_CHUNK_VECTOR = 500  # vector kernels: blocks that stay in cache while combined
_SLAB = 50_000  # elements whose vector element matrices are held at once (0.24 GB at P2)


@dataclass
class Pattern:
    """CSR pattern of the scalar node-node graph and the element -> slot map."""

    n: int
    indptr: NDArray[np.int64]
    indices: NDArray[np.int64]
    slot: NDArray[np.int64]  # (n_el * nb * nb,), position of each element entry in data

    @property
    def nnz(self) -> int:
        return int(self.indices.shape[0])


@dataclass
class FieldSpace:
    """A scalar P1/P2 space on a mesh: basis, node numbering, pattern (cached per mesh).

    Attributes
    ----------
    basis
        :class:`skfem.Basis` with stiffness-exact quadrature.
    dofs
        Element -> node numbers, shape (n_el, nb).
    nodes
        Node coordinates, shape (n_nodes, 3), m.
    """

    mesh: Any
    order: int
    basis: Any
    dofs: NDArray[np.int64]
    nodes: NDArray[np.float64]
    pattern: Pattern
    _mass_basis: Any = None

    @property
    def n(self) -> int:
        return int(self.nodes.shape[0])

    @property
    def nb(self) -> int:
        return int(self.dofs.shape[1])

    def grads(self, basis: Any = None) -> NDArray[np.float64]:
        """Shape-function gradients, shape (nb, 3, n_el, n_q)."""
        b = basis or self.basis
        return np.stack([b.basis[i][0].grad for i in range(b.Nbfun)])

    def values(self, basis: Any = None) -> NDArray[np.float64]:
        """Shape-function values at quadrature points, shape (nb, n_el, n_q)."""
        b = basis or self.basis
        return np.stack([np.asarray(b.basis[i][0]) for i in range(b.Nbfun)])

    @property
    def mass_basis(self) -> Any:
        """A basis with quadrature exact for products of shape functions."""
        if self._mass_basis is None:
            from skfem import Basis

            self._mass_basis = Basis(self.mesh.p1, self.basis.elem, intorder=2 * self.order)
        return self._mass_basis


def _build_pattern(dofs: NDArray[np.int64], n: int) -> Pattern:
    nel, nb = dofs.shape
    rows = np.repeat(dofs, nb, axis=1).ravel()
    cols = np.tile(dofs, (1, nb)).ravel()
    A = sp.csr_matrix((np.ones(rows.shape[0], dtype=np.int8), (rows, cols)), shape=(n, n))
    A.sum_duplicates()
    A.sort_indices()
    indptr = A.indptr.astype(np.int64)
    indices = A.indices.astype(np.int64)
    # slot of (r, c): indptr[r] + position of c inside row r (indices sorted per row)
    keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr)) * n + indices
    slot = np.searchsorted(keys, rows.astype(np.int64) * n + cols)
    return Pattern(n, indptr, indices, slot)


def space(mesh: Any, order: int | None = None) -> FieldSpace:
    """The scalar P1/P2 space of ``mesh`` (cached on the mesh object)."""
    from skfem import Basis, ElementTetP1, ElementTetP2

    order = mesh.order if order is None else order
    cache = mesh.info.setdefault("_spaces", {})
    if order in cache:
        return cache[order]
    elem = ElementTetP2() if order == 2 else ElementTetP1()
    basis = Basis(mesh.p1, elem, intorder=max(2 * (order - 1), 1))
    dofs = np.ascontiguousarray(basis.element_dofs.T.astype(np.int64))
    nodes = basis.doflocs.T.copy()
    fs = FieldSpace(mesh, order, basis, dofs, nodes, _build_pattern(dofs, basis.N))
    cache[order] = fs
    return fs


# -- scatter ---------------------------------------------------------------------------


def _scatter_scalar(fs: FieldSpace, Ke: NDArray[np.float64], xp: Any = np) -> sp.csr_matrix:
    p = fs.pattern
    data = xp.bincount(xp.asarray(p.slot), weights=Ke.ravel(), minlength=p.nnz)
    if xp is np:
        return sp.csr_matrix((data, p.indices, p.indptr), shape=(p.n, p.n))
    import cupyx.scipy.sparse as csp

    return csp.csr_matrix((data, xp.asarray(p.indices), xp.asarray(p.indptr)), shape=(p.n, p.n))


def _vector_layout(p: Pattern) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """CSR structure of the interleaved 3n x 3n matrix on the scalar pattern, cached.

    Returns (indptr, indices, gather): ``data_csr = data_block.ravel()[gather]`` where
    ``data_block`` has shape (9, nnz): component pair 3a + b, then the scalar slot.
    """
    cached = getattr(p, "_vector", None)
    if cached is not None:
        return cached
    n, nnz = p.n, p.nnz
    it = np.int32 if 9 * nnz < 2**31 - 1 else np.int64  # half the memory traffic when it fits
    row_len = np.diff(p.indptr).astype(it)  # (n,)
    # vector row 3r+a holds, for each slot s of scalar row r in order, the columns 3c+0..2:
    # built row block by row block in CSR order, so every array is written sequentially
    vptr = np.zeros(3 * n + 1, dtype=np.int64)
    np.cumsum(np.repeat(3 * row_len.astype(np.int64), 3), out=vptr[1:])
    # entries of the vector rows 3r, 3r+1, 3r+2 are: (a, slot s in row r, b) nested
    L = row_len.astype(np.int64)
    first = np.repeat(p.indptr[:-1].astype(it), 9 * L)  # first slot of the scalar row
    a = np.repeat(np.tile(np.arange(3, dtype=it), n), np.repeat(3 * L, 3))
    within = np.arange(9 * nnz, dtype=it) - np.repeat(vptr[:-1].astype(it), np.repeat(3 * L, 3))
    s = first + within // 3
    b = within % 3
    del first, within
    gather = (3 * a + b) * it(nnz) + s
    indices = 3 * p.indices.astype(it)[s] + b
    del s, a, b
    p._vector = (vptr, indices, gather)  # type: ignore[attr-defined]
    return p._vector  # type: ignore[attr-defined]


_PAIRS = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))  # upper component blocks


def _transpose_map(p: Pattern) -> NDArray[np.int64]:
    """Slot of (c, r) for every slot (r, c) of the symmetric scalar pattern, cached."""
    cached = getattr(p, "_transpose", None)
    if cached is None:
        # transpose a matrix holding its own slot numbers (SciPy's linear-time CSR -> CSC):
        # on the same symmetric pattern, entry (r, c) of the transpose is the slot of (c, r)
        M = sp.csr_matrix((np.arange(p.nnz, dtype=np.int64), p.indices, p.indptr), (p.n, p.n))
        T = M.T.tocsr()
        T.sort_indices()
        cached = T.data
        p._transpose = cached  # type: ignore[attr-defined]
    return cached


def _accumulate_blocks(fs: FieldSpace, Ke: Any, elements: slice, data: Any, xp: Any = np) -> None:
    """Add upper component blocks Ke (6, k, nb, nb) of the elements ``elements`` (a
    contiguous range) into ``data`` (9, nnz): one bincount per block over contiguous weights."""
    p = fs.pattern
    nb2 = fs.nb * fs.nb
    slot = xp.asarray(p.slot[elements.start * nb2 : elements.stop * nb2])
    for k, (a, b) in enumerate(_PAIRS):
        data[3 * a + b] += xp.bincount(slot, weights=Ke[k].ravel(), minlength=p.nnz)


def _finish_blocks(fs: FieldSpace, data: Any, xp: Any = np, to_csr: bool = True) -> Any:
    """The 3n x 3n matrix from the upper component blocks summed into ``data`` (9, nnz).

    The lower blocks are the upper ones read through the pattern's transpose map
    (K_(ia)(jb) = K_(jb)(ia)), so they are neither computed nor scattered.
    ``to_csr``: CSR built directly with a cached gather (the same code on NumPy and on
    CuPy, which has no BSR); otherwise SciPy BSR (NumPy only).
    """
    p = fs.pattern
    tmap = xp.asarray(_transpose_map(p))
    for a, b in _PAIRS:
        if a != b:
            data[3 * b + a] = data[3 * a + b][tmap]
    if not to_csr:
        if xp is not np:
            raise InputError("to_csr", to_csr, "True for device arrays (CuPy has no BSR)")
        blocks = data.reshape(3, 3, p.nnz).transpose(2, 0, 1)
        return sp.bsr_matrix((blocks, p.indices, p.indptr), shape=(3 * p.n, 3 * p.n))
    vptr, vind, gather = _vector_layout(p)
    vdata = data.ravel()[xp.asarray(gather)]
    del data
    if xp is np:
        return sp.csr_matrix((vdata, vind, vptr), shape=(3 * p.n, 3 * p.n))
    import cupyx.scipy.sparse as csp

    return csp.csr_matrix(
        (vdata, xp.asarray(vind.astype(np.int32)), xp.asarray(vptr.astype(np.int32))),
        shape=(3 * p.n, 3 * p.n),
    )


def _scatter_block(fs: FieldSpace, Ke: Any, xp: Any = np, to_csr: bool = True) -> Any:
    """Upper component blocks Ke (6, n_el, nb, nb) of the whole mesh -> the matrix."""
    data = xp.zeros((9, fs.pattern.nnz))
    _accumulate_blocks(fs, Ke, slice(0, fs.dofs.shape[0]), data, xp)
    return _finish_blocks(fs, data, xp, to_csr)


# -- conduction --------------------------------------------------------------------------


def conduction_matrix(fs: FieldSpace, k: NDArray[np.float64], xp: Any = np) -> sp.csr_matrix:
    """Stiffness of ``-div(k grad T)``: ``K_ij = int k grad(phi_i) . grad(phi_j)``.

    Parameters
    ----------
    k
        Conductivity per element, shape (n_el,) (isotropic) or (n_el, 3) (diagonal
        tensor in x, y, z), W/(m K).
    """
    G = fs.grads()
    dx = fs.basis.dx
    k = np.asarray(k, dtype=float)
    kk = np.repeat(k[:, None], 3, axis=1) if k.ndim == 1 else k
    Ke = np.empty((fs.dofs.shape[0], fs.nb, fs.nb))
    for s in range(0, Ke.shape[0], _CHUNK):
        e = slice(s, s + _CHUNK)
        Ke[e] = np.einsum(
            "ideq,jdeq,eq,ed->eij", G[:, :, e], G[:, :, e], dx[e], kk[e], optimize=True
        )
    return _scatter_scalar(fs, Ke, xp)


def mass_matrix(fs: FieldSpace, c: NDArray[np.float64], xp: Any = np) -> sp.csr_matrix:
    """Capacity matrix ``M_ij = int c phi_i phi_j`` with ``c = rho cp`` per element, J/(m^3 K)."""
    b = fs.mass_basis
    V = fs.values(b)
    Ke = np.einsum("ieq,jeq,eq,e->eij", V, V, b.dx, np.asarray(c, float), optimize=True)
    return _scatter_scalar(fs, Ke, xp)


def source_vector(fs: FieldSpace, q: NDArray[np.float64]) -> NDArray[np.float64]:
    """Load of a volumetric source ``q`` per element [W/m^3]: ``f_i = int q phi_i``, shape (n,)."""
    b = fs.mass_basis
    fe = np.einsum("ieq,eq,e->ei", fs.values(b), b.dx, np.asarray(q, float))
    return np.bincount(fs.dofs.ravel(), weights=fe.ravel(), minlength=fs.n)


def _facet_basis(fs: FieldSpace, facets: NDArray[np.int64]):
    from skfem import FacetBasis

    return FacetBasis(fs.mesh.p1, fs.basis.elem, facets=facets, intorder=2 * fs.order)


def facet_mass(fs: FieldSpace, facets: NDArray[np.int64], h: float) -> sp.csr_matrix:
    """Convection matrix ``h int_facets phi_i phi_j`` [W/K] on the given boundary facets."""
    fb = _facet_basis(fs, facets)
    V = np.stack([np.asarray(fb.basis[i][0]) for i in range(fb.Nbfun)])
    Ke = h * np.einsum("ieq,jeq,eq->eij", V, V, fb.dx)
    d = fb.element_dofs.T
    nb = d.shape[1]
    rows = np.repeat(d, nb, axis=1).ravel()
    cols = np.tile(d, (1, nb)).ravel()
    return sp.csr_matrix((Ke.ravel(), (rows, cols)), shape=(fs.n, fs.n))


def facet_load(fs: FieldSpace, facets: NDArray[np.int64], g: float) -> NDArray[np.float64]:
    """Boundary load ``g int_facets phi_i`` (flux [W/m^2] or h T_inf), shape (n,)."""
    fb = _facet_basis(fs, facets)
    V = np.stack([np.asarray(fb.basis[i][0]) for i in range(fb.Nbfun)])
    fe = g * np.einsum("ieq,eq->ei", V, fb.dx)
    return np.bincount(fb.element_dofs.T.ravel(), weights=fe.ravel(), minlength=fs.n)


# -- elasticity -----------------------------------------------------------------------------


def lame(E: NDArray[np.float64], nu: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """Lamé parameters (lambda, mu) [Pa] from E [Pa] and nu, elementwise."""
    return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))


def elasticity_matrix(
    fs: FieldSpace,
    E: NDArray[np.float64],
    nu: NDArray[np.float64],
    xp: Any = np,
    to_csr: bool = True,
) -> sp.spmatrix:
    """Isotropic elasticity stiffness, 3 x 3 blocks, unknowns ``3 * node + component``.

    .. math:: K_{(i a)(j b)} = \\int \\lambda\\, \\partial_a\\phi_i \\partial_b\\phi_j
              + \\mu\\, \\partial_b\\phi_i \\partial_a\\phi_j
              + \\mu\\, \\delta_{ab}\\, \\nabla\\phi_i \\cdot \\nabla\\phi_j

    Parameters
    ----------
    E, nu
        Young's modulus [Pa] and Poisson's ratio per element, shape (n_el,).
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
    G = fs.grads()
    for s in range(0, nel, _SLAB):
        e = slice(s, min(s + _SLAB, nel))
        _accumulate_blocks(fs, _elasticity_blocks(fs, E, nu, xp, e, G), e, data, xp)
    return _finish_blocks(fs, data, xp, to_csr)


def _elasticity_blocks(
    fs: FieldSpace,
    E: Any,
    nu: Any,
    xp: Any = np,
    elements: slice | None = None,
    grads: NDArray[np.float64] | None = None,
) -> Any:
    """Upper component blocks of the element matrices of :func:`elasticity_matrix`,
    shape (6, k, nb, nb), pairs (a, b) in the order of ``_PAIRS``, for the contiguous
    range ``elements`` (default all)."""
    elements = elements or slice(0, fs.dofs.shape[0])
    E = np.asarray(E, dtype=float)[elements]
    nu = np.asarray(nu, dtype=float)[elements]
    lam, mu = lame(xp.asarray(E), xp.asarray(nu))
    G = xp.asarray((fs.grads() if grads is None else grads)[:, :, elements])
    dx = xp.asarray(fs.basis.dx[elements])
    nel, nb = E.shape[0], fs.dofs.shape[1]
    # S[a, b, e, i, j] = int d_a phi_i d_b phi_j; K_(ia)(jb) = lam S_ab + mu S_ba + mu tr(S)
    Ke = xp.empty((6, nel, nb, nb))
    opt = {"optimize": True} if xp is np else {}
    for s in range(0, nel, _CHUNK_VECTOR):
        e = slice(s, s + _CHUNK_VECTOR)
        S = xp.einsum("iaeq,jbeq,eq->abeij", G[:, :, e], G[:, :, e], dx[e], **opt)
        lam_e, mu_e = lam[e, None, None], mu[e, None, None]
        tr = (S[0, 0] + S[1, 1] + S[2, 2]) * mu_e
        for k, (i, j) in enumerate(_PAIRS):
            out = Ke[k, e]
            xp.multiply(S[i, j], lam_e, out=out)
            out += mu_e * S[j, i]
            if i == j:
                out += tr
    return Ke


def thermal_load(
    fs: FieldSpace, E: NDArray, nu: NDArray, eps0: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Load of an isotropic eigenstrain ``eps0`` (thermal + shrinkage) at quadrature points.

    ``f_(i a) = int (3 lambda + 2 mu) eps0 d(phi_i)/dx_a``; ``eps0`` shape (n_el, n_q).
    Returns shape (3 n,).
    """
    lam, mu = lame(np.asarray(E, float), np.asarray(nu, float))
    G = fs.grads()
    fe = np.einsum("iaeq,eq,eq,e->eia", G, eps0, fs.basis.dx, 3 * lam + 2 * mu, optimize=True)
    idx = (3 * fs.dofs[:, :, None] + np.arange(3)).ravel()
    return np.bincount(idx, weights=fe.ravel(), minlength=3 * fs.n)


def at_quadrature(fs: FieldSpace, u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Interpolate a nodal scalar field to the stiffness quadrature points, shape (n_el, n_q)."""
    return np.einsum("ieq,ei->eq", fs.values(), u[fs.dofs])


def rigid_body_modes(nodes: NDArray[np.float64]) -> NDArray[np.float64]:
    """The six rigid-body modes of interleaved 3D displacements, shape (3 n, 6).

    Translations x, y, z and rotations about axes through the centroid.
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
