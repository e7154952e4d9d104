"""Running ParaView's ``pvpython`` from the io tests: find it (or skip), and check what its
three XDMF readers read against the values written (``paraview_readers.py``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
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
