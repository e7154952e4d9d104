"""Grouped sweeps (``[sweep] group``): cases of one mesh that differ in materials or loads
run in order in one worker on the first case's mechanics setup; the table equals the
ungrouped one to the solver tolerance, and a failing case costs no other."""

from __future__ import annotations

import csv
import json
import os
import tomllib
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import fea.package.meshing
from fea.errors import InputError
from fea.package.analyse import SolverContext
from fea.package.spec import parse_study
from fea.package.spec.sweeps import group_cases
from fea.solvers.recycle import SolverCache
from fea.study import run_study

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"
SHELLS = ["copper", "nickel", "brass"]

#: Relative agreement of every table number, grouped against ungrouped. The AMG solve of
#: each state stops at ``||b - A u|| <= rtol ||b||`` with rtol = 1e-10 (the grouped case
#: on the kept hierarchy, the ungrouped on its own), as does the grouped direct one (PCG
#: on the first case's kept factorisation; alone: a factorisation, to rounding): the
#: displacements agree to about cond(A) * rtol, the derived warpage and stresses to well
#: within 1e-6.
REL = 1e-6


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("meshes")
    saved = fea.package.meshing.CACHE_DIR
    fea.package.meshing.CACHE_DIR = d
    os.environ["FEA_MESH_CACHE"] = str(d)
    yield d
    fea.package.meshing.CACHE_DIR = saved
    os.environ.pop("FEA_MESH_CACHE", None)


def _study(group: str, shells=SHELLS, method: str = "amg"):
    data = tomllib.loads(TINY.read_text())
    data["study"]["name"] = f"group_{group}"
    data["loads"].pop("power_W")  # warpage alone: the mechanics is what is shared
    data["outputs"]["metrics"] = ["warpage_um", "von_mises_max"]
    data["solver"].update(method=method, rtol=1e-10)
    data["sweep"] = {
        "kind": "grid",
        "parameters": {"materials.shell": list(shells)},
        "group": group,
    }
    return parse_study(data, str(TINY))


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path / "table.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _numbers(rows) -> dict[tuple[str, str], float]:
    out = {}
    for r in rows:
        for k, v in r.items():
            if k in ("wall_s", "total_s") or "solve_s" in k or k.startswith("solver_reused"):
                continue
            try:
                out[(r["case"], k)] = float(v)
            except (TypeError, ValueError):
                pass
    return out


def test_group_key_is_checked():
    data = tomllib.loads(TINY.read_text())
    data["sweep"]["group"] = "yes"
    with pytest.raises(InputError) as err:
        parse_study(data, str(TINY))
    assert "sweep.group" in str(err.value)


def test_cases_group_by_what_changes_the_mesh():
    spec = _study("auto")
    cases = [
        ("c0", {"materials.shell": "copper", "geometry.shell_thickness_um": 35.0}),
        ("c1", {"materials.shell": "nickel", "geometry.shell_thickness_um": 35.0}),
        ("c2", {"materials.shell": "copper", "geometry.shell_thickness_um": 50.0}),
        ("c3", {"loads.warpage_temperatures_C": [100.0], "geometry.shell_thickness_um": 50.0}),
    ]
    assert group_cases(spec.sweep, cases) == [[0, 1], [2, 3]]
    assert group_cases(_study("off").sweep, cases) == [[0], [1], [2], [3]]


@pytest.fixture(
    scope="module", params=[pytest.param("amg", marks=pytest.mark.slow), "direct"]
)
def grouped_and_alone(cache_dir, tmp_path_factory, request):
    """The three-shell sweep run alone and grouped, by AMG-PCG or by the direct solver
    (grouped: PCG on the first case's kept factorisation, to the same rtol). The AMG runs
    are slow (six AMG-PCG studies to rtol 1e-10: 289 s against the direct solver's 39 s in
    one loaded default-suite run); the kept hierarchy's reuse and its cap are also
    checked in tests/solvers/test_block_pcg.py."""
    out = {"method": request.param}
    for group in ("off", "auto"):
        folder = tmp_path_factory.mktemp(f"{request.param}_{group}")
        spec = _study(group, method=request.param)
        report = run_study(spec, out=folder, workers=1, progress=False)
        assert report.done == len(SHELLS) and report.failed == 0
        out[group] = folder
    return out


def test_grouped_table_equals_the_ungrouped(grouped_and_alone):
    alone, grouped = (_rows(grouped_and_alone[g]) for g in ("off", "auto"))
    na, ng = _numbers(alone), _numbers(grouped)
    assert na.keys() - {k for k in na if k[1] == "solve_group"} <= ng.keys()
    assert any("warpage" in k[1] for k in na)
    for k, v in na.items():
        assert ng[k] == pytest.approx(v, rel=REL, abs=1e-12), k
    # the shells differ: the table is not the same case three times
    warp = [float(r["warpage_um@25C"]) for r in grouped]
    assert len(set(warp)) == len(SHELLS)


def test_group_record(grouped_and_alone):
    grouped = _rows(grouped_and_alone["auto"])
    assert [r["solve_group"] for r in grouped] == ["case0000"] * len(SHELLS)
    # the first case built the setup; the later ones ran on its AMG hierarchy, or by PCG
    # on its factorisation (the shell's modulus x 1.7 and x 0.94: within the cap)
    assert [r["solver_reused"] for r in grouped] == ["0/1", "1/1", "1/1"]
    alone = _rows(grouped_and_alone["off"])
    assert all("solve_group" not in r or not r["solve_group"] for r in alone)
    m = json.loads((grouped_and_alone["auto"] / "case0002" / "metrics.json").read_text())
    assert m["solve_group"] == "case0000" and m["status"] == "ok"


FAULT = """
import os
if os.environ.get("FEA_TEST_GROUP_FAULT"):
    import importlib
    import signal

    from fea.errors import SolverError

    _analyse = importlib.import_module("fea.package.analyse")  # the module, not the function
    _solve = _analyse.solve_thermoelastic

    def _faulty(mesh, materials, *a, **kw):
        if any(getattr(m, "name", "") == "nickel" for m in materials.values()):
            if os.environ["FEA_TEST_GROUP_FAULT"] == "segv":
                os.kill(os.getpid(), signal.SIGSEGV)
            raise SolverError("injected failure of the nickel case")
        return _solve(mesh, materials, *a, **kw)

    _analyse.solve_thermoelastic = _faulty
"""


@pytest.mark.parametrize("fault", ["error", "segv"])
def test_a_failing_case_loses_no_other(cache_dir, tmp_path, monkeypatch, fault):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(FAULT)
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", str(site) + (os.pathsep + path if path else ""))
    monkeypatch.setenv("FEA_TEST_GROUP_FAULT", fault)
    out = tmp_path / "out"
    report = run_study(_study("auto", method="direct"), out=out, workers=1, progress=False)
    assert (report.done, report.failed) == (2, 1)
    rows = {r["case"]: r for r in _rows(out)}
    assert rows["case0001"]["status"] == "failed"
    assert ("injected" if fault == "error" else "signal 11") in rows["case0001"]["error"]
    assert (out / "case0001" / "error.json").exists()
    for cid in ("case0000", "case0002"):
        assert rows[cid]["status"] == "ok"
        assert (out / cid / "metrics.json").exists()
    # a run again (the fault gone) redoes only the failed case, and finds the rest done
    monkeypatch.delenv("FEA_TEST_GROUP_FAULT")
    again = run_study(_study("auto", method="direct"), out=out, workers=1, progress=False)
    assert (again.done, again.skipped, again.failed) == (1, 2, 0)


@pytest.mark.parametrize("keep", [True, False])
def test_the_context_tells_a_kept_direct_solver_to_keep_its_factor(keep):
    """A group's context marks the direct solver an earlier case left (keep_factor): the
    next case's matrix is then solved by PCG on the kept factor ("reused"), or refactorised
    with keep_factor=False ("rebuilt"); both equal SciPy's solve of the new matrix."""
    n = 200
    lap = sp.diags([-np.ones(n - 1), 2.0 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    A0 = sp.csr_matrix(lap + 0.1 * sp.eye(n))
    A1 = sp.csr_matrix(1.2 * lap + 0.1 * sp.eye(n))
    b = np.linspace(1.0, 2.0, n)
    with SolverContext("g", keep_factor=keep) as context:
        cache, kept = context.solver_cache("25C")
        assert not kept
        solvers = cache["solvers"] = SolverCache()  # as solve_thermoelastic leaves it
        held, _ = solvers.get("k", 0, A0, backend="cpu", method="direct", rtol=1e-10)
        assert held.prepared.keep_factor is False  # a solver alone refactorises
        again, kept = context.solver_cache("25C")  # the next case
        assert kept and again is cache and held.prepared.keep_factor is keep
        held, same = solvers.get("k", 1, A1, backend="cpu", method="direct", rtol=1e-10)
        assert not same
        x, info = held.prepared.solve(b)
    assert info.extra["setup"] == ("reused" if keep else "rebuilt")
    assert (info.iterations > 1) is keep
    exact = spla.spsolve(A1.tocsc(), b)
    assert np.linalg.norm(x - exact) <= 1e-8 * np.linalg.norm(exact)
