"""The Numba kernels of :mod:`fea.solvers.kernels` (use that module: it loads this one on
first use). Without Numba (``COMPILED`` False) the functions stay plain Python: correct,
and far too slow to be used."""

from __future__ import annotations

import numpy as np

try:  # pragma: no cover - depends on the environment
    import numba
    from numba import prange
except ImportError:  # pragma: no cover - depends on the environment
    numba = None
    prange = range

__all__ = [
    "COMPILED",
    "block_norms_diagonal",
    "block_rows",
    "decoupled",
    "diagonal_blocks",
    "gather_rows",
    "masked_project",
    "row_abs_sums",
    "run_ends",
    "strong_nodes",
]

#: True where Numba imported and the kernels below are compiled.
COMPILED = numba is not None

#: Most rows of one node taken together by the kernel (more are taken in turns).
_GROUP = 16


def run_ends(pp, pj, cnode, run_end):
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


def masked_project(
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


def decoupled(ap, aj, ax, out):
    # out[r]: row r has no nonzero entry off the diagonal
    n = ap.shape[0] - 1
    for r in prange(n):
        free = True
        for q in range(ap[r], ap[r + 1]):
            if aj[q] != r and ax[q] != 0.0:
                free = False
                break
        out[r] = free


def block_norms_diagonal(ap, aj, ax, start, out):
    # out[I]: Frobenius norm of node I's diagonal block (its rows start[I]:start[I + 1],
    # the same columns); each row's squares summed first, then the rows in turn
    n_nodes = start.shape[0] - 1
    for nd in prange(n_nodes):
        c0 = start[nd]
        c1 = start[nd + 1]
        acc = 0.0
        for r in range(c0, c1):
            seg = 0.0
            for q in range(ap[r], ap[r + 1]):
                c = aj[q]
                if c >= c0 and c < c1:
                    seg += ax[q] * ax[q]
            acc += seg
        out[nd] = np.sqrt(acc)


def strong_nodes(ap, aj, ax, node, start, s_diag, active, theta, bounds, buf, count):
    # node I's strong neighbours J != I, ascending, into buf[ap[start[I]]:][:count[I]]
    # (room enough: each neighbour has an entry in the node's rows); the squared norm of
    # block (I, J) summed by runs of one column node in a row, then over the rows
    n_nodes = start.shape[0] - 1
    for c in prange(bounds.shape[0] - 1):
        acc = np.zeros(n_nodes)
        seen = np.zeros(n_nodes, dtype=np.bool_)
        for nd in range(bounds[c], bounds[c + 1]):
            base = ap[start[nd]]
            if not active[nd]:
                count[nd] = 0
                continue
            k = 0
            for r in range(start[nd], start[nd + 1]):
                q = ap[r]
                e = ap[r + 1]
                while q < e:
                    j = node[aj[q]]
                    seg = 0.0
                    while q < e and node[aj[q]] == j:
                        seg += ax[q] * ax[q]
                        q += 1
                    if j == nd:
                        continue
                    if seen[j]:
                        acc[j] += seg
                    else:
                        seen[j] = True
                        acc[j] = seg
                        buf[base + k] = j
                        k += 1
            kept = 0
            for t in range(k):
                j = buf[base + t]
                seen[j] = False
                s = np.sqrt(acc[j])
                if s > 0.0 and s >= theta * np.sqrt(s_diag[nd] * s_diag[j]) and active[j]:
                    buf[base + kept] = j
                    kept += 1
            buf[base : base + kept].sort()
            count[nd] = kept


def gather_rows(src, offset, indptr, out):
    # out[indptr[I]:indptr[I + 1]] = src[offset[I]:][:indptr[I + 1] - indptr[I]]
    for i in prange(indptr.shape[0] - 1):
        o = offset[i]
        for k in range(indptr[i], indptr[i + 1]):
            out[k] = src[o + k - indptr[i]]


def diagonal_blocks(ap, aj, ax, start, blocks, stored, count):
    # blocks[I, a, b] = A[start[I] + a, start[I] + b] where stored (stored[I, a, b]),
    # else 0, and 1 on the diagonal past the node's size; count[r]: row r's entries in its
    # node's block, -1 where the row holds one of them twice
    n_nodes = start.shape[0] - 1
    kmax = blocks.shape[1]
    for nd in prange(n_nodes):
        s0 = start[nd]
        s1 = start[nd + 1]
        for a in range(kmax):
            for b in range(kmax):
                blocks[nd, a, b] = 0.0
                stored[nd, a, b] = False
        for a in range(s1 - s0, kmax):
            blocks[nd, a, a] = 1.0
        for r in range(s0, s1):
            cnt = 0
            for q in range(ap[r], ap[r + 1]):
                c = aj[q]
                if c >= s0 and c < s1:
                    if stored[nd, r - s0, c - s0]:
                        cnt = -1
                        break
                    blocks[nd, r - s0, c - s0] = ax[q]
                    stored[nd, r - s0, c - s0] = True
                    cnt += 1
            count[r] = cnt


def block_rows(start, vals, stored, every, indptr, out_j, out_x):
    # the CSR rows of the node blocks vals[I, :size, :size]: every entry (every) or the
    # stored ones, columns ascending
    n_nodes = start.shape[0] - 1
    for nd in prange(n_nodes):
        s0 = start[nd]
        size = start[nd + 1] - s0
        for a in range(size):
            k = indptr[s0 + a]
            for b in range(size):
                if every or stored[nd, a, b]:
                    out_j[k] = s0 + b
                    out_x[k] = vals[nd, a, b]
                    k += 1


def row_abs_sums(ap, ax, out):
    # out[r] = sum of |A[r, :]|, the row's entries in storage order
    for r in prange(ap.shape[0] - 1):
        acc = 0.0
        for q in range(ap[r], ap[r + 1]):
            acc += abs(ax[q])
        out[r] = acc


if numba is not None:  # pragma: no branch
    run_ends = numba.njit(cache=True, nogil=True)(run_ends)
    masked_project = numba.njit(parallel=True, cache=True, nogil=True)(masked_project)
    decoupled = numba.njit(parallel=True, cache=True, nogil=True)(decoupled)
    block_norms_diagonal = numba.njit(parallel=True, cache=True, nogil=True)(block_norms_diagonal)
    strong_nodes = numba.njit(parallel=True, cache=True, nogil=True)(strong_nodes)
    gather_rows = numba.njit(parallel=True, cache=True, nogil=True)(gather_rows)
    diagonal_blocks = numba.njit(parallel=True, cache=True, nogil=True)(diagonal_blocks)
    block_rows = numba.njit(parallel=True, cache=True, nogil=True)(block_rows)
    row_abs_sums = numba.njit(parallel=True, cache=True, nogil=True)(row_abs_sums)
