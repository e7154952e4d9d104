"""Mesh time and element counts of the baseline unit (no board) at several sizes, or, stage
by stage, of the baseline with many openings per wall.

Usage:
    python scripts/bench_mesh.py [size_mm ...]      (default 1.0 0.6 0.35)
    python scripts/bench_mesh.py --openings N [N ...] [--kind holes|slots|pillars]
        [--width MM] [--opening-size MM] [--board] [--symmetry half|quarter|eighth]
        [--trees OLD NEW] [--repeat R]

``--openings``: the baseline (studies/baseline.toml; without its board unless ``--board``)
with N openings of ``--kind`` and ``--width`` on every wall (``--opening-size``: the
study's ``mesh.opening_size_mm``, 0.2; 0 leaves the key out, the default rule of half
the opening; ``--symmetry``: the cut model), each case in a fresh process. Each row
gives the time of every stage: ``solids`` (the OCC solids with their booleans: the
terminals' sphere cuts), ``fragment`` (one OCC fragment of every piece), ``groups`` (a
symmetry cut's intersections and removals, regions, boundaries and physical groups),
``fields`` (size fields), ``2D`` (gmsh's curve and surface meshing), ``3D`` (volume
meshing and its optimisation), ``read`` (the mesh into scikit-fem, regions and
boundaries), ``write`` (the .msh), ``quality`` (the shape report), with the tetrahedra
and the size guard's estimate (:func:`fea.package.meshing.estimate`) of the same model.
``--trees OLD NEW`` runs each case with ``PYTHONPATH`` set to each source tree in turn,
alternating, ``--repeat`` times: a before/after comparison measured side by side on a
noisy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

STUDY = Path(__file__).resolve().parent.parent / "studies" / "baseline.toml"
STAGES = ("solids", "fragment", "groups", "fields", "2D", "3D", "read", "write", "quality")


def size_series(sizes: list[float]) -> None:
    """The size series of the baseline unit without its board (docs/performance.md)."""
    from fea.fe.mesh import quality_report
    from fea.package.meshing import build_mesh
    from fea.package.spec import parse_study

    data = tomllib.loads(STUDY.read_text())
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


def openings_case(
    count: int, kind: str, width_mm: float, board: bool, opening_size_mm: float | None = None
):
    """The baseline case with ``count`` openings of ``kind`` and ``width_mm`` on every wall
    (``opening_size_mm``: None keeps the study's, 0 removes the key)."""
    from fea.package.spec import parse_study

    data = tomllib.loads(STUDY.read_text())
    if not board:
        data["geometry"].pop("board", None)
    data["geometry"]["aperture_rule"] = "warn"
    o = data["geometry"]["openings"]
    o.update(kind=kind, count=count, width_mm=width_mm)
    if kind != "slots":
        o.pop("height_mm", None)
    if kind == "pillars":
        o.pop("z0_mm", None)
    if opening_size_mm == 0:
        data["mesh"].pop("opening_size_mm", None)
    elif opening_size_mm is not None:
        data["mesh"]["opening_size_mm"] = opening_size_mm
    return parse_study(data).base


def stage_times(
    count: int,
    kind: str,
    width_mm: float,
    board: bool,
    opening_size_mm: float | None = None,
    symmetry: str = "none",
) -> dict[str, float]:
    """Mesh one openings case with every stage timed (seconds); tets and the estimate.

    The gmsh and fea calls are wrapped with timers, nothing else changes (the mesh is the
    one :func:`~fea.package.meshing.build_mesh` makes): ``2D`` is gmsh's own wall time of
    its 1-D and 2-D passes from its log, ``3D`` the rest of ``generate(3)``.
    """
    import gmsh

    import fea.package.geometry as geometry
    import fea.package.meshing as meshing
    from fea.fe.mesh import Mesh, quality_report
    from fea.package.geometry.pieces import Builder

    meshing.CACHE_DIR = Path(os.environ["FEA_MESH_CACHE"])  # the child's own, removed after
    times = dict.fromkeys(STAGES, 0.0)
    times["geometry"] = 0.0

    def timed(owner, name: str, stage: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                times[stage] += time.perf_counter() - t0

        setattr(owner, name, wrapper)

    # the fragment inside Builder.finish: "groups" is finish less the fragment
    timed(geometry, "build", "geometry")  # imported by build_mesh when it runs
    timed(gmsh.model.occ, "fragment", "fragment")
    timed(Builder, "finish", "groups")
    timed(meshing, "size_fields", "fields")
    timed(gmsh, "write", "write")
    timed(Mesh, "from_gmsh", "read")
    generate = gmsh.model.mesh.generate

    def split(dim: int = 3) -> None:
        # gmsh's own wall times of its 1-D and 2-D passes (logged at verbosity 4); the
        # rest of generate() is the 3-D pass and its optimisation
        verbosity = gmsh.option.getNumber("General.Verbosity")
        gmsh.option.setNumber("General.Verbosity", 4)
        gmsh.logger.start()
        t0 = time.perf_counter()
        try:
            generate(dim)
        finally:
            wall = time.perf_counter() - t0
            log = gmsh.logger.get()
            gmsh.logger.stop()
            gmsh.option.setNumber("General.Verbosity", verbosity)
        surface = sum(
            float(m.group(1))
            for line in log
            if (m := re.search(r"Done meshing [12]D \(Wall ([0-9.eE+-]+)s", line))
        )
        times["2D"] += surface
        times["3D"] += wall - surface

    gmsh.model.mesh.generate = split
    case = openings_case(count, kind, width_mm, board, opening_size_mm)
    t0 = time.perf_counter()
    error = None
    try:
        mesh, _ = meshing.build_mesh(case, cache=False, force=True, symmetry=symmetry)
    except Exception as exc:  # a case gmsh cannot mesh: the time it took to find out
        error = str(exc).split(";")[0][:200]
    total = time.perf_counter() - t0
    times["groups"] -= times["fragment"]
    times["solids"] = times.pop("geometry") - times["fragment"] - times["groups"]
    est = meshing.estimate(case, symmetry).elements  # the largest model's: meshed here
    if error is not None:
        return {**times, "total": total, "estimate": est, "error": error}  # type: ignore
    t1 = time.perf_counter()
    q = quality_report(mesh)
    times["quality"] = time.perf_counter() - t1
    return {
        **times,
        "total": total + times["quality"],
        "tets": float(q.n_elements),
        "estimate": est,
    }


def run_child(tree: str, args: list[str]) -> dict[str, float] | str:
    """One case in a fresh process with ``PYTHONPATH`` set to the source tree ``tree``: its
    stage times, or the last line of its error."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = str(Path(tree).resolve())
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [x for x in out.stdout.splitlines() if x.startswith("{")]
    if out.returncode or not lines:
        errors = out.stderr.strip().splitlines() or ["no output"]
        return errors[-1][:300]
    return json.loads(lines[-1])


def openings_series(ns: argparse.Namespace) -> None:
    """Print one table row per case (and tree, and repeat)."""
    trees = ns.trees or [str(STUDY.parent.parent)]  # this checkout
    head = "| tree | openings/wall | " + " | ".join(STAGES) + " | total | tets | estimate |"
    size = (
        "0.2"
        if ns.opening_size is None
        else (f"{ns.opening_size:g}" if ns.opening_size else "default")
    )
    print(
        f"{ns.kind}, width {ns.width:g} mm, {'with' if ns.board else 'without'} board, "
        f"opening_size_mm {size}, symmetry {ns.symmetry}"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for n in ns.openings:
        for _ in range(ns.repeat):
            for tree in trees:
                args = [str(n), ns.kind, str(ns.width)] + (["--board"] if ns.board else [])
                if ns.opening_size is not None:
                    args += ["--opening-size", str(ns.opening_size)]
                args += ["--symmetry", ns.symmetry]
                r = run_child(tree, args)
                if isinstance(r, str):
                    print(f"| {tree} | {n} | failed: {r} |", flush=True)
                    continue
                cells = " | ".join(f"{r[s]:.1f}" for s in STAGES)
                tets = f"{r['tets']:,.0f}" if "error" not in r else f"failed: {r['error']}"
                counts = f"{tets} | {r['estimate']:,.0f}"
                print(f"| {tree} | {n} | {cells} | {r['total']:.1f} | {counts} |", flush=True)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        count, kind, width = int(argv[1]), argv[2], float(argv[3])
        size = float(argv[argv.index("--opening-size") + 1]) if "--opening-size" in argv else None
        sym = argv[argv.index("--symmetry") + 1] if "--symmetry" in argv else "none"
        with tempfile.TemporaryDirectory(prefix="bench_mesh_") as cache:
            os.environ["FEA_MESH_CACHE"] = cache
            print(json.dumps(stage_times(count, kind, width, "--board" in argv, size, sym)))
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sizes", nargs="*", type=float, help="size series (mm)")
    p.add_argument("--openings", nargs="+", type=int, help="openings per wall")
    p.add_argument("--kind", default="holes", choices=("holes", "slots", "pillars"))
    p.add_argument("--width", type=float, default=0.05, help="opening width (mm)")
    p.add_argument(
        "--opening-size", type=float, default=None, help="mesh.opening_size_mm (0: the default)"
    )
    p.add_argument("--board", action="store_true", help="the thermal model, with its board")
    p.add_argument("--symmetry", default="none", choices=("none", "half", "quarter", "eighth"))
    p.add_argument("--trees", nargs=2, metavar=("OLD", "NEW"), help="source trees to compare")
    p.add_argument("--repeat", type=int, default=1)
    ns = p.parse_args(argv)
    if ns.openings:
        openings_series(ns)
    else:
        size_series(ns.sizes or [1.0, 0.6, 0.35])


if __name__ == "__main__":
    main(sys.argv[1:])
