"""Physics: materials and constitutive laws (elastic, viscoelastic), eigenstrain sources,
heat conduction, thermoelasticity, mechanical histories with process stages, and
post-processing (warpage, tractions, stresses). Built on :mod:`fea.fe`; knows nothing of
packages."""

from __future__ import annotations

from . import materials
from .history import HistoryResult, Process, Stage, solve_history
from .materials import Material
from .mechanics import MechanicalResult, Warpage, solve_thermoelastic, warpage_curve
from .thermal import ThermalResult, Transient, solve_thermal
from .viscoelastic import WLF, Arrhenius, Prony

__all__ = [
    "Arrhenius",
    "HistoryResult",
    "Material",
    "MechanicalResult",
    "Process",
    "Prony",
    "Stage",
    "ThermalResult",
    "Transient",
    "WLF",
    "Warpage",
    "materials",
    "solve_history",
    "solve_thermal",
    "solve_thermoelastic",
    "warpage_curve",
]
