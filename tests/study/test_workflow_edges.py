"""The study workflow at its edges, as a large parameter sweep on a cluster meets them:
sweeps whose entries overlap, runs killed and rerun, two runs of one study in one folder,
hostile values on their way to file paths and batch scripts, tables and plots of partial
results. The analysis is stubbed where the numbers do not matter (fast tests)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fea.errors import InputError
from fea.package.spec import load_study

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"


def _study(tmp_path: Path, sweep: str, name: str = "study") -> Path:
    """The tiny study, coarse, with ``sweep`` (TOML of a [sweep] table) as its sweep."""
    text = TINY.read_text()
    text = text[: text.index("[sweep]")].replace("size_mm = 1.0", "size_mm = 2.0")
    path = tmp_path / f"{name}.toml"
    path.write_text(text.replace('name = "tiny"', f'name = "{name}"') + sweep)
    return path


# -- sweeps whose entries overlap ----------------------------------------------------------

DIE_A = "{ size_mm = [1.0, 1.0], thickness_mm = 0.2 }"
DIE_B = "{ size_mm = [1.2, 1.2], thickness_mm = 0.2 }"


@pytest.mark.parametrize(
    "sweep",
    [
        # the thickness is set first, then the whole die replaces it: 4 cases, 2 inputs
        '[sweep]\nparameters = { "geometry.die.thickness_mm" = [0.1, 0.3], '
        f'"geometry.die" = [{DIE_A}, {DIE_B}] }}\n',
        # the other order sets the thickness inside the die: still one key swept twice
        f'[sweep]\nparameters = {{ "geometry.die" = [{DIE_A}, {DIE_B}], '
        '"geometry.die.thickness_mm" = [0.1, 0.3] }\n',
        '[sweep]\nkind = "random"\nn = 2\nparameters = { "geometry.die.thickness_mm" = '
        '[0.1, 0.3], "geometry.die.size_mm" = [1.0, 1.2], "geometry.die" = [0.1, 0.2] }\n',
        '[sweep]\nkind = "cases"\ncases = [{ "geometry.die.thickness_mm" = 0.1, '
        f'"geometry.die" = {DIE_A} }}]\n',
    ],
)
def test_a_sweep_path_inside_another_is_refused(tmp_path, sweep):
    """A sweep over ``geometry.die`` and ``geometry.die.thickness_mm`` applied the paths
    in the table's order: the whole die, set after the thickness, replaced it, and all four
    cases of the grid ran at 0.2 mm while the table's ``param:`` column said 0.1 and 0.3
    (two pairs of identical cases, silently). Such a sweep is refused, naming both paths."""
    with pytest.raises(InputError) as err:
        load_study(_study(tmp_path, sweep))
    assert "geometry.die" in err.value.key
    assert "geometry.die.thickness_mm" in str(err.value)


@pytest.mark.parametrize(
    "case",
    ['{ "materials.shell" = "cop\\u0000per" }', '{ "materials.sh\\u0000ell" = "copper" }'],
    ids=["value", "path"],
)
def test_a_nul_in_an_explicit_case_is_refused_before_any_case_runs(tmp_path, case):
    """An explicit case whose value (or path) held a NUL character was recorded as a
    failed case, and its ``param:`` cell (or column name) then stopped the table: HDF5
    stores no NUL, so ``build_table`` raised after every case had run and neither
    ``table.csv`` nor ``table.h5`` was written for the good cases. The study is refused
    when it is read, naming the case."""
    sweep = (
        f'[sweep]\nkind = "cases"\ncases = [{{ "geometry.shell_thickness_um" = 30.0 }}, {case}]\n'
    )
    with pytest.raises(InputError) as err:
        load_study(_study(tmp_path, sweep))
    assert err.value.key.startswith("sweep.cases[1]")
    assert "NUL" in err.value.allowed


BIG = "1" + "0" * 400  # a TOML integer: unbounded, beyond any float


def test_an_integer_beyond_a_float_is_an_input_error(tmp_path):
    """``rows = 10**400`` (TOML's integers have no bound) stopped the reader with an
    OverflowError traceback from ``math.isfinite``, not an error naming the key."""
    path = _study(tmp_path, "")
    path.write_text(path.read_text().replace("rows = 2", f"rows = {BIG}"))
    with pytest.raises(InputError) as err:
        load_study(path)
    assert err.value.key == "geometry.terminals.rows"
    assert "float" in err.value.allowed


def test_an_explicit_case_with_an_integer_beyond_a_float_is_refused(tmp_path):
    """The same integer in an explicit case (read only when the case runs) crashed the
    whole run with the OverflowError; recorded as failed, its ``param:`` cell would have
    stopped ``table.h5`` (float64) and with it every case's table. Refused when the study
    is read."""
    sweep = (
        '[sweep]\nkind = "cases"\ncases = [{ "geometry.shell_thickness_um" = 30.0 }, '
        f'{{ "geometry.terminals.rows" = {BIG} }}]\n'
    )
    with pytest.raises(InputError) as err:
        load_study(_study(tmp_path, sweep))
    assert err.value.key == "sweep.cases[1].geometry.terminals.rows"


# -- figures of parameters whose names differ only in case ------------------------------------


def _png_title(path: Path) -> str:
    from PIL import Image

    with Image.open(path) as im:
        return str(im.text.get("Title", ""))


@pytest.mark.parametrize(
    ("first", "second"), [("FR4", "fr4"), ("my mat", "my_mat")], ids=["case", "slug"]
)
def test_two_parameters_never_share_a_figure_file(tmp_path, first, second):
    """A grid over ``materials.library.FR4.k`` and ``materials.library.fr4.k`` drew
    ``Tj_max_C_vs_materials.library.FR4.k.png`` and ``..._fr4.k.png``: one file on a file
    system that does not tell case apart (macOS, a Windows share), where the second figure
    replaced the first under its name; names that differ in a character the file name
    cannot hold (``my mat``, ``my_mat``) met on every file system. Each parameter now has
    its own file, whatever the file system, and each figure is titled with its own
    parameter."""
    from fea.study.plots import study_plots

    sweep = (
        f'[materials]\nshell = "{first}"\ndie = "{second}"\n'
        f'[materials.library."{first}"]\nbase = "copper"\n'
        f'[materials.library."{second}"]\nbase = "silicon"\n'
        f'[sweep]\nparameters = {{ "materials.library.{first}.k" = [300.0, 400.0], '
        f'"materials.library.{second}.k" = [100.0, 150.0] }}\n'
    )
    spec = load_study(_study(tmp_path, sweep))
    rows = [
        {
            "case": cid,
            "status": "ok",
            **{f"param:{k}": v for k, v in params.items()},
            "Tj_max_C": 40.0 + i,
        }
        for i, (cid, params) in enumerate(spec.case_parameters())
    ]
    written = study_plots(spec, rows, tmp_path / "out")
    names = [p.name for p in written]
    assert len({n.lower() for n in names}) == len(names) == 2, names
    titles = {_png_title(p) for p in written}
    assert any(f"library.{first}.k" in t for t in titles), titles
    assert any(f"library.{second}.k" in t for t in titles), titles


# -- the output folder as a batch script gives it -----------------------------------------------


def test_merge_with_an_empty_out_is_refused(tmp_path, monkeypatch, capsys):
    """``fea study merge STUDY --out "$OUT"`` with ``OUT`` unset merged ``results/<name>``
    (an empty ``--out`` read as none) and wrote its table there, where ``fea run`` and
    ``fea study slurm`` refuse the empty folder. Refused alike, nothing written."""
    from fea.cli import main

    grid = '[sweep]\nparameters = { "geometry.shell_thickness_um" = [30.0, 50.0] }\n'
    study = _study(tmp_path, grid)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results" / "study").mkdir(parents=True)
    assert main(["study", "merge", str(study), "--out", ""]) == 2
    assert "--out" in capsys.readouterr().err
    assert not (tmp_path / "results" / "study" / "table.csv").exists()


# -- random sweeps: integer bounds of a real-valued key -------------------------------------------


def test_integer_bounds_of_a_real_key_draw_real_values(tmp_path):
    """``"loads.power_W.die" = [1, 3]`` (TOML integers, as one writes them) drew integers:
    20 random cases of a power between 1 and 3 W were 1, 2 or 3 W (3 distinct inputs, each
    computed several times), a discrete sample where a continuous one was asked for.
    Integer bounds draw integers only for a key that is an integer (a count of rows); any
    other key draws from the continuous range."""
    sweep = (
        '[sweep]\nkind = "random"\nn = 20\nseed = 1\n'
        'parameters = { "loads.power_W.die" = [1, 3], "geometry.terminals.rows" = [1, 2] }\n'
    )
    spec = load_study(_study(tmp_path, sweep))
    cases = [params for _, params in spec.case_parameters()]
    power = [c["loads.power_W.die"] for c in cases]
    rows = [c["geometry.terminals.rows"] for c in cases]
    assert len(set(power)) == 20 and all(1.0 <= p <= 3.0 for p in power)
    assert all(isinstance(p, float) for p in power)
    assert set(rows) <= {1, 2} and all(isinstance(r, int) for r in rows)


# -- the cases' child processes with the analysis stubbed ------------------------------------------

STUB = """
import os

if os.environ.get("FEA_TEST_STUB"):
    import fea.package as _package

    def _analyse(case, folder, meta=None, context=None):
        um = case.geometry.shell_thickness * 1e6
        if os.environ["FEA_TEST_STUB"] == "fail-50um" and abs(um - 50.0) < 1e-6:
            raise ZeroDivisionError("stubbed failure at 50 um")
        return {"Tj_max_C": 25.0 + um}

    _package.analyse = _analyse
"""


def _stub_children(monkeypatch, folder: Path, mode: str = "ok") -> None:
    """The analysis of every child process started from now on stubbed (a
    ``sitecustomize.py`` first on ``PYTHONPATH``): ``Tj_max_C`` = 25 + the shell in um,
    and with ``fail-50um`` a failure (a bug's exception) for the 50 um shell."""
    import os

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(STUB)
    path = os.environ.get("PYTHONPATH", "")
    parts = (str(folder), str(ROOT), path)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in parts if p))
    monkeypatch.setenv("FEA_TEST_STUB", mode)


GRID = '[sweep]\nparameters = { "geometry.shell_thickness_um" = [30.0, 50.0, 70.0] }\n'


def test_a_dask_run_counts_finished_cases_as_already_done(tmp_path, monkeypatch):
    """A Dask run started again skipped its finished cases but counted them as ``run by
    another process`` (0 already done, 3 run by another process), as if a second run
    held them: the skip and the busy case came back alike (None) from the task."""
    distributed = pytest.importorskip("distributed")
    from fea.study import run_study

    _stub_children(monkeypatch, tmp_path / "stub")
    spec = load_study(_study(tmp_path, GRID))
    out = tmp_path / "out"
    assert run_study(spec, out=out, progress=False).done == 3
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        report = run_study(spec, out=out, scheduler=cluster.scheduler_address, progress=False)
    assert (report.done, report.skipped, report.busy, report.failed) == (0, 3, 0, 0)


# -- the reflow figure of a sweep over the profile -------------------------------------------------


def test_each_case_is_drawn_along_its_own_reflow_profile(tmp_path):
    """A sweep over the reflow profile (peak 245 or 260 °C) gives each case its own state
    columns (``warpage_signed_um@r03_245C`` / ``@r03_260C``). The figure took the columns
    of the first case for every case: the 260 °C case lost its peak (its heating leg
    stopped at 217 °C, its cooling leg started there), silently. Each case is drawn
    along its own profile."""
    import matplotlib

    matplotlib.use("Agg")
    from fea.study.plots import reflow_figure

    spec = load_study(_study(tmp_path, ""))
    profiles = {"case0000": (25, 150, 217, 245, 217, 25), "case0001": (25, 150, 217, 260, 217, 25)}
    rows = []
    for k, (cid, temps) in enumerate(profiles.items()):
        row = {"case": cid, "status": "ok"}
        for i, T in enumerate(temps):  # warpage = T / 10 (+ 100 for the second case)
            row[f"warpage_signed_um@r{i:02d}_{T}C"] = T / 10 + 100 * k
        rows.append(row)
    fig = reflow_figure(spec, rows)
    drawn = {line.get_label(): line for line in fig.axes[0].get_lines()}
    heat = drawn["case0001 heating"]
    assert list(heat.get_xdata()) == [25, 150, 217, 260]
    assert list(heat.get_ydata()) == pytest.approx([102.5, 115.0, 121.7, 126.0])
    assert list(drawn["case0001 cooling"].get_xdata()) == [260, 217, 25]
    assert list(drawn["case0000 heating"].get_xdata()) == [25, 150, 217, 245]


def test_a_reflow_figure_is_drawn_when_the_first_case_has_no_profile(tmp_path):
    """Explicit cases ``[{}, { "loads.reflow_C" = [...] }]``: the first case (the base,
    without a profile) decided that the study had no reflow figure, and the second
    case's profile was never drawn."""
    from fea.study.plots import study_plots

    spec = load_study(_study(tmp_path, ""))
    temps = (25, 217, 245, 217, 25)
    rows = [
        {"case": "case0000", "status": "ok", "Tj_max_C": 40.0},
        {
            "case": "case0001",
            "status": "ok",
            "Tj_max_C": 41.0,
            **{f"warpage_signed_um@r{i:02d}_{T}C": T / 10 for i, T in enumerate(temps)},
        },
    ]
    written = study_plots(spec, rows, tmp_path / "out")
    assert "warpage_vs_temperature.png" in [p.name for p in written]


def test_a_reflow_figure_of_many_cases_says_which_it_shows(tmp_path):
    """The reflow figure draws at most 12 cases; those past it were left out without a
    word (14 cases, 12 drawn, a title that named none missing). The title says so."""
    import matplotlib

    matplotlib.use("Agg")
    from fea.study.plots import reflow_figure

    spec = load_study(_study(tmp_path, ""))
    temps = (25, 217, 245, 217, 25)
    rows = [
        {
            "case": f"case{k:04d}",
            "status": "ok",
            **{f"warpage_signed_um@r{i:02d}_{T}C": T / 10 + k for i, T in enumerate(temps)},
        }
        for k in range(14)
    ]
    fig = reflow_figure(spec, rows)
    drawn = {line.get_label().split()[0] for line in fig.axes[0].get_lines()}
    assert len(drawn & {r["case"] for r in rows}) == 12
    assert "first 12 of 14 cases" in fig.axes[0].get_title()


def test_heating_curves_past_the_twelfth_case_are_drawn(tmp_path):
    """The heating-curve figure looked for curves in the first 12 cases only: a study
    whose transient cases come later (explicit cases, the steady ones first) had no
    figure at all. The first 12 cases with a curve are drawn, and the title says when
    there are more."""
    from fea.study.plots import zth_plots

    spec = load_study(_study(tmp_path, ""))
    out = tmp_path / "out"
    rows = [{"case": f"case{k:04d}", "status": "ok"} for k in range(15)]
    for k in (12, 13, 14):
        folder = out / f"case{k:04d}"
        folder.mkdir(parents=True)
        (folder / "zth.csv").write_text(
            "time_s,zth_K_per_W\n0,0\n0.01,1.0\n0.1,5.0\n1,9.0\n".replace("9.0", str(9.0 + k))
        )
    written = zth_plots(spec, rows, out)
    assert [p.name for p in written] == ["zth.png"]
    assert _png_title(written[0]) == "study: heating curves"


def test_an_unquoted_dotted_sweep_path_is_explained(tmp_path):
    """``[sweep.parameters]`` with ``geometry.shell_thickness_um = [30.0, 50.0]`` (the
    path not in quotes: TOML reads it as nested tables) was refused as
    ``sweep.parameters.geometry = {...}: a non-empty list of values``, which does not say
    what to change. The error names the whole path and says to quote it."""
    path = _study(tmp_path, "")
    path.write_text(
        path.read_text() + "[sweep.parameters]\ngeometry.shell_thickness_um = [30.0, 50.0]\n"
    )
    with pytest.raises(InputError) as err:
        load_study(path)
    assert err.value.key == "sweep.parameters.geometry.shell_thickness_um"
    assert '"geometry.shell_thickness_um" = [...]' in err.value.allowed


@pytest.mark.parametrize(
    "case",
    ["{ loads.h = 20.0 }", "{ geometry.shell_thickness_um = 40.0 }", '{ "loads" = { h = 20.0 } }'],
)
def test_an_unquoted_dotted_key_in_a_case_does_not_replace_its_section(tmp_path, case):
    """``cases = [{ loads.h = 20.0 }]``: TOML reads the unquoted dotted key as the table
    ``loads = { h = 20.0 }``, which replaced all of ``[loads]``. The case ran without a
    word at the default 1.5 W instead of the study's 0.5 W and at 25 and 260 °C instead of
    25 °C (every other key of [loads] dropped), and the table showed ``param:loads``. A
    case table that would drop keys of the study's section is refused, naming them."""
    sweep = f'[sweep]\nkind = "cases"\ncases = [{{ "loads.h" = 10.0 }}, {case}]\n'
    with pytest.raises(InputError) as err:
        load_study(_study(tmp_path, sweep))
    assert err.value.key in ("sweep.cases[1].loads", "sweep.cases[1].geometry")
    assert "in quotes" in err.value.allowed


def test_a_whole_section_that_drops_nothing_is_still_a_case(tmp_path):
    """A case table of a section the study does not have, or one that keeps every key
    of the study's section, drops nothing: such a case is read as before."""
    sweep = (
        '[sweep]\nkind = "cases"\ncases = [{ "loads" = { power_W = { die = 0.5 }, '
        "warpage_temperatures_C = [25.0], h = 20.0 } }]\n"
    )
    spec = load_study(_study(tmp_path, sweep))
    ((cid, params),) = spec.case_parameters()
    assert spec.case(params).loads.h == 20.0


# -- two runs of one study building its table at once ----------------------------------------------


def test_the_table_built_last_holds_every_finished_case(tmp_path, monkeypatch):
    """Two runs of one study in one folder each build the table when they end. Run A read
    the rows (case0002 not yet finished), run B then finished case0002 and wrote the
    whole table, and A, slower to write (a large study), renamed its older table over
    B's: the table lacked a finished case, with both runs done. The rows are read and the
    table written under one lock, so the table written last is read last."""
    import threading

    import fea.package
    import fea.study.table as table_mod
    from fea.package.spec import apply_overrides
    from fea.study.runner import run_case
    from fea.study.table import build_table, read_table

    def analyse(case, folder, meta=None, context=None):
        return {"Tj_max_C": 25.0 + case.geometry.shell_thickness * 1e6}

    monkeypatch.setattr(fea.package, "analyse", analyse)
    spec = load_study(_study(tmp_path, GRID))
    out = tmp_path / "out"
    cases = spec.case_parameters()

    def run(i: int) -> None:
        cid, params = cases[i]
        run_case(apply_overrides(spec.raw, params), cid, params, str(out / cid), spec.name)

    run(0)
    run(1)
    real = table_mod.table_image
    entered, go = threading.Event(), threading.Event()

    def slow_first(*args, **kwargs):
        if not entered.is_set():  # run A: its rows read, its table not yet written
            entered.set()
            go.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(table_mod, "table_image", slow_first)
    a = threading.Thread(target=build_table, args=(spec, out))
    a.start()
    assert entered.wait(30)
    run(2)  # run B finishes the last case and builds the table
    b = threading.Thread(target=build_table, args=(spec, out))
    b.start()
    b.join(5)  # without the lock B is done by now; with it B waits for A
    go.set()
    a.join(30)
    b.join(30)
    every = ["case0000", "case0001", "case0002"]
    with open(out / "table.csv", newline="") as f:
        assert [r["case"] for r in csv.DictReader(f)] == every
    assert [r["case"] for r in read_table(out / "table.h5", probe=False)] == every


def test_a_refused_bound_is_named_beside_integer_bounds(tmp_path):
    """With the low bounds refused (``loads.h`` = -1), the integer bounds of a count
    stay integers and the error names the refused bound, not the count."""
    sweep = (
        '[sweep]\nkind = "random"\nn = 3\n'
        'parameters = { "geometry.terminals.rows" = [1, 2], "loads.h" = [-1, 50] }\n'
    )
    with pytest.raises(InputError) as err:
        load_study(_study(tmp_path, sweep))
    assert err.value.key.startswith("sweep.parameters.loads.h[0]")


def test_a_sweep_figure_of_many_columns_says_which_it_shows(tmp_path):
    """A sweep figure draws at most 12 columns of an output (regions, states); those past
    it were left out without a word. The title says so."""
    from fea.study.plots import MAX_SERIES, sweep_figure

    spec = load_study(_study(tmp_path, GRID))
    cols = [f"von_mises_max_MPa@{T}C:shell" for T in range(20, 20 + MAX_SERIES + 2)]
    rows = [
        {
            "case": f"case{i:04d}",
            "status": "ok",
            "param:geometry.shell_thickness_um": um,
            **{c: um + j for j, c in enumerate(cols)},
        }
        for i, um in enumerate((30.0, 50.0, 70.0))
    ]
    fig = sweep_figure(spec, rows, "param:geometry.shell_thickness_um", "von_mises_max_MPa", cols)
    assert len(fig.axes[0].get_lines()) == MAX_SERIES
    assert f"first {MAX_SERIES} of {MAX_SERIES + 2} columns" in fig._suptitle.get_text()
