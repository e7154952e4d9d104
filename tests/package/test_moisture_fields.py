"""A ``[moisture]`` case's fields in its results file: every moisture state in
``/moisture`` with its label, the soak's end, the reflow peak and the reflow's end shown
on the package, the water of the fields that of the table, full and symmetry models."""

from __future__ import annotations

import numpy as np
import pytest

from fea.io import read_results
from fea.package.analyse import analyse
from fea.package.spec import parse_study

from .test_moisture_case import msl_case_raw as _raw

# the coarse package's copper shell and balls yield at 25 C: not what is tested here
pytestmark = pytest.mark.filterwarnings("ignore::fea.physics.post.YieldWarning")


def _case(symmetry: str = "none", warpage_C: tuple[float, ...] = (25.0,)):
    raw = _raw(swelling=False)
    raw["outputs"]["metrics"] = ["warpage_um", "moisture_mg", "moisture_peak_C"]  # no thermal
    raw["loads"]["warpage_temperatures_C"] = list(warpage_C)
    raw["mesh"]["symmetry"] = symmetry
    return parse_study(raw).base


@pytest.fixture(scope="module", params=["none", "quarter"])
def written(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"msl-{request.param}")
    metrics = analyse(_case(request.param), folder)
    return request.param, metrics, read_results(folder / "result.h5"), folder


def _water_mg(r, k: int) -> float:
    """Water [mg] of moisture state ``k`` from its element concentrations."""
    vol = r.mesh.to_mesh().element_volumes()
    return float(r.moisture["moisture_concentration"][k] @ vol) * 1e6


def test_moisture_states_are_in_the_results_file(written):
    """The MSL3 soak (10 outputs) and the J-STD-020 reflow: 61 states, labelled, on the
    mechanical mesh, with the soak's end, the 260 C peak and the reflow's end shown on the
    package in result.xdmf; result_moisture.xdmf steps through them."""
    symmetry, m, r, folder = written
    mo = r.moisture
    labels = list(mo["labels"])
    assert len(labels) == len(mo["times"]) == 61
    assert labels[0] == "00_start" and labels[-1] == "60_reflow_end"
    assert r.moisture_shown == {"soak": 10, "peak": 35, "reflow": 60}
    assert labels[10] == "10_soak_end" and labels[35] == "35_peak_260C"
    assert mo["temperatures"][35] == m["moisture_peak_C"] == 260.0
    assert mo["times"][10] == 192 * 3600.0
    assert mo["moisture_wetness"].shape == (61, len(r.mesh.nodes))
    assert mo["moisture_concentration"].shape == (61, len(r.mesh.tets))
    assert r.units["moisture/moisture_concentration"] == "kg/m^3"
    for region in ("die", "shell", "terminals"):  # impermeable: no water
        assert np.all(mo["moisture_concentration"][:, r.mesh.region(region)] == 0.0)
    xdmf = (folder / "result.xdmf").read_text()
    for name in ("moisture_concentration@soak", "moisture_wetness@peak", "moisture_wetness@reflow"):
        assert f'Name="{name}' in xdmf
    assert (folder / "result_moisture.xdmf").read_text().count('Name="state ') == 61


def test_the_fields_hold_the_water_of_the_table(written):
    """The water of the stored concentrations is the table's, the model's share of it on
    a symmetry model (the fields are the model's, as the mechanical ones)."""
    symmetry, m, r, _ = written
    share = {"none": 1.0, "quarter": 0.25}[symmetry]
    for stage, k in (("soak", 10), ("reflow", 60)):
        got = _water_mg(r, k)
        assert got == pytest.approx(m[f"moisture_mg@{stage}"] * share, rel=1e-9), stage
    assert _water_mg(r, 60) < _water_mg(r, 10)  # the reflow dries it


def test_a_moisture_only_case_writes_its_fields(tmp_path):
    """No warpage temperature, no swelling, no thermal output: the moisture fields are
    still written (they were the case's only fields; no ParaView script, which shows a
    displacement or a temperature)."""
    case = _case(warpage_C=())
    assert not case.loads.warpage_temperatures
    # an earlier run's ParaView script in the folder would look for a displacement or a
    # temperature this file does not have: removed
    (tmp_path / "result_paraview.py").write_text("# an earlier run's\n")
    analyse(case, tmp_path)
    r = read_results(tmp_path / "result.h5")
    assert r.mechanical is None and r.thermal is None
    assert r.moisture_shown == {"soak": 10, "peak": 35, "reflow": 60}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "result.h5",
        "result.xdmf",
        "result_moisture.xdmf",
    ]
