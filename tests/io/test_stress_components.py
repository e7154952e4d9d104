"""Stress components under their true names for ParaView: the file stores six components
xx, yy, zz, yz, xz, xy and ParaView names any six-component array XX, YY, ZZ, XY, YZ, XZ
(its XY would be the stored yz), so the XDMF of a series and the VTU export also carry
each component as a scalar ``stress_xy``, ... read from the same dataset."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import meshio
import numpy as np
import pytest

from fea.io import export_vtu, write_results

from .pvtools import check_paraview_readers, require_pvpython
from .test_results import solved
from .test_xdmf import hyperslab as _hyperslab

# column of the stored (Voigt) array that each true name is
STORED = {"xx": 0, "yy": 1, "zz": 2, "yz": 3, "xz": 4, "xy": 5}


@pytest.fixture(scope="module")
def case():
    return solved(2)


def _two_states(case, path):
    return write_results(
        path, case.mesh, thermal=case.th, mechanical={"25C": case.me, "260C": case.me2}
    )


def _xdmf3_selection(item, folder):
    """The values of an XDMF 3 ``file:/ds|start:stride:count:dims`` item, read with h5py."""
    import h5py

    file, _, rest = item.text.strip().partition(":")
    ds, _, sel = rest.partition("|")
    start, stride, count, dims = (np.array(p.split(), dtype=int) for p in sel.split(":"))
    with h5py.File(folder / file) as f:
        a = f[ds][()]
    assert list(a.shape) == list(dims)
    idx = tuple(slice(s, s + st * c, st) for s, st, c in zip(start, stride, count, strict=True))
    return a[idx].reshape([int(v) for v in item.get("Dimensions").split()])


def test_every_state_has_each_component_under_its_name_in_both_forms(case, tmp_path):
    p = _two_states(case, tmp_path / "s.h5")
    stress = {
        "stress": np.stack([case.me.stress, case.me2.stress]),
        "stress_nodal": np.stack([r.fields()["stress_nodal"][0] for r in (case.me, case.me2)]),
    }
    grids = ET.parse(p.with_suffix(".xdmf")).getroot().find("Domain/Grid").findall("Grid")
    assert len(grids) == 2
    for i, g in enumerate(grids):
        for field, series in stress.items():
            for comp, col in STORED.items():
                attrs = [a for a in g.findall("Attribute") if a.get("Name") == f"{field}_{comp}"]
                assert len(attrs) == 2, (field, comp)  # XDMF 3 selection and HyperSlab
                assert {a.get("AttributeType") for a in attrs} == {"Scalar"}
                want = series[i][:, col]
                (slab,) = [a[0] for a in attrs if a[0].get("ItemType") == "HyperSlab"]
                (sel,) = [a[0] for a in attrs if a[0].get("ItemType") != "HyperSlab"]
                assert np.array_equal(_hyperslab(slab, tmp_path), want), (field, comp, i)
                assert np.array_equal(_xdmf3_selection(sel, tmp_path), want), (field, comp, i)
        # the shear components are not confused: sigma_xy is the stored column 5
        xy = [a for a in g.findall("Attribute") if a.get("Name") == "stress_xy"][0]
        assert not np.array_equal(_xdmf3_selection(xy[0], tmp_path), stress["stress"][i][:, 3])


def test_a_steady_file_stays_readable_by_meshio(case, tmp_path):
    """One state without labels (the Python API's steady form) has no component attributes:
    meshio reads that file, and it cannot read a selection."""
    p = write_results(tmp_path / "m.h5", case.mesh, thermal=case.th, mechanical=case.me)
    m = meshio.read(p.with_suffix(".xdmf"))
    assert np.array_equal(m.cell_data["stress"][0], case.me.stress)
    assert "stress_xy" not in m.cell_data


def test_vtu_export_names_each_component(case, tmp_path):
    p = _two_states(case, tmp_path / "v.h5")
    (out,) = export_vtu(p)
    m = meshio.read(out)
    for lab, r in (("25C", case.me), ("260C", case.me2)):
        nodal = r.fields()["stress_nodal"][0]
        for comp, col in STORED.items():
            assert np.array_equal(m.cell_data[f"stress_{comp}_{lab}"][0], r.stress[:, col])
            assert np.array_equal(m.point_data[f"stress_nodal_{comp}_{lab}"], nodal[:, col])
        assert np.array_equal(m.cell_data[f"stress_{lab}"][0], r.stress)  # kept whole too


@pytest.mark.paraview
def test_paraview_readers_give_each_component_its_true_value(case, tmp_path):
    """XDMFReader, Xdmf3ReaderS and Xdmf3ReaderT: ``stress_xy`` is sigma_xy at every state."""
    pv = require_pvpython()
    _two_states(case, tmp_path / "states.h5")
    expect = {}
    for field, series in (
        ("stress", [case.me.stress, case.me2.stress]),
        ("stress_nodal", [r.fields()["stress_nodal"][0] for r in (case.me, case.me2)]),
    ):
        for comp, col in STORED.items():
            expect[f"states/{field}_{comp}"] = np.stack([s[:, col] for s in series])
    for r in check_paraview_readers(
        pv, tmp_path, expect, [["states", "./states.xdmf"]], {"states": 2}
    ):
        assert {f"stress_{c}" for c in STORED} <= set(r["arrays"]), r
