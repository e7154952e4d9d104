"""The baseline's board and package path by hand: where its theta_JA comes from.

Prints the numbers of docs/theta_ja.md:

1. The board alone, axisymmetric finite volumes (a disc of the board's area, the heat
   spread evenly over a disc of the package body's area on its top, h on both faces and
   the rim, the top under the package insulated): the JESD51-7/-9 2s2p stack with its
   copper layers drawn explicitly against homogenised blocks (the stack's parallel /
   series values, and the representative ``board_2s2p`` values).
2. The package's path to the board: the 75 um of k = 0.2 polymer (die attach plus
   dielectric) between the die and the balls' 0.265 mm contact disks, as a flux tube per
   ball (the same finite volumes), the balls (truncated spheres, closed form) and the
   constriction into the board under each ball (Yovanovich's flux-tube estimate).
3. The JESD51-2 coefficients of the board at its temperature rise.

Usage: python scripts/board_spreading.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fea.physics.convection import (  # noqa: E402
    horizontal_plate_length,
    natural_convection_h,
    radiation_h,
)
from fea.physics.effective import layered_conductivity  # noqa: E402

K_CU = 390.0
FR4 = (0.8, 0.3)  # in plane, through [W/(m K)]


def _solve(r_edges, dz, kr, kz, top_in, top_h, bottom_h, rim_h, fixed_top=None, fixed_bottom=None):
    """Finite volumes on an r-z grid; kr, kz shape (nz, nr). ``top_in``: heat [W] into
    each top cell; ``*_h``: h per cell [W/(m^2 K)] (0: insulated); ``fixed_*``: a cell
    mask held at 1 (top) or 0 (bottom) through half a cell. Returns T (nz, nr)."""
    nz, nr = kr.shape
    rc = 0.5 * (r_edges[1:] + r_edges[:-1])
    ar = np.pi * (r_edges[1:] ** 2 - r_edges[:-1] ** 2)
    idx = np.arange(nz * nr).reshape(nz, nr)
    rows, cols, vals = [], [], []

    def link(p, q, g):
        rows.extend([p, q, p, q])
        cols.extend([p, q, q, p])
        vals.extend([g, g, -g, -g])

    re = r_edges[1:-1]
    for j in range(nz):
        a = 2 * np.pi * re * dz[j]
        g = 1 / ((re - rc[:-1]) / (kr[j, :-1] * a) + (rc[1:] - re) / (kr[j, 1:] * a))
        for i in range(nr - 1):
            link(idx[j, i], idx[j, i + 1], g[i])
    for j in range(nz - 1):
        g = 1 / (dz[j] / 2 / (kz[j] * ar) + dz[j + 1] / 2 / (kz[j + 1] * ar))
        for i in range(nr):
            link(idx[j, i], idx[j + 1, i], g[i])
    diag = np.zeros(nz * nr)
    rhs = np.zeros(nz * nr)
    rhs[idx[0]] += top_in
    for j, h in ((0, top_h), (nz - 1, bottom_h)):
        cooled = h > 0
        g = np.zeros(nr)
        g[cooled] = 1 / (1 / (h[cooled] * ar[cooled]) + dz[j] / 2 / (kz[j][cooled] * ar[cooled]))
        diag[idx[j]] += g
    for j, mask, value in ((0, fixed_top, 1.0), (nz - 1, fixed_bottom, 0.0)):
        if mask is not None:
            g = np.where(mask, 2 * kz[j] * ar / dz[j], 0.0)
            diag[idx[j]] += g
            rhs[idx[j]] += g * value
    a_rim = 2 * np.pi * r_edges[-1] * dz
    diag[idx[:, -1]] += rim_h * a_rim
    K = sp.csr_matrix((vals, (rows, cols)), shape=(nz * nr,) * 2) + sp.diags(diag)
    return spl.spsolve(K.tocsc(), rhs).reshape(nz, nr)


def board_theta(layers, radius, a, h=10.0, coverage_top=None):
    """(mean, centre) rise per watt [K/W] of the board's top under the package: a disc of
    ``radius`` with ``layers`` top to bottom, each (kind, thickness, sub-layers) with kind
    ``fr4``, ``plane``, ``signal`` (10 % copper) or ``(kr, kz)``; ``coverage_top``: the
    top signal layer's copper coverage as a function of r."""
    n = 400
    outer = a + (radius - a) * np.linspace(0, 1, 3 * n // 4 + 1) ** 2  # graded outwards
    r_edges = np.unique(np.concatenate([np.linspace(0, a, n // 4 + 1), outer]))
    rc = 0.5 * (r_edges[1:] + r_edges[:-1])
    dz, kr, kz = [], [], []
    for j, (kind, t, sub) in enumerate(layers):
        for _ in range(sub):
            dz.append(t / sub)
            if kind == "fr4":
                k1, k2 = np.full(rc.shape, FR4[0]), np.full(rc.shape, FR4[1])
            elif kind == "plane":
                k1 = k2 = np.full(rc.shape, K_CU)
            elif kind == "signal":
                c = coverage_top(rc) if (j == 0 and coverage_top) else np.full(rc.shape, 0.10)
                k1, k2 = c * K_CU + (1 - c) * FR4[0], c * K_CU + (1 - c) * FR4[1]
            else:
                k1, k2 = np.full(rc.shape, kind[0]), np.full(rc.shape, kind[1])
            kr.append(k1)
            kz.append(k2)
    dz, kr, kz = np.array(dz), np.array(kr), np.array(kz)
    ar = np.pi * (r_edges[1:] ** 2 - r_edges[:-1] ** 2)
    under = rc < a
    q = np.where(under, ar / (np.pi * a * a), 0.0)
    T = _solve(r_edges, dz, kr, kz, q, np.where(under, 0.0, h), np.full(rc.shape, h), h)
    return float((T[0] * ar * under).sum() / (ar * under).sum()), float(T[0, 0])


def stack(d1, planes=True, t=1.6e-3):
    """The 2s2p stack: 70 um signal layers, ``d1`` of FR-4 to each 35 um plane, the core."""
    core = t - 2 * 70e-6 - 2 * 35e-6 - 2 * d1
    mid = [("plane", 35e-6, 2), ("fr4", core, 10), ("plane", 35e-6, 2)]
    if not planes:
        mid = [("fr4", core + 70e-6, 10)]
    return [("signal", 70e-6, 2), ("fr4", d1, 6), *mid, ("fr4", d1, 6), ("signal", 70e-6, 2)]


def homogenised(layers):
    """The stack's parallel (in plane) and series (through) conductivities."""
    t, kx, kz = [], [], []
    for kind, th, _ in layers:
        t.append(th)
        if kind == "fr4":
            kx.append(FR4[0])
            kz.append(FR4[1])
        elif kind == "plane":
            kx.append(K_CU)
            kz.append(K_CU)
        else:
            kx.append(0.1 * K_CU + 0.9 * FR4[0])
            kz.append(0.1 * K_CU + 0.9 * FR4[1])
    return tuple(layered_conductivity(t, kx, kz))


def flux_tube(t, k, a, b):
    """Resistance [K/W] of a layer (thickness t, conductivity k) from an isothermal top
    face of radius b to an isothermal disc of radius a on its bottom face (the rest
    insulated)."""
    n, nz = 300, 60
    r_edges = np.linspace(0, b, n + 1)
    rc = 0.5 * (r_edges[1:] + r_edges[:-1])
    ar = np.pi * (r_edges[1:] ** 2 - r_edges[:-1] ** 2)
    kr = np.full((nz, n), k)
    dz = np.full(nz, t / nz)
    zero = np.zeros(n)
    T = _solve(r_edges, dz, kr, kr, zero, zero, zero, 0.0, np.ones(n, bool), rc < a)
    q = (2 * k * ar / dz[0] * (1.0 - T[0])).sum()
    return 1 / q


def main() -> None:
    a_pkg = 10.47e-3 / np.sqrt(np.pi)  # the body's area as a disc
    radius = np.sqrt(76.2e-3 * 114.3e-3 / np.pi)  # JESD51-7, packages < 27 mm
    radius9 = np.sqrt(101.5e-3 * 114.5e-3 / np.pi)  # JESD51-9 (area arrays)
    fan = lambda r: np.where(  # noqa: E731
        r < a_pkg, 0.30, np.where(r < a_pkg + 25e-3, 0.40 * a_pkg / np.maximum(r, a_pkg), 0.0)
    )
    print("1. The board alone: rise per watt of its top under the package, mean / centre [K/W]")
    rows = [
        ("2s2p, 0.25 mm to the planes, 10 % traces", stack(0.25e-3), None),
        ("2s2p, 0.50 mm to the planes, 10 % traces", stack(0.50e-3), None),
        ("2s2p, 0.25 mm, JESD51-9 fan-out traces", stack(0.25e-3), fan),
        ("2s2p, 0.50 mm, JESD51-9 fan-out traces", stack(0.50e-3), fan),
        ("2s0p (no planes), 10 % traces", stack(0.25e-3, planes=False), None),
    ]
    for name, layers, cov in rows:
        m, c = board_theta(layers, radius, a_pkg, coverage_top=cov)
        kx, kz = homogenised(layers)
        hm, hc = board_theta([((kx, kz), 1.6e-3, 16)], radius, a_pkg)
        print(
            f"  {name}: explicit {m:.2f} / {c:.2f}; homogenised ({kx:.2f}, {kz:.3f}) "
            f"{hm:.2f} / {hc:.2f}"
        )
    for k in ((30.0, 0.8), (21.23, 0.345), (21.23, 0.8), (30.0, 0.345)):
        m, c = board_theta([(k, 1.6e-3, 16)], radius, a_pkg)
        m9, c9 = board_theta([(k, 1.6e-3, 16)], radius9, a_pkg)
        print(f"  block {k}: {m:.2f} / {c:.2f}; on the JESD51-9 board {m9:.2f} / {c9:.2f}")
    m, c = board_theta([((1e4, 1e4), 1.6e-3, 16)], radius, a_pkg)
    print(f"  isothermal board: {m:.2f} (1 / (h A) of its faces and rim)")

    print("2. The package's path to the board")
    a = np.sqrt(0.2e-3**2 - 0.15e-3**2)  # the contact disc of a 0.4 mm ball cut to 0.3 mm
    b = 0.8e-3 / np.sqrt(np.pi)  # the pitch cell as a disc
    r75 = flux_tube(75e-6, 0.2, a, b)
    print(
        f"  75 um of k = 0.2 to a {2 * a * 1e3:.3f} mm disc, pitch 0.8 mm: {r75:.0f} K/W a "
        f"ball; 144 balls {r75 / 144:.1f}, the 64 under the die {r75 / 64:.1f} K/W "
        f"(one-dimensional over the whole cell {75e-6 / (0.2 * np.pi * b * b) / 144:.1f})"
    )
    r_ball = 2 / 0.2e-3 * np.arctanh(0.15 / 0.2) / (58.0 * np.pi)
    print(f"  SAC305 ball (truncated sphere): {r_ball:.1f} K/W each, 144: {r_ball / 144:.2f}")
    eps = a / b
    for kx, kz in ((30.0, 0.8), (21.23, 0.345)):
        rc = (1 - eps) ** 1.5 / (4 * np.sqrt(kx * kz) * a)
        print(f"  into the board ({kx}, {kz}) under each ball: {rc:.0f} K/W, 144: {rc / 144:.2f}")

    print("3. JESD51-2 coefficients of the board [W/(m^2 K)] (A/P length, emissivity 0.9)")
    L = horizontal_plate_length(76.2e-3, 114.3e-3)
    for dT in (6.0, 8.0, 15.0, 24.0):
        up = float(natural_convection_h(25 + dT, 25.0, L, "up"))
        down = float(natural_convection_h(25 + dT, 25.0, L, "down"))
        edge = float(natural_convection_h(25 + dT, 25.0, 1.6e-3, "vertical"))
        rad = float(radiation_h(25 + dT, 25.0, 0.9))
        print(
            f"  rise {dT:4.1f} K: up {up:.2f}, down {down:.2f}, edge {edge:.1f}, radiation "
            f"{rad:.2f}; faces with radiation {up + rad:.2f} / {down + rad:.2f}, mean "
            f"{(up + down) / 2 + rad:.2f}"
        )


if __name__ == "__main__":
    main()
