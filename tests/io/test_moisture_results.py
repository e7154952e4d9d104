"""Moisture fields in the results file (``/moisture``, ``<stem>_moisture.xdmf``) and the
``unit`` attribute of every field dataset."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np
import pytest

import fea
from fea.errors import InputError, ResultsError
from fea.io import describe, read_results, write_results
from fea.io.results_format import FIELD_UNITS
from fea.io.xdmf import state_times
from fea.physics.moisture import Soak, TemperatureProfile, solve_moisture

from .pvtools import check_paraview_readers, require_pvpython
from .test_results import MATS
from .test_results import results_mesh as _mesh
from .test_xdmf import hyperslab as _hyperslab

#: a short oven profile: up to 200 C and down again (temperatures not increasing)
OVEN = TemperatureProfile(
    ((0.0, 25.0), (60.0, 200.0), (90.0, 200.0), (120.0, 25.0)),
    max_step_K=50.0,
    max_step_s=30.0,
    name="reflow",
)
WATER = {"base": "silicon", "mold": "mold_compound"}  # an impermeable and a permeable layer


class Moist:
    """The two-layer block soaked through its top (24 h at 85 C / 85 %RH) and taken
    through an oven, with two mechanical states on the same mesh."""

    def __init__(self) -> None:
        self.mesh = m = _mesh(1)
        self.res = solve_moisture(
            m, WATER, [Soak(85.0, 0.85, 24.0, "soak"), OVEN], exposed=["top"], outputs=4
        )
        self.me = fea.solve_thermoelastic(m, MATS, 25.0, 25.0, backend="cpu")
        self.me2 = fea.solve_thermoelastic(m, MATS, 260.0, 25.0, backend="cpu")
        n = len(self.res.times)
        self.labels = [f"s{i}" for i in range(n)]
        self.soak_end = int(np.flatnonzero(self.res.stage == 0)[-1])
        self.shown = {"soak": self.soak_end, "peak": self.res.peak_step()}

    def write(self, path: Path, **meta) -> Path:
        meta = {"moisture_labels": self.labels, "moisture_shown": self.shown, **meta}
        return write_results(
            path,
            self.mesh,
            mechanical={"25C": self.me, "260C": self.me2},
            meta=meta,
            moisture=self.res,
        )


@pytest.fixture(scope="module")
def moist():
    return Moist()


def test_moisture_fields_written_and_read_back(moist, tmp_path):
    """Every state's wetness (nodes) and concentration (cells, 0 in the impermeable
    layer) with its times, temperatures and labels, as h5py and read_results see them."""
    p = moist.write(tmp_path / "r.h5")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["r.h5", "r.xdmf", "r_moisture.xdmf"]
    want = moist.res.fields()
    n_states = len(moist.res.times)
    with h5py.File(p) as f:
        g = f["moisture"]
        for name, (values, center) in want.items():
            assert g[name].attrs["center"] == center
            assert g[name].attrs["unit"] == {"Node": "1", "Cell": "kg/m^3"}[center]
            assert np.array_equal(g[name][()], values)
        assert g["moisture_wetness"].shape == (n_states, len(f["mesh/nodes"]))
        assert g["moisture_concentration"].shape == (n_states, len(f["mesh/tets"]))
        assert np.array_equal(g["times"][()], moist.res.times)
        assert g["times"].attrs["unit"] == "s"
        assert np.array_equal(g["temperatures"][()], moist.res.temperature_C)
        assert g["temperatures"].attrs["unit"] == "degC"
        assert [x.decode() for x in g["labels"][()]] == moist.labels
        assert json.loads(g.attrs["shown"]) == moist.shown
    r = read_results(p)
    assert np.array_equal(r.moisture["moisture_wetness"], moist.res.wetness)
    assert np.array_equal(r.moisture["moisture_concentration"], want["moisture_concentration"][0])
    assert np.array_equal(r.moisture["times"], moist.res.times)
    assert np.array_equal(r.moisture["temperatures"], moist.res.temperature_C)
    assert list(r.moisture["labels"]) == moist.labels
    assert r.moisture_shown == moist.shown
    assert r.centers["moisture/moisture_wetness"] == "Node"
    assert r.centers["moisture/moisture_concentration"] == "Cell"
    assert r.units["moisture/moisture_concentration"] == "kg/m^3"
    # the water is where the polymer is: none in the silicon, some in the soaked compound
    conc = r.moisture["moisture_concentration"]
    assert np.all(conc[:, r.mesh.region("base")] == 0.0)
    assert conc[moist.soak_end, r.mesh.region("mold")].max() > 1.0
    # the reflow dries it: less water at its end than at the end of the soak
    assert conc[-1].sum() < conc[moist.soak_end].sum()
    assert r.solver["moisture"]["stages"][0]["name"] == "soak"
    # the other blocks are as without moisture
    assert np.array_equal(r.mechanical["displacement"][1], moist.me2.displacement)


def test_a_rewrite_without_moisture_removes_the_stale_moisture_sidecar(moist, tmp_path):
    """A case run again without [moisture] into the same file: the earlier run's
    r_moisture.xdmf would point into a /moisture group the new r.h5 lacks."""
    p = moist.write(tmp_path / "r.h5")
    assert (tmp_path / "r_moisture.xdmf").exists()
    write_results(p, moist.mesh, mechanical={"25C": moist.me})
    assert sorted(x.name for x in tmp_path.iterdir()) == ["r.h5", "r.xdmf"]
    assert read_results(p).moisture is None


def test_a_results_name_that_is_another_files_moisture_sidecar_is_refused(moist, tmp_path):
    """a_moisture.h5's sidecar a_moisture.xdmf is a.h5's moisture sidecar: writing one
    removed or overwrote the other's; such a name is refused, nothing written."""
    with pytest.raises(InputError, match="_moisture"):
        write_results(tmp_path / "a_moisture.h5", moist.mesh, mechanical={"25C": moist.me})
    assert list(tmp_path.iterdir()) == []


def test_every_field_dataset_carries_its_unit(moist, tmp_path):
    """Thermal (a transient), mechanical, moisture and region_id datasets each
    carry the unit of the one table; read_results returns them."""
    m = moist.mesh
    kw = dict(sources={"base": 0.2}, convection={"top": (2000.0, 25.0)}, backend="cpu")
    tr = fea.solve_thermal(m, MATS, transient=fea.Transient(2.0, 1.0), **kw)
    p = write_results(
        tmp_path / "u.h5",
        m,
        thermal=tr,
        mechanical={"a": moist.me, "b": moist.me2},
        moisture=moist.res,
    )
    seen = {}
    with h5py.File(p) as f:

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and "center" in obj.attrs:
                seen[name] = obj.attrs["unit"]

        f.visititems(visit)
        assert f["thermal/times"].attrs["unit"] == "s"
    assert len(seen) == 11  # region_id, temperature, 7 mechanical, 2 moisture
    for name, unit in seen.items():
        assert unit == FIELD_UNITS[name.rsplit("/", 1)[-1]], name
    assert seen["thermal/temperature"] == "degC" and seen["mechanical/displacement"] == "m"
    assert seen["mechanical/von_mises"] == "Pa" and seen["mechanical/stress"] == "Pa"
    assert seen["mesh/region_id"] == "1"
    r = read_results(p)
    axes = {"thermal/times", "mechanical/state_values"}  # the time and state axes' units
    assert set(r.units) == set(r.centers) | (axes & set(r.units))
    assert r.units["thermal/times"] == "s"
    for key in r.centers:
        assert r.units[key] == seen[key], key


def test_a_field_without_a_unit_is_refused_and_nothing_is_written(moist, tmp_path):
    """A field the unit table does not know is an InputError naming it; the atomic write
    leaves no file (nor a temporary one)."""
    odd = copy.copy(moist.me)
    fields = moist.me.fields()
    odd.fields = lambda: {**fields, "mystery": (fields["von_mises"][0], "Cell")}
    with pytest.raises(InputError) as ei:
        write_results(tmp_path / "r.h5", moist.mesh, mechanical=odd, moisture=moist.res)
    assert ei.value.key == "fields" and ei.value.value == "mystery"
    assert list(tmp_path.iterdir()) == []


def test_bad_moisture_input_is_refused_and_nothing_is_written(moist, tmp_path):
    res = moist.res
    bad = copy.copy(res)
    bad.fields = lambda: {"moisture_wetness": (res.wetness[:, :-1], "Node")}
    cases = [
        (dict(moisture=bad), "moisture.moisture_wetness"),
        (dict(moisture=res, meta={"moisture_labels": ["a"]}), "meta.moisture_labels"),
        (
            dict(moisture=res, meta={"moisture_labels": ["a"] * len(res.times)}),
            "meta.moisture_labels",
        ),
        (
            dict(moisture=res, meta={"moisture_shown": {"peak": len(res.times)}}),
            "meta.moisture_shown.peak",
        ),
        (dict(meta={"moisture_shown": {"peak": 0}}), "meta.moisture_shown"),
        (dict(moisture="wet"), "moisture"),
    ]
    for kw, key in cases:
        with pytest.raises(InputError) as ei:
            write_results(tmp_path / "r.h5", moist.mesh, mechanical=moist.me, **kw)
        assert ei.value.key == key, kw
    other = copy.copy(res)
    other.mesh = _mesh(1)
    with pytest.raises(InputError, match="another mesh"):
        write_results(tmp_path / "r.h5", moist.mesh, mechanical=moist.me, moisture=other)
    assert list(tmp_path.iterdir()) == []


def test_a_changed_moisture_state_is_a_checksum_mismatch(moist, tmp_path):
    p = moist.write(tmp_path / "r.h5")
    with h5py.File(p, "r+") as f:
        assert "/moisture" in json.loads(f.attrs["sha256"])
        f["moisture/moisture_wetness"][1, 0] += 1e-9
    with pytest.raises(ResultsError, match="checksum mismatch in block /moisture:"):
        read_results(p)


BREAK = {
    "no labels": (lambda g: g.__delitem__("labels"), "lacks the dataset labels"),
    "times short": (
        lambda g: g.__delitem__("times") or g.__setitem__("times", [0.0]),
        "one of each per state",
    ),
    "shown past the end": (
        lambda g: g.attrs.__setitem__("shown", '{"peak": 99}'),
        "not name -> state index",
    ),
    "a field of another mesh": (
        lambda g: (
            g.__delitem__("moisture_wetness")
            or g.create_dataset("moisture_wetness", data=np.zeros((2, 3))).attrs.__setitem__(
                "center", "Node"
            )
        ),
        "/moisture/moisture_wetness has shape",
    ),
}


@pytest.mark.parametrize("how", list(BREAK))
def test_a_malformed_moisture_group_is_named(moist, tmp_path, how):
    """A /moisture group that does not hold together (written without checksums, as an
    older or a foreign writer would) is a ResultsError saying what is wrong."""
    p = moist.write(tmp_path / "r.h5")
    change, message = BREAK[how]
    with h5py.File(p, "r+") as f:
        del f.attrs["sha256"]
        change(f["moisture"])
    with pytest.raises(ResultsError, match=message):
        read_results(p)


def _values(attr: ET.Element, folder: Path) -> np.ndarray:
    """The values of an XDMF attribute: a whole dataset, its XDMF 3 selection
    ``file:/ds|start:stride:count:dims`` or a standard HyperSlab item."""
    item = attr.find("DataItem")
    if item.get("ItemType") == "HyperSlab":
        return _hyperslab(item, folder)
    ref, _, sel = item.text.partition("|")
    file, _, ds = ref.partition(":")
    with h5py.File(folder / file) as f:
        a = f[ds][()]
    if not sel:
        return a
    start, stride, count, _ = (np.array(x.split(), dtype=int) for x in sel.split(":"))
    idx = tuple(slice(s, s + st * c, st) for s, st, c in zip(start, stride, count, strict=True))
    return a[idx].reshape([int(v) for v in item.get("Dimensions").split()])


def test_xdmf_moisture_states_on_their_own_time_axis(moist, tmp_path):
    """``r_moisture.xdmf``: one grid per moisture state at its time [s], with every
    moisture field of that state in both the XDMF 3 and the standard form; ``r.xdmf``:
    the named states on the package at each mechanical state."""
    p = moist.write(tmp_path / "r.h5")
    want = moist.res.fields()
    root = ET.parse(tmp_path / "r_moisture.xdmf").getroot()
    (series,) = root.find("Domain").findall("Grid")
    assert series.get("CollectionType") == "Temporal"
    grids = series.findall("Grid")
    assert [g.get("Name") for g in grids] == [f"state {x}" for x in moist.labels]
    times = [float(g.find("Time").get("Value")) for g in grids]
    assert times == list(moist.res.times)  # increasing: the time itself
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    for k, g in enumerate(grids):
        attrs = g.findall("Attribute")
        names = [a.get("Name") for a in attrs]
        assert sorted(set(names)) == ["moisture_concentration", "moisture_wetness", "region_id"]
        for a in attrs:
            if a.get("Name") == "region_id":
                continue
            values, center = want[a.get("Name")]
            assert a.get("Center") == center
            assert np.array_equal(_values(a, tmp_path), values[k]), (k, a.get("Name"))
    root = ET.parse(p.with_suffix(".xdmf")).getroot()
    states = root.find("Domain").find("Grid").findall("Grid")
    assert len(states) == 2
    for g in states:
        shown = [a for a in g.findall("Attribute") if "@" in a.get("Name")]
        assert len(shown) == 2 * 2 * 2  # 2 fields x 2 states x 2 forms
        for a in shown:
            name, _, key = a.get("Name").partition("@")
            k = moist.shown[key]
            assert np.array_equal(_values(a, tmp_path), want[name][0][k]), a.get("Name")


def test_states_at_one_time_are_numbered(tmp_path):
    """A soak to equilibrium adds a state at the start's time: the sidecar numbers the
    states (ParaView keeps one grid per time) and the file keeps their times."""
    m = _mesh(1)
    res = solve_moisture(m, WATER, [Soak(85.0, 0.85, float("inf"), "soak")], exposed=["top"])
    assert len(res.times) == 2 and res.times[0] == res.times[1]
    p = write_results(tmp_path / "s.h5", m, moisture=res)
    root = ET.parse(tmp_path / "s_moisture.xdmf").getroot()
    times = [float(t.get("Value")) for t in root.iter("Time")]
    assert times == state_times(res.times) == [0.0, 1.0]
    assert np.array_equal(read_results(p).moisture["times"], res.times)
    assert list(read_results(p).moisture["labels"]) == ["0", "1"]  # the default labels
    labels = np.array(["dry", "wet"])  # as read back: an array of text
    p = write_results(tmp_path / "s.h5", m, moisture=res, meta={"moisture_labels": labels})
    assert list(read_results(p).moisture["labels"]) == ["dry", "wet"]


def test_meshio_view_and_info_show_the_moisture(moist, tmp_path):
    p = moist.write(tmp_path / "r.h5")
    r = read_results(p)
    mm = r.to_meshio()
    k = moist.soak_end
    assert np.array_equal(mm.point_data[f"moisture_wetness_s{k}"], moist.res.wetness[k])
    conc = mm.cell_data[f"moisture_concentration_s{k}"][0]
    assert np.array_equal(conc, moist.res.element_concentration(k))
    one = r.to_meshio("260C")  # one mechanical state: the moisture states are not its own
    assert not any(n.startswith("moisture") for n in [*one.point_data, *one.cell_data])
    text = describe(p)
    assert "moisture/moisture_concentration" in text and "[kg/m^3]" in text
    assert "mechanical/displacement" in text and "[m]" in text
    (peak,) = [x.split() for x in text.splitlines() if x.strip().startswith("@peak")]
    assert peak[:3] == ["@peak", "state", f"s{moist.res.peak_step()}:"]
    assert peak[-2:] == ["200", "C"]  # the oven's highest temperature


@pytest.mark.paraview
def test_paraview_xdmf_readers_read_the_moisture(moist, tmp_path):
    """ParaView's three XDMF readers read every moisture state of ``r_moisture.xdmf`` and
    the named states on the package in ``r.xdmf``."""
    pv = require_pvpython()
    p = moist.write(tmp_path / "r.h5")
    want = moist.res.fields()
    expect = {f"moist/{name}": v for name, (v, _) in want.items()}
    for key, k in moist.shown.items():
        for name, (v, _) in want.items():
            expect[f"pkg/{name}@{key}"] = v[k]
    expect["pkg/displacement"] = np.stack([moist.me.displacement, moist.me2.displacement])
    files = [["moist", str(tmp_path / "r_moisture.xdmf")], ["pkg", str(p.with_suffix(".xdmf"))]]
    n_times = {"moist": len(moist.res.times), "pkg": 2}
    check_paraview_readers(pv, tmp_path, expect, files, n_times)


def test_p2_moisture_fields_are_numbered_as_the_file_nodes(tmp_path):
    """On a 10-node mesh the wetness is on the file's nodes (vertices, then the edge
    nodes), as the mechanical displacement."""
    m = _mesh(2)
    res = solve_moisture(m, WATER, [Soak(85.0, 0.85, 24.0, "soak")], exposed=["top"], outputs=2)
    me = fea.solve_thermoelastic(m, MATS, 260.0, 25.0, backend="cpu")
    r = read_results(write_results(tmp_path / "p2.h5", m, mechanical=me, moisture=res))
    assert r.mesh.order == 2
    assert np.array_equal(r.mesh.nodes, res.space.nodes)
    assert np.array_equal(r.moisture["moisture_wetness"], res.wetness)
