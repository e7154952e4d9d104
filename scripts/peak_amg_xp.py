"""Peak resident memory a ``method="amg-xp"`` (or ``"amg"``) solve adds, as
``tests/solvers/test_cost.py`` measures it, on the systems ``scripts/bench_amg.py`` caches.

Each system runs in its own child process (one at a time), with ``OMP_NUM_THREADS``,
``MKL_NUM_THREADS`` and ``NUMBA_NUM_THREADS`` set to ``--threads``: the child loads the
system, solves a small clamped plate with the same method first (the libraries, Numba and
its compiled kernels: loaded once a process), gives the freed heap back
(``malloc_trim``), resets its peak (``/proc/self/clear_refs``), solves the system to
``--rtol`` and reports ``VmHWM`` minus the resident memory at the reset, against the
estimate of :func:`fea.solvers.cost.amg_estimate` and in bytes per matrix entry.
``--cold`` leaves the warm-up out (as ``scripts/bench_amg.py`` measures: the peak then
includes Numba's import and its kernels).

Usage: python scripts/peak_amg_xp.py /tmp/fea_bench/system_6_1.2.npz [...]
       [--method amg-xp] [--threads 1] [--rtol 1e-8] [--json out.json] [--cold]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np


def _rss(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return 1024 * int(line.split()[1])
    return 0


def _plate(width: float = 1.2e-3):
    """The test's clamped two-layer P2 plate (``width`` x 3/4 of it): K, a load, the
    rigid-body modes (the warm-up system of the test)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.solvers.systems import clamped_plate

    return clamped_plate(width)


def child(path: Path, method: str, rtol: float, warm: bool = True) -> dict:
    """One measured solve in this process; the figures as a dict."""
    import ctypes

    import scipy.sparse as sp

    from fea.solvers import solve
    from fea.solvers.cost import amg_estimate

    f = np.load(path)
    n = int(f["n"])
    A = sp.csr_matrix((f["data"], f["indices"], f["indptr"]), shape=(n, n))
    b, nn = f["b"], f["nn"]
    del f
    if warm:
        a, fa, ra = _plate()
        solve(a, fa, kind="elasticity", backend="cpu", method=method, near_null=ra, rtol=rtol)
        del a, fa, ra
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    start = _rss("VmRSS")
    x, info = solve(A, b, kind="elasticity", backend="cpu", method=method, near_null=nn, rtol=rtol)
    peak = _rss("VmHWM") - start
    est = amg_estimate(n, A.nnz, "elasticity", method=method).memory
    return {
        "system": path.name,
        "n": n,
        "nnz": int(A.nnz),
        "iterations": info.iterations,
        "peak_bytes": float(peak),
        "estimate_bytes": est,
        "bytes_per_entry": peak / A.nnz,
        "ratio": est / peak,
        "load": os.getloadavg()[0],
        "warm": warm,
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("systems", nargs="+", type=Path)
    p.add_argument("--method", default="amg-xp")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rtol", type=float, default=1e-8)
    p.add_argument("--json", type=Path)
    p.add_argument("--cold", action="store_true", help="no warm-up solve before the reset")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.systems[0], args.method, args.rtol, not args.cold)))
        return
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = str(args.threads)
    rows = []
    for path in args.systems:
        cmd = [sys.executable, __file__, str(path), "--child", "--method", args.method]
        cmd += ["--cold"] if args.cold else []
        out = subprocess.run(
            [*cmd, "--rtol", str(args.rtol)], env=env, capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["threads"] = args.threads
        rows.append(r)
        print(
            f"{r['n']:>9,d} DOF  {r['nnz'] / 1e6:6.1f} M entries"
            f"  peak {r['peak_bytes'] / 1e9:.3f} GB"
            f"  ({r['bytes_per_entry']:.1f} B/entry)  est. {r['estimate_bytes'] / 1e9:.3f} GB"
            f"  ({100 * (r['ratio'] - 1):+.0f} %)  it {r['iterations']}  load {r['load']:.1f}",
            flush=True,
        )
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
