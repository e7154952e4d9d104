"""A panel: an N x M array of depressions in one conductive sheet, on a mandrel.

Model (in package coordinates, bottom walls at the top):

* every site is a unit (shell can, die, attach, interior encapsulant) at pitch ``p``;
* one continuous dielectric film spans the panel at z in [0, t_d];
* the **web** of the sheet, thickness t_s, joins the cans across the lanes; its top
  face lies ``recess_depth`` below the cans' rear faces, so the cans stand proud of
  the web by that much and sit in the mandrel's matching **recesses**;
* under the web, the lanes between cans are filled with encapsulant (the exterior
  portions of neighbouring units, reached through the side-wall openings);
* along each lane centre the sheet forms a **dam** wall (t_s thick) from the web
  down to the dielectric; with ``pathways`` it carries openings like the side walls
  (claim 13), so the encapsulant is one body across depressions;
* ``hollow_walls`` (claim 15): the dam is a pair of walls around a gap of the kerf
  width, open to the rear; on the mandrel a mandrel ridge fills the gap, after
  release a rear covering layer (``cover``) closes it;
* ``on_mandrel``: a mandrel plate of thickness ``mandrel_thickness`` lies on the web
  and around the proud cans; ``released``: no mandrel; ``singulated``: a kerf
  along every lane centre removes everything, and each unit stands alone; the frame
  (the margin and the outer half lanes, outside the cells of pitch ``p`` less the kerf
  around each site) goes too, so that every unit is one cell, the edge units included
  (``singulated_units = "one"`` keeps only a unit nearest the centre, :func:`kept_site`);
* ``process``: one model for the whole process (:func:`fea.solve_history`): the mandrel
  of ``on_mandrel`` and, instead of the voids of ``singulated``, the same kerf (and, with
  ``singulated_units = "one"``, everything outside the kept unit's cell) as regions
  ``kerf_<region>`` (``kerf_shell``, ``kerf_dielectric``, ``kerf_encapsulant``) of the
  materials they cut, to be removed at singulation. Not with ``hollow_walls`` (the rear
  cover would take the place of the mandrel).
"""

from __future__ import annotations

from ..spec import GeometrySpec, OpeningSpec
from .pieces import Builder
from .unit import add_unit

__all__ = ["add_panel", "kept_site", "panel_sites"]


def panel_sites(g: GeometrySpec) -> list[tuple[float, float]]:
    """Centres (x, y) [m] of the depressions, row by row."""
    p = g.panel
    assert p is not None
    return [
        ((i - (p.nx - 1) / 2) * p.pitch, (j - (p.ny - 1) / 2) * p.pitch)
        for j in range(p.ny)
        for i in range(p.nx)
    ]


def kept_site(g: GeometrySpec) -> tuple[float, float]:
    """Centre (x, y) [m] of the unit that ``singulated_units = "one"`` keeps: a unit
    nearest the panel's centre (the centre unit when ``nx`` and ``ny`` are odd); among
    equally near ones, the one whose row-by-row index is nearest ``len(sites) // 2`` (the
    unit kept before, which for a 3 x 2 or 5 x 2 panel lay in the first column)."""
    sites = panel_sites(g)
    mid = len(sites) // 2
    d2 = [x * x + y * y for x, y in sites]
    near = min(d2)
    best = min(
        (i for i, d in enumerate(d2) if d <= near * (1 + 1e-9) + 1e-30),
        key=lambda i: (abs(i - mid), -i),
    )
    return sites[best]


def panel_extent(g: GeometrySpec) -> tuple[float, float]:
    """Half sizes (x, y) of the panel [m]."""
    p = g.panel
    assert p is not None
    return p.nx * p.pitch / 2 + p.margin, p.ny * p.pitch / 2 + p.margin


def add_panel(b: Builder, g: GeometrySpec, layers: int) -> None:
    """Add the panel's solids for its stage to the builder."""
    p = g.panel
    assert p is not None
    t = g.shell_thickness
    td = g.dielectric_thickness
    z_top = g.z_top
    z_web_top = z_top - p.recess_depth
    z_web = z_web_top - t
    hx, hy = panel_extent(g)
    sites = panel_sites(g)
    for cx, cy in sites:
        add_unit(b, g, layers, cx, cy, exterior=False, terminals=False, dielectric=False)
    for k in range(1, layers + 1):
        b.box("dielectric", -hx, -hy, 0.0, hx, hy, td * k / layers)
    for k in range(1, layers + 1):
        b.box("shell", -hx, -hy, z_web + t * (k - 1) / layers, hx, hy, z_web + t * k / layers)
    b.box("encapsulant", -hx, -hy, td, hx, hy, z_web)

    # dams along lane centres, full panel length, with pathways
    gap = p.kerf if p.hollow_walls else 0.0
    xs = [(i + 0.5 - (p.nx - 1) / 2) * p.pitch for i in range(p.nx - 1)]
    ys = [(j + 0.5 - (p.ny - 1) / 2) * p.pitch for j in range(p.ny - 1)]
    o = g.openings["xmin"].dam_pathway()
    for x in xs:
        for s in (-1, 1) if p.hollow_walls else (0,):
            xc = x + s * (gap / 2 + t / 2)
            b.box("shell", xc - t / 2, -hy, td, xc + t / 2, hy, z_web)
            if p.pathways:
                _dam_openings(b, o, g, xc, None, hy)
        if p.hollow_walls:
            _hollow_gap(b, g, x, None, hx, hy, z_web, z_web_top)
    for y in ys:
        for s in (-1, 1) if p.hollow_walls else (0,):
            yc = y + s * (gap / 2 + t / 2)
            b.box("shell", -hx, yc - t / 2, td, hx, yc + t / 2, z_web)
            if p.pathways:
                _dam_openings(b, o, g, None, yc, hx)
        if p.hollow_walls:
            _hollow_gap(b, g, None, y, hx, hy, z_web, z_web_top)

    if p.stage in ("on_mandrel", "process"):
        # the plate on the web, with recesses that receive the proud cans (the cans
        # take precedence where they overlap, which carves the recesses)
        b.box("mandrel", -hx, -hy, z_web_top, hx, hy, z_top + p.mandrel_thickness)
    if p.stage in ("singulated", "process"):
        if p.stage == "singulated":

            def cut(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> None:
                b.box("void", x0, y0, z0, x1, y1, z1)
        else:

            def cut(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> None:
                b.zone("kerf", x0, y0, z0, x1, y1, z1, skip=("mandrel",))

        w = p.kerf / 2
        z0, z1 = -1e-3, z_top + 1e-3
        for x in xs:
            cut(x - w, -hy - 1e-3, z0, x + w, hy + 1e-3, z1)
        for y in ys:
            cut(-hx - 1e-3, y - w, z0, hx + 1e-3, y + w, z1)
        if p.singulated_units == "all":
            # the frame: the panel's margin and the outer half lanes go too (the outer
            # lanes' centres lie half a pitch beyond the outer units' centres), so that an
            # edge unit is the size of every other one rather than one with a flange
            fx, fy = p.nx * p.pitch / 2 - w, p.ny * p.pitch / 2 - w
            bx, by = hx + 1e-3, hy + 1e-3
            cut(-bx, -by, z0, -fx, by, z1)
            cut(fx, -by, z0, bx, by, z1)
            cut(-fx, -by, z0, fx, -fy, z1)
            cut(-fx, fy, z0, fx, by, z1)
        if p.singulated_units == "one" and len(sites) > 1:
            c = kept_site(g)
            # everything outside the kept unit's cell goes
            big = (hx + 1e-3, hy + 1e-3)
            cell = (
                c[0] - p.pitch / 2 + w,
                c[1] - p.pitch / 2 + w,
                c[0] + p.pitch / 2 - w,
                c[1] + p.pitch / 2 - w,
            )
            if cell[0] > -big[0]:
                cut(-big[0], -big[1], z0, cell[0], big[1], z1)
            if cell[2] < big[0]:
                cut(cell[2], -big[1], z0, big[0], big[1], z1)
            if cell[1] > -big[1]:
                cut(cell[0], -big[1], z0, cell[2], cell[1], z1)
            if cell[3] < big[1]:
                cut(cell[0], cell[3], z0, cell[2], big[1], z1)


def _dam_openings(
    b: Builder, o: OpeningSpec, g: GeometrySpec, xc: float | None, yc: float | None, half: float
) -> None:
    """Pathways through a dam: one opening per unit-side span, shaped as the side walls'
    (``o``): a slot from ``z0`` (cut at the web's underside), a hole of diameter ``width``
    (a cylinder across the dam), or a pillars' gap over the dam's full height."""
    p = g.panel
    assert p is not None
    t = g.shell_thickness
    td = g.dielectric_thickness
    z_web = g.z_top - p.recess_depth - t
    if o.kind == "pillars":
        z0, z1 = td, z_web
    else:
        z0 = td + o.z0
        z1 = min(z0 + (o.height if o.kind != "holes" else o.width), z_web)
    n = p.ny if xc is not None else p.nx
    for i in range(n):
        c = (i - (n - 1) / 2) * p.pitch
        if o.kind == "holes":  # below the web (fea.package.spec.checks._check_panel)
            r, zc = o.width / 2, z0 + o.width / 2
            if xc is not None:
                b.cylinder("opening", xc - t / 2, c, zc, t, 0, 0, r)
            else:
                assert yc is not None
                b.cylinder("opening", c, yc - t / 2, zc, 0, t, 0, r)
            continue
        if xc is not None:
            b.box("opening", xc - t / 2, c - o.width / 2, z0, xc + t / 2, c + o.width / 2, z1)
        else:
            assert yc is not None
            b.box("opening", c - o.width / 2, yc - t / 2, z0, c + o.width / 2, yc + t / 2, z1)


def _hollow_gap(
    b: Builder,
    g: GeometrySpec,
    x: float | None,
    y: float | None,
    hx: float,
    hy: float,
    z_web: float,
    z_web_top: float,
) -> None:
    """The hollow between a double dam: void, open to the rear through the web."""
    p = g.panel
    assert p is not None
    w = p.kerf / 2
    td = g.dielectric_thickness
    if x is not None:
        x0, x1, y0, y1 = x - w, x + w, -hy, hy
    else:
        assert y is not None
        x0, x1, y0, y1 = -hx, hx, y - w, y + w
    if p.stage in ("on_mandrel", "process"):
        # the mandrel ridge the double wall was formed on fills the hollow
        b.box("ridge", x0, y0, td, x1, y1, z_web_top)
        return
    b.box("void", x0, y0, td, x1, y1, z_web_top)
    c = p.cover_thickness
    if x is not None:
        b.box("cover", x0 - c, y0, z_web_top, x1 + c, y1, z_web_top + c)
    else:
        b.box("cover", x0, y0 - c, z_web_top, x1, y1 + c, z_web_top + c)
