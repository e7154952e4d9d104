"""Temperature-dependent surface coefficients against hand solutions.

A slab heated by a uniform flux q on one face and cooled on the opposite face by a
coefficient that depends on that face's temperature is one-dimensional: the cooled
face is isothermal, so the iterated FE solution must satisfy the scalar balance
``q = h(T_s) (T_s - T_a)`` exactly (to the iteration tolerance) and the heated face is
``T_s + q L / k``. Natural convection by Churchill & Chu (vertical) and the
horizontal-plate correlations, radiation to large surroundings at T_a, both together;
and theta_JB of a 1-D stack on a cold plate against the series resistance.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from fea.errors import InputError, SolverError
from fea.physics.convection import (
    STEFAN_BOLTZMANN,
    FilmCoefficient,
    natural_convection_h,
    radiation_h,
)
from fea.physics.materials import Material
from fea.physics.thermal import Transient, solve_thermal

from ..physics.closed_forms import series_resistance
from .helpers import layered_box, plane

L, K, Q, TA = 2e-3, 200.0, 400.0, 25.0  # slab thickness [m], k, flux [W/m^2], ambient
HEIGHT = 0.05  # plate height for the vertical correlation [m]
PLATE = {"plate": Material("plate", E=70e9, nu=0.33, alpha=23e-6, k=K, rho=2700.0, cp=900.0)}
GRAVITY = {"vertical": (1.0, 0.0, 0.0), "up": (0.0, 0.0, -1.0), "down": (0.0, 0.0, 1.0)}


@pytest.fixture(scope="module")
def slab():
    return layered_box(
        (4e-3, 3e-3),
        [("plate", L, 2)],
        1.5e-3,
        order=2,
        faces={"heated": plane(2, 0.0), "cooled": plane(2, L)},
    )


def _solve(slab, model):
    return solve_thermal(
        slab,
        PLATE,
        flux={"heated": Q},
        convection={"cooled": (model, TA)},
        backend="cpu",
        picard_tol=1e-10,
    )


def _faces(th):
    z = th.nodes[:, 2]
    return th.temperature[np.isclose(z, L)], th.temperature[np.isclose(z, 0.0)]


@pytest.mark.parametrize("orientation", ["vertical", "up", "down"])
def test_natural_convection_h_at_convergence_is_the_correlation(slab, orientation):
    # the cooled face (normal +z) is vertical, up or down depending on gravity
    model = FilmCoefficient(length_m=HEIGHT, gravity=GRAVITY[orientation])
    th = _solve(slab, model)
    cooled, heated = _faces(th)
    Ts = cooled.mean()
    assert np.ptp(cooled) < 1e-9 and np.ptp(heated) < 1e-9  # 1-D
    # the coefficient the solution converged with is the correlation at its own T_s
    h_corr = float(natural_convection_h(Ts, TA, HEIGHT, orientation))
    assert th.surface_h["cooled"] == pytest.approx(h_corr, rel=1e-9)
    # hand solution of q = h(T_s)(T_s - T_a), then conduction through the slab
    Ts_hand = brentq(
        lambda t: natural_convection_h(t, TA, HEIGHT, orientation) * (t - TA) - Q, TA + 1e-6, 500
    )
    assert Ts == pytest.approx(Ts_hand, abs=1e-7 * (Ts_hand - TA))
    assert heated.mean() == pytest.approx(Ts_hand + Q * L / K, abs=1e-7 * (Ts_hand - TA))
    assert th.heat_balance() < 1e-9
    assert th.solver_info["picard_iterations"] <= 8  # Newton on the surface flux


def test_vertical_plate_numbers_against_churchill_chu(slab):
    """The vertical case in numbers: Ra, Nu and h by hand from Incropera's air table."""
    th = _solve(slab, FilmCoefficient(length_m=HEIGHT, gravity=GRAVITY["vertical"]))
    Ts = _faces(th)[0].mean()
    # air at the film temperature, Incropera Table A.4, linear between 300 and 350 K
    Tf = 0.5 * (Ts + TA) + 273.15
    w = (Tf - 300.0) / 50.0
    nu = (15.89 + w * (20.92 - 15.89)) * 1e-6
    k = (26.3 + w * (30.0 - 26.3)) * 1e-3
    alpha = (22.5 + w * (29.9 - 22.5)) * 1e-6
    pr = 0.707 + w * (0.700 - 0.707)
    ra = 9.80665 / Tf * (Ts - TA) * HEIGHT**3 / (nu * alpha)
    nu_cc = (0.825 + 0.387 * ra ** (1 / 6) / (1 + (0.492 / pr) ** (9 / 16)) ** (8 / 27)) ** 2
    # PCHIP in the table against linear interpolation: well within 1 %
    assert th.surface_h["cooled"].mean() == pytest.approx(nu_cc * k / HEIGHT, rel=1e-2)
    assert 3.0 < th.surface_h["cooled"].mean() < 8.0  # a 5 cm plate some 40-60 K hot


def test_radiation_between_plate_and_surroundings(slab):
    eps = 0.8
    th = _solve(slab, lambda Ts, Ta, facets: radiation_h(Ts, Ta, eps))
    cooled, heated = _faces(th)
    # q = eps sigma (T_s^4 - T_a^4), closed form for T_s
    Ts_exact = (Q / (eps * STEFAN_BOLTZMANN) + (TA + 273.15) ** 4) ** 0.25 - 273.15
    assert cooled.mean() == pytest.approx(Ts_exact, abs=1e-7 * (Ts_exact - TA))
    assert heated.mean() == pytest.approx(Ts_exact + Q * L / K, abs=1e-7 * (Ts_exact - TA))
    assert th.heat_out["convection:cooled"] == pytest.approx(Q * 12e-6, rel=1e-9)


def test_convection_and_radiation_together(slab):
    eps = 0.9
    model = FilmCoefficient(length_m=HEIGHT, emissivity=eps, gravity=GRAVITY["vertical"])
    th = _solve(slab, model)
    Ts = _faces(th)[0].mean()

    def balance(t):
        h = natural_convection_h(t, TA, HEIGHT, "vertical") + radiation_h(t, TA, eps)
        return h * (t - TA) - Q

    assert Ts == pytest.approx(brentq(balance, TA + 1e-6, 500), abs=1e-6)
    # radiation roughly doubles the still-air coefficient at these temperatures
    h_nat = float(natural_convection_h(Ts, TA, HEIGHT, "vertical"))
    assert 1.5 < th.surface_h["cooled"].mean() / h_nat < 3.0


def test_emissivity_per_region_and_constant_h_per_facet(slab):
    model = FilmCoefficient(length_m=HEIGHT, emissivity={"plate": 0.5, "*": 0.0})
    th = _solve(slab, model)
    # freezing the converged coefficient gives the same field in one linear solve
    again = solve_thermal(
        slab,
        PLATE,
        flux={"heated": Q},
        convection={"cooled": (th.surface_h["cooled"], TA)},
        backend="cpu",
    )
    np.testing.assert_allclose(again.temperature, th.temperature, atol=1e-8)
    assert again.solver_info["picard_iterations"] == 1
    none = _solve(slab, FilmCoefficient(length_m=HEIGHT, emissivity={"other": 0.9}))
    assert none.temperature.max() > th.temperature.max()  # the plate itself does not radiate


class _Constant:
    """A surface model that does not depend on the temperature: evaluated once."""

    temperature_dependent = False

    def __call__(self, Ts, Ta, facets):
        return 5.0 + 1000.0 * facets.centroids[:, 0]  # h varies over the face


def test_a_constant_surface_model_is_a_constant_h_per_facet(slab):
    tr = Transient(2.0, 0.5, initial_C=TA)
    a = solve_thermal(
        slab, PLATE, flux={"heated": Q}, convection={"cooled": (_Constant(), TA)}, transient=tr
    )
    facets = slab.boundaries["cooled"]
    p = slab.p1.p.T[slab.p1.facets[:, facets].T].mean(axis=1)
    h = 5.0 + 1000.0 * p[:, 0]
    b = solve_thermal(slab, PLATE, flux={"heated": Q}, convection={"cooled": (h, TA)}, transient=tr)
    np.testing.assert_allclose(a.history, b.history, atol=1e-12)
    assert a.temperature.max() > TA


def test_surface_model_refused_in_transient_and_non_convergence_reported(slab):
    model = FilmCoefficient(length_m=HEIGHT)
    with pytest.raises(InputError, match="convection.cooled"):
        solve_thermal(
            slab,
            PLATE,
            flux={"heated": Q},
            convection={"cooled": (model, TA)},
            transient=Transient(1.0, 0.1, initial_C=TA),
            backend="cpu",
        )
    with pytest.raises(SolverError, match="surface coefficients"):
        solve_thermal(
            slab,
            PLATE,
            flux={"heated": Q},
            convection={"cooled": (model, TA)},
            backend="cpu",
            max_picard=2,
            picard_tol=1e-14,
        )
    with pytest.raises(SolverError, match="negative or non-finite"):
        _solve(slab, lambda Ts, Ta, facets: -np.ones_like(Ts))
    with pytest.raises(InputError, match="emissivity"):
        FilmCoefficient(length_m=HEIGHT, emissivity={"plate": 1.5})
    with pytest.raises(InputError, match="flow_length_m"):
        FilmCoefficient(length_m=HEIGHT, velocity_m_s=1.0)


# -- theta_JB of a 1-D stack -----------------------------------------------------------

STACK = [("die", 0.3e-3, 150.0), ("attach", 0.05e-3, 2.0), ("substrate", 0.4e-3, 20.0)]
BOARD = ("board", 1.6e-3, 0.8)


def _mat(name, k):
    return Material(name, E=1e9, nu=0.3, alpha=1e-6, k=k, rho=2000.0, cp=800.0)


def test_theta_jb_of_a_1d_stack_on_a_cold_plate():
    """Junction face heated, board bottom on a cold plate, every side adiabatic: theta_JB
    (junction to the board's top face) is the series resistance of the layers above the
    board, whatever the board and the cold plate temperature."""
    from fea.package.jedec import thermal_resistance

    side = 2e-3
    layers = [BOARD] + STACK[::-1]
    z_top = sum(t for _, t, _ in layers)
    mesh = layered_box(
        (side, side),
        [(n, t, 2) for n, t, _ in layers],
        0.5e-3,
        order=2,
        faces={"junction": plane(2, z_top), "cold_plate": plane(2, 0.0)},
    )
    mats = {n: _mat(n, k) for n, _, k in layers}
    P, T_cp = 0.8, 35.0
    th = solve_thermal(
        mesh,
        mats,
        flux={"junction": P / side**2},
        fixed={"cold_plate": T_cp},
        backend="cpu",
    )
    z = th.nodes[:, 2]
    Tj = th.temperature[np.isclose(z, z_top)].mean()
    Tb = th.temperature[np.isclose(z, BOARD[1])].mean()
    theta_jb = thermal_resistance(Tj, Tb, P)
    exact = series_resistance([t for _, t, _ in STACK], [k for _, _, k in STACK], side**2)
    assert theta_jb == pytest.approx(exact, rel=1e-9)
    # and junction to cold plate adds the board
    total = series_resistance([t for _, t, _ in layers], [k for _, _, k in layers], side**2)
    assert thermal_resistance(Tj, T_cp, P) == pytest.approx(total, rel=1e-9)
    assert th.heat_out["fixed:cold_plate"] == pytest.approx(P, rel=1e-9)
