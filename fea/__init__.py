"""fea: thermal and thermo-mechanical FEA of shielded microelectronic packages.

Layers (docs/architecture.md): :mod:`fea.fe` (generic finite elements),
:mod:`fea.physics` (materials, conduction, thermoelasticity), :mod:`fea.solvers`
(linear solvers, CPU and GPU), :mod:`fea.io` (results files), :mod:`fea.package`
(the shielded package: specs, geometry, metrics), :mod:`fea.study` (sweeps, tables,
plots), :mod:`fea.cli`.
"""

from __future__ import annotations

from importlib import metadata as _metadata

from . import errors, units
from .errors import (
    BackendUnavailable,
    FeaError,
    InputError,
    MeshError,
    ResultsError,
    SolverError,
)
from .fe.mesh import Mesh
from .io import read_results, write_results
from .package.spec import load_study
from .physics import ctm, materials
from .physics.cycling import CyclingProfile, jesd22_a104
from .physics.history import HistoryResult, Process, Stage, solve_history
from .physics.inelastic import Anand, Garofalo, InelasticState, Plastic, anand_set, garofalo_set
from .physics.materials import Material
from .physics.mechanics import (
    MechanicalResult,
    Warpage,
    solve_thermoelastic,
    solve_thermoelastic_sweep,
    solve_thermoelastic_variants,
    warpage_curve,
)
from .physics.moisture import MoistureResult, Soak, solve_moisture
from .physics.moisture_data import MoistureProperties
from .physics.structure import StructureFunction, structure_function
from .physics.thermal import ThermalResult, Transient, solve_thermal
from .physics.viscoelastic import WLF, Arrhenius, Prony
from .study import check_study, run_study

__all__ = [
    "Anand",
    "Arrhenius",
    "BackendUnavailable",
    "CyclingProfile",
    "FeaError",
    "Garofalo",
    "HistoryResult",
    "InelasticState",
    "InputError",
    "Material",
    "MechanicalResult",
    "Mesh",
    "MeshError",
    "MoistureProperties",
    "MoistureResult",
    "Plastic",
    "Process",
    "Prony",
    "ResultsError",
    "Soak",
    "SolverError",
    "Stage",
    "StructureFunction",
    "ThermalResult",
    "Transient",
    "WLF",
    "Warpage",
    "anand_set",
    "check_study",
    "ctm",
    "errors",
    "garofalo_set",
    "jesd22_a104",
    "load_study",
    "materials",
    "read_results",
    "run_study",
    "solve_history",
    "solve_moisture",
    "solve_thermal",
    "solve_thermoelastic",
    "solve_thermoelastic_sweep",
    "solve_thermoelastic_variants",
    "structure_function",
    "units",
    "warpage_curve",
    "write_results",
]


def _installed_version() -> str:
    """The version of the installed ``fea`` distribution: ``[project] version`` of
    pyproject.toml is the one source (``pip show fea``, ``fea.__version__`` and the
    results files' ``fea_version`` all read it); "0+unknown" for a source tree that was
    never installed."""
    try:
        return _metadata.version("fea")
    except _metadata.PackageNotFoundError:
        return "0+unknown"


__version__ = _installed_version()
