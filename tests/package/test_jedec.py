"""JEDEC environments, the JESD51-7 board stack, copper in the dielectric: the spec keys,
the effective properties by hand, the geometry they add and the metrics on a small unit."""

from __future__ import annotations

import copy
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from fea.errors import InputError
from fea.package import jedec
from fea.package.analyse import thermal_metrics
from fea.package.meshing import build_mesh, cache_key
from fea.package.spec import parse_study
from fea.package.spec.constants import UNIFORM_H_OUTPUTS
from fea.physics.effective import covered_layer, layered_conductivity, via_fraction, with_vias
from fea.physics.materials import Material
from fea.physics.thermal import solve_thermal

from .test_geometry import SMALL as SMALL_GEOMETRY
from .test_geometry import occ_volumes

UNIT = {
    "study": {"name": "jedec_small"},
    "geometry": {
        **copy.deepcopy(SMALL_GEOMETRY),
        "board": {"size_mm": [16.0, 16.0], "thickness_mm": 0.8, "stack": "jesd51_7"},
    },
    "mesh": {
        "size_mm": 0.8,
        "board_size_mm": 3.0,
        "terminal_size_mm": 0.3,
        "film_size_mm": 0.5,
        "layers_through_thickness": 1,
        "order": 1,
    },
    "loads": {"power_W": {"die": 0.5}, "warpage_temperatures_C": []},
    "environment": {"ring_offset_mm": 3.0},
    "solver": {"backend": "cpu"},
}


def study(**env):
    raw = copy.deepcopy(UNIT)
    raw["environment"].update(env)
    return parse_study(raw).base


# -- spec ------------------------------------------------------------------------------


def test_environment_keys_defaults_and_errors():
    case = study()
    assert case.environment.kind == "uniform_h"  # the default keeps the old behaviour
    assert case.environment.cold_plate == 25.0  # the ambient
    case = study(kind="still_air", emissivity={"shell": 0.03})
    assert case.environment.emissivity["shell"] == 0.03
    assert case.environment.emissivity["board"] == 0.9
    bad = [
        ({"kind": "wind"}, "environment.kind"),
        ({"emissivity": {"lid": 0.5}}, "environment.emissivity.lid"),
        ({"emissivity": {"shell": 1.5}}, "environment.emissivity.shell"),
        ({"velocity_m_s": -1.0}, "environment.velocity_m_s"),
        ({"flow": "z"}, "environment.flow"),
        ({"board_point_offset_mm": 4.0}, "environment.board_point_offset_mm"),
        ({"kind": "junction_to_board", "ring_offset_mm": 7.0}, "environment.ring_offset_mm"),
        ({"cold_plate": 20.0}, "environment.cold_plate"),
    ]
    for env, key in bad:
        with pytest.raises(InputError) as exc:
            study(**env)
        assert exc.value.key == key, env
    raw = copy.deepcopy(UNIT)
    del raw["geometry"]["board"]
    raw["environment"] = {"kind": "junction_to_board"}
    with pytest.raises(InputError, match="environment.kind"):
        parse_study(raw)
    # a sweep may set the environment
    raw = copy.deepcopy(UNIT)
    raw["sweep"] = {"kind": "cases", "cases": [{"environment.kind": "forced_air"}]}
    ((_, _, case),) = parse_study(raw).cases()
    assert case.environment.kind == "forced_air"


def test_board_stack_and_via_keys():
    def board(**kw):
        raw = copy.deepcopy(UNIT)
        raw["geometry"]["board"] = {"size_mm": [16.0, 16.0], "thickness_mm": 0.8, **kw}
        return parse_study(raw).base.geometry.board

    b = board(stack="jesd51_7", coverage=[0.2, 1.0, 0.9, 0.2])
    assert [c.thickness for c in b.layers] == pytest.approx([70e-6, 35e-6, 35e-6, 70e-6])
    assert [c.coverage for c in b.layers] == [0.2, 1.0, 0.9, 0.2]
    b = board(stack="layers", copper_um=[35, 35], coverage=[1.0, 1.0], laminate_k=[0.3, 0.3])
    assert len(b.layers) == 2 and b.laminate_k == (0.3, 0.3)
    b = board(thermal_vias={"pitch_mm": 1.2, "drill_mm": 0.3, "plating_um": 25})
    assert b.stack == "material" and b.thermal_vias.pitch == pytest.approx(1.2e-3)
    bad = [
        ({"stack": "jesd51_7", "copper_um": [35]}, "geometry.board.copper_um"),
        ({"stack": "layers"}, "geometry.board.copper_um"),
        ({"stack": "layers", "copper_um": [35, 35], "coverage": [1.0]}, "geometry.board.coverage"),
        ({"stack": "jesd51_7", "coverage": [1.0, 1.0, 1.0, 1.2]}, "geometry.board.coverage[3]"),
        ({"coverage": [1.0]}, "geometry.board.coverage"),
        ({"laminate_k": [0.3, 0.3]}, "geometry.board.laminate_k"),
        (
            {"stack": "layers", "copper_um": [500, 500], "coverage": [1, 1]},
            "geometry.board.copper_um",
        ),
        (
            {"thermal_vias": {"pitch_mm": 0.3, "drill_mm": 0.3}},
            "geometry.board.thermal_vias.drill_mm",
        ),
        (
            {"thermal_vias": {"drill_mm": 0.3, "plating_um": 200}},
            "geometry.board.thermal_vias.plating_um",
        ),
        ({"thermal_vias": {"zone_mm": [20, 5]}}, "geometry.board.thermal_vias.zone_mm"),
        ({"thermal_vias": {"pitch": 1.0}}, "geometry.board.thermal_vias.pitch"),
    ]
    for kw, key in bad:
        with pytest.raises(InputError) as exc:
            board(**kw)
        assert exc.value.key == key, kw


def test_dielectric_via_keys():
    def geometry(vias, **g):
        raw = copy.deepcopy(UNIT)
        raw["geometry"].update(g, vias=vias)
        return parse_study(raw).base.geometry

    g = geometry({"pad_diameter_mm": 0.35, "pad_thickness_um": 10, "via_diameter_mm": 0.12})
    assert g.vias.pad_diameter == pytest.approx(0.35e-3)
    assert geometry({"enabled": False, "pad_diameter_mm": 0.3}).vias is None
    bad = [
        ({"via_diameter_mm": 0.4}, "geometry.vias.via_diameter_mm"),
        ({"pad_diameter_mm": 0.9}, "geometry.vias.pad_diameter_mm"),
        ({"pad_thickness_um": 25}, "geometry.vias.pad_thickness_um"),
        ({"pad_size_mm": 0.3}, "geometry.vias.pad_size_mm"),
    ]
    for vias, key in bad:
        with pytest.raises(InputError) as exc:
            geometry(vias)
        assert exc.value.key == key, vias
    with pytest.raises(InputError, match="geometry.vias.enabled"):
        geometry({}, terminals={"kind": "none"})


def test_uniform_h_outputs_are_not_named_jedec():
    def outputs(metrics, **env):
        raw = copy.deepcopy(UNIT)
        raw["environment"].update(env)
        raw["outputs"] = {"metrics": metrics}
        return parse_study(raw).outputs

    # uniform h on every face is no JEDEC environment: the JEDEC names map, with a warning
    with pytest.warns(DeprecationWarning, match="uniform_h_K_per_W"):
        got = outputs(["Tj_max", "theta_ja", "psi_jb_K_per_W", "theta_jc_K_per_W"])
    assert got == (
        "Tj_max_C",
        "R_ja_uniform_h_K_per_W",
        "psi_jb_uniform_h_K_per_W",
        "theta_jc_K_per_W",
    )
    with pytest.warns(DeprecationWarning, match="psi_jt_uniform_h_K_per_W"):
        assert outputs(["psi_jt_K_per_W"]) == ("psi_jt_uniform_h_K_per_W",)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        # the new names, and the JEDEC names in still air, need no mapping
        assert outputs(["R_ja_uniform_h_K_per_W"]) == ("R_ja_uniform_h_K_per_W",)
        assert outputs(["theta_ja", "psi_jt"], kind="still_air") == (
            "theta_ja_K_per_W",
            "psi_jt_K_per_W",
        )
        # a study that names nothing gets the default outputs under the environment's names
        raw = copy.deepcopy(UNIT)
        default = parse_study(raw).outputs
        assert "R_ja_uniform_h_K_per_W" in default and "theta_ja_K_per_W" not in default
        # a sweep over the environment keeps both names, each filled by its cases
        raw["outputs"] = {"metrics": ["theta_ja_K_per_W"]}
        raw["sweep"] = {"kind": "cases", "cases": [{"environment.kind": "still_air"}]}
        assert parse_study(raw).outputs == ("theta_ja_K_per_W", "R_ja_uniform_h_K_per_W")


# -- effective properties by hand ------------------------------------------------------------


def test_jesd51_7_board_and_thermal_vias_by_hand():
    case = study(kind="still_air")
    eff = jedec.board_conductivity(case)
    k_cu, (lam_xy, lam_z), t = 390.0, (0.8, 0.3), 0.8e-3
    cu = [(70e-6, 0.1), (35e-6, 1.0), (35e-6, 1.0), (70e-6, 0.1)]
    t_lam = t - sum(c for c, _ in cu)
    k_xy = (t_lam * lam_xy + sum(c * (f * k_cu + (1 - f) * lam_xy) for c, f in cu)) / t
    k_z = t / (t_lam / lam_z + sum(c / (f * k_cu + (1 - f) * lam_z) for c, f in cu))
    assert eff.in_plane == pytest.approx(k_xy, rel=1e-12)
    assert eff.through == pytest.approx(k_z, rel=1e-12)
    assert 35 < eff.in_plane < 45 and 0.35 < eff.through < 0.45  # thin board: more copper
    mats = jedec.case_materials(case)
    assert mats["board"].k == pytest.approx((k_xy, k_xy, k_z))
    assert mats["board"].E == case.materials["board"].E  # mechanics as given
    # the 1.6 mm JESD51-7 board
    assert layered_conductivity(
        [1.39e-3, 0.14e-3, 0.07e-3], [0.8, 0.1 * 390 + 0.9 * 0.8, 390], [0.3, 39.27, 390]
    ).in_plane == pytest.approx(21.23, abs=0.01)
    # plated through-holes: annulus over pitch^2, in parallel through the board
    f = via_fraction(1.0e-3, 0.3e-3, 25e-6)
    assert f == pytest.approx(math.pi / 4 * (0.3**2 - 0.25**2) / 1.0**2, rel=1e-12)
    assert via_fraction(1.0e-3, 0.3e-3, 25e-6, filled=True) == pytest.approx(math.pi / 4 * 0.09)
    raw = copy.deepcopy(UNIT)
    raw["geometry"]["board"]["thermal_vias"] = {"pitch_mm": 1.0, "drill_mm": 0.3}
    mats = jedec.case_materials(parse_study(raw).base)
    kx, ky, kz = mats["board_vias"].k
    assert (kx, ky) == pytest.approx((k_xy, k_xy))
    assert kz == pytest.approx((1 - f) * k_z + f * 390.0, rel=1e-12)
    assert with_vias(eff, 0.0, 390.0) == eff
    assert covered_layer(0.25, 390.0, 0.3).through == pytest.approx(0.25 * 390 + 0.75 * 0.3)
    with pytest.raises(InputError):
        covered_layer(1.5, 390.0, 0.3)


# -- geometry ------------------------------------------------------------------------------


def test_dielectric_copper_volumes_closed_form():
    from fea.package.geometry import unit_volumes

    raw = {
        "study": {"kind": "unit"},
        "geometry": {**copy.deepcopy(SMALL_GEOMETRY), "vias": {"pad_diameter_mm": 0.3}},
        "mesh": {"size_mm": 0.6, "layers_through_thickness": 2},
    }
    case = parse_study(raw).base
    vol = occ_volumes(case)
    ref = unit_volumes(case.geometry)
    assert set(vol) == set(ref) and "vias" in ref
    for r, v in ref.items():
        assert vol[r] == pytest.approx(v, rel=1e-6, abs=0), r


def test_cold_plate_faces_and_via_zone():
    raw = copy.deepcopy(UNIT)
    raw["environment"] = {"kind": "junction_to_board", "ring_offset_mm": 3.0}
    raw["geometry"]["board"]["thermal_vias"] = {"pitch_mm": 1.0, "drill_mm": 0.3}
    case = parse_study(raw).base
    mesh, _ = build_mesh(case)
    ox, oy = jedec.ring_opening(case)
    # both faces of the board outside the ring's opening
    assert mesh.boundary_area("cold_plate") == pytest.approx(2 * (16e-3**2 - ox * oy), rel=1e-9)
    bx, by = case.geometry.body
    zone = mesh.element_volumes()[mesh.regions["board_vias"]].sum()
    assert zone == pytest.approx(bx * by * 0.8e-3, rel=1e-9)
    n = mesh.facet_normals(mesh.boundaries["cold_plate"])
    assert np.allclose(np.abs(n[:, 2]), 1.0)


def test_uniform_h_leaves_the_stand_off_gap_out():
    """The uniform-h stand-in cools the faces a still-air chamber reaches: not those in
    the 0.3 mm stand-off gap (the package's underside, the balls, the board's top under
    the body), which face each other, not the room. Isothermal limit (every k 3000
    W/(m K)): theta = 1 / (h A) with A the exposed area by hand."""
    case = study(kind="uniform_h")
    g = case.geometry
    mesh = jedec.environment_mesh(build_mesh(case)[0], case)
    bc = jedec.boundary_conditions(mesh, case)
    mats = {r: Material(r, E=1e9, nu=0.3, alpha=1e-6, k=3000.0) for r in mesh.regions}
    th = solve_thermal(mesh, mats, sources={"die": 0.5}, convection=bc.convection)
    theta = (th.region_max("die") - 25.0) / 0.5
    (bx, by), (Lx, Ly), t = g.body, g.board.size, g.board.thickness
    board = 2 * Lx * Ly + 2 * (Lx + Ly) * t - bx * by  # the top under the body left out
    package = bx * by + 2 * (bx + by) * g.z_top  # the top and the sides above z = 0
    A = board + package  # 571.3 mm^2: 175.0 K/W (167.6 with the gap's 25.1 mm^2)
    assert theta == pytest.approx(1 / (case.loads.h * A), rel=0.01)
    assert sum(th.heat_out.values()) == pytest.approx(0.5, rel=1e-8)


@pytest.mark.slow  # 2 steady solves and a mesh of the package alone: about 15 s loaded
def test_the_transient_benchmark_solves_the_studys_uniform_h():
    """scripts/bench_transient.py times the baseline's heating curve against its steady
    solve and prints that solve's (Tj - T_a) / P as the study's R_ja_uniform_h: its loads
    are the study's, the stand-off gap left out and the die's power on its active face
    (with h on every face and the power in the die's volume, as the script had them, this
    unit gives 519.9 K/W against the study's 554.8)."""
    import importlib.util

    from fea.package.analyse import mesh_materials

    path = Path(__file__).resolve().parents[2] / "scripts" / "bench_transient.py"
    spec = importlib.util.spec_from_file_location("bench_transient", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    raw = copy.deepcopy(UNIT)
    raw["theta_jc"] = {"method": "fixed_case"}
    case = parse_study(raw).base
    m, th = thermal_metrics(case)
    own = solve_thermal(
        th.mesh,
        mesh_materials(th.mesh, case),
        **bench.study_loads(th.mesh, case),
        backend="cpu",
        method=case.solver.method,
        rtol=case.solver.rtol,
    )
    r_ja = (own.region_max("die") - case.loads.ambient) / case.loads.total_power
    assert r_ja == pytest.approx(m["R_ja_uniform_h_K_per_W"], rel=1e-6)


# -- environments on a small unit ------------------------------------------------------------


@pytest.fixture(scope="module")
def metrics():
    out = {}
    for kind in ("uniform_h", "still_air", "forced_air", "junction_to_board"):
        case = study(kind=kind, velocity_m_s=2.0)
        out[kind] = (case, *thermal_metrics(case))
    return out


@pytest.mark.slow
def test_every_environment_balances_its_heat(metrics):
    for kind, (_case, m, th) in metrics.items():
        assert m["heat_balance_ratio"] < 1e-8, kind
        assert sum(th.heat_out.values()) == pytest.approx(0.5, rel=1e-8), kind
    _, _, th = metrics["junction_to_board"]
    assert th.heat_out == pytest.approx({"fixed:cold_plate": 0.5})


@pytest.mark.slow
def test_still_air_coefficients_and_metrics(metrics):
    case, m, th = metrics["still_air"]
    assert set(th.surface_h) == {"package_air", "board_air"}
    assert th.solver_info["picard_iterations"] <= 12
    model, Ta = jedec.boundary_conditions(th.mesh, case).convection["board_air"]
    assert model.lengths()["up"] == pytest.approx(16e-3 / 4)  # the board's A/P
    # convection + radiation of a small FR-4 board some 50-100 K above the room
    h_mean = th.solver_info["surface_h_mean"]["board_air"]
    assert 8.0 < h_mean < 30.0
    assert np.all(th.surface_h["board_air"] > 0)
    # the gap faces are not in the air boundaries
    nf = len(th.mesh.boundaries["package_surface"])
    assert len(th.mesh.boundaries["package_air"]) < nf
    u, mu, _ = metrics["uniform_h"]
    # the same metrics as the uniform-h stand-in, which has its own (non-JEDEC) names
    assert {UNIFORM_H_OUTPUTS.get(k, k) for k in m} == set(mu)
    assert not set(UNIFORM_H_OUTPUTS) & set(mu)
    assert 0 < m["psi_jt_K_per_W"] < m["psi_jb_K_per_W"] < m["theta_ja_K_per_W"]
    # (Tj - T_a) / P by hand
    assert mu["R_ja_uniform_h_K_per_W"] == pytest.approx((mu["Tj_max_C"] - 25.0) / 0.5)


@pytest.mark.slow
def test_forced_air_cools_better_and_cold_plate_theta_jb(metrics):
    _, still, _ = metrics["still_air"]
    _, forced, th = metrics["forced_air"]
    assert "theta_ja_K_per_W" not in forced
    assert forced["theta_jma_K_per_W"] < still["theta_ja_K_per_W"]
    assert th.solver_info["surface_h_mean"]["board_air"] > 15.0  # 2 m/s along 16 mm
    _, jb, _ = metrics["junction_to_board"]
    assert set(jb) >= {"theta_jb_K_per_W", "theta_jc_K_per_W", "Tj_max_C"}
    assert "theta_ja_K_per_W" not in jb and "psi_jb_K_per_W" not in jb
    # all the heat through the terminals into the board: theta_JB above psi_JB of still
    # air, where part of the heat leaves from the package's own faces
    assert still["psi_jb_K_per_W"] < jb["theta_jb_K_per_W"]


@pytest.mark.slow
def test_theta_jc_is_the_packages_in_every_environment(metrics):
    # one package, one theta_JC: the board, its cold-plate ring and the environment's
    # coefficients do not reach its solve
    values = {kind: m["theta_jc_K_per_W"] for kind, (_, m, _) in metrics.items()}
    ref = values["uniform_h"]
    assert 0 < ref < math.inf
    for kind, v in values.items():
        assert v == pytest.approx(ref, rel=1e-9), kind


@pytest.mark.slow
def test_fixed_case_theta_jc_ignores_the_board():
    # second path: the package built without a board, the rear face held at ambient and
    # every other face adiabatic, solved by hand
    from fea.package.analyse import mesh_materials
    from fea.package.power_map import thermal_loads
    from fea.physics.thermal import solve_thermal

    raw = copy.deepcopy(UNIT)
    raw["theta_jc"] = {"method": "fixed_case"}
    raw["environment"] = {"kind": "junction_to_board", "ring_offset_mm": 3.0}
    m, _ = thermal_metrics(parse_study(raw).base)
    del raw["geometry"]["board"]
    raw["environment"] = {}
    bare = parse_study(raw).base
    mesh, _ = build_mesh(bare)
    assert "board" not in mesh.regions
    th = solve_thermal(
        mesh,
        mesh_materials(mesh, bare),
        **thermal_loads(mesh, bare),
        fixed={"shell_top": 25.0},
        backend="cpu",
    )
    assert sum(th.heat_out.values()) == pytest.approx(0.5, rel=1e-8)
    by_hand = (th.region_max("die") - 25.0) / 0.5
    assert m["theta_jc_K_per_W"] == pytest.approx(by_hand, rel=1e-8)


def test_vias_default_as_documented():
    # docs/spec.md: no [geometry.vias] table, no pads or vias; with the table, vias unless
    # enabled = false
    from pathlib import Path

    from fea.package.spec.geometry import ViaSpec

    doc = (Path(__file__).resolve().parents[2] / "docs" / "spec.md").read_text()
    (row,) = [r for r in doc.splitlines() if r.startswith("| `vias.enabled`")]
    default = row.split("|")[4].strip()
    assert default.startswith("false") and "true with the table" in default
    raw = copy.deepcopy(UNIT)
    assert parse_study(raw).base.geometry.vias is None
    raw["geometry"]["vias"] = {}
    assert parse_study(raw).base.geometry.vias == ViaSpec()
    raw["geometry"]["vias"] = {"enabled": False, "pad_diameter_mm": 0.3}
    assert parse_study(raw).base.geometry.vias is None
    raw["geometry"]["vias"] = {"enabled": True}
    assert parse_study(raw).base.geometry.vias == ViaSpec()


def test_package_case_is_the_package_alone():
    raw = copy.deepcopy(UNIT)
    raw["environment"] = {"kind": "junction_to_board", "ring_offset_mm": 3.0}
    raw["loads"]["h_boundaries"] = {"board_bottom": 20.0}
    raw["contacts"] = {
        "die|die_attach": {"R_mm2K_per_W": 10.0},
        "terminals|board": {"R_mm2K_per_W": 5.0},
    }
    case = parse_study(raw).base
    pkg = jedec.package_case(case)
    assert pkg.geometry.board is None and case.geometry.board is not None
    assert pkg.environment.kind == "uniform_h" and pkg.loads.h_boundaries == {}
    assert pkg.contacts == {"die|die_attach": pytest.approx(1e-5)}
    assert pkg.loads.power == case.loads.power and pkg.materials == case.materials
    assert pkg.geometry.die == case.geometry.die and pkg.mesh == case.mesh
    # every environment of one package: one package (what its theta_JC solve reads)
    ref = jedec.package_case(study())
    for kind in ("still_air", "forced_air", "junction_to_board"):
        other = jedec.package_case(study(kind=kind))
        for field in ("geometry", "environment", "loads", "contacts", "materials", "mesh"):
            assert getattr(other, field) == getattr(ref, field), (kind, field)


def test_baseline_theta_jc_model_is_one_in_every_environment():
    # the baseline study in uniform_h (its own), still air and on the ring cold plate:
    # the theta_JC solve reads one package model (the solve itself:
    # test_theta_jc_is_the_packages_in_every_environment)
    import tomllib
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "studies" / "baseline.toml"
    raw = tomllib.loads(path.read_text())
    cases = {}
    for kind in ("uniform_h", "still_air", "junction_to_board"):
        r = copy.deepcopy(raw)
        r["environment"] = {"kind": kind}
        cases[kind] = jedec.package_case(parse_study(r).base)
    ref = cases["uniform_h"]
    for kind, pkg in cases.items():
        for field in ("geometry", "environment", "loads", "contacts", "materials", "mesh"):
            assert getattr(pkg, field) == getattr(ref, field), (kind, field)
        assert cache_key(pkg) == cache_key(ref), kind  # one mesh
    assert ref.geometry.board is None
