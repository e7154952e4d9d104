"""The public API: every name in __all__ resolves, and the lists are sorted."""

from __future__ import annotations

import importlib

import pytest

import fea

MODULES = [
    "fea",
    "fea.errors",
    "fea.units",
    "fea.cli",
    "fea.fe",
    "fea.fe.constraints",
    "fea.fe.forms",
    "fea.fe.mesh",
    "fea.fe.probes",
    "fea.fe.reduced",
    "fea.fe.submesh",
    "fea.fe.spaces",
    "fea.fe.timestep",
    "fea.physics",
    "fea.physics.constitutive",
    "fea.physics.convection",
    "fea.physics.effective",
    "fea.physics.eigenstrain",
    "fea.physics.history",
    "fea.physics.materials",
    "fea.physics.mechanics",
    "fea.physics.post",
    "fea.physics.structure",
    "fea.physics.thermal",
    "fea.physics.viscoelastic",
    "fea.solvers",
    "fea.solvers.krylov",
    "fea.io",
    "fea.io.atomic",
    "fea.io.curves",
    "fea.io.hdf5",
    "fea.io.table",
    "fea.io.vtu",
    "fea.io.xdmf",
    "fea.package",
    "fea.package.analyse",
    "fea.package.geometry",
    "fea.package.jedec",
    "fea.package.meshing",
    "fea.package.names",
    "fea.package.progress",
    "fea.package.power_map",
    "fea.package.sizing",
    "fea.package.spec",
    "fea.package.spec.checks",
    "fea.package.spec.reader",
    "fea.package.spec.reference",
    "fea.package.spec.schema",
    "fea.package.spec.sweeps",
    "fea.package.transient",
    "fea.study",
    "fea.study.plots",
    "fea.study.progress",
    "fea.study.runner",
    "fea.study.slurm",
    "fea.study.table",
    "fea.study.worker",
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
        "structure_function",
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


def test_layers_import_only_downwards():
    """fe/ never imports physics/ or package/; physics/ never imports package/; only
    solvers/gpu.py imports CuPy; only io/ imports h5py (DESIGN.md section 2)."""
    import re
    from pathlib import Path

    root = Path(fea.__file__).parent
    rules = {
        "fe": ("physics", "package", "study", "io"),
        "physics": ("package", "study"),
        "solvers": ("physics", "package", "study", "io"),
        "io": ("package", "study"),
        "package": ("study",),
    }
    for layer, banned in rules.items():
        for path in (root / layer).rglob("*.py"):
            text = path.read_text()
            for b in banned:
                pattern = rf"^\s*(from\s+(fea|\.+)\.?{b}\b|import\s+fea\.{b}\b)"
                assert not re.search(pattern, text, re.M), f"{path} imports {b}"
    for path in root.rglob("*.py"):
        text = path.read_text()
        if path.name != "gpu.py":
            assert not re.search(r"^\s*(import cupy|from cupy)", text, re.M), path
        if path.parent.name != "io":
            assert not re.search(r"^\s*import h5py", text, re.M), path
