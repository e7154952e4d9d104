"""Running ParaView's ``pvpython`` from the io tests: find it (or skip), and check what its
three XDMF readers read against the values written (``paraview_readers.py``)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent


def require_pvpython() -> str:
    """The ``pvpython`` to run, or skip the test (fail it where ``FEA_REQUIRE_PARAVIEW`` is
    set: CI installs ParaView)."""
    pv = shutil.which("pvpython")
    if pv is None:
        if os.environ.get("FEA_REQUIRE_PARAVIEW"):
            pytest.fail("pvpython not found but FEA_REQUIRE_PARAVIEW is set (CI installs it)")
        pytest.skip("pvpython not installed (apt-get install paraview python3-paraview)")
    return pv


def check_paraview_readers(
    pv: str, folder: Path, expect: dict, files: list, n_times: dict
) -> list[dict]:
    """Run ``paraview_readers.py`` in ``folder`` on ``files`` ([tag, .xdmf path], a path
    relative to ``folder`` or absolute) and check each of ParaView's three XDMF readers:
    ``n_times[tag]`` times, every array ``expect["<tag>/<name>"]`` read in its written
    layout and values (1e-6 of the largest, at least 1e-6 absolute), no other array of
    those checked. Returns the readers' report (one entry per file and reader)."""
    np.savez(folder / "expect.npz", **expect)
    job = {"expect": str(folder / "expect.npz"), "files": files}
    (folder / "job.json").write_text(json.dumps(job))
    run = subprocess.run(
        [pv, "--force-offscreen-rendering", str(HERE / "paraview_readers.py"), "job.json"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=folder,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert len(report) == 3 * len(files)
    for r in report:
        tag = r["file"]
        assert len(r["times"]) == n_times[tag], r
        assert r["shape_mismatch"] == {}, r  # read in another layout than written
        wanted = {k.split("/", 1)[1] for k in expect if k.startswith(tag + "/")}
        assert set(r["max_abs_diff"]) == wanted, r
        for name, d in r["max_abs_diff"].items():
            assert d <= 1e-6 * max(1.0, float(np.abs(expect[f"{tag}/{name}"]).max())), (r, name)
    return report


@contextlib.contextmanager
def x_display() -> Iterator[dict[str, str]]:
    """The environment for a ``pvpython`` that renders: this one where ``DISPLAY`` is set
    (or no Xvfb is installed), else with the display of a private Xvfb started here and
    stopped after. ``-displayfd`` makes the server choose a free display and write its
    number once it accepts clients; ``xvfb-run -a`` guessed a free number from lock files
    and, under load, ParaView aborted in ``vtkXOpenGLRenderWindow::CreateAWindow``."""
    env = dict(os.environ)
    xvfb = shutil.which("Xvfb")
    if env.get("DISPLAY") or xvfb is None:
        yield env
        return
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    text = b""
    while not text.endswith(b"\n"):  # the number, then a newline, once the server is up
        chunk = os.read(read, 32)
        if not chunk:
            break
        text += chunk
    os.close(read)
    try:
        number = text.decode().strip()
        assert number.isdigit(), f"Xvfb reported no display ({text!r})"
        env["DISPLAY"] = ":" + number
        yield env
    finally:
        server.terminate()
        server.wait(10)
