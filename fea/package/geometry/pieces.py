"""Overlapping input solids -> one conformal, named gmsh model.

Builders add simple overlapping solids (boxes, rounded prisms, spheres), each
tagged with a region. :func:`finish` fragments them all at once (OCC
``fragment`` gives shared faces, hence conformal meshes with no duplicate nodes),
gives every fragment piece the region of highest precedence among the inputs
that contain it (:data:`~fea.geometry.tags.PRIORITY`), deletes ``void`` pieces,
renames the pieces inside a *zone* (``<zone>_<region>``, e.g. the kerf of a panel),
and assigns 3D physical groups per region and 2D physical groups for exterior
faces and internal interfaces. Physical groups are assigned after the last
boolean operation because entity tags change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

from ...errors import MeshError
from .tags import ALIASES, PRIORITY, interface_name

__all__ = [
    "Builder",
    "MODEL_SCALE",
    "ModelInfo",
    "Refinement",
    "is_plane",
]

_EPS = 1e-8  # m; geometric tolerance for classifying faces

#: OCC works in model units of mm: its default tolerance (1e-7) would be too coarse
#: for 10 um walls expressed in metres. Builders take metres; the mesh is scaled
#: back to metres after meshing (:func:`fea.mesh.generate`).
MODEL_SCALE = 1e3


class Refinement(NamedTuple):
    """A zone the mesher should resolve, as the builder placed it (lengths in m).

    ``kind``: ``package`` (the body at ``mesh.size``), ``opening`` (a side wall with
    openings: the wall's slab), ``terminals`` (the terminal array's band); ``lo``/``hi``
    the box corners; ``length`` the feature's characteristic size (smallest opening
    dimension, terminal diameter; 0 for ``package``).
    """

    kind: str
    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    length: float


@dataclass
class ModelInfo:
    """What a builder made: region -> volume tags, boundary -> surface tags, facts, and
    the zones to refine (:class:`Refinement`, consumed by :mod:`fea.package.sizing`)."""

    regions: dict[str, list[int]] = field(default_factory=dict)
    boundaries: dict[str, list[int]] = field(default_factory=dict)
    facts: dict[str, float] = field(default_factory=dict)
    refine: list[Refinement] = field(default_factory=list)


class Builder:
    """Collects tagged OCC solids in a gmsh model and fragments them into regions.

    Parameters
    ----------
    model
        The ``gmsh.model`` module of an initialised gmsh session (never initialised here).
    """

    def __init__(self, model) -> None:
        self.model = model
        self.occ = model.occ
        self.pieces: list[tuple[int, str]] = []
        self.zones: list[tuple[int, str, tuple[str, ...]]] = []
        self.info = ModelInfo()
        #: Symmetry planes that cut the model (:data:`~fea.package.geometry.symmetry.
        #: SYMMETRY`): ``"x"`` keeps x >= 0, ``"y"`` keeps y >= 0, ``"d"`` keeps y <= x;
        #: the cut faces become ``symmetry_x``/``symmetry_y``/``symmetry_d``.
        self.symmetry: tuple[str, ...] = ()
        #: Skip what the symmetry cut would drop or leave as it is: a box, cylinder or
        #: truncated sphere wholly outside the kept region is not created, a piece wholly
        #: inside is not intersected. Each OCC removal or boolean costs time in proportion
        #: to the entities in the model (gmsh checks what it removes against all of
        #: them), so with hundreds of openings the cut took longer than the rest of the
        #: geometry. Set for a unit with many openings
        #: (:func:`~fea.package.geometry.unit.late_openings`): the same model, with other
        #: entity numbers, so off for the rest (their meshes stay node for node).
        self.trim = False

    def refine(
        self,
        kind: str,
        lo: tuple[float, float, float],
        hi: tuple[float, float, float],
        length: float = 0.0,
    ) -> None:
        """Record a zone to refine (see :class:`Refinement`)."""
        self.info.refine.append(Refinement(kind, tuple(lo), tuple(hi), float(length)))

    def mark(self) -> tuple[int, int]:
        """The current place in the piece list and the refinement zones, for :meth:`move_since`."""
        return len(self.pieces), len(self.info.refine)

    def move_since(self, start: tuple[int, int], to: tuple[int, int]) -> None:
        """Move the pieces and refinement zones added since the :meth:`mark` ``start`` to the
        earlier mark ``to``, as if they had been added there.

        The fragment assigns regions from the pieces' order, so a piece created late (after
        the booleans that are cheaper with it absent) keeps the place it would have had.
        """
        for items, a, b in ((self.pieces, start[0], to[0]), (self.info.refine, start[1], to[1])):
            moved = items[a:]
            del items[a:]
            items[b:b] = moved

    def _dropped(self, lo: tuple[float, ...], hi: tuple[float, ...]) -> bool:
        """True when :attr:`trim` is set and the box ``lo``-``hi`` [m] lies wholly outside
        the region the symmetry planes keep (as :meth:`_cut_symmetry` drops it)."""
        if not (self.trim and self.symmetry):
            return False
        sym = self.symmetry
        return (
            ("x" in sym and hi[0] <= 0.0)
            or ("y" in sym and hi[1] <= 0.0)
            or ("d" in sym and hi[0] <= lo[1])
        )

    # -- primitives (lengths in m) ---------------------------------------------------
    def box(
        self, region: str, x0: float, y0: float, z0: float, x1: float, y1: float, z1: float
    ) -> int:
        """Axis-aligned box from corner (x0, y0, z0) to (x1, y1, z1); its tag (-1: not
        created, outside the symmetry's kept region with :attr:`trim`)."""
        if not (x1 > x0 and y1 > y0 and z1 > z0):
            raise MeshError(
                f"empty box for region {region}: ({x0}, {y0}, {z0}) - ({x1}, {y1}, {z1})"
            )
        if self._dropped((x0, y0, z0), (x1, y1, z1)):
            return -1
        k = MODEL_SCALE
        tag = self.occ.addBox(k * x0, k * y0, k * z0, k * (x1 - x0), k * (y1 - y0), k * (z1 - z0))
        self.pieces.append((tag, region))
        return tag

    def zone(
        self,
        name: str,
        x0: float,
        y0: float,
        z0: float,
        x1: float,
        y1: float,
        z1: float,
        skip: tuple[str, ...] = (),
    ) -> int:
        """A box that claims no material: the pieces of other regions inside it become
        regions ``<name>_<region>`` (a kerf to remove later keeps each layer's material);
        regions in ``skip`` keep their name; pieces inside no region are dropped."""
        if not (x1 > x0 and y1 > y0 and z1 > z0):
            raise MeshError(f"empty zone {name}: ({x0}, {y0}, {z0}) - ({x1}, {y1}, {z1})")
        k = MODEL_SCALE
        tag = self.occ.addBox(k * x0, k * y0, k * z0, k * (x1 - x0), k * (y1 - y0), k * (z1 - z0))
        self.zones.append((tag, name, tuple(skip)))
        return tag

    def prism(
        self,
        region: str,
        cx: float,
        cy: float,
        ax: float,
        ay: float,
        z0: float,
        z1: float,
        radius: float = 0.0,
    ) -> int:
        """Rectangular prism centred on (cx, cy), ax x ay, z in [z0, z1], rounded vertical edges."""
        if radius <= 0:
            return self.box(region, cx - ax / 2, cy - ay / 2, z0, cx + ax / 2, cy + ay / 2, z1)
        k = MODEL_SCALE
        rect = self.occ.addRectangle(
            k * (cx - ax / 2), k * (cy - ay / 2), k * z0, k * ax, k * ay, roundedRadius=k * radius
        )
        out = self.occ.extrude([(2, rect)], 0, 0, k * (z1 - z0))
        tag = next(t for d, t in out if d == 3)
        self.pieces.append((tag, region))
        return tag

    def ring(
        self,
        region: str,
        cx: float,
        cy: float,
        outer: tuple[float, float],
        inner: tuple[float, float],
        z0: float,
        z1: float,
        radius: float = 0.0,
    ) -> int:
        """Rectangular ring: prism ``outer`` minus prism ``inner`` (both centred), z in [z0, z1]."""
        a = self.prism(region, cx, cy, *outer, z0, z1, radius=radius)
        self.pieces.pop()
        r_in = radius - (outer[0] - inner[0]) / 2 if radius > 0 else 0.0
        b = self.prism(region, cx, cy, *inner, z0, z1, radius=max(r_in, 0.0))
        self.pieces.pop()
        out, _ = self.occ.cut([(3, a)], [(3, b)])
        tag = out[0][1]
        self.pieces.append((tag, region))
        return tag

    def cylinder(
        self, region: str, x: float, y: float, z: float, dx: float, dy: float, dz: float, r: float
    ) -> int:
        """Cylinder of radius ``r`` from (x, y, z) along (dx, dy, dz); its tag (-1: not
        created, as :meth:`box`)."""
        ends = ((x, y, z), (x + dx, y + dy, z + dz))
        lo = tuple(min(a, b) - r for a, b in zip(*ends, strict=True))
        hi = tuple(max(a, b) + r for a, b in zip(*ends, strict=True))
        if self._dropped(lo, hi):
            return -1
        k = MODEL_SCALE
        tag = self.occ.addCylinder(k * x, k * y, k * z, k * dx, k * dy, k * dz, k * r)
        self.pieces.append((tag, region))
        return tag

    def truncated_sphere(
        self, region: str, x: float, y: float, zc: float, r: float, z0: float, z1: float
    ) -> int:
        """Sphere of radius ``r`` centred at (x, y, zc), cut to z in [z0, z1]; its tag (-1:
        not created, as :meth:`box`)."""
        if self._dropped((x - r, y - r, z0), (x + r, y + r, z1)):
            return -1
        k = MODEL_SCALE
        s = self.occ.addSphere(k * x, k * y, k * zc, k * r)
        b = self.occ.addBox(
            k * (x - 2 * r), k * (y - 2 * r), k * z0, 4 * k * r, 4 * k * r, k * (z1 - z0)
        )
        out, _ = self.occ.intersect([(3, s)], [(3, b)])
        tag = out[0][1]
        self.pieces.append((tag, region))
        return tag

    def _cut_symmetry(self) -> None:
        """Intersect every piece and zone with the half-spaces of :attr:`symmetry` (OCC
        boolean intersection with one large box); pieces wholly outside are dropped."""
        occ = self.occ
        tags = [t for t, _ in self.pieces] + [t for t, _, _ in self.zones]
        lo = [math.inf] * 3
        hi = [-math.inf] * 3
        for t in tags:
            bb = occ.getBoundingBox(3, t)
            lo = [min(a, b) for a, b in zip(lo, bb[:3], strict=True)]
            hi = [max(a, b) for a, b in zip(hi, bb[3:], strict=True)]
        pad = 1.0 + max(h - lo_ for h, lo_ in zip(hi, lo, strict=True))
        x0 = 0.0 if "x" in self.symmetry else lo[0] - pad
        y0 = 0.0 if "y" in self.symmetry else lo[1] - pad
        diagonal = "d" in self.symmetry
        if diagonal:  # the wedge 0 <= y <= x: a right triangle extruded along z
            side = max(hi[0], hi[1]) + pad
            pts = [occ.addPoint(x, y, lo[2] - pad) for x, y in ((0, 0), (side, 0), (side, side))]
            loop = occ.addCurveLoop([occ.addLine(pts[i], pts[(i + 1) % 3]) for i in range(3)])
            face = occ.addPlaneSurface([loop])
            ext = occ.extrude([(2, face)], 0, 0, hi[2] - lo[2] + 2 * pad)
            box = next(t for d, t in ext if d == 3)
        else:
            box = occ.addBox(x0, y0, lo[2] - pad, hi[0] + pad - x0, hi[1] + pad - y0,
                             hi[2] - lo[2] + 2 * pad)

        def cut(tag: int) -> list[int]:
            bb = occ.getBoundingBox(3, tag)
            if bb[3] <= x0 or bb[4] <= y0 or (diagonal and bb[3] <= bb[1]):
                occ.remove([(3, tag)], recursive=True)
                return []
            if self.trim and bb[0] > x0 and bb[1] > y0 and not (diagonal and bb[4] > bb[0]):
                return [tag]  # wholly inside: the intersection would change nothing
            try:
                out, _ = occ.intersect([(3, tag)], [(3, box)], removeObject=True,
                                       removeTool=False)
            except Exception as exc:  # gmsh raises a bare Exception with the OCC message
                msg = f"OCC intersection with the symmetry planes failed: {exc}"
                raise MeshError(msg) from None
            return [t for d, t in out if d == 3]

        self.pieces = [(t2, r) for t, r in self.pieces for t2 in cut(t)]
        self.zones = [(t2, n, k) for t, n, k in self.zones for t2 in cut(t)]
        occ.remove([(3, box)], recursive=True)

    # -- the fragment ----------------------------------------------------------------
    def finish(self, classify) -> ModelInfo:
        """Fragment, assign regions by precedence, remove voids, name groups.

        ``classify(bbox, regions_touching) -> list[str]`` names an exterior face from its
        bounding box (xmin, ymin, zmin, xmax, ymax, zmax) and the region it bounds.
        """
        occ = self.occ
        if self.symmetry:
            self._cut_symmetry()
        inputs = [(3, t) for t, _ in self.pieces] + [(3, t) for t, _, _ in self.zones]
        try:
            out, out_map = occ.fragment(inputs, [], removeObject=True, removeTool=True)
            occ.synchronize()
        except Exception as exc:  # gmsh raises a bare Exception with the OCC message
            raise MeshError(f"OCC fragment failed: {exc}") from None
        owner: dict[int, str] = {}
        for (_, region), children in zip(self.pieces, out_map, strict=False):
            for dim, tag in children:
                if dim != 3:
                    continue
                cur = owner.get(tag)
                if cur is None or PRIORITY[region] < PRIORITY[cur]:
                    owner[tag] = region
        zoned: dict[int, tuple[str, tuple[str, ...]]] = {}
        for (_, name, skip), children in zip(self.zones, out_map[len(self.pieces) :], strict=True):
            for dim, tag in children:
                if dim == 3:
                    zoned[tag] = (name, skip)
        empty = [t for t in zoned if t not in owner]  # a zone's piece outside every solid
        voids = [(3, t) for t, r in owner.items() if r == "void"] + [(3, t) for t in empty]
        if voids:
            occ.remove(voids, recursive=True)
            occ.synchronize()
            owner = {t: r for t, r in owner.items() if r != "void"}
        regions: dict[str, list[int]] = {}
        for tag, region in sorted(owner.items()):
            name = ALIASES.get(region, region)
            if tag in zoned and name not in zoned[tag][1]:
                name = f"{zoned[tag][0]}_{name}"
            regions.setdefault(name, []).append(tag)
        model = self.model
        face_owner: dict[int, list[str]] = {}
        for region, tags in regions.items():
            for t in tags:
                for _dim, s in model.getBoundary([(3, t)], oriented=False, combined=False):
                    face_owner.setdefault(abs(s), []).append(region)
        boundaries: dict[str, list[int]] = {}
        for s, owners in face_owner.items():
            if len(owners) == 1:
                bbox = tuple(v / MODEL_SCALE for v in model.getBoundingBox(2, s))
                cut = [
                    f"symmetry_{a}"
                    for a in self.symmetry
                    if (on_diagonal(model, s, bbox) if a == "d"
                        else is_plane(bbox, "xy".index(a), 0))
                ]
                # a cut face is a plane of symmetry: not exposed (no convection, no moisture)
                names = cut or ["exterior"] + list(classify(bbox, owners[0]))
            elif len(owners) == 2 and owners[0] != owners[1]:
                names = [interface_name(*owners)]
            else:
                continue  # a face inside one region (sub-layers of a thin layer)
            for n in names:
                boundaries.setdefault(n, []).append(s)
        for name, tags in sorted(regions.items()):
            model.addPhysicalGroup(3, tags, name=name)
        for name, tags in sorted(boundaries.items()):
            model.addPhysicalGroup(2, sorted(set(tags)), name=name)
        self.info.regions = regions
        self.info.boundaries = {k: sorted(set(v)) for k, v in boundaries.items()}
        return self.info


def on_diagonal(model, face: int, bbox: tuple[float, ...], tol: float = _EPS) -> bool:
    """True when the face ``face`` of ``model`` (bounding box ``bbox`` in m) lies on the
    plane x = y: its box and its corners on the plane, its normal the plane's."""
    if not (math.isclose(bbox[0], bbox[1], abs_tol=tol)
            and math.isclose(bbox[3], bbox[4], abs_tol=tol)) or bbox[5] - bbox[2] <= tol:
        return False
    for _dim, v in model.getBoundary([(2, face)], combined=False, recursive=True):
        x, y, _ = model.getValue(0, abs(v), [])
        if abs(x - y) > tol * MODEL_SCALE:
            return False
    (u0, v0), (u1, v1) = zip(*model.getParametrizationBounds(2, face), strict=True)
    n = model.getNormal(face, [(u0 + u1) / 2, (v0 + v1) / 2])
    return abs(abs(n[0] - n[1]) / math.sqrt(2.0) - 1.0) <= 1e-6


def is_plane(bbox: tuple[float, ...], axis: int, value: float, tol: float = _EPS) -> bool:
    """True when a face's bounding box is flat in ``axis`` (0, 1, 2) at ``value``."""
    lo, hi = bbox[axis], bbox[axis + 3]
    return math.isclose(lo, value, abs_tol=tol) and math.isclose(hi, value, abs_tol=tol)
