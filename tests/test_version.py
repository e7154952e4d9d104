"""One version: pyproject.toml's [project] version, as the installed distribution,
``fea.__version__`` and a results file's ``fea_version`` state it."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import fea

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_the_installed_distributions_and_pyprojects():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert metadata.version("fea") == declared  # what `pip show fea` prints
    assert fea.__version__ == declared


def test_results_file_records_the_same_version(tmp_path):
    mesh = fea.Mesh.from_gmsh(ROOT / "meshes" / "reference" / "small_unit.msh", order=1)
    path = fea.write_results(tmp_path / "r.h5", mesh)
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert fea.read_results(path).attrs["fea_version"] == declared
