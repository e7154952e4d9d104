"""Geometry inputs that do not fit, found by setting up designs from study files: each is
refused before any meshing by an InputError naming the key, the value and what is
allowed (not a gmsh PLC error, an "empty box", a mesher that never finishes, or a key
that does not exist); and the designs at the limits still mesh."""

from __future__ import annotations

import copy
import math

import pytest

from fea.errors import InputError
from fea.package.geometry.symmetry import check_symmetry
from fea.package.meshing import build_mesh
from fea.package.spec import parse_study

from .test_geometry import SMALL  # the small unit the geometry tests mesh

PANEL = {"nx": 3, "ny": 3, "pitch_mm": 4.5, "margin_mm": 0.5, "mandrel_thickness_mm": 0.5}


def merged_spec(a: dict, b: dict) -> dict:
    out = copy.deepcopy(a)
    for k, v in b.items():
        both = isinstance(v, dict) and isinstance(out.get(k), dict)
        out[k] = merged_spec(out[k], v) if both else v
    return out


def case_of(geometry: dict | None = None, kind: str = "unit"):
    g = merged_spec(SMALL, geometry or {})
    mesh = {"size_mm": 1.0, "layers_through_thickness": 1, "order": 1}
    return parse_study({"study": {"kind": kind}, "geometry": g, "mesh": mesh}).base


def refused(geometry: dict, kind: str = "unit") -> InputError:
    with pytest.raises(InputError) as info:
        case_of(geometry, kind)
    return info.value


# -- rounded corners: the builder places the die, openings and terminals as for square
# corners; where they reach into the arcs gmsh failed with "PLC Error: A segment and a
# facet intersect", or the corner terminals stood partly outside the dielectric


def test_die_corner_in_the_rounded_wall_refused():
    e = refused({"corner_radius_mm": 0.75, "die": {"size_mm": [2.9, 2.9]}})
    assert e.key == "geometry.die.size_mm"
    assert e.value == [2.9, 2.9]
    assert "rounded corners" in e.allowed and "0.75" in e.allowed


def test_openings_in_the_rounded_corner_refused():
    # 2 slots of 0.4 mm in a 3 mm wall reach 0.95 mm from its centre: with 35 um of
    # straight wall left, a radius of at most 1.5 - 0.95 - 0.035 = 0.515 mm
    e = refused({"corner_radius_mm": 0.54})
    assert e.key == "geometry.corner_radius_mm"
    assert e.value == 0.54
    assert "at most 0.515 mm" in e.allowed
    case_of({"corner_radius_mm": 0.515})


def test_terminals_beyond_the_dielectric_corner_refused():
    # the corner ball at (1.2, 1.2) mm, radius 0.2 mm, under a corner of radius 0.785 mm
    # centred at (0.75, 0.75) mm: 0.636 + 0.2 > 0.785
    g = {
        "corner_radius_mm": 0.75,
        "openings": {"kind": "none"},
        "terminals": {"rows": 4, "cols": 4, "pitch_mm": 0.8, "diameter_mm": 0.4},
    }
    e = refused(g)
    assert e.key == "geometry.terminals"
    assert "rounded corners" in e.allowed
    g["corner_radius_mm"] = 0.3
    case_of(g)


@pytest.mark.parametrize(
    "geometry",
    [
        {"corner_radius_mm": 0.515},  # the openings at their limit
        {  # a die corner 20 um from the arc
            "corner_radius_mm": 0.5,
            "openings": {"count": 1},
            "die": {"size_mm": [2 * (1 + 0.48 / math.sqrt(2))] * 2},
        },
    ],
    ids=["openings", "die"],
)
def test_rounded_corner_limits_mesh(geometry):
    mesh, _ = build_mesh(case_of(geometry), cache=False)
    assert mesh.p1.t.shape[1] > 0


# -- keys named


def test_hole_too_tall_names_its_width():
    # a hole's height is its diameter: the key to change is width_mm (there is no
    # height_mm of a hole)
    e = refused({"openings": {"kind": "holes", "width_mm": 0.45, "z0_mm": 0.1}})
    assert e.key == "geometry.openings.width_mm"
    assert e.value == pytest.approx(0.45)


def test_lengths_of_pairs_bounded():
    e = refused({"cavity_mm": [1e9, 3.0]})
    assert e.key == "geometry.cavity_mm[0]"
    assert "<= 2000" in e.allowed
    e = refused({"board": {"size_mm": [10.0, 5e6]}})
    assert e.key == "geometry.board.size_mm[1]"


# -- thin layers and gaps: a 0.1 nm shell or pad never finished meshing, a 1 nm shell
# left flat tetrahedra, a 0.1 nm board or stand-off crashed gmsh (list index out of range)

THIN = [
    ({"shell_thickness_um": 0.0001}, "geometry.shell_thickness_um", 0.0001),
    ({"dielectric_thickness_um": 0.01}, "geometry.dielectric_thickness_um", 0.01),
    ({"die_attach": {"thickness_um": 0.05}}, "geometry.die_attach.thickness_um", 0.05),
    (
        {"terminals": {"kind": "pads", "pad_thickness_um": 0.0001}},
        "geometry.terminals.pad_thickness_mm",
        1e-7,
    ),
    ({"terminals": {"standoff_um": 0.0001}}, "geometry.terminals.standoff_mm", 1e-7),
    (
        {"board": {"size_mm": [10.0, 10.0], "thickness_um": 0.0001}},
        "geometry.board.thickness_mm",
        1e-7,
    ),
    ({"die": {"size_mm": [3.0 - 2e-7, 1.5]}}, "geometry.die.size_mm", [3.0, 1.5]),
    ({"openings": {"height_mm": 1e-5}}, "geometry.openings.height_mm", 1e-5),
    (
        {"openings": {"sides": {"ymax": {"width_um": 0.05}}}},
        "geometry.openings.sides.ymax.width_mm",
        5e-5,
    ),
]


@pytest.mark.parametrize(("geometry", "key", "value"), THIN, ids=[t[1] for t in THIN])
def test_thinner_than_the_mesher_resolves_refused(geometry, key, value):
    e = refused(geometry)
    assert e.key == key
    assert e.value == value
    assert "at least 0.1 um" in e.allowed and "mesher" in e.allowed


def test_thin_at_the_limit_meshes():
    mesh, _ = build_mesh(case_of({"shell_thickness_um": 0.1}), cache=False)
    assert mesh.p1.t.shape[1] > 0


def test_panel_thin_kerf_refused():
    e = refused({"panel": {**PANEL, "kerf_um": 0.01}}, kind="panel")
    assert e.key == "geometry.panel.kerf_mm"


# -- panel: a recess so deep that the web lies below the dams' pathways was an
# "empty box for region opening" MeshError in metres


def test_panel_pathways_below_the_web_refused():
    g = {"panel": {**PANEL, "recess_depth_mm": 0.4}}
    e = refused(g, kind="panel")
    assert e.key == "geometry.panel.recess_depth_mm"
    assert e.value == 0.4
    assert "pathways" in e.allowed and "at most 0.3999 mm" in e.allowed
    # without dams' pathways (or dams) the cans' own slots (0.1 - 0.25 mm above the
    # dielectric) still face the web 0.1 mm above it: refused for them, not the pathways
    g["panel"]["pathways"] = False
    e = refused(g, kind="panel")
    assert "side xmin" in e.allowed and "pathways" not in e.allowed
    g["panel"].update(pathways=True, nx=1, ny=1)  # one site: no dams
    e = refused(g, kind="panel")
    assert "side xmin" in e.allowed and "pathways" not in e.allowed
    g["openings"] = {"z0_mm": 0.02, "height_mm": 0.08}  # below the web: accepted
    case_of(g, kind="panel")
    g["panel"].update(pathways=False, nx=3, ny=3)
    case_of(g, kind="panel")


def test_panel_needs_no_terminals_that_fit():
    # a panel's sites have no terminals: the default 12 x 12 array at 0.8 mm, which a
    # 3 mm unit cannot hold, is not a reason to refuse a panel (studies/panel_process.toml
    # gave a 4 x 4 array of pads only to get past this)
    g = {"panel": PANEL, "terminals": {"rows": 12, "cols": 12}, "corner_radius_mm": 0.3}
    case = case_of(g, kind="panel")
    assert case.geometry.panel is not None
    with pytest.raises(InputError, match="geometry.terminals"):
        case_of({"terminals": {"rows": 12, "cols": 12}})  # a unit's are checked


# -- the rim bond ring (centred on the side walls, from the board up to z = 0, where the
# walls then end): a ring wider than the cavity was an "empty box" MeshError; a ring
# over the balls, or balls under the walls, meshed as one overlapping body

RIM = {"size_mm": [10.0, 10.0], "thickness_mm": 0.5, "rim_bond": True}


def test_rim_bond_without_an_inside_refused():
    e = refused({"board": {**RIM, "rim_bond_width_mm": 4.0}})
    assert e.key == "geometry.board.rim_bond_width_mm"
    assert e.value == 4.0
    assert "3.035 mm" in e.allowed


def test_rim_bond_off_the_board_refused():
    e = refused({"board": {**RIM, "size_mm": [3.5, 3.5], "rim_bond_width_mm": 0.6}})
    assert e.key == "geometry.board.rim_bond_width_mm"
    assert "on the board" in e.allowed


def test_rim_bond_over_the_terminals_refused():
    # a 3 x 3 array at 1.2 mm of 0.5 mm balls spans 2.9 mm: inside the 3 mm cavity, but
    # the ring's inner edge is at 3 + 0.035 - 0.2 = 2.835 mm
    terminals = {"rows": 3, "cols": 3, "pitch_mm": 1.2, "diameter_mm": 0.5}
    e = refused({"board": RIM, "terminals": terminals})
    assert e.key == "geometry.board.rim_bond_width_mm"
    assert "at most 0.135 mm" in e.allowed
    case_of({"board": {**RIM, "rim_bond_width_mm": 0.135}, "terminals": terminals})
    # under the walls, which reach z = 0 with the rim bond (3.02 mm: within the 3.07 mm
    # dielectric of a unit without it)
    terminals.update(pitch_mm=1.25, diameter_mm=0.52)
    case_of({"terminals": terminals})
    e = refused({"board": {**RIM, "rim_bond_width_mm": 0.05}, "terminals": terminals})
    assert e.key == "geometry.terminals"
    assert "within the cavity" in e.allowed


# -- symmetry: the key of a wall's openings


def test_asymmetric_walls_name_the_side_table():
    one = case_of({"openings": {"sides": {"xmin": {"kind": "none"}}}})
    with pytest.raises(InputError) as info:
        check_symmetry(one, "half")
    e = info.value
    # the wall set apart has its own table; geometry.openings.xmax is no key of a study
    assert e.key == "geometry.openings.sides.xmin"
    assert e.value == "a closed wall"
    assert "2 slots of width 0.4 mm, height 0.15 mm at z0 0.1 mm" in e.allowed
    assert "mesh.symmetry = 'half'" in e.allowed


def test_closed_walls_written_two_ways_are_symmetric():
    both = {"openings": {"sides": {"xmin": {"kind": "none"}, "xmax": {"count": 0}}}}
    assert check_symmetry(case_of(both), "half") == ("x",)
    # pillars are full height: their height_mm does not change the wall
    pillars = {"openings": {"kind": "pillars", "sides": {"xmax": {"height_mm": 0.05}}}}
    assert check_symmetry(case_of(pillars), "half") == ("x",)


# -- a gmsh failure on the thin layers names the keys to change: meshes with 5 to 8
# sub-layers failed with "Could not recover boundary mesh", "a tetrahedron belongs to two
# 3D physical groups" or flat tetrahedra, messages that named no key


def test_mesher_failure_names_the_mesh_keys(monkeypatch):
    import gmsh

    from fea.errors import MeshError
    from fea.fe.mesh import Mesh

    case = case_of()

    def fail(*args, **kwargs):
        raise Exception("Could not recover boundary mesh: error 2")

    with monkeypatch.context() as m:
        m.setattr(gmsh.model.mesh, "generate", fail)
        with pytest.raises(MeshError) as info:
            build_mesh(case, cache=False)
    text = str(info.value)
    assert "Could not recover boundary mesh" in text
    assert "mesh.layers_through_thickness = 1" in text and "mesh.size_mm" in text
    assert "17.5 um" not in text and "25 um" in text  # the die attach, one sub-layer

    def flat(*args, **kwargs):
        raise MeshError("5 tetrahedra of no volume")

    with monkeypatch.context() as m:
        m.setattr(Mesh, "from_gmsh", flat)
        with pytest.raises(MeshError) as info:
            build_mesh(case, cache=False)
    assert "5 tetrahedra of no volume; the thinnest sub-layer is 25 um" in str(info.value)
