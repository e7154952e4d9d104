"""A study table (``table.h5``) that is foreign, newer, forged or malformed is one
:class:`~fea.errors.ResultsError` naming the path and what is wrong, from
:func:`fea.io.read_table`, :func:`fea.io.read_units` and :func:`fea.io.read_frame` alike;
never a Python error, never data from outside the file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from fea.errors import ResultsError
from fea.io import read_table, read_units, write_table
from fea.io.hdf5 import block_digests

READERS = [read_table, read_units]


def good_table(path: Path) -> Path:
    """A valid two-row study table written at ``path`` (also used by the probe tests)."""
    write_table(
        path,
        "s",
        [{"case": "case0000", "Tj_max_C": 60.0}, {"case": "case0001", "Tj_max_C": 61.0}],
        ["case", "Tj_max_C"],
        units={"Tj_max_C": "degC"},
    )
    return path


def _edit(tmp_path: Path, change: Callable[[h5py.File], None]) -> Path:
    """The good table changed by ``change``, its checksums then made to match (an
    attacker can recompute them), or left out where they cannot be computed (a table
    from before they were kept)."""
    path = good_table(tmp_path / "table.h5")
    with h5py.File(path, "r+") as f:
        change(f)
        del f.attrs["sha256"]
        try:
            f.attrs["sha256"] = json.dumps(block_digests(f), sort_keys=True)
        except ResultsError:
            pass
    return path


def test_the_good_table_reads(tmp_path):
    path = good_table(tmp_path / "table.h5")
    assert [r["Tj_max_C"] for r in read_table(path)] == [60.0, 61.0]
    assert read_units(path) == {"Tj_max_C": "degC"}


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
def test_a_newer_table_schema_says_upgrade(tmp_path, reader):
    path = _edit(tmp_path, lambda f: f.attrs.__setitem__("schema", "fea-table/2"))
    with pytest.raises(ResultsError, match=r"table\.h5: schema 'fea-table/2' is newer.*upgrade"):
        reader(path)


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
def test_a_foreign_file_is_not_a_study_table(tmp_path, reader):
    path = tmp_path / "table.h5"
    with h5py.File(path, "w") as f:
        f.attrs["schema"] = "fea-results/1"
        g = f.create_group("table")  # even with a table group: the schema decides
        g["a"] = np.arange(2.0)
        g["a"].attrs["column"] = "a"
        g["a"].attrs["unit"] = "m"
    with pytest.raises(ResultsError, match=r"table\.h5: not a study table \(schema 'fea-res"):
        reader(path)


def test_deeply_nested_columns_text_is_a_results_error(tmp_path):
    """json.loads of 100 000 '[' raises RecursionError, not ValueError."""
    path = _edit(tmp_path, lambda f: f.attrs.__setitem__("columns", "[" * 100_000))
    with pytest.raises(ResultsError, match=r"table\.h5: .*attribute columns is not"):
        read_table(path)


def test_columns_not_a_list_of_names(tmp_path):
    path = _edit(tmp_path, lambda f: f.attrs.__setitem__("columns", json.dumps([1, 2])))
    with pytest.raises(ResultsError, match=r"table\.h5: .*columns"):
        read_table(path)


def _compound(f: h5py.File) -> None:
    del f["table/Tj_max_C"]
    f["table/Tj_max_C"] = np.zeros(2, dtype=[("x", "f8"), ("y", "i4")])
    f["table/Tj_max_C"].attrs["column"] = "Tj_max_C"


def test_a_compound_column_is_refused(tmp_path):
    path = _edit(tmp_path, _compound)
    with pytest.raises(ResultsError, match=r"table\.h5: dataset /table/Tj_max_C has an unsup"):
        read_table(path)


def _soft(f: h5py.File) -> None:
    f["elsewhere"] = np.array([1.0, 2.0])
    f["elsewhere"].attrs["column"] = "Tj_max_C"
    del f["table/Tj_max_C"]
    f["table/Tj_max_C"] = h5py.SoftLink("/elsewhere")


def _external(tmp_path: Path) -> Callable[[h5py.File], None]:
    other = tmp_path / "secret.h5"
    with h5py.File(other, "w") as g:
        g["x"] = np.array([7.0, 8.0])
        g["x"].attrs["column"] = "Tj_max_C"

    def change(f: h5py.File) -> None:
        del f["table/Tj_max_C"]
        f["table/Tj_max_C"] = h5py.ExternalLink(str(other), "/x")

    return change


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
def test_links_are_refused(tmp_path, reader):
    """A column that is a link (to another object, or to another file: a table must
    not read data from outside itself)."""
    path = _edit(tmp_path, _soft)
    with pytest.raises(ResultsError, match=r"table\.h5: /table/Tj_max_C is a soft link"):
        reader(path)
    path = _edit(tmp_path, _external(tmp_path))
    with pytest.raises(ResultsError, match=r"table\.h5: /table/Tj_max_C is an external link"):
        reader(path)


def test_a_table_group_that_is_a_link_is_refused(tmp_path):
    def change(f: h5py.File) -> None:
        f.move("table", "real")
        f["table"] = h5py.SoftLink("/real")

    with pytest.raises(ResultsError, match=r"table\.h5: /table is a soft link"):
        read_table(_edit(tmp_path, change))


def test_a_column_that_is_a_group_is_refused(tmp_path):
    def change(f: h5py.File) -> None:
        del f["table/Tj_max_C"]
        f.create_group("table/Tj_max_C")

    with pytest.raises(ResultsError, match=r"table\.h5: /table/Tj_max_C is not a dataset"):
        read_table(_edit(tmp_path, change))


def test_a_forged_shape_is_refused_before_reading(tmp_path):
    """A column declaring 10^10 values in a small file: refused from its header, before
    numpy allocates 80 GB."""

    def change(f: h5py.File) -> None:
        del f["table/Tj_max_C"]
        f["table"].create_dataset("Tj_max_C", shape=(10**10,), dtype="f8")
        f["table/Tj_max_C"].attrs["column"] = "Tj_max_C"

    with pytest.raises(ResultsError, match=r"table\.h5: dataset /table/Tj_max_C declares"):
        read_table(_edit(tmp_path, change))


def test_a_table_file_given_to_fea_info_names_what_it_is(tmp_path, capsys):
    from fea.cli import main

    path = good_table(tmp_path / "table.h5")
    assert main(["info", str(path)]) != 0
    err = capsys.readouterr().err
    assert "a study table" in err and "read_table" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "keys",
    [["case", "a/b", "a_b"], ["case", "."], ["case", "x/", "x_", "x_ (2)"]],
    ids=["slash-meets-underscore", "dot", "three-meet"],
)
def test_column_names_that_meet_as_dataset_names_round_trip(tmp_path, keys):
    """Region names reach the columns (``von_mises_max_MPa@25C:<region>``); two whose
    dataset names would meet once '/' is written as '_' made h5py raise 'name already
    exists' at the end of a study."""
    path = tmp_path / "table.h5"
    rows = [{k: float(i) for i, k in enumerate(keys)}]
    write_table(path, "s", rows, keys, units={k: "m" for k in keys})
    assert read_table(path) == rows
    assert read_units(path) == {k: "m" for k in keys}


def test_a_nul_in_a_column_name_or_text_is_an_input_error(tmp_path):
    from fea.errors import InputError

    with pytest.raises(InputError, match="a\\\\x00b"):
        write_table(tmp_path / "t.h5", "s", [{"a\0b": 1.0}], ["a\0b"])
    with pytest.raises(InputError, match="table column notes"):
        write_table(tmp_path / "t.h5", "s", [{"notes": "x\0y"}], ["notes"])
    assert not (tmp_path / "t.h5").exists()


def test_a_flipped_bit_is_a_checksum_error_not_a_wrong_number(tmp_path):
    """A table read with a flipped bit in a value gave the changed number: it carries
    checksums now, as a results file does."""
    path = good_table(tmp_path / "table.h5")
    with h5py.File(path, "r+") as f:
        f["table/Tj_max_C"][0] = 60.000001
    for reader in READERS:
        with pytest.raises(ResultsError, match=r"table\.h5: checksum mismatch in block /table"):
            reader(path)


def test_a_table_without_checksums_still_reads(tmp_path):
    """Tables written before they carried checksums."""
    path = good_table(tmp_path / "table.h5")
    with h5py.File(path, "r+") as f:
        del f.attrs["sha256"]
    assert [r["Tj_max_C"] for r in read_table(path)] == [60.0, 61.0]


@pytest.mark.parametrize("signature", [b"SNOD", b"HEAP", b"TREE", b"GCOL"])
def test_corrupt_metadata_is_a_results_error(tmp_path, signature):
    """A byte changed in HDF5's own structures (symbol table nodes, local heaps, B-trees,
    the global heap of the text columns): each read raises a ResultsError naming the file
    or returns exactly what was written. Before, HDF5's RuntimeError ('bad symbol table
    node version') and OSError escaped the readers. (Random changes can also crash the
    HDF5 library itself, in C: tests/io/test_hdf5_probe.py.)"""
    path = good_table(tmp_path / "good.h5")
    good = path.read_bytes()
    rows, units = read_table(path), read_units(path)
    bad = tmp_path / "table.h5"
    at = good.find(signature)
    assert at >= 0
    while at >= 0:
        for offset in (4, 5, 6, 8):  # version and the fields after it
            data = bytearray(good)
            data[at + offset] ^= 0xFF
            bad.write_bytes(bytes(data))
            for reader, want in ((read_table, rows), (read_units, units)):
                try:
                    got = reader(bad)
                except ResultsError as exc:
                    assert str(bad) in str(exc)
                else:
                    assert got == want
        at = good.find(signature, at + 1)


@pytest.mark.slow
def test_a_table_of_more_columns_than_a_results_group_round_trips(tmp_path):
    """The checksums read the table with the results reader's loader, whose limit of
    members per group (10 000) is not a table's (:data:`fea.io.table.MAX_COLUMNS`): a
    long reflow profile's study has thousands of columns. (About 15 s.)"""
    keys = ["case"] + [f"c{i}" for i in range(10_001)]
    rows = [{"case": "case0000", **{k: 1.0 for k in keys[1:]}}]
    path = tmp_path / "table.h5"
    write_table(path, "s", rows, keys)
    assert read_table(path) == rows
