"""``fea.fe.timestep.Transient``: arguments of the wrong type or range named at their key,
valid ones kept."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import InputError

# -- Transient: arguments of the wrong type ----------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"theta": "1"}, "transient.theta"),
        ({"theta": 0.4}, "transient.theta"),
        ({"theta": float("nan")}, "transient.theta"),
        ({"tol_K": "0.05"}, "transient.tol_K"),
        ({"tol_K": 0.0}, "transient.tol_K"),
        ({"tol_K": float("inf")}, "transient.tol_K"),
        ({"dt_max_s": "1"}, "transient.dt_max_s"),
        ({"dt_min_s": "1e-6"}, "transient.dt_min_s"),
        ({"dt_min_s": float("nan")}, "transient.dt_min_s"),
        ({"adaptive": "yes"}, "transient.adaptive"),
        ({"adaptive": 1}, "transient.adaptive"),
        ({"fields": True}, "transient.fields"),
        ({"tol_rel": 0.0}, "transient.tol_rel"),
        ({"tol_rel": 2.0}, "transient.tol_rel"),
        ({"tol_rel": "1e-2"}, "transient.tol_rel"),
        ({"extrapolate": "yes"}, "transient.extrapolate"),
        ({"extrapolate": True}, "transient.extrapolate"),  # not adaptive
        ({"extrapolate": True, "adaptive": True, "theta": 0.5}, "transient.extrapolate"),
    ],
)
def test_transient_bad_arguments_are_named(kwargs, key):
    from fea.fe.timestep import Transient

    with pytest.raises(InputError) as e:
        Transient(t_end_s=10.0, dt_s=0.1, **kwargs)
    assert e.value.key == key


def test_transient_valid_arguments_are_kept():
    from fea.fe.timestep import Transient

    tr = Transient(10.0, 0.1, theta=0.5, adaptive=np.True_, tol_K=1, dt_min_s=1e-3, dt_max_s=2)
    assert (tr.theta, tr.tol_K, tr.bounds()) == (0.5, 1, (1e-3, 2))
    assert Transient(10.0, 0.1, adaptive=True, fields=0).fields == 0


def test_extrapolated_steps_follow_a_square_root_response():
    """Two modes of a semi-infinite-like response (rise ~ sqrt(t) over six decades, then
    steady): backward Euler by step doubling with an absolute tolerance and the chord
    between steps read up to 9.4 % low (7.1 % at the first output); extrapolated, with the
    error held within 1 % of the rise and the outputs from each step's quadratic, within
    0.15 % (99 steps against 35)."""
    from fea.fe.timestep import Transient, integrate

    rates = np.geomspace(1e-1, 1e7, 41)  # 1/s: y_i' = rate_i (w_i - y_i), w_i ~ rate^-1/2
    w = rates**-0.5 / (rates**-0.5).sum()

    def step(y, t, dt):  # backward Euler, exact for each decoupled mode
        return (y + dt * rates * w) / (1 + dt * rates)

    times = np.geomspace(1e-6, 100.0, 120)
    exact = (w * -np.expm1(-np.outer(times, rates))).sum(axis=1)
    errs = {}
    for name, kw in {
        "absolute": {},
        "relative": dict(tol_rel=1e-2, extrapolate=True),
    }.items():
        tr = Transient(100.0, 1e-6, adaptive=True, tol_K=2e-3, dt_min_s=1e-9, outputs=times, **kw)
        run = integrate(step, np.zeros_like(rates), tr)
        errs[name] = np.abs(run.history[1:].sum(axis=1) / exact - 1).max()
    assert errs["absolute"] > 0.02, errs
    assert errs["relative"] < 5e-3, errs


def test_relative_bound_before_a_delayed_pulse_keeps_its_steps():
    """Power off for the first 10 ms of 1 s, the state at its start: the relative bound
    was 1 % of a rise of zero, so every step fell to dt_min_s and climbed back (66,859
    steps against 20 with ``tol_K`` alone); the bound is floored at 1e-6 ``tol_K``."""
    from fea.fe.timestep import Transient, integrate

    power = [(0.0, 0.0), (0.01, 0.0), (0.01, 1.0), (1.0, 1.0)]
    runs = {}
    for name, kw in {"absolute": {}, "relative": dict(tol_rel=1e-2, extrapolate=True)}.items():
        tr = Transient(1.0, 1e-4, adaptive=True, tol_K=2e-3, dt_min_s=1e-7, power=power, **kw)

        def step(y, t, dt, tr=tr):  # y' = p(t) - y, backward Euler
            return (y + dt * tr.factor(t, t + dt)) / (1 + dt)

        runs[name] = integrate(step, np.zeros(1), tr)
    n_abs, n_rel = runs["absolute"].info["steps"], runs["relative"].info["steps"]
    assert n_rel < 10 * n_abs, (n_abs, n_rel)
    exact = 1 - np.exp(-(1.0 - 0.01))
    assert abs(runs["relative"].final[0] - exact) < 1e-2 * exact
