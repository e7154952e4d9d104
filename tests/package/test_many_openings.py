"""Many openings per wall: the openings are created after the terminals' booleans (whose
OCC cost grows with the entities already in the model) and keep their place in the
fragment, and a symmetry cut skips the pieces it would drop or leave as they are, so the
model is the same; up to :data:`LATE_OPENINGS_MIN` openings nothing changes (the existing
meshes and their pinned results). The size guard's estimate counts each opening smaller
than ``mesh.opening_size``."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import gmsh
import pytest

from fea.errors import InputError
from fea.fe.mesh import gmsh_session
from fea.package.geometry import build, pieces, unit, unit_volumes
from fea.package.meshing import check_size, estimate
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


def built(case, late_min: int | None = None, symmetry: str = "none") -> dict:
    """Build the geometry of ``case`` (no mesh) with ``symmetry``: the pieces' regions in
    fragment order, the volumes present at each OCC intersect, the OCC removals, OCC
    volume [m^3] and volume count per region, and face count and area [m^2] per
    boundary."""
    with pytest.MonkeyPatch.context() as mp:
        return _built(mp, case, late_min, symmetry)


def _built(mp: pytest.MonkeyPatch, case, late_min: int | None, symmetry: str) -> dict:
    if late_min is not None:
        mp.setattr(unit, "LATE_OPENINGS_MIN", late_min)
    seen: list[int] = []
    order: list[str] = []
    removed: list[list] = []
    intersect = gmsh.model.occ.intersect
    remove = gmsh.model.occ.remove
    finish = pieces.Builder.finish

    def counting(*args, **kwargs):
        seen.append(len(gmsh.model.occ.getEntities(3)))
        return intersect(*args, **kwargs)

    def removing(dim_tags, recursive=False):
        removed.append(list(dim_tags))
        return remove(dim_tags, recursive=recursive)

    def recording(self, classify):
        info = finish(self, classify)
        order.extend(region for _, region in self.pieces)  # as fragmented (after a cut)
        return info

    mp.setattr(gmsh.model.occ, "intersect", counting)
    mp.setattr(gmsh.model.occ, "remove", removing)
    mp.setattr(pieces.Builder, "finish", recording)
    with gmsh_session():
        info = build(gmsh.model, case, symmetry)
        occ = gmsh.model.occ
        return {
            "order": order,
            "seen": seen,
            "removed": removed,
            "volumes": {
                r: (sum(occ.getMass(3, t) for t in tags) * 1e-9, len(tags))
                for r, tags in info.regions.items()
            },
            "boundaries": {
                b: (sum(occ.getMass(2, t) for t in tags) * 1e-6, len(tags))
                for b, tags in info.boundaries.items()
            },
        }


def assert_same_model(late: dict, first: dict) -> None:
    assert late["volumes"].keys() == first["volumes"].keys()
    for r, (v, n) in first["volumes"].items():
        assert late["volumes"][r][1] == n, r
        assert math.isclose(late["volumes"][r][0], v, rel_tol=1e-9), r
    assert late["boundaries"].keys() == first["boundaries"].keys()
    for b, (a, n) in first["boundaries"].items():
        assert late["boundaries"][b][1] == n, b
        assert math.isclose(late["boundaries"][b][0], a, rel_tol=1e-9), b


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
    assert_same_model(late, first)
    for r, v in unit_volumes(case.geometry).items():
        # OCC's volumes of the curved balls and holes: 1e-6 (its integration tolerance)
        assert late["volumes"][r][0] == pytest.approx(v, rel=1e-6, abs=0), r


@pytest.mark.parametrize("symmetry", ["half", "quarter", "eighth"])
def test_the_symmetry_cut_of_many_openings_builds_the_same_model(symmetry):
    """With many openings the pieces the symmetry planes would drop are not built and the
    pieces wholly inside are not intersected (each OCC removal or boolean costs time in
    proportion to the model): the same cut model, regions, volumes and boundaries
    (``symmetry_*`` included) as the piece-by-piece cut; nothing is removed but the
    cutting box."""
    case = case_of(MANY)
    late = built(case, symmetry=symmetry)
    first = built(case, late_min=10**6, symmetry=symmetry)
    assert late["order"] == first["order"]
    assert_same_model(late, first)
    assert {"symmetry_x", "symmetry_y"} & set(late["boundaries"])
    assert len(late["removed"]) == 1 and len(late["removed"][0]) == 1  # the cutting box
    assert len(first["removed"]) > 20  # a removal for each piece outside


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
    right after the cavity and a symmetry cut goes piece by piece, as the existing meshes
    were built: those meshes stay the same node for node; closed walls count for
    nothing."""
    case = case_of(openings)
    assert unit.late_openings(case.geometry) is late
    out = built(case)
    n_open = out["order"].count("opening")
    if not late and n_open:
        # the terminals' booleans then see the openings
        assert max(out["seen"]) > n_open
    cut = built(case, symmetry="quarter")
    assert (len(cut["removed"]) == 1) is late  # only the cutting box when trimmed


# -- the size guard's estimate with many small openings -----------------------------------

BASELINE = Path(__file__).resolve().parents[2] / "studies" / "baseline.toml"


def baseline_with(openings: dict, board: bool = False, opening_size_mm: float = 0.2):
    data = tomllib.loads(BASELINE.read_text())
    data["mesh"]["opening_size_mm"] = opening_size_mm
    if not board:
        data["geometry"].pop("board")
    data["geometry"]["aperture_rule"] = "warn"
    data["geometry"]["openings"] = openings
    return parse_study(data).base


#: gmsh 4.15.2's tetrahedra of the baseline without its board (studies/baseline.toml,
#: opening_size_mm = 0.2 unless given) with these openings on every wall, as built before
#: the openings were created late (after: the same or within 0.1 %), the last two after
#: (scripts/bench_mesh.py --openings, docs/performance.md, "Many openings per wall").
MEASURED = [
    ({"kind": "slots", "count": 4, "width_mm": 0.5, "height_mm": 0.2, "z0_mm": 0.15}, 143_846),
    ({"kind": "holes", "count": 25, "width_mm": 0.05, "z0_mm": 0.15}, 174_427),
    ({"kind": "holes", "count": 50, "width_mm": 0.05, "z0_mm": 0.15}, 201_751),
    ({"kind": "holes", "count": 100, "width_mm": 0.05, "z0_mm": 0.15}, 255_410),
    ({"kind": "holes", "count": 25, "width_mm": 0.1, "z0_mm": 0.15}, 170_637),
    ({"kind": "slots", "count": 100, "width_mm": 0.05, "height_mm": 0.2, "z0_mm": 0.15}, 169_480),
    ({"kind": "slots", "count": 50, "width_mm": 0.1, "height_mm": 0.2, "z0_mm": 0.15}, 164_996),
    ({"kind": "pillars", "count": 50, "width_mm": 0.05}, 179_321),
    ({"kind": "holes", "count": 40, "width_mm": 0.08, "z0_mm": 0.15, "size": 0.1}, 244_264),
]


@pytest.mark.parametrize(("openings", "tets"), MEASURED)
def test_the_estimate_counts_each_small_opening(openings, tets):
    """Openings smaller than mesh.opening_size are meshed at their own size (a hole's
    circle in at least 7 segments): the estimate is within 30 % of gmsh's count (it
    missed 100 holes a wall by 56 % when it counted the walls only); openings at least
    the size (the baseline's slots) add nothing."""
    openings = dict(openings)
    size = openings.pop("size", 0.2)
    est = estimate(baseline_with(openings, opening_size_mm=size))
    assert est.elements == pytest.approx(tets, rel=0.3)
    assert ("opening count" in est.zones) is (openings["width_mm"] < size)


def test_the_guard_names_the_opening_count(monkeypatch):
    """Where the small openings weigh most, the size guard names their count."""
    case = baseline_with({"kind": "holes", "count": 100, "width_mm": 0.05, "z0_mm": 0.15})
    est = estimate(case)
    assert est.dominant == "opening count"
    monkeypatch.setenv("FEA_MEMORY_GB", "0.5")
    with pytest.raises(InputError) as info:
        check_size(case)
    assert info.value.key == "geometry.openings.count"
    assert info.value.value == 100
    assert "width_mm" in info.value.allowed
