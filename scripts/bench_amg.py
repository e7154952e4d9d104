"""CPU AMG against itself on 1 and 2 threads and against pyamg and Pardiso, on the package's
elasticity at several sizes: setup, PCG, iterations, peak memory, against the estimates of
:mod:`fea.solvers.cost`.

For each ``BALLS:SIZE`` (the baseline unit without board, as ``scripts/bench_crossover.py``
meshes it) the system that ``solve_thermoelastic`` solves is captured once into
``--cache`` (an ``.npz``, reused by later runs). Then every run is a child process started
with ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` set (threads are fixed when MKL loads),
which loads the system, resets its peak resident memory (``/proc/self/clear_refs``) and
solves it once:

- ``amg-xp``: the array-generic smoothed aggregation (:mod:`fea.solvers.amg`) with the
  energy-minimising prolongator and the V-cycle's products in MKL, ``method="amg-xp"``;
- ``amg``: pyamg, evolution strength, energy-minimising prolongation, ``method="amg"``;
- ``direct``: Pardiso (analysis, factorisation, one back-substitution).

Each row gives wall and process-CPU seconds (the machine may be shared: CPU seconds are the
steadier figure), the load average at the run's start, the peak RSS beyond the loaded
system, and the estimate of :mod:`fea.solvers.cost` for the method. AMG runs to ``--rtol``
(1e-8) and its answer is compared with the direct one where that ran. The threads of a run
also set ``NUMBA_NUM_THREADS`` (the setup's compiled kernels, :mod:`fea.solvers.kernels`).

``--runs profile:T`` profiles the ``amg-xp`` setup instead (CPU seconds per phase, all
threads, by cProfile on the process's CPU clock, Numba imported before; no PCG);
``--runs setup:T`` times the setup alone (wall, CPU seconds as user and system time, peak
RSS), without a profiler.

``--against DIR`` runs every configuration with the ``fea`` of another source tree too,
before this tree's, ``--repeat`` times in turn (the two trees and the thread counts
alternate, so a change of the machine's load hits both alike).

Usage: python scripts/bench_amg.py [6:1.2 12:0.8] [--runs amg-xp:1 amg-xp:2 amg:1 direct:2
       setup:1 profile:1]
       [--cache /tmp/fea_bench] [--json out.json] [--against /path/to/main] [--repeat 2]
       python scripts/bench_amg.py --table out.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _load(path: Path):
    import scipy.sparse as sp

    f = np.load(path)
    n = int(f["n"])
    A = sp.csr_matrix((f["data"], f["indices"], f["indptr"]), shape=(n, n))
    return A, f["b"], f["nn"]


def capture(spec: str, cache: Path) -> Path:
    """The system of ``spec`` (``BALLS:SIZE``) as an ``.npz`` in ``cache`` (made once)."""
    out = cache / f"system_{spec.replace(':', '_')}.npz"
    if not out.exists():
        from bench_crossover import capture_system

        balls, size = spec.split(":")
        s = capture_system(int(balls), float(size))
        A = s["A"]
        np.savez(
            out,
            data=A.data,
            indices=A.indices,
            indptr=A.indptr,
            n=A.shape[0],
            b=s["b"],
            nn=s["near_null"],
        )
    return out


def child(path: Path, method: str, rtol: float, x_path: Path) -> dict:
    """One solve in this process; the figures as a dict."""
    from fea.solvers import solve
    from fea.solvers.cost import amg_estimate

    A, b, nn = _load(path)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)  # freed heap back: the growth is the solve's
    except (OSError, AttributeError):
        pass
    try:
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    except OSError:
        pass
    start = _rss_kb("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    import fea

    out: dict = {
        "n": A.shape[0],
        "nnz": int(A.nnz),
        "load": os.getloadavg()[0],
        "tree": str(Path(fea.__file__).resolve().parents[1]),
    }
    if method == "direct":
        from fea.solvers.base import Options
        from fea.solvers.cpu import DirectSolver, PardisoAnalysis

        an = PardisoAnalysis(A)
        t1 = time.perf_counter()
        out.update(peak_estimate=an.peak_bytes, mflops=an.mflops, factor_nnz=an.factor_nnz)
        s = DirectSolver(A, Options(kind="elasticity"), an)
        t2 = time.perf_counter()
        x, f = s.solve(b)
        s.close()
        out.update(analysis_s=t1 - t0, setup_s=t2 - t0, pcg_s=time.perf_counter() - t2)
        out.update(iterations=1, residual=f["residual"])
        np.save(x_path, x)
    else:
        x, info = solve(
            A, b, kind="elasticity", backend="cpu", method=method, near_null=nn, rtol=rtol
        )
        st = info.extra["solve_stages"]
        est = amg_estimate(A.shape[0], A.nnz, "elasticity", method=method)
        out.update(
            setup_s=st["setup_s"],
            pcg_s=st["pcg_s"],
            iterations=info.iterations,
            residual=info.residual,
            levels=info.extra.get("levels"),
            operator_complexity=info.extra.get("operator_complexity"),
            peak_estimate=est.memory,
            seconds_estimate=est.seconds,
            stages=info.extra.get("setup_stages_s"),
        )
        if x_path.exists():
            ref = np.load(x_path)
            out["diff_vs_direct"] = float(np.abs(x - ref).max() / np.abs(ref).max())
    out.update(
        wall_s=time.perf_counter() - t0,
        cpu_s=time.process_time() - c0,
        peak_rss_bytes=1024.0 * (_rss_kb("VmHWM") - start),
    )
    return out


#: The setup's phases in the profile: (name, functions whose cumulative CPU seconds it
#: sums). ``energy products``: the masked products and projections of the energy
#: minimisation (pyamg's routine and the array projection, or the fused kernel);
#: ``energy pattern``: the rest of the energy minimisation (its pattern, the per-node
#: projections, the CG's vector operations); ``block diagonal``: each level's node-block
#: diagonal and its inverse; ``lanczos``: the rest of a level's set-up (the spectral
#: estimate).
PHASES = (
    ("strength", ("decoupled_dofs", "strength_graph")),
    ("aggregation", ("aggregate",)),
    ("tentative", ("tentative",)),
    ("block diagonal", ("block_diagonal",)),
    ("level", ("_level",)),
    ("energy products", ("incomplete_mat_mult_bsr", "project", "masked_product_projected")),
    ("energy", ("energy_prolongator",)),
    ("coarse", ("_dense_inverse",)),
)


def _setup_kwargs(nn) -> dict:
    """``build_hierarchy``'s arguments as ``method="amg-xp"`` passes them for elasticity."""
    from fea.solvers import cpu

    kw = dict(near_null=nn, block=3, prolongator="energy")
    kw["energy_iterations"] = cpu.ENERGY_ITERATIONS
    if hasattr(cpu, "galerkin_product"):
        kw["galerkin"] = cpu.galerkin_product
    return kw


def setup_child(path: Path) -> dict:
    """The ``amg-xp`` setup alone, in this process: wall and CPU seconds (user and
    system: the first touch of fresh memory is system time), peak RSS beyond the loaded
    system; Numba's import included, as in a solve."""
    import resource

    from fea.solvers import amg

    A, b, nn = _load(path)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    start = _rss_kb("VmRSS")
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0, c0 = time.perf_counter(), time.process_time()
    h = amg.build_hierarchy(A, **_setup_kwargs(nn))
    wall, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    import fea

    return {
        "n": A.shape[0],
        "tree": str(Path(fea.__file__).resolve().parents[1]),
        "load": os.getloadavg()[0],
        "setup_wall_s": wall,
        "setup_cpu_s": cpu_s,
        "user_s": r1.ru_utime - r0.ru_utime,
        "system_s": r1.ru_stime - r0.ru_stime,
        "sizes": h.facts["sizes"],
        "stages_wall_s": h.facts["setup_stages_s"],
        "peak_rss_bytes": 1024.0 * (_rss_kb("VmHWM") - start),
    }


def profile_child(path: Path) -> dict:
    """CPU seconds per phase of the ``amg-xp`` setup (``PHASES``; ``galerkin``: the rest),
    cProfile with the process's CPU clock (all threads), in this process. Numba is imported
    before (``numba_import_cpu_s``, not in the setup): under the profiler its import would
    cost several times its 0.2-0.3 s, in whichever phase first calls a kernel."""
    import cProfile
    import pstats

    from fea.solvers import amg, kernels

    A, b, nn = _load(path)
    c0 = time.process_time()
    kernels.available()
    numba_s = time.process_time() - c0
    kw = _setup_kwargs(nn)
    pr = cProfile.Profile(time.process_time)
    t0, c0 = time.perf_counter(), time.process_time()
    pr.enable()
    h = amg.build_hierarchy(A, **kw)
    pr.disable()
    wall, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    stats = pstats.Stats(pr).stats
    cum: dict[str, float] = {}
    for (file, _, name), (_, _, _, ct, _) in stats.items():
        key = name.split(" ")[-1].strip("<>'").split(".")[-1]
        if file.endswith("kernels.py") and hasattr(amg, key):
            continue  # a kernel's wrapper inside amg's function of that name: counted there
        cum[key] = cum.get(key, 0.0) + ct
    out = {name: sum(cum.get(f, 0.0) for f in funcs) for name, funcs in PHASES}
    out["energy pattern"] = out.pop("energy") - out["energy products"]
    out["lanczos"] = out.pop("level") - out["block diagonal"]
    out["galerkin"] = cpu_s - sum(out.values())
    import fea

    return {
        "n": A.shape[0],
        "tree": str(Path(fea.__file__).resolve().parents[1]),
        "load": os.getloadavg()[0],
        "setup_wall_s": wall,
        "setup_cpu_s": cpu_s,
        "sizes": h.facts["sizes"],
        "numba_import_cpu_s": numba_s,
        "phases_cpu_s": out,
    }


def run(
    specs: list[str],
    runs: list[str],
    rtol: float,
    cache: Path,
    json_path: Path,
    against: Path | None = None,
    repeat: int = 1,
) -> list:
    cache.mkdir(parents=True, exist_ok=True)
    rows = json.loads(json_path.read_text()) if json_path.exists() else []
    here = Path(__file__).resolve().parents[1]
    trees = [here] if against is None else [Path(against).resolve(), here]
    for spec in specs:
        path = capture(spec, cache)
        x_path = cache / f"x_{spec.replace(':', '_')}.npy"
        x_path.unlink(missing_ok=True)
        for _ in range(repeat):
            for r in runs:
                method, threads = r.split(":")
                if method in ("profile", "setup"):
                    cmd = [sys.executable, __file__, f"--{method}-child", str(path)]
                for tree in trees:
                    env = dict(
                        os.environ,
                        OMP_NUM_THREADS=threads,
                        MKL_NUM_THREADS=threads,
                        NUMBA_NUM_THREADS=threads,
                        PYTHONPATH=os.pathsep.join(
                            [str(tree), *filter(None, [os.environ.get("PYTHONPATH")])]
                        ),
                    )
                    if method not in ("profile", "setup"):
                        cmd = [sys.executable, __file__, "--child", str(path), method, str(rtol)]
                        cmd.append(str(x_path))
                    p = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
                    if p.returncode:
                        print(f"{spec} {r} {tree}: failed\n{p.stderr[-2000:]}", flush=True)
                        continue
                    row = {"spec": spec, "method": method, "threads": int(threads)}
                    row.update(json.loads(p.stdout.strip().splitlines()[-1]))
                    print(json.dumps(row), flush=True)
                    rows.append(row)
                    json_path.write_text(json.dumps(rows, indent=1))
        x_path.unlink(missing_ok=True)
    return rows


def table(rows: list[dict]) -> None:
    prof = [r for r in rows if r["method"] == "profile"]
    setup = [r for r in rows if r["method"] == "setup"]
    rows = [r for r in rows if r["method"] not in ("profile", "setup")]
    if setup:
        print("| DOF | tree | threads | load | setup wall | setup CPU | user | system | peak RSS |")
        print("|---" * 9 + "|")
        for r in setup:
            print(
                f"| {r['n']:,} | {Path(r['tree']).name} | {r['threads']} | {r['load']:.1f} "
                f"| {r['setup_wall_s']:.2f} s | {r['setup_cpu_s']:.2f} s | {r['user_s']:.2f} s "
                f"| {r['system_s']:.2f} s | {r['peak_rss_bytes'] / 1e9:.2f} GB |"
            )
    if prof:
        names = list(prof[0]["phases_cpu_s"])
        print("| DOF | tree | threads | load | " + " | ".join(names) + " | setup CPU | wall |")
        print("|---" * (len(names) + 6) + "|")
        for r in prof:
            ph = " | ".join(f"{r['phases_cpu_s'][k]:.2f}" for k in names)
            print(
                f"| {r['n']:,} | {Path(r['tree']).name} | {r['threads']} | {r['load']:.1f} "
                f"| {ph} | {r['setup_cpu_s']:.2f} s | {r['setup_wall_s']:.2f} s |"
            )
    if not rows:
        return
    print(
        "| DOF | tree | method | threads | load | setup | PCG (it) | wall | CPU "
        "| peak RSS / est. | vs direct |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        diff = f"{r['diff_vs_direct']:.1e}" if "diff_vs_direct" in r else ""
        print(
            f"| {r['n']:,} | {Path(r.get('tree', '')).name} | {r['method']} | {r['threads']} "
            f"| {r.get('load', float('nan')):.1f} | {r['setup_s']:.1f} s "
            f"| {r['pcg_s']:.1f} s ({r['iterations']}) | {r['wall_s']:.1f} s "
            f"| {r['cpu_s']:.1f} s | {r['peak_rss_bytes'] / 1e9:.2f} / "
            f"{r['peak_estimate'] / 1e9:.2f} GB | {diff} |"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--profile-child":
        print(json.dumps(profile_child(Path(sys.argv[2]))))
        sys.exit(0)
    if len(sys.argv) > 1 and sys.argv[1] == "--setup-child":
        print(json.dumps(setup_child(Path(sys.argv[2]))))
        sys.exit(0)
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, path, method, rtol, x_path = sys.argv
        print(json.dumps(child(Path(path), method, float(rtol), Path(x_path))))
        sys.exit(0)
    p = argparse.ArgumentParser()
    p.add_argument("specs", nargs="*", default=["6:1.2", "12:0.8"])
    p.add_argument("--runs", nargs="+", default=["direct:2", "amg-xp:1", "amg-xp:2", "amg:1"])
    p.add_argument("--rtol", type=float, default=1e-8)
    p.add_argument("--cache", type=Path, default=Path("/tmp/fea_bench"))
    p.add_argument("--json", type=Path, default=Path("bench_amg.json"))
    p.add_argument("--table", type=Path, default=None)
    p.add_argument("--against", type=Path, default=None, help="another source tree, run too")
    p.add_argument("--repeat", type=int, default=1)
    a = p.parse_args()
    if a.table is not None:
        table(json.loads(a.table.read_text()))
    else:
        table(run(a.specs, a.runs, a.rtol, a.cache, a.json, a.against, a.repeat))
