"""Mesh convergence of the baseline package: Tj, theta_JA and warpage vs mesh size (P2).

Usage: python scripts/convergence_baseline.py [size_mm ...]      (default 1.0 0.8 0.6 0.45)
       python scripts/convergence_baseline.py 0.8 --film 0.3 0.2 0.15 0.1

The first form varies the global size with the films (dielectric, die attach) at the
mesher's default in-plane size; the second holds the global size and varies
``mesh.film_size_mm``, the size that controls Tj (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import time
import tomllib
from pathlib import Path

from fea.package.analyse import thermal_metrics, warpage_metrics
from fea.package.meshing import film_size
from fea.package.spec import parse_study


def run(size: float, film: float | None, thermal_only: bool) -> None:
    data = tomllib.loads(Path("studies/baseline.toml").read_text())
    data["mesh"]["size_mm"] = size
    if film is not None:
        data["mesh"]["film_size_mm"] = film
    case = parse_study(data).base
    t0 = time.perf_counter()
    th, _ = thermal_metrics(case)
    line = (
        f"size {size:4.2f} mm, film {film_size(case) * 1e3:4.2f} mm: thermal "
        f"{th['thermal_nodes_count']:>9,.0f} nodes, Tj {th['Tj_max_C']:7.3f} C, theta_JA "
        f"{th['R_ja_uniform_h_K_per_W']:6.3f} K/W, theta_JC {th['theta_jc_K_per_W']:6.3f} K/W"
    )
    if not thermal_only:
        w, _ = warpage_metrics(case)
        line += (
            f" | mechanics {w['mechanical_dof_count']:>10,.0f} DOF, warpage "
            f"{w['warpage_signed_um@25C']:+7.3f} um @25C, {w['warpage_signed_um@260C']:+7.3f} um "
            "@260C"
        )
    print(f"{line} | {time.perf_counter() - t0:6.1f} s", flush=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("sizes", nargs="*", type=float, default=[1.0, 0.8, 0.6, 0.45])
    p.add_argument("--film", nargs="*", type=float, default=None, help="film sizes [mm]")
    p.add_argument("--thermal-only", action="store_true")
    a = p.parse_args()
    for size in a.sizes:
        for film in a.film or [None]:
            run(size, film, a.thermal_only)


if __name__ == "__main__":
    main()
