"""``[geometry] unit`` of a file read as the user's own geometry (docs/own_geometry.md): a
file whose size in the given unit is no package's is refused naming the key and the unit
that fits, by its extent and by its height."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fea.errors import InputError
from fea.fe.mesh import gmsh_session
from fea.package.geometry.imported import check_case
from fea.package.spec import parse_study


def _box(path: Path, dx: float, dy: float, dz: float) -> Path:
    """One box centred on the z axis, on z = 0, as the 3D group ``die``; file units."""
    import gmsh

    with gmsh_session():
        gmsh.model.occ.addBox(-dx / 2, -dy / 2, 0.0, dx, dy, dz)
        gmsh.model.occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [1], name="die")
        gmsh.option.setNumber("Mesh.MeshSizeMax", max(dx, dy, dz) / 2)
        gmsh.model.mesh.generate(3)
        gmsh.write(str(path))
    return path


def _case(path: Path, unit: str):
    data = {
        "study": {"name": "units"},
        "geometry": {"kind": "mesh", "path": str(path), "unit": unit},
        "mesh": {"order": 1},
        "loads": {"power_W": {"die": 1.0}, "h": 100.0, "die_power": "volume"},
    }
    return parse_study(data).base


@pytest.mark.parametrize(
    "size, unit, fits",
    [
        # a 12 x 12 x 1.2 mm BGA drawn in mm, read in um: 12 um across (passed), 1.2 um high
        ((12.0, 12.0, 1.2), "um", "'mm' (12 mm)"),
        # a 0.4 x 0.2 x 0.2 mm (01005) part drawn in mm, read in m: 0.4 m across (passed),
        # 0.2 m high
        ((0.4, 0.2, 0.2), "m", "'mm' (0.4 mm)"),
    ],
)
def test_a_file_in_mm_read_in_another_unit_is_refused_by_its_height(tmp_path, size, unit, fits):
    box = _box(tmp_path / "box.msh", *size)
    with pytest.raises(InputError, match=re.escape(f"it is one in {fits}")) as e:
        _case(box, unit)  # the reader runs check_case (fea check, fea run before meshing)
    assert e.value.key == "geometry.unit" and e.value.value == unit
    assert "high" in str(e.value)


@pytest.mark.parametrize("size", [(12.0, 12.0, 1.2), (0.4, 0.2, 0.2), (60.0, 60.0, 45.0)])
def test_packages_in_mm_pass(tmp_path, size):
    """A BGA, an 01005 part and a 60 x 60 mm package with a 45 mm heat sink, in mm."""
    check_case(_case(_box(tmp_path / "box.msh", *size), "mm"))


def test_a_step_file_in_micrometres_read_with_unit_um_is_refused_saying_why(tmp_path):
    """A 12 x 12 x 1.2 mm package in a STEP file whose own unit is the micrometre
    (coordinates 12000, SI_UNIT(.MICRO.,.METRE.)): gmsh (OpenCASCADE) converts it to
    mm on import, so ``unit = "um"`` makes it 12 um across and 1.2 um high; the refusal
    says that a STEP file is read in mm (before: accepted, a 12 um package), and
    ``unit = "mm"`` reads it right."""
    import gmsh

    mm = tmp_path / "mm.step"
    with gmsh_session():
        gmsh.model.occ.addBox(-6000.0, -6000.0, 0.0, 12000.0, 12000.0, 1200.0)
        gmsh.model.occ.synchronize()
        gmsh.write(str(mm))
    text = mm.read_text()
    assert "SI_UNIT(.MILLI.,.METRE.)" in text
    um = tmp_path / "um.step"
    um.write_text(text.replace("SI_UNIT(.MILLI.,.METRE.)", "SI_UNIT(.MICRO.,.METRE.)"))

    def case(unit: str):
        data = {
            "study": {"name": "units"},
            "geometry": {"kind": "step", "path": str(um), "unit": unit, "regions": {"die": [1]}},
            "loads": {"power_W": {"die": 1.0}, "h": 100.0, "die_power": "volume"},
        }
        return parse_study(data).base

    with pytest.raises(InputError, match="keep unit = 'mm' for a STEP file") as e:
        check_case(case("um"))
    assert e.value.key == "geometry.unit"
    ok = case("mm")
    check_case(ok)
    x0, _, _, x1, _, z1 = ok.geometry.package_bbox()
    assert (x1 - x0, z1) == (pytest.approx(12e-3), pytest.approx(1.2e-3))
