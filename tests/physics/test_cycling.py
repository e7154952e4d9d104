"""Temperature-cycling profiles against profiles written out by hand."""

from __future__ import annotations

import math

import pytest

from fea.errors import InputError
from fea.physics import cycling
from fea.physics.cycling import (
    JESD22_A104_CONDITIONS,
    ipc_9701,
    jesd22_a104,
    temperature_cycles,
)


def test_condition_table_values():
    # JESD22-A104 table 1, the conditions most used for boards and packages.
    assert JESD22_A104_CONDITIONS["G"] == (-40.0, 125.0)
    assert JESD22_A104_CONDITIONS["B"] == (-55.0, 125.0)
    assert JESD22_A104_CONDITIONS["J"] == (0.0, 100.0)
    assert JESD22_A104_CONDITIONS["K"] == (0.0, 125.0)
    assert JESD22_A104_CONDITIONS["C"] == (-65.0, 150.0)
    for lo, hi in JESD22_A104_CONDITIONS.values():
        assert lo < hi


def test_condition_g_by_hand():
    # 217 -> -40 at 10 K/min: 257 K = 25.7 min = 1542 s; dwell 15 min = 900 s;
    # -40 -> 125: 165 K = 16.5 min = 990 s.
    p = jesd22_a104("G", cycles=2)
    expected = [
        (0.0, 217.0),
        (1542.0, -40.0),  # cycle 1 starts
        (2442.0, -40.0),
        (3432.0, 125.0),
        (4332.0, 125.0),
        (5322.0, -40.0),  # cycle 1 ends, cycle 2 starts
        (6222.0, -40.0),
        (7212.0, 125.0),
        (8112.0, 125.0),
        (9102.0, -40.0),  # cycle 2 ends
    ]
    assert len(p.points) == len(expected)
    for (t, T), (te, Te) in zip(p.points, expected, strict=True):
        assert t == pytest.approx(te, abs=1e-9)
        assert T == pytest.approx(Te, abs=1e-12)
    assert p.cycle_start == (1, 5)
    assert p.cycle_end == (5, 9)
    assert p.cycle_start_s == pytest.approx((1542.0, 5322.0))
    assert p.cycle_end_s == pytest.approx((5322.0, 9102.0))
    assert p.period_s == pytest.approx(3780.0)
    assert p.cycles == 2
    assert p.condition == "JESD22-A104 G"
    assert p.history() == list(p.points)
    assert p.temperature_at(1542.0 + 900.0 + 495.0) == pytest.approx(42.5)


def test_default_three_cycles_and_hot_first():
    p = jesd22_a104("b")
    assert p.cycles == 3
    assert (p.t_min_C, p.t_max_C) == (-55.0, 125.0)
    # Hot first from room temperature, no dwell, 20 K/min: 25 -> 125 in 300 s, then a
    # triangle of 180 K ramps = 540 s each.
    q = temperature_cycles(
        -55, 125, cycles=1, ramp_K_per_min=20, dwell_s=0, stress_free_C=25, first="hot"
    )
    assert q.points == ((0.0, 25.0), (300.0, 125.0), (840.0, -55.0), (1380.0, 125.0))
    assert q.cycle_start == (1,)
    assert q.cycle_end == (3,)


def test_start_at_extreme_and_slow_initial_ramp():
    p = temperature_cycles(0, 100, cycles=1, dwell_s=600, stress_free_C=0)
    assert p.points[0] == (0.0, 0.0)
    assert p.cycle_start == (0,)
    q = temperature_cycles(
        0, 100, cycles=1, dwell_s=600, stress_free_C=217, initial_ramp_K_per_min=3.0
    )
    assert q.points[1] == (pytest.approx(217 / 3 * 60), 0.0)


def test_ramp_points_split_each_ramp():
    p = temperature_cycles(0, 100, cycles=1, dwell_s=60, stress_free_C=0, ramp_points=4)
    Ts = [T for _, T in p.points]
    assert Ts == [0, 0, 25, 50, 75, 100, 100, 75, 50, 25, 0]
    ts = [t for t, _ in p.points]
    assert all(b > a for a, b in zip(ts[:-1], ts[1:], strict=True))
    assert ts[-1] == pytest.approx(60 + 600 + 60 + 600)


def test_ipc_9701_tc1():
    p = ipc_9701("TC1", cycles=1)
    assert (p.t_min_C, p.t_max_C, p.dwell_s) == (0.0, 100.0, 600.0)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"ramp_K_per_min": 0.0}, "cycling.ramp_K_per_min"),
        ({"ramp_K_per_min": -5.0}, "cycling.ramp_K_per_min"),
        ({"ramp_K_per_min": math.nan}, "cycling.ramp_K_per_min"),
        ({"dwell_s": -1.0}, "cycling.dwell_s"),
        ({"cycles": 0}, "cycling.cycles"),
        ({"cycles": 2.5}, "cycling.cycles"),
        ({"cycles": True}, "cycling.cycles"),
        ({"stress_free_C": -300.0}, "cycling.stress_free_C"),
        ({"first": "warm"}, "cycling.first"),
        ({"initial_ramp_K_per_min": 0.0}, "cycling.initial_ramp_K_per_min"),
        ({"ramp_points": 0}, "cycling.ramp_points"),
    ],
)
def test_refused_inputs_name_the_key(kwargs, key):
    with pytest.raises(InputError) as exc:
        temperature_cycles(-40, 125, **kwargs)
    assert exc.value.key == key


def test_absurd_cycle_count_states_the_estimate():
    with pytest.raises(InputError) as exc:
        jesd22_a104("G", cycles=1000)
    assert exc.value.key == "cycling.cycles"
    # 1000 cycles of 3780 s = 1050 h, 1000 x 4 + 2 points.
    assert "1,050.0 h" in str(exc.value)
    assert "4,002 points" in str(exc.value)
    assert cycling.MAX_CYCLES == 100


def test_bad_condition_and_range():
    with pytest.raises(InputError) as exc:
        jesd22_a104("Z")
    assert exc.value.key == "cycling.condition"
    with pytest.raises(InputError) as exc:
        jesd22_a104("G", soak_mode=7)
    assert exc.value.key == "cycling.soak_mode"
    with pytest.raises(InputError) as exc:
        temperature_cycles(125, -40)
    assert exc.value.key == "cycling.t_max_C"
    # no swing: 20 to 20.0000001 C ran and gave a life from the relaxation alone
    with pytest.raises(InputError) as exc:
        temperature_cycles(20.0, 20.0000001, stress_free_C=217.0)
    assert exc.value.key == "cycling.t_max_C" and "at least 1 K above" in str(exc.value)
    assert temperature_cycles(20.0, 21.0, stress_free_C=217.0).t_max_C == 21.0


def test_solve_history_takes_a_profile_as_its_points():
    """``fea.solve_history(mesh, materials, profile)`` solves the profile's points: the
    same times and states as ``profile.history()`` (it was refused as not a list)."""
    import numpy as np

    import fea
    from fea.physics.materials import Material

    from ..verification.helpers import layered_box

    bar = layered_box((1e-3, 1e-3), [("a", 0.2e-3, 1), ("b", 0.2e-3, 1)], 0.5e-3, order=1)
    mats = {"a": Material("a", E=100e9, nu=0.3, alpha=17e-6, k=1.0),
            "b": Material("b", E=10e9, nu=0.3, alpha=60e-6, k=1.0)}
    prof = temperature_cycles(0.0, 60.0, cycles=1, dwell_s=60.0, stress_free_C=60.0)
    a = fea.solve_history(bar, mats, prof, 25.0, backend="cpu")
    b = fea.solve_history(bar, mats, prof.history(), 25.0, backend="cpu")
    assert np.array_equal(a.times, b.times) and len(a.times) == len(prof.history())
    for sa, sb in zip(a.states, b.states, strict=True):
        assert np.array_equal(sa.displacement, sb.displacement)
