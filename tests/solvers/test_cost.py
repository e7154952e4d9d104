"""The cost model behind ``method="auto"`` on the CPU: Pardiso's analysis report against an
independent count of the Cholesky factor, the AMG memory model against a built hierarchy's
stored operators, and the choice between them for a given available memory."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from fea.errors import InputError
from fea.fe import forms as asm
from fea.fe.constraints import rigid_body_modes
from fea.fe.spaces import space
from fea.physics.constitutive import lame
from fea.solvers import cost
from fea.solvers.cpu import PardisoAnalysis, amg_setup, pardiso_available

from ..verification.helpers import layered_box
from .systems import clamped_plate

needs_pardiso = pytest.mark.skipif(not pardiso_available(), reason="MKL Pardiso not installed")


def _laplacian(m: int) -> sp.csr_matrix:
    """7-point Laplacian of an m^3 grid plus 0.01 I (SPD)."""
    Id = sp.identity(m)
    T = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    A = sp.kron(sp.kron(T, Id), Id) + sp.kron(sp.kron(Id, T), Id) + sp.kron(sp.kron(Id, Id), T)
    return (A + 0.01 * sp.identity(m**3)).tocsr()


@needs_pardiso
def test_pardiso_analysis_reports_the_factor_an_independent_count_gives():
    """Pardiso's phase-11 report against the Cholesky factor of its own ordering counted by
    SuperLU (natural order, no pivoting, i.e. the Cholesky pattern): the factor's entries
    within 25 % above the exact count (supernodes store some zeros), the Mflop within
    [0.8, 1.5] x sum_j c_j^2 (c_j: entries of column j of L, the column Cholesky's
    multiply-adds), and the reported peak memory at least the factor's values (8 bytes an
    entry) and at most 3 x them plus 40 MB (Pardiso's fixed overhead on a small matrix)."""
    A = _laplacian(24)
    an = PardisoAnalysis(A)
    try:
        perm = an.solver.perm - 1  # 1-based, as the index arrays given to Pardiso
        assert np.array_equal(np.sort(perm), np.arange(A.shape[0]))
        B = A[perm][:, perm].tocsc()
        lu = spla.splu(B, permc_spec="NATURAL", diag_pivot_thresh=0.0)
        assert np.array_equal(lu.perm_r, np.arange(A.shape[0]))  # no pivoting happened
        exact = lu.L.nnz
        cols = np.diff(lu.L.indptr).astype(float)
        assert exact <= an.factor_nnz <= 1.25 * exact
        assert 0.8 * (cols**2).sum() / 1e6 <= an.mflops <= 1.5 * (cols**2).sum() / 1e6
        assert 8 * exact <= an.peak_bytes <= 3 * 8 * an.factor_nnz + 40e6
        est = cost.direct_estimate(an)
        assert est.memory == an.peak_bytes and est.seconds > 0
        assert est.facts["factor_nnz"] == an.factor_nnz
    finally:
        an.close()


@needs_pardiso
def test_a_factorisation_that_takes_the_analysis_over_solves_the_system():
    from fea.solvers.cpu import Factorized

    A = _laplacian(10)
    b = np.linspace(1.0, 2.0, A.shape[0])
    an = PardisoAnalysis(A)
    F = Factorized(A, an)
    try:
        x = F.solve(b)
    finally:
        F.close()
    an.close()  # already owned by the factorisation: nothing to free twice
    assert np.allclose(x, spla.spsolve(A.tocsc(), b), rtol=1e-12, atol=0)


def test_amg_memory_model_covers_the_stored_hierarchy():
    """The AMG estimate against the bytes of pyamg's hierarchy (every level's operator, the
    prolongators and restrictions, 12 bytes a stored entry): at least those (the model also
    covers the setup's temporaries and PCG's vectors) and at most 8 x them."""
    mesh = layered_box((2e-3, 1.5e-3), [("a", 0.3e-3, 2), ("b", 0.2e-3, 1)], 0.25e-3, order=2)
    fs = space(mesh)
    E = np.full(mesh.n_elements, 100e9)
    K = asm.elasticity_matrix(fs, *lame(E, np.full(mesh.n_elements, 0.3)))
    K = (K + 1e-6 * sp.diags(K.diagonal())).tocsr()  # no supports needed for the setup
    ml, _ = amg_setup(K, near_null=rigid_body_modes(fs.nodes), block=3)
    stored = 0
    for level in ml.levels:
        for name in ("A", "P", "R"):
            M = getattr(level, name, None)
            if M is not None:
                stored += 12 * (M.data.size)
    est = cost.amg_estimate(K.shape[0], K.nnz, "elasticity")
    assert stored <= est.memory <= 8 * stored, (stored, est.memory)


def _est(method: str, gb: float, s: float) -> cost.Estimate:
    return cost.Estimate(method, gb * 1e9, s, {})


def test_choice_is_the_faster_method_that_fits():
    d, a = _est("direct", 6.5, 60.0), _est("amg", 3.0, 170.0)
    c = cost.choose(d, a, 20e9)
    assert c.method == "direct"
    assert "direct (faster)" in c.reason and "6.5 GB / 60 s" in c.reason
    assert "170 s" in c.reason and "20 GB free" in c.reason
    # the same factor where only 6 GB are available: 6.5 > 0.8 x 6, AMG's 3 GB fit
    c = cost.choose(d, a, 6e9)
    assert c.method == "amg" and "direct does not fit" in c.reason and "6 GB free" in c.reason
    # AMG faster and both fit
    c = cost.choose(_est("direct", 1.0, 300.0), _est("amg", 0.5, 100.0), 20e9)
    assert c.method == "amg" and "amg (faster)" in c.reason
    # AMG faster but does not fit, the direct solver does
    c = cost.choose(_est("direct", 4.0, 300.0), _est("amg", 30.0, 100.0), 20e9)
    assert c.method == "direct" and "amg does not fit" in c.reason
    # neither fits: the smaller one
    c = cost.choose(_est("direct", 40.0, 60.0), _est("amg", 30.0, 100.0), 20e9)
    assert c.method == "amg" and "neither fits" in c.reason
    # no direct estimate
    c = cost.choose(None, a, 20e9)
    assert c.method == "amg" and "no direct estimate" in c.reason


def test_the_amg_model_grows_with_the_system():
    small = cost.amg_estimate(100_000, 8_000_000, "elasticity")
    big = cost.amg_estimate(1_000_000, 80_000_000, "elasticity")
    assert big.memory == pytest.approx(10 * small.memory)
    assert 10 * small.seconds < big.seconds  # more iterations on the larger system
    assert big.facts["iterations"] > small.facts["iterations"]
    with pytest.raises(InputError, match="kind"):
        cost.amg_estimate(10, 100, "fluid")


def test_available_memory_honours_fea_memory_gb(monkeypatch):
    monkeypatch.delenv("FEA_MEMORY_GB", raising=False)
    free = cost.available_memory()
    assert free > 0
    monkeypatch.setenv("FEA_MEMORY_GB", "0.5")
    assert cost.available_memory() == (0.5 * 2**30 if free > 2**30 else free)  # a cap
    monkeypatch.setenv("FEA_MEMORY_GB", "lots")
    with pytest.raises(InputError, match="FEA_MEMORY_GB"):
        cost.available_memory()


def test_both_amg_models_are_monotone_in_the_system():
    """Memory and seconds of either AMG model grow with the size and the entries."""
    for method in ("amg", "amg-xp"):
        for kind in ("elasticity", "scalar"):
            prev = None
            for n in (1e4, 1e5, 1e6, 3e6):
                e = cost.amg_estimate(int(n), int(75 * n), kind, method=method)
                if prev is not None:
                    assert e.memory > prev.memory and e.seconds > prev.seconds
                prev = e
    with pytest.raises(InputError, match="method"):
        cost.amg_estimate(10, 100, "scalar", method="gmres")


_PEAK_CHILD = """
import ctypes
import sys
from pathlib import Path
import numpy as np
from tests.solvers.systems import clamped_plate
from fea.solvers import solve

def rss(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return 1024 * int(line.split()[1])

A, b, R = clamped_plate()
method = sys.argv[1]
solve(A[:30, :30] + 0, b[:30], backend="cpu", method="direct")  # libraries loaded first
if method != "direct":  # and the AMG setup's (Numba and its compiled kernels: once a process)
    a, f, r = clamped_plate(1.2e-3)
    solve(a, f, kind="elasticity", backend="cpu", method=method, near_null=r, rtol=1e-8)
ctypes.CDLL("libc.so.6").malloc_trim(0)  # freed heap back to the system: growth is real
Path("/proc/self/clear_refs").write_text("5")
start = rss("VmRSS")
solve(A, b, kind="elasticity", backend="cpu", method=method, near_null=R, rtol=1e-8)
print(rss("VmHWM") - start)
"""


@pytest.mark.slow
@needs_pardiso
def test_memory_estimates_are_within_a_factor_of_the_measured_peak():
    """The peak resident memory a solve adds (``VmHWM`` in a child process, reset before the
    solve) against the estimate ``auto`` compares with the free memory: Pardiso's reported
    peak and the AMG-PCG model (``amg``: pyamg; ``amg-xp``). On a system this small the
    fixed costs weigh more than on the large ones (docs/performance.md has the table at
    140k-740k DOF, within 30 %): here within a factor of 2 either way
    (0.75-1.3 measured at 36k DOF; amg-xp 0.76). Libraries are loaded in the child before
    the reset, as they are once a process: Pardiso, and for AMG Numba and its compiled
    kernels (60-100 MB, more where the kernels compile on first use)."""
    import subprocess
    import sys
    from pathlib import Path

    A, _, _ = clamped_plate()
    an = PardisoAnalysis(A)
    est = {"direct": an.peak_bytes}
    an.close()
    for method in ("amg", "amg-xp"):
        est[method] = cost.amg_estimate(A.shape[0], A.nnz, "elasticity", method=method).memory
    root = Path(__file__).resolve().parents[2]
    for method, e in est.items():
        p = subprocess.run(
            [sys.executable, "-c", _PEAK_CHILD, method],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        peak = float(p.stdout.split()[-1])
        assert e / 2 <= peak <= 2 * e, (method, A.shape[0], peak, e)
