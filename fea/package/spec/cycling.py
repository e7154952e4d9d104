"""The ``[cycling]`` section: temperature cycling of the unit on its board (JESD22-A104,
IPC-9701) and how its last cycle is turned into solder-joint damage measures and life
ESTIMATES (:mod:`fea.physics.cycling`, :mod:`fea.physics.fatigue`,
:func:`fea.package.cycling.run_cycling`).

.. code-block:: toml

    [cycling]
    condition = "G"               # JESD22-A104 letter, or an IPC-9701 name (TC1..TC5)
    # t_min_C = -40, t_max_C = 125  (instead of condition)
    cycles = 3
    ramp_K_per_min = 10.0
    dwell_s = 900.0               # or soak_mode = 4 (JESD22-A104: 1, 5, 10, 15 min);
                                  # default mode 4, IPC-9701 10 min
    stress_free_C = 217.0         # default: the solder's solidus (SOLDER_SOLIDUS_C)
    first = "cold"                # the extreme each cycle starts at
    ramp_points = 1               # profile points per ramp
    dwell_points = 6              # time steps per dwell, each 1.25x the last (first the shortest)
    max_step_K = 5.0              # largest temperature change of a time step on the ramps
    # inelastic_step_tol = 2e-3   # adaptive steps (opt-in): target inelastic strain a step
    newton_rtol = 1e-8            # Newton's force tolerance (of the step's force scale)
    newton_dtol = 1e-6            # Newton's displacement tolerance (of the displacement)
    newton_factor_precision = "auto"  # the kept tangent factor: auto, single or double
    solder = "SAC305_Motalab2012" # an Anand set (fea.physics.inelastic.ANAND_SETS)
    board_size_mm = [20.0, 20.0]  # the board coupon of the mechanical model (default: the
                                  # [geometry.board] size)
    symmetry = "quarter"          # none, half, quarter or eighth: the symmetry planes
    # fatigue: Darveaux's layer, the life models
    layer_um = 25.0               # Darveaux's interface layer at the pad
    side = "board"                # the pad whose layer is averaged
    pad_diameter_mm = 0.265       # default: the joints' contact diameter at the pads
    darveaux = "SnPb_Darveaux2000_25um"   # or a table {K1, K2, K3, K4, ...}
    models = ["darveaux", "syed", "engelmaier"]
    delta_alpha_ppm_per_K = 7.0   # package/board CTE mismatch (Engelmaier needs it)

:func:`parse_fatigue` reads the same fatigue keys from a table of their own
(``layer_thickness_um`` for ``layer_um``), for :func:`fea.package.cycling.run_cycling`
driven from Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import InputError
from ...physics import fatigue as fat
from ...physics.cycling import (
    IPC_9701_CYCLES,
    SAC305_SOLIDUS_C,
    SOAK_MODES_S,
    CyclingProfile,
    ipc_9701,
    jesd22_a104,
    temperature_cycles,
)
from ...physics.inelastic import ANAND_SETS
from ...physics.process import MAX_STEPS
from ...solvers.base import FACTOR_PRECISIONS
from .reader import Section

__all__ = [
    "CyclingSpec",
    "DEFAULT_DWELL_POINTS",
    "DEFAULT_MAX_STEP_K",
    "DEFAULT_NEWTON_DTOL",
    "DEFAULT_NEWTON_RTOL",
    "FATIGUE_MODELS",
    "FatigueSpec",
    "LIFE_OUTPUTS",
    "MAX_CYCLES",
    "SOLDER_SOLIDUS_C",
    "SYMMETRY_CHOICES",
    "parse_cycling",
    "parse_fatigue",
]

#: Most cycles a study may ask for (each is a few dozen nonlinear steps).
MAX_CYCLES = 20

#: Time steps per dwell of a ``[cycling]`` profile (``dwell_points``; pieces growing by
#: :data:`fea.physics.cycling.DWELL_RATIO`) and largest temperature change of a step on
#: the ramps [K] (``max_step_K``): together the cheapest setting measured whose per-joint
#: Delta W of the last cycle is within 3 % of a fine reference on the quarter board model
#: (2.8 %, 287 steps for 3 cycles of condition G; with 10 K ramps no dwell count came
#: within 3 %: docs/reliability.md, time discretisation).
DEFAULT_DWELL_POINTS = 6

#: See :data:`DEFAULT_DWELL_POINTS`.
DEFAULT_MAX_STEP_K = 5.0

#: Newton's force and displacement tolerances of a cycling step (``newton_rtol``,
#: ``newton_dtol``, both fractions: of the step's force scale, of the displacement;
#: :func:`fea.solve_history`'s defaults): the per-joint Delta W of the last cycle to about
#: 1e-7. Looser ones are faster: 1e-6 and 1e-5 took 1.3x less time on the board model
#: and moved Delta W by 5e-5 at most, against the time steps' 2.8 % (docs/reliability.md,
#: Newton's tolerances).
DEFAULT_NEWTON_RTOL = 1e-8

#: See :data:`DEFAULT_NEWTON_RTOL`.
DEFAULT_NEWTON_DTOL = 1e-6

#: Solidus [degC] of the alloy of each ``solder`` (an Anand set of
#: :data:`fea.physics.inelastic.ANAND_SETS`): the default ``stress_free_C`` (the joints
#: solidify stress free there) and the highest one accepted (above it the joint is partly
#: liquid). Sn-3.0Ag-0.5Cu 217 (liquidus about 220), Sn-3.8Ag-0.7Cu 217, Sn-3.5Ag 221 (the
#: eutectic), 62Sn36Pb2Ag 179 (near-eutectic; 63Sn37Pb 183): handbook values of the alloys'
#: melting ranges, each set's ``solidus_C`` (with its ``solidus_source``) in
#: :data:`~fea.physics.inelastic.ANAND_SETS`, which the law of the set carries too. A set
#: not listed takes the SAC305 value.
SOLDER_SOLIDUS_C: dict[str, float] = {
    name: float(d["solidus_C"]) for name, d in ANAND_SETS.items()
}

#: Life models ``models`` may list.
FATIGUE_MODELS = ("darveaux", "syed", "engelmaier")

#: The life columns of ``[outputs] metrics`` and the model of ``models`` each comes from.
LIFE_OUTPUTS = {
    "N_darveaux_cycles": "darveaux",
    "N0_darveaux_cycles": "darveaux",
    "N_syed_cycles": "syed",
    "N_engelmaier_cycles": "engelmaier",
}

#: The symmetry models a cycling study may run.
SYMMETRY_CHOICES = ("none", "half", "quarter", "eighth")


@dataclass(frozen=True)
class FatigueSpec:
    """How the last cycle is turned into damage measures and life estimates.

    Attributes
    ----------
    layer_thickness_m
        Darveaux's interface layer [m] (default 25 um).
    side
        ``"board"`` or ``"package"``: the pad the layer sits on.
    pad_diameter_m
        Pad diameter [m], or None: the model's own (the joints' contact diameter at the
        pads, :attr:`~fea.package.spec.geometry.TerminalSpec.contact_diameter`).
    darveaux
        A set name of :data:`fea.physics.fatigue.DARVEAUX_SETS` or
        :class:`~fea.physics.fatigue.DarveauxConstants`.
    models
        The life models to estimate, a subset of :data:`FATIGUE_MODELS`.
    delta_alpha
        Package/board CTE mismatch [1/K] for Engelmaier, or None (then ``engelmaier`` may
        not be listed in ``models``).
    engelmaier_factor
        Engelmaier's empirical factor F in [0.5, 1.5] (IPC-D-279: 1 for leadless parts,
        about 0.7-1.2 for others; default 1).
    """

    layer_thickness_m: float = 25e-6
    side: str = "board"
    pad_diameter_m: float | None = None
    darveaux: str | fat.DarveauxConstants = "SnPb_Darveaux2000_25um"
    models: tuple[str, ...] = ("darveaux", "syed")
    delta_alpha: float | None = None
    engelmaier_factor: float = 1.0

    def options(self, layer_thickness: float | None = None) -> Any:
        """The :class:`fea.package.cycling.FatigueOptions` of the section
        (``layer_thickness`` [m] overrides the section's layer)."""
        from ..cycling import FatigueOptions

        return FatigueOptions(
            layer_thickness=self.layer_thickness_m if layer_thickness is None else layer_thickness,
            side=self.side,
            darveaux=self.darveaux if "darveaux" in self.models else None,
            syed="SAC_Syed2004" if "syed" in self.models else None,
            engelmaier=(
                {"delta_alpha": self.delta_alpha, "factor": self.engelmaier_factor}
                if "engelmaier" in self.models
                else None
            ),
        )


@dataclass(frozen=True)
class CyclingSpec:
    """A parsed ``[cycling]`` section.

    Attributes
    ----------
    profile
        The temperature profile (:class:`~fea.physics.cycling.CyclingProfile`).
    solder
        Name of the Anand set of the terminals (:data:`~fea.physics.inelastic.ANAND_SETS`).
    board_size
        (x, y) of the board coupon [m], or None for the ``[geometry.board]`` size.
    symmetry
        ``none``, ``half`` (x >= 0), ``quarter`` (x, y >= 0) or ``eighth`` (0 <= y <= x, a
        square case): the model's symmetry planes
        (zero normal displacement); the geometry must be symmetric about them.
    fatigue
        The fatigue keys (:class:`FatigueSpec`): layer, side, pad diameter, Darveaux
        constants, life models, Engelmaier's CTE mismatch.
    max_step_K
        Largest temperature change of one time step [K] (``max_step_K`` of
        :func:`fea.solve_history`; the dwells' steps are the profile's ``dwell_points``).
    inelastic_step_tol
        Adaptive steps: target largest equivalent inelastic strain increment of a step [-]
        (``inelastic_step_tol`` of :func:`fea.solve_history`), or None (default): fixed
        steps.
    newton_rtol, newton_dtol
        Newton's force tolerance (a fraction of the step's force scale) and displacement
        tolerance (a fraction of the displacement) [-] (``newton_rtol``, ``newton_dtol``
        of :func:`fea.solve_history`).
    newton_factor_precision
        The kept tangent factorisation's precision (``newton_factor_precision`` of
        :func:`fea.solve_history`): ``"auto"`` (single from 50,000 unknowns),
        ``"single"`` or ``"double"``.
    """

    profile: CyclingProfile
    solder: str = "SAC305_Motalab2012"
    board_size: tuple[float, float] | None = None
    symmetry: str = "none"
    fatigue: FatigueSpec = field(default_factory=FatigueSpec)
    max_step_K: float = DEFAULT_MAX_STEP_K
    inelastic_step_tol: float | None = None
    newton_rtol: float = DEFAULT_NEWTON_RTOL
    newton_dtol: float = DEFAULT_NEWTON_DTOL
    newton_factor_precision: str = "auto"

    @property
    def layer(self) -> float:
        """Darveaux's interface-layer thickness [m] (``layer_um``)."""
        return self.fatigue.layer_thickness_m

    @property
    def side(self) -> str:
        """``"board"`` or ``"package"``: the pad whose layer is averaged."""
        return self.fatigue.side

    @property
    def darveaux(self) -> str | fat.DarveauxConstants:
        """The Darveaux constants (a set name or a table)."""
        return self.fatigue.darveaux


def _profile(c: Section) -> CyclingProfile:
    cycles = c.number("cycles", 3, integer=True, lo=1, hi=MAX_CYCLES)
    ramp = c.number("ramp_K_per_min", 10.0, positive=True, hi=1000.0)
    # the solder's own key is checked later (parse_cycling); an unknown one is refused there
    solder = c.data.get("solder", "SAC305_Motalab2012")
    solidus = SAC305_SOLIDUS_C
    if isinstance(solder, str):
        solidus = SOLDER_SOLIDUS_C.get(solder, solidus)
    T0 = c.number("stress_free_C", SAC305_SOLIDUS_C, lo=-273.15, hi=400.0)
    if not c.has("stress_free_C"):
        T0 = solidus
    elif T0 > solidus:
        raise InputError(
            c.key("stress_free_C"),
            T0,
            f"at most the solidus of the solder {solder} ({solidus:g} °C, the default): the "
            "joints are stress free where they solidify",
        )
    kw: dict[str, Any] = {
        "cycles": cycles,
        "ramp_K_per_min": ramp,
        "stress_free_C": T0,
        "first": c.string("first", "cold", choices=("cold", "hot")),
        "ramp_points": c.number("ramp_points", 1, integer=True, lo=1, hi=100),
        "dwell_points": c.number(
            "dwell_points", DEFAULT_DWELL_POINTS, integer=True, lo=1, hi=50
        ),
    }
    if c.has("dwell_s") and c.has("soak_mode"):
        raise InputError(
            c.key("soak_mode"), c.data["soak_mode"], "either soak_mode or dwell_s, not both"
        )
    if c.has("dwell_s"):
        kw["dwell_s"] = c.number("dwell_s", nonneg=True, hi=1e6)
    has_range = c.has("t_min_C") or c.has("t_max_C")
    if has_range and c.has("condition"):
        raise InputError(
            c.key("condition"), c.data["condition"], "either condition or t_min_C/t_max_C"
        )
    mode = c.number("soak_mode", None, integer=True, lo=min(SOAK_MODES_S), hi=max(SOAK_MODES_S))
    if mode is not None:
        kw["dwell_s"] = SOAK_MODES_S[int(mode)]
    if has_range:
        prof = temperature_cycles(
            c.number("t_min_C", lo=-273.15, hi=400.0),
            c.number("t_max_C", lo=-273.15, hi=400.0),
            **kw,
        )
    else:
        name = c.string("condition", "G")
        try:
            if name.strip().upper() in IPC_9701_CYCLES:
                prof = ipc_9701(name, **kw)
            else:
                prof = jesd22_a104(name, **kw)
        except InputError as e:
            if e.key == "cycling.condition":
                raise InputError(
                    c.key("condition"),
                    name,
                    f"a JESD22-A104 letter or an IPC-9701 name ({', '.join(IPC_9701_CYCLES)})",
                ) from None
            raise
    _check_range_against(c, prof, solder, solidus, has_range)
    return prof


def _check_range_against(
    c: Section, prof: CyclingProfile, solder: Any, solidus: float, has_range: bool
) -> None:
    """Refuse a cycle whose hot extreme is above the solder's solidus (the joints would be
    partly liquid: no creep law holds there) and a stress-free temperature below the cold
    extreme (the joints solidify at the solidus; no assembly is stress free colder than
    the coldest point of its test)."""
    if prof.t_max_C > solidus:
        key = "t_max_C" if has_range else "condition"
        value = prof.t_max_C if has_range else c.data.get("condition", "G")
        raise InputError(
            c.key(key),
            value,
            f"a cycle whose hot extreme ({prof.t_max_C:g} °C) is at most the solidus of the "
            f"solder {solder} ({solidus:g} °C): above it the joints melt",
        )
    if prof.stress_free_C < prof.t_min_C:
        raise InputError(
            c.key("stress_free_C"),
            prof.stress_free_C,
            f"at least the cycle's cold extreme ({prof.t_min_C:g} °C; the default is the "
            f"solder's solidus, {solidus:g} °C): the joints are stress free where they "
            "solidify, or at a temperature inside the cycle's range",
        )


def _darveaux(f: Section) -> str | fat.DarveauxConstants:
    v = f.data.get("darveaux", "SnPb_Darveaux2000_25um")
    key = f.key("darveaux")
    if not isinstance(v, dict):
        if isinstance(v, str) and v not in fat.DARVEAUX_SETS:
            raise InputError(
                key,
                v,
                f"one of {', '.join(fat.DARVEAUX_SETS)} or a table "
                "{K1, K2, K3, K4, energy_unit_Pa, length_unit_m, thickness_um}",
            )
        return f.string("darveaux", "SnPb_Darveaux2000_25um", choices=tuple(fat.DARVEAUX_SETS))
    s = f.section("darveaux")
    kw = {
        # magnitudes far outside any published set (K1 22,400 cycles, K3 5.86e-7 in/cycle
        # for SnPb) but finite: 1e300 and 1e-300 gave lives of 0 without a word
        "K1": s.number("K1", positive=True, lo=1e-12, hi=1e15),
        "K2": s.number("K2", lo=-10.0, hi=10.0),
        "K3": s.number("K3", positive=True, lo=1e-20, hi=1.0),
        "K4": s.number("K4", lo=-10.0, hi=10.0),
        "energy_unit": s.number("energy_unit_Pa", None, positive=True, lo=1e-3, hi=1e10),
        "length_unit": s.number("length_unit_m", None, positive=True, lo=1e-9, hi=1.0),
        "thickness": s.number("thickness_um", positive=True, hi=1000.0) * 1e-6,
        "alloy": s.string("alloy", ""),
        "source": s.string("source", "study file"),
    }
    s.done()
    # no default unit: published constants are in psi and inches (Darveaux) or MPa and
    # mm, never in Pa and m; a unit left out took Pa and m, and a MPa/mm set gave lives
    # off by orders of magnitude
    for key, name, allowed in (
        ("energy_unit_Pa", "energy_unit", "6894.757 for psi, 1e6 for MPa, 1 for Pa"),
        ("length_unit_m", "length_unit", "0.0254 for inches, 1e-3 for mm, 1 for m"),
    ):
        if kw[name] is None:
            raise InputError(
                s.key(key),
                None,
                f"the unit the constants were published in ({allowed}): a value is required",
            )
    return fat.DarveauxConstants(**kw)


def _fatigue(f: Section, layer_key: str) -> FatigueSpec:
    """The fatigue keys of ``f`` (``layer_key``: ``layer_um`` in ``[cycling]``,
    ``layer_thickness_um`` in a table of their own)."""
    models = f.raw("models", ["darveaux", "syed"])
    if isinstance(models, str):
        models = [models]
    if (
        not isinstance(models, list)
        or not all(isinstance(m, str) and m in FATIGUE_MODELS for m in models)
        or len(set(models)) != len(models)
    ):
        raise InputError(
            f.key("models"),
            models,
            f"a list of distinct model names from {', '.join(FATIGUE_MODELS)}",
        )
    da = f.number("delta_alpha_ppm_per_K", None, positive=True, hi=1000.0, scale=1e-6)
    if "engelmaier" in models and da is None:
        raise InputError(
            f.key("delta_alpha_ppm_per_K"),
            None,
            "the package/board CTE mismatch [ppm/K] when models lists engelmaier",
        )
    # at least a micro-bump's 5 um (1e-300 gave Darveaux's N = N0 without a word)
    pad = f.number("pad_diameter_mm", None, positive=True, lo=0.005, hi=100.0, scale=1e-3)
    factor = f.number("engelmaier_factor", 1.0, lo=0.5, hi=1.5)
    return FatigueSpec(
        layer_thickness_m=f.number(layer_key, 25.0, positive=True, hi=1000.0, scale=1e-6),
        side=f.string("side", "board", choices=("board", "package")),
        pad_diameter_m=pad,
        darveaux=_darveaux(f),
        models=tuple(models),
        delta_alpha=da,
        engelmaier_factor=factor,
    )


def _max_step(c: Section, profile: CyclingProfile) -> float:
    """``max_step_K``, refused here (not after the mesh is built) where the profile's ramps
    would take more than :data:`fea.physics.process.MAX_STEPS` steps of it."""
    step = c.number("max_step_K", DEFAULT_MAX_STEP_K, positive=True, hi=1000.0)
    pts = profile.points
    n = sum(max(1.0, abs(b[1] - a[1]) / step) for a, b in zip(pts[:-1], pts[1:], strict=True))
    if not n <= MAX_STEPS:
        raise InputError(
            c.key("max_step_K"),
            step,
            f"a step implying at most {MAX_STEPS:,} time steps (this profile implies about "
            f"{n:.3g})",
        )
    return step


def parse_cycling(c: Section) -> CyclingSpec | None:
    """``[cycling]`` (None when the section is absent or empty). Errors name
    ``cycling.<key>``."""
    if not c.data:
        return None
    profile = _profile(c)
    # not bounded here: the coupon is refused against the board it is cut from
    # (fea.package.spec.checks.board_model_case), which names the board's size
    size = c.pair("board_size_mm", None, scale=1e-3) if c.has("board_size_mm") else None
    spec = CyclingSpec(
        profile=profile,
        solder=c.string("solder", "SAC305_Motalab2012", choices=tuple(ANAND_SETS)),
        board_size=size,
        symmetry=c.string("symmetry", "none", choices=SYMMETRY_CHOICES),
        fatigue=_fatigue(c, "layer_um"),
        max_step_K=_max_step(c, profile),
        # under 1e-5 the steps sit at their least length (1/64 of the fixed step) for the
        # whole history: 1e-300 ran for hours instead of seconds
        inelastic_step_tol=c.number("inelastic_step_tol", None, positive=True, lo=1e-5, hi=0.1),
        newton_rtol=c.number("newton_rtol", DEFAULT_NEWTON_RTOL, positive=True, hi=1e-2),
        newton_dtol=c.number("newton_dtol", DEFAULT_NEWTON_DTOL, positive=True, hi=1e-2),
        newton_factor_precision=c.string(
            "newton_factor_precision", "auto", choices=("auto", *FACTOR_PRECISIONS)
        ),
    )
    c.done()
    return spec


def parse_fatigue(f: Section) -> FatigueSpec:
    """The fatigue keys as a table of their own (``layer_thickness_um``, ``side``,
    ``pad_diameter_mm``, ``darveaux``, ``models``, ``delta_alpha_ppm_per_K``; defaults
    when empty). Errors name ``<path>.<key>``."""
    spec = _fatigue(f, "layer_thickness_um")
    f.done()
    return spec
