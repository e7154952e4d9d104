"""A small package end to end: energy balance, plausible metrics, symmetric warpage, study run."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fea.package.analyse import thermal_metrics
from fea.package.meshing import build_mesh
from fea.package.spec import parse_study
from fea.physics.mechanics import solve_thermoelastic

SMALL = {
    "study": {"name": "small"},
    "geometry": {
        "cavity_mm": [3.0, 3.0],
        "cavity_depth_mm": 0.5,
        "die": {"size_mm": [1.5, 1.5], "thickness_mm": 0.25},
        "openings": {"kind": "slots", "count": 2, "width_mm": 0.4, "height_mm": 0.15},
        "terminals": {"kind": "balls", "rows": 2, "cols": 2, "pitch_mm": 1.2},
        "board": {"size_mm": [12.0, 12.0], "thickness_mm": 0.8},
    },
    "mesh": {"size_mm": 0.6, "board_size_mm": 2.0, "terminal_size_mm": 0.15},
    "loads": {"power_W": {"die": 0.5}, "warpage_temperatures_C": [25.0]},
    "solver": {"backend": "cpu"},
}


def probed_top(me, z: float) -> np.ndarray:
    """Out-of-plane displacement [m] probed on a 7 x 7 grid over +-1.5 mm of the top face
    at height ``z``, its best-fit plane removed, shape (7, 7)."""
    xs = np.linspace(-1.5e-3, 1.5e-3, 7)
    pts = np.array([[x, y, z] for x in xs for y in xs])
    w = me.probe(pts)[:, 2]
    A = np.column_stack([np.ones(len(pts)), pts[:, 0], pts[:, 1]])
    return (w - A @ np.linalg.lstsq(A, w, rcond=None)[0]).reshape(7, 7)


def radial_shape(w: np.ndarray) -> str:
    """Shape of a symmetric probed face (7 x 7) from three heights: the centre, the ring
    at 1-1.4 mm and the corners. ``"M"``: the ring above both; ``"W"``: below both;
    otherwise a bowl."""
    ring = np.mean(
        [w[i, j] for i in range(1, 6) for j in range(1, 6) if max(abs(i - 3), abs(j - 3)) == 2]
    )
    centre, corners = w[3, 3], np.mean([w[0, 0], w[0, 6], w[6, 0], w[6, 6]])
    if ring > centre and ring > corners:
        return "M"
    if ring < centre and ring < corners:
        return "W"
    return "bowl"


@pytest.fixture(scope="module")
def case():
    return parse_study(SMALL).base


@pytest.fixture(scope="module")
def unit_solver():
    """The unit's mechanics solver setup, kept across this file's warpage_metrics calls as
    a study's group keeps it (:class:`fea.package.analyse.SolverContext`): the 25 degC
    state's stiffness is factorised once, not once per test (a direct solve on the same
    matrix: the same answer to rounding)."""
    from fea.package.analyse import SolverContext

    with SolverContext("test_analyse") as context:
        yield context


def _check_energy_balance_and_metrics(case) -> None:
    m, th = thermal_metrics(case)
    assert m["heat_balance_ratio"] < 1e-6, "power in = heat out through convection"
    assert m["Tj_max_C"] > case.loads.ambient
    assert m["theta_jc_K_per_W"] < m["R_ja_uniform_h_K_per_W"]
    assert m["psi_jt_uniform_h_K_per_W"] < m["R_ja_uniform_h_K_per_W"]
    assert 0 < m["die_spread_K"] < m["Tj_max_C"] - case.loads.ambient
    # the heat leaves through the package and the board, all of it
    assert sum(th.heat_out.values()) == pytest.approx(0.5, rel=1e-6)
    assert th.heat_out["convection:board_surface"] > 0


def test_energy_balance_and_metrics():
    """Power in = heat out, and the metrics' order, with theta_JC by the fixed-case method
    on the package's own mesh (built apart from the board's, as for the dual interface).
    The JESD51-14 dual interface (30 of this case's 39 s) on this board case: the slow test
    below; in the default run the dual-interface theta_JC and its place below theta_JA:
    tests/package/test_imported_builtin.py."""
    raw = {**SMALL, "theta_jc": {"method": "fixed_case"}}
    _check_energy_balance_and_metrics(parse_study(raw).base)


@pytest.mark.slow
def test_energy_balance_and_metrics_with_the_dual_interface_theta_jc(case):
    _check_energy_balance_and_metrics(case)


def test_symmetric_package_warps_symmetrically(case):
    unit = dataclasses.replace(case, geometry=dataclasses.replace(case.geometry, board=None))
    mesh, _ = build_mesh(unit)
    mats = {r: m for r, m in case.materials.items() if r in mesh.regions}  # no board here
    me = solve_thermoelastic(mesh, mats, 25.0, {"encapsulant": 175.0, "*": 25.0}, backend="cpu")
    assert me.solver_info["free_body"] and me.reactions < 1e-6
    z = case.geometry.z_top
    xs = np.linspace(-1.5e-3, 1.5e-3, 7)
    pts = np.array([[x, y, z] for x in xs for y in xs])
    w = me.probe(pts)[:, 2]
    # the warpage field: the best-fit plane (a rigid tilt) removed, as in Warpage
    A = np.column_stack([np.ones(len(pts)), pts[:, 0], pts[:, 1]])
    w = (w - A @ np.linalg.lstsq(A, w, rcond=None)[0]).reshape(7, 7)
    scale = w.max() - w.min()
    assert np.abs(w - w[::-1, :]).max() < 0.1 * scale  # mirror x; coarse unstructured mesh: 5-7 %
    assert np.abs(w - w[:, ::-1]).max() < 0.1 * scale  # mirror y
    assert np.abs(w - w.T).max() < 0.1 * scale  # x <-> y
    wp = me.warpage("top")
    assert 0 < wp.peak_to_valley < 1e-4
    # the JEDEC sign against the probed field's own quadratic fit: convex (a dome, +) when
    # -(w_xx + w_yy) / 2 > 0; and the package is square and symmetric, so the two
    # principal curvatures agree to the mesh's 5-7 % asymmetry; the shape class against
    # the probed profile's centre, ring and corners
    X, Y = pts[:, 0], pts[:, 1]
    Q = np.column_stack([np.ones_like(X), X, Y, X * X, X * Y, Y * Y])
    c = np.linalg.lstsq(Q, w.ravel(), rcond=None)[0]
    probed_mean_curvature = -(c[3] + c[5])
    assert np.sign(wp.signed) == np.sign(probed_mean_curvature)
    k1, k2 = wp.principal_curvatures
    assert k2 == pytest.approx(k1, rel=0.15)
    assert wp.shape == radial_shape(w) == "M"


def test_reflow_profile_is_dense_around_tg_and_times_increase(case):
    from fea.package.analyse import reflow_profile, state_times

    loads = dataclasses.replace(case.loads, reflow=(25.0, 100.0, 150.0, 260.0, 150.0, 25.0))
    c = dataclasses.replace(case, loads=loads)
    assert c.materials["encapsulant"].Tg == 130.0
    up = (25.0, 100.0, 120.0, 125.0, 130.0, 135.0, 140.0, 150.0, 260.0)
    down = (150.0, 140.0, 135.0, 130.0, 125.0, 120.0, 25.0)
    assert reflow_profile(c) == up + down  # Tg +- 2 x 5 K on both legs, in the legs' order
    off = dataclasses.replace(c, loads=dataclasses.replace(loads, reflow_tg_step=0.0))
    assert reflow_profile(off) == loads.reflow
    # ParaView times: temperatures of a sweep, the step index of a profile
    assert state_times([25.0, 260.0]) == ([25.0, 260.0], "degC")
    assert state_times([25.0, 260.0, 25.0]) == ([0.0, 1.0, 2.0], "step")


def test_state_metrics_with_units_locations_interfaces_and_yield(case, unit_solver):
    from fea.package.analyse import warpage_metrics
    from fea.package.names import Column
    from fea.physics.post import YieldWarning

    with pytest.warns(YieldWarning, match=r"shell \(copper\).*at \(.*\) mm"):
        m, states = warpage_metrics(case, context=unit_solver)
    assert list(states) == ["25C"]
    me = states["25C"]
    # a square package on a board: equal principal curvatures to the mesh's asymmetry, and
    # the shape class of the probed top face's centre, ring and corners
    k1, k2 = m["curvature_max_1_per_m@25C"], m["curvature_min_1_per_m@25C"]
    assert k2 == pytest.approx(k1, rel=0.15)
    assert m["warpage_shape@25C"] == radial_shape(probed_top(me, case.geometry.z_top))
    # the largest von Mises stress of the copper's recovered vertex stresses, computed
    # here from their principal stresses, and the yield ratio over copper's 200 MPa
    _, vals = me.recovered.region("shell")
    t = np.zeros((len(vals), 3, 3))
    for n, (i, j) in enumerate([(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]):
        t[:, i, j] = t[:, j, i] = vals[:, n]
    s1, s2, s3 = np.linalg.eigvalsh(t).T
    vm = np.sqrt(0.5 * ((s1 - s2) ** 2 + (s2 - s3) ** 2 + (s3 - s1) ** 2)).max()
    assert m["von_mises_max_MPa@25C:shell"] == pytest.approx(vm / 1e6, rel=1e-9)
    assert m["yield_ratio@25C:shell"] == pytest.approx(vm / 200e6, rel=1e-9)
    assert m["von_mises_max_at_mm@25C:shell"].endswith(" mm")
    assert m["yield_ratio@25C:shell"] > 1 and "yield_ratio@25C:die" not in m  # no proof stress
    assert "principal_max_MPa@25C:die" in m and "principal_max_MPa@25C:encapsulant" in m
    interfaces = {Column.parse(k).region for k in m if k.startswith("peel_max_MPa@")}
    assert {"die|encapsulant", "encapsulant|shell", "dielectric|shell"} <= interfaces
    assert all("|" in name for name in interfaces)
    assert any(k.startswith("shear_band_MPa@25C:") for k in m)
    assert "shell (copper)" in m["warnings"][0]
    for k, v in m.items():
        if k != "warnings":
            c = Column.parse(k)
            assert c.unit or c.is_text, k
            assert isinstance(v, str) == c.is_text, k


def test_solder_balls_at_the_reflow_peak_are_noted_molten_not_yielding(case, unit_solver):
    """At 260 C the SAC305 balls are above their 217 C solidus: no yield ratio or yield
    warning for them there (they were reported as yielding at 2x the proof stress), a
    MoltenWarning and a note naming the state and the solidus instead; at 25 C they are
    checked as before."""
    from fea.package.analyse import warpage_metrics
    from fea.physics.post import MoltenWarning

    hot = dataclasses.replace(
        case, loads=dataclasses.replace(case.loads, warpage_temperatures=(25.0, 260.0))
    )
    with pytest.warns(MoltenWarning, match=r"at 260C: terminals \(sac305\) is above its 217"):
        m, states = warpage_metrics(hot, context=unit_solver)
    assert list(states) == ["25C", "260C"]
    assert "yield_ratio@260C:terminals" not in m and "yield_ratio@25C:terminals" in m
    assert "von_mises_max_MPa@260C:terminals" in m  # the elastic model's, kept
    notes = [w for w in m["warnings"] if "terminals" in w]
    head = "260C: terminals (sac305) is above its 217 degC solidus"
    assert any(w.startswith(head) for w in notes)
    assert not any("260C: terminals" in w and "proof stress" in w and "passes" in w for w in notes)


@pytest.mark.slow
def test_unit_process_history_end_to_end(tmp_path):
    """A small unit through moulding, cooling and a reflow cycle with the viscoelastic
    compound: one state per stage and reflow point in the results file (times in s, the
    ParaView time axis); the reflow's cooling leg differs from its heating leg below Tg
    (at 100 C by 0.5 % of the warpage at 25 C, and after the cycle the warpage at 25 C has
    moved by 0.8 %, when written) while the elastic compound's legs coincide."""
    import copy

    from fea.io import read_results
    from fea.package.analyse import analyse

    spec = copy.deepcopy(SMALL)
    spec["mesh"] = {"size_mm": 0.8, "order": 1, "layers_through_thickness": 1}
    spec["materials"] = {"encapsulant": "mold_compound_visco"}
    spec["loads"]["reflow_C"] = [25.0, 100.0, 260.0, 100.0, 25.0]
    spec["loads"]["reflow_Tg_step_K"] = 0.0  # the given points only
    spec["process"] = {
        "reflow_time_s": [0.0, 60.0, 180.0, 240.0, 300.0],
        "max_step_K": 25.0,
        "stages": [
            {"name": "load", "duration_s": 0.0, "temperature_C": 175.0},
            {
                "name": "mould",
                "duration_s": 60.0,
                "temperature_C": 175.0,
                "add": ["encapsulant"],
                "cure": ["encapsulant"],
            },
            {"name": "cooled", "duration_s": 300.0, "temperature_C": 25.0},
        ],
    }
    up, down = "warpage_signed_um@r01_100C", "warpage_signed_um@r03_100C"
    before, after = "warpage_signed_um@r00_25C", "warpage_signed_um@r04_25C"
    case = parse_study(spec).base
    m = analyse(case, tmp_path)
    assert abs(m[up] - m[down]) > 0.002 * abs(m[before])
    assert abs(m[after] - m[before]) > 0.004 * abs(m[before])
    assert "von_mises_max_MPa@load:encapsulant" not in m  # not born yet
    assert "von_mises_max_MPa@mould:encapsulant" in m
    r = read_results(tmp_path / "result.h5")
    labels = [str(x) for x in r.mechanical["labels"]]
    assert labels == ["load", "mould", "cooled"] + [
        f"r0{i}_{T:g}C" for i, T in enumerate(case.loads.reflow)
    ]
    assert np.all(np.diff(r.mechanical["state_values"]) >= 0)
    assert r.mechanical["state_values"][-1] == pytest.approx(360.0 + 300.0)
    assert r.mechanical["active"].shape[0] == len(labels)
    spec["materials"] = {"encapsulant": "mold_compound"}
    m = analyse(parse_study(spec).base)
    assert m[up] == pytest.approx(m[down], rel=1e-6)
    assert m[after] == pytest.approx(m[before], rel=1e-6)
