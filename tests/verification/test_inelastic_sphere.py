"""Structural check of J2 plasticity and the global Newton loop: a thick-walled sphere
under internal pressure, elastic-perfectly plastic, against Hill's closed form.

Hill, *The Mathematical Theory of Plasticity* (1950), ch. V.3: with ``a < c < b`` the
radius of the elastic-plastic boundary,

- plastic zone ``a <= r <= c``: ``sigma_r = -p + 2 Y ln(r/a)``, ``sigma_t = sigma_r + Y``;
- elastic zone ``c <= r <= b``: ``sigma_r = -(2 Y c^3 / 3 b^3)(b^3/r^3 - 1)``,
  ``sigma_t = (2 Y c^3 / 3 b^3)(b^3 / 2 r^3 + 1)``;
- ``p = 2 Y ln(c/a) + (2 Y / 3)(1 - c^3/b^3)``, and the outer radial displacement
  ``u(b) = Y c^3 (1 - nu) / (E b^2)`` (the elastic shell's Lamé solution).

Spherical symmetry makes Mises and Tresca coincide, so the solution is exact for J2. The
model is 1-D in the radius (linear elements, 2-point Gauss with the weight ``r^2``); each
Gauss point is a 3-D material point with strain ``(du/dr, u/r, u/r, 0, 0, 0)``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fea.physics.inelastic import Plastic
from fea.solvers.newton import newton

E, NU, Y = 200e9, 0.3, 200e6
A_IN, B_OUT = 0.010, 0.020  # m
GP = np.array([-1.0, 1.0]) / math.sqrt(3.0)


def _hill(c, r):
    p = 2 * Y * math.log(c / A_IN) + 2 * Y / 3 * (1 - c**3 / B_OUT**3)
    k = 2 * Y * c**3 / (3 * B_OUT**3)
    sr = np.where(r <= c, -p + 2 * Y * np.log(r / A_IN), -k * (B_OUT**3 / r**3 - 1))
    st = np.where(r <= c, sr + Y, k * (B_OUT**3 / (2 * r**3) + 1))
    return p, sr, st


class Sphere:
    def __init__(self, n_el, law):
        self.r = np.linspace(A_IN, B_OUT, n_el + 1)
        h = np.diff(self.r)
        self.rq = (0.5 * (self.r[:-1] + self.r[1:])[:, None] + 0.5 * h[:, None] * GP).ravel()
        self.wq = (0.5 * h[:, None] * np.ones(2)).ravel() * self.rq**2
        xi = np.tile(GP, n_el)
        self.N = np.stack([(1 - xi) / 2, (1 + xi) / 2], axis=1)  # (n_q, 2)
        self.dN = np.stack([-1 / np.repeat(h, 2), 1 / np.repeat(h, 2)], axis=1)
        self.conn = np.repeat(np.stack([np.arange(n_el), np.arange(1, n_el + 1)], 1), 2, 0)
        self.law = law
        self.state = law.init_state(self.rq.size)
        self.eps = np.zeros((self.rq.size, 6))
        self.D_last = None  # tangent of the last converged step

    def strain(self, u):
        ue = u[self.conn]
        e = np.zeros((self.rq.size, 6))
        e[:, 0] = (self.dN * ue).sum(1)
        e[:, 1] = e[:, 2] = (self.N * ue).sum(1) / self.rq
        return e

    def B(self):
        return np.stack([self.dN, self.N / self.rq[:, None], self.N / self.rq[:, None]], 1)

    def evaluate(self, u):
        res = self.law.update(self.strain(u) - self.eps, 25.0, 1.0, self.state)
        return res

    def internal(self, u):
        res = self.evaluate(u)
        fe = np.einsum("qij,qi,q->qj", self.B(), res.stress[:, :3], self.wq)
        return np.bincount(self.conn.ravel(), fe.ravel(), minlength=self.r.size), res

    def stiffness(self, u):
        res = self.evaluate(u)
        D = res.tangent
        if self.D_last is not None and np.array_equal(self.strain(u), self.eps):
            # the first iteration of a step: at a zero increment the return map is elastic
            # (one-sided), so take the last converged step's tangent, as FE codes do
            D = self.D_last
        B = self.B()
        Ke = np.einsum("qia,qij,qjb,q->qab", B, D[:, :3, :3], B, self.wq)
        K = np.zeros((self.r.size, self.r.size))
        for a in range(2):
            for b in range(2):
                np.add.at(K, (self.conn[:, a], self.conn[:, b]), Ke[:, a, b])
        return K


def test_thick_sphere_matches_hill_closed_form():
    c = 0.015
    n_el = 120
    sph = Sphere(n_el, Plastic(Y, 0.0, E=E, nu=NU))
    p_end = _hill(c, np.array([A_IN]))[0]
    u = np.zeros(n_el + 1)
    iters, best_rate = [], []
    for p in np.linspace(0, p_end, 21)[1:]:
        f_ext = np.zeros(n_el + 1)
        f_ext[0] = p * A_IN**2

        def residual(v, f_ext=f_ext):
            return sph.internal(v)[0] - f_ext

        u, info = newton(residual, u, tangent=sph.stiffness, force_scale=p * A_IN**2,
                         rtol=1e-10, dtol=1e-10, label=f"p = {p / 1e6:.1f} MPa")
        iters.append(info.iterations)
        best_rate.append(info.rates().min())
        res = sph.evaluate(u)
        sph.state, sph.eps, sph.D_last = res.state, sph.strain(u), res.tangent
    _, sr, st = _hill(c, sph.rq)
    sig = sph.state.stress
    # element means of the Gauss-point stresses (the linear displacement element's
    # pointwise stresses oscillate about them where the flow is isochoric, by 3 % of Y
    # here); observed max 2.8e-4 of Y
    def mean(x):
        return x.reshape(-1, 2).mean(axis=1)

    err_r = np.abs(mean(sig[:, 0]) - mean(sr)) / Y
    err_t = np.abs(mean(sig[:, 1]) - mean(st)) / Y
    assert err_r.max() < 0.01 and err_t.max() < 0.01
    # the plastic zone is r < c
    yielded = sph.state.eq_strain > 0
    assert sph.rq[yielded].max() == pytest.approx(c, abs=2 * (B_OUT - A_IN) / n_el)
    # outer displacement, Hill / Lamé: observed 2.1e-4 relative
    u_b = Y * c**3 * (1 - NU) / (E * B_OUT**2)
    assert u[-1] == pytest.approx(u_b, rel=1e-3)
    # Newton with the consistent tangent: each iteration moves the elastic-plastic boundary
    # by about a Gauss point until the active set settles, then the residual drops by
    # ~1e-11 in one step (quadratic); observed 2 (elastic) to 8 iterations per increment
    assert max(iters) <= 10
    assert max(best_rate) < 1e-6


def test_quasi_newton_with_the_elastic_factorisation_reaches_the_same_state():
    # modified Newton with the kept elastic LU converges linearly; with a plastic zone to
    # r = 0.012 (a fifth of the wall) it took 891 corrections against 37 for Newton with
    # the consistent tangent (20 load increments each)
    import scipy.linalg as sl

    c, n_el = 0.012, 120
    p_end = _hill(c, np.array([A_IN]))[0]
    out = {}
    for quasi in (False, True):
        sph = Sphere(n_el, Plastic(Y, 0.0, E=E, nu=NU))
        u = np.zeros(n_el + 1)
        lu = sl.lu_factor(sph.stiffness(u))
        total = 0
        for p in np.linspace(0, p_end, 21)[1:]:
            f_ext = np.zeros(n_el + 1)
            f_ext[0] = p * A_IN**2

            def residual(v, f_ext=f_ext, sph=sph):
                return sph.internal(v)[0] - f_ext

            def kept(r, lu=lu):
                return sl.lu_solve(lu, r)

            kw = {"solve": kept} if quasi else {"tangent": sph.stiffness}
            u, info = newton(residual, u, force_scale=p * A_IN**2, rtol=1e-9, dtol=1e-9,
                             max_iter=1000, **kw)
            total += info.iterations
            res = sph.evaluate(u)
            sph.state, sph.eps, sph.D_last = res.state, sph.strain(u), res.tangent
        out[quasi] = (u[-1], total)
    u_b = Y * c**3 * (1 - NU) / (E * B_OUT**2)
    assert out[True][0] == pytest.approx(out[False][0], rel=1e-6)
    assert out[False][0] == pytest.approx(u_b, rel=1e-3)
    assert out[True][1] > 5 * out[False][1]


def test_newton_with_pcg_preconditioned_by_the_elastic_factorisation():
    # the recommended route for a mostly linear body: Newton with the consistent tangent,
    # its systems solved by PCG preconditioned by the kept elastic LU; observed the same 37
    # Newton corrections as with a direct solve, at most 5 PCG iterations each
    import scipy.linalg as sl

    from fea.solvers import pcg

    c, n_el = 0.012, 120
    sph = Sphere(n_el, Plastic(Y, 0.0, E=E, nu=NU))
    u = np.zeros(n_el + 1)
    lu = sl.lu_factor(sph.stiffness(u))
    pcg_its = []

    def linear_solver(K, r):
        res = pcg(K, r, M=lambda x: sl.lu_solve(lu, x), rtol=1e-12)
        pcg_its.append(len(res.history))
        return res.x

    for p in np.linspace(0, _hill(c, np.array([A_IN]))[0], 21)[1:]:
        f_ext = np.zeros(n_el + 1)
        f_ext[0] = p * A_IN**2

        def residual(v, f_ext=f_ext):
            return sph.internal(v)[0] - f_ext

        u, info = newton(residual, u, tangent=sph.stiffness, linear_solver=linear_solver,
                         force_scale=p * A_IN**2, rtol=1e-9, dtol=1e-9)
        assert info.iterations <= 10
        res = sph.evaluate(u)
        sph.state, sph.eps, sph.D_last = res.state, sph.strain(u), res.tangent
    assert u[-1] == pytest.approx(Y * c**3 * (1 - NU) / (E * B_OUT**2), rel=1e-3)
    assert max(pcg_its) <= 10
