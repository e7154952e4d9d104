"""A case with no power: resistances are not defined, so they are absent, never NaN."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

from fea.package.analyse import thermal_metrics, undefined_per_watt
from fea.package.spec import parse_study

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_study.toml"


def test_undefined_per_watt_drops_exactly_the_per_watt_values():
    m = {
        "Tj_max_C": 25.0,
        "theta_ja_K_per_W": math.nan,
        "zth_1ms_K_per_W": math.nan,
        "heat_capacity_J_per_K": math.nan,
        "heat_balance_ratio": math.nan,
        "warpage_um@25C": 3.0,
    }
    assert undefined_per_watt(m) == {"Tj_max_C": 25.0, "warpage_um@25C": 3.0}


def test_no_power_reports_temperatures_and_no_resistance():
    raw = tomllib.loads(TINY.read_text())
    raw["loads"]["power_W"] = {"die": 0.0}
    raw.pop("sweep", None)
    raw.pop("cases", None)
    case = parse_study(raw).base
    with pytest.warns(UserWarning, match="not defined"):
        m, _ = thermal_metrics(case)
    # with no heat the body sits at the ambient temperature everywhere
    assert m["Tj_max_C"] == pytest.approx(case.loads.ambient, abs=1e-9)
    assert not [k for k in m if k.endswith("_K_per_W")]
    assert all(not (isinstance(v, float) and math.isnan(v)) for v in m.values())


def test_no_power_reports_no_hotspot_location():
    """With no power the die's face sits at the ambient temperature everywhere: its
    hottest node is any node (it was a corner), so x and y are left out, as other values
    that are not defined without power."""
    raw = tomllib.loads(TINY.read_text())
    raw["loads"]["power_W"] = {"die": 0.0}
    raw.pop("sweep", None)
    case = parse_study(raw).base
    with pytest.warns(UserWarning, match="not defined"):
        m, _ = thermal_metrics(case)
    assert m["hotspot_C"] == pytest.approx(case.loads.ambient, abs=1e-9)
    assert "hotspot_x_mm" not in m and "hotspot_y_mm" not in m
