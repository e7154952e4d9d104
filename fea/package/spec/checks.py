"""Checks across keys and sections: does the geometry fit together, do the loads name
regions that exist. Each failure is an :class:`~fea.errors.InputError`."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

from ...errors import InputError
from .reader import hint

if TYPE_CHECKING:
    from .moisture import MoistureSpec
    from .schema import CaseSpec, GeometrySpec, LoadSpec

__all__ = [
    "CORNER_CLEARANCE_M",
    "MIN_FEATURE_M",
    "board_model_case",
    "check_contacts",
    "check_cycling",
    "check_geometry",
    "check_imported_symmetry",
    "check_mesh_symmetry",
    "check_moisture",
    "check_power_map",
    "check_reference",
    "cross_checks",
    "ctm_junction",
    "cycling_symmetry",
    "inside_rounded",
]

#: Thinnest layer, gap or feature the built-in geometry may have [m]: 0.1 um. Below it the
#: mesher fails or hangs rather than resolving it (OCC's tolerance is 1e-7 model units,
#: 0.1 nm; a 1 nm shell left tetrahedra of no volume, a 0.1 nm one or a 0.1 nm pad never
#: finished meshing), and next to elements of ``mesh.size_mm`` ~ 1 mm a 0.1 um layer is
#: already an aspect ratio of 10^4.
MIN_FEATURE_M = 0.1e-6
#: Least clearance [m] of a die corner, or of the outermost opening of a wall, from the
#: rounded corners of ``corner_radius_mm`` (20 um, the least space between openings).
CORNER_CLEARANCE_M = 0.02e-3


def check_geometry(g: GeometrySpec) -> None:
    """Does the geometry fit together: the shell and the die in the cavity, the openings
    in their walls, the terminal array under the dielectric (a unit's), the die, openings
    and terminals clear of the rounded corners, the board and its rim bond ring, the panel
    around the unit, every layer and gap at least :data:`MIN_FEATURE_M`, and the aperture
    rule. The first misfit is an :class:`~fea.errors.InputError` naming its key."""
    _check_shell_and_die(g)
    _check_openings(g)
    _check_terminals(g)
    _check_corners(g)
    _check_board(g)
    _check_panel(g)
    _check_thin(g)
    _check_aperture(g)


def _check_shell_and_die(g: GeometrySpec) -> None:
    t = g.shell_thickness
    if t > 0.2 * min(g.cavity):
        raise InputError(
            "geometry.shell_thickness_mm", _mm(t), "a wall thinner than 1/5 of the cavity"
        )
    if g.corner_radius > 0.25 * min(g.cavity):
        raise InputError(
            "geometry.corner_radius_mm",
            _mm(g.corner_radius),
            f"at most a quarter of the cavity side ({0.25e3 * min(g.cavity):g} mm)",
        )
    if g.die[0] >= g.cavity[0] or g.die[1] >= g.cavity[1]:
        raise InputError(
            "geometry.die.size_mm",
            [_mm(g.die[0]), _mm(g.die[1])],
            f"a die smaller than the cavity {g.cavity[0] * 1e3:g} x {g.cavity[1] * 1e3:g} mm",
        )
    stack = g.die[2] + g.die_attach_thickness
    if stack >= g.cavity_depth:
        raise InputError(
            "geometry.die.thickness_mm",
            _mm(g.die[2]),
            f"die + attach ({stack * 1e3:g} mm) thinner than the cavity depth "
            f"{g.cavity_depth * 1e3:g} mm",
        )


def _check_openings(g: GeometrySpec) -> None:
    t = g.shell_thickness
    for side, o in g.openings.items():
        key = o.key
        L = g.cavity[0] if side in ("ymin", "ymax") else g.cavity[1]
        if o.closed:
            continue
        if o.count * o.width + (o.count + 1) * max(t, 0.02e-3) > L:
            raise InputError(
                f"{key}.width_mm",
                _mm(o.width),
                f"{o.count} openings of this width do not fit in the "
                f"{L * 1e3:g} mm wall on side {side} (total must stay below the wall length)",
            )
        if o.kind == "pillars":
            continue
        # a hole's height is its diameter, geometry.openings.width_mm
        h, name = (o.width, "width_mm") if o.kind == "holes" else (o.height, "height_mm")
        if o.z0 + h > g.cavity_depth - 1e-9:
            raise InputError(
                f"{key}.{name}",
                _mm(h),
                f"an opening within the {g.cavity_depth * 1e3:g} mm wall height on "
                f"side {side} (z0 + height = {(o.z0 + h) * 1e3:g} mm)",
            )


def _check_terminals(g: GeometrySpec) -> None:
    term = g.terminals
    # a panel's sites have no terminals (fea.package.geometry.panel): nothing to fit
    if term.kind != "none" and g.panel is None:
        ox, oy = g.outer
        r = (term.diameter / 2) if term.kind == "balls" else term.diameter / 2
        ex = (term.cols - 1) * term.pitch / 2 + r
        ey = (term.rows - 1) * term.pitch / 2 + r
        if ex > ox / 2 or ey > oy / 2:
            raise InputError(
                "geometry.terminals",
                f"{term.rows} x {term.cols} at {term.pitch * 1e3:g} mm",
                f"an array within the dielectric ({ox * 1e3:g} x {oy * 1e3:g} mm); "
                f"this one spans {2 * ex * 1e3:g} x {2 * ey * 1e3:g} mm",
            )
        if term.pitch <= term.diameter:
            raise InputError(
                "geometry.terminals.pitch_mm",
                _mm(term.pitch),
                f"a pitch larger than the terminal diameter {term.diameter * 1e3:g} mm",
            )
        if term.kind == "balls" and term.standoff >= term.diameter:
            raise InputError(
                "geometry.terminals.standoff_mm",
                _mm(term.standoff),
                f"a stand-off below the ball diameter {term.diameter * 1e3:g} mm",
            )


def inside_rounded(
    x: float, y: float, margin: float, size: tuple[float, float], radius: float
) -> bool:
    """Whether the disc of radius ``margin`` around (x, y) [m] (x, y >= 0) lies in the
    rectangle ``size`` (x, y) [m] centred on the origin with corners of ``radius`` [m]."""
    qx, qy = x - (size[0] / 2 - radius), y - (size[1] / 2 - radius)
    if qx <= 0 or qy <= 0:
        return x + margin <= size[0] / 2 and y + margin <= size[1] / 2
    return math.hypot(qx, qy) + margin <= radius


def _check_corners(g: GeometrySpec) -> None:
    """With rounded corners (``corner_radius_mm``): the die's corners clear the cavity's,
    the openings lie on the straight part of their walls, and the terminals under the
    dielectric's rounded corners (the builder places them as for square corners)."""
    r = g.corner_radius
    if r <= 0:
        return
    hx, hy = g.die[0] / 2, g.die[1] / 2
    # a die corner 1 um from the arc failed to mesh, 5 um did not
    if not inside_rounded(hx, hy, CORNER_CLEARANCE_M, g.cavity, r):
        raise InputError(
            "geometry.die.size_mm",
            [_mm(g.die[0]), _mm(g.die[1])],
            f"a die whose corners stay {_mm(CORNER_CLEARANCE_M)} mm clear of the cavity's "
            f"rounded corners (corner_radius_mm = {_mm(r)} in a {_mm(g.cavity[0])} x "
            f"{_mm(g.cavity[1])} mm cavity): its corner ({_mm(hx)}, {_mm(hy)}) mm does not",
        )
    for side, o in g.openings.items():
        if o.closed:
            continue
        L = g.cavity[0] if side in ("ymin", "ymax") else g.cavity[1]
        # the outermost opening's far edge, from the wall's centre (openings.add_openings),
        # and the straight wall it leaves before the arc: as between openings
        # (_check_openings); an edge 10 um from the arc failed to mesh, 30 um did not
        reach = L / 2 - L / (2 * o.count) + o.width / 2
        margin = max(g.shell_thickness, CORNER_CLEARANCE_M)
        if reach + margin > L / 2 - r + 1e-12:
            raise InputError(
                "geometry.corner_radius_mm",
                _mm(r),
                f"at most {_mm(L / 2 - reach - margin)} mm with the openings of side {side} "
                f"({o.count} of width {_mm(o.width)} mm, {o.key}): the outermost reaches "
                f"{_mm(reach)} mm from the centre of the {_mm(L)} mm wall, and "
                f"{_mm(margin)} mm of straight wall must remain before the rounded corner; "
                "or fewer or narrower openings",
            )
    term = g.terminals
    if term.kind != "none" and g.panel is None:
        x, y = (term.cols - 1) * term.pitch / 2, (term.rows - 1) * term.pitch / 2
        outer_r = r + g.shell_thickness  # the dielectric's corners, under the shell's
        if not inside_rounded(x, y, term.diameter / 2, g.outer, outer_r):
            raise InputError(
                "geometry.terminals",
                f"{term.rows} x {term.cols} at {_mm(term.pitch)} mm",
                f"an array within the dielectric's rounded corners (radius {_mm(outer_r)} mm "
                f"on {_mm(g.outer[0])} x {_mm(g.outer[1])} mm): the corner terminal at "
                f"({_mm(x)}, {_mm(y)}) mm reaches beyond it; a smaller geometry.corner_radius_mm "
                "or fewer rows and columns",
            )


def _check_board(g: GeometrySpec) -> None:
    term = g.terminals
    if g.board is not None:
        bx, by = g.board.size
        ox, oy = g.outer
        ext = 2 * g.exterior_thickness
        if bx < ox + ext or by < oy + ext:
            raise InputError(
                "geometry.board.size_mm",
                [_mm(bx), _mm(by)],
                "a board larger than the package footprint",
            )
        if g.board.rim_bond and term.kind == "none":
            raise InputError("geometry.board.rim_bond", True, "terminals that set the stand-off")
        if g.board.rim_bond:
            _check_rim_bond(g)


def _check_rim_bond(g: GeometrySpec) -> None:
    """The rim bond ring (centred on the side walls, :func:`fea.package.geometry.board.
    add_board`) has an inside and lies on the board; the terminals stay inside it and
    under the dielectric, which spans only the cavity once the walls reach z = 0."""
    assert g.board is not None
    t = g.shell_thickness
    w = max(g.board.rim_bond_width, t)
    key = "geometry.board.rim_bond_width_mm"
    inner = (g.cavity[0] + t - w, g.cavity[1] + t - w)
    outer = (g.cavity[0] + t + w, g.cavity[1] + t + w)
    if min(inner) < MIN_FEATURE_M:
        raise InputError(
            key,
            _mm(g.board.rim_bond_width),
            f"less than the cavity's shorter side plus the shell ({_mm(min(g.cavity) + t)} "
            "mm): the ring is centred on the side walls and needs an inside",
        )
    bx, by = g.board.size
    if outer[0] > bx or outer[1] > by:
        raise InputError(
            key,
            _mm(g.board.rim_bond_width),
            f"a ring on the board ({_mm(bx)} x {_mm(by)} mm): its outer edge spans "
            f"{_mm(outer[0])} x {_mm(outer[1])} mm",
        )
    term = g.terminals
    ex = (term.cols - 1) * term.pitch / 2 + term.diameter / 2
    ey = (term.rows - 1) * term.pitch / 2 + term.diameter / 2
    # with the rim bond the walls continue down to z = 0: the dielectric, and the
    # terminals under it, span only the cavity
    if ex > g.cavity[0] / 2 or ey > g.cavity[1] / 2:
        raise InputError(
            "geometry.terminals",
            f"{term.rows} x {term.cols} at {_mm(term.pitch)} mm",
            f"an array within the cavity ({_mm(g.cavity[0])} x {_mm(g.cavity[1])} mm): with "
            f"geometry.board.rim_bond the side walls reach z = 0; this one spans "
            f"{_mm(2 * ex)} x {_mm(2 * ey)} mm",
        )
    if ex > inner[0] / 2 or ey > inner[1] / 2:
        most = min(g.cavity[0] + t - 2 * ex, g.cavity[1] + t - 2 * ey)
        raise InputError(
            key,
            _mm(g.board.rim_bond_width),
            f"at most {_mm(most)} mm: the ring, centred on the side walls, must clear the "
            f"terminals ({term.rows} x {term.cols} spanning {_mm(2 * ex)} x {_mm(2 * ey)} mm)",
        )


def _check_panel(g: GeometrySpec) -> None:
    if g.panel is not None:
        p = g.panel
        ox, oy = g.outer
        lane = p.pitch - max(ox, oy)
        if lane <= 2 * g.exterior_thickness + p.kerf:
            raise InputError(
                "geometry.panel.pitch_mm",
                _mm(p.pitch),
                f"a pitch larger than the unit ({max(ox, oy) * 1e3:g} mm) plus twice the "
                "exterior encapsulant and the kerf "
                f"({(2 * g.exterior_thickness + p.kerf) * 1e3:g} mm)",
            )
        if p.recess_depth >= g.cavity_depth:
            raise InputError(
                "geometry.panel.recess_depth_mm",
                _mm(p.recess_depth),
                "a recess shallower than the cavity depth",
            )
        if p.pathways and (p.nx > 1 or p.ny > 1):
            # the dams' pathways are geometry.openings.xmin's (a slot of the default size
            # for closed walls) from z0 above the dielectric up to at most the web, whose
            # underside is cavity_depth - recess_depth above the dielectric
            o = g.openings["xmin"].dam_pathway()
            room = g.cavity_depth - p.recess_depth
            if o.kind != "pillars" and o.z0 + MIN_FEATURE_M > room:  # pillars: from 0
                raise InputError(
                    "geometry.panel.recess_depth_mm",
                    _mm(p.recess_depth),
                    f"at most {_mm(g.cavity_depth - o.z0 - MIN_FEATURE_M)} mm: the dams' "
                    f"pathways start {_mm(o.z0)} mm above the dielectric (the openings' "
                    f"z0_mm of side xmin), above the web's underside {_mm(room)} mm above "
                    "it (cavity_depth_mm - recess_depth_mm); or pathways = false",
                )
        # the cans' own openings open onto the lane encapsulant under the web: a slot or
        # hole reaching above the web's underside opened onto the web and the mandrel (or
        # the air), and the can's encapsulant was cut off from the lanes, silently
        room = g.cavity_depth - p.recess_depth
        for side, o in g.openings.items():
            if o.closed or o.kind == "pillars":  # a pillars' gap reaches the cavity floor
                continue
            top = o.z0 + (o.width if o.kind == "holes" else o.height)
            if top > room + 1e-12:
                raise InputError(
                    "geometry.panel.recess_depth_mm",
                    _mm(p.recess_depth),
                    f"at most {_mm(g.cavity_depth - top)} mm: the openings of side {side} "
                    f"({o.key}) reach {_mm(top)} mm above the dielectric, above the web's "
                    f"underside {_mm(room)} mm above it (cavity_depth_mm - recess_depth_mm), "
                    "where they open onto the web instead of the lane encapsulant; or "
                    "lower or smaller openings",
                )


def _check_thin(g: GeometrySpec) -> None:
    """Every layer, gap and feature of the built-in geometry at least
    :data:`MIN_FEATURE_M` (thinner ones are below what the mesher resolves)."""
    um, mm = 1e6, 1e3
    # (key, the key's value in its unit, what is thin, its size [m])
    items: list[tuple[str, object, str, float]] = [
        ("geometry.shell_thickness_um", g.shell_thickness * um, "the shell", g.shell_thickness),
        (
            "geometry.dielectric_thickness_um",
            g.dielectric_thickness * um,
            "the dielectric",
            g.dielectric_thickness,
        ),
        ("geometry.die.thickness_mm", g.die[2] * mm, "the die", g.die[2]),
    ]
    if g.die_attach_thickness > 0:
        t = g.die_attach_thickness
        items.append(("geometry.die_attach.thickness_um", t * um, "the die attach", t))
    if g.exterior_thickness > 0:
        e = g.exterior_thickness
        items.append(("geometry.exterior_thickness_mm", e * mm, "the exterior encapsulant", e))
    if g.corner_radius > 0:
        r = g.corner_radius
        items.append(("geometry.corner_radius_mm", r * mm, "the corner radius", r))
    gap = min(g.cavity[0] - g.die[0], g.cavity[1] - g.die[1]) / 2
    die_xy = [g.die[0] * mm, g.die[1] * mm]
    items.append(("geometry.die.size_mm", die_xy, "the gap between the die and the walls", gap))
    over = g.cavity_depth - g.die[2] - g.die_attach_thickness
    items.append(("geometry.die.thickness_mm", g.die[2] * mm, "the gap above the die", over))
    for side, o in g.openings.items():
        if o.closed:
            continue
        what = f"the openings of side {side}"
        items.append((f"{o.key}.width_mm", o.width * mm, what, o.width))
        if o.kind == "slots":
            items.append((f"{o.key}.height_mm", o.height * mm, what, o.height))
        if o.kind != "pillars":
            if o.z0 > 0:
                items.append((f"{o.key}.z0_mm", o.z0 * mm, f"the wall below {what}", o.z0))
            top = g.cavity_depth - o.z0 - (o.width if o.kind == "holes" else o.height)
            items.append((f"{o.key}.z0_mm", o.z0 * mm, f"the wall above {what}", top))
    term = g.terminals
    if term.kind != "none" and g.panel is None:
        k = "geometry.terminals"
        items.append((f"{k}.diameter_mm", term.diameter * mm, "the terminals", term.diameter))
        pitch = term.pitch
        items.append(
            (f"{k}.pitch_mm", pitch * mm, "the gap between terminals", pitch - term.diameter)
        )
        if term.kind == "balls":
            items.append((f"{k}.standoff_mm", term.standoff * mm, "the stand-off", term.standoff))
        else:
            t = term.pad_thickness
            items.append((f"{k}.pad_thickness_mm", t * mm, "the pads", t))
    b = g.board
    if b is not None:
        items.append(("geometry.board.thickness_mm", b.thickness * mm, "the board", b.thickness))
        if b.rim_bond:
            w = b.rim_bond_width
            items.append(("geometry.board.rim_bond_width_mm", w * mm, "the rim bond", w))
    v = g.vias
    if v is not None:
        what = "the dielectric's pads and vias"
        items += [
            ("geometry.vias.pad_thickness_um", v.pad_thickness * um, what, v.pad_thickness),
            ("geometry.vias.pad_diameter_mm", v.pad_diameter * mm, what, v.pad_diameter),
            ("geometry.vias.via_diameter_mm", v.via_diameter * mm, what, v.via_diameter),
        ]
    p = g.panel
    if p is not None:
        for name, size in (
            ("margin", p.margin),
            ("kerf", p.kerf),
            ("recess_depth", p.recess_depth),
            ("mandrel_thickness", p.mandrel_thickness),
            ("cover_thickness", p.cover_thickness),
        ):
            items.append((f"geometry.panel.{name}_mm", size * mm, f"the panel's {name}", size))
    for key, value, what, size in items:
        if size < MIN_FEATURE_M:
            raise InputError(
                key,
                _shown(value),
                f"{what} at least {MIN_FEATURE_M * 1e6:g} um (it is {size * 1e6:.3g} um): "
                "thinner layers and gaps are below what the mesher resolves",
            )


def _shown(value: object) -> object:
    """A value in its key's unit as shown (``:g``), a list item by item."""
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return float(f"{value:g}") if isinstance(value, float) else value


def _check_aperture(g: GeometrySpec) -> None:
    if g.aperture_rule == "error":
        a = g.aperture()
        if a["ratio"] >= 1.0:
            raise InputError(
                "geometry.openings",
                f"L = {a['L'] * 1e3:g} mm",
                f"openings below half the wavelength ({a['wavelength'] / 2 * 1e3:g} mm "
                f"at {g.frequency / 1e9:g} GHz)",
            )


def cross_checks(
    kind: str, g: GeometrySpec, loads: LoadSpec, moisture: MoistureSpec | None = None
) -> None:
    """Load names against the regions and boundaries the case's model will have
    (:func:`~fea.package.spec.schema.model_regions`, :func:`model_boundaries`), before any
    meshing: a power on a region the model lacks, a convection or fixed temperature on a
    boundary it lacks, or a stress-free temperature of no package region; with
    ``moisture``, its names too (:func:`check_moisture`)."""
    from ..names import PACKAGE_REGIONS
    from .geometry import is_imported, junction_region
    from .schema import model_boundaries, model_regions

    regions = model_regions(kind, g)
    faces = model_boundaries(kind, g)
    interfaces = {f"{a}|{b}" for a in regions for b in regions if a < b}

    own = is_imported(g)

    def region(key: str, r: str, value: float) -> None:
        if r not in regions:
            default = (
                " (loads.power_W defaults to {die = 1.5}: give the power of this model's regions)"
                if own and r == "die"
                else ""
            )
            raise InputError(
                key,
                value,
                f"a region of this {kind} model: {', '.join(regions)}{hint(r, regions)}" + default,
            )

    def boundary(key: str, b: str, value: float) -> None:
        if b not in faces and b not in interfaces:
            raise InputError(
                key,
                value,
                f"a boundary of this {kind} model: {', '.join(faces)} or an interface "
                f"'a|b' of two of its regions{hint(b, faces)}",
            )

    for r, P in loads.power.items():
        region(f"loads.power_W.{r}", r, P)
    for b, h in loads.h_boundaries.items():
        boundary(f"loads.h_boundaries.{b}", b, h)
    for b, T in loads.fixed.items():
        boundary(f"loads.fixed_C.{b}", b, T)
    known = set(PACKAGE_REGIONS) | set(regions) | {"*"}
    for r in loads.reference:
        if r not in known:
            raise InputError(
                f"loads.reference_C.{r}",
                loads.reference[r],
                f"a region name or '*'{hint(r, known)}",
            )
    junction = junction_region(g)
    if junction != "die":
        # the die's active face (power map, face power) is the interface of the region
        # named die with die_attach or dielectric
        if loads.power_map is not None:
            raise InputError(
                "loads.power_map",
                "[loads.power_map]",
                f"a model whose junction region is named die (this one's is {junction}): "
                "the map lies on the die's active face die|die_attach or die|dielectric",
            )
        if loads.die_power == "active_face":
            raise InputError(
                "loads.die_power",
                loads.die_power,
                f"'auto' or 'volume' for a model whose junction region is not named die "
                f"({junction}): the active face is the die's face die|die_attach or die|dielectric",
            )
    if kind == "panel" and not loads.warpage_temperatures:
        raise InputError(
            "loads.warpage_temperatures_C", [], "at least one temperature for a panel study"
        )
    check_power_map(g, loads)
    if moisture is not None:
        check_moisture(kind, g, moisture)


def check_reference(case: CaseSpec) -> None:
    """A unit's warpage states (``loads.warpage_temperatures_C``, ``reflow_C``, a moisture
    run; not a ``[process]`` history, whose regions are born stress free) need a
    stress-free temperature for every region of the warpage model (the unit without its
    board): ``loads.reference_C`` with ``"*"``, or naming each. A table without them (a
    sweep of ``loads.reference_C.<region>`` in a study that leaves the key to its default
    makes ``{ <region> = value }`` alone) is an :class:`~fea.errors.InputError` naming
    ``loads.reference_C``, before any meshing (the solve refused it after the heat)."""
    from .geometry import without_board
    from .schema import model_regions

    loads = case.loads
    history = case.process is not None and case.process.model == "history"
    mechanics = loads.warpage_temperatures or loads.reflow or case.moisture is not None
    if case.kind != "unit" or history or not mechanics or "*" in loads.reference:
        return
    regions = model_regions(case.kind, without_board(case.geometry))
    missing = [r for r in regions if r not in loads.reference]
    if missing:
        raise InputError(
            "loads.reference_C",
            dict(loads.reference),
            f"a stress-free temperature for every region of the warpage model: '*' for "
            f"the rest, or {', '.join(missing)} too (the default table is "
            '{ encapsulant = 175, "*" = 25 }; a sweep of one region\'s entry replaces it '
            "when the study does not give the key)",
        )


def check_moisture(kind: str, g: GeometrySpec, moisture: MoistureSpec) -> None:
    """The ``[moisture]`` names against the model the moisture run meshes, the unit
    without its board (:func:`fea.package.analyse.warpage_case`), before any meshing:
    an ``exposed`` boundary it lacks (an interface ``a|b`` of two package regions is let
    through), and a ``[moisture.materials]`` region that is neither its own nor a package
    region (:meth:`~fea.package.spec.moisture.MoistureSpec.region_materials`, which a
    sweep's case may add).

    :func:`fea.package.spec.parse_study` passes the section through :func:`cross_checks`.."""

    from ..names import PACKAGE_REGIONS
    from .geometry import without_board
    from .schema import model_boundaries, model_regions

    bare = without_board(g)
    regions = model_regions(kind, bare)
    faces = model_boundaries(kind, bare)
    known = set(regions) | set(PACKAGE_REGIONS)
    for b in moisture.exposed:
        a, bar, c = b.partition("|")
        if b not in faces and not (bar and a in known and c in known and a < c):
            raise InputError(
                "moisture.exposed",
                b,
                f"a boundary of this model without its board: {', '.join(faces)} or an "
                f"interface 'a|b' of two of its regions{hint(b, faces)}",
            )
    for r in moisture.materials:
        if r not in known:
            raise InputError(
                f"moisture.materials.{r}",
                r,
                f"a region of the model: {', '.join(regions)}{hint(r, regions)}",
            )


def check_power_map(g: GeometrySpec, loads: LoadSpec) -> None:
    """Every rectangle of a power map lies on the die's active face (package x, y)."""
    pm = loads.power_map
    if pm is None:
        return
    hx, hy = g.die[0] / 2, g.die[1] / 2
    tol = 1e-9
    for i, (x0, x1, y0, y1, _) in enumerate(pm.rectangles):
        if x0 < -hx - tol or x1 > hx + tol or y0 < -hy - tol or y1 > hy + tol:
            raise InputError(
                f"loads.power_map.rectangles[{i}]",
                {"x_mm": [_mm(x0), _mm(x1)], "y_mm": [_mm(y0), _mm(y1)]},
                f"a rectangle on the die ({-hx * 1e3:g} to {hx * 1e3:g} mm in x, "
                f"{-hy * 1e3:g} to {hy * 1e3:g} mm in y)",
            )


def check_contacts(kind: str, g: GeometrySpec, contacts: dict[str, float]) -> None:
    """The ``[contacts]`` interfaces against the regions the case's model will have
    (:func:`~fea.package.spec.geometry.model_regions`: the thermal model, a unit with its
    board), before any meshing: each ``a|b`` names two of them. Whether the two regions
    touch (the mesh has the interface) is known only from the mesh: the solve checks it
    (``contacts.<a|b>``, :func:`fea.fe.interfaces.interface_regions`)."""
    from .geometry import model_regions

    regions = model_regions(kind, g)
    pairs = [f"{a}|{b}" for a in regions for b in regions if a < b]
    for name in contacts:
        parts = str(name).split("|")
        if len(parts) != 2 or not all(p in regions for p in parts):
            raise InputError(
                f"contacts.{name}",
                name,
                f"an interface 'a|b' of two regions of this {kind} model: "
                f"{', '.join(regions)}{hint(name, pairs)}",
            )


def ctm_junction(case: CaseSpec) -> str:
    """The region whose temperature is the compact models' Tj: ``[ctm.junction] region``
    (an imported model's junction role, ``[geometry.roles] junction``, when the key is
    left at its default), checked against the regions of the package alone
    (:func:`~fea.package.spec.geometry.model_regions` without the board: the compact
    models' mesh, :func:`fea.package.ctm.ctm_mesh`), before any meshing."""
    from .ctm import CtmSpec
    from .geometry import is_imported, junction_region, model_regions, without_board

    spec = case.ctm or CtmSpec()
    junction = spec.junction
    if is_imported(case.geometry) and junction == CtmSpec.junction:
        # the default region of an imported model is its junction role, as Tj's
        junction = junction_region(case.geometry)
    regions = model_regions(case.kind, without_board(case.geometry))
    if junction not in regions:
        raise InputError("ctm.junction.region", junction, f"a region: {', '.join(regions)}")
    return junction


def check_imported_symmetry(symmetry: str) -> None:
    """A model read from a file is not cut by symmetry planes: ``symmetry`` (``[mesh]
    symmetry``) ``"none"``, else an :class:`~fea.errors.InputError`."""
    if symmetry != "none":
        raise InputError(
            "mesh.symmetry", symmetry, "'none' for a model read from a file (cut it in the file)"
        )


def check_mesh_symmetry(case: CaseSpec) -> None:
    """A unit's ``[mesh] symmetry`` against its warpage model (the unit without its board,
    the model the mechanics cut): the geometry and power map symmetric about each plane
    (:func:`fea.package.geometry.symmetry.check_symmetry`, naming the key that breaks
    it), before any meshing; a model read from a file not cut at all
    (:func:`check_imported_symmetry`)."""
    from .geometry import is_imported, without_board

    if is_imported(case.geometry):
        check_imported_symmetry(case.mesh.symmetry)
        return
    if case.kind != "unit" or case.mesh.symmetry == "none":
        return
    from ..geometry.symmetry import check_symmetry

    check_symmetry(
        dataclasses.replace(case, geometry=without_board(case.geometry)), case.mesh.symmetry
    )


def cycling_symmetry(case: CaseSpec) -> str:
    """The symmetry model of a cycling case: ``[cycling] symmetry``, or ``[mesh]
    symmetry`` where the mesh section has one (the two must agree when both are set)."""
    cy = case.cycling
    c = cy.symmetry if cy is not None else "none"
    m = case.mesh.symmetry
    if c != "none" and m != "none" and c != m:
        raise InputError("cycling.symmetry", c, f"the [mesh] symmetry {m!r} (or 'none')")
    return c if c != "none" else m


def _as_given(si: float, scale: float) -> float:
    """An SI value back in the spec's unit as the user wrote it (``400.0``, not the
    ``399.99999999999994`` of m -> um), for an error's value."""
    return float(f"{si * scale:.12g}")


def board_model_case(case: CaseSpec) -> CaseSpec:
    """The unit on its board for mechanics (the ``[cycling]`` model): the board cut to
    ``[cycling] board_size_mm`` when given, the film refinement of the heat path dropped
    (``mesh.film_size`` = the mesh size unless set).

    Raises
    ------
    fea.errors.InputError
        No ``[cycling]``; no board or terminals; ``cycling.layer_um`` not under half the
        joints' height; ``cycling.pad_diameter_mm`` wider than the terminal pitch;
        ``cycling.board_size_mm`` larger than the ``[geometry.board]`` or smaller than the
        package footprint (not square on an eighth model); ``cycling.symmetry`` not the
        ``[mesh] symmetry`` (:func:`cycling_symmetry`).
    """
    g = case.geometry
    cy = case.cycling
    if cy is None:
        raise InputError("cycling", None, "a [cycling] section")
    if g.board is None or g.terminals.kind == "none":
        raise InputError(
            "cycling",
            "[cycling]",
            "a unit on a board ([geometry.board]) with terminals ([geometry.terminals])",
        )
    h = g.terminals.height
    if cy.layer >= 0.5 * h:
        raise InputError(
            "cycling.layer_um",
            _as_given(cy.layer, 1e6),
            f"less than half the joints' height ({h * 1e6:g} um), so under {0.5 * h * 1e6:g} "
            "um: Darveaux's layer at one pad",
        )
    pad = cy.fatigue.pad_diameter_m
    if pad is not None and g.terminals.rows * g.terminals.cols > 1 and pad > g.terminals.pitch:
        raise InputError(
            "cycling.pad_diameter_mm",
            _as_given(pad, 1e3),
            f"at most the terminal pitch ({g.terminals.pitch * 1e3:g} mm): Darveaux's crack "
            "length, the pad's diameter",
        )
    if cy.board_size is not None:
        ox, oy = g.outer
        sx, sy = g.board.size
        if cy.board_size[0] > sx * (1 + 1e-9) or cy.board_size[1] > sy * (1 + 1e-9):
            raise InputError(
                "cycling.board_size_mm",
                [_as_given(x, 1e3) for x in cy.board_size],
                f"a coupon cut from the [geometry.board] ({sx * 1e3:g} x {sy * 1e3:g} mm): "
                "at most its size",
            )
        bx, by = cy.board_size
        if bx < ox + 2 * g.exterior_thickness or by < oy + 2 * g.exterior_thickness:
            raise InputError(
                "cycling.board_size_mm",
                [_as_given(bx, 1e3), _as_given(by, 1e3)],
                f"a board larger than the package footprint "
                f"({(ox + 2 * g.exterior_thickness) * 1e3:g} mm)",
            )
        if cycling_symmetry(case) == "eighth" and not math.isclose(bx, by, rel_tol=1e-9):
            raise InputError(
                "cycling.board_size_mm",
                [_as_given(bx, 1e3), _as_given(by, 1e3)],
                "a square board coupon on an eighth model (symmetry 'eighth': the model "
                "needs the plane x = y as a symmetry plane)",
            )
        g = dataclasses.replace(g, board=dataclasses.replace(g.board, size=cy.board_size))
    ms = case.mesh
    if ms.film_size is None:
        ms = dataclasses.replace(ms, film_size=ms.size)
    return dataclasses.replace(case, geometry=g, mesh=ms)


def check_cycling(case: CaseSpec) -> tuple[CaseSpec, str]:
    """A ``[cycling]`` case against its model, before any meshing: the unit on its board
    (:func:`board_model_case`'s checks) symmetric about the planes of its symmetry model
    (:func:`cycling_symmetry`; :func:`fea.package.geometry.symmetry.check_symmetry`,
    naming ``cycling.symmetry`` when ``[cycling]`` asks for the cut, else
    ``mesh.symmetry``). Returns the board-mounted case and its symmetry model."""
    from ..geometry.symmetry import check_symmetry

    cy = case.cycling
    sym = cycling_symmetry(case)
    board = board_model_case(case)
    key = "cycling.symmetry" if cy is not None and cy.symmetry != "none" else "mesh.symmetry"
    check_symmetry(board, sym, key=key)
    return board, sym


def _mm(x: float) -> float:
    """``x`` [m] in mm as shown (``:g``): 0.9e-3 m is 0.9 mm, not 0.9000000000000001."""
    return float(f"{x * 1e3:g}")
