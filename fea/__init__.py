"""fea: thermal and thermo-mechanical FEA of shielded microelectronic packages."""

from __future__ import annotations

from . import errors, materials, units
from .errors import (
    BackendUnavailable,
    FeaError,
    InputError,
    MeshError,
    ResultsError,
    SolverError,
)
from .materials import Material
from .mechanics import MechanicalResult, Warpage, solve_thermoelastic, warpage_curve
from .mesh import Mesh
from .results import read_results, write_results
from .spec import load_study
from .study import run_study
from .thermal import ThermalResult, Transient, solve_thermal

__all__ = [
    "BackendUnavailable",
    "FeaError",
    "InputError",
    "Material",
    "MechanicalResult",
    "Mesh",
    "MeshError",
    "ResultsError",
    "SolverError",
    "ThermalResult",
    "Transient",
    "Warpage",
    "errors",
    "load_study",
    "materials",
    "read_results",
    "run_study",
    "solve_thermal",
    "solve_thermoelastic",
    "units",
    "warpage_curve",
    "write_results",
]

__version__ = "0.1.0"
