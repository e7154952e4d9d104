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
