"""The README's heating-curve figure (docs/zth_baseline.png) from a case folder of
studies/thermal_transient.toml (its zth.csv, structure_function.csv and result.h5).

Usage: python scripts/zth_figure.py results/thermal_transient/case0000 [docs/zth_baseline.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(folder: str, out: str = str(ROOT / "docs" / "zth_baseline.png")) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from fea.io import read_curve_csv, read_results

    case = Path(folder)
    z = read_curve_csv(case / "zth.csv")
    sf = read_curve_csv(case / "structure_function.csv")
    m = read_results(case / "result.h5").metrics
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8.4, 3.0))
    t = z["time_s"][1:]
    a1.semilogx(t, z["zth_K_per_W"][1:], lw=2, label="junction")
    for k, label in (("zth_case_top_K_per_W", "case top"), ("zth_board_under_K_per_W", "board")):
        if k in z:
            a1.semilogx(t, z[k][1:], "--", lw=1, label=label)
    a1.set_xlabel("time after a 1.5 W step [s]")
    a1.set_ylabel("Zth [K/W]")
    a1.grid(alpha=0.3, which="both")
    a1.legend(fontsize=7, loc="upper left")
    r, c = sf["R_K_per_W"], sf["C_J_per_K"]
    inner = r < 0.995 * r[-1]
    a2.step(r[inner], c[inner], where="post", lw=1.5)
    a2.set_yscale("log")
    a2.set_xlabel("cumulative thermal resistance [K/W]")
    a2.set_ylabel("cumulative capacitance [J/K]")
    a2.grid(alpha=0.3, which="both")
    fig.suptitle(
        "Baseline package on its 2s2p board, still air: heating curve and structure function"
        f" (theta_JA {m['theta_ja_K_per_W']:.1f} K/W,"
        f" dual-interface theta_JC {m['theta_jc_K_per_W']:.2f} K/W)",
        fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    print(f"wrote {out} ({Path(out).stat().st_size // 1024} KB); R_total {np.max(r):.2f} K/W")


if __name__ == "__main__":
    main(*sys.argv[1:])
