"""A mesh drawn in millimetres is read as metres: Mesh.from_gmsh says so."""

from __future__ import annotations

import warnings

import gmsh
import pytest

from fea.fe.mesh import Mesh, gmsh_session


def _box(scale: float) -> Mesh:
    with gmsh_session():
        b = gmsh.model.occ.addBox(0, 0, 0, 10 * scale, 10 * scale, 1 * scale)
        gmsh.model.occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [b], name="package")
        gmsh.option.setNumber("Mesh.MeshSizeMax", 5 * scale)
        gmsh.model.mesh.generate(3)
        return Mesh.from_gmsh(gmsh.model, order=1)


def test_a_model_drawn_in_millimetres_warns():
    with pytest.warns(UserWarning, match="read as metres.*millimetres"):
        _box(1.0)  # a 10 mm package drawn in mm: 10 m across as read
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _box(1e-3)  # the same package in metres: no warning


def test_a_mesh_implausibly_large_or_small_for_a_package_warns():
    """1.2 m across (a 12 mm package 100x too large) and 5 um (scaled twice) warn; a
    300 mm panel and a 10 mm package do not."""
    from fea.fe.mesh import PlausibilityWarning

    with pytest.warns(PlausibilityWarning, match="1.2 m across"):
        _box(0.12)  # 10 x 10 x 1 scaled: 1.2 m x 1.2 m x 0.12 m
    with pytest.warns(PlausibilityWarning, match="less than 10 um"):
        _box(5e-7)  # 5 um across
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _box(0.03)  # a 300 mm panel, 30 mm thick
        _box(1e-3)
