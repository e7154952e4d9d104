"""The solver layer as a user meets it: bad options refused whatever the method, systems a
user makes by mistake (NaN in the matrix or the load, a body with no restraint, a zero
load, an iteration limit too low) answered by a :mod:`fea.errors` message that names the
likely cause, never by a NaN answer or a loop to ``maxiter``."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from fea.errors import BackendUnavailable, InputError, IterationLimitError, SolverError
from fea.fe.constraints import rigid_body_modes
from fea.solvers import block_pcg, newton, pcg, prepare, solve

from .systems import grid, two_layer_box

METHODS = ["direct", "amg", "amg-xp", "auto"]


@pytest.fixture(scope="module")
def poisson():
    """A 12 x 12 shifted Laplacian (SPD, 144 unknowns) and a load."""
    A = grid(12, 12)
    return A, np.linspace(1.0, 2.0, A.shape[0])


@pytest.mark.parametrize("method", ["direct", "amg"])
@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("maxiter", 0),
        ("maxiter", -5),
        ("maxiter", 2.5),
        ("maxiter", math.nan),
        ("maxiter", "100"),
        ("maxiter", True),
        ("rebuild_factor", math.inf),
        ("rebuild_factor", math.nan),
        ("rebuild_factor", 0.5),
        ("rebuild_factor", "2"),
    ],
)
def test_a_bad_iteration_setting_is_refused_whatever_the_method(poisson, method, key, value):
    """maxiter and rebuild_factor are checked as rtol is, for a direct solve too (it used to
    ignore them: maxiter = -5 passed until a later iterative solve broke on it, and
    rebuild_factor = inf broke the reuse cap, floor(inf), with an OverflowError)."""
    A, b = poisson
    with pytest.raises(InputError, match=key):
        prepare(A, backend="cpu", method=method, **{key: value})
    if key == "maxiter":
        with pytest.raises(InputError, match=key):
            solve(A, b, backend="cpu", method=method, maxiter=value)


def test_a_whole_float_maxiter_is_taken_as_an_int(poisson):
    A, b = poisson
    with prepare(A, backend="cpu", method="amg", maxiter=50.0) as p:
        assert p.maxiter == 50 and isinstance(p.options.maxiter, int)
        _, info = p.solve(b)
    assert info.residual <= 1e-10


@pytest.mark.parametrize("method", METHODS)
def test_a_nan_in_the_load_is_named_before_any_work(poisson, method):
    """A NaN load gave a NaN answer from Pardiso (residual NaN, no error) and 2000 PCG
    iterations of NaN from AMG; now one message says where it is and where it comes from."""
    A, b = poisson
    bad = b.copy()
    bad[[17, 40]] = [np.nan, np.inf]
    with pytest.raises(
        SolverError, match=r"right-hand side .* not finite: 2 NaN or inf .* unknown 17"
    ):
        solve(A, bad, backend="cpu", method=method)
    with prepare(A, backend="cpu", method=method) as p:
        block = np.stack([b, bad], axis=1)
        with pytest.raises(SolverError, match=r"unknown 17 \(node 17\), column 1"):
            p.solve(block)
        x, info = p.solve(b)  # the prepared solver is still usable
    assert info.residual <= 1e-10 and np.isfinite(x).all()


@pytest.mark.parametrize("method", METHODS)
def test_a_nan_in_the_matrix_is_named_before_any_work(poisson, method):
    """A NaN stiffness entry (a NaN modulus reaching the assembly) was factorised by Pardiso
    into a NaN-residual answer without an error, and raised a bare ValueError from pyamg."""
    A, b = poisson
    bad = A.copy()
    bad.data[bad.indptr[30] + 1] = np.nan
    with pytest.raises(
        SolverError, match=r"matrix is not finite: 1 NaN or inf .* row of unknown 30 .*E, nu"
    ):
        solve(bad, b, backend="cpu", method=method)
    with prepare(A, backend="cpu", method=method) as p:
        with pytest.raises(SolverError, match="matrix is not finite: 1 NaN"):
            p.update(bad)
        x, _ = p.solve(b)  # the refused update left the prepared matrix as it was
    assert np.linalg.norm(A @ x - b) <= 1e-9 * np.linalg.norm(b)


def test_an_elasticity_row_is_named_as_a_node_and_component(poisson):
    A, b = poisson  # 144 unknowns: 48 nodes of 3 components
    bad = b.copy()
    bad[31] = np.nan
    with pytest.raises(SolverError, match=r"unknown 31 \(node 10, uy\)"):
        solve(A, bad, kind="elasticity", backend="cpu", method="direct")


# -- systems that are singular or not positive definite ------------------------------------------


def _floating_conduction():
    """Conduction with no temperature held anywhere (the grid's graph Laplacian: row sums
    0, the constant its null space) and a load that is not balanced."""
    G = grid(12, 12)
    A = (G - sp.diags(np.asarray(G.sum(axis=1)).ravel())).tocsr()
    return A, np.linspace(1.0, 2.0, A.shape[0])


@pytest.fixture(scope="module")
def free_body():
    """A two-layer P2 box with no support at all (six rigid-body modes free; 7,269 DOF), a
    downward load, the rigid-body modes."""
    K, fs = two_layer_box()
    b = np.zeros(K.shape[0])
    b[2::3] = -1.0
    return K, b, rigid_body_modes(fs.nodes)


@pytest.mark.parametrize("method", METHODS)
def test_no_restraint_is_named_as_the_likely_cause(free_body, method):
    """A free body: Pardiso's "failed in phase 12 (error -4)" and pyamg-PCG's "did not
    converge in 28 iterations" (maxiter 2000: it had stopped on p^T A p <= 0) did not say
    that the body has no restraint."""
    K, b, rbm = free_body
    with pytest.raises(SolverError, match="no restraint"):
        solve(K, b, kind="elasticity", near_null=rbm, backend="cpu", method=method)
    A, f = _floating_conduction()
    with pytest.raises(SolverError, match="not positive definite: .*no restraint"):
        solve(A, f, backend="cpu", method=method)


@pytest.mark.parametrize("method", ["amg", "amg-pyamg", "jacobi"])
def test_no_restraint_is_named_on_the_device_path_at_the_default_limit(free_body, device, method):
    """The device's PCG (its array namespace, NumPy standing in for CuPy) on the free
    body, at the default maxiter: a residual above its start counts as a singular system
    only after GROWTH_EVIDENCE_ITERATIONS; Jacobi-PCG stops on p^T A p <= 0 after some
    hundreds of iterations, the AMG hierarchies at their coarsest level. Each still names
    the missing restraint, and none is taken for an iteration limit."""
    K, b, rbm = free_body
    with pytest.raises(SolverError, match="no restraint") as err:
        solve(K, b, kind="elasticity", near_null=rbm, backend="gpu", method=method)
    assert not isinstance(err.value, IterationLimitError)


@pytest.mark.parametrize("method", ["direct", "auto"])
def test_superlu_does_not_answer_a_singular_system(monkeypatch, method):
    """Without Pardiso the direct solver is SuperLU, which does not stop on the floating
    conduction system: it answered x of 6e16 with info.residual 21 and no error."""
    from fea.solvers import cpu, registry

    monkeypatch.setattr(cpu, "pardiso_available", lambda: False)
    monkeypatch.setattr(registry, "pardiso_available", lambda: False)
    A, f = _floating_conduction()
    with pytest.raises(SolverError, match=r"superlu: .*residual .* numerically singular"):
        solve(A, f, backend="cpu", method=method)
    _, info = solve(grid(12, 12), f, backend="cpu", method=method)  # a regular one still runs
    assert info.method == "superlu" and info.residual <= 1e-12


@pytest.mark.parametrize("method", ["amg", "amg-xp"])
def test_an_iteration_limit_says_what_was_reached_and_what_to_change(method):
    A = grid(40, 40)  # above pyamg's coarsest size: more than a V-cycle to converge
    b = np.linspace(1.0, 2.0, A.shape[0])
    with pytest.raises(SolverError) as err:
        solve(A, b, backend="cpu", method=method, rtol=1e-14, maxiter=2)
    msg = str(err.value)
    assert "did not converge in 2 iterations (maxiter = 2)" in msg
    assert "target rtol 1.0e-14" in msg and "raise maxiter" in msg
    assert "no restraint" not in msg  # the residual fell: not a singular system


def test_pcg_stops_on_a_nan_instead_of_running_to_maxiter(poisson):
    """p^T A p = NaN passed the old test ``pAp <= 0`` (False for NaN): a preconditioner
    that turned out a NaN cost maxiter iterations of NaN."""
    A, b = poisson

    def nan_after_one(r):
        return r * np.nan

    res = pcg(A, b, nan_after_one, maxiter=500)
    assert not res.converged and res.breakdown and res.iterations == 1
    blk = block_pcg(A, np.stack([b, 2 * b], axis=1), nan_after_one, maxiter=500)
    assert blk.steps == 1 and blk.breakdown == [True, True] and not any(blk.converged)
    # a column that breaks down stops where it was: its start (zero), not a NaN update
    assert np.all(blk.x == 0.0) and np.all(res.x == 0.0)
    assert blk.history == [[1.0], [1.0]] and res.history == [1.0]
    ok = pcg(A, b, maxiter=500)
    assert ok.converged and not ok.breakdown


@pytest.mark.parametrize(
    ("key", "value"),
    [("rtol", math.nan), ("rtol", 0.0), ("rtol", -1e-8), ("rtol", math.inf), ("maxiter", 2.5)]
    + [("maxiter", -1), ("maxiter", math.inf), ("maxiter", True)],
)
def test_the_krylov_functions_refuse_a_bad_tolerance_or_step_count(poisson, key, value):
    """pcg and block_pcg called directly check their own settings: a NaN rtol never
    stopped (every comparison with it false) and ran to maxiter; 2.5 steps ran 3."""
    A, b = poisson
    with pytest.raises(InputError, match=f"pcg.{key}"):
        pcg(A, b, **{key: value})
    with pytest.raises(InputError, match=f"block_pcg.{key}"):
        block_pcg(A, np.stack([b, b], axis=1), **{key: value})
    start = pcg(A, b, maxiter=0)  # no step: the start (zero) is the answer, not converged
    assert start.iterations == 0 and not start.converged and not np.any(start.x)
    met = pcg(A, b, rtol=1.5)  # above 1 (an inexact Newton's forcing term): the zero start
    assert met.converged and np.all(np.isfinite(met.x))


def test_newton_refuses_a_fractional_backtrack_count():
    """``max_backtracks = 2.5`` ran two halvings silently; 0 (no line search) stays allowed."""
    A = sp.identity(3, format="csr")
    b = np.ones(3)

    def residual(u):
        return A @ u - b

    with pytest.raises(InputError, match="newton.max_backtracks"):
        newton(residual, np.zeros(3), tangent=lambda u: A, max_backtracks=2.5)
    u, info = newton(residual, np.zeros(3), tangent=lambda u: A, max_backtracks=0)
    assert np.allclose(u, b) and info.iterations >= 1


@pytest.mark.parametrize("method", METHODS)
def test_a_zero_load_gives_exactly_zero(poisson, method):
    """No division by zero anywhere: x is 0 exactly, the residual reported 0 (a block with
    a zero column too)."""
    A, b = poisson
    x, info = solve(A, np.zeros_like(b), backend="cpu", method=method)
    assert not x.any() and info.residual == 0.0
    X, info = solve(A, np.stack([b, 0 * b], axis=1), backend="cpu", method=method)
    assert not X[:, 1].any() and np.isfinite(info.residual) and info.residual <= 1e-10


# -- a GPU method asked for where there is no GPU ------------------------------------------------


@pytest.mark.parametrize("method", ["jacobi", "cudss"])
def test_a_gpu_method_without_a_gpu_says_no_gpu(poisson, monkeypatch, method):
    """[solver] method = "jacobi" or "cudss" (both in the spec's allowed list) with backend
    auto on a machine without a GPU answered "solver.method = 'jacobi': one of auto, amg,
    amg-xp, direct on the cpu", as if the name were misspelt."""
    from fea.solvers import registry
    from fea.solvers.gpu import DeviceStatus

    A, b = poisson
    monkeypatch.setattr(registry, "probe_device", lambda: DeviceStatus(False, "no CUDA here"))
    with pytest.raises(
        BackendUnavailable, match=f"method='{method}' runs on the GPU only.*no CUDA"
    ):
        solve(A, b, method=method)
    with pytest.raises(InputError, match=f"'{method}' is a GPU method"):
        solve(A, b, backend="cpu", method=method)


def test_a_cpu_method_with_backend_auto_stays_on_the_cpu(poisson, monkeypatch):
    """[solver] method = "amg-xp" (the CPU's run of the device AMG) with backend auto where
    auto would take a GPU: it runs on the CPU (it was sent to the device, where no method
    of that name exists)."""
    from fea.solvers import registry

    A, b = poisson
    monkeypatch.setattr(registry, "resolve_backend", lambda *a, **k: ("gpu", "auto: a GPU"))
    x, info = solve(A, b, method="amg-xp")
    assert info.backend == "cpu" and "runs on the CPU only" in info.reason
    assert np.linalg.norm(A @ x - b) <= 1e-8 * np.linalg.norm(b)


def test_a_gpu_method_takes_the_gpu_below_the_crossover(poisson, device):
    """backend auto with a device method and a working device: the device, whatever the
    size (the crossover is for auto's own choice of method)."""
    A, b = poisson
    x, info = solve(A, b, method="jacobi")
    assert info.backend == "gpu" and "runs on the GPU only" in info.reason
    assert np.linalg.norm(A @ x - b) <= 1e-9 * np.linalg.norm(b)


# -- what SolveInfo reports ------------------------------------------------------------------------


def test_a_registered_method_reports_the_true_residual(poisson):
    """A one-shot method's own ``residual`` (here a claim of 0 for an answer 1 % off) was
    reported as ``info.residual`` unchecked."""
    from fea.solvers import register_method, registry

    A, b = poisson

    def sloppy(A, b, *, kind, near_null, rtol, maxiter):
        return 1.01 * spla.spsolve(A.tocsc(), b), {"method": "sloppy", "residual": 0.0}

    with registry.registrations():
        register_method("sloppy", sloppy)
        _, info = solve(A, b, backend="cpu", method="sloppy")
        _, zero = solve(A, np.zeros_like(b), backend="cpu", method="sloppy")
    assert info.residual == pytest.approx(0.01, rel=1e-6)
    assert info.extra["reported_residual"] == 0.0 and zero.residual == 0.0


@pytest.mark.parametrize("method", METHODS)
def test_the_reported_residual_is_the_true_one(poisson, method):
    A, b = poisson
    x, info = solve(A, b, backend="cpu", method=method)
    true = np.linalg.norm(b - A @ x) / np.linalg.norm(b)
    # amg-xp's products run in MKL: their rounding, about 1e-16 ||A|| ||x|| / ||b|| (below
    # 1e-14 for this well-conditioned grid), may differ from SciPy's product used here
    assert abs(info.residual - true) <= 1e-6 * true + 1e-14, (info.residual, true)
    assert info.method and info.reason and info.iterations >= 1


@pytest.mark.parametrize("capacity", [0, -1, 2.5, math.nan, "2"])
def test_a_solver_cache_of_a_bad_capacity_is_refused_by_name(capacity):
    """SolverCache raised a bare ValueError("capacity >= 1") for 0 and took NaN and 2.5."""
    from fea.solvers import SolverCache

    with pytest.raises(InputError, match="capacity"):
        SolverCache(capacity)


# -- arrays of the wrong kind --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["amg", "amg-xp"])
def test_a_rectangular_matrix_is_named_on_every_path(poisson, method):
    """pyamg raised a bare ValueError, amg-xp numpy's LinAlgError("Singular matrix")."""
    A, b = poisson
    with pytest.raises(InputError, match=r"A = \(144, 140\): a square matrix"):
        solve(A[:, :140], b, backend="cpu", method=method)


@pytest.mark.parametrize("method", ["direct", "amg"])
def test_complex_input_is_refused_not_cut_to_its_real_part(poisson, method):
    """A complex load was solved for its real part with only a ComplexWarning."""
    A, b = poisson
    with pytest.raises(InputError, match="b = 'dtype complex128': real numbers"):
        solve(A, b + 1j, backend="cpu", method=method)
    with pytest.raises(InputError, match="A = 'dtype complex128'"):
        solve(A * (1 + 0j), b, backend="cpu", method=method)


def test_the_rigid_body_modes_and_the_start_are_checked(poisson):
    """A near_null of the wrong shape raised pyamg's bare ValueError; a NaN start x0 was
    reported as a singular system (PCG broke down on it)."""
    A, b = poisson
    kw = dict(kind="elasticity", backend="cpu", method="amg")
    with pytest.raises(InputError, match=r"near_null = \(10, 6\): shape \(144, m\)"):
        solve(A, b, near_null=np.ones((10, 6)), **kw)
    with pytest.raises(InputError, match="near_null = 'NaN or inf entries'"):
        solve(A, b, near_null=np.full((144, 6), np.nan), **kw)
    with pytest.raises(InputError, match="kind = 'elasticity': .* 3 unknowns a node"):
        solve(grid(7, 7), np.ones(49), **kw)  # 49 unknowns: not 3 a node
    with prepare(A, backend="cpu", method="amg") as p:
        with pytest.raises(SolverError, match="the start x0 is not finite: 144 NaN"):
            p.solve(b, x0=np.full_like(b, np.nan))


def test_the_reason_gives_a_small_size_as_it_is(poisson, monkeypatch):
    """A 144-unknown system was "0k DOF" in auto's reason."""
    from fea.solvers import cpu, registry

    A, b = poisson
    monkeypatch.setattr(cpu, "pardiso_available", lambda: False)
    monkeypatch.setattr(registry, "pardiso_available", lambda: False)
    _, info = solve(A, b, backend="cpu")
    assert "144 DOF against the direct limit" in info.reason, info.reason


def test_solve_gpu_checks_the_system_before_the_device(poisson):
    """The device entry point for callers holding device arrays checks what ``solve`` checks
    before anything reaches a device (so these run without one): a NaN matrix, a NaN load,
    a load of another length, complex numbers, a non-square matrix."""
    from fea.solvers.gpu import solve_gpu

    A, b = poisson
    bad = A.copy()
    bad.data[5] = np.nan
    with pytest.raises(SolverError, match="system matrix is not finite"):
        solve_gpu(bad, b, kind="scalar", method="amg")
    with pytest.raises(SolverError, match="right-hand side .* not finite"):
        solve_gpu(A, np.where(np.arange(b.size) == 3, np.inf, b), kind="scalar", method="amg")
    with pytest.raises(InputError, match="b = "):
        solve_gpu(A, b[:-1], kind="scalar", method="amg")
    with pytest.raises(InputError, match="real numbers"):
        solve_gpu(A, b + 1j, kind="scalar", method="amg")
    with pytest.raises(InputError, match="square"):
        solve_gpu(A[:-1], b, kind="scalar", method="amg")


# -- a matrix that is not symmetric ----------------------------------------------------------


def _skewed(A: sp.csr_matrix, eps: float) -> sp.csr_matrix:
    """``A`` plus a skew-symmetric part (a convection-like first difference) of Frobenius
    norm ``eps ||A||_F / 2``, so that ``||A - A^T||_F / ||A||_F = eps``."""
    n = A.shape[0]
    S = sp.diags([-1.0, 1.0], [-1, 1], shape=(n, n))
    return (A + S * (0.5 * eps * spla.norm(A) / spla.norm(S))).tocsr()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("eps", [0.3, 1e-6])
def test_a_matrix_that_is_not_symmetric_is_named_before_any_work(poisson, method, eps):
    """CG and Pardiso's Cholesky (the upper triangle only) solve symmetric systems. A
    non-symmetric one was answered by "the factor is numerically singular" (direct: a
    residual of 0.9 at an asymmetry of 0.3, 8e-5 at 1e-6), by "raise maxiter" after
    2000 iterations (AMG-PCG), or at 1e-6 by an answer; now by the key, the estimated
    asymmetry and what is allowed, on every method."""
    A, b = poisson
    with pytest.raises(InputError, match=r"A = 'not symmetric: \|\|A - A\^T\|\|_F / \|\|A"):
        solve(_skewed(A, eps), b, backend="cpu", method=method)


def test_the_asymmetry_is_estimated_to_its_order(poisson):
    """The probe (4 random vectors) reports ``||A - A^T||_F / ||A||_F`` to within a factor
    of a few (the largest of 6 samples of a normal spread), and an assembled symmetric
    matrix, free or clamped, passes."""
    import re

    from fea.solvers.base import SYMMETRY_RTOL, check_symmetric

    A, _ = poisson
    for eps in (1e-2, 1e-5):
        with pytest.raises(InputError) as err:
            check_symmetric(_skewed(A, eps))
        got = float(re.search(r"about ([0-9.e+-]+)", str(err.value)).group(1))
        assert eps / 5 <= got <= 5 * eps, (eps, got)
    check_symmetric(_skewed(A, SYMMETRY_RTOL / 100))  # within the tolerance
    K, _ = two_layer_box()
    check_symmetric(K)


def test_an_update_to_a_matrix_that_is_not_symmetric_is_refused(poisson):
    """:meth:`Prepared.update` checks the new matrix as the constructor does (it checked
    only NaN and inf): the solver keeps the old one."""
    A, b = poisson
    for method in ("direct", "amg"):
        with prepare(A, backend="cpu", method=method) as p:
            with pytest.raises(InputError, match="A = 'not symmetric"):
                p.update(_skewed(A, 1e-3))
            x, info = p.solve(b)
            assert info.residual <= 1e-9


def test_solve_gpu_refuses_a_matrix_that_is_not_symmetric(poisson):
    """The device entry point checks symmetry before anything reaches a device."""
    from fea.solvers.gpu import solve_gpu

    A, b = poisson
    with pytest.raises(InputError, match="not symmetric"):
        solve_gpu(_skewed(A, 1e-3), b, kind="scalar", method="amg")


def _fake_cudss(monkeypatch, answer) -> None:
    """``nvmath.sparse.advanced.direct_solver`` as ``answer(A, b)`` (on the stand-in)."""
    import sys
    import types

    nvmath = types.ModuleType("nvmath")
    nvmath.sparse = types.ModuleType("nvmath.sparse")
    nvmath.sparse.advanced = types.ModuleType("nvmath.sparse.advanced")
    nvmath.sparse.advanced.direct_solver = answer
    monkeypatch.setitem(sys.modules, "nvmath", nvmath)
    monkeypatch.setitem(sys.modules, "nvmath.sparse", nvmath.sparse)
    monkeypatch.setitem(sys.modules, "nvmath.sparse.advanced", nvmath.sparse.advanced)


def test_the_device_direct_solver_refuses_a_numerically_singular_answer(
    free_body, device, monkeypatch
):
    """cuDSS's answer is held to the CPU direct solver's residual limit (one check,
    ``check_direct_residual``): it was returned whatever its residual, so a free body's
    answer from a numerically singular factor (SuperLU's here: entries of 1e16, a residual
    of order 1) reached the user. A sound answer still passes."""
    A, b, _ = free_body
    _fake_cudss(monkeypatch, lambda M, v: spla.spsolve(sp.csc_matrix(M), v))
    with pytest.raises(SolverError, match="numerically singular: the system is singular"):
        solve(A, b, kind="elasticity", backend="gpu", method="direct")
    K = A + sp.identity(A.shape[0]) * A.diagonal().mean()  # restrained by springs: SPD
    x, info = solve(K, b, kind="elasticity", backend="gpu", method="direct")
    assert info.method == "cudss" and info.residual <= 1e-12
