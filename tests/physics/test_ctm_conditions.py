"""Compact thermal models (:mod:`fea.ctm`) under conditions they cannot solve: a condition
without a heat sink refused at its index, a finite h beyond any contact pointed to ``inf``,
a network under a condition it has no node for; an isothermal top against the slab's
resistance.

Before: a row with every face adiabatic was "Pardiso failed in phase 22" among others; h =
1e300 overflowed; the two-resistor network under heat into the sides was solved singular.
"""

from __future__ import annotations

import math

import pytest

import fea

from ..verification.helpers import layered_box, plane
from .test_inputs import MAT, refused

# -- compact thermal models (fea.ctm) ------------------------------------------------------


@pytest.fixture(scope="module")
def detailed():
    """The block (P2: the quadratic profile of a volume source exactly) seen through two
    surface nodes: ``t`` (top) and ``b`` (bottom)."""
    box2 = layered_box(
        (2e-3, 2e-3),
        [("body", 1e-3, 2)],
        1e-3,
        order=2,
        faces={"bottom": plane(2, 0.0), "top": plane(2, 1e-3)},
    )
    return fea.ctm.detailed_solver(
        box2,
        {"*": MAT},
        {"body": 1.0},
        "body",
        {"t": ("top", ("top",)), "b": ("bottom", ("bottom",))},
    )


@pytest.mark.parametrize(
    ("conditions", "key"),
    [
        ([{"top": 0.0}], "conditions[0]"),
        ([{}], "conditions[0]"),
        # among others (one shared factorisation): was "Pardiso failed in phase 22"
        ([{"top": 10.0}, {"top": 0.0, "bottom": 0.0}], "conditions[1]"),
    ],
)
def test_a_condition_without_a_heat_sink_is_refused_at_its_index(detailed, conditions, key):
    refused(key, detailed, conditions)


def test_a_finite_h_beyond_any_contact_is_refused_pointing_to_inf(detailed):
    """h = 1e300 overflowed: junction 233 K/W and no heat leaving any node."""
    err = refused("conditions[0].top", detailed, [{"top": 1e300}])
    assert "inf" in err.allowed


def test_an_isothermal_top_gives_the_slab_resistance(detailed):
    """Top held at ambient, bottom adiabatic, 1 W spread in a 1 mm slab of k = 100 on
    4 mm^2: the hottest (bottom) plane lies q L / (2 k A) = 1.25 K/W above the top."""
    (r,) = detailed([{"top": math.inf}])
    assert r.junction_K_per_W == pytest.approx(1e-3 / (2 * 100.0 * 4e-6), rel=1e-6)
    assert r.heat["t"] == pytest.approx(1.0, rel=1e-9)


def test_a_network_under_a_condition_it_has_no_node_for_is_refused(detailed):
    """The 2R model has no side node: all of the heat into the sides gave Tj = -1.2e16
    K/W (a singular network solved)."""
    two_r = fea.ctm.two_resistor_model(detailed, detailed.nodes)
    refused("condition", two_r.response, {"sides": 10.0})
    refused("conditions[1]", fea.ctm.predict, two_r, [{"top": 10.0}, {"sides": 10.0}])
    refused("conditions[0]", fea.ctm.predict, two_r, [{"top": 0.0, "bottom": 0.0}])
    (r,) = fea.ctm.predict(two_r, [{"top": math.inf}])
    assert r.junction_K_per_W == pytest.approx(1.25, rel=1e-6)
