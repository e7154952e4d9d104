"""Many openings per wall: the openings are created after the terminals' booleans (whose
OCC cost grows with the entities already in the model) and keep their place in the
fragment, so the model is the same; up to :data:`LATE_OPENINGS_MIN` openings nothing
changes (the existing meshes and their pinned results)."""

from __future__ import annotations

import math

import gmsh
import pytest

from fea.fe.mesh import gmsh_session
from fea.package.geometry import build, pieces, unit, unit_volumes
from fea.package.spec import parse_study

GEOMETRY = {
    "cavity_mm": [4.0, 4.0],
    "cavity_depth_mm": 0.5,
    "shell_thickness_um": 35,
    "die": {"size_mm": [2.0, 2.0], "thickness_mm": 0.25},
    "aperture_rule": "warn",
    "terminals": {"kind": "balls", "rows": 3, "cols": 3, "pitch_mm": 0.8},
}


def case_of(openings: dict):
    g = dict(GEOMETRY, openings=openings)
    mesh = {"size_mm": 0.6, "layers_through_thickness": 2}
    return parse_study({"study": {"kind": "unit"}, "geometry": g, "mesh": mesh}).base


MANY = {"kind": "holes", "count": 12, "width_mm": 0.1, "z0_mm": 0.1}  # 48 in all


def built(case, late_min: int | None = None) -> dict:
    """Build the geometry of ``case`` (no mesh): the pieces' regions in fragment order,
    the volumes present at each OCC intersect, OCC volume [m^3] and volume count per
    region, and face count and area [m^2] per boundary."""
    with pytest.MonkeyPatch.context() as mp:
        return _built(mp, case, late_min)


def _built(mp: pytest.MonkeyPatch, case, late_min: int | None) -> dict:
    if late_min is not None:
        mp.setattr(unit, "LATE_OPENINGS_MIN", late_min)
    seen: list[int] = []
    order: list[str] = []
    intersect = gmsh.model.occ.intersect
    finish = pieces.Builder.finish

    def counting(*args, **kwargs):
        seen.append(len(gmsh.model.occ.getEntities(3)))
        return intersect(*args, **kwargs)

    def recording(self, classify):
        order.extend(region for _, region in self.pieces)
        return finish(self, classify)

    mp.setattr(gmsh.model.occ, "intersect", counting)
    mp.setattr(pieces.Builder, "finish", recording)
    with gmsh_session():
        info = build(gmsh.model, case)
        occ = gmsh.model.occ
        return {
            "order": order,
            "seen": seen,
            "volumes": {
                r: (sum(occ.getMass(3, t) for t in tags) * 1e-9, len(tags))
                for r, tags in info.regions.items()
            },
            "boundaries": {
                b: (sum(occ.getMass(2, t) for t in tags) * 1e-6, len(tags))
                for b, tags in info.boundaries.items()
            },
        }


def test_terminal_booleans_run_without_the_openings():
    """Each terminal's sphere cut (one OCC intersect) sees the shell, films, die and the
    terminals before it, not the 48 openings: 21 volumes at most here (it saw 69 when
    the openings were created first)."""
    case = case_of(MANY)
    assert unit.late_openings(case.geometry)
    out = built(case)
    assert len(out["seen"]) == 9
    assert max(out["seen"]) <= 9 + 12  # 9 other pieces, 2 per terminal (sphere, box)


def test_late_openings_build_the_same_model():
    """Created late or first, the openings give the same pieces in the same fragment
    order, the same regions with the same volumes (1e-9 relative, and the closed form of
    :func:`~fea.package.geometry.unit_volumes`), the same boundaries with the same face
    counts and areas."""
    case = case_of(MANY)
    late = built(case)
    first = built(case, late_min=10**6)
    assert late["order"] == first["order"]
    assert late["order"].count("opening") == 48
    assert late["volumes"].keys() == first["volumes"].keys()
    for r, (v, n) in first["volumes"].items():
        assert late["volumes"][r][1] == n, r
        assert math.isclose(late["volumes"][r][0], v, rel_tol=1e-9), r
    closed = unit_volumes(case.geometry)
    for r, v in closed.items():
        # OCC's volumes of the curved balls and holes: 1e-6 (its integration tolerance)
        assert late["volumes"][r][0] == pytest.approx(v, rel=1e-6), r
    assert late["boundaries"].keys() == first["boundaries"].keys()
    for b, (a, n) in first["boundaries"].items():
        assert late["boundaries"][b][1] == n, b
        assert math.isclose(late["boundaries"][b][0], a, rel_tol=1e-9), b


@pytest.mark.parametrize(
    ("openings", "late"),
    [
        ({"kind": "slots", "count": 4, "width_mm": 0.5, "height_mm": 0.2, "z0_mm": 0.1}, False),
        ({"kind": "slots", "count": 5, "width_mm": 0.3, "height_mm": 0.2, "z0_mm": 0.1}, True),
        (
            {
                "kind": "holes",
                "count": 5,
                "width_mm": 0.1,
                "z0_mm": 0.1,
                "sides": {"xmin": {"kind": "none"}, "xmax": {"count": 0}},
            },
            False,
        ),
        ({"kind": "none"}, False),
    ],
)
def test_few_openings_keep_the_order(openings, late):
    """Up to 16 openings in all (the shipped studies: at most 4 a wall) they are created
    right after the cavity, as the existing meshes were built: those meshes stay the same
    node for node; closed walls count for nothing."""
    case = case_of(openings)
    assert unit.late_openings(case.geometry) is late
    out = built(case)
    n_open = out["order"].count("opening")
    if not late and n_open:
        # the terminals' booleans then see the openings
        assert max(out["seen"]) > n_open
