"""Moisture diffusion in packages by the wetness formulation, solved as heat conduction.

Each material holds water as ``C = S(T) p`` (Henry's law, ``p`` the partial pressure of
water in it), so ``C`` jumps where materials meet while ``p`` does not. The wetness

.. math:: w = \\frac{C}{C_{sat}(T)}, \\qquad C_{sat}(T) = S(T)\\, p_{sat}(T)

(the concentration over the material's saturated concentration at 100 %RH; Wong, Teo and
Lim, IEEE Trans. CPMT-A 21(3), 1998; Galloway and Miles, IEEE Trans. CPMT-A 20(3), 1997)
is ``p / p_sat(T)``, a local relative humidity: continuous across interfaces at one
temperature, ``RH`` on a face exposed to air at that humidity. Fick's law becomes

.. math:: C_{sat}\\,\\dot w = \\nabla\\cdot(D\\, C_{sat} \\nabla w),

the heat equation with ``rho cp := C_sat``, ``k := D C_sat`` and ``T := w``, which
:func:`fea.physics.thermal.solve_thermal` solves (fixed values for the exposed faces,
zero flux elsewhere). The numbers handed to it are scaled so that they look like an
ordinary solid's (:func:`pseudo_materials`): ``k = (D/D_ref)(C_sat/C_ref)`` W/(m K),
``rho cp = 1e6 C_sat/C_ref`` J/(m^3 K) and the time ``s = t D_ref / A0`` with
``A0 = 1e-6`` m^2/s, ``D_ref`` and ``C_ref`` the geometric means over the permeable
materials at the stage's temperature; the mesh keeps its lengths.

The package's temperature is taken uniform and a function of time (a soak, an oven
profile). A temperature profile is integrated piece by piece at constant temperature
(``D`` and ``C_sat`` of each piece at its mid temperature), restarting each piece from
the last field: the concentration is carried over, not the wetness (node by node on a linear
mesh, ``w m_old / m_new`` with the lumped capacities of the two pieces; on a quadratic one
``M_new w_new = M_old w_old`` with their capacity matrices; both conserve the water).

Impermeable materials (silicon, metals, solder) are left out of the diffusion domain:
their faces are zero-flux, their concentration zero.

On a quadratic mesh the P2 stiffness and capacity have positive off-diagonal entries,
and the short backward-Euler steps of a reflow concentrate water above anything the body
was soaked with (6.6-6.9 kg/m^3 where it held 6.0; docs/moisture.md, Limitations).
``split_p2=True`` solves instead on the linear mesh of its nodes (each tetrahedron split
into 8 through its mid-nodes, :func:`fea.fe.refine.refine_p2`), its time steps with the
lumped capacity a linear mesh takes: the wetness is still one value per node of the
quadratic mesh, the field between them linear on the 8 children (the concentration at
quadrature points, element and facet means are those of that field).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from ..errors import InputError
from ..fe import forms
from ..fe.mesh import region_interfaces
from ..fe.refine import child_nodes, facet_children, refine_p2, refined_weights
from ..fe.spaces import space
from ..fe.submesh import submesh
from ..solvers import solve
from ..solvers.base import naming_solve
from ..validate import check_count, check_range, check_temperature_C
from .materials import Material, assign
from .moisture_data import KELVIN, R_GAS, WATER_C, MoistureProperties, check_water_C, get, p_sat
from .thermal import MAX_STEPS as THERMAL_MAX_STEPS
from .thermal import Transient, solve_thermal

__all__ = [
    "InterfacePressure",
    "MAX_PIECES",
    "MSL_PRESETS",
    "MoistureResult",
    "REFLOW_PRESETS",
    "Soak",
    "TemperatureProfile",
    "WATER_C",
    "classification_temperature_C",
    "hygro_equivalent",
    "hygroscopic_strain",
    "interface_vapour_pressure",
    "moisture_metrics",
    "moisture_stages",
    "pseudo_materials",
    "reflow_resolution",
    "soak_resolution",
    "solve_moisture",
    "unknown_preset",
]

#: Pseudo diffusivity [m^2/s] the reference material is given in the conduction solve.
A0 = 1e-6
#: Most constant-temperature pieces of one profile (each is a conduction solve, 0.1-2 s on
#: a package mesh: 200 times the 50 of the J-STD-020 preset).
MAX_PIECES = 10_000
#: Largest local error [-] of the wetness per adaptive backward-Euler step of a sealed soak.
_SEALED_TOL = 1e-3
#: Molar mass of water [kg/mol].
M_WATER = 0.018015


@dataclass(frozen=True)
class Soak:
    """Constant ambient: temperature, relative humidity and duration.

    Parameters
    ----------
    T_C
        Temperature [degC].
    RH
        Relative humidity [-] in [0, 1] (0 is a dry bake).
    hours
        Duration [h] > 0; ``math.inf`` for the steady state (equilibrium with the
        exposed faces' values).
    name
        Label in results.
    """

    T_C: float
    RH: float
    hours: float
    name: str = "soak"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InputError("soak.name", self.name, "a non-empty string")
        check_water_C(f"{self.name}.T_C", self.T_C)
        _check_rh(f"{self.name}.RH", self.RH)
        if not self.hours == math.inf:
            check_range(f"{self.name}.hours", self.hours, 0.0, 1e6, lo_open=True, unit="h")


@dataclass(frozen=True)
class TemperatureProfile:
    """A temperature-time profile (oven, reflow) in air of a given water vapour pressure.

    Parameters
    ----------
    points
        ``[(t [s], T [degC]), ...]``, times increasing from 0, linear in between.
    ambient_C, ambient_RH
        The air's water: its vapour pressure is ``ambient_RH * p_sat(ambient_C)``; the
        exposed faces' wetness at oven temperature T is that over ``p_sat(T)`` (at most 1).
    max_step_K, max_step_s
        Largest temperature change [K] and duration [s] of one constant-temperature piece.
    name
        Label in results.
    """

    points: tuple[tuple[float, float], ...]
    ambient_C: float = 25.0
    ambient_RH: float = 0.6
    max_step_K: float = 10.0
    max_step_s: float = 30.0
    name: str = "profile"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InputError("profile.name", self.name, "a non-empty string")
        key = f"{self.name}.points"
        try:
            a = np.asarray(self.points, dtype=float)
        except (TypeError, ValueError):
            raise InputError(key, self.points, "(t [s], T [degC]) pairs") from None
        if a.ndim != 2 or a.shape[1] != 2 or len(a) < 2:
            raise InputError(key, self.points, "at least two (t [s], T [degC]) pairs")
        if not np.all(np.isfinite(a)) or a[0, 0] != 0 or np.any(np.diff(a[:, 0]) <= 0):
            raise InputError(key, self.points, "finite values at increasing times from t = 0")
        for T in a[:, 1]:
            check_water_C(f"{self.name}.points.T", float(T))
        object.__setattr__(self, "points", tuple((float(t), float(T)) for t, T in a))
        check_water_C(f"{self.name}.ambient_C", self.ambient_C)
        _check_rh(f"{self.name}.ambient_RH", self.ambient_RH)
        check_range(f"{self.name}.max_step_K", self.max_step_K, 0.0, 100.0, lo_open=True)
        check_range(f"{self.name}.max_step_s", self.max_step_s, 0.0, None, lo_open=True)
        # the piece count before the pieces: a long profile in short pieces would build
        # (and solve) billions of them
        dT, dt = np.abs(np.diff(a[:, 1])), np.diff(a[:, 0])
        n = np.maximum(np.ceil(dT / self.max_step_K), np.ceil(dt / self.max_step_s))
        n_pieces = float(np.maximum(n, 1.0).sum())
        if n_pieces > MAX_PIECES:
            raise InputError(
                key,
                f"{self.duration_s:g} s in {n_pieces:.3g} pieces",
                f"a profile of at most {MAX_PIECES:,} pieces of at most max_step_K = "
                f"{self.max_step_K:g} K and max_step_s = {self.max_step_s:g} s",
            )

    @property
    def duration_s(self) -> float:
        """Length of the profile [s]."""
        return self.points[-1][0]

    def pieces(self) -> list[tuple[float, float, float]]:
        """Constant-temperature pieces ``(t0 [s], t1 [s], T_mid [degC])`` covering it (each
        solved at its mid temperature; the state at its end is reported at the profile's
        temperature there, :meth:`temperature_at`)."""
        out = []
        for (ta, Ta), (tb, Tb) in zip(self.points[:-1], self.points[1:], strict=True):
            n = max(
                1, math.ceil(abs(Tb - Ta) / self.max_step_K), math.ceil((tb - ta) / self.max_step_s)
            )
            for i in range(n):
                t0, t1 = ta + (tb - ta) * i / n, ta + (tb - ta) * (i + 1) / n
                out.append((t0, t1, Ta + (Tb - Ta) * (i + 0.5) / n))
        return out

    def temperature_at(self, t_s: float) -> float:
        """The profile's temperature [degC] at time ``t_s`` [s] from its start (linear
        between points, the end values beyond)."""
        ts, Ts = zip(*self.points, strict=True)
        return float(np.interp(float(t_s), ts, Ts))

    def boundary_wetness(self, T_C: float) -> float:
        """Wetness of an exposed face at oven temperature ``T_C``: p_air / p_sat(T), <= 1."""
        p_air = self.ambient_RH * float(p_sat(self.ambient_C))
        return min(1.0, p_air / float(p_sat(T_C)))


def _check_rh(key: str, value: object) -> float:
    """A relative humidity as a fraction in [0, 1]; a percentage (85 for 85 %RH) is
    refused with the fraction it meant."""
    try:
        return check_range(key, value, 0.0, 1.0)
    except InputError:
        hint = ""
        if isinstance(value, int | float) and not isinstance(value, bool) and value <= 100.0:
            hint = f" (a fraction: {value / 100:g} for {value:g} %RH)" if value > 1.0 else ""
        raise InputError(key, value, f"a number in [0, 1]{hint}") from None


def _state(result: MoistureResult, step: object) -> int:
    """``step`` as an index of one of ``result``'s states (negative from the end)."""
    n = len(result.times)
    if isinstance(step, bool | np.bool_) or not isinstance(step, int | np.integer):
        raise InputError("step", step, f"an integer state index in [-{n}, {n - 1}]")
    if not -n <= int(step) < n:
        raise InputError("step", step, f"a state index in [-{n}, {n - 1}] ({n} states)")
    return int(step)


#: J-STD-020E Table 5-1 soak conditions of the moisture sensitivity levels: the standard
#: soaks of levels 1-5a and the accelerated-equivalent 60 degC / 60 %RH soaks of levels
#: 2a-5a of the table's column for an activation energy of diffusion of 0.40-0.48 eV (the
#: library compound's 0.47 eV; a compound of 0.30-0.39 eV needs that table's longer
#: column: 168, 52, 24, 20 and 13 h, a custom :class:`Soak`). Level 6 soaks at 30 degC /
#: 60 %RH for the time on the label (TOL): no preset, a ``Soak(30.0, 0.60, TOL, "MSL6")``.
MSL_PRESETS: dict[str, Soak] = {
    "MSL1": Soak(85.0, 0.85, 168.0, "MSL1"),
    "MSL2": Soak(85.0, 0.60, 168.0, "MSL2"),
    "MSL2a": Soak(30.0, 0.60, 696.0, "MSL2a"),
    "MSL3": Soak(30.0, 0.60, 192.0, "MSL3"),
    "MSL4": Soak(30.0, 0.60, 96.0, "MSL4"),
    "MSL5": Soak(30.0, 0.60, 72.0, "MSL5"),
    "MSL5a": Soak(30.0, 0.60, 48.0, "MSL5a"),
    "MSL2a_accelerated": Soak(60.0, 0.60, 120.0, "MSL2a_accelerated"),
    "MSL3_accelerated": Soak(60.0, 0.60, 40.0, "MSL3_accelerated"),
    "MSL4_accelerated": Soak(60.0, 0.60, 20.0, "MSL4_accelerated"),
    "MSL5_accelerated": Soak(60.0, 0.60, 15.0, "MSL5_accelerated"),
    "MSL5a_accelerated": Soak(60.0, 0.60, 10.0, "MSL5a_accelerated"),
    "bake_125C_24h": Soak(125.0, 0.0, 24.0, "bake_125C_24h"),
}


def _jstd020_profile(
    name: str, T_c: float, preheat: tuple[float, float], T_liquidus: float, t_p: float
) -> TemperatureProfile:
    """A J-STD-020E Table 5-2 classification profile peaking at ``T_c`` [degC]: 25 degC to
    the preheat's lower end in 60 s (40 s for SnPb), the preheat (``preheat`` [degC]) in
    90 s, the liquidus ``T_liquidus`` 20 s (SnPb 30 s) later, ``T_c - 5`` 30 s after it,
    ``t_p`` [s] within 5 K of the peak, back to the liquidus in 30 s, 25 degC 40 s later;
    in air at 25 degC / 60 %RH."""
    lo, hi = preheat
    t0 = 60.0 if lo == 150.0 else 40.0
    t1 = t0 + 90.0
    tL = t1 + (20.0 if lo == 150.0 else 30.0)
    t5 = tL + 30.0
    return TemperatureProfile(
        (
            (0.0, 25.0),
            (t0, lo),
            (t1, hi),
            (tL, T_liquidus),
            (t5, T_c - 5.0),
            (t5 + t_p / 2, T_c),
            (t5 + t_p, T_c - 5.0),
            (t5 + t_p + 30.0, T_liquidus),
            (t5 + t_p + 70.0, 25.0),
        ),
        name=name,
    )


#: Reflow profiles of J-STD-020E Table 5-2, in air at 25 degC / 60 %RH, one per
#: classification temperature T_c of Tables 4-1 and 4-2
#: (:func:`classification_temperature_C`, by the body's thickness and volume).
#: Pb-free (``JSTD020_PbFree_<T_c>``: 260, 250, 245 degC): preheat 150-200 degC in 90 s,
#: 90 s above the 217 degC liquidus, 30 s within 5 K of the peak, ramps <= 3 K/s up and
#: <= 6 K/s down (at most 4.8 K/s), 215 s from 25 degC to the peak (at most 8 min).
#: SnPb eutectic (``JSTD020_SnPb_<T_c>``: 235, 220 degC): preheat 100-150 degC in 90 s, 80 s
#: above the 183 degC liquidus, 20 s within 5 K of the peak, 200 s from 25 degC to the peak
#: (at most 6 min).
REFLOW_PRESETS: dict[str, TemperatureProfile] = {
    "JSTD020_PbFree_260": TemperatureProfile(
        (
            (0.0, 25.0),
            (60.0, 150.0),
            (150.0, 200.0),
            (170.0, 217.0),
            (200.0, 255.0),
            (215.0, 260.0),
            (230.0, 255.0),
            (260.0, 217.0),
            (300.0, 25.0),
        ),
        name="JSTD020_PbFree_260",
    ),
    **{
        f"JSTD020_PbFree_{T:.0f}": _jstd020_profile(
            f"JSTD020_PbFree_{T:.0f}", T, (150.0, 200.0), 217.0, 30.0
        )
        for T in (250.0, 245.0)
    },
    **{
        f"JSTD020_SnPb_{T:.0f}": _jstd020_profile(
            f"JSTD020_SnPb_{T:.0f}", T, (100.0, 150.0), 183.0, 20.0
        )
        for T in (235.0, 220.0)
    },
}


def classification_temperature_C(
    thickness_mm: float, volume_mm3: float, process: str = "PbFree"
) -> float:
    """The J-STD-020E classification temperature T_c [degC] of a package body: Table 4-2
    (``process="PbFree"``) or Table 4-1 (``"SnPb"``), by the body's thickness [mm] and
    volume [mm^3], both without the external terminals (balls, bumps, leads, lands) and
    non-integral heat sinks.

    ===================  ==========  ==============  ==========
    Pb-free              < 350 mm^3  350-2000 mm^3   > 2000 mm^3
    ===================  ==========  ==============  ==========
    < 1.6 mm             260         260             260
    1.6-2.5 mm           260         250             245
    > 2.5 mm             250         245             245
    ===================  ==========  ==============  ==========

    SnPb: below 2.5 mm and 350 mm^3 235, otherwise 220. The boundaries 1.6 and 2.5 mm,
    350 and 2000 mm^3 fall in the middle row and column (SnPb: 2.5 mm and 350 mm^3 in the
    second). The preset of each T_c is ``REFLOW_PRESETS[f"JSTD020_{process}_{T_c}"]``.
    """
    t = check_range("thickness_mm", thickness_mm, 0.0, 100.0, lo_open=True, unit="mm")
    v = check_range("volume_mm3", volume_mm3, 0.0, 1e7, lo_open=True, unit="mm^3")
    if process == "PbFree":
        row = 0 if t < 1.6 else (1 if t <= 2.5 else 2)
        col = 0 if v < 350.0 else (1 if v <= 2000.0 else 2)
        return ((260.0, 260.0, 260.0), (260.0, 250.0, 245.0), (250.0, 245.0, 245.0))[row][col]
    if process == "SnPb":
        return 235.0 if t < 2.5 and v < 350.0 else 220.0
    raise InputError("process", process, "'PbFree' (J-STD-020E Table 4-2) or 'SnPb' (Table 4-1)")


def unknown_preset(
    key: str,
    name: str,
    presets: Sequence[str] | None = None,
    level6: str = "give Soak(30.0, 0.60, TOL_hours, 'MSL6')",
    tail: str = "",
) -> InputError:
    """The :class:`~fea.errors.InputError` of an unknown preset ``name`` under ``key``: the
    ``presets`` (default every soak and reflow preset) and what was likely meant: MSL6 has
    no preset (its soak is the time on the label; ``level6`` says how to give it), a
    preset spelt in another case. ``tail`` ends the list of what is allowed (", 'none' or
    a table" in a study file)."""
    presets = list(presets) if presets is not None else [*MSL_PRESETS, *REFLOW_PRESETS]
    allowed = f"one of {', '.join(presets)}{tail}"
    if name.strip().upper() in ("MSL6", "MSL 6", "LEVEL6", "LEVEL 6"):
        allowed += (
            "; J-STD-020 level 6 soaks at 30 degC / 60 %RH for the time on the label (TOL): "
            f"no preset, {level6}"
        )
    else:
        same = [p for p in presets if p.lower() == name.strip().lower()]
        if same:
            allowed += f" (names are case-sensitive: {same[0]!r})"
    return InputError(key, name, allowed)


Stage = Soak | TemperatureProfile


def moisture_stages(conditions: object) -> list[Stage]:
    """The stages of ``conditions``: a :class:`Soak`, a :class:`TemperatureProfile`, a
    preset name (:data:`MSL_PRESETS`, :data:`REFLOW_PRESETS`) or a sequence of them run
    one after another."""
    items = [conditions] if isinstance(conditions, str | Soak | TemperatureProfile) else conditions
    if not isinstance(items, Sequence) or not items:
        raise InputError("conditions", conditions, "a Soak, a TemperatureProfile, a preset name")
    out: list[Stage] = []
    for i, c in enumerate(items):
        if isinstance(c, str):
            if c in MSL_PRESETS:
                c = MSL_PRESETS[c]
            elif c in REFLOW_PRESETS:
                c = REFLOW_PRESETS[c]
            else:
                raise unknown_preset(f"conditions[{i}]", c)
        if not isinstance(c, Soak | TemperatureProfile):
            raise InputError(f"conditions[{i}]", type(c).__name__, "a Soak or TemperatureProfile")
        out.append(c)
    return out


def _properties(
    regions: Sequence[str], moisture_materials: Mapping[str, MoistureProperties | str]
) -> dict[str, MoistureProperties]:
    if not isinstance(moisture_materials, Mapping):
        raise InputError(
            "moisture_materials", type(moisture_materials).__name__, "a dict region -> props"
        )
    for name in moisture_materials:
        if name != "*" and name not in regions:
            raise InputError(
                f"moisture_materials.{name}", name, f"a region ({', '.join(regions)}) or '*'"
            )
    out = {}
    for r in regions:
        m = moisture_materials.get(r, moisture_materials.get("*"))
        if m is None:
            raise InputError(f"moisture_materials.{r}", None, "MoistureProperties or '*'")
        if isinstance(m, str):
            m = get(m)
        if not isinstance(m, MoistureProperties):
            raise InputError(
                f"moisture_materials.{r}", type(m).__name__, "a MoistureProperties or a name"
            )
        out[r] = m
    return out


def pseudo_materials(
    props: Mapping[str, MoistureProperties], T_C: float
) -> tuple[dict[str, Material], float]:
    """The conduction materials of the wetness problem at ``T_C`` and the time scale.

    Returns
    -------
    materials
        Region -> :class:`~fea.physics.materials.Material` with ``k = (D/D_ref)(C_sat/C_ref)``
        [W/(m K)], ``rho = 1e3 C_sat/C_ref``, ``cp = 1e3`` (permeable regions only).
    seconds_per_unit
        Real seconds per second of the conduction problem: ``A0 / D_ref``.
    """
    perm = {r: m for r, m in props.items() if not m.impermeable}
    if not perm:
        raise InputError("props", sorted(props), "at least one permeable material")
    D = {r: float(m.diffusivity(T_C)) for r, m in perm.items()}
    C = {r: float(m.csat(T_C)) for r, m in perm.items()}
    D_ref = math.exp(np.mean([math.log(v) for v in D.values()]))
    C_ref = math.exp(np.mean([math.log(v) for v in C.values()]))
    mats = {
        r: Material(
            f"wet:{m.name}",
            E=1e9,
            nu=0.3,
            alpha=0.0,
            k=(D[r] / D_ref) * (C[r] / C_ref),
            rho=1e3 * C[r] / C_ref,
            cp=1e3,
            source="pseudo material of the wetness problem (fea.physics.moisture)",
        )
        for r, m in perm.items()
    }
    return mats, A0 / D_ref


@dataclass
class MoistureResult:
    """Moisture fields over time.

    Attributes
    ----------
    mesh, space
        The whole mesh and its field space (nodes ``space.nodes``, (n, 3), m).
    properties
        Region -> :class:`~fea.physics.moisture_data.MoistureProperties`.
    times
        Times of the reported states [s], from the start of the first stage, shape (s,).
    temperature_C
        The (uniform) temperature of each state [degC], shape (s,).
    wetness
        Nodal wetness C / C_sat(T) [-] at each state, shape (s, n); 0 at nodes of
        impermeable regions only.
    stage
        Index of the stage (in ``stages``) of each state, shape (s,).
    stages
        The stages run.
    uptake_mg
        Region -> water held in the region [mg] at each state, shape (s,).
    solver_info
        Per stage: conduction solves, pieces, seconds.
    """

    mesh: Any
    space: Any
    properties: dict[str, MoistureProperties]
    times: NDArray[np.float64]
    temperature_C: NDArray[np.float64]
    wetness: NDArray[np.float64]
    stage: NDArray[np.int64]
    stages: list[Stage]
    uptake_mg: dict[str, NDArray[np.float64]]
    solver_info: dict[str, Any] = field(default_factory=dict)
    # solved on the split mesh of a quadratic one (split_p2): the field is linear on each
    # element's 8 children; those children and the weights of that field at the
    # quadrature points (computed on first use)
    _linear: bool = field(default=False, init=False, repr=False, compare=False)
    _split: tuple[NDArray[np.int64], NDArray[np.float64]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def total_uptake_mg(self) -> NDArray[np.float64]:
        """Water in the whole body [mg] at each state, shape (s,)."""
        return np.sum(list(self.uptake_mg.values()), axis=0)

    def element_csat(self, T_C: float) -> NDArray[np.float64]:
        """C_sat at 100 %RH [kg/m^3] per element at ``T_C``, shape (n_el,)."""
        c = np.zeros(self.mesh.n_elements)
        for r, m in self.properties.items():
            c[self.mesh.regions[r]] = float(m.csat(T_C))
        return c

    def _children(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Solved split: the elements' children (n_el, 8, 4) and the node weights of
        the field linear on them at the quadrature points (n_el, n_q, 10)."""
        if self._split is None:
            self._split = (
                child_nodes(self.mesh),
                refined_weights(self.mesh, self.space.basis.X),
            )
        return self._split

    def concentration(self, step: int = -1) -> NDArray[np.float64]:
        """Concentration [kg/m^3] at the quadrature points of every element at state
        ``step``, shape (n_el, n_q) (discontinuous where materials meet). Solved with
        ``split_p2``, the wetness between the nodes is the solved one, linear on each of
        an element's 8 children (module docstring)."""
        step = _state(self, step)
        wet = self.wetness[step]
        if self._linear:
            w = np.einsum("eqi,ei->eq", self._children()[1], wet[self.space.dofs])
        else:
            w = forms.at_quadrature(self.space, wet)
        return self.element_csat(float(self.temperature_C[step]))[:, None] * w

    def element_concentration(self, step: int = -1) -> NDArray[np.float64]:
        """Mean concentration of every element [kg/m^3] at state ``step``, shape (n_el,)
        (solved with ``split_p2``: the mean over its 8 children, of equal volumes)."""
        if not self._linear:
            return self.concentration(step).mean(axis=1)
        step = _state(self, step)
        w = self.wetness[step][self._children()[0]].mean(axis=(1, 2))
        return self.element_csat(float(self.temperature_C[step])) * w

    def region_concentration(self, region: str, step: int = -1) -> NDArray[np.float64]:
        """Nodal concentration [kg/m^3] of one region's nodes (``region_nodes``) at ``step``."""
        if region not in self.mesh.regions:
            raise InputError("region", region, f"one of {', '.join(self.mesh.regions)}")
        step = _state(self, step)
        csat = float(self.properties[region].csat(float(self.temperature_C[step])))
        return csat * self.wetness[step][self.region_nodes(region)]

    def region_nodes(self, region: str) -> NDArray[np.int64]:
        """Nodes of a region (indices into ``space.nodes``), sorted."""
        return np.unique(self.space.dofs[self.mesh.regions[region]])

    def fields(self) -> dict[str, tuple[NDArray[np.float64], str]]:
        """Fields to store, as :meth:`fea.physics.thermal.ThermalResult.fields`:
        ``moisture_wetness`` (s, n) at the nodes, ``moisture_concentration`` (s, n_el)
        [kg/m^3] element means."""
        conc = np.stack([self.element_concentration(k) for k in range(len(self.times))])
        return {
            "moisture_wetness": (np.asarray(self.wetness, np.float64), "Node"),
            "moisture_concentration": (conc, "Cell"),
        }

    def peak_step(self) -> int:
        """The state at the highest temperature: the reflow peak. Of equals, the first
        one in a temperature profile (a profile that holds its peak dries through the hold:
        its first state there holds the most water, the highest vapour pressure), else the
        last (a soak's states share its temperature: its end, the soaked water)."""
        T = self.temperature_C
        top = np.flatnonzero(T == T.max())
        in_profile = [
            int(k) for k in top if isinstance(self.stages[int(self.stage[k])], TemperatureProfile)
        ]
        return in_profile[0] if in_profile else int(top[-1])


def _node_map(sub_space: Any, full_space: Any) -> NDArray[np.int64]:
    """Index in the full space of every node of the sub space (same coordinates)."""
    tree = cKDTree(full_space.nodes)
    d, idx = tree.query(sub_space.nodes)
    scale = float(np.ptp(full_space.nodes, axis=0).max())
    if np.any(d > 1e-9 * scale):
        raise RuntimeError("sub-mesh node not found in the mesh")  # a bug, not an input
    return idx.astype(np.int64)


class _Domain:
    """The diffusion domain: the permeable regions' mesh, its space and capacity forms."""

    def __init__(
        self, mesh: Any, props: dict[str, MoistureProperties], exposed: Any, split: bool
    ) -> None:
        self.mesh_full = mesh
        self.full = space(mesh)
        perm = [r for r, m in props.items() if not m.impermeable]
        if not perm:
            raise InputError("moisture_materials", "all impermeable", "a permeable region")
        sub = mesh if len(perm) == len(props) else submesh(mesh, perm)
        # split: the linear mesh of the quadratic one's nodes, numbered alike
        self.linear = split and sub.order == 2
        self.mesh = refine_p2(sub) if self.linear else sub
        self.space = space(self.mesh)
        self.nodes = np.arange(self.full.n) if sub is mesh else _node_map(self.space, self.full)
        self.props = {r: props[r] for r in perm}
        self.all_props = props
        if isinstance(exposed, str):
            exposed = [exposed]
        if isinstance(exposed, Mapping):
            faces = {str(k): v for k, v in exposed.items()}
        elif isinstance(exposed, Sequence):
            faces = {str(k): None for k in exposed}
        else:
            raise InputError("exposed", exposed, "boundary names, or a dict name -> RH or None")
        for name, v in faces.items():
            if name not in mesh.boundaries:
                raise InputError(
                    f"exposed.{name}", name, f"a boundary: {', '.join(sorted(mesh.boundaries))}"
                )
            if name not in self.mesh.boundaries:
                raise InputError(f"exposed.{name}", name, "a boundary on a permeable region")
            if v is not None:
                _check_rh(f"exposed.{name}", v)
        self.faces = faces
        V = self.space
        self.region_weights = {
            r: forms.mass_matrix(V, _indicator(self.mesh, r)) @ np.ones(V.n) for r in self.props
        }

    def csat_elements(self, T_C: float) -> NDArray[np.float64]:
        c = np.zeros(self.mesh.n_elements)
        for r, m in self.props.items():
            c[self.mesh.regions[r]] = float(m.csat(T_C))
        return c

    def fixed(self, value: float) -> dict[str, float]:
        return {n: (value if v is None else float(v)) for n, v in self.faces.items()}

    def uptake_mg(self, w: NDArray[np.float64], T_C: float) -> dict[str, float]:
        return {
            r: 1e6 * float(self.props[r].csat(T_C)) * float(self.region_weights[r] @ w)
            for r in self.props
        }

    def carry(
        self,
        w: NDArray[np.float64],
        T_old: float,
        T_new: float,
        solver: Mapping[str, Any] | None = None,
    ) -> NDArray[np.float64]:
        """Wetness at ``T_new`` holding the water of ``w`` at ``T_old`` (the same C).

        On a linear mesh (a split one too) node by node: the node's water over its
        capacity, ``w m_old / m_new`` with the lumped (row-sum) capacities the time steps
        take there, which conserves the water of :meth:`uptake_mg` exactly and keeps an
        interface node between its materials' own values. The L2 projection
        ``M_new w_new = M_old w_old`` (the quadratic mesh's, whose row sums are no
        capacities) overshoots where the factor ``C_sat(T_old) / C_sat(T_new)`` jumps
        between materials: two compounds of 45 and 20 kJ/mol taken from 85 to 260 degC
        went to -0.020 and 2.149 where their own wetness is 0.095 and 1.495.

        ``solver``: the keywords (backend, method, rtol, maxiter) of the quadratic mesh's
        projection, solved as every other system of the run (:func:`fea.solvers.solve`)."""
        if T_new == T_old:
            return w
        c_old, c_new = self.csat_elements(T_old), self.csat_elements(T_new)
        ratio = c_old / c_new
        if np.ptp(ratio) <= 1e-12 * ratio.max():  # one factor everywhere: exact and local
            return w * float(ratio[0])
        M_old = forms.mass_matrix(self.space, c_old)
        M_new = forms.mass_matrix(self.space, c_new)
        if self.mesh.order == 1:
            ones = np.ones(self.space.n)
            return w * (M_old @ ones) / (M_new @ ones)
        with naming_solve(f"the water carried from {T_old:.4g} C to {T_new:.4g} C"):
            x, _ = solve(M_new.tocsr(), M_old @ w, kind="scalar", **(solver or {}))
        return np.asarray(x, dtype=np.float64)


def _exposed_heights(mesh: Any, faces: Sequence[str]) -> dict[str, float]:
    """Region -> median height [m] (``3 V / A``) of its elements over the ``faces``."""
    p = mesh.p1.p.T
    vol = mesh.element_volumes()
    owner = mesh.region_of_elements()
    names = list(mesh.regions)
    heights: dict[str, list[NDArray[np.float64]]] = {}
    for face in faces:
        facets = mesh.boundaries[face]
        tri = p[mesh.p1.facets[:, facets].T]
        area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
        for side in mesh.facet_elements(face).T:
            ok = (side >= 0) & (area > 0)
            for r in set(owner[side[ok]].tolist()) - {-1}:
                on = ok.copy()
                on[ok] = owner[side[ok]] == r
                heights.setdefault(names[r], []).append(3.0 * vol[side[on]] / area[on])
    return {r: float(np.median(np.concatenate(hs))) for r, hs in heights.items()}


def _unresolved(
    mesh: Any,
    props: Mapping[str, MoistureProperties],
    faces: Sequence[str],
    length: Any,
) -> dict[str, tuple[float, float]]:
    """The permeable regions at ``faces`` whose diffusion length ``length(m)`` [m] is
    under half their elements' median height there: region -> (length, height)."""
    out: dict[str, tuple[float, float]] = {}
    for r, h in _exposed_heights(mesh, faces).items():
        m = props.get(r)
        if m is None or m.impermeable:
            continue
        ell = float(length(m))
        if ell < 0.5 * h:
            out[r] = (ell, h)
    return out


def soak_resolution(
    mesh: Any,
    props: Mapping[str, MoistureProperties],
    faces: Sequence[str],
    soak: Soak,
) -> dict[str, tuple[float, float]]:
    """The permeable regions at the exposed ``faces`` whose soak is not resolved by the
    mesh: region -> (diffusion length ``sqrt(D(T) t)`` [m], median height [m] of its
    elements over those faces, ``3 V / A``), where the length is under half the height.

    On such a mesh the exposed nodes are saturated at once and hold more water than the
    soak's thin boundary layer has (about ``C_sat A h / 4`` against ``1.13 C_sat A
    sqrt(D t)``): the uptake is the mesh's, not the soak's. A finite soak only."""
    t = soak.hours * 3600.0
    if not math.isfinite(t):
        return {}
    return _unresolved(mesh, props, faces, lambda m: math.sqrt(float(m.diffusivity(soak.T_C)) * t))


def reflow_resolution(
    mesh: Any,
    props: Mapping[str, MoistureProperties],
    faces: Sequence[str],
    profile: TemperatureProfile,
) -> dict[str, tuple[float, float]]:
    """:func:`soak_resolution` of a temperature profile: region -> (its drying depth
    ``sqrt(sum D(T_i) dt_i)`` over the profile's pieces [m], median height [m] of its
    elements over the exposed ``faces``) where the depth is under half the height. The
    exposed nodes then dry at once: the water a reflow leaves (``moisture_mg@reflow``) is
    the mesh's; the wetness one element and more inside, where the interfaces' vapour
    pressure is taken, much less so."""

    def depth(m: MoistureProperties) -> float:
        return math.sqrt(sum(float(m.diffusivity(T)) * (b - a) for a, b, T in profile.pieces()))

    return _unresolved(mesh, props, faces, depth)


def _warn_unresolved(thin: Mapping[str, tuple[float, float]], head: str, then: str) -> None:
    """The note of a stage the mesh does not resolve (:func:`soak_resolution`,
    :func:`reflow_resolution`: region -> (length, height) [m]), naming the region of the
    smallest length per height: ``<head> in <region> is <length> um, under half ...:
    the exposed nodes <then>``."""
    r, (length, h) = min(thin.items(), key=lambda kv: kv[1][0] / kv[1][1])
    warnings.warn(
        f"{head} in {r} is {length * 1e6:.3g} um, under half its elements' height at the "
        f"exposed faces ({h * 1e6:.3g} um; {len(thin)} region(s) so): the exposed nodes "
        f"{then}",
        UserWarning,
        stacklevel=3,
    )


def _warn_no_heat_of_solution(
    props: Mapping[str, MoistureProperties], stages: Sequence[Stage], initial: object
) -> None:
    """A :class:`UserWarning` per permeable material with ``Es_J_per_mol = 0`` (a solubility
    independent of temperature, the dataclass's default; a study file's table gives it
    explicitly) run more than 1 K away from its ``T_ref_C``: Henry's law then scales its
    saturated water at a fixed RH with ``p_sat(T)`` alone (x0.073 from 85 to 30 degC, x81
    from 85 to 260 degC), where an epoxy's solubility falls with temperature (Es of order 40
    kJ/mol, Galloway and Miles 1997): its uptake at another soak temperature and its Henry
    vapour pressure at the reflow peak (C / S, then the soak's own vapour pressure) are off
    by an order of magnitude."""
    temps: list[float] = []
    for st in stages:
        temps += [st.T_C] if isinstance(st, Soak) else [T for _, T in st.points]
    if isinstance(initial, MoistureResult):
        temps.append(float(initial.temperature_C[-1]))
    regions: dict[str, list[str]] = {}
    for r, m in props.items():
        if m.Es_J_per_mol == 0.0 and not m.impermeable:
            regions.setdefault(m.name, []).append(r)
    for name, rs in regions.items():
        m = props[rs[0]]
        far = max(temps, key=lambda T: abs(T - m.T_ref_C))
        if abs(far - m.T_ref_C) <= 1.0:
            continue
        ratio = float(p_sat(far) / p_sat(m.T_ref_C))
        warnings.warn(
            f"moisture material {name!r} ({', '.join(rs)}) has Es_J_per_mol = 0: its "
            f"solubility is taken independent of temperature, so its saturated water at a "
            f"fixed RH scales with p_sat(T) alone, x{ratio:.3g} at {far:g} C of its value at "
            f"its T_ref_C = {m.T_ref_C:g} C, and its Henry vapour pressure at a reflow "
            "peak stays at the soak's own (C / S). An epoxy's solubility falls as the "
            "temperature rises (Es of order 40 kJ/mol, Galloway and Miles 1997; the "
            "library's compounds 40 kJ/mol): give the material's measured Es_J_per_mol",
            UserWarning,
            stacklevel=3,
        )


def _indicator(mesh: Any, region: str) -> NDArray[np.float64]:
    c = np.zeros(mesh.n_elements)
    c[mesh.regions[region]] = 1.0
    return c


def solve_moisture(
    mesh: Any,
    moisture_materials: Mapping[str, MoistureProperties | str],
    conditions: object,
    exposed: str | Sequence[str] | Mapping[str, float | None] = "exterior",
    *,
    initial: float | MoistureResult = 0.0,
    outputs: int = 30,
    steps: int = 2,
    backend: str = "cpu",
    method: str = "auto",
    rtol: float = 1e-8,
    maxiter: int = 2000,
    split_p2: bool = False,
) -> MoistureResult:
    """Moisture uptake and loss of a body through soaks and temperature profiles.

    Parameters
    ----------
    mesh
        A :class:`~fea.fe.mesh.Mesh` (lengths m).
    moisture_materials
        Region -> :class:`~fea.physics.moisture_data.MoistureProperties` or a library name
        (``"*"`` for the rest); impermeable ones are left out of the diffusion domain.
    conditions
        A :class:`Soak`, a :class:`TemperatureProfile`, a preset name (:data:`MSL_PRESETS`,
        :data:`REFLOW_PRESETS`) or a sequence of them, run one after the other.
    exposed
        Boundaries in contact with the ambient (their wetness is the ambient's RH at a
        soak, ``p_air / p_sat(T)`` in a profile); a dict name -> wetness [-] fixes a
        face's own value instead (None: the ambient's): at a soak the face's RH, in a
        profile ``p / p_sat(T)`` at the oven's temperature, not the room air's RH (0.6
        there is 0.6 x 4.69 MPa of steam at 260 degC; 0 a dry face). Every other face is
        sealed (zero flux); an empty list seals the body (its water only redistributes).
    initial
        Wetness at the start [-] (0: dry), or a previous :class:`MoistureResult` to go on
        from (its last state; times continue).
    outputs
        States reported per soak (spread evenly in log time, the end included).
    steps
        Backward-Euler steps per constant-temperature piece of a profile. A sealed
        body's soak (no exposed face: no sink for the reduced scheme) is adaptive backward
        Euler from a first step of the first output's time over ``steps``, each step's
        local error of the wetness at most 1e-3 (``steps x outputs`` at most
        :data:`fea.physics.thermal.MAX_STEPS`).
    backend, method, rtol, maxiter
        As :func:`fea.physics.thermal.solve_thermal`. A soak is solved by its reduced
        scheme (exact in time to ``rtol``), a profile piece by ``steps`` time steps.
        ``maxiter``: the iteration limit of every iterative solve (``[solver] maxiter``
        of a study); one reached raises :class:`~fea.errors.IterationLimitError` naming
        the soak or the profile's piece.
    split_p2
        On a quadratic mesh, solve on the linear mesh of its nodes (each tetrahedron split
        into 8, :func:`fea.fe.refine.refine_p2`), its time steps with the lumped
        capacity: far less water concentrates above what the body was soaked with in a
        reflow's short steps (where quadratic elements put 6.63 kg/m^3 and 6.0 was soaked
        in, split 6.04; a bound only where the children's stiffness has no positive
        off-diagonal entries), at the linear elements' accuracy in a soak
        (docs/moisture.md, Limitations). No effect on a linear mesh.

    Returns
    -------
    MoistureResult
        Wetness at the nodes, temperatures, uptake per region [mg], at t = 0 and every
        reported time.
    """
    t0 = time.perf_counter()
    stages = moisture_stages(conditions)
    props = _properties(list(mesh.regions), moisture_materials)
    outputs = check_count("outputs", outputs, 10_000)
    steps = check_count("steps", steps, 10_000)
    if not isinstance(split_p2, bool):
        raise InputError("split_p2", split_p2, "True or False")
    dom = _Domain(mesh, props, exposed, split_p2)
    _warn_no_heat_of_solution(dom.props, stages, initial)
    sealed = [
        st
        for st in stages
        if isinstance(st, Soak) and st.hours != math.inf and not dom.fixed(st.RH)
    ]
    if sealed and steps * outputs > THERMAL_MAX_STEPS:  # a sealed soak's step bound
        raise InputError(
            "steps",
            steps,
            f"steps x outputs at most {THERMAL_MAX_STEPS:,} for a sealed soak ({sealed[0].name}: "
            f"outputs = {outputs})",
        )
    if isinstance(initial, MoistureResult):
        if initial.mesh is not mesh:
            raise InputError("initial", "a MoistureResult of another mesh", "the same mesh")
        w = initial.wetness[-1][dom.nodes].copy()
        t_now, T_now = float(initial.times[-1]), float(initial.temperature_C[-1])
    else:
        w0 = check_range("initial", initial, 0.0, 1.0)
        w = np.full(dom.space.n, w0)
        t_now = 0.0
        first = stages[0]
        T_now = first.T_C if isinstance(first, Soak) else first.points[0][1]
    rec_t, rec_T, rec_w, rec_s = [t_now], [T_now], [w.copy()], [0]
    rec_up = [dom.uptake_mg(w, T_now)]
    info: dict[str, Any] = {"stages": []}

    def record(t: float, T: float, field: NDArray, k: int) -> None:
        rec_t.append(t)
        rec_T.append(T)
        rec_w.append(np.array(field, copy=True))
        rec_s.append(k)
        rec_up.append(dom.uptake_mg(field, T))

    common = {"backend": backend, "method": method, "rtol": rtol, "maxiter": maxiter}
    # the time steps' capacity lumped on P1 meshes (a split P2 one too): a reflow piece is
    # short against an element's diffusion time, where the consistent capacity overshoots
    # (a compound that dries in the reflow held 4 % more water than it was soaked with at
    # some nodes; 0.6 % lumped). P2 keeps the consistent one: its stiffness has positive
    # off-diagonal entries, and lumping (HRZ) overshoots more there (14 % against 10 %;
    # docs/moisture.md); split_p2 leaves far less of either (docs/moisture.md)
    lump = dom.mesh.order == 1
    for k, st in enumerate(stages):
        ts = time.perf_counter()
        solves = 0
        if isinstance(st, Soak):
            w = dom.carry(w, T_now, st.T_C, common)
            T_now = st.T_C
            mats, scale = pseudo_materials(dom.props, st.T_C)
            fixed = dom.fixed(st.RH)
            if st.hours == math.inf:
                if not fixed:
                    raise InputError("exposed", [], "an exposed face for a steady soak")
                with naming_solve(f"the moisture soak {st.name} (steady)"):
                    th = solve_thermal(dom.mesh, mats, fixed=fixed, **common)
                w = th.temperature
                record(t_now, T_now, w, k)
                solves += 1
            else:
                if fixed and (thin := soak_resolution(dom.mesh, dom.props, list(fixed), st)):
                    _warn_unresolved(
                        thin,
                        f"moisture soak {st.name} ({st.hours:.3g} h at {st.T_C:g} C): the "
                        "diffusion length sqrt(D t)",
                        "saturate at once and the water taken up is the mesh's, not the "
                        "soak's; refine the mesh at the exposed faces or soak longer",
                    )
                s_end = st.hours * 3600.0 / scale
                out = np.geomspace(s_end * 1e-3, s_end, outputs)
                out[-1] = s_end  # geomspace(a, b, 1) is [a]: the last output is the end
                if fixed:
                    # rtol 1e-9: the reduced basis then holds the first decade of the
                    # response to 3e-4 (1e-6 left 3e-3 there against Crank's series)
                    tr = Transient(
                        s_end, float(out[0]), initial_C=w, outputs=out, scheme="reduced", rtol=1e-9
                    )
                else:
                    # sealed: no sink for the reduced scheme; backward Euler from the first
                    # output's time over ``steps``, the steps adapting to a local error of
                    # _SEALED_TOL in the wetness. Equal steps (steps x outputs of them)
                    # served the outputs before the first step by linear interpolation: a
                    # sealed slab's drying face read 0.90 where Fourier's series gives 0.68
                    # (tests/physics/test_moisture_solubility.py)
                    tr = Transient(
                        s_end,
                        float(out[0]) / steps,
                        initial_C=w,
                        outputs=out,
                        adaptive=True,
                        tol_K=_SEALED_TOL,
                    )
                with naming_solve(f"the moisture soak {st.name}"):
                    th = solve_thermal(
                        dom.mesh, mats, fixed=fixed, transient=tr, lumped_capacity=lump, **common
                    )
                for s, field_ in zip(th.times[1:], th.history[1:], strict=True):
                    record(t_now + s * scale, T_now, field_, k)
                w = th.temperature
                solves += 1
                t_now += st.hours * 3600.0
        else:
            if dom.faces and (thin := reflow_resolution(dom.mesh, dom.props, list(dom.faces), st)):
                _warn_unresolved(
                    thin,
                    f"moisture profile {st.name}: the drying depth sqrt(int D dt)",
                    "dry at once and the water left after it is the mesh's; refine the mesh "
                    "at the exposed faces",
                )
            for a, b, T in st.pieces():
                w = dom.carry(w, T_now, T, common)
                T_now = T
                mats, scale = pseudo_materials(dom.props, T)
                s_end = (b - a) / scale
                tr = Transient(s_end, s_end / steps, initial_C=w, fields=None)
                with naming_solve(f"the moisture profile {st.name} (its piece at {T:.4g} C)"):
                    th = solve_thermal(
                        dom.mesh,
                        mats,
                        fixed=dom.fixed(st.boundary_wetness(T)),
                        transient=tr,
                        lumped_capacity=lump,
                        **common,
                    )
                w = th.temperature
                solves += 1
                # the state at the piece's end is at the profile's temperature there (the
                # peak is the profile's, 260 C for J-STD-020, not the piece's 257.5 C): the
                # water of the piece's end carried to it (an instant change, water kept)
                T_end = st.temperature_at(b)
                record(t_now + b - st.points[0][0], T_end, dom.carry(w, T, T_end, common), k)
            t_now += st.duration_s
        info["stages"].append(
            {"name": st.name, "solves": solves, "seconds": time.perf_counter() - ts}
        )
    info["total_s"] = time.perf_counter() - t0
    full = np.zeros((len(rec_w), dom.full.n))
    full[:, dom.nodes] = np.array(rec_w)
    uptake = {r: np.array([u.get(r, 0.0) for u in rec_up]) for r in props}
    result = MoistureResult(
        mesh,
        dom.full,
        props,
        np.array(rec_t),
        np.array(rec_T),
        full,
        np.array(rec_s, dtype=np.int64),
        stages,
        uptake,
        info,
    )
    result._linear = dom.linear
    return result


# -- swelling ---------------------------------------------------------------------------------


def hygroscopic_strain(result: MoistureResult, step: int = -1) -> NDArray[np.float64]:
    """Free hygroscopic strain ``CME * C`` [-] at the quadrature points of every element at
    state ``step``, shape (n_el, n_q) (the points of
    :func:`fea.fe.forms.at_quadrature`): an isotropic eigenstrain to add to the thermal
    one (:func:`fea.physics.eigenstrain.thermal_eigenstrain`)."""
    cme = np.zeros(result.mesh.n_elements)
    for r, m in result.properties.items():
        cme[result.mesh.regions[r]] = m.CME_m3_per_kg
    return cme[:, None] * result.concentration(step)


def hygro_equivalent(
    result: MoistureResult,
    materials: Mapping[str, Material | str],
    step: int = -1,
    reference_C: float = 25.0,
    dT_K: float = 100.0,
) -> tuple[dict[str, Material], NDArray[np.float64], float]:
    """The swelling of state ``step`` as a thermal problem for
    :func:`fea.physics.mechanics.solve_thermoelastic` (swelling alone, no thermal strain).

    The nodal field ``T = reference_C + dT_K * w`` with, per region, the CTE
    ``alpha_eq = CME * C_sat(T_state) / dT_K`` gives the eigenstrain
    ``alpha_eq (T - reference_C) = CME * C`` (with ``split_p2`` the mechanics interpolates
    the nodal ``T`` by the quadratic elements, not linearly on the 8 children as
    :func:`hygroscopic_strain`: 0.4 % apart at the largest strain of a short soak; pass
    that as ``eigenstrain=`` instead). Each material keeps its modulus at the
    state's temperature (a constant: E(T) tables are not read at the pseudo temperature;
    a viscoelastic material takes its instantaneous modulus).

    Returns
    -------
    (materials, temperature (n,) [degC-like], reference [degC]) for
    ``solve_thermoelastic(mesh, materials, temperature, reference)``.
    """
    dT = check_range("dT_K", dT_K, 0.0, 1000.0, lo_open=True)
    ref = check_temperature_C("reference_C", reference_C)
    step = _state(result, step)
    T_state = float(result.temperature_C[step])
    out = {}
    for r, m in assign(result.mesh.regions, materials).items():
        p = result.properties[r]
        out[r] = replace(
            m,
            E=float(m.youngs(T_state)),
            alpha=p.CME_m3_per_kg * float(p.csat(T_state)) / dT,
            alpha_kind="instantaneous",
            relaxation=None,
            shift=None,
            bulk_relaxation=None,
        )
    return out, ref + dT * result.wetness[step], ref


# -- vapour pressure ------------------------------------------------------------------------


@dataclass(frozen=True)
class InterfacePressure:
    """Water vapour pressure on one interface (facets between two regions).

    Attributes
    ----------
    max_Pa, mean_Pa
        Largest and area-mean pressure over the interface's facets [Pa].
    p_sat_Pa
        The saturation pressure at the temperature [Pa] (the bound).
    T_C
        Temperature [degC].
    """

    max_Pa: float
    mean_Pa: float
    p_sat_Pa: float
    T_C: float


def interface_vapour_pressure(
    result: MoistureResult,
    step: int | None = None,
    *,
    model: str = "henry",
    void_fraction: float = 0.05,
) -> dict[str, InterfacePressure]:
    """Vapour pressure on every interface ``a|b`` at state ``step`` (default the
    temperature peak, :meth:`MoistureResult.peak_step`).

    ``model="henry"``: the water in the polymer is in equilibrium with vapour at
    ``p = C / S(T) = w p_sat(T)``, capped at ``p_sat(T)`` (saturated steam: Wong et al.
    1998, the upper bound of the saturated-vapour model). ``model="ideal_gas"``: the
    micromechanics model of Fan, Zhou, Zhang and Ernst (J. Electron. Packag. 127(3),
    2005) in its bound form: the local water ``C`` fills voids of volume fraction ``f``,
    ``p = min(p_sat(T), (C/f) R T / M_w)``, with C the larger of the two sides'.
    Interfaces with an impermeable material see the permeable side only.
    """
    if model not in ("henry", "ideal_gas"):
        raise InputError("model", model, "'henry' or 'ideal_gas'")
    f = check_range("void_fraction", void_fraction, 0.0, 1.0, lo_open=True)
    k = result.peak_step() if step is None else _state(result, step)
    T = float(result.temperature_C[k])
    psat = float(p_sat(T))
    w = result.wetness[k]
    mesh, fs = result.mesh, result.space
    out = {}
    for name, facets in region_interfaces(mesh.p1, mesh.regions).items():
        a, b = name.split("|")
        pa, pb = result.properties[a], result.properties[b]
        if pa.impermeable and pb.impermeable:
            continue
        op = forms.facet_operator(fs, facets)
        if result._linear:
            # the mean of the solved field, linear on the facet's 4 children of equal areas
            wf = w[facet_children(mesh, facets)].mean(axis=(1, 2))
        else:
            wf = op.average(w)
        if model == "henry":
            p = psat * np.clip(wf, 0.0, 1.0)
        else:
            csat = max(float(m.csat(T)) for m in (pa, pb) if not m.impermeable)
            C = csat * np.maximum(wf, 0.0)
            p = np.minimum(psat, C / f * R_GAS * (T + KELVIN) / M_WATER)
        out[name] = InterfacePressure(float(p.max()), float(p @ op.area / op.area.sum()), psat, T)
    return out


def moisture_metrics(
    result: MoistureResult, *, model: str = "henry", void_fraction: float = 0.05
) -> dict[str, float]:
    """Scalar results of a moisture run, named for a study table.

    ``moisture_mg.<stage>``: water in the body at the end of each stage [mg];
    ``moisture_mg.<stage>.<region>``: the same per permeable region; ``peak_C``: the
    highest temperature of the run [degC]; ``vapour_pressure_max_MPa.<a|b>`` and
    ``vapour_pressure_mean_MPa.<a|b>``: the interface vapour pressure at that state
    (:func:`interface_vapour_pressure` with ``model`` and ``void_fraction``) [MPa].
    Stages with the same name get ``#2``, ``#3``... appended.
    """
    out: dict[str, float] = {}
    seen: dict[str, int] = {}
    for k, st in enumerate(result.stages):
        idx = np.flatnonzero(result.stage == k)
        if not len(idx):
            continue
        seen[st.name] = seen.get(st.name, 0) + 1
        name = st.name if seen[st.name] == 1 else f"{st.name}#{seen[st.name]}"
        last = int(idx[-1])
        out[f"moisture_mg.{name}"] = float(result.total_uptake_mg[last])
        for r, m in result.properties.items():
            if not m.impermeable:
                out[f"moisture_mg.{name}.{r}"] = float(result.uptake_mg[r][last])
    k = result.peak_step()
    out["peak_C"] = float(result.temperature_C[k])
    vp = interface_vapour_pressure(result, k, model=model, void_fraction=void_fraction)
    for iface, p in vp.items():
        out[f"vapour_pressure_max_MPa.{iface}"] = p.max_Pa / 1e6
        out[f"vapour_pressure_mean_MPa.{iface}"] = p.mean_Pa / 1e6
    return out
