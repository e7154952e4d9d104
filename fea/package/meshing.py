"""Build and mesh the geometry of a package case, with a cache of meshes.

:func:`generate` meshes a model built by :func:`fea.package.geometry.build` with the
size fields of :mod:`fea.package.sizing`; :func:`build_mesh` adds a cache in
``meshes/cache`` (``FEA_MESH_CACHE``) keyed by a hash of the geometry and mesh settings.

Before any geometry is built, :func:`estimate` predicts the element count of the case's
models from the spec alone (closed-form volumes of each zone over its element size) and
the memory to solve them; :func:`check_size` refuses a case whose estimate exceeds this
machine's memory, naming the estimate and the key to change (``--force`` overrides). A
size of 0.001 mm or 40,000 terminals would otherwise start a mesher that hangs or
crashes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path

from ..errors import InputError, MeshError, ResultsError
from ..fe.mesh import Mesh, gmsh_session
from ..io.atomic import atomic_path, sweep_parts, write_atomic
from .progress import stage
from .sizing import film_rule, size_fields
from .spec.geometry import mesh_algorithm

__all__ = [
    "BUILDER_VERSION",
    "CACHE_DIR",
    "MeshEstimate",
    "SIZE_GUARD",
    "available_memory",
    "build_mesh",
    "cache_key",
    "check_size",
    "estimate",
    "film_size",
    "generate",
    "model_case",
]

#: Bump when the geometry builders change in a way that changes meshes.
BUILDER_VERSION = 3
CACHE_DIR = Path(os.environ.get("FEA_MESH_CACHE", "meshes/cache"))
#: False turns :func:`check_size` off in this process (``--force``; a runner's child
#: process gets it from its parent).
SIZE_GUARD = True


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
    opt.setNumber("Mesh.Algorithm3D", mesh_algorithm(ms.algorithm))
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
    ms = case.mesh
    if ms.film_size is not None:
        return min(ms.film_size, ms.size)
    if case.kind != "unit":
        return ms.size
    return film_rule(case)


def cache_key(case, model: str | None = None, symmetry: str = "none") -> str:
    """Hash of everything that determines the mesh of ``case`` (and of its ``model`` and
    ``symmetry`` where they are not the defaults: the keys of older meshes are unchanged)."""
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
        if symmetry != "none":  # a cut model's cold_plate faces were not named before
            payload["cold_plate_cut"] = True
    # [mesh] symmetry says which models of a study are cut; the mesh built is the
    # ``symmetry`` argument's (the full thermal mesh of a cut study is the full one)
    payload["mesh"].pop("symmetry", None)
    for o in payload["geometry"]["openings"].values():
        o.pop("key", None)
    geo = payload["geometry"]
    if geo.get("vias", 0) is None:
        geo.pop("vias")  # absent before the option existed: keys of old meshes unchanged
    if not geo.get("walls_to_zero", True):
        geo.pop("walls_to_zero")  # likewise
    if geo.get("board"):
        for k in ("stack", "layers", "laminate_k"):  # conductivity only, not geometry
            geo["board"].pop(k, None)
        if geo["board"].get("thermal_vias", 0) is None:
            geo["board"].pop("thermal_vias")
        if geo["board"].get("rim_bond") and geo.get("corner_radius", 0) > 0:
            # the ring follows the rounded walls (it was square before): only these
            # meshes change, the keys of the others stay
            payload["rim_bond_rounded"] = True
    panel = geo.get("panel")
    if panel and panel.get("pathways") and geo["openings"]["xmin"]["kind"] in ("holes", "pillars"):
        # the dams' pathways follow the holes and pillars (they were slots): new keys
        payload["pathways_shaped"] = True
    if model is not None:
        payload["model"] = model
    if symmetry != "none":
        payload["symmetry"] = symmetry
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_mesh(
    case,
    output: str | os.PathLike | None = None,
    *,
    cache: bool = True,
    force: bool = False,
    model: str | None = None,
    symmetry: str = "none",
) -> tuple[Mesh, Path]:
    """Build (or fetch from the cache) the mesh of ``case``; returns the mesh and its path.

    ``model``: None (the case as given: a unit with a board is its thermal model),
    ``"thermal"`` (the same), ``"warpage"`` (the unit without its board,
    :func:`fea.package.board_model.warpage_case`) or ``"board"`` (the unit on its board
    for mechanics, :func:`fea.package.board_model.board_case`; its joints:
    :func:`fea.package.board_model.joint_map`). ``symmetry``: ``"none"``, ``"half"``,
    ``"quarter"`` or ``"eighth"`` (:mod:`fea.package.geometry.symmetry`; the cut faces are
    the boundaries ``symmetry_x``, ``symmetry_y`` and, on an eighth, ``symmetry_d``).

    Before meshing, :func:`check_size` refuses a case too large for this machine unless
    ``force``. The case is not checked as its study file's reader would check it: it may
    be a model derived from a study's case (the package without its board for theta_JC,
    the warpage model, the board coupon) whose loads name the study's board; the entry
    points (:func:`fea.package.analyse.analyse`, the metrics functions) check the study's
    case with :func:`fea.package.spec.check_case_spec` before they derive their models.
    The ``.msh`` is written atomically (temporary name, then rename) and checked to be
    complete; a cached mesh that cannot be read is built again. Stale temporary files of
    dead writers are removed from the cache first.
    """
    import gmsh

    from .geometry import build
    from .geometry.symmetry import check_symmetry
    from .spec.geometry import is_imported

    if is_imported(case.geometry):
        return _imported_mesh(case, output, cache, model, symmetry, force)
    case = model_case(case, model)
    check_symmetry(case, symmetry)
    # the warpage model is a case of its own (no board): its key is that case's
    named = model if model == "board" else None
    key = cache_key(case, named, symmetry)
    tag = case.kind if named is None else f"{case.kind}-{named}"
    path = CACHE_DIR / f"{tag}-{key}.msh"
    mesh = _cached(path, case.mesh.order) if cache else None
    if mesh is None:
        check_size(case, force=force, symmetry=symmetry)
        sweep_parts(CACHE_DIR)
        with gmsh_session():
            stage("geometry")
            t0 = time.perf_counter()
            try:
                info = build(gmsh.model, case, symmetry)
            except (MeshError, InputError):
                raise
            except Exception as exc:
                raise MeshError(_geometry_message(case, exc)) from None
            t_geo = time.perf_counter() - t0
            stage("meshing")
            times = generate(gmsh.model, case, info)
            try:
                mesh = Mesh.from_gmsh(None, case.mesh.order, check_parts=False)
            except MeshError as exc:  # flat or doubly owned tetrahedra of thin sub-layers
                raise MeshError(f"{exc}; {_thin_layers(case)}") from None
            stage("writing mesh")
            with atomic_path(path, extension=".msh") as tmp:
                gmsh.option.setNumber("Mesh.Binary", 1)
                gmsh.write(str(tmp))
                _check_complete(tmp, path)
        mesh.info.update(
            {"cache": "miss", "path": str(path), "geometry_s": t_geo, **times, "facts": info.facts}
        )
        write_atomic(path.with_suffix(".json"), json.dumps(info.facts))
    return _delivered(mesh, path, output)


def _delivered(mesh: Mesh, path: Path, output: str | os.PathLike | None) -> tuple[Mesh, Path]:
    """``mesh`` (cached at ``path``) copied to ``output`` when given, its named boundaries
    checked to have facets."""
    if output is not None:
        out = Path(output)
        with atomic_path(out) as tmp:
            shutil.copyfile(path, tmp)
        path = out
    empty = [n for n, f in mesh.boundaries.items() if len(f) == 0]
    if empty:
        raise MeshError(f"boundaries without facets after meshing: {', '.join(empty)}")
    return mesh, path


def _imported_mesh(
    case,
    output: str | os.PathLike | None,
    cache: bool,
    model: str | None,
    symmetry: str,
    force: bool,
) -> tuple[Mesh, Path]:
    """:func:`build_mesh` of the user's own model (:mod:`fea.package.geometry.imported`):
    the ``warpage`` model leaves the board region out; the ``board`` model and symmetry
    cuts need the built-in family (an :class:`~fea.errors.InputError`)."""
    from .geometry.imported import imported_mesh
    from .spec.checks import check_imported_symmetry

    if model not in MODELS:
        raise InputError("model", model, "None, 'thermal', 'warpage' or 'board'")
    if model == "board":
        raise InputError(
            "model",
            model,
            "None, 'thermal' or 'warpage' for a model read from a file (the "
            "board-mounted mechanics model needs the built-in family's terminals)",
        )
    check_imported_symmetry(symmetry)
    keep = case.geometry.keep_board and model != "warpage"
    if case.geometry.source == "step":
        check_size(case, force=force)
    stage("reading geometry file")
    mesh, path = imported_mesh(case, keep_board=keep, cache=cache)
    return _delivered(mesh, path, output)


#: The models of a unit that :func:`build_mesh` builds.
MODELS = (None, "thermal", "warpage", "board")


def model_case(case, model: str | None):
    """The case whose mesh is ``model`` of ``case`` (see :func:`build_mesh`)."""
    if model not in MODELS:
        raise InputError("model", model, "None, 'thermal', 'warpage' or 'board'")
    if model in (None, "thermal"):
        return case
    from .board_model import board_case, warpage_case

    if case.kind != "unit":
        raise InputError("model", model, f"None for a {case.kind} (models are a unit's)")
    return warpage_case(case) if model == "warpage" else board_case(case)


def _cached(path: Path, order: int) -> Mesh | None:
    """The cached mesh at ``path`` with its facts, or None (absent, or unreadable: a
    damaged cache entry is rebuilt, not a failure of every case that uses it)."""
    side = path.with_suffix(".json")
    if not (path.is_file() and side.is_file()):
        return None
    stage("reading cached mesh")
    try:
        facts = json.loads(side.read_text())
        mesh = Mesh.from_gmsh(path, order=order, check_parts=False)
    except (OSError, ValueError, MeshError):
        return None
    if not isinstance(facts, dict):
        return None
    mesh.info.update({"cache": "hit", "path": str(path), "facts": facts})
    return mesh


def _check_complete(tmp: Path, path: Path) -> None:
    """gmsh does not report a failed write: a mesh file must end with a section end."""
    try:
        with open(tmp, "rb") as fh:
            fh.seek(max(0, os.path.getsize(tmp) - 64))
            tail = fh.read()
    except OSError:
        tail = b""
    if tail.rstrip().rsplit(b"\n", 1)[-1].startswith(b"$End"):
        return
    try:
        full = shutil.disk_usage(tmp.parent).free < 1 << 20
    except OSError:
        full = False
    if full:
        raise ResultsError(f"no space left on device while writing {path}")
    raise ResultsError(f"gmsh wrote an incomplete mesh file for {path}")


def _geometry_message(case, exc: Exception, step: str = "build") -> str:
    g = case.geometry
    text = (
        f"gmsh/OCC could not {step} the geometry ({exc}); mesh size "
        f"{case.mesh.size * 1e3:g} mm; parameters: cavity "
        f"{g.cavity[0] * 1e3:g} x {g.cavity[1] * 1e3:g} mm, depth {g.cavity_depth * 1e3:g} mm, "
        f"shell {g.shell_thickness * 1e6:g} um, corner radius {g.corner_radius * 1e3:g} mm, "
        f"openings {[(o.kind, o.count, o.width * 1e3) for o in g.openings.values()]}"
    )
    return f"{text}; {_thin_layers(case)}" if step == "mesh" else text


def _thin_layers(case) -> str:
    """What to change when gmsh fails on (or leaves flat elements in) the thin layers: the
    thinnest sub-layer against the element size, and the keys that set them."""
    g, ms = case.geometry, case.mesh
    films = [g.shell_thickness, g.dielectric_thickness, g.die_attach_thickness]
    layers = ms.layers_through_thickness
    thin = min(t for t in films if t > 0) / layers
    return (
        f"the thinnest sub-layer is {thin * 1e6:.3g} um (mesh.layers_through_thickness = "
        f"{layers}) under elements of {ms.size * 1e3:g} mm (mesh.size_mm): try another "
        "mesh.size_mm or fewer mesh.layers_through_thickness (probes of the built-in "
        "geometry with 5 to 8 often failed where 2 to 4 meshed)"
    )


# -- the size guard -------------------------------------------------------------------------

#: Tetrahedra per cell of side h: a cube splits into 5-6 tetrahedra; calibrated against
#: gmsh's meshes of the baseline unit, the tiny study and a panel (tests/package), the
#: estimate lands within a factor of about 2 of the real count.
TETS_PER_CELL = 6.0
#: Fewest tetrahedra of one terminal, however coarse the size: its curved surface needs
#: a few dozen triangles whatever the size field asks.
MIN_TETS_PER_TERMINAL = 100.0
#: A panel's lanes, dams and the encapsulant around its cans mesh about twice as finely
#: as the zones above count (measured on studies/panel_process.toml: 0.5 without it).
PANEL_FACTOR = 2.0
#: Memory to assemble and solve one element of a model [bytes], by (problem, order), over
#: ``BASE_BYTES``: fitted with it to the whole process's peak RSS with the solver ``auto``
#: picks (docs/performance.md, "Memory estimates"): P2 elasticity 29 kB per tetrahedron
#: (the baseline's warpage at 24k-497k tetrahedra, Pardiso and amg-xp: -20 to +13 %), the
#: P2 thermal board model 10 kB (31k-141k tetrahedra: -10 to -2 %). P1 not measured
#: beyond small models, where the base dominates (the figures kept, on the safe side).
BYTES_PER_ELEMENT = {
    ("mechanical", 2): 29e3,
    ("mechanical", 1): 7e3,
    ("thermal", 2): 10e3,
    ("thermal", 1): 3e3,
}
#: The process itself (Python, NumPy, SciPy, gmsh, MKL, Numba) [bytes]: 0.28 GB with the
#: libraries loaded and a small solve of each kind done; 0.35 GB with the slopes above
#: (the former 1 GB put the guard 19-51 % above the peak of a 24k-35k tetrahedron P2
#: warpage model and 53-113 % above the thermal one's).
BASE_BYTES = 0.35e9
#: What the guard (:func:`check_size`) allows for above a P2 estimate: these slopes are
#: fitted to the mesh's real element count, and the count :func:`estimate` takes from the
#: spec is short of it (the thermal board model's by about a fifth), so from the spec the
#: whole process's peak measured 6-25 % above the estimate (the baseline's thermal model
#: at 0.8 mm: 1.94 GB against 1.45 GB; docs/performance.md, "Memory estimates"): the worst
#: of those ratios, 1.34, rounded up. P1 (its slopes on the safe side) takes none.
GUARD_MARGIN = 1.35
#: Fewest nodes gmsh puts on a circle (its ``Mesh.MinimumCirclePoints``, left at the
#: default by :func:`generate`): a hole of diameter w is meshed at pi w / 7 or finer,
#: whatever ``mesh.opening_size`` asks (:func:`_opening_excess`).
GMSH_MIN_CIRCLE_POINTS = 7

#: The key to change for each zone of an estimate, and what else helps.
_ZONE_KEYS = {
    "bulk": ("mesh.size_mm", "a larger mesh.size_mm"),
    "thin layers": (
        "mesh.size_mm",
        "a larger mesh.size_mm or fewer mesh.layers_through_thickness",
    ),
    "films": ("mesh.film_size_mm", "a larger mesh.film_size_mm"),
    "openings": ("mesh.opening_size_mm", "a larger mesh.opening_size_mm"),
    "opening count": (
        "geometry.openings.count",
        "fewer or larger openings (geometry.openings.count, width_mm; mesh.opening_size_mm "
        "does not coarsen openings smaller than itself)",
    ),
    "terminals": (
        "mesh.terminal_size_mm",
        "a larger mesh.terminal_size_mm or fewer terminals (geometry.terminals.rows, cols)",
    ),
    "terminal count": (
        "geometry.terminals.rows",
        "fewer terminals (geometry.terminals.rows, cols)",
    ),
    "board": ("mesh.board_size_mm", "a larger mesh.board_size_mm"),
    "sites": (
        "geometry.panel.nx",
        "fewer sites (geometry.panel.nx, ny) or a larger mesh.size_mm",
    ),
}


@dataclasses.dataclass
class MeshEstimate:
    """What meshing and solving a case will take, estimated from its spec.

    Attributes
    ----------
    elements
        Tetrahedra of the case's largest model (a unit's thermal model includes its board).
    memory
        Bytes to mesh and solve the heaviest model.
    limit
        Bytes this machine (or job) has: :func:`available_memory`.
    zones
        Elements per zone of the largest model (``bulk``, ``thin layers``, ``films``,
        ``openings``, ``opening count``, ``terminals``, ``terminal count``, ``board``,
        ``sites``).
    values
        The current value of each zone's key (spec units), for messages.
    """

    elements: float
    memory: float
    limit: float
    zones: dict[str, float]
    values: dict[str, float]

    @property
    def dominant(self) -> str:
        """The zone with the most elements."""
        return max(self.zones, key=lambda z: self.zones[z])

    def format(self) -> str:
        """One line: elements, memory and the zone with most of them."""
        return (
            f"about {self.elements:,.0f} elements (~{self.memory / 2**30:.1f} GiB to solve; "
            f"{self.limit / 2**30:.0f} GiB available), most of them in the {self.dominant}"
        )


def available_memory() -> float:
    """Memory this process may use [bytes]: the machine's, or less where a cgroup (a batch
    job's allocation) limits it; ``FEA_MEMORY_GB`` overrides both
    (:func:`fea.solvers.cost.memory_setting`)."""
    from ..solvers.cost import memory_setting

    setting = memory_setting()
    if setting is not None:
        return setting
    try:
        total = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        total = 16.0 * 2**30
    for limit_file in _cgroup_limit_files():
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = float(text)
    return total


def _cgroup_limit_files() -> list[str]:
    files = ["/sys/fs/cgroup/memory/memory.limit_in_bytes"]
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return files
    for line in lines:
        _, _, rest = line.partition(":")
        controllers, _, rel = rest.partition(":")
        if controllers == "":  # cgroup v2
            files.append(f"/sys/fs/cgroup{rel.rstrip('/')}/memory.max")
        elif "memory" in controllers.split(","):
            files.append(f"/sys/fs/cgroup/memory{rel.rstrip('/')}/memory.limit_in_bytes")
    return files


def _cells(dims: tuple[float, float, float], h: float, through=(1, 1, 1)) -> float:
    """Tetrahedra of a box ``dims`` [m] meshed at size ``h``, with at least ``through[i]``
    elements along axis i (thin layers and their sub-layers)."""
    n = TETS_PER_CELL
    for d, m in zip(dims, through, strict=True):
        n *= max(float(m), d / h)
    return n


def _opening_size(g, ms) -> float:
    """The size at the walls with openings (as :func:`fea.package.sizing.size_fields`)."""
    lengths = [
        (min(o.width, o.height) if o.kind == "slots" else o.width)
        for o in g.openings.values()
        if not o.closed
    ]
    if not lengths:
        return ms.size
    return min(ms.opening_size or min(lengths) / 2, ms.size)


def _opening_excess(o, t: float, depth: float, h_open: float, layers: int) -> float:
    """Tetrahedra that one opening ``o`` smaller than the wall's size ``h_open`` [m] adds to
    the wall's count at ``h_open`` (0 for an opening at least that size).

    Its edges are meshed at its own size ``s``: a hole's circle at ``pi w / 7`` or finer
    (:data:`GMSH_MIN_CIRCLE_POINTS`), a slot at its width or height, a pillars' gap at its
    width. The box of the opening grown by ``s`` on each side, through the wall of
    thickness ``t`` (at least ``layers`` elements), is counted at ``s`` less its count at
    ``h_open``. On the baseline with 25-100 holes of 0.05-0.1 mm or 50-100 slots of
    0.05-0.1 x 0.2 mm a wall the estimate is within -26 to +14 % of gmsh's count (it
    missed it by up to 56 % without this term; docs/performance.md, "Many openings per
    wall").
    """
    if o.closed:
        return 0.0
    if o.kind == "holes":
        w = h = o.width
        s = math.pi * o.width / GMSH_MIN_CIRCLE_POINTS
    elif o.kind == "slots":
        w, h = o.width, o.height
        s = min(o.width, o.height)
    else:  # pillars: full-height gaps
        w, h = o.width, depth
        s = o.width
    if s >= h_open:
        return 0.0
    box = (w + 2 * s, t, h + 2 * s)
    return _cells(box, s, (1, layers, 1)) - _cells(box, h_open, (1, layers, 1))


def _can_zones(add, g, ms, film: float) -> None:
    """A shell can with its die, attach and cavity encapsulant (one unit or panel site)."""
    L = ms.layers_through_thickness
    h = ms.size
    t = g.shell_thickness
    cx, cy = g.cavity
    ox, oy = g.outer
    depth = g.cavity_depth
    dx, dy, dt = g.die
    h_open = _opening_size(g, ms)
    add("thin layers", _cells((ox, oy, t), h, (1, 1, L)))
    for side, o in g.openings.items():
        length = (cx if side in ("ymin", "ymax") else cy) + 2 * t
        if not o.closed:
            add("openings", _cells((length, t, depth + t), h_open, (1, L, 1)))
            add("openings", _cells((length, 4 * h_open, depth), h_open))
            excess = o.count * _opening_excess(o, t, depth, h_open, L)
            if excess > 0:
                add("opening count", excess)
        else:
            add("thin layers", _cells((length, t, depth + t), h, (1, L, 1)))
    if g.die_attach_thickness > 0:
        add("films", _cells((dx, dy, g.die_attach_thickness), film, (1, 1, L)))
    add("bulk", _cells((dx, dy, dt), h))
    add("bulk", _cells((cx, cy, depth), h))


def _unit_zones(g, ms, film: float, board: bool) -> dict[str, float]:
    zones: dict[str, float] = {}

    def add(zone: str, n: float) -> None:
        zones[zone] = zones.get(zone, 0.0) + n

    L = ms.layers_through_thickness
    h = ms.size
    ox, oy = g.outer
    e = g.exterior_thickness
    _can_zones(add, g, ms, film)
    add("films", _cells((ox, oy, g.dielectric_thickness), film, (1, 1, L)))
    if e > 0:
        add("bulk", 2 * _cells((ox + 2 * e, e, g.z_top), h) + 2 * _cells((oy, e, g.z_top), h))
    term = g.terminals
    if term.kind != "none":
        ht = min(ms.terminal_size or term.diameter / 4, h)
        d = term.diameter
        per = _cells((d, d, term.height), ht)
        zone = "terminals" if per > MIN_TETS_PER_TERMINAL else "terminal count"
        add(zone, term.rows * term.cols * max(per, MIN_TETS_PER_TERMINAL))
    if board and g.board is not None:
        bx, by = g.board.size
        bt = g.board.thickness
        # the package zone reaches the board: refined to mesh.size under the footprint
        near = (min(ox + 2 * e + 10 * h, bx), min(oy + 2 * e + 10 * h, by))
        add("bulk", _cells((*near, bt), h))
        add("board", _cells((bx, by, bt), max(ms.board_size, h)))
        if g.board.rim_bond:
            w = max(g.board.rim_bond_width, g.shell_thickness)
            add("bulk", _cells((2 * (ox + oy), w, term.height), h))
    return zones


def _panel_zones(g, ms, film: float) -> dict[str, float]:
    p = g.panel
    zones: dict[str, float] = {}
    one = p.stage == "singulated" and p.singulated_units == "one"
    sites = 1 if one else p.nx * p.ny
    hx = p.nx * p.pitch + 2 * p.margin
    hy = p.ny * p.pitch + 2 * p.margin
    share = p.pitch**2 / (hx * hy) if one else 1.0  # one unit's cell of the sheet

    def add(zone: str, n: float) -> None:
        zones[zone] = zones.get(zone, 0.0) + PANEL_FACTOR * share * n

    site: dict[str, float] = {}

    def add_site(zone: str, n: float) -> None:
        site[zone] = site.get(zone, 0.0) + n

    _can_zones(add_site, g, ms, film)
    zones["sites"] = PANEL_FACTOR * sites * sum(site.values())
    L = ms.layers_through_thickness
    h = ms.size
    t = g.shell_thickness
    z_web = g.z_top - p.recess_depth - t
    add("films", _cells((hx, hy, g.dielectric_thickness), film, (1, 1, L)))
    add("thin layers", _cells((hx, hy, t), h, (1, 1, L)))
    add("bulk", _cells((hx, hy, max(z_web - g.dielectric_thickness, 0.0)), h))
    walls = (2 if p.hollow_walls else 1) * (
        (p.nx - 1) * _cells((hy, t, z_web), _opening_size(g, ms), (1, L, 1))
        + (p.ny - 1) * _cells((hx, t, z_web), _opening_size(g, ms), (1, L, 1))
    )
    add("openings" if p.pathways else "thin layers", walls)
    if p.stage == "on_mandrel":
        add("bulk", _cells((hx, hy, p.mandrel_thickness + p.recess_depth), h))
    return zones


def _imported_zones(g, ms) -> dict[str, float]:
    """A model read from a file: a ``.msh`` has the tetrahedra it holds; a STEP file each
    region's bounding box in cells of ``mesh.size`` (at least one through its thickness)."""
    if g.source == "mesh":
        return {"bulk": float(g.elements)}
    n = 0.0
    for b in g.region_bbox.values():
        n += _cells((b[3] - b[0], b[4] - b[1], b[5] - b[2]), ms.size)
    return {"bulk": n}


def estimate(case, symmetry: str = "none") -> MeshEstimate:
    """Elements and memory of ``case`` from its spec alone (no geometry is built).

    ``symmetry``: a ``half`` model has half the elements, a ``quarter`` a quarter, an
    ``eighth`` an eighth.

    A unit has two models: the thermal one (with the board, films at :func:`film_size`)
    and the warpage one (no board, films at ``mesh.film_size`` or ``mesh.size``); a panel
    one. Each zone's volume is divided into cells of its element size, thin layers
    keeping their sub-layers (:func:`_cells`).
    """
    from .geometry.symmetry import symmetry_share
    from .spec.geometry import is_imported

    share = symmetry_share(symmetry)
    g, ms = case.geometry, case.mesh
    if is_imported(g):
        models = [("mechanical", _imported_zones(g, ms))]
    elif case.kind == "panel":
        models = [("mechanical", _panel_zones(g, ms, film_size(case)))]
    else:
        warp_film = min(ms.film_size or ms.size, ms.size)
        models = [
            ("thermal", _unit_zones(g, ms, film_size(case), board=True)),
            ("mechanical", _unit_zones(g, ms, warp_film, board=False)),
        ]
    models = [(kind, {k: share * v for k, v in z.items()}) for kind, z in models]
    memory = BASE_BYTES + max(
        sum(z.values()) * BYTES_PER_ELEMENT[(kind, ms.order)] for kind, z in models
    )
    zones = max((z for _, z in models), key=lambda z: sum(z.values()))
    term = g.terminals
    values = {
        "mesh.size_mm": ms.size * 1e3,
        "mesh.film_size_mm": film_size(case) * 1e3,
        "mesh.opening_size_mm": _opening_size(g, ms) * 1e3,
        "mesh.terminal_size_mm": min(ms.terminal_size or term.diameter / 4, ms.size) * 1e3,
        "mesh.board_size_mm": ms.board_size * 1e3,
        "geometry.panel.nx": float(g.panel.nx) if g.panel is not None else 0.0,
        "geometry.terminals.rows": float(term.rows),
        "geometry.openings.count": float(
            max((o.count for o in g.openings.values() if not o.closed), default=0)
        ),
    }
    return MeshEstimate(sum(zones.values()), memory, available_memory(), zones, values)


def check_size(case, force: bool = False, symmetry: str = "none") -> MeshEstimate:
    """The :func:`estimate` of ``case`` (its ``symmetry`` model); an
    :class:`~fea.errors.InputError` naming the key
    to change when it needs more memory than :func:`available_memory` (a P2 case's
    estimate times :data:`GUARD_MARGIN`), unless ``force`` (or :data:`SIZE_GUARD` is off)."""
    est = estimate(case, symmetry)
    if force or not SIZE_GUARD:
        return est
    margin = GUARD_MARGIN if case.mesh.order == 2 else 1.0
    if est.memory * margin > est.limit:
        key, advice = _ZONE_KEYS[est.dominant]
        allowed = f" x {margin:g} for its error" if margin != 1.0 else ""
        raise InputError(
            key,
            est.values[key],
            f"a mesh this machine can solve: {est.format()}{allowed}; use {advice}, or "
            "--force (fea.package.meshing.SIZE_GUARD = False) to mesh it anyway",
        )
    check_work(case, est)
    return est


#: Most element-steps (elements times time steps or output times) a case may take: a
#: 10^6-element model through 10^5 steps.
MAX_ELEMENT_STEPS = 1e11
#: Heating-curve outputs of each of the two dual-interface curves of theta_JC.
_DUAL_INTERFACE_OUTPUTS = 400


def work_estimate(case, elements: float) -> dict[str, float]:
    """Element-steps of each time-dependent part of ``case`` on a model of ``elements``:
    key -> elements times steps (process steps, transient outputs and stored fields,
    the two theta_JC heating curves)."""
    from .spec.schema import process_steps

    out: dict[str, float] = {}
    pr = case.process
    if pr is not None and pr.model == "history":
        n = process_steps(pr.stages, case.loads.reflow, pr.substeps, pr.max_step_K)
        out["process.max_step_K"] = elements * n
    tr = case.transient
    if tr is not None:
        out["transient.outputs"] = elements * tr.outputs
        out["transient.fields"] = elements * tr.fields * 8  # stored, not solved: weighed
    if case.theta_jc.method == "dual_interface":
        out["theta_jc.method"] = elements * 2 * _DUAL_INTERFACE_OUTPUTS
    return out


def check_work(case, est: MeshEstimate) -> None:
    """Refuse a case whose time steps, outputs and stored fields on its mesh exceed
    :data:`MAX_ELEMENT_STEPS` (an :class:`~fea.errors.InputError` naming the key that
    weighs most, with the estimate)."""
    work = work_estimate(case, est.elements)
    total = sum(work.values())
    if total <= MAX_ELEMENT_STEPS:
        return
    key = max(work, key=lambda k: work[k])
    parts = ", ".join(f"{k} {v:.2g}" for k, v in work.items())
    values = {
        "process.max_step_K": getattr(case.process, "max_step_K", None),
        "transient.outputs": getattr(case.transient, "outputs", None),
        "transient.fields": getattr(case.transient, "fields", None),
        "theta_jc.method": case.theta_jc.method,
    }
    raise InputError(
        key,
        values[key],
        f"a case of at most {MAX_ELEMENT_STEPS:.0e} element-steps: about {total:.3g} on "
        f"{est.elements:,.0f} elements ({parts}); coarsen the mesh or reduce {key}, or "
        "--force",
    )
