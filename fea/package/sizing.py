"""Mesh size fields from the zones the geometry builder reports.

The builders of :mod:`fea.package.geometry` record where they put features that need
finer elements (:class:`~fea.package.geometry.pieces.Refinement`: the package body,
each side wall that has openings, the terminal band); the film volumes come from the
model's regions. Nothing here recomputes positions from the spec.

:func:`mesh_warnings` says when a case's answer is likely mesh-dependent: films coarser
than the default rule (Tj comes out low, the unsafe side) or elements of poor shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .geometry.pieces import MODEL_SCALE, ModelInfo

__all__ = [
    "FILM_REGIONS",
    "FILM_RULE_FACTOR",
    "MeshDependenceWarning",
    "P1_BASELINE_WARPAGE",
    "QUALITY_WARN",
    "film_rule",
    "mesh_warnings",
    "size_fields",
]

#: The default in-plane film size of a unit is this many times its thicker film
#: (dielectric or die attach), at most ``mesh.size`` (:func:`film_rule`).
FILM_RULE_FACTOR = 3.0
#: Smallest element shape quality a case accepts without a warning: the mean ratio
#: ``12 (3V)^(2/3) / sum(l^2)`` of :func:`fea.fe.mesh.shape_quality`, gmsh's ``eta``
#: (1 = regular tetrahedron, 0 = flat). Thin layers make flat elements on purpose: the
#: shipped studies' meshes have minima of 0.017-0.042; below 0.01 an element is a sliver
#: whose stiffness and conductance are unreliable.
QUALITY_WARN = 0.01


class MeshDependenceWarning(UserWarning):
    """The case's answer is likely mesh-dependent (:func:`mesh_warnings`)."""


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


def film_rule(case: Any) -> float:
    """In-plane film size [m] of the default rule for ``case``: :data:`FILM_RULE_FACTOR`
    times the thicker of the dielectric and die attach, at most ``mesh.size`` (a case
    without films: ``mesh.size``)."""
    g, ms = case.geometry, case.mesh
    t = max(g.dielectric_thickness, g.die_attach_thickness)
    return min(FILM_RULE_FACTOR * t, ms.size) if t > 0 else ms.size


#: The baseline unit's signed warpage at P1 against P2 (elastic copper shell, mesh 0.8 mm,
#: 2 and 4 layers through the thin films; docs/performance.md, "P1 against P2"): what the
#: order-1 warning of :func:`mesh_warnings` quotes.
P1_BASELINE_WARPAGE = (
    "+0.7 to +1.1 um at 25 C where P2 gives -14 to -16 um, 1.0 to 3.3 um at 260 C where "
    "P2 gives 85 to 87 um"
)


def mesh_warnings(case: Any, meshes: Mapping[str, Any], thermal: bool = True) -> list[str]:
    """Sentences saying why the case's results are likely mesh-dependent (empty: none).

    Parameters
    ----------
    case
        The :class:`~fea.package.spec.CaseSpec`.
    meshes
        Model name (``"thermal"``, ``"mechanical"``) -> its :class:`~fea.fe.mesh.Mesh`.
    thermal
        Whether the case ran its thermal solve: a unit whose films are coarser than
        :func:`film_rule` gets Tj too low (docs/performance.md: films at 0.3 mm on the
        baseline give Tj 5.5 K under the 0.15 mm rule, at the global 0.8 mm 18.8 K: the
        unsafe side).

    An element whose shape quality (:data:`QUALITY_WARN`, gmsh's ``eta``) is below the
    threshold is reported with its model, region and value. A mechanical mesh of linear
    tetrahedra (``mesh.order = 1``) is reported: it locks in the bending of the thin
    shell and films (:data:`P1_BASELINE_WARPAGE`).
    """
    from ..fe.mesh import shape_quality
    from .meshing import film_size

    out: list[str] = []
    if thermal and case.kind == "unit":
        film, rule = film_size(case), film_rule(case)
        if film > rule * (1.0 + 1e-9):
            out.append(
                f"mesh.film_size {film * 1e3:.3g} mm is coarser than the default rule "
                f"({FILM_RULE_FACTOR:g} x the thicker film = {rule * 1e3:.3g} mm): Tj and "
                "the thermal resistances are likely low (the unsafe side), remove "
                "mesh.film_size_mm or check with fea converge"
            )
    mech = meshes.get("mechanical")
    if mech is not None and getattr(mech, "order", 2) == 1:
        from .spec.geometry import ImportedGeometrySpec

        if isinstance(case.geometry, ImportedGeometrySpec):  # no built-in shell to name
            layers, measured = "thin layers", ""
        else:
            t_um = case.geometry.shell_thickness * 1e6
            layers = f"the thin layers ({t_um:.3g} um shell)"
            measured = f" (the baseline package: {P1_BASELINE_WARPAGE})"
        out.append(
            f"mechanical mesh: mesh.order = 1 (linear tetrahedra) locks in the bending of "
            f"{layers}: warpage and stresses are far off, the warpage even of the wrong "
            f"sign{measured}. Use mesh.order = 2 for answers, P1 for quick regression "
            "checks only"
        )
    for model, mesh in meshes.items():
        q = shape_quality(mesh)
        if q.size == 0:
            continue
        worst = int(np.argmin(q))
        if q[worst] < QUALITY_WARN:
            region = next((r for r, e in mesh.regions.items() if np.any(e == worst)), "?")
            bad = int(np.count_nonzero(q < QUALITY_WARN))
            out.append(
                f"{model} mesh: {bad} element{'s' * (bad != 1)} of shape quality under "
                f"{QUALITY_WARN:g} (minimum {q[worst]:.2g} in {region}, mean ratio, gmsh's "
                "eta, 1 = regular), results there are mesh-dependent: check with fea "
                "converge"
            )
    return out
