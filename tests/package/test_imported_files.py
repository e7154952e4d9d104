"""A user's own .msh read by ``fea.Mesh.from_gmsh``: the files a tired user gives it (an
empty file, a folder, a 2-D mesh, a flat tetrahedron, volumes meshed one by one) are
refused or warned about, by what is wrong, instead of solving a wrong model."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

import fea
from fea.errors import MeshError
from fea.fe.mesh import PlausibilityWarning

MM = 1e-3


def _write_v2(path: Path, nodes, tets, name: str = "die") -> Path:
    """A gmsh 2.2 ASCII file: ``nodes`` (x, y, z) [m], ``tets`` 4 node indices each."""
    lines = ["$MeshFormat", "2.2 0 8", "$EndMeshFormat", "$PhysicalNames", "1"]
    lines += [f'3 1 "{name}"', "$EndPhysicalNames", "$Nodes", str(len(nodes))]
    lines += [f"{i + 1} {x!r} {y!r} {z!r}" for i, (x, y, z) in enumerate(nodes)]
    lines += ["$EndNodes", "$Elements", str(len(tets))]
    lines += [f"{i + 1} 4 2 1 1 " + " ".join(str(k + 1) for k in t) for i, t in enumerate(tets)]
    lines += ["$EndElements"]
    path.write_text("\n".join(lines) + "\n")
    return path


def _two_boxes(path: Path, conformal: bool, dim: int = 3) -> Path:
    """A 2 x 2 x 0.5 mm substrate with a 1 x 1 x 0.3 mm die on it, in metres; the two
    volumes share their nodes only when ``conformal``."""
    import gmsh

    from fea.fe.mesh import gmsh_session

    with gmsh_session():
        occ = gmsh.model.occ
        a = occ.addBox(-MM, -MM, 0.0, 2 * MM, 2 * MM, 0.5 * MM)
        b = occ.addBox(-0.5 * MM, -0.5 * MM, 0.5 * MM, MM, MM, 0.3 * MM)
        if conformal:
            occ.fragment([(3, a)], [(3, b)])
        occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [a], name="substrate")
        gmsh.model.addPhysicalGroup(3, [b], name="die")
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.5 * MM)
        gmsh.model.mesh.generate(dim)
        gmsh.write(str(path))
    return path


def test_an_empty_file_a_folder_and_a_2d_mesh_say_what_they_are(tmp_path):
    empty = tmp_path / "empty.msh"
    empty.write_text("")
    with pytest.raises(MeshError, match="is empty"):
        fea.Mesh.from_gmsh(empty)
    folder = tmp_path / "folder.msh"
    folder.mkdir()
    with pytest.raises(MeshError, match="not a regular file"):
        fea.Mesh.from_gmsh(folder)
    # meshed in 2-D only: the volumes' groups hold no elements, gmsh writes no nodes
    flat = _two_boxes(tmp_path / "surface.msh", conformal=True, dim=2)
    with pytest.raises(MeshError, match="no mesh elements in its physical groups"):
        fea.Mesh.from_gmsh(flat)


def test_a_tetrahedron_of_no_volume_is_refused_naming_its_region(tmp_path):
    nodes = [(0, 0, 0), (MM, 0, 0), (0, MM, 0), (0, 0, MM), (MM, MM, 0)]
    good = _write_v2(tmp_path / "good.msh", nodes, [(0, 1, 2, 3)])
    assert fea.Mesh.from_gmsh(good, order=1).n_elements == 1
    # the second tetrahedron's four vertices lie in z = 0 (it used to reach the solver
    # and fail there with a bare "Pardiso failed in phase 12")
    flat = _write_v2(tmp_path / "flat.msh", nodes, [(0, 1, 2, 3), (1, 2, 4, 0)])
    with pytest.raises(
        MeshError, match=r"1 tetrahedron of no volume.*region die at \(0.5, 0.5, 0\) mm"
    ):
        fea.Mesh.from_gmsh(flat, order=1)


def test_an_inverted_tetrahedron_is_turned_not_refused(tmp_path):
    nodes = [(0, 0, 0), (MM, 0, 0), (0, MM, 0), (0, 0, MM)]
    path = _write_v2(tmp_path / "inverted.msh", nodes, [(1, 0, 2, 3)])
    mesh = fea.Mesh.from_gmsh(path, order=1)
    assert mesh.element_volumes()[0] == pytest.approx(MM**3 / 6, rel=1e-9, abs=0)


def test_volumes_meshed_one_by_one_warn_that_no_heat_crosses(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlausibilityWarning)
        mesh = fea.Mesh.from_gmsh(_two_boxes(tmp_path / "ok.msh", conformal=True), order=1)
    assert "die|substrate" in mesh.boundaries
    # not fragmented: the die sits on the substrate without sharing a node, and solved
    # silently as two bodies (Tj about twice the conformal model's, the die free)
    with pytest.warns(PlausibilityWarning, match=r"2 parts that share no node: substrate"):
        apart = fea.Mesh.from_gmsh(_two_boxes(tmp_path / "apart.msh", conformal=False), order=1)
    assert "die|substrate" not in apart.boundaries


def _study(path: Path, unit: str = "mm") -> dict:
    return {
        "study": {"name": "imported_files"},
        "geometry": {"kind": "mesh", "path": str(path), "unit": unit},
        "mesh": {"size_mm": 0.5, "order": 1},
        "materials": {"substrate": "fr4"},
        "loads": {"power_W": {"die": 1.0}, "h": 1e3},
        "theta_jc": {"method": "fixed_case"},
    }


def test_a_study_on_an_empty_file_says_it_is_empty(tmp_path):
    from fea.errors import InputError
    from fea.package.spec import parse_study

    empty = tmp_path / "empty.msh"
    empty.write_text("")
    with pytest.raises(InputError, match="this one is empty") as e:
        parse_study(_study(empty))
    assert e.value.key == "geometry.path"


def test_a_file_in_metres_read_as_millimetres_is_refused_naming_the_unit(tmp_path):
    """The file's 2 mm model read in mm is 2 um across: it reached the solver and failed
    there on a heat flux of 1e12 W/m^2 (and in 'm' a file in mm ran as a 2 m package at
    25.002 degC); the unit that fits is named."""
    from fea.errors import InputError
    from fea.package.analyse import analyse
    from fea.package.spec import parse_study

    path = _two_boxes(tmp_path / "metres.msh", conformal=True)  # coordinates in m
    for unit, fits in (("mm", "'m' (2 mm)"), ("um", "'m' (2 mm)")):
        # the reader refuses it (fea check; fea run before anything is meshed)
        with pytest.raises(InputError, match=re.escape(f"it is one in {fits}")) as e:
            parse_study(_study(path, unit))
        assert e.value.key == "geometry.unit" and e.value.value == unit
    # a case changed in Python to read the file in mm: analyse refuses it
    import dataclasses

    case = parse_study(_study(path, "m")).base
    g = case.geometry
    small = {r: tuple(x * 1e-3 for x in b) for r, b in g.region_bbox.items()}
    case = dataclasses.replace(case, geometry=dataclasses.replace(g, unit=1e-3, region_bbox=small))
    with pytest.raises(InputError, match=re.escape("it is one in 'm' (2 mm)")) as e:
        analyse(case, tmp_path / "mm")
    assert e.value.key == "geometry.unit" and e.value.value == "mm"
    ok = parse_study(_study(path, "m")).base
    from fea.package.geometry.imported import check_case

    check_case(ok)  # nothing to refuse


def test_a_doubled_node_on_a_shared_face_warns_of_the_crack(tmp_path):
    """Two tetrahedra on the face (0, 1, 2), the second with its own copy of node 2: the
    mesh is still in one part (edge 0-1 is shared), but cracked along two faces."""
    nodes = [(0, 0, 0), (MM, 0, 0), (0, MM, 0), (0, 0, MM), (0.3 * MM, 0.3 * MM, -MM)]
    joined = _write_v2(tmp_path / "joined.msh", nodes, [(0, 1, 2, 3), (0, 1, 2, 4)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlausibilityWarning)
        fea.Mesh.from_gmsh(joined, order=1)
    cracked = _write_v2(tmp_path / "cracked.msh", [*nodes, nodes[2]], [(0, 1, 2, 3), (0, 1, 5, 4)])
    with pytest.warns(PlausibilityWarning, match=r"1 vertices .* at \(0, 1, 0\) mm"):
        fea.Mesh.from_gmsh(cracked, order=1)


def _write_step_box(path: Path, side_mm: float) -> Path:
    """A STEP file of one box (side x side x 0.5 mm, centred on the z axis), written in a
    child process: OpenCASCADE's STEP writer numbers the solids' names per process, and
    another test's regex expects the first file's numbers."""
    import subprocess
    import sys

    h = side_mm / 2
    code = (
        "import gmsh, sys; gmsh.initialize(); gmsh.option.setNumber('General.Terminal', 0); "
        f"gmsh.model.occ.addBox({-h}, {-h}, 0.0, {side_mm}, {side_mm}, 0.5); "
        "gmsh.model.occ.synchronize(); gmsh.write(sys.argv[1]); gmsh.finalize()"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=120)
    return path


@pytest.mark.parametrize("kind", ["mesh", "step"])
def test_a_file_changed_after_the_study_was_read_is_refused(tmp_path, monkeypatch, kind):
    """A model file re-exported while a study runs: its later cases were built from the
    new file but recorded (and a STEP's mesh cached) under the old file's digest."""
    from fea.errors import InputError
    from fea.package import meshing
    from fea.package.geometry.imported import imported_mesh, write_example_mesh
    from fea.package.spec import parse_study

    monkeypatch.setattr(meshing, "CACHE_DIR", tmp_path / "cache")
    if kind == "mesh":
        path = write_example_mesh(tmp_path / "model.msh", size_mm=1.0)
    else:
        path = _write_step_box(tmp_path / "model.step", 4.0)
    data = {
        "study": {"name": "changed"},
        "geometry": {"kind": kind, "path": str(path)},
        "mesh": {"size_mm": 1.0, "order": 1},
        "materials": {"carrier": "fr4"} if kind == "mesh" else {},
        "theta_jc": {"method": "fixed_case"},
    }
    if kind == "step":
        data["geometry"]["regions"] = {"die": [1]}
    case = parse_study(data).base
    first, _ = imported_mesh(case)
    if kind == "mesh":
        write_example_mesh(path, size_mm=0.4)
    else:
        _write_step_box(path, 6.0)
    with pytest.raises(InputError, match="changed since") as e:
        imported_mesh(case, cache=False)
    assert e.value.key == "geometry.path"
    again = imported_mesh(parse_study(data).base, cache=False)[0]  # read again: fine
    assert again.n_elements != first.n_elements


def test_a_volume_in_two_groups_is_named_with_its_groups(tmp_path):
    """A file with a group of some volumes besides the regions' groups (a die that is
    also 'chip'): it failed while building with "a tetrahedron belongs to two 3D physical
    groups", naming neither the volume nor the groups nor the study's key."""
    import gmsh

    from fea.errors import InputError
    from fea.fe.mesh import gmsh_session
    from fea.package.geometry.imported import imported_mesh
    from fea.package.spec import parse_study

    path = tmp_path / "overlap.msh"
    with gmsh_session():
        occ = gmsh.model.occ
        a = occ.addBox(-1.0, -1.0, 0.0, 2.0, 2.0, 0.5)
        b = occ.addBox(-0.5, -0.5, 0.5, 1.0, 1.0, 0.3)
        occ.fragment([(3, a)], [(3, b)])
        occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [a], name="substrate")
        gmsh.model.addPhysicalGroup(3, [b], name="die")
        gmsh.model.addPhysicalGroup(3, [b], name="chip")
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.5)
        gmsh.model.mesh.generate(3)
        gmsh.write(str(path))
    with pytest.raises(MeshError, match="volume 2 is in two 3D physical groups, die and chip"):
        fea.Mesh.from_gmsh(path)
    data = _study(path)
    data["materials"] = {"substrate": "fr4", "chip": "silicon"}
    case = parse_study(data).base
    with pytest.raises(InputError, match=r"groups 2 \(die\) and 3 \(chip\)") as e:
        imported_mesh(case)
    assert e.value.key == "geometry.regions"
