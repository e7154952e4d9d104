"""The Foster and Cauer networks of a detailed model's heating curve, written as SPICE
netlists: their step response (nodal analysis of the parsed netlist) reproduces the
finite-element Zth(t)."""

from __future__ import annotations

import numpy as np
import pytest

import fea
from fea.fe.spaces import space
from fea.physics import ctm
from fea.physics.thermal import Transient

from ..physics.spice_reference import step_response
from .ctm_bodies import MATERIALS, package_body


@pytest.fixture(scope="module")
def heating_curve():
    mesh = package_body(1.0, 1)
    die = np.unique(space(mesh).dofs[mesh.regions["die"]])
    times = np.logspace(-5, 3, 161)
    tr = Transient(times[-1], times[0], initial=25.0, outputs=times, fields=0, scheme="reduced")

    def tj(T):
        return T[die].max()

    th = fea.solve_thermal(
        mesh,
        MATERIALS,
        sources={"die": 1.0},
        convection={"bottom_inner": (1e3, 25.0), "bottom_outer": (1e3, 25.0)},
        transient=tr,
        watch={"tj": tj},
    )
    return th.series.times[1:], th.series["tj"][1:] - 25.0


@pytest.mark.parametrize("form", ["foster", "cauer"])
def test_netlist_reproduces_the_heating_curve(heating_curve, form):
    t, zth = heating_curve
    foster, cauer = ctm.heating_curve_networks(t, zth)
    text = ctm.spice_netlist(foster if form == "foster" else cauer, name="pkg")
    z = step_response(text, t)
    err = np.abs(z - zth).max() / zth[-1]
    print(f"{form}: {len(foster.R)} Foster terms, {len(cauer.R)} Cauer stages, max error {err:.2e}")
    assert err < 1e-3
