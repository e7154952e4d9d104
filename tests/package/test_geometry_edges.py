"""Parametric studies of the built-in package at the edges of its keys: what a sweep over
one geometric key can reach is either built as the keys say or refused when the study is
read, with an InputError naming the key, the value and what is allowed (not balls that
float free of the dielectric, a mesh of slivers, dams merged into the can walls, a key
silently changed, or a mesher error that names the wrong keys)."""

from __future__ import annotations

import pytest

from fea.errors import InputError
from fea.package.meshing import build_mesh

from .test_geometry_inputs import PANEL, case_of, refused

# -- features below what the mesher resolves (fea.package.spec.checks.MIN_FEATURE_M)


def test_die_narrower_than_the_mesher_resolves_refused():
    # a 10 nm wide die built and meshed with elements of shape quality 3e-4
    e = refused({"die": {"size_mm": [1e-5, 1.5]}})
    assert e.key == "geometry.die.size_mm"
    assert e.value == [1e-5, 1.5]
    assert "at least 0.1 um" in e.allowed
    case_of({"die": {"size_mm": [1e-4, 1.5]}})


def test_thermal_via_zone_narrower_than_the_mesher_resolves_refused():
    # a 10 nm zone was a MeshError after building, blaming the thin layers' keys
    board = {"size_mm": [10.0, 10.0], "thermal_vias": {"zone_mm": [1e-5, 2.0]}}
    e = refused({"board": board})
    assert e.key == "geometry.board.thermal_vias.zone_mm"
    assert e.value == [1e-5, 2.0]
    assert "at least 0.1 um" in e.allowed
    # a zone 5 nm inside the board's edges meshed with shape quality 2e-4
    board["thermal_vias"]["zone_mm"] = [9.99999, 2.0]
    e = refused({"board": board})
    assert e.key == "geometry.board.thermal_vias.zone_mm"
    assert e.value == [9.99999, 2.0]
    assert "by at least 0.2 um" in e.allowed
    board["thermal_vias"]["zone_mm"] = [9.9998, 2.0]
    case_of({"board": board})


def test_balls_whose_caps_vanish_refused():
    """A ball is a sphere of ``diameter_mm`` cut to ``standoff_mm`` at its pads; with the
    caps cut off below 0.1 um the contact circle is below what OCC keeps: at 0.3999999 mm
    of a 0.4 mm ball the model had no dielectric|terminals face (the balls were free
    bodies, the joint neither conducting nor holding)."""
    e = refused({"terminals": {"standoff_mm": 0.3999999}})
    assert e.key == "geometry.terminals.standoff_mm"
    assert e.value == 0.3999999
    assert "at most 0.3998 mm" in e.allowed
    mesh, _ = build_mesh(case_of({"terminals": {"standoff_mm": 0.3998}}), cache=False)
    assert mesh.boundary_area("dielectric|terminals") > 0


def test_via_pad_edge_on_the_contact_circle_refused():
    # the 0.4 mm balls cut to 0.3 mm meet the dielectric on a 0.26458 mm circle; a pad
    # 1 nm to 0.5 um wider left elements of shape quality 1e-4 to 3e-3 in the ring between
    e = refused({"vias": {"pad_diameter_mm": 0.2647}})
    assert e.key == "geometry.vias.pad_diameter_mm"
    assert e.value == 0.2647
    assert "0.264575" in e.allowed
    case_of({"vias": {"pad_diameter_mm": 0.2648}})
    case_of({"vias": {"pad_diameter_mm": 0.25}})
    # a copper pad the size of the terminal's pad: one circle, no ring
    mesh, _ = build_mesh(
        case_of({"terminals": {"kind": "pads", "diameter_mm": 0.3}, "vias": {}}), cache=False
    )
    assert mesh.boundary_area("terminals|vias") == pytest.approx(
        4 * 0.785398e-6 * 0.3**2,
        rel=0.05,  # polygons of a coarse mesh
        abs=0,
    )


def _with_mesh(geometry: dict, layers: int):
    from fea.package.spec import parse_study

    from .test_geometry import SMALL
    from .test_geometry_inputs import merged_spec as _merged

    g = _merged(SMALL, geometry)
    mesh = {"size_mm": 1.0, "layers_through_thickness": layers, "order": 1}
    return parse_study({"study": {"kind": "unit"}, "geometry": g, "mesh": mesh}).base


@pytest.mark.parametrize(
    ("geometry", "layers", "most", "what"),
    [
        ({"shell_thickness_um": 0.1}, 8, 1, "the shell (0.1 um)"),
        ({"dielectric_thickness_um": 0.25}, 4, 2, "the dielectric (0.25 um)"),
        ({"die_attach": {"thickness_um": 0.35}}, 5, 3, "the die attach (0.35 um)"),
    ],
)
def test_sub_layers_thinner_than_the_mesher_resolves_refused(geometry, layers, most, what):
    """Each thin layer is built as ``layers_through_thickness`` nested sub-layers: a 0.1 um
    shell in 8 (12.5 nm each) failed after meshing with flat tetrahedra, a 0.1 um
    dielectric in 8 with "Could not recover boundary mesh", a 0.1 um shell in 2 and die
    attach in 4 meshed with elements of shape quality 4e-5 and 1e-4."""
    with pytest.raises(InputError) as info:
        _with_mesh(geometry, layers)
    e = info.value
    assert e.key == "mesh.layers_through_thickness"
    assert e.value == layers
    assert f"at most {most}" in e.allowed and what in e.allowed
    _with_mesh(geometry, most)


def test_via_pad_face_next_to_a_dielectric_sub_layer_refused():
    """The dielectric's sub-layer faces (at k/layers of its thickness) cut through the
    copper pads: a 12.49 um pad in a 50 um dielectric of 4 sub-layers (a face at 12.5 um)
    failed in gmsh with "Invalid boundary mesh (overlapping facets)", a message that blamed
    the sub-layers' thickness and the mesh size."""
    g = {"vias": {"pad_thickness_um": 12.49}}
    with pytest.raises(InputError) as info:
        _with_mesh(g, 4)
    e = info.value
    assert e.key == "geometry.vias.pad_thickness_um"
    assert e.value == 12.49
    assert "12.5 um" in e.allowed and "mesh.layers_through_thickness = 4" in e.allowed
    _with_mesh(g, 2)  # faces at 25 um only
    _with_mesh({"vias": {"pad_thickness_um": 12.5}}, 4)  # level with the face
    mesh, _ = build_mesh(_with_mesh({"vias": {"pad_thickness_um": 12.0}}, 4), cache=False)
    assert mesh.p1.t.shape[1] > 0


def test_via_pads_beyond_the_dielectric_refused():
    """The copper pads are wider than the balls: 2 x 2 balls of 0.4 mm at a 2.6 mm pitch
    fit the 3.07 mm dielectric (1.5 mm from the centre), but pads of 0.6 mm reached 1.6 mm
    and were built into the exterior encapsulant (the dielectric 3.2e-12 m^3 over its hand
    volume, the encapsulant as much under). With the rim bond the dielectric spans only the
    cavity (the walls reach z = 0) and with rounded corners its corners are arcs."""
    e = refused({"terminals": {"pitch_mm": 2.6}, "vias": {"pad_diameter_mm": 0.6}})
    assert e.key == "geometry.vias.pad_diameter_mm"
    assert e.value == 0.6
    assert "within the dielectric" in e.allowed and "3.07 x 3.07 mm" in e.allowed
    case_of({"terminals": {"pitch_mm": 2.6}, "vias": {"pad_diameter_mm": 0.46}})
    rim = {
        "terminals": {"pitch_mm": 2.5},
        "vias": {"pad_diameter_mm": 0.52},
        "board": {**RIM, "rim_bond_width_mm": 0.035},
    }
    e = refused(rim)  # 1.25 + 0.26 > 1.5: under the walls
    assert e.key == "geometry.vias.pad_diameter_mm" and "3 x 3 mm" in e.allowed
    rim["vias"]["pad_diameter_mm"] = 0.48
    case_of(rim)
    rounded = {
        "corner_radius_mm": 0.5,
        "terminals": {"pitch_mm": 2.4},
        "vias": {"pad_diameter_mm": 0.5},
    }
    # the dielectric's corner arc: radius 0.535 mm about (1.0, 1.0) mm; the corner pad at
    # (1.2, 1.2) mm reaches 0.283 + 0.25 = 0.533 mm (fits), at 0.52 mm 0.543 (does not)
    case_of(rounded)
    rounded["vias"]["pad_diameter_mm"] = 0.52
    e = refused(rounded)
    assert e.key == "geometry.vias.pad_diameter_mm"
    assert "corners of radius 0.535 mm" in e.allowed


# -- a key built otherwise than it says


def test_rim_bond_narrower_than_the_wall_refused():
    # a 5 um ring was built 35 um wide (the shell's thickness) without a word
    board = {"size_mm": [10.0, 10.0], "thickness_mm": 0.5, "rim_bond": True}
    e = refused({"board": {**board, "rim_bond_width_um": 5}})
    assert e.key == "geometry.board.rim_bond_width_mm"
    assert e.value == 0.005
    assert "at least the shell thickness 0.035 mm" in e.allowed
    case_of({"board": {**board, "rim_bond_width_um": 35}})


RIM = {"size_mm": [10.0, 10.0], "thickness_mm": 0.5, "rim_bond": True}


def test_rim_bond_follows_the_rounded_walls():
    """The rim bond ring is centred on the side walls: with ``corner_radius_mm`` its corners
    are arcs about the walls' own centres (radius r + t/2 +- w/2), not square (a square
    ring stood out of the rounded walls' footprint at the corners, shape quality 0.007)."""
    import math

    case = case_of({"corner_radius_mm": 0.3, "board": RIM})
    C, t, w, r, h = 3.0, 0.035, 0.2, 0.3, 0.3  # mm; h: the stand-off, board to z = 0

    def area(a: float, radius: float) -> float:
        return a * a - (4 - math.pi) * radius**2

    ring = (area(C + t + w, r + t / 2 + w / 2) - area(C + t - w, r + t / 2 - w / 2)) * h
    assert _volumes(case)["rim_bond"] == pytest.approx(ring * 1e-9, rel=1e-6, abs=0)


def test_terminals_in_the_rim_bond_rounded_corner_refused():
    # the ring's inner corners are arcs of radius 0.5 + 0.0175 - 0.1 = 0.4175 mm about
    # (1, 1) mm: the corner ball at (1.2, 1.2) mm, radius 0.2 mm, reaches 0.483 mm
    terminals = {"rows": 3, "cols": 3, "pitch_mm": 1.2, "diameter_mm": 0.4}
    g = {"corner_radius_mm": 0.5, "board": RIM, "terminals": terminals}
    e = refused(g)
    assert e.key == "geometry.terminals"
    assert "rim bond" in e.allowed and "0.4175" in e.allowed
    terminals["pitch_mm"] = 1.1  # 0.341 mm
    case_of(g)


# -- panel lanes: the dams between the cans


def test_panel_hollow_dam_wider_than_the_lane_refused():
    """The double dam of ``hollow_walls`` spans the kerf plus two shell thicknesses at the
    lane's centre: in a 0.23 mm lane (exterior_thickness_mm = 0) a 0.2 mm kerf put its
    walls into the cans' side walls (merged shell, elements of shape quality 0.004)."""
    g = {
        "exterior_thickness_mm": 0.0,
        "panel": {**PANEL, "pitch_mm": 3.3, "hollow_walls": True, "stage": "released"},
    }
    e = refused(g, kind="panel")
    assert e.key == "geometry.panel.pitch_mm"
    assert e.value == 3.3
    assert "0.27 mm" in e.allowed and "hollow_walls" in e.allowed
    g["panel"]["pitch_mm"] = 3.35  # a 0.28 mm lane
    case_of(g, kind="panel")
    g["panel"].update(pitch_mm=3.3, hollow_walls=False)  # one 35 um dam fits
    case_of(g, kind="panel")


def test_panel_single_dam_wider_than_the_lane_refused():
    g = {
        "exterior_thickness_mm": 0.0,
        "panel": {**PANEL, "pitch_mm": 3.09, "kerf_mm": 0.01},
    }
    e = refused(g, kind="panel")  # a 20 um lane holds no 35 um dam
    assert e.key == "geometry.panel.pitch_mm"
    assert "0.035 mm" in e.allowed
    g["panel"]["pathways"] = False
    assert refused(g, kind="panel").key == "geometry.panel.pitch_mm"
    g["panel"].update(nx=1, ny=1)  # one site: no dams
    case_of(g, kind="panel")


@pytest.mark.parametrize("stage", ["singulated", "process"])
def test_panel_kerf_leaving_a_dam_sliver_refused(stage):
    # a 34.9 um kerf through a 35 um dam left 50 nm of it on each unit: shape quality 3e-4
    g = {"panel": {**PANEL, "nx": 2, "ny": 1, "kerf_mm": 0.0349, "stage": stage}}
    e = refused(g, kind="panel")
    assert e.key == "geometry.panel.kerf_mm"
    assert e.value == 0.0349
    assert "at least the dam's thickness" in e.allowed and "at most 0.0348 mm" in e.allowed
    for kerf in (0.035, 0.0345):  # the dam cut away whole, or 0.25 um of it left
        g["panel"]["kerf_mm"] = kerf
        case_of(g, kind="panel")
    g["panel"].update(kerf_mm=0.0349, stage="released")  # the kerf does not cut
    case_of(g, kind="panel")


def _panel(recess_mm: float, layers: int = 1):
    from fea.package.spec import parse_study

    from .test_geometry import SMALL
    from .test_geometry_inputs import merged_spec as _merged

    g = _merged(SMALL, {"panel": {**PANEL, "nx": 2, "ny": 1, "recess_depth_mm": recess_mm}})
    mesh = {"size_mm": 1.0, "layers_through_thickness": layers, "order": 1}
    return parse_study({"study": {"kind": "panel"}, "geometry": g, "mesh": mesh}).base


def test_panel_web_plane_next_to_a_can_plane_refused():
    """The web (and the lane encapsulant under it) are boxes across the whole panel: their
    horizontal faces run through every can. A 35.01 um recess under a 35 um shell put the
    web's top 10 nm under the cavity ceiling: shape quality 5e-5 (3e-5 with 2 sub-layers);
    17.51 um with 2 sub-layers (the web's middle face 10 nm under it) 5e-5, and 224.99 um
    (the web's underside 10 nm over the die's top) 6e-4."""
    with pytest.raises(InputError) as info:
        _panel(0.03501)
    e = info.value
    assert e.key == "geometry.panel.recess_depth_mm"
    assert e.value == 0.03501
    assert "the web's top" in e.allowed and "the cavity ceiling" in e.allowed
    assert "0.01 um" in e.allowed
    _panel(0.035)  # level with it: one plane
    _panel(0.0352)
    # the web's middle sub-layer face 10 nm under the ceiling: only with 2 sub-layers
    _panel(0.01751)
    with pytest.raises(InputError) as info:
        _panel(0.01751, layers=2)
    assert "a sub-layer face of the web" in info.value.allowed
    # the web's underside (z_web, also the lane encapsulant's top) 10 nm over the die's
    # top: die 0.25 mm on 25 um of attach, 0.5 mm cavity
    with pytest.raises(InputError) as info:
        _panel(0.22499)
    assert "the web's underside" in info.value.allowed and "the die's top" in info.value.allowed


# -- the built geometry is what the keys say


def _occ(case, symmetry: str = "none") -> dict[str, list[tuple[float, tuple[float, ...]]]]:
    """region -> [(volume [mm^3], bounding box [mm]) of each OCC volume] of ``case``."""
    import gmsh

    from fea.fe.mesh import gmsh_session
    from fea.package.geometry import build

    with gmsh_session():
        info = build(gmsh.model, case, symmetry)
        occ = gmsh.model.occ
        return {
            r: [(occ.getMass(3, t), tuple(occ.getBoundingBox(3, t))) for t in tags]
            for r, tags in info.regions.items()
        }


def _volumes(case, symmetry: str = "none") -> dict[str, float]:
    """region -> volume [m^3] of ``case``'s OCC model."""
    return {r: sum(v for v, _ in p) * 1e-9 for r, p in _occ(case, symmetry).items()}


ASYMMETRIC = {
    "cavity_mm": [4.0, 3.0],
    "die": {"size_mm": [2.0, 1.2]},
    "openings": {
        "sides": {
            "xmin": {"kind": "holes", "count": 1, "width_mm": 0.25},
            "ymax": {"kind": "pillars", "count": 3, "width_mm": 0.3},
            "xmax": {"kind": "none"},
        }
    },
    "terminals": {"rows": 2, "cols": 3, "pitch_mm": 0.9},
}


def test_openings_and_balls_where_the_keys_put_them():
    """Each opening is one encapsulant volume through its wall, at the centre, height and
    size its side's keys give (centres at L (i + 1/2) / count along a wall of length L);
    each ball one volume of pi (H R^2 - H^3 / 12) (a sphere of radius R cut to a slab of
    height H about its centre) on the rows x cols grid at the pitch; the regions are
    DESIGN.md's names."""
    case = case_of(ASYMMETRIC)
    occ = _occ(case)
    assert set(occ) == {"shell", "dielectric", "die", "die_attach", "encapsulant", "terminals"}
    # mm: dielectric 0.05, cavity floor 0.05, ceiling 0.55, walls 35 um outside the cavity
    t, z0 = 0.035, 0.05
    want = sorted(
        [(-2.0 - t, -0.125, z0 + 0.1, -2.0, 0.125, z0 + 0.35)]  # xmin: one hole of 0.25
        + [  # ymin: the common 2 slots of 0.4 x 0.15 at z0 0.1
            (c - 0.2, -1.5 - t, z0 + 0.1, c + 0.2, -1.5, z0 + 0.25) for c in (-1.0, 1.0)
        ]
        + [  # ymax: 3 pillar gaps of 0.3, full height
            (c - 0.15, 1.5, z0, c + 0.15, 1.5 + t, z0 + 0.5) for c in (-4 / 3, 0.0, 4 / 3)
        ]
    )
    through = sorted(
        bb for _, bb in occ["encapsulant"] if min(bb[3] - bb[0], bb[4] - bb[1]) < t + 1e-6
    )
    assert len(through) == len(want) == 6  # xmax: closed
    for got, ref in zip(through, want, strict=True):
        assert got == pytest.approx(ref, abs=1e-6)
    balls = sorted(occ["terminals"], key=lambda p: (p[1][1], p[1][0]))
    assert len(balls) == 6
    R, H = 0.2, 0.3
    centres = [(x, y) for y in (-0.45, 0.45) for x in (-0.9, 0.0, 0.9)]
    for (vol, bb), (x, y) in zip(balls, centres, strict=True):
        assert vol == pytest.approx(3.141592653589793 * (H * R * R - H**3 / 12), rel=1e-6, abs=0)
        assert bb == pytest.approx((x - R, y - R, -H, x + R, y + R, 0.0), abs=1e-6)


VOLUME_SETS = [
    # a thick shell (500 um) with one slot per wall
    {"shell_thickness_um": 500, "openings": {"count": 1}},
    ASYMMETRIC,
    # holes from the dielectric up, pillars leaving two 25 um posts at each corner
    {"openings": {"kind": "holes", "count": 4, "width_mm": 0.3, "z0_mm": 0.0}},
    {"openings": {"kind": "pillars", "count": 1, "width_mm": 2.9}},
    {"dielectric_thickness_um": 5, "terminals": {"standoff_mm": 0.3998}},
    {"terminals": {"rows": 3, "cols": 3, "pitch_mm": 0.9}, "vias": {}},
]


@pytest.mark.parametrize("geometry", VOLUME_SETS, ids=range(len(VOLUME_SETS)))
def test_region_volumes_by_hand(geometry):
    """The OCC model's region volumes against the hand formulas: shell = outer box -
    cavity box - openings (each opening a prism or cylinder through the wall's
    thickness t); die and attach boxes; dielectric = its slab over the outer footprint
    less the copper; encapsulant = cavity - die - attach + openings + the exterior ring
    (body - outer footprint) x full height; balls as in the test above."""
    import math

    case = case_of(geometry)
    g = case.geometry
    Cx, Cy = g.cavity
    t, depth, td = g.shell_thickness, g.cavity_depth, g.dielectric_thickness
    ox, oy = Cx + 2 * t, Cy + 2 * t
    holes = 0.0
    for o in g.openings.values():
        if o.closed:
            continue
        if o.kind == "holes":
            holes += o.count * math.pi * (o.width / 2) ** 2 * t
        elif o.kind == "slots":
            holes += o.count * o.width * o.height * t
        else:
            holes += o.count * o.width * depth * t
    dx, dy, dt = g.die
    ta = g.die_attach_thickness
    n = g.terminals.rows * g.terminals.cols
    copper = 0.0
    if g.vias is not None:
        v = g.vias
        copper = (
            n
            * math.pi
            / 4
            * (
                2 * v.pad_diameter**2 * v.pad_thickness
                + v.via_diameter**2 * (td - 2 * v.pad_thickness)
            )
        )
    e = g.exterior_thickness
    R, H = g.terminals.diameter / 2, g.terminals.standoff
    ref = {
        "shell": ox * oy * (depth + t) - Cx * Cy * depth - holes,
        "die": dx * dy * dt,
        "die_attach": dx * dy * ta,
        "dielectric": ox * oy * td - copper,
        "encapsulant": Cx * Cy * depth
        - dx * dy * (dt + ta)
        + holes
        + ((ox + 2 * e) * (oy + 2 * e) - ox * oy) * (td + depth + t),
        "terminals": n * math.pi * (H * R * R - H**3 / 12),
    }
    if copper:
        ref["vias"] = copper
    occ = _occ(case)
    vol = {r: sum(v for v, _ in p) * 1e-9 for r, p in occ.items()}
    assert set(vol) == set(ref)
    for r, want in ref.items():
        assert vol[r] == pytest.approx(want, rel=1e-6, abs=0), r
    # the encapsulant's interior portion (the cavity around the die) and exterior portion
    # (the ring on the side walls, dielectric to the rear face) are volumes of their own
    mm = 1e3
    inside = (-Cx / 2, -Cy / 2, td, Cx / 2, Cy / 2, td + depth)
    body = (-ox / 2 - e, -oy / 2 - e, 0.0, ox / 2 + e, oy / 2 + e, td + depth + t)
    portions = {
        name: [
            v * 1e-9
            for v, bb in occ["encapsulant"]
            if bb == pytest.approx(tuple(x * mm for x in box), abs=1e-6)
        ]
        for name, box in (("interior", inside), ("exterior", body))
    }
    assert portions["interior"] == [pytest.approx(Cx * Cy * depth - dx * dy * (dt + ta))]
    assert portions["exterior"] == [
        pytest.approx(((ox + 2 * e) * (oy + 2 * e) - ox * oy) * (td + depth + t))
    ]


@pytest.mark.parametrize(("symmetry", "part"), [("half", 2), ("quarter", 4), ("eighth", 8)])
def test_symmetric_cuts_are_their_part_of_the_volumes(symmetry, part):
    case = case_of({"openings": {"count": 3}})
    full = _volumes(case)
    cut = _volumes(case, symmetry)
    assert set(cut) == set(full)
    for r, v in full.items():
        assert cut[r] == pytest.approx(v / part, rel=1e-6), r


# -- a sweep over any geometric or mesh key keeps the mesh cache honest

#: Keys of [geometry] a sweep cannot move on its own from the bases below: the copper
#: lists of a board stack (and its laminate, read only with a stack) and the package
#: vias, which a panel refuses.
_NOT_SWEPT = {
    ("unit", "geometry.board.copper_um"),
    ("unit", "geometry.board.coverage"),
    ("unit", "geometry.board.laminate_k"),
    ("panel", "geometry.vias.pad_diameter_mm"),
    ("panel", "geometry.vias.pad_thickness_mm"),
    ("panel", "geometry.vias.via_diameter_mm"),
}
_OWN = ("geometry.kind", "geometry.path", "geometry.unit", "geometry.allow_outside")


def _base(kind: str) -> dict:
    from .test_geometry_inputs import SMALL

    g = {k: v for k, v in SMALL.items() if k != "shell_thickness_um"}
    g = {**g, "shell_thickness_mm": 0.035}
    if kind == "unit":
        g["board"] = {
            "size_mm": [10.0, 10.0],
            "thickness_mm": 0.5,
            "rim_bond": False,
            "thermal_vias": {"zone_mm": [4.0, 4.0]},
        }
        g["vias"] = {"enabled": True}
        g["openings"] = {**g["openings"], "sides": {"xmin": {"kind": "slots"}}}
    else:
        g["panel"] = {**PANEL, "nx": 2, "ny": 2}
    mesh = {"size_mm": 1.0, "layers_through_thickness": 2, "order": 1}
    return {"study": {"kind": kind}, "geometry": g, "mesh": mesh}


def _get(d, path: str):
    for p in path.split("."):
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def _moves(rec, cur) -> list:
    """Values of a key other than ``cur`` (its default when None) to try in turn."""
    cur = rec.default if cur is None else cur
    if rec.kind == "boolean":
        return [not cur]
    if rec.kind == "string":
        return [c for c in rec.choices or () if c != cur]
    if rec.kind == "integer":
        return [cur + 1, cur - 1]
    if rec.kind == "pair":
        return [[v * 1.1 for v in cur], [v * 0.9 for v in cur]]
    if rec.kind in ("length", "number"):
        return [cur * 1.1, cur * 0.9] if cur else [0.05, 0.01, 1.0]
    return []


@pytest.mark.parametrize("kind", ["unit", "panel"])
def test_sweep_of_each_geometry_and_mesh_key_keeps_the_cache_honest(kind):
    """Every [geometry] and [mesh] key the spec reads (the generated reference's list),
    moved by a sweep's case (StudySpec.case, the sweep's one override path): the cache key
    of each model of the case (fea.package.meshing.cache_key) changes, or the model built
    is the base's (the same region volumes): a key left out of the cache key would hand
    one geometry's mesh to another. Mesh keys always change it, except ``symmetry``, which
    build_mesh is given as its own argument."""
    from fea.errors import InputError
    from fea.package.meshing import cache_key, model_case
    from fea.package.spec import parse_study
    from fea.package.spec.reference import collect_keys

    raw = _base(kind)
    study = parse_study(raw)
    models = (None, "warpage", "board") if kind == "unit" else (None,)

    def keys(case) -> dict:
        have = [m for m in models if m != "board" or case.geometry.board is not None]
        return {m: cache_key(model_case(case, m), m if m == "board" else None) for m in have}

    base = keys(study.base)
    built: dict = {}
    not_swept, moved = set(), 0
    for key, rec in collect_keys().items():
        if not key.startswith(("geometry.", "mesh.")) or key.startswith(_OWN):
            continue
        if rec.kind == "table" or key.startswith(("geometry.regions", "geometry.roles")):
            continue
        if key.startswith("geometry.panel" if kind == "unit" else "geometry.board"):
            continue
        path = key.replace("<side>", "xmin")
        case = None
        for value in _moves(rec, _get(raw, path)):
            try:
                case = study.case({path: value})
                break
            except InputError:
                continue
        if case is None:
            not_swept.add((kind, key))
            continue
        moved += 1
        for m, k in keys(case).items():
            if k != base[m]:
                continue
            assert key.startswith("geometry.") or key == "mesh.symmetry", (key, m)
            if m not in built:
                built[m] = _volumes(model_case(study.base, m))
            want = pytest.approx(built[m], rel=1e-9, abs=0)
            assert _volumes(model_case(case, m)) == want, (key, m)
    assert not_swept <= _NOT_SWEPT
    assert moved >= (40 if kind == "unit" else 30)


@pytest.mark.parametrize("stage", ["on_mandrel", "released", "singulated"])
def test_panel_volumes_by_hand(stage):
    """A 2 x 1 panel's regions against hand formulas (mm): each can as a unit's shell
    (outer box - cavity box - its slots), the web (panel area - can footprints) x t, the
    dam along the lane ((panel y) x t x (web underside - dielectric) - one pathway per unit
    span), the dielectric sheet, and the whole model: the panel box up to the web's top
    plus the cans standing proud of it by recess_depth (on the mandrel: the box up to the
    mandrel's top). Singulated, each unit keeps its can and its cell of the web (pitch -
    kerf square) and the kerf takes the dam."""
    case = case_of({"panel": {**PANEL, "nx": 2, "ny": 1, "stage": stage}}, kind="panel")
    g, p = case.geometry, case.geometry.panel
    mm = 1e3
    Cx, Cy = (c * mm for c in g.cavity)
    t, depth, td = g.shell_thickness * mm, g.cavity_depth * mm, g.dielectric_thickness * mm
    pitch, kerf, rec = p.pitch * mm, p.kerf * mm, p.recess_depth * mm
    ox, oy = Cx + 2 * t, Cy + 2 * t
    hx, hy = p.nx * pitch / 2 + p.margin * mm, p.ny * pitch / 2 + p.margin * mm
    o = g.openings["xmin"]
    w, h, z0 = o.width * mm, o.height * mm, o.z0 * mm
    can = (ox * oy - Cx * Cy) * depth + ox * oy * t - 4 * o.count * w * h * t
    z_web = td + depth - rec
    vol = {r: sum(v for v, _ in x) for r, x in _occ(case).items()}
    if stage == "singulated":
        assert vol["shell"] == pytest.approx(
            2 * (can + ((pitch - kerf) ** 2 - ox * oy) * t), rel=1e-9, abs=0
        )
        assert vol["dielectric"] == pytest.approx(2 * (pitch - kerf) ** 2 * td, rel=1e-9, abs=0)
        return
    web = (4 * hx * hy - 2 * ox * oy) * t
    dam = t * 2 * hy * (z_web - td) - p.ny * w * (min(td + z0 + h, z_web) - td - z0) * t
    assert vol["shell"] == pytest.approx(2 * can + web + dam, rel=1e-9, abs=0)
    assert vol["dielectric"] == pytest.approx(4 * hx * hy * td, rel=1e-9, abs=0)
    if stage == "on_mandrel":
        total = 4 * hx * hy * (td + depth + t + p.mandrel_thickness * mm)
    else:
        total = 4 * hx * hy * (z_web + t) + 2 * ox * oy * rec
    assert sum(vol.values()) == pytest.approx(total, rel=1e-9, abs=0)
