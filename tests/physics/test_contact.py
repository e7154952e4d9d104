"""Thermal contact resistance on an interface (a thin layer that is not meshed): the split
of the interface's nodes, the 1-D series resistance, the limit R'' -> 0 and the checks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from fea.errors import InputError
from fea.fe.interfaces import contact_facets, is_split, split_interface
from fea.physics.materials import Material
from fea.physics.thermal import Transient, solve_thermal

from ..verification.helpers import layered_box, plane

L1, L2, K1, K2 = 0.4e-3, 0.6e-3, 2.0, 0.5
Q = 2e5  # W/m^2 into the face z = 0
R = 1e-5  # m^2 K/W (10 mm^2 K/W)
MATS = {
    "a": Material("a", E=1e9, nu=0.3, alpha=1e-6, k=K1, rho=2000.0, cp=700.0),
    "b": Material("b", E=1e9, nu=0.3, alpha=1e-6, k=K2, rho=1500.0, cp=1000.0),
}


@pytest.fixture(scope="module", params=[1, 2], ids=["P1", "P2"])
def stack(request):
    """Two blocks (0.3 x 0.3 mm; a below, b above), faces z0 (bottom) and z1 (top)."""
    return layered_box(
        (0.3e-3, 0.3e-3),
        [("a", L1, 2), ("b", L2, 2)],
        0.1e-3,
        order=request.param,
        faces={"z0": plane(2, 0.0), "z1": plane(2, L1 + L2)},
    )


def _solve(mesh, contacts=None, **kw):
    return solve_thermal(
        mesh, MATS, flux={"z0": Q}, fixed={"z1": 0.0}, contacts=contacts, backend="cpu", **kw
    )


def test_split_keeps_regions_and_boundaries(stack):
    split, pairs = split_interface(stack, "b|a")
    n_if = len(np.unique(stack.p1.facets[:, stack.boundaries["a|b"]]))
    assert split.p1.p.shape[1] == stack.p1.p.shape[1] + n_if
    assert split.n_elements == stack.n_elements
    for r, e in stack.regions.items():
        np.testing.assert_array_equal(split.regions[r], e)
        assert split.element_volumes()[e].sum() == pytest.approx(
            stack.element_volumes()[e].sum(), rel=1e-12
        )
    for name in stack.boundaries:
        assert len(split.boundaries[name]) == len(stack.boundaries[name])
        assert split.boundary_area(name) == pytest.approx(stack.boundary_area(name), rel=1e-12)
    assert is_split(split, "a|b") and not is_split(stack, "a|b")
    assert pairs.shape == (len(stack.boundaries["a|b"]), 2)
    np.testing.assert_array_equal(pairs[:, 0], split.boundaries["a|b"])
    # the b side's facets use the copies, the a side's the original vertices
    va = np.unique(split.p1.facets[:, pairs[:, 0]])
    vb = np.unique(split.p1.facets[:, pairs[:, 1]])
    assert va.max() < stack.p1.p.shape[1] <= vb.min()
    np.testing.assert_array_equal(contact_facets(split, "a|b"), pairs)


def test_series_resistance_and_temperature_jump(stack):
    """1-D: T(z0) = q (L1/k1 + R'' + L2/k2), the jump across the interface q R'' (linear
    in each block: exact at P1 and P2)."""
    th = _solve(stack, {"a|b": R})
    z = th.nodes[:, 2]
    bottom = np.abs(z) < 1e-12
    exact = Q * (L1 / K1 + R + L2 / K2)
    np.testing.assert_allclose(th.temperature[bottom], exact, rtol=1e-9)
    at = np.abs(z - L1) < 1e-12
    a_side = np.unique(th.space.boundary_nodes(th.mesh.boundaries["a|b"]))
    b_side = np.setdiff1d(np.flatnonzero(at), a_side)
    np.testing.assert_allclose(th.temperature[a_side], Q * (R + L2 / K2), rtol=1e-9)
    np.testing.assert_allclose(th.temperature[b_side], Q * L2 / K2, rtol=1e-9)
    assert th.heat_balance() < 1e-9
    assert th.power == pytest.approx(Q * 0.09e-6, rel=1e-12)


def _same_place(th, ref):
    """Pairs (i in th, j in ref) of nodes at the same point (both faces of a split
    interface pair with the one node there)."""
    tree = cKDTree(th.nodes)
    hits = tree.query_ball_point(ref.nodes, r=1e-12)
    j = np.repeat(np.arange(len(ref.nodes)), [len(h) for h in hits])
    i = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])
    assert len(np.unique(i)) == len(th.nodes)
    return i, j


def test_vanishing_resistance_recovers_the_unsplit_solution(stack):
    """R'' = 1e-11 m^2 K/W (1e-5 mm^2 K/W): the jump q R'' is 7e-9 of the peak, and the
    split solution equals the unsplit one to 1e-8 of it at every node (both faces).
    (Smaller R'' only adds rounding: the contact's conductance then dwarfs the
    conduction, 3.5e-8 at 1e-12 with a direct solver.)"""
    ref = _solve(stack, method="direct")
    th = _solve(stack, {"a|b": 1e-11}, method="direct")
    i, j = _same_place(th, ref)
    top = ref.temperature.max()
    assert np.abs(th.temperature[i] - ref.temperature[j]).max() < 1e-8 * top


def test_transient_with_a_contact(stack):
    """Steps and the reduced model run with the contact and end at its steady state."""
    steady = _solve(stack, {"a|b": R})
    t_end = 30.0  # the stack's slowest time constant is ~1.2 s
    times = np.geomspace(1e-3, t_end, 30)
    red = _solve(
        stack,
        {"a|b": R},
        transient=Transient(t_end, 1e-3, initial_C=0.0, outputs=times, scheme="reduced"),
    )
    steps = _solve(
        stack,
        {"a|b": R},
        transient=Transient(t_end, 1e-3, initial_C=0.0, outputs=times, adaptive=True, tol_K=1e-3),
    )
    top = steady.temperature.max()
    assert red.temperature.max() == pytest.approx(top, rel=1e-6)
    assert steps.temperature.max() == pytest.approx(red.temperature.max(), rel=1e-3)
    assert np.all(np.diff(red.history[:, 0]) >= -1e-9 * top)


def test_contact_errors(stack):
    for contacts, key in (
        ({"a|c": R}, "contacts.a|c"),
        ({"z0": R}, "contacts.z0"),
        ({"a|b": 0.0}, "contacts.a|b"),
        ({"a|b": -1e-5}, "contacts.a|b"),
        ({"a|b": float("nan")}, "contacts.a|b"),
        ({"a|b": float("inf")}, "contacts.a|b"),
        ({"a|b": "10"}, "contacts.a|b"),
        ({"a|b": R, "b|a": R}, "contacts.b|a"),
    ):
        with pytest.raises(InputError) as err:
            _solve(stack, contacts)
        assert err.value.key == key, (contacts, err.value.key)
    with pytest.raises(InputError) as err:
        _solve(stack, [R])
    assert err.value.key == "contacts"


def test_split_keeps_the_order_of_boundary_facets(stack):
    """Facet k of every boundary is the same triangle before and after the split (its
    centroid), so per-facet values (a power map, surface_h) stay with their facets."""
    split, _ = split_interface(stack, "a|b")
    for name, f in stack.boundaries.items():
        c0 = stack.p1.p[:, stack.p1.facets[:, f]].mean(axis=1)
        c1 = split.p1.p[:, split.p1.facets[:, split.boundaries[name]]].mean(axis=1)
        np.testing.assert_allclose(c1, c0, rtol=0, atol=1e-15)
