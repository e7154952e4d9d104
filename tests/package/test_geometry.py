"""Geometry builders: closed-form volumes, topology of regions, panel stages, errors."""

from __future__ import annotations

import dataclasses

import gmsh
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from fea.errors import MeshError
from fea.fe.mesh import Mesh, gmsh_session
from fea.package.geometry import build, unit_volumes
from fea.package.meshing import build_mesh
from fea.package.spec import parse_study

SMALL = {
    "cavity_mm": [3.0, 3.0],
    "cavity_depth_mm": 0.5,
    "shell_thickness_um": 35,
    "die": {"size_mm": [1.5, 1.5], "thickness_mm": 0.25},
    "openings": {"kind": "slots", "count": 2, "width_mm": 0.4, "height_mm": 0.15, "z0_mm": 0.1},
    "terminals": {"kind": "balls", "rows": 2, "cols": 2, "pitch_mm": 0.8},
}


def case_of(geometry=None, mesh=None, kind="unit"):
    g = dict(SMALL)
    g.update(geometry or {})
    m = {"size_mm": 0.6, "layers_through_thickness": 2}
    m.update(mesh or {})
    return parse_study({"study": {"kind": kind}, "geometry": g, "mesh": m}).base


def occ_volumes(case) -> dict[str, float]:
    with gmsh_session():
        info = build(gmsh.model, case)
        return {
            r: sum(gmsh.model.occ.getMass(3, t) for t in tags) * 1e-9
            for r, tags in info.regions.items()
        }


PARAMS = [
    {},
    {"openings": {"kind": "holes", "count": 3, "width_mm": 0.2, "z0_mm": 0.1}},
    {"openings": {"kind": "pillars", "count": 3, "width_mm": 0.3}},
    {"openings": {"kind": "pillars", "count": 5, "width_mm": 0.2}, "shell_thickness_um": 10},
    {"openings": {"kind": "none"}, "corner_radius_mm": 0.3},
    {"corner_radius_mm": 0.2, "terminals": {"kind": "pads", "rows": 3, "cols": 3, "pitch_mm": 0.8}},
    {
        "cavity_mm": [4.0, 3.0],
        "openings": {
            "kind": "slots",
            "count": 2,
            "width_mm": 0.4,
            "sides": {"xmin": {"kind": "holes", "count": 1, "width_mm": 0.25}},
        },
    },
    {"die_attach": {"thickness_um": 0}, "exterior_thickness_mm": 0.3},
]


@pytest.mark.parametrize("params", PARAMS, ids=range(len(PARAMS)))
def test_region_volumes_closed_form(params):
    case = case_of(params)
    vol = occ_volumes(case)
    ref = unit_volumes(case.geometry)
    assert set(ref) == set(vol)
    for r, v in ref.items():
        assert vol[r] == pytest.approx(v, rel=1e-6, abs=0), r


def test_rim_bond_volumes_and_board():
    case = case_of({"board": {"size_mm": [8.0, 8.0], "thickness_mm": 0.5, "rim_bond": True}})
    vol = occ_volumes(case)
    ref = unit_volumes(case.geometry, rim_to_zero=True)
    for r in ("shell", "dielectric", "die", "encapsulant"):
        assert vol[r] == pytest.approx(ref[r], rel=1e-6, abs=0), r
    assert vol["board"] == pytest.approx(8e-3 * 8e-3 * 0.5e-3, rel=1e-6, abs=0)
    t, w, C = 35e-6, 0.2e-3, 3e-3
    ring = ((C + t + w) ** 2 - (C + t - w) ** 2) * 0.3e-3
    assert vol["rim_bond"] == pytest.approx(ring, rel=1e-6, abs=0)


def test_rim_bonded_package_keeps_its_walls_without_the_board():
    """The models of a rim-bonded unit without its board (the warpage model, the package
    for theta_JC, the compact models) are that package: its side walls reach z = 0 with
    the dielectric inside them, as in the thermal model; they used to be rebuilt with the
    plain unit's walls (the dielectric under them), another package."""
    from fea.package.analyse import warpage_case
    from fea.package.ctm import ctm_case
    from fea.package.jedec import package_case

    case = case_of({"board": {"size_mm": [8.0, 8.0], "thickness_mm": 0.5, "rim_bond": True}})
    rim = unit_volumes(case.geometry, rim_to_zero=True)
    plain = unit_volumes(case.geometry)
    assert rim["shell"] > plain["shell"] and rim["dielectric"] < plain["dielectric"]
    for derived in (warpage_case(case), package_case(case), ctm_case(case)):
        assert derived.geometry.board is None
        vol = occ_volumes(derived)
        assert "board" not in vol and "rim_bond" not in vol
        for r in ("shell", "dielectric", "die", "encapsulant"):
            assert vol[r] == pytest.approx(rim[r], rel=1e-6, abs=0), r
    # a unit without a rim bond: its plain walls, with or without the board
    bare = case_of({"board": {"size_mm": [8.0, 8.0], "thickness_mm": 0.5}})
    vol = occ_volumes(warpage_case(bare))
    for r in ("shell", "dielectric"):
        assert vol[r] == pytest.approx(plain[r], rel=1e-6, abs=0), r


def components(mesh: Mesh, elements: np.ndarray) -> int:
    """Connected components of a set of elements under face adjacency."""
    f2t = mesh.p1.f2t
    inner = f2t[1] >= 0
    a, b = f2t[0, inner], f2t[1, inner]
    keep = np.zeros(mesh.n_elements, bool)
    keep[elements] = True
    sel = keep[a] & keep[b]
    n = mesh.n_elements
    g = sp.coo_matrix((np.ones(sel.sum()), (a[sel], b[sel])), shape=(n, n))
    _, labels = connected_components(g, directed=False)
    return len(np.unique(labels[elements]))


@pytest.fixture(scope="module")
def unit_mesh():
    case = case_of()
    mesh, _ = build_mesh(case)
    return case, mesh


def test_unit_mesh_regions_partition(unit_mesh):
    case, mesh = unit_mesh
    counts = np.zeros(mesh.n_elements, int)
    for idx in mesh.regions.values():
        counts[idx] += 1
    assert np.all(counts == 1), "every tet in exactly one region"
    assert set(mesh.regions) == {
        "shell",
        "dielectric",
        "die",
        "die_attach",
        "encapsulant",
        "terminals",
    }
    for name, f in mesh.boundaries.items():
        assert len(f) > 0, name
    for name in (
        "die|encapsulant",
        "encapsulant|shell",
        "die|die_attach",
        "shell_top",
        "top",
        "terminal_tips",
        "exterior",
    ):
        assert name in mesh.boundaries
    # the mesh volume of box-shaped regions is exact
    ref = unit_volumes(case.geometry)
    vol = mesh.element_volumes()
    for r in ("die", "die_attach", "dielectric", "shell"):
        assert vol[mesh.regions[r]].sum() == pytest.approx(ref[r], rel=1e-9, abs=0), r


def test_encapsulant_one_body_through_openings(unit_mesh):
    _, mesh = unit_mesh
    assert components(mesh, mesh.regions["encapsulant"]) == 1


def test_encapsulant_two_bodies_with_closed_walls():
    case = case_of({"openings": {"kind": "none"}, "terminals": {"kind": "none"}})
    mesh, _ = build_mesh(case, cache=False)
    assert components(mesh, mesh.regions["encapsulant"]) == 2


def test_exterior_encapsulant_off_rear_face_and_terminals(unit_mesh):
    case, mesh = unit_mesh
    g = case.geometry
    enc_nodes = np.unique(mesh.p1.t[:, mesh.regions["encapsulant"]])
    p = mesh.p1.p[:, enc_nodes]
    ox, oy = g.outer
    on_rear = (
        (np.abs(p[2] - g.z_top) < 1e-9)
        & (np.abs(p[0]) < ox / 2 - 1e-9)
        & (np.abs(p[1]) < oy / 2 - 1e-9)
    )
    assert not on_rear.any(), "encapsulant on the rear face of the bottom wall"
    term_nodes = np.unique(mesh.p1.t[:, mesh.regions["terminals"]])
    assert not np.intersect1d(enc_nodes, term_nodes).size, "encapsulant touches a terminal"
    assert "encapsulant|terminals" not in mesh.boundaries


def test_layers_through_thickness(unit_mesh):
    case, mesh = unit_mesh
    g = case.geometry
    n = case.mesh.layers_through_thickness
    p = mesh.p1.p
    for region, thickness in (
        ("dielectric", g.dielectric_thickness),
        ("die_attach", g.die_attach_thickness),
    ):
        t = mesh.p1.t[:, mesh.regions[region]]
        dz = p[2, t].max(axis=0) - p[2, t].min(axis=0)
        assert dz.max() <= thickness / n * (1 + 1e-6), region
    # the bottom wall: tets whose z-extent lies inside [z_top - t, z_top]
    t = mesh.p1.t[:, mesh.regions["shell"]]
    zmin = p[2, t].min(axis=0)
    wall = zmin >= g.z_top - g.shell_thickness - 1e-12
    dz = p[2, t[:, wall]].max(axis=0) - zmin[wall]
    assert wall.any() and dz.max() <= g.shell_thickness / n * (1 + 1e-6)


def test_cache_hit(unit_mesh):
    case, mesh = unit_mesh
    again, _ = build_mesh(case)
    assert again.info["cache"] == "hit"
    assert again.n_elements == mesh.n_elements


PANEL = {
    "cavity_mm": [3.0, 3.0],
    "die": {"size_mm": [1.5, 1.5], "thickness_mm": 0.25},
    "cavity_depth_mm": 0.5,
    "terminals": {"kind": "none"},
    "openings": {"kind": "slots", "count": 1, "width_mm": 0.5, "height_mm": 0.15},
}


def panel_case(stage, **extra):
    g = dict(PANEL)
    g["panel"] = {"nx": 3, "ny": 2, "pitch_mm": 4.5, "stage": stage, **extra}
    return parse_study(
        {
            "study": {"kind": "panel"},
            "geometry": g,
            "mesh": {"size_mm": 0.8, "layers_through_thickness": 1, "opening_size_mm": 0.25},
        }
    ).base


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["on_mandrel", "released", "singulated"])
def test_panel_stages(stage):
    import warnings

    from fea.fe.mesh import PlausibilityWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mesh, _ = build_mesh(panel_case(stage), cache=False)
    # singulated units are parts by design: the imported-mesh check that asks to
    # fragment touching volumes is not the built-in mesher's (it said so for every case)
    assert not [w for w in caught if issubclass(w.category, PlausibilityWarning)]
    assert components(mesh, mesh.regions["die"]) == 6, "3 x 2 depressions"
    assert components(mesh, mesh.regions["shell"]) == (6 if stage == "singulated" else 1)
    if stage == "on_mandrel":
        assert "mandrel" in mesh.regions and "mandrel|shell" in mesh.boundaries
    else:
        assert "mandrel" not in mesh.regions
    all_elems = np.arange(mesh.n_elements)
    if stage == "singulated":
        assert components(mesh, all_elems) == 6, "singulated units are disconnected"
    else:
        assert components(mesh, mesh.regions["encapsulant"]) == 1, "pathways join the encapsulant"
        assert components(mesh, all_elems) == 1


@pytest.mark.slow
def test_panel_without_pathways_and_hollow_walls():
    mesh, _ = build_mesh(panel_case("released", pathways=False), cache=False)
    assert components(mesh, mesh.regions["encapsulant"]) == 6
    mesh, _ = build_mesh(panel_case("released", hollow_walls=True), cache=False)
    assert "cover" in mesh.regions and "cover|shell" in mesh.boundaries
    mesh, _ = build_mesh(panel_case("singulated", singulated_units="one"), cache=False)
    assert components(mesh, mesh.regions["die"]) == 1


def test_from_gmsh_two_boxes(tmp_path):
    with gmsh_session():
        occ = gmsh.model.occ
        a = occ.addBox(0, 0, 0, 1, 1, 1)
        b = occ.addBox(1, 0, 0, 1, 1, 1)
        occ.fragment([(3, a)], [(3, b)])
        occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [a], name="left")
        gmsh.model.addPhysicalGroup(3, [b], name="right")
        shared = [
            s
            for _, s in gmsh.model.getBoundary([(3, a)], oriented=False)
            if s in [t for _, t in gmsh.model.getBoundary([(3, b)], oriented=False)]
        ]
        gmsh.model.addPhysicalGroup(2, shared, name="left|right")
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.4)
        gmsh.model.mesh.generate(3)
        live = Mesh.from_gmsh(gmsh.model, order=1)
        path = tmp_path / "two.msh"
        gmsh.write(str(path))
    for mesh in (live, Mesh.from_gmsh(path, order=2)):
        assert set(mesh.regions) == {"left", "right"}
        v = mesh.element_volumes()
        assert v[mesh.regions["left"]].sum() == pytest.approx(1.0)
        assert v[mesh.regions["right"]].sum() == pytest.approx(1.0)
        assert mesh.boundary_area("left|right") == pytest.approx(1.0)
        x = mesh.p1.p[0, mesh.p1.facets[:, mesh.boundaries["left|right"]]]
        assert np.allclose(x, 1.0)
        # both sides of the interface share the nodes (conformal): every facet has 2 tets
        assert np.all(mesh.facet_elements("left|right") >= 0)
    assert Mesh.from_gmsh(path, order=2).nodes.shape[0] > live.nodes.shape[0]


def test_unbuildable_geometry_raises_mesh_error():
    case = case_of()
    bad = dataclasses.replace(
        case, geometry=dataclasses.replace(case.geometry, corner_radius=2.0e-3)
    )
    with pytest.raises(MeshError, match="corner radius 2 mm"):
        build_mesh(bad, cache=False)


def test_aperture_facts(unit_mesh):
    _, mesh = unit_mesh
    facts = mesh.info["facts"]
    lam = 299_792_458.0 / 5e9
    assert facts["aperture_ratio"] == pytest.approx(0.4e-3 / (lam / 2))
    assert facts["shielding_dB"] == pytest.approx(20 * np.log10(lam / 0.8e-3))


def test_cli_mesh(tmp_path, capsys):
    from fea.cli import main

    study = tmp_path / "s.toml"
    study.write_text(
        "[geometry]\ncavity_mm = [3.0, 3.0]\ncavity_depth_mm = 0.5\n"
        "[geometry.die]\nsize_mm = [1.5, 1.5]\nthickness_mm = 0.25\n"
        "[geometry.openings]\ncount = 2\nwidth_mm = 0.4\n"
        '[geometry.terminals]\nkind = "none"\n[mesh]\nsize_mm = 0.8\n'
    )
    out = tmp_path / "m.msh"
    assert main(["mesh", str(study), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert out.exists() and out.stat().st_size > 0
    assert "tetrahedra" in text and "encapsulant" in text and "1st percentile" in text


def test_film_size_rules():
    """Unit default 3 x the thicker film; explicit values capped by the global size; panels
    keep the global size unless told."""
    from fea.package.meshing import film_size

    base = {"study": {"name": "f"}, "mesh": {"size_mm": 0.8}}
    case = parse_study(base).base
    t = max(case.geometry.dielectric_thickness, case.geometry.die_attach_thickness)
    assert film_size(case) == pytest.approx(3 * t)
    m = dataclasses.replace(case.mesh, film_size=2e-3)
    assert film_size(dataclasses.replace(case, mesh=m)) == pytest.approx(0.8e-3)
    m = dataclasses.replace(case.mesh, film_size=0.1e-3)
    assert film_size(dataclasses.replace(case, mesh=m)) == pytest.approx(0.1e-3)
    assert film_size(dataclasses.replace(case, kind="panel")) == pytest.approx(0.8e-3)


def test_film_size_field_refines_only_the_films():
    spec = {
        "study": {"name": "f"},
        "geometry": {
            "cavity_mm": [2.4, 2.4],
            "die": {"size_mm": [1.2, 1.2], "thickness_mm": 0.2},
            "openings": {"kind": "none"},
            "terminals": {"kind": "none"},
        },
        "mesh": {"size_mm": 0.6, "order": 1},
    }
    coarse = build_mesh(parse_study({**spec, "mesh": {**spec["mesh"], "film_size_mm": 0.6}}).base)[
        0
    ]
    fine = build_mesh(parse_study({**spec, "mesh": {**spec["mesh"], "film_size_mm": 0.15}}).base)[0]

    def edges(mesh, region):
        """Lengths [m] of the edges of the region's tetrahedra."""
        t = mesh.p1.t[:, mesh.regions[region]]
        p = mesh.p1.p
        pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
        return np.concatenate([np.linalg.norm(p[:, t[a]] - p[:, t[b]], axis=0) for a, b in pairs])

    for film in ("dielectric", "die_attach"):
        assert len(fine.regions[film]) > 6 * len(coarse.regions[film]), film
        assert (
            np.percentile(edges(fine, film), 95) < 0.2e-3 < np.percentile(edges(coarse, film), 95)
        )


@pytest.mark.slow
def test_panel_process_model_has_every_stage_region():
    """One model for the whole process: the mandrel, and the kerf as regions of the
    materials it cuts (not voids); without the kerf the units are apart, as singulated."""
    mesh, _ = build_mesh(panel_case("process"), cache=False)
    kerf = [r for r in mesh.regions if r.startswith("kerf_")]
    assert {"mandrel", "kerf_shell", "kerf_dielectric", "kerf_encapsulant"} <= set(mesh.regions)
    assert "kerf_mandrel" not in mesh.regions  # the mandrel is removed before the saw
    assert components(mesh, np.arange(mesh.n_elements)) == 1
    keep = np.setdiff1d(
        np.arange(mesh.n_elements),
        np.concatenate([mesh.regions[r] for r in [*kerf, "mandrel"]]),
    )
    assert components(mesh, keep) == 6, "removing the kerf separates the units"
    singulated, _ = build_mesh(panel_case("singulated"), cache=False)
    vol = mesh.element_volumes()
    assert vol[keep].sum() == pytest.approx(singulated.element_volumes().sum(), rel=1e-9, abs=0)
    # the dielectric face: all of it, and the part singulation keeps
    assert mesh.boundary_area("units_bottom") == pytest.approx(
        singulated.boundary_area("bottom"), rel=1e-9, abs=0
    )
    assert mesh.boundary_area("bottom") > mesh.boundary_area("units_bottom")
