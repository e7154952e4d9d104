"""Cost of a 1,000-output Zth transient of the baseline on its board vs one steady solve.

One process, one mesh (studies/baseline.toml, or its coarse CI variant with ``--coarse``),
the solver's per-mesh setup warmed up first, then side by side:

1. ``steady``: the steady solve as the study runs it (silicon k(T): Picard iteration).
2. ``steady linear``: the same with k held at the steady field (one factorization).
3. ``zth reduced``: the junction heating curve at 1,000 log-spaced times from 1 us to
   ``--t-end`` s (the die maximum and two probes watched at every output, 10 whole
   fields kept), k held at the steady field, ``Transient(scheme="reduced")``.
4. ``zth steps`` (``--steps``): the same outputs by adaptive backward Euler (step
   doubling on the sqrt(2) grid, one factorization per step size) as ``[transient]
   method = "steps"`` takes it (local error within 2e-3 of the total rise and
   ``STEPS_TOL_REL`` of the rise so far, extrapolated to second order), after ``zth
   steps abs``: the absolute bound alone, as before tol_rel and extrapolate.

Prints each time, the ratios to both steady solves, and the transient's facts (basis,
factorizations, solves; steps). Zth of the two transient schemes are compared when both
ran.

``--blas-ab N``: instead, each solve (the steady Picard passes, the reduced basis, with
``--steps`` the time steps) N times in turn with OpenBLAS on its own threads (A: the
``single_threaded_openblas`` of thermal's loops replaced by a no-op) and on one thread
(B: the whole call inside ``single_threaded_openblas``), in one process under one load;
prints every time, the medians, and the largest difference of the two fields. With
``--moisture`` the same for the moisture run of studies/msl.toml instead (its soak by the
reduced scheme, the J-STD-020 reflow's 50 pieces by time steps, each a
``solve_thermal``).

Usage: python scripts/bench_transient.py [--coarse] [--steps] [--t-end 1e4]
       [--blas-ab 3 [--moisture]]
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


def study_loads(mesh, case) -> dict:
    """The heat inputs (:func:`fea.package.power_map.thermal_loads`: the die's power on its
    active face) and convection (boundary -> (h [W/(m² K)] or h per facet, T_inf [degC]))
    of the steady solve of a uniform-h ``case`` (the baseline's environment) on its thermal
    ``mesh``, as :func:`fea.package.analyse.thermal_analysis` has them: h on every face but
    those in the stand-off gap under the package."""
    from fea.package import jedec
    from fea.package.power_map import thermal_loads

    conv = jedec.boundary_conditions(mesh, case).convection
    return dict(thermal_loads(mesh, case), convection=conv)


def study_case(path: Path, coarse: bool):
    """The base case of the study file ``path`` on the CPU: its own mesh, or with
    ``coarse`` the pinned tests' coarse one (tests/study/test_studies.py)."""
    from fea.package.spec import parse_study
    from tests.study.test_studies import coarse_spec

    if coarse:
        return coarse_spec(path).base
    raw = copy.deepcopy(tomllib.loads(path.read_text()))
    raw["solver"]["backend"] = "cpu"
    return parse_study(raw).base


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--coarse", action="store_true", help="the CI mesh of the study pins")
    ap.add_argument("--steps", action="store_true", help="also time adaptive time steps")
    ap.add_argument("--t-end", type=float, default=1e4, help="end of the heating curve [s]")
    ap.add_argument("--outputs", type=int, default=1000)
    ap.add_argument(
        "--blas-ab", type=int, default=0, metavar="N", help="OpenBLAS threads A/B, N rounds"
    )
    ap.add_argument("--moisture", action="store_true", help="--blas-ab of the msl study")
    args = ap.parse_args()
    if args.moisture:
        blas_ab_moisture(args)
        return

    from fea.package.analyse import mesh_materials
    from fea.package.meshing import build_mesh
    from fea.physics.thermal import Transient, solve_thermal

    case = study_case(ROOT / "studies" / "baseline.toml", args.coarse)
    t0 = time.perf_counter()
    mesh, _ = build_mesh(case)
    print(f"mesh {time.perf_counter() - t0:.1f} s", flush=True)
    mats = mesh_materials(mesh, case)
    common = dict(study_loads(mesh, case), backend="cpu")
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
    if args.blas_ab:
        blas_ab(args, mesh, mats, case, common, timed)
        return
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
        f"steady R_ja_uniform_h {(steady.region_max('die') - case.loads.ambient) / P:.3f} K/W"
    )
    print(f"ratio zth reduced / steady         {t_red / t_steady:6.2f}")
    print(f"ratio zth reduced / steady linear  {t_red / t_lin:6.2f}")
    if args.steps:
        # the package's settings (fea.package.transient.zth_transient): the local error
        # within 2e-3 of the total rise and STEPS_TOL_REL of the rise so far, extrapolated;
        # beside them the absolute bound alone (the scheme before tol_rel and extrapolate)
        from fea.package.transient import STEPS_TOL_REL

        rise = P * z_red[-1]
        arms = {
            "zth steps abs": dict(tol_K=2e-3 * rise),
            "zth steps": dict(tol_K=2e-3 * rise, tol_rel=STEPS_TOL_REL, extrapolate=True),
        }
        t_arm = {}
        for label, kw in arms.items():
            st, t_st = timed(
                label,
                k_at_C=steady.temperature,
                transient=Transient(args.t_end, 1e-6, adaptive=True, dt_min_s=1e-9, **kw, **tr),
                watch=watch(),
            )
            t_arm[label] = t_st
            z_st = (st.series["Tj"] - case.loads.ambient) / P
            dev = z_st[1:] / z_red[1:] - 1
            s = st.solver_info
            at = ", ".join(
                f"{t:g} s {np.interp(np.log(t), np.log(times), dev):+.2e}"
                for t in (1e-6, 1e-3, 1.0)
                if t <= args.t_end
            )
            print(f"  steps {s['steps']}, rejected {s['rejected']}, dt {s['dt_range']}")
            print(f"  Zth steps / Zth reduced - 1: {at}; max |.| {np.abs(dev).max():.2e}")
            print(f"ratio {label + ' / steady':<29} {t_st / t_steady:6.2f}")
            print(f"ratio {label + ' / steady linear':<29} {t_st / t_lin:6.2f}")
        cost = t_arm["zth steps"] / t_arm["zth steps abs"]
        print(f"ratio {'zth steps / zth steps abs':<29} {cost:6.2f}")


def blas_ab(args, mesh, mats, case, common, timed) -> None:
    """The loops with OpenBLAS's threads (A) and on one thread (B), in turn."""
    import contextlib
    import statistics

    import fea.physics.thermal as thermal
    from fea.physics.thermal import Transient, solve_thermal
    from fea.solvers.cpu import single_threaded_openblas

    steady = solve_thermal(mesh, mats, **common)
    times = np.geomspace(1e-6, args.t_end, args.outputs)
    tr = dict(initial_C=case.loads.ambient, outputs=times, fields=10)
    cases = {
        "steady picard": {},
        "zth reduced": dict(
            k_at_C=steady.temperature,
            transient=Transient(args.t_end, 1e-6, scheme="reduced", **tr),
        ),
    }
    if args.steps:
        tol = 1e-3 * (steady.region_max("die") - case.loads.ambient)
        cases["zth steps"] = dict(
            k_at_C=steady.temperature,
            transient=Transient(args.t_end, 1e-7, adaptive=True, tol_K=tol, dt_min_s=1e-9, **tr),
        )
    arms = {"A openblas threads": contextlib.nullcontext, "B one thread": single_threaded_openblas}
    for label, kw in cases.items():
        raw: dict[str, list[float]] = {a: [] for a in arms}
        fields: dict[str, np.ndarray] = {}
        for _ in range(args.blas_ab):
            for arm, ctx in arms.items():
                thermal.single_threaded_openblas = ctx
                try:
                    with ctx():
                        th, dt = timed(f"{label} {arm[0]}", **kw)
                finally:
                    thermal.single_threaded_openblas = single_threaded_openblas
                raw[arm].append(dt)
                fields[arm] = th.temperature
        a, b = (statistics.median(v) for v in raw.values())
        diff = float(np.abs(fields["A openblas threads"] - fields["B one thread"]).max())
        print(f"{label}: " + "; ".join(f"{k} {[round(x, 2) for x in v]}" for k, v in raw.items()))
        print(
            f"{label}: median A {a:.2f} s, B {b:.2f} s, A/B {a / b:.2f}, |T_A - T_B| {diff:.1e} K"
        )


def blas_ab_moisture(args) -> None:
    """The moisture run of studies/msl.toml with OpenBLAS's threads (A) and on one thread
    (B), in turn (``--blas-ab`` rounds)."""
    import contextlib
    import statistics

    import fea.physics.thermal as thermal
    from fea.package.analyse import (
        library_materials,
        mechanics_mesh,
        mesh_symmetry,
        moisture_analysis,
        symmetry_share,
        warpage_case,
    )
    from fea.solvers.cpu import single_threaded_openblas

    case = study_case(ROOT / "studies" / "msl.toml", args.coarse)
    mesh = mechanics_mesh(case, warpage_case(case))
    print(f"moisture mesh: {mesh.nodes.shape[0]:,} nodes", flush=True)

    def run():
        t = time.perf_counter()
        ma = moisture_analysis(
            mesh,
            case.moisture,
            method=case.solver.method,
            share=symmetry_share(mesh_symmetry(mesh)),
            materials=library_materials(case),
        )
        return ma, time.perf_counter() - t

    ma, dt = run()  # warm-up
    stages = [(s["name"], s["solves"]) for s in ma.result.solver_info["stages"]]
    print(f"warm-up {dt:.2f} s, stages (name, solves) {stages}", flush=True)
    arms = {"A openblas threads": contextlib.nullcontext, "B one thread": single_threaded_openblas}
    raw_t: dict[str, list[float]] = {a: [] for a in arms}
    fields = {}
    for _ in range(args.blas_ab):
        for arm, ctx in arms.items():
            thermal.single_threaded_openblas = ctx
            try:
                with ctx():
                    ma, dt = run()
            finally:
                thermal.single_threaded_openblas = single_threaded_openblas
            print(f"moisture {arm[0]} {dt:8.2f} s", flush=True)
            raw_t[arm].append(dt)
            fields[arm] = ma.result.wetness
    a, b = (statistics.median(v) for v in raw_t.values())
    diff = float(np.abs(fields["A openblas threads"] - fields["B one thread"]).max())
    print("moisture: " + "; ".join(f"{k} {[round(x, 2) for x in v]}" for k, v in raw_t.items()))
    print(f"moisture: median A {a:.2f} s, B {b:.2f} s, A/B {a / b:.2f}, |w_A - w_B| {diff:.1e}")


if __name__ == "__main__":
    main()
