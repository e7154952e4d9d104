"""What is meshed is what the spec says: region volumes against closed forms, symmetry
models as exact fractions of the full model, named boundaries' areas, the encapsulant
joined through every opening, and absurd mesh sizes refused naming their key."""

from __future__ import annotations

import math

import gmsh
import numpy as np
import pytest

from fea.errors import InputError
from fea.fe.mesh import gmsh_session
from fea.package.geometry import build, unit_volumes
from fea.package.meshing import build_mesh

from .test_geometry import SMALL, case_of, components


def occ_model(case, symmetry: str = "none") -> tuple[dict[str, float], dict[str, float]]:
    """Region volumes [m^3] and boundary areas [m^2] of the OCC model (no mesh)."""
    with gmsh_session():
        info = build(gmsh.model, case, symmetry)
        mass = gmsh.model.occ.getMass
        vol = {r: sum(mass(3, t) for t in tags) * 1e-9 for r, tags in info.regions.items()}
        area = {b: sum(mass(2, t) for t in tags) * 1e-6 for b, tags in info.boundaries.items()}
    return vol, area


# -- mesh sizes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["size_mm", "opening_size_mm", "terminal_size_mm", "film_size_mm", "board_size_mm"]
)
@pytest.mark.parametrize("value", [1e-7, 1e-5])  # 0.1 nm and 10 nm
def test_mesh_size_below_what_the_mesher_resolves_refused(key, value):
    # a 0.1 nm element size was accepted by the reader (only > 0 was asked): the size
    # guard refused it for memory, and with --force gmsh never finished
    with pytest.raises(InputError) as info:
        case_of(mesh={key: value})
    e = info.value
    assert e.key == f"mesh.{key}"
    assert e.value == value
    assert "0.1 um" in e.allowed


@pytest.mark.parametrize("value", [0, -1.0, math.nan, math.inf])
def test_mesh_size_not_positive_or_finite_refused(value):
    with pytest.raises(InputError) as info:
        case_of(mesh={"size_mm": value})
    assert info.value.key == "mesh.size_mm"


def test_mesh_size_at_the_limit_accepted():
    assert case_of(mesh={"size_mm": 1e-4}).mesh.size == pytest.approx(1e-7)
