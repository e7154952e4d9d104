"""The reported warpage as a package mechanical engineer reads it: the study's
columns against the solved displacements and the JEDEC sign convention, and closed side
walls written two ways (``kind = "none"`` or ``count = 0``) on a unit and on a panel."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import gmsh
import numpy as np
import pytest

from fea.fe.mesh import gmsh_session
from fea.package import meshing as mesh_mod
from fea.package.analyse import warpage_metrics
from fea.package.geometry import build
from fea.package.spec import load_study, parse_study

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_study.toml"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny study's base unit at a 1.5 mm mesh (P1), its warpage metrics and states."""
    cache = tmp_path_factory.mktemp("meshes")
    old = mesh_mod.CACHE_DIR
    mesh_mod.CACHE_DIR = cache
    try:
        case = load_study(TINY).base
        case = dataclasses.replace(case, mesh=dataclasses.replace(case.mesh, size=1.5e-3))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the copper shell passes its proof stress
            metrics, states = warpage_metrics(case)
    finally:
        mesh_mod.CACHE_DIR = old
    return case, metrics, states


def test_the_table_sign_is_the_top_faces_centre_against_its_corners(tiny):
    """``warpage_signed_um`` is + when the top face's centre stands above its corners
    (JESD22-B112: convex seen from the top, +z, the side away from the terminals),
    measured here straight from the solved displacements; the curvature columns carry
    the same sign for a bowl, and the magnitude is the face's peak-to-valley."""
    case, m, states = tiny
    me = states["25C"]
    w = me.warpage("top")
    assert m["warpage_signed_um@25C"] == pytest.approx(w.signed * 1e6, rel=1e-12)
    assert m["warpage_um@25C"] == pytest.approx(abs(m["warpage_signed_um@25C"]), rel=1e-12)
    mesh = me.mesh
    nodes = np.unique(mesh.p1.facets[:, mesh.boundaries["top"]])
    xyz = mesh.nodes[nodes]
    uz = me.displacement[nodes, 2]
    centre = uz[np.argmin(np.hypot(xyz[:, 0], xyz[:, 1]))]
    r = np.hypot(xyz[:, 0], xyz[:, 1])
    corners = uz[r > r.max() - 1e-9].mean()
    assert np.sign(centre - corners) == np.sign(m["warpage_signed_um@25C"])
    assert abs(m["warpage_signed_um@25C"]) > 0.1  # a real bow, not rounding
    assert m["warpage_shape@25C"] == "bowl"
    for col in ("curvature_1_per_m", "curvature_max_1_per_m", "curvature_min_1_per_m"):
        assert np.sign(m[f"{col}@25C"]) == np.sign(m["warpage_signed_um@25C"]), col


# -- closed walls written two ways -----------------------------------------------------------

GEOMETRY = {
    "cavity_mm": [3.0, 3.0],
    "die": {"size_mm": [1.5, 1.5], "thickness_mm": 0.25},
    "cavity_depth_mm": 0.5,
    "terminals": {"kind": "none"},
}


def _volumes(kind: str, openings: dict) -> dict[str, float]:
    """Volume of each region [mm^3, 1e-6 rounded] of the built geometry (not meshed)."""
    g = {**GEOMETRY, "openings": openings}
    if kind == "panel":
        g["panel"] = {"nx": 2, "ny": 1, "pitch_mm": 4.5, "stage": "released"}
    case = parse_study(
        {
            "study": {"kind": kind},
            "geometry": g,
            "mesh": {"size_mm": 1.5, "order": 1, "layers_through_thickness": 1},
        }
    ).base
    with gmsh_session():
        info = build(gmsh.model, case)
        gmsh.model.occ.synchronize()
        return {
            name: round(sum(gmsh.model.occ.getMass(3, t) for t in tags), 6)
            for name, tags in info.regions.items()
        }


SIZED = {"width_mm": 0.3, "height_mm": 0.1}


def test_a_units_closed_walls_are_one_model_however_written():
    """``kind = "none"`` and ``count = 0`` close a unit's side walls alike, whatever the
    (unused) sizes given with them."""
    none = _volumes("unit", {"kind": "none", **SIZED})
    assert _volumes("unit", {"kind": "slots", "count": 0, **SIZED}) == none
    assert _volumes("unit", {"kind": "slots", "count": 0}) == none


def test_a_panels_closed_walls_are_one_model_however_written():
    """A panel whose side walls are closed: with the sizes ``width_mm = 0.3, height_mm =
    0.1``, ``count = 0`` gives dam pathways of 0.3 x 0.1 mm and ``kind = "none"`` the
    default 0.5 x 0.2 mm ones (shell 3.01735 against 3.0149 mm^3, encapsulant 28.73263
    against 28.73508 mm^3): the same wall, two models. Either both spellings build one
    model or one of them is refused naming the key."""
    none = _volumes("panel", {"kind": "none", **SIZED})
    assert _volumes("panel", {"kind": "slots", "count": 0, **SIZED}) == none


def test_a_units_elastic_states_of_the_viscoelastic_compound_carry_a_note(
    tiny, tmp_path, monkeypatch
):
    """A unit study with ``mold_compound_visco`` and no process history: its 260 degC
    state took the glassy modulus without a note (+10.9 um against +6.1 um with the
    elastic compound on this unit at P2); it warns now (a note of the case's row)."""
    from fea import materials
    from fea.physics.mechanics import InstantaneousModulusWarning

    monkeypatch.setattr(mesh_mod, "CACHE_DIR", tmp_path / "meshes")
    case = tiny[0]
    mats = {**case.materials, "encapsulant": materials.get("mold_compound_visco")}
    loads = dataclasses.replace(case.loads, warpage_temperatures=(25.0, 260.0))
    visco = dataclasses.replace(case, materials=mats, loads=loads)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warpage_metrics(visco)
    notes = [str(w.message) for w in caught if w.category is InstantaneousModulusWarning]
    assert len(notes) == 1 and "encapsulant (mold_compound_visco)" in notes[0]
    assert "260 degC" in notes[0]


@pytest.mark.slow
def test_a_panels_states_before_moulding_are_measured_on_the_panel(tmp_path, monkeypatch):
    """history_metrics says: a panel is measured on ``bottom`` (the dielectric face) until
    the kerf is removed, then on ``units_bottom``. Before moulding the kerf's compound is not
    born yet, and the states were measured on the kept unit: on a 3 x 1 panel of the
    process of studies/panel_process.toml (P1, 2 mm) ``warpage_um@preheated`` 0.53 um where
    the panel's face has 4.43 um (studies/panel_process.toml itself at P2, 1.5 mm: 1.40
    against 39.8 um)."""
    import copy

    from fea.package.analyse import history_metrics

    from .test_panel_process import PANEL

    monkeypatch.setattr(mesh_mod, "CACHE_DIR", tmp_path / "meshes")
    d = copy.deepcopy(PANEL)
    d["geometry"]["panel"].update(nx=3, ny=1)
    d["mesh"] = {"size_mm": 2.0, "order": 1, "layers_through_thickness": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m, states, _ = history_metrics(parse_study(d).base)
    assert m["warpage_um@released"] == pytest.approx(
        states["released"].warpage("bottom").peak_to_valley * 1e6, rel=1e-9
    )
    panel = states["preheated"].warpage("bottom").peak_to_valley * 1e6
    assert panel > 1.0
    assert m["warpage_um@preheated"] == pytest.approx(panel, rel=1e-9)
    # singulated: the kerf is gone, the kept unit's face
    unit = states["singulated"].warpage("units_bottom").peak_to_valley * 1e6
    assert m["warpage_um@singulated"] == pytest.approx(unit, rel=1e-9)
