"""One shielded package (a *unit*): shell, dielectric, die, attach, encapsulant, terminals.

Coordinates (DESIGN.md section 1): z = 0 is the dielectric's outer face, the shell's
bottom wall is at the top, the package is centred on (cx, cy).

Thin layers (shell walls, dielectric, die attach) are built as
``layers_through_thickness`` nested sub-layers of the same region, so the mesh has
at least that many elements through each of them without refining in-plane.
"""

from __future__ import annotations

import math

from ..spec import SIDES, GeometrySpec
from ..spec.ctm import CTM_INNER_SCALE
from .openings import add_openings, opening_volume
from .pieces import Builder, ModelInfo, is_plane

__all__ = ["add_unit", "build_ctm", "ctm_squares", "unit_volumes"]


def add_unit(
    b: Builder,
    g: GeometrySpec,
    layers: int,
    cx: float = 0.0,
    cy: float = 0.0,
    *,
    exterior: bool = True,
    terminals: bool = True,
    dielectric: bool = True,
    rim_to_zero: bool = False,
) -> None:
    """Add the solids of one package centred on (cx, cy) [m] to the builder.

    Parameters
    ----------
    layers
        Sub-layers through each thin layer (>= 1).
    exterior
        Add the exterior encapsulant ring (width ``g.exterior_thickness``).
    terminals
        Add the terminal array below z = 0.
    dielectric
        Add the dielectric layer (a panel adds one continuous sheet instead).
    rim_to_zero
        Side walls reach z = 0 (through the dielectric level), for a rim bonded to a
        board; the dielectric then spans only the cavity.

    The openings come right after the cavity in the fragment's order; more than
    :data:`LATE_OPENINGS_MIN` of them are created after the terminals (faster, the same
    model: :func:`late_openings`).
    """
    Cx, Cy = g.cavity
    t = g.shell_thickness
    r = g.corner_radius
    z_floor, z_ceiling = g.z_cavity
    z_top = g.z_top
    td = g.dielectric_thickness
    # shell: nested prisms, each a sub-layer of the side walls and the bottom wall
    for k in range(1, layers + 1):
        d = t * k / layers
        b.prism(
            "shell",
            cx,
            cy,
            Cx + 2 * d,
            Cy + 2 * d,
            z_floor,
            z_ceiling + d,
            radius=(r + d) if r > 0 else 0.0,
        )
        if rim_to_zero:  # the walls continue down through the dielectric level
            d0 = t * (k - 1) / layers
            b.ring(
                "shell",
                cx,
                cy,
                (Cx + 2 * d, Cy + 2 * d),
                (Cx + 2 * d0, Cy + 2 * d0),
                0.0,
                z_floor,
                radius=(r + d) if r > 0 else 0.0,
            )
    b.prism("cavity", cx, cy, Cx, Cy, z_floor, z_ceiling, radius=r)
    late = terminals and late_openings(g)
    b.trim = late  # pieces the symmetry cut would drop are not built (Builder.trim)
    at = b.mark()
    if not late:
        _add_all_openings(b, g, cx, cy)
    # die on its attach layer, centred
    dx, dy, dt = g.die
    ta = g.die_attach_thickness
    if ta > 0:
        for k in range(1, layers + 1):
            b.prism("die_attach", cx, cy, dx, dy, z_floor, z_floor + ta * k / layers)
    b.prism("die", cx, cy, dx, dy, z_floor + ta, z_floor + ta + dt)
    # dielectric: across the open end and under the rim (or between the walls only)
    if dielectric:
        ax, ay = (Cx, Cy) if rim_to_zero else g.outer
        rr = r if rim_to_zero else ((r + t) if r > 0 else 0.0)
        for k in range(1, layers + 1):
            b.prism("dielectric", cx, cy, ax, ay, 0.0, td * k / layers, radius=rr)
    if dielectric and terminals and g.vias is not None:
        add_vias(b, g, cx, cy)
    if exterior and g.exterior_thickness > 0:
        e = g.exterior_thickness
        ox, oy = g.outer
        b.prism("encapsulant", cx, cy, ox + 2 * e, oy + 2 * e, 0.0, z_top)
    if terminals:
        add_terminals(b, g, cx, cy)
    if late:  # created after the terminals' booleans, placed where they always were
        start = b.mark()
        _add_all_openings(b, g, cx, cy)
        b.move_since(start, at)


#: More openings than this (all walls together) are created after the terminals
#: (:func:`late_openings`), and a symmetry cut skips what it would drop or leave as it is
#: (:attr:`~fea.package.geometry.pieces.Builder.trim`). Each OCC boolean of a terminal
#: (a sphere cut to the standoff) costs time in proportion to the entities already in
#: the model, as gmsh checks what it removes against all of them: with 100 openings a
#: wall present, the baseline's 144 terminals took 3 s (holes) to 10-30 s (slots),
#: against under 1 s without them (docs/performance.md, "Many openings per wall"). Up
#: to this count the order is the one the existing meshes were built in: gmsh numbers
#: the fragment's entities from the creation order, so those meshes (and the pinned
#: results on them) stay the same node for node.
LATE_OPENINGS_MIN = 16


def late_openings(g: GeometrySpec) -> bool:
    """True when the openings of ``g`` are created after the terminals (more than
    :data:`LATE_OPENINGS_MIN` openings in all walls)."""
    return sum(o.count for o in g.openings.values() if not o.closed) > LATE_OPENINGS_MIN


def _add_all_openings(b: Builder, g: GeometrySpec, cx: float, cy: float) -> None:
    z_floor, z_ceiling = g.z_cavity
    for side in SIDES:
        add_openings(
            b, side, g.openings[side], cx, cy, g.cavity, g.shell_thickness, z_floor, z_ceiling
        )


def terminal_sites(g: GeometrySpec, cx: float = 0.0, cy: float = 0.0) -> list[tuple[float, float]]:
    """Centres (x, y) [m] of the terminals, row by row."""
    term = g.terminals
    return [
        (
            cx + (j - (term.cols - 1) / 2) * term.pitch,
            cy + (i - (term.rows - 1) / 2) * term.pitch,
        )
        for i in range(term.rows)
        for j in range(term.cols)
    ]


def add_vias(b: Builder, g: GeometrySpec, cx: float, cy: float) -> None:
    """Copper through the dielectric at every terminal, coaxial with it: a pad on each
    face of the dielectric and a filled via between them (cylinders; coaxial with the
    balls' contact circles, so no near-tangent faces)."""
    v = g.vias
    assert v is not None
    td, tp = g.dielectric_thickness, v.pad_thickness
    rp, rv = v.pad_diameter / 2, v.via_diameter / 2
    for x, y in terminal_sites(g, cx, cy):
        b.cylinder("vias", x, y, 0.0, 0, 0, tp, rp)
        b.cylinder("vias", x, y, tp, 0, 0, td - 2 * tp, rv)
        b.cylinder("vias", x, y, td - tp, 0, 0, tp, rp)


def add_terminals(b: Builder, g: GeometrySpec, cx: float, cy: float) -> None:
    """Add the terminal array on the dielectric's outer face (z in [-height, 0])."""
    term = g.terminals
    if term.kind == "none":
        return
    R = term.diameter / 2
    ax = (term.cols - 1) * term.pitch / 2 + term.diameter
    ay = (term.rows - 1) * term.pitch / 2 + term.diameter
    b.refine("terminals", (cx - ax, cy - ay, -term.height), (cx + ax, cy + ay, 0.0), term.diameter)
    for x, y in terminal_sites(g, cx, cy):
        if term.kind == "balls":
            h = term.standoff
            b.truncated_sphere("terminals", x, y, -h / 2, R, -h, 0.0)
        else:
            b.cylinder("terminals", x, y, -term.pad_thickness, 0, 0, term.pad_thickness, R)


def _rounded_area(ax: float, ay: float, r: float) -> float:
    return ax * ay - (4 - math.pi) * r * r


def terminal_volume(g: GeometrySpec) -> float:
    """Closed-form volume of one terminal [m^3]."""
    term = g.terminals
    R = term.diameter / 2
    if term.kind == "balls":
        H = term.standoff  # slab of height H centred on the sphere's centre
        return math.pi * (H * R * R - H**3 / 12)
    if term.kind == "pads":
        return math.pi * R * R * term.pad_thickness
    return 0.0


def unit_volumes(g: GeometrySpec, rim_to_zero: bool = False) -> dict[str, float]:
    """Closed-form region volumes [m^3] of one unit without a board (for verification)."""
    Cx, Cy = g.cavity
    t = g.shell_thickness
    r = g.corner_radius
    ro = (r + t) if r > 0 else 0.0
    ox, oy = g.outer
    td = g.dielectric_thickness
    depth = g.cavity_depth
    h_wall = depth + (td if rim_to_zero else 0.0)
    outer_area = _rounded_area(ox, oy, ro)
    cav_area = _rounded_area(Cx, Cy, r)
    holes = sum(opening_volume(g.openings[s], t, depth) for s in SIDES)
    shell = (outer_area - cav_area) * h_wall + outer_area * t - holes
    dx, dy, dt = g.die
    ta = g.die_attach_thickness
    die = dx * dy * dt
    attach = dx * dy * ta
    diel = (cav_area if rim_to_zero else outer_area) * td
    n_term = g.terminals.rows * g.terminals.cols if g.terminals.kind != "none" else 0
    copper = 0.0
    if g.vias is not None and n_term:
        v = g.vias
        pads = 2 * math.pi / 4 * v.pad_diameter**2 * v.pad_thickness
        copper = n_term * (pads + math.pi / 4 * v.via_diameter**2 * (td - 2 * v.pad_thickness))
        diel -= copper
    cav = cav_area * depth - die - attach
    e = g.exterior_thickness
    ext = ((ox + 2 * e) * (oy + 2 * e) - outer_area) * g.z_top if e > 0 else 0.0
    enc = cav + holes + ext
    out = {"shell": shell, "die": die, "dielectric": diel, "encapsulant": enc}
    if copper:
        out["vias"] = copper
    if ta > 0:
        out["die_attach"] = attach
    if n_term:
        out["terminals"] = n_term * terminal_volume(g)
    return out


# -- the package alone with its surface nodes (compact thermal models) --------------------


def ctm_squares(
    g: GeometrySpec, scale: float = CTM_INNER_SCALE
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Sides (x, y) [m] of the inner squares of the top face and of the bottom face.

    Each is ``scale`` times the die's side, at most 90 % of the cavity's. On the bottom
    face, where terminals are modelled and an edge would cut a terminal (or a via pad),
    that edge moves to the nearest line midway between two terminal rows (or columns),
    or half a pitch outside the array, within the same limit.
    """
    top = tuple(min(scale * d, 0.9 * c) for d, c in zip(g.die[:2], g.cavity, strict=True))
    term = g.terminals
    if term.kind == "none":
        return top, top  # type: ignore[return-value]
    r = term.diameter / 2
    if g.vias is not None:
        r = max(r, g.vias.pad_diameter / 2)
    clear = r + 0.05 * term.pitch
    bottom = []
    for half, n, c in ((top[0] / 2, term.cols, g.cavity[0]), (top[1] / 2, term.rows, g.cavity[1])):
        centres = [abs((j - (n - 1) / 2) * term.pitch) for j in range(n)]
        if all(abs(half - x) > clear for x in centres):
            bottom.append(2 * half)
            continue
        # midlines between terminals, and half a pitch outside the array
        lines = [abs((j + 0.5 - (n - 1) / 2) * term.pitch) for j in range(-1, n)]
        lines = [x for x in lines if 0 < x <= 0.45 * c and all(abs(x - y) > clear for y in centres)]
        bottom.append(2 * min(lines, key=lambda x: abs(x - half)) if lines else 2 * half)
    return top, (bottom[0], bottom[1])  # type: ignore[return-value]


def build_ctm(model, case, scale: float = CTM_INNER_SCALE) -> ModelInfo:
    """Build the package of a unit ``case`` alone (no board) with the boundaries of the
    surface nodes of a compact thermal model (:mod:`fea.physics.ctm`).

    The solids of :func:`add_unit`, plus a shell piece in the outer sub-layer of the
    shell's bottom wall and a dielectric piece in the dielectric's outer sub-layer, both
    centred: they split the top face (the shell's rear face) and the dielectric's outer
    face at the inner squares of :func:`ctm_squares` (same regions: only faces are
    added). Exterior faces are named as by :func:`fea.package.geometry.build` (``top``,
    ``shell_top``, ``bottom``, ``terminal_tips``, ``package_surface``) and

    - ``top_inner`` / ``top_outer``: the top plane inside / outside the top square;
    - ``bottom_inner`` / ``bottom_outer``: the bottom plane (z = 0, not terminals) inside
      / outside the bottom square;
    - ``leads``: every exterior face of the terminals;
    - ``sides``: every other exterior face (the body's side faces).
    """
    g = case.geometry
    layers = case.mesh.layers_through_thickness
    b = Builder(model)
    add_unit(b, g, layers)
    top_sq, bottom_sq = ctm_squares(g, scale)
    z_floor, z_ceiling = g.z_cavity
    z_top = g.z_top
    t = g.shell_thickness
    b.prism("shell", 0.0, 0.0, *top_sq, z_ceiling + t * (layers - 1) / layers, z_top)
    b.prism("dielectric", 0.0, 0.0, *bottom_sq, 0.0, g.dielectric_thickness / layers)
    half = (g.outer[0] / 2 + g.exterior_thickness, g.outer[1] / 2 + g.exterior_thickness)
    b.refine("package", (-half[0], -half[1], -g.terminals.height), (half[0], half[1], z_top))
    z_tips = -g.terminals.height
    eps = 1e-9

    def inside(bbox: tuple[float, ...], sq: tuple[float, float]) -> bool:
        return all(bbox[a] >= -sq[a] / 2 - eps and bbox[a + 3] <= sq[a] / 2 + eps for a in (0, 1))

    def classify(bbox: tuple[float, ...], region: str) -> list[str]:
        names = ["package_surface"]
        if region == "terminals":
            names.append("leads")
            if is_plane(bbox, 2, z_tips):
                names.append("terminal_tips")
        elif is_plane(bbox, 2, z_top):
            names += ["top", "top_inner" if inside(bbox, top_sq) else "top_outer"]
            if region == "shell":
                names.append("shell_top")
        elif is_plane(bbox, 2, 0.0):
            names += ["bottom", "bottom_inner" if inside(bbox, bottom_sq) else "bottom_outer"]
        else:
            names.append("sides")
        return names

    info = b.finish(classify)
    info.facts.update(
        {
            "ctm_top_inner_x": top_sq[0],
            "ctm_top_inner_y": top_sq[1],
            "ctm_bottom_inner_x": bottom_sq[0],
            "ctm_bottom_inner_y": bottom_sq[1],
        }
    )
    return info
