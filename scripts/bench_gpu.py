"""GPU benchmark: copy bandwidth, then P2 elasticity of the baseline package at growing sizes.

Run on a machine with a CUDA device (one command):

    python scripts/bench_gpu.py [size_mm ...]      (default 0.6 0.35 0.25 0.18 0.15)

Prints, per size: DOF; device assembly time (element kernels + scatter to a cupyx CSR,
no host round trip) against the host assembly; AMG hierarchy setup (CPU, moved level by
level); PCG iterations, time per iteration and the bandwidth bound of one iteration
(bytes moved / measured device bandwidth, as a fraction achieved); total GPU solve;
the CPU backend on the same system (AMG-PCG, same tolerance) and the speed-up.
Exits with a message, not a traceback, where no device works.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def bandwidth_gbs(cupy, n_bytes: int = 1 << 30) -> tuple[float, float, float]:
    """Host->device, device->host and device->device copy bandwidth [GB/s]."""
    h = np.ones(n_bytes // 8)
    d = cupy.empty_like(cupy.asarray(h[:1]), shape=h.shape)
    d2 = cupy.empty_like(d)
    out = []
    for f in (lambda: d.set(h), lambda: d.get(out=h), lambda: d2.__setitem__(slice(None), d)):
        f()
        cupy.cuda.runtime.deviceSynchronize()
        t0 = time.perf_counter()
        for _ in range(5):
            f()
        cupy.cuda.runtime.deviceSynchronize()
        dt = (time.perf_counter() - t0) / 5
        out.append(n_bytes / dt / 1e9)
    out[2] *= 2  # a device copy reads and writes every byte
    return out[0], out[1], out[2]


def pcg_bytes(A, levels_bytes: int) -> int:
    """Bytes one PCG iteration moves: SpMV (values, indices, x, y), ~6 vector updates and
    dot products, and one V-cycle (about 2 + 4 smoother SpMVs per level, in its precision)."""
    n, nnz = A.shape[0], A.nnz
    spmv = nnz * (8 + 4) + 2 * n * 8
    vectors = 10 * n * 8
    return spmv + vectors + levels_bytes


def main(sizes: list[float]) -> int:
    from fea.solvers import probe_device

    status = probe_device()
    if not status.usable:
        print(f"no usable GPU: {status.reason}")
        return 1
    import cupy
    import cupyx.scipy.sparse as csp
    from bench_solve import baseline_case, rss_gb
    from fea.mechanics import _support_321, solve_thermoelastic
    from fea.mesh import build_mesh

    from fea import assembly as asm
    from fea.solvers import krylov
    from fea.solvers.cpu import amg_pcg
    from fea.solvers.gpu import amg_hierarchy

    h2d, d2h, d2d = bandwidth_gbs(cupy)
    print(
        f"device: {status.name}; bandwidth H2D {h2d:.1f} GB/s, D2H {d2h:.1f} GB/s, "
        f"device memory (copy) {d2d:.0f} GB/s"
    )
    for size in sizes:
        case = baseline_case(size)
        mesh, _ = build_mesh(case)
        fs = asm.space(mesh)
        ne = mesh.n_elements
        E = np.zeros(ne)
        nu = np.zeros(ne)
        for region, el in mesh.regions.items():
            m = case.materials.get(region, case.materials.get("*"))
            E[el], nu[el] = m.youngs(np.full(len(el), 25.0)), m.nu
        t0 = time.perf_counter()
        K_host = asm.elasticity_matrix(fs, E, nu)
        t_host = time.perf_counter() - t0
        asm.elasticity_matrix(fs, E, nu, xp=cupy)  # warm-up (kernels compile, layout cached)
        cupy.cuda.runtime.deviceSynchronize()
        t0 = time.perf_counter()
        K_dev = asm.elasticity_matrix(fs, E, nu, xp=cupy)
        cupy.cuda.runtime.deviceSynchronize()
        t_dev = time.perf_counter() - t0
        # the free-body problem with the six support DOFs removed (as solve_thermoelastic)
        me = solve_thermoelastic(
            mesh,
            case.materials,
            25.0,
            case.loads.reference,
            backend="cpu",
            method="direct" if size >= 0.35 else "amg",
        )
        f = K_host @ me.displacement.ravel()  # a consistent right-hand side of that solution
        D = _support_321(fs.nodes[: mesh.p1.p.shape[1]])
        free = np.setdiff1d(np.arange(K_host.shape[0]), D)
        A = K_host[free][:, free].tocsr()
        b = f[free]
        R = asm.rigid_body_modes(fs.nodes)[free]
        t0 = time.perf_counter()
        M, facts = amg_hierarchy(A, kind="elasticity", near_null=R, precision="mixed")
        cupy.cuda.runtime.deviceSynchronize()
        t_setup = time.perf_counter() - t0
        Ad, bd = csp.csr_matrix(A), cupy.asarray(b)
        t0 = time.perf_counter()
        res = krylov.pcg(Ad, bd, M, rtol=1e-8, xp=cupy)
        cupy.cuda.runtime.deviceSynchronize()
        t_pcg = time.perf_counter() - t0
        per_it = t_pcg / max(res.iterations, 1)
        # bytes of one V-cycle: float32 level matrices, ~6 SpMVs each
        lv = facts["cycle_bytes"]
        bound = pcg_bytes(A, lv) / (d2d * 1e9)
        t0 = time.perf_counter()
        x_cpu, info = amg_pcg(A, b, near_null=R, block=3, rtol=1e-8)
        t_cpu = time.perf_counter() - t0
        err = float(cupy.abs(res.x - cupy.asarray(x_cpu)).max() / np.abs(x_cpu).max())
        total_gpu = t_setup + t_pcg
        print(
            f"size {size:5.2f} mm: {A.shape[0]:>10,} DOF | assembly host {t_host:6.2f} s, "
            f"device {t_dev:6.3f} s | AMG setup {t_setup:6.2f} s ({facts['levels']} levels) | "
            f"PCG {res.iterations} it, {per_it * 1e3:7.2f} ms/it (bandwidth bound "
            f"{bound * 1e3:6.2f} ms: {100 * bound / per_it:4.0f} %), {t_pcg:6.2f} s | GPU total "
            f"{total_gpu:6.2f} s vs CPU AMG-PCG {t_cpu:7.2f} s ({info['iterations']} it): "
            f"{t_cpu / total_gpu:5.1f} x | max diff {err:.1e} | RSS {rss_gb():.1f} GB",
            flush=True,
        )
        del K_dev
    return 0


if __name__ == "__main__":
    raise SystemExit(main([float(a) for a in sys.argv[1:]] or [0.6, 0.35, 0.25, 0.18, 0.15]))
