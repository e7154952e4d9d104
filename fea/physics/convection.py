"""Heat-transfer coefficients for JEDEC environments (still air, wind tunnel, radiation).

Pure functions in SI units; temperatures are in degC at the interface and converted to
kelvin inside. Each returns h [W/(m^2 K)] with the broadcast shape of its arguments, so a
Picard loop can pass the surface temperatures of all boundary facets at once.

Air properties are interpolated (monotone cubic, PCHIP) in Incropera's Table A.4 (air at
1 atm, 200-600 K) at the film temperature :math:`T_f = (T_s + T_\\infty)/2`, with
:math:`\\beta = 1/T_f` (ideal gas). Correlations:

- vertical face: Churchill & Chu (1975), all Ra,
  :math:`Nu = \\{0.825 + 0.387 Ra^{1/6} / [1 + (0.492/Pr)^{9/16}]^{8/27}\\}^2`;
- upward face of a hot plate (or downward face of a cold one), a rising plume:
  :math:`Nu = 0.54 Ra^{1/4}` for Ra <= 1e7, :math:`0.15 Ra^{1/3}` above (McAdams 1954;
  Lloyd & Moran 1974; Incropera eqs. 9.30-9.31);
- downward face of a hot plate (or upward face of a cold one), a stable layer:
  :math:`Nu = 0.52 Ra^{1/5}` (Radziemska & Lewandowski 2001; Incropera 7th ed. eq. 9.32);
- flat plate in a parallel stream: :math:`Nu = 0.664 Re^{1/2} Pr^{1/3}` for Re <= 5e5,
  :math:`(0.037 Re^{4/5} - 871) Pr^{1/3}` above (Incropera eqs. 7.30, 7.38).

For horizontal plates the length is :math:`L = A/P` (:func:`horizontal_plate_length`),
for vertical plates the height, for forced flow the length along the stream. The
horizontal correlations are given for :math:`10^4 \\le Ra \\le 10^{11}` (up) and
:math:`10^4 \\le Ra \\le 10^9` (down), the flat-plate ones for Pr >= 0.6; outside they are
extrapolated, as FE codes do. A package of 10-30 mm at 30-80 K above ambient sits at
:math:`Ra \\approx 10^3`-:math:`10^5`, at the lower end of the horizontal correlations:
expect 20-30 % uncertainty there. The downward-facing correlation 0.52 Ra^(1/5) (used in
Incropera's 7th edition) replaces the older 0.27 Ra^(1/4) of McAdams, which falls 30-50 %
lower for package-size plates.

References
----------
- F. P. Incropera, D. P. DeWitt, T. L. Bergman, A. S. Lavine, Fundamentals of Heat and
  Mass Transfer, 6th/7th ed., Wiley: Table A.4; eqs. 7.30, 7.38 (flat plate), 9.26-9.32
  (natural convection), 9.64 (mixed convection).
- S. W. Churchill, H. H. S. Chu, Correlating equations for laminar and turbulent free
  convection from a vertical plate, Int. J. Heat Mass Transfer 18 (1975) 1323-1329.
- J. R. Lloyd, W. R. Moran, Natural convection adjacent to horizontal surface of various
  planforms, J. Heat Transfer 96 (1974) 443-447.
- E. Radziemska, W. M. Lewandowski, Heat transfer by natural convection from an
  isothermal downward-facing round plate in unlimited space, Applied Energy 68 (2001)
  347-366.
- S. W. Churchill, A comprehensive correlating equation for laminar, assisting, forced
  and free convection, AIChE J. 23 (1977) 10-16.
- JEDEC JESD51-2A (still air), JESD51-6 (forced convection, moving air).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import PchipInterpolator

from ..errors import InputError

__all__ = [
    "AirProperties",
    "FILM_RANGE_C",
    "FilmCoefficient",
    "MAX_VELOCITY_M_S",
    "ORIENTATIONS",
    "STEFAN_BOLTZMANN",
    "air_properties",
    "forced_convection_h",
    "h_total",
    "horizontal_plate_length",
    "natural_convection_h",
    "orientation_of",
    "radiation_h",
    "rayleigh_number",
]

#: Stefan-Boltzmann constant [W/(m^2 K^4)] (CODATA 2018, exact in the 2019 SI).
STEFAN_BOLTZMANN = 5.670374419e-8
#: Standard gravity [m/s^2].
GRAVITY = 9.80665
#: Face orientations understood by :func:`natural_convection_h` (outward normal).
ORIENTATIONS = ("down", "up", "vertical")

_ZERO_C = 273.15
# Incropera et al., Table A.4, air at 1 atm: T [K], nu [1e-6 m^2/s], k [1e-3 W/(m K)],
# alpha [1e-6 m^2/s], Pr.
_TABLE_A4 = np.array(
    [
        (200.0, 7.590, 18.1, 10.3, 0.737),
        (250.0, 11.44, 22.3, 15.9, 0.720),
        (300.0, 15.89, 26.3, 22.5, 0.707),
        (350.0, 20.92, 30.0, 29.9, 0.700),
        (400.0, 26.41, 33.8, 38.3, 0.690),
        (450.0, 32.39, 37.3, 47.2, 0.686),
        (500.0, 38.79, 40.7, 56.7, 0.684),
        (550.0, 45.57, 43.9, 66.7, 0.683),
        (600.0, 52.69, 46.9, 76.9, 0.685),
    ]
)
_T_TABLE = _TABLE_A4[:, 0]
#: Film temperatures [degC] of the air-property table (Incropera Table A.4, 200-600 K):
#: the range of every correlation here.
FILM_RANGE_C = (float(_T_TABLE[0]) - _ZERO_C, float(_T_TABLE[-1]) - _ZERO_C)
_INTERP = {
    name: PchipInterpolator(_T_TABLE, _TABLE_A4[:, col] * scale)
    for name, col, scale in (("nu", 1, 1e-6), ("k", 2, 1e-3), ("alpha", 3, 1e-6), ("Pr", 4, 1.0))
}
_RE_CRIT = 5e5  # transition Reynolds number of the flat-plate correlations

#: Highest air speed accepted [m/s]: about Mach 0.3, where the incompressible flat-plate
#: correlations end (JESD51-6 wind tunnels run 0.5-5 m/s); 1e30 m/s gave h = 9e24.
MAX_VELOCITY_M_S = 100.0
_RA_UP_TURB = 1e7  # 0.54 Ra^(1/4) -> 0.15 Ra^(1/3)


class AirProperties(NamedTuple):
    """Air at 1 atm at a film temperature; each field has the shape of the input.

    Attributes
    ----------
    k
        Thermal conductivity [W/(m K)].
    nu
        Kinematic viscosity [m^2/s].
    alpha
        Thermal diffusivity [m^2/s].
    Pr
        Prandtl number [-].
    beta
        Volumetric expansion coefficient 1/T_film [1/K].
    """

    k: NDArray[np.float64]
    nu: NDArray[np.float64]
    alpha: NDArray[np.float64]
    Pr: NDArray[np.float64]
    beta: NDArray[np.float64]


def _celsius(key: str, value: ArrayLike) -> NDArray[np.float64]:
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(key, value, "temperatures in degC") from None
    if not np.all(np.isfinite(a)) or np.any(a <= -_ZERO_C):
        raise InputError(key, value, "finite temperatures above -273.15 degC")
    return a


def _positive(key: str, value: ArrayLike, allowed: str, *, zero: bool = False) -> NDArray:
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(key, value, allowed) from None
    bad = a < 0 if zero else a <= 0
    if not np.all(np.isfinite(a)) or np.any(bad):
        raise InputError(key, value, allowed)
    return a


def _speed(key: str, value: ArrayLike) -> NDArray:
    """An air speed [m/s] in [0, :data:`MAX_VELOCITY_M_S`]."""
    allowed = f"an air speed in [0, {MAX_VELOCITY_M_S:g}] m/s (incompressible flow)"
    v = _positive(key, value, allowed, zero=True)
    if np.any(v > MAX_VELOCITY_M_S):
        raise InputError(key, value, allowed)
    return v


def _emissivity(key: str, value: Any) -> NDArray[np.float64]:
    """Emissivities in [0, 1] (a number or an array of them)."""
    try:
        eps = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(key, value, "an emissivity in [0, 1]") from None
    if not np.all(np.isfinite(eps)) or np.any((eps < 0) | (eps > 1)):
        raise InputError(key, value, "an emissivity in [0, 1]")
    return eps


def air_properties(T_film_C: ArrayLike) -> AirProperties:
    """Properties of air at 1 atm at the film temperature ``T_film_C`` [degC] (any shape).

    Interpolated in Incropera's Table A.4 (200-600 K, i.e. -73 to 327 degC).

    Raises
    ------
    InputError
        NaN, below absolute zero, or outside the table.
    """
    T = _celsius("T_film_C", T_film_C) + _ZERO_C
    if np.any(T < _T_TABLE[0]) or np.any(T > _T_TABLE[-1]):
        lo, hi = float(T.min()) - _ZERO_C, float(T.max()) - _ZERO_C
        raise InputError(
            "T_film_C",
            f"{lo:.6g} degC" if lo == hi else f"{lo:.6g} to {hi:.6g} degC",
            "film temperatures from -73.15 to 326.85 degC (200-600 K)",
        )
    return AirProperties(
        k=_INTERP["k"](T),
        nu=_INTERP["nu"](T),
        alpha=_INTERP["alpha"](T),
        Pr=_INTERP["Pr"](T),
        beta=1.0 / T,
    )


def horizontal_plate_length(width_m: float, depth_m: float) -> float:
    """Characteristic length A/P [m] of a horizontal w x d rectangle (Lloyd & Moran 1974)."""
    w = float(_positive("width_m", width_m, "a width > 0 [m]"))
    d = float(_positive("depth_m", depth_m, "a depth > 0 [m]"))
    return w * d / (2 * (w + d))


def orientation_of(
    normal: ArrayLike, *, gravity: ArrayLike = (0.0, 0.0, -1.0)
) -> str | NDArray[np.str_]:
    """Orientation class of a face from its outward normal.

    Faces whose normal is within 45 degrees of up (against gravity) are ``"up"``, within
    45 degrees of down ``"down"``, the rest ``"vertical"``.

    Parameters
    ----------
    normal
        Outward normal(s), shape (3,) or (m, 3); need not be unit length.
    gravity
        Direction of gravity, shape (3,).

    Returns
    -------
    One of :data:`ORIENTATIONS`, or an array of them, shape (m,).
    """
    n = np.asarray(normal, dtype=float)
    g = np.asarray(gravity, dtype=float)
    if g.shape != (3,) or not np.all(np.isfinite(g)) or not np.linalg.norm(g) > 0:
        raise InputError("gravity", gravity, "a non-zero 3-vector")
    if n.shape[-1:] != (3,) or n.ndim > 2 or not np.all(np.isfinite(n)):
        raise InputError("normal", normal, "finite normal vectors of shape (3,) or (m, 3)")
    length = np.linalg.norm(n, axis=-1)
    if np.any(length == 0):
        raise InputError("normal", normal, "non-zero normal vectors")
    up = -(n @ g) / (length * np.linalg.norm(g))
    limit = np.sqrt(0.5)
    out = np.where(up >= limit, "up", np.where(up <= -limit, "down", "vertical"))
    return str(out) if out.ndim == 0 else out


def rayleigh_number(
    T_surface_C: ArrayLike, T_ambient_C: ArrayLike, length_m: ArrayLike
) -> NDArray[np.float64]:
    """Ra = g beta |Ts - Ta| L^3 / (nu alpha) [-], properties at the film temperature."""
    ts = _celsius("T_surface_C", T_surface_C)
    ta = _celsius("T_ambient_C", T_ambient_C)
    L = _positive("length_m", length_m, "a characteristic length > 0 [m]")
    air = air_properties(0.5 * (ts + ta))
    return GRAVITY * air.beta * np.abs(ts - ta) * L**3 / (air.nu * air.alpha)


def natural_convection_h(
    T_surface_C: ArrayLike,
    T_ambient_C: ArrayLike,
    length_m: ArrayLike,
    orientation: str,
) -> NDArray[np.float64]:
    """Natural-convection coefficient h [W/(m^2 K)] of an isothermal plate in still air.

    Parameters
    ----------
    T_surface_C
        Surface temperature(s) [degC], any shape.
    T_ambient_C
        Ambient temperature [degC], broadcastable.
    length_m
        Characteristic length [m]: height for ``"vertical"``, A/P for horizontal faces.
    orientation
        ``"vertical"``, ``"up"`` (outward normal up, e.g. a package top) or ``"down"``.
        A face warmer than the air with ``"up"`` (or cooler with ``"down"``) sheds a
        plume: 0.54 Ra^1/4 / 0.15 Ra^1/3; the opposite case is a stable layer: 0.52 Ra^1/5.

    Returns
    -------
    h with the broadcast shape of the inputs; Ts = Ta gives the correlation's Ra -> 0
    limit (0 for horizontal faces, 0.68 k/L for vertical ones).
    """
    if orientation not in ORIENTATIONS:
        raise InputError("orientation", orientation, f"one of {', '.join(ORIENTATIONS)}")
    ts = _celsius("T_surface_C", T_surface_C)
    ta = _celsius("T_ambient_C", T_ambient_C)
    L = _positive("length_m", length_m, "a characteristic length > 0 [m]")
    air = air_properties(0.5 * (ts + ta))
    ra = GRAVITY * air.beta * np.abs(ts - ta) * L**3 / (air.nu * air.alpha)
    if orientation == "vertical":
        nu = (0.825 + 0.387 * ra ** (1 / 6) / (1 + (0.492 / air.Pr) ** (9 / 16)) ** (8 / 27)) ** 2
    else:
        plume = (ts > ta) if orientation == "up" else (ts < ta)
        rising = np.where(ra <= _RA_UP_TURB, 0.54 * ra**0.25, 0.15 * np.cbrt(ra))
        nu = np.where(plume, rising, 0.52 * ra**0.2)
    return nu * air.k / L


def forced_convection_h(
    velocity_m_s: ArrayLike,
    length_m: ArrayLike,
    T_surface_C: ArrayLike,
    T_ambient_C: ArrayLike,
) -> NDArray[np.float64]:
    """Average forced-convection coefficient h [W/(m^2 K)] over a flat plate (JESD51-6).

    Laminar :math:`Nu = 0.664 Re^{1/2} Pr^{1/3}` up to Re = 5e5, mixed laminar/turbulent
    :math:`Nu = (0.037 Re^{4/5} - 871) Pr^{1/3}` above, with :math:`Re = VL/\\nu` and
    properties at the film temperature.

    Parameters
    ----------
    velocity_m_s
        Free-stream air speed [m/s], >= 0.
    length_m
        Plate length along the flow [m], > 0.
    T_surface_C, T_ambient_C
        Surface and free-stream temperatures [degC]. All arguments broadcast.
    """
    v = _speed("velocity_m_s", velocity_m_s)
    L = _positive("length_m", length_m, "a plate length > 0 [m]")
    ts = _celsius("T_surface_C", T_surface_C)
    ta = _celsius("T_ambient_C", T_ambient_C)
    air = air_properties(0.5 * (ts + ta))
    re = v * L / air.nu
    pr3 = np.cbrt(air.Pr)
    nu = np.where(re <= _RE_CRIT, 0.664 * np.sqrt(re) * pr3, (0.037 * re**0.8 - 871.0) * pr3)
    return nu * air.k / L


def radiation_h(
    T_surface_C: ArrayLike, T_ambient_C: ArrayLike, emissivity: ArrayLike
) -> NDArray[np.float64]:
    """Linearised radiation coefficient to large isothermal surroundings [W/(m^2 K)].

    .. math:: h_r = \\varepsilon\\sigma (T_s^2 + T_a^2)(T_s + T_a)

    (kelvin), so that :math:`h_r (T_s - T_a) = \\varepsilon\\sigma (T_s^4 - T_a^4)` exactly;
    view factor 1 (a small body in a large enclosure). Use it in a Picard iteration with
    the previous surface temperature.
    """
    ts = _celsius("T_surface_C", T_surface_C) + _ZERO_C
    ta = _celsius("T_ambient_C", T_ambient_C) + _ZERO_C
    eps = _emissivity("emissivity", emissivity)
    return eps * STEFAN_BOLTZMANN * (ts**2 + ta**2) * (ts + ta)


def h_total(
    T_surface_C: ArrayLike,
    T_ambient_C: ArrayLike,
    length_m: ArrayLike,
    orientation: str,
    *,
    velocity_m_s: ArrayLike = 0.0,
    emissivity: ArrayLike = 0.0,
    flow_length_m: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Convection plus radiation coefficient [W/(m^2 K)] of a face.

    Still air (``velocity_m_s`` = 0) uses :func:`natural_convection_h`. In moving air the
    forced and natural coefficients are combined as
    :math:`h = (h_F^3 + h_N^3)^{1/3}` (Churchill 1977; Incropera eq. 9.64 for assisting
    and transverse flow), so a slow stream never cools less than still air. Radiation
    (:func:`radiation_h`) is added.

    Parameters
    ----------
    T_surface_C, T_ambient_C
        Surface and ambient temperatures [degC], broadcastable.
    length_m
        Characteristic length [m] of the natural correlation, and of the forced one
        unless ``flow_length_m`` is given.
    orientation
        See :func:`natural_convection_h`.
    velocity_m_s
        Air speed [m/s], >= 0.
    emissivity
        Surface emissivity in [0, 1].
    flow_length_m
        Length along the stream [m] for the forced correlation (default ``length_m``).
    """
    h_nat = natural_convection_h(T_surface_C, T_ambient_C, length_m, orientation)
    v = _speed("velocity_m_s", velocity_m_s)
    if np.any(v > 0):
        L_flow = length_m if flow_length_m is None else flow_length_m
        h_f = forced_convection_h(v, L_flow, T_surface_C, T_ambient_C)
        h_conv = np.cbrt(h_f**3 + h_nat**3)
    else:
        h_conv = h_nat
    return h_conv + radiation_h(T_surface_C, T_ambient_C, emissivity)


@dataclass(frozen=True)
class FilmCoefficient:
    """Convection plus radiation coefficient of a boundary, per facet, for
    :func:`fea.physics.thermal.solve_thermal` (a ``SurfaceModel``).

    Called as ``h = model(T_surface_C, T_ambient_C, facets)`` with the facets' mean
    temperatures (n_f,) and a :class:`fea.physics.thermal.SurfaceFacets` (normals,
    regions); each facet gets :func:`h_total` for its orientation class
    (:func:`orientation_of` of its outward normal), its orientation's characteristic
    length and its region's emissivity. The correlations are for isothermal plates;
    applied facet by facet at the local surface temperature they are the usual
    engineering approximation of a non-isothermal surface (as FE codes apply film
    correlations).

    Attributes
    ----------
    length_m
        Characteristic length [m] for natural convection: one value, or orientation ->
        length (``"up"``, ``"down"``, ``"vertical"``; see :func:`natural_convection_h`).
    velocity_m_s
        Air speed [m/s] parallel to the surface; 0 for still air.
    flow_length_m
        Length along the stream for the forced correlation [m] (needed when
        ``velocity_m_s`` > 0).
    emissivity
        One value in [0, 1], or region -> emissivity with ``"*"`` for the other regions
        (a region not listed, with no ``"*"``, does not radiate).
    gravity
        Direction of gravity, shape (3,).
    """

    length_m: float | Mapping[str, float]
    velocity_m_s: float = 0.0
    flow_length_m: float | None = None
    emissivity: float | Mapping[str, float] = 0.0
    gravity: tuple[float, float, float] = (0.0, 0.0, -1.0)
    temperature_dependent: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        lengths = self.lengths()
        for o, L in lengths.items():
            _positive(f"length_m.{o}", L, "a characteristic length > 0 [m]")
        _speed("velocity_m_s", self.velocity_m_s)
        if self.velocity_m_s > 0:
            if self.flow_length_m is None:
                raise InputError("flow_length_m", None, "a length along the stream > 0 [m]")
            _positive("flow_length_m", self.flow_length_m, "a length along the stream > 0 [m]")
        eps = self.emissivity
        for r, e in eps.items() if isinstance(eps, Mapping) else [("*", eps)]:
            if _emissivity(f"emissivity.{r}", e).ndim:
                raise InputError(f"emissivity.{r}", e, "an emissivity in [0, 1]")

    def surface_range_C(self, T_ambient_C: float) -> tuple[float, float]:
        """Surface temperatures [degC] the model accepts in air at ``T_ambient_C``: those
        whose film temperature :math:`(T_s + T_\\infty)/2` lies in the air-property table
        (:data:`FILM_RANGE_C`), so :math:`T_s \\in [2 T_{f,min} - T_\\infty,
        2 T_{f,max} - T_\\infty]`, and above absolute zero."""
        ta = float(T_ambient_C)
        lo = max(2 * FILM_RANGE_C[0] - ta, np.nextafter(-_ZERO_C, 0.0))
        return lo, 2 * FILM_RANGE_C[1] - ta

    def lengths(self) -> dict[str, float]:
        """Orientation -> characteristic length [m]."""
        L = self.length_m
        if isinstance(L, Mapping):
            missing = [o for o in ORIENTATIONS if o not in L]
            if missing or set(L) - set(ORIENTATIONS):
                raise InputError("length_m", dict(L), f"lengths for {', '.join(ORIENTATIONS)}")
            return {
                o: float(_positive(f"length_m.{o}", L[o], "a characteristic length > 0 [m]"))
                for o in ORIENTATIONS
            }
        return dict.fromkeys(
            ORIENTATIONS, float(_positive("length_m", L, "a characteristic length > 0 [m]"))
        )

    def emissivities(self, regions: NDArray[Any]) -> NDArray[np.float64]:
        """Emissivity per facet from the region under each facet, shape (n_f,)."""
        eps = self.emissivity
        if not isinstance(eps, Mapping):
            return np.full(len(regions), float(eps))
        default = float(eps.get("*", 0.0))
        names, index = np.unique(np.asarray(regions, dtype=str), return_inverse=True)
        return np.array([float(eps.get(str(r), default)) for r in names])[index.reshape(-1)]

    def __call__(
        self, T_surface_C: NDArray[np.float64], T_ambient_C: float, facets: Any
    ) -> NDArray[np.float64]:
        """h per facet [W/(m^2 K)], shape (n_f,)."""
        ts = np.asarray(T_surface_C, dtype=float)
        orient = np.asarray(orientation_of(facets.normals, gravity=self.gravity)).reshape(-1)
        eps = self.emissivities(facets.regions)
        lengths = self.lengths()
        h = np.empty_like(ts)
        for o in ORIENTATIONS:
            m = orient == o
            if np.any(m):
                h[m] = h_total(
                    ts[m],
                    T_ambient_C,
                    lengths[o],
                    o,
                    velocity_m_s=self.velocity_m_s,
                    emissivity=eps[m],
                    flow_length_m=self.flow_length_m,
                )
        return h
