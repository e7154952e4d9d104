"""Batched sweeps on one mesh: one setup (factorisation or AMG hierarchy) for many cases
against one-by-one solves, direct and AMG side by side in one run.

The baseline unit without board (``BALLS:SIZE``, meshed as ``scripts/bench_many_rhs.py``
does, films at the global size), or a mesh file with the unit's regions (``--mesh``,
e.g. meshes/reference/small_unit.msh), with the baseline's materials, 25 degC after the
cure, free body. Two parts:

- ``loads`` (solver level, many loads on one stiffness): the assembled system ``A`` and
  a block ``B`` (n, k) of moisture loads (the cure's load plus a random swelling per
  region and load, as ``bench_many_rhs.py``). ``block``: ``prepare(A).solve(B)`` (the
  direct solver: one back-substitution of the block; AMG: one batched PCG,
  ``fea.solvers.krylov.block_pcg``); ``kept``: the same setup, ``solve(b_j)`` column by
  column (AMG: PCG per column, the block path before batched PCG); ``one-by-one``:
  ``solve(A, b_j)`` per load (a setup each).
- ``sweep`` (physics level, a material sweep): k cases whose encapsulant modulus and die
  attach modulus (each x 0.5 to 2, log-uniform) and encapsulant CTE (x 0.8 to 1.2) are
  drawn at random. ``sweep``: ``solve_thermoelastic_sweep`` (assembly once, one setup of
  the nominal stiffness, batched PCG of every case); ``one-by-one``:
  ``solve_thermoelastic`` per case.

Every batched answer is checked against the one-by-one answers of the cases timed
(largest difference relative to the largest displacement).

One-by-one runs, and the kept setup's column-by-column solves, are timed for at most
``--single-max`` cases and scaled linearly to k (marked ``*``).

``--scipy-products``: the AMG path's matrix-vector products in SciPy, not MKL (the block
products are SciPy's either way), so that the ratio is batching alone.

Usage: python scripts/bench_sweep.py [--spec 6:1.2 | --mesh FILE.msh --order 2]
       [--ks 10 100] [--single-max 5] [--methods direct amg-xp] [--part both|loads|sweep]
       [--scipy-products]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


def cases(materials: dict, k: int, seed: int = 5) -> list[dict]:
    """k material sets: encapsulant E and die attach E x [0.5, 2] (log-uniform),
    encapsulant CTE x [0.8, 1.2]."""
    from fea.physics.materials import Table

    def scaled(p, f):
        return Table(p.T, tuple(f * v for v in p.values)) if isinstance(p, Table) else f * p

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(k):
        m = dict(materials)
        enc, da = m["encapsulant"], m["die_attach"]
        f_enc, f_da = np.exp(rng.uniform(np.log(0.5), np.log(2.0), 2))
        m["encapsulant"] = replace(
            enc, E=scaled(enc.E, f_enc), alpha=scaled(enc.alpha, rng.uniform(0.8, 1.2))
        )
        m["die_attach"] = replace(da, E=scaled(da.E, f_da))
        out.append(m)
    return out


def loads_part(A, B, near_null, ks: list[int], methods: list[str], single_max: int) -> None:
    from fea.solvers import prepare, solve

    print("\nmany loads on one stiffness (solver level):")
    print(
        "| method | k | block | kept setup, column by column | one-by-one | "
        "one-by-one / block | kept / block |"
    )
    print("|---|---|---|---|---|---|---|")
    for method in methods:
        kw = dict(kind="elasticity", backend="cpu", method=method, near_null=near_null, rtol=1e-8)
        singles = []
        for j in range(single_max):
            t0 = time.perf_counter()
            x, _ = solve(A, B[:, j], **kw)
            singles.append((time.perf_counter() - t0, x))
        t_single = sum(t for t, _ in singles) / len(singles)
        for k in ks:
            t0 = time.perf_counter()
            with prepare(A, **kw) as p:
                X, info = p.solve(B[:, :k])
            t_block = time.perf_counter() - t0
            m = min(k, single_max)
            t0 = time.perf_counter()
            with prepare(A, **kw) as p:
                t_setup = time.perf_counter() - t0
                t0 = time.perf_counter()
                cols = [p.solve(B[:, j])[0] for j in range(m)]
                t_kept = t_setup + (time.perf_counter() - t0) * k / m
            diff = max(
                np.abs(X[:, j] - singles[j][1]).max() / np.abs(singles[j][1]).max()
                for j in range(m)
            )
            diff_kept = max(
                np.abs(X[:, j] - cols[j]).max() / np.abs(cols[j]).max() for j in range(m)
            )
            t_one = t_single * k
            star = "*" if m < k else ""
            its = info.extra.get("column_iterations")
            note = f"iterations {min(its)}-{max(its)}, " if its else ""
            print(
                f"| {method} | {k} | {t_block:.1f} s | {t_kept:.1f} s{star} | {t_one:.1f} s{star} "
                f"| {t_one / t_block:.1f} x | {t_kept / t_block:.1f} x | ({note}block vs "
                f"one-by-one {diff:.1e}, vs kept {diff_kept:.1e})",
                flush=True,
            )
            del X, cols


def sweep_part(case, mesh, ks: list[int], methods: list[str], single_max: int) -> None:
    from fea.physics.mechanics import solve_thermoelastic, solve_thermoelastic_sweep

    ref = case.loads.reference
    print("\nmaterial sweep on one mesh (physics level: assembly, solve, stresses):")
    print("| method | k | sweep (one setup, batched PCG) | one-by-one | one-by-one / sweep |")
    print("|---|---|---|---|---|")
    all_cases = cases(case.materials, max(ks))
    for method in methods:
        kw = dict(backend="cpu", method=method, rtol=1e-8)
        singles = []
        for j in range(single_max):
            t0 = time.perf_counter()
            me = solve_thermoelastic(mesh, all_cases[j], 25.0, ref, **kw)
            singles.append((time.perf_counter() - t0, me.displacement))
        t_single = sum(t for t, _ in singles) / len(singles)
        for k in ks:
            t0 = time.perf_counter()
            res = solve_thermoelastic_sweep(mesh, all_cases[:k], 25.0, ref, **kw)
            t_sweep = time.perf_counter() - t0
            m = min(k, single_max)
            diff = max(
                np.abs(res[j].displacement - singles[j][1]).max() / np.abs(singles[j][1]).max()
                for j in range(m)
            )
            its = [me.solver_info["sweep"]["iterations"] for me in res]
            own = sum(me.solver_info["sweep"]["how"] == "own" for me in res)
            t_one = t_single * k
            star = "*" if m < k else ""
            print(
                f"| {method} | {k} | {t_sweep:.1f} s | {t_one:.1f} s{star} "
                f"| {t_one / t_sweep:.1f} x | (iterations {min(its)}-{max(its)}, "
                f"{own} on their own; sweep vs one-by-one {diff:.1e})",
                flush=True,
            )
            del res


def capture(mesh, materials, reference) -> tuple:
    """``(A, b, near_null)`` of ``solve_thermoelastic`` on ``mesh`` at 25 degC (the system
    handed to the solver, constraints eliminated)."""
    import fea.physics.mechanics as mech

    got: dict = {}

    class CapturedError(Exception):
        pass

    def grab(A, b, **kw):
        got.update(A=A.tocsr(), b=np.asarray(b), near_null=kw.get("near_null"))
        raise CapturedError

    real = mech.solve
    mech.solve = grab
    try:
        mech.solve_thermoelastic(mesh, materials, 25.0, reference, backend="cpu")
    except CapturedError:
        pass
    finally:
        mech.solve = real
    return got["A"], got["b"], got["near_null"]


def main() -> None:
    from bench_many_rhs import loads
    from bench_solve import baseline_case

    import fea
    from fea.package.meshing import build_mesh

    p = argparse.ArgumentParser()
    p.add_argument("--spec", default="6:1.2", help="BALLS:SIZE of the baseline unit")
    p.add_argument("--mesh", help="a gmsh file with the unit's regions instead of --spec")
    p.add_argument("--order", type=int, default=2, help="element order of --mesh")
    p.add_argument("--ks", type=int, nargs="+", default=[10, 100])
    p.add_argument("--single-max", type=int, default=5)
    p.add_argument("--methods", nargs="+", default=["direct", "amg-xp"])
    p.add_argument("--part", choices=["both", "loads", "sweep"], default="both")
    p.add_argument(
        "--scipy-products",
        action="store_true",
        help="amg-xp's vector products in SciPy instead of MKL (fea.solvers.cpu.threaded "
        "off): on a loaded machine MKL's per-call overhead hides what batching saves",
    )
    a = p.parse_args()
    if a.scipy_products:
        import fea.solvers.cpu as cpu

        cpu.threaded = lambda M: M
    balls, size = a.spec.split(":")
    case = baseline_case(float(size), balls=int(balls), film=float(size))
    if a.mesh:
        mesh = fea.Mesh.from_gmsh(a.mesh, order=a.order)
        label = f"{Path(a.mesh).name} (P{a.order})"
    else:
        mesh, _ = build_mesh(case, cache=False)
        label = a.spec
    if a.part in ("both", "loads"):
        from fea.fe import forms
        from fea.fe.spaces import space
        from fea.physics.constitutive import element_moduli, lame
        from fea.physics.materials import assign

        A, b0, near_null = capture(mesh, case.materials, case.loads.reference)
        fs = space(mesh)
        mats = assign(mesh.regions, case.materials)
        lam, mu = lame(*element_moduli(mesh, fs, mats, np.full(fs.n, 25.0)))
        fixed_rows = np.flatnonzero(np.diff(A.indptr) == 1)
        nq = forms.at_quadrature(fs, np.zeros(fs.n)).shape[1]
        cols = []
        for eps in loads(mesh, max(a.ks)):
            f = b0 + forms.eigenstrain_load(fs, lam, mu, np.repeat(eps[:, None], nq, 1))
            f[fixed_rows] = 0.0
            cols.append(f)
        B = np.stack(cols, axis=1)
        print(f"{label}: {A.shape[0]:,} DOF, {A.nnz:,} entries", flush=True)
        loads_part(A, B, near_null, a.ks, a.methods, a.single_max)
        del A, B
    if a.part in ("both", "sweep"):
        sweep_part(case, mesh, a.ks, a.methods, a.single_max)


if __name__ == "__main__":
    main()
