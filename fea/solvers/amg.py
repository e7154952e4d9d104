"""Smoothed-aggregation AMG written once over an array namespace (NumPy/SciPy or CuPy/cupyx).

The setup follows Bell, Dalton and Olson, "Exposing fine-grained parallelism in algebraic
multigrid methods", SISC 34 (2012) (the method of CUSP and AmgX), with only array and
sparse-matrix operations, so the same code builds the hierarchy on the CPU and on a GPU:

1. strength of connection on the node graph (3 x 3 blocks for elasticity, their Frobenius
   norms ``s_ij``): ``i``--``j`` strong when ``s_ij >= theta sqrt(s_ii s_jj)``; decoupled
   (eliminated Dirichlet) DOFs, identity rows and columns, take no part;
2. aggregation by a distance-2 maximal independent set: hashed unique weights, the set by
   repeated max-propagation over the graph (row maxima of a sparse matrix), then every node
   joins the root within distance 1, then a neighbour's aggregate (distance 2);
3. tentative prolongator: the near-null space (six rigid-body modes per node for
   elasticity, the constant for a scalar) orthonormalised per aggregate by a batched
   modified Gram-Schmidt (segment sums by ``bincount``, each column twice); a column that
   is dependent inside an aggregate (two nodes, or nodes on one line, carry only five
   independent rigid-body modes) is dropped, not kept as a zero column. ``T R = B``; the
   coarse near-null space is ``R``;
4. ``P = (I - omega D^-1 A) T`` with ``D`` the node-block diagonal (3 x 3 blocks, or the
   kept columns of an aggregate on a coarse level), ``omega = 4 / (3 rho(D^-1 A))``
   (``rho`` from a short Lanczos run); or (``prolongator="energy"``, the CPU's
   ``method="amg-xp"``) the energy-minimising prolongator, a few CG steps on
   ``min tr(P^T A P)`` on the pattern of ``(G + I) T`` keeping ``P Bc = B`` row by row
   (:func:`energy_prolongator`); ``A_c = P^T (A P)`` by two sparse-sparse products;
5. on the coarsest level the dense inverse from a Cholesky factor.

The cycle is a V-cycle with Chebyshev smoothing in ``D^-1 A`` (default, degree 2) or
l1-Jacobi, the same polynomial before and after the coarse correction, so it is a
symmetric operator and a valid PCG preconditioner; in float32 (``precision="mixed"``,
under float64 CG) or float64.

Nothing here imports CuPy: the caller passes a :class:`fea.fe.namespace.Namespace`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError, SolverError
from ..fe.namespace import HOST, Namespace
from . import kernels
from .base import SINGULAR_CAUSES

__all__ = [
    "HOST",
    "Hierarchy",
    "Level",
    "Namespace",
    "SAPreconditioner",
    "THETA",
    "VCycle",
    "aggregate",
    "block_diagonal",
    "build_hierarchy",
    "decoupled_dofs",
    "eliminate",
    "elimination_positions",
    "energy_prolongator",
    "lanczos_max",
    "mis2",
    "strength_graph",
    "tentative",
]

#: Default strength threshold on the node-block norms (measured on the package elasticity
#: system: docs/performance.md, GPU section).
THETA = 0.05
_HASH = 2654435761  # Knuth's multiplicative hash: i -> (i * _HASH) mod 2^32 is a bijection
_SHIFT = float(2**32)


# -- small helpers --------------------------------------------------------------------------


def _rows(ns: Namespace, A: Any) -> Any:
    """Row index of every stored entry of the CSR matrix ``A``, shape (nnz,)."""
    return A.tocoo().row


def _row_max(ns: Namespace, G: Any, values: Any) -> Any:
    """``max_j values[j]`` over the stored columns ``j`` of each row of the CSR graph ``G``
    (0 for an empty row); ``values`` positive float64, shape (n,)."""
    M = ns.sparse.csr_matrix((values[G.indices], G.indices, G.indptr), shape=G.shape)
    M.has_canonical_format = True  # G's structure is canonical: no duplicate check needed
    return M.max(axis=1).toarray().ravel()


def _hash_weights(ns: Namespace, n: int) -> Any:
    """Distinct pseudo-random weights in [1, 2^32] for ``n < 2^32`` nodes, float64."""
    xp = ns.xp
    i = xp.arange(n, dtype=xp.int64)
    return ((i * _HASH) % (2**32) + 1).astype(xp.float64)


def _galerkin(R: Any, A: Any, P: Any) -> Any:
    return R @ (A @ P)


def _csr(ns: Namespace, data: Any, row: Any, col: Any, shape: tuple[int, int]) -> Any:
    """CSR from coordinates (duplicates summed), float64 data."""
    return ns.sparse.coo_matrix((data, (row, col)), shape=shape).tocsr()


# -- elimination ----------------------------------------------------------------------------


def eliminate(A: Any, dofs: Any, ns: Namespace = HOST) -> Any:
    """Rows and columns ``dofs`` of the CSR matrix ``A`` set to those of the identity, in place.

    The device counterpart of the mechanics' elimination of Dirichlet DOFs: the matrix keeps
    its size and pattern (SciPy or cupyx CSR, any index type) and stays SPD. The caller moves
    ``K u_D`` to the right-hand side first and sets the right-hand side of an eliminated DOF
    to its prescribed value (as :func:`fea.mechanics.solve_thermoelastic` does). Every DOF in
    ``dofs`` must have a stored diagonal entry. Returns ``A``.
    """
    if ns.xp.asarray(dofs).shape[0] == 0:
        return A
    hit, diag = elimination_positions(A, dofs, ns)
    A.data[hit] = 0.0
    A.data[diag] = 1.0
    return A


def elimination_positions(A: Any, dofs: Any, ns: Namespace = HOST) -> tuple[Any, Any]:
    """Where :func:`eliminate` writes in the CSR matrix ``A``: the positions (into
    ``A.data``) of the entries in the rows and columns ``dofs``, and of their diagonal
    entries; kept by callers that eliminate the same DOFs from many matrices of one
    pattern. Raises if a DOF has no stored diagonal entry."""
    xp = ns.xp
    dofs = xp.asarray(dofs)
    is_d = xp.zeros(A.shape[0], dtype=bool)
    is_d[dofs] = True
    rows = _rows(ns, A)
    cols = A.indices
    hit = xp.flatnonzero(is_d[rows] | is_d[cols])
    diag = xp.flatnonzero(is_d[rows] & (rows == cols))
    if int(diag.shape[0]) != int(is_d.sum()):
        raise InputError("fixed", "constrained DOFs", "DOFs with a diagonal entry in the matrix")
    return hit, diag


def decoupled_dofs(A: Any, ns: Namespace = HOST, compiled: bool = True) -> Any:
    """DOFs whose row has no nonzero off-diagonal entry (eliminated Dirichlet DOFs), bool (n,).

    With ``compiled``, on the host where Numba is installed, by the threaded kernel
    :func:`fea.solvers.kernels.decoupled_dofs` (the same answer).
    """
    xp = ns.xp
    if compiled and ns.on_host and kernels.available() and A.format == "csr":
        return kernels.decoupled_dofs(A)
    C = A.tocoo()
    off = ((C.row != C.col) & (C.data != 0)).astype(xp.float64)
    return xp.bincount(C.row, weights=off, minlength=A.shape[0]) == 0


# -- strength and aggregation ---------------------------------------------------------------


def strength_graph(
    A: Any,
    node: Any,
    n_nodes: int,
    active: Any,
    theta: float,
    ns: Namespace = HOST,
    compiled: bool = True,
) -> Any:
    """Symmetric strength graph of the node blocks of ``A``, CSR (n_nodes x n_nodes), no
    diagonal.

    ``node[d]`` is the node of DOF ``d``; blocks are compared by their Frobenius norms,
    ``s_ij >= theta sqrt(s_ii s_jj)``; inactive nodes get no edges. The entries are 2
    where both ``(i, j)`` and ``(j, i)`` pass the test, 1 where one does (rounding on a
    coarse level). With ``compiled``, on the host where Numba is installed and the DOFs
    of a node are contiguous (``node`` nondecreasing), the one-sided graph comes from the
    threaded kernel :func:`fea.solvers.kernels.strong_connections` (the same graph: bit
    for bit in every case measured; a node's rows are summed in row order, the array
    code's in the order of SciPy's sort, which could round a block at the threshold
    otherwise); else from array operations, which run on a device too.
    """
    xp = ns.xp
    if (
        compiled
        and ns.on_host
        and kernels.available()
        and A.format == "csr"
        and bool((node[1:] >= node[:-1]).all())
    ):
        G = kernels.strong_connections(A, node, n_nodes, active, theta)
        return G + G.T.tocsr()
    C = A.tocoo()
    nr, nc = node[C.row], node[C.col]
    # squared block norms; the entries of a block that are adjacent in a row (sorted column
    # indices, contiguous node DOFs) are summed first, without a sort, which leaves about a
    # third of the entries for the sparse conversion that sums the rest
    key = nr.astype(xp.int64) * n_nodes + nc
    start = xp.ones(key.shape[0], dtype=bool)
    start[1:] = key[1:] != key[:-1]
    seg = xp.cumsum(start) - 1
    v2 = xp.bincount(seg, weights=C.data.astype(xp.float64) ** 2)
    first = xp.flatnonzero(start)
    nr, nc = nr[first], nc[first]
    same = nr == nc
    s_diag = xp.sqrt(xp.bincount(nr, weights=v2 * same, minlength=n_nodes))
    off = xp.flatnonzero(~same)
    S = _csr(ns, v2[off], nr[off], nc[off], (n_nodes, n_nodes))
    r = _rows(ns, S)
    s = xp.sqrt(S.data)
    strong = (s > 0) & (s >= theta * xp.sqrt(s_diag[r] * s_diag[S.indices]))
    strong &= active[r] & active[S.indices]
    k = xp.flatnonzero(strong)
    ones = xp.ones(k.shape[0], dtype=xp.float64)
    G = _csr(ns, ones, r[k], S.indices[k], (n_nodes, n_nodes))
    G = G + G.T.tocsr()  # symmetric whatever the rounding of a coarse level
    return G


def mis2(G: Any, active: Any, ns: Namespace = HOST) -> Any:
    """A distance-2 maximal independent set of the active nodes of the graph ``G``: no two
    roots within two edges, every active node within two edges of a root. Bool (n,).

    Bell-Dalton-Olson: each undecided node carries (state, weight); two rounds of
    max-propagation over the graph; an undecided node that sees its own tuple as the
    largest within distance 2 enters the set, one that sees a root leaves.
    """
    xp = ns.xp
    n = G.shape[0]
    w = _hash_weights(ns, n)
    state = active.astype(xp.float64)  # 0 out, 1 undecided, 2 root
    for _ in range(n + 1):
        undecided = state == 1
        if not bool(undecided.any()):
            return state == 2
        key = state * _SHIFT + w
        m = xp.maximum(key, _row_max(ns, G, key))
        m = xp.maximum(m, _row_max(ns, G, m))
        root = undecided & (m == key)
        out = undecided & ~root & (m >= 2 * _SHIFT)
        state = xp.where(root, 2.0, xp.where(out, 0.0, state))
    raise SolverError("aggregation: the independent-set iteration did not finish")


def aggregate(G: Any, active: Any, ns: Namespace = HOST) -> tuple[Any, int]:
    """Aggregates of the active nodes: roots of :func:`mis2` and their neighbours, then the
    nodes two edges away join a neighbour's aggregate. Returns (aggregate of each node,
    -1 for inactive nodes; number of aggregates); none is empty."""
    xp = ns.xp
    roots = mis2(G, active, ns)
    agg = xp.where(roots, xp.cumsum(roots) - 1, -1)
    for _ in range(2):  # distance 1 (a unique root), then distance 2 (a neighbour's aggregate)
        m = _row_max(ns, G, (agg + 1).astype(xp.float64))
        join = (agg < 0) & active & (m > 0)
        agg = xp.where(join, m.astype(agg.dtype) - 1, agg)
    if bool(((agg < 0) & active).any()):  # cannot happen for a maximal set; never silent
        raise SolverError("aggregation left a node without an aggregate")
    return agg, int(roots.sum())


def _segment_sum(ns: Namespace, seg: Any, values: Any, n_seg: int) -> Any:
    return ns.xp.bincount(seg, weights=values, minlength=n_seg)


def tentative(
    agg: Any, B: Any, n_agg: int, ns: Namespace = HOST, rtol: float = 1e-10
) -> tuple[Any, Any, Any]:
    """Tentative prolongator of the aggregates ``agg`` (per DOF, -1: none) and near-null
    space ``B`` (n, m).

    Per aggregate, the columns of ``B`` are orthonormalised by modified Gram-Schmidt (each
    column twice, "twice is enough"); a column whose remainder falls below ``rtol`` times
    its norm in the aggregate is dependent there and dropped. Returns ``(T, Bc, node_c)``:
    ``T`` CSR (n, n_c) with orthonormal columns per aggregate, ``Bc`` (n_c, m) with
    ``T Bc = B`` on the aggregated DOFs, ``node_c`` the aggregate of each coarse DOF.
    """
    xp = ns.xp
    n, m = B.shape
    inside = agg >= 0
    seg = xp.where(inside, agg, 0)
    Q = xp.where(inside[:, None], B, 0.0).astype(xp.float64)
    Rf = xp.zeros((n_agg, m, m))
    keep = xp.zeros((n_agg, m), dtype=bool)
    for j in range(m):
        q = Q[:, j].copy()
        norm0 = xp.sqrt(_segment_sum(ns, seg, q * q, n_agg))
        for _ in range(2):
            for i in range(j):
                r = _segment_sum(ns, seg, Q[:, i] * q, n_agg)
                q -= r[seg] * Q[:, i]
                Rf[:, i, j] += r
        nrm = xp.sqrt(_segment_sum(ns, seg, q * q, n_agg))
        ok = nrm > rtol * norm0
        Q[:, j] = q * xp.where(ok, 1.0 / xp.where(ok, nrm, 1.0), 0.0)[seg]
        Rf[:, j, j] = xp.where(ok, nrm, 0.0)
        keep[:, j] = ok
    flat = keep.ravel()
    col = (xp.cumsum(flat) - 1).reshape(n_agg, m)
    n_c = int(flat.sum())
    rows, cols, vals = [], [], []
    for j in range(m):
        d = xp.flatnonzero(inside & keep[seg, j])
        rows.append(d)
        cols.append(col[seg[d], j])
        vals.append(Q[d, j])
    T = _csr(ns, xp.concatenate(vals), xp.concatenate(rows), xp.concatenate(cols), (n, n_c))
    Bc = Rf.reshape(n_agg * m, m)[xp.flatnonzero(flat)]
    node_c = xp.flatnonzero(flat) // m
    return T, Bc, node_c


# -- spectral estimate, prolongator, coarse solve ---------------------------------------------


def lanczos_max(A: Any, D: Any, Dinv: Any, ns: Namespace = HOST, steps: int = 20) -> float:
    """Largest eigenvalue of ``D^-1 A`` (``A``, ``D`` SPD) from ``steps`` Lanczos steps in the
    ``D`` inner product, where ``D^-1 A`` is self-adjoint: the largest Ritz value, a lower
    bound that converges fast for the extreme eigenvalue."""
    xp = ns.xp
    n = A.shape[0]
    v = _hash_weights(ns, n) / _SHIFT + 0.5  # deterministic, all components nonzero
    v /= math.sqrt(float(xp.dot(v, D @ v)))
    v_old = xp.zeros_like(v)
    alpha: list[float] = []
    beta: list[float] = []
    b_old = 0.0
    for _ in range(min(steps, n)):
        u = A @ v
        a = float(xp.dot(u, v))
        w = Dinv @ u - a * v - b_old * v_old
        alpha.append(a)
        b = math.sqrt(max(float(xp.dot(w, D @ w)), 0.0))
        if b <= 1e-12 * max(abs(a), 1e-300):
            break
        beta.append(b)
        v_old, v, b_old = v, w / b, b
    k = len(alpha)
    Tk = np.diag(alpha) + np.diag(beta[: k - 1], 1) + np.diag(beta[: k - 1], -1)
    return float(np.linalg.eigvalsh(Tk)[-1])


def _dense_inverse(ns: Namespace, A: Any) -> tuple[Any, str]:
    """Inverse of the SPD coarsest matrix from its Cholesky factor, ``L^-T L^-1`` (symmetric
    by construction). A coarsest matrix that is not positive definite (a singular system:
    a body with a rigid-body mode left free) raises :class:`~fea.errors.SolverError`; a
    pseudo-inverse there would hide it behind a preconditioner that never converges."""
    xp = ns.xp
    Ad = A.toarray()
    Ad = 0.5 * (Ad + Ad.T)
    try:
        L = xp.linalg.cholesky(Ad)
        Li = xp.linalg.inv(L)
        inv = Li.T @ Li
        # CuPy does not raise where the factorization breaks down (it leaves garbage):
        # check the inverse instead
        err = float(xp.abs(inv @ Ad - xp.eye(Ad.shape[0])).max())
        if math.isfinite(err) and err < 1e-6:
            return inv, "cholesky"
        reason = f"the inverse from the Cholesky factor is off by {err:.2e}"
    except np.linalg.LinAlgError as exc:
        reason = f"the Cholesky factorization failed ({exc})"
    raise SolverError(
        f"AMG: the coarsest matrix ({Ad.shape[0]} unknowns) is not positive definite: "
        f"{reason}; {SINGULAR_CAUSES}"
    )


def _pattern_values(ns: Namespace, keys: Any, M: Any, n_cols: int) -> Any:
    """The entries of the CSR matrix ``M`` at the positions ``keys`` (``row * n_cols +
    col``, ascending), 0 where ``M`` stores none."""
    xp = ns.xp
    M = M.tocsr()
    if not M.has_canonical_format:
        M.sum_duplicates()
    mk = _rows(ns, M).astype(xp.int64) * n_cols + M.indices
    if int(mk.shape[0]) == 0:
        return xp.zeros(keys.shape[0])
    pos = xp.minimum(xp.searchsorted(mk, keys), mk.shape[0] - 1)
    return xp.where(mk[pos] == keys, M.data[pos], 0.0)


def _host_incomplete_product(ns: Namespace, A: Any, Pat: Any) -> Any:
    """On the host, ``data -> (A @ U)`` at the pattern ``Pat`` only, for ``U`` with
    ``Pat``'s pattern and values ``data``, by pyamg's compiled masked product (about 1.7 x
    faster than the full sparse product and the search for the pattern's entries, the
    same numbers); None on a device or without pyamg."""
    if not ns.on_host:
        return None
    try:
        from pyamg.amg_core import incomplete_mat_mult_bsr
    except ImportError:
        return None
    it = Pat.indices.dtype
    if Pat.indptr.dtype != it:
        return None
    if not A.has_sorted_indices:
        A = A.copy()
        A.sort_indices()
    ap, aj = A.indptr.astype(it, copy=False), A.indices.astype(it, copy=False)
    ax = np.ascontiguousarray(A.data, dtype=np.float64)
    n, n_c = Pat.shape

    def product(data: Any) -> Any:
        out = np.zeros(Pat.indices.shape[0])
        u = np.ascontiguousarray(data, dtype=np.float64)
        incomplete_mat_mult_bsr(
            ap, aj, ax, Pat.indptr, Pat.indices, u, Pat.indptr, Pat.indices, out, n, n_c, 1, 1, 1
        )
        return out

    return product


def energy_prolongator(
    A: Any,
    T: Any,
    G: Any,
    node: Any,
    agg_node: Any,
    node_c: Any,
    Bc: Any,
    ns: Namespace = HOST,
    iterations: int = 4,
    compiled: bool = True,
    timings: dict | None = None,
) -> Any:
    """The energy-minimising prolongator (Olson, Schroder and Tuminaro, "A general
    interpolation strategy for algebraic multigrid using energy minimization", SISC 33
    (2011); pyamg's ``smooth='energy'``): ``iterations`` steps of CG on ``min tr(P^T A P)``
    from ``P = T``, with ``P`` kept on the pattern of ``(G + I) T`` (node graph ``G``, the
    strength graph) and ``P Bc = T Bc`` row by row (the near-null space stays exactly
    interpolated). Diagonal ("local", Gershgorin row sums of ``|A|``) preconditioning,
    which keeps the row constraint.

    Parameters
    ----------
    A
        The level's matrix, CSR (n, n).
    T
        Tentative prolongator, CSR (n, n_c), from :func:`tentative`.
    G
        Strength graph of the nodes, CSR (n_nodes, n_nodes), no diagonal.
    node, agg_node, node_c
        Node of each DOF (n,), aggregate of each node (n_nodes,; -1: none), aggregate of
        each coarse DOF (n_c,).
    Bc
        Coarse near-null space (n_c, m).
    compiled
        On the host, the masked product ``(A U)`` on the pattern and the projection by
        the threaded kernel of :mod:`fea.solvers.kernels` where Numba is installed, else
        the masked product by pyamg's compiled routine (one thread); with False (and on
        a device) a full sparse product whose pattern entries are found by a search.
        With the kernel the row sums ``|A| 1`` of the preconditioner are threaded too,
        after ``A`` is made canonical in place (as SciPy's ``abs(A)`` of the array path
        does).
    timings
        A dict to which the seconds of the masked products and projections are added
        (key ``"energy_products"``), or None.

    Returns
    -------
    CSR (n, n_c)
    """
    xp = ns.xp
    n, n_c = T.shape
    n_nodes, n_agg = G.shape[0], int(agg_node.max()) + 1
    m = Bc.shape[1]
    # the pattern: node i reaches the aggregates of itself and of its strong neighbours
    act = xp.flatnonzero(agg_node >= 0)
    one = xp.ones(act.shape[0])
    Tn = _csr(ns, one, act, agg_node[act], (n_nodes, n_agg))
    NP = (G + _csr(ns, xp.ones(n_nodes), xp.arange(n_nodes), xp.arange(n_nodes), G.shape)) @ Tn
    E = _csr(ns, xp.ones(n_c), node_c, xp.arange(n_c), (n_agg, n_c))
    NPc = (NP @ E).tocsr()
    NPc.data = xp.ones_like(NPc.data)
    Tc = T.tocsr()
    live = xp.flatnonzero(xp.diff(Tc.indptr) > 0)  # DOFs in an aggregate
    Nd = _csr(ns, xp.ones(live.shape[0]), live, node[live], (n, n_nodes))
    Pat = (Nd @ NPc).tocsr()
    Pat.sum_duplicates()
    rows = _rows(ns, Pat)
    cols = Pat.indices
    keys = rows.astype(xp.int64) * n_c + cols
    # per node: pinv(B_J^T B_J) over the coarse columns J of its pattern row
    Gm = xp.zeros((n_nodes, m, m))
    for i in range(m):
        for j in range(i, m):
            g = NPc @ (Bc[:, i] * Bc[:, j])
            Gm[:, i, j] = g
            Gm[:, j, i] = g
    w, V = xp.linalg.eigh(Gm)
    big = w > 1e-10 * xp.maximum(w[:, -1:], 1e-300)
    winv = xp.where(big, 1.0 / xp.where(big, w, 1.0), 0.0)
    BtBinv = xp.einsum("nij,nj,nkj->nik", V, winv, V)
    fused = compiled and ns.on_host and kernels.available()
    incomplete = None if fused or not compiled else _host_incomplete_product(ns, A, Pat)
    if not fused:
        bt_rows = BtBinv[node]  # (n, m, m)

    def project(data: Any) -> Any:
        U = ns.sparse.csr_matrix((data, cols, Pat.indptr), shape=Pat.shape)
        UB = U @ Bc  # (n, m)
        W = xp.einsum("nk,nkl->nl", UB, bt_rows)
        for k in range(m):
            data = data - W[rows, k] * Bc[cols, k]
        return data

    def masked_product(data: Any) -> Any:
        if incomplete is not None:
            return incomplete(data)
        U = ns.sparse.csr_matrix((data, cols, Pat.indptr), shape=Pat.shape)
        return _pattern_values(ns, keys, A @ U, n_c)

    runs = kernels.coarse_runs(Pat, node_c) if fused else None

    def projected_product(data: Any, into: Any = None) -> Any:
        """``project(masked_product(data))``, timed into ``timings``; into ``into`` where
        the kernel runs."""
        t0 = time.perf_counter()
        if fused:
            out = kernels.masked_product_projected(
                A, Pat, data, Bc, BtBinv, node, node_c, out=into, runs=runs
            )
        else:
            out = project(masked_product(data))
        if timings is not None:
            ns.synchronize()
            timings["energy_products"] = (
                timings.get("energy_products", 0.0) + time.perf_counter() - t0
            )
        return out

    if fused:
        A.sum_duplicates()  # sorted in place, as SciPy's abs(A) leaves it (the products' order)
        dloc = 1.0 / kernels.row_abs_sums(A)
    else:
        dloc = 1.0 / (abs(A) @ xp.ones(n))
    dloc_e = dloc[rows]
    t_keys = _rows(ns, Tc).astype(xp.int64) * n_c + Tc.indices
    order = xp.argsort(t_keys)
    pos = xp.searchsorted(keys, t_keys[order])
    Pd = xp.zeros(keys.shape[0])
    Pd[pos] = Tc.data[order]
    # CG on the pattern's values, the vectors updated in place (the same operations as
    # ``Z = dloc_e * R``, ``Dir = Z + c Dir``, ``Pd = Pd + alpha Dir``, ``R = R - alpha AD``,
    # without a fresh array per operation, which costs a first touch of its memory)
    R = projected_product(Pd)
    xp.negative(R, out=R)
    Z, Dir, tmp = xp.empty_like(R), xp.empty_like(R), xp.empty_like(R)
    AD = xp.empty_like(R) if fused else None
    first = True
    old = 0.0
    for _ in range(iterations):
        xp.multiply(dloc_e, R, out=Z)
        new = float(xp.dot(R, Z))
        if new < 1e-30:
            break
        if first:
            xp.copyto(Dir, Z)
            first = False
        else:
            xp.multiply(Dir, new / old, out=Dir)
            xp.add(Z, Dir, out=Dir)
        old = new
        AD = projected_product(Dir, AD)
        alpha = new / float(xp.dot(Dir, AD))
        xp.multiply(Dir, alpha, out=tmp)
        xp.add(Pd, tmp, out=Pd)
        xp.multiply(AD, alpha, out=tmp)
        xp.subtract(R, tmp, out=R)
    return ns.sparse.csr_matrix((Pd, cols, Pat.indptr), shape=Pat.shape)


# -- the hierarchy ------------------------------------------------------------------------------


@dataclass
class Level:
    """One level: its matrix (CSR, float64), the prolongator from the next coarser level and
    its transpose (None on the coarsest), the inverse of the smoother's diagonal (node blocks,
    as a CSR matrix) and the estimate of ``rho(D^-1 A)``."""

    A: Any
    node: Any
    n_nodes: int
    Dinv: Any = None
    rho: float = 0.0
    P: Any = None
    R: Any = None


@dataclass
class Hierarchy:
    """A smoothed-aggregation hierarchy and its V-cycle (see the module docstring).

    ``stages`` holds the setup seconds per stage (strength, aggregation, tentative,
    smoothing, galerkin, coarse; ``energy_products``, part of smoothing, with the
    energy-minimising prolongator); ``levels[-1]`` is the coarsest, solved by ``coarse_inv``.
    """

    ns: Namespace
    levels: list[Level]
    coarse_inv: Any
    smoother: str = "chebyshev"
    degree: int = 2
    stages: dict[str, float] = field(default_factory=dict)
    coarse_method: str = "cholesky"

    @property
    def operator_complexity(self) -> float:
        return sum(lv.A.nnz for lv in self.levels) / self.levels[0].A.nnz

    @property
    def facts(self) -> dict:
        return {
            "levels": len(self.levels),
            "operator_complexity": self.operator_complexity,
            "sizes": [int(lv.A.shape[0]) for lv in self.levels],
            "smoother": f"{self.smoother}({self.degree})",
            "coarse": self.coarse_method,
            "setup_stages_s": dict(self.stages),
        }

    def with_matrix(self, A: Any) -> Hierarchy:
        """The same prolongators and coarse levels with a new fine matrix (same size): a
        valid preconditioner for a matrix near the one it was built for (time steps,
        temperature states, Picard iterations). Costs a block diagonal and a Lanczos run."""
        t0 = time.perf_counter()
        old = self.levels[0]
        if A.shape != old.A.shape:
            raise InputError("A", A.shape, f"a matrix of the hierarchy's shape {old.A.shape}")
        fine = _level(self.ns, A.tocsr(), old.node, old.n_nodes, self.smoother)
        fine.P, fine.R = old.P, old.R
        self.ns.synchronize()
        stages = {"fine_update": time.perf_counter() - t0}
        return Hierarchy(
            self.ns,
            [fine, *self.levels[1:]],
            self.coarse_inv,
            self.smoother,
            self.degree,
            stages,
            self.coarse_method,
        )

    def preconditioner(self, precision: str = "mixed", wrap: Any = None) -> SAPreconditioner:
        """``M(r)``: one V-cycle, float32 inside for ``"mixed"``, float64 for ``"double"``;
        ``wrap`` as :class:`VCycle`'s."""
        return SAPreconditioner(self, precision, wrap=wrap)


def block_diagonal(
    A: Any, node: Any, n_nodes: int, ns: Namespace = HOST, compiled: bool = True
) -> tuple[Any, Any]:
    """The node-block diagonal of ``A`` and its inverse, both CSR (n x n).

    The DOFs of a node are contiguous (interleaved components on the fine level, the kept
    columns of an aggregate on a coarse one); blocks of up to ``max size`` unknowns are
    inverted as one batch (padded with the identity). With ``compiled``, on the host where
    Numba is installed, the blocks are gathered and the CSR matrices written by the
    threaded kernel :func:`fea.solvers.kernels.block_diagonal` (the same matrices).
    """
    xp = ns.xp
    if compiled and ns.on_host and kernels.available() and A.format == "csr":
        if bool((node[1:] >= node[:-1]).all()):
            out = kernels.block_diagonal(A, node, n_nodes)
            if out is not None:
                return out
    n = A.shape[0]
    size = xp.bincount(node, minlength=n_nodes)
    kmax = int(size.max())
    start = xp.cumsum(size) - size
    C = A.tocoo()
    k = xp.flatnonzero(node[C.row] == node[C.col])
    r, c, v = C.row[k], C.col[k], C.data[k]
    nd = node[r]
    blocks = xp.zeros((n_nodes, kmax, kmax))
    blocks[nd, r - start[nd], c - start[nd]] = v
    li = xp.arange(kmax)
    pad = (li[None, :] >= size[:, None]).astype(xp.float64)
    blocks[:, li, li] += pad
    inv = xp.linalg.inv(blocks)
    valid = (li[None, :, None] < size[:, None, None]) & (li[None, None, :] < size[:, None, None])
    zero = xp.zeros((n_nodes, kmax, kmax), dtype=start.dtype)  # materialised, no broadcast views
    rows = (zero + (start[:, None, None] + li[None, :, None]))[valid]
    cols = (zero + (start[:, None, None] + li[None, None, :]))[valid]
    D = _csr(ns, v, r, c, (n, n))
    Dinv = _csr(ns, inv[valid], rows, cols, (n, n))
    return D, Dinv


def _level(ns: Namespace, A: Any, node: Any, n_nodes: int, smoother: str) -> Level:
    xp = ns.xp
    d = A.diagonal()
    if not bool((d > 0).all()):
        bad = int((d <= 0).sum())
        raise SolverError(
            f"AMG level of size {A.shape[0]} has {bad} non-positive diagonal entries: the "
            f"matrix is not SPD; {SINGULAR_CAUSES}"
        )
    if smoother == "l1-jacobi":
        n = A.shape[0]
        idx = xp.arange(n)
        D = _csr(ns, d, idx, idx, A.shape)
        Dinv = _csr(ns, 1.0 / (abs(A) @ xp.ones(n)), idx, idx, A.shape)
    else:
        D, Dinv = block_diagonal(A, node, n_nodes, ns)
    rho = lanczos_max(A, D, Dinv, ns)
    return Level(A, node, n_nodes, Dinv, rho)


def build_hierarchy(
    A: Any,
    *,
    near_null: Any = None,
    block: int = 1,
    ns: Namespace = HOST,
    theta: float = THETA,
    max_coarse: int = 1000,
    max_levels: int = 10,
    smoother: str = "chebyshev",
    degree: int = 2,
    prolongator: str = "jacobi",
    energy_iterations: int | tuple[int, ...] = 4,
    galerkin: Any = None,
) -> Hierarchy:
    """Smoothed-aggregation hierarchy of the SPD CSR matrix ``A`` (float64, in ``ns``).

    Parameters
    ----------
    near_null
        Near-null space, shape (n, m): the rigid-body modes for elasticity
        (:func:`fea.assembly.rigid_body_modes`, not zeroed on eliminated DOFs: that is done
        here); the constant vector when None.
    block
        Unknowns per node, interleaved (3 for elasticity): aggregation works on nodes.
    theta
        Strength threshold on the block norms (0 keeps every connection).
    max_coarse
        Size below which a level is solved directly (dense inverse).
    smoother
        ``"chebyshev"`` (degree ``degree`` in ``D^-1 A``, on [rho/30, 1.1 rho]) or
        ``"l1-jacobi"`` (``degree`` sweeps).
    prolongator
        ``"jacobi"``: ``P = (I - omega D^-1 A) T``; ``"energy"``: the energy-minimising
        prolongator of :func:`energy_prolongator` (``energy_iterations`` CG steps), about
        half the PCG iterations on elasticity for a setup of a few more sparse products.
    energy_iterations
        CG steps of the energy minimisation: one count for every level, or one per level
        from the finest (the last repeated for the coarser ones).
    galerkin
        ``galerkin(R, A, P)``, the coarse matrix ``R A P`` (CSR, ``R = P^T``);
        ``R @ (A @ P)`` when None. On the host :func:`fea.solvers.cpu.galerkin_product`
        (SciPy's products by row blocks of ``R`` on threads).

    ``stages`` of the result: seconds per stage; ``smoothing`` includes every level's
    block diagonal and spectral estimate and the prolongator, ``energy_products`` is the
    part of it in the masked products and projections of the energy minimisation.
    """
    if smoother not in ("chebyshev", "l1-jacobi"):
        raise InputError("smoother", smoother, "chebyshev or l1-jacobi")
    if prolongator not in ("jacobi", "energy"):
        raise InputError("prolongator", prolongator, "jacobi or energy")
    xp = ns.xp
    n = A.shape[0]
    if n % block:
        raise InputError("block", block, f"a divisor of the matrix size {n}")
    stages = dict.fromkeys(
        ("strength", "aggregation", "tentative", "smoothing", "galerkin", "coarse"), 0.0
    )
    steps = (energy_iterations,) if isinstance(energy_iterations, int) else energy_iterations
    if not steps or any(int(k) < 0 for k in steps):
        raise InputError("energy_iterations", energy_iterations, "counts >= 0")
    if galerkin is None:
        galerkin = _galerkin

    def tick(name: str, t0: float) -> float:
        ns.synchronize()
        t = time.perf_counter()
        stages[name] += t - t0
        return t

    t = time.perf_counter()
    A = A.tocsr()
    B = xp.ones((n, 1)) if near_null is None else xp.asarray(near_null, dtype=xp.float64)
    if B.shape[0] != n:
        raise InputError("near_null", B.shape, f"({n}, m)")
    dec = decoupled_dofs(A, ns)
    B = xp.where(dec[:, None], 0.0, B)  # eliminated DOFs are no part of any coarse function
    node = xp.arange(n) // block
    n_nodes = n // block
    active = xp.bincount(node, weights=(~dec).astype(xp.float64), minlength=n_nodes) > 0
    levels: list[Level] = []
    while True:
        lv = _level(ns, A, node, n_nodes, smoother)
        levels.append(lv)
        t = tick("smoothing", t)
        if A.shape[0] <= max_coarse or len(levels) == max_levels:
            break
        G = strength_graph(A, node, n_nodes, active, theta, ns)
        t = tick("strength", t)
        agg_node, n_agg = aggregate(G, active, ns)
        t = tick("aggregation", t)
        agg = agg_node[node]
        T, Bc, node_c = tentative(agg, B, n_agg, ns)
        t = tick("tentative", t)
        if T.shape[1] >= 0.9 * A.shape[0]:  # no real coarsening: stop here
            break
        if prolongator == "energy":
            k = int(steps[min(len(levels) - 1, len(steps) - 1)])
            P = energy_prolongator(A, T, G, node, agg_node, node_c, Bc, ns, k, timings=stages)
        else:
            omega = 4.0 / (3.0 * lv.rho)
            P = T - omega * (lv.Dinv @ (A @ T))
        t = tick("smoothing", t)
        R = P.T.tocsr()
        A = galerkin(R, A, P).tocsr()
        t = tick("galerkin", t)
        lv.P, lv.R = P, R
        B, node, n_nodes = Bc, node_c, n_agg
        active = xp.ones(n_nodes, dtype=bool)
    inv, how = _dense_inverse(ns, levels[-1].A)
    tick("coarse", t)
    return Hierarchy(ns, levels, inv, smoother, degree, stages, how)


# -- the cycle --------------------------------------------------------------------------------


class VCycle:
    """One V-cycle of a :class:`Hierarchy` as a callable ``M(r)``, in float32 (``mixed``)
    or float64 (``double``); the level data are cast once here. ``reuse``: a cycle of the
    same hierarchy before :meth:`Hierarchy.with_matrix`, whose coarse data are kept.
    ``wrap``: applied to every sparse matrix of the cycle once cast (e.g. a threaded
    product on the host, :func:`fea.solvers.cpu.threaded`); it must keep ``@``, ``shape``
    and ``nnz``."""

    def __init__(
        self,
        h: Hierarchy,
        precision: str = "mixed",
        reuse: VCycle | None = None,
        wrap: Any = None,
    ):
        if precision not in ("mixed", "double"):
            raise InputError("precision", precision, "mixed or double")
        w = wrap if wrap is not None else (lambda M: M)
        self.wrap = wrap
        xp = h.ns.xp
        self.xp, self.h, self.precision = xp, h, precision
        dt = xp.float32 if precision == "mixed" else xp.float64
        self.dtype = dt
        self.item = 4 if precision == "mixed" else 8
        self.ops: list[tuple] = []
        for i, lv in enumerate(h.levels[:-1]):
            coef = None
            if h.smoother == "chebyshev":
                # Chebyshev in D^-1 A on [rho/30, 1.1 rho] (pyamg's interval for SA)
                hi = 1.1 * lv.rho
                coef = _chebyshev_coefficients(hi / 30.0, hi)
            if reuse is not None and i > 0:
                self.ops.append(reuse.ops[i])
                continue
            if reuse is not None:
                P, R = reuse.ops[0][1], reuse.ops[0][2]
            else:
                P, R = w(lv.P.astype(dt)), w(lv.R.astype(dt))
            self.ops.append((w(lv.A.astype(dt)), P, R, w(lv.Dinv.astype(dt)), coef))
        self.coarse = reuse.coarse if reuse is not None else h.coarse_inv.astype(dt)

    @property
    def cycle_bytes(self) -> int:
        """Memory traffic of one cycle: ``2 degree`` passes over each level's matrix and its
        block-diagonal inverse (values plus int32 indices, four vectors), the restriction
        and the prolongation, and the coarse dense product."""
        deg = self.h.degree
        total = 0
        for A, P, R, S, _ in self.ops:
            total += 2 * deg * ((A.nnz + S.nnz) * (self.item + 4) + 4 * A.shape[0] * self.item)
            total += (P.nnz + R.nnz) * (self.item + 4)
        return int(total + self.coarse.size * self.item)

    def smooth(self, i: int, x: Any, r: Any, *, want_residual: bool) -> tuple[Any, Any]:
        """``degree`` smoothing steps on ``A e = r`` added to ``x``; the updated residual
        (only computed after the last step when ``want_residual``)."""
        A, _, _, S, coef = self.ops[i]
        deg = self.h.degree
        if coef is None:  # l1-Jacobi
            for k in range(deg):
                d = S @ r
                x += d
                if k < deg - 1 or want_residual:
                    r = r - A @ d
            return x, r
        # Chebyshev three-term recurrence (Saad, Iterative Methods, 2nd ed., Alg. 12.1)
        theta, delta, sigma = coef
        rho_old = 1.0 / sigma
        d = (1.0 / theta) * (S @ r)
        for k in range(deg):
            if k:
                rho_new = 1.0 / (2.0 * sigma - rho_old)
                d = (rho_new * rho_old) * d + (2.0 * rho_new / delta) * (S @ r)
                rho_old = rho_new
            x += d
            if k < deg - 1 or want_residual:
                r = r - A @ d
        return x, r

    def _cycle(self, i: int, b: Any) -> Any:
        if i == len(self.ops):
            return self.coarse @ b
        A, P, R, _, _ = self.ops[i]
        x = self.xp.zeros_like(b)
        x, r = self.smooth(i, x, b, want_residual=True)
        x += P @ self._cycle(i + 1, R @ r)
        x, _ = self.smooth(i, x, b - A @ x, want_residual=False)
        return x

    def __call__(self, r: Any) -> Any:
        return self._cycle(0, r.astype(self.dtype)).astype(r.dtype)


def _chebyshev_coefficients(lo: float, hi: float) -> tuple[float, float, float]:
    theta = 0.5 * (hi + lo)
    delta = 0.5 * (hi - lo)
    return theta, delta, theta / delta


class SAPreconditioner:
    """A :class:`Hierarchy` as a PCG preconditioner (see
    :class:`fea.solvers.base.Preconditioner`): ``M(r)`` is one V-cycle."""

    def __init__(
        self,
        h: Hierarchy,
        precision: str = "mixed",
        reuse: VCycle | None = None,
        wrap: Any = None,
    ):
        self.h, self.precision = h, precision
        self.cycle = VCycle(h, precision, reuse, wrap)

    def __call__(self, r: Any) -> Any:
        return self.cycle(r)

    @property
    def facts(self) -> dict:
        return {**self.h.facts, "precision": self.precision, "cycle_bytes": self.cycle.cycle_bytes}

    def with_matrix(self, A: Any) -> SAPreconditioner:
        return SAPreconditioner(self.h.with_matrix(A), self.precision, self.cycle, self.cycle.wrap)
