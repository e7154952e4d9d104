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


@pytest.fixture(scope="session", autouse=True)
def mesh_cache(tmp_path_factory):
    """Every test meshes into one session cache, never into the repository's meshes/cache
    (subprocesses follow through FEA_MESH_CACHE). A test that needs its own cache
    monkeypatches ``fea.package.meshing.CACHE_DIR``."""
    import os

    import fea.package.meshing

    d = tmp_path_factory.mktemp("mesh-cache")
    saved, saved_env = fea.package.meshing.CACHE_DIR, os.environ.get("FEA_MESH_CACHE")
    fea.package.meshing.CACHE_DIR = d
    os.environ["FEA_MESH_CACHE"] = str(d)
    yield d
    fea.package.meshing.CACHE_DIR = saved
    if saved_env is None:
        os.environ.pop("FEA_MESH_CACHE", None)
    else:
        os.environ["FEA_MESH_CACHE"] = saved_env


@pytest.fixture
def gpu_required():
    from fea.solvers import probe_device

    status = probe_device()
    if not status.usable:
        pytest.skip(f"no usable GPU: {status.reason}")
    return status
