"""The ``[cycling]`` section: temperature cycling of the unit on its board (JESD22-A104,
IPC-9701) and the solder-joint fatigue estimates (:mod:`fea.physics.cycling`,
:mod:`fea.physics.fatigue`).

.. code-block:: toml

    [cycling]
    condition = "G"               # JESD22-A104 letter, an IPC-9701 name (TC1..TC5), or
    # t_min_C = -40, t_max_C = 125  (instead of condition)
    cycles = 3
    ramp_K_per_min = 10.0
    dwell_s = 900.0               # default: soak mode 4 of JESD22-A104 (15 min)
    stress_free_C = 217.0         # the SAC305 solidus
    solder = "SAC305_Motalab2012" # an Anand set (fea.physics.inelastic.ANAND_SETS)
    board_size_mm = [20.0, 20.0]  # the board coupon of the mechanical model (default: the
                                  # [geometry.board] size)
    layer_um = 25.0               # Darveaux's interface layer at the pad
    side = "board"                # the pad whose layer is averaged
    darveaux = "SnPb_Darveaux2000_25um"
    symmetry = "quarter"          # none, half or quarter: the model's symmetry planes
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import InputError
from ...physics.cycling import CyclingProfile, ipc_9701, jesd22_a104, temperature_cycles
from ...physics.fatigue import DARVEAUX_SETS
from ...physics.inelastic import ANAND_SETS
from .reader import Section

__all__ = ["CyclingSpec", "MAX_CYCLES", "parse_cycling"]

#: Most cycles a study may ask for (each is a few dozen nonlinear steps).
MAX_CYCLES = 20


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
    layer
        Darveaux's interface-layer thickness [m].
    side
        ``"board"`` or ``"package"``: the pad whose layer is averaged.
    darveaux
        Name of the Darveaux constants (:data:`~fea.physics.fatigue.DARVEAUX_SETS`).
    symmetry
        ``none``, ``half`` (x >= 0) or ``quarter`` (x, y >= 0): the model's symmetry planes
        (zero normal displacement); the geometry must be symmetric about them.
    """

    profile: CyclingProfile
    solder: str = "SAC305_Motalab2012"
    board_size: tuple[float, float] | None = None
    layer: float = 25e-6
    side: str = "board"
    darveaux: str = "SnPb_Darveaux2000_25um"
    symmetry: str = "none"


def _profile(c: Section) -> CyclingProfile:
    cycles = c.number("cycles", 3, integer=True, lo=1, hi=MAX_CYCLES)
    ramp = c.number("ramp_K_per_min", 10.0, positive=True, hi=1000.0)
    T0 = c.number("stress_free_C", 217.0, lo=-273.15, hi=400.0)
    kw: dict[str, Any] = {"cycles": cycles, "ramp_K_per_min": ramp, "stress_free_C": T0}
    if c.has("dwell_s"):
        kw["dwell_s"] = c.number("dwell_s", nonneg=True, hi=1e6)
    has_range = c.has("t_min_C") or c.has("t_max_C")
    if has_range and c.has("condition"):
        raise InputError(
            c.key("condition"), c.data["condition"], "either condition or t_min_C/t_max_C"
        )
    if has_range:
        return temperature_cycles(
            c.number("t_min_C", lo=-273.15, hi=400.0),
            c.number("t_max_C", lo=-273.15, hi=400.0),
            **kw,
        )
    name = c.string("condition", "G")
    try:
        if name.upper().startswith("TC"):
            return ipc_9701(name, **kw)
        return jesd22_a104(name, **kw)
    except InputError as e:
        raise InputError(c.key("condition"), name, e.allowed) from None


def parse_cycling(c: Section) -> CyclingSpec | None:
    """``[cycling]`` (None when the section is absent or empty)."""
    if not c.data:
        return None
    profile = _profile(c)
    size = c.pair("board_size_mm", None, scale=1e-3) if c.has("board_size_mm") else None
    spec = CyclingSpec(
        profile=profile,
        solder=c.string("solder", "SAC305_Motalab2012", choices=tuple(ANAND_SETS)),
        board_size=size,
        layer=c.number("layer_um", 25.0, positive=True, hi=1000.0, scale=1e-6),
        side=c.string("side", "board", choices=("board", "package")),
        darveaux=c.string("darveaux", "SnPb_Darveaux2000_25um", choices=tuple(DARVEAUX_SETS)),
        symmetry=c.string("symmetry", "none", choices=("none", "half", "quarter")),
    )
    c.done()
    return spec
