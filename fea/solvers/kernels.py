"""Compiled, threaded host kernels of the AMG setup (optional: Numba).

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

__all__ = ["available", "masked_product_projected", "threads"]

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
    mod = _kernels()
    if mod is None:
        raise RuntimeError("Numba is not installed: kernels.available() is False")
    import numba

    out = np.empty(Pat.indices.shape[0])
    cnode = np.ascontiguousarray(cnode)
    run_end = np.empty(Pat.indices.shape[0], dtype=np.int64)
    mod.run_ends(Pat.indptr, Pat.indices, cnode, run_end)
    t = max(1, min(threads(), int(numba.config.NUMBA_NUM_THREADS)))
    numba.set_num_threads(t)
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
