"""The array-generic smoothed aggregation of ``fea.solvers.amg``: aggregation and tentative
prolongator properties, the symmetric cycle, the package systems (the zero coarse diagonal
that stopped every GPU solve of a package), and iteration counts against pyamg."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fea.fe import forms as asm
from fea.fe.constraints import rigid_body_modes
from fea.fe.spaces import space
from fea.physics.constitutive import lame
from fea.solvers import amg
from fea.solvers.amg import HOST
from fea.solvers.krylov import pcg


def _device_ns():
    """The namespace the GPU backend uses (CuPy, or the NumPy stand-in under the fixture)."""
    from fea.solvers.gpu import device_namespace

    return device_namespace()


def _grid_graph(nx: int, ny: int) -> sp.csr_matrix:
    """The 5-point Laplacian of an nx x ny grid (an SPD matrix whose graph is the grid)."""
    L = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(nx, nx))
    M = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(ny, ny))
    return (sp.kron(sp.identity(ny), L) + sp.kron(M, sp.identity(nx))).tocsr()


# -- aggregation -------------------------------------------------------------------------------


def _check_aggregates(G: sp.csr_matrix, active: np.ndarray, agg: np.ndarray, n_agg: int) -> None:
    assert agg.shape == active.shape
    assert (agg[active] >= 0).all() and (agg[~active] == -1).all()  # each active node: one
    assert (np.bincount(agg[active], minlength=n_agg) > 0).all()  # no empty aggregate
    assert agg.max() == n_agg - 1


@pytest.mark.parametrize("where", ["host", "device"])
def test_aggregation_properties_on_a_small_graph(where, request):
    ns = HOST
    if where == "device":
        request.getfixturevalue("numpy_as_cupy")
        ns = _device_ns()
    A = _grid_graph(9, 7)
    n = A.shape[0]
    # two eliminated nodes (identity rows and columns): decoupled, in no aggregate
    A = A.tolil()
    for d in (0, 40):
        A[d, :] = 0.0
        A[:, d] = 0.0
        A[d, d] = 1.0
    A = A.tocsr()
    dec = np.asarray(amg.decoupled_dofs(A, ns))
    assert np.flatnonzero(dec).tolist() == [0, 40]
    active = ~dec
    node = np.arange(n)
    G = amg.strength_graph(A, node, n, active, 0.0, ns)
    Gs = sp.csr_matrix(G)
    assert abs(Gs - Gs.T).max() == 0 and Gs.diagonal().max() == 0
    assert Gs[0].nnz == 0 and Gs[:, 40].nnz == 0
    roots = np.asarray(amg.mis2(G, active, ns))
    # distance-2 independent: no two roots joined by a path of one or two edges
    eye = sp.identity(n, format="csr")
    reach2 = ((eye + Gs) @ (eye + Gs)).tocsr()
    R = sp.diags(roots.astype(float))
    between = (R @ reach2 @ R).tocsr()
    between.setdiag(0.0)
    between.eliminate_zeros()
    assert between.nnz == 0 and roots.sum() > 1
    # maximal: every active node within two edges of a root
    assert ((reach2 @ roots.astype(float))[active] > 0).all()
    assert not roots[~active].any()
    agg, n_agg = amg.aggregate(G, active, ns)
    agg = np.asarray(agg)
    _check_aggregates(Gs, active, agg, n_agg)
    assert n_agg == roots.sum()
    # a root's neighbours are in its aggregate
    for r in np.flatnonzero(roots):
        assert (agg[Gs[r].indices] == agg[r]).all()


def test_tentative_drops_the_modes_a_line_of_nodes_cannot_carry():
    """The cause of the zero coarse diagonal: two nodes, or nodes on one line, carry only five
    of the six rigid-body modes (the rotation about their line moves none of them). A
    tentative prolongator that keeps a zero column for the missing mode gives a zero row
    and column in the coarse matrix; here the column is dropped."""
    x = 1e-3 * np.array(
        [
            [0, 0, 0],
            [1, 0, 0],
            [2, 0, 0],  # aggregate 0: three nodes on a line (a P2 edge)
            [0, 1, 0],
            [1, 2, 1],  # aggregate 1: two nodes
            [3, 3, 3],
            [4, 3, 1],
            [3, 5, 2],
            [5, 4, 4],  # aggregate 2: four nodes in general position
        ],
        dtype=float,
    )
    B = rigid_body_modes(x)
    agg_node = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    agg = np.repeat(agg_node, 3)
    T, Bc, node_c = amg.tentative(agg, B, 3)
    T = sp.csr_matrix(T).toarray()
    assert np.bincount(node_c).tolist() == [5, 5, 6]
    assert np.linalg.norm(T, axis=0).min() == pytest.approx(1.0)  # no zero column
    assert np.abs(T.T @ T - np.eye(T.shape[1])).max() < 1e-12
    assert np.abs(T @ Bc - B).max() < 1e-12 * np.abs(B).max()


def test_tentative_prolongator_of_the_package(package):
    """Level 0 of the package's elasticity: the columns are orthonormal (within each
    aggregate, so globally), they reproduce the rigid-body modes on every aggregated DOF
    (T R = B), and the eliminated support DOFs take no part."""
    s = package.elasticity
    A = s.A.tocsr()
    n = A.shape[0]
    dec = amg.decoupled_dofs(A)
    assert dec.sum() == 6  # the 3-2-1 support of the free body
    B = np.where(dec[:, None], 0.0, s.near_null)
    node = np.arange(n) // 3
    active = np.bincount(node, weights=(~dec).astype(float), minlength=n // 3) > 0
    G = amg.strength_graph(A, node, n // 3, active, amg.THETA)
    agg_node, n_agg = amg.aggregate(G, active)
    _check_aggregates(G, active, agg_node, n_agg)
    agg = agg_node[node]
    T, Bc, node_c = amg.tentative(agg, B, n_agg)
    TtT = (T.T @ T).tocsr()
    assert abs(TtT - sp.identity(T.shape[1])).max() < 1e-12
    inside = agg >= 0
    assert np.abs((T @ Bc)[inside] - B[inside]).max() < 1e-9 * np.abs(B).max()
    assert np.abs(T[np.flatnonzero(dec)]).max() == 0
    # the rank-deficient aggregates lost columns instead of keeping zero ones
    per_agg = np.bincount(node_c, minlength=n_agg)
    assert per_agg.max() == 6 and (per_agg < 6).any() and per_agg.min() >= 3


# -- the cycle -------------------------------------------------------------------------------


@pytest.mark.parametrize("smoother", ["chebyshev", "l1-jacobi"])
def test_cycle_is_symmetric(package, smoother):
    """<M x, y> == <x, M y>: the same smoothing polynomial before and after the coarse
    correction, R = P^T, a symmetric coarse inverse; so M is a valid PCG preconditioner."""
    s = package.scalar
    h = amg.build_hierarchy(s.A, smoother=smoother, max_coarse=300)
    assert len(h.levels) >= 3
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((2, s.A.shape[0]))
    for precision, tol in (("double", 1e-12), ("mixed", 1e-5)):
        M = h.preconditioner(precision)
        lhs, rhs = M(x) @ y, x @ M(y)
        assert abs(lhs - rhs) <= tol * abs(lhs), (precision, lhs, rhs)
        assert M(x) @ x > 0  # positive definite on this vector


def test_smoother_alone_is_symmetric():
    """One smoothing pass from zero, x = S r, is a symmetric operator (Chebyshev in D^-1 A
    with the node-block D, and l1-Jacobi)."""
    rng = np.random.default_rng(0)
    A = _grid_graph(12, 10) + sp.diags(rng.uniform(0, 1, 120))
    A = A.tocsr()
    for smoother in ("chebyshev", "l1-jacobi"):
        h = amg.build_hierarchy(A, smoother=smoother, max_coarse=10)
        cyc = h.preconditioner("double").cycle
        S = np.column_stack(
            [cyc.smooth(0, np.zeros(120), e, want_residual=False)[0] for e in np.eye(120)]
        )
        assert np.abs(S - S.T).max() <= 1e-13 * np.abs(S).max(), smoother


# -- the package systems ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Having less target vectors")
def test_device_hierarchy_of_the_package_elasticity(numpy_as_cupy, package, package_reference):
    """The system that stopped every GPU solve of a package (free body, six support DOFs
    eliminated in place), through the device code on the NumPy stand-in: every level's
    diagonal is positive, no prolongator column is zero, PCG reaches 1e-8 against the
    direct solution, in at most 1.5 x the iterations of pyamg's smoothed aggregation with
    the same rigid-body modes. Before, the pyamg-built hierarchy had zero diagonal entries
    on level 1 (zero columns of its tentative prolongator) and the device setup divided
    by them."""
    from fea.solvers.gpu import amg_hierarchy

    s = package.elasticity
    M, facts = amg_hierarchy(s.A, kind="elasticity", near_null=s.near_null)
    assert facts["levels"] >= 3 and facts["precision"] == "mixed"
    for lv in M.h.levels:
        assert (lv.A.diagonal() > 0).all()
        if lv.P is not None:
            assert np.sqrt(np.asarray(lv.P.multiply(lv.P).sum(axis=0))).min() > 0
    res = pcg(s.A, s.b, M, rtol=1e-10, maxiter=1000, xp=numpy_as_cupy)
    x_ref = package_reference["elasticity"]
    assert res.converged
    assert np.linalg.norm(res.x - x_ref) <= 1e-8 * np.linalg.norm(x_ref)
    ours = next(k for k, r in enumerate(res.history) if r <= 1e-6)
    ref = pyamg_iterations(s, 1e-6)
    assert ours <= 1.5 * ref, (ours, ref)


@pytest.mark.slow
def test_pyamg_device_hierarchy_no_longer_divides_by_zero(numpy_as_cupy, package):
    """The explicit alternative ``amg-pyamg`` (pyamg's hierarchy moved to the device) on the
    package: pyamg's coarse matrix keeps zero rows for rank-deficient aggregates; the
    device smoother gives them zero weight, so the setup is finite."""
    from fea.solvers.gpu import amg_hierarchy

    s = package.elasticity
    M, facts = amg_hierarchy(s.A, kind="elasticity", near_null=s.near_null, builder="pyamg")
    for _, _, _, wdinv in M.levels:
        assert np.isfinite(wdinv).all() and wdinv.min() >= 0
    r = np.random.default_rng(0).standard_normal(s.A.shape[0])
    assert np.isfinite(M(r)).all()


def pyamg_iterations(s, rtol: float) -> int:
    import pyamg

    if s.kind == "elasticity":
        ml = pyamg.smoothed_aggregation_solver(s.A.tobsr(blocksize=(3, 3)), B=s.near_null)
    else:
        ml = pyamg.smoothed_aggregation_solver(s.A.tocsr())

    def M(r):
        return ml.solve(r, x0=np.zeros_like(r), tol=1e-30, maxiter=1, cycle="V")

    res = pcg(s.A, s.b, M, rtol=rtol, maxiter=1000)
    assert res.converged
    return res.iterations


@pytest.mark.slow
def test_iterations_against_pyamg_smoothed_aggregation_scalar(package):
    """The array-generic hierarchy on NumPy against pyamg's smoothed aggregation (its
    defaults, the constant near-null space) on the package's conduction: at most 1.5 x its
    PCG iterations (the elasticity comparison is in the device test above)."""
    s = package.scalar
    h = amg.build_hierarchy(s.A)
    res = pcg(s.A, s.b, h.preconditioner("mixed"), rtol=1e-6, maxiter=1000)
    assert res.converged
    ref = pyamg_iterations(s, 1e-6)
    assert res.iterations <= 1.5 * ref, (res.iterations, ref)


# -- elimination ---------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["host", "device"])
def test_elimination_gives_identity_rows_and_columns(where, request):
    """``eliminate`` (NumPy or device CSR, the one elimination the mechanics use) keeps the
    pattern and gives identity rows and columns on the constrained DOFs, the rest as it was."""
    from ..verification.helpers import layered_box

    mesh = layered_box((1e-3, 1e-3), [("a", 0.2e-3, 1)], 0.4e-3, order=2)
    fs = space(mesh)
    E, nu = np.full(mesh.n_elements, 1e11), np.full(mesh.n_elements, 0.3)
    D = np.array([0, 1, 2, 3 * 7 + 1, 3 * 11 + 2, 3 * fs.n - 1])
    ns, xp = HOST, np
    if where == "device":
        xp = request.getfixturevalue("numpy_as_cupy")
        ns = _device_ns()
    K = asm.elasticity_matrix(fs, *lame(E, nu), xp=xp)
    dense = sp.csr_matrix(K, copy=True).toarray()
    dense[D, :] = 0.0
    dense[:, D] = 0.0
    dense[D, D] = 1.0
    nnz = K.nnz
    expect = sp.csr_matrix(dense)
    got = amg.eliminate(K, D, ns)
    assert got.nnz == nnz  # the pattern is kept (explicit zeros stay stored)
    assert got is K
    assert abs(sp.csr_matrix(got) - expect).max() == 0
    from fea.errors import InputError

    holes = sp.csr_matrix(sp.diags([1.0, 0.0, 2.0]))
    holes.eliminate_zeros()
    with pytest.raises(InputError, match="diagonal"):
        amg.eliminate(holes, np.array([1]))
