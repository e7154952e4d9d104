"""The ``[cycling]`` time-step keys: ``dwell_points``, ``max_step_K``,
``inelastic_step_tol``, and Newton's tolerances ``newton_rtol``, ``newton_dtol``; defaults,
values and errors naming ``cycling.<key>``."""

from __future__ import annotations

import pytest

from fea.errors import InputError
from fea.package.spec.cycling import DEFAULT_DWELL_POINTS, parse_cycling
from fea.package.spec.reader import Section


def cyc(**kw):
    return parse_cycling(Section(kw, "cycling"))


def test_defaults():
    s = cyc(condition="G")
    assert DEFAULT_DWELL_POINTS == 6
    assert s.profile.dwell_points == 6
    assert s.max_step_K == 5.0 and s.inelastic_step_tol is None
    assert (s.newton_rtol, s.newton_dtol) == (1e-8, 1e-6)  # solve_history's
    p = s.profile
    # each 900 s dwell in 6 pieces growing by 1.25: 1, 1.25, 1.5625, 1.953125, 2.44140625,
    # 3.0517578125 (sum 11.2587890625) parts
    cum = (1.0, 2.25, 3.8125, 5.765625, 8.20703125, 11.2587890625)
    k0 = p.cycle_start[0]
    t0 = p.points[k0][0]
    ends = [p.points[k0 + i][0] - t0 for i in range(1, 7)]
    assert ends == pytest.approx([900 * m / cum[-1] for m in cum], rel=1e-13)
    # points: start, first ramp, 3 cycles of two ramps and two 6-point dwells
    assert len(p.points) == 2 + 3 * (2 + 12)


def test_values():
    s = cyc(condition="G", dwell_points=1, max_step_K=10, inelastic_step_tol=2e-3)
    assert s.profile.dwell_points == 1 and len(s.profile.points) == 2 + 3 * 4
    assert s.max_step_K == 10.0 and s.inelastic_step_tol == 2e-3
    s = cyc(condition="G", newton_rtol=1e-6, newton_dtol=1e-5)
    assert (s.newton_rtol, s.newton_dtol) == (1e-6, 1e-5)
    assert cyc(t_min_C=0, t_max_C=100, dwell_points=3).profile.dwell_points == 3


@pytest.mark.parametrize(
    "key,bad",
    [
        ("dwell_points", 0),
        ("dwell_points", 51),
        ("dwell_points", 2.5),
        ("dwell_points", "6"),
        ("max_step_K", 0.0),
        ("max_step_K", -10.0),
        ("max_step_K", 1e4),
        ("max_step_K", "10"),
        ("inelastic_step_tol", 0.0),
        ("inelastic_step_tol", 0.5),
        ("inelastic_step_tol", float("nan")),
        ("newton_rtol", 0.0),
        ("newton_rtol", 0.5),
        ("newton_rtol", float("inf")),
        ("newton_dtol", -1e-6),
        ("newton_dtol", "1e-6"),
    ],
)
def test_bad_values_name_the_key(key, bad):
    with pytest.raises(InputError) as e:
        cyc(condition="G", **{key: bad})
    assert e.value.key == f"cycling.{key}"
