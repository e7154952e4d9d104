"""``fea ctm STUDY.toml --out DIR``: the compact models of every case as files, the error
table on the terminal."""

from __future__ import annotations

import csv
import math

import pytest

from fea import ctm
from fea.cli import main
from fea.package.analyse import mesh_materials
from fea.package.ctm import ctm_mesh
from fea.package.spec import load_study
from fea.physics.thermal import solve_thermal

STUDY = """
[study]
name = "cli_ctm"

[geometry.terminals]
kind = "none"

[mesh]
size_mm = 1.0
film_size_mm = 1.0
order = 1
layers_through_thickness = 1

[loads]
power_W = { die = 0.1 }
h = 10.0
warpage_temperatures_C = []

[transient]
duration_s = 3000.0
first_output_s = 1e-4
outputs = 120
method = "reduced"
conductivity_at = "steady"

[theta_jc]
method = "fixed_case"

[ctm]
conditions = [
    { top = 10, bottom = 10, sides = 10 },
    { top = 1000, bottom = 10, sides = 10 },
    { top = 10, bottom = 1000, sides = 10 },
    { top = 100, bottom = 100, sides = 100 },
    { top = 10000, bottom = 100, sides = 10 },
    { top = 100, bottom = 10000, sides = 10 },
]
holdout = 3
"""

NODES = ("top_inner", "top_outer", "bottom_inner", "bottom_outer", "sides")


def test_fea_ctm_writes_every_model(tmp_path, capsys):
    path = tmp_path / "cli_ctm.toml"
    path.write_text(STUDY)
    out = tmp_path / "models"
    assert main(["ctm", str(path), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    assert names == {
        "cli_ctm_2R.cir",
        "cli_ctm_DELPHI.cir",
        "cli_ctm_zth.cir",
        "cli_ctm_foster.csv",
        "cli_ctm_cauer.csv",
        "cli_ctm.ecxml",
    }
    # the table: one row per condition, two held out, maxima against the targets
    rows = [line.split() for line in text.splitlines() if line[:5].strip().isdigit()]
    assert [r[4] for r in rows] == ["fit", "fit", "held", "fit", "fit", "held"]
    assert "max |e_J| held out" in text and "% target" in text
    assert f"wrote 6 files to {out}" in text
    models = ctm.read_ecxml((out / "cli_ctm.ecxml").read_text())
    assert set(models) == {"2R", "DELPHI", "zth_foster", "zth_cauer"}
    with open(out / "cli_ctm_foster.csv") as fh:
        cells = list(csv.DictReader(fh))
    R_foster = sum(float(r["R_K_per_W"]) for r in cells)
    assert R_foster == pytest.approx(float(sum(models["zth_foster"].R)), rel=1e-12)
    # the heating curve ends at the steady junction rise in uniform h = 10: solved here on
    # the compact model's mesh (meshes differ by the split faces: a few per mille)
    case = load_study(path).base
    mesh = ctm_mesh(case)
    th = solve_thermal(
        mesh,
        mesh_materials(mesh, case),
        {"die": 0.1},
        convection={n: (10.0, 25.0) for n in NODES},
        k_at_C=25.0,
    )
    theta = (th.region_max("die") - 25.0) / 0.1
    assert R_foster == pytest.approx(theta, rel=0.03)
    # the netlists hold the models' resistors
    cir = (out / "cli_ctm_2R.cir").read_text()
    assert repr(models["2R"].resistance("junction", "case")) in cir
    zth = (out / "cli_ctm_zth.cir").read_text()
    assert zth.count(".SUBCKT") == 2 and "XCLI_CTM_FOSTER" in zth and "XCLI_CTM_CAUER" in zth
    assert math.isfinite(models["DELPHI"].response({"top": 10.0}).junction_K_per_W)


def test_fea_ctm_refuses_a_bad_study(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('[study]\nname = "bad"\n[ctm]\nholdout = 1\n')
    assert main(["ctm", str(path), "--out", str(tmp_path / "x")]) == 2
    assert "ctm.holdout" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
