"""Warnings when a case's answer is likely mesh-dependent: films coarser than the default
rule, elements of poor shape (gmsh's eta measure)."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import gmsh
import numpy as np
import pytest

from fea.fe.mesh import Mesh, gmsh_session, shape_quality
from fea.io import read_results
from fea.package import analyse
from fea.package import meshing as mesh_mod
from fea.package.sizing import (
    FILM_RULE_FACTOR,
    P1_BASELINE_WARPAGE,
    QUALITY_WARN,
    MeshDependenceWarning,
    film_rule,
    mesh_warnings,
)
from fea.package.spec import load_study

from ..verification.helpers import layered_box

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_study.toml"


def test_shape_quality_is_gmsh_eta():
    """The measure the warning uses is gmsh's own ``eta`` of every tetrahedron."""
    with gmsh_session():
        gmsh.model.occ.addBox(0, 0, 0, 1e-3, 1e-3, 0.1e-3)
        gmsh.model.occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [1], name="box")
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.3e-3)
        gmsh.model.mesh.generate(3)
        _, tags, _ = gmsh.model.mesh.getElements(3)
        eta = np.asarray(gmsh.model.mesh.getElementQualities(tags[0], "eta"))
        mesh = Mesh.from_gmsh(None, 1)
    q = shape_quality(mesh)
    assert len(q) == len(eta)
    assert np.sort(q) == pytest.approx(np.sort(eta), rel=1e-9)


def _case(**mesh):
    case = load_study(TINY).base
    return dataclasses.replace(case, mesh=dataclasses.replace(case.mesh, **mesh))


def test_film_size_coarser_than_the_rule_warns():
    case = _case(film_size=0.4e-3)
    g = case.geometry
    rule = min(3.0 * max(g.dielectric_thickness, g.die_attach_thickness), case.mesh.size)
    assert FILM_RULE_FACTOR == 3.0 and film_rule(case) == pytest.approx(rule)
    assert rule < 0.4e-3
    (text,) = mesh_warnings(case, {}, thermal=True)
    assert "mesh.film_size 0.4 mm" in text and f"{rule * 1e3:.3g} mm" in text
    assert "low" in text
    assert mesh_warnings(case, {}, thermal=False) == []  # no thermal solve: no Tj to doubt
    assert mesh_warnings(_case(), {}, thermal=True) == []  # the default rule
    assert mesh_warnings(_case(film_size=rule), {}, thermal=True) == []


def test_a_sliver_layer_warns_with_its_region_and_a_good_mesh_does_not():
    good = layered_box((1e-3, 1e-3), [("a", 0.5e-3, 1)], 0.5e-3, order=1)
    case = _case()
    assert shape_quality(good).min() > QUALITY_WARN
    # a P1 mechanical mesh is always reported (locking, the test below); the quality
    # warning comes on top of it
    assert mesh_warnings(case, {"mechanical": good}, thermal=False) == [_p1_text(case)]
    # squash the upper layer 1000 times in z (0.5 mm -> 0.5 um, same in-plane elements):
    # its tetrahedra become slivers: the volume scales by 1e-3, (3V)^(2/3) by 1e-2, the
    # squared edges by at most 1, so each mean ratio by at least 1e-2
    thin = layered_box((1e-3, 1e-3), [("a", 0.5e-3, 1), ("film", 0.5e-3, 1)], 0.5e-3, order=1)
    before = shape_quality(thin)
    z = thin.p1.p[2]
    z[:] = np.where(z > 0.5e-3, 0.5e-3 + (z - 0.5e-3) * 1e-3, z)
    q = shape_quality(thin)
    film = thin.regions["film"]
    assert np.all(q[film] >= 1e-2 * before[film] * (1 - 1e-9))
    assert q[film].min() < QUALITY_WARN
    assert q[thin.regions["a"]] == pytest.approx(before[thin.regions["a"]])
    worst_region = next(r for r, e in thin.regions.items() if np.argmin(q) in e)
    assert worst_region == "film"
    p1, text = mesh_warnings(case, {"mechanical": thin}, thermal=False)
    assert p1 == _p1_text(case)
    n_bad = int((q < QUALITY_WARN).sum())
    assert text.startswith(f"mechanical mesh: {n_bad} elements of shape quality under")
    assert f"minimum {q.min():.2g} in film" in text


def _p1_text(case):
    (text,) = [t for t in mesh_warnings(case, {"mechanical": _box(1)}) if "order = 1" in t]
    return text


def _box(order):
    return layered_box((1e-3, 1e-3), [("a", 0.5e-3, 1)], 0.5e-3, order=order)


def test_a_p1_mechanical_mesh_warns_that_it_locks_and_p2_does_not():
    """Linear tetrahedra lock in the bending of the 35 um shell: on the baseline the signed
    warpage at P1 was +0.7 to +1.1 um at 25 C against P2's -14 to -16 um and 1-3 um at
    260 C against 85-87 um (docs/performance.md): the warning says so, with the shell's
    thickness and what to use; a P2 mechanical mesh or a P1 thermal one gets none."""
    case = _case()
    (text,) = mesh_warnings(case, {"mechanical": _box(1)}, thermal=False)
    assert text.startswith("mechanical mesh: mesh.order = 1")
    assert "35 um shell" in text and "wrong sign" in text and "mesh.order = 2" in text
    assert P1_BASELINE_WARPAGE in text
    assert mesh_warnings(case, {"mechanical": _box(2)}, thermal=False) == []
    assert mesh_warnings(case, {"thermal": _box(1)}, thermal=False) == []


@pytest.mark.slow
def test_the_warning_reaches_the_results_file_and_the_caller(tmp_path, monkeypatch):
    monkeypatch.setattr(mesh_mod, "CACHE_DIR", tmp_path / "meshes")
    case = _case(film_size=0.4e-3)
    case = dataclasses.replace(case, loads=dataclasses.replace(case.loads, warpage_temperatures=()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analyse(case, tmp_path / "c0")
    mine = [str(w.message) for w in caught if issubclass(w.category, MeshDependenceWarning)]
    assert len(mine) == 1 and "coarser than the default rule" in mine[0]
    stored = json.loads(read_results(tmp_path / "c0" / "result.h5").attrs["warnings"])
    assert any("coarser than the default rule" in s for s in stored)
