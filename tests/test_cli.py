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
