"""Study specs: typed, frozen, validated, read from TOML.

A study file has the sections ``[study]``, ``[geometry]``, ``[mesh]``,
``[materials]``, ``[loads]``, ``[environment]``, ``[solver]``, ``[sweep]`` and
``[outputs]``, and optionally ``[process]`` (the process history,
:func:`~fea.package.spec.schema.parse_process`), ``[transient]`` (a heating curve),
``[theta_jc]`` and ``[limits]``. Keys carry
their unit in a suffix (``_mm``, ``_um``, ``_GPa``, ``_ppm``, ``_C``, ``_W``); the
values are converted to SI here, once (:mod:`fea.units`). Every invalid input
raises :class:`~fea.errors.InputError` naming the dotted key path, the bad value
and what is allowed. Nothing in a spec file is ever executed.

Modules: :mod:`.reader` (TOML and the checked table reader), :mod:`.schema` (the
dataclasses and one parser per section), :mod:`.checks` (cross-section checks),
:mod:`.sweeps` (sweep expansion and overrides).
"""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from ...errors import InputError
from .analyses import check_environment
from .checks import (
    check_contacts,
    check_cycling,
    check_geometry,
    check_mesh_symmetry,
    check_reference,
    cross_checks,
    ctm_junction,
)
from .contacts import parse_contacts
from .ctm import parse_ctm
from .cycling import LIFE_OUTPUTS, parse_cycling
from .geometry import (
    absolute_geometry_paths,
    check_copper,
    check_features,
    check_panel_planes,
    check_sub_layers,
    is_imported,
    unused_opening_keys,
    unused_opening_text,
)
from .moisture import parse_moisture
from .process import check_process
from .reader import Section, check_depth, read_toml
from .schema import (
    DEFAULT_OUTPUTS,
    ENVIRONMENTS,
    OPENING_KINDS,
    OUTPUT_ALIASES,
    OUTPUTS,
    PANEL_STAGES,
    SIDES,
    BoardSpec,
    CaseSpec,
    CopperLayer,
    EnvironmentSpec,
    GeometrySpec,
    LimitSpec,
    LoadSpec,
    MeshSpec,
    OpeningSpec,
    PanelSpec,
    PowerMapSpec,
    ProcessSpec,
    ReportSpec,
    SolverSpec,
    StageSpec,
    StudySpec,
    SweepSpec,
    TerminalSpec,
    ThermalViaSpec,
    ThetaJcSpec,
    TransientSpec,
    ViaSpec,
    model_boundaries,
    model_regions,
    parse_environment,
    parse_geometry,
    parse_limits,
    parse_loads,
    parse_materials,
    parse_mesh,
    parse_outputs,
    parse_process,
    parse_solver,
    parse_theta_jc,
    parse_transient,
)
from .sweeps import apply_overrides, case_id, expand_sweep, parse_sweep, set_path

__all__ = [
    "BoardSpec",
    "CaseSpec",
    "CopperLayer",
    "DEFAULT_OUTPUTS",
    "ENVIRONMENTS",
    "EnvironmentSpec",
    "GeometrySpec",
    "LimitSpec",
    "LoadSpec",
    "MeshSpec",
    "NAME_PATTERN",
    "NAME_RULE",
    "OPENING_KINDS",
    "OUTPUTS",
    "OUTPUT_ALIASES",
    "OpeningSpec",
    "PANEL_STAGES",
    "PanelSpec",
    "PowerMapSpec",
    "ProcessSpec",
    "ReportSpec",
    "SIDES",
    "SolverSpec",
    "StageSpec",
    "StudySpec",
    "SweepSpec",
    "TerminalSpec",
    "ThermalViaSpec",
    "ThetaJcSpec",
    "TransientSpec",
    "ViaSpec",
    "apply_overrides",
    "case_input",
    "check_case_spec",
    "check_geometry",
    "check_model",
    "check_name",
    "check_process",
    "default_name",
    "expand_sweep",
    "input_files",
    "load_study",
    "model_boundaries",
    "model_regions",
    "parse_study",
    "spec_to_dict",
]


#: What a study name may be: it names the output folder ``results/<name>`` and the
#: Slurm jobs, so it is one plain path component and one shell word.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
NAME_RULE = (
    "1 to 100 characters from A-Z a-z 0-9 . _ - starting with a letter or digit "
    "(it names the output folder and the batch jobs)"
)


def check_name(name: object, key: str = "study.name") -> str:
    """A valid study name, or an :class:`~fea.errors.InputError` (see :data:`NAME_RULE`)."""
    if not isinstance(name, str) or NAME_PATTERN.fullmatch(name) is None:
        raise InputError(key, name, NAME_RULE)
    return name


def default_name(path: str | None) -> str:
    """The name of a study file without ``[study] name``: its stem, with characters a
    name may not hold replaced by ``_`` (``"my study.toml"`` -> ``"my_study"``)."""
    stem = Path(path).stem if path else ""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", stem).lstrip("._-")[:100]
    return name or "study"


def load_study(path: str | Path) -> StudySpec:
    """Read and validate a study file (TOML)."""
    return parse_study(read_toml(path), path=str(path))


def input_files(data: Mapping[str, Any]) -> dict[str, Path]:
    """The files a case whose input is ``data`` reads, by the key that names each:
    ``loads.power_map.csv`` (a power map from CSV) and ``geometry.path`` (the ``.msh`` or
    STEP file of ``[geometry] kind = "mesh"`` or ``"step"``); empty for a study that reads
    no file besides its own.

    ``data`` is a case's input as the runner parses it (:func:`parse_study` without a
    path: a study read from its file has had its relative paths made absolute, a dict
    given without a file has paths relative to the working directory). Each path is the
    one the parser opens. A key whose value names no file (not a string, empty) is left
    out: the parser refuses it without reading anything."""
    files: dict[str, Path] = {}
    loads = data.get("loads")
    pm = loads.get("power_map") if isinstance(loads, Mapping) else None
    name = pm.get("csv") if isinstance(pm, Mapping) else None
    if isinstance(name, str) and name and "\0" not in name:
        files["loads.power_map.csv"] = Path(name)  # as parse_power_map opens it
    g = data.get("geometry")
    name = g.get("path") if isinstance(g, Mapping) else None
    if (
        isinstance(g, Mapping)
        and g.get("kind") in ("mesh", "step")
        and isinstance(name, str)
        and name.strip()
        and "\0" not in name
    ):
        # as resolve_geometry_path opens it without the study file's folder
        files["geometry.path"] = Path(name).expanduser()
    return files


def case_input(
    raw: Mapping[str, Any], params: Mapping[str, Any], path: str | None = None
) -> dict[str, Any]:
    """The input of one case: ``raw`` (a study's input) with the sweep ``params`` applied
    (:func:`apply_overrides`) and, for a study read from the file ``path``, the relative
    file paths the case reads (``loads.power_map.csv``, the ``geometry.path`` of a
    ``"mesh"`` or ``"step"`` model, a sweep's values of them included) made absolute
    against the study file's folder, as the reader takes them
    (:meth:`StudySpec.case` checks them: in that folder or below unless allowed
    outside). The input a case's process is given and its digest is taken of: every
    case reads the file next to the study, whatever folder the run starts in. Nothing is
    checked here."""
    data = apply_overrides(raw, params)
    if path is None:
        return data
    folder = Path(path).parent.resolve()
    for key, file in input_files(data).items():
        if not file.is_absolute():  # set_path copies the tables on the way
            set_path(data, key, str((folder / file).resolve()))
    return data


def _absolute_paths(data: Mapping[str, Any], path: str | None) -> Mapping[str, Any]:
    """The study with a relative power-map CSV path made absolute (relative to the study
    file), so a worker that parses the study again finds the file.

    A study file is shared between people: the CSV must lie in the study file's folder
    or below unless ``[loads.power_map] allow_outside = true`` (docs/paths.md)."""
    pm = data.get("loads", {}).get("power_map") if isinstance(data.get("loads"), Mapping) else None
    name = pm.get("csv") if isinstance(pm, Mapping) else None
    if path is None or not isinstance(name, str) or not name or "\0" in name:
        return data
    folder = Path(path).parent.resolve()
    full = (folder / name).resolve()
    if pm.get("allow_outside") is not True and not full.is_relative_to(folder):
        raise InputError(
            "loads.power_map.csv",
            name,
            f"a file in the study file's folder {folder} or below (set "
            "loads.power_map.allow_outside = true to read one elsewhere)",
        )
    if Path(name).is_absolute():
        return data
    data = copy.deepcopy(dict(data))
    data["loads"]["power_map"]["csv"] = str(full)
    return data


def parse_study(
    data: Mapping[str, Any], path: str | None = None, *, sweep_case: bool = False
) -> StudySpec:
    """Validate a study given as a dict (the parsed TOML) and return its spec.

    A length key of ``[geometry.openings]`` that the openings' kind does not use
    (:func:`~fea.package.spec.geometry.unused_opening_keys`: ``height_mm`` of holes and
    pillars, ``z0_mm`` of pillars) is an :class:`~fea.errors.InputError` when a study is
    read: from its file (``path``) or with its ``[sweep]``. In a sweep that varies an
    opening kind, a key the base sets for the kinds that use it is a ``UserWarning``
    naming the cases that leave it unused. A dict with neither a path nor a sweep may be
    the input of one case of a sweep (a runner parses each case's input without its
    sweep): such a key is a warning there. ``sweep_case``: ``data`` is a case's input of
    a study read with its sweep (:meth:`StudySpec.case`, the sweep's checks), whose keys
    were checked then: nothing is said again.
    """
    if not isinstance(data, Mapping):  # a path given for the parsed TOML
        hint = "; read a file with load_study(path)" if isinstance(data, str | Path) else ""
        raise InputError("study", type(data).__name__, f"a dict (the parsed TOML){hint}")
    check_depth(data)
    data = _absolute_paths(data, path)
    data = absolute_geometry_paths(data, path)
    root = Section(data, "")
    st = root.section("study")
    name = check_name(st.string("name", default_name(path)))
    kind = st.string("kind", "unit", choices=("unit", "panel"))
    st.done()
    geometry = parse_geometry(root.section("geometry"), kind)
    mesh = parse_mesh(root.section("mesh"), geometry)
    mats = parse_materials(root.section("materials"), model_regions(kind, geometry))
    loads = parse_loads(root.section("loads"))
    environment = parse_environment(root.section("environment"), loads, kind, geometry)
    solver = parse_solver(root.section("solver"))
    process = (
        parse_process(root.section("process"), kind, geometry, loads)
        if root.has("process")
        else None
    )
    transient = parse_transient(root.section("transient")) if root.has("transient") else None
    theta_jc = parse_theta_jc(root.section("theta_jc"))
    limits = parse_limits(root.section("limits"))
    moisture = parse_moisture(root.section("moisture")) if root.has("moisture") else None
    cycling = parse_cycling(root.section("cycling")) if root.has("cycling") else None
    contacts = parse_contacts(root.section("contacts")) if root.has("contacts") else {}
    ctm = parse_ctm(root.section("ctm")) if root.has("ctm") else None
    if kind != "unit" and ctm is not None:
        raise InputError("ctm", "[ctm]", "a unit study (study.kind = 'unit')")
    if kind != "unit" and cycling is not None:
        raise InputError("cycling", "[cycling]", "a unit study (study.kind = 'unit')")
    if kind != "unit" and moisture is not None:
        raise InputError("moisture", "[moisture]", "a unit study (study.kind = 'unit')")
    if kind != "unit" and transient is not None:
        raise InputError("transient", "[transient]", "a unit study (study.kind = 'unit')")
    sweep = parse_sweep(root.section("sweep"), data, path) if root.has("sweep") else None
    if not sweep_case:
        _check_opening_keys(data, sweep, strict=sweep is not None or path is not None)
    outputs, field_plots, report = parse_outputs(root)
    if cycling is not None:  # a life column asked for whose model does not run: no column
        for column, model in LIFE_OUTPUTS.items():
            if column in outputs and model not in cycling.fatigue.models:
                raise InputError(
                    "outputs.metrics",
                    column,
                    f"a life of a model that cycling.models runs ({model!r} is not in "
                    f"{list(cycling.fatigue.models)}): add it there or leave the column out",
                )
    root.done()
    regions = model_regions(kind, geometry)
    if not sweep_case:
        _warn_absent_regions(data, kind, regions, sweep)
    mats = {r: m for r, m in mats.items() if r in regions}
    base = CaseSpec(
        name,
        kind,
        geometry,
        mesh,
        mats,
        loads,
        solver,
        raw=copy.deepcopy(dict(data)),
        process=process,
        report=report,
        environment=environment,
        transient=transient,
        theta_jc=theta_jc,
        limits=limits,
        moisture=moisture,
        outputs=outputs,
        cycling=cycling,
        contacts=contacts,
        ctm=ctm,
    )
    # the checks across sections, the same a case changed in Python gets (analyse)
    check_case_spec(base)
    return StudySpec(
        name,
        base,
        sweep,
        outputs,
        raw=copy.deepcopy(dict(data)),
        path=path,
        field_plots=field_plots,
    )


def _warn_absent_regions(
    data: Mapping[str, Any], kind: str, regions: tuple[str, ...], sweep: SweepSpec | None
) -> None:
    """A ``[materials]`` key of a built-in region the model does not have (``vias``
    without ``[geometry.vias]``) is dropped: a ``UserWarning`` naming it, unless a sweep
    changes the geometry (the region may exist in some case; a swept material key is
    checked per case, :func:`~fea.package.spec.sweeps.parse_sweep`)."""
    from ..defaults import DEFAULT_REGION_MATERIALS

    if sweep is not None:
        paths = set(sweep.parameters) | {str(p) for c in sweep.cases for p in c}
        if any(p.split(".")[0] == "geometry" for p in paths):
            return
    given = data.get("materials") or {}
    for r, name in given.items():
        if r in DEFAULT_REGION_MATERIALS and r not in regions:
            warnings.warn(
                f"materials.{r} = {name!r} is not used: the {kind} model has no region "
                f"{r!r} (its regions: {', '.join(regions)})",
                UserWarning,
                stacklevel=3,
            )


#: A sweep path that sets an opening kind (or a table holding one).
_KIND_PATH = re.compile(r"geometry(\.openings(\.kind|\.sides(\.[^.]+(\.kind)?)?)?)?")


def _check_opening_keys(data: Mapping[str, Any], sweep: SweepSpec | None, strict: bool) -> None:
    """Keys of ``[geometry.openings]`` the openings' kind does not use (see
    :func:`parse_study`): refused (``strict``) or warned of; in a sweep that varies a
    kind, one warning per key naming the cases that leave it unused."""

    def allowed(key: str, kind: str) -> str:
        leaf = key.rsplit(".", 1)[1]
        return f"no {leaf} with kind = '{kind}': {unused_opening_text(key, kind)}"

    paths = set()
    if sweep is not None:
        paths = set(sweep.parameters) | {str(p) for c in sweep.cases for p in c}
    if sweep is None or not any(
        _KIND_PATH.fullmatch(p) or p.startswith("geometry.openings.") for p in paths
    ):
        # every case has the base's openings (a study read with its sweep is ``strict``)
        found = unused_opening_keys(data)
        if found and strict:
            key, value, kind = found[0]
            raise InputError(key, value, allowed(key, kind) + " (leave it out)")
        for key, value, kind in found:
            warnings.warn(
                f"{key} = {value!r} is not used: {allowed(key, kind)}", UserWarning, stacklevel=3
            )
        return
    swept_kind = any(_KIND_PATH.fullmatch(p) for p in paths)
    unused: dict[tuple[str, str], list[str]] = {}
    values: dict[str, set[str]] = {}  # the values a key has in the cases, as shown
    for i, params in enumerate(expand_sweep(sweep)):
        opening = {p: v for p, v in params.items() if str(p).startswith("geometry")}
        case = apply_overrides({"geometry": data.get("geometry", {})}, opening)
        for key, value, kind in unused_opening_keys(case):
            if not swept_kind:  # the kinds are the base's: the key is the study's own
                where = f"sweep.cases[{i}]" if sweep.kind == "cases" else "sweep.parameters"
                shown = f"{where} -> {key}" if key in opening else key
                raise InputError(shown, value, allowed(key, kind) + " (leave it out)")
            unused.setdefault((key, kind), []).append(case_id(i))
            values.setdefault(key, set()).add(repr(value))
    for (key, kind), ids in unused.items():
        cases = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
        warnings.warn(
            f"{key}{f' = {next(iter(values[key]))}' if len(values[key]) == 1 else ''} is not "
            f"used in the {len(ids)} case(s) of the sweep "
            f"with kind = '{kind}' ({cases}): {unused_opening_text(key, kind)}",
            UserWarning,
            stacklevel=3,
        )


def check_model(case: CaseSpec) -> None:
    """The reader's checks of a case's model, its ``[geometry]`` and ``[mesh]`` (the
    built-in family's: :func:`~fea.package.spec.checks.check_geometry`,
    :func:`~fea.package.spec.geometry.check_copper`,
    :func:`~fea.package.spec.geometry.check_features`,
    :func:`~fea.package.spec.geometry.check_sub_layers`,
    :func:`~fea.package.spec.geometry.check_panel_planes`; a model read from a file has
    its own, :func:`fea.package.geometry.imported.check_case`). The first misfit is an
    :class:`~fea.errors.InputError` naming its key."""
    g = case.geometry
    if is_imported(g):
        return
    check_geometry(g)
    check_copper(g, case.kind)
    check_features(g)
    layers = case.mesh.layers_through_thickness
    check_sub_layers(g, layers)
    check_panel_planes(g, layers)


def check_case_spec(case: CaseSpec) -> None:
    """The checks across keys and sections that :func:`parse_study` runs on a case, run on
    ``case`` as it is: a case changed in Python (``dataclasses.replace`` of a parsed one,
    a :class:`GeometrySpec` built by hand) is refused as its study file would be, before
    anything is meshed (:func:`fea.package.analyse.analyse` calls it). Its model
    (:func:`check_model`), ``[environment]`` against the model
    (:func:`~fea.package.spec.analyses.check_environment`), the sections only a unit
    has, the loads' and ``[moisture]``'s names
    (:func:`~fea.package.spec.checks.cross_checks`), ``[process]`` against the model
    and the loads (:func:`~fea.package.spec.process.check_process`), what a model read
    from a file cannot do (:func:`fea.package.geometry.imported.check_case`), the
    ``[contacts]`` interfaces' regions (:func:`~fea.package.spec.checks.check_contacts`),
    the ``[ctm]`` junction region (:func:`~fea.package.spec.checks.ctm_junction`), the
    ``[mesh] symmetry`` of the warpage model
    (:func:`~fea.package.spec.checks.check_mesh_symmetry`) and ``[cycling]`` against the
    unit on its board (:func:`~fea.package.spec.checks.check_cycling`). Only what needs
    the mesh is left to the solves: whether the two regions of a contact touch, the
    compact models' nodes and face classes. What a key's own
    reader checks (a number's range, a choice) is not checked again: a spec dataclass
    holds the values the reader gave it, and a value set in Python is the caller's to
    keep in range.
    Well under a millisecond (0.03 to 0.3 ms on the shipped studies). The first misfit
    is an :class:`~fea.errors.InputError` naming its key.
    """
    kind = case.kind
    check_model(case)
    check_environment(case.environment, kind, case.geometry)
    for section, value in (
        ("ctm", case.ctm),
        ("cycling", case.cycling),
        ("moisture", case.moisture),
        ("transient", case.transient),
    ):
        if kind != "unit" and value is not None:
            raise InputError(section, f"[{section}]", "a unit study (study.kind = 'unit')")
    cross_checks(kind, case.geometry, case.loads, moisture=case.moisture)
    check_reference(case)
    if case.process is not None:
        check_process(case.process, kind, case.geometry, case.loads)
    if is_imported(case.geometry):
        from ..geometry.imported import check_case

        check_case(case)  # what a model read from a file cannot do
    check_contacts(kind, case.geometry, case.contacts)
    if case.ctm is not None:
        ctm_junction(case)
    check_mesh_symmetry(case)
    if case.cycling is not None:
        check_cycling(case)


def spec_to_dict(obj: Any) -> Any:
    """Plain-data view of a spec dataclass (for JSON and tables)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: spec_to_dict(v) for k, v in asdict(obj).items()}
    return obj
