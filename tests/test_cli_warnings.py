"""A library warning reaches the terminal as one line naming the command, not as Python's
``file:line: UserWarning: ...`` followed by the source line that raised it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# the command run as a user runs it (a fresh interpreter: pytest records warnings itself),
# with the compact-model run replaced by one that warns
SCRIPT = """
import sys, warnings
import fea.package.ctm
from fea.cli import main

def run(spec, out):
    warnings.warn("the DELPHI set is a reconstruction", UserWarning, stacklevel=1)
    warnings.warn("x / 0 in a plot", RuntimeWarning, stacklevel=1)
    return []

fea.package.ctm.run_ctm = run
before = warnings.showwarning
status = main(["ctm", sys.argv[1], "--out", sys.argv[2]])
print("restored" if warnings.showwarning is before else "changed")
sys.exit(status)
"""


def test_a_library_warning_is_one_line_naming_the_command(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "default"}
    r = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT / "studies" / "ctm.toml"), str(tmp_path / "o")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "fea ctm: warning: the DELPHI set is a reconstruction\n" in r.stderr
    assert "UserWarning" not in r.stderr and "warnings.warn(" not in r.stderr
    # other categories keep Python's form (where it came from matters to whoever reads it)
    assert "RuntimeWarning: x / 0 in a plot" in r.stderr
    # the command leaves the process's warning display as it found it
    assert r.stdout.strip().endswith("restored")
