""":func:`fea.solve_thermal` and :mod:`fea.physics.convection` against closed forms through
the public API.

Checked and holding: a slab's rise under a flux and a film coefficient, two layers with a
contact resistance (the jump q R''), the late time constant of a cooling slab, the
converged k(T) solve against the Kirchhoff transform (and its residual), and the
correlations recomputed by hand. Found: a still-air (``FilmCoefficient``) solve whose
solution lies well within the air-property table (surfaces at 400-600 degC, film below
327 degC) was refused as ``T_film_C = array([...])`` because the first pass, with h
taken 10 K above the ambient, overshoots; and a solution outside the table named no key
of the call.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq

import fea
from fea.physics import convection
from fea.physics.materials import Material
from fea.physics.thermal import Transient, solve_thermal, thermal_problem

from ..verification.helpers import layered_box, plane
from .test_inputs import refused

G = 9.80665
#: Incropera et al., Fundamentals of Heat and Mass Transfer, Table A.4, air at 300 K:
#: nu [m^2/s], k [W/(m K)], alpha [m^2/s], Pr.
AIR_300 = (15.89e-6, 0.0263, 22.5e-6, 0.707)


def _mat(name: str, k: float, rho: float = 1000.0, cp: float = 1000.0) -> Material:
    return Material(name, E=1e9, nu=0.3, alpha=1e-6, k=k, rho=rho, cp=cp)


@pytest.fixture(scope="module")
def two_layers():
    """A 1 x 1 mm column (P1): ``a`` (0.4 mm, z from 0) under ``b`` (0.6 mm), faces
    ``bot`` (z = 0) and ``top`` (z = 1 mm)."""
    return layered_box(
        (1e-3, 1e-3),
        [("a", 0.4e-3, 1), ("b", 0.6e-3, 1)],
        0.5e-3,
        order=1,
        faces={"bot": plane(2, 0.0), "top": plane(2, 1e-3)},
    )


TWO = {"a": _mat("a", 2.0), "b": _mat("b", 0.5)}


# -- steady closed forms -----------------------------------------------------------------


def test_a_slab_under_a_flux_and_a_film_rises_q_times_l_over_k_plus_one_over_h(two_layers):
    """1-D series resistances: bottom rise q (L_a/k_a + L_b/k_b + 1/h) above T_inf with the
    sides adiabatic, exact for P1 (T linear in each layer): 2e4 (0.2e-3 + 1.2e-3 + 0.01)
    = 228 K; all of the heat q A leaves through the film."""
    q, h = 2e4, 100.0
    th = solve_thermal(two_layers, TWO, flux={"bot": q}, convection={"top": (h, 25.0)})
    rise = q * (0.4e-3 / 2.0 + 0.6e-3 / 0.5 + 1 / h)
    assert th.temperature.max() - 25.0 == pytest.approx(rise, rel=1e-9)
    assert th.power == pytest.approx(q * 1e-6, rel=1e-12)
    assert th.heat_out["convection:top"] == pytest.approx(q * 1e-6, rel=1e-9)


def test_a_contact_resistance_adds_a_jump_of_q_times_r(two_layers):
    """R'' = 1e-4 m^2 K/W on a|b under q = 2e4 W/m^2: a jump of q R'' = 2 K across the
    interface and the bottom 2 K hotter than without it (Carslaw & Jaeger, Conduction of
    Heat in Solids, 1959, section 1.9: a contact conductance in series)."""
    q, h, R = 2e4, 100.0, 1e-4
    th = solve_thermal(
        two_layers, TWO, flux={"bot": q}, convection={"top": (h, 25.0)}, contacts={"a|b": R}
    )
    rise = q * (0.4e-3 / 2.0 + R + 0.6e-3 / 0.5 + 1 / h)
    assert th.temperature.max() - 25.0 == pytest.approx(rise, rel=1e-9)
    at = np.abs(th.nodes[:, 2] - 0.4e-3) < 1e-9
    T = th.temperature[at]
    assert T.max() - T.min() == pytest.approx(q * R, rel=1e-8)


# -- transient closed forms -------------------------------------------------------------


def test_the_late_decay_of_a_cooled_slab_is_its_first_eigenmode():
    """A slab of thickness L, adiabatic below, a film h above, cooling from a uniform start:
    late on T - T_inf ~ exp(-t / tau) with tau = L^2 / (alpha lambda_1^2) and
    lambda_1 tan(lambda_1) = Bi = h L / k (Incropera et al., 6th ed., eqs. 5.39c, 5.39e;
    Carslaw & Jaeger 1959, section 3.10). Bi = 1: lambda_1 = 0.8603, tau = 1.351 s for
    L = 1 mm, alpha = 1e-6 m^2/s; the reduced scheme (exact in time), P2 through 10
    layers."""
    L, k, h = 1e-3, 1.0, 1000.0
    slab = layered_box(
        (0.2e-3, 0.2e-3),
        [("s", L, 10)],
        0.2e-3,
        order=2,
        faces={"top": plane(2, L)},
    )
    lam = brentq(lambda x: x * math.tan(x) - h * L / k, 1e-6, math.pi / 2 - 1e-9)
    tau = L**2 / (k / 1e6 * lam**2)
    assert lam == pytest.approx(0.8603, abs=1e-4)
    times = np.array([2.0, 3.0, 4.0, 5.0])
    tr = Transient(5.0, 0.1, initial_C=125.0, outputs=times, scheme="reduced")
    th = solve_thermal(
        slab, {"s": _mat("s", k)}, convection={"top": (h, 25.0)}, transient=tr, backend="cpu"
    )
    bottom = th.nodes[:, 2] < 1e-9
    rise = th.history[1:, bottom].mean(axis=1) - 25.0
    rates = -np.diff(np.log(rise)) / np.diff(times)
    np.testing.assert_allclose(1 / rates, tau, rtol=1e-4)
    # the first mode's amplitude at the adiabatic face, C_1 = 4 sin(l) / (2 l + sin(2 l))
    # of the start (Incropera eq. 5.39b)
    c1 = 4 * math.sin(lam) / (2 * lam + math.sin(2 * lam))
    np.testing.assert_allclose(rise, 100.0 * c1 * np.exp(-times / tau), rtol=1e-4)


# -- k(T) ---------------------------------------------------------------------------------


def test_a_k_of_t_solve_is_converged_against_the_kirchhoff_transform_and_its_residual():
    """Silicon's k(T) (the library's, Glassbrenner & Slack 1964) in a 1 mm slab, flux 2e7
    W/m^2 below, top held at 25 degC: the exact bottom temperature solves
    int_25^Tb k(T) dT = q L (the Kirchhoff transform; Carslaw & Jaeger 1959, section
    1.7). The Picard solve is converged: its residual K(T) T - f is 1e-6 of the load at
    the default tolerance, and it moves Tb by less than 1e-4 K at picard_tol = 1e-10;
    the remaining 6e-4 of the rise is the discretisation (k per element at its mean
    temperature, 4 elements through the slab)."""
    si = fea.materials.get("silicon")
    L, q = 1e-3, 2e7
    slab = layered_box(
        (0.25e-3, 0.25e-3),
        [("s", L, 4)],
        0.25e-3,
        order=1,
        faces={"bot": plane(2, 0.0), "top": plane(2, L)},
    )

    def solve(tol):
        return solve_thermal(
            slab, {"s": si}, flux={"bot": q}, fixed={"top": 25.0}, picard_tol=tol, rtol=1e-12
        )

    th, tight = solve(1e-6), solve(1e-10)

    def kirchhoff(Tb):
        corners = [50.0, 100.0, 150.0, 200.0]  # the table's points: k is linear between
        integral, _ = quad(lambda T: float(si.conductivity(T)), 25.0, Tb, points=corners)
        return integral - q * L

    exact = brentq(kirchhoff, 30.0, 290.0)
    Tb = th.temperature.max()
    assert (Tb - exact) / (exact - 25.0) == pytest.approx(0.0, abs=2e-3)
    assert abs(Tb - tight.temperature.max()) < 1e-4
    pb = thermal_problem(slab, {"s": si}, flux={"bot": q}, fixed={"top": 25.0})
    r = (pb.stiffness(th.temperature) @ th.temperature - pb.load)[pb.free]
    assert np.abs(r).max() < 1e-5 * np.abs(pb.load).max()


# -- correlations by hand -----------------------------------------------------------------


def _ra(dT: float, L: float) -> float:
    nu, _, alpha, _ = AIR_300
    return G / 300.0 * dT * L**3 / (nu * alpha)


def test_the_jesd51_board_correlations_by_hand():
    """The JESD51-7 board (76.2 x 114.3 mm) at 36.85 degC in 16.85 degC air (film 300 K,
    Table A.4 exactly): L = A/P = 22.86 mm (Lloyd & Moran 1974), Ra = 2.18e4; hot face up
    Nu = 0.54 Ra^(1/4) (Incropera eq. 9.30): h 7.55, down Nu = 0.52 Ra^(1/5) (Incropera 7th ed.
    eq. 9.32): 4.41, a 1.6 mm edge by Churchill & Chu (eq. 9.26); JESD51-6 at 1 m/s along
    114.3 mm: Re = 7193, Nu = 0.664 Re^(1/2) Pr^(1/3) (eq. 7.30): 11.5, combined with the
    natural one as (h_F^3 + h_N^3)^(1/3) (eq. 9.64), plus radiation
    eps sigma (Ts^2 + Ta^2)(Ts + Ta). Units: h in W/(m^2 K), lengths in m, degC in."""
    nu, k, _, pr = AIR_300
    Ts, Ta = 36.85, 16.85
    L = convection.horizontal_plate_length(0.0762, 0.1143)
    assert L == pytest.approx(0.0762 * 0.1143 / (2 * (0.0762 + 0.1143)))
    ra = _ra(20.0, L)
    assert ra == pytest.approx(2.18e4, rel=0.01)
    up = 0.54 * ra**0.25 * k / L
    down = 0.52 * ra**0.2 * k / L
    assert convection.natural_convection_h(Ts, Ta, L, "up") == pytest.approx(up, rel=1e-9)
    assert convection.natural_convection_h(Ts, Ta, L, "down") == pytest.approx(down, rel=1e-9)
    assert up == pytest.approx(7.55, rel=0.01) and down == pytest.approx(4.41, rel=0.01)
    ra_e = _ra(20.0, 1.6e-3)
    cc = (0.825 + 0.387 * ra_e ** (1 / 6) / (1 + (0.492 / pr) ** (9 / 16)) ** (8 / 27)) ** 2
    edge = convection.natural_convection_h(Ts, Ta, 1.6e-3, "vertical")
    assert edge == pytest.approx(cc * k / 1.6e-3, rel=1e-9)
    re = 1.0 * 0.1143 / nu
    h_f = 0.664 * math.sqrt(re) * pr ** (1 / 3) * k / 0.1143
    assert convection.forced_convection_h(1.0, 0.1143, Ts, Ta) == pytest.approx(h_f, rel=1e-9)
    assert h_f == pytest.approx(11.5, rel=0.01)
    Tk, Tak = Ts + 273.15, Ta + 273.15
    h_r = 0.9 * 5.670374419e-8 * (Tk**2 + Tak**2) * (Tk + Tak)
    total = convection.h_total(
        Ts, Ta, L, "up", velocity_m_s=1.0, emissivity=0.9, flow_length_m=0.1143
    )
    assert total == pytest.approx((h_f**3 + up**3) ** (1 / 3) + h_r, rel=1e-9)
    # a cold face up is a stable layer, as a hot face down
    assert convection.natural_convection_h(Ta, Ts, L, "up") == pytest.approx(down, rel=1e-9)


# -- the air-property table in the steady iteration ------------------------------------------


@pytest.fixture(scope="module")
def block(box):
    """The conftest's 2 x 2 x 1 mm block (P1), faces ``bottom`` and ``top``."""
    return box


COPPERISH = {"body": _mat("body", 400.0)}
FILM = convection.FilmCoefficient(length_m=0.5e-3, emissivity=0.9)


def test_a_solution_within_the_air_table_is_not_refused_for_an_overshooting_first_pass(block):
    """0.12 W into a copper-like block whose top alone sheds it by natural convection and
    radiation (L = A/P = 0.5 mm, emissivity 0.9): the top settles near 470 degC (film
    250 degC, inside Incropera's Table A.4). The first pass takes h 10 K above the
    ambient, a third of the final one, and put the top at 1600 degC: the solve was
    refused as ``T_film_C = array([...])``. The answer solves the balance by hand,
    P / A = h_total(Ts) (Ts - T_inf) (the block is isothermal to 1e-3 K)."""
    P, A = 0.12, 4e-6
    th = solve_thermal(
        block, COPPERISH, sources={"body": P}, convection={"top": (FILM, 25.0)}, backend="cpu"
    )
    top = th.temperature[th.space.boundary_nodes(block.boundaries["top"])]
    assert np.ptp(top) < 1e-2

    def balance(Ts):
        return float(convection.h_total(Ts, 25.0, 0.5e-3, "up", emissivity=0.9)) * (Ts - 25.0)

    Ts = brentq(lambda t: balance(t) - P / A, 30.0, 620.0)
    assert 400.0 < Ts < 600.0
    assert top.mean() == pytest.approx(Ts, abs=0.02)
    assert th.heat_balance() < 1e-8


def test_a_solution_beyond_the_air_table_is_refused_naming_the_boundary(block):
    """1 W on the same top would need a surface near 1500 degC, a film far beyond the
    table (600 K): refused naming ``convection.top`` with the surface temperatures and
    the range of the correlations (was ``T_film_C`` and an array of film
    temperatures)."""
    err = refused(
        "convection.top",
        solve_thermal,
        block,
        COPPERISH,
        sources={"body": 1.0},
        convection={"top": (FILM, 25.0)},
        backend="cpu",
    )
    assert "628.7 degC" in str(err) and "degC in 25 degC air" in str(err)
    assert FILM.surface_range_C(25.0) == pytest.approx((-171.3, 628.7))


def test_the_air_table_error_names_the_film_range_not_an_array():
    err = refused("T_film_C", convection.air_properties, np.linspace(300.0, 900.0, 50))
    assert "300 to 900 degC" in str(err) and "array" not in str(err)


def test_an_ambient_beyond_the_air_table_is_refused_at_t_inf(block):
    """Air at 700 degC is beyond the air-property table (film 200-600 K) whatever the
    surface: named ``convection.top.T_inf`` (was a surface range of -273 to -46 degC)."""
    err = refused(
        "convection.top.T_inf",
        solve_thermal,
        block,
        COPPERISH,
        sources={"body": 1e-4},
        convection={"top": (FILM, 700.0)},
        backend="cpu",
    )
    assert "326.85 degC" in str(err)
