"""The public API: every name in __all__ resolves, and the lists are sorted."""

from __future__ import annotations

import importlib

import pytest

import fea

MODULES = ["fea", "fea.errors", "fea.units", "fea.materials", "fea.spec", "fea.cli", "fea.solvers"]


@pytest.mark.parametrize("name", MODULES)
def test_all_resolves_and_is_sorted(name):
    mod = importlib.import_module(name)
    assert mod.__all__ == sorted(mod.__all__), f"{name}.__all__ is not sorted"
    for attr in mod.__all__:
        assert getattr(mod, attr) is not None, f"{name}.{attr}"


def test_design_names_present():
    # Names of DESIGN.md section 3 that the package provides at this stage.
    for attr in ["Material", "load_study", "materials", "errors", "units"]:
        assert hasattr(fea, attr)
    assert callable(fea.materials.get)


def test_error_hierarchy():
    for cls in (fea.InputError, fea.MeshError, fea.SolverError, fea.BackendUnavailable,
                fea.ResultsError):
        assert issubclass(cls, fea.FeaError)
