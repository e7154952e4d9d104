"""Plots a reliability engineer reads: warpage maps centred at zero on one scale per case,
titles with the numbers, units and sign convention, the reflow plot with Tg and limits."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from fea.io import read_results, write_results
from fea.package.names import Column
from fea.package.spec import ReportSpec
from fea.physics.materials import Material
from fea.physics.mechanics import solve_thermoelastic
from fea.study.plots import case_field_plots, state_label, study_plots, warpage_map

from ..verification.helpers import layered_box, plane

MATS = {
    "low": Material("low", E=130e9, nu=0.28, alpha=3e-6, k=1.0),
    "high": Material("high", E=20e9, nu=0.3, alpha=30e-6, k=1.0),
}


@pytest.fixture(scope="module")
def case_folder(tmp_path_factory):
    """A bimaterial plate at 25 and 260 degC (stress-free at 175): warps both ways."""
    folder = tmp_path_factory.mktemp("case")
    mesh = layered_box(
        (6e-3, 4e-3),
        [("low", 0.2e-3, 1), ("high", 0.2e-3, 1)],
        1e-3,
        faces={"top": plane(2, 0.4e-3)},
    )
    states = {
        f"{T:g}C": solve_thermoelastic(mesh, MATS, T, 175.0, backend="cpu") for T in (25, 260)
    }
    metrics = {}
    for tag, me in states.items():
        w = me.warpage("top")
        metrics[str(Column("warpage_um", tag))] = w.peak_to_valley * 1e6
        metrics[str(Column("warpage_signed_um", tag))] = w.signed * 1e6
        metrics[str(Column("warpage_shape", tag))] = w.shape
        metrics[str(Column("curvature_max_1_per_m", tag))] = w.principal_curvatures[0]
        metrics[str(Column("curvature_min_1_per_m", tag))] = w.principal_curvatures[1]
    write_results(folder / "result.h5", mesh, mechanical=states, meta={"metrics": metrics})
    return folder, states


def _case(common: bool = True) -> SimpleNamespace:
    return SimpleNamespace(name="plate", kind="unit", report=ReportSpec(common_scale=common))


def _png_info(path) -> dict:
    return Image.open(path).text


def test_warpage_maps_are_centred_at_zero_on_one_scale(case_folder):
    folder, states = case_folder
    written = case_field_plots(_case(), folder)
    maps = sorted(p for p in written if p.name.startswith("warpage_top_"))
    assert [p.name for p in maps] == ["warpage_top_25C.png", "warpage_top_260C.png"]
    limits = [json.loads(_png_info(p)["fea:colour_limits"]) for p in maps]
    for lo, hi in limits:
        assert lo == pytest.approx(-hi) and hi > 0  # symmetric: white is zero
    assert limits[0] == limits[1]  # one scale for the case's temperatures
    # the scale: the largest |w| of either state (best-fit plane removed), in round steps
    largest = max(s.warpage("top").peak_to_valley for s in states.values()) * 1e6
    assert largest / 2 < limits[0][1] <= largest * 1.25
    # the titles: state with a degree sign, peak-to-valley, signed value, sense, convention
    for p, (tag, me) in zip(maps, states.items(), strict=True):
        title = _png_info(p)["Title"]
        w = me.warpage("top")
        assert f"{tag[:-1]} °C" in title
        assert f"peak-to-valley {w.peak_to_valley * 1e6:.3g} µm" in title
        assert f"signed {w.signed * 1e6:+.3g} µm" in title
        assert w.sense in title and "JEDEC" in title and "1/m" in title
    # cooled, the high-CTE top shrinks: concave (negative); heated: convex (positive)
    assert "concave" in _png_info(maps[0])["Title"] and "convex" in _png_info(maps[1])["Title"]


def test_a_sweep_case_s_plots_name_the_case(case_folder, tmp_path):
    """Every case of a sweep carries the study's name: its field plots' titles name the row's
    case (its folder, the case id) too, so two cases' PNGs side by side are told apart."""
    folder, _ = case_folder
    (tmp_path / "case0003").mkdir()
    shutil.copy(folder / "result.h5", tmp_path / "case0003" / "result.h5")
    written = case_field_plots(_case(), tmp_path / "case0003")
    maps = [p for p in written if p.name.startswith("warpage_top_")]
    assert maps and all(_png_info(p)["Title"].startswith("plate case0003: ") for p in maps)
    (tmp_path / "plate").mkdir()  # a folder of the case's own name: not named twice
    shutil.copy(folder / "result.h5", tmp_path / "plate" / "result.h5")
    (one, *_) = [p for p in case_field_plots(_case(), tmp_path / "plate") if "warpage" in p.name]
    assert _png_info(one)["Title"].startswith("plate: ")


def test_own_scale_per_state_when_asked(case_folder):
    folder, _ = case_folder
    written = case_field_plots(_case(common=False), folder)
    limits = [
        json.loads(_png_info(p)["fea:colour_limits"])
        for p in sorted(written)
        if p.name.startswith("warpage_top_")
    ]
    assert limits[0] != limits[1]
    assert all(lo == pytest.approx(-hi) for lo, hi in limits)


def test_warpage_map_scale_is_symmetric_for_one_sided_data():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 1, 5))
    from matplotlib.tri import Triangulation

    tri = Triangulation(x.ravel(), y.ravel())
    w = 1.0 + x.ravel() + y.ravel()  # all positive: the centre of the scale stays at 0
    fig, ax = plt.subplots()
    cs = warpage_map(ax, x.ravel(), y.ravel(), tri.triangles, w)
    assert cs.get_clim() == pytest.approx((-3.0, 3.0))
    plt.close(fig)


def test_reflow_plot_has_tg_limits_and_the_sign_convention(tmp_path):
    temps = [25.0, 120.0, 130.0, 140.0, 260.0, 130.0, 25.0]
    row = {"case": "case0000", "status": "ok"}
    for i, T in enumerate(temps):
        row[f"warpage_signed_um@r{i:02d}_{T:g}C"] = 10.0 - T / 10
    base = SimpleNamespace(
        materials={"encapsulant": SimpleNamespace(Tg=130.0)},
        report=ReportSpec(warpage_limits=(-50e-6, 60e-6)),
    )
    spec = SimpleNamespace(name="reflow", outputs=("warpage_signed_um",), base=base)
    written = study_plots(spec, [row], tmp_path)
    assert [p.name for p in written] == ["warpage_vs_temperature.png"]
    import matplotlib.image

    # read the plot back: the two dashed red limit lines (+60, -50 um) give the vertical
    # scale; the first and last blue markers (25 degC: 7.5 um; 260 degC: -16 um) the
    # horizontal one; the grey dotted Tg line sits at 130 degC. One pixel is ~0.3 um and
    # ~0.4 K; the markers' anti-aliased edges move their centres by under a pixel.
    img = matplotlib.image.imread(written[0])[..., :3].astype(float)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    h, w = r.shape
    red_rows = np.flatnonzero(((r - g > 0.25) & (r - b > 0.25)).sum(axis=1) > 0.3 * w)
    y60, y50 = red_rows.min(), red_rows.max()
    assert red_rows.max() - red_rows.min() > 0.5 * h  # two lines far apart, +60 on top
    blue = (b - r > 0.25) & (b - g > 0.1)
    cols = np.flatnonzero(blue.any(axis=0))
    x25, x260 = cols.min(), cols.max()

    def um(col: int) -> float:
        return 60.0 - (np.flatnonzero(blue[:, col]).mean() - y60) / (y50 - y60) * 110.0

    assert um(x25) == pytest.approx(7.5, abs=1.0)
    assert um(x260) == pytest.approx(-16.0, abs=1.0)
    grey = (np.abs(r - g) < 0.02) & (np.abs(g - b) < 0.02) & (r > 0.2) & (r < 0.75)
    tg_cols = np.flatnonzero(grey.sum(axis=0) > 0.25 * h)
    assert len(tg_cols) > 0
    assert 25.0 + (tg_cols.mean() - x25) / (x260 - x25) * 235.0 == pytest.approx(130.0, abs=3.0)
    assert "JEDEC sign" in _png_info(written[0])["Title"]


def test_state_labels():
    assert state_label("25C") == "25 °C"
    assert state_label("r03_183C") == "reflow step 3, 183 °C"
    assert state_label("released") == "released"


def test_warpage_map_of_a_quarter_model_keeps_the_full_bodys_plane(tmp_path):
    """On a quarter model (planes x = 0, y = 0) the full body's best-fit plane has no
    tilt: the map removes only the mean, so its scale is the full body's |w - mean|, and
    the title says which part is drawn. Fitting tilts on the quarter would remove part of
    the bowl (a smaller scale)."""
    mesh = layered_box(
        (3e-3, 2e-3),
        [("low", 0.2e-3, 1), ("high", 0.2e-3, 1)],
        1e-3,
        faces={
            "top": plane(2, 0.4e-3),
            "symmetry_x": plane(0, 0.0),
            "symmetry_y": plane(1, 0.0),
        },
    )
    fixed = {"symmetry_x": {"x": 0.0}, "symmetry_y": {"y": 0.0}}
    me = solve_thermoelastic(mesh, MATS, 25.0, 175.0, fixed=fixed, backend="cpu")
    write_results(tmp_path / "result.h5", mesh, mechanical={"25C": me}, meta={"metrics": {}})
    written = case_field_plots(_case(), tmp_path)
    (p,) = [p for p in written if p.name == "warpage_top_25C.png"]
    r = read_results(tmp_path / "result.h5")  # the surface as stored: node triples
    nodes = np.unique(r.mesh.boundaries["top"][:, :3])
    u = r.mechanical["displacement"]
    uz = (u[0] if u.ndim == 3 else u)[nodes, 2]
    full = float(np.abs(uz - uz.mean()).max()) * 1e6  # the full body's fit: its mean
    x, y = r.mesh.nodes[nodes, 0], r.mesh.nodes[nodes, 1]
    A = np.column_stack([np.ones_like(x), x, y])
    tilted = float(np.abs(uz - A @ np.linalg.lstsq(A, uz, rcond=None)[0]).max()) * 1e6
    lo, hi = json.loads(_png_info(p)["fea:colour_limits"])
    assert full <= hi <= 1.25 * full
    assert tilted < 0.8 * full  # the test tells the two fits apart
    assert "quarter model" in _png_info(p)["Title"]


def test_an_output_that_is_zero_in_every_case_gets_an_axis_around_zero():
    """Every value 0 (e.g. the warpage of a symmetric case, a stress in an unloaded
    region) gave the limits (0, 0): matplotlib's 'identical low and high ylims' warning
    at every merge and an axis it chose itself."""
    import warnings

    from fea.study.plots import honest_range

    lo, hi, _ = honest_range([0.0, 0.0, 0.0], "um")
    assert lo < 0.0 < hi
    assert honest_range([0.0, 2.0], "um")[:2] == (0.0, 2.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        ax.set_ylim(lo, hi)
        plt.close(fig)


def test_warpage_map_removes_the_plane_over_the_area_not_over_the_nodes(tmp_path):
    """The map shows w minus the least-squares plane over the face's area, the plane the
    warpage metrics remove (:func:`fea.physics.post.surface_samples`). On a face meshed
    8 times finer at x = 0 than at x = A, a plane fitted to the nodes tilts towards the
    fine side: a uniform bow of curvature kappa then drew a wider scale than the table's
    peak-to-valley. Over the area the plane of the bow is level at its mean, so the
    largest |w| is the corner's kappa (A^2 + B^2) / 12."""
    import dataclasses

    from ..physics.test_post_warpage import A, B, graded_slab

    mesh = graded_slab(1)
    mats = {"slab": MATS["low"]}
    me = solve_thermoelastic(mesh, mats, 25.0, 25.0, backend="cpu")
    x, y = me.space.nodes[:, 0] - A / 2, me.space.nodes[:, 1] - B / 2
    kappa = 2.0
    u = np.zeros_like(me.displacement)
    u[:, 2] = -0.5 * kappa * (x * x + y * y) + 2e-3 * x
    me = dataclasses.replace(me, displacement=u)
    write_results(tmp_path / "result.h5", mesh, mechanical={"25C": me}, meta={"metrics": {}})
    (p,) = [p for p in case_field_plots(_case(), tmp_path) if p.name == "warpage_top_25C.png"]
    lo, hi = json.loads(_png_info(p)["fea:colour_limits"])
    corner = kappa * (A * A + B * B) / 12 * 1e6  # um
    assert corner <= hi <= 1.25 * corner
    # the test tells the fits apart: the nodes' plane draws the bow more than 25 % wider
    r = read_results(tmp_path / "result.h5")
    nodes = np.unique(r.mesh.boundaries["top"][:, :3])
    stored = r.mechanical["displacement"]
    uz = (stored[0] if stored.ndim == 3 else stored)[nodes, 2]
    cx, cy = r.mesh.nodes[nodes, 0], r.mesh.nodes[nodes, 1]
    D = np.column_stack([np.ones_like(cx), cx, cy])
    by_nodes = float(np.abs(uz - D @ np.linalg.lstsq(D, uz, rcond=None)[0]).max()) * 1e6
    assert by_nodes > 1.25 * corner


def test_an_eighth_model_s_map_is_the_quarter_s(tmp_path):
    """An eighth model (planes y = 0 and x = y) has no symmetry_x boundary: its map was
    fitted with an x tilt across the wedge and titled "half model", and drew a bow half as
    deep as the table's warpage. The full body's plane over an eighth is its mean: the same
    bow on the quarter and the eighth of one package draws on one scale."""
    import copy
    import dataclasses
    import tomllib
    from pathlib import Path

    from fea.package.analyse import mechanics_fixed, mesh_materials, warpage_case
    from fea.package.meshing import build_mesh
    from fea.package.spec import parse_study

    raw = tomllib.loads((Path(__file__).parents[2] / "studies" / "msl.toml").read_text())
    for key in ("sweep", "moisture"):
        raw.pop(key, None)
    raw["mesh"].update(size_mm=1.2, order=1, layers_through_thickness=1, film_size_mm=0.6)
    raw["mesh"].update(opening_size_mm=0.4, terminal_size_mm=0.4)
    limits, titles = {}, {}
    for sym in ("quarter", "eighth"):
        r = copy.deepcopy(raw)
        r["mesh"]["symmetry"] = sym
        case = parse_study(r).base
        mesh, _ = build_mesh(warpage_case(case), cache=False, symmetry=sym)
        me = solve_thermoelastic(
            mesh, mesh_materials(mesh, case), 25.0, 25.0, backend="cpu", fixed=mechanics_fixed(mesh)
        )
        x, y = me.space.nodes[:, 0], me.space.nodes[:, 1]
        u = np.zeros_like(me.displacement)
        u[:, 2] = -0.5 * 2.0 * (x * x + y * y)  # a bow of 2 /m about the centre
        me = dataclasses.replace(me, displacement=u)
        folder = tmp_path / sym
        write_results(folder / "result.h5", mesh, mechanical={"25C": me}, meta={"metrics": {}})
        (p,) = [p for p in case_field_plots(_case(), folder) if p.name == "warpage_top_25C.png"]
        limits[sym] = json.loads(_png_info(p)["fea:colour_limits"])
        titles[sym] = _png_info(p)["Title"]
    assert "eighth model, 0 ≤ y ≤ x" in titles["eighth"] and "half" not in titles["eighth"]
    assert "quarter model" in titles["quarter"]
    assert limits["eighth"] == limits["quarter"]
