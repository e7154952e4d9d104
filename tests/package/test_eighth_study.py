"""``[mesh] symmetry = "eighth"``: the mechanics of a square (D4-symmetric) unit on the
model 0 <= y <= x, planes y = 0 (``symmetry_y``) and x = y (``symmetry_d``, u . n = 0 in
nodal frames).

The FULL mesh is the eighth mirrored across x = y, x = 0 and y = 0
(:func:`mirror_mesh`); its solution, a free body, has the square's symmetry, so the eighth
with u . n = 0 on its planes is the same discrete problem restricted: every warpage metric
of the study agrees to rounding (1e-6 relative asked, as for the quarter). A case that is
not symmetric about x = y is refused naming the key that breaks it.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from fea.errors import InputError
from fea.package.analyse import warpage_case, warpage_metrics
from fea.package.geometry.symmetry import (
    check_symmetry,
    mesh_symmetry,
    mirror_mesh,
    symmetry_boundaries,
    symmetry_share,
)
from fea.package.meshing import build_mesh, estimate
from fea.package.spec import parse_study

from .test_symmetry_study import UNIT, analyse, assert_same_metrics, on_mesh, unit


@pytest.fixture(scope="module")
def eighth_unit():
    case = unit("eighth")
    mesh, _ = build_mesh(warpage_case(case), symmetry="eighth", cache=False)
    return case, mesh


def test_mirror_eighth_mesh_closed_form(eighth_unit):
    """8x the elements, the plane nodes once (8 images off the planes, 4 on one, 1 on the
    z axis), every region's volume 8x, no symmetry boundary left, every tetrahedron
    positive."""
    _, e = eighth_unit
    assert mesh_symmetry(e) == "eighth"
    assert symmetry_boundaries("eighth") == ("symmetry_y", "symmetry_d")
    assert set(symmetry_boundaries("eighth")) <= set(e.boundaries)
    assert "symmetry_x" not in e.boundaries
    f = mirror_mesh(e)
    assert mesh_symmetry(f) == "none" and f.n_elements == 8 * e.n_elements
    p = e.p1.p.T
    tol = 1e-9 * np.ptp(p, axis=0).max()
    assert p[:, 1].min() >= -tol and np.all(p[:, 1] <= p[:, 0] + tol)
    on_y, on_d = np.abs(p[:, 1]) <= tol, np.abs(p[:, 0] - p[:, 1]) <= tol
    axis = on_y & on_d
    expected = 8 * np.sum(~on_y & ~on_d) + 4 * np.sum(on_y ^ on_d) + np.sum(axis)
    assert f.p1.p.shape[1] == expected
    ve, vf = e.element_volumes(), f.element_volumes()
    for r, el in e.regions.items():
        assert vf[f.regions[r]].sum() == pytest.approx(8 * ve[el].sum(), rel=1e-12)
    assert not {"symmetry_x", "symmetry_y", "symmetry_d"} & set(f.boundaries)
    assert f.boundary_area("top") == pytest.approx(8 * e.boundary_area("top"), rel=1e-12)
    d = f.p1.p.T[f.p1.t.T[:, 1:]] - f.p1.p.T[f.p1.t.T[:, :1]]
    assert np.all(np.linalg.det(d) > 0)
    assert symmetry_share("eighth") == 0.125
    est = estimate(warpage_case(unit("eighth")), "eighth")
    assert est.elements == pytest.approx(estimate(warpage_case(unit("none"))).elements / 8,
                                         rel=0.01)


@pytest.mark.slow  # the full mirrored mesh's solve: the default suite's longest test
def test_unit_eighth_equals_mirrored_full(monkeypatch, eighth_unit):
    """The unit's warpage states: the eighth model's metrics equal those of the full
    mirrored mesh (free body) to 1e-6 relative -- measured about 1e-10."""
    case, e = eighth_unit
    cut = on_mesh(monkeypatch, e, warpage_metrics, case)
    full = on_mesh(monkeypatch, mirror_mesh(e), warpage_metrics, unit("none"))
    n = assert_same_metrics(cut, full)
    assert n > 50 and cut["warpage_um@260C"] > 1.0
    assert cut["mechanical_dof_count"] < 0.2 * full["mechanical_dof_count"]


def with_geometry(symmetry: str = "none", **changes):
    g = copy.deepcopy(UNIT)
    loads = changes.pop("loads", None)
    g.update(changes)
    d = {"study": {"kind": "unit"}, "geometry": g, "mesh": {"symmetry": symmetry}}
    if loads:
        d["loads"] = loads
    return parse_study(d).base


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"cavity_mm": [3.0, 3.2]}, "geometry.cavity_mm"),
        ({"die": {"size_mm": [1.5, 1.2], "thickness_mm": 0.25}}, "geometry.die.size_mm"),
        ({"terminals": {"kind": "balls", "rows": 2, "cols": 3, "pitch_mm": 0.8}},
         "geometry.terminals.cols"),
        ({"openings": {"kind": "slots", "count": 2, "width_mm": 0.4, "height_mm": 0.15,
                       "z0_mm": 0.1, "sides": {"ymax": {"count": 1}, "ymin": {"count": 1}}}},
         "geometry.openings.sides.ymin"),
        ({"board": {"size_mm": [20.0, 30.0]}}, "geometry.board.size_mm"),
        ({"loads": {"power_map": {"rectangles": [
            {"x_mm": [-0.5, 0.5], "y_mm": [-0.25, 0.25], "W": 1.0}]}}}, "loads.power_map"),
    ],
)
def test_not_symmetric_about_the_diagonal_refused(changes, key):
    """Symmetric about x = 0 and y = 0 (a quarter is fine) but not about x = y; with
    [mesh] symmetry = "eighth" the reader refuses it (the warpage model, without its
    board: the board's size is the board model's, checked where [cycling] uses it)."""
    case = with_geometry(**changes)
    check_symmetry(case, "quarter")
    with pytest.raises(InputError, match=key) as e:
        check_symmetry(case, "eighth")
    assert "x = y" in str(e.value)
    with_geometry("quarter", **copy.deepcopy(changes))
    if key != "geometry.board.size_mm":
        with pytest.raises(InputError, match=key) as e:
            with_geometry("eighth", **copy.deepcopy(changes))
        assert "x = y" in str(e.value)


def test_square_board_accepted_panel_refused():
    check_symmetry(with_geometry(board={"size_mm": [20.0, 20.0]}), "eighth")
    from .test_symmetry_study import panel

    with pytest.raises(InputError, match="geometry.panel"):
        check_symmetry(panel("none"), "eighth")


def test_eighth_history_planes(eighth_unit):
    """The history's planes of an eighth are ``("d", "x", "y")`` with u . n = 0 on x = y."""
    _, e = eighth_unit
    assert analyse.mechanics_symmetry(e) == ("d", "x", "y")
    assert analyse.mechanics_fixed(e) == {"symmetry_y": {"y": 0.0}, "symmetry_d": {"n": 0.0}}


@pytest.mark.slow
def test_unit_history_with_birth_eighth_equals_mirrored_full(monkeypatch, eighth_unit):
    """A unit history whose compound is born on the heated, bent package, on the eighth
    model (nodal frames on x = y in every step and in the birth's extension, the full
    body's fit over the square's group) against the full mirrored mesh: metrics,
    displacements and stresses to 1e-6."""
    from .test_symmetry_study import BIRTH_PROCESS, assert_same_states, history_metrics, run_on_mesh

    _, e = eighth_unit
    loads = {"warpage_temperatures_C": [], "reflow_C": [25.0, 260.0, 25.0]}
    cut_case = unit("eighth", process=BIRTH_PROCESS, loads=loads)
    full_case = unit("none", process=BIRTH_PROCESS, loads=loads)
    full_mesh = mirror_mesh(e)
    cut, cut_states, _ = run_on_mesh(monkeypatch, e, history_metrics, cut_case)
    full, full_states, _ = run_on_mesh(monkeypatch, full_mesh, history_metrics, full_case)
    assert assert_same_metrics(cut, full, floor=1e-6) > 50
    assert "von_mises_max_MPa@moulded:encapsulant" in cut
    assert_same_states(e, full_mesh, cut_states, full_states)


def test_baseline_eighth_equals_mirrored_full(monkeypatch):
    """The baseline package (studies/baseline.toml: 10 mm cavity, 12 x 12 balls, slots on
    every wall, its elastic-plastic shell: the warpage states one Newton path from the
    cure, in nodal frames on x = y), P1 at a coarse size: the eighth's warpage metrics
    equal the full mirrored mesh's to 1e-6, at 0.14 of the DOF."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "studies" / "baseline.toml").read_text())
    data.pop("outputs", None)
    data["mesh"].update(
        {"size_mm": 1.2, "terminal_size_mm": 0.25, "opening_size_mm": 0.3, "order": 1}
    )

    def case(symmetry):
        d = copy.deepcopy(data)
        d["mesh"]["symmetry"] = symmetry
        return parse_study(d).base

    c8 = case("eighth")
    assert c8.materials["shell"].inelastic is not None
    e, _ = build_mesh(warpage_case(c8), symmetry="eighth", cache=False)
    cut = on_mesh(monkeypatch, e, warpage_metrics, c8)
    full = on_mesh(monkeypatch, mirror_mesh(e), warpage_metrics, case("none"))
    assert assert_same_metrics(cut, full) > 50
    assert cut["warpage_um@260C"] > 1.0
    assert cut["plastic_strain_max_pct@25C:shell"] > 0.0
    assert cut["mechanical_dof_count"] < 0.2 * full["mechanical_dof_count"]


@pytest.mark.slow
def test_moisture_eighth_equals_mirrored_full(monkeypatch, eighth_unit):
    """[moisture] on the eighth against the full mirrored mesh: the planes y = 0 and
    x = y are not exposed, the water [mg] is scaled by the share 1/8, and the water, the
    peak, the vapour pressures and the wet warpage states agree to 1e-6."""
    from .test_symmetry_study import MOISTURE, run_on_mesh

    _, e = eighth_unit
    loads = {"warpage_temperatures_C": [25.0, 260.0]}
    cut_case = unit("eighth", moisture=MOISTURE, loads=loads)
    full_case = unit("none", moisture=MOISTURE, loads=loads)
    cut, _ = run_on_mesh(monkeypatch, e, warpage_metrics, cut_case)
    full, _ = run_on_mesh(monkeypatch, mirror_mesh(e), warpage_metrics, full_case)
    assert assert_same_metrics(cut, full) > 50
    assert cut["moisture_mg@soak"] > 0.01
    assert "warpage_um@wet_260C" in cut
