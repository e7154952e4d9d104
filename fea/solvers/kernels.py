"""Compiled, threaded host kernels of the AMG setup (optional: Numba).

The strength of connection (:func:`strong_connections`, :func:`decoupled_dofs`) reads the
level's matrix once, node row by node row on threads, where the array code of
:func:`fea.solvers.amg.strength_graph` builds and sorts several arrays of the matrix's
size on one thread.

The node-block diagonal of a level (:func:`block_diagonal`, the smoother's and the
spectral estimate's) is gathered the same way, node by node, straight into CSR.

The energy-minimising prolongator (:func:`fea.solvers.amg.energy_prolongator`) spends
most of the CPU setup in one operation per CG step: the product ``A U`` of the level's
matrix with the prolongator's update ``U``, kept only on ``U``'s own pattern, followed by
the projection that keeps the near-null space interpolated row by row. Both work row by
row, so this module does them in one pass over the rows, the rows split among threads
(Numba's ``prange``, :func:`threads` of them). SciPy's sparse products release the GIL
but give the whole product (1.7 x the work); pyamg's masked product holds the GIL, so it
cannot be threaded from Python.

Without Numba (:func:`available` is False; ``FEA_NO_NUMBA=1`` in the environment makes it
so, for comparisons) the caller keeps pyamg's masked product and the array projection; the
numbers are the same to rounding. The compiled code is cached beside the module
(Numba's ``cache=True``): the first run compiles it once (a few seconds).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = [
    "available",
    "block_diagonal",
    "coarse_runs",
    "decoupled_dofs",
    "masked_product_projected",
    "row_abs_sums",
    "strong_connections",
    "threads",
]

_LOADED: list = []  # [the kernels' module, or None where Numba does not import]


def _kernels() -> Any:
    """The module of the compiled kernels, imported on first use (Numba's import costs
    about 0.3 s, so ``import fea`` does not pay it), or None."""
    if not _LOADED:
        mod = None
        if not os.environ.get("FEA_NO_NUMBA"):
            from . import kernels_numba

            mod = kernels_numba if kernels_numba.COMPILED else None
        _LOADED.append(mod)
    return _LOADED[0]


def available() -> bool:
    """True where Numba imports (and ``FEA_NO_NUMBA`` is not set): the kernels compile."""
    return _kernels() is not None


def threads() -> int:
    """Threads of the host's AMG setup (these kernels and
    :func:`fea.solvers.cpu.galerkin_product`): ``OMP_NUM_THREADS`` where set (as MKL's
    products in the cycle), else the CPUs this process may run on."""
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _compiled() -> tuple[Any, int]:
    """The kernels' module and the threads they run on, Numba's set to :func:`threads`
    (at most Numba's own limit, ``NUMBA_NUM_THREADS``); raises where Numba is not
    installed."""
    mod = _kernels()
    if mod is None:
        raise RuntimeError("Numba is not installed: kernels.available() is False")
    import numba

    t = max(1, min(threads(), int(numba.config.NUMBA_NUM_THREADS)))
    numba.set_num_threads(t)
    return mod, t


def decoupled_dofs(A: Any) -> np.ndarray:
    """DOFs whose row of ``A`` has no nonzero entry off the diagonal (eliminated
    Dirichlet DOFs), as :func:`fea.solvers.amg.decoupled_dofs`, rows on threads.

    Parameters
    ----------
    A
        SciPy CSR (n, n).

    Returns
    -------
    Bool, shape (n,).
    """
    mod, _ = _compiled()
    out = np.empty(A.shape[0], dtype=bool)
    mod.decoupled(A.indptr, A.indices, A.data, out)
    return out


def block_diagonal(A: Any, node: Any, n_nodes: int) -> tuple[Any, Any] | None:
    """The node-block diagonal of ``A`` and its inverse, as
    :func:`fea.solvers.amg.block_diagonal` (the same matrices bit for bit: the same
    batched inverse), the blocks gathered on threads; None where a row of ``A`` stores
    an entry of its block twice (the array code sums those).

    Parameters
    ----------
    A
        SciPy CSR (n, n); its indices need not be sorted.
    node
        Node of each DOF, shape (n,), nondecreasing, in ``[0, n_nodes)``.
    n_nodes
        Number of nodes.

    Returns
    -------
    ``(D, Dinv)``: SciPy CSR (n, n), canonical; ``D`` holds the entries of ``A`` inside
    the node blocks (explicit zeros too), ``Dinv`` every entry of the inverted blocks.
    """
    import scipy.sparse as sp

    mod, _ = _compiled()
    n = A.shape[0]
    node = np.ascontiguousarray(node)
    start = np.searchsorted(node, np.arange(n_nodes + 1), side="left")
    size = np.diff(start)
    kmax = int(size.max()) if n_nodes else 1
    blocks = np.empty((n_nodes, kmax, kmax))
    stored = np.empty((n_nodes, kmax, kmax), dtype=bool)
    count = np.empty(n, dtype=np.int64)
    ax = np.ascontiguousarray(A.data, dtype=np.float64)
    mod.diagonal_blocks(A.indptr, A.indices, ax, start, blocks, stored, count)
    if n and int(count.min()) < 0:
        return None
    inv = np.linalg.inv(blocks)
    out = []
    for vals, per_row, every in ((blocks, count, False), (inv, size[node], True)):
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(per_row, out=indptr[1:])
        nnz = int(indptr[-1])
        idx = np.int32 if max(n, nnz) < 2**31 else np.int64
        indices = np.empty(nnz, dtype=idx)
        data = np.empty(nnz)
        mod.block_rows(start, vals, stored, every, indptr, indices, data)
        M = sp.csr_matrix((data, indices, indptr.astype(idx)), shape=(n, n), copy=False)
        M.has_canonical_format = True
        out.append(M)
    return out[0], out[1]


def row_abs_sums(A: Any) -> np.ndarray:
    """``|A| 1``: the sums of the absolute values of each row of the CSR matrix ``A``, rows
    on threads, each summed in storage order (SciPy's ``abs(A) @ ones`` bit for bit,
    without the copy of ``A``).

    Returns
    -------
    float64, shape (n_rows,).
    """
    mod, _ = _compiled()
    out = np.empty(A.shape[0])
    mod.row_abs_sums(A.indptr, np.ascontiguousarray(A.data, dtype=np.float64), out)
    return out


def strong_connections(A: Any, node: Any, n_nodes: int, active: Any, theta: float) -> Any:
    """The one-sided strength graph of the node blocks of ``A``: ``S[I, J] = 1`` for
    ``I != J`` where ``s_IJ >= theta sqrt(s_II s_JJ)`` and ``s_IJ > 0`` (``s``: the
    Frobenius norm of the block of rows of node ``I`` and columns of node ``J``), both
    nodes active; node rows on threads. :func:`fea.solvers.amg.strength_graph` is
    ``S + S^T``.

    Parameters
    ----------
    A
        SciPy CSR (n, n); its indices need not be sorted.
    node
        Node of each DOF, shape (n,), nondecreasing, in ``[0, n_nodes)`` (the DOFs of a node
        are contiguous; a node may have none).
    n_nodes
        Number of nodes.
    active
        Bool, shape (n_nodes,): inactive nodes get no edges.
    theta
        Strength threshold (dimensionless, >= 0).

    Returns
    -------
    SciPy CSR (n_nodes, n_nodes), canonical, values 1.0.
    """
    import scipy.sparse as sp

    mod, t = _compiled()
    node = np.ascontiguousarray(node)
    start = np.searchsorted(node, np.arange(n_nodes + 1), side="left")
    ap, aj = A.indptr, A.indices
    ax = np.ascontiguousarray(A.data, dtype=np.float64)
    s_diag = np.empty(n_nodes)
    mod.block_norms_diagonal(ap, aj, ax, start, s_diag)
    # node rows in one range per thread, of about equal numbers of entries
    t = max(1, min(t, n_nodes))
    first = ap[start].astype(np.int64)  # entries before each node's rows
    bounds = np.searchsorted(first, np.linspace(0, int(first[-1]), t + 1), side="left")
    bounds[0], bounds[-1] = 0, n_nodes
    idx = np.int32 if n_nodes < 2**31 else np.int64
    buf = np.empty(int(first[-1]), dtype=idx)  # pages touched only where written
    count = np.empty(n_nodes, dtype=np.int64)
    mod.strong_nodes(
        ap,
        aj,
        ax,
        node,
        start,
        s_diag,
        np.ascontiguousarray(active, dtype=bool),
        float(theta),
        bounds.astype(np.int64),
        buf,
        count,
    )
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(count, out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=idx)
    mod.gather_rows(buf, first[:-1], indptr, indices)
    if idx is np.int32 and indptr[-1] < 2**31:
        indptr = indptr.astype(np.int32)
    S = sp.csr_matrix(
        (np.ones(indices.shape[0]), indices, indptr), shape=(n_nodes, n_nodes), copy=False
    )
    S.has_canonical_format = True
    return S


def coarse_runs(Pat: Any, cnode: Any) -> np.ndarray:
    """For each entry ``k`` of the CSR pattern ``Pat`` that starts a run of columns of one
    coarse node (``cnode`` of each column, shape (n_c,)) in its row, the end of that run
    (other entries: unset); the walk of :func:`masked_product_projected`.

    Returns
    -------
    int64, shape (Pat.nnz,).
    """
    mod, _ = _compiled()
    run_end = np.empty(Pat.indices.shape[0], dtype=np.int64)
    mod.run_ends(Pat.indptr, Pat.indices, np.ascontiguousarray(cnode), run_end)
    return run_end


def masked_product_projected(
    A: Any,
    Pat: Any,
    data: Any,
    Bc: Any,
    BtB: Any,
    node: Any,
    cnode: Any,
    project: bool = True,
    out: np.ndarray | None = None,
    runs: np.ndarray | None = None,
) -> np.ndarray:
    """``(A U)`` on the pattern of ``U`` (values ``data`` on the CSR pattern ``Pat``),
    then, with ``project``, each row ``r`` less ``((r Bc_J) BtB_i) Bc_J^T`` (``J`` the
    row's columns, ``BtB_i`` the ``m x m`` matrix of the row's node): the projection of
    :func:`fea.solvers.amg.energy_prolongator`.

    Parameters
    ----------
    A
        SciPy CSR (n, n), float64.
    Pat
        SciPy CSR (n, n_c), canonical (sorted, no duplicates); its values are not read.
    data
        Values of ``U`` on ``Pat``, shape (Pat.nnz,).
    Bc
        Coarse near-null space, shape (n_c, m).
    BtB
        Per node the ``m x m`` matrix of the projection, shape (n_nodes, m, m).
    node
        Node of each row, shape (n,); the rows of a node are contiguous, and those that
        have entries in ``Pat`` share one pattern (the energy minimisation's pattern, per
        node).
    cnode
        Coarse node of each column, shape (n_c,): a coarse node's columns are contiguous,
        and a row of ``Pat`` holds all of them or none (the pattern by aggregates).
    out
        Where to write the result, float64, shape (Pat.nnz,), or None (a new array).
    runs
        :func:`coarse_runs` of ``Pat`` and ``cnode``, kept by a caller that calls this
        many times on one pattern, or None (computed here).

    Returns
    -------
    The values on ``Pat``, shape (Pat.nnz,), float64 (``out`` where given).
    """
    mod, t = _compiled()
    if out is None:
        out = np.empty(Pat.indices.shape[0])
    cnode = np.ascontiguousarray(cnode)
    run_end = coarse_runs(Pat, cnode) if runs is None else runs
    chunks = max(1, min(Pat.shape[0], 16 * t))
    mod.masked_project(
        A.indptr,
        A.indices,
        np.ascontiguousarray(A.data, dtype=np.float64),
        Pat.indptr,
        Pat.indices,
        np.ascontiguousarray(data, dtype=np.float64),
        np.ascontiguousarray(Bc, dtype=np.float64),
        np.ascontiguousarray(BtB, dtype=np.float64),
        np.ascontiguousarray(node),
        cnode,
        int(cnode.max()) + 1 if cnode.shape[0] else 1,
        run_end,
        int(chunks),
        bool(project),
        out,
    )
    return out
