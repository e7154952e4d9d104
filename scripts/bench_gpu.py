"""GPU benchmark: P2 elasticity of the baseline package on the device, stage by stage, against
the same machine's best CPU path, and the size from which ``backend="auto"`` should take the GPU.

One command (from the repository root, on a machine with a CUDA device):

    python scripts/bench_gpu.py [--sizes 0.6 0.3 0.2 0.15 0.13] [--json out.json]
                                [--budget 330] [--cpu-budget 150] [--plates 0.5 ...]

1. Copy bandwidth: host->device, device->host, device->device.
2. Crossover: two-layer plates of growing size (elasticity and conduction), each solved
   from a host matrix to a host answer by ``solve(backend="gpu")`` and by
   ``solve(backend="cpu")`` (Pardiso below its limit, else CPU AMG): the smallest size
   where the device wins, per kind (compare ``GPU_CROSSOVER_DOF`` in
   ``fea/solvers/registry.py``).
3. Per mesh size of the baseline unit (films at the global size, as the warpage analysis
   meshes them; free body, cooled from the cure to 25 degC): DOF; mesh (reported apart);
   host assembly; host->device copy of that matrix; device assembly; elimination of the six
   support DOFs on the device; AMG setup split into strength / aggregation / tentative /
   smoothing / Galerkin / coarse; PCG iterations, ms per iteration against the copy
   bandwidth bound of one iteration; peak device memory (CuPy pool); the CPU best path on
   the same system and the ratio; the answers' difference; and the steady conduction of
   the same mesh by ``solve_thermal`` on the device (k(T) Picard passes on one hierarchy)
   against the CPU.

Every number goes to ``--json``. Stops adding sizes when the next one would not fit in
``--budget`` seconds; CPU comparisons stop past ``--cpu-budget``. Where no GPU works it
says so and exits with status 2 (no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_SIZES = [0.6, 0.3, 0.2, 0.15, 0.13]  # mm: about 0.27, 0.5, 1.0, 2.2, 3 M DOF


def bandwidth_gbs(cupy, n_bytes: int = 1 << 30) -> dict[str, float]:
    """Host->device, device->host and device->device copy bandwidth [GB/s] (a device copy
    counts its read and its write)."""
    h = np.ones(n_bytes // 8)
    bufs = [cupy.empty(h.shape, dtype=h.dtype), cupy.empty(h.shape, dtype=h.dtype)]
    out = {}
    for name, f in (
        ("h2d", lambda: bufs[0].set(h)),
        ("d2h", lambda: bufs[0].get(out=h)),
        ("d2d", lambda: bufs[1].__setitem__(slice(None), bufs[0])),
    ):
        f()
        cupy.cuda.runtime.deviceSynchronize()
        t0 = time.perf_counter()
        for _ in range(5):
            f()
        cupy.cuda.runtime.deviceSynchronize()
        out[name] = n_bytes / ((time.perf_counter() - t0) / 5) / 1e9
    out["d2d"] *= 2
    bufs.clear()
    cupy.get_default_memory_pool().free_all_blocks()
    return out


def pcg_bytes(n: int, nnz: int, cycle_bytes: int) -> int:
    """Bytes one PCG iteration moves: the float64 SpMV (values, int32 indices, x, y), about
    ten float64 vector passes (axpys, dots, casts), and one V-cycle."""
    return nnz * (8 + 4) + 2 * n * 8 + 10 * n * 8 + cycle_bytes


def _sync(cupy) -> None:
    cupy.cuda.runtime.deviceSynchronize()


def _cpu_best(A, b, kind, R, rtol):
    """The CPU's best path on this machine for this system: Pardiso below the direct limit
    (where pypardiso works), else pyamg AMG-PCG. Returns (x, name, seconds)."""
    from fea.solvers import solve
    from fea.solvers.cpu import pardiso_available
    from fea.solvers.registry import direct_limit

    method = "direct" if pardiso_available() and A.shape[0] <= direct_limit(kind) else "amg"
    t0 = time.perf_counter()
    x, info = solve(A, b, kind=kind, backend="cpu", method=method, near_null=R, rtol=rtol)
    return x, info.method, time.perf_counter() - t0


# -- crossover ------------------------------------------------------------------------------------


def crossover(cupy, log, deadline: float, plates: list[float]) -> dict:
    """Time host-matrix-in, host-answer-out solves on the GPU and the CPU for two-layer
    plates of growing size; the smallest size where the GPU wins, per kind."""
    from fea.fe import forms as asm
    from fea.fe.constraints import rigid_body_modes
    from fea.fe.spaces import space
    from fea.physics.constitutive import lame
    from fea.solvers import eliminate, solve

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.verification.helpers import layered_box

    rows: dict[str, list] = {"elasticity": [], "scalar": []}
    for h in plates:
        if time.perf_counter() > deadline:
            log(f"crossover: stopped at h = {h} mm (time budget)")
            break
        mesh = layered_box((4e-3, 4e-3), [("a", 0.5e-3, 2), ("b", 0.5e-3, 2)], h * 1e-3)
        fs = space(mesh)
        a = np.zeros(mesh.n_elements, dtype=bool)
        a[mesh.regions["a"]] = True
        bottom = np.flatnonzero(fs.nodes[:, 2] < 1e-12)
        K = asm.elasticity_matrix(fs, *lame(np.where(a, 117e9, 3e9), np.full(len(a), 0.3)))
        D = np.concatenate([3 * bottom, 3 * bottom + 1, 3 * bottom + 2])
        b = np.zeros(K.shape[0])
        b[2::3] = -1.0
        b[D] = 0.0
        R = rigid_body_modes(fs.nodes)
        C = asm.conduction_matrix(fs, np.where(a, 400.0, 0.3))
        q = asm.source_vector(fs, np.full(len(a), 1e6))
        q[bottom] = 0.0
        systems = {
            "elasticity": (eliminate(K, D), b, R),
            "scalar": (eliminate(C, bottom), q, None),
        }
        for kind, (A, rhs, nn) in systems.items():
            solve(A, rhs, kind=kind, backend="gpu", near_null=nn, rtol=1e-8)  # warm kernels
            _sync(cupy)
            t0 = time.perf_counter()
            x_g, info = solve(A, rhs, kind=kind, backend="gpu", near_null=nn, rtol=1e-8)
            t_gpu = time.perf_counter() - t0
            x_c, name, t_cpu = _cpu_best(A, rhs, kind, nn, 1e-8)
            err = float(np.abs(x_g - x_c).max() / max(np.abs(x_c).max(), 1e-300))
            rows[kind].append(
                {
                    "h_mm": h,
                    "dof": int(A.shape[0]),
                    "gpu_s": t_gpu,
                    "gpu_iterations": info.iterations,
                    "cpu_s": t_cpu,
                    "cpu_method": name,
                    "max_rel_diff": err,
                }
            )
            log(
                f"crossover {kind:10s} {A.shape[0]:>9,} DOF: GPU {t_gpu:6.3f} s "
                f"({info.iterations} it) | CPU {name} {t_cpu:6.3f} s | diff {err:.1e}"
            )
    out: dict = {"rows": rows}
    for kind, r in rows.items():
        wins = [row["dof"] for row in r if row["gpu_s"] < row["cpu_s"]]
        out[kind] = min(wins) if wins else None
    return out


# -- the package series ---------------------------------------------------------------------------


def package_size(cupy, size: float, log, cpu_ok: bool) -> dict:
    """One mesh size of the baseline unit: every stage on the device and the CPU path."""
    from bench_solve import baseline_case, rss_gb

    from fea.fe import forms as asm
    from fea.fe.constraints import rigid_body_modes, support_321
    from fea.fe.spaces import space
    from fea.package.meshing import build_mesh
    from fea.physics.constitutive import lame
    from fea.solvers import amg, krylov
    from fea.solvers.gpu import device_namespace, to_device

    ns = device_namespace()
    pool = cupy.get_default_memory_pool()
    row: dict = {"size_mm": size}
    t0 = time.perf_counter()
    case = baseline_case(size, film=size)  # films at the global size, as warpage_metrics
    mesh, _ = build_mesh(case)
    row["mesh_s"] = time.perf_counter() - t0
    mats, ref = case.materials, case.loads.reference
    fs = space(mesh)
    ne = mesh.n_elements
    E, nu = np.zeros(ne), np.zeros(ne)
    eps0 = np.zeros((ne, fs.basis.X.shape[1]))
    for region, el in mesh.regions.items():
        m = mats.get(region, mats.get("*"))
        E[el], nu[el] = m.youngs(np.full(len(el), 25.0)), m.nu
        eps0[el] = m.thermal_strain(
            np.full((len(el), eps0.shape[1]), 25.0), ref.get(region, ref.get("*"))
        )
    f = asm.eigenstrain_load(fs, *lame(E, nu), eps0)
    D = support_321(fs.nodes[: mesh.p1.p.shape[1]])
    f[D] = 0.0
    R = rigid_body_modes(fs.nodes)
    t0 = time.perf_counter()
    K_host = asm.elasticity_matrix(fs, *lame(E, nu))
    row["host_assembly_s"] = time.perf_counter() - t0
    n, nnz = K_host.shape[0], K_host.nnz
    row.update(dof=int(n), nnz=int(nnz))
    pool.free_all_blocks()
    # host -> device copy of the host-assembled matrix (the path of a host assembly)
    _sync(cupy)
    t0 = time.perf_counter()
    K_copy = to_device(K_host)
    _sync(cupy)
    row["h2d_matrix_s"] = time.perf_counter() - t0
    del K_copy
    pool.free_all_blocks()
    # device assembly (warm-up first: kernels load, the vector layout is cached on the host)
    asm.elasticity_matrix(fs, *lame(E, nu), xp=cupy)
    _sync(cupy)
    pool.free_all_blocks()
    t0 = time.perf_counter()
    K = asm.elasticity_matrix(fs, *lame(E, nu), xp=cupy)
    _sync(cupy)
    row["device_assembly_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    bd, Rd = cupy.asarray(f), cupy.asarray(R)
    _sync(cupy)
    row["h2d_vectors_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    A = amg.eliminate(K, cupy.asarray(D), ns)
    _sync(cupy)
    row["elimination_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    h = amg.build_hierarchy(A, near_null=Rd, block=3, ns=ns)
    M = h.preconditioner("mixed")
    _sync(cupy)
    row["setup_s"] = time.perf_counter() - t0
    row["setup_stages_s"] = dict(h.stages)
    row["levels"] = [int(lv.A.shape[0]) for lv in h.levels]
    row["operator_complexity"] = h.operator_complexity
    t0 = time.perf_counter()
    res = krylov.pcg(A, bd, M, rtol=1e-8, maxiter=2000, xp=cupy)
    _sync(cupy)
    row["pcg_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    x_gpu = cupy.asnumpy(res.x)
    row["d2h_result_s"] = time.perf_counter() - t0
    row["iterations"] = res.iterations
    row["converged"] = bool(res.converged)
    row["ms_per_iteration"] = 1e3 * row["pcg_s"] / max(res.iterations, 1)
    row["bytes_per_iteration"] = pcg_bytes(n, nnz, M.cycle.cycle_bytes)
    row["peak_device_gb"] = pool.total_bytes() / 1e9
    row["gpu_total_s"] = (
        sum(
            row[k]
            for k in ("device_assembly_s", "h2d_vectors_s", "elimination_s", "setup_s", "pcg_s")
        )
        + row["d2h_result_s"]
    )
    row["rss_gb"] = rss_gb()
    del A, K, M, h, res, bd, Rd
    pool.free_all_blocks()
    if cpu_ok:
        from fea.solvers import eliminate

        t0 = time.perf_counter()
        A_host = eliminate(K_host, D)
        t_elim = time.perf_counter() - t0
        x_cpu, name, t_cpu = _cpu_best(A_host, f, "elasticity", R, 1e-8)
        row["cpu_method"] = name
        row["cpu_solve_s"] = t_cpu
        row["cpu_total_s"] = row["host_assembly_s"] + t_elim + t_cpu
        row["speedup_total"] = row["cpu_total_s"] / row["gpu_total_s"]
        row["max_rel_diff"] = float(np.abs(x_gpu - x_cpu).max() / np.abs(x_cpu).max())
    row.update(_thermal(cupy, mesh, mats, cpu_ok))
    log(row)
    return row


def _thermal(cupy, mesh, mats, cpu_ok: bool) -> dict:
    """The steady conduction of the same mesh (1.5 W in the die, h = 10 W/(m^2 K) on the
    package surface, silicon's k(T): Picard passes) by ``solve_thermal`` on the device
    (assembly, elimination, one hierarchy kept across the passes) and on the CPU."""
    from fea.physics.thermal import solve_thermal

    kw = dict(sources={"die": 1.5}, convection={"package_surface": (10.0, 25.0)}, rtol=1e-8)
    out: dict = {}
    _sync(cupy)
    t0 = time.perf_counter()
    dev = solve_thermal(mesh, mats, backend="gpu", **kw)
    _sync(cupy)
    out["thermal_dof"] = int(dev.temperature.shape[0])
    out["thermal_gpu_s"] = time.perf_counter() - t0
    out["thermal_passes"] = dev.solver_info["picard_iterations"]
    out["thermal_setups"] = dev.solver_info["picard_setups"]
    if cpu_ok:
        t0 = time.perf_counter()
        host = solve_thermal(mesh, mats, backend="cpu", **kw)
        out["thermal_cpu_s"] = time.perf_counter() - t0
        out["thermal_cpu_method"] = host.solver_info["method"]
        out["thermal_speedup"] = out["thermal_cpu_s"] / out["thermal_gpu_s"]
        rise = float(host.temperature.max() - 25.0)
        out["thermal_max_diff_K"] = float(np.abs(dev.temperature - host.temperature).max())
        out["thermal_rel_diff"] = out["thermal_max_diff_K"] / rise
    return out


def _line(row: dict, bw: dict) -> str:
    st = row["setup_stages_s"]
    bound_ms = 1e3 * row["bytes_per_iteration"] / (bw["d2d"] * 1e9)
    s = (
        f"{row['size_mm']:5.2f} mm {row['dof']:>10,} DOF | mesh {row['mesh_s']:5.1f} s | host asm "
        f"{row['host_assembly_s']:6.2f} s | H2D matrix {row['h2d_matrix_s']:6.3f} s | dev asm "
        f"{row['device_assembly_s']:6.3f} s | elim {row['elimination_s']:6.3f} s | setup "
        f"{row['setup_s']:6.3f} s (strength {st['strength']:.3f}, aggregation "
        f"{st['aggregation']:.3f}, tentative {st['tentative']:.3f}, smoothing "
        f"{st['smoothing']:.3f}, Galerkin {st['galerkin']:.3f}, coarse {st['coarse']:.3f}; "
        f"levels {row['levels']}) | PCG {row['iterations']} it {row['pcg_s']:6.3f} s, "
        f"{row['ms_per_iteration']:6.2f} ms/it (bound {bound_ms:6.2f} ms: "
        f"{100 * bound_ms / row['ms_per_iteration']:3.0f} %) | peak {row['peak_device_gb']:5.1f} GB"
        f" | GPU total {row['gpu_total_s']:6.2f} s"
    )
    if "cpu_total_s" in row:
        s += (
            f" | CPU {row['cpu_method']} {row['cpu_solve_s']:7.2f} s, total "
            f"{row['cpu_total_s']:7.2f} s: {row['speedup_total']:5.1f} x | diff "
            f"{row['max_rel_diff']:.1e}"
        )
    else:
        s += " | CPU skipped (budget)"
    s += (
        f"\n        thermal {row['thermal_dof']:,} DOF: GPU {row['thermal_gpu_s']:6.2f} s "
        f"({row['thermal_passes']} Picard passes, setups {row['thermal_setups']})"
    )
    if "thermal_cpu_s" in row:
        s += (
            f" | CPU {row['thermal_cpu_method']} {row['thermal_cpu_s']:6.2f} s: "
            f"{row['thermal_speedup']:4.1f} x | diff {row['thermal_rel_diff']:.1e} of the rise"
        )
    return s


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=float, nargs="*", default=DEFAULT_SIZES, help="mesh sizes, mm")
    p.add_argument("--json", type=Path, help="write every number here")
    p.add_argument("--budget", type=float, default=330.0, help="seconds for the whole run")
    p.add_argument("--cpu-budget", type=float, default=150.0, help="seconds of CPU solves")
    p.add_argument(
        "--plates",
        type=float,
        nargs="*",
        default=[0.5, 0.35, 0.25, 0.18, 0.14, 0.11],
        help="element sizes [mm] of the crossover plates (none: skip)",
    )
    args = p.parse_args(argv)
    t_start = time.perf_counter()
    from fea.solvers import probe_device

    status = probe_device()
    if not status.usable:
        print(f"bench_gpu: no usable GPU here, nothing measured ({status.reason})")
        return 2
    import cupy

    report: dict = {"device": status.name, "sizes": [], "skipped": []}
    bw = bandwidth_gbs(cupy)
    report["bandwidth_gbs"] = bw
    print(
        f"device: {status.name}; copy bandwidth H2D {bw['h2d']:.1f} GB/s, D2H {bw['d2h']:.1f} "
        f"GB/s, device {bw['d2d']:.0f} GB/s",
        flush=True,
    )

    def log(msg):
        if isinstance(msg, str):
            print(msg, flush=True)

    if args.plates:
        report["crossover"] = crossover(cupy, log, t_start + 0.3 * args.budget, args.plates)
        from fea.solvers.registry import GPU_CROSSOVER_DOF

        report["crossover"]["configured"] = dict(GPU_CROSSOVER_DOF)
        print(
            f"crossover (first plate where the GPU wins): elasticity "
            f"{report['crossover']['elasticity']}, scalar {report['crossover']['scalar']} DOF "
            f"(configured: {GPU_CROSSOVER_DOF})",
            flush=True,
        )
    cpu_used = 0.0
    last: dict | None = None
    for size in args.sizes:
        elapsed = time.perf_counter() - t_start
        # the next size costs about (DOF ratio) x the last one; sizes shrink by ~1.3-2x
        guess = (
            0.0
            if last is None
            else 2.2 * (last["mesh_s"] + last["host_assembly_s"] + 3 * last["gpu_total_s"])
        )
        if elapsed + guess > args.budget:
            report["skipped"].append(size)
            print(f"{size:5.2f} mm: skipped (time budget)", flush=True)
            continue
        cpu_guess = 0.0 if last is None or "cpu_solve_s" not in last else 2.5 * last["cpu_solve_s"]
        cpu_ok = (
            cpu_used + cpu_guess <= args.cpu_budget and elapsed + guess + cpu_guess <= args.budget
        )
        try:
            row = package_size(cupy, size, log, cpu_ok)
        except Exception as exc:  # out of device memory at the largest size: say so, go on
            msg = f"{type(exc).__name__}: {exc}"
            report["skipped"].append(size)
            print(f"{size:5.2f} mm: failed ({msg})", flush=True)
            cupy.get_default_memory_pool().free_all_blocks()
            continue
        cpu_used += row.get("cpu_solve_s", 0.0)
        report["sizes"].append(row)
        print(_line(row, bw), flush=True)
        last = row
    report["total_s"] = time.perf_counter() - t_start
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=float))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
