"""Fixtures of the physics tests: the reference package mesh, the NumPy stand-in for CuPy
with a device that reports itself working (device-path tests), a bar along x and a block."""

from __future__ import annotations

from pathlib import Path

import pytest

import fea

from ..solvers.standin import install_working_device
from ..verification.helpers import bar_along_x, layered_box, plane

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mesh():
    """meshes/reference/small_unit.msh (P1): a small package with every region."""
    return fea.Mesh.from_gmsh(ROOT / "meshes" / "reference" / "small_unit.msh", order=1)


@pytest.fixture
def device(monkeypatch):
    """CuPy replaced by the NumPy stand-in, and a device that works."""
    return install_working_device(monkeypatch)


@pytest.fixture(scope="module")
def bar():
    """A 4 x 1 x 1 mm bar along x, faces ``x0`` and ``x1`` (:func:`bar_along_x`)."""
    return bar_along_x()


@pytest.fixture(scope="module")
def box():
    """A 2 x 2 x 1 mm block (P1), faces ``bottom`` (z = 0) and ``top``."""
    return layered_box(
        (2e-3, 2e-3),
        [("body", 1e-3, 2)],
        1e-3,
        order=1,
        faces={"bottom": plane(2, 0.0), "top": plane(2, 1e-3)},
    )
