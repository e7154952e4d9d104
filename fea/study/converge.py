"""Mesh convergence of a case: its metrics at 2-3 mesh sizes, Richardson extrapolation
and the grid convergence index (``fea converge``).

Method (Roache, *Verification and Validation in Computational Science and Engineering*,
1998; Celik et al., ASME J. Fluids Eng. 130 (2008) 078001). Sizes ``h1 < h2 < h3`` with a
constant refinement ratio ``r = h2/h1 = h3/h2`` and values ``f1, f2, f3``:

* observed order ``p = ln((f3 - f2) / (f2 - f1)) / ln r`` (three sizes; two sizes take
  the formal order of the elements, ``mesh.order + 1`` for values such as temperatures
  and displacements, ``mesh.order`` for stresses and energy densities (``_MPa``,
  ``_MJ_per_m3``: derivatives of the displacement, one order less);
* extrapolated value ``f_ext = f1 + (f1 - f2) / (r^p - 1)``;
* GCI of the finest mesh ``Fs |(f1 - f2) / f1| / (r^p - 1)``, the safety factor ``Fs``
  1.25 with three sizes and an observed order, 3 with two (or an assumed order); an
  observed order above 1.5 times the formal one is noted (the GCI is then optimistic).

When ``(f3 - f2)`` and ``(f2 - f1)`` differ in sign the convergence is oscillatory: no
order is observed, the extrapolation is not made (NaN) and the GCI uses the formal order
with ``Fs = 3``, and the result says so; the same when ``f3 = f2 != f1``. When
``f2 = f1`` the finest value is taken as converged (GCI 0, whatever ``f3``); with ``|f3 -
f2| < |f2 - f1|`` the observed order is negative and nothing is extrapolated. The GCI is
relative to ``f1``: a metric whose finest value is 0 has none (inf, with a note).

The ratio between two levels is their effective one where the runs report their node
counts (:data:`COUNT_METRICS`): ``r = (N_fine / N_coarse)^(1/3)`` (Celik et al.: ``h =
(V/N)^(1/3)``), since what does not scale with ``mesh.size`` (the sub-layers through thin
layers, fixed features) keeps its elements and makes the meshes differ less than the
nominal ratio says. With two sizes (an assumed order) the nominal ratio would understate
the GCI (for the tiny test case r = 1.5 nominal is 1.05 effective: a GCI 15 times
larger); with three at a constant ratio the GCI and the extrapolation do not depend on r
(``r^p = e32/e21``), only the observed order does, so an order far above the formal one
is noted only where it is so at the nominal ratio as well. With two different ratios the
observed order solves ``e32/e21 = r21^p (r32^p - 1)/(r21^p - 1)``.

The case's own mesh (``mesh.size`` and the sizes derived from it) is the finest by
default; the coarser meshes multiply every in-plane size (``mesh.size``,
``mesh.board_size``, the effective film size, and ``mesh.opening_size`` /
``mesh.terminal_size`` where set) by ``r`` and ``r^2``, so the chosen mesh's error is the
GCI of the finest. ``finer=True`` refines instead (the chosen mesh is the coarsest; its
error is then ``|f_chosen - f_ext| / |f_ext|``). Sub-layer counts through thin layers
are not changed.

Each level's metrics can be kept as they are computed (``on_result``; ``fea converge``
writes them to ``levels.json`` in its output folder) and given back (``known``): a run
killed after its first levels and started again runs only the levels it lacks. A level is
known by :func:`level_key`, a hash of the whole case at that mesh and of fea's version.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..package.names import Column
from .plots import literal_text

__all__ = [
    "COUNT_METRICS",
    "Convergence",
    "DERIVATIVE_METRICS",
    "DERIVATIVE_UNITS",
    "LEVELS_FILE",
    "MAX_LEVELS_BYTES",
    "MAX_RATIO",
    "MIN_ADVISED_RATIO",
    "NOT_DERIVATIVE_METRICS",
    "SAFETY_THREE",
    "SAFETY_TWO",
    "converge",
    "convergence_figure",
    "effective_ratios",
    "formal_order",
    "level_key",
    "mesh_levels",
    "read_levels",
    "richardson",
    "write_convergence",
    "write_levels",
]

#: The file of each level's metrics in ``fea converge``'s output folder.
LEVELS_FILE = "levels.json"
#: Largest ``levels.json`` read back [bytes].
MAX_LEVELS_BYTES = 16 << 20

#: Roache's safety factor of the GCI with three sizes and an observed order.
SAFETY_THREE = 1.25
#: ... with two sizes, or an assumed order (oscillatory convergence).
SAFETY_TWO = 3.0


@dataclass(frozen=True)
class Convergence:
    """One metric's mesh convergence.

    ``sizes`` [m] and ``values`` from the finest mesh to the coarsest; ``ratio`` the
    refinement ratio r; ``order`` the observed order p (the formal one when
    ``order_assumed``; NaN when oscillatory); ``extrapolated`` the Richardson value
    (NaN when oscillatory); ``gci_fine`` the GCI of the finest mesh (relative, 0.01 =
    1 %); ``chosen_error`` the relative error of the chosen mesh against the
    extrapolated value; ``note`` how the numbers were obtained; ``ratios`` the
    refinement ratios ``h2/h1`` (and ``h3/h2``) used, effective ones (from the levels'
    node counts) where they were known, else ``ratio`` each.
    """

    metric: str
    sizes: tuple[float, ...]
    values: tuple[float, ...]
    ratio: float
    order: float
    order_assumed: bool
    extrapolated: float
    gci_fine: float
    chosen_error: float
    note: str = ""
    ratios: tuple[float, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values (NaN as None)."""
        d = dataclasses.asdict(self)
        return {k: _json(v) for k, v in d.items()}


def _json(v: Any) -> Any:
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, tuple | list):
        return [_json(x) for x in v]
    return v


def richardson(
    values: Sequence[float],
    ratio: float,
    formal_order: float | None = None,
    *,
    metric: str = "",
    sizes: Sequence[float] | None = None,
    chosen: int = 0,
    ratios: Sequence[float] | None = None,
) -> Convergence:
    """Richardson extrapolation and GCI of ``values`` (finest first) at a constant
    refinement ratio ``ratio`` > 1, or at the ratios ``ratios`` between neighbours (see
    the module).

    Parameters
    ----------
    values
        2 or 3 values of one metric, from the finest mesh to the coarsest.
    ratio
        h_coarse / h_fine between neighbours, > 1.
    formal_order
        The discretisation's order: needed with two values; with three the fallback of
        an oscillatory sequence.
    sizes
        The sizes [m] (for the record), finest first.
    chosen
        Index in ``values`` of the chosen mesh (0: the finest).
    ratios
        The refinement ratios between neighbours, ``(h2/h1, h3/h2)``, each > 1, when they
        are not ``ratio`` (effective mesh sizes ``h ~ N^(-1/3)`` of N nodes, Celik et al.
        2008): the observed order then solves ``e32/e21 = r21^p (r32^p - 1)/(r21^p - 1)``
        and ``r21`` takes the place of ``r`` in the extrapolation and the GCI.
    """
    f = [float(v) for v in values]
    if len(f) not in (2, 3):
        raise InputError("sizes", len(f), "2 or 3 mesh sizes")
    if not all(math.isfinite(v) for v in f):
        raise InputError(metric or "values", f, "finite values at every size")
    if not (math.isfinite(ratio) and ratio > 1.0):
        raise InputError("ratio", ratio, "a refinement ratio > 1")
    if len(f) == 2 and formal_order is None:
        raise InputError("formal_order", None, "the elements' order with two sizes")
    sizes = tuple(float(h) for h in sizes) if sizes is not None else ()
    rs = tuple(float(x) for x in ratios) if ratios is not None else (ratio,) * (len(f) - 1)
    if len(rs) != len(f) - 1 or not all(math.isfinite(x) and x > 1.0 for x in rs):
        raise InputError("ratios", list(rs), f"{len(f) - 1} refinement ratios > 1")
    r21 = rs[0]
    e21 = f[1] - f[0]
    note = ""
    assumed = len(f) == 2
    p = float(formal_order) if formal_order is not None else math.nan
    safety = SAFETY_TWO
    if len(f) == 3:
        e32 = f[2] - f[1]
        if e21 == 0.0:
            # the two finest agree exactly: converged to the last digit
            err = abs(_rel(f[chosen] - f[0], f[0]))
            note = "the two finest meshes agree exactly"
            if e32 != 0.0:
                note += (
                    f" (the coarsest differs by {abs(_rel(e32, f[1])):.2%}: an oscillation "
                    "crossing the converged value would look the same; a third size "
                    "or another ratio tells)"
                )
            return Convergence(
                metric, sizes, tuple(f), ratio, math.inf, False, f[0], 0.0, err, note, rs
            )
        if e32 / e21 > 0.0:
            p = _observed_order(e32 / e21, r21, rs[1])
            safety = SAFETY_THREE
            # at the nominal ratio too: the effective ratios are smaller (sub-layers keep
            # their elements), which raises the observed order of an error that follows
            # the in-plane size without changing the GCI (r^p = e32/e21 at a constant ratio)
            p_nominal = math.log(e32 / e21) / math.log(ratio)
            if formal_order is not None and min(p, p_nominal) > 1.5 * formal_order:
                note = (
                    f"observed order {p:.3g} far above the formal {formal_order:g}: the "
                    "meshes are likely not in the asymptotic range and the GCI optimistic"
                )
        else:
            assumed = True
            why = (
                "the two coarsest meshes agree exactly, the finest does not"
                if e32 == 0.0
                else "oscillatory convergence (the differences change sign)"
            )
            note = (
                f"{why}: no order observed, "
                f"no extrapolation; GCI with the formal order {p:g} and Fs = {SAFETY_TWO:g}"
            )
            gci = SAFETY_TWO * abs(_rel(e21, f[0])) / (r21**p - 1.0) if p > 0 else math.nan
            return Convergence(
                metric, sizes, tuple(f), ratio, math.nan, True, math.nan, gci, math.nan, note, rs
            )
    else:
        note = f"two sizes: formal order {p:g} assumed, Fs = {SAFETY_TWO:g}"
    if not p > 0:
        note = (note + "; " if note else "") + "order not positive: the values diverge"
        return Convergence(
            metric, sizes, tuple(f), ratio, p, assumed, math.nan, math.nan, math.nan, note, rs
        )
    ext = f[0] + (f[0] - f[1]) / (r21**p - 1.0)
    gci = safety * abs(_rel(e21, f[0])) / (r21**p - 1.0)
    if f[0] == 0.0:
        note = (note + "; " if note else "") + "the finest value is 0: no relative GCI"
    err = abs(_rel(f[chosen] - ext, ext))
    return Convergence(metric, sizes, tuple(f), ratio, p, assumed, ext, gci, err, note, rs)


def _observed_order(rho: float, r21: float, r32: float) -> float:
    """The order p > 0 of ``rho = e32/e21 = r21^p (r32^p - 1)/(r21^p - 1)`` (> 0); at a
    constant ratio ``ln(rho)/ln(r)``; a number <= 0 when no p > 0 solves it (the
    differences do not shrink as fast as the meshes: divergence)."""
    if r21 == r32:
        return math.log(rho) / math.log(r21)
    from scipy.optimize import brentq

    def g(p: float) -> float:
        return (
            p * math.log(r21)
            + math.log(math.expm1(p * math.log(r32)) / math.expm1(p * math.log(r21)))
            - math.log(rho)
        )

    lo, hi = 1e-9, 60.0
    if g(lo) >= 0.0:  # rho at or under its p -> 0 limit ln(r32)/ln(r21)
        return 0.0
    # g rises with p; widen the bracket as far as r^p stays finite (no cap: a capped
    # order would be reported as solved, and the constant-ratio path has none either)
    top = 700.0 / math.log(max(r21, r32))
    while g(hi) <= 0.0:
        if hi >= top:
            return math.inf
        lo, hi = hi, min(2.0 * hi, top)
    return float(brentq(g, lo, hi, xtol=1e-14, rtol=1e-14))


def _rel(a: float, b: float) -> float:
    return a / b if b != 0.0 else (0.0 if a == 0.0 else math.inf)


#: The largest refinement ratio between two levels: beyond it the coarse levels leave
#: the asymptotic range (a 0.8 mm mesh at r = 10 is 80 mm: a few elements per region).
MAX_RATIO = 4.0


def mesh_levels(case: Any, n: int = 3, ratio: float = 1.5, finer: bool = False) -> list[Any]:
    """The case at ``n`` mesh sizes, finest first: every in-plane size (``mesh.size``,
    ``board_size``, the effective film size, and ``opening_size``/``terminal_size`` where
    set) times ``ratio^k`` (k = 0..n-1; ``finer``: times ``ratio^-k``). The film size is
    set explicitly at every level (the warpage model then meshes its films at it too). A
    model read from a ``.msh`` (``geometry.kind = "mesh"``), whose mesh no size changes,
    is an :class:`~fea.errors.InputError`."""
    from ..package.meshing import film_size

    if n not in (2, 3):
        raise InputError("--sizes", n, "2 or 3")
    if getattr(case.geometry, "source", None) == "mesh":
        raise InputError(
            "geometry.kind",
            "mesh",
            "a geometry fea meshes at mesh.size ('builtin' or 'step'): a .msh file is read "
            "as it is, every level would be the same mesh (mesh the model at 2-3 sizes "
            "yourself and compare the runs)",
        )
    if not (math.isfinite(ratio) and 1.0 < ratio <= MAX_RATIO):
        raise InputError(
            "--ratio", ratio, f"a refinement ratio in (1, {MAX_RATIO:g}] (1.3 to 2 advised)"
        )
    ms = case.mesh
    film = film_size(case)
    out = []
    for k in range(n):
        f = ratio ** (-k if finer else k)
        mesh = dataclasses.replace(
            ms,
            size=ms.size * f,
            board_size=ms.board_size * f,
            film_size=film * f,
            opening_size=ms.opening_size * f if ms.opening_size else ms.opening_size,
            terminal_size=ms.terminal_size * f if ms.terminal_size else ms.terminal_size,
        )
        out.append(dataclasses.replace(case, mesh=mesh))
    return out[::-1] if finer else out


def level_key(case: Any) -> str:
    """A hash of everything in ``case`` (a dataclass: its mesh level included) and of
    fea's version that identifies one level's run; the key of ``converge(known=...)``."""
    from .. import __version__

    doc = {"case": dataclasses.asdict(case), "fea": __version__}
    text = json.dumps(doc, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _numeric(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _metric_names(case: Any, metrics: Sequence[str] | None, first: dict[str, Any]) -> list[str]:
    """The metrics to extrapolate, checked against the first level's ``first``."""
    have = sorted(k for k, v in first.items() if _numeric(v))
    if metrics:
        names = list(dict.fromkeys(metrics))  # a name given twice once
        for m in names:
            if not _numeric(first.get(m)):
                raise InputError("--metric", m, f"a numeric metric of the case: {', '.join(have)}")
        return names
    outputs = getattr(case, "outputs", ()) or ()
    names = [k for k in have if Column.parse(k).output in outputs and Column.parse(k).key]
    names.sort(key=list(first).index)
    if not names:
        raise InputError(
            "--metric",
            None,
            f"a numeric metric (the case's [outputs] give none): {', '.join(have) or 'none'}",
        )
    return names


def converge(
    case: Any,
    metrics: Sequence[str] | None = None,
    n: int = 3,
    ratio: float = 1.5,
    finer: bool = False,
    run: Callable[[Any], dict[str, Any]] | None = None,
    on_level: Callable[[int, Any], None] | None = None,
    on_result: Callable[[int, Any, dict[str, Any]], None] | None = None,
    known: dict[str, dict[str, Any]] | None = None,
) -> list[Convergence]:
    """Run ``case`` at ``n`` mesh sizes (:func:`mesh_levels`) and extrapolate each metric.

    Parameters
    ----------
    metrics
        Metric columns (``Tj_max_C``, ``warpage_um@25C``...); default every numeric
        column of the case's ``[outputs] metrics``. Checked after the first level: a name
        the case does not give, or none at all, is an :class:`~fea.errors.InputError`
        before the other levels run.
    run
        case -> metrics (default :func:`fea.package.analyse`).
    on_level
        Called with (level index, case) before each run (progress).
    on_result
        Called with (level index, case, metrics) after each level's run (to keep them:
        a run killed later keeps what was computed).
    known
        :func:`level_key` -> metrics of levels computed before: those levels are not
        run again.

    Returns one :class:`Convergence` per metric; the chosen mesh is the case's own. The
    refinement ratios are the levels' effective ones where the runs give node counts
    (:func:`effective_ratios`). A metric that is not finite at some level gets NaN
    results and a note saying where.
    """
    if run is None:
        from ..package import analyse as run
    levels = mesh_levels(case, n, ratio, finer)
    results: list[dict[str, Any]] = []
    names: list[str] = []
    for i, c in enumerate(levels):
        if on_level is not None:
            on_level(i, c)
        earlier = (known or {}).get(level_key(c))
        if earlier is not None:
            results.append(dict(earlier))
        else:
            with warnings.catch_warnings():
                # the coarser levels are coarser than the default rules on purpose
                from ..package.sizing import MeshDependenceWarning

                warnings.simplefilter("ignore", MeshDependenceWarning)
                results.append(run(c))
            if on_result is not None:
                on_result(i, c, results[-1])
        if i == 0:
            names = _metric_names(case, metrics, results[0])
    chosen = n - 1 if finer else 0
    sizes = [c.mesh.size for c in levels]
    ratios, why = effective_ratios(results, ratio)
    nan = math.nan
    out = []
    for m in names:
        values = [r.get(m) for r in results]
        bad = [h for h, v in zip(sizes, values, strict=True) if not _numeric(v)]
        bad += [
            h for h, v in zip(sizes, values, strict=True) if _numeric(v) and not math.isfinite(v)
        ]
        if bad:
            vals = tuple(float(v) if _numeric(v) else nan for v in values)
            where = ", ".join(f"{h * 1e3:.4g}" for h in bad)
            note = f"not a finite number at h = {where} mm: no extrapolation"
            out.append(Convergence(m, tuple(sizes), vals, ratio, nan, True, nan, nan, nan, note))
            continue
        if ratios is None:  # the node counts do not grow with refinement
            vals = tuple(float(v) for v in values)
            out.append(Convergence(m, tuple(sizes), vals, ratio, nan, True, nan, nan, nan, why))
            continue
        res = richardson(
            [float(v) for v in values],
            ratio,
            formal_order(m, case.mesh.order),
            metric=m,
            sizes=sizes,
            chosen=chosen,
            ratios=ratios,
        )
        if why:
            res = dataclasses.replace(res, note="; ".join(x for x in (why, res.note) if x))
        out.append(res)
    return out


#: Unit suffixes of metrics that are derivatives of the solved field (stresses, energy
#: densities): their formal order is the elements' order, not one more.
DERIVATIVE_UNITS = ("_MPa", "_MJ_per_m3")
#: Metrics of the displacement's derivatives whose unit does not say so (a ratio of
#: stresses, a strain), and metrics in MPa that are no derivative (a vapour pressure,
#: from the solved wetness itself).
DERIVATIVE_METRICS = (
    "yield_ratio",
    "plastic_strain_max_pct",
    "eq_strain_crit_pct",
    "d_eq_strain_per_cycle_pct",
    "dW_crit_change_pct",
)
NOT_DERIVATIVE_METRICS = ("vapour_pressure_max_MPa", "vapour_pressure_mean_MPa")


def formal_order(metric: str, order: int) -> float:
    """The formal order of convergence of ``metric`` on elements of ``order``:
    ``order + 1`` (temperatures, displacements, resistances, vapour pressures), ``order``
    for the derivatives of the displacement: the :data:`DERIVATIVE_UNITS` and
    :data:`DERIVATIVE_METRICS` but the :data:`NOT_DERIVATIVE_METRICS` (a stress or a
    strain converges one order slower than the displacement it is the derivative of)."""
    c = Column.parse(metric)
    derivative = c.metric in DERIVATIVE_METRICS or (
        c.unit_suffix in DERIVATIVE_UNITS and c.metric not in NOT_DERIVATIVE_METRICS
    )
    return float(order) + (0.0 if derivative else 1.0)


#: Metrics whose value is a level's node (or DOF) count, the first found in every level
#: giving its effective mesh size ``h ~ N^(-1/3)``.
COUNT_METRICS = ("thermal_nodes_count", "mechanical_dof_count")
#: Smallest refinement ratio advised (Celik et al. 2008).
MIN_ADVISED_RATIO = 1.3


def effective_ratios(
    results: Sequence[dict[str, Any]], ratio: float
) -> tuple[tuple[float, ...] | None, str]:
    """The refinement ratios ``(N_k / N_k+1)^(1/3)`` between neighbouring levels
    (``results`` finest first) of the first of :data:`COUNT_METRICS` that every level
    has, and a note: where they differ from the nominal ``ratio`` by more than 2 % (the
    sizes that do not scale with ``mesh.size``: sub-layers through thin layers, fixed
    features), or are under :data:`MIN_ADVISED_RATIO`. Without counts: ``ratio`` each,
    no note. ``None`` and the reason when a coarser level has as many nodes."""
    n = len(results)
    for key in COUNT_METRICS:
        counts = [r.get(key) for r in results]
        if all(_numeric(c) and math.isfinite(c) and c > 0 for c in counts):
            break
    else:
        return (ratio,) * (n - 1), ""
    rs = tuple((counts[k] / counts[k + 1]) ** (1.0 / 3.0) for k in range(n - 1))
    text = ", ".join(f"{x:.3g}" for x in rs)
    listed = ", ".join(f"{c:.0f}" for c in counts)
    if not all(x > 1.0 for x in rs):
        return None, (f"the levels' {key} ({listed}) do not grow with refinement: no extrapolation")
    notes = []
    if any(abs(x / ratio - 1.0) > 0.02 for x in rs):
        notes.append(
            f"effective refinement ratios {text} from {key} {listed} (nominal {ratio:g}: "
            "sizes that do not scale with the mesh size, such as the sub-layers through "
            "thin layers, keep their elements)"
        )
    if min(rs) < MIN_ADVISED_RATIO:
        notes.append(
            f"a ratio under {MIN_ADVISED_RATIO:g}: the levels differ little, a larger "
            "--ratio separates them better"
        )
    return rs, "; ".join(notes)


def _plain(v: Any) -> Any:
    if isinstance(v, bool | str) or v is None:
        return v
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(v) else None
    return None


def write_levels(folder: str | os.PathLike, levels: dict[str, dict[str, Any]]) -> Path:
    """Write :data:`LEVELS_FILE` into ``folder`` atomically: :func:`level_key` ->
    ``{"size_m": h [m], "metrics": {name: value}}`` (numbers, text and booleans; a value
    that is not finite or not such a value as null). Returns the path."""
    from ..io.atomic import write_atomic

    doc = {
        "levels": {
            k: {
                "size_m": _plain(v.get("size_m")),
                "metrics": {m: _plain(x) for m, x in v.get("metrics", {}).items()},
            }
            for k, v in levels.items()
        }
    }
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return write_atomic(folder / LEVELS_FILE, json.dumps(doc, indent=1, allow_nan=False))


def read_levels(folder: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """The levels :func:`write_levels` wrote into ``folder`` ({} without the file, or
    when it is not such a file): :func:`level_key` -> ``{"size_m", "metrics"}``."""
    from ..io.textfile import read_text_file

    path = Path(folder) / LEVELS_FILE
    if not path.is_file():
        return {}
    try:
        doc = json.loads(read_text_file(path, "--out", MAX_LEVELS_BYTES, "levels file"))
    except (InputError, ValueError):
        return {}
    levels = doc.get("levels") if isinstance(doc, dict) else None
    if not isinstance(levels, dict):
        return {}
    return {
        k: v
        for k, v in levels.items()
        if isinstance(k, str) and isinstance(v, dict) and isinstance(v.get("metrics"), dict)
    }


def write_convergence(
    results: Sequence[Convergence], folder: str | os.PathLike, title: str = ""
) -> list[Path]:
    """Write ``converge.csv`` (one row per metric), ``converge.json`` and ``converge.png``
    (each metric against the mesh size, the extrapolated value and the GCI band of the
    finest mesh) into ``folder``; returns the paths."""
    import csv
    import io

    from ..io.atomic import write_atomic

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n = max((len(r.values) for r in results), default=0)
    sizes = results[0].sizes if results else ()
    head = ["metric", "unit"] + [f"value@h={h * 1e3:.4g}mm" for h in sizes[:n]]
    head += ["extrapolated", "observed_order", "order_assumed", "gci_fine_pct"]
    head += ["chosen_error_pct", "ratio", "effective_ratios", "note"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    for r in results:
        w.writerow(
            [r.metric, Column.parse(r.metric).unit, *r.values, r.extrapolated, r.order]
            + [r.order_assumed, 100 * r.gci_fine, 100 * r.chosen_error, r.ratio]
            + [" ".join(f"{x:.6g}" for x in r.ratios), r.note]
        )
    paths = [folder / "converge.csv", folder / "converge.json", folder / "converge.png"]
    write_atomic(paths[0], buf.getvalue())
    doc = {"title": title, "metrics": [r.as_dict() for r in results]}
    write_atomic(paths[1], json.dumps(doc, indent=1))
    fig = convergence_figure(results, title)
    buf2 = io.BytesIO()
    fig.savefig(buf2, format="png", dpi=110, bbox_inches="tight")
    write_atomic(paths[2], buf2.getvalue())
    import matplotlib.pyplot as plt

    plt.close(fig)
    return paths


def convergence_figure(results: Sequence[Convergence], title: str = "") -> Any:
    """Each metric against the mesh size [mm] (one panel each, at most 12): the values,
    the extrapolated value at h = 0 (dashed) and the GCI band of the finest mesh. The
    coarser levels stand at their effective sizes (the finest's times the ratios used)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = list(results)[:12]
    ncols = min(max(len(shown), 1), 3)
    nrows = max(1, -(-len(shown) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.5 * ncols, 3.4 * nrows), squeeze=False)
    for ax, r in zip(axes.flat, shown, strict=False):
        h = np.asarray(r.sizes) * 1e3
        if len(r.ratios) == len(h) - 1 and len(h):
            h = h[0] * np.concatenate([[1.0], np.cumprod(r.ratios)])
        ax.plot(h, r.values, "o-", label="computed")
        if math.isfinite(r.extrapolated):
            ax.plot([0.0], [r.extrapolated], "k*", label="extrapolated")
            ax.axhline(r.extrapolated, color="k", ls="--", lw=0.8)
        if math.isfinite(r.gci_fine):
            f1 = r.values[0]
            band = abs(f1) * r.gci_fine
            label = f"GCI {100 * r.gci_fine:.2g} %"
            ax.errorbar([h[0]], [f1], yerr=[band], color="tab:red", capsize=4, label=label)
        ax.set_xlim(left=0.0)
        ax.ticklabel_format(axis="y", useOffset=False)
        ax.set_xlabel("effective mesh size h [mm]")
        ax.set_ylabel(Column.parse(r.metric).label if "@" not in r.metric else r.metric)
        order = "p n/a" if not math.isfinite(r.order) else f"p = {r.order:.2f}"
        ax.set_title(f"{r.metric}: {order}", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes.flat[len(shown) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    literal_text(fig)  # metric names and titles as written, a '$' included
    fig.tight_layout()
    return fig
