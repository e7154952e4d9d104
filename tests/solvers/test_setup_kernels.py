"""The threaded kernels of the AMG setup's strength of connection and block diagonal
(``fea.solvers.kernels``): the one-sided strength graph and the decoupled DOFs against a
dense computation of the block norms, against the array code of ``fea.solvers.amg`` they
replace on the host, and against pyamg's symmetric strength of connection (its own C++
routine on the block norms); the node-block diagonal and its inverse against dense blocks
and the array code; the hierarchy and the PCG iterations they give."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from fea.fe.constraints import rigid_body_modes
from fea.solvers import amg, cpu, kernels
from fea.solvers.krylov import pcg

from .systems import grid as _grid
from .systems import two_layer_box

needs_numba = pytest.mark.skipif(not kernels.available(), reason="Numba is not installed")


@pytest.fixture(scope="module")
def elasticity():
    """A two-layer P2 box (stiff on soft), fixed at x = 0 (eliminated DOFs): K and the
    rigid-body modes."""
    K, fs = two_layer_box()
    fixed = np.flatnonzero(np.repeat(fs.nodes[:, 0] < 1e-9, 3))
    A = amg.eliminate(K.copy(), fixed)
    return A, rigid_body_modes(fs.nodes)


def _fine_level(A: sp.csr_matrix, block: int):
    n = A.shape[0]
    node = np.arange(n) // block
    dec = amg.decoupled_dofs(A, compiled=False)
    active = np.bincount(node, weights=(~dec).astype(float), minlength=n // block) > 0
    return node, n // block, active


def _dense_strength(A, node, n_nodes, active, theta) -> np.ndarray:
    """The one-sided strength graph by dense block norms, bool (n_nodes, n_nodes)."""
    D = A.toarray()
    s = np.zeros((n_nodes, n_nodes))
    for i in range(n_nodes):
        ri = np.flatnonzero(node == i)
        for j in range(n_nodes):
            s[i, j] = np.linalg.norm(D[np.ix_(ri, np.flatnonzero(node == j))])
    d = np.diag(s)
    S = (s > 0) & (s >= theta * np.sqrt(np.outer(d, d)))
    S &= active[:, None] & active[None, :]
    np.fill_diagonal(S, False)
    return S


def _assert_same(G: sp.csr_matrix, ref: sp.csr_matrix) -> None:
    """The same CSR matrix, bit for bit: pattern, order and values."""
    assert G.shape == ref.shape
    np.testing.assert_array_equal(G.indptr, ref.indptr)
    np.testing.assert_array_equal(G.indices, ref.indices)
    np.testing.assert_array_equal(G.data, ref.data)


@needs_numba
def test_strong_connections_against_dense_block_norms():
    """A nonsymmetric matrix with unsorted columns, explicit zeros, nodes of 0 to 4 DOFs,
    an inactive node and a block whose norm sits exactly at the threshold (kept): the
    kernel's one-sided graph is the dense computation's."""
    rng = np.random.default_rng(3)
    sizes = np.array([2, 3, 0, 1, 4, 3, 2, 3, 1, 3])
    node = np.repeat(np.arange(sizes.shape[0]), sizes)
    n, n_nodes = node.shape[0], sizes.shape[0]
    D = rng.standard_normal((n, n)) * (rng.random((n, n)) < 0.35)
    D[np.arange(n), np.arange(n)] = 5.0 + rng.random(n)
    # nodes 0 (DOFs 0, 1) and 1 (DOFs 2-4): diagonal blocks of norm 4, block (0, 1) of
    # norm 1 = 0.25 sqrt(4 x 4), exactly at theta = 0.25: strong
    D[0:2, 0:2] = 2.0
    D[2:5, 2:5] = 0.0
    D[2, 2] = 4.0
    D[0:2, 2:5] = 0.0
    D[0, 2] = 1.0
    zeros = np.argwhere((D == 0) & (rng.random((n, n)) < 0.2))  # stored, value 0
    r = np.concatenate([np.nonzero(D)[0], zeros[:, 0]])
    c = np.concatenate([np.nonzero(D)[1], zeros[:, 1]])
    A = sp.coo_matrix((D[r, c], (r, c)), shape=(n, n)).tocsr()
    assert (A.data == 0).sum() == zeros.shape[0] > 0
    # unsorted columns: reverse each row's entries
    for i in range(n):
        k = slice(A.indptr[i], A.indptr[i + 1])
        A.indices[k] = A.indices[k][::-1].copy()
        A.data[k] = A.data[k][::-1].copy()
    A.has_sorted_indices = False
    active = np.ones(n_nodes, dtype=bool)
    active[7] = False
    theta = 0.25
    ref = _dense_strength(A, node, n_nodes, active, theta)
    S = kernels.strong_connections(A, node, n_nodes, active, theta)
    assert S.has_canonical_format
    np.testing.assert_array_equal(S.toarray() != 0, ref)
    assert (S.data == 1.0).all()
    assert ref.any() and not ref.all()


@needs_numba
@pytest.mark.parametrize("system", ["elasticity", "scalar"])
def test_strength_graph_kernel_equals_the_array_code(system, elasticity):
    """On the finest level of an elasticity box (3 x 3 blocks, eliminated DOFs) and of a
    Laplacian (1 x 1), sorted and with every row's columns reversed, and on the first
    coarse level (nodes of several DOFs): the symmetric strength graph and the decoupled
    DOFs of the kernel are the array code's bit for bit."""
    if system == "elasticity":
        A, B = elasticity
        block = 3
    else:
        A, B, block = _grid(40, 30), None, 1
    node, n_nodes, active = _fine_level(A, block)
    np.testing.assert_array_equal(amg.decoupled_dofs(A), amg.decoupled_dofs(A, compiled=False))
    for theta in (0.0, amg.THETA, 0.25):
        G = amg.strength_graph(A, node, n_nodes, active, theta)
        ref = amg.strength_graph(A, node, n_nodes, active, theta, compiled=False)
        _assert_same(G, ref)
    # the columns of every row in reverse order
    U = A.copy()
    for i in range(U.shape[0]):
        k = slice(U.indptr[i], U.indptr[i + 1])
        U.indices[k], U.data[k] = U.indices[k][::-1].copy(), U.data[k][::-1].copy()
    U.has_sorted_indices = False
    G = amg.strength_graph(U, node, n_nodes, active, amg.THETA)
    _assert_same(G, amg.strength_graph(U, node, n_nodes, active, amg.THETA, compiled=False))
    h = amg.build_hierarchy(A, near_null=B, block=block, max_coarse=30, max_levels=2)
    c = h.levels[1]
    assert np.bincount(c.node).max() == (6 if block == 3 else 1)
    ones = np.ones(c.n_nodes, dtype=bool)
    G = amg.strength_graph(c.A, c.node, c.n_nodes, ones, amg.THETA)
    _assert_same(G, amg.strength_graph(c.A, c.node, c.n_nodes, ones, amg.THETA, compiled=False))
    assert G.nnz > 0


def _pyamg_graph(A: sp.csr_matrix, block: int, theta: float) -> sp.csr_matrix:
    """pyamg's symmetric strength on the node blocks (its BSR path: the block Frobenius
    norms, then ``|a_ij|^2 >= theta^2 |a_ii a_jj|`` in C++), without the diagonal,
    symmetrised: the same test as ours, in other arithmetic."""
    from pyamg.strength import symmetric_strength_of_connection

    M = A.tobsr(blocksize=(block, block)) if block > 1 else A
    S = sp.csr_matrix(symmetric_strength_of_connection(M, theta))
    S.setdiag(0.0)
    S.eliminate_zeros()
    S.data[:] = 1.0
    return ((S + S.T) != 0).astype(float).tocsr()


def _block_ratio(A: sp.csr_matrix, block: int, pairs: np.ndarray) -> np.ndarray:
    """``s_ij / sqrt(s_ii s_jj)`` for the node pairs (k, 2)."""
    Bn = A.tobsr(blocksize=(block, block))
    norms = sp.csr_matrix(
        (np.sqrt((Bn.data**2).reshape(Bn.data.shape[0], -1).sum(axis=1)), Bn.indices, Bn.indptr),
        shape=(A.shape[0] // block,) * 2,
    )
    d = norms.diagonal()
    s = np.asarray(norms[pairs[:, 0], pairs[:, 1]]).ravel()
    return s / np.sqrt(d[pairs[:, 0]] * d[pairs[:, 1]])


def _compare_with_pyamg(A: sp.csr_matrix, block: int, theta: float) -> int:
    """The kernel's symmetric graph against pyamg's: the same pattern but for node pairs
    whose block ratio is within 1e-12 of theta (either arithmetic may round them across);
    the number of edges."""
    node, n_nodes, active = _fine_level(A, block)
    G = amg.strength_graph(A, node, n_nodes, active, theta)
    ref = _pyamg_graph(A, block, theta)
    # pyamg keeps the edges of an inactive (fully eliminated) node only where its blocks
    # are nonzero, which they are not (eliminated rows and columns): nothing to drop
    diff = abs((G != 0).astype(float) - ref).tocoo()
    diff.eliminate_zeros()
    if diff.nnz:
        r = _block_ratio(A, block, np.column_stack([diff.row, diff.col]))
        assert np.all(np.abs(r - theta) <= 1e-12 * theta), r
    assert diff.nnz <= 1e-4 * G.nnz
    return G.nnz


@needs_numba
def test_strength_graph_against_pyamg(elasticity):
    """The threaded kernel's graph against pyamg's symmetric strength (C++, squared block
    norms) on the box's elasticity and on a Laplacian with random positive weights."""
    A, _ = elasticity
    assert _compare_with_pyamg(A, 3, amg.THETA) > 0
    L = _grid(30, 30).tocoo()
    rng = np.random.default_rng(1)
    w = np.exp(rng.standard_normal(L.nnz))
    W = sp.csr_matrix((L.data * np.where(L.row == L.col, 1.0, w), (L.row, L.col)), L.shape)
    W = (0.5 * (W + W.T) + sp.diags(abs(W).sum(axis=1).A1)).tocsr()
    assert _compare_with_pyamg(W, 1, 0.3) > 0


def test_without_numba_the_array_code_runs(tmp_path, elasticity):
    """With ``FEA_NO_NUMBA=1`` (as without Numba) the kernels are off and the strength
    graph comes from the array code: the same graph as the in-process default."""
    A, _ = elasticity
    sp.save_npz(tmp_path / "A.npz", A)
    code = (
        "import numpy as np, scipy.sparse as sp\n"
        "from fea.solvers import amg, kernels\n"
        "assert not kernels.available()\n"
        f"A = sp.load_npz({str(tmp_path / 'A.npz')!r}).tocsr()\n"
        "n = A.shape[0]; node = np.arange(n) // 3\n"
        "dec = amg.decoupled_dofs(A)\n"
        "act = np.bincount(node, weights=(~dec).astype(float), minlength=n // 3) > 0\n"
        "G = amg.strength_graph(A, node, n // 3, act, amg.THETA)\n"
        f"sp.save_npz({str(tmp_path / 'G.npz')!r}, G)\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, FEA_NO_NUMBA="1", PYTHONPATH=str(root))
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300)
    node, n_nodes, active = _fine_level(A, 3)
    _assert_same(
        sp.load_npz(tmp_path / "G.npz").tocsr(),
        amg.strength_graph(A, node, n_nodes, active, amg.THETA),
    )


def _array_strength(monkeypatch) -> None:
    """The hierarchy's strength, decoupled DOFs and block diagonals from the array code."""
    monkeypatch.setattr(
        amg, "strength_graph", functools.partial(amg.strength_graph, compiled=False)
    )
    monkeypatch.setattr(
        amg, "decoupled_dofs", functools.partial(amg.decoupled_dofs, compiled=False)
    )
    monkeypatch.setattr(
        amg, "block_diagonal", functools.partial(amg.block_diagonal, compiled=False)
    )


@needs_numba
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["elasticity", "scalar"])
def test_package_strength_and_iterations(kind, package, monkeypatch):
    """The package's systems (181k DOF elasticity, 60k DOF conduction): every level's
    strength graph from the kernel is the array code's and pyamg's (to ties at the
    threshold), so is every block diagonal, the hierarchy is the same bit for bit, and so
    are the PCG iterations."""
    s = getattr(package, kind)
    A = s.A.tocsr()
    block = 3 if kind == "elasticity" else 1
    _compare_with_pyamg(A, block, amg.THETA)
    kw = dict(near_null=s.near_null, block=block)
    if kind == "elasticity":
        kw.update(prolongator="energy", energy_iterations=2)
    seen: list = []
    strength = amg.strength_graph

    def checked(A, node, n_nodes, active, theta, ns=amg.HOST):
        G = strength(A, node, n_nodes, active, theta, ns)
        _assert_same(G, strength(A, node, n_nodes, active, theta, ns, compiled=False))
        seen.append(G.nnz)
        return G

    diagonal = amg.block_diagonal

    def checked_diagonal(A, node, n_nodes, ns=amg.HOST):
        D, Dinv = diagonal(A, node, n_nodes, ns)
        D0, Dinv0 = diagonal(A, node, n_nodes, ns, compiled=False)
        _assert_same(D, D0)
        _assert_same(Dinv, Dinv0)
        return D, Dinv

    with monkeypatch.context() as m:
        m.setattr(amg, "strength_graph", checked)
        m.setattr(amg, "block_diagonal", checked_diagonal)
        h = amg.build_hierarchy(A, **kw)
    assert len(seen) == len(h.levels) - 1 >= 2
    with monkeypatch.context() as m:
        _array_strength(m)
        ref = amg.build_hierarchy(A, **kw)
    assert [lv.A.shape for lv in h.levels] == [lv.A.shape for lv in ref.levels]
    for a, b in zip(h.levels[1:], ref.levels[1:], strict=True):
        assert abs(a.A - b.A).max() == 0.0
    its = [pcg(A, s.b, hh.preconditioner("mixed"), rtol=1e-8, maxiter=2000) for hh in (h, ref)]
    assert its[0].converged and its[0].iterations == its[1].iterations


@needs_numba
def test_threaded_strength_gives_the_same_pcg(elasticity, monkeypatch):
    """The box's hierarchy with the kernels' strength and block diagonals against the one
    with the array code's (the rest alike): the same operators and the same PCG
    iterations."""
    A, R = elasticity
    kw = dict(near_null=R, block=3, prolongator="energy", max_coarse=30, energy_iterations=4)
    h = amg.build_hierarchy(A, galerkin=cpu.galerkin_product, **kw)
    with monkeypatch.context() as m:
        _array_strength(m)
        ref = amg.build_hierarchy(A, galerkin=cpu.galerkin_product, **kw)
    for a, b in zip(h.levels, ref.levels, strict=True):
        assert abs(a.A - b.A).max() == 0.0
    b = A @ np.ones(A.shape[0])
    its = [pcg(A, b, hh.preconditioner("mixed"), rtol=1e-8, maxiter=500) for hh in (h, ref)]
    assert its[0].converged and its[0].iterations == its[1].iterations


def _dense_block_diagonal(A, node, n_nodes):
    """D and its inverse block by block, dense (n, n)."""
    D = np.zeros(A.shape)
    Dinv = np.zeros(A.shape)
    full = A.toarray()
    for i in range(n_nodes):
        r = np.flatnonzero(node == i)
        if r.shape[0]:
            D[np.ix_(r, r)] = full[np.ix_(r, r)]
            Dinv[np.ix_(r, r)] = np.linalg.inv(full[np.ix_(r, r)])
    return D, Dinv


@needs_numba
def test_block_diagonal_against_dense_blocks():
    """Nodes of 0 to 4 DOFs, unsorted columns and an explicit zero inside a block: ``D``
    holds the block entries as stored (the zero too), ``Dinv`` the inverted blocks (dense
    ``inv`` of each block, block by block), both canonical CSR; a row that stores an
    entry twice leaves the kernel (None) and the array code sums it."""
    rng = np.random.default_rng(7)
    sizes = np.array([2, 0, 4, 1, 3, 3])
    node = np.repeat(np.arange(sizes.shape[0]), sizes)
    n, n_nodes = node.shape[0], sizes.shape[0]
    M = rng.standard_normal((n, n)) * (rng.random((n, n)) < 0.5)
    M = M @ M.T + n * np.eye(n)
    M[2, 3] = M[3, 2] = 0.0
    r, c = np.nonzero(M)
    r, c = np.append(r, [2, 3]), np.append(c, [3, 2])  # stored, value 0
    A = sp.coo_matrix((M[r, c], (r, c)), shape=(n, n)).tocsr()
    assert A[2, 3] == 0.0 and 3 in A.indices[A.indptr[2] : A.indptr[3]]
    for i in range(n):
        k = slice(A.indptr[i], A.indptr[i + 1])
        A.indices[k], A.data[k] = A.indices[k][::-1].copy(), A.data[k][::-1].copy()
    A.has_sorted_indices = False
    D, Dinv = kernels.block_diagonal(A, node, n_nodes)
    D_ref, Dinv_ref = _dense_block_diagonal(A, node, n_nodes)
    for X in (D, Dinv):
        assert X.has_sorted_indices and X.has_canonical_format
    np.testing.assert_array_equal(D.toarray(), D_ref)
    C = A.tocoo()
    inside = node[C.row] == node[C.col]
    assert D.nnz == int(inside.sum())  # the stored entries of the blocks, the zero too
    assert np.any(C.data[inside] == 0.0)
    np.testing.assert_allclose(Dinv.toarray(), Dinv_ref, rtol=1e-13, atol=1e-15)
    assert Dinv.nnz == int(np.sum(sizes**2))
    # a duplicate entry inside a block: the array code's sum
    dup = sp.csr_matrix(
        (
            np.insert(A.data, A.indptr[1], 1.5),  # row 0 holds (0, 0) twice
            np.insert(A.indices, A.indptr[1], 0),
            np.append(A.indptr[:1], A.indptr[1:] + 1),
        ),
        shape=A.shape,
    )
    assert kernels.block_diagonal(dup, node, n_nodes) is None
    D2, _ = amg.block_diagonal(dup, node, n_nodes)
    assert D2[0, 0] == pytest.approx(A[0, 0] + 1.5, rel=1e-15)


@needs_numba
@pytest.mark.parametrize("system", ["elasticity", "scalar"])
def test_block_diagonal_kernel_equals_the_array_code(system, elasticity):
    """The finest level (sorted, and every row reversed) and the first coarse level (nodes
    of five and six DOFs, padded): ``D`` and ``Dinv`` bit for bit the array code's."""
    if system == "elasticity":
        A, B = elasticity
        block = 3
    else:
        A, B, block = _grid(40, 30), None, 1
    node, n_nodes, _ = _fine_level(A, block)
    U = A.copy()
    for i in range(U.shape[0]):
        k = slice(U.indptr[i], U.indptr[i + 1])
        U.indices[k], U.data[k] = U.indices[k][::-1].copy(), U.data[k][::-1].copy()
    U.has_sorted_indices = False
    h = amg.build_hierarchy(A, near_null=B, block=block, max_coarse=30, max_levels=2)
    c = h.levels[1]
    for M, nd, nn in ((A, node, n_nodes), (U, node, n_nodes), (c.A, c.node, c.n_nodes)):
        got = amg.block_diagonal(M, nd, nn)
        ref = amg.block_diagonal(M, nd, nn, compiled=False)
        _assert_same(got[0], ref[0])
        _assert_same(got[1], ref[1])


@needs_numba
def test_row_abs_sums_equal_scipys(elasticity):
    """``kernels.row_abs_sums``: ``|A| 1`` as SciPy's ``abs(A) @ ones`` bit for bit (the box's
    elasticity, canonical), and against the dense row sums for a matrix with empty rows."""
    A, _ = elasticity
    np.testing.assert_array_equal(kernels.row_abs_sums(A), abs(A) @ np.ones(A.shape[0]))
    rng = np.random.default_rng(2)
    M = rng.standard_normal((30, 20)) * (rng.random((30, 20)) < 0.3)
    M[[4, 17]] = 0.0
    S = sp.csr_matrix(M)
    np.testing.assert_allclose(kernels.row_abs_sums(S), np.abs(M).sum(axis=1), rtol=1e-14)
    assert kernels.row_abs_sums(S)[4] == 0.0
