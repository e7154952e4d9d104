"""docs/spec.md is the reference generated from the schema, and it is current."""

from __future__ import annotations

from pathlib import Path

from fea.package.spec.reference import MEANINGS, collect_keys, spec_reference

ROOT = Path(__file__).resolve().parents[2]


def test_committed_reference_is_current():
    committed = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    assert committed == spec_reference(), "docs/spec.md is stale: python scripts/gen_spec_doc.py"


def test_every_key_has_a_meaning_and_every_meaning_a_key():
    keys = collect_keys()
    assert [k for k in keys if k not in MEANINGS] == []
    assert [k for k in MEANINGS if k not in keys] == []
    # the recorder sees typed getters: kinds, defaults, bounds and choices
    assert keys["geometry.shell_thickness_mm"].kind == "length"
    assert keys["geometry.shell_thickness_mm"].default == 0.035
    assert keys["mesh.order"].lo == 1 and keys["mesh.order"].hi == 2
    assert keys["solver.backend"].choices == ("auto", "cpu", "gpu")
    assert "outputs.warpage_limits_um" in keys and "loads.reflow_Tg_step_K" in keys
