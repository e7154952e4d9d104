"""Cost of temperature cycling (``[cycling]``) against one elastic solve of the same mesh.

The board-mounted model of ``studies/board_cycling.toml`` (mesh sizes from the command
line), its cycling history (viscoplastic SAC305 joints, the case's other materials), and
one thermoelastic solve of the same mesh and materials at the cold extreme, side by side in
one run. Prints steps, Newton iterations, PCG iterations, factorisations, time per cycle
and the ratio the issue sets (<= 15x one elastic solve for 3 cycles).

    PYTHONPATH=. python scripts/bench_cycling.py [--cycles 1] [--size 1.2] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=1)
    ap.add_argument("--size", type=float, default=1.2, help="mesh.size_mm")
    ap.add_argument("--terminal-size", type=float, default=0.4, help="mesh.terminal_size_mm")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    from fea.package.analyse import mesh_materials
    from fea.package.cycling import board_model_case, cycling_metrics
    from fea.package.meshing import build_mesh
    from fea.package.spec import parse_study
    from fea.physics.mechanics import solve_thermoelastic

    raw = tomllib.loads((ROOT / "studies" / "board_cycling.toml").read_text())
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
    raw["solver"]["backend"] = "cpu"
    case = parse_study(raw).base
    mesh, _ = build_mesh(board_model_case(case))
    mats = mesh_materials(mesh, case)
    elastic = {r: m.with_(inelastic=None) for r, m in mats.items()}
    t0 = time.perf_counter()
    solve_thermoelastic(mesh, elastic, -40.0, 217.0, backend="cpu")
    t_el = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = cycling_metrics(case)
    t_cy = time.perf_counter() - t0
    info = r.history.solver_info
    out = {
        "dof": 3 * mesh.nodes.shape[0],
        "cycles": a.cycles,
        "elastic_solve_s": t_el,
        "cycling_s": t_cy,
        "ratio": t_cy / t_el,
        "per_cycle_s": t_cy / (a.cycles + 0.5),  # the first ramp is about half a cycle
        "steps": info.get("steps"),
        "factorizations": info.get("factorizations"),
        "newton_iterations": info.get("newton_iterations"),
        "pcg_iterations": info.get("pcg_iterations"),
        "dW_crit_MJ_per_m3": r.metrics["dW_crit_MJ_per_m3"],
    }
    if a.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>20}: {v:.4g}" if isinstance(v, float) else f"{k:>20}: {v}")


if __name__ == "__main__":
    main()
