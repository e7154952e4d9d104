"""Convection and radiation coefficients against hand calculations from the printed
correlations, with air properties read off Incropera's Table A.4 at a tabulated film
temperature (so no interpolation enters the reference)."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics.convection import (
    ORIENTATIONS,
    STEFAN_BOLTZMANN,
    air_properties,
    forced_convection_h,
    h_total,
    horizontal_plate_length,
    natural_convection_h,
    orientation_of,
    radiation_h,
    rayleigh_number,
)

G = 9.80665
# Incropera Table A.4 rows: T [K] -> (nu [m^2/s], k [W/(m K)], alpha [m^2/s], Pr)
AIR_300 = (15.89e-6, 0.0263, 22.5e-6, 0.707)
AIR_350 = (20.92e-6, 0.0300, 29.9e-6, 0.700)


def _ra(dT, L, T_film_K, air):
    nu, _, alpha, _ = air
    return G * (1 / T_film_K) * dT * L**3 / (nu * alpha)


def test_air_properties_at_table_rows_and_between():
    p = air_properties(26.85)  # 300 K
    assert (p.nu, p.k, p.alpha, p.Pr) == pytest.approx(AIR_300, rel=1e-12)
    assert p.beta == pytest.approx(1 / 300.0)
    # Between rows: Yovanovich's quadratic fits of the same table (250-450 K, UWaterloo
    # MHTL course notes) agree within 0.5 %.
    T = np.array([262.5, 325.0, 377.5, 425.0])
    p = air_properties(T - 273.15)
    nu_fit = 1.005714286e-10 * T**2 + 3.444e-8 * T - 3.466857143e-6
    k_fit = -2.571428571e-8 * T**2 + 9.3e-5 * T + 6.685714286e-4
    alpha_fit = 1.6e-10 * T**2 + 4.48e-8 * T - 5.32e-6
    np.testing.assert_allclose(p.nu, nu_fit, rtol=5e-3)
    np.testing.assert_allclose(p.k, k_fit, rtol=5e-3)
    np.testing.assert_allclose(p.alpha, alpha_fit, rtol=5e-3)
    assert np.all(np.diff(p.nu) > 0) and np.all(np.diff(p.k) > 0)


def test_vertical_plate_churchill_chu():
    # T_film = 350 K: Ts = 126.85 C, Ta = 26.85 C, 100 mm high.
    L, dT = 0.1, 100.0
    nu, k, alpha, pr = AIR_350
    ra = _ra(dT, L, 350.0, AIR_350)
    assert ra == pytest.approx(4.4794e6, rel=1e-4)
    assert rayleigh_number(126.85, 26.85, L) == pytest.approx(ra, rel=1e-12)
    nusselt = (0.825 + 0.387 * ra ** (1 / 6) / (1 + (0.492 / pr) ** (9 / 16)) ** (8 / 27)) ** 2
    h = natural_convection_h(126.85, 26.85, L, "vertical")
    assert h == pytest.approx(nusselt * k / L, rel=1e-12)
    assert h == pytest.approx(7.4577, rel=1e-4)
    # Several Ra decades through the same formula: laminar, transition, turbulent.
    for L in (0.01, 0.3, 3.0):
        ra = _ra(dT, L, 350.0, AIR_350)
        nusselt = (0.825 + 0.387 * ra ** (1 / 6) / (1 + (0.492 / pr) ** (9 / 16)) ** (8 / 27)) ** 2
        assert natural_convection_h(126.85, 26.85, L, "vertical") == pytest.approx(
            nusselt * k / L, rel=1e-12
        )


def test_horizontal_plates():
    # T_film = 300 K: Ts = 46.85 C, Ta = 6.85 C, L = A/P = 25 mm.
    nu, k, alpha, pr = AIR_300
    L = 0.025
    ra = _ra(40.0, L, 300.0, AIR_300)
    assert ra == pytest.approx(5.7144e4, rel=1e-4)
    up = natural_convection_h(46.85, 6.85, L, "up")
    down = natural_convection_h(46.85, 6.85, L, "down")
    assert up == pytest.approx(0.54 * ra**0.25 * k / L, rel=1e-12)
    assert up == pytest.approx(8.783, rel=1e-3)
    assert down == pytest.approx(0.52 * ra**0.2 * k / L, rel=1e-12)
    assert down == pytest.approx(4.891, rel=1e-3)
    # A cold face swaps the roles (same film temperature, same Ra).
    assert natural_convection_h(6.85, 46.85, L, "up") == pytest.approx(down, rel=1e-12)
    assert natural_convection_h(6.85, 46.85, L, "down") == pytest.approx(up, rel=1e-12)
    # Turbulent plume above Ra = 1e7.
    L = 0.5
    ra = _ra(40.0, L, 300.0, AIR_300)
    assert ra > 1e7
    assert natural_convection_h(46.85, 6.85, L, "up") == pytest.approx(
        0.15 * ra ** (1 / 3) * k / L, rel=1e-12
    )
    assert horizontal_plate_length(0.04, 0.02) == pytest.approx(0.04 * 0.02 / 0.12)


def test_forced_flat_plate_laminar_and_mixed():
    nu, k, alpha, pr = AIR_300
    laminar = forced_convection_h(1.0, 0.1, 46.85, 6.85)
    re = 1.0 * 0.1 / nu
    assert laminar == pytest.approx(0.664 * re**0.5 * pr ** (1 / 3) * k / 0.1, rel=1e-12)
    assert laminar == pytest.approx(12.338, rel=1e-3)
    mixed = forced_convection_h(10.0, 1.0, 46.85, 6.85)
    re = 10.0 / nu
    assert re > 5e5
    assert mixed == pytest.approx((0.037 * re**0.8 - 871) * pr ** (1 / 3) * k, rel=1e-12)
    assert mixed == pytest.approx(17.35, rel=1e-3)
    assert forced_convection_h(0.0, 0.1, 46.85, 6.85) == 0.0


def test_radiation_matches_stefan_boltzmann_difference():
    ts = np.array([-40.0, 25.5, 85.0, 150.0, 300.0])
    ta = 25.0
    eps = 0.85
    h = radiation_h(ts, ta, eps)
    Ts, Ta = ts + 273.15, ta + 273.15
    np.testing.assert_allclose(h * (Ts - Ta), eps * STEFAN_BOLTZMANN * (Ts**4 - Ta**4), rtol=1e-12)
    assert radiation_h(25.0, 25.0, 1.0) == pytest.approx(4 * STEFAN_BOLTZMANN * 298.15**3)
    assert radiation_h(80.0, 25.0, 0.0) == 0.0


def test_monotone_in_temperature_difference_and_speed():
    ts = np.linspace(26.0, 150.0, 60)
    for orientation in ORIENTATIONS:
        h = natural_convection_h(ts, 25.0, 0.03, orientation)
        assert h.shape == ts.shape
        assert np.all(np.diff(h) > 0), orientation
    v = np.linspace(0.1, 40.0, 200)
    h = forced_convection_h(v, 0.5, 60.0, 25.0)  # crosses Re = 5e5
    assert np.all(np.diff(h) > 0)
    assert np.all(np.diff(radiation_h(ts, 25.0, 0.9)) > 0)


def test_h_total_combines_modes():
    ts = np.array([40.0, 80.0, 120.0])
    still = h_total(ts, 25.0, 0.03, "up", emissivity=0.9)
    np.testing.assert_allclose(
        still, natural_convection_h(ts, 25.0, 0.03, "up") + radiation_h(ts, 25.0, 0.9)
    )
    hf = forced_convection_h(2.0, 0.03, ts, 25.0)
    hn = natural_convection_h(ts, 25.0, 0.03, "up")
    moving = h_total(ts, 25.0, 0.03, "up", velocity_m_s=2.0)
    np.testing.assert_allclose(moving, np.cbrt(hf**3 + hn**3))
    assert np.all(moving >= np.maximum(hf, hn))


def test_orientation_of_normals():
    assert orientation_of((0, 0, 1)) == "up"
    assert orientation_of((0, 0, -2)) == "down"
    assert orientation_of((1, 0, 0)) == "vertical"
    normals = np.array([[0.3, 0, 1], [1, 1, -0.2], [0, 0.2, -1], [0, 1, 0.9]])
    assert list(orientation_of(normals)) == ["up", "vertical", "down", "vertical"]
    assert orientation_of((1, 0, 0), gravity=(-1, 0, 0)) == "up"


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda: natural_convection_h(80.0, 25.0, -0.01, "up"), "length_m"),
        (lambda: natural_convection_h(80.0, 25.0, 0.0, "up"), "length_m"),
        (lambda: natural_convection_h(np.nan, 25.0, 0.03, "up"), "T_surface_C"),
        (lambda: natural_convection_h(80.0, -300.0, 0.03, "up"), "T_ambient_C"),
        (lambda: natural_convection_h(80.0, 25.0, 0.03, "sideways"), "orientation"),
        (lambda: natural_convection_h(900.0, 25.0, 0.03, "up"), "T_film_C"),
        (lambda: forced_convection_h(-1.0, 0.1, 80.0, 25.0), "velocity_m_s"),
        (lambda: forced_convection_h(1.0, np.nan, 80.0, 25.0), "length_m"),
        (lambda: radiation_h(80.0, 25.0, 1.2), "emissivity"),
        (lambda: radiation_h(80.0, 25.0, -0.1), "emissivity"),
        (lambda: radiation_h(-274.0, 25.0, 0.5), "T_surface_C"),
        (lambda: h_total(80.0, 25.0, 0.03, "up", velocity_m_s=-2.0), "velocity_m_s"),
        (lambda: orientation_of((0, 0, 0)), "normal"),
        (lambda: orientation_of((0, 1)), "normal"),
        (lambda: air_properties(-100.0), "T_film_C"),
    ],
)
def test_bad_input_raises(call, key):
    with pytest.raises(InputError) as err:
        call()
    assert err.value.key == key
