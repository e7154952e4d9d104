"""Symmetry models: which planes cut a case, and whether the case is symmetric about them.

A unit (with or without its board) and a panel are centred on the origin; ``half`` keeps
x >= 0 (plane x = 0, boundary ``symmetry_x``), ``quarter`` x >= 0 and y >= 0 (also plane
y = 0, ``symmetry_y``). The mechanics condition on a symmetry plane is zero normal
displacement, ``fixed={"symmetry_x": {"x": 0.0}, "symmetry_y": {"y": 0.0}}`` (see
:func:`symmetry_fixed`); the thermal one is adiabatic (nothing to add). ``eighth`` (the
plane x = y as well) needs u . n = 0 on an inclined plane, which ``fixed=`` (boundary ->
component -> value, components along the axes) cannot express: it is refused.
"""

from __future__ import annotations

import math

from ...errors import InputError

__all__ = ["SYMMETRY", "check_symmetry", "symmetry_axes", "symmetry_fixed", "symmetry_share"]

#: Allowed values of the symmetry option (spec key ``mesh.symmetry``) and the planes each cuts.
SYMMETRY: dict[str, tuple[str, ...]] = {"none": (), "half": ("x",), "quarter": ("x", "y")}
_KEY = "mesh.symmetry"
_ALLOWED = (
    "'none', 'half' (plane x = 0) or 'quarter' (planes x = 0 and y = 0); 'eighth' needs "
    "u . n = 0 on the plane x = y, which the mechanics' fixed= (components along x, y, z) "
    "cannot express"
)


def symmetry_axes(symmetry: str) -> tuple[str, ...]:
    """The axes whose planes through the origin cut the model: ``()``, ``("x",)`` or
    ``("x", "y")``; an :class:`~fea.errors.InputError` for anything else."""
    if symmetry not in SYMMETRY:
        raise InputError(_KEY, symmetry, _ALLOWED)
    return SYMMETRY[symmetry]


def symmetry_share(symmetry: str) -> float:
    """The share of the full model a ``symmetry`` model holds (1, 1/2, 1/4): scale
    whole-model loads with it (a region's power in W, a total force)."""
    return 0.5 ** len(symmetry_axes(symmetry))


def symmetry_fixed(symmetry: str) -> dict[str, dict[str, float]]:
    """The mechanics condition of the symmetry planes: boundary -> {component: 0.0}, for
    :func:`fea.solve_thermoelastic` / :func:`fea.solve_history` ``fixed=``."""
    return {f"symmetry_{a}": {a: 0.0} for a in symmetry_axes(symmetry)}


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def check_symmetry(case, symmetry: str) -> tuple[str, ...]:
    """The axes of ``symmetry`` after checking that ``case`` is symmetric about each plane.

    Raises
    ------
    fea.errors.InputError
        For an unknown ``symmetry`` (key ``mesh.symmetry``), or naming the key that breaks
        the symmetry: ``geometry.openings.<side>`` (the openings of opposite walls differ),
        ``loads.power_map`` (a power map not mirrored about the plane).
    """
    axes = symmetry_axes(symmetry)
    g = case.geometry
    for a in axes:
        lo, hi = ("xmin", "xmax") if a == "x" else ("ymin", "ymax")
        if g.openings[lo] != g.openings[hi]:
            raise InputError(
                f"geometry.openings.{hi}",
                g.openings[hi],
                f"the same openings as geometry.openings.{lo} ({g.openings[lo]}) for "
                f"{_KEY} = {symmetry!r} (the plane {a} = 0 must be a plane of symmetry), "
                f"or {_KEY} = 'none'",
            )
    loads = getattr(case, "loads", None)
    pm = getattr(loads, "power_map", None)
    if pm is not None and axes:
        rects = pm.on_die(g.die[:2])
        for a in axes:
            if not _mirrored(rects, a):
                raise InputError(
                    "loads.power_map",
                    f"{len(rects)} rectangles",
                    f"a power map mirrored about the plane {a} = 0 for {_KEY} = "
                    f"{symmetry!r}, or {_KEY} = 'none'",
                )
    return axes


def _mirrored(rects, axis: str) -> bool:
    """True when the rectangles ``(x0, x1, y0, y1, W)`` map onto themselves mirrored."""
    def image(r):
        x0, x1, y0, y1, w = r
        return (-x1, -x0, y0, y1, w) if axis == "x" else (x0, x1, -y1, -y0, w)

    left = list(rects)
    for r in rects:
        m = image(r)
        hit = next((i for i, q in enumerate(left) if all(_close(u, v) for u, v in zip(q, m,
                                                                                     strict=True))),
                   None)
        if hit is None:
            return False
        left.pop(hit)
    return True
