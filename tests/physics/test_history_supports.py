"""Supports of a process history: a ``fixed`` boundary whose region is gone."""

from __future__ import annotations

import numpy as np
import pytest

from fea.physics.history import solve_history
from fea.physics.materials import Material

from ..verification.helpers import layered_box, plane

E, NU = 100e9, 0.3


def test_a_support_on_a_removed_region_is_named():
    """A plate on a mandrel held at its base (the history's ``fixed``), the mandrel removed
    at release with no stage ``fixed`` of its own: the base's nodes are no longer on an
    active element, the support holds nothing and the plate falls to its statically
    determinate support (the released answer, but not by the support the user gave): a
    warning names the boundary. It was silent."""
    import warnings

    from fea.physics.history import Process, Stage

    mesh = layered_box(
        (2e-3, 1e-3), [("mandrel", 0.3e-3, 1), ("plate", 0.2e-3, 1)], 0.4e-3, order=1,
        faces={"base": plane(2, 0.0)},
    )
    mats = {"mandrel": Material("m", E=300e9, nu=0.3, alpha=0.0, k=1.0),
            "plate": Material("p", E=E, nu=NU, alpha=17e-6, k=1.0)}
    held = {"base": {"x": 0.0, "y": 0.0, "z": 0.0}}
    proc = Process([Stage("start", 0.0, 175.0), Stage("cooled", 10.0, 25.0),
                    Stage("released", 1.0, 25.0, remove=["mandrel"])])
    with pytest.warns(UserWarning, match=r"fixed\.base: no node .* holds nothing"):
        solve_history(mesh, mats, proc, fixed=held, reference=175.0)
    # released with its own (empty) support: no warning
    proc = Process([Stage("start", 0.0, 175.0), Stage("cooled", 10.0, 25.0),
                    Stage("released", 1.0, 25.0, remove=["mandrel"], fixed={})])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        solve_history(mesh, mats, proc, fixed=held, reference=175.0)


def test_a_stage_support_given_as_an_array_is_named_not_a_comparison_error():
    """solve_history's check of a stage without supports after one with its own compared
    the two supports as dicts: a displacement given as an array (refused later, naming
    fixed.<boundary>.<component>) crashed it with NumPy's 'truth value of an array is
    ambiguous' ValueError instead."""
    from fea.errors import InputError
    from fea.physics.history import Process, Stage, solve_history
    from fea.physics.materials import Material

    mesh = layered_box(
        (2e-3, 1e-3), [("plate", 0.2e-3, 1)], 0.4e-3, order=1, faces={"base": plane(2, 0.0)}
    )
    mats = {"plate": Material("p", E=100e9, nu=0.3, alpha=17e-6, k=1.0)}
    proc = Process(
        [
            Stage("start", 0.0, 175.0, fixed={"base": {"z": np.zeros(2)}}),
            Stage("cooled", 10.0, 25.0),
        ]
    )
    with pytest.raises(InputError, match="base"):
        solve_history(mesh, mats, proc, fixed={"base": {"z": 0.0}}, reference=175.0)
