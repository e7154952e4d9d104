"""Parametric studies of the built-in package at the edges of its keys: what a sweep over
one geometric key can reach is either built as the keys say or refused when the study is
read, with an InputError naming the key, the value and what is allowed (not balls that
float free of the dielectric, a mesh of slivers, dams merged into the can walls, a key
silently changed, or a mesher error that names the wrong keys)."""

from __future__ import annotations

import pytest

from fea.package.meshing import build_mesh

from .test_geom_review import PANEL, case_of, refused

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
    )


# -- a key built otherwise than it says


def test_rim_bond_narrower_than_the_wall_refused():
    # a 5 um ring was built 35 um wide (the shell's thickness) without a word
    board = {"size_mm": [10.0, 10.0], "thickness_mm": 0.5, "rim_bond": True}
    e = refused({"board": {**board, "rim_bond_width_um": 5}})
    assert e.key == "geometry.board.rim_bond_width_mm"
    assert e.value == 0.005
    assert "at least the shell thickness 0.035 mm" in e.allowed
    case_of({"board": {**board, "rim_bond_width_um": 35}})


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
