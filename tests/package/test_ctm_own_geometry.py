"""Compact thermal models (``[ctm]``, docs/ctm.md) of a model read from a file
(``[geometry] kind = "mesh"``, docs/own_geometry.md): the detailed model is the file's
mesh with surface nodes found on its outer faces, not the built-in family's package."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from fea.package.ctm import ctm_analysis, ctm_mesh, write_ctm_files
from fea.package.spec import parse_study
from fea.physics import ctm

A_MM = 2.0  # edge of the layered block [mm]
# region, thickness [mm], k [W/(m K)], bottom to top
LAYERS = (("substrate", 0.4, 15.0), ("chip", 0.3, 150.0), ("mould", 0.5, 0.9))


def _library(k: float) -> dict[str, float]:
    return {"E_GPa": 10.0, "nu": 0.3, "alpha_ppm": 10.0, "k": k, "rho": 2000.0, "cp": 800.0}


def write_layers(path: Path) -> Path:
    """The layered block as a .msh in mm: each layer a 3D physical group of its name."""
    import gmsh

    from fea.fe.mesh import gmsh_session

    with gmsh_session():
        occ = gmsh.model.occ
        z, tags = 0.0, []
        for _, t, _ in LAYERS:
            tags.append(occ.addBox(-A_MM / 2, -A_MM / 2, z, A_MM, A_MM, t))
            z += t
        _, pieces = occ.fragment([(3, tags[0])], [(3, t) for t in tags[1:]])
        occ.synchronize()
        for (name, _, _), piece in zip(LAYERS, pieces, strict=True):
            gmsh.model.addPhysicalGroup(3, [p for _, p in piece], name=name)
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.5)
        gmsh.model.mesh.generate(3)
        gmsh.write(str(path))
    return path


def _study(path: Path, **ctm_keys) -> dict:
    return {
        "study": {"name": "own_ctm"},
        "geometry": {"kind": "mesh", "path": str(path), "roles": {"junction": "chip"}},
        "mesh": {"order": 2},
        "materials": {
            **{name: name for name, _, _ in LAYERS},
            "library": {name: _library(k) for name, _, k in LAYERS},
        },
        "loads": {"power_W": {"chip": 2.0}},
        "ctm": {"delphi": False, **ctm_keys},
    }


def _example_study(tmp_path: Path, size_mm: float, **ctm_keys) -> dict:
    """The study of ``write_example_mesh``'s file (P1, 1 W in its die, carrier FR-4)."""
    from fea.package.geometry.imported import write_example_mesh

    path = write_example_mesh(tmp_path / "example.msh", size_mm=size_mm)
    data = _study(path, **ctm_keys)
    data["geometry"] = {"kind": "mesh", "path": str(path)}
    data["materials"] = {"carrier": "fr4"}
    data["loads"] = {"power_W": {"die": 1.0}}
    data["mesh"] = {"order": 1}
    return data


def test_the_two_resistor_model_of_a_file_is_its_own_series_resistances(tmp_path):
    """A 2 x 2 mm block of three full-area layers (substrate 0.4 mm k = 15, chip 0.3 mm
    k = 150 heated uniformly, mould 0.5 mm k = 0.9) read from a .msh: theta_JC = t_m/(k_m A)
    + t_c/(2 k_c A) and theta_JB = t_s/(k_s A) + t_c/(2 k_c A) (JESD15-3: one face
    isothermal, the others adiabatic; the hottest plane of a uniformly heated layer with
    one adiabatic face lies q''' t^2/2k above the other face: Incropera, Fundamentals of
    Heat and Mass Transfer, 6th ed. 2007, eq. 3.42 with one face adiabatic), exact for P2
    elements. The junction is the file's ``chip`` (the junction role), found without a
    ``[ctm.junction]`` key. Before, the built-in shielded package was built from the
    spec's defaults instead of the file ("empty box for region shell")."""
    case = parse_study(_study(write_layers(tmp_path / "layers.msh"))).base
    res = ctm_analysis(case)
    area = (A_MM * 1e-3) ** 2
    r = {name: t * 1e-3 / (k * area) for name, t, k in LAYERS}
    assert res.model.junction == "chip"
    assert res.metrics["theta_JC_2R_K_per_W"] == pytest.approx(r["mould"] + r["chip"] / 2, rel=1e-9)
    assert res.metrics["theta_JB_2R_K_per_W"] == pytest.approx(
        r["substrate"] + r["chip"] / 2, rel=1e-9
    )


def test_surface_nodes_of_a_file_tile_its_outer_faces(tmp_path):
    """The default surface nodes of the example file (carrier 4 x 4 x 0.1 mm, die
    2 x 2 x 0.3 mm, encapsulant to 0.6 mm): top and bottom split at 1.2 x the die
    (a facet by its centroid), sides the rest; together they hold every outer facet
    once, and the DELPHI network and its SPICE and ECXML files are written."""

    data = _example_study(tmp_path, 0.4, delphi=True, holdout=0)
    case = parse_study(data).base
    mesh = ctm_mesh(case)
    b = mesh.boundaries
    names = ("top_inner", "top_outer", "bottom_inner", "bottom_outer", "sides")
    every = np.concatenate([b[n] for n in names])
    assert len(every) == len(np.unique(every))
    assert set(every.tolist()) == set(b["exterior"].tolist())

    def area(name: str) -> float:
        return mesh.boundary_area(name) * 1e6  # mm2

    assert area("top_inner") + area("top_outer") == pytest.approx(16.0, rel=1e-9)
    assert area("bottom_inner") + area("bottom_outer") == pytest.approx(16.0, rel=1e-9)
    assert area("sides") == pytest.approx(4 * 4.0 * 0.6, rel=1e-9)
    # the inner patch is 2.4 x 2.4 mm, to within the facets cut by its edge (0.4 mm mesh)
    assert 2.0**2 < area("top_inner") < 2.8**2
    res = ctm_analysis(case, mesh=mesh)
    assert res.model.junction == "die"
    assert {s.name for s in res.delphi.network.surfaces} <= set(names)
    files = write_ctm_files(res, tmp_path / "out", case)
    assert {p.name for p in files} == {"own_ctm_2R.cir", "own_ctm_DELPHI.cir", "own_ctm.ecxml"}
    back = ctm.read_ecxml((tmp_path / "out" / "own_ctm.ecxml").read_text())
    assert set(back) == {"2R", "DELPHI"}


def test_a_file_in_mm_read_as_metres_is_refused_by_the_compact_models(tmp_path):
    """``fea ctm`` checks the file's unit as ``fea run`` does: the 4 mm example read with
    ``unit = "m"`` is a package 4 m across (before, its compact models were written)."""
    from fea.errors import InputError
    from fea.package.geometry.imported import write_example_mesh

    path = write_example_mesh(tmp_path / "example.msh", size_mm=1.0)
    data = _study(path)
    data["geometry"] = {"kind": "mesh", "path": str(path), "unit": "m"}
    data["materials"] = {"carrier": "fr4"}
    data["loads"] = {"power_W": {"die": 1.0}}
    with pytest.raises(InputError, match=r"geometry\.unit.*it is one in 'mm' \(4 mm\)"):
        parse_study(data)  # the reader's check (fea ctm, fea check and fea run read it)
    # the same model changed in Python to read in metres: ctm_analysis refuses it
    import dataclasses

    data["geometry"]["unit"] = "mm"
    case = parse_study(data).base
    g = case.geometry
    metres = {r: tuple(x * 1e3 for x in b) for r, b in g.region_bbox.items()}
    case = dataclasses.replace(case, geometry=dataclasses.replace(g, unit=1.0, region_bbox=metres))
    with pytest.raises(InputError, match=r"geometry\.unit.*it is one in 'mm' \(4 mm\)"):
        ctm_analysis(case)


def test_the_two_resistor_model_says_how_far_off_it_is(tmp_path):
    """The 2R model of the example file reproduces the detailed model's Tj at the two
    JEDEC conditions it was built from (top, then bottom isothermal, the rest adiabatic)
    to 1e-9; on the DELPHI conditions its junction errors are computed from the DELPHI
    solves (equal to :func:`fea.physics.ctm.compare`'s fresh solves), printed in the
    error table beside the DELPHI network's and written as the 2R model's validation in
    the ECXML."""
    import math

    from fea.package.ctm import error_table

    data = _example_study(tmp_path, 1.0, delphi=True)
    case = parse_study(data).base
    res = ctm_analysis(case)
    two_r, model = res.two_resistor, res.model
    groups = {s.name: [n.name for n in model.nodes if n.face == s.face] for s in two_r.surfaces}
    own = [{"top": math.inf}, {"bottom": math.inf}]
    for e in ctm.compare(two_r, model, own, groups):
        assert abs(e.junction) < 1e-9
    errors = res.two_resistor_errors
    bcs = [e.condition for e in res.delphi.errors]
    assert [e.condition for e in errors] == bcs
    fresh = ctm.compare(two_r, model, bcs[:4], groups)
    for a, b in zip(errors[:4], fresh, strict=True):
        assert a.junction == pytest.approx(b.junction, rel=1e-6, abs=1e-9)
    table = error_table(res)
    worst = max(abs(e.junction) for e in errors)
    assert "2R e_J" in table
    assert f"2R on these conditions: max |e_J| {100 * worst:.2f} %" in table
    files = write_ctm_files(res, tmp_path / "out", case)
    text = next(p for p in files if p.suffix == ".ecxml").read_text()
    two_r_part = text.split('<ComponentThermalModel name="2R"')[1].split(
        "</ComponentThermalModel>"
    )[0]
    assert two_r_part.count("<BoundaryCondition ") == len(bcs)
    assert set(ctm.read_ecxml(text)) == {"2R", "DELPHI"}


def test_two_cases_spice_files_can_be_included_in_one_system_netlist(tmp_path):
    """A system engineer .includes the 2R and DELPHI files of two cases (a sweep's, told
    apart by their case ids) into one netlist: outside their subcircuits the files hold
    comments only (before, each carried an active test bench ending in .END: ngspice
    refused two of them, "device already exists", and one alone drove 1 W into the
    system's node J). Where ngspice is installed the system runs: two 2R packages on one
    board node held through 10 K/W, their junction rises the nodal solution's."""
    import shutil
    import subprocess


    data = _example_study(tmp_path, 1.0, delphi=True)
    case = parse_study(data).base
    res = ctm_analysis(case)
    out = tmp_path / "models"
    files = write_ctm_files(res, out, case, "case0000") + write_ctm_files(
        res, out, case, "case0001"
    )
    for p in files:
        if p.suffix != ".cir":
            continue
        inside = False
        for line in p.read_text().splitlines():
            word = line.split()[0].upper() if line.strip() else ""
            if word == ".SUBCKT":
                inside = True
            assert inside or not word or word.startswith("*"), (p.name, line)
            if word == ".ENDS":
                inside = False
    if shutil.which("ngspice") is None:
        return
    jb = res.two_resistor.resistance("junction", "board")
    system = out / "system.cir"
    system.write_text(
        "* two packages on one board node\n"
        + "".join(
            f".include {out / f'case000{i}_{k}.cir'}\n" for i in (0, 1) for k in ("2R", "DELPHI")
        )
        + "X1 JA CA BRD XCASE0000_2R\nX2 JB CB BRD XCASE0001_2R\n"
        + "RB BRD 0 10\nRCA CA 0 1e12\nRCB CB 0 1e12\n"
        + "I1 0 JA DC 2.0\nI2 0 JB DC 1.0\n.OP\n.END\n"
    )
    text = subprocess.run(
        ["ngspice", "-b", str(system)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    found = re.finditer(r"^\s*(ja|jb|brd)\s+([-+0-9.eE]+)\s*$", text, re.MULTILINE)
    volts = {m.group(1): float(m.group(2)) for m in found}
    brd = 3.0 * 10.0  # the cases' adiabatic tops: every watt through the board
    assert volts["brd"] == pytest.approx(brd, rel=1e-6)
    assert volts["ja"] == pytest.approx(brd + 2.0 * jb, rel=1e-6)
    assert volts["jb"] == pytest.approx(brd + 1.0 * jb, rel=1e-6)
