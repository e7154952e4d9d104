"""The public API: every name in __all__ resolves, and the lists are sorted."""

from __future__ import annotations

import importlib

import pytest

import fea

MODULES = [
    "fea",
    "fea.errors",
    "fea.units",
    "fea.materials",
    "fea.spec",
    "fea.cli",
    "fea.solvers",
    "fea.mesh",
    "fea.assembly",
    "fea.thermal",
    "fea.mechanics",
    "fea.geometry",
    "fea.study",
    "fea.fields",
    "fea.package",
    "fea.results",
    "fea.plots",
    "fea.solvers.krylov",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_resolves_and_is_sorted(name):
    mod = importlib.import_module(name)
    assert mod.__all__ == sorted(mod.__all__), f"{name}.__all__ is not sorted"
    for attr in mod.__all__:
        assert getattr(mod, attr) is not None, f"{name}.{attr}"


def test_design_names_present():
    # Names of DESIGN.md section 3 that the package provides at this stage.
    for attr in [
        "Material",
        "load_study",
        "materials",
        "errors",
        "units",
        "Mesh",
        "solve_thermal",
        "solve_thermoelastic",
        "Transient",
        "run_study",
        "write_results",
        "read_results",
    ]:
        assert hasattr(fea, attr)
    assert callable(fea.materials.get)
    assert callable(fea.Mesh.from_gmsh)
    import inspect

    sig = inspect.signature(fea.solve_thermal)
    assert list(sig.parameters)[:9] == [
        "mesh",
        "materials",
        "sources",
        "flux",
        "convection",
        "fixed",
        "transient",
        "backend",
        "method",
    ]
    sig = inspect.signature(fea.solve_thermoelastic)
    assert list(sig.parameters)[:6] == [
        "mesh",
        "materials",
        "temperature",
        "reference",
        "fixed",
        "backend",
    ]


def test_error_hierarchy():
    for cls in (
        fea.InputError,
        fea.MeshError,
        fea.SolverError,
        fea.BackendUnavailable,
        fea.ResultsError,
    ):
        assert issubclass(cls, fea.FeaError)
