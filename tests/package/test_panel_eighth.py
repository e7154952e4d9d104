"""``[mesh] symmetry = "eighth"`` for a panel: a square panel (nx == ny) on the model
0 <= y <= x, planes y = 0 (``symmetry_y``) and x = y (``symmetry_d``).

The 3 x 3 panel's eighth holds an eighth of the centre unit, half of the unit at
(pitch, 0) (cut by y = 0) and half of the one at (pitch, pitch) (cut by x = y), and the
dam crossing on the diagonal. Its FULL mesh is the eighth mirrored across x = y, x = 0 and
y = 0 (:func:`mirror_mesh`); the full body, a free body with the square's symmetry, is
the same discrete problem as the eighth with u . n = 0 on its planes, so every metric of
each panel stage and of the process history agrees to rounding (as for the quarter,
tests/package/test_symmetry_study.py). A singulated panel is nine free bodies: the rigid
motions of each cut unit are removed in the full body's inner product (``symmetry=`` of
:func:`fea.solve_thermoelastic`), otherwise the units' heights, and with them the warpage
of the units' faces, are not the full body's (0.5 % and 2.5 % in curvature measured on
this eighth; 0.4 % in warpage on a singulated quarter).
"""

from __future__ import annotations

import copy
import csv
import dataclasses

import gmsh
import numpy as np
import pytest

from fea.cli import main
from fea.errors import InputError
from fea.fe.mesh import gmsh_session
from fea.package.analyse import history_metrics, panel_metrics
from fea.package.geometry import build
from fea.package.geometry.symmetry import check_symmetry, mesh_symmetry, mirror_mesh
from fea.package.meshing import build_mesh
from fea.package.spec import parse_study

from .test_geometry import PANEL, components
from .test_symmetry_study import (
    analyse,
    assert_same_metrics,
    assert_same_states,
    on_mesh,
    run_on_mesh,
)
from .test_symmetry_study import panel_process as quarter_panel_process

MESH = {"size_mm": 0.8, "layers_through_thickness": 1, "opening_size_mm": 0.25}


def panel(
    symmetry: str, stage: str = "released", n: tuple[int, int] = (3, 3), order: int = 2, **extra
):
    """A panel of n units (3 x 3: the centre unit on the z axis, two units on the planes)
    at the coarse mesh of the quarter tests."""
    g = copy.deepcopy(PANEL)
    g["panel"] = {"nx": n[0], "ny": n[1], "pitch_mm": 4.5, "stage": stage, **extra}
    return parse_study(
        {
            "study": {"kind": "panel"},
            "geometry": g,
            "mesh": {**MESH, "order": order, "symmetry": symmetry},
            "loads": {"warpage_temperatures_C": [25.0, 260.0]},
        }
    ).base


def panel_process(symmetry: str, order: int = 1, **extra):
    """The quarter tests' panel process on the 3 x 3 panel. P1: the same discrete problem
    on both sides at a seventh of the P2 nodes (the eighth against the full mesh is exact
    for either order)."""
    return quarter_panel_process(symmetry, nx=3, ny=3, order=order, **extra)


def process_model(case):
    g = case.geometry
    return dataclasses.replace(
        case, geometry=dataclasses.replace(g, panel=dataclasses.replace(g.panel, stage="process"))
    )


# -- what is refused -------------------------------------------------------------------


def test_panel_not_square_refused():
    """nx != ny: refused naming geometry.panel.ny, its value and what is allowed; the
    quarter of the same panel is fine."""
    oblong = panel("none", n=(3, 2))
    check_symmetry(oblong, "quarter")
    with pytest.raises(InputError, match="geometry.panel.ny") as e:
        check_symmetry(oblong, "eighth")
    msg = str(e.value)
    assert "2" in msg and "geometry.panel.nx (3)" in msg and "x = y" in msg
    with pytest.raises(InputError, match="geometry.panel.ny"):
        analyse.mechanics_mesh(panel("eighth", n=(3, 2)))


def test_panel_eighth_checks():
    """A square panel is accepted at every stage; openings of the x walls other than the
    y walls' (the units' walls; the dams carry those of xmin both ways) are refused; one
    unit kept of an even count is refused as for the quarter; the terminal array, which a
    panel's sites do not have, is not checked."""
    for stage in ("on_mandrel", "released", "singulated", "process"):
        assert check_symmetry(panel("none", stage), "eighth") == ("d", "x", "y")
    assert check_symmetry(panel("none", "singulated", singulated_units="one"), "eighth")
    g = copy.deepcopy(PANEL)
    g["openings"] = {**g["openings"], "sides": {"ymin": {"count": 2}, "ymax": {"count": 2}}}
    g["panel"] = {"nx": 3, "ny": 3, "pitch_mm": 4.5, "stage": "released"}
    case = parse_study({"study": {"kind": "panel"}, "geometry": g}).base
    check_symmetry(case, "quarter")
    with pytest.raises(InputError, match="geometry.openings.sides.ymin"):
        check_symmetry(case, "eighth")
    even = panel("none", "singulated", n=(4, 4), singulated_units="one")
    with pytest.raises(InputError, match="geometry.panel.singulated_units"):
        check_symmetry(even, "eighth")
    g = copy.deepcopy(PANEL)
    g["terminals"] = {"kind": "pads", "rows": 2, "cols": 3, "pitch_mm": 0.8}
    g["panel"] = {"nx": 3, "ny": 3, "pitch_mm": 4.5}
    case = parse_study({"study": {"kind": "panel"}, "geometry": g}).base
    assert check_symmetry(case, "eighth") == ("d", "x", "y")


# -- the mesh ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eighth_process():
    """The eighth of the 3 x 3 panel's process model (mandrel, kerf regions)."""
    case = panel_process("eighth", order=2)
    mesh, _ = build_mesh(process_model(case), symmetry="eighth", cache=False)
    return case, mesh


def test_mirrored_eighth_panel_is_the_full_panel(eighth_process):
    """The eighth of the process model mirrored: every region's volume that of the full
    OCC model (boxes only: exact), nine dies, the symmetry boundaries gone, the kerf
    regions and the boundaries of every stage present."""
    case, e = eighth_process
    assert mesh_symmetry(e) == "eighth"
    assert {"symmetry_y", "symmetry_d"} <= set(e.boundaries)
    assert {"kerf_shell", "kerf_dielectric", "kerf_encapsulant", "mandrel"} <= set(e.regions)
    f = mirror_mesh(e)
    assert not {"symmetry_x", "symmetry_y", "symmetry_d"} & set(f.boundaries)
    assert {"bottom", "units_bottom", "mandrel_top"} <= set(f.boundaries)
    full = process_model(panel_process("none", order=2))
    with gmsh_session():
        info = build(gmsh.model, full)
        occ = {
            r: sum(gmsh.model.occ.getMass(3, t) for t in tags) * 1e-9
            for r, tags in info.regions.items()
        }
    assert sorted(occ) == sorted(f.regions)
    v = f.element_volumes()
    for r, el in f.regions.items():
        assert v[el].sum() == pytest.approx(occ[r], rel=1e-9), r
    assert components(f, f.regions["die"]) == 9
    d = f.p1.p.T[f.p1.t.T[:, 1:]] - f.p1.p.T[f.p1.t.T[:, :1]]
    assert np.all(np.linalg.det(d) > 0)


# -- every metric of the full body -------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stage", "order", "extra"),
    [
        ("released", 2, {}),
        ("on_mandrel", 1, {}),
        ("singulated", 1, {}),
        ("singulated", 2, {"singulated_units": "one"}),
        ("released", 1, {"hollow_walls": True}),
    ],
    ids=["released", "on_mandrel", "singulated", "singulated_one", "released_hollow"],
)
def test_panel_eighth_equals_mirrored_full(monkeypatch, stage, order, extra):
    """Each panel stage on the eighth against the full mirrored mesh: warpage, curvatures,
    stress maxima, yield ratios and interfaces to 1e-6 (the quarter test's tolerance).
    The released panel at P2 as the quarter test; the other stages at P1 where P2 takes
    over a minute (the same discrete problem on both sides at either order).

    Measured: released 1.8e-8 (P2); on the mandrel 5.0e-11, singulated 8.4e-11, hollow
    walls 1.5e-9 (P1); the centre unit kept 1.4e-10 (P2). At P2 also on the mandrel
    7.6e-11, singulated 3.2e-10 (0.5 % in warpage and 2.5 % in curvature without the full
    body's rigid motions of the units)."""
    case = panel("eighth", stage, order=order, **extra)
    e, _ = build_mesh(case, symmetry="eighth", cache=False)
    cut = on_mesh(monkeypatch, e, panel_metrics, case)
    full = on_mesh(
        monkeypatch, mirror_mesh(e), panel_metrics, panel("none", stage, order=order, **extra)
    )
    assert assert_same_metrics(cut, full) > 50


@pytest.mark.slow
def test_singulated_panel_quarter_equals_mirrored_full(monkeypatch):
    """The singulated 3 x 2 panel on a quarter (two of its units off the planes, free
    bodies) against the full mirrored mesh: to 1e-6 now that the units' rigid motions
    are the full body's (before: 0.4 % in warpage, 0.5 % in curvature)."""
    case = panel("quarter", "singulated", n=(3, 2))
    q, _ = build_mesh(case, symmetry="quarter", cache=False)
    cut = on_mesh(monkeypatch, q, panel_metrics, case)
    full = on_mesh(
        monkeypatch, mirror_mesh(q), panel_metrics, panel("none", "singulated", n=(3, 2))
    )
    assert assert_same_metrics(cut, full) > 50


@pytest.mark.slow
@pytest.mark.parametrize("units", ["all", "one"])
def test_panel_history_with_births_eighth_equals_mirrored_full(monkeypatch, units):
    """The panel's process history on the eighth (births on the sheet on its mandrel and
    on the heated panel in nodal frames, release, singulation of every unit or of the
    centre one) against the full mirrored mesh: every metric of every state,
    displacements and stresses to 1e-5 (the quarter test's tolerance).

    Measured (P1): metrics 2.5e-9 (all) and 4.2e-9 (one), displacements 1.2e-10,
    stresses 7.5e-11 of the largest."""
    case = panel_process("eighth", singulated_units=units)
    e, _ = build_mesh(process_model(case), symmetry="eighth", cache=False)
    full_mesh = mirror_mesh(e)
    cut, cut_states, _ = run_on_mesh(monkeypatch, e, history_metrics, case)
    full, full_states, _ = run_on_mesh(
        monkeypatch, full_mesh, history_metrics, panel_process("none", singulated_units=units)
    )
    assert assert_same_metrics(cut, full, rtol=1e-5, floor=1e-6) > 50
    assert "von_mises_max_MPa@moulded:encapsulant" in cut
    assert "warpage_um@singulated" in cut
    assert_same_states(e, full_mesh, cut_states, full_states, rtol=1e-5)


# -- the study path ------------------------------------------------------------------------

STUDY = """
[study]
name = "panel_eighth"
kind = "panel"

[geometry]
cavity_mm = [3.0, 3.0]
cavity_depth_mm = 0.5
die = { size_mm = [1.5, 1.5], thickness_mm = 0.25 }
terminals = { kind = "none" }
openings = { kind = "slots", count = 1, width_mm = 0.5, height_mm = 0.15 }

[geometry.panel]
nx = 3
ny = 3
pitch_mm = 4.5
stage = "released"

[mesh]
size_mm = 0.8
layers_through_thickness = 1
opening_size_mm = 0.25

[loads]
warpage_temperatures_C = [25.0, 260.0]

[sweep]
kind = "cases"

[[sweep.cases]]
"mesh.symmetry" = "quarter"

[[sweep.cases]]
"mesh.symmetry" = "eighth"
"""

#: the quarter and the eighth are two gmsh meshes at one size: their warpage and
#: curvatures agree within the mesh noise of the quarter-against-full study test
#: (tests/package/test_symmetry_study.py, STUDY_RTOL). Measured: warpage 0.4 %,
#: curvatures 0.7 %; stress maxima (singular corners and edges) are not compared.
STUDY_RTOL = 0.06


@pytest.mark.slow
def test_panel_study_eighth_vs_quarter(tmp_path):
    """``fea run`` of a 3 x 3 released panel with ``[mesh] symmetry`` quarter and eighth
    (two cases of one study): the same table within mesh noise, the eighth at about half
    the quarter's DOF."""
    study = tmp_path / "panel_eighth.toml"
    study.write_text(STUDY)
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 0
    with open(out / "table.csv", newline="") as f:
        rows = {r["param:mesh.symmetry"]: r for r in csv.DictReader(f)}
    quarter, eighth = rows["quarter"], rows["eighth"]
    assert quarter["status"] == eighth["status"] == "ok"
    compared = 0
    for k in quarter:
        if k.startswith(("warpage_um@", "warpage_signed_um@", "curvature")):
            assert float(eighth[k]) == pytest.approx(float(quarter[k]), rel=STUDY_RTOL), k
            compared += 1
        elif k.startswith("warpage_shape@"):
            assert eighth[k] == quarter[k], k
    assert compared == 10  # warpage, signed, 3 curvatures at 2 temperatures
    ratio = float(eighth["mechanical_dof_count"]) / float(quarter["mechanical_dof_count"])
    assert 0.45 < ratio < 0.6  # half the quarter, plus the nodes on the planes
