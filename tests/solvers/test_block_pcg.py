"""Batched PCG (:func:`fea.solvers.krylov.block_pcg`): k columns in lockstep against PCG
column by column and against direct solves, on a two-material plate and on the small
package; the AMG V-cycle and pyamg's cycle (through the device code on the NumPy stand-in)
applied to a block."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from fea.fe import forms as asm
from fea.fe.constraints import rigid_body_modes
from fea.fe.spaces import space
from fea.physics.constitutive import lame
from fea.solvers import eliminate, pcg, prepare
from fea.solvers.amg import build_hierarchy
from fea.solvers.base import BlockPreconditioner
from fea.solvers.krylov import affine_product, block_pcg

from ..verification.helpers import layered_box


@pytest.fixture(scope="module")
def plate():
    """A two-material P2 plate clamped at the bottom: its elasticity matrix (identity rows
    on the clamped DOFs), the rigid-body modes and a block of 5 loads (one zero)."""
    mesh = layered_box((2e-3, 1.5e-3), [("a", 0.3e-3, 2), ("b", 0.2e-3, 1)], 0.25e-3, order=2)
    fs = space(mesh)
    bottom = np.flatnonzero(fs.nodes[:, 2] < 1e-12)
    in_a = np.zeros(mesh.n_elements, dtype=bool)
    in_a[mesh.regions["a"]] = True
    D = np.concatenate([3 * bottom, 3 * bottom + 1, 3 * bottom + 2])
    nu = np.full(len(in_a), 0.3)
    K = asm.elasticity_matrix(fs, *lame(np.where(in_a, 130e9, 3e9), nu))
    A = eliminate(K, D)
    rng = np.random.default_rng(3)
    B = rng.uniform(-1.0, 1.0, (3 * fs.n, 5))
    B[:, 3] = 0.0
    B[D] = 0.0
    # the soft layer's stiffness alone (zero on the clamped rows and columns): a variant's
    # matrix is A + c K_b
    keep = np.ones(3 * fs.n)
    keep[D] = 0.0
    S = sp.diags(keep)
    K_b = (S @ asm.elasticity_matrix(fs, *lame(np.where(in_a, 0.0, 3e9), nu)) @ S).tocsr()
    return A, B, rigid_body_modes(fs.nodes), K_b


@pytest.mark.parametrize("precision", ["double", "mixed"])
def test_the_v_cycle_takes_a_block(plate, precision):
    """The V-cycle of :mod:`fea.solvers.amg` applied to a block (n, k) equals the cycle of
    each column: to 1e-13 in float64, to float32's rounding (1e-5) in mixed precision."""
    A, B, R, _ = plate
    M = build_hierarchy(A, near_null=R, block=3).preconditioner(precision)
    Z = M(B)
    assert Z.shape == B.shape and Z.dtype == np.float64
    tol = 1e-13 if precision == "double" else 1e-5
    for j in range(B.shape[1]):
        z = M(B[:, j])
        assert np.linalg.norm(Z[:, j] - z) <= tol * max(np.linalg.norm(z), 1e-300), j


def test_block_pcg_equals_pcg_column_by_column(plate):
    """Each column of the block equals :func:`pcg` on that column with the same V-cycle
    (float64) to 1e-10 relative, in the same number of iterations (+-1 for rounding), and
    both meet SuperLU's answer to the tolerance; the zero column is zero in 0 iterations."""
    A, B, R, _ = plate
    M = build_hierarchy(A, near_null=R, block=3).preconditioner("double")
    res = block_pcg(A, B, M, rtol=1e-11, maxiter=500)
    assert res.x.shape == B.shape and res.all_converged
    lu = spla.splu(A.tocsc())
    for j in range(B.shape[1]):
        one = pcg(A, B[:, j], M, rtol=1e-11, maxiter=500)
        if j == 3:
            assert res.iterations[j] == 0 and not res.x[:, j].any()
            continue
        scale = np.linalg.norm(one.x)
        assert np.linalg.norm(res.x[:, j] - one.x) <= 1e-10 * scale, j
        assert abs(res.iterations[j] - one.iterations) <= 1, (res.iterations[j], one.iterations)
        assert np.linalg.norm(res.x[:, j] - lu.solve(B[:, j])) <= 1e-8 * scale, j
        assert res.residuals[j] <= 1e-11 and res.history[j][-1] == res.residuals[j]
    assert res.steps == max(res.iterations)


def test_columns_freeze_and_caps_are_reported(plate):
    """A column that converges leaves the block (its answer is that of a run with the
    column alone, to the rounding of a block product); a cap below the need stops every
    column not converged; a matrix that is not positive definite stops at the first
    step."""
    A, B, R, _ = plate
    M = build_hierarchy(A, near_null=R, block=3).preconditioner("double")
    easy = pcg(A, B[:, 0], M, rtol=1e-4).x  # a start near the answer: converges early
    X0 = np.zeros_like(B[:, :2])
    X0[:, 0] = easy
    res = block_pcg(A, B[:, :2], M, x0=X0, rtol=1e-10)
    alone = block_pcg(A, B[:, :1], M, x0=X0[:, :1], rtol=1e-10)
    assert res.iterations[0] < res.iterations[1]
    scale = np.linalg.norm(alone.x)
    assert np.linalg.norm(res.x[:, 0] - alone.x[:, 0]) <= 1e-12 * scale  # products' rounding
    assert len(res.history[0]) == res.iterations[0] + 1 < len(res.history[1])
    capped = block_pcg(A, B, M, rtol=1e-12, maxiter=3)
    assert capped.converged == [False, False, False, True, False]
    assert capped.iterations == [3, 3, 3, 0, 3]
    bad = block_pcg(-A, B[:, :2], rtol=1e-10)
    assert bad.converged == [False, False] and bad.iterations == [1, 1]


def test_a_matrix_per_column_and_the_affine_product(plate):
    """Columns with their own matrices ``A + c_j K_b`` (a softer or stiffer layer) under
    the one preconditioner of ``A``: a list of matrices and the affine product give the
    same answers, each within 1e-8 of SuperLU's for its own matrix."""
    A, B, R, K_b = plate
    c = np.array([0.0, 1.0, 9.0, -0.5])
    mats = [(A + cj * K_b).tocsr() for cj in c]
    M = build_hierarchy(A, near_null=R, block=3).preconditioner("double")
    Bk = B[:, [0, 1, 2, 4]]
    listed = block_pcg(mats, Bk, M, rtol=1e-11, maxiter=1000)
    affine = block_pcg(affine_product(A, [K_b], c[:, None], np), Bk, M, rtol=1e-11, maxiter=1000)
    assert listed.all_converged and affine.all_converged
    for j, Aj in enumerate(mats):
        ref = spla.splu(Aj.tocsc()).solve(Bk[:, j])
        scale = np.linalg.norm(ref)
        assert np.linalg.norm(listed.x[:, j] - ref) <= 1e-8 * scale
        assert np.linalg.norm(affine.x[:, j] - ref) <= 1e-8 * scale
    assert listed.iterations[2] > listed.iterations[0]  # the farther matrix needs more


def test_a_preconditioner_of_vectors_only_is_applied_by_columns(plate):
    """pyamg's cycle refuses a block: :class:`BlockPreconditioner` applies it column by
    column, with the answers of the vector cycle."""
    import pyamg

    A, B, R, _ = plate
    ml = pyamg.smoothed_aggregation_solver(A, B=R)

    def cycle(r):
        return ml.solve(r, x0=np.zeros_like(r), tol=1e-30, maxiter=1)

    M = BlockPreconditioner(cycle)
    Z = M(B[:, :3])
    assert M.blocks is False
    for j in range(3):
        assert np.array_equal(Z[:, j], cycle(B[:, j]))


@pytest.mark.parametrize("method", ["amg", "amg-xp"])
def test_prepared_block_solve_is_one_batched_pcg(plate, method):
    """``Prepared.solve(B)`` on the AMG paths runs one batched PCG: the block's steps are
    its columns' largest iteration count, the true residuals per column reported and
    within the tolerance."""
    A, B, R, _ = plate
    with prepare(A, kind="elasticity", backend="cpu", method=method, near_null=R, rtol=1e-10) as p:
        X, info = p.solve(B)
    lu = spla.splu(A.tocsc())
    assert info.extra["block_steps"] == info.iterations == max(info.extra["column_iterations"])
    assert info.extra["column_iterations"][3] == 0
    for j in range(B.shape[1]):
        ref = lu.solve(B[:, j])
        assert np.linalg.norm(X[:, j] - ref) <= 1e-8 * max(np.linalg.norm(ref), 1e-300)
        assert info.extra["column_residuals"][j] <= 1e-9


def test_pyamg_device_cycle_takes_a_block(plate, device):
    """The ``amg-pyamg`` device solver (pyamg's hierarchy moved to the device; its Jacobi
    cycle here on the NumPy stand-in) solves a block in one batched PCG, each column
    within 1e-8 of SuperLU's answer."""
    A, B, R, _ = plate
    with prepare(
        A, kind="elasticity", backend="gpu", method="amg-pyamg", near_null=R, rtol=1e-10
    ) as p:
        X, info = p.solve(B)
    lu = spla.splu(A.tocsc())
    assert info.backend == "gpu" and len(info.extra["column_iterations"]) == 5
    for j in (0, 1, 2, 4):
        ref = lu.solve(B[:, j])
        assert np.linalg.norm(X[:, j] - ref) <= 1e-8 * np.linalg.norm(ref)


@pytest.mark.slow
def test_block_on_the_package(package, package_reference):
    """The small package's conduction system (60,324 unknowns) and its elasticity (180,972,
    free body): a block of 4 loads (the physics' own load, scaled and perturbed) by
    batched PCG with the AMG V-cycle against PCG per column (1e-9) and, for the physics'
    load, the reference solution (1e-8)."""
    rng = np.random.default_rng(11)
    for s in (package.scalar, package.elasticity):
        B = np.stack([s.b] + [s.b * rng.uniform(0.5, 1.5, s.b.size) for _ in range(3)], axis=1)
        B[s.b == 0.0] = 0.0
        h = build_hierarchy(s.A, near_null=s.near_null, block=3 if s.kind == "elasticity" else 1)
        M = h.preconditioner("mixed")
        res = block_pcg(s.A, B, M, rtol=1e-10, maxiter=2000)
        assert res.all_converged, s.kind
        ref = package_reference[s.kind]
        assert np.linalg.norm(res.x[:, 0] - ref) <= 1e-8 * np.linalg.norm(ref), s.kind
        for j in (1, 3):
            one = pcg(s.A, B[:, j], M, rtol=1e-10, maxiter=2000)
            scale = np.linalg.norm(one.x)
            assert np.linalg.norm(res.x[:, j] - one.x) <= 1e-9 * scale, (s.kind, j)


def test_a_block_after_an_update_is_capped_and_rebuilt(plate):
    """A block after :meth:`Prepared.update` to a far matrix (the soft layer 30 x
    stiffer): the kept hierarchy is capped at the first solve's iterations
    (``rebuild_factor=1``), the columns not converged within the cap are solved again
    after a rebuild, and every column meets SuperLU's answer for the new matrix."""
    A, B, R, K_b = plate
    kw = dict(kind="elasticity", backend="cpu", method="amg-xp", near_null=R, rtol=1e-10)
    with prepare(A, rebuild_factor=1.0, **kw) as p:
        _, first = p.solve(B)
        A2 = (A + 30.0 * K_b).tocsr()
        p.update(A2)
        X, info = p.solve(B)
    assert info.extra["setup"] == "rebuilt"
    assert info.extra["reuse_iterations"] == first.iterations
    lu = spla.splu(A2.tocsc())
    for j in (0, 1, 2, 4):
        ref = lu.solve(B[:, j])
        assert np.linalg.norm(X[:, j] - ref) <= 1e-8 * np.linalg.norm(ref), j
