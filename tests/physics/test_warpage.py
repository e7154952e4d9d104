"""Warpage conventions: JEDEC sign on a bowl and a saddle, shape classes, principal
curvatures, coplanarity by the seating plane, and the sign of a real bimaterial plate."""

from __future__ import annotations

import numpy as np
import pytest

from fea.fe.spaces import space
from fea.physics.materials import Material
from fea.physics.mechanics import solve_thermoelastic
from fea.physics.post import SIGN_CONVENTION, seating_plane, warpage

from ..verification.helpers import layered_box, plane

A, B, T = 10e-3, 8e-3, 0.5e-3


@pytest.fixture(scope="module")
def slab():
    mesh = layered_box((A, B), [("slab", T, 1)], 1.5e-3, order=2, faces={"top": plane(2, T)})
    return mesh, space(mesh)


def _warp(slab, w):
    """The warpage of the top face under u_z = w(x, y) about the plate centre."""
    mesh, fs = slab
    x = fs.nodes[:, 0] - A / 2
    y = fs.nodes[:, 1] - B / 2
    u = np.zeros((fs.n, 3))
    u[:, 2] = w(x, y)
    return warpage(mesh, fs, u, "top")


def test_convex_dome_is_positive(slab):
    k = 2.0  # 1/m
    wp = _warp(slab, lambda x, y: -0.5 * k * (x * x + y * y) + 3e-6 * x)  # a tilt is removed
    ptv = 0.5 * k * ((A / 2) ** 2 + (B / 2) ** 2)
    # the least-squares plane of unstructured nodes is not exactly level: a few percent
    assert wp.peak_to_valley == pytest.approx(ptv, rel=0.03)
    assert wp.signed == wp.peak_to_valley  # centre above the corners
    assert wp.sense == "convex" and wp.shape == "bowl"
    assert wp.principal_curvatures == pytest.approx((k, k), rel=1e-9)
    assert wp.curvature == pytest.approx(k, rel=1e-9)
    assert "convex bowl" in wp.describe()
    assert "JESD22-B112" in SIGN_CONVENTION and "JEITA ED-7306" in SIGN_CONVENTION


def test_concave_bowl_is_negative(slab):
    wp = _warp(slab, lambda x, y: 0.5 * 3.0 * x * x + 0.5 * 2.0 * y * y)
    assert wp.signed == pytest.approx(-wp.peak_to_valley) and wp.signed < 0
    assert wp.sense == "concave" and wp.shape == "bowl"
    assert wp.principal_curvatures == pytest.approx((-2.0, -3.0), rel=1e-9)
    assert wp.curvature == pytest.approx(-2.5, rel=1e-9)


def test_saddle_has_curvatures_of_both_signs(slab):
    # principal axes at 45 degrees: w = k x y has curvatures -k and +k
    k = 4.0
    wp = _warp(slab, lambda x, y: k * x * y)
    assert wp.shape == "saddle"
    assert wp.principal_curvatures == pytest.approx((k, -k), rel=1e-9)
    assert wp.curvature == pytest.approx(0.0, abs=1e-9)
    wp2 = _warp(slab, lambda x, y: 0.5 * 2.0 * x * x - 0.5 * 3.0 * y * y)
    assert wp2.shape == "saddle" and wp2.principal_curvatures == pytest.approx((3.0, -2.0))
    # the signed value of a saddle compares the centre with the corners: here (x, y) =
    # (5, 4) mm gives w = 25e-6 - 24e-6 > 0 above the centre's 0: corners up, concave
    assert wp2.signed < 0


def test_cylindrical_and_w_shapes(slab):
    wp = _warp(slab, lambda x, y: -0.5 * 3.0 * x * x + 0.5 * 0.1 * y * y)
    assert wp.shape == "cylindrical" and wp.sense == "convex"
    # centre and edges up, a ring down: a W along every diameter
    r2 = lambda x, y: (x / (A / 2)) ** 2 + (y / (B / 2)) ** 2  # noqa: E731
    wp = _warp(slab, lambda x, y: 1e-5 * (-2.0 * r2(x, y) + 1.6 * r2(x, y) ** 2))
    assert wp.shape == "W"
    wp = _warp(slab, lambda x, y: -1e-5 * (-2.0 * r2(x, y) + 1.6 * r2(x, y) ** 2))
    assert wp.shape == "M"
    assert _warp(slab, lambda x, y: 0.0 * x).shape == "flat"


def test_seating_plane_and_coplanarity():
    g = np.linspace(-2e-3, 2e-3, 4)
    X, Y = np.meshgrid(g, g)
    tips = np.column_stack([X.ravel(), Y.ravel(), np.zeros(16)])
    tips[5, 2] = 10e-6  # one ball 10 um short
    plane_, h = seating_plane(tips)
    assert h.max() == pytest.approx(10e-6, abs=1e-12)
    assert plane_ == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)
    # a tilted package: the same coplanarity (distance from the seating plane, not z)
    tilt = tips.copy()
    tilt[:, 2] += 1e-3 * tilt[:, 0] - 2e-3 * tilt[:, 1]
    plane_, h = seating_plane(tilt)
    assert h.max() == pytest.approx(10e-6, rel=1e-6)
    assert plane_[1:] == pytest.approx([1e-3, -2e-3], rel=1e-6)
    # a convex (dome-shaped) array rests on the corner balls; the centre ones are highest
    dome = tips.copy()
    dome[:, 2] = -0.5 * 5.0 * (dome[:, 0] ** 2 + dome[:, 1] ** 2)
    _, h = seating_plane(dome)
    assert h.max() == pytest.approx(0.5 * 5.0 * 2 * (2e-3**2 - (2e-3 / 3) ** 2), rel=1e-9)
    # a twisted package (z = k x y) rocks on its two low corners: every plane b = c in
    # [-k, k] is as high at the centre, with coplanarities from 2 k to 4 k; the least tilted
    # (level) is taken, whatever the rounding of the tips (before, the pick of the LP)
    k = 3e-6 / 4e-6  # 3 um at the corners (x y = 4e-6 m^2)
    for noise in (0.0, 1e-18, -1e-18):
        twist = tips.copy()
        twist[:, 2] = k * twist[:, 0] * twist[:, 1] + noise * np.arange(16)
        plane_, h = seating_plane(twist)
        assert plane_[1:] == pytest.approx([0.0, 0.0], abs=1e-9)
        assert h.max() == pytest.approx(2 * 3e-6, rel=1e-6)


def test_bimaterial_plate_sign():
    """Cooled, a plate whose top layer shrinks more turns concave seen from the top
    (its corners lift: a negative, 'smile' warpage); heated, convex."""
    mats = {
        "low": Material("low", E=130e9, nu=0.28, alpha=3e-6, k=1.0),
        "high": Material("high", E=100e9, nu=0.3, alpha=17e-6, k=1.0),
    }
    mesh = layered_box(
        (6e-3, 6e-3),
        [("low", 0.2e-3, 1), ("high", 0.1e-3, 1)],
        1e-3,
        faces={"top": plane(2, 0.3e-3)},
    )
    cold = solve_thermoelastic(mesh, mats, 25.0, 175.0, backend="cpu").warpage("top")
    hot = solve_thermoelastic(mesh, mats, 260.0, 175.0, backend="cpu").warpage("top")
    assert cold.signed < 0 and cold.sense == "concave" and cold.shape == "bowl"
    assert cold.principal_curvatures[0] < 0 and cold.curvature < 0
    assert hot.signed > 0 and hot.sense == "convex"
