"""The solver layer's own choices: where a system is assembled (one namespace type), solvers
kept by exact keys, GPU ``direct`` never silently iterative, no pseudo-inverse on a singular
coarsest level, and only import errors meaning "no Pardiso"."""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from fea.errors import BackendUnavailable, InputError, SolverError
from fea.fe.namespace import HOST, Namespace, namespace_of, sparse_of
from fea.solvers import amg, assembly_namespace, cpu, prepare, registry
from fea.solvers.gpu import cudss_available
from fea.solvers.recycle import SolverCache, same_key


def _laplacian(n: int, shift: float = 1e-2) -> sp.csr_matrix:
    T = sp.diags([-1.0, 2.0 + shift, -1.0], [-1, 0, 1], shape=(n, n))
    return T.tocsr()


# -- one namespace type ------------------------------------------------------------------------


def test_the_namespace_follows_from_the_array_module(device):
    assert namespace_of(np) is HOST and sparse_of(np) is sp
    ns = namespace_of(device)
    assert isinstance(ns, Namespace) and ns.name == "cupy" and not ns.on_host
    assert ns.sparse is sys.modules["cupyx.scipy.sparse"]
    assert namespace_of(ns) is ns
    with pytest.raises(InputError) as err:
        namespace_of(sp)
    assert err.value.key == "xp"


def test_the_solver_layer_says_where_to_assemble(device):
    assert assembly_namespace("cpu", 10**6, "elasticity") is HOST
    # below the crossover the automatic choice stays on the host, above it goes to the device
    assert assembly_namespace("auto", 10, "scalar") is HOST
    assert assembly_namespace("auto", 10**6, "scalar").name == "cupy"
    assert assembly_namespace("gpu", 10, "scalar").name == "cupy"
    with prepare(_laplacian(50), backend="cpu") as p:
        assert p.namespace is HOST


# -- GPU direct ---------------------------------------------------------------------------------


def test_gpu_direct_runs_the_direct_solver_of_the_device(device):
    """``method="direct"`` on the GPU is the ``cudss`` registry entry (here a stand-in
    that records its call), never device AMG."""
    calls = []

    class Direct:
        name, device = "cudss", "cuda:0"

        def __init__(self, A, options):
            calls.append(A.shape)

        def solve(self, b, *, x0=None, device_result=False):
            return np.zeros_like(b), {"method": "cudss", "iterations": 1, "residual": 0.0}

        def update(self, A):
            pass

        def close(self):
            pass

    with registry.registrations():
        registry.register_solver("gpu", "cudss", Direct)
        with prepare(_laplacian(50), backend="gpu", method="direct") as p:
            assert p.name == "cudss"
    assert calls == [(50, 50)]


def test_gpu_direct_without_cudss_is_a_clear_refusal(device, monkeypatch):
    monkeypatch.setitem(sys.modules, "nvmath", None)  # import nvmath fails: no cuDSS
    assert not cudss_available()
    with pytest.raises(BackendUnavailable, match="cudss"):
        prepare(_laplacian(50), backend="gpu", method="direct")


def test_auto_with_direct_stays_on_the_cpu_without_cudss(device, monkeypatch):
    """Above the GPU crossover ``backend="auto"`` would pick the device; with
    ``method="direct"`` and no cuDSS it solves on the CPU, directly (the answer checked
    against SuperLU), never by device AMG."""
    monkeypatch.setitem(sys.modules, "nvmath", None)
    n = registry.gpu_crossover("scalar") + 10
    A, b = _laplacian(n, shift=1.0), np.linspace(0.0, 1.0, n)
    with prepare(A, backend="auto", method="direct") as p:
        assert p.where == "cpu" and "cuDSS" in p.reason
        x, info = p.solve(b)
    assert info.method in ("pardiso", "superlu")
    ref = spla.spsolve(A.tocsc(), b)
    assert np.abs(x - ref).max() <= 1e-12 * np.abs(ref).max()


# -- no silent numerics -------------------------------------------------------------------------


def test_a_singular_coarsest_level_raises_instead_of_a_pseudo_inverse():
    """The Laplacian of a path with free ends is singular (the constant is its null
    vector); solved as the coarsest level it raised nothing before (a pseudo-inverse)."""
    L = _laplacian(40, shift=0.0).tolil()
    L[0, 0] = L[-1, -1] = 1.0
    L = L.tocsr()
    assert np.abs(L @ np.ones(40)).max() == 0.0  # singular indeed
    with pytest.raises(SolverError, match="not positive definite"):
        amg.build_hierarchy(L, max_coarse=100)
    amg.build_hierarchy(_laplacian(40), max_coarse=100)  # the regular one is fine


def test_pardiso_available_means_only_import_and_library_errors(monkeypatch):
    real = builtins.__import__

    def failing(exc):
        def imp(name, *a, **k):
            if name == "pypardiso":
                raise exc
            return real(name, *a, **k)

        return imp

    monkeypatch.delitem(sys.modules, "pypardiso", raising=False)
    monkeypatch.setattr(builtins, "__import__", failing(ImportError("no pypardiso")))
    assert cpu.pardiso_available() is False
    monkeypatch.setattr(builtins, "__import__", failing(OSError("libmkl_rt.so: not found")))
    assert cpu.pardiso_available() is False
    monkeypatch.setattr(builtins, "__import__", failing(RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="a bug"):
        cpu.pardiso_available()


# -- solvers kept by exact keys -----------------------------------------------------------------


def test_keys_compare_exactly_not_by_hash():
    a = np.array([1.0, 2.0, 3.0])
    assert same_key((a, "cpu", 1e-10), (a.copy(), "cpu", 1e-10))
    assert not same_key((a, "cpu"), (a + np.array([0.0, 0.0, 1e-15]), "cpu"))
    assert not same_key((a,), (a.astype(np.float32),))  # same values, another dtype
    assert not same_key((a,), (a.tolist(),))
    assert not same_key((1, 2), (1, 2, 3))


def test_the_solver_cache_reuses_updates_and_evicts():
    """Against SciPy's SuperLU on each matrix: the same matrix key reuses the prepared
    solver, a new one updates it, and a third key evicts the least recently used."""
    A1, A2 = _laplacian(60, 1.0), _laplacian(60, 2.0)
    b = np.linspace(1.0, 2.0, 60)
    cache = SolverCache(capacity=2)
    kw = dict(kind="scalar", backend="cpu", method="direct")
    try:
        h, same = cache.get(("k1",), (np.array([1.0]),), A1, **kw)
        assert not same
        h2, same = cache.get(("k1",), (np.array([1.0]),), lambda: 1 / 0, **kw)  # not built
        assert same and h2 is h
        h3, same = cache.get(("k1",), (np.array([2.0]),), A2, **kw)
        assert not same and h3 is h
        x, _ = h3.prepared.solve(b)
        assert np.allclose(x, spla.spsolve(A2.tocsc(), b), rtol=1e-12, atol=0)
        cache.get(("k2",), (), A1, **kw)
        cache.find(("k1",))  # k1 used last: k2 is the least recently used
        cache.get(("k3",), (), A1, **kw)
        assert cache.find(("k2",)) is None and cache.find(("k1",)) is not None
        assert len(cache.held) == 2
    finally:
        cache.close()
    assert cache.held == []


@pytest.mark.parametrize("rtol", [0.0, -1e-8, float("nan"), 2.0, True])
def test_every_solver_checks_rtol_the_same_way(rtol):
    with pytest.raises(InputError) as err:
        prepare(_laplacian(10), backend="cpu", method="amg", rtol=rtol)
    assert type(err.value) is InputError and err.value.key == "rtol"
