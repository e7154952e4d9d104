"""What is meshed is what the spec says: region volumes against closed forms, symmetry
models as exact fractions of the full model, named boundaries' areas, the encapsulant
joined through every opening, and absurd mesh sizes refused naming their key."""

from __future__ import annotations

import math

import gmsh
import numpy as np
import pytest

from fea.errors import InputError
from fea.fe.mesh import gmsh_session
from fea.package.geometry import build, unit_volumes
from fea.package.meshing import build_mesh

from .test_geometry import case_of, components


def occ_model(case, symmetry: str = "none") -> tuple[dict[str, float], dict[str, float]]:
    """Region volumes [m^3] and boundary areas [m^2] of the OCC model (no mesh)."""
    with gmsh_session():
        info = build(gmsh.model, case, symmetry)
        mass = gmsh.model.occ.getMass
        vol = {r: sum(mass(3, t) for t in tags) * 1e-9 for r, tags in info.regions.items()}
        area = {b: sum(mass(2, t) for t in tags) * 1e-6 for b, tags in info.boundaries.items()}
    return vol, area


# -- mesh sizes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["size_mm", "opening_size_mm", "terminal_size_mm", "film_size_mm", "board_size_mm"]
)
@pytest.mark.parametrize("value", [1e-7, 1e-5])  # 0.1 nm and 10 nm
def test_mesh_size_below_what_the_mesher_resolves_refused(key, value):
    # a 0.1 nm element size was accepted by the reader (only > 0 was asked): the size
    # guard refused it for memory, and with --force gmsh never finished
    with pytest.raises(InputError) as info:
        case_of(mesh={key: value})
    e = info.value
    assert e.key == f"mesh.{key}"
    assert e.value == value
    assert "0.1 um" in e.allowed


@pytest.mark.parametrize("value", [0, -1.0, math.nan, math.inf])
def test_mesh_size_not_positive_or_finite_refused(value):
    with pytest.raises(InputError) as info:
        case_of(mesh={"size_mm": value})
    assert info.value.key == "mesh.size_mm"


def test_mesh_size_at_the_limit_accepted():
    assert case_of(mesh={"size_mm": 1e-4}).mesh.size == pytest.approx(1e-7, rel=1e-12, abs=0)


# -- a panel: the web across the lanes must not close the cans' side-wall openings -------

PANEL = {"nx": 2, "ny": 2, "pitch_mm": 5.0, "margin_mm": 0.5, "mandrel_thickness_mm": 0.5}


def panel_case(openings: dict, **panel):
    geometry = {"openings": openings, "panel": {**PANEL, **panel}}
    return case_of(geometry, {"size_mm": 1.0, "order": 1}, kind="panel")


def encapsulant_bodies(case) -> int:
    """Connected bodies of the encapsulant of the OCC model (pieces sharing a face)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    with gmsh_session():
        info = build(gmsh.model, case)
        tags = info.regions["encapsulant"]
        where = {t: i for i, t in enumerate(tags)}
        faces: dict[int, list[int]] = {}
        for t in tags:
            for _, s in gmsh.model.getBoundary([(3, t)], oriented=False, combined=False):
                faces.setdefault(abs(s), []).append(where[t])
    pairs = np.array([f for f in faces.values() if len(f) == 2]).reshape(-1, 2).T
    n = len(tags)
    adj = coo_matrix((np.ones(pairs.shape[1]), (pairs[0], pairs[1])), shape=(n, n))
    return connected_components(adj, directed=False)[0]


@pytest.mark.parametrize("stage", ["on_mandrel", "released"])
def test_panel_openings_facing_the_web_refused(stage):
    # SMALL's slots (0.1 - 0.25 mm above the dielectric) with a 0.35 mm recess in a 0.5 mm
    # cavity: the web's underside is 0.15 mm above the dielectric, so the slots open onto
    # the web and the mandrel (or the air) instead of the lane encapsulant. Without
    # pathways in the dams this was accepted and each can's encapsulant was a body of its
    # own (8 bodies in a 2 x 2 panel where 4 lane cells and 4 cans should be 4)
    slots = {"kind": "slots", "count": 2, "width_mm": 0.4, "height_mm": 0.15, "z0_mm": 0.1}
    with pytest.raises(InputError) as info:
        panel_case(slots, recess_depth_mm=0.35, pathways=False, stage=stage)
    e = info.value
    assert e.key == "geometry.panel.recess_depth_mm"
    assert e.value == 0.35
    assert "side xmin" in e.allowed and "at most 0.25 mm" in e.allowed
    # one side's openings above the web while xmin's (the dams' pathways) are below it:
    # the other cans' sides were closed, silently (the encapsulant still one body)
    low = {**slots, "z0_mm": 0.02, "height_mm": 0.1}
    sides = {"ymax": {"z0_mm": 0.2}}
    with pytest.raises(InputError) as info:
        panel_case({**low, "sides": sides}, recess_depth_mm=0.35, stage=stage)
    assert info.value.key == "geometry.panel.recess_depth_mm"
    assert "side ymax" in info.value.allowed
    # below the web: the lanes and the cans are one body through the pathways, and 4
    # bodies (one per lane cell, each with its can) without them
    assert encapsulant_bodies(panel_case(low, recess_depth_mm=0.35, stage=stage)) == 1
    case = panel_case(low, recess_depth_mm=0.35, pathways=False, stage=stage)
    assert encapsulant_bodies(case) == 4
    # the top edge level with the web's underside: the whole slot opens onto the lane
    panel_case({**low, "height_mm": 0.13}, recess_depth_mm=0.35, stage=stage)


# -- region volumes: the mesh against the closed forms --------------------------------

#: Variants of tests.package.test_geometry.SMALL (3 x 3 mm cavity, 0.5 mm deep, 35 um
#: shell, 2 x 2 balls): several opening kinds, sizes and counts per wall, an opening 40 um
#: from the wall's ends, the thinnest shell and dielectric allowed.
VARIANTS = {
    "baseline": {},
    "holes": {"openings": {"kind": "holes", "count": 3, "width_mm": 0.2, "z0_mm": 0.1}},
    "pillars": {"openings": {"kind": "pillars", "count": 4, "width_mm": 0.3}},
    "one_wall_wide": {
        "openings": {"kind": "slots", "count": 1, "width_mm": 2.92, "height_mm": 0.15}
    },
    "mixed": {
        "openings": {
            "kind": "slots",
            "count": 19,
            "width_mm": 0.08,
            "height_mm": 0.1,
            "sides": {
                "xmin": {"kind": "holes", "count": 1, "width_mm": 0.3, "z0_mm": 0.0},
                "ymax": {"kind": "none"},
            },
        }
    },
    "thinnest": {"shell_thickness_um": 0.1, "dielectric_thickness_um": 0.1},
    "rounded": {
        "corner_radius_mm": 0.3,
        "openings": {"kind": "holes", "count": 2, "width_mm": 0.2, "z0_mm": 0.1},
    },
}
#: Regions with curved faces in a variant (besides the terminals): meshed with chords.
CURVED = {"holes": {"shell", "encapsulant"}, "rounded": {"shell", "encapsulant", "dielectric"}}
CURVED["mixed"] = CURVED["holes"]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_meshed_region_volumes_match_closed_form(name):
    case = case_of(VARIANTS[name], {"layers_through_thickness": 1, "order": 1})
    mesh, _ = build_mesh(case, cache=False)
    ref = unit_volumes(case.geometry)
    assert set(mesh.regions) == set(ref)
    vol = mesh.element_volumes()
    counts = np.zeros(mesh.n_elements, int)
    for r, idx in mesh.regions.items():
        counts[idx] += 1
        assert len(idx) > 0, r
        # planar regions exactly; chords of a 0.4 mm ball or a 0.2 mm hole at the coarse
        # size lose a few per cent
        curved = r == "terminals" or r in CURVED.get(name, ())
        assert vol[idx].sum() == pytest.approx(ref[r], rel=0.1 if curved else 1e-9, abs=0), r
    assert np.all(counts == 1), "every element in exactly one region"
    assert components(mesh, mesh.regions["encapsulant"]) == 1


@pytest.mark.parametrize("name", list(VARIANTS))
def test_model_region_volumes_match_closed_form(name):
    # the model's own volumes (curved faces exact), with no absolute tolerance: pytest's
    # default 1e-12 m^3 is 2 % of a 1.5 mm die's attach and 1 % of four 0.4 mm balls
    layers = 1 if name == "thinnest" else 2
    case = case_of(VARIANTS[name], {"layers_through_thickness": layers})
    vol, _ = occ_model(case)
    ref = unit_volumes(case.geometry)
    assert set(vol) == set(ref)
    for r, v in ref.items():
        assert vol[r] == pytest.approx(v, rel=1e-9, abs=0), r


# -- symmetry models: exact fractions of the full model ------------------------------


@pytest.mark.parametrize("name", ["baseline", "holes", "pillars", "rounded", "thinnest"])
@pytest.mark.parametrize("symmetry, share", [("quarter", 4), ("eighth", 8)])
def test_symmetry_model_is_an_exact_fraction(name, symmetry, share):
    case = case_of(VARIANTS[name], {"layers_through_thickness": 1})
    vol, area = occ_model(case)
    vol_s, area_s = occ_model(case, symmetry)
    assert set(vol_s) == set(vol)
    for r, v in vol.items():
        assert vol_s[r] * share == pytest.approx(v, rel=1e-9, abs=0), r
    cut = {b for b in area_s if b.startswith("symmetry_")}
    assert set(area_s) - cut == set(area)
    for b, a in area.items():
        assert area_s[b] * share == pytest.approx(a, rel=1e-9, abs=0), b
    # the cut planes: the package's section (no terminal on x = 0 or y = 0 in a 2 x 2
    # array; the eighth's diagonal face runs through the middle of the ball at (0.4, 0.4)
    # mm, its whole section)
    g = case.geometry
    half = g.outer[0] / 2 + g.exterior_thickness
    assert area_s["symmetry_y"] == pytest.approx(half * g.z_top, rel=1e-9, abs=0)
    if symmetry == "quarter":
        assert area_s["symmetry_x"] == pytest.approx(half * g.z_top, rel=1e-9, abs=0)
    else:
        term = g.terminals
        r, h = term.diameter / 2, term.standoff / 2
        ball = 2 * (h * math.sqrt(r * r - h * h) + r * r * math.asin(h / r))  # slab of a disc
        diagonal = math.sqrt(2) * half * g.z_top + ball
        assert area_s["symmetry_d"] == pytest.approx(diagonal, rel=1e-9, abs=0)


@pytest.mark.parametrize("symmetry, share", [("quarter", 4), ("eighth", 8)])
def test_meshed_symmetry_model_is_an_exact_fraction(symmetry, share):
    case = case_of(VARIANTS["pillars"], {"layers_through_thickness": 1, "order": 1})
    full, _ = build_mesh(case, cache=False)
    cut, _ = build_mesh(case, cache=False, symmetry=symmetry)
    assert set(cut.regions) == set(full.regions)
    vf, vc = full.element_volumes(), cut.element_volumes()
    for r in ("shell", "die", "die_attach", "dielectric", "encapsulant"):  # planar
        whole = vf[full.regions[r]].sum()
        assert share * vc[cut.regions[r]].sum() == pytest.approx(whole, rel=1e-9, abs=0), r
    for b in ("top", "shell_top", "die|die_attach", "encapsulant|shell"):
        whole = full.boundary_area(b)
        assert share * cut.boundary_area(b) == pytest.approx(whole, rel=1e-9, abs=0), b


# -- named boundaries ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["baseline", "rounded", "thinnest"])
def test_named_boundary_areas(name):
    case = case_of(VARIANTS[name], {"layers_through_thickness": 1})
    _, area = occ_model(case)
    g = case.geometry
    e, t, r = g.exterior_thickness, g.shell_thickness, g.corner_radius
    ro = r + t if r > 0 else 0.0
    footprint = (g.outer[0] + 2 * e) * (g.outer[1] + 2 * e)
    outer = g.outer[0] * g.outer[1] - (4 - math.pi) * ro * ro
    cavity = g.cavity[0] * g.cavity[1] - (4 - math.pi) * r * r
    term = g.terminals
    contacts = term.rows * term.cols * math.pi * term.contact_diameter**2 / 4
    assert area["top"] == pytest.approx(footprint, rel=1e-9, abs=0)
    assert area["shell_top"] == pytest.approx(outer, rel=1e-9, abs=0)
    assert area["bottom"] == pytest.approx(footprint - contacts, rel=1e-9, abs=0)
    assert area["terminal_tips"] == pytest.approx(contacts, rel=1e-9, abs=0)
    assert area["dielectric|terminals"] == pytest.approx(contacts, rel=1e-9, abs=0)
    assert area["dielectric|shell"] == pytest.approx(outer - cavity, rel=1e-9, abs=0)  # the rim
    assert area["die|die_attach"] == pytest.approx(g.die[0] * g.die[1], rel=1e-9, abs=0)
    # the sides of the exterior ring and of the balls: all the package's surface
    side = 2 * (g.outer[0] + g.outer[1] + 4 * e) * g.z_top
    assert area["exterior"] == pytest.approx(area["package_surface"], rel=1e-12, abs=0)
    balls = area["exterior"] - area["top"] - area["bottom"] - area["terminal_tips"] - side
    d, s = term.diameter, term.standoff
    belt = term.rows * term.cols * math.pi * d * s  # a sphere's zone: 2 pi R h
    assert balls == pytest.approx(belt, rel=1e-9, abs=0)


# -- every opening joins the encapsulant inside and outside the shell -----------------


@pytest.mark.parametrize(
    "opening",
    [
        {"kind": "slots", "count": 1, "width_mm": 0.3, "height_mm": 0.1, "z0_mm": 0.0},
        {"kind": "holes", "count": 1, "width_mm": 0.1, "z0_mm": 0.35},
        {"kind": "pillars", "count": 1, "width_mm": 0.05},
        {"kind": "slots", "count": 1, "width_mm": 2.92, "height_mm": 0.1},  # to the ends
    ],
    ids=["slot_on_floor", "hole_near_ceiling", "pillars", "slot_to_the_corners"],
)
@pytest.mark.parametrize("side", ["xmin", "xmax", "ymin", "ymax"])
def test_each_wall_opening_joins_inside_and_outside(side, opening):
    closed = {s: {"kind": "none"} for s in ("xmin", "xmax", "ymin", "ymax") if s != side}
    case = case_of({"openings": {**opening, "sides": closed}, "terminals": {"kind": "none"}})
    assert encapsulant_bodies(case) == 1
    shut = {"openings": {"kind": "none"}, "terminals": {"kind": "none"}}
    assert encapsulant_bodies(case_of(shut)) == 2


def test_panel_region_volumes_by_hand():
    low = {"kind": "slots", "count": 2, "width_mm": 0.4, "height_mm": 0.1, "z0_mm": 0.02}
    case = panel_case(low, recess_depth_mm=0.35, stage="on_mandrel")
    g = case.geometry
    p = g.panel
    vol, _ = occ_model(case)
    unit = unit_volumes(g)
    n = p.nx * p.ny
    side = (p.nx * p.pitch + 2 * p.margin, p.ny * p.pitch + 2 * p.margin)
    area = side[0] * side[1]
    cans = n * g.outer[0] * g.outer[1]
    web_top = g.z_top - p.recess_depth
    # the panel up to the web's top, the cans standing proud of it, the mandrel around them
    total = area * web_top + area * (g.z_top + p.mandrel_thickness - web_top)
    assert sum(vol.values()) == pytest.approx(total, rel=1e-9, abs=0)
    assert vol["die"] == pytest.approx(n * unit["die"], rel=1e-9, abs=0)
    assert vol["die_attach"] == pytest.approx(n * unit["die_attach"], rel=1e-9, abs=0)
    assert vol["dielectric"] == pytest.approx(area * g.dielectric_thickness, rel=1e-9, abs=0)
    mandrel = area * (g.z_top + p.mandrel_thickness - web_top) - cans * (g.z_top - web_top)
    assert vol["mandrel"] == pytest.approx(mandrel, rel=1e-9, abs=0)
    for symmetry, share in (("quarter", 4), ("eighth", 8)):
        vol_s, _ = occ_model(case, symmetry)
        for r, v in vol.items():
            assert vol_s[r] * share == pytest.approx(v, rel=1e-9, abs=0), (symmetry, r)


def test_ring_cold_plate_named_on_symmetry_models():
    # the cold plate's faces (the board's faces outside the ring, JESD51-8) were found by
    # their bounding box's width: a quarter's or an eighth's board face outside the ring
    # is half as wide, so a cut model had no cold_plate boundary at all (area 0)
    from fea.package.spec import parse_study

    from .test_geometry import SMALL

    board = {"size_mm": [12.0, 12.0], "thickness_mm": 0.5}
    data = {
        "study": {"kind": "unit"},
        "geometry": {**SMALL, "board": board},
        "mesh": {"size_mm": 0.6, "layers_through_thickness": 1},
        "environment": {"kind": "junction_to_board", "ring_offset_mm": 2.0},
    }
    case = parse_study(data).base
    g = case.geometry
    ring = [x + 4e-3 for x in g.body]
    cold = 2 * (12e-3 * 12e-3 - ring[0] * ring[1])  # the board's top and bottom outside it
    _, area = occ_model(case)
    assert area["cold_plate"] == pytest.approx(cold, rel=1e-9, abs=0)
    for symmetry, share in (("half", 2), ("quarter", 4), ("eighth", 8)):
        _, area_s = occ_model(case, symmetry)
        cut = area_s.get("cold_plate", 0.0)
        assert cut * share == pytest.approx(cold, rel=1e-9, abs=0), symmetry


def test_eighth_refusal_shows_the_value_as_given():
    # the board's 9 mm came back as 9.000000000000002 (metres times 1e3)
    case = case_of({"board": {"size_mm": [8.0, 9.0], "thickness_mm": 0.5}})
    with pytest.raises(InputError) as info:
        occ_model(case, "eighth")
    assert info.value.key == "geometry.board.size_mm"
    assert info.value.value == [8.0, 9.0]


def test_mesh_size_larger_than_the_package_meshes_the_geometry():
    # a 50 mm size on a 3.5 mm package is not refused: the features bound the elements,
    # and every region is there with its volume
    case = case_of(mesh={"size_mm": 50.0, "layers_through_thickness": 1, "order": 1})
    mesh, _ = build_mesh(case, cache=False)
    ref = unit_volumes(case.geometry)
    vol = mesh.element_volumes()
    assert set(mesh.regions) == set(ref)
    for r in ("shell", "die", "die_attach", "dielectric", "encapsulant"):
        assert vol[mesh.regions[r]].sum() == pytest.approx(ref[r], rel=1e-9, abs=0), r


@pytest.mark.parametrize(
    "opening",
    [
        {"kind": "slots", "count": 2, "width_mm": 0.4, "height_mm": 0.1, "z0_mm": 0.02},
        {"kind": "holes", "count": 2, "width_mm": 0.1, "z0_mm": 0.02},
        {"kind": "pillars", "count": 2, "width_mm": 0.3},
    ],
    ids=["slots", "holes", "pillars"],
)
def test_panel_dam_pathways_shaped_as_the_wall_openings(opening):
    # the dams' pathways are documented as "shaped as the xmin wall's openings": holes were
    # built as squares of the hole's diameter (4/pi = 1.27 x the area) and pillars' gaps
    # as slots of the default 0.2 mm height from the default 0.15 mm z0 (keys a pillars
    # wall does not read) instead of the dam's full height
    with_paths = panel_case(opening, recess_depth_mm=0.35, stage="released")
    without = panel_case(opening, recess_depth_mm=0.35, stage="released", pathways=False)
    g = with_paths.geometry
    p = g.panel
    t, w = g.shell_thickness, opening["width_mm"] * 1e-3
    dam_height = g.cavity_depth - p.recess_depth  # dielectric to the web's underside
    one = {
        "slots": w * opening.get("height_mm", 0) * 1e-3 * t,
        "holes": math.pi * w * w / 4 * t,
        "pillars": w * dam_height * t,
    }[opening["kind"]]
    n = (p.nx - 1) * p.ny + (p.ny - 1) * p.nx  # one per unit span of each dam
    removed = occ_model(without)[0]["shell"] - occ_model(with_paths)[0]["shell"]
    assert removed == pytest.approx(n * one, rel=1e-9, abs=0)
