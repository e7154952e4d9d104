"""Function spaces on tetrahedral meshes: P1/P2 bases, CSR patterns, scatter.

Element matrices are computed from scikit-fem's bases (shape-function gradients,
mapping and quadrature: :class:`skfem.Basis`) and scattered into a CSR (scalar) or
interleaved 3 x 3 block (vector) matrix whose sparsity pattern and element-to-slot
map are built once per mesh (:class:`Pattern`) and reused whenever materials,
temperatures or loads change. Vector unknowns are interleaved, ``3 * node + component``.

The scatter functions take an array namespace ``xp`` (``numpy`` or ``cupy``) so the
same code builds SciPy or cupyx matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..errors import InputError
from .namespace import sparse_of

__all__ = [
    "FieldSpace",
    "PAIRS",
    "Pattern",
    "accumulate_blocks",
    "check_mesh",
    "finish_blocks",
    "register_sparse",
    "scatter_scalar",
    "space",
    "sparse_of",
    "transpose_map",
    "vector_layout",
]


def register_sparse(xp: Any, module: Any) -> None:
    """Deprecated: the sparse module of a namespace follows from its array module
    (:func:`fea.fe.namespace.namespace_of`); nothing needs registering. Kept one release."""
    import warnings

    warnings.warn(
        "fea.fe.spaces.register_sparse is deprecated and has no effect: the sparse module "
        "follows from the array module (fea.fe.namespace.namespace_of)",
        DeprecationWarning,
        stacklevel=2,
    )


#: Upper component blocks (a, b) of a symmetric 3 x 3 block matrix, in storage order.
PAIRS = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))


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
class SpaceArrays:
    """The arrays element kernels need, in one array namespace: shape-function gradients
    (nb, 3, n_el, n_q) [1/m], quadrature weights times Jacobians (n_el, n_q) [m^3] and the
    element -> node map (n_el, nb)."""

    grads: Any
    dx: Any
    dofs: Any


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
    mass_basis_: Any = None
    device_: dict = field(default_factory=dict, repr=False)
    host_: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        """Number of nodes (scalar unknowns)."""
        return int(self.nodes.shape[0])

    @property
    def nb(self) -> int:
        """Shape functions per element."""
        return int(self.dofs.shape[1])

    @property
    def n_q(self) -> int:
        """Quadrature points per element of :attr:`basis`."""
        return int(self.basis.dx.shape[1])

    def grads(self, basis: Any = None) -> NDArray[np.float64]:
        """Shape-function gradients, shape (nb, 3, n_el, n_q) (read only: those of the
        space's own basis are computed once and shared)."""
        if basis is None or basis is self.basis:
            g = self.host_.get("grads")
            if g is None:
                g = self.host_["grads"] = self._grads(self.basis)
                g.flags.writeable = False
            return g
        return self._grads(basis)

    @staticmethod
    def _grads(b: Any) -> NDArray[np.float64]:
        return np.stack([b.basis[i][0].grad for i in range(b.Nbfun)])

    def values(self, basis: Any = None) -> NDArray[np.float64]:
        """Shape-function values at quadrature points, shape (nb, n_el, n_q)."""
        b = basis or self.basis
        return np.stack([np.asarray(b.basis[i][0]) for i in range(b.Nbfun)])

    def arrays(self, xp: Any = np) -> SpaceArrays:
        """:class:`SpaceArrays` in namespace ``xp``: computed on the host per call, copied
        to a device once and kept there (the mesh's one host-to-device copy)."""
        if xp is np:
            return SpaceArrays(self.grads(), self.basis.dx, self.dofs)
        key = xp.__name__
        if key not in self.device_:
            self.device_[key] = SpaceArrays(
                xp.asarray(self.grads()), xp.asarray(self.basis.dx), xp.asarray(self.dofs)
            )
        return self.device_[key]

    @property
    def mass_basis(self) -> Any:
        """A basis with quadrature exact for products of shape functions."""
        if self.mass_basis_ is None:
            from skfem import Basis

            self.mass_basis_ = Basis(self.mesh.p1, self.basis.elem, intorder=2 * self.order)
        return self.mass_basis_

    def boundary_nodes(self, facets: NDArray[np.int64]) -> NDArray[np.int64]:
        """Nodes (vertices and, at P2, edge midpoints) on the given facets, shape (k,)."""
        return np.asarray(self.basis.get_dofs(facets).all(), dtype=np.int64)


def build_pattern(dofs: NDArray[np.int64], n: int) -> Pattern:
    """The CSR pattern of the node graph of ``dofs`` (n_el, nb) and its slot map."""
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


def check_mesh(mesh: Any, key: str = "mesh") -> Any:
    """``mesh`` if it is a :class:`fea.Mesh` (or has its interface: ``p1``, ``regions``,
    ``boundaries``, ``order``, ``info``); else an :class:`~fea.errors.InputError` naming
    ``key`` (None, a path or an array passed as the mesh)."""
    needed = ("p1", "regions", "boundaries", "order", "info", "n_elements")
    if (
        mesh is None
        or isinstance(mesh, str | bytes | np.ndarray)
        or not all(hasattr(mesh, a) for a in needed)
    ):
        what = type(mesh).__name__ if not isinstance(mesh, str) else f"str {mesh[:80]!r}"
        raise InputError(key, what, "a fea.Mesh (fea.Mesh.from_gmsh(path) reads a .msh file)")
    return mesh


def space(mesh: Any, order: int | None = None) -> FieldSpace:
    """The scalar P1/P2 space of ``mesh`` (cached on the mesh object)."""
    check_mesh(mesh)
    from skfem import Basis, ElementTetP1, ElementTetP2

    order = mesh.order if order is None else order
    cache = mesh.info.setdefault("spaces", {})
    if order in cache:
        return cache[order]
    elem = ElementTetP2() if order == 2 else ElementTetP1()
    basis = Basis(mesh.p1, elem, intorder=max(2 * (order - 1), 1))
    dofs = np.ascontiguousarray(basis.element_dofs.T.astype(np.int64))
    nodes = basis.doflocs.T.copy()
    fs = FieldSpace(mesh, order, basis, dofs, nodes, build_pattern(dofs, basis.N))
    cache[order] = fs
    return fs


# -- scatter ---------------------------------------------------------------------------


def scatter_scalar(fs: FieldSpace, Ke: Any, xp: Any = np) -> Any:
    """Element matrices Ke (n_el, nb, nb) -> the n x n CSR matrix (SciPy or cupyx)."""
    p = fs.pattern
    data = xp.bincount(xp.asarray(p.slot), weights=Ke.ravel(), minlength=p.nnz)
    if xp is np:
        return sp.csr_matrix((data, p.indices, p.indptr), shape=(p.n, p.n))
    csr = sparse_of(xp).csr_matrix
    return csr((data, xp.asarray(p.indices), xp.asarray(p.indptr)), shape=(p.n, p.n))


def vector_layout(p: Pattern) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """CSR structure of the interleaved 3n x 3n matrix on the scalar pattern, cached.

    Returns (indptr, indices, gather): ``data_csr = data_block.ravel()[gather]`` where
    ``data_block`` has shape (9, nnz): component pair 3a + b, then the scalar slot.
    """
    cached = getattr(p, "vector_", None)
    if cached is not None:
        return cached
    n, nnz = p.n, p.nnz
    it = np.int32 if 9 * nnz < 2**31 - 1 else np.int64  # half the memory traffic when it fits
    row_len = np.diff(p.indptr).astype(it)  # (n,)
    # vector row 3r+a holds, for each slot s of scalar row r in order, the columns 3c+0..2:
    # built row block by row block in CSR order, so every array is written sequentially
    vptr = np.zeros(3 * n + 1, dtype=np.int64)
    np.cumsum(np.repeat(3 * row_len.astype(np.int64), 3), out=vptr[1:])
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
    p.vector_ = (vptr, indices, gather)  # type: ignore[attr-defined]
    return p.vector_  # type: ignore[attr-defined]


def transpose_map(p: Pattern) -> NDArray[np.int64]:
    """Slot of (c, r) for every slot (r, c) of the symmetric scalar pattern, cached."""
    cached = getattr(p, "transpose_", None)
    if cached is None:
        # transpose a matrix holding its own slot numbers (SciPy's linear-time CSR -> CSC):
        # on the same symmetric pattern, entry (r, c) of the transpose is the slot of (c, r)
        M = sp.csr_matrix((np.arange(p.nnz, dtype=np.int64), p.indices, p.indptr), (p.n, p.n))
        T = M.T.tocsr()
        T.sort_indices()
        cached = T.data
        p.transpose_ = cached  # type: ignore[attr-defined]
    return cached


def accumulate_blocks(fs: FieldSpace, Ke: Any, elements: slice, data: Any, xp: Any = np) -> None:
    """Add upper component blocks Ke (6, k, nb, nb) of the elements ``elements`` (a
    contiguous range) into ``data`` (9, nnz): one bincount per block over contiguous weights."""
    p = fs.pattern
    nb2 = fs.nb * fs.nb
    slot = xp.asarray(p.slot[elements.start * nb2 : elements.stop * nb2])
    for k, (a, b) in enumerate(PAIRS):
        data[3 * a + b] += xp.bincount(slot, weights=Ke[k].ravel(), minlength=p.nnz)


def finish_blocks(fs: FieldSpace, data: Any, xp: Any = np, to_csr: bool = True) -> Any:
    """The 3n x 3n matrix from the upper component blocks summed into ``data`` (9, nnz).

    The lower blocks are the upper ones read through the pattern's transpose map
    (K_(ia)(jb) = K_(jb)(ia)), so they are neither computed nor scattered.
    ``to_csr``: CSR built directly with a cached gather (the same code on NumPy and on
    CuPy, which has no BSR); otherwise SciPy BSR (NumPy only).
    """
    p = fs.pattern
    tmap = xp.asarray(transpose_map(p))
    for a, b in PAIRS:
        if a != b:
            data[3 * b + a] = data[3 * a + b][tmap]
    if not to_csr:
        if xp is not np:
            raise InputError("to_csr", to_csr, "True for device arrays (CuPy has no BSR)")
        blocks = data.reshape(3, 3, p.nnz).transpose(2, 0, 1)
        return sp.bsr_matrix((blocks, p.indices, p.indptr), shape=(3 * p.n, 3 * p.n))
    vptr, vind, gather = vector_layout(p)
    vdata = data.ravel()[xp.asarray(gather)]
    del data
    if xp is np:
        return sp.csr_matrix((vdata, vind, vptr), shape=(3 * p.n, 3 * p.n))
    return sparse_of(xp).csr_matrix(
        (vdata, xp.asarray(vind.astype(np.int32)), xp.asarray(vptr.astype(np.int32))),
        shape=(3 * p.n, 3 * p.n),
    )
