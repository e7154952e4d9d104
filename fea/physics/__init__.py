"""Physics: materials and constitutive laws (elastic, viscoelastic), eigenstrain sources,
heat conduction, thermoelasticity, mechanical histories with process stages
(``process``, ``history_step``, ``history_results``, driven by ``history``), and
post-processing (warpage, tractions, stresses). Built on :mod:`fea.fe`; knows nothing of
packages."""

from __future__ import annotations

from . import materials
from .convection import FilmCoefficient
from .history import HistoryResult, Process, Stage, solve_history
from .inelastic import (
    ANAND_SETS,
    GAROFALO_SETS,
    Anand,
    Garofalo,
    InelasticState,
    Plastic,
    anand_set,
    garofalo_set,
)
from .materials import Material
from .mechanics import MechanicalResult, Warpage, solve_thermoelastic, warpage_curve
from .structure import StructureFunction, separation_point, structure_function
from .thermal import ThermalResult, Transient, solve_thermal
from .viscoelastic import WLF, Arrhenius, Prony

__all__ = [
    "ANAND_SETS",
    "Anand",
    "Arrhenius",
    "FilmCoefficient",
    "GAROFALO_SETS",
    "Garofalo",
    "HistoryResult",
    "InelasticState",
    "Material",
    "MechanicalResult",
    "Plastic",
    "Process",
    "Prony",
    "Stage",
    "StructureFunction",
    "ThermalResult",
    "Transient",
    "WLF",
    "Warpage",
    "anand_set",
    "garofalo_set",
    "materials",
    "separation_point",
    "solve_history",
    "solve_thermal",
    "solve_thermoelastic",
    "structure_function",
    "warpage_curve",
]
