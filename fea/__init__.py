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
from .spec import load_study

__all__ = [
    "BackendUnavailable",
    "FeaError",
    "InputError",
    "Material",
    "MeshError",
    "ResultsError",
    "SolverError",
    "errors",
    "load_study",
    "materials",
    "units",
]

__version__ = "0.1.0"
