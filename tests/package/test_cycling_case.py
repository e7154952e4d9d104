"""``[cycling]``: the section, the board-mounted model's joints, and what a study skips."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import numpy as np
import pytest

from fea.errors import InputError
from fea.package.analyse import wants_thermal
from fea.package.cycling import board_model_case, joint_ids
from fea.package.meshing import build_mesh
from fea.package.spec import parse_study
from fea.package.spec.cycling import parse_cycling
from fea.package.spec.reader import Section

ROOT = Path(__file__).resolve().parents[2]


def cycling_raw() -> dict:
    raw = copy.deepcopy(tomllib.loads((ROOT / "studies" / "board_cycling.toml").read_text()))
    raw["mesh"].update(size_mm=1.2, order=1, layers_through_thickness=1, film_size_mm=0.6)
    raw["mesh"].update(opening_size_mm=0.4, terminal_size_mm=0.4, board_size_mm=3.0)
    raw["solver"]["backend"] = "cpu"
    return raw


def test_section_profiles_and_defaults():
    c = parse_cycling(Section({"condition": "G"}, "cycling"))
    p = c.profile
    assert (p.t_min_C, p.t_max_C, p.stress_free_C) == (-40.0, 125.0, 217.0)  # JESD22-A104 G
    assert len(p.cycle_start) == 3  # three cycles by default
    # period: 2 (T_max - T_min) / ramp + 2 dwells = 2 * 165 / 10 * 60 + 2 * 900 s
    assert p.points[p.cycle_end[0]][0] - p.points[p.cycle_start[0]][0] == pytest.approx(3780.0)
    assert (c.layer, c.side, c.board_size) == (pytest.approx(25e-6), "board", None)
    c = parse_cycling(Section({"t_min_C": 0, "t_max_C": 100, "cycles": 2}, "cycling"))
    assert (c.profile.t_min_C, c.profile.t_max_C, len(c.profile.cycle_start)) == (0, 100, 2)
    assert parse_cycling(Section({}, "cycling")) is None


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"condition": "Z"}, "cycling.condition"),
        ({"condition": "G", "t_min_C": -40}, "cycling.condition"),
        ({"cycles": 0}, "cycling.cycles"),
        ({"cycles": 1000}, "cycling.cycles"),
        ({"solder": "lead"}, "cycling.solder"),
        ({"side": "top"}, "cycling.side"),
        ({"layer_um": -5}, "cycling.layer_um"),
        ({"board_size_mm": [10]}, "cycling.board_size_mm"),
        ({"darveaux": "x"}, "cycling.darveaux"),
        ({"cycle": 3}, "cycling.cycle"),
    ],
)
def test_bad_values_name_their_key(data, key):
    with pytest.raises(InputError) as ei:
        parse_cycling(Section(data, "cycling"))
    assert ei.value.key == key


def test_board_coupon_must_hold_the_package():
    raw = cycling_raw()
    raw["cycling"]["board_size_mm"] = [5.0, 5.0]
    with pytest.raises(InputError) as ei:
        board_model_case(parse_study(raw).base)
    assert ei.value.key == "cycling.board_size_mm"


def test_joints_are_the_balls_numbered_row_major():
    """144 balls of the 12 x 12 array at 0.8 mm pitch: one joint each, numbered by rows
    of increasing y then x, each joint's centroid on its grid point (hand arithmetic)."""
    case = parse_study(cycling_raw()).base
    mesh, _ = build_mesh(board_model_case(case))
    j = joint_ids(mesh)
    t = case.geometry.terminals
    assert (j >= 0).sum() == len(mesh.regions["terminals"])
    assert sorted(set(j[j >= 0])) == list(range(t.rows * t.cols))
    p = mesh.p1.p
    cen = p[:, mesh.p1.t].mean(axis=1).T
    vol = mesh.element_volumes()
    for k in (0, 1, t.cols, t.rows * t.cols - 1):
        e = j == k
        c = (cen[e] * vol[e, None]).sum(0) / vol[e].sum()
        row, col = divmod(k, t.cols)
        x = (col - (t.cols - 1) / 2) * t.pitch
        y = (row - (t.rows - 1) / 2) * t.pitch
        assert c[0] == pytest.approx(x, abs=0.02e-3) and c[1] == pytest.approx(y, abs=0.02e-3)
    assert np.all(j[mesh.regions["board"]] == -1)
    # the board model's own numbering (nearest grid site) agrees element by element
    from fea.package.board_model import joint_map

    np.testing.assert_array_equal(joint_map(mesh, case).joint, j)


@pytest.fixture(scope="module")
def short_cycle(tmp_path_factory):
    """A short cycle (0 -> 60 -> 0 C, no dwell, stress free at 60 C) on the full board
    model and on its quarter with symmetry planes, Engelmaier's estimate asked for:
    symmetry -> (CyclingResult, case, folder)."""
    from fea.package.cycling import cycling_metrics

    out = {}
    for sym in ("none", "quarter"):
        raw = cycling_raw()
        raw["cycling"] = {
            "t_min_C": 0.0,
            "t_max_C": 60.0,
            "cycles": 1,
            "dwell_s": 0.0,
            "stress_free_C": 60.0,
            "board_size_mm": [16.0, 16.0],
            "symmetry": sym,
            "models": ["darveaux", "syed", "engelmaier"],
            "delta_alpha_ppm_per_K": 7.0,
        }
        case = parse_study(raw).base
        folder = tmp_path_factory.mktemp(f"cycling_{sym}")
        out[sym] = (cycling_metrics(case, folder), case, folder)
    return out


@pytest.mark.slow
def test_quarter_model_cycles_like_the_full_one(short_cycle):
    """The same critical and mean Delta W on the quarter as on the full model within the
    mesh difference of the two models (measured 1-3 % on warpage in
    tests/package/test_board_model.py; 10 % allowed here). Which joint is critical is not
    compared: on this short cycle several joints are within a few % of each other, and the
    two meshes may pick different ones."""
    full, quarter = (short_cycle[s][0].metrics for s in ("none", "quarter"))
    assert quarter["joints_count"] == full["joints_count"] == 144
    assert quarter["dW_crit_MJ_per_m3"] == pytest.approx(full["dW_crit_MJ_per_m3"], rel=0.10)
    assert quarter["dW_mean_MJ_per_m3"] == pytest.approx(full["dW_mean_MJ_per_m3"], rel=0.10)


@pytest.mark.slow
def test_study_outputs_of_the_quarter_model(short_cycle, tmp_path):
    """The study's outputs on the quarter model: the PNGs, Engelmaier's estimate by hand,
    the results-file fields (joint ids, Delta W per element: its volume average over the
    critical joint's layer, selected here by hand, is the column), the shell's plastic
    strain column."""
    import math

    import fea
    from fea.io.results_writer import write_results

    cr, case, folder = short_cycle["quarter"]
    m = cr.metrics
    for name in ("dw_map.png", "hysteresis_critical.png"):
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the critical joint on the 0.8 mm grid of the 12 x 12 array (centres 0.4 + 0.8 k)
    x, y = m["critical_x_mm"], m["critical_y_mm"]
    for v in (x, y):
        assert (abs(v) - 0.4) / 0.8 == pytest.approx(round((abs(v) - 0.4) / 0.8), abs=1e-9)
    # Engelmaier (IPC-D-279) by hand: d_gamma = L_D d_alpha d_T / h, L_D the array's largest
    # distance from its centre (the corner ball at (4.4, 4.4) mm, whichever joint is
    # critical), h the 0.3 mm standoff, T_sj = 30 C, f = 86400 s / 720 s = 120 cycles/day
    dgamma = math.hypot(4.4, 4.4) * 1e-3 * 7e-6 * 60.0 / 0.3e-3
    c = -0.442 - 6e-4 * 30.0 + 1.74e-2 * math.log(1.0 + 120.0)
    assert m["N_engelmaier_cycles"] == pytest.approx(0.5 * (dgamma / 0.65) ** (1 / c), rel=1e-9)
    # fields of the cycle's states
    states = cr.states()
    start, end = states["cycle_start"], states["cycle_end"]
    mesh = end.mesh
    fs, fe = start.fields(), end.fields()
    np.testing.assert_array_equal(fe["joint_id"][0], cr.joint)
    np.testing.assert_array_equal(fs["delta_w"][0], fe["delta_w"][0])
    solder = cr.joint >= 0
    W0, W1 = fs["dissipated_energy_density"][0], fe["dissipated_energy_density"][0]
    np.testing.assert_allclose(fe["delta_w"][0][solder], (W1 - W0)[solder], rtol=1e-12)
    # the critical joint's layer by hand: its elements with the centroid within the
    # layer of the board pad (z = -0.3 mm)
    crit = int(m["critical_joint_id"])
    cz = mesh.p1.p[2][mesh.p1.t].mean(axis=0)
    layer = (cr.joint == crit) & (cz - (-0.3e-3) <= m["dW_layer_um"] * 1e-6)
    vol = mesh.element_volumes()
    dw = (fe["delta_w"][0][layer] * vol[layer]).sum() / vol[layer].sum()
    assert dw / 1e6 == pytest.approx(m["dW_crit_MJ_per_m3"], rel=1e-9)
    np.testing.assert_array_equal(
        fe["interface_layer"][0][cr.joint == crit], layer[cr.joint == crit]
    )
    # the elastic-plastic shell: its largest equivalent plastic strain at the cycle's end
    eq = fe["equivalent_inelastic_strain"][0]
    shell = mesh.regions["shell"]
    assert m["plastic_strain_max_pct@cycle_end:shell"] == pytest.approx(100 * eq[shell].max())
    # the per-joint table and the critical joint's loop along every solver step: CSVs in
    # the case folder, the /cycling group of the results file
    from fea.io import read_curve_csv
    from fea.physics.fatigue import loop_area

    joints = read_curve_csv(folder / "joints.csv")
    row = int(np.flatnonzero(joints["critical"] == 1.0)[0])
    assert joints["joint_id"][row] == crit
    assert joints["dW_MJ_per_m3"][row] == pytest.approx(m["dW_crit_MJ_per_m3"], rel=1e-9)
    assert joints["dW_MJ_per_m3"].max() == joints["dW_MJ_per_m3"][row]
    assert (joints["x_mm"][row], joints["y_mm"][row]) == pytest.approx((x, y), rel=1e-9)
    loop = read_curve_csv(folder / "hysteresis_critical.csv")
    n_states = len(cr.history.states)
    assert sorted(loop["state"][loop["state"] >= 0]) == list(range(n_states))
    assert loop["time_s"].size > n_states  # the solver's steps between the states
    last = loop["last_cycle"] == 1.0
    area = loop_area(loop["shear_strain_pct"][last] / 100, loop["shear_stress_MPa"][last] * 1e6)
    assert area == pytest.approx(cr.run.loop.area, rel=1e-9)
    tables = cr.run.tables()
    path = write_results(tmp_path / "r.h5", mesh, mechanical=states, meta={"cycling": tables})
    r = fea.read_results(path)
    for name, cols in tables.items():
        assert list(r.cycling[name]) == list(cols)
        for c, v in cols.items():
            np.testing.assert_array_equal(r.cycling[name][c], v)
    info = fea.io.describe(path)
    assert "cycling tables:" in info and "hysteresis_critical" in info
    # the results file carries them (ParaView: cell data)
    for name in (
        "joint_id",
        "delta_w",
        "equivalent_inelastic_strain",
        "dissipated_energy_density",
        "interface_layer",
    ):
        assert r.mechanical[name].shape == (2, mesh.n_elements), name
    assert "delta_w" in path.with_suffix(".xdmf").read_text()


def test_a_study_without_thermal_outputs_skips_the_thermal_solve():
    case = parse_study(cycling_raw()).base
    assert not wants_thermal(case)
    raw = cycling_raw()
    raw["outputs"]["metrics"].append("Tj_max_C")
    assert wants_thermal(parse_study(raw).base)
