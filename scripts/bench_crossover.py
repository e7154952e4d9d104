"""Where ``method="auto"`` should switch from Pardiso to AMG-PCG on the CPU: both paths on the
package's elasticity at several sizes, against the estimates of :mod:`fea.solvers.cost`.

For each ``BALLS:SIZE`` (the baseline unit without board, BALLS x BALLS balls, global and
film size SIZE mm, as ``scripts/bench_solve.py series`` meshes it) the system that
``solve_thermoelastic`` solves (25 degC after the cure, free body) is captured at its solve
call, then each path runs in a forked child whose peak resident memory is reset first
(``/proc/self/clear_refs``), so its peak is its own beyond the assembled system:

- direct: Pardiso's analysis (phase 11, what ``auto`` runs to estimate), the numerical
  factorisation taking the analysis over (phase 22), one back-substitution;
- amg: pyamg smoothed aggregation (evolution strength, energy-minimising prolongation,
  rigid-body modes) + PCG to ``--rtol`` (1e-8), as ``method="amg"``.

The raw figures go to ``--json``; the table (measured against estimated, and what ``auto``
picks with the memory available during the run) is printed from them with the constants of
:mod:`fea.solvers.cost` as they are now, so ``--table FILE`` reprints it after a
recalibration without solving again.

Usage: python scripts/bench_crossover.py [6:1.2 12:0.8 12:0.3] [--json out.json]
       python scripts/bench_crossover.py --table out.json
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


class _CapturedError(Exception):
    pass


def capture_system(balls: int, size: float) -> dict:
    """Mesh the unit and capture ``(A, b, near_null)`` at the solve of
    ``solve_thermoelastic``; also the mesh and assembly seconds."""
    from bench_solve import baseline_case

    import fea.physics.mechanics as mech
    from fea.package.meshing import build_mesh

    case = baseline_case(size, balls=balls, film=size)
    t0 = time.perf_counter()
    mesh, _ = build_mesh(case, cache=False)
    t_mesh = time.perf_counter() - t0
    got: dict = {}

    def grab(A, b, **kw):
        got.update(A=A.tocsr(), b=np.asarray(b), near_null=kw.get("near_null"))
        raise _CapturedError

    real = mech.solve
    mech.solve = grab
    t0 = time.perf_counter()
    try:
        mech.solve_thermoelastic(
            mesh, case.materials, 25.0, case.loads.reference, backend="cpu", rtol=1e-8
        )
    except _CapturedError:
        pass
    finally:
        mech.solve = real
    got.update(mesh_s=t_mesh, assembly_s=time.perf_counter() - t0)
    return got


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> int:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    except OSError:
        pass
    return _rss_kb("VmRSS")


def _direct(sys_: dict, out) -> None:
    from fea.solvers.base import Options
    from fea.solvers.cpu import DirectSolver, PardisoAnalysis

    start = _reset_peak()
    A, b = sys_["A"], sys_["b"]
    t0 = time.perf_counter()
    an = PardisoAnalysis(A)
    t1 = time.perf_counter()
    facts = {
        "peak_bytes": an.peak_bytes,
        "factor_nnz": an.factor_nnz,
        "mflops": an.mflops,
        "analysis_s": t1 - t0,
    }
    s = DirectSolver(A, Options(kind="elasticity"), an)
    t2 = time.perf_counter()
    x, f = s.solve(b)
    t3 = time.perf_counter()
    s.close()
    facts.update(
        factor_s=t2 - t1,
        solve_s=t3 - t2,
        total_s=t3 - t0,
        residual=f["residual"],
        peak_rss_bytes=1024.0 * (_rss_kb("VmHWM") - start),
    )
    np.save(sys_["x_path"], x)
    out.put(facts)


def _amg(sys_: dict, out) -> None:
    from fea.solvers import solve

    start = _reset_peak()
    t0 = time.perf_counter()
    x, info = solve(
        sys_["A"],
        sys_["b"],
        kind="elasticity",
        backend="cpu",
        method="amg",
        near_null=sys_["near_null"],
        rtol=sys_["rtol"],
    )
    total = time.perf_counter() - t0
    st = info.extra["solve_stages"]
    ref = np.load(sys_["x_path"])
    out.put(
        {
            "setup_s": st["setup_s"],
            "pcg_s": st["pcg_s"],
            "iterations": info.iterations,
            "operator_complexity": info.extra.get("operator_complexity"),
            "total_s": total,
            "residual": info.residual,
            "diff_vs_direct": float(np.abs(x - ref).max() / np.abs(ref).max()),
            "peak_rss_bytes": 1024.0 * (_rss_kb("VmHWM") - start),
        }
    )


def _in_child(func, sys_: dict) -> dict:
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=func, args=(sys_, q))
    p.start()
    res = q.get()
    p.join()
    return res


def run(specs: list[str], rtol: float, json_path: Path) -> list[dict]:
    from fea.solvers.cost import available_memory

    rows = []
    for spec in specs:
        balls, size = spec.split(":")
        sys_ = capture_system(int(balls), float(size))
        sys_.update(rtol=rtol, x_path=str(json_path.with_suffix(".x.npy")))
        A = sys_["A"]
        row = {
            "spec": spec,
            "n": A.shape[0],
            "nnz": int(A.nnz),
            "mesh_s": sys_["mesh_s"],
            "assembly_s": sys_["assembly_s"],
            "available_bytes": available_memory(),
        }
        print(f"{spec}: {row['n']:,} DOF, {row['nnz']:,} entries", flush=True)
        row["direct"] = _in_child(_direct, sys_)
        print("  direct", row["direct"], flush=True)
        row["amg"] = _in_child(_amg, sys_)
        print("  amg", row["amg"], flush=True)
        rows.append(row)
        json_path.write_text(json.dumps(rows, indent=1))
        del sys_, A
    Path(json_path.with_suffix(".x.npy")).unlink(missing_ok=True)
    return rows


def table(rows: list[dict]) -> None:
    """The crossover table: measured against estimated with the current constants."""
    from types import SimpleNamespace

    from fea.solvers.cost import amg_estimate, choose, direct_estimate

    print(
        "| DOF | entries | direct: measured (analysis + factor + solve) | direct: est. | "
        "direct peak: RSS / Pardiso | amg: measured (setup + PCG, it) | amg: est. (it) | "
        "amg peak: RSS / est. | analysis / auto's solve | auto picks |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        d, a = r["direct"], r["amg"]
        an = SimpleNamespace(
            peak_bytes=d["peak_bytes"],
            factor_nnz=d["factor_nnz"],
            mflops=d["mflops"],
            seconds=d["analysis_s"],
        )
        de, ae = direct_estimate(an), amg_estimate(r["n"], r["nnz"], "elasticity")
        ch = choose(de, ae, r["available_bytes"])
        picked = d["total_s"] if ch.method == "direct" else d["analysis_s"] + a["total_s"]
        print(
            f"| {r['n']:,} | {r['nnz'] / 1e6:.1f} M "
            f"| {d['total_s']:.1f} s ({d['analysis_s']:.1f} + {d['factor_s']:.1f} + "
            f"{d['solve_s']:.2f}) | {d['analysis_s'] + de.seconds:.1f} s "
            f"| {d['peak_rss_bytes'] / 1e9:.2f} / {d['peak_bytes'] / 1e9:.2f} GB "
            f"| {a['total_s']:.1f} s ({a['setup_s']:.1f} + {a['pcg_s']:.1f}, {a['iterations']}) "
            f"| {ae.seconds:.1f} s ({ae.facts['iterations']:.0f}) "
            f"| {a['peak_rss_bytes'] / 1e9:.2f} / {ae.memory / 1e9:.2f} GB "
            f"| {d['analysis_s'] / picked:.1%} | {ch.method} |"
        )


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("specs", nargs="*", default=["6:1.2", "12:0.8", "12:0.3"])
    p.add_argument("--rtol", type=float, default=1e-8)
    p.add_argument("--json", type=Path, default=Path("bench_crossover.json"))
    p.add_argument("--table", type=Path, default=None)
    a = p.parse_args()
    if a.table is not None:
        table(json.loads(a.table.read_text()))
    else:
        table(run(a.specs, a.rtol, a.json))
