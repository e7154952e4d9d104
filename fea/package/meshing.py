"""Build and mesh the geometry of a package case, with a cache of meshes.

:func:`generate` meshes a model built by :func:`fea.package.geometry.build` with the
size fields of :mod:`fea.package.sizing`; :func:`build_mesh` adds a cache in
``meshes/cache`` (``FEA_MESH_CACHE``) keyed by a hash of the geometry and mesh settings.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path

from ..errors import MeshError
from ..fe.mesh import Mesh, gmsh_session
from ..io.atomic import atomic_path, write_atomic
from .sizing import size_fields

__all__ = ["BUILDER_VERSION", "CACHE_DIR", "build_mesh", "cache_key", "film_size", "generate"]

#: Bump when the geometry builders change in a way that changes meshes.
BUILDER_VERSION = 2
CACHE_DIR = Path(os.environ.get("FEA_MESH_CACHE", "meshes/cache"))


def generate(model, case, info) -> dict[str, float]:
    """Mesh a model built by :func:`fea.package.geometry.build` for ``case``; returns timings.

    Sizes come from fields, not from the global size: the package gets
    ``mesh.size``, the board grades to ``mesh.board_size`` away from it, openings get
    ``mesh.opening_size`` (default half the smallest opening dimension) and the
    terminal band ``mesh.terminal_size`` (default a quarter of the ball diameter), and
    the low-conductivity films (dielectric, die attach) the in-plane size
    ``mesh.film_size`` (default for a unit: 3 x the thicker film, at most ``mesh.size``;
    for a panel and for the uniform-temperature warpage mesh of
    :func:`fea.package.analyse.warpage_metrics`: ``mesh.size``). The films carry the heat from
    the die into the ball contacts through a constriction about one film thickness
    wide; elements much wider than the film there make the conduction too stiff and Tj
    too low (docs/performance.md, mesh convergence). Thin layers are resolved by their
    sub-layers (see :mod:`fea.package.geometry.unit`).
    The mesh is scaled from model units (mm) to metres at the end.
    """
    import gmsh

    from .geometry.pieces import MODEL_SCALE

    k = MODEL_SCALE
    ms = case.mesh
    opt = gmsh.option
    opt.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    opt.setNumber("Mesh.MeshSizeFromPoints", 0)
    opt.setNumber("Mesh.MeshSizeFromCurvature", 0)
    opt.setNumber("Mesh.Algorithm", 6)
    opt.setNumber("Mesh.Algorithm3D", {"hxt": 10, "delaunay": 1, "frontal": 4}[ms.algorithm])
    # one thread by default: gmsh's OpenMP next to MKL's (Pardiso) in one process crashed
    opt.setNumber("General.NumThreads", ms.threads or 1)
    opt.setNumber("Mesh.Optimize", 1 if ms.optimize else 0)
    opt.setNumber("Mesh.ElementOrder", 1)
    big = max(ms.board_size, ms.size) * k
    opt.setNumber("Mesh.MeshSizeMax", big)
    opt.setNumber("Mesh.MeshSizeMin", 0.0)

    fields = size_fields(model, info, ms, film_size(case))
    fmin = model.mesh.field.add("Min")
    model.mesh.field.setNumbers(fmin, "FieldsList", fields)
    model.mesh.field.setAsBackgroundMesh(fmin)

    times = {}
    t0 = time.perf_counter()
    try:
        model.mesh.generate(3)
    except Exception as exc:
        raise MeshError(_geometry_message(case, exc, "mesh")) from None
    times["mesh_3d_s"] = time.perf_counter() - t0
    s = 1.0 / k
    model.mesh.affineTransform([s, 0, 0, 0, 0, s, 0, 0, 0, 0, s, 0])
    return times


def film_size(case) -> float:
    """In-plane element size [m] in the dielectric and die attach of ``case``."""
    ms, g = case.mesh, case.geometry
    if ms.film_size is not None:
        return min(ms.film_size, ms.size)
    if case.kind != "unit":
        return ms.size
    t = max(g.dielectric_thickness, g.die_attach_thickness)
    return min(3 * t, ms.size) if t > 0 else ms.size


def cache_key(case) -> str:
    """Hash of everything that determines the mesh of ``case``."""
    payload = {
        "kind": case.kind,
        "geometry": asdict(case.geometry),
        "mesh": asdict(case.mesh),
        "builder": BUILDER_VERSION,
    }
    if case.kind == "unit" and case.environment.kind == "junction_to_board":
        # the board's faces are split at the ring cold plate (fea.package.jedec)
        env = case.environment
        payload["cold_plate_ring_offset"] = env.ring_offset
    for o in payload["geometry"]["openings"].values():
        o.pop("key", None)
    geo = payload["geometry"]
    if geo.get("vias", 0) is None:
        geo.pop("vias")  # absent before the option existed: keys of old meshes unchanged
    if geo.get("board"):
        for k in ("stack", "layers", "laminate_k"):  # conductivity only, not geometry
            geo["board"].pop(k, None)
        if geo["board"].get("thermal_vias", 0) is None:
            geo["board"].pop("thermal_vias")
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_mesh(
    case, output: str | os.PathLike | None = None, *, cache: bool = True
) -> tuple[Mesh, Path]:
    """Build (or fetch from the cache) the mesh of ``case``; returns the mesh and its path.

    The ``.msh`` is written atomically (temporary name, then rename).
    """
    import gmsh

    from .geometry import build

    key = cache_key(case)
    path = CACHE_DIR / f"{case.kind}-{key}.msh"
    if cache and path.exists():
        mesh = Mesh.from_gmsh(path, order=case.mesh.order)
        mesh.info.update({"cache": "hit", "path": str(path)})
        _load_facts(mesh, path)
    else:
        with gmsh_session():
            t0 = time.perf_counter()
            try:
                info = build(gmsh.model, case)
            except MeshError:
                raise
            except Exception as exc:
                raise MeshError(_geometry_message(case, exc)) from None
            t_geo = time.perf_counter() - t0
            times = generate(gmsh.model, case, info)
            mesh = Mesh.from_gmsh(None, case.mesh.order)
            with atomic_path(path, extension=".msh") as tmp:
                gmsh.option.setNumber("Mesh.Binary", 1)
                gmsh.write(str(tmp))
        mesh.info.update(
            {"cache": "miss", "path": str(path), "geometry_s": t_geo, **times, "facts": info.facts}
        )
        write_atomic(path.with_suffix(".json"), json.dumps(info.facts))
    if output is not None:
        out = Path(output)
        with atomic_path(out) as tmp:
            shutil.copyfile(path, tmp)
        path = out
    empty = [n for n, f in mesh.boundaries.items() if len(f) == 0]
    if empty:
        raise MeshError(f"boundaries without facets after meshing: {', '.join(empty)}")
    return mesh, path


def _load_facts(mesh: Mesh, path: Path) -> None:
    side = path.with_suffix(".json")
    if side.exists():
        mesh.info["facts"] = json.loads(side.read_text())


def _geometry_message(case, exc: Exception, stage: str = "build") -> str:
    g = case.geometry
    return (
        f"gmsh/OCC could not {stage} the geometry ({exc}); mesh size "
        f"{case.mesh.size * 1e3:g} mm; parameters: cavity "
        f"{g.cavity[0] * 1e3:g} x {g.cavity[1] * 1e3:g} mm, depth {g.cavity_depth * 1e3:g} mm, "
        f"shell {g.shell_thickness * 1e6:g} um, corner radius {g.corner_radius * 1e3:g} mm, "
        f"openings {[(o.kind, o.count, o.width * 1e3) for o in g.openings.values()]}"
    )
