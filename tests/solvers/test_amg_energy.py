"""The energy-minimising prolongator of ``fea.solvers.amg`` against pyamg's (an independent
implementation of the same constrained CG), its constraint and energy on elasticity, and
the CPU solver that uses it (``method="amg-xp"``) against the direct solution."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from fea.fe.constraints import rigid_body_modes
from fea.solvers import amg, cpu, solve
from fea.solvers.krylov import pcg

from .systems import grid, two_layer_box


def _level0(A: sp.csr_matrix, B: np.ndarray, block: int):
    n = A.shape[0]
    node = np.arange(n) // block
    n_nodes = n // block
    dec = amg.decoupled_dofs(A)
    B = np.where(dec[:, None], 0.0, B)
    active = np.bincount(node, weights=(~dec).astype(float), minlength=n_nodes) > 0
    G = amg.strength_graph(A, node, n_nodes, active, amg.THETA)
    agg_node, n_agg = amg.aggregate(G, active)
    T, Bc, node_c = amg.tentative(agg_node[node], B, n_agg)
    return G, node, agg_node, T, Bc, node_c, B


def test_energy_prolongator_equals_pyamgs_on_a_scalar_problem():
    """A 2D Laplacian, the constant near-null space: four CG steps on the same tentative
    prolongator, pattern ((G + I) T) and local weighting give pyamg's prolongator."""
    from pyamg.aggregation.smooth import energy_prolongation_smoother

    A = grid(24, 20)
    G, node, agg_node, T, Bc, node_c, B = _level0(A, np.ones((A.shape[0], 1)), 1)
    P = amg.energy_prolongator(A, T, G, node, agg_node, node_c, Bc)
    Atilde = (G + sp.identity(G.shape[0])).tocsr()
    ref = energy_prolongation_smoother(
        A,
        T.tocsr(),
        Atilde,
        Bc,
        B,
        (False, {}),
        krylov="cg",
        maxiter=4,
        degree=1,
        weighting="local",
        tol=1e-30,
    )
    ref = sp.csr_matrix(ref)
    assert P.shape == ref.shape
    assert abs(P - ref).max() < 1e-10 * abs(ref).max()


@pytest.fixture(scope="module")
def elasticity():
    """A two-layer P2 box (stiff on soft), fixed at x = 0: K, a load, the rigid-body modes."""
    K, fs = two_layer_box()
    n = K.shape[0]
    fixed = np.flatnonzero(np.repeat(fs.nodes[:, 0] < 1e-9, 3))
    rng = np.random.default_rng(3)
    b = rng.standard_normal(n)
    b[fixed] = 0.0
    A = K.tolil()
    A[fixed, :] = 0.0
    A[:, fixed] = 0.0
    A[fixed, fixed] = 1.0
    return A.tocsr(), b, rigid_body_modes(fs.nodes)


def test_energy_prolongator_keeps_the_rigid_body_modes_and_lowers_the_energy(elasticity):
    """P Bc = B on every aggregated DOF (the constraint of every CG step), nothing on the
    eliminated DOFs, and the energy tr(P^T A P) below both the tentative prolongator's and
    the Jacobi-smoothed one's (what the minimisation is for)."""
    A, _, R = elasticity
    G, node, agg_node, T, Bc, node_c, B = _level0(A, R, 3)
    P = amg.energy_prolongator(A, T, G, node, agg_node, node_c, Bc)
    inside = agg_node[node] >= 0
    assert np.abs((P @ Bc)[inside] - B[inside]).max() < 1e-9 * np.abs(B).max()
    dec = amg.decoupled_dofs(A)
    assert abs(P[np.flatnonzero(dec)]).max() == 0

    def energy(M):
        return float((M.multiply(A @ M)).sum())

    D, Dinv = amg.block_diagonal(A, node, A.shape[0] // 3)
    rho = amg.lanczos_max(A, D, Dinv)
    PJ = T - (4.0 / (3.0 * rho)) * (Dinv @ (A @ T))
    assert energy(P) < energy(PJ) < energy(T)


def test_energy_hierarchy_needs_fewer_iterations(elasticity):
    """The same hierarchy with the energy-minimising prolongator against the Jacobi one:
    fewer PCG iterations to 1e-8, and the same answer as SuperLU."""
    A, b, R = elasticity
    its = {}
    for how in ("jacobi", "energy"):
        h = amg.build_hierarchy(A, near_null=R, block=3, prolongator=how, max_coarse=100)
        res = pcg(A, b, h.preconditioner("double"), rtol=1e-8, maxiter=500)
        assert res.converged
        its[how] = res.iterations
    assert its["energy"] < its["jacobi"], its
    x_ref = spla.spsolve(A.tocsc(), b)
    x, info = solve(
        A, b, kind="elasticity", backend="cpu", method="amg-xp", near_null=R, rtol=1e-12
    )
    assert info.method == "amg-xp-pcg"
    assert np.linalg.norm(x - x_ref) <= 1e-8 * np.linalg.norm(x_ref)


def test_unknown_prolongator_is_refused(elasticity):
    from fea.errors import InputError

    A, _, R = elasticity
    with pytest.raises(InputError, match="prolongator"):
        amg.build_hierarchy(A, near_null=R, block=3, prolongator="smooth")


def test_threaded_product_equals_scipys():
    """``cpu.threaded``: the same products as SciPy's (MKL where installed, else the matrix
    itself), float32 and float64."""
    A = grid(600, 400)
    x = np.random.default_rng(0).standard_normal(A.shape[0])
    for dt, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        M = A.astype(dt)
        W = cpu.threaded(M)
        assert W.shape == M.shape and W.nnz == M.nnz
        y = W @ x.astype(dt)
        ref = M @ x.astype(dt)
        assert y.dtype == dt
        assert np.abs(y - ref).max() <= tol * np.abs(ref).max()
        X = np.random.default_rng(1).standard_normal((A.shape[0], 5)).astype(dt)
        Y, REF = W @ X, M @ X  # a block of columns (batched PCG) takes the same product
        assert Y.shape == REF.shape and Y.dtype == dt
        assert np.abs(Y - REF).max() <= tol * np.abs(REF).max()
    if cpu.mkl_sparse() is None:
        pytest.skip("sparse_dot_mkl not installed: the SciPy matrix itself was used")
    assert type(cpu.threaded(A)) is not type(A)


def test_array_generic_masked_product_gives_the_same_prolongator(elasticity):
    """The masked product of the array code (a full sparse product, the pattern's entries
    found by search: what a device runs) and the host's compiled one give one prolongator."""
    A, _, R = elasticity
    G, node, agg_node, T, Bc, node_c, _ = _level0(A, R, 3)
    P_host = amg.energy_prolongator(A, T, G, node, agg_node, node_c, Bc)
    P_generic = amg.energy_prolongator(A, T, G, node, agg_node, node_c, Bc, compiled=False)
    assert abs(P_host - P_generic).max() <= 1e-12 * abs(P_host).max()
