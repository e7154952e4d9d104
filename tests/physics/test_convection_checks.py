"""The convection correlations (:mod:`fea.physics.convection`) against hand values, their
arguments refused at their key (a velocity beyond the incompressible correlations, an
emissivity or length that is no number), the wind-tunnel range accepted."""

from __future__ import annotations

import pytest

from fea.physics import convection

from .test_inputs import refused

# -- convection correlations -----------------------------------------------------------------


def test_the_correlations_against_hand_values():
    """Hand values with Incropera's Table A.4 air: a 10 mm vertical plate at 75 degC in
    25 degC air (film 50 degC: nu 17.95e-6, alpha 25.5e-6, k 0.0280, Pr 0.704; Ra 3.3e3,
    Churchill-Chu Nu 4.31): h 12.1; a 100 mm plate in a 1 m/s stream at 50/25 degC (film
    37.5 degC: Re 5.9e3, Nu = 0.664 Re^0.5 Pr^(1/3) 45.5): h 12.4; radiation with
    emissivity 0.9 at 75/25 degC: eps sigma (Ts^2 + Ta^2)(Ts + Ta) = 6.93."""
    assert convection.natural_convection_h(75.0, 25.0, 0.01, "vertical") == pytest.approx(
        12.08, rel=0.01
    )
    assert convection.forced_convection_h(1.0, 0.1, 50.0, 25.0) == pytest.approx(12.37, rel=0.01)
    Ts, Ta = 75.0 + 273.15, 25.0 + 273.15
    hr = 0.9 * 5.670374419e-8 * (Ts**2 + Ta**2) * (Ts + Ta)
    assert convection.radiation_h(75.0, 25.0, 0.9) == pytest.approx(hr, rel=1e-6)


@pytest.mark.parametrize(
    ("call", "key"),
    [
        # was h = 9e24 W/(m^2 K): beyond the incompressible correlations
        (lambda: convection.forced_convection_h(1e30, 0.1, 50.0, 25.0), "velocity_m_s"),
        (lambda: convection.h_total(75.0, 25.0, 0.01, "up", velocity_m_s=500.0), "velocity_m_s"),
        (
            lambda: convection.FilmCoefficient(length_m=0.01, velocity_m_s=1e3, flow_length_m=0.1),
            "velocity_m_s",
        ),
        # were a TypeError / ValueError from float()
        (lambda: convection.h_total(75.0, 25.0, 0.01, "up", emissivity={"a": 1}), "emissivity"),
        (lambda: convection.radiation_h(75.0, 25.0, "matt"), "emissivity"),
        (
            lambda: convection.FilmCoefficient(length_m=0.01, emissivity={"shell": "x"}),
            "emissivity.shell",
        ),
        (lambda: convection.FilmCoefficient(length_m="1cm"), "length_m"),
        (
            lambda: convection.FilmCoefficient(length_m={"up": "a", "down": 1.0, "vertical": 1.0}),
            "length_m.up",
        ),
    ],
)
def test_convection_arguments_are_refused_at_their_key(call, key):
    refused(key, call)


def test_the_wind_tunnel_range_is_still_accepted():
    """JESD51-6 runs 0.5 to 5 m/s; the study file accepts up to 50 m/s."""
    assert float(convection.forced_convection_h(50.0, 0.1, 50.0, 25.0)) > 0
