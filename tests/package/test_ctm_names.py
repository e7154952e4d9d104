"""CTM files of two cases that would be one: names that differ only in letter case are one
file on a case-insensitive file system (macOS, Windows), and SPICE reads subcircuit names
in any case with other characters than letters, digits and _ as _."""

from __future__ import annotations

import importlib

import pytest

from fea import ctm
from fea.errors import InputError
from fea.package.ctm import CtmResult, check_ctm_names, run_ctm, write_ctm_files
from fea.package.spec import parse_study

# the module (fea.package.ctm is also imported as a name of fea.package)
ctm_module = importlib.import_module("fea.package.ctm")

S = ctm.SurfaceNode
STUDY = {
    "study": {"name": "Ceramic"},
    "geometry": {"terminals": {"kind": "none"}},
    "loads": {"warpage_temperatures_C": []},
}


def _result() -> CtmResult:
    two_r = ctm.CompactNetwork(
        "2R",
        (S("case", "top", 1e-4), S("board", "bottom", 1e-4)),
        (("junction", "case", 6.0), ("junction", "board", 5.0)),
    )
    return CtmResult(None, two_r, None, {}, {})  # type: ignore[arg-type]


def test_stems_equal_but_for_letter_case_refused(tmp_path):
    (tmp_path / "ceramic_2R.cir").write_text("* another study's model\n")
    with pytest.raises(InputError) as exc:
        check_ctm_names(tmp_path, ["Ceramic"])
    e = exc.value
    assert e.key == "study.name" and e.value == "Ceramic"
    assert "'ceramic'" in e.allowed and "case-insensitive" in e.allowed
    assert str(tmp_path) in e.allowed
    check_ctm_names(tmp_path, ["ceramic"])  # its own files: written again
    check_ctm_names(tmp_path, ["alumina"])


def test_stems_of_one_spice_subcircuit_refused(tmp_path):
    (tmp_path / "my_study_DELPHI.cir").write_text("* another study's model\n")
    with pytest.raises(InputError) as exc:
        check_ctm_names(tmp_path, ["my-study"])
    assert exc.value.value == "my-study" and "XMY_STUDY_2R" in exc.value.allowed
    # two cases of one run
    with pytest.raises(InputError) as exc:
        check_ctm_names(tmp_path / "new", ["a.b", "a_b"])
    assert exc.value.value == "a_b" and "'a.b'" in exc.value.allowed


def test_write_ctm_files_refuses_before_writing(tmp_path):
    case = parse_study(STUDY).base
    (tmp_path / "CERAMIC.ecxml").write_text("<x/>")
    with pytest.raises(InputError, match="study.name = 'Ceramic'"):
        write_ctm_files(_result(), tmp_path, case)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CERAMIC.ecxml"]
    written = write_ctm_files(_result(), tmp_path / "own", case)
    assert write_ctm_files(_result(), tmp_path / "own", case) == written  # again: its own


def test_run_ctm_refuses_before_any_case_runs(tmp_path, monkeypatch):
    def no_analysis(*args, **kwargs):
        raise AssertionError("ran a case whose files would overwrite another's")

    monkeypatch.setattr(ctm_module, "ctm_analysis", no_analysis)
    (tmp_path / "ceramic_2R.cir").write_text("* another study's model\n")
    with pytest.raises(InputError, match="study.name = 'Ceramic'"):
        run_ctm(parse_study(STUDY), tmp_path, echo=lambda *a: None)
