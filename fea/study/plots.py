"""Plots of studies and cases (matplotlib, Agg, PNG).

* :func:`study_plots`: each output vs each swept parameter, and warpage vs temperature
  when the cases carry a reflow profile; written to ``<study out>/plots/``.
* :func:`case_field_plots`: the warpage contour of the top surface per mechanical state
  and the temperature map of the die's active face, from a case's ``result.h5``.
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

__all__ = ["case_field_plots", "column_output", "study_plots"]

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
