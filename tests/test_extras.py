"""Which extras ``make`` installs: the CUDA ones (CuPy, nvmath) only where CUDA is found
or asked for; ``fea check`` says how to add them."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

import fea.cli
from fea.cli import main

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")


def _extras(tmp_path: Path, tools: dict[str, str | None], *args: str, **env: str) -> str:
    """``make extras`` with a PATH holding only ``tools`` (name -> real path, or None for
    a stand-in that succeeds), so the CUDA probe sees what the test decides."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, real in tools.items():
        link = bin_dir / name
        if real is None:
            link.write_text("#!/bin/sh\nexit 0\n")
            link.chmod(0o755)
        else:
            link.symlink_to(real)
    clean = {k: v for k, v in os.environ.items() if k not in ("EXTRAS", "HAVE_CUDA")}
    out = subprocess.run(
        [MAKE, "-s", "-f", str(ROOT / "Makefile"), "extras", *args],
        cwd=tmp_path,
        env={**clean, "PATH": str(bin_dir), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


pytestmark = pytest.mark.skipif(MAKE is None or shutil.which("grep") is None, reason="no make")


def test_no_cuda_no_gpu_extras(tmp_path):
    # neither nvidia-smi nor ldconfig on the PATH: no CUDA found
    assert _extras(tmp_path, {"grep": shutil.which("grep")}) == "test,cluster"


def test_nvidia_smi_adds_the_gpu_extras(tmp_path):
    assert _extras(tmp_path, {"nvidia-smi": None}) == "test,cluster,gpu"


def test_libcuda_known_to_the_loader_adds_them(tmp_path):
    fake = tmp_path / "ldconfig"
    fake.write_text("#!/bin/sh\necho '\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/libcuda.so.1'\n")
    fake.chmod(0o755)
    tools = {"grep": shutil.which("grep"), "ldconfig": str(fake)}
    assert _extras(tmp_path, tools) == "test,cluster,gpu"


def test_asked_for_extras_win(tmp_path):
    assert _extras(tmp_path, {}, "EXTRAS=test,cluster,gpu") == "test,cluster,gpu"
    assert _extras(tmp_path, {"nvidia-smi": None}, "EXTRAS=test") == "test"


def test_check_says_how_to_add_missing_gpu_extras(capsys, monkeypatch):
    real = importlib.import_module

    def no_cuda_modules(name, *a, **k):
        if name in ("cupy", "nvmath"):
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(fea.cli.importlib, "import_module", no_cuda_modules)
    hint = fea.cli.gpu_extras_hint()
    assert "cupy-cuda12x, nvmath-python" in hint
    assert "pip install -e '.[gpu]'" in hint and "make EXTRAS=test,cluster,gpu test" in hint
    assert main(["check"]) == 0
    assert hint in capsys.readouterr().out

    def both_present(name, *a, **k):
        if name in ("cupy", "nvmath"):
            return SimpleNamespace(__version__="1.0")
        return real(name, *a, **k)

    monkeypatch.setattr(fea.cli.importlib, "import_module", both_present)
    assert fea.cli.gpu_extras_hint() == ""  # both importable: nothing to add
