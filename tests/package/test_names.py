"""Table columns: a unit in every metric's name, descriptions, and what outputs mean."""

from __future__ import annotations

from fea.package.names import METRICS, TEXT_METRICS, UNITS, Column
from fea.package.spec import DEFAULT_OUTPUTS, OUTPUT_ALIASES, OUTPUTS


def test_every_metric_has_a_unit_or_is_text_and_a_description():
    for metric, text in METRICS.items():
        c = Column(metric)
        assert c.unit or c.is_text, f"{metric}: no unit suffix ({', '.join(UNITS)})"
        assert text, metric
    assert set(OUTPUTS) <= set(METRICS)
    assert set(DEFAULT_OUTPUTS) <= set(OUTPUTS)
    assert all(o in OUTPUTS for outs in OUTPUT_ALIASES.values() for o in outs)
    assert set(TEXT_METRICS) <= set(METRICS)


def test_columns_parse_with_units_and_interfaces():
    c = Column.parse("peel_band_MPa@25C:die|encapsulant")
    assert (c.metric, c.state, c.region) == ("peel_band_MPa", "25C", "die|encapsulant")
    assert c.unit == "MPa" and c.label == "peel_band [MPa]" and c.key
    assert Column.parse("theta_ja_K_per_W").unit == "K/W"
    assert Column.parse("Tj_max_C").unit == "°C" and Column.parse("die_spread_K").unit == "K"
    assert Column.parse("curvature_1_per_m@25C").unit == "1/m"
    assert Column.parse("yield_ratio@25C:shell").unit == "1"
    assert not Column.parse("von_mises_max_MPa@25C:terminals").key
    assert Column.parse("warpage_shape@25C").is_text
    assert (
        str(Column("von_mises_max_MPa", "r03_183C", "shell")) == "von_mises_max_MPa@r03_183C:shell"
    )


def test_every_metric_is_documented():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "outputs.md").read_text()
    assert [m for m in METRICS if f"`{m}" not in text] == []
