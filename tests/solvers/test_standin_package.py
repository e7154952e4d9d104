"""The device path on a package, not a cube: the baseline package of shared/BASELINE.md
(the defaults of a study file) meshed coarse at P1, its free-body thermoelastic system
solved by the registry's device AMG-PCG (the array-generic smoothed aggregation of
:mod:`fea.solvers.amg` built and cycled in the device namespace, PCG there) on the NumPy
stand-in for CuPy, against the direct solve, within what the tolerance implies."""

from __future__ import annotations

import numpy as np
import pytest

from fea.solvers import solve
from fea.solvers.cpu import Factorized, pardiso_available

from .conftest import capture_systems
from .standin import install_working_device

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:Having less target vectors"),
    # SuperLU takes minutes on a 156k-DOF elasticity factorisation
    pytest.mark.skipif(not pardiso_available(), reason="the reference needs MKL Pardiso"),
]


@pytest.fixture(scope="module")
def baseline():
    """The baseline package at P1 (156,015 elasticity DOF at the default mesh sizes): its
    elasticity system (six 3-2-1 support DOFs eliminated in place) and the factorisation of
    its matrix (Pardiso, or SuperLU without it)."""
    from fea.package.meshing import build_mesh
    from fea.package.spec import parse_study

    case = parse_study(
        {"study": {"name": "baseline"}, "mesh": {"order": 1}, "solver": {"backend": "cpu"}}
    ).base
    mesh, _ = build_mesh(case)
    s = capture_systems(case, mesh)["elasticity"]
    F = Factorized(s.A)
    yield s, F
    F.close()


def _unit_rows(A) -> np.ndarray:
    """Where ``A`` (CSR) has a row with no off-diagonal value: the eliminated support DOFs."""
    off = np.asarray(abs(A).sum(axis=1)).ravel() - np.abs(A.diagonal())
    return np.flatnonzero(off == 0.0)


def _smallest_eigenvalue(F: Factorized, free: np.ndarray, steps: int = 40) -> float:
    """The smallest eigenvalue of the free block of the SPD matrix factorised in ``F`` (the
    eliminated rows and columns are identities, decoupled) by inverse iteration on the
    free DOFs: the Rayleigh quotient of ``A^-1``, from below, so the eigenvalue from above
    (its error falls as ``(lambda_1 / lambda_2)^(2 steps)``)."""
    v = np.zeros(F.A.shape[0])
    v[free] = np.random.default_rng(1).standard_normal(free.size)
    mu = 0.0
    for _ in range(steps):
        v /= np.linalg.norm(v)
        w = F.solve(v)
        mu = float(v @ w)
        v = np.zeros_like(w)
        v[free] = w[free]
    return 1.0 / mu


def test_device_amg_pcg_on_the_baseline_package_p1(baseline, monkeypatch):
    """``solve(backend="gpu", method="amg")`` through the stand-in: the mixed-precision
    device hierarchy (float32 V-cycle) and float64 PCG to rtol 1e-10.

    What the tolerance implies: PCG stops on its recursive residual, so the true one
    ``||b - A x|| / ||b||`` is held to 10 x rtol (the recursion's drift is rounding); the
    error of ``x`` is then at most ``||r_F|| / lambda_min(A_FF) + ||r_D||`` (2-norm: ``r``
    the residual, on the free DOFs F and on the eliminated ones D, whose rows are
    identities), with ``lambda_min`` from inverse iteration on the factor (an estimate from
    above: a factor 2 of room), plus the direct answer's own error (1e-12 of it).
    Measured: 62 iterations, true residual 8.9e-11, lambda_min(A_FF) 8.5 N/m, so a bound
    of 6.4e-6 of ``||x||``; the error itself 8e-11 (the bound is the worst case of the
    residual's direction)."""
    s, F = baseline
    n = s.A.shape[0]
    assert n > 100_000  # a package, not a cube
    x_ref = F.solve(s.b)
    cupy = install_working_device(monkeypatch)
    rtol = 1e-10
    x, info = solve(
        s.A,
        cupy.asarray(s.b),
        kind="elasticity",
        backend="gpu",
        method="amg",
        near_null=s.near_null,
        rtol=rtol,
    )
    assert info.backend == "gpu" and info.method == "amg-pcg"
    assert info.extra["precision"] == "mixed" and info.extra["levels"] >= 3
    bnorm = np.linalg.norm(s.b)
    r = np.linalg.norm(s.b - s.A @ x)
    assert r <= 10 * rtol * bnorm, r / bnorm
    assert info.residual == pytest.approx(r / bnorm, rel=1e-6)
    res = s.b - s.A @ x
    D = _unit_rows(s.A)
    assert 0 < D.size <= 6  # the 3-2-1 support
    free = np.setdiff1d(np.arange(n), D)
    lam = _smallest_eigenvalue(F, free)
    bound = (
        2.0 * np.linalg.norm(res[free]) / lam
        + np.linalg.norm(res[D])
        + 1e-12 * np.linalg.norm(x_ref)
    )
    err = np.linalg.norm(x - x_ref)
    assert err <= bound, (err, bound)
    # the bound is not vacuous: well below the answer itself
    assert bound <= 1e-4 * np.linalg.norm(x_ref), bound / np.linalg.norm(x_ref)
