"""What a parametric study reports for its swept keys: the unit of each swept parameter's
column (``table.h5``, the plots' axes) is the unit the study file gives the value in."""

from __future__ import annotations

import pytest

from fea.package.spec.reference import key_unit


@pytest.mark.parametrize(
    ("key", "unit"),
    [
        # a modulus table in GPa (E_GPa = { T_C = [...], values = [...] }) is read in GPa
        # (fea.package.spec.materials.parse_user_material scales it by 1e9): its column was
        # labelled MPa, a factor 1000 on the axis of a modulus sweep
        ("materials.library.mc.E_GPa.values", "GPa"),
        ("materials.library.mc.E_GPa.T_C", "°C"),
        ("materials.library.mc.E_MPa.values", "MPa"),
        ("materials.library.mc.E_GPa", "GPa"),
        # keys in seconds, hours and m/s had no unit: a forced-air sweep of JESD51-6
        # (environment.velocity_m_s) or a soak-time sweep had a bare axis
        ("environment.velocity_m_s", "m/s"),
        ("transient.duration_s", "s"),
        ("process.reflow_time_s", "s"),
        ("cycling.dwell_s", "s"),
        ("materials.library.mc.relaxation.tau_s", "s"),
        ("moisture.soak.hours", "h"),
        ("loads.power_map.rectangles[0].W", "W"),
        # the ones that were right stay so
        ("moisture.materials.encapsulant.D0_m2_per_s", "m²/s"),
        ("cycling.ramp_K_per_min", "K/min"),
        ("loads.power_W.die", "W"),
    ],
)
def test_swept_key_unit(key, unit):
    assert key_unit(key) == unit
