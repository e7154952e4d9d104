"""Sweeps: the parameter grid, random samples or explicit cases of a study, and the one
place where a case's overrides are applied to the study's input."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np

from ...errors import InputError
from .reader import MISSING, Section
from .schema import SweepSpec

__all__ = [
    "SWEEPABLE_SECTIONS",
    "apply_overrides",
    "expand_sweep",
    "get_path",
    "parse_sweep",
    "set_path",
]


def get_path(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of nested tables, or :data:`MISSING`."""
    cur: Any = data
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return MISSING
        cur = cur[part]
    return cur


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


SWEEPABLE_SECTIONS = ("geometry", "mesh", "materials", "loads", "environment", "solver")


def parse_sweep(s: Section, data: Mapping[str, Any]) -> SweepSpec:
    """Read ``[sweep]`` and validate every case it makes against the rest of ``data``."""
    kind = s.string("kind", "grid", choices=("grid", "random", "cases"))
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
        if not isinstance(vals, list) or not vals:
            raise InputError(key, vals, "a non-empty list of values")
        if kind == "random" and (
            len(vals) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)
            or vals[0] >= vals[1]
        ):
            raise InputError(key, vals, "[low, high] with low < high for a random sweep")
        params[str(p)] = tuple(vals)
    n = s.number("n", 0, integer=True, lo=0, hi=100000)
    seed = s.number("seed", 0, integer=True, lo=0)
    cases_raw = s.raw("cases", [])
    if not isinstance(cases_raw, list) or not all(isinstance(c, Mapping) for c in cases_raw):
        raise InputError("sweep.cases", cases_raw, "a list of tables 'dotted.path' = value")
    s.done()
    if kind == "cases" and not cases_raw:
        raise InputError("sweep.cases", cases_raw, "at least one case for kind = 'cases'")
    if kind in ("grid", "random") and not params:
        raise InputError("sweep.parameters", {}, f"at least one parameter for kind = '{kind}'")
    if kind == "random" and n < 1:
        raise InputError("sweep.n", n, "a positive number of random cases")
    spec = SweepSpec(kind, params, n, seed, tuple(dict(c) for c in cases_raw))
    # Every case must be a valid study: validate each one now, so a typo in a swept
    # path or value is reported before any work starts.
    from . import parse_study

    for i, case in enumerate(expand_sweep(spec)):
        where = f"sweep.cases[{i}]" if kind == "cases" else "sweep.parameters"
        raw = apply_overrides(data, case, key=where)
        try:
            parse_study(raw)
        except InputError as exc:
            if kind == "cases":
                # explicit cases may be deliberately invalid: recorded as failures at run time
                continue
            raise InputError(
                f"sweep (case {i}: {case}) -> {exc.key}", exc.value, exc.allowed
            ) from None
    return spec


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
