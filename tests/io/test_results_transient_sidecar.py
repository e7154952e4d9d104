"""A transient kept beside a steady thermal result (``/thermal/transient``, what a
``[transient]`` case of a study writes) is visible in ParaView: ``<stem>_transient.xdmf``,
one grid per kept time. Before, neither sidecar referenced it: the thermal_transient
study's ``result.xdmf`` showed the steady field only, although docs/outputs.md says
ParaView's time is the transient's time in s."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import h5py
import numpy as np
import pytest

import fea
from fea.errors import InputError
from fea.io import read_results, write_results
from fea.physics.materials import Material

from ..verification.helpers import layered_box, plane

MATS = {
    "base": Material("base", E=120e9, nu=0.3, alpha=17e-6, k=200.0, rho=8900.0, cp=385.0),
    "mold": Material("mold", E=20e9, nu=0.3, alpha=9e-6, k=0.8, rho=1900.0, cp=900.0),
}


@pytest.fixture(scope="module")
def kept():
    """A steady result carrying a transient's kept fields, as a study's case has."""
    m = layered_box(
        (2e-3, 1e-3),
        [("base", 0.2e-3, 1), ("mold", 0.3e-3, 1)],
        0.4e-3,
        order=1,
        faces={"bottom": plane(2, 0.0), "top": plane(2, 0.5e-3)},
    )
    kw = dict(sources={"base": 0.2}, convection={"top": (2000.0, 25.0)}, backend="cpu")
    th = fea.solve_thermal(m, MATS, **kw)
    tr = fea.solve_thermal(m, MATS, transient=fea.Transient(2.0, 0.5), **kw)
    return m, dataclasses.replace(th, transient=tr), tr


def _selection(text: str) -> tuple[str, list[list[int]]]:
    path, _, sel = text.partition("|")
    return path, [[int(x) for x in part.split()] for part in sel.split(":")]


def test_the_kept_transient_has_its_own_sidecar(kept, tmp_path):
    m, th, tr = kept
    p = write_results(tmp_path / "r.h5", m, thermal=th)
    side = tmp_path / "r_transient.xdmf"
    assert side.exists()
    times = np.asarray(tr.times, float)
    root = ET.parse(side).getroot()
    series = root.find("Domain/Grid")
    assert series.get("CollectionType") == "Temporal"
    grids = series.findall("Grid")
    assert [float(g.find("Time").get("Value")) for g in grids] == list(times)
    with h5py.File(p) as f:
        stored = f["thermal/transient/temperature"][()]
        for k, g in enumerate(grids):
            assert g.find("Geometry/DataItem").text == "r.h5:/mesh/nodes"
            temps = [a for a in g.findall("Attribute") if a.get("Name") == "temperature"]
            assert len(temps) == 2  # the XDMF 3 selection and the standard HyperSlab
            for a in temps:
                assert a.get("Center") == "Node" and a.get("AttributeType") == "Scalar"
            path, (start, stride, count, dims) = _selection(temps[0].find("DataItem").text)
            assert path == "r.h5:/thermal/transient/temperature"
            assert start == [k, 0] and count == [1, len(m.p1.p.T)] and dims == list(stored.shape)
            slab = temps[1].find("DataItem/DataItem").text.split()
            assert [int(x) for x in slab[:2]] == [k, 0]
            assert np.array_equal(stored[start[0]], np.asarray(tr.history)[k])
    r = read_results(p)
    assert r.units["thermal/transient/temperature"] == "degC"
    assert r.centers["thermal/transient/temperature"] == "Node"
    assert np.array_equal(r.thermal["transient_temperature"], np.asarray(tr.history))


def test_a_rewrite_without_the_transient_removes_its_stale_sidecar(kept, tmp_path):
    m, th, tr = kept
    p = write_results(tmp_path / "r.h5", m, thermal=th)
    assert (tmp_path / "r_transient.xdmf").exists()
    write_results(p, m, thermal=dataclasses.replace(th, transient=None))
    assert sorted(x.name for x in tmp_path.iterdir()) == ["r.h5", "r.xdmf"]


def test_a_results_name_that_is_another_files_transient_sidecar_is_refused(kept, tmp_path):
    m, th, _ = kept
    with pytest.raises(InputError, match="_transient"):
        write_results(tmp_path / "a_transient.h5", m, thermal=th)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.paraview
def test_paraview_xdmf_readers_read_the_kept_transient(kept, tmp_path):
    """ParaView's three XDMF readers read every kept time of ``r_transient.xdmf`` (its
    temperature at each) and the steady field of ``r.xdmf``."""
    from .pvtools import check_paraview_readers, require_pvpython

    pv = require_pvpython()
    m, th, tr = kept
    p = write_results(tmp_path / "r.h5", m, thermal=th)
    expect = {"tr/temperature": np.asarray(tr.history), "pkg/temperature": th.temperature}
    files = [["tr", str(tmp_path / "r_transient.xdmf")], ["pkg", str(p.with_suffix(".xdmf"))]]
    check_paraview_readers(pv, tmp_path, expect, files, {"tr": len(tr.times), "pkg": 1})


def test_fea_info_shows_the_kept_transients_unit(kept, tmp_path):
    from fea.io import describe

    m, th, _ = kept
    p = write_results(tmp_path / "r.h5", m, thermal=th)
    (line,) = [x for x in describe(p).splitlines() if "thermal/transient_temperature" in x]
    assert line.endswith("[degC]")


def test_a_temperature_state_axis_is_stored_in_degc(tmp_path):
    """The study's temperature states (state_unit "C" from the analysis) stored their
    axis's unit as "C" beside every other temperature's "degC": one name for Celsius in
    the file ("C" is the coulomb to pint)."""
    m = layered_box((2e-3, 1e-3), [("base", 0.2e-3, 1), ("mold", 0.3e-3, 1)], 0.4e-3, order=1)
    me = fea.solve_thermoelastic(m, MATS, 260.0, 25.0, backend="cpu")
    meta = {"state_values": [25.0, 260.0], "state_unit": "C"}
    p = write_results(tmp_path / "r.h5", m, mechanical={"25C": me, "260C": me}, meta=meta)
    with h5py.File(p) as f:
        assert f["mechanical/state_values"].attrs["unit"] == "degC"


def test_node_coordinates_carry_their_unit(kept, tmp_path):
    """/mesh/nodes (and a thermal mesh's) are in m, as documented: the unit is on the
    dataset, as every field's is."""
    m, th, _ = kept
    p = write_results(tmp_path / "r.h5", m, thermal=th)
    with h5py.File(p) as f:
        assert f["mesh/nodes"].attrs["unit"] == "m"


def test_time_and_state_axes_units_are_read_and_shown(kept, tmp_path):
    """The time axes' and the states' units are in the file but were not in
    ``Results.units``, so ``fea info`` showed the axes without a unit."""
    from fea.io import describe

    m, th, _ = kept
    p = write_results(tmp_path / "r.h5", m, thermal=th)
    r = read_results(p)
    assert r.units["thermal/transient/times"] == "s"
    (line,) = [x for x in describe(p).splitlines() if "thermal/transient_times" in x]
    assert line.endswith("[s]")
    mb = layered_box((2e-3, 1e-3), [("base", 0.2e-3, 1), ("mold", 0.3e-3, 1)], 0.4e-3, order=1)
    me = fea.solve_thermoelastic(mb, MATS, 260.0, 25.0, backend="cpu")
    meta = {"state_values": [25.0, 260.0], "state_unit": "degC"}
    q = write_results(tmp_path / "s.h5", mb, mechanical={"25C": me, "260C": me}, meta=meta)
    assert read_results(q).units["mechanical/state_values"] == "degC"
    (line,) = [x for x in describe(q).splitlines() if "mechanical/state_values" in x]
    assert line.endswith("[degC]")
