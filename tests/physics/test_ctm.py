"""Compact thermal models without a mesh: netlists, CSV, networks, the DELPHI fit on a
network of known values, ECXML."""

from __future__ import annotations

import csv
import io
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics import ctm
from fea.physics.structure import (
    CauerNetwork,
    FosterNetwork,
    cauer_from_foster,
    zth_from_foster,
)

from .spice_reference import parse_subcircuit, step_response

FOSTER = FosterNetwork(
    R=np.array([0.15, 0.6, 1.2, 3.0, 5.5]), tau=np.array([2e-5, 4e-4, 6e-3, 0.3, 20.0])
)


@pytest.mark.parametrize("form", ["foster", "cauer"])
def test_netlist_step_response_is_the_foster_sum(form):
    times = np.logspace(-6, 2.5, 60)
    net = FOSTER if form == "foster" else cauer_from_foster(FOSTER.R, FOSTER.tau)
    text = ctm.spice_netlist(net, name="zth_test")
    z = step_response(text, times)
    exact = zth_from_foster(times, FOSTER.R, FOSTER.tau)
    np.testing.assert_allclose(z, exact, rtol=1e-9, atol=1e-12 * exact[-1])


def test_cauer_netlist_is_a_ladder_to_thermal_ground():
    cauer = cauer_from_foster(FOSTER.R, FOSTER.tau)
    _, elements = parse_subcircuit(ctm.spice_netlist(cauer))
    caps = [e for e in elements if e[0] == "C"]
    res = [e for e in elements if e[0] == "R"]
    assert all(b == "AMB" for _, _, b, _ in caps)
    assert [a for _, a, _, _ in res] == [a for _, a, _, _ in caps]  # R from each C node
    assert res[-1][2] == "AMB"
    assert sum(v for *_, v in res) == pytest.approx(FOSTER.R.sum(), rel=1e-12)


def test_bench_has_source_and_analysis():
    text = ctm.spice_netlist(FOSTER, bench=True, power_W=2.5)
    assert "XDUT J 0 ZTH" in text
    assert "IP 0 J PWL(0 0 1e-12 2.5)" in text
    assert ".TRAN" in text and text.rstrip().endswith(".END")


@pytest.mark.parametrize(
    "net", [FOSTER, CauerNetwork(R=np.array([0.5, 2.0]), C=np.array([1e-3, 0.2]))]
)
def test_csv_round_trips_the_values(net):
    rows = list(csv.DictReader(io.StringIO(ctm.network_csv(net))))
    R = np.array([float(r["R_K_per_W"]) for r in rows])
    C = np.array([float(r["C_J_per_K"]) for r in rows])
    np.testing.assert_array_equal(R, net.R)
    if isinstance(net, FosterNetwork):
        np.testing.assert_array_equal([float(r["tau_s"]) for r in rows], net.tau)
        np.testing.assert_allclose(C * R, net.tau, rtol=1e-15)
    else:
        np.testing.assert_array_equal(C, net.C)
        assert all(r["tau_s"] == "" for r in rows)


def two_r(theta_jc: float, theta_jb: float) -> ctm.CompactNetwork:
    return ctm.CompactNetwork(
        "2R",
        (ctm.SurfaceNode("case", "top", 1e-4), ctm.SurfaceNode("board", "bottom", 2e-4)),
        (("junction", "case", theta_jc), ("junction", "board", theta_jb)),
    )


def test_two_resistor_response_by_hand():
    net = two_r(3.0, 12.0)
    r = net.response({"top": 500.0, "bottom": 100.0})
    top, bottom = 3.0 + 1 / (500.0 * 1e-4), 12.0 + 1 / (100.0 * 2e-4)  # 23, 62 K/W
    assert r.junction_K_per_W == pytest.approx(1 / (1 / top + 1 / bottom), rel=1e-12)
    assert r.heat["case"] == pytest.approx(bottom / (top + bottom), rel=1e-12)
    held = net.response({"top": math.inf})  # board adiabatic: theta_JC itself
    assert held.junction_K_per_W == pytest.approx(3.0, rel=1e-12)
    assert held.heat == pytest.approx({"case": 1.0, "board": 0.0})


def test_two_resistor_board_is_the_terminals_where_there_are_some():
    """theta_JB holds the board-side face the package meets the board with: its terminals
    (``leads``) where it has them. It held the underside between the balls, which
    short-circuited them (5.67 instead of 14.0 K/W on studies/ctm.toml)."""
    asked = []

    def solve(conditions):
        asked.extend(conditions)
        return [ctm.Response(2.0 + len(c), {}) for c in conditions]

    nodes = [
        ctm.SurfaceNode("top_inner", "top", 1e-5),
        ctm.SurfaceNode("bottom_inner", "bottom", 1e-5),
        ctm.SurfaceNode("leads", "leads", 3e-6),
    ]
    net = ctm.two_resistor_model(solve, nodes)
    assert asked == [{"top": math.inf}, {"leads": math.inf}]
    board = {n.name: n for n in net.surfaces}["board"]
    assert board.face == "leads" and board.area_m2 == 3e-6
    asked.clear()  # the underside on request; without terminals it is the default
    ctm.two_resistor_model(solve, nodes, board="bottom")
    ctm.two_resistor_model(solve, nodes[:2])
    assert asked[1] == asked[3] == {"bottom": math.inf}


def test_network_without_a_path_to_ambient_is_an_error():
    with pytest.raises(Exception, match="no path to ambient"):
        two_r(1.0, 1.0).response({})


def known_delphi() -> ctm.CompactNetwork:
    nodes = (
        ctm.SurfaceNode("top_inner", "top", 16e-6),
        ctm.SurfaceNode("top_outer", "top", 84e-6),
        ctm.SurfaceNode("bottom", "bottom", 100e-6),
        ctm.SurfaceNode("sides", "sides", 48e-6),
    )
    links = (
        ("junction", "top_inner", 20.0),
        ("junction", "top_outer", 60.0),
        ("junction", "bottom", 4.0),
        ("top_inner", "top_outer", 35.0),
        ("bottom", "sides", 25.0),
        ("top_outer", "sides", 80.0),
    )
    return ctm.CompactNetwork("DELPHI", nodes, links)


def test_delphi_fit_recovers_a_network_it_can_represent():
    """A 'detailed model' that is itself a DELPHI network: the fit must find it (zero
    error on the held-out conditions too) and its resistances."""
    truth = known_delphi()
    bcs = ctm.delphi_boundary_conditions(("top", "bottom", "sides"))
    fit = [i % 3 != 2 for i in range(len(bcs))]
    res = ctm.fit_delphi(lambda b: ctm.predict(truth, b), truth.surfaces, bcs, fit=fit)
    assert res.max_junction_error() < 1e-6
    assert res.max_heat_error() < 1e-6
    for a, b, R in truth.links:
        assert res.network.resistance(a, b) == pytest.approx(R, rel=1e-4)
    for a, b, R in res.network.links:  # the links it should not need are negligible
        if math.isinf(truth.resistance(a, b)):
            assert R > 1e4 * 80.0


def test_delphi_boundary_condition_set():
    assert len(ctm.DELPHI_38) == 38 == len(set(ctm.DELPHI_38))
    values = {h for row in ctm.DELPHI_38 for h in row}
    assert values == {10.0, 100.0, 1e3, 1e4}
    four = ctm.delphi_boundary_conditions()
    assert [tuple(bc[f] for f in ctm.DELPHI_FACES) for bc in four] == list(ctm.DELPHI_38)
    three = ctm.delphi_boundary_conditions(("top", "bottom", "sides"))
    assert len(three) == len({tuple(bc.values()) for bc in three}) == 29
    with pytest.raises(InputError, match="faces"):
        ctm.delphi_boundary_conditions(("top", "lid"))


def test_fit_arguments_are_checked():
    truth = known_delphi()
    solve = lambda b: ctm.predict(truth, b)  # noqa: E731
    with pytest.raises(InputError, match="fit"):
        ctm.fit_delphi(solve, truth.surfaces, [{"top": 10.0}], fit=[False])
    with pytest.raises(InputError, match=r"conditions\[0\]"):
        ctm.fit_delphi(solve, truth.surfaces, [{"top": -1.0}])
    with pytest.raises(InputError, match="leads"):
        ctm.fit_delphi(solve, truth.surfaces, [{"leads": 10.0}])
    with pytest.raises(InputError, match="links"):
        ctm.fit_delphi(solve, truth.surfaces, links=[("junction", "lid")])
    with pytest.raises(InputError, match="nodes.lid"):
        ctm.fit_delphi(solve, [ctm.SurfaceNode("lid", "lid", 1e-6)])


def test_two_resistor_model_ignores_faces_it_has_not():
    """A 2R model has no side node: side cooling takes nothing from it."""
    net = two_r(3.0, 12.0)
    bc = {"top": 500.0, "bottom": 100.0}
    assert net.response({**bc, "sides": 1e4}) == net.response(bc)


def test_ecxml_is_well_formed_and_round_trips():
    delphi = known_delphi()
    cauer = cauer_from_foster(FOSTER.R, FOSTER.tau)
    models = {"two_r": two_r(3.0, 12.0), "delphi": delphi, "foster": FOSTER, "cauer": cauer}
    err = ctm.BCError({"top": 10.0, "bottom": 1e4}, 0.0123, {"top_inner": -0.05}, False)
    text = ctm.write_ecxml(models, package="BGA-100", errors={"delphi": [err]})
    root = ET.fromstring(text)  # well-formed
    assert root.tag == "ECXML" and root.find("Package").get("name") == "BGA-100"
    bc = root.find(".//ComponentThermalModel[@name='delphi']/Validation/BoundaryCondition")
    assert float(bc.get("junctionError")) == 0.0123
    back = ctm.read_ecxml(text)
    assert back["delphi"] == delphi and back["two_r"] == two_r(3.0, 12.0)
    np.testing.assert_array_equal(back["foster"].R, FOSTER.R)
    np.testing.assert_allclose(back["foster"].tau, FOSTER.tau, rtol=1e-15)
    np.testing.assert_array_equal(back["cauer"].R, cauer.R)
    np.testing.assert_array_equal(back["cauer"].C, cauer.C)
    with pytest.raises(InputError, match="ecxml"):
        ctm.read_ecxml("<ECXML><Package>")


def test_compact_netlist_reproduces_the_network():
    """The 2R / DELPHI netlist's resistors give the network's junction rise (nodal
    analysis of the parsed netlist with the surface pins grounded)."""
    net = known_delphi()
    text = ctm.spice_netlist(net, name="delphi")
    lines = [w.split() for w in text.splitlines() if w and not w.startswith("*")]
    pins = next(w for w in lines if w[0] == ".SUBCKT")[2:]
    assert pins == ["J", "TOP_INNER", "TOP_OUTER", "BOTTOM", "SIDES"]
    R = [(a, b, float(v)) for name, a, b, v in (w for w in lines if w[0].startswith("R"))]
    # all surface pins at ambient: the junction sees its links in parallel
    g = sum(1 / v for a, b, v in R if "J" in (a, b))
    exact = net.response({"top": math.inf, "bottom": math.inf, "sides": math.inf})
    assert 1 / g == pytest.approx(exact.junction_K_per_W, rel=1e-12)


def test_shared_factorisation_gives_the_one_by_one_answers():
    """Conditions with finite h solved by PCG on one factorisation (shared) equal each
    condition solved with its own (solve_thermal_variants), to the solver tolerance; an
    isothermal condition in the batch goes the own way."""
    from ..verification.ctm_bodies import MATERIALS, NODES, package_body

    mesh = package_body(2.0, 1)
    bcs = ctm.delphi_boundary_conditions(("top", "bottom", "sides"))[:8]
    bcs.insert(3, {"top": math.inf})
    shared = ctm.detailed_solver(mesh, MATERIALS, {"die": 1.0}, "die", NODES)
    alone = ctm.detailed_solver(mesh, MATERIALS, {"die": 1.0}, "die", NODES, shared=False)
    a, b = shared(bcs), alone(bcs)
    assert shared.info["factorizations"] == 2  # the shared one, the isothermal one
    assert alone.info["factorizations"] == len(bcs)
    assert len(shared.info["pcg_iterations"]) == len(bcs) - 1
    for x, y in zip(a, b, strict=True):
        assert x.junction_K_per_W == pytest.approx(y.junction_K_per_W, rel=1e-8)
        for n in y.heat:
            assert x.heat[n] == pytest.approx(y.heat[n], abs=1e-8)
        assert sum(x.heat.values()) == pytest.approx(1.0, abs=1e-8)
