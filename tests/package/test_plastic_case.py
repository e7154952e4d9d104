"""A unit with an elastic-plastic shell: the study key, the path, and its limits."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from fea.errors import InputError
from fea.package.analyse import warpage_metrics
from fea.package.spec import parse_study

ROOT = Path(__file__).resolve().parents[2]


def _raw(yield_MPa: float | None = None, hardening_MPa: float = 1000.0) -> dict:
    raw = copy.deepcopy(tomllib.loads((ROOT / "studies" / "baseline.toml").read_text()))
    raw["mesh"].update(size_mm=1.2, order=1, layers_through_thickness=1, film_size_mm=0.6)
    raw["mesh"].update(opening_size_mm=0.4, terminal_size_mm=0.4, board_size_mm=12.0)
    raw["solver"]["backend"] = "cpu"
    lib = raw["materials"]["library"]["copper_ep"]
    lib["plasticity"] = {"hardening_MPa": hardening_MPa}
    if yield_MPa is not None:
        lib["yield_MPa"] = yield_MPa
    return raw


def test_plasticity_key_builds_the_law():
    m = parse_study(_raw()).base.materials["shell"]
    assert m.inelastic.yield_stress == pytest.approx(200e6)  # copper's proof stress
    assert m.inelastic.hardening == pytest.approx(1e9)
    raw = _raw()
    raw["materials"]["library"]["copper_ep"]["plasticity"]["hardening_MPa"] = -1.0
    with pytest.raises(InputError) as ei:
        parse_study(raw)
    assert ei.value.key == "materials.library.copper_ep.plasticity.hardening_MPa"
    raw = _raw()
    raw["materials"]["library"]["copper_ep"] = {
        "E_GPa": 100.0,
        "nu": 0.3,
        "alpha_ppm": 17.0,
        "k": 300.0,
        "plasticity": {},
    }
    with pytest.raises(InputError) as ei:
        parse_study(raw)
    assert ei.value.key == "materials.library.copper_ep.plasticity"


@pytest.mark.slow
def test_a_shell_that_never_yields_gives_the_elastic_states():
    """With a yield stress no state reaches, the elastic-plastic path is elastic: its
    warpage and stresses are the independent elastic solves' (each temperature alone) to
    the Newton tolerance, and no plastic strain; with copper's 200 MPa the shell yields
    (the elastic analysis has it at ~1.6x its proof stress) and the path moves the
    warpage."""
    elastic_raw = _raw()
    elastic_raw["materials"]["shell"] = "copper"
    el, _ = warpage_metrics(parse_study(elastic_raw).base)
    hard, _ = warpage_metrics(parse_study(_raw(yield_MPa=1e5)).base)
    for tag in ("25C", "260C"):
        for metric in ("warpage_um", "warpage_signed_um", "von_mises_max_MPa"):
            col = f"{metric}@{tag}" if metric.startswith("warpage") else f"{metric}@{tag}:shell"
            assert hard[col] == pytest.approx(el[col], rel=1e-6), col
        assert hard[f"plastic_strain_max_pct@{tag}:shell"] == 0.0
    soft, _ = warpage_metrics(parse_study(_raw()).base)
    assert soft["plastic_strain_max_pct@25C:shell"] > 0.1
    assert soft["von_mises_max_MPa@25C:shell"] < el["von_mises_max_MPa@25C:shell"]
    assert not any("shell" in w for w in soft["warnings"])


@pytest.mark.slow  # 7 s of CPU, up to 45 s on a loaded 2-core machine
def test_the_elastic_plastic_path_reports_its_solve_time():
    """The path's histories are the case's mechanical solve: ``mech_solve_s`` (one
    column for the path; each elastic state has its own ``mech_solve_s@<state>``), as
    docs/outputs.md lists it; the baseline's table had no mechanical time at all."""
    raw = tomllib.loads((ROOT / "tests" / "data" / "tiny_study.toml").read_text())
    raw.pop("sweep")
    raw["materials"] = {
        "shell": "copper_ep",
        "library": {"copper_ep": {"base": "copper", "plasticity": {"hardening_MPa": 1000.0}}},
    }
    m, _ = warpage_metrics(parse_study(raw).base)
    assert m["plastic_strain_max_pct@25C:shell"] > 0.0  # the path ran
    assert m["mech_solve_s"] > 0.0
    assert not any(k.startswith("mech_solve_s@") for k in m)
