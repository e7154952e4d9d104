"""Linear thermoviscoelasticity: Prony series, time-temperature shift, recursive update.

The material is isotropic, linear and thermorheologically simple. The stress is the
hereditary integral of the instantaneous (glassy) stress over the *reduced* time

.. math:: \\xi(t) = \\int_0^t \\frac{dt'}{a_T(T(t'))}, \\qquad
          \\sigma(t) = \\int_0^t g\\big(\\xi(t) - \\xi(s)\\big)\\,
                       \\frac{d\\sigma_0(s)}{ds}\\, ds, \\qquad
          \\sigma_0 = \\mathbb{C}_0 : \\varepsilon_{mech},

with the normalised relaxation function of a :class:`Prony` series
``g(t) = g_inf + sum_i g_i exp(-t / tau_i)`` (``g(0) = 1``) and the shift factor
``a_T`` of :class:`WLF` or :class:`Arrhenius` (``a_T(T_ref) = 1``; ``a_T > 1`` below
the reference temperature, the material relaxes more slowly). With one series the whole
stress relaxes alike (Poisson's ratio constant, ANSYS ``TB,PRONY`` shear and bulk
series equal, Abaqus ``*VISCOELASTIC`` with ``g_i = k_i``); with a separate
``bulk_relaxation`` the deviatoric part relaxes with the shear series and the pressure
with the bulk series.

Integration (Taylor, Pister & Goudreau 1970; Simo & Hughes, *Computational
Inelasticity*, 1998, ch. 10): per Prony term an internal stress

.. math:: q_i^{n+1} = e^{-\\Delta\\xi/\\tau_i}\\, q_i^n
          + \\frac{1 - e^{-\\Delta\\xi/\\tau_i}}{\\Delta\\xi/\\tau_i}
            \\left(\\sigma_0^{n+1} - \\sigma_0^n\\right),
          \\qquad \\sigma^{n+1} = g_\\infty \\sigma_0^{n+1} + \\sum_i g_i\\, q_i^{n+1},

exact when the strain varies linearly in reduced time within the step (so exact for a
ramp-and-hold, and unconditionally stable). The new stress is affine in the new strain,
``sigma_new = C_eff : eps_new + sigma_hist``, with an isotropic algorithmic tangent
``C_eff`` (:meth:`Viscoelastic.lame_at`) and a history part
(:meth:`Viscoelastic.history_at`) known before the new strain is.

Voigt convention
----------------
Order (xx, yy, zz, yz, xz, xy). Strain vectors carry ENGINEERING shear strains
(``gamma_yz = 2 eps_yz``); stress vectors carry the tensor shear stresses. So the
shear rows of ``C`` are ``tau = mu * gamma`` and ``sigma . eps`` is the work density.

Finite-element use
------------------
One time step ``n -> n+1`` of length ``dt`` with temperatures ``T_old``, ``T_new`` at
the quadrature points:

1. ``dxi = law.reduced_time_increment(dt, T_old, T_new)``, then
   ``lam_eff, mu_eff = law.lame_at(dxi)`` and ``sig_h = law.history_at(state, dxi)``
   per quadrature point.
2. Assemble ``K_eff`` from ``(lam_eff, mu_eff)`` (Young's modulus
   ``mu (3 lam + 2 mu) / (lam + mu)``, Poisson ``lam / (2 (lam + mu))``) and solve
   ``K_eff u = f_ext + int B^T C_eff eps_th - int B^T sig_h``.
3. ``state = law.update_at(state, eps_mech_new, dxi)`` with
   ``eps_mech_new = B u - eps_th``; ``law.stress(state)`` is the new stress.

``C_eff`` depends only on the reduced-time increment of the step: with one series it is
``f C_0``, ``f = g_inf + sum_i g_i (1 - exp(-x_i)) / x_i``, ``x_i = dxi / tau_i``. So
``K_eff`` is unchanged (factorise once) between steps of equal ``dt`` at unchanged
temperatures; during heating or cooling ``dxi`` differs per step and per point and the
matrix must be reassembled. It tends to ``C_0`` for ``dxi << tau_min`` (a frozen,
glassy step, e.g. far below ``T_ref`` where :class:`WLF` is capped) and to
``g_inf C_0`` for ``dxi >> tau_max`` (rubbery).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from ..errors import InputError
from ..validate import check_temperature_C

__all__ = [
    "Arrhenius",
    "MOULD_COMPOUND_VISCO",
    "Prony",
    "Shift",
    "StepResult",
    "ViscoState",
    "Viscoelastic",
    "WLF",
    "representative_mould_compound",
]

_LN10 = math.log(10.0)
_KELVIN = 273.15
# Voigt identity (normal components only).
_EYE = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])


def _phi(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``(1 - exp(-x)) / x`` for ``x >= 0``, 1 at 0, without cancellation."""
    x = np.asarray(x, dtype=float)
    small = x < 1e-8
    xs = np.where(small, 1.0, x)
    return np.where(small, 1.0 - 0.5 * x, -np.expm1(-xs) / xs)


#: A step's reduced-time increment over a relaxation time, ``x = dxi / tau``, below which
#: replacing it by a nearby one counts by the absolute change (a glassy step, whose
#: relaxation is negligible however many such steps follow); above it by the relative.
_GLASSY_X = 1e-6


def _drift(xa: NDArray[np.float64], xb: NDArray[np.float64]) -> NDArray[np.float64]:
    """Relative change ``|xa - xb| / (max + _GLASSY_X)`` of a term's reduced-time increments
    over its relaxation time, times the decay ``exp(-min)`` of its internal stress over the
    step (0 where both are equal, and where both relax it fully); shapes broadcast.

    A step that takes a cached entry's increment relaxes the term by the entry's: over
    ``N`` such steps the term's reduced time is off by ``N |xa - xb|``, which the change of
    one step's decay, ``~|xa - xb|``, does not bound (a hold at T_ref of 1000 steps of
    tau / 1000 each took the glassy entry at every step and did not relax at all). The
    relative change bounds it by the same fraction of the reduced time, whatever ``N``."""
    lo, hi = np.minimum(xa, xb), np.maximum(xa, xb)
    with np.errstate(invalid="ignore", over="ignore"):
        rel = np.where(np.isinf(hi), 1.0, (hi - lo) / (hi + _GLASSY_X))
    return np.where(hi == lo, 0.0, rel * np.exp(-lo))


# -- relaxation function -------------------------------------------------------------


@dataclass(frozen=True)
class Prony:
    """Normalised relaxation function as a Prony series (generalised Maxwell model).

    .. math:: g(t) = g_\\infty + \\sum_i g_i\\, e^{-t/\\tau_i},
              \\qquad g_\\infty = 1 - \\sum_i g_i > 0

    Parameters
    ----------
    g
        Relative moduli ``g_i >= 0`` [-], shape (m,), with ``sum(g) < 1``
        (ANSYS ``TB,PRONY`` ``a_i``; Abaqus ``g_i^P`` / ``k_i^P``).
    tau_s
        Relaxation times ``tau_i > 0`` [s] at the shift's reference temperature,
        shape (m,). ``m = 0`` is an elastic material.
    """

    g: tuple[float, ...]
    tau_s: tuple[float, ...]

    def __post_init__(self) -> None:
        try:
            g = tuple(float(x) for x in np.atleast_1d(np.asarray(self.g, dtype=float)))
            tau = tuple(float(x) for x in np.atleast_1d(np.asarray(self.tau_s, dtype=float)))
        except (TypeError, ValueError):
            raise InputError("relaxation", (self.g, self.tau_s), "sequences of numbers") from None
        object.__setattr__(self, "g", g)
        object.__setattr__(self, "tau_s", tau)
        if len(g) != len(tau):
            raise InputError("relaxation", (g, tau), "g and tau_s of equal length")
        if not all(math.isfinite(x) and x >= 0.0 for x in g):
            raise InputError("relaxation.g", g, "finite relative moduli g_i >= 0")
        if not sum(g) < 1.0:
            raise InputError("relaxation.g", g, "sum(g_i) < 1 (a positive long-term modulus)")
        if not all(math.isfinite(x) and x > 0.0 for x in tau):
            raise InputError("relaxation.tau_s", tau, "finite relaxation times > 0 [s]")

    @property
    def n_terms(self) -> int:
        """Number of Prony terms ``m``."""
        return len(self.g)

    @property
    def g_inf(self) -> float:
        """Long-term (rubbery) relative modulus ``1 - sum(g_i)``."""
        return 1.0 - math.fsum(self.g)

    @property
    def weights(self) -> NDArray[np.float64]:
        """``g_i`` as an array, shape (m,)."""
        return np.asarray(self.g, dtype=float)

    @property
    def times(self) -> NDArray[np.float64]:
        """``tau_i`` [s] as an array, shape (m,)."""
        return np.asarray(self.tau_s, dtype=float)

    def relaxation(self, t: ArrayLike) -> NDArray[np.float64]:
        """``g(t)`` [-] at (reduced) times ``t >= 0`` [s], any shape."""
        t = np.asarray(t, dtype=float)
        out = np.full(t.shape, self.g_inf)
        for gi, ti in zip(self.g, self.tau_s, strict=True):
            out += gi * np.exp(-t / ti)
        return out

    def retardation(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Creep (Kelvin-chain) form of the same material.

        The normalised creep compliance ``c(t) = E_0 J(t)`` of a generalised Maxwell
        model is ``1/g_inf - sum_j c_j exp(-t / lambda_j)``: in the Laplace-Carson domain
        ``J* = 1 / E*`` and ``E*(s) / E_0 = 1 - sum_i g_i / (1 + s tau_i)``, whose roots
        ``s_j = -1/lambda_j`` lie one to the right of each pole ``-1/tau_i``
        (``lambda_j`` between ``tau_j`` and ``tau_{j+1}``); the residues give ``c_j``.

        Returns
        -------
        lambda_s, c
            Retardation times [s] and weights [-], each shape (m',), m' <= m (terms of
            equal ``tau`` merge, zero weights drop); ``sum(c) = 1/g_inf - 1``.
        """
        lam, s, dh = _carson_roots(1.0, self.weights, self.times)
        return lam, -1.0 / (s * dh)

    def creep(self, t: ArrayLike) -> NDArray[np.float64]:
        """Normalised creep compliance ``E_0 J(t)`` [-] at (reduced) times ``t`` [s].

        Exact (closed form through :meth:`retardation`); 1 at ``t = 0``, ``1/g_inf``
        as ``t -> inf``.
        """
        t = np.asarray(t, dtype=float)
        lam, c = self.retardation()
        out = np.full(t.shape, 1.0 / self.g_inf)
        for lj, cj in zip(lam, c, strict=True):
            out -= cj * np.exp(-t / lj)
        return out


def _carson_roots(
    c0: float, w: NDArray[np.float64], tau: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Roots of ``h(s) = c0 - sum_i w_i / (1 + s tau_i)``, all ``w_i > 0``, ``h(0) > 0``.

    Returns the retardation times ``lambda = -1/s`` [s], the roots ``s`` [1/s] and
    ``h'(s)``, each shape (m',). ``h`` increases between its poles ``-1/tau_i``, so there
    is exactly one root to the right of each distinct pole; each is bracketed and found
    by Brent's method in ``log lambda``.
    """
    keep = w > 0.0
    w, tau = w[keep], tau[keep]
    if w.size == 0:
        e = np.empty(0)
        return e, e, e
    order = np.argsort(tau)
    w, tau = w[order], tau[order]
    # merge (nearly) equal relaxation times: their poles coincide
    groups = np.concatenate([[0], np.cumsum(np.diff(tau) > 1e-9 * tau[1:])])
    tau_u = np.array([tau[groups == k][0] for k in range(groups[-1] + 1)])
    w_u = np.bincount(groups, weights=w)

    def h(lam: float) -> float:
        # s = -1/lam: w / (1 + s tau) = w lam / (lam - tau)
        return c0 - float(np.sum(w_u * lam / (lam - tau_u)))

    lams = []
    delta = 1e-10
    for k, tk in enumerate(tau_u):
        lo = tk * (1.0 + delta)
        if k + 1 < tau_u.size:
            hi = tau_u[k + 1] * (1.0 - delta)
        else:
            hi = 2.0 * tk
            while h(hi) <= 0.0:
                hi *= 2.0
        u = brentq(lambda v: h(math.exp(v)), math.log(lo), math.log(hi), xtol=1e-14)
        lams.append(math.exp(u))
    lam = np.asarray(lams)
    s = -1.0 / lam
    dh = np.sum(w_u * tau_u / (1.0 + s[:, None] * tau_u) ** 2, axis=1)
    return lam, s, dh


# -- time-temperature shift ----------------------------------------------------------


@runtime_checkable
class Shift(Protocol):
    """A time-temperature shift: ``a_T(T)``, 1 at the reference temperature."""

    def log10_shift(self, T_C: ArrayLike) -> NDArray[np.float64]:
        """``log10 a_T`` at temperatures ``T_C`` [degC]."""
        ...

    def shift(self, T_C: ArrayLike) -> NDArray[np.float64]:
        """``a_T`` at temperatures ``T_C`` [degC]."""
        ...


def _finite(key: str, v: float, positive: bool = False) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InputError(key, v, "a finite number") from None
    if not math.isfinite(x) or (positive and x <= 0.0):
        raise InputError(key, v, "a finite number > 0" if positive else "a finite number")
    return x


@dataclass(frozen=True)
class WLF:
    """Williams-Landel-Ferry shift (ANSYS ``TB,SHIFT`` WLF; Abaqus ``*TRS, DEFINITION=WLF``).

    .. math:: \\log_{10} a_T = -\\frac{C_1 (T - T_{ref})}{C_2 + T - T_{ref}}

    The formula diverges at ``T = T_ref - C2`` and changes sign below it. Physically the
    material is glassy there, so ``log10 a_T`` is capped at ``log10_cap`` (default 30):
    the shift rises monotonically as the temperature falls, reaches the cap at
    ``T_ref - C2 C_cap / (C1 + C_cap)`` and stays there. With the default, relaxation
    times are multiplied by ``1e30``: no relaxation on any process time scale, and no
    NaN or overflow. It is also capped at ``-log10_cap`` above (never reached for
    ``C1 < cap``: the formula tends to ``-C1`` at high temperature).

    Parameters
    ----------
    C1
        Dimensionless constant, > 0.
    C2
        Constant [K], > 0.
    T_ref_C
        Reference temperature [degC] of the Prony relaxation times, above absolute
        zero (and at most 2000 degC, :func:`fea.validate.check_temperature_C`).
    log10_cap
        Largest ``|log10 a_T|``, > 0.
    """

    C1: float
    C2: float
    T_ref_C: float
    log10_cap: float = 30.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "C1", _finite("shift.C1", self.C1, positive=True))
        object.__setattr__(self, "C2", _finite("shift.C2", self.C2, positive=True))
        object.__setattr__(self, "T_ref_C", check_temperature_C("shift.T_ref_C", self.T_ref_C))
        object.__setattr__(self, "log10_cap", _finite("shift.log10_cap", self.log10_cap, True))

    def log10_shift(self, T_C: ArrayLike) -> NDArray[np.float64]:
        """``log10 a_T`` [-] at ``T_C`` [degC], any shape (capped, see the class)."""
        d = np.asarray(T_C, dtype=float) - self.T_ref_C
        den = self.C2 + d
        ok = den > 0.0
        val = -self.C1 * d / np.where(ok, den, 1.0)
        return np.clip(np.where(ok, val, self.log10_cap), -self.log10_cap, self.log10_cap)

    def shift(self, T_C: ArrayLike) -> NDArray[np.float64]:
        """``a_T`` [-] at ``T_C`` [degC], any shape."""
        return 10.0 ** self.log10_shift(T_C)


@dataclass(frozen=True)
class Arrhenius:
    """Arrhenius shift (the form of ANSYS ``TB,SHIFT`` Tool-Narayanaswamy without fictive
    temperature; Abaqus ``*TRS``).

    .. math:: \\ln a_T = \\frac{E_a}{R}\\left(\\frac{1}{T} - \\frac{1}{T_{ref}}\\right),
              \\qquad T \\text{ in kelvin}

    Parameters
    ----------
    activation_K
        ``E_a / R`` [K], >= 0 (e.g. 261 kJ/mol / 8.314 J/(mol K) = 31 400 K).
    T_ref_C
        Reference temperature [degC].
    log10_cap
        Largest ``|log10 a_T|``, as for :class:`WLF`.
    """

    activation_K: float
    T_ref_C: float
    log10_cap: float = 30.0

    def __post_init__(self) -> None:
        a = _finite("shift.activation_K", self.activation_K)
        if a < 0.0:
            raise InputError("shift.activation_K", self.activation_K, "E_a / R >= 0 [K]")
        object.__setattr__(self, "activation_K", a)
        T = _finite("shift.T_ref_C", self.T_ref_C)
        if T <= -_KELVIN:
            raise InputError("shift.T_ref_C", self.T_ref_C, "a temperature above -273.15 C")
        object.__setattr__(self, "T_ref_C", T)
        object.__setattr__(self, "log10_cap", _finite("shift.log10_cap", self.log10_cap, True))

    def log10_shift(self, T_C: ArrayLike) -> NDArray[np.float64]:
        """``log10 a_T`` [-] at ``T_C`` [degC] (> -273.15), any shape."""
        TK = np.asarray(T_C, dtype=float) + _KELVIN
        if np.any(TK <= 0.0):
            raise InputError("T_C", T_C, "temperatures above -273.15 C")
        val = self.activation_K * (1.0 / TK - 1.0 / (self.T_ref_C + _KELVIN)) / _LN10
        return np.clip(val, -self.log10_cap, self.log10_cap)

    def shift(self, T_C: ArrayLike) -> NDArray[np.float64]:
        """``a_T`` [-] at ``T_C`` [degC], any shape."""
        return 10.0 ** self.log10_shift(T_C)


# -- state and constitutive law ------------------------------------------------------


@dataclass(frozen=True)
class ViscoState:
    """History at ``n`` material (quadrature) points; never modified in place.

    Attributes
    ----------
    hist
        Internal stresses ``q_i`` [Pa] of the relaxation (shear) series, shape
        (n, m, 6), Voigt stress. With a separate bulk series they are deviatoric.
    hist_bulk
        Internal pressures of the bulk series [Pa], shape (n, m_bulk); (n, 0) without one.
    sigma0
        Instantaneous stress ``C_0 : eps_mech`` of the last step [Pa], shape (n, 6).
    """

    hist: NDArray[np.float64]
    hist_bulk: NDArray[np.float64]
    sigma0: NDArray[np.float64]

    @property
    def n_points(self) -> int:
        """Number of material points ``n``."""
        return self.sigma0.shape[0]


class StepResult(NamedTuple):
    """One recursive step: new stress and state, and the step's algorithmic Lamé pair."""

    stress: NDArray[np.float64]
    """New stress [Pa], Voigt, shape (n, 6)."""
    state: ViscoState
    """History after the step."""
    lam_eff: NDArray[np.float64]
    """Algorithmic first Lamé parameter of the step [Pa], shape (n,)."""
    mu_eff: NDArray[np.float64]
    """Algorithmic shear modulus of the step [Pa], shape (n,)."""


class _Factors(NamedTuple):
    decay: NDArray[np.float64]  # (n, m)   exp(-dxi / tau_i)
    beta: NDArray[np.float64]  # (n, m)    (1 - exp(-x)) / x
    decay_k: NDArray[np.float64]  # (n, mk)
    beta_k: NDArray[np.float64]  # (n, mk)


@dataclass(frozen=True)
class Viscoelastic:
    """Isotropic, thermorheologically simple linear viscoelastic law (see the module).

    Parameters
    ----------
    E0
        Instantaneous (glassy) Young's modulus [Pa], > 0.
    nu
        Instantaneous Poisson's ratio [-], in (-1, 0.5).
    relaxation
        Normalised relaxation function; of the whole stress when ``bulk_relaxation`` is
        None (Poisson's ratio constant), else of the shear modulus.
    shift
        Time-temperature shift (:class:`WLF`, :class:`Arrhenius` or any :class:`Shift`);
        None: no temperature dependence (``a_T = 1``).
    bulk_relaxation
        Normalised relaxation of the bulk modulus, or None.

    Notes
    -----
    Reduced-time increment of a step (:meth:`reduced_time_increment`): ``T`` is linear
    in time within the step and ``1/a_T`` is interpolated geometrically between its
    end values, which integrates to their logarithmic mean,

    .. math:: \\Delta\\xi = \\Delta t\\, \\frac{r_1 - r_0}{\\ln(r_1/r_0)},
              \\qquad r = 1/a_T(T),

    exact when ``log a_T`` varies linearly over the step (Arrhenius over a small
    ``Delta T``, WLF locally). Near the glass transition ``a_T`` changes by decades within
    one practical step. Then the trapezoid ``dt (r_0 + r_1)/2`` is dominated by the hot
    end and the mid-point ``dt r(T_mid)`` by the cold one. For a 10^4 change across the
    step they are 4.6 times too large and 11 times too small respectively (exact 0.109
    ``dt r_1``). The logarithmic mean has neither bias and equals ``dt / a_T`` at
    constant temperature.
    """

    E0: float
    nu: float
    relaxation: Prony
    shift: Shift | None = None
    bulk_relaxation: Prony | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "E0", _finite("viscoelastic.E0", self.E0, positive=True))
        nu = _finite("viscoelastic.nu", self.nu)
        if not -1.0 < nu < 0.5:
            raise InputError("viscoelastic.nu", self.nu, "Poisson's ratio in (-1, 0.5)")
        object.__setattr__(self, "nu", nu)
        if not isinstance(self.relaxation, Prony):
            raise InputError("viscoelastic.relaxation", self.relaxation, "a Prony series")
        if self.bulk_relaxation is not None and not isinstance(self.bulk_relaxation, Prony):
            raise InputError(
                "viscoelastic.bulk_relaxation", self.bulk_relaxation, "a Prony series or None"
            )
        if self.shift is not None and not isinstance(self.shift, Shift):
            raise InputError(
                "viscoelastic.shift", self.shift, "WLF, Arrhenius (log10_shift, shift) or None"
            )

    # -- moduli --------------------------------------------------------------------
    @property
    def lam0(self) -> float:
        """Instantaneous first Lamé parameter [Pa]."""
        return self.E0 * self.nu / ((1.0 + self.nu) * (1.0 - 2.0 * self.nu))

    @property
    def G0(self) -> float:
        """Instantaneous shear modulus ``mu_0`` [Pa]."""
        return self.E0 / (2.0 * (1.0 + self.nu))

    @property
    def K0(self) -> float:
        """Instantaneous bulk modulus [Pa]."""
        return self.E0 / (3.0 * (1.0 - 2.0 * self.nu))

    @property
    def split(self) -> bool:
        """True when shear and bulk relax by separate series."""
        return self.bulk_relaxation is not None

    @property
    def E_glassy(self) -> float:
        """Instantaneous Young's modulus ``E0`` [Pa]."""
        return self.E0

    @property
    def E_rubbery(self) -> float:
        """Long-term (equilibrium) Young's modulus [Pa]: ``E0 g_inf`` with one series,
        ``9 K_inf G_inf / (3 K_inf + G_inf)`` with two."""
        if self.bulk_relaxation is None:
            return self.E0 * self.relaxation.g_inf
        G = self.G0 * self.relaxation.g_inf
        K = self.K0 * self.bulk_relaxation.g_inf
        return 9.0 * K * G / (3.0 * K + G)

    def _reduced(self, t_s: ArrayLike, T_C: ArrayLike | None) -> NDArray[np.float64]:
        t = np.asarray(t_s, dtype=float)
        if self.shift is None or T_C is None:
            return t
        return t * 10.0 ** (-self.shift.log10_shift(T_C))

    def shear_modulus(self, t_s: ArrayLike, T_C: ArrayLike | None = None) -> NDArray[np.float64]:
        """Shear relaxation modulus ``G(t)`` [Pa] after ``t_s`` [s] at constant ``T_C``
        [degC] (broadcast; None: the shift's reference temperature)."""
        return self.G0 * self.relaxation.relaxation(self._reduced(t_s, T_C))

    def bulk_modulus(self, t_s: ArrayLike, T_C: ArrayLike | None = None) -> NDArray[np.float64]:
        """Bulk relaxation modulus ``K(t)`` [Pa] after ``t_s`` [s] at constant ``T_C``."""
        series = self.bulk_relaxation or self.relaxation
        return self.K0 * series.relaxation(self._reduced(t_s, T_C))

    def relaxation_modulus(
        self, t_s: ArrayLike, T_C: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """Uniaxial-stress relaxation modulus ``E(t)`` [Pa] at constant temperature.

        ``E0 g(t / a_T(T))`` with one series. With separate shear and bulk series
        ``E*(s) = 9 K* G* / (3 K* + G*)`` in the Laplace-Carson domain, inverted exactly
        through the roots of ``3 K* + G*`` (a Prony series again).

        Parameters
        ----------
        t_s
            Times since a step strain [s].
        T_C
            Constant temperature [degC], broadcast with ``t_s``; None: the shift's
            reference temperature (``a_T = 1``).
        """
        xi = self._reduced(t_s, T_C)
        if self.bulk_relaxation is None:
            return self.E0 * self.relaxation.relaxation(xi)
        Ei, lam = self._split_uniaxial()
        out = np.full(np.shape(xi), self.E_rubbery)
        for e, lj in zip(Ei, lam, strict=True):
            out += e * np.exp(-xi / lj)
        return out

    def _split_uniaxial(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        sh, bk = self.relaxation, self.bulk_relaxation
        assert bk is not None
        G0, K0 = self.G0, self.K0
        w = np.concatenate([G0 * sh.weights, 3.0 * K0 * bk.weights])
        tau = np.concatenate([sh.times, bk.times])
        lam, s, dh = _carson_roots(3.0 * K0 + G0, w, tau)
        Gs = G0 * (1.0 - np.sum(sh.weights / (1.0 + s[:, None] * sh.times), axis=1))
        Ks = K0 * (1.0 - np.sum(bk.weights / (1.0 + s[:, None] * bk.times), axis=1))
        return 9.0 * Gs * Ks / (s * dh), lam

    # -- recursive integration -----------------------------------------------------
    def init_state(self, n_points: int) -> ViscoState:
        """Unstrained, stress-free history at ``n_points`` material points."""
        if isinstance(n_points, bool) or not isinstance(n_points, int | np.integer):
            raise InputError("n_points", n_points, "a non-negative integer")
        if n_points < 0:
            raise InputError("n_points", n_points, "a non-negative integer")
        mk = 0 if self.bulk_relaxation is None else self.bulk_relaxation.n_terms
        return ViscoState(
            hist=np.zeros((n_points, self.relaxation.n_terms, 6)),
            hist_bulk=np.zeros((n_points, mk)),
            sigma0=np.zeros((n_points, 6)),
        )

    def reduced_time_increment(
        self, dt: float, T_old: ArrayLike, T_new: ArrayLike
    ) -> NDArray[np.float64]:
        """Reduced-time increment ``dxi`` [s] of a step, shape of the broadcast temperatures.

        Logarithmic mean of ``1/a_T`` at the step's end temperatures times ``dt``; see
        the class notes for why neither the trapezoid nor the mid-point rule.

        Parameters
        ----------
        dt
            Step length [s], >= 0.
        T_old, T_new
            Temperatures [degC] at the start and end of the step.
        """
        dt = _finite("dt", dt)
        if dt < 0.0:
            raise InputError("dt", dt, "a time step >= 0 [s]")
        T0, T1 = np.broadcast_arrays(np.asarray(T_old, float), np.asarray(T_new, float))
        if self.shift is None:
            return np.full(T0.shape, dt)
        L0, L1 = self.shift.log10_shift(T0), self.shift.log10_shift(T1)
        # r_max * (1 - r_min / r_max) / ln(r_max / r_min), r = 10**-L
        return dt * 10.0 ** (-np.minimum(L0, L1)) * _phi(_LN10 * np.abs(L1 - L0))

    def _factors_dxi(self, dxi: NDArray[np.float64]) -> _Factors:
        if dxi.size > 1 and dxi.min() == dxi.max():
            # one increment for every point (a uniform temperature): compute it once
            one = self._factors_dxi(dxi[:1])
            n = dxi.shape[0]
            return _Factors(*(np.broadcast_to(a, (n, a.shape[1])) for a in one))
        d = dxi[:, None]
        x = d / self.relaxation.times
        if self.bulk_relaxation is None:
            xk = np.zeros((d.shape[0], 0))
        else:
            xk = d / self.bulk_relaxation.times
        return _Factors(np.exp(-x), _phi(x), np.exp(-xk), _phi(xk))

    @staticmethod
    def _dxi(dxi: ArrayLike, n: int | None = None) -> NDArray[np.float64]:
        d = np.atleast_1d(np.asarray(dxi, dtype=float))
        if n is not None and d.shape == (1,):
            d = np.full(n, d[0])
        if d.ndim != 1 or (n is not None and d.shape != (n,)) or np.any(np.isnan(d)):
            want = f"({n},)" if n is not None else "(n,)"
            raise InputError("dxi", d.shape, f"reduced time increments [s] of shape {want}")
        if np.any(d < 0.0):
            raise InputError("dxi", float(d.min()), "reduced time increments >= 0 [s]")
        return d

    # -- a step given its reduced-time increment -------------------------------------
    # The caller computes ``dxi`` once per step (:meth:`reduced_time_increment`) and may
    # replace it by a nearby value whose stiffness it has already factorised
    # (fea.physics.history). ``dxi = 0`` is the instantaneous (glassy) step, ``dxi =
    # inf`` the fully relaxed one.

    def lame_at(self, dxi: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Algorithmic Lamé parameters [Pa], each (n,), of steps with reduced-time
        increments ``dxi`` [s] (shape (n,), 0 to inf).

        ``sigma_new = lam_eff tr(eps_new) I + 2 mu_eff eps_new + history`` (engineering
        shear: ``tau = mu_eff gamma``); they lie between the rubbery and the glassy
        values and are the consistent tangent of the step."""
        return self._lame(self._factors_dxi(self._dxi(dxi)))

    def history_at(self, state: ViscoState, dxi: ArrayLike) -> NDArray[np.float64]:
        """The history part of the new stress [Pa], (n, 6) (the stress the step gives
        for zero new strain), of a step with reduced-time increments ``dxi`` [s] (a
        scalar or (n,))."""
        n = self._check_state(state)
        return self._history(state, self._factors_dxi(self._dxi(dxi, n)))

    def update_at(self, state: ViscoState, eps_mech_new: ArrayLike, dxi: ArrayLike) -> ViscoState:
        """The state after a step with reduced-time increments ``dxi`` [s] (a scalar or
        (n,)) to the mechanical strain ``eps_mech_new``, Voigt with engineering shear,
        (n, 6); ``state`` is not modified."""
        n = self._check_state(state)
        return self._advance(
            state, self._eps(eps_mech_new, n), self._factors_dxi(self._dxi(dxi, n))
        )

    def step_distance(self, dxi: ArrayLike, dxi_ref: ArrayLike) -> NDArray[np.float64]:
        """How far a step with increments ``dxi`` is from one with ``dxi_ref`` [s] (both
        (n,) or scalars, 0 to inf): per point, the largest change of a term's decay
        ``exp(-x_i)`` or linear-interpolation weight ``(1 - exp(-x_i)) / x_i``, weighted
        by the term's ``g_i`` and relative to the step's tangent factor
        ``g_inf + sum_i g_i phi_i`` (the algorithmic modulus over the glassy one), or the
        relative change of ``x_i`` (times the step's decay ``exp(-x_i)``; absolute below
        ``x_i ~ 1e-6``), which bounds what many steps that take one entry's increment
        add up to (the change of one step's decay does not: 1000 steps of ``x = 1e-3``
        each took the glassy entry and did not relax).

        Replacing ``dxi`` by ``dxi_ref`` changes the step's new stress by at most about
        this fraction of the arms' stresses and of the strain increment's glassy stress.
        Far below the shift's reference temperature (both increments ~0) or far above
        it (every term relaxed within the step) it is ~0 although ``dxi`` differs by
        decades.
        """
        a = self._dxi(dxi)
        b = self._dxi(dxi_ref)
        a, b = np.broadcast_arrays(a, b)
        fa, fb = self._factors_dxi(a), self._factors_dxi(b)
        out = np.zeros(a.shape)
        for dec_a, dec_b, ph_a, ph_b, pr in (
            (fa.decay, fb.decay, fa.beta, fb.beta, self.relaxation),
            (fa.decay_k, fb.decay_k, fa.beta_k, fb.beta_k, self.bulk_relaxation),
        ):
            if pr is None or pr.n_terms == 0:
                continue
            g = pr.weights
            tang = pr.g_inf + np.minimum(ph_a, ph_b) @ g
            d = np.maximum(np.abs(dec_a - dec_b), np.abs(ph_a - ph_b))
            d = np.maximum(d, _drift(a[:, None] / pr.times, b[:, None] / pr.times)) * g
            out = np.maximum(out, d.max(axis=1) / tang)
        return out

    def _lame(self, f: _Factors) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        fs = self.relaxation.g_inf + f.beta @ self.relaxation.weights
        if self.bulk_relaxation is None:
            return fs * self.lam0, fs * self.G0
        fk = self.bulk_relaxation.g_inf + f.beta_k @ self.bulk_relaxation.weights
        mu = fs * self.G0
        return fk * self.K0 - 2.0 / 3.0 * mu, mu

    def _check_state(self, state: ViscoState) -> int:
        if not isinstance(state, ViscoState):
            raise InputError("state", type(state).__name__, "a ViscoState from init_state")
        n = state.n_points
        mk = 0 if self.bulk_relaxation is None else self.bulk_relaxation.n_terms
        if state.hist.shape != (n, self.relaxation.n_terms, 6) or state.hist_bulk.shape != (n, mk):
            raise InputError(
                "state", (state.hist.shape, state.hist_bulk.shape), "a state of this material"
            )
        return n

    def _history(self, state: ViscoState, f: _Factors) -> NDArray[np.float64]:
        g = self.relaxation.weights
        s0 = state.sigma0
        if self.bulk_relaxation is None:
            return np.einsum("nm,nmk->nk", f.decay * g, state.hist) - (f.beta @ g)[:, None] * s0
        p0 = s0[:, :3].mean(axis=1)
        dev0 = s0 - p0[:, None] * _EYE
        k = self.bulk_relaxation.weights
        dev = np.einsum("nm,nmk->nk", f.decay * g, state.hist) - (f.beta @ g)[:, None] * dev0
        p = (f.decay_k * state.hist_bulk) @ k - (f.beta_k @ k) * p0
        return dev + p[:, None] * _EYE

    def instantaneous_stress(self, eps_mech: ArrayLike) -> NDArray[np.float64]:
        """Glassy stress ``C_0 : eps`` [Pa], shape (n, 6), of Voigt strains (n, 6)."""
        e = np.asarray(eps_mech, dtype=float)
        tr = e[:, :3].sum(axis=1)
        s = np.empty_like(e)
        s[:, :3] = self.lam0 * tr[:, None] + 2.0 * self.G0 * e[:, :3]
        s[:, 3:] = self.G0 * e[:, 3:]
        return s

    def _advance(self, state: ViscoState, eps: NDArray[np.float64], f: _Factors) -> ViscoState:
        s1 = self.instantaneous_stress(eps)
        d = s1 - state.sigma0
        if self.bulk_relaxation is None:
            hist = f.decay[:, :, None] * state.hist + f.beta[:, :, None] * d[:, None, :]
            return ViscoState(hist, state.hist_bulk.copy(), s1)
        dp = d[:, :3].mean(axis=1)
        ddev = d - dp[:, None] * _EYE
        hist = f.decay[:, :, None] * state.hist + f.beta[:, :, None] * ddev[:, None, :]
        hist_bulk = f.decay_k * state.hist_bulk + f.beta_k * dp[:, None]
        return ViscoState(hist, hist_bulk, s1)

    def _eps(self, eps_mech_new: ArrayLike, n: int) -> NDArray[np.float64]:
        e = np.asarray(eps_mech_new, dtype=float)
        if e.shape != (n, 6) or not np.all(np.isfinite(e)):
            raise InputError("eps_mech_new", e.shape, f"finite Voigt strains of shape ({n}, 6)")
        return e

    def stress(self, state: ViscoState) -> NDArray[np.float64]:
        """Stress [Pa] of a state (after :meth:`update_at`), shape (n, 6).

        ``g_inf sigma_0 + sum_i g_i q_i`` (per part with two series).
        """
        self._check_state(state)
        sh = self.relaxation
        q = np.einsum("m,nmk->nk", sh.weights, state.hist)
        if self.bulk_relaxation is None:
            return sh.g_inf * state.sigma0 + q
        p0 = state.sigma0[:, :3].mean(axis=1)
        dev0 = state.sigma0 - p0[:, None] * _EYE
        bk = self.bulk_relaxation
        p = bk.g_inf * p0 + state.hist_bulk @ bk.weights
        return sh.g_inf * dev0 + q + p[:, None] * _EYE

    def step_at(self, state: ViscoState, eps_mech_new: ArrayLike, dxi: ArrayLike) -> StepResult:
        """One recursive step: :meth:`update_at`, :meth:`stress` and :meth:`lame_at`.

        Parameters
        ----------
        state
            History before the step (not modified).
        eps_mech_new
            Mechanical strain at the end of the step, Voigt (engineering shear), (n, 6).
        dxi
            Reduced-time increments [s] of the step, a scalar or (n,) (0: the glassy,
            instantaneous response); from :meth:`reduced_time_increment` given the step
            length and the temperatures at its ends.
        """
        n = self._check_state(state)
        f = self._factors_dxi(self._dxi(dxi, n))
        new = self._advance(state, self._eps(eps_mech_new, n), f)
        lam, mu = self._lame(f)
        return StepResult(self.stress(new), new, lam, mu)


# -- a mould compound ----------------------------------------------------------------

_MC_G = (0.05, 0.08, 0.12, 0.17, 0.19, 0.15, 0.11, 0.062)
_MC_TAU = (1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3, 1e4)

MOULD_COMPOUND_VISCO: dict = {
    "E0": 22.0e9,
    "nu": 0.30,
    "relaxation": Prony(_MC_G, _MC_TAU),
    "shift": WLF(C1=17.44, C2=51.6, T_ref_C=130.0),
    "verified": False,
    "source": (
        "REPRESENTATIVE values, not a published fit. The glassy and rubbery moduli "
        "(22 GPa, 1.5 GPa: g_inf = 0.068), Poisson's ratio and Tg = 130 C match the "
        "library's elastic 'mold_compound' (fea.materials). The eight-term spectrum "
        "(tau 1e-3 to 1e4 s at Tg, one per decade) is a smooth illustrative "
        "distribution. The shift is WLF with the 'universal' constants C1 = 17.44, "
        "C2 = 51.6 K of Williams, Landel & Ferry, J. Am. Chem. Soc. 77 (1955) 3701, "
        "referred to Tg; they are quoted from the standard textbook value and were "
        "not re-read in a source during this work. Published EMC characterisations "
        "(e.g. Sadeghinia, Jansen, Ernst, 'Characterization and modeling the "
        "thermo-mechanical cure-dependent properties of epoxy molding compound', "
        "Int. J. Adhesion & Adhesives 32 (2012), doi:10.1016/j.ijadhadh.2011.10.007; "
        "Chae, Zhao, Edwards, Ho, 'Characterization of the viscoelasticity of "
        "molding compounds in the time domain', J. Electronic Materials 39 (2010) "
        "419-425, doi:10.1007/s11664-010-1078-7) give measured Prony tables, but their "
        "tables could not be read here (a second search of public web pages and "
        "documentation found only their abstracts); replace these values with such a "
        "table for quantitative work."
    ),
}
"""A representative (NOT published, see ``"source"``) viscoelastic mould compound:
``E0`` [Pa], ``nu``, ``relaxation`` (:class:`Prony`), ``shift`` (:class:`WLF`),
``verified`` (False: the numbers are not from a table read in a cited source)."""


def representative_mould_compound() -> Viscoelastic:
    """:class:`Viscoelastic` law of :data:`MOULD_COMPOUND_VISCO` (representative values)."""
    m = MOULD_COMPOUND_VISCO
    return Viscoelastic(m["E0"], m["nu"], m["relaxation"], m["shift"])
