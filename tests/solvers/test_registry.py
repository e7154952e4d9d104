"""The solver registry: one table of (backend, method) factories behind solve() and Prepared,
reuse of a prepared hierarchy across nearby matrices, auto's GPU crossover, and the device
path (assembly, elimination, setup, PCG) run through the NumPy stand-in for CuPy."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from fea.errors import BackendUnavailable, InputError
from fea.fe import forms as asm
from fea.fe.constraints import rigid_body_modes
from fea.fe.spaces import space
from fea.physics.constitutive import lame
from fea.solvers import eliminate, prepare, registry, resolve_backend, solve
from fea.solvers.cpu import PardisoAnalysis
from fea.solvers.cpu import pardiso_available as cpu_pardiso_available

from ..verification.helpers import layered_box
from . import standin


@pytest.fixture(scope="module")
def two_layers():
    """A two-material P2 plate (a stiff, conductive layer on a soft, insulating one):
    the space, its bottom-face nodes and the element materials' layer flags."""
    mesh = layered_box((2e-3, 1.5e-3), [("a", 0.3e-3, 2), ("b", 0.2e-3, 1)], 0.25e-3, order=2)
    fs = space(mesh)
    bottom = np.flatnonzero(fs.nodes[:, 2] < 1e-12)
    in_a = np.zeros(mesh.n_elements, dtype=bool)
    in_a[mesh.regions["a"]] = True
    return fs, bottom, in_a


def _conduction(two_layers, k_a: float, k_b: float, xp=np):
    """Conduction of the plate, bottom held at 0 (identity rows), a uniform source."""
    fs, bottom, in_a = two_layers
    k = np.where(in_a, k_a, k_b)
    A = asm.conduction_matrix(fs, k, xp=xp)
    ns = None
    if xp is not np:
        from fea.solvers.gpu import device_namespace

        ns = device_namespace()
    A = eliminate(A, bottom) if ns is None else eliminate(A, xp.asarray(bottom), ns)
    b = asm.source_vector(fs, np.full(len(in_a), 1e6))
    b[bottom] = 0.0
    return A, b


def _elasticity(two_layers, E_a: float, E_b: float, xp=np):
    """The plate's elasticity, bottom face clamped (identity rows), a body load."""
    fs, bottom, in_a = two_layers
    E = np.where(in_a, E_a, E_b)
    K = asm.elasticity_matrix(fs, *lame(E, np.full(len(in_a), 0.3)), xp=xp)
    D = np.concatenate([3 * bottom, 3 * bottom + 1, 3 * bottom + 2])
    if xp is np:
        A = eliminate(K, D)
    else:
        from fea.solvers.gpu import device_namespace

        A = eliminate(K, xp.asarray(D), device_namespace())
    b = np.zeros(3 * fs.n)
    b[2::3] = -1.0
    b[D] = 0.0
    return A, b, rigid_body_modes(fs.nodes)


def _host(A):
    return sp.csr_matrix(A)


# -- one registry ------------------------------------------------------------------------------


def test_solve_is_prepare_and_one_solve(two_layers):
    A, b = _conduction(two_layers, 400.0, 0.3)
    for method in ("direct", "amg-xp"):
        x1, i1 = solve(A, b, backend="cpu", method=method, rtol=1e-10)
        with prepare(A, backend="cpu", method=method, rtol=1e-10) as p:
            x2, i2 = p.solve(b)
        assert np.array_equal(x1, x2), method  # MKL_CBWR: reproducible bit for bit
        assert (i1.method, i1.iterations, i1.backend) == (i2.method, i2.iterations, "cpu")
        assert i1.extra["setup"] == i2.extra["setup"] == "built"
        assert i1.seconds >= i1.extra["setup_s"] > 0


def test_unknown_method_lists_the_registered_ones(two_layers):
    A, b = _conduction(two_layers, 1.0, 1.0)
    with pytest.raises(InputError, match="solver.method") as exc:
        solve(A, b, backend="cpu", method="multigrid")
    for name in ("auto", "amg", "amg-xp", "direct"):
        assert name in str(exc.value)
    assert "jacobi" not in str(exc.value)  # a GPU method
    assert registry.methods("gpu") == ["amg", "amg-pyamg", "cudss", "jacobi"]


def test_a_registered_one_shot_method_runs_through_prepare(two_layers):
    A, b = _conduction(two_layers, 1.0, 1.0)
    calls = []

    def lu(A, b, *, kind, near_null, rtol, maxiter):
        calls.append(kind)
        return spla.spsolve(A.tocsc(), b), {"method": "superlu-test"}

    with registry.registrations():
        registry.register_method("lu-test", lu)
        x, info = solve(A, b, backend="cpu", method="lu-test")
        with prepare(A, backend="cpu", method="lu-test") as p:
            p.solve(b)
            p.solve(2 * b)
    assert calls == ["scalar"] * 3 and info.method == "superlu-test" and info.residual < 1e-10
    assert "lu-test" not in registry.methods("cpu")


# -- reuse --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["amg", "amg-xp"])
def test_prepared_hierarchy_is_reused_for_a_nearby_matrix(two_layers, method):
    """A temperature-like change (conductivities 3 % and 5 % up) keeps the hierarchy; a far
    one (the contrast of the layers reversed) rebuilds it; solver_info says which."""
    A0, b = _conduction(two_layers, 400.0, 0.3)
    near, _ = _conduction(two_layers, 412.0, 0.315)
    far, _ = _conduction(two_layers, 0.3, 400.0)
    with prepare(A0, backend="cpu", method=method, rtol=1e-10) as p:
        _, i0 = p.solve(b)
        assert i0.extra["setup"] == "built" and i0.extra["baseline_iterations"] == i0.iterations
        _, i1 = p.solve(-b)  # another right-hand side: nothing to set up
        assert i1.extra["setup"] == "reused" and i1.extra["setup_s"] == 0.0
        p.update(near)
        x, i2 = p.solve(b)
        assert i2.extra["setup"] == "reused" and "reuse_iterations" not in i2.extra
        assert i2.iterations <= 1.5 * i0.iterations
        assert np.allclose(x, spla.spsolve(near.tocsc(), b), rtol=1e-8, atol=0)
        p.update(far)
        x, i3 = p.solve(b)
        assert i3.extra["setup"] == "rebuilt" and i3.extra["setup_s"] > 0
        assert i3.extra["reuse_iterations"] == int(1.5 * i0.iterations)
        assert i3.residual < 1e-9
        assert np.allclose(x, spla.spsolve(far.tocsc(), b), rtol=1e-8, atol=0)
        _, i4 = p.solve(b)  # the rebuilt hierarchy is kept
        assert i4.extra["setup"] == "reused" and i4.iterations == i3.iterations


def test_prepared_direct_solver_refactorizes_on_update(two_layers):
    A0, b = _conduction(two_layers, 400.0, 0.3)
    A1, _ = _conduction(two_layers, 300.0, 0.3)
    with prepare(A0, backend="cpu", method="direct") as p:
        p.solve(b)
        p.update(A1)
        x, info = p.solve(b)
    assert info.extra["setup"] == "rebuilt" and info.residual < 1e-12
    with pytest.raises(InputError, match="shape"):
        prepare(A0, backend="cpu").update(A0[:10, :10])


# -- auto and the GPU crossover -------------------------------------------------------------------


def test_auto_stays_on_the_cpu_below_the_gpu_crossover(monkeypatch, two_layers):
    status = standin.fake_working_device(monkeypatch)
    cross = registry.gpu_crossover("elasticity")
    assert registry.gpu_crossover("scalar") > cross > 10_000
    where, reason = resolve_backend("auto", n=40_000, kind="elasticity")
    assert where == "cpu"
    assert reason.startswith("auto: 40k DOF below the GPU crossover") and status.reason in reason
    assert resolve_backend("auto", n=cross, kind="elasticity") == ("gpu", f"auto: {status.reason}")
    assert resolve_backend("auto")[0] == "gpu"  # size unknown: the device where it works
    assert resolve_backend("cpu", n=10**7) == ("cpu", "requested")
    A, b = _conduction(two_layers, 1.0, 1.0)
    _, info = solve(A, b, backend="auto")
    assert info.backend == "cpu" and "below the GPU crossover" in info.reason


# -- auto on the CPU: the cost model ---------------------------------------------------------


def _phases(monkeypatch) -> list[int]:
    """Record the phase of every Pardiso call."""
    from fea.solvers import cpu

    seen: list[int] = []
    real = cpu.pardiso_call

    def spy(solver, phase, *args):
        seen.append(phase)
        return real(solver, phase, *args)

    monkeypatch.setattr(cpu, "pardiso_call", spy)
    return seen


@pytest.mark.skipif(not cpu_pardiso_available(), reason="MKL Pardiso not installed")
def test_auto_factorises_when_the_estimate_fits_and_records_why(monkeypatch, two_layers):
    """Plenty of memory: the direct solver (faster by the estimate on a small system), its
    factorisation taking over the analysis that produced the estimate (Pardiso phases 11,
    22, 33: the analysis not repeated), the reason and both estimates in ``SolveInfo``."""
    from fea.solvers import cost

    A, b, R = _elasticity(two_layers, 100e9, 3e9)
    monkeypatch.setattr(cost, "available_memory", lambda: 20e9)
    phases = _phases(monkeypatch)
    x, info = solve(A, b, kind="elasticity", backend="cpu", near_null=R)
    assert info.method == "pardiso" and phases == [11, 22, 33]
    assert info.reason.startswith("requested; direct (faster): direct est.")
    assert "fits in 20 GB free; amg est." in info.reason
    est = info.extra["estimate"]
    assert est["available_bytes"] == 20e9
    assert est["direct"]["seconds"] < est["amg"]["seconds"]
    assert est["direct"]["bytes"] > 8 * est["direct"]["factor_nnz"] > 8 * A.nnz / 2
    assert np.allclose(x, spla.spsolve(A.tocsc(), b), rtol=1e-10, atol=0)
    with prepare(A, kind="elasticity", backend="cpu", near_null=R) as p:
        _, pinfo = p.solve(b)
    assert pinfo.method == "pardiso" and pinfo.reason.startswith("requested; direct (faster)")
    assert pinfo.extra["estimate"]["available_bytes"] == 20e9


def _between_amg_and_direct(a, d, nnz: int) -> float:
    """Available memory [bytes] where AMG fits and the factor does not, with room for
    Pardiso's analysis (which ``auto`` runs first): the middle of that window. Its ends
    depend on the machine (Pardiso's peak grows with MKL's threads: 24 MB on one, 42 MB
    on two for this system, whose analysis floor is 21 MB), so the test sets it there."""
    from fea.solvers import cost

    lo = max(a.memory, registry.ANALYSIS_BYTES_PER_ENTRY * nnz)
    assert lo < d.memory  # the premise: such a window exists on this system
    return (lo + d.memory) / 2 / cost.MEMORY_HEADROOM


@pytest.mark.skipif(not cpu_pardiso_available(), reason="MKL Pardiso not installed")
def test_auto_takes_amg_when_the_factor_does_not_fit(monkeypatch, two_layers):
    """Available memory between the AMG estimate and the direct one: AMG-PCG, and the
    analysis is freed (no factorisation: no phase 22)."""
    from fea.solvers import cost

    A, b, R = _elasticity(two_layers, 100e9, 3e9)
    an = PardisoAnalysis(A)
    d = cost.direct_estimate(an)
    an.close()
    # on a system this small Pardiso's fixed overhead (tens of MB) is most of its peak: a
    # leaner AMG model makes AMG the smaller one, as it is on the large systems
    lean = dict(cost.AMG_XP_MODEL["elasticity"], memory=0.5 * d.memory / A.nnz)
    monkeypatch.setitem(cost.AMG_XP_MODEL, "elasticity", lean)
    a = cost.amg_estimate(A.shape[0], A.nnz, "elasticity", method="amg-xp")
    room = _between_amg_and_direct(a, d, A.nnz)
    monkeypatch.setattr(cost, "available_memory", lambda: room)
    phases = _phases(monkeypatch)
    x, info = solve(A, b, kind="elasticity", backend="cpu", near_null=R, rtol=1e-10)
    assert info.method == "amg-xp-pcg" and phases == [11]  # elasticity: AUTO_AMG_METHOD
    assert "amg (direct does not fit): amg est." in info.reason and "GB free" in info.reason
    assert info.extra["estimate"]["direct"]["bytes"] == d.memory


@pytest.mark.skipif(not cpu_pardiso_available(), reason="MKL Pardiso not installed")
def test_auto_pick_does_not_change_the_result_beyond_the_tolerance(monkeypatch, two_layers):
    """The same systems (conduction and elasticity) solved by ``auto`` once with room for the
    factor and once without: both within the solver tolerance of SuperLU's solution."""
    from fea.solvers import cost

    rtol = 1e-10
    Ae, be, R = _elasticity(two_layers, 100e9, 3e9)
    Ac, bc = _conduction(two_layers, 400.0, 0.3)
    # small systems: Pardiso's fixed overhead would outweigh AMG's modelled memory; a lean
    # model lets a room exist where only AMG fits (as on large systems)
    for k in ("elasticity", "scalar"):
        for model in (cost.AMG_MODEL, cost.AMG_XP_MODEL):
            monkeypatch.setitem(model, k, dict(model[k], memory=8.0))
    for kind, A, b, nn in (("elasticity", Ae, be, R), ("scalar", Ac, bc, None)):
        x_ref = spla.spsolve(A.tocsc(), b)
        picked = set()
        amg = registry.AUTO_AMG_METHOD[kind]
        for room in (20e9, 1.2 * cost.amg_estimate(A.shape[0], A.nnz, kind, amg).memory / 0.8):
            monkeypatch.setattr(cost, "available_memory", lambda room=room: room)
            x, info = solve(A, b, kind=kind, backend="cpu", near_null=nn, rtol=rtol)
            picked.add(info.method)
            assert info.residual <= rtol
            # x - x_ref = A^-1 r: within cond-scaled residual; 1e-6 relative is far above
            # rounding (1e-12) and far below any wrong answer
            assert np.linalg.norm(x - x_ref) <= 1e-6 * np.linalg.norm(x_ref), (kind, room)
        assert picked == {"pardiso", f"{amg}-pcg"}, kind


@pytest.mark.skipif(not cpu_pardiso_available(), reason="MKL Pardiso not installed")
def test_a_memory_cap_in_fea_memory_gb_sends_auto_to_amg_with_the_same_answer(
    monkeypatch, two_layers
):
    """A model that does not fit: ``FEA_MEMORY_GB`` capped between the AMG and the direct
    estimate makes ``auto`` take AMG-PCG (the reason recorded in ``SolveInfo``); without
    the cap it factorises. Both answers agree to 1e-8 relative."""
    from fea.solvers import cost

    A, b, R = _elasticity(two_layers, 100e9, 3e9)
    an = PardisoAnalysis(A)
    d = cost.direct_estimate(an)
    an.close()
    # on a system this small Pardiso's fixed overhead (tens of MB) is most of its peak: a
    # leaner AMG model makes AMG the smaller one, as it is on the large systems
    lean = dict(cost.AMG_XP_MODEL["elasticity"], memory=0.5 * d.memory / A.nnz)
    monkeypatch.setitem(cost.AMG_XP_MODEL, "elasticity", lean)
    a = cost.amg_estimate(A.shape[0], A.nnz, "elasticity", method="amg-xp")
    monkeypatch.setenv("FEA_MEMORY_GB", "1000")
    x_d, info_d = solve(A, b, kind="elasticity", backend="cpu", near_null=R, rtol=1e-12)
    assert info_d.method == "pardiso"
    cap = _between_amg_and_direct(a, d, A.nnz)
    monkeypatch.setenv("FEA_MEMORY_GB", repr(cap / 2**30))
    x_a, info_a = solve(A, b, kind="elasticity", backend="cpu", near_null=R, rtol=1e-12)
    assert info_a.method == "amg-xp-pcg"
    assert "amg (direct does not fit)" in info_a.reason
    assert info_a.extra["estimate"]["available_bytes"] == pytest.approx(cap)
    assert np.linalg.norm(x_a - x_d) <= 1e-8 * np.linalg.norm(x_d)
    assert np.linalg.norm(x_d - spla.spsolve(A.tocsc(), b)) <= 1e-10 * np.linalg.norm(x_d)


def test_auto_without_pardiso_keeps_the_direct_limit(monkeypatch, two_layers):
    A, b = _conduction(two_layers, 1.0, 1.0)
    monkeypatch.setattr(registry, "pardiso_available", lambda: False)
    monkeypatch.setitem(registry.DIRECT_DOF_LIMIT, "scalar", 10 * A.shape[0])
    _, info = solve(A, b, backend="cpu")
    assert "no Pardiso to estimate from" in info.reason and info.method in ("pardiso", "superlu")
    assert "estimate" not in info.extra


@pytest.mark.skipif(not cpu_pardiso_available(), reason="MKL Pardiso not installed")
def test_auto_falls_back_to_amg_when_the_analysis_fails(monkeypatch, two_layers):
    """Pardiso's phase 11 failing (e.g. its -2, not enough memory) is no error for ``auto``:
    AMG-PCG runs and the reason says why."""
    from fea.errors import SolverError

    A, b, R = _elasticity(two_layers, 100e9, 3e9)

    def fails(A):
        raise SolverError("Pardiso failed in phase 11 (error -2)")

    monkeypatch.setattr(registry, "PardisoAnalysis", fails)
    x, info = solve(A, b, kind="elasticity", backend="cpu", near_null=R, rtol=1e-10)
    assert info.method == "amg-xp-pcg" and "analysis failed" in info.reason
    assert "direct" not in info.extra["estimate"]
    assert np.linalg.norm(x - spla.spsolve(A.tocsc(), b)) <= 1e-6 * np.linalg.norm(x)


@pytest.mark.skipif(not cpu_pardiso_available(), reason="MKL Pardiso not installed")
def test_an_analysis_is_not_taken_over_for_other_values(two_layers):
    """A factorisation given the analysis of another matrix of the same pattern factorises
    its own values (the analysed values would give the other matrix's answer)."""
    from fea.solvers.cpu import Factorized

    A1, b, _ = _elasticity(two_layers, 100e9, 3e9)
    A2, _, _ = _elasticity(two_layers, 50e9, 3e9)
    an = PardisoAnalysis(A1)
    assert an.matches(A1) and not an.matches(A2)
    F = Factorized(A2, an)
    try:
        x = F.solve(b)
    finally:
        F.close()
    x_ref = spla.spsolve(A2.tocsc(), b)
    assert np.linalg.norm(x - x_ref) <= 1e-10 * np.linalg.norm(x_ref)


# -- a block of right-hand sides: one setup ---------------------------------------------------


def _block(b: np.ndarray, k: int) -> np.ndarray:
    """k right-hand sides of different directions and scales from ``b``."""
    rng = np.random.default_rng(7)
    B = np.empty((b.size, k))
    for j in range(k):
        B[:, j] = (1.0 + j) * b * rng.uniform(0.5, 1.5, b.size)
    B[b == 0.0] = 0.0  # the identity rows keep their zero values
    return B


@pytest.mark.parametrize("method", ["direct", "amg", "amg-xp"])
def test_a_block_solve_equals_the_columns_solved_one_by_one(method, two_layers):
    """``Prepared.solve(B)`` with B (n, 4) against four single solves of a second prepared
    solver: within 1e-10 relative (the direct solver's block back-substitution, AMG's PCG
    per column with one hierarchy at rtol 1e-12) and each column within its tolerance of
    SuperLU's answer; the iterations and residual are the columns' largest."""
    A, b, R = _elasticity(two_layers, 100e9, 3e9)
    B = _block(b, 4)
    kw = dict(kind="elasticity", backend="cpu", method=method, near_null=R, rtol=1e-12)
    with prepare(A, **kw) as p:
        X, info = p.solve(B)
    with prepare(A, **kw) as p:
        cols = [p.solve(B[:, j]) for j in range(B.shape[1])]
    assert X.shape == B.shape
    lu = spla.splu(A.tocsc())
    for j, (xj, _) in enumerate(cols):
        scale = np.linalg.norm(xj)
        assert np.linalg.norm(X[:, j] - xj) <= 1e-10 * scale, (method, j)
        assert np.linalg.norm(X[:, j] - lu.solve(B[:, j])) <= 1e-8 * scale, (method, j)
    assert info.iterations == max(ij.iterations for _, ij in cols)
    assert info.residual <= 1e-12 and info.extra["setup"] == "built"
    if method != "direct":
        assert info.extra["column_iterations"] == [ij.iterations for _, ij in cols]


def test_a_block_through_solve_and_a_registered_one_shot(two_layers):
    """``solve(A, B)`` and a one-shot registered method (SciPy's spsolve, one column a call)
    take a block too; bad shapes are refused at ``b``."""
    A, b = _conduction(two_layers, 400.0, 0.3)
    B = _block(b, 3)
    ref = spla.splu(A.tocsc()).solve(B)
    X, info = solve(A, B, backend="cpu", method="direct")
    assert np.linalg.norm(X - ref) <= 1e-10 * np.linalg.norm(ref)
    with registry.registrations():
        registry.register_method("splu", lambda A, b, **kw: (spla.spsolve(A.tocsc(), b), {}))
        X, info = solve(A, B, backend="cpu", method="splu")
        assert np.linalg.norm(X - ref) <= 1e-10 * np.linalg.norm(ref) and info.residual < 1e-10
    for bad in (b[:-1], np.zeros((b.size, 0)), np.zeros((b.size, 2, 2))):
        for method in ("direct", "amg"):
            with pytest.raises(InputError, match="b"):
                solve(A, bad, backend="cpu", method=method)


# -- the device path through the NumPy stand-in ---------------------------------------------------


def test_a_block_on_the_device_path_through_the_stand_in(numpy_as_cupy, monkeypatch, two_layers):
    """The device solver (its hierarchy and PCG, through the NumPy stand-in) takes a block
    too: the columns within the tolerance of SuperLU's answers, the block left on the device
    when asked."""
    standin.fake_working_device(monkeypatch)
    cupy = numpy_as_cupy
    A, b = _conduction(two_layers, 400.0, 0.3, xp=cupy)
    A_host, _ = _conduction(two_layers, 400.0, 0.3)
    B = _block(b, 3)
    ref = spla.splu(A_host.tocsc()).solve(B)
    with prepare(A, backend="gpu", rtol=1e-11) as p:
        X, info = p.solve(cupy.asarray(B), device_result=True)
    assert info.backend == "gpu" and isinstance(X, cupy.ndarray) and X.shape == B.shape
    assert len(info.extra["column_iterations"]) == 3
    for j in range(3):
        assert np.linalg.norm(X[:, j] - ref[:, j]) <= 1e-8 * np.linalg.norm(ref[:, j])


@pytest.mark.slow
def test_whole_device_solve_on_the_stand_in(numpy_as_cupy, monkeypatch, two_layers):
    """Assembly on the device, elimination there, device hierarchy, PCG, the answer left
    on the device; then a prepared device solver reused for a nearby matrix and rebuilt
    for a far one, as on the CPU."""
    standin.fake_working_device(monkeypatch)
    cupy = numpy_as_cupy
    A, b, R = _elasticity(two_layers, 130e9, 3e9, xp=cupy)
    A_host, _, _ = _elasticity(two_layers, 130e9, 3e9)
    x_ref = spla.spsolve(A_host.tocsc(), b)
    x, info = solve(
        A,
        cupy.asarray(b),
        kind="elasticity",
        backend="gpu",
        near_null=R,
        rtol=1e-11,
        device_result=True,
    )
    assert info.backend == "gpu" and info.method == "amg-pcg" and info.device == "cuda:0"
    assert isinstance(x, cupy.ndarray)
    assert np.linalg.norm(x - x_ref) <= 1e-8 * np.linalg.norm(x_ref)
    assert info.extra["levels"] >= 2 and info.extra["precision"] == "mixed"
    stages = info.extra["setup_stages_s"]
    for name in ("strength", "aggregation", "tentative", "smoothing", "galerkin", "coarse"):
        assert stages[name] >= 0
    near, _, _ = _elasticity(two_layers, 125e9, 3.1e9, xp=cupy)
    far, _, _ = _elasticity(two_layers, 3e9, 130e9, xp=cupy)
    with prepare(A, kind="elasticity", backend="gpu", near_null=R, rtol=1e-10) as p:
        _, i0 = p.solve(b)
        p.update(near)
        x, i1 = p.solve(b)
        assert i1.extra["setup"] == "reused" and i1.iterations <= 1.5 * i0.iterations
        assert isinstance(x, np.ndarray)  # back on the host unless asked
        p.update(far)
        _, i2 = p.solve(b)
        assert i2.extra["setup"] == "rebuilt"
    for method in ("jacobi", "amg-pyamg"):
        x, info = solve(
            A_host,
            b,
            kind="elasticity",
            backend="gpu",
            method=method,
            near_null=R,
            rtol=1e-10,
            maxiter=20000,
        )
        assert np.linalg.norm(x - x_ref) <= 1e-7 * np.linalg.norm(x_ref), method
    with pytest.raises(InputError, match="on the gpu"):
        solve(A_host, b, backend="gpu", method="amg-xp")


def test_cudss_is_an_option_that_says_what_it_needs(numpy_as_cupy, monkeypatch, two_layers):
    standin.fake_working_device(monkeypatch)
    monkeypatch.setitem(sys.modules, "nvmath", None)  # not installed
    A, b = _conduction(two_layers, 1.0, 1.0)
    with pytest.raises(BackendUnavailable, match="nvmath-python"):
        solve(A, b, backend="gpu", method="cudss")


def test_standin_names_exist_in_cupy():
    """Every name the stand-in offers exists in the installed CuPy/cupyx (checked without a
    device: attribute look-ups only)."""
    cupy = pytest.importorskip("cupy")
    csp = importlib.import_module("cupyx.scipy.sparse")
    for name in standin.CUPY_NAMES + standin.OWN_NAMES:
        assert hasattr(cupy, name), name
    for name in standin.LINALG_NAMES:
        assert hasattr(cupy.linalg, name), name
    for name in standin.SPARSE_NAMES:
        assert hasattr(csp, name), name
    for name in standin.CSR_METHODS:
        assert hasattr(csp.csr_matrix, name), name
    for name in standin.COO_METHODS:
        assert hasattr(csp.coo_matrix, name), name
    assert hasattr(cupy.cuda.runtime, "deviceSynchronize")
