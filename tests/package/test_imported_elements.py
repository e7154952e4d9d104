"""The elements of a .msh read as the user's own geometry (docs/own_geometry.md): a
second-order file is its straight-sided linear mesh; third-order or mixed (pyramids,
hexahedra, prisms) files are refused naming the file, the volume and its region."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from fea.errors import InputError
from fea.fe.mesh import gmsh_session
from fea.package.analyse import analyse
from fea.package.spec import parse_study


def _write(path: Path, order: int = 1, recombine_die: bool = False) -> Path:
    """A 4 x 4 x 1 mm encapsulant block with a 2 x 2 x 0.3 mm die on it (3D groups
    ``encapsulant`` and ``die``), tetrahedra of ``order``, or the die's volume meshed
    structured and recombined (hexahedra, with pyramids where it meets tetrahedra)."""
    import gmsh

    with gmsh_session():
        occ = gmsh.model.occ
        a = occ.addBox(-2, -2, 0, 4, 4, 1)
        b = occ.addBox(-1, -1, 1, 2, 2, 0.3)
        occ.fragment([(3, a)], [(3, b)])
        occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [1], name="encapsulant")
        gmsh.model.addPhysicalGroup(3, [2], name="die")
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.5)
        if recombine_die:
            gmsh.model.mesh.setTransfiniteAutomatic([(3, 2)], recombine=False)
            gmsh.model.mesh.setRecombine(3, 2)
            for _, t in gmsh.model.getBoundary([(3, 2)], oriented=False):
                gmsh.model.mesh.setRecombine(2, t)
        gmsh.model.mesh.generate(3)
        if order > 1:
            gmsh.model.mesh.setOrder(order)
        gmsh.write(str(path))
    return path


def _study(path: Path) -> dict:
    return {
        "study": {"name": "elements"},
        "geometry": {"kind": "mesh", "path": str(path)},
        "mesh": {"order": 2},
        "loads": {"power_W": {"die": 1.0}, "h": 100.0, "die_power": "volume"},
        "theta_jc": {"method": "fixed_case"},
    }


def test_a_second_order_file_is_its_linear_mesh(tmp_path):
    """Tetrahedra of 10 nodes: their mid-edge nodes are not read (straight-sided, made
    quadratic again at mesh.order = 2): Tj and the warpage equal the linear file's."""
    out = {}
    for order in (1, 2):
        data = _study(_write(tmp_path / f"o{order}.msh", order=order))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[order] = analyse(parse_study(data).base, tmp_path / f"run{order}")
    for name in ("Tj_max_C", "theta_jc_K_per_W", "warpage_signed_um@25C"):
        assert out[2][name] == pytest.approx(out[1][name], rel=1e-9), name


@pytest.mark.parametrize(
    "kind, what", [("o3", "Tetrahedron 20"), ("mixed", "Pyramid 5|Hexahedron 8")]
)
def test_third_order_and_mixed_files_are_refused_naming_the_region(tmp_path, kind, what):
    """Before, "a mesh of tetrahedra only (volume 2 has Pyramid 5)": no region, no fix."""
    path = (
        _write(tmp_path / "o3.msh", order=3)
        if kind == "o3"
        else _write(tmp_path / "mixed.msh", recombine_die=True)
    )
    data = _study(path)
    with pytest.raises(InputError, match=rf"{kind}.msh.*region (die|encapsulant)\) has ({what})"):
        parse_study(data)


@pytest.mark.parametrize("version, binary", [(2.2, 0), (2.2, 1), (4.1, 1)])
def test_msh_versions_2_and_4_ascii_and_binary_read_alike(tmp_path, version, binary):
    """The same mesh written as MSH 2.2 and 4.1, ASCII and binary, is one model: Tj
    equals that of the 4.1 ASCII file (gmsh's default) to 1e-12."""
    import gmsh

    ref = _write(tmp_path / "ref.msh")
    other = tmp_path / f"v{version}_{binary}.msh"
    with gmsh_session():
        gmsh.open(str(ref))
        gmsh.option.setNumber("Mesh.MshFileVersion", version)
        gmsh.option.setNumber("Mesh.Binary", binary)
        gmsh.write(str(other))
    tj = []
    for path in (ref, other):
        data = _study(path)
        data["mesh"] = {"order": 1}
        data["loads"]["warpage_temperatures_C"] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = analyse(parse_study(data).base, tmp_path / path.stem)
        tj.append(r["Tj_max_C"])
    assert tj[1] == pytest.approx(tj[0], rel=1e-12)
