"""Plots of studies and cases (matplotlib, Agg, PNG).

* :func:`study_plots`: each output vs each swept parameter, and warpage vs temperature
  when the cases carry a reflow profile; written to ``<study out>/plots/``.
* :func:`case_field_plots`: the warpage contour of the top surface per mechanical state
  and the temperature map of the die's active face, from a case's ``result.h5``.
* :func:`case_curve_plots`: the heating curve (Zth on a log time axis), the cumulative
  and differential structure functions and the dual-interface theta_JC of a case.
* :func:`zth_plots`: the heating curves and structure functions of every case of a
  study on one set of axes (``plots/zth.png``, ``plots/structure_function.png``).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..package.names import Column
from ..package.spec import OUTPUTS

__all__ = [
    "case_curve_plots",
    "case_field_plots",
    "column_output",
    "structure_plot",
    "study_plots",
    "zth_plots",
]

_REFLOW = re.compile(r"^warpage_signed_um@r(\d+)_(-?[\d.]+)C$")


def column_output(column: str) -> str | None:
    """The output name (as in ``[outputs] metrics``) a table column belongs to, or None.

    ``warpage_um@260C`` -> ``warpage_um``; ``von_mises_max_MPa@25C:shell`` ->
    ``von_mises_max``; ``Tj_max`` -> ``Tj_max``.
    """
    name = Column.parse(column).output
    return name if name in OUTPUTS else None


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    from ..io.atomic import write_atomic

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    write_atomic(path, buf.getvalue())
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def study_plots(spec: Any, rows: list[dict[str, Any]], out: str | os.PathLike) -> list[Path]:
    """Draw the study plots from the table rows; returns the files written."""
    ok = [r for r in rows if r.get("status") == "ok"]
    if not ok:
        return []
    plt = _pyplot()
    folder = Path(out) / "plots"
    written: list[Path] = []
    params = [k for k in ok[0] if k.startswith("param:")]
    columns: dict[str, list[str]] = {}
    for r in ok:
        for k in r:
            name = column_output(k)
            if name in spec.outputs and k not in columns.setdefault(name, []):
                columns[name].append(k)
    for p in params:
        xs_raw = [r.get(p) for r in ok]
        xs = [_number(x) for x in xs_raw]
        numeric = all(x is not None for x in xs)
        labels = sorted({str(x) for x in xs_raw}, key=str)
        pos = xs if numeric else [labels.index(str(x)) for x in xs_raw]
        alone = len(params) == 1
        for name, cols in columns.items():
            if name == "von_mises_max":
                cols = [c for c in cols if c.endswith((":shell", ":die", ":encapsulant"))] or cols
            fig, ax = plt.subplots(figsize=(6, 4))
            for c in cols[:12]:
                ys = [_number(r.get(c)) for r in ok]
                pts = sorted((x, y) for x, y in zip(pos, ys, strict=True) if y is not None)
                if not pts:
                    continue
                ax.plot(*zip(*pts, strict=True), "o-" if alone else "o", label=c)
            ax.set_xlabel(p.removeprefix("param:"))
            ax.set_ylabel(name)
            if not numeric:
                ax.set_xticks(range(len(labels)), labels, rotation=20, fontsize=7)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
            ax.set_title(f"{spec.name}: {name} vs {p.removeprefix('param:')}")
            written.append(_save(fig, folder / f"{_slug(name)}_vs_{_slug(p[6:])}.png"))
            plt.close(fig)
    # warpage along the reflow profile
    reflow = sorted(
        (int(m.group(1)), float(m.group(2)), k) for k in ok[0] if (m := _REFLOW.match(k))
    )
    if reflow:
        fig, ax = plt.subplots(figsize=(6, 4))
        for r in ok[:12]:
            T = [t for _, t, _ in reflow]
            w = [_number(r.get(k)) for _, _, k in reflow]
            ax.plot(T, w, "o-", label=r["case"])
            for i in range(len(T) - 1):
                ax.annotate(
                    "",
                    xy=(T[i + 1], w[i + 1]),
                    xytext=(T[i], w[i]),
                    arrowprops=dict(arrowstyle="->", alpha=0.4),
                )
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xlabel("temperature [°C]")
        ax.set_ylabel("signed warpage [µm] (+: centre above corners)")
        ax.set_title(f"{spec.name}: warpage along the reflow profile")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        written.append(_save(fig, folder / "warpage_vs_temperature.png"))
        plt.close(fig)
    written += zth_plots(spec, ok, out)
    return written


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
    r, c, k = sf["R_K_per_W"], sf["C_J_per_K"], sf["K_J_per_K2"]
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
        ax_k.set_ylabel("differential structure function K [J/K²]")
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


def case_curve_plots(case: Any, folder: str | os.PathLike) -> list[Path]:
    """Heating curve, structure functions and dual-interface plot of one case (from the
    curve CSV files its analysis wrote)."""
    folder = Path(folder)
    curves = _curves_of(folder)
    plt = _pyplot()
    written: list[Path] = []
    title = f"{case.name} {folder.name}".strip()
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
    """theta_JC of a case from its results file (None if it cannot be read)."""
    from ..io import read_results

    try:
        return _number(read_results(folder / "result.h5").metrics.get("theta_jc"))
    except Exception:  # a plot never fails a case
        return None


def zth_plots(spec: Any, rows: list[dict[str, Any]], out: str | os.PathLike) -> list[Path]:
    """The heating curves and structure functions of the study's cases, overlaid."""
    found = []
    for r in rows[:12]:
        curves = _curves_of(Path(out) / str(r["case"]))
        if "zth" in curves:
            found.append((str(r["case"]), curves))
    if not found:
        return []
    plt = _pyplot()
    folder = Path(out) / "plots"
    written = []
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for cid, curves in found:
        _zth_axes(ax, curves, cid, probes=len(found) == 1)
    ax.legend(fontsize=7)
    ax.set_title(f"{spec.name}: heating curves")
    written.append(_save(fig, folder / "zth.png"))
    plt.close(fig)
    sfs = [(cid, c["structure_function"]) for cid, c in found if "structure_function" in c]
    if sfs:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
        for cid, sf in sfs:
            _sf_axes(a1, a2, sf, cid)
        _sf_limits(a1, [sf for _, sf in sfs])
        a1.legend(fontsize=7)
        fig.suptitle(f"{spec.name}: structure functions")
        written.append(_save(fig, folder / "structure_function.png"))
        plt.close(fig)
    return written


def case_field_plots(case: Any, folder: str | os.PathLike) -> list[Path]:
    """Warpage contour (top surface, each state) and die-face temperature map of a case."""
    from ..io import read_results

    folder = Path(folder)
    r = read_results(folder / "result.h5")
    plt = _pyplot()
    written: list[Path] = []
    surface = "bottom" if case.kind == "panel" else "top"
    m = r.mesh
    if r.mechanical is not None and surface in m.boundaries:
        f = m.boundaries[surface][:, :3]
        nodes = np.unique(f)
        remap = np.full(len(m.nodes), -1)
        remap[nodes] = np.arange(len(nodes))
        x, y = m.nodes[nodes, 0] * 1e3, m.nodes[nodes, 1] * 1e3
        labels = r.mechanical.get("labels")
        states = list(labels) if labels is not None else [""]
        for i, lab in enumerate(states):
            u = r.mechanical["displacement"]
            uz = (u[i] if labels is not None else u)[nodes, 2]
            A = np.column_stack([np.ones_like(x), x, y])
            w = (uz - A @ np.linalg.lstsq(A, uz, rcond=None)[0]) * 1e6
            fig, ax = plt.subplots(figsize=(5.5, 4.5))
            cs = ax.tricontourf(x, y, remap[f], w, levels=20, cmap="coolwarm")
            fig.colorbar(cs, label="warpage [µm] (best-fit plane removed)")
            ax.set_aspect("equal")
            ax.set_xlabel("x [mm]")
            ax.set_ylabel("y [mm]")
            ax.set_title(f"{case.name} {r.attrs.get('case', '')}: {surface} surface {lab}".strip())
            written.append(_save(fig, folder / f"warpage_{_slug(surface)}_{_slug(lab)}.png"))
            plt.close(fig)
    tm = r.thermal_mesh or m
    faces = [n for n in ("die|die_attach", "die|dielectric") if n in tm.boundaries]
    if r.thermal is not None and faces:
        T = r.thermal["temperature"]
        T = T[-1] if T.ndim == 2 else T
        f = tm.boundaries[faces[0]][:, :3]
        nodes = np.unique(f)
        remap = np.full(len(tm.nodes), -1)
        remap[nodes] = np.arange(len(nodes))
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
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
        tmax = float(T[nodes].max())
        ax.set_title(f"{case.name}: die active face ({faces[0]}), max {tmax:.1f} °C")
        written.append(_save(fig, folder / "die_temperature.png"))
        plt.close(fig)
    return written


def structure_plot(
    curves: dict[str, tuple[Any, Any]], path: str | os.PathLike, separation: float | None = None
) -> Path:
    """Heating curves and cumulative structure functions of named curves on one figure.

    ``curves``: label -> (times [s] (n,), Zth [K/W] (n,)), and their structure functions
    computed here; ``separation`` [K/W] is marked when given.
    """
    from ..physics.structure import structure_function

    plt = _pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    sfs = []
    for label, (t, z) in curves.items():
        a1.semilogx(t, z, label=label)
        sf = structure_function(t, z)
        cols = {"R_K_per_W": sf.R_cum, "C_J_per_K": sf.C_cum, "K_J_per_K2": sf.K_diff}
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
