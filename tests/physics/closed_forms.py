"""Closed-form references for verifying structure functions and, later, FE solutions.

Every function here is independent of :mod:`fea` and in SI units.

- One-dimensional slab, uniform flux on one face (the other adiabatic sides make it 1-D),
  far face isothermal or convective: Zth(t) as an eigenfunction series (Carslaw & Jaeger
  1959, ch. 3; Ozisik, Heat Conduction, 2nd ed. 1993, ch. 2) and, for the isothermal
  case, the image series with ierfc (Carslaw & Jaeger 1959, sec. 3.8).
- Spreading resistance of an isoflux circular source of radius a centred on a circular
  plate of radius b, thickness t, with a uniform h (or isothermal) bottom: the exact
  Bessel series (Yovanovich, Culham & Teertstra 1998) and the closed form of Song, Lee &
  Au (1994) / Lee, Song, Au & Moran (1995).
- Series (1-D stack) resistance, as for theta_JB of a layered path.
- Cauer ladder step response by a generalised symmetric eigenproblem and its impedance
  by the continued fraction, independent of :mod:`fea.physics.structure`; the
  Foster -> Cauer conversion by Euclid's algorithm in exact rational arithmetic.

References
----------
- H. S. Carslaw, J. C. Jaeger, Conduction of Heat in Solids, 2nd ed., Oxford (1959).
- M. M. Yovanovich, J. R. Culham, P. Teertstra, Analytical modeling of spreading
  resistance in flux tubes, half spaces, and compound disks, IEEE Trans. CPMT-A 21
  (1998) 168-176.
- S. Song, S. Lee, V. Au, Closed-form equation for thermal constriction/spreading
  resistances with variable resistance boundary condition, Proc. IEPS (1994) 111-121;
  S. Lee, S. Song, V. Au, K. P. Moran, Constriction/spreading resistance model for
  electronics packaging, ASME/JSME Thermal Eng. Conf. 4 (1995) 199-206.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import scipy.linalg as sla
import scipy.special as sp
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

__all__ = [
    "cauer_exact",
    "ladder_impedance",
    "ladder_zth",
    "semi_infinite_zth",
    "series_resistance",
    "slab_foster",
    "slab_zth",
    "slab_zth_images",
    "spreading_resistance_series",
    "spreading_resistance_song",
]


def slab_foster(
    L: float, k: float, rho_cp: float, area: float, h: float | None = None, n_terms: int = 2000
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Foster terms (R_n [K/W], tau_n [s]) of a slab heated by a uniform flux on x = 0.

    Far face x = L isothermal (``h=None``) or convective, -k T_x = h T.

    .. math:: Z_{th}(t) = \\sum_n \\frac{1}{k A N_n \\lambda_n^2}
              \\bigl(1 - e^{-\\alpha\\lambda_n^2 t}\\bigr),\\qquad
              N_n = \\frac{L}{2} + \\frac{\\sin 2\\lambda_n L}{4\\lambda_n}

    with eigenvalues :math:`\\lambda_n L = (n - 1/2)\\pi` (isothermal) or the roots of
    :math:`\\lambda L \\tan\\lambda L = hL/k` in :math:`((n-1)\\pi, (n-1/2)\\pi)`.
    """
    alpha = k / rho_cp
    n = np.arange(1, n_terms + 1)
    if h is None:
        x = (n - 0.5) * np.pi
    else:
        bi = h * L / k
        x = np.array(
            [
                brentq(lambda u: u * np.sin(u) - bi * np.cos(u), (j - 1) * np.pi, (j - 0.5) * np.pi)
                for j in n
            ]
        )
    lam = x / L
    norm = L / 2 + np.sin(2 * x) / (4 * lam)
    return 1.0 / (k * area * norm * lam**2), 1.0 / (alpha * lam**2)


def slab_zth(
    t: ArrayLike,
    L: float,
    k: float,
    rho_cp: float,
    area: float,
    h: float | None = None,
    n_terms: int = 2000,
) -> NDArray[np.float64]:
    """Zth(t) [K/W] of the slab of :func:`slab_foster` (eigenfunction series).

    Summed as :math:`Z_\\infty - \\sum_n R_n e^{-t/\\tau_n}` with the exact steady value
    :math:`Z_\\infty = L/(kA) + 1/(hA)`, so the truncated tail only matters for t below
    about 10 tau_N.
    """
    R, tau = slab_foster(L, k, rho_cp, area, h, n_terms)
    tt = np.asarray(t, dtype=float)
    z_inf = L / (k * area) + (0.0 if h is None else 1.0 / (h * area))
    return z_inf - np.exp(-tt[..., None] / tau) @ R


def _ierfc(x: NDArray) -> NDArray:
    return np.exp(-(x**2)) / np.sqrt(np.pi) - x * sp.erfc(x)


def slab_zth_images(
    t: ArrayLike, L: float, k: float, rho_cp: float, area: float, n_images: int = 60
) -> NDArray[np.float64]:
    """Zth(t) [K/W] of the slab with an isothermal far face, by images (short times).

    .. math:: Z_{th}(t) = \\frac{2\\sqrt{\\alpha t}}{k A}\\Bigl[\\frac{1}{\\sqrt\\pi}
              + 2\\sum_{n\\ge1} (-1)^n\\,\\mathrm{ierfc}\\frac{nL}{\\sqrt{\\alpha t}}\\Bigr]
    """
    tt = np.asarray(t, dtype=float)
    s = np.sqrt(k / rho_cp * tt)
    n = np.arange(1, n_images + 1)
    series = (((-1.0) ** n) * _ierfc(n * L / s[..., None])).sum(axis=-1)
    return 2 * s / (k * area) * (1 / np.sqrt(np.pi) + 2 * series)


def semi_infinite_zth(t: ArrayLike, k: float, rho_cp: float, area: float) -> NDArray[np.float64]:
    """Zth(t) = 2 sqrt(t) / (A sqrt(pi k rho cp)) [K/W] of a uniformly heated half-space."""
    return 2 * np.sqrt(np.asarray(t, dtype=float)) / (area * np.sqrt(np.pi * k * rho_cp))


def spreading_resistance_series(
    a: float, b: float, t: float, k: float, h: float | None = None, n_terms: int = 4000
) -> float:
    """Spreading resistance [K/W] of an isoflux disk source (mean source temperature).

    Source of radius ``a`` centred on a plate of radius ``b`` and thickness ``t`` with
    adiabatic rim, bottom cooled by ``h`` (``None``: isothermal). With
    :math:`\\epsilon = a/b`, :math:`\\tau = t/b`, :math:`Bi = hb/k` and
    :math:`J_1(\\delta_n) = 0`:

    .. math:: R_s = \\frac{4}{\\pi k a \\epsilon}\\sum_n
              \\frac{J_1^2(\\delta_n\\epsilon)}{\\delta_n^3 J_0^2(\\delta_n)}\\,\\phi_n,
              \\qquad \\phi_n = \\frac{\\delta_n + Bi\\tanh\\delta_n\\tau}
              {\\delta_n\\tanh\\delta_n\\tau + Bi}

    The total source-to-sink resistance is ``R_s + t/(k pi b^2) + 1/(h pi b^2)``.
    """
    eps, tau = a / b, t / b
    d = sp.jn_zeros(1, n_terms)
    th = np.tanh(d * tau)
    phi = th if h is None else (d + h * b / k * th) / (d * th + h * b / k)
    terms = sp.j1(d * eps) ** 2 / (d**3 * sp.j0(d) ** 2) * phi
    return float(4 / (np.pi * k * a * eps) * terms.sum())


def spreading_resistance_song(
    a: float, b: float, t: float, k: float, h: float | None = None
) -> tuple[float, float]:
    """(mean, maximum) source spreading resistance [K/W], Song-Lee-Au closed form.

    .. math:: \\lambda_c = \\pi + \\frac{1}{\\sqrt\\pi\\,\\epsilon},\\quad
              \\Phi_c = \\frac{\\tanh\\lambda_c\\tau + \\lambda_c/Bi}
              {1 + (\\lambda_c/Bi)\\tanh\\lambda_c\\tau},\\quad
              \\psi_{avg} = \\tfrac12(1-\\epsilon)^{3/2}\\Phi_c,\\quad
              \\psi_{max} = \\frac{\\epsilon\\tau + (1-\\epsilon)\\Phi_c}{\\sqrt\\pi}

    and :math:`R = \\psi / (\\sqrt\\pi\\, k a)`.
    """
    eps, tau = a / b, t / b
    lam = np.pi + 1 / (np.sqrt(np.pi) * eps)
    th = np.tanh(lam * tau)
    phi = th if h is None else (th + lam * k / (h * b)) / (1 + lam * k / (h * b) * th)
    psi_avg = 0.5 * (1 - eps) ** 1.5 * phi
    psi_max = eps * tau / np.sqrt(np.pi) + (1 - eps) * phi / np.sqrt(np.pi)
    scale = np.sqrt(np.pi) * k * a
    return float(psi_avg / scale), float(psi_max / scale)


def series_resistance(
    thickness_m: ArrayLike,
    conductivity: ArrayLike,
    area_m2: float,
    contact_K_m2_per_W: ArrayLike = 0.0,
) -> float:
    """1-D stack resistance [K/W]: sum of t_i / (k_i A) plus interface terms r_c / A."""
    t = np.asarray(thickness_m, dtype=float)
    kk = np.asarray(conductivity, dtype=float)
    rc = np.asarray(contact_K_m2_per_W, dtype=float)
    return float((t / kk).sum() / area_m2 + rc.sum() / area_m2)


def _ladder_matrices(R: ArrayLike, C: ArrayLike) -> tuple[NDArray, NDArray]:
    g = 1.0 / np.asarray(R, dtype=float)
    n = g.size
    L = np.zeros((n, n))
    for i in range(n):
        L[i, i] += g[i]
        if i + 1 < n:
            L[i + 1, i + 1] += g[i]
            L[i, i + 1] = L[i + 1, i] = -g[i]
    return L, np.diag(np.asarray(C, dtype=float))


def ladder_zth(t: ArrayLike, R: ArrayLike, C: ArrayLike) -> NDArray[np.float64]:
    """Junction step response [K/W] of a Cauer ladder (C[0] at the junction, R[-1] to
    ambient), from the generalised eigenproblem L x = lambda C x."""
    L, M = _ladder_matrices(R, C)
    lam, X = sla.eigh(L, M)  # X is M-orthonormal
    w = X[0] ** 2
    tt = np.asarray(t, dtype=float)
    return -np.expm1(-tt[..., None] * lam) @ (w / lam)


def ladder_impedance(s: ArrayLike, R: ArrayLike, C: ArrayLike) -> NDArray[np.float64]:
    """Input impedance Z(s) [K/W] of a Cauer ladder at real s > 0 [1/s], by the continued
    fraction evaluated from the ambient end (all terms positive)."""
    ss = np.asarray(s, dtype=float)
    z = np.zeros_like(ss)
    for r, c in zip(np.asarray(R, float)[::-1], np.asarray(C, float)[::-1], strict=True):
        z = 1.0 / (ss * c + 1.0 / (r + z))
    return z


def _poly_mul(p: list[Fraction], q: list[Fraction]) -> list[Fraction]:
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    return out


def _trim(p: list[Fraction]) -> list[Fraction]:
    while p and p[-1] == 0:
        p.pop()
    return p


def cauer_exact(R: ArrayLike, tau: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Cauer ladder (R [K/W], C [J/K]) of a Foster network by the textbook continued
    fraction (Euclid's algorithm on the admittance polynomials, high-frequency form) in
    exact rational arithmetic: every float input is an exact dyadic rational, so the only
    rounding is the final conversion of each element to float. Cost grows fast with the
    number of terms; meant for up to about ten."""
    r = [Fraction(float(x)) for x in np.asarray(R, dtype=float)]
    t = [Fraction(float(x)) for x in np.asarray(tau, dtype=float)]
    n = len(r)
    den = [Fraction(1)]
    for ti in t:
        den = _poly_mul(den, [Fraction(1), ti])
    num = [Fraction(0)] * n
    for i in range(n):
        p = [Fraction(1)]
        for j in range(n):
            if j != i:
                p = _poly_mul(p, [Fraction(1), t[j]])
        for m, c in enumerate(p):
            num[m] += r[i] * c
    # Y(s) = den/num (ascending powers of s): peel sC, then R, from s -> infinity.
    y_num, y_den = _trim(den), _trim(num)
    rs: list[Fraction] = []
    cs: list[Fraction] = []
    while y_den:
        c = y_num[-1] / y_den[-1]
        rem = y_num[:]
        for m, q in enumerate(y_den):
            rem[m + 1] -= c * q
        rem = _trim(rem)
        rr = y_den[-1] / rem[-1]
        nxt = y_den[:]
        for m, q in enumerate(rem):
            nxt[m] -= rr * q
        cs.append(c)
        rs.append(rr)
        y_num, y_den = rem, _trim(nxt)
    return np.array([float(x) for x in rs]), np.array([float(x) for x in cs])
