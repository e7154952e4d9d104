"""Cost of a 1,000-output Zth transient of the baseline on its board vs one steady solve.

One process, one mesh (studies/baseline.toml, or its coarse CI variant with ``--coarse``),
the solver's per-mesh setup warmed up first, then side by side:

1. ``steady``: the steady solve as the study runs it (silicon k(T): Picard iteration).
2. ``steady linear``: the same with k held at the steady field (one factorization).
3. ``zth reduced``: the junction heating curve at 1,000 log-spaced times from 1 us to
   ``--t-end`` s (the die maximum and two probes watched at every output, 10 whole
   fields kept), k held at the steady field, ``Transient(scheme="reduced")``.
4. ``zth steps`` (``--steps``): the same outputs by adaptive backward Euler (step
   doubling on the sqrt(2) grid, one factorization per step size), for comparison.

Prints each time, the ratios to both steady solves, and the transient's facts (basis,
factorizations, solves; steps). Zth of the two transient schemes are compared when both
ran. Usage: python scripts/bench_transient.py [--coarse] [--steps] [--t-end 1e4]
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
import tomllib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--coarse", action="store_true", help="the CI mesh of the study pins")
    ap.add_argument("--steps", action="store_true", help="also time adaptive time steps")
    ap.add_argument("--t-end", type=float, default=1e4, help="end of the heating curve [s]")
    ap.add_argument("--outputs", type=int, default=1000)
    args = ap.parse_args()

    from fea.package.analyse import mesh_materials
    from fea.package.meshing import build_mesh
    from fea.package.spec import parse_study
    from fea.physics.thermal import Transient, solve_thermal
    from tests.study.test_studies import coarse_spec

    path = ROOT / "studies" / "baseline.toml"
    if args.coarse:
        case = coarse_spec(path).base
    else:
        raw = copy.deepcopy(tomllib.loads(path.read_text()))
        raw["solver"]["backend"] = "cpu"
        case = parse_study(raw).base
    t0 = time.perf_counter()
    mesh, _ = build_mesh(case)
    print(f"mesh {time.perf_counter() - t0:.1f} s", flush=True)
    mats = mesh_materials(mesh, case)
    conv = {b: (case.loads.h, case.loads.ambient) for b in ("package_surface", "board_surface")}
    common = dict(sources=case.loads.power, convection=conv, backend="cpu")
    die = None

    def timed(label: str, **kw):
        t = time.perf_counter()
        th = solve_thermal(mesh, mats, **common, **kw)
        dt = time.perf_counter() - t
        print(f"{label:<16} {dt:8.2f} s", flush=True)
        return th, dt

    warm, _ = timed("warm-up")  # per-mesh setup (spaces, patterns, locator) built once
    n = warm.temperature.size
    print(f"thermal nodes {n:,}")
    steady, t_steady = timed("steady")
    lin, t_lin = timed("steady linear", k_at_C=steady.temperature)
    die = np.unique(steady.space.dofs[mesh.regions["die"]])
    z_top = case.geometry.z_top
    probes = np.array([[0.0, 0.0, z_top], [0.0, 0.0, -case.geometry.terminals.height]])
    from fea.fe.probes import interpolation_matrix

    at_probes = interpolation_matrix(steady.space, probes)

    def watch():
        return {"Tj": lambda T: T[die].max(), "probes": lambda T: at_probes @ T}

    P = sum(case.loads.power.values())
    times = np.geomspace(1e-6, args.t_end, args.outputs)
    tr = dict(initial_C=case.loads.ambient, outputs=times, fields=10)
    red, t_red = timed(
        "zth reduced",
        k_at_C=steady.temperature,
        transient=Transient(args.t_end, 1e-6, scheme="reduced", **tr),
        watch=watch(),
    )
    z_red = (red.series["Tj"] - case.loads.ambient) / P
    info = red.solver_info
    print(
        f"  basis {info['basis']}, factorizations {info['factorizations']}, "
        f"solves {info['solves']}, last change {info['last_change']:.1e}"
    )
    print(
        f"  Zth(1 ms) {np.interp(1e-3, times, z_red[1:]):.3f}, Zth(1 s) "
        f"{np.interp(1.0, times, z_red[1:]):.3f}, Zth(end) {z_red[-1]:.3f} K/W; "
        f"steady theta_JA {(steady.region_max('die') - case.loads.ambient) / P:.3f} K/W"
    )
    print(f"ratio zth reduced / steady         {t_red / t_steady:6.2f}")
    print(f"ratio zth reduced / steady linear  {t_red / t_lin:6.2f}")
    if args.steps:
        st, t_st = timed(
            "zth steps",
            k_at_C=steady.temperature,
            transient=Transient(
                args.t_end, 1e-7, adaptive=True, tol_K=1e-3 * P * z_red[-1], dt_min_s=1e-9, **tr
            ),
            watch=watch(),
        )
        z_st = (st.series["Tj"] - case.loads.ambient) / P
        i = times >= 1e-4
        dev = np.abs(z_st[1:] - z_red[1:])[i] / z_red[1:][i]
        s = st.solver_info
        print(f"  steps {s['steps']}, rejected {s['rejected']}, dt {s['dt_range']}")
        print(f"  |Zth steps - Zth reduced| / Zth for t >= 0.1 ms: max {dev.max():.2e}")
        print(f"ratio zth steps / steady           {t_st / t_steady:6.2f}")
        print(f"ratio zth steps / steady linear    {t_st / t_lin:6.2f}")


if __name__ == "__main__":
    main()
