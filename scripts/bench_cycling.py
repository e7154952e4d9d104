"""Cost of temperature cycling (``[cycling]``) against one elastic solve of the same mesh.

The board-mounted model of ``studies/board_cycling.toml`` (mesh sizes from the command
line; the quarter model with its symmetry planes unless ``--symmetry`` says otherwise),
its cycling history (viscoplastic SAC305 joints, the case's other materials: the
elastic-plastic copper shell included), and one thermoelastic solve of the same mesh,
materials (elastic) and symmetry planes at the cold extreme, side by side in one run.
Prints steps, Newton iterations per step, PCG iterations, factorisations, time per cycle
and the ratio the issue sets (<= 15x one elastic solve for 3 cycles).

``--against DIR`` runs the same measurement with the ``fea`` of another source tree
(e.g. the main branch) in a subprocess, alternating with this tree's ``--repeat`` times,
so that both are timed under the same load of a shared machine:

    PYTHONPATH=. python scripts/bench_cycling.py [--cycles 3] [--size 1.2] [--json]
    PYTHONPATH=. python scripts/bench_cycling.py --study-mesh --cycles 1   # the study's mesh
    PYTHONPATH=. python scripts/bench_cycling.py --predictor tangent       # Newton's start
    PYTHONPATH=. python scripts/bench_cycling.py --newton-rtol 1e-6 --newton-dtol 1e-5
    PYTHONPATH=. python scripts/bench_cycling.py --cycles 3 --against /path/to/main

(a tree from before ``[cycling] dwell_points`` / ``max_step_K`` takes 10 K ramps and
one-step dwells: add ``--dwell-points 1 --max-step-K 10`` to run the same steps here).

The time discretisation's convergence (docs/reliability.md): a fine reference, then each
setting against it (``--dwell-points`` cuts each dwell into pieces growing by
``--dwell-ratio``):

    PYTHONPATH=. python scripts/bench_cycling.py --json --max-step-K 2.5 \
        --dwell-points 32 --dwell-ratio 1.12 > ref.json
    PYTHONPATH=. python scripts/bench_cycling.py --dwell-points 6 --reference ref.json

(``dW_crit_rel_diff_to_reference``: the signed difference at the reference's critical
joint; the 4x finer steps of docs/history.md, "How the steps set ΔW", are
``--max-step-K 1.25 --dwell-points 24 --dwell-ratio 1.0574``; the smallest model is
``--symmetry eighth``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(a: argparse.Namespace) -> dict:
    """One elastic solve and the cycling history of the board model, with the ``fea``
    on ``sys.path``."""
    import numpy as np

    import fea
    from fea.package.analyse import mesh_materials
    from fea.package.board_model import build_board_model
    from fea.package.cycling import SOLDER_REGION, board_model_case, study_symmetry
    from fea.package.geometry.symmetry import symmetry_axes
    from fea.package.spec import parse_study
    from fea.physics.history import solve_history
    from fea.physics.inelastic import anand_set
    from fea.physics.mechanics import solve_thermoelastic

    raw = tomllib.loads((ROOT / "studies" / "board_cycling.toml").read_text())
    if not a.study_mesh:  # the study's own mesh (0.8 mm, P2, two layers) with --study-mesh
        raw["mesh"].update(
            size_mm=a.size,
            order=1,
            layers_through_thickness=1,
            film_size_mm=max(a.size / 2, 0.3),
            opening_size_mm=0.4,
            terminal_size_mm=a.terminal_size,
            board_size_mm=3.0,
        )
    raw["cycling"]["cycles"] = a.cycles
    raw["mesh"]["symmetry"] = a.symmetry
    raw["cycling"].pop("symmetry", None)
    raw["solver"]["backend"] = "cpu"
    case = parse_study(raw).base
    cy = case.cycling
    # the study's symmetry model ([mesh] symmetry, as fea.package.cycling.cycling_metrics
    # takes it), its planes held (zero normal displacement) in both solves
    sym = study_symmetry(case)
    model = build_board_model(board_model_case(case), symmetry=sym)
    planes = symmetry_axes(sym)  # solve_history's names of the planes
    mesh = model.mesh
    mats = dict(mesh_materials(mesh, case))
    mats[SOLDER_REGION] = mats[SOLDER_REGION].with_(inelastic=anand_set(cy.solder), relaxation=None)
    elastic = {r: m.with_(inelastic=None) for r, m in mats.items()}
    prof = cy.profile
    if a.dwell_points or a.dwell_ratio:
        # the profile with its dwells cut into ``--dwell-points`` pieces growing by
        # ``--dwell-ratio`` (fea.physics.cycling.temperature_cycles)
        from fea.physics.cycling import DWELL_RATIO, temperature_cycles

        prof = temperature_cycles(
            prof.t_min_C,
            prof.t_max_C,
            cycles=prof.cycles,
            ramp_K_per_min=prof.ramp_K_per_min,
            dwell_s=prof.dwell_s,
            stress_free_C=prof.stress_free_C,
            first=prof.first,
            condition=prof.condition,
            dwell_points=a.dwell_points or prof.dwell_points,
            dwell_ratio=a.dwell_ratio or DWELL_RATIO,
        )
    # the elastic solve: the fastest of three (the first also pays one-time set-ups)
    t_els = []
    for _ in range(3):
        t0 = time.perf_counter()
        solve_thermoelastic(
            mesh, elastic, prof.t_min_C, prof.stress_free_C, model.fixed or None, backend="cpu"
        )
        t_els.append(time.perf_counter() - t0)
    t_el = min(t_els)
    # the section's steps (a tree without these keys: solve_history's defaults)
    max_step = a.max_step_K or getattr(cy, "max_step_K", None)
    step_tol = a.step_tol or getattr(cy, "inelastic_step_tol", None)
    t0 = time.perf_counter()
    # the call of fea.package.cycling.cycling_metrics
    h = solve_history(
        mesh,
        mats,
        prof.history(),
        prof.stress_free_C,
        model.fixed or None,
        symmetry=planes,
        backend="cpu",
        method=case.solver.method,
        rtol=case.solver.rtol,
        **({"newton_preconditioner": a.preconditioner} if a.preconditioner else {}),
        **({"max_step_K": max_step} if max_step else {}),
        **({"substeps": a.substeps} if a.substeps else {}),
        **({"inelastic_step_tol": step_tol} if step_tol else {}),
        **({"newton_refactor_iterations": a.refactor_iterations} if a.refactor_iterations else {}),
        **({"newton_predictor": a.predictor} if a.predictor else {}),
        **({"newton_rtol": a.newton_rtol} if a.newton_rtol else {}),
        **({"newton_dtol": a.newton_dtol} if a.newton_dtol else {}),
        **({"newton_factor_precision": a.factor_precision} if a.factor_precision else {}),
    )
    t_cy = time.perf_counter() - t0
    info = h.solver_info
    k0, k1 = prof.cycle_start[-1], prof.cycle_end[-1]
    sel = model.joints.joint >= 0
    w = mesh.element_volumes()[sel]
    f0, f1 = h.states[k0].inelastic["fields"], h.states[k1].inelastic["fields"]
    dW = f1["dissipated_energy_density"][sel] - f0["dissipated_energy_density"][sel]
    jid = model.joints.joint[sel]
    vol = np.bincount(jid, weights=w)
    dW_joint = np.bincount(jid, weights=dW * w)[vol > 0] / vol[vol > 0]
    steps = info.get("newton_steps") or info.get("steps")
    out = {
        "fea": str(Path(fea.__file__).resolve().parents[1]),
        "dof": 3 * mesh.nodes.shape[0],
        "mesh": "study" if a.study_mesh else f"{a.size} mm P1",
        "cycles": a.cycles,
        "symmetry": sym,
        "fixed": sorted(model.fixed),
        "elastic_solve_s": t_el,
        "elastic_first_s": t_els[0],
        "cycling_s": t_cy,
        "ratio": t_cy / t_el,
        "per_cycle_s": t_cy / (a.cycles + 0.5),  # the first ramp is about half a cycle
        "steps": steps,
        "dwell_points": getattr(prof, "dwell_points", 1),
        "dwell_ratio": a.dwell_ratio,
        "max_step_K": max_step,
        "newton_iterations": info.get("newton_iterations"),
        "newton_per_step": (info.get("newton_iterations") or 0) / max(steps or 1, 1),
        "pcg_iterations": info.get("pcg_iterations"),
        "factorizations": info.get("factorizations"),
        "tangent_factorizations": info.get("tangent_factorizations"),
        "tangent_factor_precision": info.get("tangent_factor_precision", "double"),
        "direct_tangent_solves": info.get("direct_tangent_solves"),
        "cutbacks": info.get("cutbacks"),
        "predictor_solves": info.get("predictor_solves"),
        "extrapolated_starts": info.get("extrapolated_starts"),
        # the solder's volume-averaged dissipated energy over the last cycle [J/m^3] and
        # the displacement at the end, to compare two runs
        "dW_solder_mean_J_per_m3": float((dW * w).sum() / w.sum()),
        "u_end_max_m": float(np.abs(h.states[-1].displacement).max()),
        # per joint (the volume average over its elements), to compare two runs
        "dW_joint_J_per_m3": [float(v) for v in dW_joint],
    }
    return out


def _load(path: str) -> dict:
    """The last JSON line of a ``--json`` output file."""
    return json.loads(Path(path).read_text().strip().splitlines()[-1])


def _rel_diff(run: dict, ref: dict) -> float:
    """The largest relative difference of the per-joint Delta W of ``run`` to ``ref``'s."""
    import numpy as np

    r = np.asarray(ref["dW_joint_J_per_m3"])
    return float(np.max(np.abs(np.asarray(run["dW_joint_J_per_m3"]) - r) / np.abs(r)))


def _critical_diff(run: dict, ref: dict) -> float:
    """The signed relative difference of ``run``'s Delta W to ``ref``'s at ``ref``'s
    critical joint (its largest per-joint Delta W)."""
    import numpy as np

    r = np.asarray(ref["dW_joint_J_per_m3"])
    c = int(np.argmax(r))
    return float(run["dW_joint_J_per_m3"][c] / r[c] - 1.0)


def _signed_diffs(run: dict, ref: dict) -> tuple[float, float, float]:
    """(smallest, largest per-joint relative difference, solder mean's relative
    difference) of ``run``'s Delta W to ``ref``'s."""
    import numpy as np

    r = np.asarray(ref["dW_joint_J_per_m3"])
    d = (np.asarray(run["dW_joint_J_per_m3"]) - r) / np.abs(r)
    m = run["dW_solder_mean_J_per_m3"] / ref["dW_solder_mean_J_per_m3"] - 1.0
    return float(d.min()), float(d.max()), float(m)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--size", type=float, default=1.2, help="mesh.size_mm")
    ap.add_argument("--terminal-size", type=float, default=0.4, help="mesh.terminal_size_mm")
    ap.add_argument(
        "--study-mesh",
        action="store_true",
        help="the study file's own mesh settings instead of --size and the coarse P1 ones",
    )
    ap.add_argument("--symmetry", default="quarter", choices=("none", "half", "quarter", "eighth"))
    ap.add_argument(
        "--preconditioner", default=None, help="newton_preconditioner (default: not passed)"
    )
    ap.add_argument(
        "--max-step-K",
        type=float,
        default=None,
        help="max_step_K (default: the [cycling] section's, 5 K)",
    )
    ap.add_argument(
        "--dwell-points",
        type=int,
        default=None,
        help="pieces of each dwell (default: the [cycling] section's dwell_points)",
    )
    ap.add_argument(
        "--dwell-ratio",
        type=float,
        default=None,
        help="each dwell piece over the one before (default: DWELL_RATIO, 1.25)",
    )
    ap.add_argument(
        "--substeps", type=int, default=None, help="substeps (default: not passed, 1)"
    )
    ap.add_argument(
        "--step-tol",
        type=float,
        default=None,
        help="inelastic_step_tol, adaptive steps (default: the [cycling] section's, off)",
    )
    ap.add_argument(
        "--reference",
        default=None,
        help="a --json output (e.g. a fine-step run): the per-joint Delta W against it",
    )
    ap.add_argument(
        "--refactor-iterations",
        type=int,
        default=None,
        help="newton_refactor_iterations (default: not passed)",
    )
    ap.add_argument(
        "--predictor",
        default=None,
        choices=("extrapolate", "tangent"),
        help="newton_predictor (default: not passed)",
    )
    ap.add_argument("--newton-rtol", type=float, default=None, help="newton_rtol (default 1e-8)")
    ap.add_argument("--newton-dtol", type=float, default=None, help="newton_dtol (default 1e-6)")
    ap.add_argument(
        "--factor-precision",
        default=None,
        choices=("auto", "single", "double"),
        help="newton_factor_precision (default auto: single from 50,000 unknowns)",
    )
    ap.add_argument("--against", default=None, help="another source tree to time alongside")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.against is None:
        out = measure(a)
        if a.reference:
            ref = _load(a.reference)
            out["dW_joint_rel_diff_to_reference"] = _rel_diff(out, ref)
            out["dW_crit_rel_diff_to_reference"] = _critical_diff(out, ref)
            lo, hi, mean = _signed_diffs(out, ref)
            out["dW_joint_rel_diff_min"] = lo
            out["dW_joint_rel_diff_max"] = hi
            out["dW_solder_mean_rel_diff"] = mean
        if a.json:
            print(json.dumps(out))
        else:
            for k, v in out.items():
                if isinstance(v, list):
                    continue
                print(f"{k:>24}: {v:.4g}" if isinstance(v, float) else f"{k:>24}: {v}")
        return
    args = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--json",
        "--cycles",
        str(a.cycles),
        "--size",
        str(a.size),
        "--terminal-size",
        str(a.terminal_size),
        "--symmetry",
        a.symmetry,
    ] + (["--max-step-K", str(a.max_step_K)] if a.max_step_K else [])
    args += ["--study-mesh"] if a.study_mesh else []
    mine = (
        (["--substeps", str(a.substeps)] if a.substeps else [])
        + (["--step-tol", str(a.step_tol)] if a.step_tol else [])
        + (["--dwell-points", str(a.dwell_points)] if a.dwell_points else [])
        + (["--dwell-ratio", str(a.dwell_ratio)] if a.dwell_ratio else [])
        + (["--factor-precision", a.factor_precision] if a.factor_precision else [])
        + (["--refactor-iterations", str(a.refactor_iterations)] if a.refactor_iterations else [])
    )
    import numpy as np

    rows = []
    for _ in range(a.repeat):
        for tree in (a.against, str(ROOT)):
            env = dict(os.environ, PYTHONPATH=tree)
            cmd = args + (mine if tree == str(ROOT) else [])
            res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    keys = [k for k in rows[0] if k not in ("fea", "dW_joint_J_per_m3")]
    print(f"{'':>24}  " + "  ".join(f"{Path(r['fea']).name:>12}" for r in rows))
    for k in keys:
        vals = [r.get(k) for r in rows]
        print(
            f"{k:>24}  "
            + "  ".join(f"{v:>12.4g}" if isinstance(v, float) else f"{v!s:>12}" for v in vals)
        )
    # the per-joint Delta W of each run against the first (``--against``'s) run
    ref = np.asarray(rows[0]["dW_joint_J_per_m3"])
    diffs = [
        float(np.max(np.abs(np.asarray(r["dW_joint_J_per_m3"]) - ref) / np.abs(ref))) for r in rows
    ]
    print(f"{'dW_joint_rel_diff_max':>24}  " + "  ".join(f"{v:>12.3g}" for v in diffs))
    if a.reference:
        ref_run = _load(a.reference)
        print(
            f"{'dW_joint_vs_reference':>24}  "
            + "  ".join(f"{_rel_diff(r, ref_run):>12.3g}" for r in rows)
        )
        print(
            f"{'dW_crit_vs_reference':>24}  "
            + "  ".join(f"{_critical_diff(r, ref_run):>12.3g}" for r in rows)
        )
    ratio = [r["ratio"] for r in rows]
    print(f"{'ratio (<= 15x?)':>24}  " + "  ".join(f"{v:>11.1f}x" for v in ratio))


if __name__ == "__main__":
    main()
