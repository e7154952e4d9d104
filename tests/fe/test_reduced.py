"""Reduced models by rational Krylov projection, power profiles and output times, on
small dense systems solved exactly by their full eigendecomposition."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp

from fea.errors import InputError
from fea.fe.reduced import modal_response, reduce_system, shifts_for
from fea.fe.timestep import Profile, Transient, integrate, log_times
from fea.solvers.cpu import single_threaded_openblas


@pytest.fixture(autouse=True)
def openblas_on_one_thread():
    """OpenBLAS on one thread, as :func:`fea.physics.thermal` runs ``reduce_systems``: the
    growing basis's small eigenproblems (up to ~130 x 130, one per added vector) took
    0.24 s each on two OpenBLAS threads beside other work on the two cores (54 s for the
    converged-first-pass test) against 0.02 s on one."""
    with single_threaded_openblas():
        yield


def _rod(n: int = 300):
    """A 1-D conduction rod, finite differences on a geometric grid, convective far end:
    K, M (n x n) SPD with time constants over ~9 decades; heat enters at node 0."""
    x = np.concatenate([[0.0], np.geomspace(1e-6, 1e-2, n - 1)])
    dx = np.diff(x)
    g = 1.0 / dx  # k = 1, A = 1
    K = np.zeros((n, n))
    for i, gi in enumerate(g):
        K[i, i] += gi
        K[i + 1, i + 1] += gi
        K[i, i + 1] = K[i + 1, i] = -gi
    K[-1, -1] += 50.0
    m = np.zeros(n)
    m[:-1] += dx / 2
    m[1:] += dx / 2
    M = np.diag(m * 1e6)
    b = np.zeros(n)
    b[0] = 1.0
    return sp.csr_matrix(K), sp.csr_matrix(M), b


def _exact(K, M, b, times, u0=None, power=None):
    """Full modal solution: the same exact integrator on every mode of the full system."""
    lam, X = sla.eigh(K.toarray(), M.toarray())
    z0 = X.T @ (M @ u0) if u0 is not None else np.zeros(lam.size)
    return modal_response(lam, X.T @ b, z0, times, power) @ X.T


class _Dense:
    def __init__(self, K, M):
        self.K, self.M, self.count = K.toarray(), M.toarray(), 0

    def __call__(self, s):
        self.count += 1
        lu = sla.lu_factor(self.K + s * self.M)

        class F:
            def solve(self, rhs):
                return sla.lu_solve(lu, rhs)

            def close(self):
                pass

        return F()


def test_reduced_step_response_matches_the_full_system():
    K, M, b = _rod()
    times = np.geomspace(1e-6, 1e3, 300)
    fac = _Dense(K, M)
    shifts = shifts_for(1e-6, 1e3)
    model = reduce_system(K, M, [b], fac, shifts, times)
    # each shift is factorized once unless skipped, plus once per shift grown again in the
    # second pass; which shifts need that depends on rounding (a shift's growth stops at
    # rtol of its response change: 19 vectors for 15,849 1/s with MKL on two threads, 25,
    # one over per_shift, on one), so the count is 7 or 8 of the 7 shifts: bounded, not pinned
    info = model.info
    assert fac.count == info["factorizations"]
    assert info["factorizations"] == len(shifts) - len(info["skipped"]) + len(info["refined"])
    assert info["factorizations"] <= len(shifts) + 2
    assert model.info["basis"] < 120
    u = model.modal(times) @ model.shapes.T
    exact = _exact(K, M, b, times)
    rel = np.abs(u[:, 0] - exact[:, 0]) / exact[:, 0]
    assert rel.max() < 1e-4, rel.max()
    # the driving point is exactly a Foster network with positive terms
    R, tau = model.foster(b)
    assert np.all(R > -1e-12 * R.sum()) and np.all(tau > 0)
    zth = (R * -np.expm1(-times[:, None] / tau)).sum(axis=1)
    np.testing.assert_allclose(zth, u[:, 0], rtol=1e-9)
    assert R.sum() == pytest.approx(np.linalg.solve(K.toarray(), b)[0], rel=1e-8)


def test_reduced_pulse_and_initial_state():
    K, M, b = _rod(120)
    times = np.geomspace(1e-5, 1e2, 200)
    pulse = Profile([(0.0, 0.0), (1e-3, 0.0), (1e-3, 2.0), (0.1, 2.0), (0.2, 0.5), (0.2, 0.0)])
    u0 = np.linspace(1.0, 0.0, b.size)
    model = reduce_system(
        K, M, [b], _Dense(K, M), shifts_for(1e-5, 1e2), times, initial=u0, rtol=1e-6
    )
    u = model.modal(times, pulse) @ model.shapes.T
    exact = _exact(K, M, b, times, u0, pulse)
    assert np.abs(u - exact).max() < 1e-4 * np.abs(exact).max()


def test_modal_response_integrates_linear_pieces_exactly():
    """Against a fine trapezoidal quadrature of the convolution integral."""
    lam = np.array([1e-3, 1.0, 30.0, 1e4])
    beta = np.array([1.0, -2.0, 0.5, 3.0])
    z0 = np.array([0.3, 0.0, -1.0, 2.0])
    prof = Profile([(0.0, 1.0), (0.05, 3.0), (0.05, -1.0), (0.3, 0.0)])
    t = np.array([0.02, 0.05, 0.1, 0.5])
    z = modal_response(lam, beta, z0, t, prof)
    for i, ti in enumerate(t):
        for j in range(lam.size):
            ref = z0[j] * np.exp(-lam[j] * ti)
            for a, b, pa, pb in prof.segments(0.0, ti):  # fine trapezoids on each piece
                s = np.linspace(a, b, 200001)
                p = pa + (pb - pa) * (s - a) / (b - a)
                ref += beta[j] * np.trapezoid(np.exp(-lam[j] * (ti - s)) * p, s)
            assert z[i, j] == pytest.approx(ref, rel=1e-6, abs=1e-9), (ti, j)


def test_profile_values_means_and_checks():
    p = Profile([(0.0, 0.0), (1.0, 2.0), (1.0, 5.0), (3.0, 5.0)])
    assert p(0.5) == 1.0 and p(1.0) == 5.0 and p.left(1.0) == 2.0 and p(10.0) == 5.0
    assert p.mean(0.0, 1.0) == pytest.approx(1.0)
    assert p.mean(0.5, 2.0) == pytest.approx((0.5 * 1.5 + 5.0) / 1.5)
    assert p.corners.tolist() == [0.0, 1.0, 3.0]
    for bad in ([(1.0, 0.0), (0.5, 1.0)], [(0.0, np.nan)], [(-1.0, 0.0)], [1, 2, 3]):
        with pytest.raises(InputError):
            Profile(bad)
    with pytest.raises(InputError):
        Profile([(0.0, 1.0), (1.0, 1.0), (1.0, 2.0), (1.0, 3.0)])


def test_outputs_are_interpolated_and_steps_stop_at_corners():
    """dy/dt = p(t) with y(0) = 0 and a ramp: backward Euler with the exact step means
    of p is exact at the step ends, and the outputs fall between the steps."""
    prof = [(0.0, 0.0), (0.35, 0.7), (0.35, 0.0)]
    tr = Transient(1.0, 0.1, initial_C=0.0, outputs=[0.05, 0.35, 0.6, 1.0], power=prof)
    seen = []

    def step(y, t, dt):
        seen.append((t, dt))
        return y + dt * tr.factor(t, t + dt)

    run = integrate(step, np.zeros(1), tr)
    assert any(abs(t + dt - 0.35) < 1e-12 for t, dt in seen)  # a step ends on the jump
    np.testing.assert_allclose(run.times, [0.0, 0.05, 0.35, 0.6, 1.0])
    # y = t^2 up to the jump at 0.35, constant after; 0.05 lies halfway to the first
    # step's end (y(0.1) = 0.01)
    np.testing.assert_allclose(run.history[:, 0], [0.0, 0.005, 0.1225, 0.1225, 0.1225])
    assert run.final[0] == pytest.approx(0.35 * 0.7 / 2)


def test_transient_checks_its_new_arguments():
    for kw, key in (
        (dict(outputs=[0.5, 0.2]), "transient.outputs"),
        (dict(outputs=[0.0, 0.5]), "transient.outputs"),
        (dict(outputs=[2.0]), "transient.outputs"),
        (dict(fields=-1), "transient.fields"),
        (dict(scheme="magic"), "transient.scheme"),
        (dict(rtol=0.5), "transient.rtol"),
        (dict(power=[(0.0, 1.0), (-1.0, 1.0)]), "transient.power"),
        (dict(power=lambda t: 1.0, scheme="reduced"), "transient.power"),
    ):
        with pytest.raises(InputError, match=key):
            Transient(1.0, 0.1, **kw)
    tr = Transient(10.0, 1e-3, scheme="reduced")
    times = tr.output_times()
    assert times[0] == pytest.approx(1e-3) and times[-1] == pytest.approx(10.0)
    assert len(times) == 81  # 20 per decade
    keep = Transient(10.0, 1e-3, outputs=log_times(1e-3, 10.0, 50), fields=4).kept(50)
    assert keep.sum() == 4 and keep[-1]
    # kept fields spread evenly in log TIME over outputs already spaced in log time (the
    # index's geometric spread put 8 of 12 before 6.3 us and none from 0.22 s to 1e4 s)
    t = log_times(1e-6, 1e4, 1000)
    keep = Transient(1e4, 1e-6, outputs=t, fields=12, scheme="reduced").kept(1000)
    ratios = np.diff(np.log10(t[keep]))
    assert keep.sum() == 12 and keep[0] and keep[-1]
    assert np.allclose(ratios, 10 / 11, atol=0.01)
    # outputs at even times: one field near each end and the middle (in log time)
    t = np.linspace(1.0, 100.0, 100)
    keep = Transient(100.0, 1.0, outputs=t, fields=3).kept(100)
    assert list(t[keep]) == [1.0, 10.0, 100.0]
    with pytest.raises(InputError):
        log_times(1.0, 0.5, 10)


def test_a_basis_too_small_for_its_shifts_is_refined_until_converged():
    """Two steps per shift cannot resolve the rod over nine decades: the first pass
    leaves shifts open, the second grows them until the response converges, and the
    refined model agrees with the full modal solution."""
    K, M, b = _rod(200)
    times = np.geomspace(1e-6, 1e3, 200)
    shifts = shifts_for(1e-6, 1e3)
    fac = _Dense(K, M)
    model = reduce_system(K, M, [b], fac, shifts, times, per_shift=2, rtol=1e-5)
    info = model.info
    assert info["refined"], info
    assert info["factorizations"] == len(shifts) + len(info["refined"]) == fac.count
    assert info["converged"] and info["last_change"] <= 1e-5
    u = model.modal(times) @ model.shapes.T
    exact = _exact(K, M, b, times)
    rel = np.abs(u[:, 0] - exact[:, 0]) / exact[:, 0]
    assert rel.max() < 1e-4, rel.max()


def test_a_basis_capped_below_convergence_says_so():
    """With at most 6 vectors the response cannot converge: the model warns, reports
    converged = False, and its error against the full solution is indeed not small."""
    from fea.fe.reduced import ReducedBasisWarning

    K, M, b = _rod(200)
    times = np.geomspace(1e-6, 1e3, 200)
    with pytest.warns(ReducedBasisWarning, match="max_size"):
        model = reduce_system(K, M, [b], _Dense(K, M), shifts_for(1e-6, 1e3), times, max_size=6)
    assert model.info["basis"] == 6 and not model.info["converged"]
    assert model.info["last_change"] > 1e-4
    u = model.modal(times) @ model.shapes.T
    exact = _exact(K, M, b, times)
    rel = np.abs(u[:, 0] - exact[:, 0]) / exact[:, 0]
    assert rel.max() > 1e-4, rel.max()


def test_a_basis_converged_in_its_first_pass_is_not_refined():
    K, M, b = _rod(200)
    times = np.geomspace(1e-6, 1e3, 200)
    shifts = shifts_for(1e-6, 1e3)
    model = reduce_system(K, M, [b], _Dense(K, M), shifts, times, per_shift=1000)
    assert model.info["converged"] and model.info["refined"] == []
    assert model.info["factorizations"] == len(shifts) - len(model.info["skipped"])
