"""A one-screen description of a results file (``fea info``): what it holds, its metrics
and solver records, for a terminal or a log."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from .results_format import MeshData
from .results_reader import read_results

__all__ = [
    "describe",
]


def describe(path: str | os.PathLike) -> str:
    """A human-readable summary of a results file (what ``fea info`` prints)."""
    r = read_results(path)
    lines = [
        f"{r.path}",
        f"  schema {r.schema}, fea {r.attrs.get('fea_version')}, created {r.attrs.get('created')}",
    ]
    if r.attrs.get("study") or r.attrs.get("case"):
        lines.append(f"  study {r.attrs.get('study')!r}, case {r.attrs.get('case')!r}")
    try:
        notes = json.loads(r.attrs.get("warnings", "[]"))
    except (TypeError, ValueError):
        notes = [r.attrs["warnings"]]
    lines += [f"  warning: {n}" for n in (notes if isinstance(notes, list) else [notes])]

    def mesh_lines(title: str, m: MeshData) -> None:
        counts = np.bincount(m.region_id[m.region_id >= 0], minlength=len(m.region_names))
        lines.append(
            f"  {title}: {len(m.nodes):,} nodes, {len(m.tets):,} tets (P{m.order}), "
            f"{len(m.boundaries)} boundaries"
        )
        for name, c in zip(m.region_names, counts, strict=True):
            lines.append(f"    {name:<22} {c:>10,} elements")

    mesh_lines("mesh", r.mesh)
    if r.thermal_mesh is not None:
        mesh_lines("thermal mesh", r.thermal_mesh)
    lines.append("  fields:")
    groups = (("thermal", r.thermal), ("mechanical", r.mechanical), ("moisture", r.moisture))
    rows = [(f"{g}/{k}", v) for g, data in groups for k, v in (data or {}).items()]
    width = max((len(name) for name, _ in rows), default=0)  # the columns line up
    for name, v in rows:
        extra = _value_range(v) if v.dtype.kind == "f" else ""
        unit = r.units.get(_UNIT_KEYS.get(name, name))
        extra += f"  [{unit}]" if unit else ""
        lines.append(f"    {name:<{width}} {str(v.shape):<18}{extra}")
    if r.moisture is not None:
        labels, times = r.moisture["labels"], r.moisture["times"]
        temps = r.moisture["temperatures"]
        lines.append(f"  moisture states: {len(labels)} ({labels[0]} .. {labels[-1]})")
        for name, k in r.moisture_shown.items():
            lines.append(
                f"    @{name:<12} state {labels[k]}: {times[k] / 3600:.6g} h, {temps[k]:.6g} C"
            )
    if r.curves:
        lines.append("  curves:")
        for name, cols in r.curves.items():
            n = len(next(iter(cols.values()))) if cols else 0
            lines.append(f"    {name:<28} {n:>6} samples: {', '.join(cols)}")
    if r.cycling:
        lines.append("  cycling tables:")
        for name, cols in r.cycling.items():
            n = len(next(iter(cols.values()))) if cols else 0
            lines.append(f"    {name:<28} {n:>6} rows: {', '.join(cols)}")
    if r.metrics:
        lines.append("  metrics:")
        for k, v in sorted(r.metrics.items()):
            lines.append(f"    {k:<40} {v:.6g}" if isinstance(v, float) else f"    {k:<40} {v}")
    if r.solver:
        lines.append("  solver:")
        for k, v in r.solver.items():
            lines.append(f"    {k}: {_solver_summary(v)}")
    return "\n".join(map(_printable, lines))


#: Entries of :class:`~fea.io.results_format.Results` stored under another name, whose
#: unit :attr:`Results.units` keeps under the dataset's path.
_UNIT_KEYS = {
    "thermal/transient_temperature": "thermal/transient/temperature",
    "thermal/transient_times": "thermal/transient/times",
}


def _printable(line: str) -> str:
    """``line`` with control characters escaped (``\\x1b``): names and warnings come from
    the file, and a terminal must not run an escape sequence stored in one."""
    if line.isprintable():
        return line
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in line)


def _value_range(v: np.ndarray) -> str:
    """``min .. max ..`` of the finite values of a field, with a count of the others."""
    finite = np.isfinite(v)
    text = f"  min {np.min(v[finite]):.6g} max {np.max(v[finite]):.6g}" if finite.any() else ""
    n_nan = int(np.isnan(v).sum())
    n_inf = v.size - int(finite.sum()) - n_nan
    bad = [f"{n_nan:,} NaN"] * bool(n_nan) + [f"{n_inf:,} infinite"] * bool(n_inf)
    return text + (f"  ({', '.join(bad)})" if bad else "")


def _solver_summary(info: Any) -> str:
    if not isinstance(info, dict):
        return str(info)
    if all(isinstance(v, dict) for v in info.values()) and "backend" not in info:
        return "; ".join(f"{k}: {_solver_summary(v)}" for k, v in info.items())
    keys = ("backend", "method", "device", "iterations", "residual", "reason")
    parts = [f"{k}={info[k]}" for k in keys if k in info]
    st = info.get("stages")
    if isinstance(st, dict) and "total_s" in st:
        parts.append(f"total {st['total_s']:.3g} s")
    elif isinstance(info.get("total_s"), int | float):  # a moisture run: stages as a list
        parts.append(f"total {info['total_s']:.3g} s")
    return ", ".join(parts)
