"""Fixtures of the device-path tests: the reference package mesh and the NumPy stand-in
for CuPy with a device that reports itself working."""

from __future__ import annotations

from pathlib import Path

import pytest

import fea
from fea.solvers import DeviceStatus, registry

from ..solvers.standin import install

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mesh():
    """meshes/reference/small_unit.msh (P1): a small package with every region."""
    return fea.Mesh.from_gmsh(ROOT / "meshes" / "reference" / "small_unit.msh", order=1)


@pytest.fixture
def device(monkeypatch):
    """CuPy replaced by the NumPy stand-in, and a device that works."""
    cupy = install(monkeypatch)
    status = DeviceStatus(True, "CUDA device 0 works (stand-in)", "stand-in")
    monkeypatch.setattr(registry, "probe_device", lambda: status)
    return cupy
