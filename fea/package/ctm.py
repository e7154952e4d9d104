"""Compact thermal models of a unit case (``[ctm]``, ``fea ctm``; docs/ctm.md).

The package alone (no board) is meshed with the boundaries of its surface nodes
(:func:`fea.package.geometry.unit.build_ctm`: top and bottom faces split at an inner
square of ``[ctm] inner_scale`` x the die, 1.2 by default, the sides, the terminals as
``leads``), seen through :func:`fea.physics.ctm.detailed_solver` and reduced to the
JESD15-3 two-resistor model and the JESD15-4 DELPHI network (:func:`ctm_analysis`); the
heating curve of a ``[transient]`` gives the Foster and Cauer networks.
:func:`write_ctm_files` writes them as SPICE, CSV and ECXML; :func:`error_table` is the
per-condition error table.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import FeaError, InputError, MeshError
from ..fe.mesh import Mesh, gmsh_session
from ..io.atomic import atomic_path, write_atomic
from ..physics import ctm
from ..solvers.base import naming_solve
from . import meshing
from .geometry.imported import check_extent
from .geometry.unit import build_ctm
from .progress import stage
from .spec import CaseSpec
from .spec.checks import ctm_junction
from .spec.constants import CTM_COLUMNS
from .spec.ctm import CTM_INNER_SCALE, CtmSpec
from .spec.geometry import is_imported, without_board

__all__ = [
    "CTM_COLUMNS",
    "CTM_FILE_SUFFIXES",
    "CtmResult",
    "check_ctm_names",
    "ctm_analysis",
    "ctm_case",
    "ctm_mesh",
    "ctm_nodes",
    "error_table",
    "file_stem",
    "imported_ctm_mesh",
    "results_group",
    "run_ctm",
    "subcircuit_stem",
    "write_ctm_files",
]


#: Surface nodes of the built geometry: name -> (face class, boundaries).
DEFAULT_NODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "top_inner": ("top", ("top_inner",)),
    "top_outer": ("top", ("top_outer",)),
    "bottom_inner": ("bottom", ("bottom_inner",)),
    "bottom_outer": ("bottom", ("bottom_outer",)),
    "sides": ("sides", ("sides",)),
    "leads": ("leads", ("leads",)),
}


def ctm_case(case: CaseSpec) -> CaseSpec:
    """The package of a unit ``case`` alone: no board (its surface nodes are the
    package's own faces)."""
    if case.kind != "unit":
        raise InputError("study.kind", case.kind, "unit (compact models are a unit's)")
    return dataclasses.replace(case, geometry=without_board(case.geometry))


def ctm_mesh(
    case: CaseSpec, *, scale: float = CTM_INNER_SCALE, cache: bool = True, force: bool = False
) -> Mesh:
    """The mesh of the package of ``case`` alone with its surface-node boundaries
    (:func:`fea.package.geometry.unit.build_ctm`), from the mesh cache
    (``meshes/cache/unit-ctm-<key>.msh``; the key is the package's
    :func:`~fea.package.meshing.cache_key` with the inner-square scale) or built."""
    pkg = ctm_case(case)
    if is_imported(pkg.geometry):
        # the user's own model: its mesh, not the built-in family's (built from the
        # spec's defaults, that was another package's compact model)
        return imported_ctm_mesh(pkg, scale=scale)
    payload = {"base": meshing.cache_key(pkg), "ctm_inner_scale": float(scale), "ctm": 1}
    key = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
    path = Path(meshing.CACHE_DIR) / f"unit-ctm-{key}.msh"
    order = pkg.mesh.order
    if cache and path.is_file():
        stage("reading cached mesh")
        try:
            mesh = Mesh.from_gmsh(path, order=order, check_parts=False)
            mesh.info.update({"cache": "hit", "path": str(path)})
            return mesh
        except (OSError, ValueError, MeshError):  # a damaged cache entry is rebuilt
            pass
    import gmsh

    meshing.check_size(pkg, force=force)
    with gmsh_session():
        stage("geometry (compact model)")
        info = build_ctm(gmsh.model, pkg, scale)
        stage("meshing")
        meshing.generate(gmsh.model, pkg, info)
        mesh = Mesh.from_gmsh(None, order, check_parts=False)
        stage("writing mesh")
        with atomic_path(path, extension=".msh") as tmp:
            gmsh.option.setNumber("Mesh.Binary", 1)
            gmsh.write(str(tmp))
    write_atomic(path.with_suffix(".json"), json.dumps(info.facts))
    mesh.info.update({"cache": "miss", "path": str(path), "facts": info.facts})
    return mesh


def imported_ctm_mesh(case: CaseSpec, *, scale: float = CTM_INNER_SCALE) -> Mesh:
    """The mesh of an imported model (``[geometry] kind = "mesh"`` or ``"step"``) without
    its board region, with the surface-node boundaries of :data:`DEFAULT_NODES` found on
    its outer faces (:func:`fea.package.geometry.imported.outer_boundaries`):

    - ``top_inner`` / ``top_outer``: the ``top`` role's faces whose centroid lies inside /
      outside the rectangle of ``scale`` x the junction role region's x and y extent, centred
      on it (the split follows the facets, so its edge is as ragged as the mesh);
    - ``bottom_inner`` / ``bottom_outer``: the same of ``bottom`` (the outer faces facing
      -z at the package's lowest level, or the file's ``bottom``);
    - ``sides``: every other outer face of the package (steps and ledges included).

    The file has no terminals: no ``leads`` node (name the file's own 2D groups in
    ``[ctm.nodes]`` for one). Lengths in m; ``scale`` is the inner rectangle's side over
    the junction role region's (``[geometry.roles] junction``)."""
    from .geometry.imported import imported_mesh

    g = case.geometry
    mesh, _ = imported_mesh(case, keep_board=False)
    d = g.region_bbox[g.junction]
    centre = np.array([(d[0] + d[3]) / 2, (d[1] + d[4]) / 2])
    half = 0.5 * float(scale) * np.array([d[3] - d[0], d[4] - d[1]])
    p = mesh.p1.p.T
    b = mesh.boundaries
    used: list[NDArray[np.int64]] = []
    for face in ("top", "bottom"):
        f = np.asarray(b[face], dtype=np.int64) if face in b else np.zeros(0, np.int64)
        xy = p[mesh.p1.facets[:, f].T].mean(axis=1)[:, :2]
        inner = np.all(np.abs(xy - centre) <= half, axis=1)
        b[f"{face}_inner"] = f[inner]
        b[f"{face}_outer"] = f[~inner]
        used.append(f)
    rest = np.asarray(b["package_surface"], dtype=np.int64)
    b["sides"] = np.setdiff1d(rest, np.concatenate(used))
    return mesh


def ctm_nodes(mesh: Mesh, spec: CtmSpec) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Surface node -> (face class, boundaries) of ``spec`` (``[ctm.nodes]``), or the
    nodes of the built geometry whose boundaries ``mesh`` has (``leads`` only with
    terminals)."""
    if spec.nodes is None:
        return {
            n: v
            for n, v in DEFAULT_NODES.items()
            if all(len(mesh.boundaries.get(b, ())) for b in v[1])
        }
    for name, (_, bs) in spec.nodes.items():
        for b in bs:
            if b not in mesh.boundaries:
                raise InputError(
                    f"ctm.nodes.{name}.boundaries",
                    b,
                    f"a boundary of the model: {', '.join(sorted(mesh.boundaries))}",
                )
    return dict(spec.nodes)


@dataclasses.dataclass
class CtmResult:
    """What :func:`ctm_analysis` made for one case.

    Attributes
    ----------
    model
        The detailed model (:class:`fea.physics.ctm.DetailedModel`).
    two_resistor
        The 2R network, or None.
    delphi
        The DELPHI fit (:class:`fea.physics.ctm.DelphiFit`), or None.
    networks
        ``foster`` / ``cauer`` -> the heating curve's network (with a transient).
    metrics
        The :data:`CTM_COLUMNS` values.
    two_resistor_errors
        The 2R model's errors on the DELPHI conditions (:func:`fea.physics.ctm.
        response_errors`: its case node against the top nodes' heat, its board node
        against the board side's), with both models; else None.
    """

    model: ctm.DetailedModel
    two_resistor: ctm.CompactNetwork | None
    delphi: ctm.DelphiFit | None
    networks: dict[str, Any]
    metrics: dict[str, float]
    two_resistor_errors: tuple[ctm.BCError, ...] | None = None


def _heat(case: CaseSpec, mesh: Mesh, junction: str) -> tuple[dict[str, float], dict[str, Any]]:
    """The case's heat input on the package alone, as its thermal analysis puts it
    (:func:`fea.package.power_map.thermal_loads`): ``(sources, flux)``, region -> W of
    the volume sources and boundary -> W/m^2 per facet of the die's power and power map
    on its active face; 1 W in the junction region when the case has no power (the
    models are per watt)."""
    from .power_map import thermal_loads

    heat = thermal_loads(mesh, ctm_case(case))
    src = {r: float(w) for r, w in heat["sources"].items() if w > 0 and r in mesh.regions}
    flux = {b: q for b, q in heat["flux"].items() if np.any(np.asarray(q) != 0)}
    if not src and not flux:
        return {junction: 1.0}, {}
    return src, flux


def ctm_analysis(
    case: CaseSpec,
    curves: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    mesh: Mesh | None = None,
) -> CtmResult:
    """The compact thermal models of ``case`` (its ``[ctm]``, or every default).

    Parameters
    ----------
    curves
        The case's curves (:func:`fea.package.analyse.thermal_analysis`): the ``zth``
        heating curve of a ``[transient]`` gives the Foster and Cauer networks.
    mesh
        The package's CTM mesh (default :func:`ctm_mesh`).

    The detailed model is steady, linear (conductivities at the ambient), with the
    case's heat input as its thermal analysis has it (the die's power and power map on
    the die's active face, :func:`fea.package.power_map.thermal_loads`); Tj is the
    junction region's hottest node (or nodal mean).
    The DELPHI conditions are ``[ctm] conditions`` (default the DELPHI set of the face
    classes the nodes have), every ``holdout``-th one held out of the fit.
    """
    from .analyse import mesh_materials

    spec = case.ctm or CtmSpec()
    if is_imported(case.geometry):  # a file in mm read as m made a model metres across
        check_extent(case.geometry)
    junction = ctm_junction(case)  # checked before meshing, as the reader does
    mesh = ctm_mesh(case, scale=spec.inner_scale) if mesh is None else mesh
    nodes = ctm_nodes(mesh, spec)
    if "spice" in spec.formats:  # before the solves: names that would short SPICE pins
        ctm.spice_pins(list(nodes), key="ctm.nodes")
    faces = sorted({f for f, _ in nodes.values()})
    if spec.two_resistor and not {"top", "bottom"} <= set(faces):
        raise InputError(
            "ctm.nodes",
            f"face classes {', '.join(faces)}",
            "nodes with a top and a bottom (board-side) face class for ctm.two_resistor "
            "(or two_resistor = false)",
        )
    amb = case.loads.ambient
    sources, flux = _heat(case, mesh, junction)
    model = ctm.detailed_solver(
        mesh,
        mesh_materials(mesh, case),
        sources,
        junction,
        nodes,
        flux=flux,
        statistic=spec.statistic,
        T_ambient=amb,
        backend=case.solver.backend,
        method=case.solver.method,
        rtol=case.solver.rtol,
        maxiter=case.solver.maxiter,
        k_at_C=amb,
        contacts=dict(case.contacts) or None,
    )
    bcs: list[dict[str, float]] = []
    if spec.delphi:
        bcs = (
            ctm.delphi_boundary_conditions(model.faces)
            if spec.conditions is None
            else [dict(c) for c in spec.conditions]
        )
        for i, bc in enumerate(bcs):  # before any solve, under the study's key
            for f in bc:
                if f not in model.faces:
                    raise InputError(
                        f"ctm.conditions[{i}].{f}",
                        bc[f],
                        f"h on a face class this package has: {', '.join(model.faces)} "
                        "(leads only with terminals)",
                    )
        if spec.holdout > len(bcs):
            # every holdout-th condition held out: none would be, and the boundary-condition
            # independence would go unchecked
            raise InputError(
                "ctm.holdout",
                spec.holdout,
                f"0 (none held out) or 2 to {len(bcs)}, the number of conditions",
            )
    metrics: dict[str, float] = {}
    two_r = None
    if spec.two_resistor:
        stage("compact model: two-resistor")
        with naming_solve("the two-resistor compact model ([ctm])"):
            two_r = ctm.two_resistor_model(model, model.nodes)
        metrics["theta_JC_2R_K_per_W"] = two_r.resistance("junction", "case")
        metrics["theta_JB_2R_K_per_W"] = two_r.resistance("junction", "board")
    fit = None
    if spec.delphi:
        stage("compact model: DELPHI")
        with naming_solve("the DELPHI compact model ([ctm])"):
            fit = ctm.fit_delphi(model, model.nodes, bcs, fit=spec.fitted(len(bcs)))
        metrics["delphi_max_junction_error"] = float(fit.max_junction_error(fitted=True))
        metrics["delphi_max_heat_error"] = float(fit.max_heat_error(fitted=True))
        if not all(e.fitted for e in fit.errors):
            metrics["delphi_heldout_max_junction_error"] = float(
                fit.max_junction_error(fitted=False)
            )
            metrics["delphi_heldout_max_heat_error"] = float(fit.max_heat_error(fitted=False))
    two_r_errors = None
    if two_r is not None and fit is not None:
        # how far off the 2R model is off its two JEDEC conditions, from the DELPHI
        # set's solves (no new one)
        groups = {s.name: [n.name for n in model.nodes if n.face == s.face] for s in two_r.surfaces}
        two_r_errors = tuple(ctm.response_errors(two_r, fit.detailed, bcs, groups))
    networks: dict[str, Any] = {}
    zth = (curves or {}).get("zth")
    if spec.networks and zth is not None and "zth_K_per_W" in zth:
        t = np.asarray(zth["time_s"], float)
        z = np.asarray(zth["zth_K_per_W"], float)
        keep = t > 0
        foster, cauer = ctm.heating_curve_networks(t[keep], z[keep])
        networks = {k: v for k, v in (("foster", foster), ("cauer", cauer)) if k in spec.networks}
    return CtmResult(model, two_r, fit, networks, metrics, two_r_errors)


def file_stem(name: str) -> str:
    """A case name as a file-name stem: characters other than letters, digits, ``.``,
    ``-`` and ``_`` become ``_`` (no path separators, no leading dot)."""
    s = re.sub(r"[^A-Za-z0-9._-]", "_", str(name)).lstrip(".")
    return s or "case"


#: The files :func:`write_ctm_files` writes for a stem ``s``: ``s`` + each of these.
CTM_FILE_SUFFIXES = ("_2R.cir", "_DELPHI.cir", "_zth.cir", "_foster.csv", "_cauer.csv", ".ecxml")


def subcircuit_stem(stem: str) -> str:
    """The SPICE subcircuit names' stem of a file stem: ``"X"`` + ``stem`` with characters
    other than letters, digits and ``_`` as ``_`` (:func:`write_ctm_files` names them
    ``<this>_2R``, ``<this>_DELPHI``, ``<this>_foster``, ``<this>_cauer``; SPICE reads
    them without regard to letter case, :func:`fea.physics.ctm.spice_netlist` writes
    them upper-cased)."""
    return "X" + re.sub(r"[^A-Za-z0-9_]", "_", stem)


def check_ctm_names(folder: str | Path, stems: Sequence[str]) -> None:
    """Refuse to write the models of the file stems ``stems`` (:func:`file_stem` of each
    case's name or id) into ``folder`` where two cases' files would be one: stems that
    differ only in letter case (``Ceramic_2R.cir`` and ``ceramic_2R.cir`` are one file on
    a case-insensitive file system: macOS, Windows) or whose SPICE subcircuits share a
    name (:func:`subcircuit_stem`, compared upper-cased: ``my-study`` and ``my_study``
    both define ``XMY_STUDY_2R``, which a system netlist that ``.include``-s both reads
    as one), among ``stems`` or with another case's files already in ``folder``. A
    stem's own files there are written again. An :class:`~fea.errors.InputError` naming
    both stems and the shared name."""
    folder = Path(folder)
    found: dict[str, tuple[str, str]] = {}  # lower-cased file, subcircuit -> (stem, text)
    names = []  # the folder's stems first: a refused stem is one of ``stems``
    if folder.is_dir():
        for p in sorted(folder.iterdir()):
            for suffix in CTM_FILE_SUFFIXES:
                if p.name.lower().endswith(suffix.lower()) and len(p.name) > len(suffix):
                    names.append(p.name[: -len(suffix)])
    names += [str(s) for s in stems]
    for stem in dict.fromkeys(names):  # each stem once
        shared = [(f"{stem}{x}".lower(), f"{stem}{x}") for x in CTM_FILE_SUFFIXES]
        shared.append((subcircuit_stem(stem).upper(), ""))
        for key, name in shared:
            other, other_name = found.setdefault(key, (stem, name))
            if other == stem or stem not in stems:
                continue
            where = "" if other in stems else f" (already in {folder})"
            why = (
                f"the files {name} and {other_name} are one on a case-insensitive file "
                "system (macOS, Windows)"
                if name
                else f"both define the SPICE subcircuits {key}_2R, {key}_DELPHI... (SPICE "
                "reads names in any case, and other characters than letters, digits and _ "
                "are _ in them): a system netlist that includes both reads one"
            )
            raise InputError(
                "study.name",
                stem,
                f"a case whose CTM files differ from those of {other!r}{where} in more than "
                f"letter case and punctuation ({why}); another study.name or another "
                "output folder",
            )


#: What a heating-curve network is the model of (the SPICE title, the ECXML description):
#: the case's own thermal analysis, unlike the 2R and DELPHI models of the package alone.
ZTH_NOTE = {
    kind: f"{kind.capitalize()} network of the heating curve Zth(t), junction to ambient in "
    "the case's own environment (its board and [loads] h), not the package alone"
    for kind in ("foster", "cauer")
}


def write_ctm_files(
    result: CtmResult, folder: str | Path, case: CaseSpec, stem: str | None = None
) -> list[Path]:
    """Write the models of ``result`` into ``folder`` (atomically), as ``[ctm] formats``
    asks (``<case>`` is ``stem``, default the case's name, through :func:`file_stem`):
    ``<case>_2R.cir``, ``<case>_DELPHI.cir`` (spice: subcircuits to ``.include``, their
    ``.OP`` test bench in comment lines), ``<case>_foster.csv``,
    ``<case>_cauer.csv`` (csv, with a transient), ``<case>_zth.cir`` (spice, with a
    transient: the Foster and Cauer subcircuits), ``<case>.ecxml`` (ecxml; its package
    is named after the case, ``<name>_<stem>`` where ``stem`` differs from the case's
    name, as a sweep's case id does). Returns the paths written."""
    spec = case.ctm or CtmSpec()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = file_stem(case.name if stem is None else stem)
    check_ctm_names(folder, [stem])
    spice_name = subcircuit_stem(stem)
    files: dict[str, str] = {}
    if "spice" in spec.formats:
        if result.two_resistor is not None:
            files[f"{stem}_2R.cir"] = ctm.spice_netlist(
                result.two_resistor, name=f"{spice_name}_2R", bench="comment"
            )
        if result.delphi is not None:
            files[f"{stem}_DELPHI.cir"] = ctm.spice_netlist(
                result.delphi.network, name=f"{spice_name}_DELPHI", bench="comment"
            )
        if result.networks:
            files[f"{stem}_zth.cir"] = "".join(
                ctm.spice_netlist(
                    net,
                    name=f"{spice_name}_{kind}",
                    title=f"* {ZTH_NOTE[kind]}, R [K/W], C [J/K]",
                )
                for kind, net in result.networks.items()
            )
    if "csv" in spec.formats:
        for kind, net in result.networks.items():
            files[f"{stem}_{kind}.csv"] = ctm.network_csv(net)
    if "ecxml" in spec.formats:
        models: dict[str, Any] = {}
        errors = {}
        notes = {}
        if result.two_resistor is not None:
            models["2R"] = result.two_resistor
            notes["2R"] = "JESD15-3 two-resistor model of the package alone (no board)"
            if result.two_resistor_errors is not None:
                errors["2R"] = result.two_resistor_errors
        if result.delphi is not None:
            models["DELPHI"] = result.delphi.network
            errors["DELPHI"] = result.delphi.errors
            notes["DELPHI"] = "JESD15-4 DELPHI network of the package alone (no board)"
        for kind, net in result.networks.items():
            models[f"zth_{kind}"] = net
            notes[f"zth_{kind}"] = ZTH_NOTE[kind]
        # a sweep's cases all carry the study's name: the case id tells their packages apart
        package = str(case.name) if stem == file_stem(case.name) else f"{case.name}_{stem}"
        files[f"{stem}.ecxml"] = ctm.write_ecxml(
            models, package=package, errors=errors, descriptions=notes
        )
    out = []
    for name, text in files.items():
        p = folder / name
        write_atomic(p, text.encode())
        out.append(p)
    return out


def _pct(x: float) -> str:
    return f"{100 * x:6.2f} %"


def error_table(result: CtmResult) -> str:
    """The DELPHI errors per condition (h per face class, fitted or held out, junction
    error, largest heat-flow error) and their maxima against the JESD15-4 targets; the
    2R resistances. Plain text, one line per condition."""
    lines = []
    if result.two_resistor is not None:
        m = result.metrics
        lines.append(
            f"2R (JESD15-3): theta_JC = {m['theta_JC_2R_K_per_W']:.4g} K/W, "
            f"theta_JB = {m['theta_JB_2R_K_per_W']:.4g} K/W"
        )
    fit = result.delphi
    if fit is None:
        return "\n".join(lines) + "\n"
    faces = result.model.faces
    links = len(fit.network.links)
    lines.append(
        f"DELPHI (JESD15-4): {len(fit.network.surfaces)} surface nodes, {links} links, "
        f"{len(fit.errors)} conditions (h [W/(m2 K)])"
    )
    two = result.two_resistor_errors
    head = "  #  " + " ".join(f"{f:>7}" for f in faces) + "  set       e_J     max e_q"
    lines.append(head + ("    2R e_J" if two else ""))
    for i, e in enumerate(fit.errors, 1):
        hs = " ".join(f"{e.condition.get(f, 0.0):7g}" for f in faces)
        lines.append(
            f"{i:3d}  {hs}  {'fit ' if e.fitted else 'held'}  {_pct(e.junction)}  "
            f"{_pct(e.heat_max)}" + (f"  {_pct(two[i - 1].junction)}" if two else "")
        )

    def verdict(x: float, target: float) -> str:
        return "within" if x <= target else "EXCEEDS"

    for label, fitted in (("fitted", True), ("held out", False)):
        if not any(e.fitted == fitted for e in fit.errors):
            continue
        ej, eq = fit.max_junction_error(fitted=fitted), fit.max_heat_error(fitted=fitted)
        lines.append(
            f"max |e_J| {label}: {_pct(ej).strip()} ({verdict(ej, ctm.TARGET_JUNCTION)} the "
            f"{100 * ctm.TARGET_JUNCTION:g} % target); max e_q {label}: {_pct(eq).strip()} "
            f"({verdict(eq, ctm.TARGET_HEAT_FLOW)} the {100 * ctm.TARGET_HEAT_FLOW:g} % target)"
        )
    if two:
        worst = max(two, key=lambda e: abs(e.junction))
        lines.append(
            f"2R on these conditions: max |e_J| {_pct(abs(worst.junction)).strip()} (condition "
            f"{two.index(worst) + 1}); exact only at its two JEDEC conditions (top, board side "
            "isothermal): use the DELPHI network elsewhere"
        )
    return "\n".join(lines) + "\n"


def results_group(result: CtmResult) -> dict[str, Any]:
    """The ``/ctm`` group of the results file as plain data: 2R resistances, DELPHI
    links and errors per condition (:func:`fea.io.results_writer.write_results`'s
    ``meta["ctm"]``)."""
    out: dict[str, Any] = {"metrics": dict(result.metrics)}
    if result.delphi is not None:
        fit = result.delphi
        names = [s.name for s in fit.network.surfaces]
        out["delphi_links"] = [[a, b, float(R)] for a, b, R in fit.network.links]
        out["delphi_nodes"] = [[s.name, s.face, float(s.area_m2)] for s in fit.network.surfaces]
        out["faces"] = list(result.model.faces)
        out["conditions"] = [
            [float(e.condition.get(f, 0.0)) for f in result.model.faces] for e in fit.errors
        ]
        out["fitted"] = [bool(e.fitted) for e in fit.errors]
        out["junction_error"] = [float(e.junction) for e in fit.errors]
        out["heat_error"] = [[float(e.heat[n]) for n in names] for e in fit.errors]
    return out


def run_ctm(
    study: Any, out: str | Path, echo: Any = print
) -> list[tuple[str, CtmResult | None, list[Path]]]:
    """``fea ctm``: the compact models of every case of ``study`` (a
    :class:`~fea.package.spec.StudySpec`; its ``[ctm]``, or every default) written into
    ``out``. A case with a ``[transient]`` runs its thermal analysis first (the heating
    curve of its environment, board included, gives the Foster and Cauer networks;
    theta_JC there by the steady fixed-case method, not two more transients). ``echo``
    gets the error table of each case. Returns (case id, result or None for an invalid
    or failed case, files written) per case; in a sweep, a case that fails (a
    :class:`~fea.errors.FeaError`: its input, mesh or solve) is reported through
    ``echo`` and the next case goes on (a study without a sweep raises it).
    """
    from .analyse import thermal_analysis

    stems = (
        [file_stem(study.name)] if study.sweep is None else [c for c, _ in study.case_parameters()]
    )
    check_ctm_names(out, stems)  # before any case runs, not after the first ones
    rows = []
    for cid, _params, case in study.cases():
        if isinstance(case, InputError):
            echo(f"{cid}: invalid case: {case}")
            rows.append((cid, None, []))
            continue
        curves = None
        try:
            if case.transient is not None:  # the heating curve (theta_JC: the steady one)
                jc = dataclasses.replace(case.theta_jc, method="fixed_case")
                curves = thermal_analysis(dataclasses.replace(case, theta_jc=jc)).curves
            result = ctm_analysis(case, curves)
        except FeaError as exc:  # one case's failure does not lose the other cases' models
            if study.sweep is None:
                raise
            echo(f"{cid}: failed: {exc}")
            rows.append((cid, None, []))
            continue
        stem = case.name if study.sweep is None else cid
        files = write_ctm_files(result, out, case, stem)
        echo(f"{cid} ({file_stem(stem)}):")
        echo(error_table(result).rstrip("\n"))
        rows.append((cid, result, files))
    return rows
