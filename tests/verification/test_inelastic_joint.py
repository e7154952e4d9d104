"""Material-point check of a single solder joint in lap shear under cyclic displacement.

The joint is idealised as a point in simple shear (the pad plates rigid, the other strain
components held at zero) driven by a triangular shear strain. Over a stabilised cycle the
area of the shear stress - shear strain loop, integrated from the outputs, must equal the
dissipated inelastic energy density accumulated in the law's state (the elastic work
telescopes over a closed cycle); for elastic-perfectly-plastic J2 the loop area also has
a closed form.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fea.physics.inelastic import Plastic, anand_set

from ..physics.inelastic_driver import drive

E_SAC, NU_SAC = 45e9, 0.35
ALL = np.ones(6, dtype=bool)


def _triangle(amplitude, cycles, per_ramp):
    q = np.linspace(0.0, 1.0, per_ramp + 1)[1:]
    one = np.concatenate([1 - 2 * q, -1 + 2 * q])  # +a -> -a -> +a, per_ramp steps each
    return amplitude * np.concatenate([q] + [one] * cycles)


def _loop_area(tau, gamma):
    # trapezoid of tau d(gamma) around the closed loop
    return float(np.sum(0.5 * (tau[1:] + tau[:-1]) * np.diff(gamma)))


@pytest.mark.parametrize(("T", "period_s"), [(25.0, 600.0), (125.0, 3600.0), (-40.0, 60.0)])
def test_anand_lap_shear_loop_area_equals_dissipated_energy(T, period_s):
    law = anand_set("SAC305_Motalab2012", E_SAC, NU_SAC)
    per_ramp, cycles, amp = 50, 3, 0.01
    gam = _triangle(amp, cycles, per_ramp)
    strains = np.zeros((gam.size, 6))
    strains[:, 4] = gam  # engineering shear gamma_xz
    dt = period_s / (2 * per_ramp)
    sig, eps, states, _ = drive(law, strains, ALL, T, dt)
    last = slice(gam.size - 2 * per_ramp - 1, gam.size)  # from +a round to +a
    tau, g = sig[last, 4], eps[last, 4]
    assert g[0] == pytest.approx(amp) and g[-1] == pytest.approx(amp)
    area = _loop_area(tau, g)
    energy = states[-1].energy[0] - states[gam.size - 2 * per_ramp - 1].energy[0]
    assert area > 0
    # observed agreement 1.6e-3 (25 C), 3.5e-3 (125 C), 9.3e-4 (-40 C): the law's
    # end-point work against the trapezoid loop of 50-step ramps, to the step's order
    # (1.3e-5, 3e-6, 3.9e-5 while the energy was the trapezoid's: the elastic work
    # telescoped up to the small change of the stress over the still-hardening cycle)
    assert energy == pytest.approx(area, rel=1e-2)
    # the loop is a real hysteresis: the inelastic shear strain range is most of the range
    gp = np.array([s.inelastic_strain[0, 4] for s in states])[last]
    assert gp.max() - gp.min() > 0.5 * 2 * amp


def test_plastic_lap_shear_loop_area_closed_form():
    sy = 30e6
    law = Plastic(sy, 0.0, E=E_SAC, nu=NU_SAC)
    G = E_SAC / (2 * (1 + NU_SAC))
    tau_y = sy / math.sqrt(3.0)
    per_ramp, amp = 400, 0.01
    gam = _triangle(amp, 2, per_ramp)
    strains = np.zeros((gam.size, 6))
    strains[:, 4] = gam
    sig, eps, states, _ = drive(law, strains, ALL, 25.0, 1.0)
    last = slice(gam.size - 2 * per_ramp - 1, gam.size)
    area = _loop_area(sig[last, 4], eps[last, 4])
    exact = 4 * tau_y * (amp - tau_y / G)  # parallelogram of elastic-perfectly-plastic
    energy = states[-1].energy[0] - states[gam.size - 2 * per_ramp - 1].energy[0]
    # the trapezoid cuts the corners of the parallelogram: O(step); observed 1.6e-5
    assert area == pytest.approx(exact, rel=1e-3)
    assert energy == pytest.approx(exact, rel=1e-3)
    assert np.abs(sig[:, 4]).max() == pytest.approx(tau_y, rel=1e-12)
