"""Recovered fields for display, the yield check, and region extremes with locations."""

from __future__ import annotations

import numpy as np
import pytest

from fea.physics.constitutive import von_mises
from fea.physics.materials import get
from fea.physics.mechanics import solve_thermoelastic
from fea.physics.post import YieldExceedance

from ..verification.helpers import layered_box, plane


@pytest.fixture(scope="module")
def cu_on_si():
    """Copper on silicon cooled by 250 K: the copper is stressed well past yield."""
    mesh = layered_box(
        (4e-3, 4e-3),
        [("die", 0.3e-3, 1), ("shell", 0.05e-3, 1)],
        1e-3,
        faces={"top": plane(2, 0.35e-3)},
    )
    mats = {"die": get("silicon"), "shell": get("copper")}
    return mesh, solve_thermoelastic(mesh, mats, -25.0, 225.0, backend="cpu")


def test_yield_check_names_region_and_location(cu_on_si):
    mesh, me = cu_on_si
    found = me.yield_check()
    assert [x.region for x in found] == ["shell"]  # silicon has no proof stress
    x = found[0]
    assert isinstance(x, YieldExceedance) and x.material == "copper"
    assert x.yield_strength == pytest.approx(200e6)
    assert x.von_mises > x.yield_strength
    assert x.von_mises == pytest.approx(me.region_max_von_mises("shell"), rel=1e-9)
    assert 0.0 < x.fraction <= 1.0
    assert np.all(x.location >= -1e-12) and x.location[2] >= 0.3e-3 - 1e-12  # in the copper
    text = x.message()
    assert "shell (copper)" in text and "200 MPa" in text and "mm" in text
    e = me.region_extreme("shell")
    assert e.value == x.von_mises and e.where_mm().endswith("mm")


def test_nodal_fields_per_region_for_display(cu_on_si):
    mesh, me = cu_on_si
    f = me.fields()
    n = me.space.n
    assert f["stress_nodal"][0].shape == (n, 6) and f["stress_nodal"][1] == "Node"
    assert f["state_temperature"][0] == pytest.approx(np.full(n, -25.0))
    vm = f["von_mises_nodal"][0]
    assert vm == pytest.approx(von_mises(f["stress_nodal"][0]))
    # interface nodes show the larger side (the copper); vertex values are each region's own
    verts, vals = me.recovered.region("shell")
    assert vm[verts] == pytest.approx(np.maximum(von_mises(vals), vm[verts]))
    assert vm.max() == pytest.approx(me.region_max_von_mises("shell"), rel=1e-9)
    # mid-edge nodes of P2 carry the mean of their edge's vertices (within a region)
    assert f["principal_max_nodal"][0].shape == (n,)
