"""Mesh convergence of the baseline package: Tj, theta_JA and warpage vs mesh size (P2).

Usage: python scripts/convergence_baseline.py [size_mm ...]   (default 1.0 0.8 0.6 0.45)
"""

from __future__ import annotations

import sys
import time
import tomllib
from pathlib import Path

from fea.package import thermal_metrics, warpage_metrics
from fea.spec import parse_study


def main(sizes: list[float]) -> None:
    data = tomllib.loads(Path("studies/baseline.toml").read_text())
    for size in sizes:
        data["mesh"]["size_mm"] = size
        case = parse_study(data).base
        t0 = time.perf_counter()
        th, _ = thermal_metrics(case)
        w, states = warpage_metrics(case)
        print(
            f"size {size:4.2f} mm: thermal {th['n_nodes_thermal']:>9,.0f} nodes, Tj "
            f"{th['Tj_max']:7.3f} C, theta_JA {th['theta_ja']:6.3f} K/W, theta_JC "
            f"{th['theta_jc']:6.3f} K/W | mechanics {w['n_dof_mechanical']:>10,.0f} DOF, warpage "
            f"{w['warpage_signed_um@25C']:+7.3f} um @25C, {w['warpage_signed_um@260C']:+7.3f} um "
            f"@260C | {time.perf_counter() - t0:6.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [1.0, 0.8, 0.6, 0.45])
