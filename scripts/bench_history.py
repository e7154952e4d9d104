"""Cost of a viscoelastic reflow history against elastic solves, measured side by side.

The baseline unit of ``studies/reflow.toml`` without its board (the warpage mesh: films at
the global size), the encapsulant the viscoelastic ``mold_compound_visco``, stress free at
the 175 C cure (the rest at 25 C), taken through the reflow profile 25 -> 260 -> 25 C in
12 intervals of 5 steps (60 steps). In the same process, on the same mesh:

* ``elastic``: one :func:`fea.solve_thermoelastic` at 25 C (assembly, factorisation,
  solve, stresses), the best of two calls after a warm-up that builds the mesh's space,
  each computing its fill-reducing ordering as a single solve does (also printed: one
  with the ordering cached, as later solves of a pattern get it);
* ``backsub``: one back-substitution with that stiffness's factorisation (median of 5);
* ``history``: :func:`fea.solve_history` of the 60 steps (computing its own ordering).

The target is ``history <= 3 elastic + 60 backsub``; the script prints the ratio
``history / (3 elastic + 60 backsub)`` (<= 1 meets it) and the solver counters, and the
warpage along the profile with ``snap_tol`` as used and, with ``--exact``, with
``snap_tol = 0`` (every step's exact tangent) for the difference snapping makes.

Usage: python scripts/bench_history.py [--size MM] [--order 1|2] [--exact] [--rtol R]
                                     [--snap S ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import fea  # noqa: E402
from fea.fe import forms  # noqa: E402
from fea.fe.spaces import space  # noqa: E402
from fea.package.meshing import build_mesh  # noqa: E402
from fea.package.spec import load_study  # noqa: E402
from fea.physics.constitutive import element_moduli, lame  # noqa: E402
from fea.physics.materials import assign  # noqa: E402
from fea.physics.mechanics import Constraints  # noqa: E402
from fea.solvers import cpu, eliminate, prepare  # noqa: E402

#: Reflow profile: temperatures [degC] of reflow.toml at these times [s] (about 1.5 K/s
#: up to 150 C, a soak to 183 C, 260 C peak, cooling 1.5-3 K/s).
PROFILE_C = [
    25.0,
    100.0,
    150.0,
    183.0,
    217.0,
    245.0,
    260.0,
    245.0,
    217.0,
    183.0,
    150.0,
    100.0,
    25.0,
]
PROFILE_S = [0.0, 50.0, 90.0, 150.0, 200.0, 230.0, 245.0, 255.0, 265.0, 280.0, 295.0, 320.0, 360.0]


def unit_mesh(size_mm: float | None, order: int | None):
    case = load_study(ROOT / "studies" / "reflow.toml").base
    ms = case.mesh
    ms = dataclasses.replace(
        ms,
        size=ms.size if size_mm is None else size_mm * 1e-3,
        order=ms.order if order is None else order,
    )
    ms = dataclasses.replace(ms, film_size=ms.size)
    unit = dataclasses.replace(
        case, geometry=dataclasses.replace(case.geometry, board=None), mesh=ms
    )
    mesh, _ = build_mesh(unit)
    mats = {r: m for r, m in case.materials.items() if r in mesh.regions}
    return mesh, mats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=float, default=None, help="mesh size [mm] (study: 0.8)")
    ap.add_argument("--order", type=int, default=None, help="element order (study: 2)")
    ap.add_argument("--exact", action="store_true", help="also run with snap_tol = 0")
    ap.add_argument("--rtol", type=float, default=1e-8, help="CG tolerance of the history")
    ap.add_argument(
        "--snap", type=float, nargs="*", default=None, help="snap_tol values (default: fea's)"
    )
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    mesh, mats = unit_mesh(args.size, args.order)
    mats["encapsulant"] = fea.materials.get("mold_compound_visco")
    ref = {"encapsulant": 175.0, "*": 25.0}
    fs = space(mesh)
    print(f"mesh: {mesh.n_elements} tets, {3 * fs.n} DOF, {time.perf_counter() - t0:.1f} s")

    # elastic: one warm-up (space, pattern, vector layout), then the best of two, each
    # computing its own fill-reducing ordering as a single solve does (the solvers cache
    # the ordering per pattern: ``cached`` is the time with the ordering known)
    fea.solve_thermoelastic(mesh, mats, 25.0, ref, backend="cpu")
    el = []
    for _ in range(2):
        cpu.clear_pattern_cache()
        t = time.perf_counter()
        me = fea.solve_thermoelastic(mesh, mats, 25.0, ref, backend="cpu")
        el.append(time.perf_counter() - t)
    t_el = min(el)
    t = time.perf_counter()
    fea.solve_thermoelastic(mesh, mats, 25.0, ref, backend="cpu")
    t_cached = time.perf_counter() - t
    print(
        f"elastic solve: {t_el:.2f} s ({', '.join(f'{x:.2f}' for x in el)}; ordering cached: "
        f"{t_cached:.2f} s), {me.solver_info['method']}"
    )

    # one back-substitution with the elastic stiffness's factorisation
    rm = assign(mesh.regions, mats)
    E, nu = element_moduli(mesh, fs, rm, np.full(fs.n, 25.0))
    lam, mu = lame(E, nu)
    K = forms.elasticity_matrix(fs, lam, mu)
    con = Constraints.build(mesh, fs, None)
    A = eliminate(K.tocsr(), con.all)
    b = np.random.default_rng(0).standard_normal(A.shape[0])
    with prepare(A, kind="elasticity", backend="cpu", method="direct") as P:
        bs = []
        for _ in range(5):
            t = time.perf_counter()
            P.solve(b)
            bs.append(time.perf_counter() - t)
    t_bs = statistics.median(bs)
    del A, K
    print(f"back-substitution: {t_bs:.3f} s (median of {', '.join(f'{x:.3f}' for x in bs)})")

    history = list(zip(PROFILE_S, PROFILE_C, strict=True))
    import inspect

    default_snap = inspect.signature(fea.solve_history).parameters["snap_tol"].default
    snaps = args.snap if args.snap else [default_snap]
    runs = [(f"snap_tol={s:g}", s) for s in snaps]
    runs += [("snap_tol=0", 0.0)] if args.exact else []
    warp = {}
    for name, snap in runs:
        cpu.clear_pattern_cache()  # the history computes its own ordering
        t = time.perf_counter()
        h = fea.solve_history(
            mesh,
            mats,
            history,
            ref,
            backend="cpu",
            substeps=5,
            max_step_K=None,
            snap_tol=snap,
            rtol=args.rtol,
        )
        t_h = time.perf_counter() - t
        si = h.solver_info
        budget = 3 * t_el + si["steps"] * t_bs
        budget_c = 3 * t_cached + si["steps"] * t_bs
        print(
            f"history ({name}): {t_h:.1f} s for {si['steps']} steps; budget 3 x {t_el:.1f} + "
            f"{si['steps']} x {t_bs:.2f} = {budget:.1f} s; ratio {t_h / budget:.2f} "
            f"({t_h / budget_c:.2f} against elastic solves with the ordering cached)"
        )
        print(
            "  factorisations {factorizations} ({factor_s:.1f} s), back-substitutions "
            "{back_substitutions} ({solve_s:.1f} s), steps from the span {span_steps}, "
            "snapped steps {snapped_steps}, CG steps "
            "{cg_steps} ({cg_iterations} iterations), assemblies {assemblies} "
            "({assembly_s:.1f} s)".format(**si)
        )
        other = t_h - si["factor_s"] - si["solve_s"] - si["assembly_s"]
        print(f"  the rest (loads, strains, history updates, states): {other:.1f} s")
        warp[name] = np.array([s.warpage("top").signed for s in h.states]) * 1e6
        print(
            "  signed warpage [um]: "
            + ", ".join(f"{T:g}C {w:+.2f}" for T, w in zip(PROFILE_C, warp[name], strict=True))
        )
    if "snap_tol=0" in warp:
        b_ = warp["snap_tol=0"]
        for name, a in warp.items():
            if name != "snap_tol=0":
                print(
                    f"{name} changes the warpage by at most {np.abs(a - b_).max():.2e} um "
                    f"({np.abs(a - b_).max() / np.abs(b_).max():.1e} of the largest)"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
