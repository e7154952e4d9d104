"""The whole thermoelastic solve on the device, run on the CPU through the NumPy stand-in
for CuPy: assembly, elimination, hierarchy, PCG and stresses in the device namespace, on a
real package mesh (meshes/reference/small_unit.msh), against the host path."""

from __future__ import annotations

import numpy as np
import pytest

from fea.physics.materials import get
from fea.physics.mechanics import close_solver_cache, solve_thermoelastic

MATERIALS = {
    "shell": get("copper"),
    "dielectric": get("polyimide"),
    "die": get("silicon"),
    "die_attach": get("die_attach"),
    "encapsulant": get("mold_compound"),
    "terminals": get("sac305"),
}
REFERENCE = {"encapsulant": 175.0, "*": 25.0}


def test_the_device_solve_equals_the_host_solve_on_a_package(mesh, device):
    host = solve_thermoelastic(mesh, MATERIALS, 25.0, REFERENCE, backend="cpu", rtol=1e-12)
    dev = solve_thermoelastic(mesh, MATERIALS, 25.0, REFERENCE, backend="gpu", rtol=1e-12)
    assert dev.solver_info["backend"] == "gpu" and dev.solver_info["device"] == "cuda:0"
    assert dev.solver_info["method"] == "amg-pcg" and dev.solver_info["free_body"]
    # results come back to the host once, as plain NumPy arrays
    assert type(dev.displacement) is np.ndarray and type(dev.stress_q) is np.ndarray
    scale = np.abs(host.displacement).max()
    assert np.abs(dev.displacement - host.displacement).max() <= 1e-8 * scale
    s = np.abs(host.stress_q).max()
    assert np.abs(dev.stress_q - host.stress_q).max() <= 1e-6 * s
    assert dev.reactions < 1e-6
    assert dev.warpage("top").peak_to_valley == pytest.approx(
        host.warpage("top").peak_to_valley, rel=1e-7
    )


def test_temperature_states_reuse_the_device_hierarchy(mesh, device):
    """The mould compound's modulus falls 15x from 25 to 260 C: the second state updates the
    prepared device solver's matrix and keeps its hierarchy while it preconditions well."""
    cache: dict = {}
    try:
        states = [
            solve_thermoelastic(
                mesh, MATERIALS, T, REFERENCE, backend="gpu", rtol=1e-10, solver_cache=cache
            )
            for T in (25.0, 100.0, 260.0)
        ]
    finally:
        close_solver_cache(cache)
    setups = [s.solver_info["setup"] for s in states]
    assert setups[0] == "built" and setups[1] == "reused", setups
    assert all(s.solver_info["reused_setup"] for s in states[1:])
    for T, s in zip((25.0, 100.0, 260.0), states, strict=True):
        ref = solve_thermoelastic(mesh, MATERIALS, T, REFERENCE, backend="cpu", rtol=1e-12)
        scale = np.abs(ref.displacement).max()
        assert np.abs(s.displacement - ref.displacement).max() <= 1e-7 * scale, T
