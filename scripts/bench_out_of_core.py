"""In-core against out-of-core Pardiso on one system, each in its own child process:
wall time of factorisation and solve, the child's peak RSS, the answers' difference.

    PYTHONPATH=. python scripts/bench_out_of_core.py WIDTH_MM [CORE_MB]

The system: the clamped two-layer P2 plate of ``tests/solvers/systems.py`` (``WIDTH_MM``
wide, 3/4 of it deep; 12 mm: about 350k DOF). ``CORE_MB``: MKL_PARDISO_OOC_MAX_CORE_SIZE
of the out-of-core run (default: fea's, half the free memory)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.sparse as sp


def child(path: str, ooc: str) -> None:
    from fea.solvers import solve

    d = np.load(path)
    A = sp.csr_matrix((d["data"], d["indices"], d["indptr"]), shape=tuple(d["shape"]))
    b = d["b"]
    t0 = time.perf_counter()
    x, info = solve(A, b, method="direct", out_of_core=ooc == "1")
    dt = time.perf_counter() - t0
    np.save(path + f".x{ooc}.npy", x)
    # VmHWM, this process's own peak: ru_maxrss keeps the parent's high-water mark across
    # exec (the parent assembled the plate), so it read the parent's peak where larger
    hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
    kb = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss = kb / 1e6  # kB -> GB
    print(f"ooc={ooc} {dt:.1f} s, peak RSS {rss:.2f} GB, {info.extra.get('ooc', '')}")


def main() -> None:
    from tests.solvers.systems import clamped_plate

    width = float(sys.argv[1]) * 1e-3
    t0 = time.perf_counter()
    A, b, _ = clamped_plate(width)
    A = sp.csr_matrix(A)
    print(f"{A.shape[0]:,} DOF, {A.nnz:,} entries, built in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sys.npz")
        np.savez(path, data=A.data, indices=A.indices, indptr=A.indptr, shape=A.shape, b=b)
        for ooc in ("0", "1"):
            subprocess.run([sys.executable, __file__, "--child", path, ooc], check=True)
        x0, x1 = np.load(path + ".x0.npy"), np.load(path + ".x1.npy")
        rel = np.linalg.norm(x1 - x0) / np.linalg.norm(x0)
        print(f"relative difference {rel:.2e}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        if len(sys.argv) > 4:
            os.environ["MKL_PARDISO_OOC_MAX_CORE_SIZE"] = sys.argv[4]
        child(sys.argv[2], sys.argv[3])
    else:
        if len(sys.argv) > 2:
            os.environ["MKL_PARDISO_OOC_MAX_CORE_SIZE"] = sys.argv[2]
        main()
