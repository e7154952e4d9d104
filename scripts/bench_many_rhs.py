"""Many loads on one stiffness: a block of right-hand sides with one factorisation against
one-by-one solves, side by side in one run.

The baseline unit without board (``BALLS:SIZE``, meshed as ``scripts/bench_solve.py series``
does, films at the global size), 25 degC after the cure, free body. The k loads are a
moisture sweep: the cure's thermal load plus a hygroscopic swelling per region drawn at
random per load (so the loads are independent, not multiples of one), all on the one
stiffness (uniform 25 degC: moduli that depend on temperature stay the same).

Two levels, both with the direct solver (Pardiso), k = 1, 10, 100 by default:

- solver: the assembled system ``A`` and the block ``B`` (n, k). ``block``:
  ``prepare(A).solve(B)`` (one factorisation, one back-substitution of the block);
  ``kept``: the same factorisation, ``solve(b_j)`` column by column; ``one-by-one``:
  ``solve(A, b_j)`` per load (a factorisation each).
- physics: ``solve_thermoelastic_variants`` (assembly once, one block solve, stresses per
  load) against ``solve_thermoelastic`` per load (``one-by-one``; ``cached``: with a
  ``solver_cache``, the factorisation kept across the calls).

One-by-one runs are timed for at most ``--single-max`` loads (10) and scaled linearly to
k above that (each load costs the same; marked ``*``). Every column is checked against the
one-by-one answer (largest difference relative to the largest displacement).

Usage: python scripts/bench_many_rhs.py [--spec 6:1.2] [--ks 1 10 100] [--single-max 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


def loads(mesh, k: int, seed: int = 3) -> list[np.ndarray]:
    """k per-element swelling strains [-]: each region's value uniform in [0, 2e-3]."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(k):
        eps = np.zeros(mesh.n_elements)
        for elements in mesh.regions.values():
            eps[elements] = rng.uniform(0.0, 2e-3)
        out.append(eps)
    return out


def solver_level(A, B: np.ndarray, ks: list[int], single_max: int) -> None:
    from fea.solvers import prepare, solve

    print("\nsolver level (direct):")
    print("| k | block | kept factor, column by column | one-by-one | one-by-one / block |")
    print("|---|---|---|---|---|")
    t0 = time.perf_counter()
    x1, _ = solve(A, B[:, 0], backend="cpu", method="direct")
    single = time.perf_counter() - t0
    for k in ks:
        t0 = time.perf_counter()
        with prepare(A, backend="cpu", method="direct") as p:
            X, info = p.solve(B[:, :k])
        t_block = time.perf_counter() - t0
        t0 = time.perf_counter()
        with prepare(A, backend="cpu", method="direct") as p:
            cols = [p.solve(B[:, j])[0] for j in range(k)]
        t_kept = time.perf_counter() - t0
        m = min(k, single_max)
        t0 = time.perf_counter()
        for j in range(1, m):
            solve(A, B[:, j], backend="cpu", method="direct")
        t_one = (single + time.perf_counter() - t0) * k / m
        diff = max(np.abs(X[:, j] - cols[j]).max() / np.abs(cols[j]).max() for j in range(k))
        assert np.abs(X[:, 0] - x1).max() <= 1e-10 * np.abs(x1).max()
        star = "*" if m < k else ""
        print(
            f"| {k} | {t_block:.2f} s | {t_kept:.2f} s | {t_one:.1f} s{star} "
            f"| {t_one / t_block:.1f} x | (block vs columns {diff:.1e}, "
            f"residual {info.residual:.1e})",
            flush=True,
        )


def physics_level(case, mesh, ks: list[int], single_max: int) -> None:
    from fea.physics.mechanics import (
        close_solver_cache,
        solve_thermoelastic,
        solve_thermoelastic_variants,
    )

    ref = case.loads.reference
    print("\nphysics level (direct; assembly, solve, stresses):")
    print("| k | variants (block) | cached, one call per load | one-by-one | one-by-one / block |")
    print("|---|---|---|---|---|")
    swell = loads(mesh, max(ks))
    kw = dict(backend="cpu", method="direct")
    t0 = time.perf_counter()
    first = solve_thermoelastic(mesh, case.materials, 25.0, ref, eigenstrain=swell[0], **kw)
    single = time.perf_counter() - t0
    for k in ks:
        t0 = time.perf_counter()
        res = solve_thermoelastic_variants(
            mesh, case.materials, [25.0] * k, ref, eigenstrains=swell[:k], **kw
        )
        t_block = time.perf_counter() - t0
        m = min(k, single_max)
        cache: dict = {}
        t0 = time.perf_counter()
        try:
            cached = [
                solve_thermoelastic(
                    mesh, case.materials, 25.0, ref, eigenstrain=swell[j], solver_cache=cache, **kw
                )
                for j in range(m)
            ]
        finally:
            close_solver_cache(cache)
        t_cached = (time.perf_counter() - t0) * k / m
        t0 = time.perf_counter()
        for j in range(1, m):
            solve_thermoelastic(mesh, case.materials, 25.0, ref, eigenstrain=swell[j], **kw)
        t_one = (single + time.perf_counter() - t0) * k / m
        diff = max(
            np.abs(res[j].displacement - cached[j].displacement).max()
            / np.abs(cached[j].displacement).max()
            for j in range(m)
        )
        assert np.abs(res[0].displacement - first.displacement).max() <= 1e-9 * np.abs(
            first.displacement
        ).max()
        star = "*" if m < k else ""
        print(
            f"| {k} | {t_block:.1f} s | {t_cached:.1f} s{star} | {t_one:.1f} s{star} "
            f"| {t_one / t_block:.1f} x | (cached / block {t_cached / t_block:.1f} x; "
            f"block vs single {diff:.1e})",
            flush=True,
        )
        del res, cached


def main() -> None:
    from bench_crossover import capture_system
    from bench_solve import baseline_case

    from fea.package.meshing import build_mesh

    p = argparse.ArgumentParser()
    p.add_argument("--spec", default="6:1.2")
    p.add_argument("--ks", type=int, nargs="+", default=[1, 10, 100])
    p.add_argument("--single-max", type=int, default=10)
    p.add_argument("--level", choices=["both", "solver", "physics"], default="both")
    a = p.parse_args()
    balls, size = a.spec.split(":")
    case = baseline_case(float(size), balls=int(balls), film=float(size))
    mesh, _ = build_mesh(case, cache=False)
    if a.level in ("both", "solver"):
        sys_ = capture_system(int(balls), float(size))
        A = sys_["A"]
        fs_b = sys_["b"]
        # k loads: the captured cure load plus a swelling load each (assembled as the solve
        # would: eigenstrain load, constrained rows zero)
        from fea.fe import forms
        from fea.fe.spaces import space
        from fea.physics.constitutive import element_moduli, lame
        from fea.physics.materials import assign

        fs = space(mesh)
        mats = assign(mesh.regions, case.materials)
        lam, mu = lame(*element_moduli(mesh, fs, mats, np.full(fs.n, 25.0)))
        fixed_rows = np.flatnonzero(np.diff(A.indptr) == 1)
        cols = []
        for eps in loads(mesh, max(a.ks)):
            eq = np.repeat(eps[:, None], forms.at_quadrature(fs, np.zeros(fs.n)).shape[1], 1)
            f = fs_b + forms.eigenstrain_load(fs, lam, mu, eq)
            f[fixed_rows] = 0.0
            cols.append(f)
        B = np.asfortranarray(np.stack(cols, axis=1))
        print(f"{a.spec}: {A.shape[0]:,} DOF, {A.nnz:,} entries", flush=True)
        solver_level(A, B, a.ks, a.single_max)
        del sys_, A, B
    if a.level in ("both", "physics"):
        physics_level(case, mesh, a.ks, a.single_max)


if __name__ == "__main__":
    main()
