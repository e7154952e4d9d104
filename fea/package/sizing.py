"""Mesh size fields from the zones the geometry builder reports.

The builders of :mod:`fea.package.geometry` record where they put features that need
finer elements (:class:`~fea.package.geometry.pieces.Refinement`: the package body,
each side wall that has openings, the terminal band); the film volumes come from the
model's regions. Nothing here recomputes positions from the spec.
"""

from __future__ import annotations

from typing import Any

from .geometry.pieces import MODEL_SCALE, ModelInfo

__all__ = ["FILM_REGIONS", "size_fields"]

#: Low-conductivity films whose in-plane size is ``mesh.film_size`` (and the copper
#: pads and vias inside the dielectric).
FILM_REGIONS = ("dielectric", "die_attach", "vias")


def _box_field(
    model: Any,
    size_in: float,
    size_out: float,
    lo: tuple[float, ...],
    hi: tuple[float, ...],
    thickness: float,
) -> int:
    fld = model.mesh.field
    f = fld.add("Box")
    fld.setNumber(f, "VIn", size_in)
    fld.setNumber(f, "VOut", size_out)
    for k, v in zip(("XMin", "YMin", "ZMin"), lo, strict=True):
        fld.setNumber(f, k, v)
    for k, v in zip(("XMax", "YMax", "ZMax"), hi, strict=True):
        fld.setNumber(f, k, v)
    fld.setNumber(f, "Thickness", thickness)
    return f


def size_fields(model: Any, info: ModelInfo, ms: Any, film: float) -> list[int]:
    """Add the size fields of the builder's zones to ``model``; returns their tags.

    Parameters
    ----------
    info
        What :func:`fea.package.geometry.build` reported.
    ms
        The case's :class:`~fea.package.spec.MeshSpec` (sizes in m).
    film
        In-plane size [m] in the films (:data:`FILM_REGIONS`); no field when it is not
        below ``ms.size``.

    Sizes: the package body ``ms.size`` (grading to ``ms.board_size`` outside), a band of
    two opening sizes on both sides of a wall with openings at ``ms.opening_size``
    (default half the smallest opening dimension), the terminal band at
    ``ms.terminal_size`` (default a quarter of the terminal diameter). Model units are
    mm (:data:`~fea.package.geometry.pieces.MODEL_SCALE`).
    """
    k = MODEL_SCALE
    big = max(ms.board_size, ms.size) * k
    fields: list[int] = []
    openings = [z for z in info.refine if z.kind == "opening"]
    h_open = 0.0
    if openings:
        h_open = min(ms.opening_size or min(z.length for z in openings) / 2, ms.size)
    for z in info.refine:
        lo, hi = list(z.lo), list(z.hi)
        if z.kind == "package":
            pad = ms.size
            lo = [v - pad for v in lo]
            hi = [v + pad for v in hi]
            size, thickness = ms.size, 4 * ms.size
        elif z.kind == "opening":
            # widen the wall's slab across its thickness (its thinnest direction)
            axis = min(range(3), key=lambda a: hi[a] - lo[a])
            lo[axis] -= 2 * h_open
            hi[axis] += 2 * h_open
            size, thickness = h_open, 2 * h_open
        elif z.kind == "terminals":
            size = min(ms.terminal_size or z.length / 4, ms.size)
            thickness = 2 * size
        else:
            continue
        fields.append(
            _box_field(
                model,
                size * k,
                big,
                tuple(v * k for v in lo),
                tuple(v * k for v in hi),
                thickness * k,
            )
        )
    volumes = [v for r in FILM_REGIONS for v in info.regions.get(r, [])]
    if volumes and film < ms.size:
        fld = model.mesh.field
        f = fld.add("Constant")
        fld.setNumber(f, "VIn", film * k)
        fld.setNumber(f, "VOut", big)
        fld.setNumbers(f, "VolumesList", volumes)
        fld.setNumber(f, "IncludeBoundary", 1)
        fields.append(f)
    return fields
