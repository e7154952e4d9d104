"""gmsh (OCC) model builders for the unit package, its board, and the panel.

Builders take a gmsh model and a validated :class:`~fea.spec.CaseSpec`; they never
call ``gmsh.initialize()``. :func:`build` adds the solids, fragments them into
named regions and boundaries, and returns a :class:`ModelInfo`.
"""

from __future__ import annotations

from ..spec import CaseSpec
from ..spec.geometry import walls_reach_zero
from .board import BOARD_REGIONS, add_board, board_z
from .panel import add_panel, panel_extent, panel_sites
from .pieces import Builder, ModelInfo, is_plane
from .symmetry import check_symmetry
from .unit import add_unit, unit_volumes

__all__ = ["ModelInfo", "build", "panel_sites", "unit_volumes"]


def _outside(bbox: tuple[float, ...], opening: tuple[float, float]) -> bool:
    """True when a face's bounding box reaches beyond a centred opening (x, y) [m]: by its
    farthest extent from the centre, so that a face cut by a symmetry plane (half as wide)
    is found too."""
    tol = 1e-9
    reach = (max(abs(bbox[0]), abs(bbox[3])), max(abs(bbox[1]), abs(bbox[4])))
    return reach[0] > opening[0] / 2 + tol or reach[1] > opening[1] / 2 + tol


def build(model, case: CaseSpec, symmetry: str = "none") -> ModelInfo:
    """Build the geometry of ``case`` in ``model`` (the ``gmsh.model`` module).

    ``symmetry`` (``none``, ``half``, ``quarter``, ``eighth``;
    :mod:`fea.package.geometry.symmetry`) cuts the model by the planes x = 0 (and y = 0;
    y = 0 and x = y for an eighth) with an OCC boolean intersection and names the cut faces
    ``symmetry_x`` (and ``symmetry_y``; ``symmetry_y`` and ``symmetry_d``); a case not
    symmetric about a plane raises an :class:`~fea.errors.InputError` naming the key that breaks it.

    Returns the regions (name -> volume tags), boundaries (name -> surface tags,
    exterior faces and ``a|b`` interfaces), facts (aperture rule) and the zones the
    mesher refines (:class:`~fea.package.geometry.pieces.Refinement`).
    """
    from ..jedec import ring_opening  # jedec imports names, which imports geometry.tags

    g = case.geometry
    layers = case.mesh.layers_through_thickness
    b = Builder(model)
    b.symmetry = check_symmetry(case, symmetry)
    z_top = g.z_top
    rim = walls_reach_zero(g)  # a rim-bonded unit's walls, with its board or without
    ring = None
    if case.kind == "panel":
        add_panel(b, g, layers)
        hx, hy = panel_extent(g)
        p = g.panel
        assert p is not None
        mandrel_top = z_top + p.mandrel_thickness
    else:
        add_unit(b, g, layers, rim_to_zero=rim)
        ring = ring_opening(case) if case.environment.kind == "junction_to_board" else None
        if g.board is not None:
            add_board(b, g, ring=ring)
        mandrel_top = None
    if case.kind == "panel":
        half = (hx, hy)
        z_hi = z_top + p.mandrel_thickness
    else:
        half = (g.outer[0] / 2 + g.exterior_thickness, g.outer[1] / 2 + g.exterior_thickness)
        z_hi = z_top
    b.refine("package", (-half[0], -half[1], -g.terminals.height), (half[0], half[1], z_hi))
    z_tips = -g.terminals.height
    zb = board_z(g) if (g.board is not None and case.kind == "unit") else None

    def classify(bbox: tuple[float, ...], region: str) -> list[str]:
        names = []
        if is_plane(bbox, 2, z_top):
            names.append("top")
            if region == "shell":
                names.append("shell_top")
        if is_plane(bbox, 2, 0.0) and region != "terminals":
            names.append("bottom")
            if case.kind == "panel" and not region.startswith("kerf_"):
                names.append("units_bottom")  # what singulation keeps of it
        if region == "terminals" and is_plane(bbox, 2, z_tips):
            names.append("terminal_tips")
        if zb is not None and region in BOARD_REGIONS:
            names.append("board_surface")
            if is_plane(bbox, 2, zb[0]):
                names.append("board_bottom")
            if is_plane(bbox, 2, zb[1]):
                names.append("board_top")
            flat = is_plane(bbox, 2, zb[0]) or is_plane(bbox, 2, zb[1])
            if ring is not None and flat and _outside(bbox, ring):
                names.append("cold_plate")
        if mandrel_top is not None and region == "mandrel" and is_plane(bbox, 2, mandrel_top):
            names.append("mandrel_top")
        if region == "mandrel":
            names.append("mandrel_surface")
        if region not in BOARD_REGIONS and region != "mandrel":
            names.append("package_surface")
        return names

    info = b.finish(classify)
    a = g.aperture()
    info.facts.update(
        {
            "aperture_L": a["L"],
            "aperture_ratio": a["ratio"],
            "shielding_dB": a["shielding_dB"],
            "shielding_array_dB": a["shielding_array_dB"],
            "wavelength": a["wavelength"],
        }
    )
    if case.kind == "panel":
        info.facts["sites"] = float(len(panel_sites(g)))
        info.facts["panel_half_x"], info.facts["panel_half_y"] = hx, hy
    return info
