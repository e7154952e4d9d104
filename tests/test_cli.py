from __future__ import annotations

import subprocess
import sys

import fea
from fea.cli import main


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as e:
        assert e.code == 0
    assert fea.__version__ in capsys.readouterr().out


def test_check_reports_backends(capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    for word in ("numpy", "gmsh", "skfem", "scipy-direct", "amg", "gpu"):
        assert word in out


def test_bad_spec_exits_2_without_traceback(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text("[geometry]\nshell_thickness_um = -3\n")
    for cmd in (["run", str(p)], ["mesh", str(p)]):
        assert main(cmd) == 2
        err = capsys.readouterr().err
        assert "geometry.shell_thickness_um" in err
        assert "Traceback" not in err


def test_bad_spec_subprocess(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[materials]\nshell = "unobtainium"\n')
    r = subprocess.run(
        [sys.executable, "-m", "fea.cli", "run", str(p)], capture_output=True, text=True
    )
    assert r.returncode == 2
    assert "materials.shell" in r.stderr
    assert "Traceback" not in r.stderr


def test_materials_lists_the_library_with_sources(capsys):
    assert main(["materials"]) == 0
    out = capsys.readouterr().out
    for word in ("copper", "mold_compound", "sac305", "yield MPa", "sources:", "ASM Handbook"):
        assert word in out
    assert main(["materials", "mold_compound"]) == 0
    out = capsys.readouterr().out
    assert "130" in out and "table" in out and "source:" in out
    assert main(["materials", "mold"]) == 2
    assert "did you mean" in capsys.readouterr().err


def test_structure_command_overlays_two_contacts(tmp_path, capsys):
    """Two measured heating curves (CSV, as a tester exports them) of one device on two
    case contacts: their structure functions part at the case."""
    import numpy as np

    from fea.io import write_curves_csv
    from fea.physics.structure import foster_from_cauer, zth_from_foster

    t = np.logspace(-6, 3, 400)
    R = np.array([0.05, 0.2, 0.3, 0.5, 1.0])
    C = np.array([2e-4, 3e-3, 1e-2, 5.0, 500.0])
    R2 = R.copy()
    R2[3], C2 = 2.0, C.copy()
    C2[3] = 0.5
    paths = []
    for name, (r, c) in {"dry": (R2, C2), "grease": (R, C)}.items():
        z = zth_from_foster(t, *foster_from_cauer(r, c))
        paths += write_curves_csv(tmp_path, {name: {"time_s": t, "zth_K_per_W": z}})
    png = tmp_path / "sf.png"
    assert main(["structure", *map(str, paths), "-o", str(png), "--dual-interface"]) == 0
    out = capsys.readouterr().out
    assert "R_total 3.55" in out and "R_total 2.05" in out
    sep = float(out.split("part at ")[1].split()[0])
    assert abs(sep - R[:3].sum()) < 0.05 * R[:3].sum()
    assert png.stat().st_size > 10_000
    assert main(["structure", str(tmp_path / "missing.csv")]) == 2


def test_output_into_a_closed_pipe_ends_without_a_traceback(tmp_path):
    """``fea check big.toml | head``: the reader of the output goes away; the command ends
    with 141 (128 + SIGPIPE, as a shell reports it) and no traceback."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    study = root / "studies" / "openings.toml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "fea.cli", "check", str(study), "--all"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    proc.stdout.close()  # nobody reads: the first write meets a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err
