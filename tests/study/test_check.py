"""``fea check STUDY``: every case read and checked without running (fea.study.check)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fea
from fea.cli import main
from fea.errors import InputError, ResultsError
from fea.package.spec import load_study
from fea.study.check import check_study
from fea.study.runner import DIGEST_KEY, input_digest

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"


def _study(tmp_path: Path, extra_cases: str = "") -> Path:
    """tests/data/tiny_study.toml (case0002 invalid: the die larger than the cavity) with
    ``extra_cases`` appended to its explicit cases."""
    text = TINY.read_text()
    if extra_cases:
        text = text.replace(
            '    { "geometry.shell_thickness_um" = 20.0 },\n',
            '    { "geometry.shell_thickness_um" = 20.0 },\n' + extra_cases,
        )
    path = tmp_path / "study.toml"
    path.write_text(text)
    return path


def test_every_case_is_read_invalid_and_too_large_named(tmp_path, monkeypatch):
    monkeypatch.setenv("FEA_MEMORY_GB", "2")
    path = _study(tmp_path, '    { "mesh.size_mm" = 0.01 },\n')
    spec = load_study(path)
    res = check_study(spec, tmp_path / "out")
    assert [c.case_id for c in res.cases] == [f"case{i:04d}" for i in range(5)]
    assert [c.status for c in res.cases] == ["ok", "ok", "invalid", "ok", "too large"]
    assert not res.ok
    bad = res.cases[2]
    assert "geometry.die" in bad.error and bad.elements is None
    big = res.cases[4]
    assert "mesh.size_mm" in big.error and big.memory > 2 * 2**30
    ok = res.cases[0]
    assert ok.error is None and ok.elements > 0 and 0 < ok.memory < 2 * 2**30
    # the runner refuses the same cases (the same reading and size guard)
    with pytest.raises(InputError, match="geometry.die"):
        spec.case(bad.params)
    # --force: the size guard's estimate is reported, nothing refused for its size
    forced = check_study(spec, tmp_path / "out", force=True)
    assert [c.status for c in forced.cases] == ["ok", "ok", "invalid", "ok", "ok"]
    assert forced.cases[4].memory == big.memory
    text = res.format()
    assert "5 cases, 3 ok, 1 invalid, 1 too large" in text
    assert "case0002" in text and "case0004" in text


def test_states_in_the_output_folder(tmp_path):
    spec = load_study(_study(tmp_path))
    out = tmp_path / "out"
    cases = dict(spec.case_parameters())
    # case0000 finished from this input, case0001 from another one, case0003 failed
    for cid, digest in (("case0000", input_digest(spec, cases["case0000"])), ("case0001", "x")):
        (out / cid).mkdir(parents=True)
        (out / cid / "metrics.json").write_text(json.dumps({"case": cid, DIGEST_KEY: digest}))
    (out / "case0003").mkdir()
    (out / "case0003" / "error.json").write_text("{}")
    res = check_study(spec, out)
    assert [c.state for c in res.cases] == ["finished", "stale", "to run", "failed"]
    assert res.counts == {"finished": 1, "stale": 1, "failed": 1, "to run": 1}
    assert "1 finished, 1 stale, 1 failed; 2 would run, 1 refused" in res.format()
    # nothing written
    assert sorted(p.name for p in out.iterdir()) == ["case0000", "case0001", "case0003"]
    # no folder: every case to run
    assert {c.state for c in check_study(spec, tmp_path / "none").cases} == {"to run"}
    assert not (tmp_path / "none").exists()


def test_a_finished_case_is_not_refused(tmp_path, monkeypatch):
    """fea run skips a case finished from its present input without reading it (a sweep
    finished on large compute nodes, checked on a small login node): not refused here
    either, its row says what a rerun would meet."""
    monkeypatch.setenv("FEA_MEMORY_GB", "2")
    spec = load_study(_study(tmp_path, '    { "mesh.size_mm" = 0.01 },\n'))
    out = tmp_path / "out"
    params = dict(spec.case_parameters())["case0004"]
    (out / "case0004").mkdir(parents=True)
    (out / "case0004" / "metrics.json").write_text(
        json.dumps({"case": "case0004", DIGEST_KEY: input_digest(spec, params)})
    )
    res = check_study(spec, out)
    big = res.cases[4]
    assert (big.status, big.state, big.error) == ("ok", "finished", None)
    assert big.warnings and "now too large" in big.warnings[0]
    # the runner agrees: it skips it
    from fea.study.runner import claim_case

    assert claim_case(spec, "case0004", params, out / "case0004", 0.0, False).action == "skip"
    assert [c.status for c in res.cases] == ["ok", "ok", "invalid", "ok", "ok"]


def test_the_output_folder_must_be_one(tmp_path, monkeypatch):
    spec = load_study(_study(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "tiny").write_text("not a folder")
    with pytest.raises(ResultsError, match="is not a folder"):
        check_study(spec)  # the default results/<name>, as fea run refuses it
    assert main(["check", str(tmp_path / "study.toml")]) == 2


def test_the_study_warnings_are_not_repeated_per_case(tmp_path):
    text = _study(tmp_path).read_text().replace("[loads]", "[loads]\nambient_C = 300.0", 1)
    (tmp_path / "warm.toml").write_text(text)
    with pytest.warns(UserWarning) as caught:
        spec = load_study(tmp_path / "warm.toml")
    seen = tuple(dict.fromkeys(str(w.message) for w in caught))
    res = check_study(spec, tmp_path / "out", base_warnings=seen)
    assert res.warnings == seen
    assert all(not c.warnings for c in res.cases)


def test_public_name():
    assert fea.check_study is check_study


def test_cli_exit_status_and_listing(tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text((ROOT / "studies" / "baseline.toml").read_text())
    assert main(["check", str(good)]) == 0
    out = capsys.readouterr().out
    assert "study baseline: 1 case, 1 ok" in out and "(base case)" in out

    bad = _study(tmp_path)
    assert main(["check", str(bad), "--out", str(tmp_path / "o")]) == 1
    out = capsys.readouterr().out
    assert "4 cases, 3 ok, 1 invalid" in out and "case0002" in out
    # at most 20 cases: every row listed; --all lists them whatever the count
    assert "case0001" in out

    # a refused study file: exit 2, the error on stderr, the other study still checked
    broken = tmp_path / "broken.toml"
    broken.write_text(good.read_text().replace("[geometry]", "[geometry]\ncavity_mm = -1\n", 1))
    assert main(["check", str(broken), str(good)]) == 2
    cap = capsys.readouterr()
    assert "broken.toml" in cap.err and "Traceback" not in cap.err
    assert "study baseline: 1 case, 1 ok" in cap.out


def test_cli_refuses_options_without_a_study(tmp_path, capsys, monkeypatch):
    assert main(["check", "--all"]) == 2
    assert "--all = True: a study file to check with it" in capsys.readouterr().err
    # this machine's settings are named as such, once, not as a study's error
    monkeypatch.setenv("FEA_MEMORY_GB", "abc")
    assert main(["check", str(TINY), str(TINY)]) == 2
    err = capsys.readouterr().err
    assert err.count("FEA_MEMORY_GB") == 1 and "tiny_study.toml" not in err
    monkeypatch.delenv("FEA_MEMORY_GB")
    good = tmp_path / "good.toml"
    good.write_text((ROOT / "studies" / "baseline.toml").read_text())
    assert main(["check", str(good), str(good), "--out", str(tmp_path / "o")]) == 2
    assert "--out" in capsys.readouterr().err


def test_slurm_script_notes_the_invalid_cases(tmp_path, capsys):
    """A job array is queued only after the user was told which cases its tasks would
    record as failed at once (the reader refuses them)."""
    out = tmp_path / "out"
    assert main(["study", "slurm", str(_study(tmp_path)), "--tasks", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "note: 1 of 4 cases is invalid" in text and "case0002" in text
    assert text.index("note:") < text.index("submit with")
    assert (out / "slurm" / "array.sbatch").is_file()
    good = tmp_path / "good.toml"
    good.write_text((ROOT / "studies" / "baseline.toml").read_text())
    assert main(["study", "slurm", str(good), "--tasks", "1", "--out", str(tmp_path / "o2")]) == 0
    assert "note:" not in capsys.readouterr().out


def test_a_large_sweep_lists_its_refused_cases_first_and_caps_them(tmp_path):
    """A grid whose combinations the reader refuses only together (each value alone is
    checked when the study is read): the refused rows come first, at most ``refused``
    of them unless every row is asked for."""
    text = TINY.read_text()
    head = text[: text.index("[sweep]")].replace("height_mm = 0.15", "height_mm = 0.1")
    path = tmp_path / "grid.toml"
    path.write_text(
        head
        + '[sweep]\nkind = "grid"\n[sweep.parameters]\n'
        + '"geometry.shell_thickness_um" = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]\n'
        + '"geometry.cavity_depth_mm" = [0.6, 0.3, 0.29]\n'
        + '"geometry.die.thickness_mm" = [0.1, 0.28, 0.27]\n'
    )
    res = check_study(load_study(path), tmp_path / "out")
    bad = [c for c in res.cases if not c.ok]
    # per shell thickness: depth 0.3 with die 0.28, depth 0.29 with 0.28 and 0.27
    assert len(res.cases) == 54 and len(bad) == 18
    assert {c.status for c in bad} == {"invalid"}
    assert all("geometry.die.thickness_mm" in c.error for c in bad)
    text = res.format(refused=5)
    assert "54 cases, 36 ok, 18 invalid" in text
    assert text.count(" invalid  ") == 5
    assert "(49 cases not listed (13 of them refused): --all lists every case)" in text
    assert res.format(all_rows=True).count("\ncase0") == 54


def test_slurm_tasks_ask_for_the_largest_cases_memory(tmp_path, capsys):
    """Without --mem a task got the site's default memory (often a few GB) and a larger
    case was killed on the node: the array asks for MEMORY_MARGIN x the largest case's
    estimate; --mem still sets it, and the merge job keeps the site's default."""
    from fea.package.meshing import estimate
    from fea.study.slurm import MEMORY_MARGIN, default_job_memory, write_slurm_script

    spec = load_study(TINY)
    peak = max(estimate(spec.case(p)).memory for _, p in spec.case_parameters() if _valid(spec, p))
    want = default_job_memory(peak)
    assert want == f"{max(2, -(-MEMORY_MARGIN * peak // 2**30)):.0f}G"
    folder = write_slurm_script(TINY, tasks=2, out=tmp_path / "a").parent
    assert f"#SBATCH --mem={want}\n" in (folder / "array.sbatch").read_text()
    assert "--mem" not in (folder / "merge.sbatch").read_text()
    given = write_slurm_script(TINY, tasks=2, out=tmp_path / "b", memory="64G").parent
    assert "#SBATCH --mem=64G\n" in (given / "array.sbatch").read_text()
    assert "#SBATCH --mem=64G\n" in (given / "merge.sbatch").read_text()
    assert default_job_memory(10 * 2**30, cases_at_once=2) == f"{int(40 * MEMORY_MARGIN / 2)}G"
    assert main(["study", "slurm", str(TINY), "--tasks", "2", "--out", str(tmp_path / "c")]) == 0
    assert f"memory per task: {want}" in capsys.readouterr().out


def test_slurm_leaves_a_case_beyond_any_node_out_of_the_memory(tmp_path, capsys):
    """A mesh-size slip asked for petabytes and the error blamed --mem, which was not
    given: the case is named in a note, the tasks ask for the others' memory. (1e-6 mm
    before sizes below 0.1 um were refused by the reader; 1e-4 mm is the least accepted.)"""
    from fea.study.slurm import LARGEST_TASK_MEMORY, default_job_memory, task_memory

    path = _study(tmp_path, '    { "mesh.size_mm" = 1e-4 },\n')
    spec = load_study(path)
    res = check_study(spec, tmp_path / "out", force=True)
    assert res.cases[4].memory > LARGEST_TASK_MEMORY
    others = max(c.memory for c in res.cases[:4] if c.memory)
    assert task_memory(res) == default_job_memory(others)
    out = tmp_path / "slurm_out"
    assert main(["study", "slurm", str(path), "--tasks", "2", "--out", str(out)]) == 0
    text = capsys.readouterr()
    assert "--mem" not in text.err
    assert "1 of 5 cases need more memory than any node" in text.out
    assert "case0004, mesh.size_mm = 0.0001" in text.out
    assert "1 of 5 cases is invalid" in text.out  # the tiny study's case0002, still named
    array = (out / "slurm" / "array.sbatch").read_text()
    assert f"#SBATCH --mem={default_job_memory(others)}\n" in array
    # with --mem given the note still names the case, and the --mem note follows for the
    # largest case a node could hold (not the one beyond any)
    assert (
        main(["study", "slurm", str(path), "--tasks", "2", "--out", str(out), "--mem", "1M"]) == 0
    )
    text = capsys.readouterr().out
    assert "need more memory than any node" in text and "--mem 1M is below" in text
    assert "case0004: ~" not in text


def _valid(spec, params) -> bool:
    try:
        spec.case(params)
    except InputError:
        return False
    return True


def test_slurm_refuses_before_writing(tmp_path, capsys, monkeypatch):
    """A bad setting of this machine, or a study whose every case the reader refuses:
    an error before any script is written (nothing to submit)."""
    out = tmp_path / "out"
    monkeypatch.setenv("FEA_MEMORY_GB", "abc")
    assert main(["study", "slurm", str(TINY), "--tasks", "2", "--out", str(out)]) == 2
    assert "FEA_MEMORY_GB" in capsys.readouterr().err and not out.exists()
    monkeypatch.delenv("FEA_MEMORY_GB")
    text = TINY.read_text()
    head, sweep = text[: text.index("[sweep]")], text[text.index("[sweep]") :]
    bad = tmp_path / "bad.toml"
    bad.write_text(
        head + sweep.replace("35.0", "5000.0").replace("50.0", "6000.0").replace("20.0", "7000.0")
    )
    assert main(["study", "slurm", str(bad), "--tasks", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "the reader refuses every case" in err and not out.exists()


def test_slurm_mem_below_the_largest_estimate_is_noted(tmp_path, capsys):
    from fea.study.slurm import memory_bytes

    assert memory_bytes("8G") == 8 * 2**30 and memory_bytes("8000") == 8000 * 2**20
    assert memory_bytes("2T") == 2 * 2**40 and memory_bytes("512K") == 512 * 1024
    with pytest.raises(InputError):
        memory_bytes("8GB")
    out = tmp_path / "o"
    assert (
        main(["study", "slurm", str(TINY), "--tasks", "2", "--out", str(out), "--mem", "1M"]) == 0
    )
    text = capsys.readouterr().out
    assert "note: --mem 1M is below the largest case's estimate" in text
    assert "#SBATCH --mem=1M" in (out / "slurm" / "array.sbatch").read_text()


def test_a_slice_is_what_one_array_task_runs(tmp_path, capsys):
    spec = load_study(TINY)
    res = check_study(spec, tmp_path / "out", slice_="1/2")
    assert [c.case_id for c in res.cases] == ["case0001", "case0003"]
    with pytest.raises(InputError, match="--slice"):
        check_study(spec, tmp_path / "out", slice_="2/2")
    assert main(["check", str(TINY), "--slice", "0/2", "--out", str(tmp_path / "o")]) == 1
    out = capsys.readouterr().out  # case0000 ok, case0002 invalid
    assert "2 cases, 1 ok, 1 invalid" in out and "case0001" not in out


# -- the checks that need only the spec: fea check refuses what fea run refuses -----------

BOARD_CYCLING = ROOT / "studies" / "board_cycling.toml"

#: Sweep cases of studies/board_cycling.toml that fea run refused only after meshing
#: began (the [cycling] board model, the symmetry of the warpage model, the contacts'
#: interfaces), the key each is refused by and a part of what it allows.
REFUSED = [
    ('{ "cycling.board_size_mm" = [1.0, 1.0] }', "cycling.board_size_mm", "package footprint"),
    ('{ "cycling.symmetry" = "half" }', "cycling.symmetry", "[mesh] symmetry 'quarter'"),
    ('{ "cycling.layer_um" = 1000.0 }', "cycling.layer_um", "half the joints' height"),
    ('{ "cycling.pad_diameter_mm" = 50.0 }', "cycling.pad_diameter_mm", "terminal pitch"),
    (
        '{ "geometry.openings.sides.xmin.count" = 3 }',
        "geometry.openings.sides.xmin",
        "the same openings as side xmax",
    ),
    (
        '{ "contacts" = { "die|die_atach" = { R_mm2K_per_W = 100.0 } } }',
        "contacts.die|die_atach",
        "did you mean 'die|die_attach'?",
    ),
]


def _board_cycling(tmp_path: Path, cases: list[str]) -> Path:
    """studies/board_cycling.toml with a sweep of the base values and ``cases``."""
    text = BOARD_CYCLING.read_text()
    text += '\n[sweep]\nkind = "cases"\ncases = [\n    {},\n'
    text += "".join(f"    {c},\n" for c in cases) + "]\n"
    path = tmp_path / "board_cycling.toml"
    path.write_text(text)
    return path


@pytest.fixture
def no_meshing(monkeypatch):
    """Meshing fails the test: a refusal must come before it."""

    def meshed(*args, **kwargs):
        raise AssertionError("meshed")

    import importlib

    for module, name in (
        ("fea.package.meshing", "build_mesh"),
        ("fea.package.analyse", "build_mesh"),  # fea.package.analyse is also a function
        ("fea.package.ctm", "ctm_mesh"),
    ):
        monkeypatch.setattr(importlib.import_module(module), name, meshed)


def test_what_the_run_refuses_before_meshing_check_refuses(tmp_path, capsys, no_meshing):
    """Each case of :data:`REFUSED` passed fea check and failed seconds into fea run; now
    the reader refuses it (fea run before meshing, fea check as invalid: exit 1)."""
    path = _board_cycling(tmp_path, [c for c, _, _ in REFUSED])
    spec = load_study(path)
    res = check_study(spec, tmp_path / "out")
    assert [c.status for c in res.cases] == ["ok"] + ["invalid"] * len(REFUSED)
    for row, (_, key, allowed) in zip(res.cases[1:], REFUSED, strict=True):
        with pytest.raises(InputError) as ei:  # the runner reads the case: refused
            spec.case(row.params)
        assert ei.value.key == key and allowed in ei.value.allowed
        assert row.error == str(ei.value)
    assert main(["check", str(path), "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().out.count("invalid") >= len(REFUSED)


def test_the_board_coupon_error_is_the_run_one(tmp_path):
    """The board coupon's message as fea run gave it (key, value as written, allowed)."""
    spec = load_study(_board_cycling(tmp_path, [REFUSED[0][0], REFUSED[1][0]]))
    res = check_study(spec, tmp_path / "out")
    assert res.cases[1].error == (
        "cycling.board_size_mm = [1.0, 1.0]: a board larger than the package footprint (10.47 mm)"
    )
    assert res.cases[2].error == (
        "cycling.symmetry = 'half': the [mesh] symmetry 'quarter' (or 'none')"
    )


def test_the_compact_models_junction_is_checked_when_read(tmp_path, capsys, no_meshing):
    """[ctm.junction] region (not a sweep key) was refused only by fea ctm, after
    meshing: now by the reader, so fea check and fea run refuse the study (exit 2)."""
    path = tmp_path / "ctm.toml"
    path.write_text(BOARD_CYCLING.read_text() + '\n[ctm.junction]\nregion = "die\\nX"\n')
    with pytest.raises(InputError) as ei:
        load_study(path)
    assert ei.value.key == "ctm.junction.region" and ei.value.value == "die\nX"
    assert ei.value.allowed.startswith("a region: shell, dielectric, die")
    assert main(["check", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "ctm.junction.region" in capsys.readouterr().err


NO_BOARD = """
[study]
name = "no_board"
kind = "unit"

[geometry]
cavity_mm = [3.0, 3.0]
cavity_depth_mm = 0.5

[geometry.die]
size_mm = [1.5, 1.5]
thickness_mm = 0.25

[geometry.terminals]
kind = "none"

[mesh]
size_mm = 1.0
order = 1
"""


def test_cycling_without_a_board_or_terminals_is_refused(tmp_path, no_meshing):
    """[cycling] on a unit without board and terminals failed after 7 s of meshing and
    solving; a sweep that adds the section passed fea check."""
    path = tmp_path / "no_board.toml"
    path.write_text(NO_BOARD + "\n[cycling]\ncycles = 1\n")
    with pytest.raises(InputError) as ei:
        load_study(path)
    assert ei.value.key == "cycling" and "[geometry.board]" in ei.value.allowed
    # a grid that adds the section in every case: the study is refused when read
    path.write_text(
        NO_BOARD + '\n[sweep]\nkind = "grid"\n[sweep.parameters]\n"cycling.cycles" = [1, 2]\n'
    )
    with pytest.raises(InputError) as ei:
        load_study(path)
    assert ei.value.key == "sweep.parameters.cycling.cycles[0] -> cycling"
    # cases that add it: refused one by one
    path.write_text(
        NO_BOARD + '\n[sweep]\nkind = "cases"\n'
        'cases = [{}, { "cycling.cycles" = 1 }, { "cycling.cycles" = 2 }]\n'
    )
    res = check_study(load_study(path), tmp_path / "out")
    assert [c.status for c in res.cases] == ["ok", "invalid", "invalid"]
    assert all("cycling = '[cycling]'" in c.error for c in res.cases[1:])
    assert main(["check", str(path), "--out", str(tmp_path / "out")]) == 1


def test_a_case_changed_in_python_is_refused_before_meshing(tmp_path, no_meshing):
    """analyse (fea run's call) refuses a case changed in Python as its reader would,
    before anything is meshed: the contacts, the compact models' junction, [cycling]."""
    import dataclasses

    from fea.package.analyse import analyse
    from fea.package.ctm import ctm_analysis
    from fea.package.cycling import cycling_metrics
    from fea.package.spec.ctm import CtmSpec

    base = load_study(BOARD_CYCLING).base
    bad = dataclasses.replace(base, contacts={"die|die_atach": 1e-4})
    with pytest.raises(InputError, match=r"contacts\.die\|die_atach"):
        analyse(bad, tmp_path)
    bad = dataclasses.replace(base, ctm=dataclasses.replace(CtmSpec(), junction="die\nX"))
    for run in (lambda: analyse(bad, tmp_path), lambda: ctm_analysis(bad)):
        with pytest.raises(InputError) as ei:
            run()
        assert ei.value.key == "ctm.junction.region"
    cy = dataclasses.replace(base.cycling, board_size=(1e-3, 1e-3))
    bad = dataclasses.replace(base, cycling=cy)
    for run in (lambda: analyse(bad, tmp_path), lambda: cycling_metrics(bad)):
        with pytest.raises(InputError) as ei:
            run()
        assert ei.value.key == "cycling.board_size_mm"
