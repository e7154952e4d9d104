"""The panel model (fea/package/geometry/panel.py): what singulation leaves of the panel;
the panel's stage values and stage keys refused at their key."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from fea.package.meshing import build_mesh
from fea.package.spec import parse_study

from .test_geometry import PANEL

PITCH_MM, KERF_MM, MARGIN_MM = 4.5, 0.2, 1.0


def panel_mesh(stage: str, nx: int = 2, ny: int = 2):
    g = copy.deepcopy(PANEL)
    g["panel"] = {"nx": nx, "ny": ny, "pitch_mm": PITCH_MM, "stage": stage}
    case = parse_study(
        {
            "study": {"kind": "panel"},
            "geometry": g,
            "mesh": {
                "size_mm": 1.0,
                "layers_through_thickness": 1,
                "opening_size_mm": 0.4,
                "order": 1,
            },
        }
    ).base
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mesh, _ = build_mesh(case, cache=False)
    return mesh


def parts(mesh, elements: np.ndarray) -> list[np.ndarray]:
    """The x, y extents [mm] ``(xmin, xmax, ymin, ymax)`` of each connected part of
    ``elements`` (elements sharing a node are connected)."""
    t = mesh.p1.t[:, elements]
    rows = np.repeat(np.arange(t.shape[1]), t.shape[0])
    a = sp.csr_matrix((np.ones(rows.size), (rows, t.T.ravel())))
    n, label = connected_components(a @ a.T, directed=False)
    out = []
    for k in range(n):
        p = mesh.p1.p[:2, np.unique(t[:, label == k])] * 1e3
        out.append(np.array([p[0].min(), p[0].max(), p[1].min(), p[1].max()]))
    return sorted(out, key=lambda e: (e[2], e[0]))


def test_singulation_cuts_the_frame_so_every_unit_is_one_cell():
    """A 2 x 2 panel (pitch 4.5 mm, kerf 0.2 mm, 1 mm margin) singulated: four units, each
    the cell of its site less the kerf, 4.3 x 4.3 mm. Before, the kerf ran along the
    lane centres only, and every edge unit kept the panel's frame (the margin and the
    outer half lane) on its outer sides: here each unit was 5.4 x 5.4 mm, a flange of
    1.1 mm of web, dielectric and compound on two sides that a sawn unit does not
    have. The process model removes the same frame with its kerf (the units it leaves
    have the singulated model's volume, as ``test_panel_process_model_has_every_stage_
    region`` checks on a 3 x 2 panel)."""
    mesh = panel_mesh("singulated")
    units = parts(mesh, np.arange(mesh.n_elements))
    assert len(units) == 4
    half = PITCH_MM / 2
    cell = PITCH_MM - KERF_MM
    for e, (cx, cy) in zip(units, [(-1, -1), (1, -1), (-1, 1), (1, 1)], strict=True):
        assert e[1] - e[0] == pytest.approx(cell, abs=1e-6)
        assert e[3] - e[2] == pytest.approx(cell, abs=1e-6)
        assert (e[0] + e[1]) / 2 == pytest.approx(cx * half, abs=1e-6)
        assert (e[2] + e[3]) / 2 == pytest.approx(cy * half, abs=1e-6)
    process = panel_mesh("process")
    kerf = np.concatenate(
        [process.regions[r] for r in process.regions if r.startswith("kerf_") or r == "mandrel"]
    )
    keep = np.setdiff1d(np.arange(process.n_elements), kerf)
    assert np.allclose(parts(process, keep), units, rtol=0, atol=1e-6)
    vol = process.element_volumes()
    assert vol[keep].sum() == pytest.approx(mesh.element_volumes().sum(), rel=1e-9, abs=0)
    # the panel before singulation is the whole panel, frame included
    released = panel_mesh("released")
    (e,) = parts(released, np.arange(released.n_elements))
    assert e[1] - e[0] == pytest.approx(2 * PITCH_MM + 2 * MARGIN_MM, abs=1e-6)


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("stage", "key", "value"),
    [
        (1, "duration_s", NAN),
        (1, "duration_s", INF),
        (1, "duration_s", -60.0),
        (3, "temperature_C", NAN),
        (3, "temperature_C", -300.0),
        (3, "temperature_C", 1.0e5),
        (3, "steps", 0),
        (1, "add", ["dielectric", "die_atach", "die"]),
        (5, "remove", ["mandrell"]),
        (3, "cure", ["encapsulent"]),
    ],
)
def test_absurd_stage_values_refused_at_their_key(stage, key, value):
    """The panel's ``[[process.stages]]`` with a NaN, infinite or negative duration, a
    temperature not finite or outside (-273.15, 2000] degC, no steps, or a misspelt region
    in add/remove/cure: refused at ``process.stages[i].<key>`` with the value (a region
    with the name it was probably meant to be)."""
    from fea.errors import InputError

    from .test_panel_process import study

    with pytest.raises(InputError) as err:
        parse_study(study(**{f"s{stage}": {key: value}}))
    assert err.value.key == f"process.stages[{stage}].{key}"
    if isinstance(value, list):
        bad = next(r for r in value if r.endswith(("atach", "ll", "ent")))
        assert err.value.value == bad and "did you mean" in err.value.allowed
    else:
        assert str(err.value.value) == str(value)


def test_zero_stages_everything_removed_and_a_removal_never_born_refused():
    """No stages (and no reflow profile): nothing to solve; a stage that removes every
    region left: no body for the stages after it; a removal of a region only a later
    stage adds: refused at their keys before any meshing."""
    from fea.errors import InputError

    from .test_panel_process import PANEL

    d = copy.deepcopy(PANEL)
    d["process"]["stages"] = []
    with pytest.raises(InputError) as err:
        parse_study(d)
    assert err.value.key == "process.stages"
    d = copy.deepcopy(PANEL)
    everything = ["shell", "dielectric", "encapsulant", "die", "die_attach"]
    d["process"]["stages"].append(
        {"name": "gone", "duration_s": 1.0, "temperature_C": 25.0, "remove": everything}
    )
    d["process"]["stages"].append({"name": "after", "duration_s": 1.0, "temperature_C": 25.0})
    with pytest.raises(InputError) as err:
        parse_study(d)
    assert err.value.key == "process.stages[7].remove"
    d = copy.deepcopy(PANEL)
    d["process"]["stages"][2]["remove"] = ["encapsulant"]  # born at stage 3
    with pytest.raises(InputError) as err:
        parse_study(d)
    assert (err.value.key, err.value.value) == ("process.stages[2].remove", "encapsulant")


def test_misspelt_stage_key_lists_steps_among_the_allowed():
    from fea.errors import InputError

    from .test_panel_process import study

    with pytest.raises(InputError) as err:
        parse_study(study(s1={"step": 4}))
    assert err.value.key == "process.stages[1].step"
    assert "steps" in err.value.allowed
