"""Physics: materials and constitutive laws, eigenstrain sources, heat conduction,
thermoelasticity and post-processing (warpage, tractions, stresses). Built on
:mod:`fea.fe`; knows nothing of packages."""

from __future__ import annotations

from . import materials
from .convection import FilmCoefficient
from .materials import Material
from .mechanics import MechanicalResult, Warpage, solve_thermoelastic, warpage_curve
from .structure import StructureFunction, separation_point, structure_function
from .thermal import ThermalResult, Transient, solve_thermal

__all__ = [
    "FilmCoefficient",
    "Material",
    "MechanicalResult",
    "StructureFunction",
    "ThermalResult",
    "Transient",
    "Warpage",
    "materials",
    "separation_point",
    "solve_thermal",
    "solve_thermoelastic",
    "structure_function",
    "warpage_curve",
]
