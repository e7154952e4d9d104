"""Symmetry models: which planes cut a case, and whether the case is symmetric about them.

A unit (with or without its board) and a panel are centred on the origin; ``half`` keeps
x >= 0 (plane x = 0, boundary ``symmetry_x``), ``quarter`` x >= 0 and y >= 0 (also plane
y = 0, ``symmetry_y``), ``eighth`` 0 <= y <= x (planes y = 0, ``symmetry_y``, and x = y,
``symmetry_d``; they meet on the z axis) for a body symmetric about x = 0, y = 0 and
x = y (the square's group D4). The mechanics condition on a symmetry plane is zero normal
displacement, ``fixed={"symmetry_x": {"x": 0.0}, "symmetry_y": {"y": 0.0}}``, and on the
inclined plane x = y ``{"symmetry_d": {"n": 0.0}}`` (u . n = 0 along the plane's normal
(1, -1, 0)/sqrt 2, held in nodal frames: :func:`fea.fe.constraints.inclined_frames`; see
:func:`symmetry_fixed`); the thermal one is adiabatic (nothing to add).

A cut model's metrics are those of the full body: :func:`mirror_mesh` unfolds the cut mesh
into the full one (nodes on the planes merged, reflected tetrahedra reoriented) and
:class:`Unfolding` maps a cut model's displacement onto it, for the warpage (its best-fit
plane and quadratic fit need the whole surface) and the coplanarity of the terminal tips.
The recovered nodal stresses (:func:`fea.physics.post.recover_stress`, a volume-weighted
mean of the elements' linear fits at each vertex) of the full body at a vertex on a plane
average the cut model's elements and their mirror images: :func:`symmetric_recovery` gives
them (the shear components odd under the reflection vanish there), so that stress maxima,
yield ratios and interface stresses of a cut model are the full body's.

A process history's births continue the full body's displacement (``symmetry=`` of
:func:`fea.solve_history`, the axes :func:`symmetry_axes` gives; the fit in
:func:`fea.physics.history_step.symmetric_affine_fit`), and the ``[moisture]`` run's water
[mg] is scaled by :func:`symmetry_share` (:func:`fea.package.moisture.moisture_analysis`).
The free parts of a static solve (the units of a singulated panel) keep the full body's
rigid motions: ``symmetry=`` of :func:`fea.solve_thermoelastic`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...errors import InputError, MeshError

__all__ = [
    "NORMALS",
    "SYMMETRY",
    "Unfolding",
    "check_symmetry",
    "mesh_symmetry",
    "mirror_mesh",
    "plane_distance",
    "reflect",
    "symmetric_recovery",
    "symmetry_axes",
    "symmetry_boundaries",
    "symmetry_fixed",
    "symmetry_planes",
    "symmetry_share",
]

#: Allowed values of the symmetry option (spec key ``mesh.symmetry``) and the planes each cuts.
#: The planes are named by the axis they are normal to, ``"d"`` for x = y (normal
#: (1, -1, 0)/sqrt 2); the mirror images of a model are taken across them in this order
#: (an eighth first across x = y: its image and itself make the quarter).
SYMMETRY: dict[str, tuple[str, ...]] = {
    "none": (),
    "half": ("x",),
    "quarter": ("x", "y"),
    "eighth": ("d", "x", "y"),
}
_KEY = "mesh.symmetry"
_ALLOWED = (
    "'none', 'half' (plane x = 0), 'quarter' (planes x = 0 and y = 0) or 'eighth' "
    "(0 <= y <= x: planes y = 0 and x = y)"
)
#: The unit normal of each plane [-].
NORMALS: dict[str, tuple[float, float, float]] = {
    "x": (1.0, 0.0, 0.0),
    "y": (0.0, 1.0, 0.0),
    "d": (math.sqrt(0.5), -math.sqrt(0.5), 0.0),
}


def symmetry_axes(symmetry: str) -> tuple[str, ...]:
    """The planes of the mirror images of a ``symmetry`` model, in the order they are
    taken: ``()``, ``("x",)``, ``("x", "y")`` or, for an eighth, ``("d", "x", "y")``
    (``"d"`` the plane x = y); an :class:`~fea.errors.InputError` for anything else."""
    if symmetry not in SYMMETRY:
        raise InputError(_KEY, symmetry, _ALLOWED)
    return SYMMETRY[symmetry]


def symmetry_planes(symmetry: str) -> tuple[str, ...]:
    """The planes that cut a ``symmetry`` model (its faces): those of
    :func:`symmetry_axes`, less x = 0 for an eighth (which it meets on the z axis only)."""
    axes = symmetry_axes(symmetry)
    return ("y", "d") if "d" in axes else axes


def symmetry_share(symmetry: str) -> float:
    """The share of the full model a ``symmetry`` model holds (1, 1/2, 1/4, 1/8): scale
    whole-model loads with it (a region's power in W, a total force), and divide the cut
    model's extensive results by it (the water in mg of ``[moisture]``)."""
    return 0.5 ** len(symmetry_axes(symmetry))


def symmetry_fixed(symmetry: str) -> dict[str, dict[str, float]]:
    """The mechanics condition of the symmetry planes: boundary -> {component: 0.0}, for
    :func:`fea.solve_thermoelastic` / :func:`fea.solve_history` ``fixed=``; the plane
    x = y of an eighth as ``{"symmetry_d": {"n": 0.0}}`` (the displacement along its
    normal)."""
    return {f"symmetry_{a}": {"n" if a == "d" else a: 0.0} for a in symmetry_planes(symmetry)}


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def check_symmetry(case, symmetry: str, key: str = _KEY) -> tuple[str, ...]:
    """The axes of ``symmetry`` after checking that ``case`` is symmetric about each plane
    (``key``: the spec key that asked for the symmetry, named in the messages).

    Raises
    ------
    fea.errors.InputError
        For an unknown ``symmetry`` (key ``mesh.symmetry``), or naming the key that breaks
        the symmetry: ``geometry.openings.sides.<side>`` (the openings of opposite walls
        differ: the side with a table of its own),
        ``loads.power_map`` (a power map not mirrored about the plane),
        ``geometry.panel.singulated_units`` (one unit kept of an even count across x or
        y: not the centre one); for an eighth also what is not symmetric about x = y
        (a cavity, die, board or via zone not square, ``geometry.terminals.cols`` not the
        rows, the openings of the x walls not those of the y walls, ``geometry.panel.ny``
        not ``nx``).
    """
    axes = symmetry_axes(symmetry)
    g = case.geometry
    if "d" in axes:
        _check_diagonal(case, symmetry, key)
    for a in axes:
        if a == "d":
            continue
        lo, hi = ("xmin", "xmax") if a == "x" else ("ymin", "ymax")
        _same_walls(
            g.openings,
            lo,
            hi,
            f"for {key} = {symmetry!r} (the plane {a} = 0 must be a plane of symmetry), "
            f"or {key} = 'none'",
        )
    panel = getattr(g, "panel", None)
    if panel is not None and axes and panel.singulated_units == "one":
        # the unit kept is the middle one of the list of sites: the centre of the panel
        # only for odd counts both ways
        if panel.nx % 2 == 0 or panel.ny % 2 == 0:
            raise InputError(
                "geometry.panel.singulated_units",
                "one",
                f"'all', or odd geometry.panel.nx and ny ({panel.nx} x {panel.ny}) so that "
                f"the unit kept is the centre one, for {key} = {symmetry!r}",
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
                    f"a power map mirrored about the plane {a} = 0 for {key} = "
                    f"{symmetry!r}, or {key} = 'none'",
                )
    return axes


def _check_diagonal(case, symmetry: str, key: str = _KEY) -> None:
    """An :class:`~fea.errors.InputError` naming the key that makes ``case`` not symmetric
    about the plane x = y (what an eighth model needs besides x = 0 and y = 0)."""
    g = case.geometry
    why = f"for {key} = {symmetry!r} (x = y must be a plane of symmetry), or {key} = 'quarter'"

    def square(key: str, pair, unit: float = 1e3) -> None:
        if pair is not None and not _close(pair[0], pair[1]):
            raise InputError(key, [float(f"{v * unit:.10g}") for v in pair], f"equal x and y {why}")

    panel = getattr(g, "panel", None)
    if panel is not None and panel.nx != panel.ny:
        # the pitch, margin, kerf, dams (their pathways are those of geometry.openings.xmin
        # both ways), hollow walls and cover are the same in x and y: the count is what
        # can differ
        raise InputError("geometry.panel.ny", panel.ny,
                         f"as many units as geometry.panel.nx ({panel.nx}) {why}")
    square("geometry.cavity_mm", g.cavity)
    square("geometry.die.size_mm", g.die[:2])
    t = g.terminals
    # a panel's sites have no terminals (nor a board): only a unit's count
    if panel is None and t.kind != "none" and t.rows != t.cols:
        raise InputError("geometry.terminals.cols", t.cols,
                         f"as many columns as rows ({t.rows}) {why}")
    for lo, hi in (("xmin", "ymin"), ("xmax", "ymax")):
        _same_walls(g.openings, lo, hi, why)
    board = getattr(g, "board", None)
    if board is not None and panel is None:
        square("geometry.board.size_mm", board.size)
        if board.thermal_vias is not None:
            square("geometry.board.thermal_vias.zone_mm", board.thermal_vias.zone)
    pm = getattr(getattr(case, "loads", None), "power_map", None)
    if pm is not None and not _mirrored(pm.on_die(g.die[:2]), "d"):
        raise InputError("loads.power_map", "not mirrored about x = y",
                         f"a power map mirrored about the plane x = y {why}")


def _wall(o: Any) -> tuple:
    """What the builder makes of a wall's openings (:func:`~fea.package.geometry.openings.
    add_openings`): a closed wall whatever its other keys, a hole's height its width,
    pillars full height."""
    if o.closed:
        return ("none",)
    if o.kind == "pillars":
        return (o.kind, o.count, o.width)
    if o.kind == "holes":
        return (o.kind, o.count, o.width, o.z0)
    return (o.kind, o.count, o.width, o.height, o.z0)


def _describe(o: Any) -> str:
    """A wall's openings in the spec's words and units (mm)."""
    w = _wall(o)
    if w[0] == "none":
        return "a closed wall"
    text = f"{o.count} {o.kind} of width {o.width * 1e3:g} mm"
    if o.kind == "slots":
        text += f", height {o.height * 1e3:g} mm"
    if o.kind != "pillars":
        text += f" at z0 {o.z0 * 1e3:g} mm"
    return text


def _same_walls(openings: dict[str, Any], lo: str, hi: str, why: str) -> None:
    """An :class:`~fea.errors.InputError` when the openings of the walls ``lo`` and ``hi``
    differ, naming the key that sets them apart: the side that has its own table
    ``geometry.openings.sides.<side>`` (``hi``'s when both have)."""
    a, b = openings[lo], openings[hi]
    if _wall(a) == _wall(b):
        return
    own = hi if b.key.endswith(f".{hi}") or not a.key.endswith(f".{lo}") else lo
    other = lo if own == hi else hi
    raise InputError(
        f"geometry.openings.sides.{own}",
        _describe(openings[own]),
        f"the same openings as side {other} ({_describe(openings[other])}) {why}",
    )


def _mirrored(rects, axis: str) -> bool:
    """True when the rectangles ``(x0, x1, y0, y1, W)`` map onto themselves mirrored."""
    def image(r):
        x0, x1, y0, y1, w = r
        if axis == "d":
            return (y0, y1, x0, x1, w)
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


def symmetry_boundaries(symmetry: str) -> tuple[str, ...]:
    """The boundaries of the symmetry planes of a ``symmetry`` model: ``()``,
    ``("symmetry_x",)``, ``("symmetry_x", "symmetry_y")`` or, for an eighth,
    ``("symmetry_y", "symmetry_d")``."""
    return tuple(f"symmetry_{a}" for a in symmetry_planes(symmetry))


def mesh_symmetry(mesh: Any) -> str:
    """The symmetry model ``mesh`` is: ``"none"``, ``"half"`` (it has the boundary
    ``symmetry_x``), ``"quarter"`` (``symmetry_x`` and ``symmetry_y``) or ``"eighth"``
    (``symmetry_y`` and ``symmetry_d``)."""
    planes = tuple(a for a in ("x", "y", "d") if f"symmetry_{a}" in mesh.boundaries)
    for name in SYMMETRY:
        if symmetry_planes(name) == planes:
            return name
    raise MeshError(
        f"a mesh with the symmetry planes {planes}: only x = 0, x = 0 and y = 0, or y = 0 "
        "and x = y"
    )


def plane_distance(p: NDArray[np.float64], plane: str) -> NDArray[np.float64]:
    """The signed distance [m] of the points ``p`` (n, 3) from a symmetry ``plane``
    (``"x"``, ``"y"``, ``"d"``), positive on the side a cut model keeps."""
    return np.asarray(p, dtype=np.float64) @ np.array(NORMALS[plane])


def reflect(p: NDArray[np.float64], plane: str) -> NDArray[np.float64]:
    """The mirror images of points (or vectors) ``p`` (n, 3) across a symmetry ``plane``
    through the origin (``"d"``: x and y exchanged)."""
    q = np.array(p, dtype=np.float64, copy=True)
    if plane == "d":
        q[:, [0, 1]] = q[:, [1, 0]]
    else:
        q[:, "xyz".index(plane)] *= -1.0
    return q


#: Distance [m per m of the model's extent] within which a node is on a symmetry plane.
PLANE_TOL = 1e-9


def mirror_mesh(mesh: Any, symmetry: str | None = None) -> Any:
    """The full mesh of a cut model: ``mesh`` and its mirror images across x = 0 (and
    y = 0 for a quarter; x = y, x = 0 and y = 0 for an eighth), the nodes on the planes
    shared (no seam), every reflected tetrahedron reoriented (two vertices swapped), every
    region and boundary mirrored, the symmetry-plane boundaries gone (they are inside the
    full body).

    Parameters
    ----------
    mesh
        A :class:`fea.Mesh` of a cut model (x >= 0, and y >= 0 for a quarter; 0 <= y <= x
        for an eighth, mirrored across x = y first).
    symmetry
        ``"half"``, ``"quarter"`` or ``"eighth"``; None: :func:`mesh_symmetry` of ``mesh``.

    Returns
    -------
    fea.Mesh
        Of the same order; 2 (4, 8) times the elements of a half (quarter, eighth) model.
    """
    from skfem import MeshTet1, MeshTet2

    from ...fe.mesh import Mesh, match_rows, tet_determinants

    axes = symmetry_axes(mesh_symmetry(mesh) if symmetry is None else symmetry)
    p = np.array(mesh.p1.p.T, dtype=np.float64)
    t = np.asarray(mesh.p1.t.T, dtype=np.int64)
    regions = {r: np.asarray(e, dtype=np.int64) for r, e in mesh.regions.items()}
    facets = np.asarray(mesh.p1.facets.T, dtype=np.int64)
    tris = {name: np.sort(facets[f], axis=1) for name, f in mesh.boundaries.items()}
    tol = PLANE_TOL * float(np.ptp(p, axis=0).max())
    for a in axes:
        dist = plane_distance(p, a)
        on = np.abs(dist) <= tol
        if np.any(dist[~on] < 0):
            side = "y <= x" if a == "d" else f"{a} >= 0"
            raise MeshError(f"a node on the wrong side of the plane {a}: not a cut model kept "
                            f"on {side}")
        if a == "d":
            p[on, 1] = p[on, 0]
        else:
            p[on, "xyz".index(a)] = 0.0
        n, off = len(p), np.flatnonzero(~on)
        image = np.arange(n)
        image[off] = n + np.arange(len(off))
        q = reflect(p[off], a)
        p = np.vstack([p, q])
        tm = image[t]
        tm[:, [0, 1]] = tm[:, [1, 0]]  # a reflection turns the orientation over
        ne = len(t)
        t = np.vstack([t, tm])
        regions = {r: np.concatenate([e, e + ne]) for r, e in regions.items()}
        # across x = y the image of the face y = 0 is the face x = 0, which the next
        # image (across x = 0) takes inside
        rename = {"symmetry_y": "symmetry_x"} if a == "d" else {}
        merged: dict[str, list] = {}
        for name, f in tris.items():
            if name != f"symmetry_{a}":
                merged.setdefault(name, []).append(f)
                merged.setdefault(rename.get(name, name), []).append(np.sort(image[f], axis=1))
        tris = {name: np.unique(np.vstack(fs), axis=0) for name, fs in merged.items()}
    if np.any(tet_determinants(p, t) <= 0):
        raise MeshError("a mirrored tetrahedron is not positively oriented")
    p1 = MeshTet1(p.T.copy(), t.T.copy())
    table = np.sort(p1.facets.T.astype(np.int64), axis=1)
    boundaries = {
        name: (match_rows(table, f, name) if len(f) else np.zeros(0, dtype=np.int64))
        for name, f in tris.items()
    }
    sk = MeshTet2.from_mesh(p1) if mesh.order == 2 else p1
    return Mesh(sk, p1, regions, boundaries, mesh.order)


#: Voigt components (xx, yy, zz, yz, xz, xy) that change sign under the reflection across
#: the plane of each axis.
ODD_COMPONENTS = {"x": (4, 5), "y": (3, 5)}


def symmetric_recovery(recovered: Any, symmetry: str | None = None) -> Any:
    """The full body's recovered stresses of a cut model, on the cut model's vertices.

    At a vertex on the plane of axis ``a`` the full body's volume-weighted mean takes the
    cut model's elements and their reflections (each element's fit reflected: the
    components of :data:`ODD_COMPONENTS` negated) with equal weights: the mean of ``s`` and
    its reflection, ``s`` with those components set to zero. At a vertex on several planes
    (the z axis of a quarter or an eighth) it is the mean over the group the reflections
    generate (4 images; 8 for an eighth, the plane x = y exchanging xx and yy, xz and yz).
    Elsewhere nothing changes.

    Parameters
    ----------
    recovered
        :class:`fea.physics.post.RecoveredStress` of a cut model.
    symmetry
        ``"none"``, ``"half"``, ``"quarter"`` or ``"eighth"``; None: :func:`mesh_symmetry`
        of its mesh.

    Returns
    -------
    fea.physics.post.RecoveredStress
        ``recovered`` itself when nothing is cut.
    """
    from ...physics.post import RecoveredStress

    mesh = recovered.mesh
    axes = symmetry_axes(mesh_symmetry(mesh) if symmetry is None else symmetry)
    if not axes:
        return recovered
    planes = symmetry_planes(mesh_symmetry(mesh) if symmetry is None else symmetry)
    p = mesh.p1.p.T
    tol = PLANE_TOL * float(np.ptp(p, axis=0).max())
    values = {}
    for name, (verts, vals) in recovered.values.items():
        vals = np.array(vals, dtype=np.float64)
        on = np.column_stack([np.abs(plane_distance(p[verts], a)) <= tol for a in planes])
        kinds, which = np.unique(on, axis=0, return_inverse=True)
        for j, kind in enumerate(kinds):
            on_planes = [a for a, k in zip(planes, kind, strict=True) if k]
            rows = np.flatnonzero(which.ravel() == j)
            if "d" in on_planes:
                vals[rows] = _group_mean(vals[rows], _group(on_planes))
            else:  # planes of the axes: the odd components vanish, the others stay
                for a in on_planes:
                    vals[np.ix_(rows, ODD_COMPONENTS[a])] = 0.0
        values[name] = (verts, vals)
    return RecoveredStress(mesh, recovered.space, values)


def _group(planes: list[str]) -> list[NDArray[np.float64]]:
    """The 3x3 matrices of the group the reflections across ``planes`` generate."""
    from ...fe.constraints import reflection_group

    return reflection_group([np.array(NORMALS[a]) for a in planes])


_VOIGT = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


def _group_mean(s: NDArray[np.float64], group: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """The mean of the Voigt stresses ``s`` (k, 6) over ``g s g^T`` for ``g`` in ``group``."""
    S = np.zeros((len(s), 3, 3))
    for c, (i, j) in enumerate(_VOIGT):
        S[:, i, j] = S[:, j, i] = s[:, c]
    M = sum(g @ S @ g.T for g in group) / len(group)
    return np.column_stack([M[:, i, j] for i, j in _VOIGT])


class _Nodes:
    """The node positions and facet -> node map of a P1/P2 space on a mesh: what
    :func:`fea.physics.post.warpage` needs, without a stiffness pattern."""

    def __init__(self, mesh: Any, order: int) -> None:
        from skfem import Basis, ElementTetP1, ElementTetP2

        self.basis = Basis(mesh.p1, ElementTetP2() if order == 2 else ElementTetP1(), intorder=1)
        self.nodes = self.basis.doflocs.T.copy()

    def boundary_nodes(self, facets: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.asarray(self.basis.get_dofs(facets).all(), dtype=np.int64)


@dataclass
class Unfolding:
    """A cut model's nodal fields on the full body (:func:`mirror_mesh`).

    Attributes
    ----------
    mesh
        The full mesh.
    space
        Its nodes (``nodes``, (n_full, 3) m) and ``boundary_nodes(facets)``.
    index
        The node of the cut model each full node is the image of, shape (n_full,).
    sign
        The sign of each displacement component under that reflection, (n_full, 3).
    swap
        For an eighth: whether the image is also reflected across x = y (its x and y
        components exchanged before the signs apply), bool (n_full,); None: never.
    """

    mesh: Any
    space: Any
    index: NDArray[np.int64]
    sign: NDArray[np.float64]
    swap: NDArray[np.bool_] | None = None

    @classmethod
    def of(cls, mesh: Any, nodes: NDArray[np.float64], order: int) -> Unfolding:
        """The unfolding of the cut ``mesh`` whose space (of ``order``) has ``nodes``
        (n, 3) [m] (:attr:`fea.MechanicalResult.nodes`)."""
        from scipy.spatial import cKDTree

        axes = symmetry_axes(mesh_symmetry(mesh))
        full = mirror_mesh(mesh)
        fs = _Nodes(full, order)
        back = fs.nodes.copy()
        sign = np.ones_like(back)
        for a in axes:
            if a == "d":
                continue
            k = "xyz".index(a)
            neg = back[:, k] < 0
            back[neg, k] *= -1.0
            sign[neg, k] = -1.0
        swap = None
        if "d" in axes:  # taken first when unfolding: undone last
            swap = back[:, 1] > back[:, 0]
            back[swap] = reflect(back[swap], "d")
        dist, index = cKDTree(nodes).query(back)
        tol = PLANE_TOL * float(np.ptp(nodes, axis=0).max())
        if np.any(dist > max(tol, 1e-15)):
            raise MeshError("a node of the mirrored mesh has no original in the cut model")
        return cls(full, fs, np.asarray(index, dtype=np.int64), sign, swap)

    def displacement(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """The cut model's displacement ``u`` (n, 3) [m] on the full body, (n_full, 3): each
        image node's, its components exchanged (x = y) and its component normal to each
        plane it was reflected across negated."""
        v = np.array(np.asarray(u)[self.index], dtype=np.float64)
        if self.swap is not None:
            v[self.swap] = reflect(v[self.swap], "d")
        return v * self.sign

    def warpage(self, u: NDArray[np.float64], surface: str) -> Any:
        """:func:`fea.physics.post.warpage` of the full body's ``surface`` under the cut
        model's displacement ``u`` (n, 3) [m]."""
        from ...physics.post import warpage

        return warpage(self.mesh, self.space, self.displacement(u), surface)
