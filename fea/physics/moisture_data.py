"""Moisture properties of package materials: diffusivity, solubility, swelling.

A :class:`MoistureProperties` holds, per material (SI units):

.. math:: D(T) = D_0 \\exp\\!\\left(-\\frac{E_a}{R T}\\right), \\qquad
          C_{sat}(T, \\mathrm{RH}) = S(T)\\, \\mathrm{RH}\\, p_{sat}(T),

.. math:: S(T) = S_{ref} \\exp\\left(\\frac{E_s}{R}\\left(\\frac1T - \\frac1{T_r}\\right)\\right)

(Arrhenius diffusivity; Henry's law with an Arrhenius solubility ``S`` [kg/(m^3 Pa)], the
saturated concentration ``Csat_kg_per_m3`` measured at ``T_ref_C`` (``T_r``) / ``RH_ref``
fixing ``S_ref``; Galloway and Miles, IEEE Trans. CPMT-A 20(3), 1997), and the coefficient of
moisture expansion ``CME`` [m^3/kg]: the free hygroscopic strain is ``CME * C``.
Materials that take no water (silicon, copper, solder, the metals) are ``impermeable``:
their elements are left out of the diffusion domain (:func:`fea.physics.moisture.solve_moisture`).

The built-in values
-------------------
The polymer entries are **representative** values, not taken from one table: they lie
inside the ranges collected in X. J. Fan and E. Suhir (eds.), *Moisture Sensitivity of
Plastic Packages of IC Devices*, Springer 2010 (EMC: D(85 degC) of order 1e-12 to
1e-11 m^2/s, Ea 0.3-0.6 eV, Csat(85/85) of order 0.2-0.5 wt %, CME of order 1e-4 to
4e-4 m^3/kg). The polyimide film's solubility and swelling come from the DuPont Kapton
HN datasheet (1.8 wt % water at 23 degC / 50 %RH, coefficient of hygroscopic expansion
20 ppm per %RH, density 1420 kg/m^3); its diffusivity is representative. For design work
measure the material (JESD22-A120: sorption of thin plates at two or three temperatures)
and register the values with :func:`register`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError
from ..validate import check_range

__all__ = [
    "DEFAULT_REGION_MOISTURE",
    "MATERIAL_MOISTURE",
    "MOISTURE_LIBRARY",
    "MoistureProperties",
    "R_GAS",
    "WATER_C",
    "check_water_C",
    "get",
    "names",
    "p_sat",
    "register",
]

#: Molar gas constant [J/(mol K)].
R_GAS = 8.314462618
#: 0 degC in K.
KELVIN = 273.15
#: Temperatures [degC] of the saturation line of water (IAPWS-IF97 region 4: the triple
#: point to the critical point), where ``p_sat`` and so ``C_sat`` are defined.
WATER_C = (0.0, 373.946)

# IAPWS-IF97 region 4 (saturation line) coefficients n1..n10 (IAPWS R7-97(2012), Table 34)
_N = (
    0.11670521452767e4,
    -0.72421316703206e6,
    -0.17073846940092e2,
    0.12020824702470e5,
    -0.32325550322333e7,
    0.14915108613530e2,
    -0.48232657361591e4,
    0.40511340542057e6,
    -0.23855557567849,
    0.65017534844798e3,
)


def p_sat(T_C: ArrayLike) -> NDArray[np.float64]:
    """Saturation pressure of water [Pa] at ``T_C`` [degC] (IAPWS-IF97 eq. 30, valid from
    0 to 373.946 degC; clipped to that range). Shape of ``T_C``."""
    T = np.clip(np.asarray(T_C, dtype=float), *WATER_C) + KELVIN
    n = _N
    th = T + n[8] / (T - n[9])
    A = th * th + n[0] * th + n[1]
    B = n[2] * th * th + n[3] * th + n[4]
    C = n[5] * th * th + n[6] * th + n[7]
    return 1e6 * (2.0 * C / (-B + np.sqrt(B * B - 4.0 * A * C))) ** 4


def check_water_C(key: str, value: object) -> float:
    """``value`` as a temperature [degC] on water's saturation line (:data:`WATER_C`), where
    ``p_sat`` (and the wetness ``C / (S p_sat(T))``) is defined and would be clipped
    outside it; an :class:`~fea.errors.InputError` naming ``key`` otherwise."""
    return check_range(key, value, WATER_C[0], WATER_C[1], unit="°C (water's saturation line)")


@dataclass(frozen=True)
class MoistureProperties:
    """Moisture diffusivity, solubility and swelling of one material (SI units).

    Parameters
    ----------
    name
        Library or user name.
    D0_m2_per_s
        Pre-exponential factor of the diffusivity [m^2/s], > 0 (0 when impermeable).
    Ea_J_per_mol
        Activation energy of the diffusivity [J/mol], in [0, 200e3].
    Csat_kg_per_m3
        Saturated concentration [kg/m^3] at ``T_ref_C`` and ``RH_ref``, > 0 (0 when
        impermeable).
    T_ref_C, RH_ref
        The condition ``Csat_kg_per_m3`` was measured at [degC], on water's saturation line
        [0, 373.946] degC, and [-] in (0, 1].
    Es_J_per_mol
        Heat of solution of the solubility ``S(T)`` [J/mol], in [-200e3, 200e3]; positive
        when the solubility falls as the temperature rises (the usual case in epoxies, of
        order 40-45 kJ/mol, the heat of condensation of water; the library's 40e3). The
        default 0 keeps ``S`` constant, so ``C_sat`` at a fixed RH follows ``p_sat(T)``
        alone (x0.073 from 85 to 30 degC, x81 from 85 to 260 degC): give the measured
        value (:func:`fea.physics.moisture.solve_moisture` warns of a 0 away from
        ``T_ref_C``).
    CME_m3_per_kg
        Coefficient of moisture expansion [m^3/kg] (free strain per kg/m^3), >= 0.
    impermeable
        True for materials that take no water (their elements are left out).
    source
        Where the numbers come from.
    """

    name: str
    D0_m2_per_s: float
    Ea_J_per_mol: float
    Csat_kg_per_m3: float
    T_ref_C: float = 85.0
    RH_ref: float = 0.85
    Es_J_per_mol: float = 0.0
    CME_m3_per_kg: float = 0.0
    impermeable: bool = False
    source: str = ""

    def __post_init__(self) -> None:
        key = f"moisture.{self.name}"
        if not isinstance(self.impermeable, bool):
            raise InputError(f"{key}.impermeable", self.impermeable, "True or False")
        lo = 0.0 if self.impermeable else None
        check_range(f"{key}.D0_m2_per_s", self.D0_m2_per_s, 0.0, 1.0, lo_open=lo is None)
        check_range(f"{key}.Ea_J_per_mol", self.Ea_J_per_mol, 0.0, 200e3, unit="J/mol")
        check_range(f"{key}.Csat_kg_per_m3", self.Csat_kg_per_m3, 0.0, 500.0, lo_open=lo is None)
        check_water_C(f"{key}.T_ref_C", self.T_ref_C)
        check_range(f"{key}.RH_ref", self.RH_ref, 0.0, 1.0, lo_open=True)
        check_range(f"{key}.Es_J_per_mol", self.Es_J_per_mol, -200e3, 200e3, unit="J/mol")
        check_range(f"{key}.CME_m3_per_kg", self.CME_m3_per_kg, 0.0, 1e-2, unit="m^3/kg")
        if self.impermeable and (self.D0_m2_per_s or self.Csat_kg_per_m3 or self.CME_m3_per_kg):
            raise InputError(
                f"{key}.impermeable", True, "D0, Csat and CME all 0 for an impermeable material"
            )

    @classmethod
    def from_reference(
        cls, name: str, D_ref_m2_per_s: float, Ea_J_per_mol: float, **kw: object
    ) -> MoistureProperties:
        """Properties from the diffusivity at ``T_ref_C`` (default 85 degC) instead of D0."""
        T_ref = check_water_C(f"moisture.{name}.T_ref_C", kw.get("T_ref_C", 85.0))
        D = check_range(f"moisture.{name}.D_ref_m2_per_s", D_ref_m2_per_s, 0.0, 1.0, lo_open=True)
        # checked before exp(): a huge Ea overflowed there instead of naming the key
        key = f"moisture.{name}.Ea_J_per_mol"
        Ea = check_range(key, Ea_J_per_mol, 0.0, 200e3, unit="J/mol")
        D0 = D * math.exp(Ea / (R_GAS * (T_ref + KELVIN)))
        return cls(name, D0, Ea, **kw)  # type: ignore[arg-type]

    @classmethod
    def sealed(cls, name: str, source: str = "") -> MoistureProperties:
        """An impermeable material (no diffusion, no uptake, no swelling)."""
        return cls(name, 0.0, 0.0, 0.0, impermeable=True, source=source)

    # -- evaluation ---------------------------------------------------------------------
    def diffusivity(self, T_C: ArrayLike) -> NDArray[np.float64]:
        """D [m^2/s] at ``T_C`` [degC]."""
        T = np.asarray(T_C, dtype=float) + KELVIN
        return self.D0_m2_per_s * np.exp(-self.Ea_J_per_mol / (R_GAS * T))

    def solubility(self, T_C: ArrayLike) -> NDArray[np.float64]:
        """Henry's-law solubility S [kg/(m^3 Pa)] at ``T_C`` [degC]."""
        T = np.asarray(T_C, dtype=float) + KELVIN
        Tr = self.T_ref_C + KELVIN
        S_ref = self.Csat_kg_per_m3 / (self.RH_ref * float(p_sat(self.T_ref_C)))
        return S_ref * np.exp(self.Es_J_per_mol / R_GAS * (1.0 / T - 1.0 / Tr))

    def csat(self, T_C: ArrayLike, RH: ArrayLike = 1.0) -> NDArray[np.float64]:
        """Saturated concentration [kg/m^3] in air at ``T_C`` [degC] and ``RH`` [-]
        (``RH = 1``: the wetness denominator of :mod:`fea.physics.moisture`); broadcast
        shape of the two.

        ``T_C`` on water's saturation line (:data:`WATER_C`, where ``p_sat`` is defined:
        -20 degC was taken as 0 degC, 260 degC given in K as 373.946 degC) and ``RH`` a
        fraction in [0, 1] (85 for 85 %RH gave 100 times the water); an
        :class:`~fea.errors.InputError` naming ``moisture.<name>.csat.T_C`` / ``.RH``
        otherwise."""
        T = np.asarray(T_C, dtype=float)
        rh = np.asarray(RH, dtype=float)
        key = f"moisture.{self.name}.csat"
        bad = ~((T >= WATER_C[0]) & (T <= WATER_C[1]))
        if np.any(bad):
            v = float(T[bad].flat[0]) if T.ndim else float(T)
            check_water_C(f"{key}.T_C", v)
        bad = ~((rh >= 0.0) & (rh <= 1.0))
        if np.any(bad):
            v = float(rh[bad].flat[0]) if rh.ndim else float(rh)
            hint = f" (a fraction: {v / 100:g} for {v:g} %RH)" if 1.0 < v <= 100.0 else ""
            raise InputError(f"{key}.RH", v, f"a relative humidity in [0, 1]{hint}")
        return self.solubility(T) * rh * p_sat(T)


def _kapton() -> MoistureProperties:
    rho = 1420.0  # kg/m^3, Kapton HN datasheet
    c50 = 0.018 * rho  # 1.8 wt % at 23 degC / 50 %RH
    che = 20e-6  # strain per %RH
    return MoistureProperties.from_reference(
        "polyimide",
        3.0e-13,
        35e3,
        Csat_kg_per_m3=c50,
        T_ref_C=23.0,
        RH_ref=0.5,
        Es_J_per_mol=40e3,
        CME_m3_per_kg=che / (c50 / 50.0),
        source=(
            "DuPont Kapton HN datasheet (water 1.8 wt % at 23 degC/50 %RH, CHE 20 ppm/%RH, "
            "1420 kg/m^3); D(23 degC) 3e-13 m^2/s and Ea 35 kJ/mol representative"
        ),
    )


_REPRESENTATIVE = (
    "representative value within the ranges of Fan and Suhir (eds.), Moisture Sensitivity of "
    "Plastic Packages of IC Devices, Springer 2010; measure per JESD22-A120 for design work"
)

MOISTURE_LIBRARY: dict[str, MoistureProperties] = {
    "mold_compound": MoistureProperties.from_reference(
        "mold_compound",
        3.0e-12,
        45e3,
        Csat_kg_per_m3=6.0,
        Es_J_per_mol=40e3,
        CME_m3_per_kg=2.0e-4,
        source=_REPRESENTATIVE,
    ),
    "polyimide": _kapton(),
    "die_attach_epoxy": MoistureProperties.from_reference(
        "die_attach_epoxy",
        1.0e-11,
        40e3,
        Csat_kg_per_m3=10.0,
        Es_J_per_mol=40e3,
        CME_m3_per_kg=3.0e-4,
        source=_REPRESENTATIVE,
    ),
    "underfill": MoistureProperties.from_reference(
        "underfill",
        2.0e-12,
        50e3,
        Csat_kg_per_m3=7.0,
        Es_J_per_mol=40e3,
        CME_m3_per_kg=2.5e-4,
        source=_REPRESENTATIVE,
    ),
    "silicon": MoistureProperties.sealed("silicon", "takes no water"),
    "copper": MoistureProperties.sealed("copper", "takes no water"),
    "solder": MoistureProperties.sealed("solder", "takes no water (SAC305)"),
    "metal": MoistureProperties.sealed("metal", "takes no water (Ni, Au, Mo, steel)"),
}

#: Moisture material of the shielded package's regions (``fea.package`` names) where
#: ``[moisture.materials]`` names none and the region's material is not one of
#: :data:`MATERIAL_MOISTURE` (the one table of these defaults).
DEFAULT_REGION_MOISTURE: dict[str, str] = {
    "shell": "copper",
    "dielectric": "polyimide",
    "die": "silicon",
    "die_attach": "die_attach_epoxy",
    "encapsulant": "mold_compound",
    "cover": "mold_compound",
    "underfill": "underfill",
    "terminals": "solder",
    "rim_bond": "solder",
    "vias": "copper",
    "mandrel": "metal",
}


#: Moisture material of a region made of a library material (``fea.materials`` names): a
#: region takes its material's before the region's default (a die attach of solder takes
#: no water, whatever the region's default says). Materials not listed (a silicone die
#: attach, boards, user materials without a listed ``base``) keep the region's default.
MATERIAL_MOISTURE: dict[str, str] = {
    "mold_compound": "mold_compound",
    "mold_compound_high_cte": "mold_compound",
    "mold_compound_visco": "mold_compound",
    "polyimide": "polyimide",
    "die_attach_epoxy": "die_attach_epoxy",
    "silicon": "silicon",
    "copper": "copper",
    "sac305": "solder",
    **dict.fromkeys(
        ("nickel", "gold", "molybdenum", "stainless_steel", "brass", "chromium"), "metal"
    ),
}


def names() -> list[str]:
    """Names in :data:`MOISTURE_LIBRARY`, sorted."""
    return sorted(MOISTURE_LIBRARY)


def get(name: str) -> MoistureProperties:
    """A library entry by name; :class:`~fea.errors.InputError` listing the names."""
    if not isinstance(name, str) or name not in MOISTURE_LIBRARY:
        raise InputError("moisture.material", name, f"one of {', '.join(names())}")
    return MOISTURE_LIBRARY[name]


def register(props: MoistureProperties, name: str | None = None) -> None:
    """Add (or replace) a library entry under ``name`` (default ``props.name``)."""
    if not isinstance(props, MoistureProperties):
        raise InputError("moisture.register", type(props).__name__, "a MoistureProperties")
    key = name or props.name
    MOISTURE_LIBRARY[key] = props if key == props.name else replace(props, name=key)
