"""Independent reference solutions for the viscoelastic law (material point and 1-D bilayer).

Nothing here uses the recursive update of :mod:`fea.physics.viscoelastic`, except
:func:`bilayer_recursive`, which is the code under test wrapped as a 1-D laminate so that
it can be compared with :func:`bilayer_reference` (and later with a 3-D FE solution).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp
from scipy.linalg import expm

from fea.physics.viscoelastic import Viscoelastic


def maxwell_creep(E0: float, g: NDArray, tau: NDArray, t: NDArray) -> NDArray:
    """Uniaxial creep strain per unit stress ``J(t)`` [1/Pa] of a generalised Maxwell model.

    The arm stresses ``s_i`` obey ``s' = E_i eps' - s_i / tau_i`` with
    ``E_inf eps + sum s_i = sigma_0`` held constant, so ``s' = A s`` with
    ``A = -(I + E 1^T / E_inf)^-1 D``: solved by the matrix exponential from
    ``s_i(0+) = E_i sigma_0 / E0``. Independent of any Laplace interconversion.
    """
    g = np.asarray(g, float)
    tau = np.asarray(tau, float)
    Ei = E0 * g
    E_inf = E0 * (1.0 - g.sum())
    A = -np.linalg.solve(np.eye(g.size) + np.outer(Ei, np.ones(g.size)) / E_inf, np.diag(1 / tau))
    s0 = Ei / E0
    out = np.empty(len(t))
    for k, tk in enumerate(t):
        s = expm(A * tk) @ s0
        out[k] = (1.0 - s.sum()) / E_inf
    return out


def uniaxial_stress_step(law: Viscoelastic, state, eps_x, dt, T_old, T_new):
    """One step of ``law`` at points in uniaxial stress ``sigma_xx`` (all other stresses
    zero): the lateral and shear strains are solved from the step's affine law.

    Returns (sigma_xx (n,), E_eff (n,), sigma_hist_x (n,), new state): ``sigma_xx =
    E_eff eps_x + sigma_hist_x``.
    """
    lam, mu = law.lame_at(law.reduced_time_increment(dt, T_old, T_new))
    h = law.history_at(state, law.reduced_time_increment(dt, T_old, T_new))
    E_eff, hx = uniaxial_condense(lam, mu, h)
    eps = uniaxial_strain(lam, mu, h, eps_x)
    res = law.step_at(state, eps, law.reduced_time_increment(dt, T_old, T_new))
    return res.stress[:, 0], E_eff, hx, res.state


def uniaxial_condense(lam, mu, h):
    """``(E_eff, sigma_hist_x)`` of ``sigma_xx = E_eff eps_x + sigma_hist_x`` when the
    other five stresses vanish; h (n, 6) the history stress."""
    E_eff = mu * (3 * lam + 2 * mu) / (lam + mu)
    hx = h[:, 0] - lam * (h[:, 1] + h[:, 2]) / (2 * (lam + mu))
    return E_eff, hx


def uniaxial_strain(lam, mu, h, eps_x):
    """Voigt strain (n, 6) with the given ``eps_x`` and zero stress except ``sigma_xx``."""
    n = h.shape[0]
    eps = np.zeros((n, 6))
    eps[:, 0] = eps_x
    s = -(2 * lam * eps_x + h[:, 1] + h[:, 2]) / (2 * (lam + mu))  # eps_y + eps_z
    d = -(h[:, 1] - h[:, 2]) / (2 * mu)  # eps_y - eps_z
    eps[:, 1] = 0.5 * (s + d)
    eps[:, 2] = 0.5 * (s - d)
    eps[:, 3:] = -h[:, 3:] / mu[:, None]
    return eps


@dataclass(frozen=True)
class Bilayer:
    """A free strip: elastic layer (silicon) on a viscoelastic layer, beam theory.

    Uniaxial stress, plane sections, per unit width; ``z`` from the free face of the
    viscoelastic layer (0) through the interface (``h_ve``) to the top (``h_ve + h_el``).
    Stress free at ``T0_C``; thermal strains ``alpha (T - T0)``.
    """

    law: Viscoelastic
    h_ve: float = 0.5e-3
    h_el: float = 0.3e-3
    E_el: float = 130e9
    alpha_el: float = 2.6e-6
    alpha_ve: float = 9e-6
    T0_C: float = 175.0

    def moments(self, lo: float, hi: float) -> NDArray:
        """``[[int dz, int z dz], [int z dz, int z^2 dz]]`` over ``[lo, hi]``."""
        return np.array(
            [[hi - lo, (hi**2 - lo**2) / 2], [(hi**2 - lo**2) / 2, (hi**3 - lo**3) / 3]]
        )

    @property
    def S_ve(self) -> NDArray:
        return self.moments(0.0, self.h_ve)

    @property
    def S_el(self) -> NDArray:
        return self.moments(self.h_ve, self.h_ve + self.h_el)


def bilayer_reference(strip: Bilayer, rate_K_s: float, T_end_C: float = 25.0) -> float:
    """Curvature [1/m] at the end of a cooling at constant rate, integrated as ODEs.

    The viscoelastic layer is a generalised Maxwell model (one series, uniaxial
    ``E(t) = E0 g(t)``): each arm stress is linear through the thickness, ``a_i + b_i z``,
    and obeys ``(a_i, b_i)' = E_i (u' - c) - (a_i, b_i) / (tau_i a_T(T))`` with
    ``u = (eps_0, kappa)`` from force and moment balance at every instant and
    ``c = (alpha_ve T', 0)``. Differentiating the balance gives ``u'`` in terms of the
    arms (instantaneous stiffness ``E_el S_el + E0 S_ve``), so the arms form a linear
    ODE system, integrated with Radau (rtol 1e-10) and its exact Jacobian. ``kappa``
    is signed by ``eps = eps_0 + kappa z`` (positive: the elastic top lengthens relative
    to the viscoelastic bottom, as on cooling when ``alpha_ve > alpha_el``).
    """
    law = strip.law
    if law.split:
        raise ValueError("the 1-D reference takes one relaxation series")
    pr = law.relaxation
    g, tau = pr.weights, pr.times
    m = g.size
    E0, Einf = law.E0, law.E0 * pr.g_inf
    Ei = E0 * g
    S_ve, S_el = strip.S_ve, strip.S_el
    K_inst = strip.E_el * S_el + E0 * S_ve
    P = np.linalg.solve(K_inst, S_ve)
    Tdot = -rate_K_s
    # u' forcing: K_inst^-1 (F_th' + S_ve (E0 - E_inf) c), F_th' = (E_el a_el S_el[:,0] +
    # E_inf a_ve S_ve[:,0]) T'
    c = np.array([strip.alpha_ve * Tdot, 0.0])
    Fth_dot = (strip.E_el * strip.alpha_el * S_el[:, 0] + Einf * strip.alpha_ve * S_ve[:, 0]) * Tdot
    u_forced = np.linalg.solve(K_inst, Fth_dot + S_ve @ ((E0 - Einf) * c))
    t_end = (strip.T0_C - T_end_C) / rate_K_s

    def inv_a(t):
        T = strip.T0_C + Tdot * t
        return 10.0 ** (-law.shift.log10_shift(T)) if law.shift is not None else 1.0

    def rhs(t, y):
        Y = y.reshape(m, 2)
        r = Y / tau[:, None] * inv_a(t)
        du = u_forced + P @ r.sum(axis=0)
        return (Ei[:, None] * (du - c) - r).ravel()

    def jac(t, y):
        ia = inv_a(t)
        J = np.zeros((2 * m, 2 * m))
        for i in range(m):
            for j in range(m):
                blk = Ei[i] * P * ia / tau[j]
                if i == j:
                    blk = blk - np.eye(2) * ia / tau[i]
                J[2 * i : 2 * i + 2, 2 * j : 2 * j + 2] = blk
        return J

    sol = solve_ivp(
        rhs, (0.0, t_end), np.zeros(2 * m), method="Radau", jac=jac, rtol=1e-10, atol=1e-4
    )
    if not sol.success:
        raise RuntimeError(sol.message)
    Y = sol.y[:, -1].reshape(m, 2)
    dT = T_end_C - strip.T0_C
    F_th = strip.E_el * strip.alpha_el * dT * S_el[:, 0] + Einf * strip.alpha_ve * dT * S_ve[:, 0]
    K_rub = strip.E_el * S_el + Einf * S_ve
    u = np.linalg.solve(K_rub, F_th - S_ve @ Y.sum(axis=0))
    return float(u[1])


def bilayer_recursive(
    strip: Bilayer, rate_K_s: float, n_steps: int, T_end_C: float = 25.0
) -> float:
    """Curvature [1/m] with the recursive law in ``n_steps`` equal temperature steps.

    As a finite-element step would: two Gauss points through the viscoelastic layer
    (exact: its stress is linear in z), uniaxial stress at each, the algorithmic modulus
    and history stress of the step in a 2 x 2 force/moment balance for
    ``(eps_0, kappa)``, then the state update with the solved strains.
    """
    law = strip.law
    h = strip.h_ve
    zg = h / 2 * (1 + np.array([-1, 1]) / np.sqrt(3.0))
    wg = np.array([h / 2, h / 2])
    state = law.init_state(2)
    temps = np.linspace(strip.T0_C, T_end_C, n_steps + 1)
    dt = abs(temps[1] - temps[0]) / rate_K_s
    S_el = strip.S_el
    u = np.zeros(2)
    for T_old, T_new in zip(temps[:-1], temps[1:], strict=True):
        To, Tn = np.full(2, T_old), np.full(2, T_new)
        lam, mu = law.lame_at(law.reduced_time_increment(dt, To, Tn))
        hs = law.history_at(state, law.reduced_time_increment(dt, To, Tn))
        E_eff, hx = uniaxial_condense(lam, mu, hs)
        th_ve = strip.alpha_ve * (T_new - strip.T0_C)
        th_el = strip.alpha_el * (T_new - strip.T0_C)
        B = np.stack([np.ones(2), zg])  # (2, n_gauss): [1, z]
        K = strip.E_el * S_el + (B * (wg * E_eff)) @ B.T
        rhs = strip.E_el * th_el * S_el[:, 0] + B @ (wg * (E_eff * th_ve - hx))
        u = np.linalg.solve(K, rhs)
        eps_x = u[0] + u[1] * zg - th_ve
        state = law.update_at(
            state, uniaxial_strain(lam, mu, hs, eps_x), law.reduced_time_increment(dt, To, Tn)
        )
    return float(u[1])
