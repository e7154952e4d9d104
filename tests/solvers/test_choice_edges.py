"""The edges of the solver choice as a study meets them: the ``[solver]`` keys reaching the
solves they name, ``auto`` under too little free memory, and the near-null spaces of the
conduction and elasticity AMG with symmetry planes eliminated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import fea
import fea.package.meshing as meshing
from fea.errors import InputError, SolverError
from fea.fe.constraints import rigid_body_modes
from fea.package.analyse import thermal_analysis, warpage_metrics
from fea.package.spec import parse_study
from fea.physics import materials
from fea.physics.mechanics import solve_thermoelastic
from fea.physics.thermal import solve_thermal
from fea.solvers import cost, cpu, registry, solve
from fea.solvers.cpu import pardiso_available

from ..verification.helpers import layered_box
from .systems import clamped_plate

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_study.toml"


def _tiny(**solver):
    raw = tomllib.loads(TINY.read_text())
    raw.pop("sweep")
    raw["solver"].update(solver)
    raw.setdefault("theta_jc", {})["method"] = "fixed_case"
    return parse_study(raw).base


@pytest.mark.parametrize(
    "analysis", [thermal_analysis, pytest.param(warpage_metrics, marks=pytest.mark.slow)]
)
def test_solver_maxiter_of_a_study_reaches_its_solves(analysis):
    """``[solver] maxiter`` was read, checked and documented ("iteration limit of iterative
    solvers") but never given to a solve: every AMG-PCG ran with the default 2000, so a
    study's limit did nothing. One iteration to rtol 1e-10 cannot converge: the study's
    solve must stop there and say so."""
    case = _tiny(method="amg", maxiter=1, rtol=1e-10)
    with pytest.raises(SolverError, match=r"did not converge in 1 iterations \(maxiter = 1\)"):
        analysis(case)


@pytest.fixture(scope="module")
def plate():
    """A clamped two-layer P2 plate, 2 x 1.5 mm: K, a load, the rigid-body modes."""
    return clamped_plate(2e-3)


@pytest.mark.skipif(not pardiso_available(), reason="MKL Pardiso not installed")
@pytest.mark.parametrize("free", [1e6, 20e6])
def test_auto_with_too_little_free_memory_says_what_it_needs_and_what_is_free(
    monkeypatch, plate, free
):
    """Free memory below both estimates: ``auto`` went on with the smaller method (here
    AMG-PCG) whatever it needed, to be killed by the system where memory really is that
    short; the contract is a fallback that fits or a clear error. Now a SolverError before
    any setup, naming both estimates, what is free and what to change."""
    A, b, R = plate
    monkeypatch.setattr(cost, "available_memory", lambda: free)
    amg = cost.amg_estimate(A.shape[0], A.nnz, "elasticity", method="amg-xp")
    assert amg.memory > free  # the premise: AMG does not fit either
    with pytest.raises(SolverError) as err:
        solve(A, b, kind="elasticity", backend="cpu", near_null=R)
    msg = str(err.value)
    assert f"{A.shape[0]:,} unknowns" in msg and "not enough memory" in msg
    assert f"AMG-PCG about {amg.memory / 1e9:.2g} GB" in msg
    assert f"{free / 1e9:.2g} GB free" in msg and "FEA_MEMORY_GB" in msg
    # an explicit method is the user's choice: it runs (this system is small)
    x, info = solve(A, b, kind="elasticity", backend="cpu", method="amg-xp", near_null=R)
    assert info.residual <= 1e-10


@pytest.mark.skipif(not pardiso_available(), reason="MKL Pardiso not installed")
def test_auto_picks_by_its_own_recorded_estimates(monkeypatch, plate):
    """For free memory from just above AMG's estimate to plenty, the method ``auto`` ran is
    the one its recorded estimates (``SolveInfo.extra["estimate"]``) make it pick: the
    faster of those within 80 % of the free memory, else the smaller; and the reason quotes
    the free memory it compared against."""
    A, b, R = plate
    amg = cost.amg_estimate(A.shape[0], A.nnz, "elasticity", method="amg-xp")
    for free in (1.05 * amg.memory, 2 * amg.memory / cost.MEMORY_HEADROOM, 20e9):
        monkeypatch.setattr(cost, "available_memory", lambda free=free: free)
        x, info = solve(A, b, kind="elasticity", backend="cpu", near_null=R, rtol=1e-10)
        est = info.extra["estimate"]
        assert est["available_bytes"] == free and f"{free / 1e9:.3g} GB free" in info.reason
        room = cost.MEMORY_HEADROOM * free
        d, a = est.get("direct"), est["amg"]
        fits_d = d is not None and d["bytes"] <= room
        fits_a = a["bytes"] <= room
        if fits_d and (not fits_a or d["seconds"] <= a["seconds"]):
            want = "pardiso"
        elif fits_a:
            want = "amg-xp-pcg"
        else:
            smaller_d = d is not None and d["bytes"] <= a["bytes"]
            want = "pardiso" if smaller_d else "amg-xp-pcg"
        assert info.method == want, (free, est, info.reason)
        assert info.residual <= 1e-10


_PEAK_CHILD = """
import json, resource, sys, tomllib, warnings
warnings.simplefilter("ignore")
from fea.package.analyse import thermal_analysis, warpage_case, warpage_metrics
from fea.package.meshing import build_mesh
from fea.package.spec import parse_study
raw = tomllib.loads(open(sys.argv[1]).read())
raw.pop("sweep")
raw["mesh"]["order"] = 2
raw["theta_jc"] = {"method": "fixed_case"}
case = parse_study(raw).base
if sys.argv[2] == "mechanical":
    tets = build_mesh(warpage_case(case), cache=False)[0].n_elements
    warpage_metrics(case)
else:
    tets = build_mesh(case, cache=False)[0].n_elements
    thermal_analysis(case)
# VmHWM: this process's own peak (ru_maxrss keeps the high-water mark of the process
# that spawned it across exec: a child of a 6.9 GB test run read 6.9 GB)
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
peak = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"tets": tets, "peak": peak}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("model", ["mechanical", "thermal"])
def test_the_size_guards_memory_model_is_within_30_percent_of_the_peak(model):
    """The size guard's memory of a model, ``BASE_BYTES`` plus ``BYTES_PER_ELEMENT`` per
    tetrahedron, against the whole process's peak RSS (mesh, assembly, solve, metrics) of
    the tiny study at P2 in a child process, at the mesh's real element count (the spec's
    count is its own factor-of-2 estimate). It was 1 GB + 26 kB (mechanical), + 14 kB
    (thermal): 1.63 GB against 1.08 GB measured for the 24k-tetrahedron warpage model
    (+51 %), 1.44 GB against 0.68 GB for the 31k-tetrahedron board model (+113 %); now
    1.06 and 0.66 GB (docs/performance.md, "Memory estimates")."""
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_CHILD, str(TINY), model],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(fea.__file__).resolve().parents[1])},
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    peak = got["peak"] * 1024.0  # VmHWM (or ru_maxrss) in KiB on Linux
    guard = meshing.BASE_BYTES + meshing.BYTES_PER_ELEMENT[(model, 2)] * got["tets"]
    assert abs(guard / peak - 1.0) <= 0.3, (model, got["tets"], guard / 1e9, peak / 1e9)


@pytest.fixture(scope="module")
def quarter():
    """A quarter of a two-layer P2 plate (copper on mould compound), its symmetry planes
    x = 0 and y = 0 named."""
    faces = {"xmin": lambda b: b[3] < 1e-9, "ymin": lambda b: b[4] < 1e-9}
    mesh = layered_box(
        (2e-3, 2e-3), [("a", 0.3e-3, 2), ("b", 0.2e-3, 1)], 0.25e-3, order=2, faces=faces
    )
    return mesh, {"a": materials.get("copper"), "b": materials.get("mold_compound")}


def test_a_quarter_model_with_eliminated_symmetry_planes_solves_alike_by_amg(monkeypatch, quarter):
    """Symmetry planes held by eliminated DOFs (identity rows and columns) and the rest of
    the rigid motions by 3-2-1 supports: both AMG-PCGs give the direct answer to their
    tolerance, and the elasticity hierarchy is built on the six rigid-body modes of the
    nodes (3 x 3 blocks), the conduction one on none (pyamg's constant)."""
    mesh, mats = quarter
    seen = []
    real = cpu.amg_setup

    def spy(A, *, near_null=None, block=1):
        seen.append((A.shape[0], None if near_null is None else near_null.copy(), block))
        return real(A, near_null=near_null, block=block)

    monkeypatch.setattr(cpu, "amg_setup", spy)
    fixed = {"xmin": {"x": 0.0}, "ymin": {"y": 0.0}}
    out = {}
    for method in ("direct", "amg", "amg-xp"):
        me = solve_thermoelastic(
            mesh,
            mats,
            25.0,
            {"*": 175.0},
            fixed=fixed,
            backend="cpu",
            method=method,
            rtol=1e-10,
            symmetry=("x", "y"),
        )
        assert me.solver_info["residual"] <= 1e-10
        out[method] = me.displacement
    ref = np.abs(out["direct"]).max()
    for method in ("amg", "amg-xp"):
        # rtol 1e-10 on a system of condition ~1e8: 1e-7 of the largest displacement
        assert np.abs(out[method] - out["direct"]).max() <= 1e-7 * ref, method
    ((n, B, block),) = seen
    nodes = me.nodes
    assert n == 3 * len(nodes) and block == 3 and B.shape == (n, 6)
    R = rigid_body_modes(nodes)
    # the same span: B's columns are combinations of the rigid-body modes and back
    coef, *_ = np.linalg.lstsq(R, B, rcond=None)
    assert np.abs(R @ coef - B).max() <= 1e-10 * np.abs(B).max()
    assert np.linalg.matrix_rank(B) == 6
    seen.clear()
    th = solve_thermal(
        mesh,
        mats,
        sources={"a": 0.1},
        convection={"xmin": (1e4, 25.0)},
        backend="cpu",
        method="amg",
        rtol=1e-10,
    )
    ((n, B, block),) = seen
    assert n == th.temperature.shape[0] and B is None and block == 1


@pytest.mark.parametrize("value", [0, -3, 2.5, float("nan")])
def test_a_bad_maxiter_of_the_physics_solvers_is_named(quarter, value):
    """The ``maxiter`` the thermal and elastic solvers now pass on is checked whatever the
    method (a direct solve too), naming the key."""
    mesh, mats = quarter
    with pytest.raises(InputError, match="maxiter"):
        solve_thermal(
            mesh,
            mats,
            sources={"a": 0.1},
            convection={"xmin": (1e4, 25.0)},
            backend="cpu",
            method="direct",
            maxiter=value,
        )
    with pytest.raises(InputError, match="maxiter"):
        solve_thermoelastic(mesh, mats, 25.0, 175.0, backend="cpu", method="direct", maxiter=value)


def test_a_steady_thermal_record_counts_every_picard_pass(monkeypatch, quarter):
    """Silicon's k(T) makes the steady solve a Picard iteration, each pass an AMG-PCG
    started from the last answer; the last pass (the check that it no longer changes)
    takes 0 iterations. ``solver_info`` (and the results file's ``/solver`` record) gave
    that last pass alone: 0 iterations and 0.3 ms of solve where 77 iterations and 0.29 s
    were spent. Now the totals of the passes, each pass's count beside them."""
    mesh, _ = quarter
    mats = {"a": materials.get("silicon"), "b": materials.get("mold_compound")}
    seen = []
    real = registry.Prepared.solve

    def spy(self, b, **kw):
        x, info = real(self, b, **kw)
        seen.append((info.iterations, info.seconds))
        return x, info

    monkeypatch.setattr(registry.Prepared, "solve", spy)
    th = solve_thermal(
        mesh,
        mats,
        sources={"a": 2.0},
        convection={"xmin": (1e3, 25.0)},
        backend="cpu",
        method="amg",
        rtol=1e-10,
    )
    si = th.solver_info
    assert si["picard_iterations"] == len(seen) >= 2
    assert si["iterations"] == sum(it for it, _ in seen) > 0
    assert si["pass_iterations"] == [it for it, _ in seen]
    assert si["stages"]["solve_s"] == pytest.approx(sum(s for _, s in seen))
    assert si["residual"] <= 1e-10
