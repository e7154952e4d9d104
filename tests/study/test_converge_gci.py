"""``fea converge``: hand-checked GCI numbers, a metric that is not finite at a
level, a bad metric name found after the first level (not after all of them), and a
killed run that keeps the levels it computed and runs only the others when started
again."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from fea.cli import main
from fea.errors import InputError
from fea.package.spec import load_study
from fea.study import converge as conv
from fea.study.converge import converge, level_key, mesh_levels, read_levels, richardson

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_study.toml"


def test_gci_by_hand_on_celik_style_numbers():
    # f1..f3 = 10.0, 10.2, 10.65 at r = 1.5: e21 = 0.2, e32 = 0.45
    res = richardson([10.0, 10.2, 10.65], 1.5, 3.0)
    p = math.log(0.45 / 0.2) / math.log(1.5)  # 2.0000 (0.45/0.2 = 2.25 = 1.5^2)
    assert p == pytest.approx(2.0)
    assert res.order == pytest.approx(p)
    # f_ext = f1 + (f1 - f2)/(r^p - 1) = 10 - 0.2/1.25 = 9.84
    assert res.extrapolated == pytest.approx(9.84)
    # GCI_fine = 1.25 * |0.2/10| / 1.25 = 0.02
    assert res.gci_fine == pytest.approx(0.02)
    assert res.chosen_error == pytest.approx(0.16 / 9.84)
    # the same differences shrinking the wrong way: the values diverge, nothing claimed
    bad = richardson([10.0, 10.45, 10.65], 1.5, 3.0)
    assert bad.order < 0 and math.isnan(bad.extrapolated) and math.isnan(bad.gci_fine)


def _stand_in(values_by_level):
    def run(c):
        k = round(math.log(c.mesh.size / base.mesh.size) / math.log(1.5))
        calls.append(k)
        return values_by_level[k]

    base = load_study(TINY).base
    calls: list[int] = []
    return base, run, calls


def test_a_metric_not_finite_at_one_level_is_a_row_with_a_note_not_an_abort():
    levels = [
        {"Tj_max_C": 95.0 - 12.0 * h**3, "warpage_um@25C": w}
        for h, w in ((0.15, 4.0), (0.225, math.nan), (0.3375, 4.2))
    ]
    case, run, _ = _stand_in(levels)
    res = converge(case, ["Tj_max_C", "warpage_um@25C"], n=3, run=run)
    assert res[0].extrapolated == pytest.approx(95.0)
    assert math.isnan(res[1].extrapolated) and math.isnan(res[1].gci_fine)
    assert "not a finite number at h =" in res[1].note


def test_a_bad_metric_or_none_at_all_is_refused_after_the_first_level():
    levels = [{"Tj_max_C": 90.0 + k, "flag": True, "label": "x"} for k in range(3)]
    case, run, calls = _stand_in(levels)
    with pytest.raises(InputError, match="--metric.*nope_C.*Tj_max_C"):
        converge(case, ["nope_C"], n=3, run=run)
    assert calls == [0]  # not after three runs
    calls.clear()
    with pytest.raises(InputError, match="--metric.*flag"):  # a boolean is no number
        converge(case, ["flag"], n=3, run=run)
    calls.clear()
    case = load_study(TINY).base
    with pytest.raises(InputError, match="--metric.*the case's \\[outputs\\] give none"):
        converge(dataclasses.replace(case, outputs=("theta_JA",)), None, n=3, run=run)
    assert calls == [0]


def test_known_levels_are_not_run_again():
    levels = [{"Tj_max_C": 95.0 - 12.0 * h**3} for h in (0.15, 0.225, 0.3375)]
    case, run, calls = _stand_in(levels)
    kept: dict[str, dict] = {}
    first = converge(
        case, ["Tj_max_C"], run=run, on_result=lambda i, c, m: kept.update({level_key(c): m})
    )
    assert calls == [0, 1, 2] and len(kept) == 3
    calls.clear()
    again = converge(case, ["Tj_max_C"], run=run, known=kept)
    assert calls == [] and again == first
    # the same case at another size (another ratio) is not taken for one of these
    assert level_key(mesh_levels(case, 2, 2.0)[1]) not in kept
    assert level_key(mesh_levels(case, 2, 2.0)[0]) in kept  # the finest is the same


def test_a_killed_fea_converge_keeps_its_levels_and_resumes(tmp_path, monkeypatch, capsys):
    _, _, case = next(iter(load_study(TINY).cases()))
    ran: list[float] = []

    def run(c, die_at=None):
        if die_at is not None and len(ran) == die_at:
            raise KeyboardInterrupt  # the run is killed during its third level
        ran.append(c.mesh.size)
        return {"Tj_max_C": 95.0 - 12.0 * (c.mesh.size * 1e3) ** 3, "Tj_mean_C": 90.0}

    real = conv.converge
    out = tmp_path / "conv"
    args = ["converge", str(TINY), "--metric", "Tj_max_C", "--out", str(out)]
    monkeypatch.setattr(conv, "converge", lambda *a, **k: real(*a, **k, run=lambda c: run(c, 2)))
    assert main(args) != 0  # "fea converge: interrupted"
    kept = read_levels(out)
    assert len(ran) == 2 and len(kept) == 2  # the two levels computed are on disk
    doc = json.loads((out / "levels.json").read_text())
    assert sorted(v["size_m"] for v in doc["levels"].values()) == pytest.approx(ran)
    ran.clear()
    capsys.readouterr()
    monkeypatch.setattr(conv, "converge", lambda *a, **k: real(*a, **k, run=run))
    assert main(args) == 0
    assert ran == pytest.approx([case.mesh.size * 1.5**2])  # only the missing level
    printed = capsys.readouterr().out
    assert printed.count("(kept from an earlier run)") == 2
    row = json.loads((out / "converge.json").read_text())["metrics"][0]
    assert row["extrapolated"] == pytest.approx(95.0) and row["order"] == pytest.approx(3.0)


def test_two_coarsest_equal_is_not_called_oscillatory_and_a_zero_metric_says_so():
    res = richardson([10.0, 10.3, 10.3], 1.5, 3.0)
    assert math.isnan(res.order) and math.isnan(res.extrapolated)
    assert "two coarsest meshes agree exactly" in res.note and "oscillatory" not in res.note
    assert res.gci_fine == pytest.approx(3.0 * 0.03 / (1.5**3 - 1.0))
    # a metric that is 0 on the finest mesh: the extrapolation stands, the relative GCI not
    zero = richardson([0.0, 0.2, 0.65], 1.5, 3.0)
    assert zero.extrapolated == pytest.approx(-0.16) and math.isinf(zero.gci_fine)
    assert "finest value is 0" in zero.note
    # a sign change of the metric itself is no oscillation when the differences keep theirs
    cross = richardson([-0.1, 0.1, 0.55], 1.5, 3.0)
    assert cross.order == pytest.approx(2.0) and cross.extrapolated == pytest.approx(-0.26)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_unequal_ratios_recover_a_known_order_and_limit(p):
    a, c, h1, r21, r32 = 93.8, -41.0, 0.15, 1.2, 1.45
    h = [h1, h1 * r21, h1 * r21 * r32]
    f = [a + c * x**p for x in h]
    res = richardson(f, 1.5, 3.0, ratios=(r21, r32))
    assert res.order == pytest.approx(p, rel=1e-9) and res.ratios == (r21, r32)
    assert res.extrapolated == pytest.approx(a, rel=1e-12)
    assert res.gci_fine == pytest.approx(1.25 * abs((f[1] - f[0]) / f[0]) / (r21**p - 1))
    with pytest.raises(InputError, match="ratios"):
        richardson(f, 1.5, 3.0, ratios=(1.2, 0.9))


def test_converge_uses_the_levels_effective_ratios_from_their_node_counts():
    """Sub-layers that keep their elements: the nominal ratio 1.5 is 1.2 and 1.1 in the
    node counts; the metric follows the effective size (h = 0.5, 0.6, 0.66: f = 96,
    96.44, 96.7424). With the nominal ratio the order came out as ln(0.3024/0.44)/ln 1.5
    = -0.92: "the values diverge", nothing extrapolated (the true order 2, limit 95)."""
    case = load_study(TINY).base
    eff = [1.0, 1.2, 1.2 * 1.1]

    def run(c):
        k = round(math.log(c.mesh.size / case.mesh.size) / math.log(1.5))
        h = 0.5 * eff[k]
        return {"Tj_max_C": 95.0 + 4.0 * h**2, "thermal_nodes_count": 8000.0 / eff[k] ** 3}

    (res,) = converge(case, ["Tj_max_C"], n=3, ratio=1.5, run=run)
    assert res.ratios == pytest.approx((1.2, 1.1))
    assert res.order == pytest.approx(2.0) and res.extrapolated == pytest.approx(95.0)
    assert "effective refinement ratios 1.2, 1.1" in res.note and "under 1.3" in res.note
    nominal = richardson(res.values, 1.5, 3.0)
    assert nominal.order == pytest.approx(-0.925, abs=1e-3)
    assert math.isnan(nominal.extrapolated)
    # a coarser level with as many nodes: no ratio, no extrapolation
    (flat,) = converge(
        case, ["Tj_max_C"], n=2, run=lambda c: {"Tj_max_C": 90.0, "thermal_nodes_count": 10.0}
    )
    assert math.isnan(flat.extrapolated) and "do not grow with refinement" in flat.note


def test_a_model_read_from_a_msh_is_refused_its_levels_would_be_one_mesh(tmp_path):
    """A .msh is read as it is: the levels were the same mesh, the two finest agreed
    exactly and the GCI said 0 %."""
    from fea.package.geometry.imported import imported_mesh, write_example_mesh
    from fea.package.spec import parse_study

    msh = write_example_mesh(tmp_path / "model.msh", size_mm=1.0)
    spec = parse_study(
        {
            "study": {"name": "own"},
            "geometry": {"kind": "mesh", "path": str(msh)},
            "materials": {"carrier": "fr4"},
            "mesh": {"size_mm": 0.5, "order": 1},
            "theta_jc": {"method": "fixed_case"},
        }
    )
    case = spec.base
    coarse = dataclasses.replace(case, mesh=dataclasses.replace(case.mesh, size=0.75e-3))
    n = [imported_mesh(c)[0].n_elements for c in (case, coarse)]
    assert n[0] == n[1]  # what the levels were
    with pytest.raises(InputError, match="read as it is") as e:
        mesh_levels(case)
    assert e.value.key == "geometry.kind"
    # a metric asked twice is one row
    levels = [{"Tj_max_C": 95.0 - 12.0 * h**3} for h in (0.15, 0.225, 0.3375)]
    base, run, _ = _stand_in(levels)
    assert len(converge(base, ["Tj_max_C", "Tj_max_C"], run=run)) == 1


def test_a_stress_takes_the_elements_order_as_its_formal_order():
    """With two sizes the formal order is assumed: a stress (a derivative) converges one
    order slower than the temperature; taking mesh.order + 1 for it made its GCI too
    small (P1, r = 1.5: 1/(1.5^2 - 1) = 0.8 against 1/(1.5 - 1) = 2)."""
    from fea.study.converge import formal_order

    case = load_study(TINY).base
    assert case.mesh.order == 1

    def run(c):
        h = c.mesh.size * 1e3
        return {"Tj_max_C": 95.0 - 12.0 * h**2, "von_mises_max_MPa": 80.0 + 5.0 * h}

    tj, vm = converge(case, ["Tj_max_C", "von_mises_max_MPa"], n=2, run=run)
    assert tj.order == 2.0 and vm.order == 1.0
    assert tj.extrapolated == pytest.approx(95.0) and vm.extrapolated == pytest.approx(80.0)
    assert vm.gci_fine == pytest.approx(3.0 * (2.5 / 85.0) / (1.5 - 1.0))
    assert formal_order("peel_max_MPa@die|encapsulant", 1) == 1.0
    assert formal_order("warpage_um@25C", 1) == 2.0
    # derivatives whose unit does not say so, and an MPa that is no derivative
    assert formal_order("yield_ratio@25C:terminals", 1) == 1.0
    assert formal_order("plastic_strain_max_pct@25C:shell", 2) == 2.0
    assert formal_order("vapour_pressure_max_MPa@peak:die|encapsulant", 1) == 2.0


def test_an_unequal_ratio_order_above_60_is_solved_not_capped():
    """The bracket of the unequal-ratio equation stopped at p = 60 and returned 60 as if
    solved (the tiny case's von Mises: p = 116 at ratios 1.0494 / 1.0450)."""
    r21, r32, p = 1.0494, 1.0450, 116.06
    rho = r21**p * (r32**p - 1.0) / (r21**p - 1.0)
    f = [100.0, 100.0 + 1e-3, 100.0 + 1e-3 + 1e-3 * rho]
    res = richardson(f, 1.5, 2.0, ratios=(r21, r32))
    assert res.order == pytest.approx(p, rel=1e-8)


def test_effective_ratios_alone_do_not_raise_the_far_above_note():
    """At a constant ratio the GCI does not depend on r; an error that follows the
    in-plane size (p = 2 at the nominal 1.5) shows p = 16.6 at the effective 1.05: no
    note then, the same GCI."""
    f = [95.0 + 4.0 * h**2 for h in (0.5, 0.75, 1.125)]
    nominal = richardson(f, 1.5, 2.0)
    eff = richardson(f, 1.5, 2.0, ratios=(1.05, 1.05))
    assert nominal.order == pytest.approx(2.0) and eff.order > 16.0
    assert eff.gci_fine == pytest.approx(nominal.gci_fine, rel=1e-9)
    assert "far above" not in eff.note and "far above" not in nominal.note


def test_two_finest_equal_with_another_coarsest_says_it_may_be_a_crossing():
    same = richardson([7.0, 7.0, 7.5], 1.5, 3.0)
    assert same.extrapolated == 7.0 and same.gci_fine == 0.0
    assert "coarsest differs by 7.14%" in same.note and "oscillation" in same.note
    flat = richardson([7.0, 7.0, 7.0], 1.5, 3.0)
    assert flat.note == "the two finest meshes agree exactly"


def test_an_observed_order_far_above_the_formal_one_is_noted():
    # e21 = 0.001, e32 = 0.5: p = ln(500)/ln(1.5) = 15.3 against a formal 2
    res = richardson([100.0, 100.001, 100.501], 1.5, 2.0)
    assert res.order == pytest.approx(math.log(500.0) / math.log(1.5))
    # r^p = e32/e21 = 500: GCI = 1.25 * 1e-5 / 499, a 2.5e-8 "error"
    assert "far above the formal 2" in res.note
    assert res.gci_fine == pytest.approx(1.25 * 1e-5 / 499.0)
    assert richardson([10.0, 10.2, 10.65], 1.5, 2.0).note == ""  # p = 2: nothing to say


def test_a_level_of_another_fea_version_is_not_reused(monkeypatch):
    import fea

    case = load_study(TINY).base
    key = level_key(case)
    monkeypatch.setattr(fea, "__version__", fea.__version__ + ".post1")
    assert level_key(case) != key
