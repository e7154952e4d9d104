from __future__ import annotations

import json
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
VALIDATION = SHARED / "validation"
# The validation cases are also copied into the repository so tests run without shared/.
LOCAL_VALIDATION = Path(__file__).resolve().parent / "verification" / "data"


def validation_case(name: str) -> dict:
    for folder in (VALIDATION, LOCAL_VALIDATION):
        p = folder / f"{name}.json"
        if p.exists():
            return json.loads(p.read_text())
    raise FileNotFoundError(name)


@pytest.fixture
def gpu_required():
    from fea.solvers import probe_device

    status = probe_device()
    if not status.usable:
        pytest.skip(f"no usable GPU: {status.reason}")
    return status
