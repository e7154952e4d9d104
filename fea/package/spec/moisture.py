"""The ``[moisture]`` section: soak, reflow, exposed faces, swelling and the moisture
properties per region (:mod:`fea.physics.moisture`, JEDEC J-STD-020 / JESD22-A113).

.. code-block:: toml

    [moisture]
    soak = "MSL3"                  # a J-STD-020 preset, or {T_C = 30, RH = 0.6, hours = 192}
    reflow = "JSTD020_PbFree_260"  # a preset, a table {points_s_C = [[0, 25], ...]}, or "none";
                                   # "JSTD020_PbFree" / "JSTD020_SnPb": at the body's T_c
    exposed = ["exterior"]         # boundaries open to the air
    outputs = 30                   # states reported per soak
    vapour_model = "henry"         # or "ideal_gas" (with void_fraction)
    void_fraction = 0.05
    swelling = true                # the soaked state's swelling CME*C in the warpage
    split_p2 = false               # a P2 mesh's diffusion on its nodes' split P1 mesh

    [moisture.materials]           # region -> library name or a table of properties
    encapsulant = "mold_compound"
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import InputError
from ...physics.moisture import (
    MSL_PRESETS,
    REFLOW_PRESETS,
    WATER_C,
    Soak,
    TemperatureProfile,
    unknown_preset,
)
from ...physics.moisture_data import (
    DEFAULT_REGION_MOISTURE,
    MATERIAL_MOISTURE,
    MOISTURE_LIBRARY,
    MoistureProperties,
)
from .reader import MISSING, Section, check_label, check_number

__all__ = [
    "CLASSIFICATION_REFLOWS",
    "ClassificationReflow",
    "DEFAULT_REGION_MOISTURE",
    "MoistureSpec",
    "parse_moisture",
]

#: Most states reported per soak (each holds the wetness at every node).
MAX_OUTPUTS = 200


@dataclass(frozen=True)
class ClassificationReflow:
    """``[moisture] reflow = "JSTD020_PbFree"`` (or ``"JSTD020_SnPb"``): the J-STD-020E
    classification reflow of the model's own body, the preset ``JSTD020_<process>_<T_c>``
    at its classification temperature T_c (Table 4-2 Pb-free, 4-1 SnPb, by the body's
    thickness and volume without its terminals), chosen once the mesh is known
    (:func:`fea.package.moisture.resolve_reflow`)."""

    process: str  # "PbFree" or "SnPb"

    @property
    def name(self) -> str:
        """The study file's value, e.g. ``"JSTD020_PbFree"``."""
        return f"JSTD020_{self.process}"


#: ``[moisture] reflow`` values that classify the body: value -> process.
CLASSIFICATION_REFLOWS = {"JSTD020_PbFree": "PbFree", "JSTD020_SnPb": "SnPb"}


@dataclass(frozen=True)
class MoistureSpec:
    """A parsed ``[moisture]`` section.

    Attributes
    ----------
    soak
        The soak (:class:`~fea.physics.moisture.Soak`).
    reflow
        The reflow profile after the soak, a :class:`ClassificationReflow` (the body's
        classification reflow, a profile once the mesh is known), or None.
    exposed
        Boundaries open to the air.
    outputs
        States reported per soak.
    vapour_model, void_fraction
        Vapour pressure model at the interfaces (``henry`` or ``ideal_gas``) and the
        void fraction of the ideal-gas model [-].
    swelling
        Add the hygroscopic strain of the soaked state to warpage states (``wet_`` tags).
    split_p2
        On a quadratic mesh, solve the diffusion on the linear mesh of its nodes
        (``fea.solve_moisture(split_p2=True)``: far less overshoot in a reflow's short
        steps, linear accuracy in a soak; docs/moisture.md, Limitations).
    materials
        Region -> library name or :class:`~fea.physics.moisture_data.MoistureProperties`
        (only the regions the section names; the rest take
        :data:`DEFAULT_REGION_MOISTURE`).
    """

    soak: Soak
    reflow: TemperatureProfile | ClassificationReflow | None
    exposed: tuple[str, ...] = ("exterior",)
    outputs: int = 30
    vapour_model: str = "henry"
    void_fraction: float = 0.05
    swelling: bool = True
    materials: dict[str, str | MoistureProperties] = field(default_factory=dict)
    split_p2: bool = False

    def region_materials(
        self,
        regions: list[str] | tuple[str, ...],
        materials: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Region -> moisture properties (name or object) for every region of a model: its
        ``[moisture.materials]`` entry, else the moisture material of the library material
        the region is made of (``materials``: region -> library material name,
        :data:`~fea.physics.moisture_data.MATERIAL_MOISTURE`: a die attach of SAC305 takes
        no water), else the region's default
        (:data:`~fea.physics.moisture_data.DEFAULT_REGION_MOISTURE`). A region with none
        of them is an :class:`~fea.errors.InputError` naming
        ``moisture.materials.<region>``."""
        from ..names import PACKAGE_REGIONS

        for r in self.materials:
            # a misspelt region would silently leave the region it meant on its default
            if r not in regions and r not in PACKAGE_REGIONS:
                raise InputError(
                    f"moisture.materials.{r}", r, f"a region of the model: {', '.join(regions)}"
                )
        out: dict[str, Any] = {}
        for r in regions:
            made_of = MATERIAL_MOISTURE.get((materials or {}).get(r, ""))
            v = self.materials.get(r, made_of or DEFAULT_REGION_MOISTURE.get(r))
            if v is None:
                raise InputError(
                    f"moisture.materials.{r}",
                    None,
                    f"a moisture material for region {r!r} (one of {', '.join(MOISTURE_LIBRARY)}"
                    " or a table of properties)",
                )
            out[r] = v
        return out


def _rh(s: Section, name: str, default: Any = MISSING, lo_open: bool = False) -> float:
    """A relative humidity [-]; a percentage is refused with the fraction it meant."""
    try:
        return s.number(name, default, lo=None if lo_open else 0.0, positive=lo_open, hi=1.0)
    except InputError as e:
        v = e.value
        if isinstance(v, int | float) and not isinstance(v, bool) and 1.0 < v <= 100.0:
            hint = f"{e.allowed} (a fraction: {v / 100:g} for {v:g} %RH)"
            raise InputError(e.key, v, hint) from None
        raise


def _soak(m: Section) -> Soak:
    v = m.raw("soak")
    key = m.key("soak")
    if isinstance(v, str):
        if v not in MSL_PRESETS:
            raise unknown_preset(
                key,
                v,
                MSL_PRESETS,
                level6="give the table soak = { T_C = 30, RH = 0.60, hours = <TOL>, "
                "name = 'MSL6' }",
                tail=" or a table",
            )
        return MSL_PRESETS[v]
    s = Section(v, key)
    hours = s.raw("hours")
    if isinstance(hours, str) and hours == "inf":
        hours_v = math.inf
    else:
        hours_v = s.number("hours", positive=True, hi=1e6)
    soak = Soak(
        T_C=s.number("T_C", lo=WATER_C[0], hi=WATER_C[1]),
        RH=_rh(s, "RH"),
        hours=hours_v,
        name=check_label(s.key("name"), s.string("name", "soak")),
    )
    s.done()
    return soak


def _reflow(m: Section) -> TemperatureProfile | ClassificationReflow | None:
    v = m.raw("reflow", "JSTD020_PbFree_260")
    key = m.key("reflow")
    if isinstance(v, str):
        if v == "none":
            return None
        if v in CLASSIFICATION_REFLOWS:
            return ClassificationReflow(CLASSIFICATION_REFLOWS[v])
        if v not in REFLOW_PRESETS:
            raise unknown_preset(
                key,
                v,
                REFLOW_PRESETS,
                tail=", 'JSTD020_PbFree' or 'JSTD020_SnPb' (at the body's classification "
                "temperature), 'none' or a table",
            )
        return REFLOW_PRESETS[v]
    s = Section(v, key)
    pts = s.raw("points_s_C")
    if not isinstance(pts, list) or not all(isinstance(p, list) and len(p) == 2 for p in pts):
        raise InputError(s.key("points_s_C"), pts, "a list of [t_s, T_C] pairs")
    for i, p in enumerate(pts):  # numbers as written (a boolean or "100" is not a time)
        for j in (0, 1):
            check_number(f"{s.key('points_s_C')}[{i}][{j}]", p[j])
    name = check_label(s.key("name"), s.string("name", "reflow"))
    ambient_C = s.number("ambient_C", 25.0, lo=WATER_C[0], hi=WATER_C[1])
    ambient_RH = _rh(s, "ambient_RH", 0.6)
    try:
        prof = TemperatureProfile(
            tuple((p[0], p[1]) for p in pts), ambient_C=ambient_C, ambient_RH=ambient_RH, name=name
        )
    except InputError as e:  # named for the profile: say where it is in the study file
        raise InputError(s.key("points_s_C"), e.value, e.allowed) from None
    s.done()
    return prof


#: The activation energies a permeable material of a study file must give, and what they
#: are (its InputError's allowed values when one is left out).
_ENERGY_KEYS = {
    "Ea_J_per_mol": "the activation energy of the diffusivity in J/mol (epoxy moulding "
    "compounds about 40e3-50e3; 0 only for a diffusivity that does not change with "
    "temperature)",
    "Es_J_per_mol": "the heat of solution in J/mol, Csat's temperature dependence (epoxy "
    "moulding compounds about 40e3, near water's heat of condensation; 0 only for a "
    "solubility that does not change with temperature)",
}


def _materials(m: Section) -> dict[str, str | MoistureProperties]:
    t = m.section("materials")
    out: dict[str, str | MoistureProperties] = {}
    for region in list(t.data):
        v = t.raw(region)
        key = t.key(region)
        if isinstance(v, str):
            if v not in MOISTURE_LIBRARY:
                raise InputError(key, v, f"one of {', '.join(MOISTURE_LIBRARY)} or a table")
            out[region] = v
            continue
        s = Section(v, key)
        impermeable = s.boolean("impermeable", False)
        # A permeable material states both activation energies: a left-out one read as 0
        # made D or Csat independent of temperature, which no polymer is (an epoxy's Csat
        # at 30 C/60 %RH came out 11 times too small from its 85/85 value).
        energy = 0.0 if impermeable else MISSING
        # an impermeable material takes no water: `impermeable = true` alone says so (its
        # D0 and Csat were required, as zeros)
        uptake = 0.0 if impermeable else MISSING
        # the bounds of MoistureProperties, so that a value out of them is named here
        d0 = s.number("D0_m2_per_s", uptake, nonneg=True, hi=1.0)
        missing = [k for k in _ENERGY_KEYS if k not in s.data] if not impermeable else []
        if missing:
            raise InputError(s.key(missing[0]), None, _ENERGY_KEYS[missing[0]])
        values = {
            "D0_m2_per_s": d0,
            "Ea_J_per_mol": s.number("Ea_J_per_mol", energy, nonneg=True, hi=200e3),
            "Csat_kg_per_m3": s.number("Csat_kg_per_m3", uptake, nonneg=True, hi=500.0),
            "T_ref_C": s.number("T_ref_C", 85.0, lo=WATER_C[0], hi=WATER_C[1]),
            "RH_ref": _rh(s, "RH_ref", 0.85, lo_open=True),
            "Es_J_per_mol": s.number("Es_J_per_mol", energy, lo=-200e3, hi=200e3),
            "CME_m3_per_kg": s.number("CME_m3_per_kg", 0.0, nonneg=True, hi=1e-2),
            "impermeable": impermeable,
            "source": s.string("source", "study file"),
        }
        if impermeable:  # a contradiction named at the key that holds it
            for name in ("D0_m2_per_s", "Csat_kg_per_m3", "CME_m3_per_kg"):
                if values[name]:
                    raise InputError(
                        s.key(name),
                        s.raw(name),
                        f"0 or left out, as {s.key('impermeable')} = true (a material that "
                        "takes no water); leave impermeable out to give it an uptake",
                    )
        try:
            props = MoistureProperties(name=region, **values)
        except InputError as e:  # "moisture.<region>.<key>": where it is in the file
            where = e.key.replace(f"moisture.{region}", key, 1)
            raise InputError(where, e.value, e.allowed) from None
        s.done()
        out[region] = props
    t.done()
    return out


def parse_moisture(m: Section) -> MoistureSpec | None:
    """``[moisture]`` (None when the section is absent or empty)."""
    if not m.data:
        return None
    exposed = m.raw("exposed", ["exterior"])
    if isinstance(exposed, str):
        exposed = [exposed]
    if not isinstance(exposed, list) or not exposed or not all(isinstance(x, str) for x in exposed):
        raise InputError(m.key("exposed"), exposed, "a boundary name or a list of them")
    spec = MoistureSpec(
        soak=_soak(m),
        reflow=_reflow(m),
        exposed=tuple(exposed),
        outputs=m.number("outputs", 30, integer=True, lo=1, hi=MAX_OUTPUTS),
        vapour_model=m.string("vapour_model", "henry", choices=("henry", "ideal_gas")),
        void_fraction=m.number("void_fraction", 0.05, positive=True, hi=1.0),
        swelling=m.boolean("swelling", True),
        materials=_materials(m),
        split_p2=m.boolean("split_p2", False),
    )
    m.done()
    if isinstance(spec.reflow, TemperatureProfile):  # a classification peaks at 220 C or more
        peak = max(T for _, T in spec.reflow.points)
        if peak <= spec.soak.T_C:
            # the "peak" state (moisture_peak_C, the vapour pressures) would be the soak's
            raise InputError(
                m.key("reflow"),
                f"a peak of {peak:g} °C",
                f"a reflow whose peak is above the soak's {spec.soak.T_C:g} °C, or 'none'",
            )
    return spec
