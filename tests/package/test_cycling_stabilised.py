"""Is the evaluated cycle stabilised? ``Delta W`` of every joint in every cycle, the
critical joint's change from the cycle before the last (``dW_crit_change_pct``) and the
note when it is over :data:`fea.package.cycling.DW_STABLE_CHANGE`."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from fea.package import cycling as cyc


def test_each_cycles_delta_w_and_the_last_cycles_change():
    """Two cycles of -40/+125 degC on a 3 x 3 column array: the last row of the per-cycle
    Delta W is the reported one, the change column is (last - previous) / last, the
    joints table has each cycle's Delta W; no note (the change is a few per cent here)."""
    from fea.physics.cycling import temperature_cycles

    from .cycling_model import MATERIALS, column_array

    mesh, joint, _ = column_array(n=3, h=0.5e-3, h_solder=0.15e-3)
    prof = temperature_cycles(
        -40.0, 125.0, cycles=2, ramp_K_per_min=20.0, dwell_s=300.0, stress_free_C=125.0
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        run = cyc.run_cycling(
            mesh,
            MATERIALS,
            prof,
            joint,
            pad_diameter=0.4e-3,
            max_step_K=20.0,
            fatigue=cyc.FatigueOptions(layer_thickness=25.4e-6, syed=None, darveaux=None),
        )
    dw = run.cycle_delta_w
    assert dw.shape == (2, 9)
    np.testing.assert_array_equal(dw[-1], run.energy.delta_w)
    c = run.energy.critical
    change = (dw[1, c] - dw[0, c]) / dw[1, c]
    assert 0 < abs(change) < cyc.DW_STABLE_CHANGE
    assert run.metrics()["dW_crit_change_pct"] == pytest.approx(100 * change, rel=1e-12)
    assert not [w for w in caught if "stabilised" in str(w.message)]
    joints = run.tables()["joints"]
    np.testing.assert_allclose(joints["dW_cycle1_MJ_per_m3"], dw[0] / 1e6, rtol=1e-12)
    np.testing.assert_allclose(joints["dW_cycle2_MJ_per_m3"], joints["dW_MJ_per_m3"], rtol=1e-12)


def test_the_note_of_an_unstabilised_cycle():
    note = cyc.stabilisation_note([1.0])  # one cycle: not checked, and said so
    assert "one cycle only" in note and "3 or more cycles" in note
    assert cyc.stabilisation_note([0.0]) == ""  # nothing dissipated: no life either
    assert cyc.stabilisation_note([1.0, 1.04]) == ""  # 3.8 %
    assert cyc.stabilisation_note([0.2, 0.0]) == ""  # nothing dissipated in the last
    note = cyc.stabilisation_note([0.30, 0.36, 0.40])  # +10 % from cycle 2 to 3
    assert "+10 %" in note and "cycle 2 to cycle 3" in note and "run more cycles" in note
    assert "-25 %" in cyc.stabilisation_note([0.5, 0.4])
