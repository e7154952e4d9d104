"""Checks across keys and sections: does the geometry fit together, do the loads name
regions that exist. Each failure is an :class:`~fea.errors.InputError`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import InputError
from .reader import hint

if TYPE_CHECKING:
    from .moisture import MoistureSpec
    from .schema import GeometrySpec, LoadSpec

__all__ = ["check_geometry", "check_moisture", "check_power_map", "cross_checks"]


def check_geometry(g: GeometrySpec) -> None:
    """Does the geometry fit together: the shell and the die in the cavity, the openings
    in their walls, the terminal array under the dielectric, the board and the panel
    around the unit, and the aperture rule. The first misfit is an
    :class:`~fea.errors.InputError` naming its key."""
    _check_shell_and_die(g)
    _check_openings(g)
    _check_terminals(g)
    _check_board(g)
    _check_panel(g)
    _check_aperture(g)


def _check_shell_and_die(g: GeometrySpec) -> None:
    t = g.shell_thickness
    if t > 0.2 * min(g.cavity):
        raise InputError(
            "geometry.shell_thickness_mm", t * 1e3, "a wall thinner than 1/5 of the cavity"
        )
    if g.corner_radius > 0.25 * min(g.cavity):
        raise InputError(
            "geometry.corner_radius_mm",
            g.corner_radius * 1e3,
            f"at most a quarter of the cavity side ({0.25e3 * min(g.cavity):g} mm)",
        )
    if g.die[0] >= g.cavity[0] or g.die[1] >= g.cavity[1]:
        raise InputError(
            "geometry.die.size_mm",
            [g.die[0] * 1e3, g.die[1] * 1e3],
            f"a die smaller than the cavity {g.cavity[0] * 1e3:g} x {g.cavity[1] * 1e3:g} mm",
        )
    stack = g.die[2] + g.die_attach_thickness
    if stack >= g.cavity_depth:
        raise InputError(
            "geometry.die.thickness_mm",
            g.die[2] * 1e3,
            f"die + attach ({stack * 1e3:g} mm) thinner than the cavity depth "
            f"{g.cavity_depth * 1e3:g} mm",
        )


def _check_openings(g: GeometrySpec) -> None:
    t = g.shell_thickness
    for side, o in g.openings.items():
        key = o.key
        L = g.cavity[0] if side in ("ymin", "ymax") else g.cavity[1]
        if o.kind == "none" or o.count == 0:
            continue
        if o.count * o.width + (o.count + 1) * max(t, 0.02e-3) > L:
            raise InputError(
                f"{key}.width_mm",
                o.width * 1e3,
                f"{o.count} openings of this width do not fit in the "
                f"{L * 1e3:g} mm wall on side {side} (total must stay below the wall length)",
            )
        if o.kind == "pillars":
            continue
        h = o.width if o.kind == "holes" else o.height
        if o.z0 + h > g.cavity_depth - 1e-9:
            raise InputError(
                f"{key}.height_mm",
                h * 1e3,
                f"an opening within the {g.cavity_depth * 1e3:g} mm wall height on "
                f"side {side} (z0 + height = {(o.z0 + h) * 1e3:g} mm)",
            )


def _check_terminals(g: GeometrySpec) -> None:
    term = g.terminals
    if term.kind != "none":
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
                term.pitch * 1e3,
                f"a pitch larger than the terminal diameter {term.diameter * 1e3:g} mm",
            )
        if term.kind == "balls" and term.standoff >= term.diameter:
            raise InputError(
                "geometry.terminals.standoff_mm",
                term.standoff * 1e3,
                f"a stand-off below the ball diameter {term.diameter * 1e3:g} mm",
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
                [bx * 1e3, by * 1e3],
                "a board larger than the package footprint",
            )
        if g.board.rim_bond and term.kind == "none":
            raise InputError("geometry.board.rim_bond", True, "terminals that set the stand-off")


def _check_panel(g: GeometrySpec) -> None:
    if g.panel is not None:
        p = g.panel
        ox, oy = g.outer
        lane = p.pitch - max(ox, oy)
        if lane <= 2 * g.exterior_thickness + p.kerf:
            raise InputError(
                "geometry.panel.pitch_mm",
                p.pitch * 1e3,
                f"a pitch larger than the unit ({max(ox, oy) * 1e3:g} mm) plus twice the "
                "exterior encapsulant and the kerf "
                f"({(2 * g.exterior_thickness + p.kerf) * 1e3:g} mm)",
            )
        if p.recess_depth >= g.cavity_depth:
            raise InputError(
                "geometry.panel.recess_depth_mm",
                p.recess_depth * 1e3,
                "a recess shallower than the cavity depth",
            )


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


def check_moisture(kind: str, g: GeometrySpec, moisture: MoistureSpec) -> None:
    """The ``[moisture]`` names against the model the moisture run meshes, the unit
    without its board (:func:`fea.package.analyse.warpage_case`), before any meshing:
    an ``exposed`` boundary it lacks (an interface ``a|b`` of two package regions is let
    through), and a ``[moisture.materials]`` region that is neither its own nor a package
    region (:meth:`~fea.package.spec.moisture.MoistureSpec.region_materials`, which a
    sweep's case may add).

    :func:`fea.package.spec.parse_study` passes the section through :func:`cross_checks`.."""
    import dataclasses

    from ..names import PACKAGE_REGIONS
    from .geometry import is_imported
    from .schema import model_boundaries, model_regions

    bare = dataclasses.replace(g, board=None)
    if is_imported(bare):
        bare = dataclasses.replace(bare, keep_board=False)
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


def _mm(x: float) -> float:
    """``x`` [m] in mm as shown (``:g``): 0.9e-3 m is 0.9 mm, not 0.9000000000000001."""
    return float(f"{x * 1e3:g}")
