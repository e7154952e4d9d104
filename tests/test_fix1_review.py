"""Reviewed defects: heating-curve CSVs of ``fea structure``, transient inputs, spec checks."""

from __future__ import annotations

import numpy as np
import pytest

from fea.cli import main
from fea.errors import InputError

# -- fea structure: the heating-curve CSV ------------------------------------------------------

#: A Cauer ladder whose heating curve the CSVs below hold (R [K/W], C [J/K]).
R_CAUER = np.array([0.05, 0.2, 0.3, 0.5, 1.0])
C_CAUER = np.array([2e-4, 3e-3, 1e-2, 5.0, 500.0])


def _zth(t):
    from fea.physics.structure import foster_from_cauer, zth_from_foster

    return zth_from_foster(t, *foster_from_cauer(R_CAUER, C_CAUER))


def _write(path, header: str, columns) -> str:
    rows = "\n".join(",".join(f"{v:.12g}" for v in row) for row in zip(*columns, strict=True))
    path.write_text(f"{header}\n{rows}\n")
    return str(path)


def test_structure_one_column_csv_is_refused_without_traceback(tmp_path, capsys):
    t = np.logspace(-6, 3, 50)
    p = _write(tmp_path / "one.csv", "zth_K_per_W", [_zth(t)])
    assert main(["structure", p, "-o", str(tmp_path / "sf.png")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
    assert "curves" in err and p in err and "time_s and zth_K_per_W columns" in err


def test_structure_malformed_csv_names_the_cli_key_curves(tmp_path, capsys):
    """A row with a missing value or text under the header is refused naming ``curves``
    (the command's argument), as every other check of the CSV is (it said ``curve``)."""
    for name, body in (("short", "1e-6,0.1\n2e-6\n"), ("text", "1e-6,0.1\n2e-6,abc\n")):
        p = tmp_path / f"{name}.csv"
        p.write_text(f"time_s,zth_K_per_W\n{body}")
        assert main(["structure", str(p), "-o", str(tmp_path / "sf.png")]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and "error: curves = " in err and "line 3" in err


@pytest.mark.parametrize(("column", "scale"), [("time_ms", 1e3), ("time_us", 1e6)])
def test_structure_time_in_ms_or_us_is_converted_to_seconds(tmp_path, capsys, column, scale):
    """The same curve in s and in ms (us) gives the same samples, times in seconds: the
    printed time range is the one written in seconds (1e-6 to 1e3 s), not 1000x off."""
    t = np.logspace(-6, 3, 200)
    p = _write(tmp_path / f"{column}.csv", f"{column},zth_K_per_W", [t * scale, _zth(t)])
    assert main(["structure", p, "-o", str(tmp_path / "sf.png")]) == 0
    out = capsys.readouterr().out
    assert "200 samples, 1e-06 to 1e+03 s" in out
    assert "R_total 2.05" in out  # sum of R_CAUER


def test_structure_time_column_of_another_unit_is_refused(tmp_path, capsys):
    t = np.logspace(-6, 3, 50)
    p = _write(tmp_path / "min.csv", "time_min,zth_K_per_W", [t / 60, _zth(t)])
    assert main(["structure", p, "-o", str(tmp_path / "sf.png")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "time_min" in err and "time_s" in err


def test_structure_dual_interface_refuses_the_same_file_twice(tmp_path, capsys):
    t = np.logspace(-6, 3, 200)
    p = _write(tmp_path / "a.csv", "time_s,zth_K_per_W", [t, _zth(t)])
    png = str(tmp_path / "sf.png")
    for second in (p, str(tmp_path / "." / "a.csv")):
        assert main(["structure", p, second, "-o", png, "--dual-interface"]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and "two different" in err


# -- Transient: arguments of the wrong type ----------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"theta": "1"}, "transient.theta"),
        ({"theta": 0.4}, "transient.theta"),
        ({"theta": float("nan")}, "transient.theta"),
        ({"tol_K": "0.05"}, "transient.tol_K"),
        ({"tol_K": 0.0}, "transient.tol_K"),
        ({"tol_K": float("inf")}, "transient.tol_K"),
        ({"dt_max_s": "1"}, "transient.dt_max_s"),
        ({"dt_min_s": "1e-6"}, "transient.dt_min_s"),
        ({"dt_min_s": float("nan")}, "transient.dt_min_s"),
        ({"adaptive": "yes"}, "transient.adaptive"),
        ({"adaptive": 1}, "transient.adaptive"),
        ({"fields": True}, "transient.fields"),
    ],
)
def test_transient_bad_arguments_are_named(kwargs, key):
    from fea.fe.timestep import Transient

    with pytest.raises(InputError) as e:
        Transient(t_end_s=10.0, dt_s=0.1, **kwargs)
    assert e.value.key == key


def test_transient_valid_arguments_are_kept():
    from fea.fe.timestep import Transient

    tr = Transient(10.0, 0.1, theta=0.5, adaptive=np.True_, tol_K=1, dt_min_s=1e-3, dt_max_s=2)
    assert (tr.theta, tr.tol_K, tr.bounds()) == (0.5, 1, (1e-3, 2))
    assert Transient(10.0, 0.1, adaptive=True, fields=0).fields == 0


# -- spec checks -------------------------------------------------------------------------------


def test_power_map_off_the_die_message_shows_the_millimetres_given():
    from fea.package.spec import parse_study

    # die 6 x 6 mm: x up to 3 mm; 0.9 mm * 1e-3 * 1e3 is 0.9000000000000001 in floats
    rect = {"x_mm": [0.9, 3.3], "y_mm": [-0.3, 0.7], "W": 1.0}
    with pytest.raises(InputError) as e:
        parse_study({"loads": {"power_map": {"rectangles": [rect]}}})
    msg = str(e.value)
    assert e.value.key == "loads.power_map.rectangles[0]"
    assert "0.9, 3.3" in msg and "-0.3, 0.7" in msg and "00000" not in msg


@pytest.mark.parametrize(
    ("moisture", "key", "value"),
    [
        ({"soak": "MSL3", "exposed": ["exteriour"]}, "moisture.exposed", "exteriour"),
        # the moisture run is on the unit without its board: no board faces
        ({"soak": "MSL3", "exposed": ["board_top"]}, "moisture.exposed", "board_top"),
        ({"soak": "MSL3", "exposed": ["die|moon"]}, "moisture.exposed", "die|moon"),
        # interfaces are named with their regions in order (fea.fe.mesh.interface_name)
        ({"soak": "MSL3", "exposed": ["encapsulant|die"]}, "moisture.exposed", "encapsulant|die"),
        (
            {"soak": "MSL3", "materials": {"encapsulnt": "mold_compound"}},
            "moisture.materials.encapsulnt",
            "encapsulnt",
        ),
    ],
)
def test_moisture_names_are_checked_before_meshing(moisture, key, value):
    """Names the unit's moisture model (the package without its board) cannot have are
    refused when the study is read, as the run refuses them after meshing."""
    from fea.package.spec import parse_study
    from fea.package.spec.checks import cross_checks

    board = {"size_mm": [20.0, 20.0], "thickness_mm": 1.6}
    with pytest.raises(InputError) as e:
        case = parse_study({"geometry": {"board": board}, "moisture": moisture}).base
        cross_checks(case.kind, case.geometry, case.loads, moisture=case.moisture)
    assert (e.value.key, e.value.value) == (key, value)


@pytest.mark.parametrize(
    "moisture",
    [
        {"soak": "MSL3", "exposed": ["exterior", "top", "shell_top", "bottom"]},
        {"soak": "MSL3", "exposed": ["package_surface", "die|encapsulant"]},
        # a package region this model lacks stays allowed (a sweep may add it)
        {"soak": "MSL3", "materials": {"die_attach": "die_attach_epoxy", "die": "silicon"}},
    ],
)
def test_moisture_names_of_the_model_are_accepted(moisture):
    from fea.package.spec import parse_study
    from fea.package.spec.checks import cross_checks

    geo = {"die_attach": {"thickness_mm": 0.0}}
    case = parse_study({"geometry": geo, "moisture": moisture}).base
    cross_checks(case.kind, case.geometry, case.loads, moisture=case.moisture)


def test_moisture_names_of_an_imported_model(tmp_path):
    """The user's own model: its boundaries (and the derived top, bottom...) are known
    from the file before meshing, so a misspelt one is refused when the study is read."""
    from fea.package.spec import parse_study
    from fea.package.spec.checks import cross_checks

    from .package.test_own_geometry import mesh_geometry, study, write_bga

    msh, _ = write_bga(tmp_path)
    good = {"soak": "MSL3", "exposed": ["top", "exterior", "die|encapsulant"]}
    case = parse_study(study(mesh_geometry(msh), moisture=good)).base
    cross_checks(case.kind, case.geometry, case.loads, moisture=case.moisture)
    for bad, key in (
        ({"exposed": ["mould_tpo"]}, "moisture.exposed"),
        ({"materials": {"mould": "mold_compound"}}, "moisture.materials.mould"),
    ):
        with pytest.raises(InputError) as e:
            case = parse_study(study(mesh_geometry(msh), moisture={"soak": "MSL3", **bad})).base
            cross_checks(case.kind, case.geometry, case.loads, moisture=case.moisture)
        assert e.value.key == key


def test_reference_ctm_example_has_the_nodes_its_model_and_conditions_need():
    """The [ctm] example asks for the two-resistor model (a top and a bottom node, checked
    at run time as ctm.nodes) and DELPHI conditions on top, bottom and sides (each a face
    class of a node)."""
    from fea.package.spec import parse_study
    from fea.package.spec.reference import EXAMPLES

    (example,) = [e for e in EXAMPLES if "ctm" in e]
    ctm = parse_study(example).base.ctm
    assert ctm is not None and ctm.two_resistor and ctm.nodes is not None
    faces = {face for face, _ in ctm.nodes.values()}
    assert {"top", "bottom"} <= faces
    assert ctm.conditions is not None
    assert all(set(c) <= faces for c in ctm.conditions)


# -- no power: no hot spot to locate -----------------------------------------------------------


def test_no_power_reports_no_hotspot_location():
    """With no power the die's face sits at the ambient temperature everywhere: its
    hottest node is any node (it was a corner), so x and y are left out, as other values
    that are not defined without power."""
    import tomllib
    from pathlib import Path

    from fea.package.analyse import thermal_metrics
    from fea.package.spec import parse_study

    raw = tomllib.loads((Path(__file__).parent / "data" / "tiny_study.toml").read_text())
    raw["loads"]["power_W"] = {"die": 0.0}
    raw.pop("sweep", None)
    case = parse_study(raw).base
    with pytest.warns(UserWarning, match="not defined"):
        m, _ = thermal_metrics(case)
    assert m["hotspot_C"] == pytest.approx(case.loads.ambient, abs=1e-9)
    assert "hotspot_x_mm" not in m and "hotspot_y_mm" not in m
