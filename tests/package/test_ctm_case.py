"""``[ctm]`` on the built-in package: the section, the surface-node geometry, and the
compact models against the detailed model on boundary conditions held out of the fit
(docs/ctm.md)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from fea import ctm
from fea.errors import InputError
from fea.io.results_reader import read_ctm
from fea.package.analyse import analyse, mesh_materials
from fea.package.ctm import ctm_case, ctm_mesh, ctm_nodes, file_stem
from fea.package.meshing import cache_key
from fea.package.power_map import thermal_loads
from fea.package.spec import parse_study
from fea.package.spec.ctm import CtmSpec
from fea.physics.thermal import solve_thermal

#: The baseline package without terminals, coarse (P1, 1 mm, films 1 mm): a few thousand
#: nodes, so the 29 steady solves of the DELPHI set stay cheap.
BASE = {
    "study": {"name": "ctm_case"},
    "geometry": {"terminals": {"kind": "none"}},
    "mesh": {"size_mm": 1.0, "film_size_mm": 1.0, "order": 1, "layers_through_thickness": 1},
    "loads": {"warpage_temperatures_C": []},
    "theta_jc": {"method": "fixed_case"},
    "outputs": {"metrics": ["Tj_max_C", "theta_JC_2R_K_per_W", "delphi_max_junction_error"]},
}
AMB = 25.0
NODES = ("top_inner", "top_outer", "bottom_inner", "bottom_outer", "sides")


def case_of(**ctm_keys):
    return parse_study({**BASE, "ctm": ctm_keys}).base


# -- the section ---------------------------------------------------------------------------


def test_section_defaults_and_holdout():
    c = case_of()
    assert c.ctm == CtmSpec()
    assert c.ctm.conditions is None and c.ctm.inner_scale == 1.2
    flags = c.ctm.fitted(29)
    assert [i for i, f in enumerate(flags) if not f] == list(range(2, 29, 3))
    assert all(CtmSpec(holdout=0).fitted(5))
    assert parse_study({k: v for k, v in BASE.items()}).base.ctm is None
    c = case_of(conditions=[{"top": 10.0, "bottom": math.inf}], holdout=0)
    assert c.ctm.conditions == ({"top": 10.0, "bottom": math.inf},)


@pytest.mark.parametrize(
    ("keys", "where"),
    [
        ({"conditions": [{"top": -1.0}]}, "ctm.conditions[0].top"),
        ({"conditions": [{"front": 10.0}]}, "ctm.conditions[0].front"),
        ({"conditions": [{"top": True}]}, "ctm.conditions[0].top"),
        ({"conditions": "delphi99"}, "ctm.conditions"),
        ({"conditions": []}, "ctm.conditions"),
        ({"holdout": 1}, "ctm.holdout"),
        ({"holdout": -2}, "ctm.holdout"),
        ({"formats": ["pdf"]}, "ctm.formats"),
        ({"networks": ["foster", "foster"]}, "ctm.networks"),
        ({"junction": {"statistic": "median"}}, "ctm.junction.statistic"),
        ({"nodes": {"a": {"face": "front", "boundaries": ["top"]}}}, "ctm.nodes.a.face"),
        ({"nodes": {"a": {"face": "top", "boundaries": []}}}, "ctm.nodes.a.boundaries"),
        ({"nodes": {"junction": {"face": "top", "boundaries": "top"}}}, "ctm.nodes.junction"),
        ({"nodes": {"a": 3}}, "ctm.nodes.a"),
        ({"two_resistor": False, "delphi": False}, "ctm.delphi"),
        ({"inner_scale": 10.0}, "ctm.inner_scale"),
        ({"colour": 1}, "ctm.colour"),
    ],
)
def test_section_refuses(keys, where):
    with pytest.raises(InputError) as exc:
        case_of(**keys)
    assert exc.value.key == where


def test_panel_has_no_ctm():
    with pytest.raises(InputError) as exc:
        parse_study({"study": {"name": "p", "kind": "panel"}, "ctm": {}})
    assert exc.value.key == "ctm"


def test_file_stems_are_plain_names():
    assert file_stem("ctm case") == "ctm_case"  # a case id or name with a space
    assert file_stem("../../etc/x") == "_.._etc_x"
    assert file_stem("a\\b:c") == "a_b_c"
    assert file_stem("") == "case"


# -- the surface-node geometry -------------------------------------------------------------


@pytest.fixture(scope="module")
def package():
    case = case_of()
    return case, ctm_mesh(case, scale=case.ctm.inner_scale)


def test_surface_nodes_tile_the_package_surface(package):
    case, mesh = package
    g = case.geometry
    bx, by = g.body
    inner = 1.2 * g.die[0]  # 7.2 mm: inside the 10 mm cavity
    area = {b: mesh.boundary_area(b) for b in (*NODES, "top", "bottom", "exterior")}
    # the faces are split by the geometry (edges at the squares): areas exact
    assert area["top_inner"] == pytest.approx(inner * inner, rel=1e-9)
    assert area["bottom_inner"] == pytest.approx(inner * inner, rel=1e-9)
    assert area["top"] == pytest.approx(bx * by, rel=1e-9)
    assert area["bottom"] == pytest.approx(bx * by, rel=1e-9)
    assert area["top_inner"] + area["top_outer"] == pytest.approx(area["top"], rel=1e-12)
    assert area["bottom_inner"] + area["bottom_outer"] == pytest.approx(area["bottom"], rel=1e-12)
    assert area["sides"] == pytest.approx(2 * (bx + by) * g.z_top, rel=1e-9)
    assert sum(area[n] for n in NODES) == pytest.approx(area["exterior"], rel=1e-12)
    # no facet in two nodes
    facets = np.concatenate([mesh.boundaries[n] for n in NODES])
    assert len(np.unique(facets)) == len(facets) == len(mesh.boundaries["exterior"])
    assert "leads" not in mesh.boundaries


def test_the_case_mesh_is_unchanged_by_ctm():
    # the ordinary meshes' cache key does not see [ctm]: their meshes and pins stay
    without = parse_study(BASE).base
    assert cache_key(case_of()) == cache_key(without)
    assert cache_key(case_of(inner_scale=1.5)) == cache_key(without)


# -- the compact models against the detailed model (held-out conditions) ------------------

#: the row's case id the runner passes to analyse (its files are named after it)
CID = "case0003"


@pytest.fixture(scope="module")
def run(tmp_path_factory, package):
    """The case analysed as ``fea run`` does (its row's case id ``CID``): metrics, files,
    results file."""
    case, mesh = package
    folder = tmp_path_factory.mktemp("ctm_case")
    metrics = analyse(case, folder, meta={"study": case.name, "case": CID})
    return case, mesh, metrics, folder / "ctm"


def detailed(mesh, case, h):
    """Tj rise per watt and heat share per surface node under h (face class -> h),
    solved here with fea.solve_thermal, not through fea.ctm, with the case's heat input
    as its thermal analysis has it (the die's power on its active face)."""
    face = {"top_inner": "top", "top_outer": "top", "bottom_inner": "bottom"}
    face |= {"bottom_outer": "bottom", "sides": "sides"}
    conv = {n: (h[face[n]], AMB) for n in NODES if 0 < h.get(face[n], 0) < math.inf}
    fixed = {n: AMB for n in NODES if h.get(face[n], 0) == math.inf}
    P = case.loads.total_power
    th = solve_thermal(
        mesh,
        mesh_materials(mesh, case),
        **thermal_loads(mesh, ctm_case(case)),
        convection=conv,
        fixed=fixed,
        k_at_C=AMB,
        rtol=1e-12,
    )
    heat = {
        n: (th.heat_out.get(f"convection:{n}", 0.0) + th.heat_out.get(f"fixed:{n}", 0.0)) / P
        for n in NODES
    }
    return (th.region_max("die") - AMB) / P, heat


def network(net, h):
    """Junction rise per watt and surface heat shares of a compact network, by a nodal
    solve written here."""
    names = [net.junction] + [s.name for s in net.surfaces]
    n = len(names)
    G = np.zeros((n, n))
    for a, b, R in net.links:
        i, j = names.index(a), names.index(b)
        G[i, i] += 1 / R
        G[j, j] += 1 / R
        G[i, j] -= 1 / R
        G[j, i] -= 1 / R
    ext = np.array([0.0] + [h.get(s.face, 0.0) * s.area_m2 for s in net.surfaces])
    T = np.linalg.solve(G + np.diag(ext), np.eye(n)[0])
    return T[0], {s.name: ext[k + 1] * T[k + 1] for k, s in enumerate(net.surfaces)}


def test_run_writes_models_columns_and_group(run):
    case, _, m, folder = run
    assert [p.suffix for p in folder.parent.glob("*.csv")] == []  # the case's curves only
    # named after the row's case id, not the study's name that every case of a sweep has
    stem = CID
    assert not list(folder.glob(f"{file_stem(case.name)}*"))
    for suffix in ("_2R.cir", "_DELPHI.cir", ".ecxml"):
        assert (folder / f"{stem}{suffix}").is_file()
    assert not (folder / f"{stem}_zth.cir").exists()  # no [transient]: no heating curve
    models = ctm.read_ecxml((folder / f"{stem}.ecxml").read_text())
    assert set(models) == {"2R", "DELPHI"}
    (pkg,) = ET.parse(folder / f"{stem}.ecxml").getroot().iter("Package")
    assert pkg.get("name") == f"{case.name}_{CID}"  # the sweep's packages told apart
    g = read_ctm(folder.parent / "result.h5")
    for k in ("theta_JC_2R_K_per_W", "theta_JB_2R_K_per_W", "delphi_max_junction_error"):
        assert g[k] == m[k]
    assert len(g["fitted"]) == 29 and int(np.sum(g["fitted"] == 0)) == 9
    held = g["fitted"] == 0
    assert np.max(np.abs(g["junction_error"][held])) == m["delphi_heldout_max_junction_error"]
    assert np.max(np.abs(g["heat_error"][held])) == m["delphi_heldout_max_heat_error"]
    R = {(a, b): R for (a, b), R in zip(g["links"], g["links_R_K_per_W"], strict=True)}
    for a, b, r in models["DELPHI"].links:
        assert R[(a, b)] == r
    # the DELPHI netlist carries the same resistors
    cir = (folder / f"{stem}_DELPHI.cir").read_text()
    assert cir.count("\nR") == len(models["DELPHI"].links)


def test_delphi_reproduces_held_out_conditions_within_targets(run):
    case, mesh, m, folder = run
    assert m["delphi_heldout_max_junction_error"] <= ctm.TARGET_JUNCTION
    assert m["delphi_heldout_max_heat_error"] <= ctm.TARGET_HEAT_FLOW
    assert m["delphi_max_junction_error"] <= ctm.TARGET_JUNCTION
    assert m["delphi_max_heat_error"] <= ctm.TARGET_HEAT_FLOW
    net = ctm.read_ecxml((folder / f"{CID}.ecxml").read_text())["DELPHI"]
    # two held-out rows of the set (uniform 1000; a cold plate under natural convection)
    # and two in no row of it, solved here independently of fea.ctm
    for h in (
        {"top": 1e3, "bottom": 1e3, "sides": 1e3},
        {"top": 10.0, "bottom": 1e4, "sides": 10.0},
        {"top": 300.0, "bottom": 3000.0, "sides": 30.0},
        {"top": 5000.0, "bottom": 50.0, "sides": 0.0},
    ):
        theta, q = detailed(mesh, case, h)
        theta_c, q_c = network(net, h)
        assert abs(theta_c - theta) / theta <= ctm.TARGET_JUNCTION, h
        for n in NODES:
            err = abs(q_c[n] - q[n]) / max(abs(q[n]), ctm.HEAT_FLOOR)
            assert err <= ctm.TARGET_HEAT_FLOW, (h, n)


def test_two_resistor_model(run):
    case, mesh, m, folder = run
    net = ctm.read_ecxml((folder / f"{CID}.ecxml").read_text())["2R"]
    # its defining JESD15-3 conditions, solved here
    jc, _ = detailed(mesh, case, {"top": math.inf})
    jb, _ = detailed(mesh, case, {"bottom": math.inf})
    assert m["theta_JC_2R_K_per_W"] == pytest.approx(jc, rel=1e-8)
    assert m["theta_JB_2R_K_per_W"] == pytest.approx(jb, rel=1e-8)
    assert net.resistance("junction", "case") == m["theta_JC_2R_K_per_W"]
    # held out: one face on a cold plate (h = 1e5), the others adiabatic -- the 2R
    # model's own domain (one dominant path): within the junction target
    for h in ({"top": 1e5}, {"bottom": 1e5}):
        theta, _ = detailed(mesh, case, h)
        theta_c, _ = network(net, h)
        assert abs(theta_c - theta) / theta <= ctm.TARGET_JUNCTION, h


def test_bottom_square_edges_clear_the_terminals():
    from fea.package.geometry.unit import ctm_squares

    balls = parse_study({"study": {"name": "b"}}).base.geometry  # 12 x 12 at 0.8 mm
    # 1.25 x 6 mm: the edge at 3.75 mm would cut the balls centred at 3.6 mm (radius
    # 0.2 mm); the nearest lines between rows are at 3.2 and 4.0 mm: 4.0
    assert ctm_squares(balls, 1.25) == ((7.5e-3, 7.5e-3), pytest.approx((8.0e-3, 8.0e-3)))
    # 1.1 x 6 mm: the edge at 3.3 mm is 0.3 and 0.5 mm from the centres at 3.6 and
    # 2.8 mm, beyond the radius plus 5 % of the pitch (0.24 mm): kept
    assert ctm_squares(balls, 1.1)[1] == pytest.approx((6.6e-3, 6.6e-3))
    # at most 90 % of the cavity
    assert ctm_squares(balls, 3.0)[0] == pytest.approx((9.0e-3, 9.0e-3))


def test_pads_are_leads():
    data = {
        **BASE,
        "geometry": {"terminals": {"kind": "pads", "rows": 4, "cols": 4}},
        "ctm": {},
    }
    case = parse_study(data).base
    mesh = ctm_mesh(case)
    g = case.geometry
    t = g.terminals
    R, n = t.diameter / 2, t.rows * t.cols
    contact = mesh.boundary_area("dielectric|terminals")
    bx, by = g.body
    # the pads (4 x 4 at 0.8 mm) lie inside the 7.2 mm square: its area is split between
    # the dielectric's exposed face and the pads' contacts, exactly
    assert mesh.boundary_area("bottom") + contact == pytest.approx(bx * by, rel=1e-9)
    assert mesh.boundary_area("bottom_inner") + contact == pytest.approx(7.2e-3**2, rel=1e-9)
    tips = mesh.boundary_area("terminal_tips")
    assert tips == pytest.approx(contact, rel=1e-9)
    # the cylinders are faceted: within 5 % of the closed form
    leads = mesh.boundary_area("leads")
    exact = n * (math.pi * R * R + 2 * math.pi * R * t.pad_thickness)
    assert leads == pytest.approx(exact, rel=0.05)
    assert set(ctm_nodes(mesh, CtmSpec())) == {*NODES, "leads"}
