"""The steady conduction solve on the device, run on the CPU through the NumPy stand-in for
CuPy: assembly, elimination of the fixed temperatures, hierarchy, PCG and the Picard passes
in the device namespace, on a real package mesh (meshes/reference/small_unit.msh), against
the host path."""

from __future__ import annotations

import numpy as np
import pytest

from fea.physics.convection import FilmCoefficient
from fea.physics.materials import get
from fea.physics.thermal import solve_thermal

MATERIALS = {
    "shell": get("copper"),
    "dielectric": get("polyimide"),
    "die": get("silicon"),  # k(T): Picard passes
    "die_attach": get("die_attach"),
    "encapsulant": get("mold_compound"),
    "terminals": get("sac305"),
}


@pytest.mark.parametrize(
    "bc",
    [
        {"convection": {"package_surface": (10.0, 25.0)}},
        {
            "convection": {
                "package_surface": (FilmCoefficient(0.01, emissivity=0.9), 25.0),
            },
            "fixed": {"terminal_tips": 40.0},
        },
    ],
    ids=["uniform_h", "film_and_fixed"],
)
def test_the_device_steady_solve_equals_the_host_solve_on_a_package(mesh, device, bc):
    kw = dict(sources={"die": 1.5}, rtol=1e-12, **bc)
    host = solve_thermal(mesh, MATERIALS, backend="cpu", **kw)
    dev = solve_thermal(mesh, MATERIALS, backend="gpu", **kw)
    info = dev.solver_info
    assert info["backend"] == "gpu" and info["device"] == "cuda:0"
    assert info["method"] == "amg-pcg"
    # k(T) of silicon (and the film coefficient) take several passes on one hierarchy
    n = info["picard_iterations"]
    assert n == host.solver_info["picard_iterations"] > 2
    assert info["picard_setups"]["built"] == 1 and sum(info["picard_setups"].values()) == n
    assert type(dev.temperature) is np.ndarray
    rise = host.temperature.max() - 25.0
    assert np.abs(dev.temperature - host.temperature).max() <= 1e-7 * rise
    assert dev.heat_balance() < 1e-6
    if "fixed" in bc:  # the eliminated rows hold the fixed temperature exactly
        nodes = dev.space.boundary_nodes(mesh.boundaries["terminal_tips"])
        assert np.all(dev.temperature[nodes] == 40.0)
