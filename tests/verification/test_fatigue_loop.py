"""Hysteresis-loop area against the dissipated energy and closed forms, at material points.

A point in simple shear (only gamma_xz prescribed, all other strains zero: with isotropic
elasticity and J2 flow the stress stays pure shear) is cycled between +-gamma_a. Over a
closed cycle the loop area ``closed integral of tau d gamma``
(:func:`fea.physics.fatigue.loop_area`) equals the increment of the law's dissipated energy
density ``energy``: the elastic part ``closed integral of tau d gamma_e`` vanishes for a
linear elasticity (for the trapezoid rule too: it telescopes). Both are checked against
closed forms where one exists.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fea.physics.fatigue import hysteresis_loop, joint_energy, loop_area
from fea.physics.inelastic import Plastic, anand_set

E, NU = 45e9, 0.35
G = E / (2 * (1 + NU))


def _cycle_shear(law, gammas, T, dt, n_points=1, scale=None):
    """Drive points through the shear strains ``gammas`` (steps,), each point's strain
    scaled by ``scale`` (n_points,). Returns tau (steps+1, n), gamma, energy."""
    s = np.ones(n_points) if scale is None else np.asarray(scale, float)
    st = law.init_state(n_points)
    tau, gam, en = [np.zeros(n_points)], [np.zeros(n_points)], [np.zeros(n_points)]
    prev = 0.0
    for g in gammas:
        de = np.zeros((n_points, 6))
        de[:, 4] = (g - prev) * s
        prev = g
        sig, _, st = law.update(de, T, dt, st)
        tau.append(sig[:, 4].copy())
        gam.append(g * s)
        en.append(st.energy.copy())
    return np.array(tau), np.array(gam), np.array(en)


def _triangle(amplitude, step, cycles):
    """0 -> +a -> -a -> +a ... in equal steps; indices of the closed cycles' starts."""
    n = round(amplitude / step)
    up = np.arange(1, n + 1) * step
    path = list(up)
    starts = []
    for _ in range(cycles):
        starts.append(len(path))  # state index of +a (state 0 is the origin)
        path += list(amplitude - np.arange(1, 2 * n + 1) * step)
        path += list(-amplitude + np.arange(1, 2 * n + 1) * step)
    return np.array(path), starts, 4 * n


def test_perfectly_plastic_loop_area_closed_form():
    # tau_y / G = 1e-3, gamma_a = 5e-3 on the step grid, so the discrete corners are exact:
    # loop area 4 tau_y (gamma_a - tau_y / G).
    tau_y = 1e-3 * G
    law = Plastic(yield_stress=math.sqrt(3) * tau_y, E=E, nu=NU)
    path, starts, per = _triangle(5e-3, 2.5e-4, 2)
    tau, gam, en = _cycle_shear(law, path, 25.0, 0.0)
    i0 = starts[1]
    area = loop_area(gam[i0 : i0 + per + 1, 0], tau[i0 : i0 + per + 1, 0])
    expected = 4 * tau_y * (5e-3 - 1e-3)
    assert area == pytest.approx(expected, rel=1e-9)
    assert en[i0 + per, 0] - en[i0, 0] == pytest.approx(expected, rel=1e-9)


def test_kinematic_hardening_loop_area_equals_energy():
    # Bilinear kinematic loop: a parallelogram of area 4 tau_y (gamma_a - tau_a / G)
    # (tau_a the peak stress), from its two sides (written out here).
    tau_y = 1e-3 * G
    law = Plastic(yield_stress=math.sqrt(3) * tau_y, kinematic=0.05 * E, E=E, nu=NU)
    path, starts, per = _triangle(6e-3, 1e-5, 2)
    tau, gam, en = _cycle_shear(law, path, 25.0, 0.0)
    i0 = starts[1]
    sl = slice(i0, i0 + per + 1)
    area = loop_area(gam[sl, 0], tau[sl, 0])
    d_energy = en[i0 + per, 0] - en[i0, 0]
    assert area == pytest.approx(d_energy, rel=1e-9)
    tau_a = tau[i0, 0]
    # fine steps: the corner where a step straddles the yield point costs O(step^2)
    assert area == pytest.approx(4 * tau_y * (6e-3 - tau_a / G), rel=1e-3)
    # Bauschinger: reverse yield at tau_a - 2 tau_y, well above -tau_a
    assert tau_a > tau_y * 1.01


def test_anand_loop_area_equals_dissipated_energy_within_1_percent():
    # SAC305 (Motalab 2012 set) cycled in shear at 75 degC, 1e-3 /s: the loop area of the
    # third cycle against the law's dissipated energy (the 1 % of the issue; observed
    # 1.3e-4 when written: the loop is not yet exactly closed in stress, the deformation
    # resistance still evolving).
    law = anand_set("SAC305_Motalab2012", E=E, nu=NU)
    step = 2e-5
    path, starts, per = _triangle(4e-3, step, 3)
    tau, gam, en = _cycle_shear(law, path, 75.0, step / 1e-3)
    i0 = starts[2]
    sl = slice(i0, i0 + per + 1)
    area = loop_area(gam[sl, 0], tau[sl, 0])
    d_energy = en[i0 + per, 0] - en[i0, 0]
    assert d_energy > 0
    assert area == pytest.approx(d_energy, rel=1e-2)
    # Exactly: energy = the return map's work, each step's end stress times its inelastic
    # strain increment, tau_n+1 (d gamma - d tau / G) (the trapezoid's open-path work less
    # the change of the elastic energy tau^2 / 2G, as the energy was taken before, counts
    # the start stress half; fea/physics/inelastic.py)
    t, g = tau[sl, 0], gam[sl, 0]
    work = float(np.sum(t[1:] * (np.diff(g) - np.diff(t) / G)))
    assert d_energy == pytest.approx(work, rel=1e-9)


def test_joint_delta_w_from_law_energy_and_loop_of_uniform_joint():
    # A "joint" of 3 elements in a uniform shear cycle: Delta W from the energy fields
    # (joint_energy) equals the averaged loop's area (hysteresis_loop), since every element
    # runs the same loop; with non-uniform amplitudes the averaged loop's area is NOT the
    # average energy (the loop of averages under-counts), which is why Delta W is taken
    # from the energy field.
    tau_y = 1e-3 * G
    law = Plastic(yield_stress=math.sqrt(3) * tau_y, E=E, nu=NU)
    path, starts, per = _triangle(5e-3, 2.5e-4, 2)
    vol = np.array([1.0, 2.0, 3.0]) * 1e-15
    cen = np.array([[0, 0, 5e-6], [0, 0, 15e-6], [0, 0, 40e-6]])
    i0, i1 = starts[1], starts[1] + per
    tau, gam, en = _cycle_shear(law, path, 25.0, 0.0, 3)
    je = joint_energy(vol, cen, np.zeros(3, dtype=int), en[i1], en[i0], pad_z=[0.0])
    loop = hysteresis_loop(vol, tau, gam, cycle=(i0, i1))
    assert je.delta_w[0] == pytest.approx(4 * tau_y * 4e-3, rel=1e-9)
    assert loop.area == pytest.approx(je.delta_w[0], rel=1e-9)
    # non-uniform: amplitudes x1, x2, x3 -> energies 4 tau_y (a s - tau_y/G) each
    tau, gam, en = _cycle_shear(law, path, 25.0, 0.0, 3, scale=[1.0, 2.0, 3.0])
    je = joint_energy(vol, cen, np.zeros(3, dtype=int), en[i1], en[i0], pad_z=[0.0])
    per_el = 4 * tau_y * (np.array([5e-3, 10e-3, 15e-3]) - 1e-3)
    # layer: the first two elements (centroids 5 and 15 um)
    assert je.delta_w[0] == pytest.approx((per_el[:2] * vol[:2]).sum() / vol[:2].sum(), rel=1e-9)
    loop = hysteresis_loop(vol, tau, gam, cycle=(i0, i1))
    assert loop.area < (per_el * vol).sum() / vol.sum()
