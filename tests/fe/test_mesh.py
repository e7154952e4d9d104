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
