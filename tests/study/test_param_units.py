"""Units of the swept parameters' columns (``table.h5`` and the plots' axes) where the key
carries none at its end: ``loads.h`` [W/(m² K)], ``loads.power_W.die`` [W] (the unit is on
the key the per-region entry belongs to). They had none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fea.io.table import read_units
from fea.package.spec import load_study
from fea.package.spec.reference import key_unit
from fea.study.plots import param_label
from fea.study.table import build_table

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_study.toml"


@pytest.mark.parametrize(
    ("key", "unit"),
    [
        ("loads.h", "W/(m² K)"),
        ("loads.power_W.die", "W"),
        ("loads.reference_C.encapsulant", "°C"),
        ("geometry.frequency_GHz", "GHz"),
        ("geometry.openings.width_mm", "mm"),
        ("materials.library.cu.k", "W/(m K)"),
        ("materials.shell", ""),
        ("mesh.order", ""),
    ],
)
def test_key_units(key, unit):
    assert key_unit(key) == unit
    label = param_label(f"param:{key}")
    assert label.endswith(f"[{unit}]") if unit else label == key


def test_the_table_holds_the_swept_keys_units(tmp_path):
    text = TINY.read_text().split("[sweep]")[0]
    study = tmp_path / "s.toml"
    study.write_text(
        text + '\n[sweep]\nkind = "cases"\ncases = [\n'
        '  { "loads.h" = 10.0, "loads.power_W.die" = 1.0 },\n'
        '  { "loads.h" = 20.0, "loads.power_W.die" = 2.0 },\n]\n'
    )
    spec = load_study(study)
    out = tmp_path / "out"
    for cid, params in spec.case_parameters():
        (out / cid).mkdir(parents=True)
        row = {"case": cid, **{f"param:{k}": v for k, v in params.items()}, "status": "ok",
               "Tj_max_C": 80.0}
        (out / cid / "metrics.json").write_text(json.dumps(row))
    build_table(spec, out)
    units = read_units(out / "table.h5")
    assert units["param:loads.h"] == "W/(m² K)"
    assert units["param:loads.power_W.die"] == "W"
    assert units["Tj_max_C"] == "°C"
