"""The study's cross-checks when it is read: a power map off the die shown in the millimetres
given, moisture names the unit's model cannot have (built-in and imported), and the
reference [ctm] example's nodes and conditions."""

from __future__ import annotations

import pytest

from fea.errors import InputError

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

    from .test_own_geometry import mesh_geometry, study, write_bga

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
