"""Materials: elastic, thermal and expansion properties, with temperature tables.

A :class:`Material` holds SI values. ``E``, ``alpha`` and ``k`` may be a constant
or a :class:`Table` of (temperature [degC], value) pairs interpolated linearly and
held constant beyond the ends. ``k`` may also be a 3-tuple, the diagonal of an
orthotropic conductivity tensor in the global x, y, z axes (homogenised boards).

CTE tables
----------
A CTE table is **instantaneous** by default: ``alpha(T) = d(eps_th)/dT``, and the
thermal strain from a stress-free temperature ``T0`` is

.. math:: \\varepsilon_{th}(T; T_0) = \\int_{T_0}^{T} \\alpha_{inst}(\\tau)\\, d\\tau .

Datasheets often give a **secant** (mean) CTE measured from a reference ``T_ref``:
``eps_th(T; T_ref) = alpha_sec(T) (T - T_ref)``. Give ``alpha_kind="secant"`` and
``alpha_ref`` for such tables. :meth:`Material.thermal_strain` is exact for both
kinds; :func:`secant_from_instantaneous` and :func:`instantaneous_from_secant`
convert tables. The thermoelastic solver uses the secant CTE relative to each
region's own stress-free temperature, :meth:`Material.secant_alpha`.
"""

from __future__ import annotations

import difflib
import math
import textwrap
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError
from ..fe.mesh import PlausibilityWarning
from .viscoelastic import MOULD_COMPOUND_VISCO, Prony, Shift, Viscoelastic

__all__ = [
    "ABSOLUTE_ZERO_C",
    "LIBRARY",
    "Material",
    "PLAUSIBLE",
    "PlausibilityWarning",
    "SOLIDUS_MAX_C",
    "Table",
    "assign",
    "describe",
    "get",
    "instantaneous_from_secant",
    "names",
    "register",
    "secant_from_instantaneous",
]


#: Absolute zero [degC]: no temperature anywhere may be below it.
ABSOLUTE_ZERO_C = -273.15


#: Range of each property over the materials of a package [SI], outside which
#: :class:`Material` warns (:class:`PlausibilityWarning`): a value out of it is almost
#: always given in another unit. E: 1 MPa (soft silicone; a modulus typed in GPa or in
#: MPa is a number below 1e6) to 1.2 TPa (diamond, 1.05 TPa). alpha: up to 1e-3 /K
#: (polymers above Tg, PDMS ~3e-4 /K; a CTE typed in ppm/K is 1 to 300). k: 5e-3
#: (aerogel; still air 0.026) to 3000 W/(m K) (diamond ~2200). rho: 10 kg/m^3 (foams;
#: g/cm^3 typed as a number is below 25) to 25 000 (osmium 22 590). cp: 50 J/(kg K)
#: (gold, lead ~129) to 20 000 (J/(g K) typed as a number is below 15).
PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "E": (1e6, 1.2e12, "Pa (GPa and MPa must be converted: 130 GPa is 130e9)"),
    "alpha": (-1e-3, 1e-3, "1/K (ppm/K must be converted: 17 ppm/K is 17e-6)"),
    "k": (5e-3, 3000.0, "W/(m K)"),
    "rho": (10.0, 25_000.0, "kg/m^3 (g/cm^3 must be converted: 2.33 g/cm^3 is 2330)"),
    "cp": (50.0, 20_000.0, "J/(kg K) (J/(g K) must be converted: 0.7 J/(g K) is 700)"),
}


def _warn_implausible(key: str, attr: str, values: Sequence[float]) -> None:
    lo, hi, unit = PLAUSIBLE[attr]
    bad = [v for v in values if not lo <= v <= hi]
    if bad:
        warnings.warn(
            PlausibilityWarning(
                f"{key}.{attr} = {bad[0]:g} is outside the range of package materials "
                f"[{lo:g}, {hi:g}] {unit}"
            ),
            stacklevel=4,
        )


@dataclass(frozen=True)
class Table:
    """A property tabulated against temperature, interpolated linearly.

    Parameters
    ----------
    T
        Strictly increasing temperatures, degC, shape (n,).
    values
        Property values in SI units, shape (n,).
    """

    T: tuple[float, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        T = tuple(float(t) for t in self.T)
        v = tuple(float(x) for x in self.values)
        object.__setattr__(self, "T", T)
        object.__setattr__(self, "values", v)
        if len(T) < 1 or len(T) != len(v):
            raise InputError("table", (T, v), "T and values of equal, non-zero length")
        if any(b <= a for a, b in zip(T, T[1:], strict=False)):
            raise InputError("table.T", T, "strictly increasing temperatures")
        if not all(math.isfinite(x) for x in T + v):
            raise InputError("table", (T, v), "finite numbers")
        if T[0] < ABSOLUTE_ZERO_C:
            raise InputError("table.T", T, f"temperatures >= {ABSOLUTE_ZERO_C} degC")

    def __call__(self, T: ArrayLike) -> NDArray[np.float64]:
        """Value at temperature(s) ``T`` [degC]; constant beyond the table ends."""
        return np.interp(np.asarray(T, dtype=float), self.T, self.values)

    def integral(self, T0: ArrayLike, T1: ArrayLike) -> NDArray[np.float64]:
        """Exact integral of the piecewise-linear table from ``T0`` to ``T1`` (broadcast)."""
        return self._antiderivative(np.asarray(T1, float)) - self._antiderivative(
            np.asarray(T0, float)
        )

    def _antiderivative(self, T: NDArray[np.float64]) -> NDArray[np.float64]:
        # F(T) = int_{T[0]}^{T} f; piecewise quadratic inside, linear outside.
        Tk = np.asarray(self.T)
        vk = np.asarray(self.values)
        if len(Tk) == 1:
            return vk[0] * (T - Tk[0])
        seg = np.concatenate([[0.0], np.cumsum(0.5 * (vk[1:] + vk[:-1]) * np.diff(Tk))])
        Tc = np.clip(T, Tk[0], Tk[-1])
        i = np.clip(np.searchsorted(Tk, Tc, side="right") - 1, 0, len(Tk) - 2)
        fc = np.interp(Tc, Tk, vk)
        inside = seg[i] + 0.5 * (vk[i] + fc) * (Tc - Tk[i])
        below = vk[0] * np.minimum(T - Tk[0], 0.0)
        above = vk[-1] * np.maximum(T - Tk[-1], 0.0)
        return inside + below + above


Prop = float | Table


def _positive_real(x: object) -> bool:
    return (
        isinstance(x, int | float | np.integer | np.floating)
        and not isinstance(x, bool)
        and math.isfinite(x)
        and x > 0
    )


def _eval(p: Prop, T: ArrayLike) -> NDArray[np.float64]:
    if isinstance(p, Table):
        return p(T)
    return np.full(np.shape(T), float(p))


#: The highest solidus a material may declare [degC] (tungsten melts at 3422 degC).
SOLIDUS_MAX_C = 3500.0


@dataclass(frozen=True)
class Material:
    """An isotropic linear-elastic, heat-conducting material (SI units).

    Parameters
    ----------
    name
        Library or user name.
    E
        Young's modulus [Pa], constant or :class:`Table` against degC.
    nu
        Poisson's ratio [-], in (-1, 0.5).
    alpha
        Coefficient of thermal expansion [1/K], constant or :class:`Table`.
    k
        Thermal conductivity [W/(m K)]: constant, :class:`Table`, or the diagonal
        ``(kx, ky, kz)`` of an orthotropic tensor.
    rho
        Density [kg/m^3].
    cp
        Specific heat [J/(kg K)].
    shrinkage
        Volumetric cure shrinkage [-] (positive = shrinks), applied as an extra
        isotropic eigenstrain ``-shrinkage/3`` for regions that cure.
    Tg
        Glass transition temperature [degC] (information; the tables carry its effect).
    alpha_kind
        ``"instantaneous"`` (default) or ``"secant"`` for a CTE table.
    alpha_ref
        Reference temperature [degC] of a secant CTE table.
    yield_strength
        0.2 % proof stress [Pa], constant or :class:`Table` against degC, for the yield
        check of metals; None where it does not apply (brittle or polymer materials).
    source
        Where the numbers come from.
    relaxation
        A :class:`~fea.physics.viscoelastic.Prony` series: the material is linear
        viscoelastic (generalised Maxwell), ``E`` is its instantaneous (glassy) modulus
        and must be a constant, and Poisson's ratio is constant unless a
        ``bulk_relaxation`` is given (then ``relaxation`` is the shear series).
        :func:`fea.solve_history` integrates it in time; :func:`fea.solve_thermoelastic`
        (one elastic state) uses the instantaneous modulus ``E``.
    shift
        Time-temperature shift of the relaxation times (:class:`~fea.physics.viscoelastic.WLF`
        or :class:`~fea.physics.viscoelastic.Arrhenius`); None: no temperature dependence.
    bulk_relaxation
        A separate Prony series for the bulk modulus, or None.
    inelastic
        An inelastic law (:class:`~fea.physics.inelastic.Plastic`,
        :class:`~fea.physics.inelastic.Anand` or :class:`~fea.physics.inelastic.Garofalo`)
        integrated by :func:`fea.solve_history` (global Newton); its elasticity is this
        material's ``E`` and ``nu`` unless the law carries its own. Not together with a
        ``relaxation`` (one region is either viscoelastic or inelastic; both kinds may be
        in one model, in different regions). :func:`fea.solve_thermoelastic` ignores it.
    solidus
        Solidus temperature [degC] of an alloy that melts within the process window (a
        solder: SAC305 217 degC); None for the others. Above it the material is (partly)
        molten: the yield check and the yield ratio leave its vertices there out (a
        molten joint has no proof stress) and the study's notes say that the region is
        molten at that state (:func:`fea.physics.post.molten_check`); its elastic model
        and stresses are unchanged.
    """

    name: str
    E: Prop
    nu: float
    alpha: Prop
    k: Prop | tuple[float, float, float]
    rho: float = 1000.0
    cp: float = 1000.0
    shrinkage: float = 0.0
    Tg: float | None = None
    alpha_kind: str = "instantaneous"
    alpha_ref: float = 25.0
    yield_strength: Prop | None = None
    source: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    relaxation: Prony | None = None
    shift: Shift | None = None
    bulk_relaxation: Prony | None = None
    inelastic: object | None = None
    solidus: float | None = None

    def __post_init__(self) -> None:
        key = f"materials.{self.name}"
        self._check_scalars(key)
        if self.solidus is not None:
            v = self.solidus
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float | np.integer | np.floating)
                or not (math.isfinite(v) and ABSOLUTE_ZERO_C <= v <= SOLIDUS_MAX_C)
            ):
                raise InputError(
                    f"{key}.solidus",
                    v,
                    f"a temperature in [{ABSOLUTE_ZERO_C}, {SOLIDUS_MAX_C}] degC",
                )
        self._check_viscoelastic(key)
        self._check_inelastic(key)
        for attr in ("nu", "rho", "cp", "shrinkage", "alpha_ref") + (
            ("Tg",) if self.Tg is not None else ()
        ):
            v = getattr(self, attr)
            if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
                raise InputError(f"{key}.{attr}", v, "a real number")
        for attr in ("Tg", "alpha_ref"):
            v = getattr(self, attr)
            if v is not None and not (math.isfinite(v) and v >= ABSOLUTE_ZERO_C):
                raise InputError(f"{key}.{attr}", v, f"a temperature >= {ABSOLUTE_ZERO_C} degC")
        for attr in ("E", "alpha"):
            v = getattr(self, attr)
            vals = v.values if isinstance(v, Table) else (v,)
            if not all(isinstance(x, int | float) and math.isfinite(x) for x in vals):
                raise InputError(f"{key}.{attr}", v, "finite numbers")
        Evals = self.E.values if isinstance(self.E, Table) else (self.E,)
        if min(Evals) <= 0:
            raise InputError(f"{key}.E", self.E, "positive values [Pa]")
        if not (-1.0 < self.nu < 0.5):
            raise InputError(f"{key}.nu", self.nu, "Poisson's ratio in (-1, 0.5)")
        kvals: Sequence[float]
        if isinstance(self.k, Table):
            kvals = self.k.values
        elif isinstance(self.k, tuple):
            if len(self.k) != 3:
                raise InputError(f"{key}.k", self.k, "a number, a table or (kx, ky, kz)")
            kvals = self.k
        else:
            kvals = (self.k,)
        if not all(_positive_real(x) for x in kvals):
            raise InputError(f"{key}.k", self.k, "positive finite conductivity [W/(m K)]")
        for attr in ("rho", "cp"):
            v = getattr(self, attr)
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"{key}.{attr}", v, "a positive finite number")
        if not (math.isfinite(self.shrinkage) and -0.1 < self.shrinkage < 0.1):
            raise InputError(f"{key}.shrinkage", self.shrinkage, "volumetric strain in (-0.1, 0.1)")
        if self.alpha_kind not in ("instantaneous", "secant"):
            raise InputError(f"{key}.alpha_kind", self.alpha_kind, "'instantaneous' or 'secant'")
        for attr, vals in (("E", Evals), ("k", kvals), ("rho", (self.rho,)), ("cp", (self.cp,))):
            _warn_implausible(key, attr, [float(v) for v in vals])
        alphas = self.alpha.values if isinstance(self.alpha, Table) else (self.alpha,)
        _warn_implausible(key, "alpha", [float(v) for v in alphas])
        if self.yield_strength is not None:
            y = self.yield_strength
            yvals = y.values if isinstance(y, Table) else (y,)
            if not all(isinstance(v, int | float) and math.isfinite(v) and v > 0 for v in yvals):
                raise InputError(f"{key}.yield_strength", y, "positive finite stresses [Pa]")

    def _check_scalars(self, key: str) -> None:
        """``E``, ``alpha`` and ``yield_strength`` given as one number: a finite real one
        (a NumPy scalar too, stored as a float), never a bool (``True`` was taken as 1 Pa)."""
        units = {"E": "[Pa]", "alpha": "[1/K]", "yield_strength": "[Pa]"}
        for attr, unit in units.items():
            v = getattr(self, attr)
            if isinstance(v, Table) or (v is None and attr == "yield_strength"):
                continue
            real = isinstance(v, int | float | np.integer | np.floating)
            if isinstance(v, bool) or not real or not math.isfinite(v):
                raise InputError(
                    f"{key}.{attr}", v, f"a finite real number {unit} or a fea Table against degC"
                )
            object.__setattr__(self, attr, float(v))

    def _check_viscoelastic(self, key: str) -> None:
        if self.relaxation is None:
            for attr in ("shift", "bulk_relaxation"):
                if getattr(self, attr) is not None:
                    raise InputError(f"{key}.{attr}", getattr(self, attr), "a relaxation too")
            return
        if not isinstance(self.relaxation, Prony):
            raise InputError(f"{key}.relaxation", self.relaxation, "a fea.Prony series")
        if self.bulk_relaxation is not None and not isinstance(self.bulk_relaxation, Prony):
            raise InputError(f"{key}.bulk_relaxation", self.bulk_relaxation, "a fea.Prony or None")
        if self.shift is not None and not isinstance(self.shift, Shift):
            raise InputError(f"{key}.shift", self.shift, "fea.WLF, fea.Arrhenius or None")
        if isinstance(self.E, Table):
            raise InputError(
                f"{key}.E",
                self.E,
                "a constant instantaneous modulus with a relaxation (the shift carries the "
                "temperature dependence)",
            )

    def _check_inelastic(self, key: str) -> None:
        if self.inelastic is None:
            return
        from .inelastic import Anand, Garofalo, Plastic

        if not isinstance(self.inelastic, Plastic | Anand | Garofalo):
            raise InputError(
                f"{key}.inelastic", self.inelastic, "fea.Plastic, fea.Anand, fea.Garofalo or None"
            )
        if self.relaxation is not None:
            raise InputError(
                f"{key}.inelastic",
                type(self.inelastic).__name__,
                "no inelastic law on a viscoelastic material (relaxation given): one region "
                "is viscoelastic or inelastic, a model may hold both in different regions",
            )

    def inelastic_law(self) -> object:
        """The material's inelastic law with this material's elasticity (``E`` constant or
        its table against degC, ``nu``) unless the law carries its own."""
        if self.inelastic is None:
            raise InputError(f"materials.{self.name}.inelastic", None, "an inelastic law")
        law = self.inelastic
        E, nu = getattr(law, "E", None), getattr(law, "nu", None)
        if E is None or nu is None:
            law = law.with_elasticity(  # type: ignore[attr-defined]
                self.E if E is None else E, self.nu if nu is None else nu
            )
        return law

    @property
    def viscoelastic(self) -> bool:
        """True when the material has a relaxation (a :class:`Prony` series)."""
        return self.relaxation is not None

    def law(self) -> Viscoelastic:
        """The :class:`~fea.physics.viscoelastic.Viscoelastic` law of a viscoelastic material."""
        if self.relaxation is None:
            raise InputError(f"materials.{self.name}.relaxation", None, "a Prony series")
        return Viscoelastic(
            float(self.E), self.nu, self.relaxation, self.shift, self.bulk_relaxation
        )

    # -- evaluation ---------------------------------------------------------------
    def youngs(self, T: ArrayLike) -> NDArray[np.float64]:
        """E [Pa] at temperature(s) ``T`` [degC]."""
        return _eval(self.E, T)

    def yield_at(self, T: ArrayLike) -> NDArray[np.float64]:
        """0.2 % proof stress [Pa] at ``T`` [degC]; inf where the material has none."""
        if self.yield_strength is None:
            return np.full(np.shape(T), np.inf)
        return _eval(self.yield_strength, T)

    def conductivity(self, T: ArrayLike) -> NDArray[np.float64]:
        """Conductivity at ``T`` [degC]: shape ``T.shape`` (isotropic) or ``T.shape + (3,)``."""
        if isinstance(self.k, tuple):
            return np.broadcast_to(np.asarray(self.k, float), np.shape(T) + (3,)).copy()
        return _eval(self.k, T)

    @property
    def anisotropic(self) -> bool:
        """True when the conductivity is a diagonal tensor."""
        return isinstance(self.k, tuple)

    @property
    def temperature_dependent_k(self) -> bool:
        """True when the conductivity depends on temperature (Picard iteration needed)."""
        return isinstance(self.k, Table) and len(set(self.k.values)) > 1

    def thermal_strain(self, T: ArrayLike, T0: ArrayLike) -> NDArray[np.float64]:
        """Free thermal strain [-] from stress-free ``T0`` to ``T`` (both degC, broadcast)."""
        T = np.asarray(T, float)
        T0 = np.asarray(T0, float)
        a = self.alpha
        if not isinstance(a, Table):
            return float(a) * (T - T0)
        if self.alpha_kind == "instantaneous":
            return a.integral(T0, T)
        ref = self.alpha_ref
        return a(T) * (T - ref) - a(T0) * (T0 - ref)

    def secant_alpha(self, T: ArrayLike, T0: ArrayLike) -> NDArray[np.float64]:
        """Secant CTE [1/K] from ``T0`` to ``T``; the instantaneous value where ``T == T0``."""
        T = np.asarray(T, float)
        T0 = np.broadcast_to(np.asarray(T0, float), T.shape)
        dT = T - T0
        small = np.abs(dT) < 1e-9
        out = np.empty(np.broadcast(T, T0).shape)
        safe = np.where(small, 1.0, dT)
        out[...] = self.thermal_strain(T, T0) / safe
        if np.any(small):
            h = 1e-3
            inst = (self.thermal_strain(T0 + h, T0) - self.thermal_strain(T0 - h, T0)) / (2 * h)
            out[small] = np.broadcast_to(inst, out.shape)[small]
        return out

    def with_(self, **changes: object) -> Material:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


def secant_from_instantaneous(
    table: Table, T_ref: float, T: Sequence[float] | None = None
) -> Table:
    """Secant CTE table relative to ``T_ref`` from an instantaneous one.

    ``alpha_sec(T) = (1 / (T - T_ref)) * int_{T_ref}^{T} alpha_inst``, sampled at ``T``
    (default: the table's own temperatures); at ``T == T_ref`` it is ``alpha_inst(T_ref)``.
    """
    Ts = np.asarray(table.T if T is None else T, float)
    m = Material("tmp", E=1.0, nu=0.0, alpha=table, k=1.0)
    return Table(tuple(Ts), tuple(m.secant_alpha(Ts, T_ref)))


def instantaneous_from_secant(
    table: Table, T_ref: float, T: Sequence[float] | None = None
) -> Table:
    """Instantaneous CTE table from a secant one measured from ``T_ref``.

    ``alpha_inst(T) = d/dT [alpha_sec(T) (T - T_ref)] = alpha_sec + (T - T_ref) alpha_sec'``;
    the derivative of the piecewise-linear secant table is taken one-sided at kinks
    (the mean of the two sides at an interior breakpoint).
    """
    Ts = np.asarray(table.T if T is None else T, float)
    Tk = np.asarray(table.T)
    vk = np.asarray(table.values)
    slopes = np.diff(vk) / np.diff(Tk) if len(Tk) > 1 else np.zeros(0)
    out = []
    for t in Ts:
        if len(Tk) == 1 or t < Tk[0] or t > Tk[-1]:
            d = 0.0
        else:
            j = np.searchsorted(Tk, t)
            if j < len(Tk) and np.isclose(Tk[j], t):
                left = slopes[j - 1] if j > 0 else None
                right = slopes[j] if j < len(slopes) else None
                sides = [s for s in (left, right) if s is not None]
                d = float(np.mean(sides))
            else:
                d = float(slopes[j - 1])
        out.append(float(table(t)) + (t - T_ref) * d)
    return Table(tuple(Ts), tuple(out))


# -- the built-in library ------------------------------------------------------------


def _silicon_k() -> Table:
    # k(T) ~ 150 W/mK (300/T_K)^1.3 fits Glassbrenner & Slack (1964) from 250 to 600 K.
    Ts = (-55.0, 0.0, 25.0, 50.0, 100.0, 150.0, 200.0, 260.0, 300.0)
    return Table(Ts, tuple(150.0 * (298.15 / (t + 273.15)) ** 1.3 for t in Ts))


LIBRARY: dict[str, Material] = {}


def register(material: Material, *, overwrite: bool = False) -> None:
    """Add ``material`` to the library under ``material.name``."""
    if material.name in LIBRARY and not overwrite:
        raise InputError(
            f"materials.{material.name}", material.name, "a name not yet in the library"
        )
    LIBRARY[material.name] = material


def names() -> list[str]:
    """Sorted names of the built-in (and registered) materials."""
    return sorted(LIBRARY)


def get(name: str) -> Material:
    """The library material called ``name``; unknown names raise :class:`InputError`."""
    try:
        return LIBRARY[name]
    except KeyError:
        close = difflib.get_close_matches(name, LIBRARY, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise InputError("material", name, f"one of {', '.join(names())}{hint}") from None


def assign(
    regions: Iterable[str], materials: Mapping[str, Material | str], key: str = "materials"
) -> dict[str, Material]:
    """The material of every region: its own entry, else the ``"*"`` entry.

    A library name given as a string is looked up (:func:`get`). An entry that names no
    region of the mesh (a typo such as ``"dye"``) and a region left without a material
    are :class:`~fea.errors.InputError` under ``key``; so is anything that is not a
    mapping of :class:`Material`.
    """
    regions = list(regions)
    if not isinstance(materials, Mapping):
        raise InputError(key, type(materials).__name__, "a dict region -> fea.Material")
    resolved: dict[str, Material] = {}
    for name, m in materials.items():
        if name != "*" and name not in regions:
            close = difflib.get_close_matches(str(name), regions, n=1, cutoff=0.6)
            tip = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(
                f"{key}.{name}", name, f"a region of the mesh ({', '.join(regions)}) or '*'{tip}"
            )
        if isinstance(m, str):
            m = get(m)
        if not isinstance(m, Material):
            raise InputError(f"{key}.{name}", type(m).__name__, "a fea.Material or a library name")
        resolved[str(name)] = m
    out = {}
    for r in regions:
        m = resolved.get(r, resolved.get("*"))
        if m is None:
            raise InputError(
                f"{key}.{r}", None, f"a Material for every region ({', '.join(regions)}) or '*'"
            )
        out[r] = m
    return out


_GPA = 1e9
_PPM = 1e-6

for _m in [
    Material(
        "copper",
        E=117 * _GPA,
        nu=0.34,
        alpha=17.0 * _PPM,
        k=390.0,
        rho=8930.0,
        cp=385.0,
        yield_strength=200e6,
        source="Electrodeposited copper: E 110-125 GPa (Lu et al., Science 304 (2004) 422; "
        "ASM Handbook vol. 2); CTE, k, rho, cp: CRC Handbook of Chemistry and Physics. "
        "0.2 % proof stress 200 MPa: as-plated copper from acid sulphate baths has tensile "
        "strengths of about 220-400 MPa and proof stresses of 150-300 MPa depending on bath "
        "and grain size (annealed wrought copper: 69 MPa, ASM Handbook vol. 2).",
    ),
    Material(
        "nickel",
        E=200 * _GPA,
        nu=0.31,
        alpha=13.4 * _PPM,
        k=90.7,
        rho=8900.0,
        cp=444.0,
        yield_strength=148e6,
        source="ASM Handbook vol. 2, Properties of pure metals; CRC Handbook (k, cp). "
        "0.2 % proof stress 148 MPa: annealed commercially pure nickel (Nickel 200, ASM "
        "Handbook vol. 2); electroformed sulphamate nickel is stronger, 350-550 MPa.",
    ),
    Material(
        "gold",
        E=79 * _GPA,
        nu=0.42,
        alpha=14.2 * _PPM,
        k=317.0,
        rho=19300.0,
        cp=129.0,
        source="ASM Handbook vol. 2; CRC Handbook of Chemistry and Physics. No proof stress: "
        "gold deposits range from soft (tens of MPa) to hard (hundreds of MPa) with the bath; "
        "give yield_MPa in a study's [materials.library] to check it.",
    ),
    Material(
        "silicon",
        E=130 * _GPA,
        nu=0.28,
        alpha=2.6 * _PPM,
        k=_silicon_k(),
        rho=2329.0,
        cp=705.0,
        source="E, nu: isotropic approximation, Hopcroft et al., J. MEMS 19 (2010) 229; "
        "CTE: Okada & Tokumaru, J. Appl. Phys. 56 (1984) 314; k(T): Glassbrenner & Slack, "
        "Phys. Rev. 134 (1964) A1058.",
    ),
    Material(
        "polyimide",
        E=3.2 * _GPA,
        nu=0.34,
        alpha=30.0 * _PPM,
        k=0.2,
        rho=1420.0,
        cp=1090.0,
        source="Polyimide film/coating datasheets (DuPont Kapton HN; HD MicroSystems PI-2600 "
        "series): E 2.5-3.2 GPa, CTE 20-40 ppm/K, k 0.12-0.2 W/mK.",
    ),
    Material(
        "mold_compound",
        nu=0.30,
        k=0.9,
        rho=1950.0,
        cp=900.0,
        Tg=130.0,
        shrinkage=0.003,
        E=Table((-55.0, 120.0, 140.0, 300.0), (22 * _GPA, 22 * _GPA, 1.5 * _GPA, 1.5 * _GPA)),
        alpha=Table((-55.0, 125.0, 135.0, 300.0), (9 * _PPM, 9 * _PPM, 35 * _PPM, 35 * _PPM)),
        source="Silica-filled epoxy mold compound, typical datasheet values (e.g. Sumitomo "
        "EME-G700 series): E 22 GPa below Tg, ~1.5 GPa above; CTE a1 9, a2 35 ppm/K "
        "(instantaneous); Tg 130 C; k 0.8-1.0; cure shrinkage ~0.3 % volumetric.",
    ),
    Material(
        "mold_compound_high_cte",
        nu=0.30,
        k=0.7,
        rho=1850.0,
        cp=950.0,
        Tg=150.0,
        E=Table((-55.0, 140.0, 160.0, 300.0), (16 * _GPA, 16 * _GPA, 1.0 * _GPA, 1.0 * _GPA)),
        alpha=Table((-55.0, 145.0, 155.0, 300.0), (15 * _PPM, 15 * _PPM, 55 * _PPM, 55 * _PPM)),
        source="Lower-filler epoxy mold compound, typical datasheet values: E 16/1 GPa, "
        "CTE 15/55 ppm/K, Tg 150 C.",
    ),
    Material(
        "mold_compound_visco",
        nu=MOULD_COMPOUND_VISCO["nu"],
        k=0.9,
        rho=1950.0,
        cp=900.0,
        Tg=130.0,
        shrinkage=0.003,
        E=MOULD_COMPOUND_VISCO["E0"],
        alpha=Table((-55.0, 125.0, 135.0, 300.0), (9 * _PPM, 9 * _PPM, 35 * _PPM, 35 * _PPM)),
        relaxation=MOULD_COMPOUND_VISCO["relaxation"],
        shift=MOULD_COMPOUND_VISCO["shift"],
        source="'mold_compound' made linear viscoelastic: E = 22 GPa is the instantaneous "
        "(glassy) modulus, 1.5 GPa the long-term one (g_inf = 0.068); an eight-term Prony "
        "series (tau 1e-3 to 1e4 s at Tg = 130 C, one per decade) and the WLF shift with the "
        "'universal' C1 = 17.44, C2 = 51.6 K referred to Tg (Williams, Landel & Ferry, J. Am. "
        "Chem. Soc. 77 (1955) 3701). REPRESENTATIVE values, not a published fit of one "
        "compound (see fea.physics.viscoelastic.MOULD_COMPOUND_VISCO): replace them with a "
        "measured Prony/WLF table for quantitative work.",
    ),
    Material(
        "die_attach",
        E=0.05 * _GPA,
        nu=0.47,
        alpha=200.0 * _PPM,
        k=0.2,
        rho=1100.0,
        cp=1200.0,
        source="Silicone elastomer die attach (e.g. Dow DA-6534 class): E 10-100 MPa, "
        "CTE 150-300 ppm/K, k ~0.2 W/mK.",
    ),
    Material(
        "die_attach_epoxy",
        E=3.5 * _GPA,
        nu=0.35,
        alpha=45.0 * _PPM,
        k=1.5,
        rho=3000.0,
        cp=800.0,
        source="Silver-filled epoxy die-attach adhesive, typical datasheet values "
        "(e.g. Henkel Ablestik 84-1 class).",
    ),
    Material(
        "sac305",
        E=50 * _GPA,
        nu=0.36,
        alpha=21.0 * _PPM,
        k=58.0,
        rho=7400.0,
        cp=232.0,
        yield_strength=35e6,
        solidus=217.0,
        source="Sn-3.0Ag-0.5Cu: NIST database for solder properties (Siewert et al., 2002); "
        "0.2 % proof stress about 30-45 MPa at 25 C and moderate strain rates (same source), "
        "35 MPa taken; solder creeps at these stresses, so treat the check as an indicator. "
        "Solidus 217 C, liquidus about 220 C (same source): molten at a 260 C reflow peak.",
    ),
    Material(
        "fr4",
        E=22 * _GPA,
        nu=0.15,
        alpha=16.0 * _PPM,
        k=(0.8, 0.8, 0.3),
        rho=1900.0,
        cp=1150.0,
        source="FR-4 laminate, in-plane values (IPC-4101 /21 class): E ~22 GPa, CTE 14-17 "
        "ppm/K in plane; k 0.8 in plane, 0.3 through thickness.",
    ),
    Material(
        "board_2s2p",
        E=24 * _GPA,
        nu=0.15,
        alpha=16.0 * _PPM,
        k=(30.0, 30.0, 0.8),
        rho=2300.0,
        cp=1000.0,
        source="JESD51-7 high-effective-conductivity (2s2p) board homogenised: k in-plane "
        "30, through 0.8 W/mK are representative values, not derived from the stack. The "
        "parallel/series rule of the JESD51-7 stack itself (2 oz signal layers at 10 % "
        "trace coverage, two solid 1 oz planes, FR-4 0.8/0.3 W/mK) gives 21.2 and 0.35 W/mK "
        "([geometry.board] stack = 'jesd51_7'); with those the baseline's Tj is 106.3 "
        "instead of 96.8 C (uniform h, the stand-off gap not cooled). One homogenised "
        "block cannot hold both the planes' spreading near the surface and the laminate's "
        "series resistance: use the stack, or your board's measured values, for "
        "quantitative work.",
    ),
    Material(
        "molybdenum",
        E=320 * _GPA,
        nu=0.31,
        alpha=4.8 * _PPM,
        k=138.0,
        rho=10220.0,
        cp=251.0,
        yield_strength=415e6,
        source="ASM Handbook vol. 2; CRC Handbook of Chemistry and Physics. 0.2 % proof "
        "stress 415 MPa: stress-relieved molybdenum sheet, 415-550 MPa (ASM Handbook vol. 2).",
    ),
    Material(
        "stainless_steel",
        E=193 * _GPA,
        nu=0.29,
        alpha=17.3 * _PPM,
        k=16.2,
        rho=8000.0,
        cp=500.0,
        yield_strength=215e6,
        source="AISI 304 annealed: ASM Handbook vol. 1; MatWeb. 0.2 % proof stress 215 MPa "
        "(ASM Handbook vol. 1; ASTM A240 minimum 205 MPa).",
    ),
    Material(
        "brass",
        E=110 * _GPA,
        nu=0.34,
        alpha=20.0 * _PPM,
        k=120.0,
        rho=8530.0,
        cp=375.0,
        yield_strength=360e6,
        source="Cartridge brass C26000: ASM Handbook vol. 2. 0.2 % proof stress 360 MPa: "
        "half-hard temper H02 (annealed 75-150 MPa, same source).",
    ),
    Material(
        "chromium",
        E=279 * _GPA,
        nu=0.21,
        alpha=4.9 * _PPM,
        k=93.9,
        rho=7190.0,
        cp=449.0,
        source="ASM Handbook vol. 2; CRC Handbook of Chemistry and Physics. Brittle at room "
        "temperature: no proof stress, no yield check.",
    ),
]:
    register(_m)

PropertyFunc = Callable[[ArrayLike], NDArray[np.float64]]


def _text(p: Prop | tuple[float, float, float] | None, scale: float, fmt: str = ".4g") -> str:
    """A property in display units: ``117``, ``22 -> 1.5`` (a table) or ``30/30/0.8``."""
    if p is None:
        return "-"
    if isinstance(p, Table):
        lo, hi = p.values[0] * scale, p.values[-1] * scale
        return f"{lo:{fmt}}" if lo == hi else f"{lo:{fmt}}->{hi:{fmt}}"
    if isinstance(p, tuple):
        return "/".join(f"{v * scale:{fmt}}" for v in p)
    return f"{float(p) * scale:{fmt}}"


def describe(name: str | None = None) -> str:
    """The library as text: one row per material (E GPa, nu, CTE ppm/K, k W/(m K),
    rho kg/m^3, cp J/(kg K), Tg degC, 0.2 % proof stress MPa) and its sources; with
    ``name``, that material in full, temperature tables included."""
    if name is not None:
        m = get(name)
        rows = [
            ("E", m.E, 1e-9, "GPa"),
            ("nu", m.nu, 1.0, "-"),
            ("alpha", m.alpha, 1e6, f"ppm/K ({m.alpha_kind})"),
            ("k", m.k, 1.0, "W/(m K)"),
            ("rho", m.rho, 1.0, "kg/m^3"),
            ("cp", m.cp, 1.0, "J/(kg K)"),
            ("Tg", m.Tg, 1.0, "°C"),
            ("yield (0.2 % proof)", m.yield_strength, 1e-6, "MPa"),
            ("cure shrinkage", m.shrinkage * 100, 1.0, "% volume"),
        ]
        lines = [m.name]
        for label, p, scale, unit in rows:
            lines.append(f"  {label:<20} {_text(p, scale):>12} {unit}")
            if isinstance(p, Table):
                pts = ", ".join(
                    f"{t:g} C: {v * scale:.4g}" for t, v in zip(p.T, p.values, strict=True)
                )
                lines.append(f"  {'':<20} table {pts}")
        lines += textwrap.wrap(
            f"source: {m.source}", 100, initial_indent="  ", subsequent_indent="    "
        )
        return "\n".join(lines)
    head = (
        f"{'material':<24} {'E GPa':>10} {'nu':>5} {'CTE ppm/K':>10} {'k W/mK':>12} "
        f"{'rho':>6} {'cp':>5} {'Tg C':>5} {'yield MPa':>9}"
    )
    lines = [head, "-" * len(head)]
    for n in names():
        m = LIBRARY[n]
        lines.append(
            f"{n:<24} {_text(m.E, 1e-9):>10} {m.nu:>5.2f} {_text(m.alpha, 1e6):>10} "
            f"{_text(m.k, 1.0):>12} {m.rho:>6.0f} {m.cp:>5.0f} {_text(m.Tg, 1.0):>5} "
            f"{_text(m.yield_strength, 1e-6):>9}"
        )
    lines.append("")
    lines.append("a->b: a temperature table from its first to its last value (fea materials NAME)")
    lines.append("sources:")
    for n in names():
        lines += textwrap.wrap(
            f"{n}: {LIBRARY[n].source}", 100, initial_indent="  ", subsequent_indent="    "
        )
    return "\n".join(lines)
