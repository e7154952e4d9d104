"""Effective conductivity of layered and via-filled boards (rules of mixtures).

A printed circuit board is a stack of laminate and copper layers. Homogenised as one
orthotropic solid, its in-plane conductivity is the thickness-weighted mean of the
layers' in-plane conductivities (layers side by side for heat flowing along them: the
parallel rule) and its through-plane conductivity the harmonic mean of their
through-plane conductivities (layers in series):

.. math:: k_{xy} = \\frac{\\sum_i t_i k_{xy,i}}{\\sum_i t_i},\\qquad
          k_z = \\frac{\\sum_i t_i}{\\sum_i t_i / k_{z,i}}.

A patterned copper layer covering a fraction :math:`c` of the area, the rest filled
with laminate, is itself homogenised by the parallel rule in both directions (copper and
laminate columns side by side through the layer; traces taken along the heat flow in
the plane, the upper bound, as for fan-out traces running away from a package).
Plated through-holes add copper columns in parallel through the thickness.

References
----------
- C. J. M. Lasance, The thermal conductivity of unusual materials: printed circuit
  boards, Electronics Cooling 1(3) (1995).
- K. Azar, J. E. Graebner, Experimental determination of thermal conductivity of
  printed wiring boards, Proc. 12th SEMI-THERM (1996) 169-182 (FR-4 laminate about
  0.3 W/(m K) through the plane, 0.8-1 along it).
- JEDEC JESD51-7 (2s2p test board), JESD51-5 (thermal vias under a package).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError

__all__ = [
    "Orthotropic",
    "covered_layer",
    "layered_conductivity",
    "via_fraction",
    "with_vias",
]


class Orthotropic(NamedTuple):
    """In-plane and through-plane conductivity [W/(m K)] of a homogenised layer."""

    in_plane: float
    through: float


def _fraction(key: str, v: float) -> float:
    if not (isinstance(v, int | float) and np.isfinite(v) and 0.0 <= v <= 1.0):
        raise InputError(key, v, "a fraction in [0, 1]")
    return float(v)


def _positive(key: str, v: float) -> float:
    if not (isinstance(v, int | float) and np.isfinite(v) and v > 0):
        raise InputError(key, v, "a positive number")
    return float(v)


def covered_layer(coverage: float, k_metal: float, k_fill: float) -> Orthotropic:
    """A layer whose area is ``coverage`` metal [0, 1] and the rest fill: the parallel
    rule :math:`c k_m + (1 - c) k_f` in both directions."""
    c = _fraction("coverage", coverage)
    k = c * _positive("k_metal", k_metal) + (1 - c) * _positive("k_fill", k_fill)
    return Orthotropic(k, k)


def layered_conductivity(
    thickness_m: ArrayLike, k_in_plane: ArrayLike, k_through: ArrayLike
) -> Orthotropic:
    """Effective conductivity of a stack of layers (thicknesses [m], conductivities
    [W/(m K)], each shape (n,)): parallel rule in-plane, series rule through-plane."""
    t = np.asarray(thickness_m, dtype=float)
    kx = np.asarray(k_in_plane, dtype=float)
    kz = np.asarray(k_through, dtype=float)
    if t.ndim != 1 or not len(t) or kx.shape != t.shape or kz.shape != t.shape:
        raise InputError("thickness_m", t.shape, "equal-length 1-D lists of layers")
    for key, a in (("thickness_m", t), ("k_in_plane", kx), ("k_through", kz)):
        if not np.all(np.isfinite(a)) or np.any(a <= 0):
            raise InputError(key, a.tolist(), "positive values")
    return Orthotropic(float((t * kx).sum() / t.sum()), float(t.sum() / (t / kz).sum()))


def via_fraction(pitch_m: float, drill_m: float, plating_m: float, filled: bool = False) -> float:
    """Copper area fraction of plated through-holes on a square grid [-]: the plated
    annulus (or the whole hole when ``filled`` with copper) over ``pitch^2``."""
    p = _positive("pitch_m", pitch_m)
    d = _positive("drill_m", drill_m)
    t = _positive("plating_m", plating_m)
    if d >= p or 2 * t > d:
        raise InputError("drill_m", d, "a drill smaller than the pitch and at least 2 x plating")
    inner = 0.0 if filled else (d - 2 * t) ** 2
    return float(np.pi / 4 * (d**2 - inner) / p**2)


def with_vias(base: Orthotropic, fraction: float, k_metal: float) -> Orthotropic:
    """A board region with a via area fraction: copper columns in parallel through the
    thickness, :math:`k_z = (1 - f) k_z + f k_m`; in-plane unchanged (the columns cross
    the in-plane flow, a small and here neglected gain)."""
    f = _fraction("fraction", fraction)
    return Orthotropic(base.in_plane, (1 - f) * base.through + f * _positive("k_metal", k_metal))
