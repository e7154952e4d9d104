from __future__ import annotations

import json
import os
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


def _openblas_threads() -> list[int]:
    from threadpoolctl import ThreadpoolController

    return [
        i["num_threads"] for i in ThreadpoolController().info() if i["internal_api"] == "openblas"
    ]


@pytest.fixture
def openblas_threads():
    """A function giving the thread count of each OpenBLAS NumPy uses, (k,) list (the test
    is skipped where NumPy is not on OpenBLAS)."""
    if not _openblas_threads():
        pytest.skip("NumPy is not on OpenBLAS here")
    return _openblas_threads


@pytest.fixture
def two_openblas_threads(openblas_threads):
    """OpenBLAS on two threads around the test (whatever the environment set), so that a
    loop's single thread and its restoration afterwards are seen; yields the number of
    OpenBLAS libraries."""
    from threadpoolctl import ThreadpoolController

    with ThreadpoolController().select(internal_api="openblas").limit(limits=2):
        n = len(openblas_threads())
        assert openblas_threads() == [2] * n
        yield n
        assert openblas_threads() == [2] * n  # restored after the loop


@pytest.fixture(scope="session")
def answering_scontrol_folder(tmp_path_factory) -> Path:
    """A folder holding an ``scontrol`` that prints Slurm's default ``MaxArraySize = 1001``
    at once (``scontrol show config``'s line) and nothing else."""
    import stat

    d = tmp_path_factory.mktemp("scontrol")
    exe = d / "scontrol"
    exe.write_text("#!/bin/sh\necho 'MaxArraySize            = 1001'\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return d


@pytest.fixture(autouse=True)
def answering_scontrol(request, monkeypatch, answering_scontrol_folder):
    """Outside the tests marked ``slurm`` (a real single-node Slurm), ``scontrol`` is the
    one of :func:`answering_scontrol_folder`, first on PATH (subprocesses follow). Where
    Slurm is installed but its controller is not running (yet: the slurm tests start it),
    the real ``scontrol show config`` waits 9 s for it, and ``write_slurm_script`` asks it
    once a call (test_slurm_case_timeout: 72 s of its 72). The slurm tests read the real
    controller's answer; tests/study/test_slurm_array_size.py the parsing and the fallback
    (its own PATH)."""
    if request.node.get_closest_marker("slurm") is None:
        monkeypatch.setenv("PATH", f"{answering_scontrol_folder}{os.pathsep}{os.environ['PATH']}")
    yield
