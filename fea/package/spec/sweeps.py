"""Sweeps: the parameter grid, random samples or explicit cases of a study, and the one
place where a case's overrides are applied to the study's input."""

from __future__ import annotations

import itertools
import json
import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from ...errors import InputError
from .reader import Section
from .schema import SweepSpec

__all__ = [
    "GROUP_SECTIONS",
    "MAX_CASES",
    "SWEEPABLE_SECTIONS",
    "apply_overrides",
    "case_count",
    "case_id",
    "expand_sweep",
    "group_cases",
    "parse_sweep",
    "set_path",
]


def set_path(data: dict[str, Any], path: str, value: Any, *, key: str = "sweep") -> None:
    """Set the value at a dotted path, copying each table on the way (copy on write, so
    the caller's nested tables are never changed); a path through a value that is not a
    table is an :class:`~fea.errors.InputError` under ``key``."""
    parts = str(path).split(".")
    cur = data
    for i, part in enumerate(parts[:-1]):
        nxt = cur.get(part, {})
        if not isinstance(nxt, Mapping):
            through = ".".join(parts[: i + 1])
            raise InputError(
                f"{key}.{path}", value, f"a path through tables ({through!r} is not a table)"
            )
        nxt = dict(nxt)
        cur[part] = nxt
        cur = nxt
    cur[parts[-1]] = value


def apply_overrides(
    raw: Mapping[str, Any], params: Mapping[str, Any], *, key: str = "sweep"
) -> dict[str, Any]:
    """The study's input without its ``[sweep]``, with each dotted path of ``params`` set
    to its value: the input of one case. The one place overrides are applied."""
    out = dict(raw)
    out.pop("sweep", None)
    for path, value in params.items():
        if str(path).split(".")[0] not in SWEEPABLE_SECTIONS:
            raise InputError(
                f"{key}.{path}",
                value,
                f"a dotted path starting with one of {', '.join(SWEEPABLE_SECTIONS)}",
            )
        set_path(out, str(path), value, key=key)
    return out


SWEEPABLE_SECTIONS = (
    "geometry",
    "mesh",
    "materials",
    "loads",
    "process",
    "environment",
    "solver",
    "moisture",
    "cycling",
    "contacts",
)


#: Sections whose keys leave a case's mesh as it is: they are not in the mesh's cache key
#: (:func:`fea.package.meshing.cache_key`: the kind, ``geometry``, ``mesh`` and the
#: ``environment``'s cold plate). Cases of a sweep that differ only in these form one group
#: (``[sweep] group = "auto"``).
GROUP_SECTIONS = ("materials", "loads")

#: Most cases one study may have (a larger sweep is split into several studies).
MAX_CASES = 100_000
#: Bounds of an integer random parameter (NumPy draws int64).
_INT_RANGE = 2**62


def _real(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def parse_sweep(s: Section, data: Mapping[str, Any], path: str | None = None) -> SweepSpec:
    """Read ``[sweep]`` and check it in time linear in its size, before any work starts.

    The number of cases is capped (:data:`MAX_CASES`) before anything is expanded. Every
    dotted path must lead through tables. A grid's values are checked once per parameter
    and distinct value, each in a case of the grid (the other parameters at their first
    values); a random sweep's bounds at both ends. A combination that is invalid only
    together with another parameter's value is recorded as a failed case at run time,
    like an invalid explicit case (explicit cases are not parsed here).
    """
    kind = s.string("kind", "grid", choices=("grid", "random", "cases"))
    # a key the kind does not use would be ignored without a word (a grid with n = 20
    # runs the grid, cases with parameters run the cases alone)
    unused = {
        "grid": ("n", "seed", "cases"),
        "random": ("cases",),
        "cases": ("parameters", "n", "seed"),
    }[kind]
    for k in unused:
        if s.has(k):
            uses = {
                "n": "kind = 'random'",
                "seed": "kind = 'random'",
                "cases": "kind = 'cases'",
                "parameters": "kind = 'grid' or 'random'",
            }[k]
            raise InputError(
                f"sweep.{k}", s.raw(k), f"no {k} with kind = '{kind}' (it is read with {uses})"
            )
    params_raw = s.raw("parameters", {})
    if not isinstance(params_raw, Mapping):
        raise InputError("sweep.parameters", params_raw, "a table 'dotted.path' = [values]")
    params: dict[str, tuple[Any, ...]] = {}
    for p, vals in params_raw.items():
        key = f"sweep.parameters.{p!s}"
        if str(p).split(".")[0] not in SWEEPABLE_SECTIONS:
            raise InputError(
                key, p, f"a dotted path starting with one of {', '.join(SWEEPABLE_SECTIONS)}"
            )
        if isinstance(vals, Mapping):  # an unquoted dotted path: TOML's nested tables
            inner, value = _unquoted_path(str(p), vals)
            raise InputError(
                f"sweep.parameters.{inner}",
                value,
                f'a dotted path in quotes, one key: "{inner}" = [...] (unquoted, TOML reads '
                "it as nested tables)",
            )
        if not isinstance(vals, list) or not vals:
            raise InputError(key, vals, "a non-empty list of values")
        if len(vals) > MAX_CASES:
            raise InputError(key, f"{len(vals):,} values", f"at most {MAX_CASES:,} values")
        if kind == "grid":
            seen: dict[str, int] = {}
            for j, v in enumerate(vals):
                tag = _value_tag(v)
                if tag in seen:  # the same case twice: twice the time, one more row
                    raise InputError(
                        f"{key}[{j}]", v, f"distinct values (the same as [{seen[tag]}])"
                    )
                seen[tag] = j
        if kind == "random":
            if len(vals) != 2 or not all(_real(v) for v in vals):
                raise InputError(key, vals, "[low, high]: two numbers for a random sweep")
            lo, hi = vals
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise InputError(key, vals, "[low, high]: finite numbers with low < high")
            if not math.isfinite(float(hi) - float(lo)):
                raise InputError(key, vals, "[low, high] with a finite width high - low")
            if (
                isinstance(lo, int)
                and isinstance(hi, int)
                and not (-_INT_RANGE <= lo and hi < _INT_RANGE)
            ):
                raise InputError(key, vals, f"integer bounds within +-2**62 ({_INT_RANGE:.3g})")
        params[str(p)] = tuple(vals)
    n = s.number("n", 0, integer=True, lo=0, hi=MAX_CASES)
    seed = s.number("seed", 0, integer=True, lo=0, hi=2**63 - 1)
    group = s.string("group", "auto", choices=("auto", "off"))
    cases_raw = s.raw("cases", [])
    if not isinstance(cases_raw, list) or not all(isinstance(c, Mapping) for c in cases_raw):
        raise InputError("sweep.cases", cases_raw, "a list of tables 'dotted.path' = value")
    s.done()
    if kind == "cases" and not cases_raw:
        raise InputError("sweep.cases", cases_raw, "at least one case for kind = 'cases'")
    seen_cases: dict[str, int] = {}
    for i, c in enumerate(cases_raw):
        tag = _value_tag(c)
        if tag in seen_cases:
            raise InputError(
                f"sweep.cases[{i}]", dict(c), f"distinct cases (the same as [{seen_cases[tag]}])"
            )
        seen_cases[tag] = i
    _check_disjoint(list(params), "sweep.parameters")
    _check_values(params_raw, "sweep.parameters")
    _check_values(cases_raw, "sweep.cases")
    for i, c in enumerate(cases_raw):
        _check_disjoint([str(k) for k in c], f"sweep.cases[{i}]")
        for k, v in c.items():
            _check_whole_section(data, str(k), v, f"sweep.cases[{i}].{k!s}")
    for p, vals in params.items():
        for j, v in enumerate(vals):
            _check_whole_section(data, p, v, f"sweep.parameters.{p}[{j}]")
    if kind in ("grid", "random") and not params:
        raise InputError("sweep.parameters", {}, f"at least one parameter for kind = '{kind}'")
    if kind == "random" and n < 1:
        raise InputError("sweep.n", n, "a positive number of random cases")
    count = {
        "grid": math.prod(len(v) for v in params.values()),
        "random": n,
        "cases": len(cases_raw),
    }[kind]
    if count > MAX_CASES:
        raise InputError(
            "sweep",
            f"{count:,} cases",
            f"at most {MAX_CASES:,} cases in one study (split the sweep into several studies)",
        )
    if kind == "random":
        # integer bounds draw integers only for a key read as an integer (a count of
        # rows); the bounds of any other key are a continuous range ([1, 3] W is not 1,
        # 2 or 3 W)
        counts = _integer_keys(data, {p: _random_type(v)[0] for p, v in params.items()}, path)
        # counts None (the lows are refused): the bounds as given, so that the probes of
        # _check_sweep name the refused value, not a count made a float
        for p, (lo, hi) in params.items() if counts is not None else ():
            if isinstance(lo, int) and isinstance(hi, int) and p not in counts:
                params[p] = (float(lo), float(hi))
    spec = SweepSpec(kind, params, n, seed, tuple(dict(c) for c in cases_raw), group)
    _check_sweep(spec, data, path)
    return spec


def _integer_keys(
    data: Mapping[str, Any], params: Mapping[str, Any], path: str | None
) -> set[str] | None:
    """The paths of ``params`` that the study reads as integers (:class:`Section` getters
    with ``integer=True``), from one parse of the study with ``params`` set; None where
    that parse fails (the probes of :func:`_check_sweep` then name the error)."""
    from . import parse_study
    from .reader import recording

    try:  # its warnings are the probes' (_check_sweep), not said twice
        with recording() as records, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = apply_overrides(data, params, key="sweep.parameters")
            parse_study(raw, path=path, sweep_case=True)
    except InputError:
        return None
    return {r.key for r in records if r.kind == "integer" and r.key in params}


def _check_whole_section(data: Mapping[str, Any], path: str, value: Any, key: str) -> None:
    """Refuse a swept value that replaces a whole section of the study (``path`` with no
    dot, ``value`` a table) and drops keys the study's section has: the likely slip is an
    unquoted dotted key (``{ loads.h = 20.0 }``, which TOML reads as the table ``loads =
    { h = 20.0 }``), and the case would run with the defaults of every dropped key."""
    base = data.get(path)
    if "." in path or not isinstance(value, Mapping) or not isinstance(base, Mapping):
        return
    dropped = [str(k) for k in base if k not in value]
    if dropped:
        inner, leaf = _unquoted_path(path, value)
        raise InputError(
            key,
            dict(value),
            f'a dotted path in quotes, one key: "{inner}" = {leaf!r} (unquoted, TOML reads '
            f"it as the table {path} = {{...}}, which replaces all of [{path}] and drops "
            f"its {', '.join(dropped)})",
        )


def _unquoted_path(path: str, table: Mapping[str, Any]) -> tuple[str, Any]:
    """The dotted path and value of the first entry of TOML's nested ``table`` under
    ``path`` (``geometry.shell_thickness_um = [...]`` written without quotes)."""
    value: Any = table
    while isinstance(value, Mapping) and value:
        k, value = next(iter(value.items()))
        path = f"{path}.{k!s}"
    return path, value


def _check_values(value: Any, key: str) -> None:
    """Refuse, at any depth of a sweep's paths and values, what the table cannot hold: a
    NUL character (HDF5 stores none) and an integer beyond a float (``table.h5`` stores
    numbers as float64). Each reached the table as a column name or a cell of a case
    recorded as failed (an explicit case is read when it runs), and one such case cost
    every case's table."""
    if isinstance(value, str):
        if "\0" in value:
            raise InputError(key, value, "text without NUL characters")
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= 2**1024:
            raise InputError(key, value, "a number a float holds (magnitude below 1.8e308)")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _check_values(str(k), f"{key}.{k!s}")
            _check_values(v, f"{key}.{k!s}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_values(v, f"{key}[{i}]")


def _check_disjoint(paths: list[str], key: str) -> None:
    """Refuse two swept paths of which one lies inside the other (``geometry.die`` and
    ``geometry.die.thickness_mm``): the overrides are applied in turn, so the later one
    replaced (or changed) what the earlier one set, and cases whose ``param:`` columns
    differ ran from one input."""
    for p in paths:
        for q in paths:
            if q != p and q.startswith(p + "."):
                raise InputError(
                    f"{key}.{p}",
                    q,
                    f"paths that do not overlap ({q!r} lies inside {p!r}: one of the two "
                    "would replace what the other sets)",
                )


def _check_sweep(spec: SweepSpec, data: Mapping[str, Any], path: str | None = None) -> None:
    """The checks of :func:`parse_sweep`: paths of every case, values of grids and random
    bounds, each a whole-study parse (linear in the sweep's size) as the case will be read
    (``path``: the study file, against whose folder the files a value names are read)."""
    from . import parse_study

    if spec.kind == "cases":
        for i, case in enumerate(spec.cases):
            apply_overrides(data, case, key=f"sweep.cases[{i}]")
        _check_idle_paths(spec, data)
        return
    if spec.kind == "grid":
        base = {p: v[0] for p, v in spec.parameters.items()}
        # each value once (parse_sweep refuses a value given twice)
        probes = [
            (f"sweep.parameters.{p}[{j}]", {**base, p: v})
            for p, vals in spec.parameters.items()
            for j, v in enumerate(vals)
        ]
    else:
        base = {p: _random_type(v)[0] for p, v in spec.parameters.items()}
        probes = [
            (f"sweep.parameters.{p}[{j}]", {**base, p: _random_type(v)[j]})
            for p, v in spec.parameters.items()
            for j in (0, 1)
        ]
    for where, params in probes:
        raw = apply_overrides(data, params, key="sweep.parameters")
        try:
            parse_study(raw, path=path, sweep_case=True)
        except InputError as exc:
            _check_base(data, exc, spec.parameters, path)
            where = _culprit(exc.key, spec.parameters, where)
            raise InputError(f"{where} -> {exc.key}", exc.value, exc.allowed) from None
    _check_idle_paths(spec, data)


#: ``[environment]`` keys that one environment kind alone reads -> that kind.
_ENVIRONMENT_KEYS = {
    "velocity_m_s": "forced_air",
    "flow": "forced_air",
    "cold_plate_C": "junction_to_board",
    "ring_offset_mm": "junction_to_board",
    "ring_offset_um": "junction_to_board",
}


def _check_idle_paths(spec: SweepSpec, data: Mapping[str, Any]) -> None:
    """A swept ``materials.<region>`` or ``loads.reference_C.<region>`` whose region the
    case's model does not have (vias without ``[geometry.vias]``, a rim bond without
    one), or ``materials.library.<name>...`` whose material no region of the case is made
    of, changes nothing: the cases differ in name alone. Refused (an
    :class:`~fea.errors.InputError` at the sweep entry) when that holds in every case
    that sets the path; a ``UserWarning`` naming the cases where it holds in some (a
    sweep that also changes the geometry or the assignment). So is an ``[environment]``
    key that the case's ``environment.kind`` does not read (``velocity_m_s`` but in
    ``forced_air``, ``cold_plate_C`` but in ``junction_to_board``). A swept
    ``loads.power_W.<region>`` other than the die's in a study without ``power_W``
    replaces the default ``{ die = 1.5 }``: a ``UserWarning``."""
    from ..defaults import DEFAULT_REGION_MATERIALS
    from .geometry import model_regions, parse_geometry

    def region_keyed(p: str) -> bool:
        parts = p.split(".")
        if parts[0] == "environment":
            return len(parts) == 2 and parts[1] in _ENVIRONMENT_KEYS
        if parts[:2] == ["loads", "reference_C"]:  # a region's stress-free temperature
            return len(parts) == 3 and parts[2] != "*"
        return parts[0] == "materials" and len(parts) >= 2 + (parts[1:2] == ["library"])

    paths = set(spec.parameters) | {str(p) for c in spec.cases for p in c}
    loads = data.get("loads") or {}
    if "power_W" not in loads and "power_map" not in loads:
        # the default { die = 1.5 } is a table the swept entry replaces, not joins
        other = sorted(p for p in paths if p.startswith("loads.power_W."))
        if other and "loads.power_W.die" not in other:
            warnings.warn(
                f"sweep: {', '.join(other)} replace the default loads.power_W = "
                "{ die = 1.5 } (the study gives no power_W): the die has no power in "
                "those cases; give loads.power_W in the study to keep it",
                UserWarning,
                stacklevel=4,
            )
    if not any(region_keyed(p) for p in paths):
        return
    kind = (data.get("study") or {}).get("kind", "unit")
    regions_of: dict[str, tuple[tuple[str, ...], str] | None] = {}
    idle: dict[str, list[int]] = {}  # path -> the cases it changes nothing in
    seen: dict[str, tuple[tuple[str, ...], set[str]]] = {}  # its first such case's model
    setting: dict[str, list[int]] = {}  # path -> the cases that set it
    # what a case's verdict depends on: its geometry, materials, environment and the
    # checked paths; cases alike in these share one (a grid's other axes repeat them)
    verdicts: dict[str, tuple[list[str], list[str], tuple[tuple[str, ...], set[str]]]] = {}

    def verdict(params: dict[str, Any]) -> tuple[list[str], list[str], Any]:
        geo = {p: v for p, v in params.items() if p.split(".")[0] == "geometry"}
        tag = _value_tag(geo)
        if tag not in regions_of:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    g = apply_overrides({"geometry": data.get("geometry", {})}, geo)
                    spec_g = parse_geometry(Section(g.get("geometry", {}), "geometry"), kind)
                    board = getattr(spec_g, "board", None)
                    regions_of[tag] = (
                        model_regions(kind, spec_g),
                        getattr(board, "stack", "material") if board is not None else "material",
                    )
            except InputError:  # an invalid combination: its case fails when it runs
                regions_of[tag] = None
        found = regions_of[tag]
        checked = [p for p in params if region_keyed(p)]
        if found is None:
            return [], [], None
        regions, stack = found
        mats = {p: v for p, v in params.items() if p.split(".")[0] == "materials"}
        assigned = apply_overrides({"materials": data.get("materials", {})}, mats)["materials"]

        def made_of(r: str) -> str:
            return str(assigned.get(r, DEFAULT_REGION_MATERIALS.get(r)))

        used = {made_of(r) for r in regions}
        env = {p: v for p, v in params.items() if p.split(".")[0] == "environment"}
        env = apply_overrides({"environment": data.get("environment", {})}, env)
        env_kind = (env.get("environment") or {}).get("kind", "uniform_h")
        unread = []
        for p in checked:
            parts = p.split(".")
            if parts[0] == "environment":
                unused = env_kind != _ENVIRONMENT_KEYS[parts[1]]
            elif parts[1] == "library":
                unused = parts[2] not in used or (
                    # a board stack's conductivity replaces its material's
                    parts[3:4] == ["k"]
                    and stack != "material"
                    and {r for r in regions if made_of(r) == parts[2]} == {"board"}
                )
            else:
                unused = parts[-1] not in regions
            if unused:
                unread.append(p)
        return checked, unread, (regions, used)

    for i, params in enumerate(expand_sweep(spec)):
        params = {str(p): v for p, v in params.items()}
        relevant = {
            p: v
            for p, v in params.items()
            if p.split(".")[0] in ("geometry", "materials", "environment") or region_keyed(p)
        }
        tag = repr(tuple(relevant.items()))  # a cache key: a miss costs time alone
        if tag not in verdicts:
            verdicts[tag] = verdict(relevant)
        checked, unread, model = verdicts[tag]
        for p in checked:
            setting.setdefault(p, []).append(i)
        for p in unread:
            idle.setdefault(p, []).append(i)
            seen.setdefault(p, model)
    for p, ids in idle.items():
        parts = p.split(".")
        regions, used = seen[p]
        if parts[0] == "environment":
            why = f"environment.kind is not {_ENVIRONMENT_KEYS[parts[1]]!r}"
            allowed = (
                f"a key the case's environment reads: {p} is read with environment.kind = "
                f"{_ENVIRONMENT_KEYS[parts[1]]!r} alone"
            )
        elif parts[0] == "loads":
            why = f"the model has no region {parts[2]!r}"
            allowed = f"a region of this {kind} model ({', '.join(regions)}) or '*': {why}"
        elif parts[1] == "library" and parts[2] in used:
            why = f"the board's conductivity is its geometry.board.stack's, not {parts[2]!r}'s"
            allowed = (
                f"a property the model reads: {why} (stack = 'material' reads the board "
                "material's k)"
            )
        elif parts[1] == "library":
            why = f"no region is made of {parts[2]!r}"
            allowed = (
                f"a material a region of the model is made of ({', '.join(sorted(used))}): "
                f"{why} (give it to one, materials.<region> = {parts[2]!r})"
            )
        else:
            why = f"the model has no region {parts[1]!r}"
            allowed = f"a region of this {kind} model ({', '.join(regions)}): {why}"
        if len(ids) == len(setting[p]):  # every case that sets it
            if spec.kind == "cases":
                where, value = f"sweep.cases[{ids[0]}].{p}", spec.cases[ids[0]].get(p)
            else:
                where, value = f"sweep.parameters.{p}", list(spec.parameters.get(p, ()))
            raise InputError(where, value, allowed)
        shown = [case_id(i) for i in ids]
        cases = ", ".join(shown[:8]) + (f" and {len(shown) - 8} more" if len(shown) > 8 else "")
        warnings.warn(
            f"sweep: {p} changes nothing in {len(ids)} of the {len(setting[p])} cases that "
            f"set it ({cases}): {why} there",
            UserWarning,
            stacklevel=4,
        )


def _check_base(
    data: Mapping[str, Any],
    exc: InputError,
    parameters: Mapping[str, Any],
    path: str | None = None,
) -> None:
    """An error of a probe at a key no parameter sets that the study without its sweep
    has too (a misspelt metric, a bad base value) is the base's: raised as it is, not
    blamed on the sweep entry the probe was for."""
    if any(_sets(p, exc.key) for p in parameters):
        return
    from . import parse_study

    try:
        parse_study(apply_overrides(data, {}), path=path, sweep_case=True)
    except InputError as base:
        if base.key == exc.key:
            raise InputError(base.key, base.value, base.allowed) from None


def _sets(path: str, key: str) -> bool:
    """Whether the swept ``path`` sets the study key ``key`` (itself or inside it)."""
    return key == path or key.startswith((f"{path}.", f"{path}["))


def _culprit(key: str, parameters: Mapping[str, Any], where: str) -> str:
    """The sweep entry an error at ``key`` comes from: a probe holds the first value of
    every other parameter, so an error in one of those is that parameter's (its first
    value), not the probed one's; an error at a key no parameter sets (a check across keys)
    stays with the probe."""
    probed = where.removeprefix("sweep.parameters.").rsplit("[", 1)[0]
    for p in parameters:
        if p != probed and _sets(p, key):
            return f"sweep.parameters.{p}[0]"
    return where


def _random_type(bounds: tuple[Any, ...]) -> tuple[Any, Any]:
    """The bounds as the values a random draw gives: ints for two integer bounds."""
    lo, hi = bounds
    if isinstance(lo, int) and isinstance(hi, int):
        return lo, hi
    return float(lo), float(hi)


def _numbers_as_floats(v: Any) -> Any:
    """``v`` with every integer that a float holds exactly written as that float (``1``
    and ``1.0`` are one value of a key); booleans, strings and other values as they are."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        f = float(v) if abs(v) < 2**1023 else None
        return f if f is not None and f == v else v
    if isinstance(v, list | tuple):
        return [_numbers_as_floats(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _numbers_as_floats(x) for k, x in v.items()}
    return v


def _value_tag(v: Any) -> str:
    """A text equal for equal sweep values or cases (key order and ``1`` / ``1.0`` aside)."""
    return json.dumps(_numbers_as_floats(v), sort_keys=True, default=repr)


def case_id(i: int) -> str:
    """The id (and folder name) of the ``i``-th case of a study."""
    return f"case{i:04d}"


def case_count(sweep: SweepSpec | None) -> int:
    """Number of cases of a sweep (1 without one), without expanding it."""
    if sweep is None:
        return 1
    if sweep.kind == "cases":
        return len(sweep.cases)
    if sweep.kind == "random":
        return sweep.n
    return math.prod(len(v) for v in sweep.parameters.values())


def expand_sweep(sweep: SweepSpec) -> list[dict[str, Any]]:
    """The parameter overrides of every case, in case order (values in spec units)."""
    if sweep.kind == "cases":
        return [dict(c) for c in sweep.cases]
    keys = list(sweep.parameters)
    if sweep.kind == "grid":
        return [
            dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(sweep.parameters[k] for k in keys))
        ]
    rng = np.random.default_rng(sweep.seed)
    out = []
    for _ in range(sweep.n):
        case = {}
        for k in keys:
            lo, hi = sweep.parameters[k]
            if isinstance(lo, int) and isinstance(hi, int):
                case[k] = int(rng.integers(lo, hi + 1))
            else:
                case[k] = float(rng.uniform(lo, hi))
        out.append(case)
    return out


def group_cases(
    sweep: SweepSpec | None, cases: list[tuple[str, dict[str, Any]]]
) -> list[list[int]]:
    """The groups of ``cases`` (``(case_id, parameters)`` in case order) that may share a
    mesh and a solver setup: indices into ``cases``, each group in case order, the groups
    ordered by their first case. Cases whose parameters agree on every path outside
    :data:`GROUP_SECTIONS` form one group (``[sweep] group = "auto"``); with
    ``group = "off"`` (or no sweep) every case is a group of its own."""
    if sweep is None or sweep.group == "off":
        return [[i] for i in range(len(cases))]
    groups: dict[str, list[int]] = {}
    for i, (_, params) in enumerate(cases):
        meshed = {
            str(p): v for p, v in params.items() if str(p).split(".")[0] not in GROUP_SECTIONS
        }
        tag = json.dumps(meshed, sort_keys=True, default=repr)
        groups.setdefault(tag, []).append(i)
    return list(groups.values())
