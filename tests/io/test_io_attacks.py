"""Hostile input to the results I/O: names a file system or an XDMF reader cannot take,
text HDF5 cannot store, tables the reader would refuse, text files saved by a
spreadsheet. Each is a clear :mod:`fea.errors` error before anything is written, or reads
as meant; never a raw library exception or a file the reader then refuses."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np
import pytest

import fea
from fea.errors import InputError, ResultsError
from fea.io import (
    read_curve_csv,
    read_results,
    read_table,
    write_atomic,
    write_curves_csv,
    write_results,
    write_table,
)
from fea.io.atomic import sweep_parts
from fea.io.results_reader import block_digests
from fea.io.textfile import read_text_file
from fea.physics.materials import Material

from ..verification.helpers import layered_box, plane

MATS = {
    "base": Material("base", E=120e9, nu=0.3, alpha=17e-6, k=200.0, rho=8900.0, cp=385.0),
    "mold": Material("mold", E=20e9, nu=0.3, alpha=9e-6, k=0.8, rho=1900.0, cp=900.0),
}
FACES = {"bottom": plane(2, 0.0), "top": plane(2, 0.5e-3)}

#: A lone surrogate: how Python spells a byte of a file name that is not UTF-8.
NOT_UTF8 = os.fsdecode(b"\xff")


@pytest.fixture(scope="module")
def solved():
    mesh = layered_box(
        (2e-3, 1e-3), [("base", 0.2e-3, 1), ("mold", 0.3e-3, 1)], 0.5e-3, faces=FACES
    )
    kw = dict(sources={"base": 0.2}, convection={"top": (2000.0, 25.0)}, backend="cpu")
    th = fea.solve_thermal(mesh, MATS, **kw)
    me = fea.solve_thermoelastic(mesh, MATS, 260.0, 25.0, backend="cpu")
    return mesh, th, me


# --- temporary names ------------------------------------------------------------------


def test_a_long_non_ascii_name_that_fits_the_file_system_is_written(tmp_path):
    name = "é" * 120 + ".csv"  # 244 bytes: a valid name; its temporary one must fit too
    assert len(os.fsencode(name)) < 255
    p = write_atomic(tmp_path / name, "a,b\n1,2\n")
    assert p.read_text() == "a,b\n1,2\n"
    assert sorted(os.listdir(tmp_path)) == [name]


def test_the_sweep_removes_only_temporary_files(tmp_path):
    mine = [".notes.partial", ".a.part-list", ".plan.parts.txt"]
    for n in mine:
        (tmp_path / n).write_text("user file")
    stale = tmp_path / ".r.h5.otherhost-1.abcd1234.part"
    stale.write_bytes(b"x")
    stale_ext = tmp_path / ".m.msh.otherhost-1.abcd1234.part.msh"
    stale_ext.write_bytes(b"x")
    removed = sweep_parts(tmp_path, everything=True)
    assert sorted(removed) == sorted([stale, stale_ext])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(mine)


# --- results files: names and text --------------------------------------------------


@pytest.mark.parametrize("name", [NOT_UTF8 + ".h5", "a\x01b.h5", "a\x1bb.h5", "a\ufffe.h5"])
def test_a_file_name_the_xdmf_cannot_hold_is_refused_before_writing(solved, tmp_path, name):
    mesh, th, me = solved
    with pytest.raises(InputError, match="^path = "):
        write_results(tmp_path / name, mesh, thermal=th, mechanical=me)
    assert list(tmp_path.iterdir()) == []


def test_unusual_file_names_give_well_formed_xdmf(solved, tmp_path):
    mesh, th, me = solved
    for name in ("a&<>\"' b.h5", "$(touch x);`id`.h5", "-rf.h5", "tab\there.h5"):
        p = write_results(tmp_path / name, mesh, thermal=th, mechanical=me)
        root = ET.parse(p.with_suffix(".xdmf")).getroot()
        refs = {e.text.split(":")[0] for e in root.iter("DataItem") if e.get("Format") == "HDF"}
        assert refs == {name}
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "meta",
    [
        {"case": NOT_UTF8},
        {"study": NOT_UTF8},
        {"metrics": {NOT_UTF8: 1.0}},
        {"metrics": {"m": NOT_UTF8}},
        {"note": NOT_UTF8},
        {NOT_UTF8: 1},
        {"state_unit": NOT_UTF8},
    ],
    ids=["case", "study", "metric-name", "metric-text", "attribute", "attribute-name", "unit"],
)
def test_text_that_is_not_utf8_is_an_input_error(solved, tmp_path, meta):
    mesh, th, me = solved
    with pytest.raises(InputError):
        write_results(tmp_path / "r.h5", mesh, thermal=th, mechanical=me, meta=meta)
    assert list(tmp_path.iterdir()) == []


def test_a_state_label_that_is_not_utf8_is_an_input_error(solved, tmp_path):
    mesh, th, me = solved
    with pytest.raises(InputError, match="^mechanical = "):
        write_results(tmp_path / "r.h5", mesh, thermal=th, mechanical={NOT_UTF8: me})


def test_an_integer_hdf5_cannot_store_is_an_input_error(solved, tmp_path):
    mesh, th, me = solved
    with pytest.raises(InputError, match="^meta.big = "):
        write_results(tmp_path / "r.h5", mesh, thermal=th, mechanical=me, meta={"big": 10**30})
    p = write_results(tmp_path / "r.h5", mesh, thermal=th, meta={"small": -(2**63)})
    assert read_results(p).attrs["small"] == -(2**63)


# --- results files: tables the reader would refuse ----------------------------------


@pytest.mark.parametrize(
    "tables, match",
    [
        ({"t": {"a": [1.0, 2.0], "b": [1.0]}}, "^meta.cycling.t = .*columns of one length"),
        ({"a/b": {"a": [1.0]}}, "^meta.cycling = 'a/b': a name without '/'"),
        ({"t": {"a/b": [1.0]}}, "^meta.cycling.t = 'a/b': a name without '/'"),
        ({"t": {".": [1.0]}}, "^meta.cycling.t = '.': a name without '/' that is not '.'"),
        ({"": {"a": [1.0]}}, "^meta.cycling = '': a name"),
        ({"t": {"a": ["x"]}}, "^meta.cycling.t.a = .*: numbers"),
        ({"t": {"a": [[1.0, 2.0]]}}, "^meta.cycling.t.a = .*one-dimensional"),
    ],
    ids=["lengths", "table-slash", "column-slash", "dot", "empty-name", "text", "2d"],
)
def test_a_table_the_reader_would_refuse_is_not_written(solved, tmp_path, tables, match):
    mesh, th, me = solved
    with pytest.raises(InputError, match=match):
        write_results(tmp_path / "r.h5", mesh, thermal=th, meta={"cycling": tables})
    assert list(tmp_path.iterdir()) == []


def test_a_table_of_no_rows_reads_back(solved, tmp_path):
    mesh, th, me = solved
    tables = {"joints": {"dW_MJ_per_m3": [], "x_mm": []}}
    p = write_results(tmp_path / "r.h5", mesh, thermal=th, meta={"cycling": tables})
    r = read_results(p)
    assert list(r.cycling["joints"]) == ["dW_MJ_per_m3", "x_mm"]
    assert r.cycling["joints"]["x_mm"].shape == (0,)
    assert "0 rows" in fea.io.describe(p)


# --- results files: hostile content -------------------------------------------------


def _rewrite(path: Path, edit) -> None:
    """Change the file and store checksums that match: only the reader's own checks
    stand between the change and the caller."""
    with h5py.File(path, "r+") as f:
        edit(f)
        f.attrs["sha256"] = json.dumps(block_digests(f), sort_keys=True)


def test_a_schema_version_of_other_digits_is_foreign(solved, tmp_path):
    mesh, th, me = solved
    p = write_results(tmp_path / "r.h5", mesh, thermal=th)
    _rewrite(p, lambda f: f.attrs.__setitem__("schema", "fea-results/\u00b2"))
    with pytest.raises(ResultsError, match="foreign schema"):
        read_results(p)


def test_a_dataset_of_the_wrong_number_type_is_named_with_its_type(solved, tmp_path):
    mesh, th, me = solved
    p = write_results(tmp_path / "r.h5", mesh, thermal=th)

    def edit(f):
        tets = f["mesh/tets"][()]
        del f["mesh/tets"]
        f["mesh/tets"] = tets.astype(np.float64)

    _rewrite(p, edit)
    with pytest.raises(ResultsError) as e:
        read_results(p)
    text = str(e.value)
    assert "/mesh/tets" in text and "float64" in text and "integer" in text
    assert "\n" not in text


# --- the study table in HDF5 --------------------------------------------------------


def test_numpy_numbers_are_numbers_in_the_table(tmp_path):
    rows = [
        {"case": "c0", "n": np.int64(3), "x": np.float32(2.5)},
        {"case": "c1", "n": 4, "x": None},
    ]
    write_table(tmp_path / "t.h5", "s", rows, ["case", "n", "x"])
    back = read_table(tmp_path / "t.h5")
    assert [r["n"] for r in back] == [3.0, 4.0]
    assert back[0]["x"] == 2.5 and np.isnan(back[1]["x"])


@pytest.mark.parametrize(
    "study, rows, keys, units, match",
    [
        ("a\0b", [{"a": 1.0}], ["a"], None, "^table study = .*NUL"),
        (NOT_UTF8, [{"a": 1.0}], ["a"], None, "^table study = .*UTF-8"),
        ("s", [{"a": 1.0}], ["a", "a"], None, "^table columns = .*distinct"),
        ("s", [{NOT_UTF8: 1.0}], [NOT_UTF8], None, "^table column = .*UTF-8"),
        ("s", [{"a": 1.0}], ["a"], {"a": "K\0"}, "^table column a unit = .*NUL"),
        ("s", [{"a": 1.0}], ["a"], {"a": NOT_UTF8}, "^table column a unit = .*UTF-8"),
    ],
    ids=["study-nul", "study-utf8", "duplicate", "key-utf8", "unit-nul", "unit-utf8"],
)
def test_a_table_hdf5_cannot_store_is_an_input_error(tmp_path, study, rows, keys, units, match):
    with pytest.raises(InputError, match=match):
        write_table(tmp_path / "t.h5", study, rows, keys, units)
    assert list(tmp_path.iterdir()) == []


# --- text files ---------------------------------------------------------------------


def test_a_byte_order_mark_is_not_part_of_the_text(tmp_path):
    p = tmp_path / "c.csv"
    p.write_bytes(b"\xef\xbb\xbftime_ms,zth_K_per_W\r\n1,2\r\n3,4\r\n")
    assert read_text_file(p, "curves", 1000).startswith("time_ms")
    assert list(read_curve_csv(p)) == ["time_ms", "zth_K_per_W"]


def test_a_study_file_saved_with_a_byte_order_mark_reads(tmp_path):
    from fea.package.spec.reader import read_toml

    p = tmp_path / "s.toml"
    p.write_bytes(b'\xef\xbb\xbfname = "x"\r\n')
    assert read_toml(p) == {"name": "x"}


def test_a_huge_csv_cell_is_an_input_error(tmp_path):
    p = tmp_path / "c.csv"
    p.write_bytes(b"t,z\n" + b"1" * 300_000 + b",2\n")
    with pytest.raises(InputError, match="line 2"):
        read_curve_csv(p)


@pytest.mark.parametrize("header", [b"t,t", b"t,", b" ,z"], ids=["duplicate", "empty", "blank"])
def test_curve_columns_need_distinct_names(tmp_path, header):
    p = tmp_path / "c.csv"
    p.write_bytes(header + b"\n1,2\n3,4\n")
    with pytest.raises(InputError, match="distinct"):
        read_curve_csv(p)


@pytest.mark.parametrize("name", ["../up", "a/b", "..", ".", "", "a\0b", NOT_UTF8 + "x"])
def test_a_curve_name_is_a_file_name_in_the_folder(tmp_path, name):
    folder = tmp_path / "case"
    with pytest.raises(InputError, match="^curve = "):
        write_curves_csv(folder, {name: {"t": [1.0], "z": [2.0]}})
    assert not folder.exists() or list(folder.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["case"])


def test_curves_round_trip(tmp_path):
    t = np.array([0.0, 1e-3, 2.5])
    written = write_curves_csv(tmp_path, {"zth": {"time_s": t, "zth_K_per_W": t * 2}})
    assert written == [tmp_path / "zth.csv"]
    back = read_curve_csv(written[0])
    assert np.array_equal(back["time_s"], t) and np.array_equal(back["zth_K_per_W"], 2 * t)


def test_a_text_value_that_is_not_utf8_is_stored_escaped(tmp_path):
    """A case's error naming a folder with a Latin-1 byte: the table is still written."""
    error = f"cannot write /data/caf{NOT_UTF8}/r.h5"
    write_table(tmp_path / "t.h5", "s", [{"case": "c0", "error": error}], ["case", "error"])
    assert read_table(tmp_path / "t.h5")[0]["error"] == "cannot write /data/caf\\udcff/r.h5"


def test_a_table_schema_version_of_other_digits_is_not_a_study_table(tmp_path):
    write_table(tmp_path / "t.h5", "s", [{"a": 1.0}], ["a"])
    with h5py.File(tmp_path / "t.h5", "r+") as f:
        f.attrs["schema"] = "fea-table/\u00b2"
    with pytest.raises(ResultsError, match="not a study table"):
        read_table(tmp_path / "t.h5")


def test_a_number_a_float64_cannot_hold_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="^table column a = "):
        write_table(tmp_path / "t.h5", "s", [{"a": 10**400}], ["a"])


@pytest.mark.parametrize("name", ["", " t", "a\nb", "a\rb", "#t"])
def test_a_curve_column_that_would_not_read_back_is_refused(tmp_path, name):
    with pytest.raises(InputError, match="^curve column = "):
        write_curves_csv(tmp_path, {"c": {name: [1.0], "z": [2.0]}})
    assert list(tmp_path.iterdir()) == []


def test_a_curve_of_no_samples_reads_back(tmp_path):
    (p,) = write_curves_csv(tmp_path, {"joints": {"joint_id": [], "x_mm": []}})
    back = read_curve_csv(p)
    assert list(back) == ["joint_id", "x_mm"] and back["x_mm"].shape == (0,)


@pytest.mark.parametrize("label", ["a\x01b", "x\x1b[31m", "a\ufffeb"])
def test_a_state_label_the_xdmf_cannot_hold_is_refused(solved, tmp_path, label):
    mesh, th, me = solved
    with pytest.raises(InputError, match="^mechanical = .*control characters"):
        write_results(tmp_path / "r.h5", mesh, thermal=th, mechanical={label: me, "ok": me})
    assert list(tmp_path.iterdir()) == []


def test_to_meshio_takes_an_index_of_any_integer_type_and_refuses_others(solved, tmp_path):
    mesh, th, me = solved
    p = write_results(tmp_path / "r.h5", mesh, thermal=th, mechanical={"a": me, "b": me})
    r = read_results(p)
    for index in (1, np.int64(1), np.int32(-1)):
        m = r.to_meshio(index)
        assert "displacement" in m.point_data and "displacement_a" not in m.point_data
    for bad in (1.0, True, np.bool_(False), [1]):
        with pytest.raises(InputError, match="^state = "):
            r.to_meshio(bad)


@pytest.mark.parametrize(
    "meta, key",
    [
        ({"moisture_labels": ["soak\x07", "peak"]}, "meta.moisture_labels"),
        ({"moisture_shown": {"pe\x08ak": 1}}, "meta.moisture_shown"),
    ],
    ids=["label", "shown"],
)
def test_moisture_names_the_xdmf_cannot_hold_are_refused(solved, tmp_path, meta, key):
    mesh, th, me = solved

    class Moisture:  # refused by its names, before its fields are asked for
        times = np.array([0.0, 1.0])
        temperature_C = np.array([85.0, 260.0])

        def fields(self):
            raise AssertionError("not reached")

    wet = Moisture()
    wet.mesh = mesh
    with pytest.raises(InputError, match="control characters") as e:
        write_results(tmp_path / "r.h5", mesh, mechanical=me, moisture=wet, meta=meta)
    assert e.value.key == key
    assert list(tmp_path.iterdir()) == []


def test_a_vtu_export_never_replaces_the_results_file(solved, tmp_path):
    from fea.io import export_vtu

    mesh, th, me = solved
    p = write_results(tmp_path / "r.h5", mesh, thermal=th, mechanical=me)
    before = p.read_bytes()
    (tmp_path / "link.vtu").symlink_to(p)
    for out in (p, tmp_path / "r.xdmf", tmp_path / "r", tmp_path / "link.vtu"):
        with pytest.raises(InputError, match="^out = "):
            export_vtu(p, out)
    assert p.read_bytes() == before
    assert export_vtu(p, tmp_path / "R.VTU") == [tmp_path / "R.VTU"]
    assert read_results(p).mechanical is not None


@pytest.mark.parametrize("sidecar", ["r_transient.xdmf", "r_moisture.xdmf"])
def test_a_folder_at_a_sidecar_name_is_refused_before_writing(solved, tmp_path, sidecar):
    mesh, th, me = solved
    (tmp_path / sidecar).mkdir()
    with pytest.raises(InputError, match="^path = .*a folder"):
        write_results(tmp_path / "r.h5", mesh, thermal=th, mechanical=me)
    assert sorted(p.name for p in tmp_path.iterdir()) == [sidecar]


def test_a_stale_sidecar_that_cannot_be_removed_is_a_results_error(solved, tmp_path, monkeypatch):
    mesh, th, me = solved
    stale = tmp_path / "r_transient.xdmf"
    stale.write_text("<Xdmf/>")
    real_unlink = Path.unlink

    def unlink(self, missing_ok=False):
        if self == stale:
            raise PermissionError(13, "Permission denied")
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(ResultsError, match="r_transient.xdmf"):
        write_results(tmp_path / "r.h5", mesh, thermal=th, mechanical=me)
    monkeypatch.undo()
    assert read_results(tmp_path / "r.h5").thermal is not None  # the new file is in place


def test_text_naming_a_folder_that_is_not_utf8_is_written_as_utf8(tmp_path):
    """An error message naming a folder with a Latin-1 byte, in a study's table.csv."""
    text = f"case0001,failed,no space left on device while writing /data/caf{NOT_UTF8}/r.h5\n"
    p = write_atomic(tmp_path / "table.csv", text)
    assert p.read_bytes().decode("utf-8") == text.replace(NOT_UTF8, "\\udcff")
    assert list(tmp_path.iterdir()) == [p]


def test_a_rename_is_synced_to_the_disk_with_its_folder(tmp_path, monkeypatch):
    """After the rename the folder is synced (fsync of the directory), so that a power
    loss after a write keeps the new file under its name, not only its synced contents
    under a temporary one."""
    import os
    import stat

    from fea.io.atomic import sync_folder, write_atomic

    synced: list[tuple[str, bool]] = []
    real = os.fsync

    def spy(fd: int) -> None:
        is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
        synced.append(("dir" if is_dir else "file", (tmp_path / "a.txt").exists()))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    write_atomic(tmp_path / "a.txt", "x")
    assert synced[0] == ("file", False)  # the contents first, under the temporary name
    assert synced[-1] == ("dir", True)  # then the folder, once the name is there
    assert sync_folder(tmp_path) is True
    assert sync_folder(tmp_path / "missing") is False  # nothing to sync: no error


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("time_s;zth_K_per_W\n0,001;1,5\n", "';'"),
        ("time_s\tzth_K_per_W\n0.001\t1.5\n", "tabs"),
    ],
)
def test_a_curve_separated_otherwise_than_by_commas_is_named_so(tmp_path, text, named):
    """A tester's export with ';' (and decimal commas) or tabs was refused as 'a number
    under the header' at line 2, which did not say what was wrong: the error names the
    separator."""
    path = tmp_path / "zth.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=f"separated by {named}") as err:
        read_curve_csv(path)
    assert "line 1" in str(err.value)
