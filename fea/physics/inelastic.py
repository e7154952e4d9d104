"""Inelastic material laws with state at quadrature points: J2 plasticity, Anand, Garofalo.

Every law is an object with its parameters (SI, with a source where built in) and a state
at ``n`` material (quadrature) points; one step is

.. code-block:: python

    stress, tangent, state = law.update(strain_increment, temperature, dt, state)

with the mechanical strain increment of the step (total minus thermal and other
eigenstrains), the temperature at the END of the step [degC], the step length ``dt`` [s]
and the state before the step (never modified). The laws are isotropic and small-strain,
split additively ``eps = eps_e + eps_in`` with an isotropic linear-elastic part
``sigma = C(T) : eps_e`` (``C`` from ``E(T)``, ``nu``) and an incompressible inelastic part
flowing along the deviatoric (relative) stress.

Voigt convention
----------------
As the viscoelastic law (:mod:`fea.physics.viscoelastic`): order (xx, yy, zz, yz, xz, xy);
STRAIN vectors carry ENGINEERING shear strains (``gamma_yz = 2 eps_yz``), stress vectors the
tensor shear stresses, so ``sigma . d_eps`` is the work density and the tangent is the usual
symmetric 6 x 6 ``d sigma / d eps`` (shear rows ``tau = mu gamma`` in the elastic range).
The finite-element strains of :mod:`fea.physics.constitutive` carry TENSOR shears: double
columns 3: before calling (``fea.physics.history`` does this for the viscoelastic law).

Integration: one radial return for all three laws
-------------------------------------------------
Backward Euler at the end-of-step temperature. With the trial relative deviatoric stress
``xi = 2 mu dev(eps_e_n + d_eps) - beta_n`` (``beta`` the back stress, zero for the creep
laws), its equivalent ``q = sqrt(3/2) |xi|`` and direction ``N = xi / |xi|``, the implicit
step keeps ``N`` and reduces to one scalar equation for the equivalent inelastic strain
increment ``x = d_eps_in_eq`` (Simo & Hughes, *Computational Inelasticity*, 1998, box 3.2
for plasticity; the same return for any isotropic J2 flow rule):

.. math:: g(x) = q - (3\\mu + H_k)\\, x - \\sigma_{flow}(x) = 0,

- :class:`Plastic`: ``sigma_flow = sigma_y(T) + h(eps_p_n + x)`` (closed form for linear
  hardening, a safeguarded Newton for a table), ``H_k`` the Prager kinematic modulus;
- :class:`Anand`: ``sigma_flow = (s/xi) asinh((x / (dt A exp(-Q/RT)))^m)`` with the
  deformation resistance ``s(x)`` from its own backward-Euler equation (a nested scalar
  Newton); ``H_k = 0``;
- :class:`Garofalo`: ``sigma_flow = (1/alpha) asinh((x / (dt A exp(-Q/RT)))^(1/n))``.

The creep equations are solved in ``log x`` by Newton safeguarded with bisection inside the
bracket ``(0, q/(3 mu)]`` (``g`` changes sign there), so they cannot diverge; the rate
scale ``dt A exp(-Q/RT)`` enters as its logarithm (it underflows to 0 below about 10 K
for the solder sets, which made the tangent NaN there); a point whose
iteration does not converge in the allowed iterations is re-integrated in 2, 4, ... substeps
(:attr:`Anand.max_substeps`), each substep at the temperature interpolated linearly from
the step's start (``update``'s ``temperature_start``) to the substep's end. The new stress is
``sigma = K tr(eps_e_tr) 1 + (xi_tr - sqrt(6) mu x N) + beta_new`` and the consistent
(algorithmic) tangent is, with ``theta = 1 - 3 mu x / q`` and ``x' = dx/dq = -1/g'(x)``,

.. math:: \\mathbb{C} = K\\, 1 \\otimes 1 + 2\\mu\\theta\\, \\mathbb{I}_{dev}
          - 2\\mu\\bar\\theta\\, N \\otimes N,
          \\qquad \\bar\\theta = 3\\mu x' - (1 - \\theta),

which is box 3.2's ``theta_bar = 1/(1 + (K' + H')/(3 mu)) - (1 - theta)`` for plasticity
(``x' = 1/(3 mu + H' + K')``). For a substepped point the substeps' tangents are
chained through the elastic strain each leaves (``C = C_2 (1 + C_e^-1 C_1) / 2`` for two
halves, recursively, symmetrised); the sensitivity through the other state (``s``, ``eps_p``,
``beta``) is left out, so it is not exactly consistent (the global iteration still
converges, more slowly).

The inelastic work density (dissipated energy) of a step is the return map's own,
``W += sigma_n+1 . d_eps_in`` (= ``x q_n+1 >= 0`` for the creep laws, whose flow over the
step the end-of-step stress sets), for :class:`Anand` and :class:`Garofalo`; for
:class:`Plastic` the trapezoid ``W += (sigma_n + sigma_n+1)/2 . d_eps_in``, exact on a
linear-hardening branch, so over a closed strain cycle at a constant temperature it equals
the area of the stress-strain loop (the elastic work telescopes). The creep laws took the
trapezoid until a step across a load reversal was seen to DECREASE their dissipated
energy: after a 0.5 % shear, a -2 % shear step of 100 s at 25 degC (the stress from
+22 MPa to -20 MPa) added -1.6e4 J/m^3 to the SAC305 Anand set's energy where the step
dissipates +3.5e5 (``sigma_n`` of the other sign weighted half). Measured on energies per
cycle (the second cycle of a uniaxial sine, Anand SAC305 at 25 degC, 2 % over 1000 s,
against the solve_ivp loop of ``tests/physics/test_inelastic_edges.py``): -1.02 % at 10
steps a quarter with the trapezoid, -0.42 % with the end point (-0.25 % / -0.17 % at 25);
one material point sheared by ``gamma = 3e-4 (T - 217 degC)`` along a JESD22-A104 G cycle
(-40/125 degC, 10 K/min, 15-min dwells in 6 pieces), the third cycle's ``Delta W`` against
200-fold finer steps: -1.36 % / -0.07 % at 10 K steps, -0.64 % / -0.15 % at 5 K. For
linear kinematic plasticity the end point would over-count (+1.0 % at 10 K, +0.5 % at 5 K,
the trapezoid -0.25 % / -0.04 %), so :class:`Plastic` keeps the trapezoid.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError, SolverError
from ..validate import MAX_TEMPERATURE_C, check_count, check_range

__all__ = [
    "ANAND_SETS",
    "Anand",
    "GAROFALO_SETS",
    "GAS_CONSTANT",
    "Garofalo",
    "InelasticState",
    "LawUpdate",
    "Plastic",
    "SOLIDUS_TOLERANCE_K",
    "anand_set",
    "garofalo_set",
]

#: How far above a law's solidus [K] a temperature may lie and still be taken as at it:
#: the rounding of a temperature of exactly the solidus interpolated to the quadrature
#: points or between a step's ends (1e-13 K there), far below any physical difference.
SOLIDUS_TOLERANCE_K = 1e-6

#: Molar gas constant [J/(mol K)] (CODATA 2018, exact).
GAS_CONSTANT = 8.314462618
_KELVIN = 273.15
_SQ6 = math.sqrt(6.0)
_SQ23 = math.sqrt(2.0 / 3.0)
_SQ32 = math.sqrt(1.5)
_ONE = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
# Deviatoric projector as the 6 x 6 map of engineering-shear strains to tensor stresses.
_IDEV = np.diag([1.0, 1.0, 1.0, 0.5, 0.5, 0.5]) - np.outer(_ONE, _ONE) / 3.0
_ENG = np.array([1.0, 1.0, 1.0, 2.0, 2.0, 2.0])  # tensor -> engineering shear


# -- state ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InelasticState:
    """State of an inelastic law at ``n`` material points; never modified in place.

    Attributes
    ----------
    stress
        Stress [Pa], Voigt, shape (n, 6).
    elastic_strain
        Elastic strain, Voigt with engineering shears, shape (n, 6).
    inelastic_strain
        Plastic / creep strain (deviatoric), Voigt with engineering shears, shape (n, 6).
    eq_strain
        Accumulated equivalent inelastic strain ``int sqrt(2/3 d_eps_in : d_eps_in)`` [-],
        shape (n,).
    back_stress
        Back stress ``beta`` [Pa] (deviatoric, tensor Voigt), shape (n, 6); zero without
        kinematic hardening.
    resistance
        Deformation resistance ``s`` [Pa] of :class:`Anand`, shape (n,); the current
        yield stress of :class:`Plastic` (at the temperature of the last step); zero for
        :class:`Garofalo`.
    energy
        Inelastic work density ``int sigma : d_eps_in`` [J/m^3], shape (n,): the energy
        dissipated, plus what hardening stores (the back stress's share); over a stabilised
        cycle it is the hysteresis-loop area (:class:`Plastic`: exactly the area of the
        steps' stress-strain polygon; the creep laws: to the order of the time step, see
        the module), the ``Delta W`` of energy-based fatigue models (Darveaux, Syed).
    substeps
        Substeps the last step took per point (1: none), shape (n,).
    """

    stress: NDArray[np.float64]
    elastic_strain: NDArray[np.float64]
    inelastic_strain: NDArray[np.float64]
    eq_strain: NDArray[np.float64]
    back_stress: NDArray[np.float64]
    resistance: NDArray[np.float64]
    energy: NDArray[np.float64]
    substeps: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def n_points(self) -> int:
        """Number of material points ``n``."""
        return self.stress.shape[0]

    def fields(self) -> dict[str, tuple[NDArray[np.float64], str]]:
        """The state as named result fields ``name -> (values (n,) or (n, 6), unit)``."""
        return {
            "equivalent_inelastic_strain": (self.eq_strain, "1"),
            "inelastic_strain": (self.inelastic_strain, "1"),
            "back_stress": (self.back_stress, "Pa"),
            "deformation_resistance": (self.resistance, "Pa"),
            "dissipated_energy_density": (self.energy, "J/m^3"),
        }

    def take(self, idx: NDArray[np.int64]) -> InelasticState:
        """The state at the points ``idx`` (copies)."""
        return InelasticState(
            *(getattr(self, f)[idx].copy() for f in _STATE_FIELDS),
            substeps=self._substeps()[idx].copy(),
        )

    def _substeps(self) -> NDArray[np.int64]:
        if self.substeps.shape == (self.n_points,):
            return self.substeps
        return np.ones(self.n_points, dtype=np.int64)


_STATE_FIELDS = (
    "stress",
    "elastic_strain",
    "inelastic_strain",
    "eq_strain",
    "back_stress",
    "resistance",
    "energy",
)


class LawUpdate(NamedTuple):
    """One step of an inelastic law at ``n`` points."""

    stress: NDArray[np.float64]
    """New stress [Pa], Voigt, shape (n, 6)."""
    tangent: NDArray[np.float64]
    """Consistent tangent ``d stress / d strain_increment`` [Pa], shape (n, 6, 6)
    (engineering shear strains)."""
    state: InelasticState
    """State after the step."""


class _Flow(NamedTuple):
    x: NDArray[np.float64]  # equivalent inelastic strain increment, (m,)
    dxdq: NDArray[np.float64]  # dx / dq, (m,)
    resistance: NDArray[np.float64]  # new s (Anand) or current yield (Plastic), (m,)
    converged: NDArray[np.bool_]  # (m,)


# -- parameters ----------------------------------------------------------------------


def _positive(key: str, value: Any, unit: str = "", *, zero: bool = False) -> float:
    return check_range(key, value, 0.0, None, lo_open=not zero, unit=unit)


# Ranges [SI] of the constants outside which a value is refused. Each spans orders of
# magnitude around every published value (solders, and the metals of Anand 1985 and
# Brown, Kim & Anand 1989: iron's Q = 312 kJ/mol, Q/R = 37 600 K); a value outside is a
# unit slip that would otherwise run silently: a table's MPa typed as Pa (s0 = 21 makes a
# joint carry tens of Pa), alpha in 1/MPa (0.02447 makes sinh overflow at 20 kPa), Q in
# J/mol given as Q/R or the reverse (flow frozen, or athermal).
# A bound is set only on the side a slip goes: a large stress stays allowed (a huge yield
# stress keeps a region elastic).
_RANGES: dict[str, tuple[float, float, str]] = {
    "stress": (1e4, math.inf, "Pa (MPa must be converted: 21 MPa is 21e6)"),
    "modulus": (1e6, math.inf, "Pa (GPa must be converted: 45 GPa is 45e9)"),
    "h0": (1e6, math.inf, "Pa, or 0 (MPa must be converted: 180000 MPa is 1.8e11)"),
    "Q_over_R": (1e3, 5e4, "K (Q/R = Q [J/mol] / 8.314; 77.5 kJ/mol is 9320 K)"),
    "alpha": (0.0, 1e-5, "1/Pa (1/MPa must be converted: 0.02447 1/MPa is 2.447e-8 1/Pa)"),
    "Q": (1e4, 5e5, "J/mol, or 0 (Q = R x Q/R: 6500 K is 54 040 J/mol; 54 kJ/mol is 54e3)"),
}


def _ranged(key: str, value: Any, kind: str, *, zero: bool = False) -> float:
    """A positive constant (0 too where ``zero``) within :data:`_RANGES` ``[kind]``."""
    lo, hi, unit = _RANGES[kind]
    v = _positive(key, value, unit.split(" ")[0].rstrip(","), zero=zero)
    if (zero and v == 0.0) or lo <= v <= hi:
        return v
    left = "(0" if lo == 0.0 else f"[{lo:g}"
    raise InputError(key, value, f"a number in {left}, {hi:g}] {unit}")


def _temperature_function(
    key: str, value: Any, unit: str, *, zero: bool = False, kind: str | None = None
) -> Callable:
    """A property of temperature [degC]: a number, a callable ``f(T_C) -> values`` or a
    table ``(temperatures_C, values)`` interpolated linearly, constant beyond its ends;
    a number's or table's values within :data:`_RANGES` ``[kind]`` where ``kind`` is given
    (a callable's at each evaluation, :func:`_eval_positive`; a tabulated callable's, as a
    :class:`fea.physics.materials.Table` with its ``values``, here too)."""
    if callable(value):
        tab = getattr(value, "values", None)
        if kind is not None and isinstance(tab, Sequence):
            for x in tab:
                _ranged(key, x, kind, zero=zero)
        return value
    if isinstance(value, Sequence) and len(value) == 2 and not isinstance(value, str):
        try:
            T = np.asarray(value[0], dtype=float).ravel()
            v = np.asarray(value[1], dtype=float).ravel()
        except (TypeError, ValueError):
            raise InputError(key, value, f"a number [{unit}], a callable of degC or a "
                             "(temperatures_C, values) table") from None
        if (
            T.size < 1
            or T.size != v.size
            or not np.all(np.isfinite(T))
            or np.any(np.diff(T) <= 0)
            or T[0] <= -_KELVIN
            or T[-1] > MAX_TEMPERATURE_C
        ):
            raise InputError(key, value, "a table of strictly increasing temperatures in "
                             f"(-273.15, {MAX_TEMPERATURE_C:g}] degC and as many values")
        if not np.all(np.isfinite(v)) or np.any(v < 0 if zero else v <= 0):
            raise InputError(key, value, f"finite values {'>=' if zero else '>'} 0 [{unit}]")
        if kind is not None:
            for x in v:
                _ranged(key, float(x), kind, zero=zero)
        return lambda T_C: np.interp(np.asarray(T_C, dtype=float), T, v)
    c = _positive(key, value, unit, zero=zero) if kind is None else _ranged(key, value, kind)
    return lambda T_C: np.full(np.shape(T_C), c)


def _frozen(value: Any) -> Any:
    """A table given as sequences, as nested tuples of floats (hashable, immutable);
    anything else as it is."""
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        try:
            return tuple(tuple(float(x) for x in np.ravel(part)) for part in value)
        except (TypeError, ValueError):
            return value
    return value


def _eval_positive(
    key: str, f: Callable, T: NDArray[np.float64], zero: bool = False, kind: str | None = None
):
    """``f(T)`` broadcast to ``T``'s shape: positive (or >= 0 where ``zero``) and finite,
    and not below the lower bound of :data:`_RANGES` ``[kind]`` where ``kind`` is given
    (a callable's unit slip: a yield stress in MPa, a modulus in GPa)."""
    v = np.broadcast_to(np.asarray(f(T), dtype=float), T.shape)
    if not np.all(np.isfinite(v)) or np.any(v < 0 if zero else v <= 0):
        raise InputError(key, v.tolist() if v.size < 8 else v.min(), "positive finite values")
    if kind is not None and v.size:
        lo, _, unit = _RANGES[kind]
        low = v < lo
        if np.any(low):
            raise InputError(key, float(v[low].min()), f"values >= {lo:g} {unit}")
    return v


# -- the shared radial return ----------------------------------------------------------


@dataclass(frozen=True)
class _J2Law:
    """Common part of the isotropic J2 laws (elasticity, state, radial return)."""

    def _elastic_params(self) -> tuple[Any, Any]:
        E, nu = getattr(self, "E"), getattr(self, "nu")  # noqa: B009 (dataclass fields)
        if E is None or nu is None:
            raise InputError(
                f"{self._key}.E",
                E,
                "Young's modulus and Poisson's ratio: give E= and nu= or use "
                "with_elasticity(E, nu) (Material(..., inelastic=...) does this)",
            )
        return E, nu

    def _check_elasticity(self) -> None:
        E, nu = getattr(self, "E"), getattr(self, "nu")  # noqa: B009
        if E is not None:
            object.__setattr__(
                self, "_E", _temperature_function(f"{self._key}.E", E, "Pa", kind="modulus")
            )
            object.__setattr__(self, "E", _frozen(E))
        if nu is not None:
            v = check_range(f"{self._key}.nu", nu, -1.0, 0.5, lo_open=True, hi_open=True)
            object.__setattr__(self, "nu", v)

    def _check_solidus(self) -> None:
        """``solidus_C`` None or a temperature in (-273.15, MAX_TEMPERATURE_C] degC."""
        v = getattr(self, "solidus_C")  # noqa: B009 (dataclass field)
        if v is not None:
            v = check_range(
                f"{self._key}.solidus_C", v, -_KELVIN, MAX_TEMPERATURE_C, lo_open=True,
                unit="degC",
            )
            object.__setattr__(self, "solidus_C", v)

    def check_solid(self, key: str, temperature: ArrayLike, what: str = "") -> None:
        """Refuse temperatures [degC] above the law's solidus ``solidus_C`` (None: no
        check): above it the alloy is partly molten and no solid's flow law holds.

        Raises an :class:`~fea.errors.InputError` naming ``key``, the hottest temperature
        and the solidus (``what`` says where it is, e.g. ``"region solder"``). A
        temperature equal to the solidus is allowed (a joint is stress free where it
        solidifies), and so is one above it by at most :data:`SOLIDUS_TOLERANCE_K` (the
        rounding of a temperature interpolated to the quadrature points)."""
        s = getattr(self, "solidus_C", None)
        if s is None:
            return
        T = np.asarray(temperature, dtype=float)
        if T.size == 0:
            return
        hot = float(np.nanmax(T))
        if hot > s + SOLIDUS_TOLERANCE_K:
            at = f" in {what}" if what else ""
            raise InputError(
                key,
                hot,
                f"temperatures{at} at most the solidus of the {type(self).__name__} law, "
                f"{s:g} degC: above it the solder is (partly) molten and no solid's flow "
                "law holds (lower the temperature, or give the law solidus_C=None if its "
                "alloy does not melt there)",
            )

    def _check_substeps_and_elasticity(self) -> None:
        """Check ``max_substeps`` (a count, at most 4096), then the elasticity."""
        n = getattr(self, "max_substeps")  # noqa: B009 (dataclass field)
        object.__setattr__(
            self, "max_substeps", check_count(f"{self._key}.max_substeps", n, 4096)
        )
        self._check_elasticity()

    _key = "inelastic"

    def with_elasticity(self, E: Any, nu: float) -> Any:
        """A copy with Young's modulus ``E`` [Pa] (number, callable of degC or table) and
        Poisson's ratio ``nu``."""
        return replace(self, E=E, nu=nu)

    def lame(self, T_C: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Bulk and shear moduli ``(K, mu)`` [Pa] at temperatures ``T_C`` [degC]."""
        self._elastic_params()
        T = np.asarray(T_C, dtype=float)
        E = _eval_positive(f"{self._key}.E", self._E, T, kind="modulus")
        nu = self.nu
        return E / (3.0 * (1.0 - 2.0 * nu)), E / (2.0 * (1.0 + nu))

    def _initial_resistance(self, n: int) -> NDArray[np.float64]:
        return np.zeros(n)

    def init_state(self, n_points: int) -> InelasticState:
        """Stress-free, virgin state at ``n_points`` material points."""
        if isinstance(n_points, bool) or not isinstance(n_points, int | np.integer):
            raise InputError("n_points", n_points, "a non-negative integer")
        if n_points < 0:
            raise InputError("n_points", n_points, "a non-negative integer")
        n = int(n_points)
        return InelasticState(
            stress=np.zeros((n, 6)),
            elastic_strain=np.zeros((n, 6)),
            inelastic_strain=np.zeros((n, 6)),
            eq_strain=np.zeros(n),
            back_stress=np.zeros((n, 6)),
            resistance=self._initial_resistance(n),
            energy=np.zeros(n),
            substeps=np.ones(n, dtype=np.int64),
        )

    # hooks of the individual laws
    def _flow(self, q, mu, T, dt, state: InelasticState) -> _Flow:  # pragma: no cover
        raise NotImplementedError

    def _kinematic(self) -> float:
        return 0.0

    def _work(self, sig0, sig1, d_in) -> NDArray[np.float64]:
        """The step's inelastic work density [J/m^3], (n,): ``sigma_n+1 . d_eps_in``, the
        return map's own (its flow is set by the end-of-step stress; ``x q_n+1 >= 0``
        for the creep laws, see the module); :class:`Plastic` takes the trapezoid."""
        return (sig1 * d_in).sum(axis=1)

    max_substeps_default = 64

    def update(
        self,
        strain_increment: ArrayLike,
        temperature: ArrayLike,
        dt: float,
        state: InelasticState,
        temperature_start: ArrayLike | None = None,
    ) -> LawUpdate:
        """One implicit step at every point (see the module).

        Parameters
        ----------
        strain_increment
            Mechanical strain increment of the step, Voigt with engineering shears,
            shape (n, 6).
        temperature
            Temperature at the end of the step [degC], a scalar or shape (n,).
        dt
            Step length [s], >= 0 (0: the instantaneous response; the creep laws are then
            elastic).
        state
            State before the step (:meth:`init_state` or an earlier update); not modified.
        temperature_start
            Temperature at the start of the step [degC], a scalar or shape (n,); default
            ``temperature``. Only a sub-stepped point uses it: its substeps are integrated
            at the temperature interpolated linearly between the two to each substep's end
            (the step itself, as every implicit step, at its end temperature).

        Returns
        -------
        LawUpdate
            ``(stress (n, 6) [Pa], tangent (n, 6, 6) [Pa], new state)``.

        Raises
        ------
        fea.errors.InputError
            A temperature above the law's ``solidus_C`` (:meth:`check_solid`), or a bad
            argument.
        """
        if not isinstance(state, InelasticState):
            raise InputError("state", type(state).__name__, "an InelasticState from init_state")
        n = state.n_points
        de = np.asarray(strain_increment, dtype=float)
        if de.shape != (n, 6) or not np.all(np.isfinite(de)):
            raise InputError(
                "strain_increment", de.shape, f"finite Voigt strains of shape ({n}, 6)"
            )
        T = _point_temperatures("temperature", temperature, n)
        T0 = (
            T
            if temperature_start is None
            else _point_temperatures("temperature_start", temperature_start, n)
        )
        dt = check_range("dt", dt, 0.0, None, unit="s")
        self.check_solid("temperature", T)
        if temperature_start is not None:
            self.check_solid("temperature_start", T0)
        self._elastic_params()
        return self._update(de, T, dt, state, depth=0, T0=T0)

    def _update(self, de, T, dt, state: InelasticState, depth: int, T0) -> LawUpdate:
        n = state.n_points
        K, mu = self.lame(T)
        ee_tr = state.elastic_strain + de
        tr = ee_tr[:, :3].sum(axis=1)
        e_dev = ee_tr / _ENG
        e_dev[:, :3] -= tr[:, None] / 3.0
        s_tr = 2.0 * mu[:, None] * e_dev
        xi = s_tr - state.back_stress
        norm = np.sqrt((xi[:, :3] ** 2).sum(axis=1) + 2.0 * (xi[:, 3:] ** 2).sum(axis=1))
        q = _SQ32 * norm
        fl = self._flow(q, mu, T, dt, state)
        x, dxdq = fl.x, fl.dxdq
        N = np.divide(xi, norm[:, None], out=np.zeros_like(xi), where=norm[:, None] > 0)
        Hk = self._kinematic()
        d_in = _SQ32 * x[:, None] * N  # tensor components
        sig = s_tr - (2.0 * mu)[:, None] * d_in
        sig[:, :3] += (K * tr)[:, None]
        beta = state.back_stress + (_SQ23 * Hk * x)[:, None] * N
        d_in_eng = d_in * _ENG
        qs = np.where(q > 0, q, 1.0)
        theta = 1.0 - 3.0 * mu * x / qs
        theta_bar = 3.0 * mu * dxdq - (1.0 - theta)
        C = K[:, None, None] * np.outer(_ONE, _ONE) + (2.0 * mu * theta)[:, None, None] * _IDEV
        C -= (2.0 * mu * theta_bar)[:, None, None] * np.einsum("ni,nj->nij", N, N)
        new = InelasticState(
            stress=sig,
            elastic_strain=ee_tr - d_in_eng,
            inelastic_strain=state.inelastic_strain + d_in_eng,
            eq_strain=state.eq_strain + x,
            back_stress=beta,
            resistance=fl.resistance,
            energy=state.energy + self._work(state.stress, sig, d_in_eng),
            substeps=np.ones(n, dtype=np.int64),
        )
        bad = np.flatnonzero(~fl.converged)
        if bad.size == 0:
            return LawUpdate(sig, C, new)
        max_sub = getattr(self, "max_substeps", self.max_substeps_default)
        if 2 ** (depth + 1) > max_sub:
            raise SolverError(
                f"{type(self).__name__}: the local iteration did not converge at "
                f"{bad.size} of {n} material points even in {2**depth} substeps "
                f"(max_substeps = {max_sub}); first point {int(bad[0])}: equivalent trial "
                f"stress {float(q[bad[0]]):.4g} Pa at {float(T[bad[0]]):.4g} degC, "
                f"dt = {dt:.4g} s"
            )
        # re-integrate the failed points in two halves (recursively), each at the
        # temperature of its own end
        sub = state.take(bad)
        half = de[bad] / 2.0
        T_mid = 0.5 * (T0[bad] + T[bad])
        first = self._update(half, T_mid, dt / 2.0, sub, depth + 1, T0=T0[bad])
        second = self._update(half, T[bad], dt / 2.0, first.state, depth + 1, T0=T_mid)
        sig = sig.copy()
        C = C.copy()
        sig[bad] = second.stress
        # d sigma / d de through the elastic strain the first half leaves (its other state,
        # s, eps_p, beta, held): sigma_2(ee_1 + de/2) with ee_1 = C_e(T_mid)^-1 sigma_1(de/2)
        Km, mum = self.lame(T_mid)
        Ce = Km[:, None, None] * np.outer(_ONE, _ONE) + (2.0 * mum)[:, None, None] * _IDEV
        Cb = 0.5 * second.tangent @ (np.eye(6) + np.linalg.solve(Ce, first.tangent))
        C[bad] = 0.5 * (Cb + Cb.swapaxes(1, 2))  # symmetric, as the solvers of K_t assume
        parts = {f: getattr(new, f).copy() for f in _STATE_FIELDS}
        for f in _STATE_FIELDS:
            parts[f][bad] = getattr(second.state, f)
        steps = new.substeps.copy()
        steps[bad] = first.state.substeps + second.state.substeps
        return LawUpdate(sig, C, InelasticState(**parts, substeps=steps))


def _point_temperatures(key: str, value: ArrayLike, n: int) -> NDArray[np.float64]:
    """``value`` [degC] as one finite temperature above absolute zero per point, (n,)."""
    T = np.asarray(value, dtype=float)
    if T.ndim == 0:
        T = np.full(n, float(T))
    if T.shape != (n,) or not np.all(np.isfinite(T)) or np.any(T <= -_KELVIN):
        raise InputError(key, T.shape, f"finite temperatures > -273.15 degC, scalar or ({n},)")
    return T


def _kelvin(T_C: NDArray[np.float64]) -> NDArray[np.float64]:
    return T_C + _KELVIN


def _tanh_asinh(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """``z / sqrt(1 + z^2)`` (= d asinh(z)/d ln z), 1 where ``z`` overflows."""
    zc = np.minimum(z, 1e150)
    return zc / np.sqrt(1.0 + zc * zc)


def _kelvin_array(T_C: ArrayLike) -> NDArray[np.float64]:
    """Temperatures [degC] (finite, above absolute zero) in kelvin."""
    try:
        T = np.asarray(T_C, dtype=float)
    except (TypeError, ValueError):
        raise InputError("temperature", T_C, "temperatures [degC]") from None
    if not np.all(np.isfinite(T)) or np.any(T <= -_KELVIN):
        raise InputError("temperature", T_C, "finite temperatures > -273.15 degC")
    return T + _KELVIN


def _nonnegative_array(key: str, value: ArrayLike, unit: str) -> NDArray[np.float64]:
    try:
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(key, value, f"numbers [{unit}]") from None
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise InputError(key, value, f"finite numbers >= 0 [{unit}]")
    return v


def _log_newton(
    G: Callable[[NDArray[np.float64], NDArray[np.bool_]], tuple[Any, Any]],
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    u0: NDArray[np.float64],
    tol: NDArray[np.float64],
    max_iter: int,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Roots ``u`` of decreasing-through-zero ``G(u)`` in ``(lo, hi)`` (``G(lo) > 0 >
    G(hi)``), vectorised: Newton steps, bisection where a step leaves the bracket.
    ``G(u, active) -> (value, derivative)`` for the active entries; ``tol`` absolute on
    the value, per entry. Returns the roots and a converged mask."""
    u = np.clip(u0, lo, hi)
    lo, hi = lo.copy(), hi.copy()
    done = np.zeros(u.shape, dtype=bool)
    for _ in range(max_iter):
        act = ~done
        if not act.any():
            break
        ua = u[act]
        g, dg = G(ua, act)
        ok = np.abs(g) <= tol[act]
        pos = g > 0
        la, ha = lo[act], hi[act]
        la = np.where(pos, ua, la)
        ha = np.where(pos, ha, ua)
        with np.errstate(divide="ignore", invalid="ignore"):
            un = ua - g / dg
        bad = ~np.isfinite(un) | (un <= la) | (un >= ha)
        un = np.where(bad, 0.5 * (la + ha), un)
        small = np.abs(un - ua) <= 1e-15 * np.maximum(1.0, np.abs(ua))
        lo[act], hi[act] = la, ha
        u[act] = np.where(ok, ua, un)
        done[act] = ok | small | (ha - la <= 1e-15 * np.maximum(1.0, np.abs(ua)))
    return u, done


# -- J2 plasticity ----------------------------------------------------------------------


@dataclass(frozen=True)
class Plastic(_J2Law):
    """Rate-independent J2 (von Mises) plasticity with isotropic and linear kinematic
    hardening and a temperature-dependent initial yield stress.

    .. math:: f = \\sqrt{3/2}\\,|\\mathrm{dev}\\,\\sigma - \\beta| - \\sigma_y(T)
              - h(\\bar\\varepsilon_p) \\le 0, \\qquad
              \\dot\\beta = \\tfrac{2}{3} H_k\\, \\dot\\varepsilon_p \\; (Prager)

    Integrated by the radial return with the consistent tangent of Simo & Hughes (1998),
    box 3.2 (see the module). For a von Mises surface the linear rules of Prager
    (``d beta ~ d eps_p``) and Ziegler (``d beta ~ (dev sigma - beta) d lambda``) give the
    same direction, so this is either. In uniaxial stress the plastic modulus is
    ``d sigma / d eps_p = h' + H_k`` and the tangent modulus ``E (h' + H_k) / (E + h' + H_k)``.

    Parameters
    ----------
    yield_stress
        Initial uniaxial yield stress ``sigma_y`` [Pa], >= 1e4 (a smaller number is a
        value in MPa, refused): a number, a callable of the temperature [degC] or a table
        ``(temperatures_C, values_Pa)`` (linear, constant beyond its ends).
    hardening
        Isotropic hardening: a linear modulus ``h' = d sigma_y / d eps_p`` [Pa] >= 0, or a
        table ``(eps_p, delta_sigma_Pa)`` of the increase of the yield stress over
        ``sigma_y(T)`` at equivalent plastic strains ``eps_p`` (starting ``(0, 0)``,
        increasing strains, non-decreasing stresses: no softening), linear between points
        and perfectly plastic beyond the last.
    kinematic
        Linear (Prager/Ziegler) kinematic hardening modulus ``H_k`` [Pa] >= 0, the uniaxial
        slope of the back stress against the plastic strain.
    E, nu
        Young's modulus [Pa] (number, callable of degC, table) and Poisson's ratio; may be
        left None and bound later by :meth:`with_elasticity` (the material's own).
    source
        Where the numbers come from (free text).
    solidus_C
        Solidus of the alloy [degC], or None (default: no check). An update at a
        temperature above it is an :class:`~fea.errors.InputError` (:meth:`check_solid`;
        :func:`fea.solve_history` refuses such a history before it solves): above the
        solidus the joint is (partly) molten and the law, fitted to the solid, does not
        hold. The published sets carry their alloy's (:data:`ANAND_SETS`).
    """

    yield_stress: Any
    hardening: Any = 0.0
    kinematic: float = 0.0
    E: Any = None
    nu: float | None = None
    source: str = ""
    solidus_C: float | None = None

    _key = "plastic"

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "_sy",
            _temperature_function(
                "plastic.yield_stress", self.yield_stress, "Pa", kind="stress"
            ),
        )
        object.__setattr__(self, "yield_stress", _frozen(self.yield_stress))
        h = self.hardening
        if isinstance(h, Sequence) and not isinstance(h, str):
            try:
                ep = np.asarray(h[0], dtype=float).ravel()
                ds = np.asarray(h[1], dtype=float).ravel()
            except (TypeError, ValueError, IndexError):
                raise InputError("plastic.hardening", h, "a modulus [Pa] or an (eps_p, "
                                 "delta_sigma) table") from None
            if (
                ep.size < 2
                or ep.size != ds.size
                or not np.all(np.isfinite(ep))
                or not np.all(np.isfinite(ds))
                or ep[0] != 0.0
                or ds[0] != 0.0
                or np.any(np.diff(ep) <= 0)
                or np.any(np.diff(ds) < 0)
            ):
                raise InputError(
                    "plastic.hardening",
                    h,
                    "a table (eps_p, delta_sigma [Pa]) from (0, 0), strains increasing, "
                    "stresses non-decreasing",
                )
            object.__setattr__(self, "_table", (ep, ds, np.diff(ds) / np.diff(ep)))
            object.__setattr__(self, "hardening", _frozen(h))
            object.__setattr__(self, "_h_lin", 0.0)
        else:
            object.__setattr__(self, "_table", None)
            object.__setattr__(
                self, "_h_lin", _positive("plastic.hardening", h, "Pa", zero=True)
            )
        object.__setattr__(
            self, "kinematic", _positive("plastic.kinematic", self.kinematic, "Pa", zero=True)
        )
        self._check_solidus()
        self._check_elasticity()

    def yield_at(self, T_C: ArrayLike) -> NDArray[np.float64]:
        """Initial yield stress ``sigma_y(T)`` [Pa] at temperatures [degC]."""
        T = np.asarray(T_C, dtype=float)
        return _eval_positive("plastic.yield_stress", self._sy, T, kind="stress")

    def hardening_at(self, eps_p: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Isotropic hardening ``h(eps_p)`` [Pa] and its slope ``h'`` [Pa]."""
        ep = np.asarray(eps_p, dtype=float)
        if self._table is None:
            return self._h_lin * ep, np.full(ep.shape, self._h_lin)
        tep, tds, slope = self._table
        i = np.searchsorted(tep, ep, side="right") - 1
        beyond = i >= tep.size - 1
        ic = np.clip(i, 0, tep.size - 2)
        h = np.where(beyond, tds[-1], tds[ic] + slope[ic] * (ep - tep[ic]))
        return h, np.where(beyond, 0.0, slope[ic])

    def _kinematic(self) -> float:
        return self.kinematic

    def _work(self, sig0, sig1, d_in) -> NDArray[np.float64]:
        # the trapezoid: exact on a linear-hardening branch, so a closed cycle's energy is
        # the stress-strain loop's area (see the module)
        return 0.5 * ((sig0 + sig1) * d_in).sum(axis=1)

    def _initial_resistance(self, n: int) -> NDArray[np.float64]:
        return np.zeros(n)

    def _flow(self, q, mu, T, dt, state: InelasticState) -> _Flow:
        sy = self.yield_at(T)
        ep = state.eq_strain
        h0, _ = self.hardening_at(ep)
        f_tr = q - sy - h0
        plastic = f_tr > 1e-12 * sy
        x = np.zeros(q.shape)
        dxdq = np.zeros(q.shape)
        a = 3.0 * mu + self.kinematic
        if self._table is None:
            d = a + self._h_lin
            x = np.where(plastic, f_tr / d, 0.0)
            dxdq = np.where(plastic, 1.0 / d, 0.0)
        elif plastic.any():
            idx = np.flatnonzero(plastic)
            xa = self._table_return(q[idx], a[idx], sy[idx], ep[idx])
            _, hp = self.hardening_at(ep[idx] + xa)
            x[idx] = xa
            dxdq[idx] = 1.0 / (a[idx] + hp)
        h1, _ = self.hardening_at(ep + x)
        return _Flow(x, dxdq, sy + h1, np.ones(q.shape, dtype=bool))

    def _table_return(self, q, a, sy, ep) -> NDArray[np.float64]:
        # g(x) = q - a x - sy - h(ep + x): piecewise linear, decreasing; walk the segments
        tep, tds, slope = self._table
        x = np.zeros(q.shape)
        lo = np.zeros(q.shape)
        hi = (q - sy) / a  # g(hi) <= 0 since h >= 0
        for _ in range(tep.size + 60):
            h, hp = self.hardening_at(ep + x)
            g = q - a * x - sy - h
            if np.all(np.abs(g) <= 1e-13 * q):
                break
            lo = np.where(g > 0, x, lo)
            hi = np.where(g > 0, hi, x)
            xn = x + g / (a + hp)
            out = (xn <= lo) | (xn >= hi)
            x = np.where(out, 0.5 * (lo + hi), xn)
        return x


# -- Anand viscoplasticity ------------------------------------------------------------


@dataclass(frozen=True)
class Anand(_J2Law):
    """Anand's unified viscoplastic law (Anand 1985; Brown, Kim & Anand 1989), the form of
    ANSYS ``TB,ANAND`` with its nine constants, in SI.

    .. math:: \\dot\\varepsilon_p = A\\, e^{-Q/RT} \\left[\\sinh\\left(\\xi
              \\frac{\\sigma}{s}\\right)\\right]^{1/m}, \\qquad
              \\dot s = h_0 \\left|1 - \\frac{s}{s^*}\\right|^{a}
              \\mathrm{sign}\\left(1 - \\frac{s}{s^*}\\right) \\dot\\varepsilon_p, \\qquad
              s^* = \\hat s \\left[\\frac{\\dot\\varepsilon_p}{A}\\, e^{Q/RT}\\right]^{n}

    with ``sigma`` the von Mises stress and ``eps_p`` the equivalent inelastic strain. At a
    constant strain rate the stress saturates at ``sigma* = c s*``,
    ``c = (1/xi) asinh((eps_rate e^{Q/RT} / A)^m)`` (:meth:`saturation_stress`).

    Parameters
    ----------
    s0
        Initial deformation resistance [Pa], >= 1e4 (0.01 MPa: a smaller number is a value
        in MPa, refused).
    Q_over_R
        Activation energy over the gas constant [K], in [1e3, 5e4] (8.3 to 416 kJ/mol; a
        number outside is Q in J/mol or kJ/mol, refused).
    A
        Pre-exponential factor [1/s], > 0.
    xi
        Stress multiplier [-], > 0.
    m
        Strain-rate sensitivity [-], in (0, 1].
    h0
        Hardening constant [Pa], 0 or >= 1e6 (a smaller number is a value in MPa, refused).
    s_hat
        Coefficient of the saturation resistance [Pa], >= 1e4 (as ``s0``).
    n
        Strain-rate sensitivity of the saturation [-], in [0, 1).
    a
        Hardening exponent [-], >= 1 (keeps the local problem smooth at ``s = s*``).
    E, nu
        Elasticity as in :class:`Plastic`.
    source
        Where the numbers come from.
    max_substeps
        Most substeps per step when the local iteration fails (a power of 2 is used).
    solidus_C
        Solidus of the alloy [degC], or None (default: no check). An update at a
        temperature above it is an :class:`~fea.errors.InputError` (:meth:`check_solid`;
        :func:`fea.solve_history` refuses such a history before it solves): above the
        solidus the joint is (partly) molten and the law, fitted to the solid, does not
        hold. The published sets carry their alloy's (:data:`ANAND_SETS`).
    """

    s0: float
    Q_over_R: float
    A: float
    xi: float
    m: float
    h0: float
    s_hat: float
    n: float
    a: float
    E: Any = None
    nu: float | None = None
    source: str = ""
    max_substeps: int = 64
    solidus_C: float | None = None

    _key = "anand"

    def __post_init__(self) -> None:
        k = "anand."
        for name, unit in (("A", "1/s"), ("xi", "")):
            object.__setattr__(self, name, _positive(k + name, getattr(self, name), unit))
        for name, kind in (("s0", "stress"), ("s_hat", "stress"), ("Q_over_R", "Q_over_R")):
            object.__setattr__(self, name, _ranged(k + name, getattr(self, name), kind))
        object.__setattr__(self, "h0", _ranged(k + "h0", self.h0, "h0", zero=True))
        object.__setattr__(self, "m", check_range(k + "m", self.m, 0.0, 1.0, lo_open=True))
        object.__setattr__(self, "n", check_range(k + "n", self.n, 0.0, 1.0, hi_open=True))
        object.__setattr__(self, "a", check_range(k + "a", self.a, 1.0, None))
        self._check_solidus()
        self._check_substeps_and_elasticity()

    def _initial_resistance(self, n: int) -> NDArray[np.float64]:
        return np.full(n, self.s0)

    def _z(self, strain_rate: ArrayLike, T_C: ArrayLike) -> NDArray[np.float64]:
        rate = _nonnegative_array("strain_rate", strain_rate, "1/s")
        Tk = _kelvin_array(T_C)
        return rate * np.exp(self.Q_over_R / Tk) / self.A

    def saturation_resistance(self, strain_rate: ArrayLike, T_C: ArrayLike) -> NDArray:
        """``s* = s_hat (eps_rate e^{Q/RT} / A)^n`` [Pa] at an equivalent inelastic strain
        rate [1/s] (>= 0) and temperature [degC] (T in kelvin inside); arrays broadcast."""
        return self.s_hat * self._z(strain_rate, T_C) ** self.n

    def saturation_stress(self, strain_rate: ArrayLike, T_C: ArrayLike) -> NDArray:
        """Steady-state equivalent stress ``sigma* = (s*/xi) asinh(z^m)`` [Pa],
        ``z = eps_rate e^{Q/RT} / A`` (Anand's closed form), at an equivalent inelastic
        strain rate [1/s] (>= 0) and temperature [degC]; arrays broadcast."""
        z = self._z(strain_rate, T_C)
        return self.s_hat * z**self.n / self.xi * np.arcsinh(z**self.m)

    def _resistance(self, x, log_rate_scale, s_n, tol_iter: int = 80):
        """Backward-Euler deformation resistance ``s(x)`` and ``ds/dx`` for increments
        ``x > 0`` (``log_rate_scale = ln(dt A e^{-Q/RT})``, so ``ln z = ln x -
        log_rate_scale``: in logs, as ``dt A e^{-Q/RT}`` underflows at cryogenic
        temperatures)."""
        s_star = self.s_hat * np.exp(self.n * (np.log(x) - log_rate_scale))
        a, h0 = self.a, self.h0
        lo = np.minimum(s_n, s_star)
        hi = np.maximum(s_n, s_star)
        s = s_n.copy()
        hx = h0 * x
        for _ in range(tol_iter):
            r = 1.0 - s / s_star
            ra1 = np.abs(r) ** (a - 1.0)  # one power per iteration: |r|^a sign(r) = ra1 r
            F = s - s_n - hx * (ra1 * r)
            dF = 1.0 + hx * a * ra1 / s_star
            if np.all(np.abs(F) <= 1e-14 * s_star):
                break
            lo = np.where(F < 0, s, lo)
            hi = np.where(F < 0, hi, s)
            sn = s - F / dF
            out = (sn < lo) | (sn > hi)
            s = np.where(out, 0.5 * (lo + hi), sn)
        r = 1.0 - s / s_star
        ra1 = np.abs(r) ** (a - 1.0)
        Fs = 1.0 + hx * a * ra1 / s_star
        Fx = -h0 * (ra1 * r) - h0 * a * ra1 * (s / s_star) * self.n
        return s, -Fx / Fs

    def _flow(self, q, mu, T, dt, state: InelasticState) -> _Flow:
        npts = q.shape[0]
        x = np.zeros(npts)
        dxdq = np.zeros(npts)
        s_new = state.resistance.copy()
        conv = np.ones(npts, dtype=bool)
        # a trial stress below 3 mu e^-600 cannot flow measurably: elastic
        act = np.flatnonzero((q > 3.0 * mu * math.exp(-600.0)) & (dt > 0))
        if act.size == 0:
            return _Flow(x, dxdq, s_new, conv)
        qa, mua, sn = q[act], mu[act], state.resistance[act]
        # ln(dt A e^{-Q/RT}): the rate scale itself underflows to 0 below about 40 K
        lrs = math.log(dt) + math.log(self.A) - self.Q_over_R / _kelvin(T[act])
        m, xi = self.m, self.xi

        def G(u, sel):
            xx = np.exp(u)
            s, dsdx = self._resistance(xx, lrs[sel], sn[sel])
            zm = np.exp(m * (u - lrs[sel]))
            ash = np.arcsinh(zm)
            g = qa[sel] - 3.0 * mua[sel] * xx - s / xi * ash
            gx = -3.0 * mua[sel] - dsdx / xi * ash - s / xi * m * _tanh_asinh(zm) / xx
            return g, gx * xx

        hi = np.log(qa / (3.0 * mua))
        lo = np.full(act.size, -700.0)
        # explicit estimate in log form: ln(rs) + ln(sinh(xi q / s)) / m
        y = np.minimum(xi * qa / sn, 700.0)
        with np.errstate(divide="ignore"):  # y -> 0 (a vanishing stress): -inf, replaced below
            u0 = lrs + (y + np.log1p(-np.exp(-2.0 * y)) - math.log(2.0)) / m
        u0 = np.where(np.isfinite(u0), u0, hi - 1.0)
        # a point too cold to flow (x below e^-700 at the trial stress) meets overflowing
        # z^m on the way to the bracket's end: inf and nan there are handled as such
        with np.errstate(over="ignore", invalid="ignore"):
            u, ok = _log_newton(G, lo, hi, np.minimum(u0, hi), 1e-13 * qa, 100)
            xa = np.exp(u)
            s, dsdx = self._resistance(xa, lrs, sn)
            zm = np.exp(m * (u - lrs))
            gx = -3.0 * mua - dsdx / xi * np.arcsinh(zm) - s / xi * m * _tanh_asinh(zm) / xa
            x[act] = xa
            dxdq[act] = np.where(np.isfinite(gx), -1.0 / gx, 0.0)
        s_new[act] = s
        conv[act] = ok
        return _Flow(x, dxdq, s_new, conv)


# -- Garofalo creep -----------------------------------------------------------------


@dataclass(frozen=True)
class Garofalo(_J2Law):
    """Hyperbolic-sine (Garofalo) steady-state creep,

    .. math:: \\dot\\varepsilon_{cr} = A\\, [\\sinh(\\alpha\\sigma)]^n\\, e^{-Q/RT},

    ``sigma`` the von Mises stress, ``eps_cr`` the equivalent creep strain; the flow is
    along the deviatoric stress (Prandtl-Reuss), ANSYS ``TB,CREEP,,,,8``.

    Parameters
    ----------
    A
        Pre-factor [1/s], > 0.
    alpha
        Stress multiplier [1/Pa], in (0, 1e-5] (a larger number is a value in 1/MPa,
        refused: 0.02447 1/MPa is 2.447e-8 1/Pa).
    n
        Stress exponent [-], >= 1.
    Q
        Activation energy [J/mol], 0 or in [1e4, 5e5] (``Q/R`` in K is
        ``Q / GAS_CONSTANT``; a number in (0, 1e4) is Q/R in K or Q in kJ/mol, refused).
    E, nu
        Elasticity as in :class:`Plastic`.
    source
        Where the numbers come from.
    max_substeps
        Most substeps per step when the local iteration fails.
    solidus_C
        Solidus of the alloy [degC], or None (default: no check). An update at a
        temperature above it is an :class:`~fea.errors.InputError` (:meth:`check_solid`;
        :func:`fea.solve_history` refuses such a history before it solves): above the
        solidus the joint is (partly) molten and the law, fitted to the solid, does not
        hold. The published sets carry their alloy's (:data:`GAROFALO_SETS`).
    """

    A: float
    alpha: float
    n: float
    Q: float
    E: Any = None
    nu: float | None = None
    source: str = ""
    max_substeps: int = 64
    solidus_C: float | None = None

    _key = "garofalo"

    def __post_init__(self) -> None:
        object.__setattr__(self, "A", _positive("garofalo.A", self.A, "1/s"))
        object.__setattr__(self, "alpha", _ranged("garofalo.alpha", self.alpha, "alpha"))
        object.__setattr__(self, "n", check_range("garofalo.n", self.n, 1.0, None))
        object.__setattr__(self, "Q", _ranged("garofalo.Q", self.Q, "Q", zero=True))
        self._check_solidus()
        self._check_substeps_and_elasticity()

    def creep_rate(self, stress: ArrayLike, T_C: ArrayLike) -> NDArray[np.float64]:
        """Equivalent creep strain rate [1/s] at von Mises stress [Pa] (>= 0) and temperature
        [degC] (T in kelvin inside); arrays broadcast."""
        s = _nonnegative_array("stress", stress, "Pa")
        Tk = _kelvin_array(T_C)
        return self.A * np.sinh(self.alpha * s) ** self.n * np.exp(-self.Q / (GAS_CONSTANT * Tk))

    def _flow(self, q, mu, T, dt, state: InelasticState) -> _Flow:
        npts = q.shape[0]
        x = np.zeros(npts)
        dxdq = np.zeros(npts)
        conv = np.ones(npts, dtype=bool)
        # a trial stress below 3 mu e^-600 cannot flow measurably: elastic
        act = np.flatnonzero((q > 3.0 * mu * math.exp(-600.0)) & (dt > 0))
        if act.size == 0:
            return _Flow(x, dxdq, np.zeros(npts), conv)
        qa, mua = q[act], mu[act]
        # ln(dt A e^{-Q/RT}), in logs as the rate scale underflows at cryogenic temperatures
        lrs = math.log(dt) + math.log(self.A) - self.Q / (GAS_CONSTANT * _kelvin(T[act]))
        p, al = 1.0 / self.n, self.alpha

        def gx_of(u, lr, mu_):
            zp = np.exp(p * (u - lr))
            return -3.0 * mu_ - p * _tanh_asinh(zp) / (al * np.exp(u))

        def G(u, sel):
            zp = np.exp(p * (u - lrs[sel]))
            g = qa[sel] - 3.0 * mua[sel] * np.exp(u) - np.arcsinh(zp) / al
            return g, gx_of(u, lrs[sel], mua[sel]) * np.exp(u)

        hi = np.log(qa / (3.0 * mua))
        lo = np.full(act.size, -700.0)
        y = np.minimum(al * qa, 700.0)
        with np.errstate(divide="ignore"):  # y -> 0 (a vanishing stress): -inf, replaced below
            u0 = lrs + self.n * (y + np.log1p(-np.exp(-2.0 * y)) - math.log(2.0))
        u0 = np.where(np.isfinite(u0), u0, hi - 1.0)
        with np.errstate(over="ignore", invalid="ignore"):  # a point too cold to flow
            u, ok = _log_newton(G, lo, hi, np.minimum(u0, hi), 1e-13 * qa, 100)
            dxdq[act] = -1.0 / gx_of(u, lrs, mua)
        x[act] = np.exp(u)
        conv[act] = ok
        return _Flow(x, dxdq, np.zeros(npts), conv)


# -- published parameter sets ------------------------------------------------------------

_MPA = 1.0e6

# The alloys' solidus temperatures [degC] (the published melting ranges; handbook values,
# quoted, not re-read during this work).
_SOLIDUS_SAC = (
    "Sn-Ag-Cu near the ternary eutectic (Sn-3.0Ag-0.5Cu, Sn-3.8Ag-0.7Cu): solidus 217 degC "
    "(liquidus about 220 degC for SAC305): NIST/Colorado School of Mines, 'Database for "
    "solder properties with emphasis on new lead-free solders', release 4.0 (Siewert, Liu, "
    "Smith, Madeni, 2002); the SAC305 material of fea.physics.materials quotes the same"
)
_SOLIDUS_SNAG = (
    "Sn-3.5Ag, the binary eutectic: melts at 221 degC (same NIST database, 2002)"
)
_SOLIDUS_SNPBAG = (
    "62Sn36Pb2Ag, near the Sn-Pb-Ag eutectic: solidus 179 degC (63Sn37Pb, the Sn-Pb "
    "eutectic, 183 degC); handbook value of the alloy's melting point (solder suppliers' "
    "data), quoted"
)

ANAND_SETS: dict[str, dict[str, Any]] = {
    "SAC305_Motalab2012": {
        "params": {
            "s0": 21.0 * _MPA,
            "Q_over_R": 9320.0,
            "A": 3501.0,
            "xi": 4.0,
            "m": 0.25,
            "h0": 180000.0 * _MPA,
            "s_hat": 30.2 * _MPA,
            "n": 0.01,
            "a": 1.78,
        },
        "alloy": "Sn-3.0Ag-0.5Cu (SAC305)",
        "solidus_C": 217.0,
        "solidus_source": _SOLIDUS_SAC,
        "verified": False,
        "source": (
            "M. Motalab, Z. Cai, J.C. Suhling, P. Lall, 'Determination of Anand constants "
            "for SAC solders using stress-strain or creep data', Proc. 13th IEEE ITherm "
            "(2012) 910-922, doi:10.1109/ITHERM.2012.6231522, the SAC305 set (reflowed, "
            "no aging) of their table of Anand constants from stress-strain data. Quoted "
            "as widely reproduced; the table was not re-read during this work. Units "
            "converted: s0, h0, s_hat MPa -> Pa (x 1e6); Q/R in K, A in 1/s unchanged."
        ),
    },
    "SAC387_Bai2009": {
        "params": {
            "s0": 3.2992 * _MPA,
            "Q_over_R": 9883.0,
            "A": 15.7731,
            "xi": 1.0673,
            "m": 0.3686,
            "h0": 1077.4936 * _MPA,
            "s_hat": 3.1505 * _MPA,
            "n": 0.0352,
            "a": 1.6,
        },
        # The key's "SAC387" is not supported by the cited paper, whose abstract lists
        # Sn-3Ag-0.5Cu, Sn-3.5Ag and Sn-0.7Cu; the key is kept (public name).
        "alloy": "SnAgCu (the cited paper's SnAgCu alloy is Sn-3Ag-0.5Cu; quoted as SAC387)",
        "solidus_C": 217.0,
        "solidus_source": _SOLIDUS_SAC,
        "verified": False,
        "source": (
            "N. Bai, X. Chen, H. Gao, 'Simulation of uniaxial tensile properties for "
            "lead-free solders with modified Anand model', Materials & Design 30 (2009) "
            "122-128, doi:10.1016/j.matdes.2008.04.032 (as indexed). The paper fits Anand "
            "constants for Sn-3Ag-0.5Cu, Sn-3.5Ag and Sn-0.7Cu (its abstract), with h0 a "
            "function of strain rate in its modified form; it has no Sn-3.8Ag-0.7Cu, so "
            "the SAC387 label under which this set is quoted is not the paper's, and "
            "which of its fits these values are was not checked. Quoted as widely "
            "reproduced; the paper's table itself was not checked. Units converted: "
            "s0, h0, s_hat MPa -> Pa (x 1e6)."
        ),
    },
    "Sn3.5Ag_Wang2001": {
        "params": {
            "s0": 39.09 * _MPA,
            "Q_over_R": 8900.0,
            "A": 2.23e4,
            "xi": 6.0,
            "m": 0.182,
            "h0": 3321.15 * _MPA,
            "s_hat": 73.81 * _MPA,
            "n": 0.018,
            "a": 1.82,
        },
        "alloy": "Sn-3.5Ag (96.5Sn3.5Ag)",
        "solidus_C": 221.0,
        "solidus_source": _SOLIDUS_SNAG,
        "verified": False,
        "source": (
            "G.Z. Wang, Z.N. Cheng, K. Becker, J. Wilde, 'Applying Anand model to represent "
            "the viscoplastic deformation behavior of solder alloys', J. Electronic "
            "Packaging 123 (2001) 247-253, doi:10.1115/1.1371781, table of Anand "
            "parameters, 96.5Sn3.5Ag. Quoted as widely reproduced; the table was not "
            "re-read during this work. Units converted: MPa -> Pa (x 1e6)."
        ),
    },
    "Sn62Pb36Ag2_Wang2001": {
        "params": {
            "s0": 12.41 * _MPA,
            "Q_over_R": 9400.0,
            "A": 4.0e6,
            "xi": 1.5,
            "m": 0.303,
            "h0": 1378.95 * _MPA,
            "s_hat": 13.79 * _MPA,
            "n": 0.07,
            "a": 1.3,
        },
        "alloy": "62Sn36Pb2Ag",
        "solidus_C": 179.0,
        "solidus_source": _SOLIDUS_SNPBAG,
        "verified": False,
        "source": (
            "G.Z. Wang, Z.N. Cheng, K. Becker, J. Wilde, 'Applying Anand model to represent "
            "the viscoplastic deformation behavior of solder alloys', J. Electronic "
            "Packaging 123 (2001) 247-253, doi:10.1115/1.1371781, 62Sn36Pb2Ag. Quoted as "
            "widely reproduced; not re-read during this work. Units converted: MPa -> Pa."
        ),
    },
}
"""Published Anand parameter sets, SI (``params`` are :class:`Anand` keywords), each with
``alloy``, ``source`` and ``verified`` (False: quoted, the table not re-read here), and the
alloy's ``solidus_C`` [degC] with its ``solidus_source`` (:func:`anand_set` gives the law
it)."""

GAROFALO_SETS: dict[str, dict[str, Any]] = {
    "SAC387_Schubert2003": {
        "params": {
            "A": 277984.0,
            "alpha": 0.02447 / _MPA,
            "n": 6.41,
            "Q": 6500.0 * GAS_CONSTANT,
        },
        "alloy": "Sn-3.8Ag-0.7Cu (SAC387)",
        "solidus_C": 217.0,
        "solidus_source": _SOLIDUS_SAC,
        "verified": False,
        "source": (
            "A. Schubert, R. Dudek, E. Auerswald, A. Gollhardt, B. Michel, H. Reichl, "
            "'Fatigue life models for SnAgCu and SnPb solder joints evaluated by "
            "experiments and simulation', Proc. 53rd ECTC (2003) 603-610, "
            "doi:10.1109/ECTC.2003.1216343: eps_rate = 277984 s^-1 sinh(0.02447 MPa^-1 "
            "sigma)^6.41 exp(-6500 K / T). Quoted as widely reproduced; not re-read "
            "during this work. Units converted: alpha 1/MPa -> 1/Pa (x 1e-6); Q = "
            "6500 K x R = 54.04 kJ/mol."
        ),
    },
}
"""Published Garofalo creep sets, SI (``params`` are :class:`Garofalo` keywords), with
the alloy's ``solidus_C`` [degC] and ``solidus_source`` as :data:`ANAND_SETS`."""


def _from_set(table: dict, kind: str, name: str) -> dict:
    if name not in table:
        raise InputError(f"{kind}.set", name, f"one of {sorted(table)}")
    return table[name]


def anand_set(name: str, E: Any = None, nu: float | None = None) -> Anand:
    """:class:`Anand` law of the published set ``name`` (:data:`ANAND_SETS`), with the
    elasticity ``E`` [Pa], ``nu`` (or bound later by :meth:`Anand.with_elasticity`) and the
    alloy's solidus (``solidus_C``)."""
    d = _from_set(ANAND_SETS, "anand", name)
    return Anand(**d["params"], E=E, nu=nu, source=d["source"], solidus_C=d["solidus_C"])


def garofalo_set(name: str, E: Any = None, nu: float | None = None) -> Garofalo:
    """:class:`Garofalo` law of the published set ``name`` (:data:`GAROFALO_SETS`)."""
    d = _from_set(GAROFALO_SETS, "garofalo", name)
    return Garofalo(**d["params"], E=E, nu=nu, source=d["source"], solidus_C=d["solidus_C"])
