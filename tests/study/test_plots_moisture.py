"""The moisture columns of every region (water per region, vapour pressure at the
dielectric's interface) are key columns, drawn in the study's summary plots."""

from __future__ import annotations

import pytest

MOISTURE_COLUMNS = [
    "moisture_mg@soak",
    "moisture_mg@soak:encapsulant",
    "moisture_mg@soak:dielectric",
    "moisture_mg@soak:die_attach",
    "vapour_pressure_max_MPa@peak:dielectric|terminals",
    "vapour_pressure_mean_MPa@peak:dielectric|terminals",
]


def test_moisture_columns_of_every_region_are_key_columns():
    from fea.package.names import Column

    for c in MOISTURE_COLUMNS:
        assert Column.parse(c).key, c
    # other metrics keep the key regions only
    assert not Column.parse("von_mises_max_MPa@25C:dielectric").key
    assert Column.parse("von_mises_max_MPa@25C:die").key


def test_moisture_study_plots_show_the_dielectric(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import fea
    from fea.study import plots

    spec = fea.load_study("studies/msl.toml")
    rows = [
        {"case": f"c{i}", "status": "ok", "param:moisture.soak_h": h}
        | {c: 0.1 * (i + 1) * (j + 1) for j, c in enumerate(MOISTURE_COLUMNS)}
        for i, h in enumerate((24.0, 168.0))
    ]
    drawn: dict[str, list[str]] = {}
    sweep = plots.sweep_figure

    def record(spec, rows, param, output, columns):
        drawn[output] = list(columns)
        return sweep(spec, rows, param, output, columns)

    monkeypatch.setattr(plots, "sweep_figure", record)
    plots.study_plots(spec, rows, tmp_path)
    assert drawn["moisture_mg"] == MOISTURE_COLUMNS[:4]
    assert drawn["vapour_pressure_max_MPa"] == [MOISTURE_COLUMNS[4]]
    assert drawn["vapour_pressure_mean_MPa"] == [MOISTURE_COLUMNS[5]]
