"""``[moisture] reflow = "JSTD020_PbFree"`` / ``"JSTD020_SnPb"``: the reflow J-STD-020E
classifies the model's own body with, the preset of its classification temperature T_c
(Tables 4-2 / 4-1 by the body's thickness and volume without its terminals), chosen once
the mesh is known. The study had to name the preset itself (a note said when it was
below the body's T_c)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from fea.errors import InputError
from fea.package.analyse import warpage_case, wet_temperatures
from fea.package.meshing import build_mesh
from fea.package.moisture import body_classification, moisture_analysis, resolve_reflow
from fea.package.spec import parse_study
from fea.package.spec.moisture import ClassificationReflow
from fea.physics.moisture import REFLOW_PRESETS

from .test_moisture_msl_study import msl_study_raw as _raw


@pytest.fixture(scope="module")
def msl_mesh():
    case = parse_study(_raw()).base
    mesh, _ = build_mesh(warpage_case(case))
    return mesh


def test_the_study_file_names_the_classification_reflow():
    for value, process in (("JSTD020_PbFree", "PbFree"), ("JSTD020_SnPb", "SnPb")):
        spec = parse_study(_raw(soak="MSL3", reflow=value)).base.moisture
        assert spec.reflow == ClassificationReflow(process) and spec.reflow.name == value
    with pytest.raises(InputError) as ei:
        parse_study(_raw(reflow="JSTD020_Pbfree"))
    assert ei.value.key == "moisture.reflow" and "JSTD020_PbFree" in ei.value.allowed
    assert "classification" in ei.value.allowed


def test_the_body_chooses_its_preset(msl_mesh):
    """studies/msl.toml's body (0.685 mm, 75 mm^3): 260 degC Pb-free, 235 degC SnPb; the
    same body 2 mm thick and 5x as large (Table 4-2: 1.6-2.5 mm, 350-2000 mm^3): 250 degC."""
    for value, preset in (("JSTD020_PbFree", "JSTD020_PbFree_260"),
                          ("JSTD020_SnPb", "JSTD020_SnPb_235")):
        spec = parse_study(_raw(soak="MSL3", reflow=value)).base.moisture
        assert resolve_reflow(spec, msl_mesh).reflow is REFLOW_PRESETS[preset]
    f = np.array([2.2, 2.2, 2.0 / 0.685])
    scaled = SimpleNamespace(
        regions=msl_mesh.regions,
        p1=SimpleNamespace(p=msl_mesh.p1.p * f[:, None], t=msl_mesh.p1.t),
        element_volumes=lambda: msl_mesh.element_volumes() * f.prod(),
    )
    assert body_classification(scaled).T_c == 250.0
    spec = parse_study(_raw(soak="MSL3", reflow="JSTD020_PbFree")).base.moisture
    assert resolve_reflow(spec, scaled).reflow is REFLOW_PRESETS["JSTD020_PbFree_250"]
    # a quarter model stands for four times its volume: 4 x 75 mm^3 is still under 350
    assert resolve_reflow(spec, msl_mesh, 0.25).reflow is REFLOW_PRESETS["JSTD020_PbFree_260"]
    # a preset or a table is run as given
    given = parse_study(_raw(soak="MSL3", reflow="JSTD020_PbFree_245")).base.moisture
    assert resolve_reflow(given, msl_mesh) is given


def test_the_run_takes_the_body_s_preset_without_a_note(msl_mesh, recwarn, tmp_path):
    soak = {"T_C": 85.0, "RH": 0.85, "hours": 24.0}
    case = parse_study(_raw(soak=soak, reflow="JSTD020_SnPb", outputs=5)).base
    ma = moisture_analysis(msl_mesh, case.moisture)
    assert ma.metrics["moisture_peak_C"] == 235.0
    assert ma.spec.reflow is REFLOW_PRESETS["JSTD020_SnPb_235"]
    assert not [w for w in recwarn if "classification temperature" in str(w.message)]
    assert wet_temperatures(case, ma.spec) == [25.0, 260.0, 235.0]  # warpage 25, 260 C
    with pytest.raises(InputError) as ei:  # unresolved: the peak is not known yet
        wet_temperatures(case)
    assert ei.value.key == "moisture.reflow"
    # the case's inputs as the results file stores them
    import fea

    path = fea.write_results(tmp_path / "r.h5", msl_mesh, meta={"inputs": case})
    validated = fea.read_results(path).inputs["validated"]["moisture"]["reflow"]
    assert "SnPb" in json.dumps(validated)


def test_a_model_without_a_body_cannot_be_classified(msl_mesh):
    spec = parse_study(_raw(soak="MSL3", reflow="JSTD020_PbFree")).base.moisture
    balls = SimpleNamespace(
        regions={"terminals": msl_mesh.regions["terminals"]},
        p1=msl_mesh.p1,
        element_volumes=msl_mesh.element_volumes,
    )
    with pytest.raises(InputError) as ei:
        resolve_reflow(spec, balls)
    assert ei.value.key == "moisture.reflow" and "no package body" in ei.value.allowed
