"""Mesh time and element counts of the baseline unit (no board) at several sizes.

Usage: python scripts/bench_mesh.py [size_mm ...]   (default 1.0 0.6 0.35)
"""

from __future__ import annotations

import sys
import time
import tomllib
from pathlib import Path

from fea.fe.mesh import quality_report
from fea.package.meshing import build_mesh
from fea.package.spec import parse_study


def main(sizes: list[float]) -> None:
    data = tomllib.loads(Path("studies/baseline.toml").read_text())
    data["geometry"].pop("board", None)
    for size in sizes:
        data["mesh"].update(
            size_mm=size, opening_size_mm=min(0.2, size / 2), terminal_size_mm=min(0.2, size / 2)
        )
        case = parse_study(data).base
        t0 = time.perf_counter()
        mesh, _ = build_mesh(case, cache=False)
        wall = time.perf_counter() - t0
        q = quality_report(mesh)
        print(
            f"size {size:5.2f} mm: {q.n_elements:>9} tets, {q.n_nodes:>9} P2 nodes, "
            f"mesh {wall:6.1f} s (3D {mesh.info['mesh_3d_s']:.1f} s), "
            f"quality min {q.q_min:.3g} p01 {q.q_p01:.3g}",
            flush=True,
        )


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [1.0, 0.6, 0.35])
