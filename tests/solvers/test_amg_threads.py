"""The host's threaded AMG setup: the fused masked product and projection of
``fea.solvers.kernels`` against a dense computation, the row-block threaded sparse product
against SciPy's whole product, the per-level energy steps, and the hierarchy built with
them against the one built without."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fea.errors import InputError
from fea.fe.constraints import rigid_body_modes
from fea.solvers import amg, cpu, kernels

from .systems import grid as _grid
from .systems import two_layer_box


@pytest.fixture(scope="module")
def elasticity():
    """A two-layer P2 box (stiff on soft), fixed at x = 0 (eliminated DOFs): K and the
    rigid-body modes."""
    K, fs = two_layer_box()
    fixed = np.flatnonzero(np.repeat(fs.nodes[:, 0] < 1e-9, 3))
    A = amg.eliminate(K.copy(), fixed)
    return A, rigid_body_modes(fs.nodes)


def _level0(A: sp.csr_matrix, B: np.ndarray, block: int):
    """The finest level's strength graph, aggregates and tentative prolongator."""
    n = A.shape[0]
    node = np.arange(n) // block
    n_nodes = n // block
    dec = amg.decoupled_dofs(A)
    B = np.where(dec[:, None], 0.0, B)
    active = np.bincount(node, weights=(~dec).astype(float), minlength=n_nodes) > 0
    G = amg.strength_graph(A, node, n_nodes, active, amg.THETA)
    agg_node, n_agg = amg.aggregate(G, active)
    T, Bc, node_c = amg.tentative(agg_node[node], B, n_agg)
    return G, node, agg_node, T, Bc, node_c


def _random_csr(rng, n_rows: int, n_cols: int, per_row: int) -> sp.csr_matrix:
    rows = np.repeat(np.arange(n_rows), per_row)
    cols = rng.integers(0, n_cols, rows.shape[0])
    M = sp.csr_matrix((rng.standard_normal(rows.shape[0]), (rows, cols)), shape=(n_rows, n_cols))
    M.sum_duplicates()
    return M


@pytest.mark.skipif(not kernels.available(), reason="Numba is not installed")
@pytest.mark.parametrize("project", [False, True])
def test_masked_product_and_projection_against_dense(project):
    """Every row of the kernel's result against dense algebra: ``(A U)`` kept on ``U``'s
    pattern, less ``((r Bc_J) BtB_i) Bc_J^T`` with ``Bc_J`` the rows of ``Bc`` in the
    pattern row, for a pattern with empty rows and nodes of two rows (the rows of a node
    with entries share a pattern, made of whole coarse nodes, as the kernel asks)."""
    rng = np.random.default_rng(5)
    n, m = 60, 3
    cnode = np.repeat(np.arange(7), [3, 3, 2, 3, 1, 3, 3])  # coarse nodes of 1 to 3 columns
    n_c = cnode.shape[0]
    E = sp.csr_matrix((np.ones(n_c), (cnode, np.arange(n_c))), shape=(7, n_c))
    A = _random_csr(rng, n, n, 7)
    node = np.arange(n) // 2
    keep = np.ones(n)
    keep[[3, 4, 40]] = 0.0  # rows without an entry (a node with one, a node with both)
    Nd = sp.csr_matrix((keep, (np.arange(n), node)), shape=(n, n // 2))
    # one pattern per node, by whole coarse nodes
    Pat = (Nd @ _random_csr(rng, n // 2, 7, 2) @ E).tocsr()
    Pat.eliminate_zeros()
    Pat.sort_indices()
    Pat.data[:] = 1.0
    data = rng.standard_normal(Pat.nnz)
    Bc = rng.standard_normal((n_c, m))
    BtB = rng.standard_normal((n // 2, m, m))
    got = kernels.masked_product_projected(A, Pat, data, Bc, BtB, node, cnode, project=project)
    U = sp.csr_matrix((data, Pat.indices, Pat.indptr), shape=Pat.shape).toarray()
    AU = A.toarray() @ U
    mask = Pat.toarray() != 0
    for i in range(n):
        J = np.flatnonzero(mask[i])
        r = AU[i, J]
        if project:
            r = r - ((r @ Bc[J]) @ BtB[node[i]]) @ Bc[J].T
        k = slice(Pat.indptr[i], Pat.indptr[i + 1])
        np.testing.assert_array_equal(Pat.indices[k], J)
        np.testing.assert_allclose(got[k], r, rtol=1e-12, atol=1e-12 * np.abs(AU).max())


@pytest.mark.parametrize("threads", [2, 3])
def test_row_block_galerkin_product_equals_scipys(threads):
    """``cpu.galerkin_product`` by row blocks of ``R`` on threads, ``(R_b A) P``: the
    entries of SciPy's ``R (A P)`` to rounding (the other association)."""
    A = _grid(300, 200)
    rng = np.random.default_rng(2)
    P = _random_csr(rng, A.shape[0], 3000, 3)
    R = P.T.tocsr()
    ref = (R @ (A @ P)).tocsr()
    got = cpu.galerkin_product(R, A, P, threads=threads, min_nnz=0)
    assert got.shape == ref.shape
    assert abs(got - ref).max() <= 1e-12 * abs(ref).max()


def test_energy_steps_per_level(elasticity):
    """``energy_iterations`` per level: the finest level's prolongator is the one of its
    own count; on the next level (the same matrix, so the same aggregates) two CG steps
    leave a higher energy ``tr(P^T A P)`` than six (CG lowers it at every step); a
    negative count is refused."""
    A, R = elasticity
    kw = dict(near_null=R, block=3, prolongator="energy", max_coarse=30)
    h6 = amg.build_hierarchy(A, energy_iterations=6, **kw)
    h62 = amg.build_hierarchy(A, energy_iterations=(6, 2), **kw)
    assert len(h6.levels) >= 3
    assert abs(h62.levels[0].P - h6.levels[0].P).max() == 0.0
    assert abs(h62.levels[1].A - h6.levels[1].A).max() == 0.0

    def energy(lv):
        return float(lv.P.multiply(lv.A @ lv.P).sum())

    assert energy(h62.levels[1]) > energy(h6.levels[1])
    with pytest.raises(InputError, match="energy_iterations"):
        amg.build_hierarchy(A, energy_iterations=(6, -1), **kw)


def test_threaded_setup_gives_the_same_hierarchy(elasticity):
    """The hierarchy with the host's threaded pieces (the Galerkin product by row blocks on
    two threads, forced on this small matrix; the kernel of the masked product where Numba
    is installed) against the one of SciPy's whole products and the array code's masked
    product: the same operators to rounding."""
    A, R = elasticity
    kw = dict(near_null=R, block=3, prolongator="energy", max_coarse=30, energy_iterations=4)
    ref = amg.build_hierarchy(A, **kw)

    def galerkin(R, A, P):
        return cpu.galerkin_product(R, A, P, threads=2, min_nnz=0)

    got = amg.build_hierarchy(A, galerkin=galerkin, **kw)
    assert [lv.A.shape for lv in got.levels] == [lv.A.shape for lv in ref.levels]
    # the first coarse matrix from the same prolongator: the same to rounding
    assert abs(got.levels[1].A - ref.levels[1].A).max() <= 1e-12 * abs(ref.levels[1].A).max()
    # every coarse matrix the Galerkin product of its own level (the energy minimisation's
    # CG carries the rounding further down, so deeper levels are compared with their own)
    for fine, coarse in zip(got.levels[:-1], got.levels[1:], strict=True):
        rap = (fine.P.T @ (fine.A @ fine.P)).tocsr()
        assert abs(coarse.A - rap).max() <= 1e-12 * abs(rap).max()
    G, node, agg_node, T, Bc, node_c = _level0(A, R, 3)
    P_generic = amg.energy_prolongator(A, T, G, node, agg_node, node_c, Bc, compiled=False)
    assert abs(got.levels[0].P - P_generic).max() <= 1e-12 * abs(P_generic).max()
