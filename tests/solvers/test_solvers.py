"""Solver backends: the shared PCG loop, AMG and Jacobi, reused setups, backend selection,
the CuPy fallback on a machine without a usable GPU, and GPU-vs-CPU checks on a device."""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from skfem import MeshTet1

from fea.errors import BackendUnavailable, InputError, SolverError
from fea.fe import forms as asm
from fea.fe.constraints import rigid_body_modes
from fea.fe.mesh import Mesh, PlausibilityWarning
from fea.fe.spaces import space
from fea.physics.constitutive import lame
from fea.physics.materials import Material
from fea.physics.mechanics import solve_thermoelastic
from fea.solvers import pcg, prepare, probe_device, resolve_backend, solve
from fea.solvers.cpu import amg_setup, pardiso_available

from ..verification.helpers import layered_box


def _cube(n: int, order: int = 1) -> Mesh:
    m = MeshTet1.init_tensor(*[np.linspace(0, 1, n + 1)] * 3)
    # a unit cube in metres on purpose (the forms do not care about scale): no size warning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)
        return Mesh(m, m, {"body": np.arange(m.t.shape[1])}, {}, order=order)


def _poisson(n: int):
    """Conduction matrix of a unit cube with the x = 0 face held (free rows only), and a load."""
    mesh = _cube(n)
    fs = space(mesh)
    K = asm.conduction_matrix(fs, np.ones(mesh.n_elements))
    free = np.flatnonzero(fs.nodes[:, 0] > 1e-12)
    A = K[free][:, free].tocsr()
    b = asm.source_vector(fs, np.ones(mesh.n_elements))[free]
    return A, b


def _mixed_elasticity(size: float, seed: int):
    """P2 space of a two-layer block (element size ``size`` [m]) and random per-element
    E [Pa] and nu, shapes (n_elements,): high contrast, as in a package; and the generator
    for further draws."""
    mesh = layered_box((2e-3, 1e-3), [("a", 0.3e-3, 1), ("b", 0.2e-3, 1)], size, order=2)
    rng = np.random.default_rng(seed)
    E, nu = rng.uniform(1e9, 2e11, mesh.n_elements), rng.uniform(0.2, 0.45, mesh.n_elements)
    return space(mesh), E, nu, rng


def _jacobi(A):
    d = 1.0 / A.diagonal()
    return lambda r: d * r


def _amg(A):
    ml, _ = amg_setup(A)
    return lambda r: ml.solve(r, x0=np.zeros_like(r), tol=1e-30, maxiter=1, cycle="V")


def test_pcg_matches_spsolve_with_jacobi_and_amg():
    A, b = _poisson(12)
    x_ref = spla.spsolve(A.tocsc(), b)
    its = {}
    for name, M in (("none", None), ("jacobi", _jacobi(A)), ("amg", _amg(A))):
        res = pcg(A, b, M, rtol=1e-12)
        assert res.converged, name
        assert np.linalg.norm(res.x - x_ref) <= 1e-9 * np.linalg.norm(x_ref), name
        assert res.history[-1] == res.residual <= 1e-12
        its[name] = res.iterations
    assert its["amg"] <= 25 and 2 * its["amg"] < its["jacobi"] <= its["none"]


def test_iteration_counts_scale_as_expected():
    """CG-Jacobi iterations grow like 1/h (condition number ~ h^-2); AMG stays flat."""
    counts = {}
    for n in (8, 16):
        A, b = _poisson(n)
        counts[n] = (
            pcg(A, b, _jacobi(A), rtol=1e-10).iterations,
            pcg(A, b, _amg(A), rtol=1e-10).iterations,
        )
    jacobi = counts[16][0] / counts[8][0]
    amg = counts[16][1] / counts[8][1]
    assert 1.6 < jacobi < 2.5, counts
    assert amg < 1.4, counts


@pytest.mark.filterwarnings("ignore:Having less target vectors")
def test_elasticity_amg_needs_the_rigid_body_modes():
    mesh = _cube(12, order=1)
    fs = space(mesh)
    K = asm.elasticity_matrix(
        fs, *lame(np.full(mesh.n_elements, 100e9), np.full(mesh.n_elements, 0.3))
    )
    fixed = np.flatnonzero(fs.nodes[:, 0] < 1e-12)
    D = np.concatenate([3 * fixed, 3 * fixed + 1, 3 * fixed + 2])
    free = np.setdiff1d(np.arange(3 * fs.n), D)
    A = K[free][:, free].tocsr()
    b = np.zeros(3 * fs.n)
    b[2::3] = -1.0
    b = b[free]
    R = rigid_body_modes(fs.nodes)[free]
    x_ref = spla.spsolve(A.tocsc(), b)
    with_modes, info = solve(
        A, b, kind="elasticity", backend="cpu", method="amg", near_null=R, rtol=1e-10
    )
    assert np.linalg.norm(with_modes - x_ref) <= 1e-8 * np.linalg.norm(x_ref)
    ml, _ = amg_setup(A, near_null=np.ones((A.shape[0], 1)), block=3)
    plain = pcg(A, b, lambda r: ml.solve(r, x0=np.zeros_like(r), tol=1e-30, maxiter=1), rtol=1e-10)
    assert info.iterations < plain.iterations
    assert info.extra["levels"] >= 2


def test_pcg_edge_cases():
    A, b = _poisson(4)
    zero = pcg(A, np.zeros_like(b))
    assert zero.converged and zero.iterations == 0 and not zero.x.any()
    bad = pcg(-A, b)  # not positive definite: reported, not looped on
    assert not bad.converged
    capped = pcg(A, b, maxiter=2)
    assert not capped.converged and capped.iterations == 2
    with pytest.raises(SolverError, match="did not converge"):
        solve(A, b, backend="cpu", method="amg", rtol=1e-30, maxiter=1)


def test_prepared_solver_reuses_the_setup():
    A, b = _poisson(10)
    for method in ("direct", "amg"):
        with prepare(A, backend="cpu", method=method, rtol=1e-12) as p:
            for scale in (1.0, -3.0):
                x, info = p.solve(scale * b)
                assert info.residual < 1e-10
                assert np.allclose(x, scale * spla.spsolve(A.tocsc(), b), rtol=1e-8, atol=0)
    with pytest.raises(InputError, match="solver.method"):
        prepare(A, backend="cpu", method="jacobi")


# -- backend selection -------------------------------------------------------------------


def test_cpu_request_and_bad_backend():
    assert resolve_backend("cpu") == ("cpu", "requested")
    with pytest.raises(InputError, match="backend"):
        resolve_backend("tpu")


def test_auto_records_the_backend_and_why():
    from fea.solvers.registry import gpu_crossover

    mesh = layered_box((1e-3, 1e-3), [("a", 0.2e-3, 1)], 0.5e-3, order=1)
    n = 3 * space(mesh).n
    where, reason = resolve_backend("auto", n=n, kind="elasticity")
    status = probe_device()
    # auto takes a usable GPU only from the crossover size on (this system is far below it)
    assert (where == "gpu") == (status.usable and n >= gpu_crossover("elasticity"))
    assert reason.startswith("auto:") and status.reason in reason
    m = {"a": Material("a", E=100e9, nu=0.3, alpha=10e-6, k=1.0)}
    me = solve_thermoelastic(mesh, m, 100.0, 25.0, backend="auto")
    assert me.solver_info["backend"] == where
    # the backend's reason, then (auto on the CPU) why this method: the cost model's pick
    got = me.solver_info["reason"]
    assert got == reason if where == "gpu" else got.startswith(reason + "; direct (faster)")


@pytest.mark.skipif(
    importlib.util.find_spec("cupy") is None,
    reason="CuPy not installed (pip install 'fea[gpu]'; CI installs it)",
)
def test_cupy_without_a_usable_device_falls_back_cleanly():
    """CuPy imports on a machine with no driver and fails on first use: exactly this case."""
    status = probe_device()
    if status.usable:
        pytest.skip("a GPU works here: the fallback is not reachable")
    import cupy  # the import itself succeeds

    with pytest.raises(Exception) as first_use:
        cupy.arange(3).sum()
    assert "CuPy imports but the device does not work" in status.reason
    assert type(first_use.value).__name__ in status.reason
    where, reason = resolve_backend("auto")
    assert where == "cpu" and "no usable GPU" in reason
    A, b = _poisson(4)
    with pytest.raises(BackendUnavailable, match="no GPU is usable"):
        solve(A, b, backend="gpu")
    mesh = layered_box((1e-3, 1e-3), [("a", 0.2e-3, 1)], 0.5e-3, order=1)
    m = {"a": Material("a", E=100e9, nu=0.3, alpha=10e-6, k=1.0)}
    with pytest.raises(BackendUnavailable):
        solve_thermoelastic(mesh, m, 100.0, 25.0, backend="gpu")


def test_explicit_gpu_request_never_downgrades():
    if probe_device().usable:
        pytest.skip("a GPU works here")
    A, b = _poisson(4)
    with pytest.raises(BackendUnavailable) as exc:
        solve(A, b, backend="gpu")
    assert probe_device().reason in str(exc.value)


# -- on a real device -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def package_case():
    from fea.package.spec import parse_study

    from ..package.test_analyse import SMALL

    data = dict(SMALL)
    data["geometry"] = {k: v for k, v in SMALL["geometry"].items() if k != "board"}
    return parse_study(data).base


@pytest.mark.gpu
def test_device_assembly_equals_host_assembly(gpu_required):
    import cupy

    fs, E, nu, _ = _mixed_elasticity(0.2e-3, seed=0)
    host = asm.elasticity_matrix(fs, *lame(E, nu))
    dev = asm.elasticity_matrix(fs, *lame(E, nu), xp=cupy).get()
    assert abs(host - sp.csr_matrix(dev)).max() <= 1e-12 * abs(host).max()


@pytest.mark.gpu
def test_gpu_and_cpu_agree_on_the_package(gpu_required, package_case):
    from fea.package.meshing import build_mesh

    mesh, _ = build_mesh(package_case)
    mats = package_case.materials
    kw = dict(reference={"encapsulant": 175.0, "*": 25.0}, method="amg", rtol=1e-12)
    cpu = solve_thermoelastic(mesh, mats, 25.0, backend="cpu", **kw)
    gpu = solve_thermoelastic(mesh, mats, 25.0, backend="gpu", **kw)
    assert gpu.solver_info["backend"] == "gpu" and gpu.solver_info["device"].startswith("cuda")
    scale = np.abs(cpu.displacement).max()
    assert np.abs(gpu.displacement - cpu.displacement).max() <= 1e-8 * scale
    # the device hierarchy is not pyamg's: its iteration count is checked against pyamg's
    # smoothed aggregation in tests/solvers/test_gpu.py
    assert gpu.solver_info["method"] == "amg-pcg" and gpu.solver_info["setup"] == "built"
    from fea.physics.thermal import solve_thermal

    tk = dict(
        sources={"die": 0.5}, convection={"package_surface": (50.0, 25.0)}, method="amg", rtol=1e-12
    )
    tc = solve_thermal(mesh, mats, backend="cpu", **tk)
    tg = solve_thermal(mesh, mats, backend="gpu", **tk)
    assert np.abs(tg.temperature - tc.temperature).max() <= 1e-8 * np.abs(tc.temperature).max()


@pytest.mark.gpu
def test_mixed_precision_preconditioner_keeps_double_accuracy(gpu_required):
    from fea.solvers.gpu import solve_gpu

    A, b = _poisson(16)
    x_ref = spla.spsolve(A.tocsc(), b)
    for precision in ("mixed", "double"):
        x, info = solve_gpu(A, b, kind="scalar", method="amg", rtol=1e-12, precision=precision)
        assert np.linalg.norm(x - x_ref) <= 1e-10 * np.linalg.norm(x_ref), precision
    x, info = solve_gpu(A, b, kind="scalar", method="jacobi", rtol=1e-12)
    assert np.linalg.norm(x - x_ref) <= 1e-10 * np.linalg.norm(x_ref)


# -- the device code path, run on the CPU through a NumPy stand-in for CuPy -------------------


@pytest.fixture
def numpy_as_cupy(monkeypatch):
    """Install NumPy/SciPy under the names ``cupy`` and ``cupyx.scipy.sparse``.

    This is not a GPU test (those are the ``gpu``-marked ones): it runs the device code
    of ``fea.solvers.gpu`` and the ``xp=cupy`` assembly line by line on the CPU, so
    a wrong call in code that CI cannot run on a device is still caught here. The
    stand-in is shared with ``tests/solvers`` (``tests/solvers/standin.py``).
    """
    from .standin import install

    return install(monkeypatch)


def test_device_code_path_on_a_numpy_stand_in(numpy_as_cupy):
    from fea.solvers.gpu import solve_gpu

    fs, E, nu, rng = _mixed_elasticity(0.25e-3, seed=3)
    host = asm.elasticity_matrix(fs, *lame(E, nu))
    dev = asm.elasticity_matrix(fs, *lame(E, nu), xp=numpy_as_cupy)
    assert abs(host - dev).max() <= 1e-12 * abs(host).max()
    # a constrained elasticity system through the device solver: AMG (mixed, double), Jacobi
    fixed = np.flatnonzero(fs.nodes[:, 2] < 1e-12)
    D = np.concatenate([3 * fixed, 3 * fixed + 1, 3 * fixed + 2])
    free = np.setdiff1d(np.arange(3 * fs.n), D)
    A = host[free][:, free].tocsr()
    b = rng.standard_normal(A.shape[0])
    x_ref = spla.spsolve(A.tocsc(), b)
    R = rigid_body_modes(fs.nodes)[free]
    for method, precision in (("amg", "mixed"), ("amg", "double"), ("jacobi", "double")):
        x, info = solve_gpu(
            A,
            b,
            kind="elasticity",
            method=method,
            near_null=R,
            rtol=1e-11,
            maxiter=5000,
            precision=precision,
        )
        assert np.linalg.norm(x - x_ref) <= 1e-8 * np.linalg.norm(x_ref), (method, precision)
        assert info["iterations"] > 0 and info["gpu_stages"]["pcg_s"] >= 0
    assert info["method"] == "jacobi-pcg"
    _, amg = solve_gpu(A, b, kind="elasticity", method="amg", near_null=R, rtol=1e-11)
    assert amg["levels"] >= 2 and amg["cycle_bytes"] > 0 and amg["iterations"] < 100
    with pytest.raises(InputError, match="solver.method"):
        solve_gpu(A, b, kind="elasticity", method="lu")


def test_auto_method_limit_depends_on_kind_and_memory(monkeypatch):
    """Without Pardiso (no analysis to estimate from; with it the cost model decides):
    scalar conduction factorizes far cheaper than elasticity, so ``auto`` keeps the direct
    solver for larger scalar systems; both limits scale with the machine's memory."""
    from fea.solvers import registry

    monkeypatch.setattr(registry, "pardiso_available", lambda: False)
    assert registry.direct_limit("scalar") > registry.direct_limit("elasticity") > 0
    A, b = _poisson(6)
    n = A.shape[0]
    monkeypatch.setitem(registry.DIRECT_DOF_LIMIT, "scalar", 10 * n)
    monkeypatch.setitem(registry.DIRECT_DOF_LIMIT, "elasticity", n // 10)
    monkeypatch.setattr(
        registry.os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096}.get(name, 24e9 / 4096)
    )
    _, info_s = solve(A, b, kind="scalar", backend="cpu")
    assert info_s.method in ("pardiso", "superlu")
    _, info_e = solve(A, b, kind="elasticity", backend="cpu", rtol=1e-10)
    assert info_e.method == "amg-pcg"
    # a machine with a quarter of the memory gets (1/4)^(3/4) of the limit
    monkeypatch.setattr(
        registry.os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096}.get(name, 6e9 / 4096)
    )
    assert registry.direct_limit("scalar") == int(10 * n * 0.25**0.75)


@pytest.mark.skipif(not pardiso_available(), reason="MKL Pardiso is not installed")
def test_pardiso_reuses_the_ordering_and_skips_iterative_refinement():
    """Two factorisations of one elasticity pattern (P2 block, high-contrast random moduli,
    as a history's stiffnesses): the second takes the first's fill-reducing ordering from
    the pattern cache and gives the same solution as a factorisation that computes its
    own (1e-12); the cached upper triangle is SciPy's; a solve performs no iterative
    refinement step (``iparm[6]``) and still leaves a relative residual below 1e-10
    (4e-15 observed, 4,839 DOF) for a thermal-type load."""
    import fea.solvers.cpu as cpu

    fs, E, nu, rng = _mixed_elasticity(0.25e-3, 3)
    lam, mu = lame(E, nu)
    K = asm.elasticity_matrix(fs, lam, mu)
    # three nodes of one element held in x, y and z: no rigid motion left
    held = 3 * fs.dofs[0, :3].repeat(3) + np.tile(np.arange(3), 3)
    from fea.solvers import eliminate

    A1 = eliminate(K.copy().tocsr(), held)
    lam2, mu2 = lame(rng.uniform(1e9, 2e11, len(E)), nu)
    A2 = eliminate(asm.elasticity_matrix(fs, lam2, mu2).tocsr(), held)
    upper = cpu.upper_triangle(A1, {})
    ref = sp.triu(A1, format="csr")
    ref.sort_indices()
    assert (upper != ref).nnz == 0 and np.array_equal(upper.indices, ref.indices)
    S = np.zeros((len(E), fs.n_q, 6))
    S[..., :3] = ((3 * lam2 + 2 * mu2) * 1e-5 * 100.0)[:, None, None]  # alpha dT = 1e-3
    b = asm.stress_load(fs, S)
    b[held] = 0.0
    cpu.clear_pattern_cache()
    F1 = cpu.Factorized(A1)
    assert cpu.pattern_cache(A1).get("perm") is not None  # the ordering was kept
    assert F1.ordering == "computed"  # ... by Pardiso
    F2 = cpu.Factorized(A2)
    assert F2.ordering == "cached"
    x2 = F2.solve(b)
    assert F2.refinement_steps == 0  # no iterative refinement step
    assert np.linalg.norm(A2 @ x2 - b) <= 1e-10 * np.linalg.norm(b)
    cpu.clear_pattern_cache()
    F3 = cpu.Factorized(A2)  # its own ordering
    assert F3.ordering == "computed"
    x3 = F3.solve(b)
    assert np.abs(x2 - x3).max() <= 1e-12 * np.abs(x3).max()
    X = F2.solve(np.column_stack([b, 2.0 * b]))  # several right-hand sides at once
    assert X.shape == (len(b), 2) and np.abs(X[:, 1] - 2.0 * x2).max() <= 1e-12 * np.abs(x2).max()
    with pytest.raises(InputError, match="shape"):
        F2.solve(b[:-1])
    for F in (F1, F2, F3):
        F.close()


@pytest.mark.skipif(not pardiso_available(), reason="MKL Pardiso is not installed")
def test_pardiso_reads_only_canonical_matrices():
    """The raw Pardiso call gets a square float64 CSR matrix without duplicates or empty
    rows: duplicate entries are summed (as SciPy means them), an integer matrix is cast,
    a non-square one or one with an empty row is refused with a clear error."""
    import fea.solvers.cpu as cpu

    A, b = _poisson(4)
    x = spla.spsolve(A.tocsc(), b)
    C = A.tocoo()
    half = sp.csr_matrix(  # every entry split in two halves: duplicates
        (np.concatenate([C.data, C.data]) / 2, (np.tile(C.row, 2), np.tile(C.col, 2))),
        shape=A.shape,
    )
    half.has_canonical_format = False
    for M in (half, A):
        F = cpu.Factorized(M)
        assert np.abs(F.solve(b) - x).max() <= 1e-10 * np.abs(x).max()
        F.close()
        assert np.abs(cpu.direct(M, b)[0] - x).max() <= 1e-10 * np.abs(x).max()
    ints = sp.csr_matrix(np.array([[4, 1], [1, 3]], dtype=np.int64))
    assert np.allclose(cpu.direct(ints, np.array([1.0, 2.0]))[0], [1 / 11, 7 / 11])
    with pytest.raises(InputError, match="square"):
        cpu.Factorized(sp.csr_matrix(np.ones((2, 3))))
    empty = sp.csr_matrix(([1.0], ([0], [0])), shape=(2, 2))
    with pytest.raises(SolverError, match="empty row"):
        cpu.Factorized(empty)
