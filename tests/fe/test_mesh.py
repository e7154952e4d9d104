"""Reading a mesh drawn elsewhere: the tracked reference mesh of meshes/reference/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fea
from fea.package.geometry import unit_volumes
from fea.package.spec import parse_study

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "meshes" / "reference" / "small_unit.msh"


def _reference_geometry():
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from make_reference_meshes import SMALL_UNIT

    return parse_study(SMALL_UNIT).base.geometry


@pytest.mark.parametrize("order", [1, 2])
def test_reference_mesh_reads_with_its_names_and_volumes(order):
    mesh = fea.Mesh.from_gmsh(REFERENCE, order=order)
    assert set(mesh.regions) == {
        "die",
        "die_attach",
        "dielectric",
        "encapsulant",
        "shell",
        "terminals",
    }
    for name in ("top", "bottom", "terminal_tips", "die|encapsulant", "encapsulant|shell"):
        assert len(mesh.boundaries[name]) > 0, name
    # every element in exactly one region
    counts = np.bincount(np.concatenate(list(mesh.regions.values())), minlength=mesh.n_elements)
    assert np.all(counts == 1)
    vol = mesh.element_volumes()
    expected = unit_volumes(_reference_geometry())
    for region in ("shell", "die", "die_attach", "dielectric", "encapsulant"):
        got = vol[mesh.regions[region]].sum()
        assert got == pytest.approx(expected[region], rel=1e-9), region
    # the balls are coarsely faceted (0.3 mm facets on 0.4 mm balls): below the truncated
    # spheres
    balls = vol[mesh.regions["terminals"]].sum()
    assert 0.7 * expected["terminals"] < balls < expected["terminals"]
    n_nodes = mesh.nodes.shape[0]
    assert n_nodes == (mesh.p1.p.shape[1] if order == 1 else mesh.p1.p.shape[1] + mesh.p1.nedges)


def test_submesh_keeps_regions_nodes_and_boundaries():
    """A two-layer box without its upper layer: the lower layer with its volume, its
    boundaries, and the interface as its new top."""
    from fea.fe.submesh import submesh
    from tests.verification.helpers import layered_box, plane

    mesh = layered_box(
        (1e-3, 1e-3),
        [("a", 0.5e-3, 1), ("b", 0.5e-3, 1)],
        0.4e-3,
        order=2,
        faces={"z0": plane(2, 0.0), "z1": plane(2, 1e-3)},
    )
    mesh.boundaries["a|b"] = mesh.boundaries.get("a|b", _interface(mesh))
    sub = submesh(mesh, ["a"])
    assert list(sub.regions) == ["a"] and sub.n_elements == len(mesh.regions["a"])
    assert sub.element_volumes().sum() == pytest.approx(0.5e-9, rel=1e-12, abs=0)
    assert "z1" not in sub.boundaries
    assert sub.boundary_area("z0") == pytest.approx(1e-6, rel=1e-12)
    assert sub.boundary_area("a|b") == pytest.approx(1e-6, rel=1e-12)
    assert sub.order == 2 and sub.skfem.p.shape[1] < mesh.skfem.p.shape[1]
    with pytest.raises(fea.InputError):
        submesh(mesh, ["c"])


def _interface(mesh):
    """Facets shared by the elements of regions a and b."""
    import numpy as np

    f2t = mesh.p1.f2t
    ra = np.zeros(mesh.n_elements, bool)
    ra[mesh.regions["a"]] = True
    both = (f2t[1] >= 0) & (ra[f2t[0]] != ra[np.maximum(f2t[1], 0)])
    return np.flatnonzero(both)


def test_print_mesh_is_a_one_screen_summary():
    """Counts and the bounding box against the file read independently by meshio."""
    import meshio

    mesh = fea.Mesh.from_gmsh(REFERENCE, order=2)
    text = str(mesh)
    lines = text.splitlines()
    assert len(lines) <= 24 and max(len(x) for x in lines) <= 500
    raw = meshio.read(REFERENCE)
    tets = sum(len(c.data) for c in raw.cells if c.type.startswith("tetra"))
    assert f"{tets:,} tetrahedra, order 2" in lines[0]
    used = np.unique(
        np.concatenate([c.data[:, :4].ravel() for c in raw.cells if c.type.startswith("tetra")])
    )
    pts = raw.points[used] * 1e3  # mm
    size = pts.max(axis=0) - pts.min(axis=0)
    assert f"({size[0]:.4g} x {size[1]:.4g} x {size[2]:.4g})" in lines[1]
    assert f"x {pts[:, 0].min():.4g}..{pts[:, 0].max():.4g}" in lines[1]
    for name, elements in mesh.regions.items():
        assert f"{name} ({len(elements):,})" in text
    assert "die|encapsulant (" in lines[-1] and lines[-1].lstrip().startswith(
        f"{sum('|' in k for k in mesh.boundaries)} interfaces"
    )
    assert "top (" in text and "bottom (" in text
    assert repr(mesh).startswith("<Mesh order 2:") and "\n" not in repr(mesh)


def test_mesh_info_is_typed_and_reads_like_the_former_dict():
    from fea.fe.mesh import MeshInfo

    mesh = fea.Mesh.from_gmsh(REFERENCE, order=2)
    info = mesh.info
    assert isinstance(info, MeshInfo) and info.cache is None and "cache" not in info
    assert info.get("cache", "new") == "new"
    nodes = mesh.nodes
    assert info.nodes is nodes and info["nodes"] is nodes  # cached once
    info.update({"cache": "hit", "path": "x.msh", "mesh_3d_s": 1.5, "facts": {"a": 1}})
    assert (info.cache, info["path"], info.timings, info["facts"]) == (
        "hit",
        "x.msh",
        {"mesh_3d_s": 1.5},
        {"a": 1},
    )
    assert info["mesh_3d_s"] == 1.5 and info.setdefault("spaces", {"new": 1}) == {}
    with pytest.raises(KeyError):
        info["colour"] = "blue"
    with pytest.raises(KeyError):
        info["colour"]
