"""Compiled, threaded host kernels of the AMG setup (optional: Numba).

The energy-minimising prolongator (:func:`fea.solvers.amg.energy_prolongator`) spends
most of the CPU setup in one operation per CG step: the product ``A U`` of the level's
matrix with the prolongator's update ``U``, kept only on ``U``'s own pattern, followed by
the projection that keeps the near-null space interpolated row by row. Both work row by
row, so this module does them in one pass over the rows, the rows split among threads
(Numba's ``prange``, :func:`threads` of them). SciPy's sparse products release the GIL
but give the whole product (1.7 x the work); pyamg's masked product holds the GIL, so it
cannot be threaded from Python.

Without Numba (:func:`available` is False) the caller keeps pyamg's masked product and the
array projection; the numbers are the same to rounding.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["available", "masked_product_projected", "threads"]

try:  # pragma: no cover - depends on the environment
    if os.environ.get("FEA_NO_NUMBA"):
        raise ImportError("FEA_NO_NUMBA is set")
    import numba
    from numba import njit, prange
except ImportError:  # pragma: no cover - depends on the environment
    numba = None


def available() -> bool:
    """True where Numba imports (and ``FEA_NO_NUMBA`` is not set): the kernels compile."""
    return numba is not None


def threads() -> int:
    """Threads of the host's AMG setup (these kernels and
    :func:`fea.solvers.cpu.sparse_product`): ``OMP_NUM_THREADS`` where set (as MKL's
    products in the cycle), else the CPUs this process may run on."""
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


#: Most rows of one node taken together by the kernel (more are taken in turns).
_GROUP = 16

if numba is not None:

    @njit(cache=True, nogil=True)
    def _run_ends(pp, pj, cnode, run_end):
        # run_end[k]: the end of the run of entries of one coarse node that starts at k
        n = pp.shape[0] - 1
        for i in range(n):
            e = pp[i + 1]
            k = pp[i]
            while k < e:
                c = cnode[pj[k]]
                k1 = k + 1
                while k1 < e and cnode[pj[k1]] == c:
                    k1 += 1
                run_end[k] = k1
                k = k1

    @njit(parallel=True, cache=True, nogil=True)
    def _masked_project(
        ap, aj, ax, pp, pj, ux, Bc, BtB, node, cnode, n_cn, run_end, chunks, project, out
    ):
        n = pp.shape[0] - 1
        m = Bc.shape[1]
        size = (n + chunks - 1) // chunks
        for c in prange(chunks):
            pos = np.full(n_cn, -1, dtype=np.int64)
            ga = np.zeros(_GROUP)
            gb = np.zeros(_GROUP, dtype=np.int64)
            ub = np.zeros(m)
            w = np.zeros(m)
            r0 = c * size
            r1 = min(n, r0 + size)
            for i in range(r0, r1):
                s = pp[i]
                e = pp[i + 1]
                if s == e:
                    continue
                k = s
                while k < e:  # where each coarse node's run starts in row i
                    pos[cnode[pj[k]]] = k
                    k = run_end[k]
                for k in range(s, e):
                    out[k] = 0.0
                # the row's entries by node: the rows of a node that have entries share one
                # pattern (and a coarse node's columns form one run in it), so one pass
                # over the runs serves them all
                q = ap[i]
                q_end = ap[i + 1]
                while q < q_end:
                    nd = node[aj[q]]
                    g = 0
                    b0 = 0
                    b1 = 0
                    while q < q_end and node[aj[q]] == nd and g < _GROUP:
                        lrow = aj[q]
                        if pp[lrow + 1] > pp[lrow]:
                            ga[g] = ax[q]
                            gb[g] = pp[lrow]
                            b0 = pp[lrow]
                            b1 = pp[lrow + 1]
                            g += 1
                        q += 1
                    if g == 0:
                        continue
                    k2 = b0
                    while k2 < b1:
                        k3 = run_end[k2]
                        p = pos[cnode[pj[k2]]]
                        if p >= 0:
                            off = k2 - b0
                            for t in range(k3 - k2):
                                acc = 0.0
                                for u in range(g):
                                    acc += ga[u] * ux[gb[u] + off + t]
                                out[p + t] += acc
                        k2 = k3
                k = s
                while k < e:
                    pos[cnode[pj[k]]] = -1
                    k = run_end[k]
                if not project:
                    continue
                # out_i -= ((out_i Bc_J) BtB_i) Bc_J^T: the row keeps P Bc = B
                for t in range(m):
                    ub[t] = 0.0
                for k in range(s, e):
                    v = out[k]
                    j = pj[k]
                    for t in range(m):
                        ub[t] += v * Bc[j, t]
                bt = BtB[node[i]]
                for t in range(m):
                    acc = 0.0
                    for u in range(m):
                        acc += ub[u] * bt[u, t]
                    w[t] = acc
                for k in range(s, e):
                    j = pj[k]
                    acc = 0.0
                    for t in range(m):
                        acc += w[t] * Bc[j, t]
                    out[k] -= acc


def masked_product_projected(
    A: Any,
    Pat: Any,
    data: Any,
    Bc: Any,
    BtB: Any,
    node: Any,
    cnode: Any,
    project: bool = True,
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

    Returns
    -------
    The values on ``Pat``, shape (Pat.nnz,), float64.
    """
    if numba is None:
        raise RuntimeError("Numba is not installed: kernels.available() is False")
    out = np.empty(Pat.indices.shape[0])
    cnode = np.ascontiguousarray(cnode)
    run_end = np.empty(Pat.indices.shape[0], dtype=np.int64)
    _run_ends(Pat.indptr, Pat.indices, cnode, run_end)
    t = max(1, min(threads(), int(numba.config.NUMBA_NUM_THREADS)))
    numba.set_num_threads(t)
    chunks = max(1, min(Pat.shape[0], 16 * t))
    _masked_project(
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
