"""Fixtures of the solver tests: the NumPy stand-in for CuPy (alone, or with a device that
reports itself working), and the small package's real linear systems, captured from the
physics solvers through the public solver registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from .standin import install, install_working_device


@pytest.fixture
def numpy_as_cupy(monkeypatch):
    """NumPy/SciPy installed under the names ``cupy`` and ``cupyx.scipy.sparse``
    (see :mod:`tests.solvers.standin`)."""
    return install(monkeypatch)


@pytest.fixture
def device(monkeypatch):
    """CuPy replaced by the NumPy stand-in, and a device that reports itself working."""
    return install_working_device(monkeypatch)


@dataclass
class System:
    """A linear system as a physics solver hands it to :func:`fea.solvers.solve`."""

    A: Any
    b: np.ndarray
    kind: str
    near_null: np.ndarray | None


@dataclass
class Package:
    case: Any
    mesh: Any
    elasticity: System  # free body: six 3-2-1 support DOFs eliminated in place
    scalar: System  # steady conduction, die power, convection on the package surface


def capture_systems(case, mesh) -> dict[str, System]:
    """Run solve_thermoelastic and solve_thermal on ``mesh`` with a registered method that
    records the first system of each kind instead of solving it."""
    from fea.physics.mechanics import solve_thermoelastic
    from fea.physics.thermal import solve_thermal
    from fea.solvers import register_method, registry

    captured: dict[str, System] = {}

    def capture(A, b, *, kind, near_null, rtol, maxiter):
        captured.setdefault(kind, System(A.copy(), np.array(b), kind, near_null))
        return np.zeros_like(b), {"method": "capture"}

    with registry.registrations():
        register_method("capture", capture)
        mats = case.materials
        ref = {"encapsulant": 175.0, "*": 25.0}
        solve_thermoelastic(mesh, mats, 25.0, ref, backend="cpu", method="capture")
        solve_thermal(
            mesh,
            mats,
            sources={"die": 0.5},
            convection={"package_surface": (50.0, 25.0)},
            backend="cpu",
            method="capture",
        )
    return captured


@pytest.fixture(scope="session")
def package() -> Package:
    """The small package of ``tests/test_solvers.py::package_case`` (no board), meshed once
    per session, and its elasticity (180,972 DOF) and conduction (60,324 DOF) systems."""
    from fea.package.meshing import build_mesh
    from fea.package.spec import parse_study

    from ..package.test_analyse import SMALL

    data = dict(SMALL)
    data["geometry"] = {k: v for k, v in SMALL["geometry"].items() if k != "board"}
    case = parse_study(data).base
    mesh, _ = build_mesh(case)
    systems = capture_systems(case, mesh)
    return Package(case, mesh, systems["elasticity"], systems["scalar"])


@pytest.fixture(scope="session")
def package_reference(package) -> dict[str, np.ndarray]:
    """Reference solutions of the package systems: Pardiso where it works, else pyamg
    AMG-PCG to a 1e-12 residual (SuperLU would take minutes on the elasticity system)."""
    from fea.solvers import solve
    from fea.solvers.cpu import direct, pardiso_available

    out = {}
    for s in (package.elasticity, package.scalar):
        if pardiso_available():
            out[s.kind] = direct(s.A, s.b)[0]
        else:
            out[s.kind] = solve(
                s.A,
                s.b,
                kind=s.kind,
                backend="cpu",
                method="amg",
                near_null=s.near_null,
                rtol=1e-12,
            )[0]
    return out
