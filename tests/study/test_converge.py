"""Mesh convergence: Richardson extrapolation and GCI (Roache) on closed-form sequences,
the mesh levels of a case, and ``fea converge`` on a cheap case."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from fea.cli import main
from fea.errors import InputError
from fea.package.meshing import film_size
from fea.package.spec import load_study
from fea.study.converge import (
    SAFETY_THREE,
    SAFETY_TWO,
    converge,
    mesh_levels,
    richardson,
    write_convergence,
)

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_study.toml"


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("r", [1.3, 1.5, 2.0])
def test_three_sizes_of_a_known_order_series_extrapolate_exactly(p, r):
    a, c, h1 = 93.8, -41.0, 0.15
    h = [h1, h1 * r, h1 * r * r]
    f = [a + c * x**p for x in h]
    res = richardson(f, r, formal_order=3.0)
    assert res.order == pytest.approx(p, rel=1e-9)
    assert not res.order_assumed
    assert res.extrapolated == pytest.approx(a, rel=1e-12)
    # Roache's GCI of the finest mesh, by hand
    assert res.gci_fine == pytest.approx(SAFETY_THREE * abs((f[1] - f[0]) / f[0]) / (r**p - 1))
    assert res.chosen_error == pytest.approx(abs(c * h1**p / a), rel=1e-9)


def test_two_sizes_take_the_formal_order():
    a, c, r = 10.0, 3.0, 1.5
    f = [a + c * 0.1**3, a + c * 0.15**3]
    res = richardson(f, r, formal_order=3.0)
    assert res.order == 3.0 and res.order_assumed
    assert res.extrapolated == pytest.approx(a, rel=1e-12)
    assert res.gci_fine == pytest.approx(SAFETY_TWO * abs((f[1] - f[0]) / f[0]) / (r**3 - 1))
    with pytest.raises(InputError, match="formal_order"):
        richardson(f, r)


def test_the_chosen_mesh_can_be_the_coarsest():
    a, c, r = 5.0, 1.0, 2.0
    f = [a + c * x**2 for x in (0.25, 0.5, 1.0)]
    res = richardson(f, r, 2.0, chosen=2)
    assert res.chosen_error == pytest.approx(c * 1.0 / a)


def test_oscillatory_and_converged_sequences():
    res = richardson([10.0, 10.5, 10.2], 1.5, formal_order=3.0)
    assert math.isnan(res.order) and math.isnan(res.extrapolated)
    assert "oscillatory" in res.note
    assert res.gci_fine == pytest.approx(SAFETY_TWO * 0.05 / (1.5**3 - 1))
    same = richardson([7.0, 7.0, 7.5], 1.5, 3.0)
    assert same.extrapolated == 7.0 and same.gci_fine == 0.0
    for bad in ([1.0], [1.0, 2.0, 3.0, 4.0]):
        with pytest.raises(InputError):
            richardson(bad, 1.5, 2.0)
    with pytest.raises(InputError, match="ratio"):
        richardson([1.0, 2.0, 3.0], 1.0, 2.0)


def test_mesh_levels_scale_every_in_plane_size():
    case = load_study(TINY).base
    levels = mesh_levels(case, 3, 1.5)
    film = film_size(case)
    for k, c in enumerate(levels):
        f = 1.5**k
        assert c.mesh.size == pytest.approx(case.mesh.size * f)
        assert c.mesh.board_size == pytest.approx(case.mesh.board_size * f)
        assert c.mesh.film_size == pytest.approx(film * f)
        assert c.mesh.terminal_size == pytest.approx(case.mesh.terminal_size * f)
        assert c.mesh.layers_through_thickness == case.mesh.layers_through_thickness
    finer = mesh_levels(case, 2, 2.0, finer=True)
    assert [c.mesh.size for c in finer] == pytest.approx([case.mesh.size / 2, case.mesh.size])
    with pytest.raises(InputError, match="--sizes"):
        mesh_levels(case, 4)
    for bad in (1.0, 0.5, 10.0, float("nan"), float("inf")):
        with pytest.raises(InputError, match="--ratio"):
            mesh_levels(case, 3, bad)
    assert len(mesh_levels(case, 2, 4.0)) == 2


def test_converge_runs_each_level_and_writes_csv_json_png(tmp_path):
    """A stand-in solver whose metric is a known function of the mesh size."""
    case = load_study(TINY).base

    def run(c):
        h = c.mesh.size * 1e3
        return {"Tj_max_C": 95.0 - 12.0 * h**3, "warpage_um@25C": 4.0 + 0.5 * h**2}

    res = converge(case, ["Tj_max_C", "warpage_um@25C"], n=3, ratio=1.5, run=run)
    assert [r.metric for r in res] == ["Tj_max_C", "warpage_um@25C"]
    assert res[0].order == pytest.approx(3.0) and res[0].extrapolated == pytest.approx(95.0)
    assert res[1].order == pytest.approx(2.0) and res[1].extrapolated == pytest.approx(4.0)
    assert res[0].sizes == pytest.approx([case.mesh.size * 1.5**k for k in range(3)])
    with pytest.raises(InputError, match="--metric"):
        converge(case, ["nope_C"], n=2, run=run)
    paths = write_convergence(res, tmp_path, "tiny")
    assert [p.name for p in paths] == ["converge.csv", "converge.json", "converge.png"]
    with open(paths[0], newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["metric"] == "Tj_max_C" and rows[0]["unit"] == "°C"
    assert float(rows[0]["extrapolated"]) == pytest.approx(95.0)
    doc = json.loads(paths[1].read_text())
    assert doc["metrics"][1]["order"] == pytest.approx(2.0)
    assert doc["metrics"][1]["extrapolated"] == pytest.approx(4.0)


THERMAL_ONLY = """
[outputs]
metrics = ["Tj_max"]

[theta_jc]
method = "fixed_case"
"""


@pytest.mark.slow
def test_fea_converge_on_a_cheap_case(tmp_path, capsys, monkeypatch):
    from fea.package import analyse
    from fea.package import meshing as mesh_mod

    monkeypatch.setattr(mesh_mod, "CACHE_DIR", tmp_path / "meshes")
    text = TINY.read_text().split("[outputs]")[0].replace("warpage_temperatures_C = [25.0]", "")
    study = tmp_path / "conv.toml"
    study.write_text(text + THERMAL_ONLY)
    out = tmp_path / "conv"
    rc = main(["converge", str(study), "--sizes", "2", "--metric", "Tj_max_C", "--out", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "Tj_max_C:" in printed and "extrapolated" in printed and "GCI" in printed
    (row,) = list(csv.DictReader(open(out / "converge.csv", newline="")))
    fine, coarse = (float(v) for k, v in row.items() if k.startswith("value@"))
    # the finest level is the case's own mesh: the same Tj as the case analysed directly
    direct = analyse(load_study(study).base)["Tj_max_C"]
    assert fine == pytest.approx(direct, rel=1e-9)
    # extrapolated beyond the finest, away from the coarse value (monotone convergence)
    ext = float(row["extrapolated"])
    assert (ext - fine) * (fine - coarse) > 0
    assert row["order_assumed"] == "True"
