"""The compact-thermal-model exports as a system-level tool reads them: SPICE
pins that cannot short two nodes, ECXML that stays well-formed and typed, units named
(docs/ctm.md)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from fea import ctm
from fea.errors import InputError

S = ctm.SurfaceNode

#: XML Schema ``xs:double`` lexical space.
XS_DOUBLE = re.compile(r"(\+|-)?(\d+(\.\d*)?|\.\d+)([eE](\+|-)?\d+)?|-?INF|NaN")


def network(*names: str) -> ctm.CompactNetwork:
    """A star network, one surface node per name (face top, then bottom, ...)."""
    faces = ("top", "bottom", "sides", "leads")
    surf = tuple(S(n, faces[k % 4], 1e-4) for k, n in enumerate(names))
    return ctm.CompactNetwork(
        "DELPHI", surf, tuple(("junction", n, 5.0 + k) for k, n in enumerate(names))
    )


@pytest.mark.parametrize(
    "names, culprit",
    [(("j", "bottom"), "j"), (("top_inner", "TOP_INNER"), "TOP_INNER"), (("a-b", "a_b"), "a_b")],
)
def test_spice_netlist_refuses_node_names_on_one_pin(names, culprit):
    """A node named ``j`` would be the junction's pin ``J``, two names differing in case
    (or in a character SPICE cannot carry) one pin: the netlist would short them."""
    with pytest.raises(InputError, match=f"network.surfaces.{culprit}"):
        ctm.spice_netlist(network(*names), name="pkg")
    with pytest.raises(InputError, match=f"ctm.nodes.{culprit}"):
        ctm.spice_pins(names, key="ctm.nodes")


def test_spice_pins_of_distinct_names():
    assert ctm.spice_pins(["top_inner", "leads"]) == {"top_inner": "TOP_INNER", "leads": "LEADS"}
    text = ctm.spice_netlist(network("top", "bottom"), name="pkg")
    assert ".SUBCKT PKG J TOP BOTTOM" in text


def test_compact_netlist_of_a_network_with_its_own_junction_name():
    """A network read back with another junction name still writes (its pin is J)."""
    net = network("top", "bottom")
    net = ctm.CompactNetwork(
        net.kind, net.surfaces, tuple(("jx", b, R) for _, b, R in net.links), "jx"
    )
    assert "R1 J TOP 5.0" in ctm.spice_netlist(net, name="pkg")


@pytest.mark.parametrize("where", ["package", "model", "node"])
def test_ecxml_refuses_characters_xml_cannot_carry(where):
    """A control character would make a document no XML parser (nor read_ecxml) reads."""
    bad = "a\x01b"
    net = network(bad if where == "node" else "top", "bottom")
    models = {bad if where == "model" else "DELPHI": net}
    with pytest.raises(InputError, match="control character"):
        ctm.write_ecxml(models, package=bad if where == "package" else "pkg")


def test_ecxml_escapes_markup_in_names():
    net = network("top", "bottom")
    text = ctm.write_ecxml({'D<&>"': net}, package="a&b<c>\"'")
    root = ET.fromstring(text)
    assert root.find("Package").get("name") == "a&b<c>\"'"
    assert list(ctm.read_ecxml(text)) == ['D<&>"']


def test_ecxml_numbers_are_xs_double_and_errors_name_their_unit():
    """An isothermal face's h is ``INF`` (``inf`` is no xs:double); the validation errors
    are fractions and say so (the error table prints per cent)."""
    net = network("top", "bottom")
    err = ctm.BCError({"top": math.inf, "bottom": 10.0}, 0.0123, {"top": -0.05}, True)
    root = ET.fromstring(ctm.write_ecxml({"D": net}, errors={"D": [err]}))
    numbers = [
        v
        for el in root.iter()
        for k, v in el.attrib.items()
        if k in ("value", "area", "R", "C", "junctionError", "heatFlowErrorMax")
    ]
    assert numbers and all(XS_DOUBLE.fullmatch(v) for v in numbers), numbers
    bc = root.find(".//BoundaryCondition")
    assert bc.get("errorUnit") == "fraction"
    assert float(bc.get("junctionError")) == 0.0123
    h = {x.get("face"): float(x.get("value")) for x in bc.iter("HeatTransferCoefficient")}
    assert h == {"top": math.inf, "bottom": 10.0}


NODE_STUDY = """
[study]
name = "ctm_pins"

[geometry.terminals]
kind = "none"

[loads]
warpage_temperatures_C = []

[ctm.nodes]
top = {face = "top", boundaries = ["top_inner", "top_outer"]}
Top = {face = "bottom", boundaries = ["bottom_inner", "bottom_outer"]}
"""


def test_a_study_naming_ctm_nodes_on_one_spice_pin_is_refused_when_read(tmp_path):
    """``[ctm.nodes]`` names that SPICE reads as one pin are refused when the study is
    read (``fea run`` solves the thermal and mechanical cases before the CTM), and with
    ``formats`` without spice they are fine."""
    from fea.package.spec import load_study

    path = tmp_path / "s.toml"
    path.write_text(NODE_STUDY)
    with pytest.raises(InputError, match="ctm.nodes.Top"):
        load_study(path)
    path.write_text(NODE_STUDY.replace("[ctm.nodes]", '[ctm]\nformats = ["csv"]\n\n[ctm.nodes]'))
    assert set(load_study(path).base.ctm.nodes) == {"top", "Top"}


def test_ctm_analysis_refuses_node_names_on_one_spice_pin_before_solving(tmp_path):
    """``[ctm.nodes]`` names that SPICE reads as one pin fail before any mesh or solve
    in a case built in Python, which the reader did not see (the mesh here is a stand-in
    holding only the names the checks read)."""
    import dataclasses
    from types import SimpleNamespace

    from fea.package.ctm import ctm_analysis
    from fea.package.spec import load_study

    path = tmp_path / "s.toml"
    path.write_text(NODE_STUDY.replace("\nTop = ", "\nbottom = "))
    (_, _, case), *_ = load_study(path).cases()
    nodes = dict(case.ctm.nodes)
    nodes["Top"] = nodes.pop("bottom")
    case = dataclasses.replace(case, ctm=dataclasses.replace(case.ctm, nodes=nodes))
    names = ("top_inner", "top_outer", "bottom_inner", "bottom_outer")
    mesh = SimpleNamespace(regions={"die": [0]}, boundaries={b: [0] for b in names})
    with pytest.raises(InputError, match="ctm.nodes.Top"):
        ctm_analysis(case, mesh=mesh)


def test_sweep_cases_write_ecxml_packages_of_their_own_names(tmp_path):
    """Every case of a sweep carries the study's name; ``fea ctm`` names its files by
    case id, and the ECXML package inside must tell the cases apart too (a system
    model library imports them side by side)."""
    from fea.package.ctm import CtmResult, write_ctm_files
    from fea.package.spec import load_study

    path = tmp_path / "s.toml"
    path.write_text(NODE_STUDY.split("[ctm.nodes]")[0])
    (_, _, case), *_ = load_study(path).cases()
    two_r = ctm.CompactNetwork(
        "2R",
        (S("case", "top", 1e-4), S("board", "bottom", 1e-4)),
        (("junction", "case", 6.0), ("junction", "board", 5.0)),
    )
    result = CtmResult(None, two_r, None, {}, {})  # type: ignore[arg-type]
    names = {}
    for stem in (None, "case0000", "case0001"):
        files = write_ctm_files(result, tmp_path / str(stem), case, stem)
        (x,) = [f for f in files if f.suffix == ".ecxml"]
        names[stem] = ET.parse(x).getroot().find("Package").get("name")
        assert ctm.read_ecxml(x.read_text())["2R"] == two_r
    assert names == {
        None: "ctm_pins",
        "case0000": "ctm_pins_case0000",
        "case0001": "ctm_pins_case0001",
    }


@pytest.mark.parametrize(
    "extra, match",
    [
        (("top", ("top_inner", "top_outer")), "sharing no facet with node top_inner"),
        (("leads", "die|mould"), "exterior"),
    ],
)
def test_detailed_solver_refuses_overlapping_or_inner_node_boundaries(extra, match):
    """A node over facets another node has (the whole top besides its inner and outer
    patches) took h twice and reported heat shares summing to 1.87; a node on an
    interface was a heat sink inside the body (the junction 17 % cooler). Both passed
    without a word."""
    from ..verification.ctm_bodies import MATERIALS, NODES, package_body

    mesh = package_body(2.0, 1)
    with pytest.raises(InputError, match=match):
        ctm.detailed_solver(mesh, MATERIALS, {"die": 1.0}, "die", {**NODES, "extra": extra})
    twice = {**NODES, "sides": ("sides", ("sides", "sides"))}
    with pytest.raises(InputError, match="nodes.sides"):
        ctm.detailed_solver(mesh, MATERIALS, {"die": 1.0}, "die", twice)
    ctm.detailed_solver(mesh, MATERIALS, {"die": 1.0}, "die", NODES)  # disjoint: fine


def test_heating_curve_networks_say_they_are_junction_to_ambient_in_the_environment(tmp_path):
    """The Foster / Cauer networks come from the case's own heating curve (board and h
    included), the 2R and DELPHI models from the package alone: the files say which, so
    a system model does not take the Zth network for the package's and count the board
    twice."""
    import numpy as np

    from fea.package.ctm import CtmResult, write_ctm_files
    from fea.package.spec import load_study
    from fea.physics.structure import FosterNetwork, cauer_from_foster

    path = tmp_path / "s.toml"
    path.write_text(NODE_STUDY.split("[ctm.nodes]")[0])
    (_, _, case), *_ = load_study(path).cases()
    foster = FosterNetwork(R=np.array([0.5, 2.0]), tau=np.array([1e-3, 1.0]))
    two_r = ctm.CompactNetwork(
        "2R",
        (S("case", "top", 1e-4), S("board", "bottom", 1e-4)),
        (("junction", "case", 6.0), ("junction", "board", 5.0)),
    )
    nets = {"foster": foster, "cauer": cauer_from_foster(foster.R, foster.tau)}
    result = CtmResult(None, two_r, None, nets, {})  # type: ignore[arg-type]
    files = write_ctm_files(result, tmp_path, case)
    by = {f.name: f for f in files}
    cir = by["ctm_pins_zth.cir"].read_text().splitlines()
    titles = [line for line in cir if line.startswith("* ") and "network" in line]
    assert len(titles) == 2 and all("junction to ambient" in t for t in titles)
    root = ET.parse(by["ctm_pins.ecxml"]).getroot()
    desc = {c.get("name"): c.get("description") for c in root.iter("ComponentThermalModel")}
    assert "package alone" in desc["2R"]
    assert all("own environment" in desc[k] for k in ("zth_foster", "zth_cauer"))


def test_fit_delphi_names_a_detailed_solver_answering_nan_heat():
    """A detailed solver (a user's, or measurements) reporting a NaN heat share stopped
    the fit in scipy with 'Residuals are not finite in the initial point'."""
    from fea.errors import SolverError

    nodes = (S("top", "top", 1e-4), S("bottom", "bottom", 1e-4))

    def solve(bcs):
        return [ctm.Response(10.0, {"top": math.nan, "bottom": 0.5}) for _ in bcs]

    bcs = [{"top": 10.0, "bottom": 10.0}, {"top": 100.0, "bottom": 10.0}]
    with pytest.raises(SolverError, match="condition 0: the detailed solver's heat shares"):
        ctm.fit_delphi(solve, nodes, bcs)


@pytest.mark.parametrize(
    "old, new, match",
    [
        ('value="5.0" unit="K/W"', 'value="5.0" unit="mK/W"', "Resistor R1.unit"),
        ('value="5.0" unit="K/W"', 'value="five" unit="K/W"', "Resistor R1.value"),
        ('areaUnit="m2"', 'areaUnit="mm2"', "Node top.areaUnit"),
        ('CUnit="J/K"', 'CUnit="mJ/K"', "Stage 1.CUnit"),
        (' R="0.5"', "", "Stage 1.R"),
    ],
)
def test_read_ecxml_refuses_numbers_it_cannot_read_or_units_it_did_not_write(old, new, match):
    """A resistor in mK/W read as K/W is a factor 1000 without a word; a missing number
    came back as NaN, an unreadable one as a bare ValueError."""
    import numpy as np

    from fea.physics.structure import FosterNetwork

    foster = FosterNetwork(R=np.array([0.5, 2.0]), tau=np.array([1e-3, 1.0]))
    text = ctm.write_ecxml({"D": network("top", "bottom"), "z": foster})
    assert ctm.read_ecxml(text)["D"] == network("top", "bottom")
    assert old in text
    with pytest.raises(InputError, match=match):
        ctm.read_ecxml(text.replace(old, new, 1))


def test_fea_ctm_sweep_goes_on_past_a_failing_case(tmp_path, monkeypatch, capsys):
    """One case of a sweep whose compact model fails (here its analysis raises an
    InputError) took every other case's models with it; now it is reported, the others
    are written and the exit status says a case failed."""
    import fea.package.ctm as pkg_ctm
    from fea.cli import main

    two_r = ctm.CompactNetwork(
        "2R",
        (S("case", "top", 1e-4), S("board", "bottom", 1e-4)),
        (("junction", "case", 6.0), ("junction", "board", 5.0)),
    )
    metrics = {"theta_JC_2R_K_per_W": 6.0, "theta_JB_2R_K_per_W": 5.0}

    def analysis(case, curves=None, *, mesh=None):
        if case.loads.h == 20.0:
            raise InputError("ctm.junction.region", "die", "a region of this case")
        return pkg_ctm.CtmResult(None, two_r, None, {}, metrics)  # type: ignore[arg-type]

    monkeypatch.setattr(pkg_ctm, "ctm_analysis", analysis)
    path = tmp_path / "s.toml"
    text = NODE_STUDY.split("[ctm.nodes]")[0]
    path.write_text(
        text + '\n[sweep]\nkind = "grid"\n[sweep.parameters]\n"loads.h" = [10.0, 20.0, 30.0]\n'
    )
    assert main(["ctm", str(path), "--out", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "case0001: failed: ctm.junction.region" in out
    written = sorted(p.name for p in (tmp_path / "out").glob("*.ecxml"))
    assert written == ["case0000.ecxml", "case0002.ecxml"]


def test_ctm_conditions_on_a_face_class_the_package_lacks_name_the_study_key(tmp_path):
    """``[ctm] conditions`` with ``leads`` on a package without terminals failed after
    the two-resistor solves, as ``conditions[0].leads`` (no such key in the study)."""
    from types import SimpleNamespace

    from fea.package.ctm import ctm_analysis
    from fea.package.spec import load_study

    text = NODE_STUDY.split("[ctm.nodes]")[0] + (
        "[ctm]\nholdout = 0\n"
        "conditions = [{ top = 10, bottom = 10 }, { top = 10, bottom = 10, leads = 100 }]\n"
    )
    path = tmp_path / "s.toml"
    path.write_text(text)
    (_, _, case), *_ = load_study(path).cases()
    names = ("top_inner", "top_outer", "bottom_inner", "bottom_outer", "sides")
    mesh = SimpleNamespace(
        regions={"die": [0]},
        boundaries={b: [i] for i, b in enumerate(names)},
        boundary_area=lambda b: 1e-5,
    )
    with pytest.raises(InputError, match=r"ctm\.conditions\[1\]\.leads"):
        ctm_analysis(case, mesh=mesh)
