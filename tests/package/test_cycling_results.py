"""Temperature cycling's results recomputed from a run: Engelmaier's DNP is the outermost
joint's, Delta W from the results file of a quarter model, the critical joint's hysteresis
loop of the physical sign."""

from __future__ import annotations

import math

import pytest


def test_engelmaiers_dnp_is_the_outermost_joints_not_the_critical_ones():
    """Engelmaier's L_D is the array's largest distance from the neutral point (IPC-D-279,
    "maximum distance from the neutral point"; Engelmaier, IEEE Trans. CHMT 6 (1983)
    232-237: the outermost joint fails first in his model), whichever joint the finite
    elements find critical. It was the critical joint's own distance: a critical joint
    inside the array (under the die's edge, or a coarse mesh's pick: the baseline's full
    model at the pinned mesh picks (4.4, 3.6) mm, not the corner) gave a longer Engelmaier
    life, 1.24x for that joint. Here a 3 x 3 column array (a corner critical, by its
    physics) is given centres with the middle joint the farthest from the array's centre:
    L_D is its distance, the strain range and the life by hand from it (h = 0.3 mm, the
    columns' height; 0/60 degC, no dwell: T_sj = 30 degC, f = 86,400 / 720 s = 120/day)."""
    import numpy as np

    from fea.package.cycling import FatigueOptions, run_cycling
    from fea.physics.cycling import temperature_cycles

    from .cycling_model import MATERIALS, column_array

    mesh, joint, geo = column_array(n=3, h=0.5e-3, h_solder=0.15e-3)
    pitch = 1.0e-3
    grid = [((j % 3 - 1) * pitch, (j // 3 - 1) * pitch) for j in range(9)]
    grid[4] = (3.0e-3, 3.0e-3)  # the middle joint given the outermost place
    centres = dict(enumerate(grid))
    prof = temperature_cycles(0.0, 60.0, cycles=1, dwell_s=0.0, stress_free_C=60.0)
    run = run_cycling(
        mesh,
        MATERIALS,
        prof,
        joint,
        pad_diameter=0.4e-3,
        centres=centres,
        max_step_K=10.0,
        fatigue=FatigueOptions(layer_thickness=25.4e-6, engelmaier={"delta_alpha": 10e-6}),
    )
    assert run.critical_joint in (0, 2, 6, 8)  # a corner, not the outermost joint
    pts = np.array(grid)
    dnp = np.hypot(*(pts - pts.mean(axis=0)).T)
    assert int(np.argmax(dnp)) == 4
    L_D = float(dnp.max())
    est = next(e for e in run.estimates if e.model.startswith("Engelmaier"))
    dgamma = L_D * 10e-6 * 60.0 / 0.3e-3
    assert est.inputs["shear_strain_range"] == pytest.approx(dgamma, rel=1e-9)
    c = -0.442 - 6e-4 * 30.0 + 1.74e-2 * math.log(1.0 + 120.0)
    N = 0.5 * (dgamma / (2 * 0.325)) ** (1.0 / c)
    assert run.metrics()["N_engelmaier_est"] == pytest.approx(N, rel=1e-9)


def test_delta_w_recomputed_from_the_results_file_of_a_quarter_model(tmp_path):
    """A 4 x 4 ball array (pitch 0.8 mm) on its quarter model, one short cycle (0/60 degC),
    run as a study: from result.h5 alone (the nodes, the tetrahedra, the cell fields of the
    cycle's start and end states), each joint's Delta W is recomputed here: the element
    volumes from the node coordinates, the layer by Darveaux's centroid rule from each
    joint's lowest node (the board pad), the volume average of the per-cycle difference of
    the dissipated energy density. The table's critical joint is the largest of them, with
    the same Delta W (1e-9), its id and (x, y) in the FULL array's numbering and
    coordinates (row-major from the (-x, -y) corner: the corner ball at (1.2, 1.2) mm is
    joint 15), the corner joint critical as the mismatch's shear grows with the distance
    from the neutral point; the mean over the 16 joints counts each model joint 4 times."""
    import copy
    import json
    import tomllib
    from pathlib import Path

    import h5py
    import numpy as np

    from fea.package.spec import parse_study
    from fea.study.driver import run_study

    root = Path(__file__).resolve().parents[2]
    raw = copy.deepcopy(tomllib.loads((root / "studies" / "board_cycling.toml").read_text()))
    raw["study"]["name"] = "q4"
    raw["geometry"]["terminals"].update(rows=4, cols=4)
    raw["mesh"].update(size_mm=1.2, order=1, layers_through_thickness=1, film_size_mm=0.6)
    raw["mesh"].update(opening_size_mm=0.4, terminal_size_mm=0.4, board_size_mm=3.0)
    raw["solver"]["backend"] = "cpu"
    raw["outputs"]["field_plots"] = False
    raw["cycling"].update(
        t_min_C=0.0,
        t_max_C=60.0,
        cycles=1,
        dwell_s=0.0,
        stress_free_C=60.0,
        board_size_mm=[12.0, 12.0],
    )
    del raw["cycling"]["condition"]
    run_study(parse_study(raw), tmp_path, progress=False)
    case = tmp_path / "case0000"
    metrics = json.loads((case / "metrics.json").read_text())
    with h5py.File(case / "result.h5", "r") as f:
        m = f["mechanical"]
        labels = [x.decode() if isinstance(x, bytes) else x for x in m["labels"][:]]
        assert labels == ["cycle_start", "cycle_end"]
        nodes, tets = f["mesh/nodes"][:], f["mesh/tets"][:]
        jid = m["joint_id"][1].astype(int)
        W0, W1 = m["dissipated_energy_density"][0], m["dissipated_energy_density"][1]
    X = nodes[tets]
    vol = (
        np.abs(
            np.einsum("ij,ij->i", np.cross(X[:, 1] - X[:, 0], X[:, 2] - X[:, 0]), X[:, 3] - X[:, 0])
        )
        / 6.0
    )
    cz = X[:, :, 2].mean(axis=1)
    layer = metrics["dW_layer_um"] * 1e-6
    ids = np.unique(jid[jid >= 0])
    assert list(ids) == [10, 11, 14, 15]  # the quarter x, y > 0 of the 4 x 4 grid
    dw = {}
    for j in ids:
        mine = jid == j
        pad = X[mine][:, :, 2].min()
        lay = mine & (cz - pad <= layer * (1 + 1e-9))
        dw[int(j)] = float(((W1 - W0)[lay] * vol[lay]).sum() / vol[lay].sum())
    crit = max(dw, key=dw.get)
    assert crit == 15 == metrics["critical_joint_id"]
    assert (metrics["critical_x_mm"], metrics["critical_y_mm"]) == pytest.approx((1.2, 1.2))
    assert metrics["dW_crit_MJ_per_m3"] == pytest.approx(dw[crit] / 1e6, rel=1e-9)
    assert metrics["dW_mean_MJ_per_m3"] == pytest.approx(np.mean(list(dw.values())) / 1e6, rel=1e-9)
    assert metrics["joints_count"] == 16


def test_the_hysteresis_loop_of_the_critical_joint_has_the_physical_sign():
    """Sign of the pad-shear loop (tau along the direction from the array's centre to the
    joint, engineering gamma): a 3 x 3 column array, package 7 ppm/K on a board 17 ppm/K,
    stress free at 125 degC, one cycle -40/+125 degC (20 K/min, 5-min dwells): cooled, the
    board shrinks more, its pad moves toward the centre under the package's, so the corner
    joint's top moves outward relative to its foot: gamma_rz = du_r/dz > 0 and tau > 0 at
    the cold extreme, both lower at the hot one; the loop runs clockwise in (gamma, tau)
    (the signed closed integral of tau d gamma, the path closed last-to-first, positive:
    dissipated, not produced, energy; loop_area takes its absolute value, so a sign error
    would not show in it), its area below Delta W (only the pad shear of averaged
    fields; measured 0.0180 against 0.0529 MJ/m^3 along the 38 solver steps of the cycle,
    0.0167 along its 8 reported states alone)."""
    import numpy as np

    from fea.package.cycling import FatigueOptions, run_cycling
    from fea.physics.cycling import temperature_cycles

    from .cycling_model import MATERIALS, column_array

    mesh, joint, _ = column_array(n=3, h=0.5e-3, h_solder=0.15e-3)
    prof = temperature_cycles(
        -40.0,
        125.0,
        cycles=1,
        ramp_K_per_min=20.0,
        dwell_s=300.0,
        stress_free_C=125.0,
        ramp_points=3,
    )
    run = run_cycling(
        mesh,
        MATERIALS,
        prof,
        joint,
        pad_diameter=0.4e-3,
        max_step_K=10.0,
        fatigue=FatigueOptions(layer_thickness=25.4e-6, syed=None, darveaux=None),
    )
    assert run.critical_joint in (0, 2, 6, 8)
    loop = run.loop
    k0, k1 = loop.closed  # samples of the path (every solver step)
    states = list(loop.marks)  # the sample of each reported state
    s0, s1 = states.index(k0), states.index(k1)
    assert prof.points[s0][1] == -40.0  # the cycle starts at the cold extreme
    assert loop.shear_strain[k0] > 0 and loop.shear_stress[k0] > 0
    hot = [states[i] for i in range(s0, s1 + 1) if prof.points[i][1] == 125.0]
    assert hot
    for i in hot:
        assert loop.shear_strain[i] < loop.shear_strain[k0]
        assert loop.shear_stress[i] < 0 < loop.shear_stress[k0]
    g, t = loop.shear_strain[k0 : k1 + 1], loop.shear_stress[k0 : k1 + 1]
    # the shoelace of the path closed last-to-first, signed (loop_area is its |.|)
    signed = float(0.5 * np.sum((t + np.roll(t, -1)) * (np.roll(g, -1) - g)))
    assert signed > 0
    assert signed == pytest.approx(loop.area, rel=1e-9)
    assert 0 < loop.area < run.energy.critical_delta_w
