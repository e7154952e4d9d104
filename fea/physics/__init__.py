"""Physics: materials and constitutive laws (elastic, viscoelastic), eigenstrain sources,
heat conduction, thermoelasticity, mechanical histories with process stages
(``process``, ``history_step``, ``history_results``, driven by ``history``), and
post-processing (warpage, tractions, stresses); inelastic laws (J2, Anand, Garofalo),
temperature cycling and solder fatigue estimates, moisture diffusion and swelling. Built
on :mod:`fea.fe`; knows nothing of packages."""

from __future__ import annotations

from . import ctm, cycling, fatigue, materials, moisture_data
from .convection import FilmCoefficient
from .cycling import CyclingProfile, ipc_9701, jesd22_a104
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
from .mechanics import (
    MechanicalResult,
    Warpage,
    solve_thermoelastic,
    solve_thermoelastic_sweep,
    solve_thermoelastic_variants,
    warpage_curve,
)
from .moisture import MoistureResult, Soak, TemperatureProfile, solve_moisture
from .moisture_data import MoistureProperties
from .structure import StructureFunction, separation_point, structure_function
from .thermal import ThermalResult, Transient, solve_thermal
from .viscoelastic import WLF, Arrhenius, Prony

__all__ = [
    "ANAND_SETS",
    "Anand",
    "Arrhenius",
    "CyclingProfile",
    "FilmCoefficient",
    "GAROFALO_SETS",
    "Garofalo",
    "HistoryResult",
    "InelasticState",
    "Material",
    "MechanicalResult",
    "MoistureProperties",
    "MoistureResult",
    "Plastic",
    "Process",
    "Prony",
    "Soak",
    "Stage",
    "StructureFunction",
    "TemperatureProfile",
    "ThermalResult",
    "Transient",
    "WLF",
    "Warpage",
    "anand_set",
    "ctm",
    "cycling",
    "fatigue",
    "garofalo_set",
    "ipc_9701",
    "jesd22_a104",
    "materials",
    "moisture_data",
    "separation_point",
    "solve_history",
    "solve_moisture",
    "solve_thermal",
    "solve_thermoelastic",
    "solve_thermoelastic_sweep",
    "solve_thermoelastic_variants",
    "structure_function",
    "warpage_curve",
]
