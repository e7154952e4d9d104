"""Plots of studies and cases (matplotlib, Agg, PNG).

* :func:`study_plots`: each output vs each swept parameter (axis labels with units),
  and the signed warpage along the reflow profile with the compound's Tg and the
  allowed limits of the spec; written to ``<study out>/plots/``, where the figures of
  an earlier run that this one does not draw are removed (:func:`remove_stale_plots`).
* :func:`case_field_plots`: per mechanical state the warpage map of the top surface
  (diverging colours centred at zero, one scale for all states by default), the
  die's active-face temperature map, and peel and shear per interface, from a case's
  ``result.h5``.
* :func:`case_curve_plots`: the heating curve (Zth on a log time axis), the cumulative
  and differential structure functions and the dual-interface theta_JC of a case.
* :func:`zth_plots`: the heating curves and structure functions of every case of a
  study on one set of axes (``plots/zth.png``, ``plots/structure_function.png``).
* :func:`structure_plot`: heating curves and structure functions of named curves
  (``fea structure``).

Warpage signs follow :data:`fea.physics.post.SIGN_CONVENTION` (JESD22-B112 / JEITA
ED-7306: + convex seen from the top). Every PNG carries its title and, for a colour
map, its colour limits as PNG text (``fea:colour_limits``, JSON), so a test or a
report tool can read them back.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ResultsError
from ..package.names import Column
from ..package.spec import OUTPUTS

__all__ = ["MAX_PLOT_NAME", "literal_text", "sweep_plot_name"]

_REFLOW = re.compile(r"^warpage_signed_um@r(\d+)_(-?[\d.]+)C$")
_STATE = re.compile(r"^(?:r(\d+)_)?(-?[\d.]+)C$")
#: The sign convention in a few words, for titles and axis labels.
SIGN_SHORT = "JEDEC sign: + convex, − concave, seen from the top"


def column_output(column: str) -> str | None:
    """The output name (as in ``[outputs] metrics``) a table column belongs to, or None.

    ``warpage_um@260C`` -> ``warpage_um``; ``von_mises_max_MPa@25C:shell`` ->
    ``von_mises_max_MPa``; ``Tj_max_C`` -> ``Tj_max_C``; the location of a maximum
    (``von_mises_max_at_mm@25C:shell``) is no output: None.
    """
    name = Column.parse(column).output
    return name if name in OUTPUTS else None


def state_label(tag: str) -> str:
    """A state tag as text: ``25C`` -> ``25 °C``, ``r03_183C`` -> ``reflow step 3, 183 °C``."""
    m = _STATE.match(str(tag))
    if m is None:
        return str(tag)
    step, T = m.groups()
    return f"{T} °C" if step is None else f"reflow step {int(step)}, {T} °C"


def _tag_temperature(tag: str) -> float:
    m = _STATE.match(str(tag))
    return float(m.group(2)) if m else 0.0


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def literal_text(fig: Any) -> None:
    """Show every title, axis label, legend entry and annotation of ``fig`` as written.

    A '$' in a name (a curve file ``run$1.csv``, a material, a metric) would start
    matplotlib's mathtext, which sets it as a formula or fails when the figure is drawn
    ("Unknown symbol"). Tick labels keep mathtext (a log axis writes its powers of ten
    with it). Call it once the figure's text is all set, before saving.

    Parameters
    ----------
    fig
        A matplotlib ``Figure``; changed in place.
    """
    from matplotlib.text import Text

    axes_text = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            axes_text.add(id(axis.offsetText))
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                axes_text.update((id(tick.label1), id(tick.label2)))
    for t in fig.findobj(Text):
        if id(t) not in axes_text:
            t.set_parse_math(False)


def _save(fig, path: Path, info: dict[str, Any] | None = None) -> Path:
    from ..io.atomic import write_atomic

    literal_text(fig)
    meta = {"Title": fig.axes[0].get_title() if fig.axes else "", "Software": "fea"}
    for k, v in (info or {}).items():
        meta[f"fea:{k}"] = json.dumps(v)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata=meta)
    write_atomic(path, buf.getvalue())
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


#: Longest figure file name [characters] (file systems allow 255 bytes; an output named
#: after two 64-character regions against a long parameter path can pass that).
MAX_PLOT_NAME = 200


def sweep_plot_name(output: str, parameter: str) -> str:
    """The file name ``<output>_vs_<parameter>.png`` of a sweep figure (characters other
    than letters, digits, ``_ . -`` as ``_``); past :data:`MAX_PLOT_NAME` characters both
    parts are cut and a hash of the whole name keeps it unique."""
    name = f"{_slug(output)}_vs_{_slug(parameter)}.png"
    if len(name) <= MAX_PLOT_NAME:
        return name
    import hashlib

    tag = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{_slug(output)[:110]}_vs_{_slug(parameter)[:60]}_{tag}.png"


def _unique_name(output: str, parameter: str, used: set[str]) -> str:
    """:func:`sweep_plot_name`, with a hash of ``parameter`` added where the name, case
    aside, is one of ``used`` (two parameters whose paths differ only in case, or in
    characters a file name holds as ``_``: one file on a file system that does not tell
    case apart, or on any); the name is added to ``used``."""
    name = sweep_plot_name(output, parameter)
    if name.lower() in used:
        import hashlib

        tag = hashlib.sha256(parameter.encode()).hexdigest()[:10]
        name = f"{name.removesuffix('.png')[: MAX_PLOT_NAME - 15]}_{tag}.png"
    used.add(name.lower())
    return name


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


#: Most panels of one sweep figure (the other factors' level combinations beyond are
#: left out, and the figure says so) and most series (columns) per panel.
MAX_PANELS = 12
MAX_SERIES = 12
#: An output axis with a natural zero includes zero when the values' spread is under
#: this fraction of their largest magnitude (and above :data:`TINY_SPREAD`): the
#: magnitudes stay visible and the differences too.
ZERO_SPREAD = 0.5
#: Below this fraction of the largest magnitude the spread would vanish with zero in
#: range: the axis keeps the values' range and says in the panel that it does not start
#: at zero.
TINY_SPREAD = 0.02
#: Units whose zero is no physical zero (a temperature in °C): never forced into range.
NO_NATURAL_ZERO = ("°C",)


def param_label(column: str) -> str:
    """Axis label of a swept parameter (a ``param:`` column or a dotted key), with its
    unit: ``param:geometry.openings.width_mm`` -> ``geometry.openings.width [mm]``,
    ``param:loads.h`` -> ``loads.h [W/(m² K)]``, ``param:loads.power_W.die`` ->
    ``loads.power_W.die [W]`` (:func:`fea.package.spec.reference.key_unit`)."""
    from ..package.spec.reference import key_unit

    key = column.removeprefix("param:")
    c = Column(key)
    if c.unit_suffix:
        return c.label
    unit = key_unit(key)
    return f"{key} [{unit}]" if unit else key


def honest_range(values: Any, unit: str = "") -> tuple[float, float, str]:
    """Axis limits for ``values`` that do not hide their magnitude.

    Zero is in range when the unit has a natural zero (not °C) and the spread is between
    :data:`TINY_SPREAD` and :data:`ZERO_SPREAD` of the largest magnitude; otherwise the
    range is the values' own, padded by 5 %. Returns (low, high, note): ``note`` is a
    sentence for the panel when the axis does not start at zero although the spread is
    small, else ``""``. Tick labels are drawn without matplotlib's offset (see
    :func:`sweep_figure`), so they carry the full values.
    """
    v = np.asarray([x for x in values if x is not None], dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0, 1.0, ""
    lo, hi = float(v.min()), float(v.max())
    big = max(abs(lo), abs(hi))
    span = hi - lo
    note = ""
    natural = unit not in NO_NATURAL_ZERO
    if big > 0 and natural and TINY_SPREAD * big <= span < ZERO_SPREAD * big:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    elif big > 0 and span < TINY_SPREAD * big and lo * hi > 0:
        note = f"axis not from zero: spread {span / big:.2%} of the value"
    pad = 0.05 * (hi - lo) or 0.05 * big or 1.0
    if lo == hi == 0.0:  # every value zero: a range around it, not the limits 0 and 0
        return -pad, pad, note
    return (lo if lo == 0.0 else lo - pad), (hi if hi == 0.0 else hi + pad), note


def _distinct(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _output_columns(spec: Any, ok: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Output name -> its numeric table columns shown in a summary (key regions)."""
    columns: dict[str, list[str]] = {}
    for r in ok:
        for k in r:
            name = column_output(k)
            if name in spec.outputs and not Column.parse(k).is_text and Column.parse(k).key:
                if k not in columns.setdefault(name, []):
                    columns[name].append(k)
    return columns


def sweep_figure(
    spec: Any, rows: list[dict[str, Any]], param: str, output: str, columns: list[str]
) -> Any:
    """One output against one swept parameter, one panel per level combination of the
    other swept parameters (the panel's title names them and their values).

    ``param``: the ``param:`` column; ``columns``: the output's table columns, one series
    each (same colour in every panel). A numeric parameter is an x axis with its name and
    unit, points joined in x order; a categorical one (materials, text, booleans) has
    one tick per category, in sweep order, and markers never joined by lines. The y
    axes share :func:`honest_range` limits and plain tick labels (no offset). Returns
    the matplotlib figure.
    """
    plt = _pyplot()
    ok = [r for r in rows if r.get("status", "ok") == "ok"]
    params = _distinct([k for r in ok for k in r if k.startswith("param:")])
    others = [q for q in params if q != param]
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in ok:
        groups.setdefault(tuple(_text(r.get(q)) for q in others), []).append(r)
    keys = list(groups)
    shown = keys[:MAX_PANELS]
    raw = [r.get(param) for r in ok]
    xs = [_number(x) for x in raw]
    numeric = all(x is not None for x in xs)
    cats = _distinct([_text(x) for x in raw])
    ncols = min(len(shown), 3)
    nrows = -(-len(shown) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4.8 * ncols + 0.5, 3.6 * nrows + 0.8), sharey=True, squeeze=False
    )
    cols = columns[:MAX_SERIES]
    colours = {c: f"C{i % 10}" for i, c in enumerate(cols)}
    unit = Column(output).unit
    lo, hi, note = honest_range([_number(r.get(c)) for r in ok for c in cols], unit)
    for ax, key in zip(axes.flat, shown, strict=False):
        panel = groups[key]
        for c in cols:
            pts = []
            for r in panel:
                y = _number(r.get(c))
                if y is None:
                    continue
                x = _number(r.get(param)) if numeric else cats.index(_text(r.get(param)))
                pts.append((x, y))
            if not pts:
                continue
            pts.sort()
            style = dict(marker="o", color=colours[c], label=c)
            if numeric:
                ax.plot(*zip(*pts, strict=True), "-", **style)
            else:
                ax.plot(*zip(*pts, strict=True), linestyle="none", **style)
        if not numeric:
            ax.set_xticks(range(len(cats)), cats, rotation=20, fontsize=7)
            ax.set_xlim(-0.5, len(cats) - 0.5)
        ax.set_xlabel(param_label(param))
        ax.set_ylim(lo, hi)
        ax.ticklabel_format(axis="y", useOffset=False)
        ax.grid(alpha=0.3)
        if others:
            level = ", ".join(f"{param_label(q)} = {v}" for q, v in zip(others, key, strict=True))
            ax.set_title(level, fontsize=8)
        if note:
            ax.text(0.02, 0.02, note, transform=ax.transAxes, fontsize=7, color="0.3")
    for ax in axes.flat[len(shown) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(Column(output).label)
    # one legend of every series shown in any panel (the first panel may lack some)
    series: dict[str, Any] = {}
    for ax in axes.flat[: len(shown)]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            series.setdefault(lab, h)
    if series:
        axes.flat[0].legend(list(series.values()), list(series), fontsize=7)
    else:
        axes.flat[0].text(
            0.5,
            0.5,
            "no numeric value in the finished cases",
            transform=axes.flat[0].transAxes,
            ha="center",
            va="center",
            fontsize=9,
            color="0.3",
        )
    title = f"{spec.name}: {Column(output).label} vs {param_label(param)}"
    if len(keys) > len(shown):
        title += f" (first {len(shown)} of {len(keys)} level combinations)"
    if len(columns) > len(cols):
        title += f" (first {len(cols)} of {len(columns)} columns)"
    if output == "warpage_signed_um":
        title += f"\n({SIGN_SHORT})"
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _text(v: Any) -> str:
    """A parameter value as a category label (missing: the base case's value)."""
    return "(base)" if v is None or v == "" else str(v)


def study_plots(spec: Any, rows: list[dict[str, Any]], out: str | os.PathLike) -> list[Path]:
    """Draw the study plots from the table rows; returns the files written: per output
    and swept parameter a :func:`sweep_figure`, the warpage along the reflow profile
    (:func:`reflow_figure`) and the heating curves (:func:`zth_plots`).

    The figures an earlier run drew in ``<out>/plots`` and this one does not (a parameter
    no longer swept, an output no longer listed, every case failed, another study run into
    the same folder) are removed, also when a figure fails: the folder shows only the
    present table (:func:`remove_stale_plots`)."""
    folder = Path(out) / "plots"
    written: list[Path] = []
    try:
        ok = [r for r in rows if r.get("status") == "ok"]
        if not ok:
            return []
        plt = _pyplot()
        params = _distinct([k for r in ok for k in r if k.startswith("param:")])
        columns = _output_columns(spec, ok)
        used: set[str] = set()
        for p in params:
            for name, cols in columns.items():
                fig = sweep_figure(spec, ok, p, name, cols)
                written.append(_save(fig, folder / _unique_name(name, p[6:], used)))
                plt.close(fig)
        if any(reflow_columns(r) for r in ok):  # a case without a profile may come first
            fig = reflow_figure(spec, [r for r in ok if reflow_columns(r)])
            written.append(_save(fig, folder / "warpage_vs_temperature.png"))
            plt.close(fig)
        written += zth_plots(spec, ok, out)
        return written
    finally:
        remove_stale_plots(folder, written)


#: The names :func:`study_plots` gives its figures (``<output>_vs_<parameter>.png``,
#: ``warpage_vs_temperature.png``, ``zth.png``, ``structure_function.png``).
STUDY_PLOT_NAME = re.compile(
    r"[A-Za-z0-9_.-]+_vs_[A-Za-z0-9_.-]+\.png|zth\.png|structure_function\.png"
)


def remove_stale_plots(folder: str | os.PathLike, keep: list[Path]) -> list[Path]:
    """Remove the study plots directly in ``folder`` that are not in ``keep``: PNG files
    named as :func:`study_plots` names them (:data:`STUDY_PLOT_NAME`) whose ``Software``
    text is ``fea`` (:func:`_save`); returns them. Other files (a user's own figure, one
    of ``fea structure`` under another name) stay, and so does everything when ``folder``
    is a symbolic link (a folder shared with other studies)."""
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return []
    kept = {Path(p).name for p in keep}
    removed = []
    for path in sorted(folder.glob("*.png")):
        if path.name in kept or STUDY_PLOT_NAME.fullmatch(path.name) is None:
            continue
        if not path.is_file() or path.is_symlink():
            continue
        if _drawn_by_fea(path):
            try:
                path.unlink()
            except OSError:  # gone meanwhile, or a read-only folder: nothing to undo
                continue
            removed.append(path)
    return removed


def _drawn_by_fea(path: Path) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return getattr(im, "text", {}).get("Software") == "fea"
    except (OSError, UnidentifiedImageError, ValueError):
        return False


def reflow_columns(row: dict[str, Any]) -> list[tuple[int, float, str]]:
    """The signed-warpage columns of the reflow profile in a row, in profile order:
    [(step, temperature [°C], column)]."""
    return sorted((int(m.group(1)), float(m.group(2)), k) for k in row if (m := _REFLOW.match(k)))


def temperature_legs(temperatures: list[float]) -> list[tuple[str, list[int]]]:
    """Split a temperature profile into its monotonic legs: [("heating" | "cooling",
    point indices)]; a turning point belongs to both legs it joins, a hold (equal
    temperatures) to the leg it is in."""
    legs: list[tuple[str, list[int]]] = []
    for i in range(1, len(temperatures)):
        dT = temperatures[i] - temperatures[i - 1]
        kind = legs[-1][0] if dT == 0 and legs else ("heating" if dT >= 0 else "cooling")
        if legs and legs[-1][0] == kind:
            legs[-1][1].append(i)
        else:
            legs.append((kind, [i - 1, i]))
    return legs


def reflow_figure(spec: Any, rows: list[dict[str, Any]]) -> Any:
    """Signed warpage against temperature along the reflow profile (JESD22-B112 style):
    per case its heating legs (solid, circles) and cooling legs (dashed, squares) as
    separate series of one colour, the measured face (``[outputs] warpage_face``) in
    the title, the compound's Tg and the spec's allowed warpage as lines. Returns the
    matplotlib figure."""
    plt = _pyplot()
    ok = [r for r in rows if r.get("status", "ok") == "ok"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    T: list[float] = []
    for n, r in enumerate(ok[:MAX_SERIES]):
        # each case along its own profile: a sweep over loads.reflow_C gives each its
        # own state columns (r03_245C, r03_260C), not those of the first case
        reflow = reflow_columns(r)
        T = T or [t for _, t, _ in reflow]
        Tr = [t for _, t, _ in reflow]
        legs = temperature_legs(Tr)
        counts = {k: sum(1 for kind, _ in legs if kind == k) for k in ("heating", "cooling")}
        w = [_number(r.get(k)) for _, _, k in reflow]
        seen = {"heating": 0, "cooling": 0}
        for kind, idx in legs:
            seen[kind] += 1
            pts = [(Tr[i], w[i]) for i in idx if w[i] is not None]
            if not pts:
                continue
            name = kind if counts[kind] == 1 else f"{kind} {seen[kind]}"
            ax.plot(
                *zip(*pts, strict=True),
                "o-" if kind == "heating" else "s--",
                ms=3,
                color=f"C{n % 10}",
                label=f"{r['case']} {name}",
            )
    ax.axhline(0, color="k", lw=0.5)
    base = getattr(spec, "base", None)
    enc = getattr(base, "materials", {}).get("encapsulant") if base is not None else None
    if enc is not None and getattr(enc, "Tg", None) is not None:
        ax.axvline(enc.Tg, color="0.4", ls=":", lw=1)
        ax.annotate(f"Tg {enc.Tg:g} °C", (enc.Tg, 0), xytext=(3, 3), textcoords="offset points")
    report = getattr(base, "report", None)
    limits = getattr(report, "warpage_limits", None)
    if limits is not None and T:
        for value, what in zip(limits, ("concave", "convex"), strict=True):
            ax.axhline(value * 1e6, color="tab:red", ls="--", lw=1)
            ax.annotate(
                f"allowed {what} {value * 1e6:+g} µm",
                (T[0], value * 1e6),
                xytext=(3, -10 if value < 0 else 3),
                textcoords="offset points",
                color="tab:red",
                fontsize=8,
            )
    face = FACE_TEXT.get(getattr(report, "warpage_face", "top"), "top surface")
    if getattr(base, "kind", "unit") == "panel":
        # the reflow follows the process: on the units where it singulates them
        face = "bottom face after the process (the singulated units where it cuts them)"
    ax.set_xlabel("temperature [°C]")
    ax.set_ylabel("signed warpage [µm]")
    ax.ticklabel_format(axis="y", useOffset=False)
    shown = f" (first {MAX_SERIES} of {len(ok)} cases)" if len(ok) > MAX_SERIES else ""
    ax.set_title(
        f"{spec.name}: warpage of the {face} along the reflow profile{shown}\n({SIGN_SHORT})",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return fig


#: How a plot names each ``[outputs] warpage_face``.
FACE_TEXT = {"top": "top surface", "ball_side": "ball side"}


def _curves_of(folder: Path) -> dict[str, dict[str, Any]]:
    """The curves a case wrote as CSV (``zth.csv``, ``structure_function.csv``...)."""
    from ..io import read_curve_csv

    return {p.stem: read_curve_csv(p) for p in sorted(Path(folder).glob("*.csv"))}


def _zth_axes(ax, curves: dict[str, Any], label: str = "", probes: bool = True) -> None:
    """Draw a heating curve on ``ax``: Zth of the junction (and probes) on a log time
    axis, or the temperatures and the power of a power-profile transient."""
    c = curves["zth"]
    t = c["time_s"][1:]
    if "zth_K_per_W" in c:
        ax.semilogx(t, c["zth_K_per_W"][1:], label=f"{label} junction".strip())
        if probes:
            for k in c:
                if k.startswith("zth_") and k != "zth_K_per_W":
                    ax.semilogx(t, c[k][1:], "--", lw=1, label=k[4:].removesuffix("_K_per_W"))
        ax.set_ylabel("Zth [K/W]")
    else:
        ax.semilogx(t, c["Tj_C"][1:], label=f"{label} junction".strip())
        if probes:
            for k in c:
                if k.startswith("T_") and k.endswith("_C"):
                    ax.semilogx(t, c[k][1:], "--", lw=1, label=k[2:-2])
        ax.set_ylabel("temperature [°C]")
        if "power_W" in c and probes:
            ax2 = ax.twinx()
            ax2.semilogx(t, c["power_W"][1:], color="0.6", lw=1)
            ax2.set_ylabel("power [W]", color="0.4")
    ax.set_xlabel("time [s]")
    ax.grid(alpha=0.3, which="both")


def _sf_axes(ax_c, ax_k, sf: dict[str, Any], label: str = "") -> None:
    """Cumulative (C vs R, log C) and differential (dC/dR vs R, log K) structure function."""
    from ..package.transient import sf_k_column

    r, c, k = sf["R_K_per_W"], sf["C_J_per_K"], sf[sf_k_column(sf)]
    ax_c.step(r, c, where="post", label=label or None)
    ax_c.set_yscale("log")
    ax_c.set_xlabel("cumulative thermal resistance [K/W]")
    ax_c.set_ylabel("cumulative thermal capacitance [J/K]")
    ax_c.grid(alpha=0.3, which="both")
    if ax_k is not None:
        inner = r < 0.98 * r[-1]  # the last nodes run off to the sink (K -> infinity)
        ax_k.plot(r[inner], k[inner], ".-", ms=2, lw=0.8, label=label or None)
        ax_k.set_yscale("log")
        ax_k.set_xlabel("cumulative thermal resistance [K/W]")
        ax_k.set_ylabel("differential structure function K [W²s/K²]")
        ax_k.grid(alpha=0.3, which="both")


def _sf_limits(ax, curves_list: list[dict[str, Any]]) -> None:
    """Cut the staircase where it runs off to the sink (C beyond the model's)."""
    hi = [
        float(np.nanmax(np.asarray(c["C_J_per_K"])[:-1]))
        for c in curves_list
        if len(c["C_J_per_K"]) > 1
    ]
    lo = [float(np.asarray(c["C_J_per_K"])[0]) for c in curves_list]
    if hi and lo:
        ax.set_ylim(max(min(lo), 1e-12) / 2, min(max(hi), 1e6) * 20)


def case_label(case: Any, folder: str | os.PathLike) -> str:
    """A case's name in its plots' titles: the study's name and the case folder's (the row's
    case id, ``"openings case0003"``): every case of a sweep carries the study's name, so
    its PNGs were told apart only by their folder."""
    name, tail = str(case.name), Path(folder).name
    return name if tail in ("", name) else f"{name} {tail}"


def case_curve_plots(case: Any, folder: str | os.PathLike) -> list[Path]:
    """Heating curve, structure functions and dual-interface plot of one case (from the
    curve CSV files its analysis wrote)."""
    folder = Path(folder)
    curves = _curves_of(folder)
    plt = _pyplot()
    written: list[Path] = []
    title = case_label(case, folder)
    if "zth" in curves:
        fig, ax = plt.subplots(figsize=(6.5, 4.2))
        _zth_axes(ax, curves)
        ax.legend(fontsize=7)
        ax.set_title(f"{title}: heating curve")
        written.append(_save(fig, folder / "zth.png"))
        plt.close(fig)
    if "structure_function" in curves:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
        sf = curves["structure_function"]
        _sf_axes(a1, a2, sf)
        _sf_limits(a1, [sf])
        a1.set_title("cumulative structure function")
        a2.set_title("differential structure function")
        fig.suptitle(title)
        written.append(_save(fig, folder / "structure_function.png"))
        plt.close(fig)
    duals = {
        k.removeprefix("dual_interface_sf_"): v
        for k, v in curves.items()
        if k.startswith("dual_interface_sf_")
    }
    if duals and "dual_interface_zth" in curves:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
        z = curves["dual_interface_zth"]
        for k, v in z.items():
            if k != "time_s":
                a1.semilogx(z["time_s"], v, label=k.removeprefix("zth_").removesuffix("_K_per_W"))
        a1.set_xlabel("time [s]")
        a1.set_ylabel("Zth [K/W]")
        a1.grid(alpha=0.3, which="both")
        a1.legend(fontsize=7, title="case contact h [W/(m² K)]")
        for label, sf in duals.items():
            _sf_axes(a2, None, sf, label)
        _sf_limits(a2, list(duals.values()))
        jc = _theta_jc(folder)
        if jc is not None:
            a2.axvline(jc, color="k", lw=0.8, ls=":")
            a2.annotate(
                f"θJC = {jc:.2f} K/W",
                (jc, 0.05),
                xycoords=("data", "axes fraction"),
                fontsize=8,
                ha="left",
            )
        a2.legend(fontsize=7)
        fig.suptitle(f"{title}: transient dual interface (JESD51-14)")
        written.append(_save(fig, folder / "dual_interface.png"))
        plt.close(fig)
    return written


def _theta_jc(folder: Path) -> float | None:
    """theta_JC of a case from its results file; None when the file is missing or
    unreadable (:class:`~fea.errors.ResultsError`: the curves are drawn without the
    theta_JC mark) or holds no theta_JC. Any other error is a bug and propagates."""
    from ..io import read_results

    try:
        results = read_results(folder / "result.h5")
    except ResultsError:
        return None
    return _number(results.metrics.get("theta_jc_K_per_W"))


def zth_plots(spec: Any, rows: list[dict[str, Any]], out: str | os.PathLike) -> list[Path]:
    """The heating curves and structure functions of the study's cases, overlaid."""
    # the first MAX_SERIES cases that have a curve, wherever they are in the study (the
    # steady cases of a study may come first)
    with_curve = [
        str(r["case"]) for r in rows if (Path(out) / str(r["case"]) / "zth.csv").is_file()
    ]
    found = []
    for cid in with_curve[:MAX_SERIES]:
        curves = _curves_of(Path(out) / cid)
        if "zth" in curves:
            found.append((cid, curves))
    if not found:
        return []
    more = len(with_curve) > MAX_SERIES
    shown = f" (first {MAX_SERIES} of {len(with_curve)} cases)" if more else ""
    plt = _pyplot()
    folder = Path(out) / "plots"
    written = []
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for cid, curves in found:
        _zth_axes(ax, curves, cid, probes=len(found) == 1)
    ax.legend(fontsize=7)
    ax.set_title(f"{spec.name}: heating curves{shown}")
    written.append(_save(fig, folder / "zth.png"))
    plt.close(fig)
    sfs = [(cid, c["structure_function"]) for cid, c in found if "structure_function" in c]
    if sfs:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
        for cid, sf in sfs:
            _sf_axes(a1, a2, sf, cid)
        _sf_limits(a1, [sf for _, sf in sfs])
        a1.legend(fontsize=7)
        fig.suptitle(f"{spec.name}: structure functions{shown}")
        written.append(_save(fig, folder / "structure_function.png"))
        plt.close(fig)
    return written


def warpage_map(
    ax: Any,
    x: np.ndarray,
    y: np.ndarray,
    triangles: np.ndarray,
    w: np.ndarray,
    limit: float | None = None,
) -> Any:
    """Filled contours of the warpage ``w`` [µm] (best-fit plane removed) on a
    triangulated surface (coordinates in mm), on a diverging scale centred at zero from
    ``-limit`` to ``+limit`` (default: the largest |w|), rounded out to whole steps.
    Returns the contour set, whose ``get_clim()`` is the symmetric scale."""
    from matplotlib.ticker import MaxNLocator

    vmax = float(limit) if limit is not None else float(np.abs(w).max())
    vmax = vmax if vmax > 0 else 1.0
    levels = MaxNLocator(nbins=20, symmetric=True).tick_values(-vmax, vmax)  # round steps
    vmax = float(levels[-1])
    cs = ax.tricontourf(
        x, y, triangles, np.clip(w, -vmax, vmax), levels=levels, cmap="RdBu_r", extend="neither"
    )
    cs.set_clim(-vmax, vmax)
    ax.set_aspect("equal")
    ax.set_xlabel("x [mm]")
    ax.set_ylabel("y [mm]")
    return cs


def case_field_plots(case: Any, folder: str | os.PathLike) -> list[Path]:
    """Warpage maps (top surface, each state), the die-face temperature map and peel and
    shear per interface of a case, from its ``result.h5``."""
    from ..io import read_results

    folder = Path(folder)
    r = read_results(folder / "result.h5")
    plt = _pyplot()
    written: list[Path] = []
    written += _warpage_maps(plt, case, r, folder)
    written += _die_temperature(plt, case, r, folder)
    written += _interface_plot(plt, case, r, folder)
    return written


def _warpage_maps(plt, case: Any, r: Any, folder: Path) -> list[Path]:
    from ..package.spec.analyses import WARPAGE_FACE_BOUNDARY

    face = getattr(getattr(case, "report", None), "warpage_face", "top")
    surface = "bottom" if case.kind == "panel" else WARPAGE_FACE_BOUNDARY[face]
    m = r.mesh
    if r.mechanical is None or surface not in m.boundaries:
        return []
    f = m.boundaries[surface][:, :3]
    nodes = np.unique(f)
    remap = np.full(len(m.nodes), -1)
    remap[nodes] = np.arange(len(nodes))
    x, y = m.nodes[nodes, 0] * 1e3, m.nodes[nodes, 1] * 1e3
    labels = r.mechanical.get("labels")
    states = list(labels) if labels is not None else [""]
    u = r.mechanical["displacement"]
    # a half/quarter model (symmetry planes x = 0, y = 0): the full body's best-fit plane has
    # no tilt across a plane of symmetry, so only the untouched axes' tilts are fitted; an
    # eighth (planes y = 0 and x = y) has none at all
    eighth = "symmetry_d" in m.boundaries
    cut = ("x", "y") if eighth else tuple(a for a in ("x", "y") if f"symmetry_{a}" in m.boundaries)
    fit = _area_plane_fit(x, y, remap[f], cut)
    fields = []
    for i in range(len(states)):
        uz = (u[i] if labels is not None else u)[nodes, 2]
        fields.append((uz - fit(uz)) * 1e6)
    common = bool(getattr(getattr(case, "report", None), "common_scale", True))
    vmax = max(float(np.abs(w).max()) for w in fields) if common else None
    written = []
    for lab, w in zip(states, fields, strict=True):
        fig, ax = plt.subplots(figsize=(6, 5))
        cs = warpage_map(ax, x, y, remap[f], w, vmax)
        fig.colorbar(cs, label="warpage w − best-fit plane [µm]")
        title = _warpage_title(case_label(case, folder), r, surface, str(lab), w)
        if cut:
            part = "quarter model, x, y ≥ 0" if len(cut) == 2 else f"half model, {cut[0]} ≥ 0"
            part = "eighth model, 0 ≤ y ≤ x" if eighth else part
            title = title.replace("\n", f" ({part})\n", 1)
        ax.set_title(title, fontsize=9)
        lo, hi = cs.get_clim()
        info = {"colour_limits": [float(lo), float(hi)], "state": str(lab)}
        written.append(_save(fig, folder / f"warpage_{_slug(surface)}_{_slug(lab)}.png", info))
        plt.close(fig)
    return written


def _area_plane_fit(x: np.ndarray, y: np.ndarray, tri: np.ndarray, cut: tuple[str, ...]):
    """The least-squares plane of a P1 surface field per unit of projected area, as the
    warpage metrics fit it (:func:`fea.physics.post.surface_samples`; a plane fitted to
    the nodes tilts towards where the mesh is finer): ``fit(w)`` -> the plane at the
    nodes. Exact for a field linear on each triangle: the squared misfit is quadratic
    there and the edge midpoints with a third of the projected area each integrate it.
    The axes in ``cut`` (symmetry planes) get no tilt."""
    pairs = ((0, 1), (1, 2), (2, 0))
    area = 0.5 * np.abs(
        (x[tri[:, 1]] - x[tri[:, 0]]) * (y[tri[:, 2]] - y[tri[:, 0]])
        - (x[tri[:, 2]] - x[tri[:, 0]]) * (y[tri[:, 1]] - y[tri[:, 0]])
    )
    wts = np.sqrt(np.repeat(area / 3.0, 3))

    def design(cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
        cols = [np.ones_like(cx)] + [c for a, c in (("x", cx), ("y", cy)) if a not in cut]
        return np.column_stack(cols)

    def mid(v: np.ndarray) -> np.ndarray:  # (n_f * 3,) values at the edge midpoints
        return np.column_stack([0.5 * (v[tri[:, i]] + v[tri[:, j]]) for i, j in pairs]).ravel()

    A = design(mid(x), mid(y)) * wts[:, None]
    at_nodes = design(x, y)
    if not area.sum() > 0:  # a surface with no projected area: fitted at its nodes
        A, wts = at_nodes, None

    def fit(w: np.ndarray) -> np.ndarray:
        b = mid(w) * wts if wts is not None else w
        return at_nodes @ np.linalg.lstsq(A, b, rcond=None)[0]

    return fit


def _warpage_title(label: str, r: Any, surface: str, tag: str, w: np.ndarray) -> str:
    """Case (``label``, :func:`case_label`), surface, state; peak-to-valley, signed value
    and shape from the metrics."""
    metrics = r.metrics
    ptv = metrics.get(str(Column("warpage_um", tag)), float(w.max() - w.min()))
    signed = metrics.get(str(Column("warpage_signed_um", tag)))
    shape = metrics.get(str(Column("warpage_shape", tag)), "")
    k1 = metrics.get(str(Column("curvature_max_1_per_m", tag)))
    k2 = metrics.get(str(Column("curvature_min_1_per_m", tag)))
    head = f"{label}: {surface} surface at {state_label(tag)}" if tag else label
    line = f"peak-to-valley {ptv:.3g} µm"
    if isinstance(signed, float):
        sense = "convex" if signed >= 0 else "concave"
        line += f", signed {signed:+.3g} µm ({sense}"
        line += (
            f" {shape})" if shape in ("bowl", "cylindrical") else f", {shape})" if shape else ")"
        )
    if isinstance(k1, float) and isinstance(k2, float):
        line += f"\nprincipal curvatures {k1:+.3g}, {k2:+.3g} 1/m; {SIGN_SHORT}"
    return f"{head}\n{line}"


def _die_temperature(plt, case: Any, r: Any, folder: Path) -> list[Path]:
    tm = r.thermal_mesh or r.mesh
    faces = [n for n in ("die|die_attach", "die|dielectric") if n in tm.boundaries]
    if r.thermal is None or not faces:
        return []
    T = r.thermal["temperature"]
    T = T[-1] if T.ndim == 2 else T
    f = tm.boundaries[faces[0]][:, :3]
    nodes = np.unique(f)
    remap = np.full(len(tm.nodes), -1)
    remap[nodes] = np.arange(len(nodes))
    fig, ax = plt.subplots(figsize=(6, 5))
    cs = ax.tricontourf(
        tm.nodes[nodes, 0] * 1e3,
        tm.nodes[nodes, 1] * 1e3,
        remap[f],
        T[nodes],
        levels=20,
        cmap="inferno",
    )
    fig.colorbar(cs, label="temperature [°C]")
    ax.set_aspect("equal")
    ax.set_xlabel("x [mm]")
    ax.set_ylabel("y [mm]")
    tmax, tmin = float(T[nodes].max()), float(T[nodes].min())
    ax.set_title(
        f"{case_label(case, folder)}: die active face ({faces[0]})\n"
        f"max {tmax:.1f} °C, spread {tmax - tmin:.2f} K (min {tmin:.1f} °C)",
        fontsize=9,
    )
    lo, hi = cs.get_clim()
    path = _save(fig, folder / "die_temperature.png", {"colour_limits": [float(lo), float(hi)]})
    plt.close(fig)
    return [path]


def _interface_plot(plt, case: Any, r: Any, folder: Path) -> list[Path]:
    """Peel and shear per interface at each warpage temperature: the raw maximum (at the
    singular edges, mesh-dependent) against the mean over the band at a distance."""
    rows: dict[tuple[str, str], dict[str, float]] = {}
    for k, v in r.metrics.items():
        c = Column.parse(k)
        if c.metric in ("peel_max_MPa", "shear_max_MPa", "peel_band_MPa", "shear_band_MPa"):
            if isinstance(v, float) and c.region is not None and c.state is not None:
                rows.setdefault((c.state, c.region), {})[c.metric] = v
    if not rows:
        return []
    tags = sorted({s for s, _ in rows}, key=_tag_temperature)
    names = sorted({n for _, n in rows})
    band = getattr(getattr(case, "report", None), "interface_band", 1e-4) * 1e3
    fig, axes = plt.subplots(
        1, len(tags), sharey=True, figsize=(4.5 * len(tags) + 2, 0.45 * len(names) + 2.2)
    )
    axes = np.atleast_1d(axes)
    ypos = np.arange(len(names))
    bars = (
        ("peel_max_MPa", "tab:red", ""),
        ("peel_band_MPa", "tab:red", "//"),
        ("shear_max_MPa", "tab:blue", ""),
        ("shear_band_MPa", "tab:blue", "//"),
    )
    for ax, tag in zip(axes, tags, strict=True):
        for j, (metric, colour, hatch) in enumerate(bars):
            vals = [rows.get((tag, n), {}).get(metric, np.nan) for n in names]
            ax.barh(
                ypos + (1.5 - j) * 0.2,
                vals,
                height=0.2,
                color=colour,
                alpha=0.4 if hatch else 0.9,
                hatch=hatch,
                label=metric.removesuffix("_MPa").replace("_", " "),
            )
        ax.axvline(0, color="k", lw=0.5)
        ax.set_xlabel("traction [MPa]")
        ax.set_title(state_label(tag), fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    axes[0].set_yticks(ypos, names, fontsize=8)
    axes[-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.suptitle(
        f"{case_label(case, folder)}: peel (+ opens the interface) and shear\n"
        "max: at the edges, singular and mesh-dependent; "
        f"band: mean over {band:g}-{2 * band:g} mm from the edges",
        fontsize=9,
    )
    fig.tight_layout()
    path = _save(fig, folder / "interfaces.png")
    plt.close(fig)
    return [path]


def structure_plot(
    curves: dict[str, tuple[Any, Any]], path: str | os.PathLike, separation: float | None = None
) -> Path:
    """Heating curves and cumulative structure functions of named curves on one figure.

    ``curves``: label -> (times [s] (n,), Zth [K/W] (n,)), and their structure functions
    computed here; ``separation`` [K/W] is marked when given.
    """
    from ..package.transient import sf_curve
    from ..physics.structure import structure_function

    plt = _pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    sfs = []
    for label, (t, z) in curves.items():
        a1.semilogx(t, z, label=label)
        sf = structure_function(t, z)
        cols = sf_curve(sf)
        _sf_axes(a2, None, cols, label)
        sfs.append(cols)
    _sf_limits(a2, sfs)
    a1.set_xlabel("time [s]")
    a1.set_ylabel("Zth [K/W]")
    a1.grid(alpha=0.3, which="both")
    a1.legend(fontsize=7)
    a2.legend(fontsize=7)
    if separation is not None:
        a2.axvline(separation, color="k", lw=0.8, ls=":")
    return _save(fig, Path(path))
