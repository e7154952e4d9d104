"""Eigenstrain sources: thermal expansion and cure shrinkage (isotropic, scalar).

.. math:: \\varepsilon_0 = \\int_{T_0}^{T}\\alpha\\,d\\tau - s/3

with ``T0`` the stress-free temperature of each region, ``alpha`` the material's CTE
(constant or a table; :meth:`fea.physics.materials.Material.thermal_strain` is exact
for instantaneous and secant tables) and ``s`` the volumetric cure shrinkage of the
regions that cure. One function evaluates it wherever a temperature is given, so the
load and the stress recovery use the same eigenstrain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..validate import MAX_TEMPERATURE_C

__all__ = ["extra_eigenstrain", "reference_temperatures", "shrinks", "thermal_eigenstrain"]


def reference_temperatures(
    reference: float | Mapping[str, float], regions: Sequence[str]
) -> dict[str, float]:
    """Stress-free temperature [degC] of every region from one float or a mapping region ->
    degC with ``"*"`` for the rest. Unknown region names, missing regions, non-finite
    values or values below absolute zero are :class:`~fea.errors.InputError`."""
    regions = list(regions)
    if isinstance(reference, Mapping):
        ref = dict(reference)
    else:
        ref = {"*": reference}
    out: dict[str, float] = {}
    for name, v in ref.items():
        key = "reference" if not isinstance(reference, Mapping) else f"reference.{name}"
        if name != "*" and name not in regions:
            raise InputError(key, v, f"a region of the mesh ({', '.join(regions)}) or '*'")
        if isinstance(v, bool | np.complexfloating) or not isinstance(
            v, int | float | np.integer | np.floating
        ):
            raise InputError(key, v, "a temperature in degC (a real number)")
        if not (np.isfinite(v) and -273.15 <= v <= MAX_TEMPERATURE_C):
            raise InputError(
                key, v, f"a finite temperature in [-273.15, {MAX_TEMPERATURE_C:g}] degC"
            )
    for r in regions:
        v = ref.get(r, ref.get("*"))
        if v is None:
            raise InputError(f"reference.{r}", None, "a stress-free temperature or '*'")
        out[r] = float(v)
    return out


def shrinks(region: str, shrinkage: bool | Sequence[str]) -> bool:
    """Whether ``region`` takes its material's cure shrinkage (True: every region)."""
    return shrinkage is True or (not isinstance(shrinkage, bool) and region in shrinkage)


def thermal_eigenstrain(
    mesh: Any,
    materials: Mapping[str, Any],
    reference: Mapping[str, float],
    T_at: NDArray[np.float64],
    shrinkage: bool | Sequence[str] = False,
    *,
    cure: Mapping[str, float] | None = None,
) -> NDArray[np.float64]:
    """Isotropic eigenstrain at given points of every element.

    Parameters
    ----------
    materials, reference
        Region -> Material and region -> stress-free temperature [degC], every region.
    T_at
        Temperature [degC] at k points of every element, shape (n_el, k).
    shrinkage
        True (every region with a shrinkage) or the regions that cure.
    cure
        Region -> degree of cure in [0, 1] (the fraction of the material's shrinkage
        applied, as a process history develops it); replaces ``shrinkage`` when given.

    Returns
    -------
    The eigenstrain, shape (n_el, k).
    """
    eps0 = np.zeros_like(T_at)
    for region, e in mesh.regions.items():
        m = materials[region]
        eps0[e] = m.thermal_strain(T_at[e], reference[region])
        if cure is not None:
            c = cure.get(region, 0.0)
            if m.shrinkage and c:
                eps0[e] -= c * m.shrinkage / 3.0
        elif m.shrinkage and shrinks(region, shrinkage):
            eps0[e] -= m.shrinkage / 3.0
    return eps0


#: Largest magnitude of an added eigenstrain: 10 % is far beyond any swelling or
#: transformation strain small-strain elasticity describes (hygroscopic swelling is of
#: order 1e-3).
MAX_EXTRA_EIGENSTRAIN = 0.1


def extra_eigenstrain(value: Any, n_el: int, n_q: int, key: str = "eigenstrain") -> NDArray:
    """An added isotropic eigenstrain (e.g. hygroscopic swelling ``CME * C`` from
    :func:`fea.physics.moisture.hygroscopic_strain`) checked and broadcast to (n_el, n_q).

    ``value``: one number [-], per element (n_el,), or per quadrature point (n_el, n_q)
    at the points of :func:`fea.fe.forms.at_quadrature`. Non-finite values, another shape
    or a magnitude above :data:`MAX_EXTRA_EIGENSTRAIN` are :class:`~fea.errors.InputError`.
    """
    if isinstance(value, bool):
        raise InputError(key, value, "a strain [-]: a number, (n_el,) or (n_el, n_q) array")
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            key, type(value).__name__, "a strain [-]: a number, (n_el,) or (n_el, n_q) array"
        ) from None
    if a.ndim == 0:
        a = np.full((n_el, n_q), float(a))
    elif a.shape == (n_el,):
        a = np.repeat(a[:, None], n_q, axis=1)
    elif a.shape != (n_el, n_q):
        raise InputError(key, a.shape, f"a number, shape ({n_el},) or ({n_el}, {n_q})")
    if not np.all(np.isfinite(a)):
        raise InputError(key, "non-finite values", "finite strains")
    big = float(np.abs(a).max()) if a.size else 0.0
    if big > MAX_EXTRA_EIGENSTRAIN:
        raise InputError(key, big, f"strains of magnitude <= {MAX_EXTRA_EIGENSTRAIN}")
    return a
