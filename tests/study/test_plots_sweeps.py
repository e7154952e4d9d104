"""Study plots of multi-factor sweeps and of the reflow profile, read back from the
matplotlib objects (axes, lines, ticks), not from pixels."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fea.errors import InputError  # noqa: E402
from fea.package.spec import ReportSpec, parse_study  # noqa: E402
from fea.study.plots import (  # noqa: E402
    honest_range,
    reflow_figure,
    study_plots,
    sweep_figure,
    temperature_legs,
)

from ..package.test_spec import with_change  # noqa: E402

SHELLS = ["nickel", "copper", "gold"]  # sweep order, not alphabetical
WIDTHS = [0.25, 0.40]


def _warp(shell: str, width: float) -> float:
    return 40.0 + 10.0 * SHELLS.index(shell) + 20.0 * width


def _rows() -> list[dict]:
    rows = []
    for i, (shell, width) in enumerate((s, w) for s in SHELLS for w in WIDTHS):
        rows.append(
            {
                "case": f"c{i:03d}",
                "status": "ok",
                "param:materials.shell": shell,
                "param:geometry.openings.width_mm": width,
                "warpage_um@25C": _warp(shell, width),
                "warpage_um@260C": -_warp(shell, width) / 2,
                "Tj_max_C": 81.5 + 0.01 * i,
            }
        )
    return rows


def _spec(**report) -> SimpleNamespace:
    base = SimpleNamespace(
        kind="unit",
        materials={"encapsulant": SimpleNamespace(Tg=130.0)},
        report=ReportSpec(**report),
    )
    return SimpleNamespace(name="s", outputs=("warpage_um", "Tj_max_C"), base=base)


def _panels(fig) -> list:
    return [ax for ax in fig.axes if ax.get_visible()]


def test_numeric_parameter_one_panel_per_level_of_the_other_factor():
    cols = ["warpage_um@25C", "warpage_um@260C"]
    fig = sweep_figure(_spec(), _rows(), "param:geometry.openings.width_mm", "warpage_um", cols)
    panels = _panels(fig)
    assert len(panels) == 3
    for ax, shell in zip(panels, SHELLS, strict=True):
        assert ax.get_title() == f"materials.shell = {shell}"
        assert ax.get_xlabel() == "geometry.openings.width [mm]"
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        assert set(lines) == set(cols)
        hot = lines["warpage_um@25C"]
        assert list(hot.get_xdata()) == WIDTHS
        assert list(hot.get_ydata()) == pytest.approx([_warp(shell, w) for w in WIDTHS])
        assert hot.get_linestyle() == "-"  # the same other factors: one curve, joined
    assert panels[0].get_ylabel() == "warpage [µm]"
    assert "warpage [µm] vs geometry.openings.width [mm]" in fig.get_suptitle()
    plt.close(fig)


def test_categorical_parameter_is_a_categorical_axis_never_joined():
    cols = ["warpage_um@25C"]
    fig = sweep_figure(_spec(), _rows(), "param:materials.shell", "warpage_um", cols)
    panels = _panels(fig)
    assert [ax.get_title() for ax in panels] == [
        "geometry.openings.width [mm] = 0.25",
        "geometry.openings.width [mm] = 0.4",
    ]
    for ax, width in zip(panels, WIDTHS, strict=True):
        assert [t.get_text() for t in ax.get_xticklabels()] == SHELLS
        (line,) = ax.get_lines()
        assert line.get_linestyle() == "None"  # markers only
        assert line.get_marker() == "o"
        assert list(line.get_xdata()) == [0, 1, 2]
        assert list(line.get_ydata()) == pytest.approx([_warp(s, width) for s in SHELLS])
        assert ax.get_xlabel() == "materials.shell"
    plt.close(fig)


def test_honest_ranges_zero_in_range_or_plain_labels():
    # warpage 40..70 um: spread 43 % of the value -> zero in range
    fig = sweep_figure(_spec(), _rows(), "param:materials.shell", "warpage_um", ["warpage_um@25C"])
    lo, hi = _panels(fig)[0].get_ylim()
    assert lo == 0.0 and hi > 48.0 + 10 * 2
    plt.close(fig)
    # Tj 81.50..81.55 degC: no zero for a temperature, full values in the ticks (no offset)
    fig = sweep_figure(_spec(), _rows(), "param:materials.shell", "Tj_max_C", ["Tj_max_C"])
    ax = _panels(fig)[0]
    fig.canvas.draw()
    lo, hi = ax.get_ylim()
    assert 81.0 < lo < 81.5 and 81.55 < hi < 82.0
    assert ax.yaxis.get_major_formatter().get_offset() == ""
    assert all(float(t.get_text().replace("−", "-")) > 81 for t in ax.get_yticklabels())
    plt.close(fig)
    # a tiny spread of a quantity with a zero: no zero (it would flatten the points), said so
    assert honest_range([100.0, 100.5], "µm")[2].startswith("axis not from zero")
    assert honest_range([-30.0, -20.0], "µm")[1] == 0.0
    assert honest_range([5.0, 100.0], "µm")[0] < 5.0  # a wide spread keeps its own range


def test_temperature_legs_split_at_turning_points():
    assert temperature_legs([25, 150, 260, 150, 25]) == [
        ("heating", [0, 1, 2]),
        ("cooling", [2, 3, 4]),
    ]
    assert temperature_legs([25, 100, 100, 50, 80]) == [
        ("heating", [0, 1, 2]),
        ("cooling", [2, 3]),
        ("heating", [3, 4]),
    ]


def test_reflow_heating_and_cooling_are_separate_series_and_the_face_is_named():
    temps = [25.0, 150.0, 217.0, 260.0, 217.0, 150.0, 25.0]
    hyst = [0.0, 1.0, 3.0, 4.0, 5.0, 6.0, 2.0]  # the cooling leg differs: hysteresis
    row = {"case": "c000", "status": "ok"}
    for i, T in enumerate(temps):
        row[f"warpage_signed_um@r{i:02d}_{T:g}C"] = 10.0 - T / 10 + hyst[i]
    fig = reflow_figure(_spec(warpage_face="ball_side"), [row])
    (ax,) = fig.axes
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    assert set(lines) == {"c000 heating", "c000 cooling"}
    heat, cool = lines["c000 heating"], lines["c000 cooling"]
    assert list(heat.get_xdata()) == [25.0, 150.0, 217.0, 260.0]
    assert list(cool.get_xdata()) == [260.0, 217.0, 150.0, 25.0]
    assert list(cool.get_ydata()) == pytest.approx([-12.0, -6.7, 1.0, 9.5])
    assert heat.get_linestyle() != cool.get_linestyle()
    assert heat.get_color() == cool.get_color()
    assert "ball side" in ax.get_title() and "JEDEC sign" in ax.get_title()
    plt.close(fig)
    fig = reflow_figure(_spec(), [row])
    assert "top surface" in fig.axes[0].get_title()
    plt.close(fig)


def test_study_plots_write_one_file_per_output_and_parameter(tmp_path):
    spec = _spec()
    written = study_plots(spec, _rows(), tmp_path)
    assert sorted(p.name for p in written) == sorted(
        f"{o}_vs_{p}.png"
        for o in ("warpage_um", "Tj_max_C")
        for p in ("materials.shell", "geometry.openings.width_mm")
    )


def test_warpage_face_key():
    assert parse_study(with_change("outputs", {})).base.report.warpage_face == "top"
    raw = with_change("outputs", {"warpage_face": "ball_side"})
    assert parse_study(raw).base.report.warpage_face == "ball_side"
    with pytest.raises(InputError, match="outputs.warpage_face"):
        parse_study(with_change("outputs", {"warpage_face": "bottom"}))


def test_a_sweep_figure_name_stays_within_a_file_name():
    """An output named after two 64-character regions against a long parameter path gave
    a figure name past the file system's 255 bytes (the save failed): cut to
    MAX_PLOT_NAME with a hash that keeps two names apart, still a name the stale-plot
    cleanup knows; short names as before."""
    from fea.study.plots import MAX_PLOT_NAME, STUDY_PLOT_NAME, sweep_plot_name

    assert sweep_plot_name("Tj_max_C", "loads.h") == "Tj_max_C_vs_loads.h.png"
    a, b = "r" * 64, "s" * 64
    out = f"max_interface_shear_MPa@260C:{a}:{b}"
    names = {
        sweep_plot_name(out, "materials.library.my_compound_with_a_long_name.E_GPa" + x)
        for x in ("", "2")
    }
    assert len(names) == 2
    for n in names:
        assert len(n.encode()) <= MAX_PLOT_NAME and STUDY_PLOT_NAME.fullmatch(n), n


def test_the_legend_names_series_missing_from_the_first_panel_and_no_warning():
    """A series with no value in the first panel (e.g. failed for the first level of the
    other factor) was left out of the legend, and a figure with no value at all warned
    'No artists with labels' at every merge; now the legend is of every panel's series
    and an empty figure says it has no value."""
    import warnings

    rows = _rows()
    for r in rows:
        if r["param:materials.shell"] == "nickel":
            r.pop("warpage_um@260C")
    cols = ["warpage_um@25C", "warpage_um@260C"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = sweep_figure(_spec(), rows, "param:geometry.openings.width_mm", "warpage_um", cols)
        legend = _panels(fig)[0].get_legend()
        assert [t.get_text() for t in legend.get_texts()] == cols
        plt.close(fig)
        for r in rows:
            r.pop("warpage_um@260C", None)
        fig = sweep_figure(
            _spec(), rows, "param:geometry.openings.width_mm", "warpage_um", ["warpage_um@260C"]
        )
        texts = [t.get_text() for t in _panels(fig)[0].texts]
        assert "no numeric value in the finished cases" in texts
        plt.close(fig)
