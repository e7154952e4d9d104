"""Regenerate tests/data/pinned_studies.json: every study of studies/ at coarse resolution.

Run only after a change that is meant to move the numbers, and say why in the commit.
Usage: python scripts/pin_studies.py [study ...]

Regenerating the pins is never the fix for a failing pinned study after a physics or
solver change unless the commit carries a note that names the numbers that moved (study,
case, column, old and new value) and why they moved (the change of model that moves
them). A pin that moves between machines (another BLAS/MKL instruction set: ``make
test-mkl-alt``) is not fixed by regenerating it either: its tolerance in
tests/study/test_studies.py (``TOLERANCES``, one per metric kind and its conditioning)
is wrong, or the output is ill-conditioned and must be computed better.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import fea.package.meshing  # noqa: E402
from fea.study import run_study  # noqa: E402
from tests.study.test_studies import PINS, STUDIES, coarse_spec, outputs  # noqa: E402


def main(names: list[str]) -> None:
    pins = json.loads(PINS.read_text()) if PINS.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        fea.package.meshing.CACHE_DIR = Path(tmp) / "meshes"
        for path in STUDIES:
            if names and path.stem not in names:
                continue
            report = run_study(
                coarse_spec(path), out=Path(tmp) / path.stem, workers=2, progress=False
            )
            if report.failed:
                raise SystemExit(f"{path.stem}: {report.failed} case(s) failed")
            pins[path.stem] = outputs(report.rows)
            print(f"{path.stem}: {len(report.rows)} cases pinned", flush=True)
    PINS.write_text(json.dumps(pins, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
