"""Power maps on the die's active face, the case's heat sources on a mesh, and the hot spot.

A power map is a set of rectangles of uniform heat flux on the die's active face (the
interface toward the die attach, or the dielectric without one). Each facet of that
face receives the power of the part of every rectangle it covers, computed exactly by
clipping the facet's triangle to the rectangle (Sutherland & Hodgman 1974), so the
map's power is conserved to rounding whatever the mesh; the facet flux is that power
over the facet's area.

The die's own power (``loads.power_W.die``) goes on the same face as a uniform flux
``P / A`` (``die_power="auto"``, the default, wherever the model has that face, and
``"active_face"``): the heat is made in the transistor layer at that face, so the early
heating curve is the die's surface response (:math:`2 q \\sqrt{t / (\\pi k \\rho c)}`)
and not ``t / C_die``, whose structure function starts with a spurious capacitance step.
``die_power="volume"`` spreads it through the die. theta_JC is solved on the package alone
(:func:`fea.package.jedec.package_case`), so with the face source it is one value in every
environment (an earlier version solved it on each environment's mesh: 50.2 against 40.4
K/W). Other regions' sources stay volumetric.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from .names import interface_name
from .spec import CaseSpec

__all__ = [
    "DIE_POWER",
    "active_face",
    "clipped_areas",
    "facet_flux",
    "hotspot",
    "thermal_loads",
]

#: Where the die's power goes: ``auto`` (the default: its active face where the model has
#: one, else its volume with a warning), its active face (uniform flux) or its volume.
DIE_POWER = ("auto", "active_face", "volume")


def active_face(mesh: Any, key: str = "loads.power_map") -> str:
    """Name of the die's active face: ``die|die_attach``, or ``die|dielectric``
    (an :class:`~fea.errors.InputError` naming ``key`` when the model has neither)."""
    for other in ("die_attach", "dielectric"):
        name = interface_name("die", other)
        if name in mesh.boundaries:
            return name
    raise InputError(key, "die face", "a model whose die sits on an attach layer")


def _clip(poly: NDArray, n: NDArray, axis: int, value: float, keep_above: bool):
    """Clip polygons (N, K, 2) with ``n`` (N,) vertices to one side of a line
    ``x[axis] = value``: one Sutherland-Hodgman pass; returns (N, K + 1, 2), counts."""
    N, K, _ = poly.shape
    out = np.zeros((N, K + 1, 2))
    m = np.zeros(N, dtype=np.int64)
    rows = np.arange(N)
    for i in range(K):
        valid = i < n
        cur = poly[:, i]
        nxt = poly[rows, (i + 1) % np.maximum(n, 1)]
        dc = cur[:, axis] - value
        dn = nxt[:, axis] - value
        if not keep_above:
            dc, dn = -dc, -dn
        c_in, n_in = dc >= 0, dn >= 0
        emit = valid & c_in
        out[rows[emit], m[emit]] = cur[emit]
        m[emit] += 1
        cross = valid & (c_in != n_in)
        t = dc[cross] / (dc[cross] - dn[cross])  # the edge crosses: dc != dn
        out[rows[cross], m[cross]] = cur[cross] + t[:, None] * (nxt[cross] - cur[cross])
        m[cross] += 1
    return out, m


def _area(poly: NDArray, n: NDArray) -> NDArray[np.float64]:
    """Areas of polygons (N, K, 2) with ``n`` vertices (shoelace)."""
    N, K, _ = poly.shape
    rows = np.arange(N)
    s = np.zeros(N)
    for i in range(K):
        valid = i < n
        a = poly[:, i]
        b = poly[rows, (i + 1) % np.maximum(n, 1)]
        s += np.where(valid, a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1], 0.0)
    return 0.5 * np.abs(s)


def clipped_areas(tri: NDArray[np.float64], rect: tuple[float, ...]) -> NDArray[np.float64]:
    """Areas [m^2] of triangles (N, 3, 2) (x, y) inside the rectangle (x0, x1, y0, y1)."""
    x0, x1, y0, y1 = rect[:4]
    poly, n = tri.copy(), np.full(len(tri), 3)
    for axis, value, above in ((0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False)):
        poly, n = _clip(poly, n, axis, value, above)
    return _area(poly, n)


def facet_flux(
    mesh: Any, boundary: str, rectangles: tuple[tuple[float, ...], ...]
) -> NDArray[np.float64]:
    """Heat flux [W/m^2] per facet of a horizontal ``boundary`` from rectangles
    ``(x0, x1, y0, y1, W)`` [m, W] of uniform flux; shape (n_f,)."""
    facets = mesh.boundaries[boundary]
    xyz = mesh.p1.p[:, mesh.p1.facets[:, facets]].transpose(2, 1, 0)  # (n_f, 3, 3)
    tri = xyz[:, :, :2]
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    area = 0.5 * np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
    lo, hi = tri.min(axis=1), tri.max(axis=1)
    power = np.zeros(len(facets))
    for i, r in enumerate(rectangles):
        x0, x1, y0, y1, w = r
        if w == 0:
            continue
        near = np.flatnonzero((hi[:, 0] > x0) & (lo[:, 0] < x1) & (hi[:, 1] > y0) & (lo[:, 1] < y1))
        cut = clipped_areas(tri[near], r)
        covered = float(cut.sum())
        if not covered > 0.999 * (x1 - x0) * (y1 - y0):
            raise InputError(
                f"loads.power_map.rectangles[{i}]",
                [x0 * 1e3, x1 * 1e3, y0 * 1e3, y1 * 1e3],
                f"a rectangle on the die's active face ({boundary})",
            )
        power[near] += w * cut / covered
    return power / area


def thermal_loads(mesh: Any, case: CaseSpec, die_power: str | None = None) -> dict[str, Any]:
    """The case's heat inputs on ``mesh`` for :func:`fea.solve_thermal`.

    Parameters
    ----------
    die_power
        ``"active_face"``: the die's power (``case.loads.power["die"]``) as a uniform
        flux ``P / A`` [W/m^2] on the die's active face (:func:`active_face`; the facet
        powers sum to P to rounding); ``"volume"``: spread uniformly over the die's
        volume; ``"auto"``: the active face where the model has one, else the volume.
        None: ``case.loads.die_power`` when the case has it, else ``"auto"``. A model
        without an active face keeps the volume source (with a warning).

    Returns
    -------
    ``sources`` (W per region, uniform in its volume) and ``flux`` (boundary -> W/m^2
    per facet, shape (n_f,): the power map and the die's face power on the active face);
    and ``contacts`` (interface -> R'' [m^2 K/W]) when the case has any
    (``case.contacts``).
    """
    if die_power is None:
        die_power = getattr(case.loads, "die_power", "auto")
    if die_power not in DIE_POWER:
        raise InputError("loads.die_power", die_power, " or ".join(DIE_POWER))
    sources = dict(case.loads.power)
    flux: dict[str, NDArray[np.float64]] = {}
    pm = case.loads.power_map
    if pm is not None:
        face = active_face(mesh)
        flux[face] = facet_flux(mesh, face, pm.on_die(case.geometry.die[:2]))
    P = float(sources.get("die", 0.0))
    if die_power in ("auto", "active_face") and P != 0.0 and "die" in mesh.regions:
        try:
            face = active_face(mesh, "loads.die_power")
        except InputError:
            # the built-in package always has the face; a model read from a file may not
            warnings.warn(
                "the model has no die active face (die|die_attach or die|dielectric): the "
                "die's power is spread through its volume (name the region under the die "
                "die_attach or dielectric for the face source, or set loads.die_power = "
                "'volume' to say so)",
                stacklevel=2,
            )
        else:
            n_f = len(mesh.boundaries[face])
            q = np.full(n_f, P / mesh.boundary_area(face))
            flux[face] = flux[face] + q if face in flux else q
            del sources["die"]
    out: dict[str, Any] = {"sources": sources, "flux": flux}
    contacts = getattr(case, "contacts", None)
    if contacts:
        out["contacts"] = dict(contacts)
    return out


def hotspot(th: Any, mesh: Any) -> dict[str, float]:
    """The hottest node of the die's active face: ``hotspot_C`` and its x, y [mm].

    The face is looked up on the result's own mesh (``th.mesh``, split where the case has
    contacts) when it has one, else on ``mesh``."""
    mesh = getattr(th, "mesh", None) or mesh
    nodes = th.space.boundary_nodes(mesh.boundaries[active_face(mesh)])
    T = th.temperature[nodes]
    k = int(np.argmax(T))
    x, y = th.nodes[nodes[k], :2]
    return {
        "hotspot_C": float(T[k]),
        "hotspot_x_mm": float(x) * 1e3,
        "hotspot_y_mm": float(y) * 1e3,
    }
