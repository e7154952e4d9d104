"""How the bodies of a model read from a file are joined (docs/own_geometry.md, "Checks
and refusals"): overlapping bodies are refused, bodies joined only along an edge warned
of; a model whose bodies share faces passes without a word."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from fea.errors import MeshError
from fea.fe.mesh import PlausibilityWarning, gmsh_session
from fea.package.geometry.imported import imported_mesh
from fea.package.spec import parse_study


def _write(path: Path, boxes: list[tuple[float, ...]], fragment: bool) -> Path:
    """Boxes (x, y, z, dx, dy, dz) [mm] as the 3D groups encapsulant, die, ...; meshed
    conformally (fragmented) or each on its own."""
    import gmsh

    with gmsh_session():
        occ = gmsh.model.occ
        tags = [occ.addBox(*b) for b in boxes]
        if fragment:
            occ.fragment([(3, tags[0])], [(3, t) for t in tags[1:]])
        occ.synchronize()
        for tag, name in zip(tags, ("encapsulant", "die"), strict=False):
            gmsh.model.addPhysicalGroup(3, [tag], name=name)
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.5)
        gmsh.model.mesh.generate(3)
        gmsh.write(str(path))
    return path


def _mesh(path: Path):
    data = {
        "study": {"name": "joined"},
        "geometry": {"kind": "mesh", "path": str(path)},
        "mesh": {"order": 1},
        "loads": {"power_W": {"die": 1.0}, "h": 100.0, "die_power": "volume"},
    }
    return imported_mesh(parse_study(data).base)[0]


def test_a_die_meshed_inside_its_mould_block_is_refused(tmp_path):
    """A die box meshed inside a mould block, not cut out of it: two materials in one
    place. Before, a warning that the parts share no node, then the mechanics failed as
    'Pardiso failed in phase 22 (zero or negative pivot)'."""
    path = _write(tmp_path / "overlap.msh", [(-2, -2, 0, 4, 4, 1), (-1, -1, 0.2, 2, 2, 0.3)], False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)  # the parts' own warning
        with pytest.raises(MeshError, match=r"overlap.msh: the regions die and encapsulant"):
            _mesh(path)


def test_bodies_joined_only_along_an_edge_are_warned_of(tmp_path):
    """Two boxes sharing one edge (fragmented: the edge's nodes are common) form one
    node-connected mesh in which the die's heat crosses a line of nodes: before, Tj came
    out at 519 degC without a word."""
    path = _write(tmp_path / "edge.msh", [(-2, -2, 0, 2, 2, 1), (0, 0, 0, 2, 2, 1)], True)
    with pytest.warns(
        PlausibilityWarning,
        match=r"edge.msh: 2 parts .* joined only along an edge .*encapsulant .*die .*\(0, 0, ",
    ):
        _mesh(path)


def test_a_die_on_its_carrier_passes_without_a_word(tmp_path):
    """The conformal model (a die on a carrier, sharing their face) and one meshed apart
    (the parts' warning of :meth:`fea.Mesh.from_gmsh`, no overlap) are not refused."""
    boxes = [(-2, -2, 0, 4, 4, 0.5), (-1, -1, 0.5, 2, 2, 0.3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlausibilityWarning)
        _mesh(_write(tmp_path / "ok.msh", boxes, True))
    with pytest.warns(PlausibilityWarning, match="share no node") as record:
        _mesh(_write(tmp_path / "apart.msh", boxes, False))
    assert not any("edge" in str(w.message) for w in record)
