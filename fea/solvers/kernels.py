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


if numba is not None:

    @njit(parallel=True, cache=True, nogil=True)
    def _masked_project(ap, aj, ax, pp, pj, ux, Bc, BtB, node, n_c, chunks, project, out):
        n = pp.shape[0] - 1
        m = Bc.shape[1]
        size = (n + chunks - 1) // chunks
        for c in prange(chunks):
            pos = np.full(n_c, -1, dtype=np.int64)
            ub = np.zeros(m)
            w = np.zeros(m)
            r0 = c * size
            r1 = min(n, r0 + size)
            for i in range(r0, r1):
                s = pp[i]
                e = pp[i + 1]
                if s == e:
                    continue
                for k in range(s, e):
                    pos[pj[k]] = k
                    out[k] = 0.0
                for q in range(ap[i], ap[i + 1]):
                    lrow = aj[q]
                    a = ax[q]
                    for k2 in range(pp[lrow], pp[lrow + 1]):
                        p = pos[pj[k2]]
                        if p >= 0:
                            out[p] += a * ux[k2]
                for k in range(s, e):
                    pos[pj[k]] = -1
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
        Node of each row, shape (n,).

    Returns
    -------
    The values on ``Pat``, shape (Pat.nnz,), float64.
    """
    if numba is None:
        raise RuntimeError("Numba is not installed: kernels.available() is False")
    out = np.empty(Pat.indices.shape[0])
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
        int(Pat.shape[1]),
        int(chunks),
        bool(project),
        out,
    )
    return out
