"""Grouped sweeps in a study (``[sweep] group``): a material sweep of k cases of the
baseline unit run as a study, ``group = "off"`` (every case in its own worker, its own
mechanics setup) against ``group = "auto"`` (one worker, the first case's setup kept),
side by side in one run, on one mesh cache meshed before either is timed.

The case: ``studies/baseline.toml`` without its board and power (warpage alone: the
mechanics is what a group shares), ``--balls`` x ``--balls`` terminals, meshed at ``--size``
with films at that size (as ``scripts/bench_sweep.py``), ``[mesh] order`` as given (2:
the solve dominates),
a grid over ``materials.shell`` (copper, nickel, brass, stainless_steel) and
``materials.die_attach`` (die_attach, die_attach_epoxy), the first ``k`` cases. Reports the
study's wall time, the cases' summed mechanics seconds (``mech_solve_s`` of every state),
the largest relative difference of any table number between the two runs, and per case
how many of the grouped run's states were solved on a kept setup. With ``--states`` the
grouped run's cases are solved once more in this process on one
``fea.package.analyse.SolverContext`` (the worker's) to list per case and state what each
solve did: its setup (``built``, ``reused``: on the kept setup, ``rebuilt``), its PCG
iterations (1: a direct solve), the seconds of its setup and of its solve (the study's
tables do not record iterations).

Usage: python scripts/bench_study_sweep.py [--k 4] [--order 2] [--size 1.2] [--balls 6]
       [--methods amg direct] [--states]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
import tomllib
from pathlib import Path

SHELLS = ["copper", "nickel", "brass", "stainless_steel"]
ATTACHES = ["die_attach", "die_attach_epoxy"]


def study(group: str, k: int, order: int, size: float, method: str, balls: int = 6):
    from fea.package.spec import parse_study

    data = tomllib.loads(Path("studies/baseline.toml").read_text())
    data["study"]["name"] = f"bench_group_{group}"
    data["geometry"].pop("board", None)
    data["loads"].pop("power_W", None)
    data["geometry"]["terminals"].update(rows=balls, cols=balls)
    data["mesh"].update(
        order=order,
        size_mm=size,
        film_size_mm=size,
        opening_size_mm=min(0.2, size / 2),
        terminal_size_mm=min(0.2, size / 2),
    )
    data.setdefault("solver", {}).update(backend="cpu", method=method, rtol=1e-8)
    data.pop("outputs", None)
    data["outputs"] = {"metrics": ["warpage_um", "von_mises_max"]}
    cases = [{"materials.shell": s, "materials.die_attach": a} for a in ATTACHES for s in SHELLS]
    data["sweep"] = {"kind": "cases", "cases": cases[:k], "group": group}
    data.pop("transient", None)
    data.pop("theta_jc", None)
    data.pop("ctm", None)
    return parse_study(data, "studies/baseline.toml")


def rows(folder: Path) -> list[dict[str, str]]:
    with open(folder / "table.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def numbers(r: dict[str, str]) -> dict[str, float]:
    out = {}
    for key, v in r.items():
        if key in ("wall_s", "total_s") or "solve_s" in key or key.startswith("solver_reused"):
            continue
        try:
            out[key] = float(v)
        except (TypeError, ValueError):
            pass
    return out


def state_solves(spec) -> list[str]:
    """Each case of ``spec`` solved in order on one solver context (as a group's worker
    does): per case and warpage state its setup, PCG iterations and seconds."""
    import warnings

    from fea.package.analyse import SolverContext, warpage_metrics

    out = []
    with SolverContext("bench") as context, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cid, params, case in spec.cases():
            _, results = warpage_metrics(case, context=context)
            for tag, me in results.items():
                si = me.solver_info
                cap = si.get("reuse_cap") or si.get("baseline_iterations")
                out.append(
                    f"{cid} {'/'.join(str(v) for v in params.values())} {tag}: "
                    f"{si.get('setup')}, {si['iterations']} iterations"
                    + (f" (cap {cap})" if cap else "")
                    + (
                        f", {si['reuse_iterations']} on the kept setup before"
                        if "reuse_iterations" in si
                        else ""
                    )
                    + f", setup {si.get('setup_s', 0.0):.1f} s"
                    + f", solve {si['stages']['solve_s']:.1f} s"
                )
    return out


def main() -> None:
    import fea.package.meshing as meshing
    from fea.study import run_study

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--k", type=int, default=4)
    p.add_argument("--order", type=int, default=2)
    p.add_argument("--size", type=float, default=1.2)
    p.add_argument("--balls", type=int, default=6, help="terminal rows and columns")
    p.add_argument("--methods", nargs="+", default=["amg", "direct"])
    p.add_argument(
        "--states", action="store_true", help="list each state's setup and PCG iterations"
    )
    a = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_study_sweep_"))
    meshing.CACHE_DIR = tmp / "meshes"
    print(
        "| method | DOF | k | off: wall | auto: wall | off / auto | mech. solve off | "
        "mech. solve auto | states on a kept setup | largest difference |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    detail: list[str] = []
    for method in a.methods:
        # mesh once (not timed): both runs read the same cached mesh
        first = study("off", 1, a.order, a.size, method, a.balls)
        run_study(first, out=tmp / f"warm_{method}", progress=False)
        res = {}
        for group in ("off", "auto"):
            out = tmp / f"{method}_{group}"
            t0 = time.perf_counter()
            run_study(study(group, a.k, a.order, a.size, method, a.balls), out=out, progress=False)
            res[group] = (time.perf_counter() - t0, rows(out))
        (t_off, r_off), (t_auto, r_auto) = res["off"], res["auto"]
        diff = 0.0
        for x, y in zip(r_off, r_auto, strict=True):
            ny = numbers(y)
            for key, v in numbers(x).items():
                if key in ny and abs(v) > 0:
                    diff = max(diff, abs(ny[key] - v) / abs(v))

        def mech(rs):
            return sum(float(v) for r in rs for key, v in r.items() if "mech_solve_s" in key)

        counts = [str(r.get("solver_reused") or "0/0").split("/") for r in r_auto]
        reused, states = (sum(int(c[i]) for c in counts) for i in (0, 1))
        dof = r_auto[0].get("mechanical_dof_count", "?")
        print(
            f"| {method} | {float(dof):,.0f} | {a.k} | {t_off:.1f} s | {t_auto:.1f} s | "
            f"{t_off / t_auto:.2f} x | {mech(r_off):.1f} s | {mech(r_auto):.1f} s | "
            f"{reused:.0f} of {states} | {diff:.1e} |",
            flush=True,
        )
        if a.states:
            detail += [
                f"{method}: {line}"
                for line in state_solves(study("auto", a.k, a.order, a.size, method, a.balls))
            ]
    if detail:
        print("\nThe grouped cases again, in this process on one SolverContext:")
        print("\n".join(detail), flush=True)


if __name__ == "__main__":
    main()
