"""Dwell points of a temperature-cycling profile: each dwell cut into pieces growing by a
constant ratio (the first the shortest); the points against values written out by hand."""

from __future__ import annotations

import pytest

from fea.errors import InputError
from fea.physics.cycling import (
    DWELL_RATIO,
    MAX_PROFILE_POINTS,
    MIN_DWELL_FRACTION,
    dwell_fractions,
    ipc_9701,
    jesd22_a104,
    temperature_cycles,
)


def test_default_ratio():
    assert DWELL_RATIO == 1.25


def test_fractions_by_hand():
    # ratio 2: 1 + 2 + 4 = 7 sevenths; 1 + 2 + 4 + 8 = 15 fifteenths
    assert dwell_fractions(3, 2.0) == pytest.approx((1 / 7, 3 / 7, 1.0), rel=1e-15)
    assert dwell_fractions(4, 2.0) == pytest.approx((1 / 15, 3 / 15, 7 / 15, 1.0), rel=1e-15)
    # ratio 1.25: 1 + 1.25 + 1.5625 = 3.8125
    assert dwell_fractions(3) == pytest.approx((1 / 3.8125, 2.25 / 3.8125, 1.0), rel=1e-15)
    assert dwell_fractions(1) == (1.0,)
    # ratio 1: equal pieces
    assert dwell_fractions(4, 1.0) == pytest.approx((0.25, 0.5, 0.75, 1.0), rel=1e-15)
    assert dwell_fractions(6)[-1] == 1.0 and dwell_fractions(7, 2.0)[-1] == 1.0


def test_points_where_the_formula_says():
    # -40/+125 degC, 10 K/min, 900 s dwells in 3 pieces of 900/7, 1800/7, 3600/7 s,
    # from 217 degC: the first ramp 257 K = 1542 s, each ramp 165 K = 990 s
    p = temperature_cycles(-40.0, 125.0, cycles=2, dwell_points=3, dwell_ratio=2.0)
    d = [900 / 7, 2700 / 7, 900.0]
    t = 1542.0
    want = [(0.0, 217.0), (1542.0, -40.0)]
    for _ in range(2):
        want += [(t + x, -40.0) for x in d]
        t += 900.0 + 990.0
        want.append((t, 125.0))
        want += [(t + x, 125.0) for x in d]
        t += 900.0 + 990.0
        want.append((t, -40.0))
    assert len(p.points) == len(want) == 2 + 2 * 8
    for (ta, Ta), (tb, Tb) in zip(p.points, want, strict=True):
        assert ta == pytest.approx(tb, rel=1e-14) and Ta == Tb
    # each cycle starts on arriving at -40 degC (before its dwell) and ends on arriving back
    assert p.cycle_start == (1, 9) and p.cycle_end == (9, 17)
    assert [p.points[i] for i in p.cycle_start] == [(1542.0, -40.0), (1542.0 + 3780.0, -40.0)]
    assert p.cycle_end_s[-1] == pytest.approx(1542.0 + 2 * 3780.0)
    assert p.period_s == 3780.0 and p.dwell_points == 3
    # the first piece is the shortest, each the double of the last
    dt = [b[0] - a[0] for a, b in zip(p.points[1:4], p.points[2:5], strict=False)]
    assert dt == pytest.approx([900 / 7, 1800 / 7, 3600 / 7], rel=1e-13)


def test_one_dwell_point_is_the_former_profile_bit_for_bit():
    # the profile as the code before dwell points wrote it: one point at each dwell's end
    p = temperature_cycles(-40.0, 125.0, cycles=3, ramp_points=2, dwell_points=1)
    want = [(0.0, 217.0)]
    t, T = 0.0, 217.0

    def ramp(T1):
        nonlocal t, T
        dt = abs(T1 - T) / 10.0 * 60.0
        t0, T0 = t, T
        for k in (1, 2):
            want.append((t0 + dt * k / 2, T0 + (T1 - T0) * k / 2))
        t, T = want[-1]

    def dwell():
        nonlocal t
        want.append((t + 900.0, T))
        t = want[-1][0]

    ramp(-40.0)
    for _ in range(3):
        dwell()
        ramp(125.0)
        dwell()
        ramp(-40.0)
    assert p.points == tuple(want)  # exact: the same floating-point values
    assert p.cycle_start == (2, 8, 14) and p.cycle_end == (8, 14, 20)
    assert temperature_cycles(-40.0, 125.0).points == temperature_cycles(
        -40.0, 125.0, dwell_points=1
    ).points


def test_no_dwell_no_dwell_points():
    p = temperature_cycles(0.0, 100.0, cycles=2, dwell_s=0.0, dwell_points=8)
    assert len(p.points) == 1 + 1 + 2 * 2


def test_standards_pass_it_through():
    p = jesd22_a104("G", cycles=1, dwell_points=4, dwell_ratio=2.0)
    assert p.dwell_points == 4
    # soak mode 4 (900 s) from -40 degC: 60, 180, 420, 900 s
    assert [x[0] - 1542.0 for x in p.points[2:6]] == pytest.approx([60, 180, 420, 900])
    q = ipc_9701("TC1", cycles=1, dwell_points=2, dwell_ratio=2.0)
    # 600 s in 200 + 400 s at 0 degC, reached from 217 degC in 1302 s
    assert [x[0] for x in q.points[1:4]] == pytest.approx([1302.0, 1502.0, 1902.0])
    assert q.cycle_start == (1,) and q.cycle_end == (7,)
    # the default ratio 1.25: 600 s in 600 / 2.25 and 600 x 1.25 / 2.25 s
    r = ipc_9701("TC1", cycles=1, dwell_points=2)
    assert r.points[2][0] - 1302.0 == pytest.approx(600.0 / 2.25, rel=1e-14)


@pytest.mark.parametrize("bad", [0, 101, 2.5, True, "4", float("nan"), 60])
def test_bad_dwell_points(bad):
    with pytest.raises(InputError) as e:
        temperature_cycles(-40.0, 125.0, dwell_points=bad)
    assert e.value.key == "cycling.dwell_points"


@pytest.mark.parametrize("bad", [0.5, 11.0, float("inf")])
def test_bad_dwell_ratio(bad):
    with pytest.raises(InputError) as e:
        temperature_cycles(-40.0, 125.0, dwell_points=3, dwell_ratio=bad)
    assert e.value.key == "cycling.dwell_ratio"


def test_profile_point_limit_names_the_key():
    # 100 cycles of two 100-point dwells (equal pieces): 1 + 1 + 202 x 100 = 20,202 points
    with pytest.raises(InputError) as e:
        temperature_cycles(-40.0, 125.0, cycles=100, dwell_points=100, dwell_ratio=1.0)
    assert e.value.key == "cycling.dwell_points"
    assert f"{MAX_PROFILE_POINTS:,}" in str(e.value)
    # 1 + 1 + 2 x (1 + 98) x 100 = 19,802: allowed
    p = temperature_cycles(-40.0, 125.0, cycles=100, dwell_points=98, dwell_ratio=1.0)
    assert len(p.points) == 19_802


def test_first_piece_not_vanishing():
    # ratio 2: the first of n pieces is 1 / (2^n - 1) of the dwell; 2^19 - 1 = 524,287
    # (1.9e-6), 2^20 - 1 = 1,048,575 (9.5e-7 < 1e-6)
    assert dwell_fractions(19, 2.0)[0] >= MIN_DWELL_FRACTION > dwell_fractions(20, 2.0)[0]
    p = temperature_cycles(-40.0, 125.0, cycles=1, dwell_points=19, dwell_ratio=2.0)
    t = [x[0] for x in p.points]
    assert all(b > a for a, b in zip(t[:-1], t[1:], strict=True))
    with pytest.raises(InputError, match="at most 19 pieces") as e:
        temperature_cycles(-40.0, 125.0, dwell_points=20, dwell_ratio=2.0)
    assert e.value.key == "cycling.dwell_points"
    # ratio 1.25: 0.25 / (1.25^55 - 1) = 1.2e-6, 0.25 / (1.25^56 - 1) = 9.7e-7
    with pytest.raises(InputError, match="at most 55 pieces"):
        temperature_cycles(-40.0, 125.0, dwell_points=56)


def test_no_dwell_takes_any_dwell_points_and_a_vanishing_dwell_is_refused():
    """Without dwells the dwell-piece limit does not apply; a dwell of a picosecond would
    give repeated profile times (zero-length steps): refused at its key."""
    p = temperature_cycles(0.0, 100.0, cycles=1, dwell_s=0.0, dwell_points=80)
    assert len(p.points) == 1 + 1 + 2
    with pytest.raises(InputError, match="at least 1 s") as e:
        temperature_cycles(0.0, 100.0, dwell_s=1e-13, dwell_points=6)
    assert e.value.key == "cycling.dwell_s"
    t = [x[0] for x in temperature_cycles(0.0, 100.0, dwell_s=1.0, dwell_points=6).points]
    assert all(b > a for a, b in zip(t[:-1], t[1:], strict=True))
