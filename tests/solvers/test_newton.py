"""The generic Newton / quasi-Newton loop on small nonlinear systems with known solutions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from fea.errors import InputError, SolverError
from fea.solvers.newton import newton

K_LIN, K_CUB = 1.0e6, 4.0e13  # N/m, N/m^3
N_EL = 4


def _bar(load):
    """A fixed-free chain of N_EL stiffening springs f = k d + k3 d^3, end load ``load``."""

    def f_int(u):
        d = np.diff(np.r_[0.0, u])
        f = K_LIN * d + K_CUB * d**3
        out = f.copy()
        out[:-1] -= f[1:]
        return out

    def residual(u):
        r = f_int(u)
        r[-1] -= load
        return r

    def tangent(u):
        d = np.diff(np.r_[0.0, u])
        k = K_LIN + 3 * K_CUB * d**2
        K = np.diag(k)
        K[:-1, :-1] += np.diag(k[1:])
        K[np.arange(N_EL - 1), np.arange(1, N_EL)] = -k[1:]
        K[np.arange(1, N_EL), np.arange(N_EL - 1)] = -k[1:]
        return K

    return residual, tangent


def _exact(load):
    # every spring carries the load: k d + k3 d^3 = P, Cardano's real root
    p, q = K_LIN / K_CUB, -load / K_CUB
    disc = math.sqrt(q * q / 4 + p**3 / 27)
    d = math.cbrt(-q / 2 + disc) + math.cbrt(-q / 2 - disc)
    return d * np.arange(1, N_EL + 1)


def test_newton_nonlinear_spring_bar_converges_quadratically():
    P = 2.0e3  # N: the cubic term dominates (d ~ 3.4e-4 m, k3 d^2 / k ~ 4.6)
    residual, tangent = _bar(P)
    u, info = newton(residual, np.zeros(N_EL), tangent=tangent, force_scale=P, rtol=1e-12)
    np.testing.assert_allclose(u, _exact(P), rtol=1e-10)
    assert info.converged and info.method == "newton"
    # quadratic: the last ratios fall towards 0; observed 6 iterations (3 backtracks in the first)
    rates = info.rates()
    assert rates[-1] < 1e-3
    assert info.iterations <= 12
    assert info.tangent_evaluations == info.iterations == len(info.increment_norms)
    assert len(info.residual_norms) == info.iterations + 1


def test_quasi_newton_with_the_initial_tangent_converges_linearly():
    P = 50.0  # N: mildly nonlinear (3 k3 d^2 / k ~ 0.27) so the kept tangent contracts
    residual, tangent = _bar(P)
    K0 = tangent(np.zeros(N_EL))
    solve = lambda r: np.linalg.solve(K0, r)  # noqa: E731 (a kept "factorisation")
    u, info = newton(residual, np.zeros(N_EL), solve=solve, force_scale=P, rtol=1e-10, max_iter=200)
    np.testing.assert_allclose(u, _exact(P), rtol=1e-8)
    assert info.method == "quasi-newton" and info.tangent_evaluations == 0
    rates = info.rates()[2:-1]
    # linear: a constant contraction, neither 0 (quadratic) nor >= 1; observed 0.255
    # (17 corrections against 5 for Newton)
    assert 0.05 < rates.min() and rates.max() < 0.9
    assert np.ptp(rates) < 0.2
    full = newton(residual, np.zeros(N_EL), tangent=tangent, force_scale=P, rtol=1e-10).info
    assert info.iterations > full.iterations


def test_line_search_rescues_a_diverging_newton():
    # R(u) = atan(u - 1): Newton from |u0 - 1| > 1.39 overshoots further each step
    res = lambda u: np.arctan(u - 1.0)  # noqa: E731
    tan = lambda u: np.array([[1.0 / (1.0 + (u[0] - 1.0) ** 2)]])  # noqa: E731
    with (
        pytest.raises(SolverError, match="step 3: "),
        np.errstate(over="ignore", divide="ignore", invalid="ignore"),
    ):
        newton(
            res, [3.0], tangent=tan, line_search=False, force_scale=1.0, label="step 3", max_iter=20
        )
    u, info = newton(res, [3.0], tangent=tan, force_scale=1.0, rtol=1e-12)
    assert u[0] == pytest.approx(1.0, abs=1e-12)
    assert sum(info.line_search_steps) > 0 and min(info.step_lengths) < 1.0
    # the line search leaves the full steps alone near the solution
    assert info.step_lengths[-1] == 1.0


def test_error_names_the_step_iterations_and_keeps_the_record():
    residual, tangent = _bar(2.0e3)
    with pytest.raises(SolverError) as ei:
        newton(
            residual,
            np.zeros(N_EL),
            tangent=tangent,
            force_scale=2.0e3,
            max_iter=2,
            label="step 12 (t = 30 s)",
        )
    msg = str(ei.value)
    assert "step 12 (t = 30 s)" in msg and "2 iterations" in msg and "rtol" in msg
    assert ei.value.info.iterations == 2


def test_sparse_tangent_and_equilibrium_at_the_start():
    residual, tangent = _bar(1.0e3)
    u, info = newton(
        residual,
        np.zeros(N_EL),
        tangent=lambda v: sp.csr_matrix(tangent(v)),
        force_scale=1.0e3,
        rtol=1e-12,
    )
    np.testing.assert_allclose(u, _exact(1.0e3), rtol=1e-10)
    u1, info1 = newton(residual, u, tangent=tangent, force_scale=1.0e3)
    assert info1.converged and info1.iterations == 0
    np.testing.assert_array_equal(u1, u)


def test_newton_checks_its_arguments():
    residual, tangent = _bar(1.0)
    with pytest.raises(InputError) as ei:
        newton(residual, np.zeros(N_EL))
    assert ei.value.key == "newton.solve"
    with pytest.raises(InputError) as ei:
        newton(residual, np.zeros(N_EL), tangent=tangent, rtol=0.0)
    assert ei.value.key == "newton.rtol"
    with pytest.raises(InputError) as ei:
        newton(lambda u: np.zeros(2), np.zeros(N_EL), tangent=tangent)
    assert ei.value.key == "newton.residual"
    with pytest.raises(SolverError, match="non-finite correction"):
        newton(residual, np.zeros(N_EL), tangent=lambda u: np.zeros((N_EL, N_EL)) * np.nan)


def test_a_linear_problem_takes_one_correction():
    K = np.array([[4.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 3.0]]) * 1e6
    f = np.array([1.0, 2.0, 3.0]) * 1e3
    u, info = newton(lambda v: K @ v - f, np.zeros(3), tangent=lambda v: K, force_scale=1e3)
    np.testing.assert_allclose(u, np.linalg.solve(K, f), rtol=1e-14)
    assert info.iterations == 1 and info.converged


def test_estimated_error_displacement_test_saves_the_confirming_correction():
    """``displacement_test="estimate"`` bounds the estimated error of the current iterate
    (last correction times the residual ratio): against Cardano's exact solution the
    answer is as accurate as ``dtol`` asks, one correction earlier than the test on the
    last correction, which only confirms that the previous iterate was converged."""
    P = 2.0e3
    residual, tangent = _bar(P)
    exact = _exact(P)
    kw = {"tangent": tangent, "force_scale": P, "rtol": 1e-3, "dtol": 1e-3}
    u_c, info_c = newton(residual, np.zeros(N_EL), **kw)
    u_e, info_e = newton(residual, np.zeros(N_EL), displacement_test="estimate", **kw)
    for u in (u_c, u_e):  # observed 6e-9 and 8e-5 (the quadratic step it did not take)
        assert np.linalg.norm(u - exact) <= 1e-3 * np.linalg.norm(exact)
    assert info_e.iterations == info_c.iterations - 1  # observed 4 and 5
    with pytest.raises(InputError, match="displacement_test"):
        newton(residual, np.zeros(N_EL), displacement_test="norm", **kw)
