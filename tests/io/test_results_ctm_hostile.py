"""``read_ctm`` on a results file whose ``/ctm`` group is malformed (its checksums made to
match, as an attacker can): a ResultsError naming the file and what is wrong, not a
JSONDecodeError, RecursionError or h5py TypeError."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

import fea
from fea.errors import ResultsError
from fea.io import write_results
from fea.io.hdf5 import block_digests
from fea.io.results_reader import read_ctm
from fea.physics.materials import Material

from ..verification.helpers import layered_box

MATS = {
    "base": Material("base", E=120e9, nu=0.3, alpha=17e-6, k=200.0, rho=8900.0, cp=385.0),
    "mold": Material("mold", E=20e9, nu=0.3, alpha=9e-6, k=0.8, rho=1900.0, cp=900.0),
}


@pytest.fixture(scope="module")
def solved():
    m = layered_box((2e-3, 1e-3), [("base", 0.2e-3, 1), ("mold", 0.3e-3, 1)], 0.4e-3, order=1)
    return m, fea.solve_thermoelastic(m, MATS, 260.0, 25.0, backend="cpu")


def _with_ctm(tmp_path, solved, change):
    m, me = solved
    p = write_results(tmp_path / "r.h5", m, mechanical=me, meta={"ctm": {"metrics": {"a": 1.0}}})
    with h5py.File(p, "r+") as f:
        change(f["ctm"])
        del f.attrs["sha256"]
        f.attrs["sha256"] = json.dumps(block_digests(f), sort_keys=True)
    return p


def test_a_good_ctm_group_reads(tmp_path, solved):
    assert read_ctm(_with_ctm(tmp_path, solved, lambda g: None)) == {"a": 1.0}


@pytest.mark.parametrize("text", ["[[0, 1", "[" * 100_000], ids=["cut", "nested"])
def test_links_that_are_not_json(tmp_path, solved, text):
    p = _with_ctm(tmp_path, solved, lambda g: g.attrs.__setitem__("links", text))
    with pytest.raises(ResultsError, match=r"r\.h5: /ctm attribute links is not valid JSON"):
        read_ctm(p)


def test_a_group_inside_ctm(tmp_path, solved):
    p = _with_ctm(
        tmp_path, solved, lambda g: g.create_group("fitted").create_dataset("x", data=np.zeros(2))
    )
    with pytest.raises(ResultsError, match=r"r\.h5: /ctm/fitted is not a dataset"):
        read_ctm(p)
