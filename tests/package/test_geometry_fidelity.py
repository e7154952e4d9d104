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
from fea.package.geometry import build

from .test_geometry import case_of


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
    assert case_of(mesh={"size_mm": 1e-4}).mesh.size == pytest.approx(1e-7)


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
