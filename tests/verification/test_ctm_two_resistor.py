"""JESD15-3 two-resistor model from the detailed model: theta_JC and theta_JB against the
series resistances of a 1-D layered body (hand calculation), and the 2R model's junction
temperature under boundary conditions not used to build it, against the detailed model."""

from __future__ import annotations

import pytest

from fea.physics import ctm

from .ctm_bodies import MATERIALS, NODES, material, package_body
from .helpers import layered_box, plane

A_M = 2e-3  # edge of the layered body [m]
LAYERS = [("substrate", 0.4e-3, 1), ("die", 0.3e-3, 1), ("mould", 0.5e-3, 1)]
K = {"substrate": 15.0, "die": 150.0, "mould": 0.9}
TOP = sum(t for _, t, _ in LAYERS)


def _side(bb) -> bool:
    x0, y0, _, x1, y1, _ = bb
    return any(
        abs(lo - hi) < 1e-9 and (abs(lo) < 1e-9 or abs(lo - A_M) < 1e-9)
        for lo, hi in ((x0, x1), (y0, y1))
    )


@pytest.fixture(scope="module")
def layered():
    mesh = layered_box(
        (A_M, A_M),
        LAYERS,
        0.5e-3,
        order=2,
        faces={"top": plane(2, TOP), "bottom": plane(2, 0.0), "sides": _side},
    )
    mats = {n: material(n, k) for n, k in K.items()}
    nodes = {"top": ("top", "top"), "bottom": ("bottom", "bottom"), "sides": ("sides", "sides")}
    return ctm.detailed_solver(mesh, mats, {"die": 2.0}, "die", nodes)


def _r(name: str) -> float:
    t = next(t for n, t, _ in LAYERS if n == name)
    return t / (K[name] * A_M**2)


def test_theta_jc_and_jb_are_the_series_resistances(layered):
    """Uniform heat in the die layer, one face isothermal, the rest adiabatic: the die's
    hottest plane is its face towards the adiabatic side, half the die's own resistance
    above the other face (q''' t^2 / 2k), plus the layers in between."""
    two_r = ctm.two_resistor_model(layered, layered.nodes)
    theta_jc = _r("mould") + _r("die") / 2
    theta_jb = _r("substrate") + _r("die") / 2
    assert two_r.resistance("junction", "case") == pytest.approx(theta_jc, rel=1e-9)
    assert two_r.resistance("junction", "board") == pytest.approx(theta_jb, rel=1e-9)


def _h_pairs():
    return [{"top": ht, "bottom": hb} for ht in (10.0, 100.0, 1e3, 1e4) for hb in (10.0, 1e3, 1e4)]


def test_two_resistor_predicts_the_layered_body(layered):
    """h on top and bottom (sides adiabatic), none of them used to build the model: in 1-D
    the 2R model is exact but for the heat generated across the die's thickness."""
    two_r = ctm.two_resistor_model(layered, layered.nodes)
    errors = ctm.compare(two_r, layered, _h_pairs(), {"case": ["top"], "board": ["bottom"]})
    worst_j = max(abs(e.junction) for e in errors)
    worst_q = max(e.heat_max for e in errors)
    print(f"2R on the layered body: junction {worst_j:.4f}, heat {worst_q:.4f}")
    assert worst_j < ctm.TARGET_JUNCTION
    assert worst_q < ctm.TARGET_HEAT_FLOW


@pytest.fixture(scope="module")
def package():
    return ctm.detailed_solver(package_body(1.0, 1), MATERIALS, {"die": 1.0}, "die", NODES)


def test_two_resistor_on_a_package_body(package):
    """On a 3-D body the 2R model is not boundary-condition independent. Its nodes are
    isothermal faces, so it leaves out the spreading resistance of a face cooled by a
    finite h: it under-predicts Tj, little in natural convection, by up to half of the
    rise with a cold plate under the board side (the JESD15-3 caveat; the DELPHI model on
    the same conditions: tests/verification/test_ctm_delphi.py)."""
    two_r = ctm.two_resistor_model(package, package.nodes)
    groups = {"case": ["top_inner", "top_outer"], "board": ["bottom_inner", "bottom_outer"]}
    pairs = _h_pairs()
    errors = ctm.compare(two_r, package, pairs, groups)
    for e in errors:
        print(e.condition, f"junction {e.junction:+.4f} heat {e.heat_max:.4f}")
    worst = max(abs(e.junction) for e in errors)
    print(f"2R on the package body: junction {worst:.4f}")
    assert all(e.junction < 0.005 for e in errors)  # never above the detailed model
    natural = errors[pairs.index({"top": 10.0, "bottom": 10.0})]
    assert abs(natural.junction) < ctm.TARGET_JUNCTION
    assert natural.heat_max < ctm.TARGET_HEAT_FLOW
    assert worst > 0.3  # the 2R model is no BCI model: far outside the 5 % target
