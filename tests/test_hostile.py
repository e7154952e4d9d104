"""Hostile inputs (issue 13): each gives its clear error, never a traceback, a hang, a crash
or a silently wrong answer.

One table of inputs across study files (through ``fea run`` / ``fea mesh``), command-line
arguments, the Python API and results files. A CLI entry must exit with status 2 and
print one line naming the key, without a traceback; an API entry must raise the expected
:class:`~fea.errors.FeaError` naming the argument; a file entry must be a
:class:`~fea.errors.ResultsError` from :func:`fea.read_results` and exit 2 from
``fea info``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

import fea
from fea.cli import main
from fea.errors import FeaError, InputError, ResultsError, SolverError
from fea.io import read_results, read_table, write_results
from fea.io.hdf5 import block_digests
from fea.physics.materials import Material, Table

from .verification.helpers import TWO_LAYER_MATERIALS, two_layer_solved

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"

MATS = TWO_LAYER_MATERIALS
CONV = {"top": (100.0, 25.0)}


@pytest.fixture(scope="module")
def small():
    """A two-layer block, its thermal and mechanical results, and a results file."""
    return two_layer_solved(MATS)


@pytest.fixture(scope="module")
def good_file(small, tmp_path_factory):
    mesh, th, me = small
    path = tmp_path_factory.mktemp("good") / "r.h5"
    meta = {"study": "s", "case": "c", "metrics": {"Tj_max": 422.6, "theta_ja": 12.5}}
    return write_results(path, mesh, thermal=th, mechanical={"25C": me, "260C": me}, meta=meta)


# -- builders -------------------------------------------------------------------------------

BASE_TOML = TINY.read_text().split("[sweep]")[0]  # the tiny study without its sweep


def study(tmp: Path, text: str, *, base: bool = True, name: str = "s.toml") -> Path:
    """A study file: the tiny study's base case with ``text`` appended (TOML)."""
    p = tmp / name
    p.write_text((BASE_TOML + "\n" if base else "") + text)
    return p


def swap(section: str, key: str, value: str) -> Callable[[Path], list[str]]:
    """``fea run`` of the tiny base case with ``[section] key = value`` changed."""

    def build(tmp: Path) -> list[str]:
        lines = BASE_TOML.splitlines()
        out, current, done = [], "", False
        for line in lines:
            s = line.strip()
            if s.startswith("["):
                if current == section and not done:
                    out.append(f"{key} = {value}")
                    done = True
                current = s.strip("[]")
            if current == section and s.split("=")[0].strip() == key:
                continue
            out.append(line)
        if not done:
            if current != section:
                out.append(f"[{section}]")
            out.append(f"{key} = {value}")
        p = tmp / "s.toml"
        p.write_text("\n".join(out) + "\n")
        return ["run", str(p), "--out", str(tmp / "out")]

    return build


def run_text(text: str, *, base: bool = True) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        return ["run", str(study(tmp, text, base=base)), "--out", str(tmp / "out")]

    return build


def raw_file(data: bytes) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        p = tmp / "s.toml"
        p.write_bytes(data)
        return ["run", str(p), "--out", str(tmp / "out")]

    return build


def special(kind: str) -> Callable[[Path], list[str]]:
    """``fea run`` of a study path that is a FIFO, a folder or a symlink loop."""

    def build(tmp: Path) -> list[str]:
        p = tmp / "s.toml"
        if kind == "fifo":
            os.mkfifo(p)
        elif kind == "folder":
            p.mkdir()
        else:
            os.symlink(tmp / "b.toml", p)
            os.symlink(p, tmp / "b.toml")
        return ["run", str(p), "--out", str(tmp / "out")]

    return build


def with_tiny(*args: str) -> Callable[[Path], list[str]]:
    """A command on the tiny study; ``{tmp}`` in an argument is the test's folder."""

    def build(tmp: Path) -> list[str]:
        return [a.replace("{tiny}", str(TINY)).replace("{tmp}", str(tmp)) for a in args]

    return build


def gpu_study(*args: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        p = study(tmp, "", name="g.toml")
        p.write_text(p.read_text().replace('backend = "cpu"', 'backend = "gpu"'))
        return [a.replace("{study}", str(p)).replace("{tmp}", str(tmp)) for a in args]

    return build


def deep_arrays(tmp: Path) -> list[str]:
    p = tmp / "s.toml"
    p.write_text("[study]\nname = 'x'\n[geometry]\ncavity_mm = " + "[" * 5000 + "]" * 5000 + "\n")
    return ["run", str(p), "--out", str(tmp / "out")]


def deep_tables(tmp: Path) -> list[str]:
    p = tmp / "s.toml"
    p.write_text("[" + ".".join(["a"] * 5000) + "]\nx = 1\n")
    return ["run", str(p), "--out", str(tmp / "out")]


# -- files: a good results file changed in one way --------------------------------------------


def reseal(f: h5py.File) -> None:
    """Store the checksums of the file as it is now (a forged or buggy writer), so the
    reader's structural checks, not the checksum, have to find the fault."""
    f.attrs["sha256"] = __import__("json").dumps(block_digests(f), sort_keys=True)


def mutate(change: Callable[[h5py.File], Any], *, sealed: bool = True):
    def build(tmp: Path, good: Path) -> Path:
        p = tmp / "bad.h5"
        p.write_bytes(good.read_bytes())
        with h5py.File(p, "r+") as f:
            change(f)
            if sealed:
                reseal(f)
        return p

    return build


def replace_ds(name: str, data: Any = None, **kw: Any) -> Callable[[h5py.File], None]:
    def change(f: h5py.File) -> None:
        attrs = dict(f[name].attrs)
        del f[name]
        ds = f.create_dataset(name, data=data, **kw)
        for k, v in attrs.items():
            ds.attrs[k] = v

    return change


def flip_metric_bit(tmp: Path, good: Path) -> Path:
    """Flip one bit of the stored value of the Tj_max attribute (422.6)."""
    data = bytearray(good.read_bytes())
    at = data.find(np.float64(422.6).tobytes())
    assert at > 0 and data.find(np.float64(422.6).tobytes(), at + 1) < 0
    data[at + 6] ^= 0x10
    p = tmp / "flipped.h5"
    p.write_bytes(bytes(data))
    return p


def special_file(kind: str) -> Callable[[Path, Path], Path]:
    def build(tmp: Path, good: Path) -> Path:
        p = tmp / "r.h5"
        if kind == "fifo":
            os.mkfifo(p)
        elif kind == "folder":
            p.mkdir()
        elif kind == "loop":
            os.symlink(tmp / "q.h5", p)
            os.symlink(p, tmp / "q.h5")
        return p

    return build


def bad_table(tmp: Path, good: Path) -> Path:
    p = tmp / "table.h5"
    with h5py.File(p, "w") as f:
        f.attrs["schema"] = "fea-table/1"
        f.attrs["columns"] = '["case", "x"]'
        f.create_group("table")
        f["table/case"] = np.array([b"a", b"b"])
        f["table/case"].attrs["column"] = "case"
    return p


# -- the API ------------------------------------------------------------------------------------


def th_call(**kw: Any) -> Callable[[Any], Any]:
    def call(small: Any) -> Any:
        mesh = small[0]
        args = {"materials": MATS, "convection": CONV, "backend": "cpu", **kw}
        return fea.solve_thermal(mesh, **args)

    return call


def me_call(*args: Any, **kw: Any) -> Callable[[Any], Any]:
    def call(small: Any) -> Any:
        mesh, th, _ = small
        a = [th if x == "TH" else x for x in args]
        return fea.solve_thermoelastic(mesh, *a, **{"backend": "cpu", **kw})

    return call


def material(**kw: Any) -> Callable[[Any], Any]:
    def call(small: Any) -> Any:
        return Material("x", **{"E": 1e9, "nu": 0.3, "alpha": 1e-6, "k": 1.0, **kw})

    return call


# -- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    id: str
    kind: str  # "cli" | "api" | "file" | "table"
    build: Callable
    expect: str
    error: type = FeaError


LIB = "[materials.library.x]\nE_GPa = 1.0\nnu = 0.3\nk = 1.0\n"
PANEL = (
    '[study]\nkind = "panel"\n[geometry]\ncavity_mm = [3.0, 3.0]\n'
    '[geometry.die]\nsize_mm = [1.5, 1.5]\n[geometry.terminals]\nkind = "none"\n'
    "[geometry.panel]\npitch_mm = 5.0\n"
)

HOSTILE = [
    # study files: security
    Hostile("name-newline", "cli", swap("study", "name", '"x\\ntouch /tmp/x"'), "study.name"),
    Hostile(
        "name-sbatch", "cli", swap("study", "name", '"x\\n#SBATCH --array=0-99"'), "study.name"
    ),
    Hostile("name-dotdot", "cli", swap("study", "name", '"../../../escape"'), "study.name"),
    Hostile("name-absolute", "cli", swap("study", "name", '"/abs"'), "study.name"),
    Hostile("name-empty", "cli", swap("study", "name", '""'), "study.name"),
    Hostile("name-dot", "cli", swap("study", "name", '"."'), "study.name"),
    Hostile("name-5000", "cli", swap("study", "name", '"' + "n" * 5000 + '"'), "study.name"),
    Hostile("name-nul", "cli", swap("study", "name", '"a\\u0000b"'), "study.name"),
    Hostile("name-number", "cli", swap("study", "name", "5"), "study.name"),
    Hostile("name-dollar", "cli", swap("study", "name", '"$(id)"'), "study.name"),
    # labels that reach columns, CSV headers and state names; files a study points to
    Hostile(
        "probe-name-comma",
        "cli",
        run_text('[transient]\nprobes_mm = { "a,b" = [0.0, 0.0, 0.0] }'),
        "transient.probes_mm.a,b",
    ),
    Hostile(
        "stage-name-column-syntax",
        "cli",
        run_text(
            '[process]\n[[process.stages]]\nname = "x@25C:die"\n'
            "duration_s = 0.0\ntemperature_C = 25.0"
        ),
        "process.stages[0].name",
    ),
    Hostile(
        "stage-name-reflow-label",
        "cli",
        run_text(
            '[process]\n[[process.stages]]\nname = "r01_260C"\n'
            "duration_s = 0.0\ntemperature_C = 25.0"
        ),
        "process.stages[0].name",
    ),
    Hostile(
        "power-map-csv-device",
        "cli",
        run_text('[loads.power_map]\ncsv = "/dev/zero"\nallow_outside = true'),
        "a device, not a regular file",
    ),
    Hostile(
        "power-map-csv-outside-folder",
        "cli",
        run_text('[loads.power_map]\ncsv = "/etc/passwd"'),
        "allow_outside = true",
    ),
    Hostile(
        "power-map-csv-missing",
        "cli",
        run_text('[loads.power_map]\ncsv = "no_such_map.csv"'),
        "loads.power_map.csv",
    ),
    # study files: structure
    Hostile("deep-arrays", "cli", deep_arrays, "nested at most"),
    Hostile("deep-tables", "cli", deep_tables, "nested at most"),
    Hostile("not-utf8", "cli", raw_file(b"[study]\nname = '\xff\xfe'\n"), "UTF-8"),
    Hostile("study-fifo", "cli", special("fifo"), "FIFO"),
    Hostile("study-folder", "cli", special("folder"), "folder"),
    Hostile("study-link-loop", "cli", special("loop"), "symbolic link loop"),
    # study files: sweeps
    Hostile(
        "sweep-through-array",
        "cli",
        run_text('[sweep]\nparameters = { "geometry.cavity_mm.x" = [1.0] }'),
        "geometry.cavity_mm.x",
    ),
    Hostile(
        "sweep-through-int",
        "cli",
        run_text('[sweep]\nparameters = { "mesh.order.x" = [1] }'),
        "mesh.order.x",
    ),
    Hostile(
        "sweep-through-index",
        "cli",
        run_text('[sweep]\nparameters = { "geometry.die.size_mm.0" = [1.0] }'),
        "geometry.die.size_mm.0",
    ),
    Hostile(
        "random-huge-bounds",
        "cli",
        run_text(
            '[sweep]\nkind = "random"\nn = 3\n'
            'parameters = { "geometry.shell_thickness_um" = [-1e308, 1e308] }'
        ),
        "finite width",
    ),
    Hostile(
        "random-nan-bound",
        "cli",
        run_text(
            '[sweep]\nkind = "random"\nn = 3\n'
            'parameters = { "geometry.shell_thickness_um" = [nan, 50.0] }'
        ),
        "sweep.parameters.geometry.shell_thickness_um",
    ),
    Hostile(
        "random-inf-bound",
        "cli",
        run_text(
            '[sweep]\nkind = "random"\nn = 3\n'
            'parameters = { "geometry.shell_thickness_um" = [20.0, inf] }'
        ),
        "finite numbers",
    ),
    Hostile(
        "grid-1e10-cases",
        "cli",
        run_text(
            "[sweep]\nparameters = { "
            + ", ".join(f'"loads.h_boundaries.b{i}" = {list(range(10))}' for i in range(10))
            + " }"
        ),
        "10,000,000,000 cases",
    ),
    Hostile(
        "random-n-huge",
        "cli",
        run_text('[sweep]\nkind = "random"\nn = 1000000\nparameters = { "loads.h" = [1.0, 2.0] }'),
        "sweep.n",
    ),
    Hostile(
        "grid-bad-value",
        "cli",
        run_text('[sweep]\nparameters = { "loads.h" = [10.0, -1.0] }'),
        "sweep.parameters.loads.h[1]",
    ),
    # study files: numbers that overflowed or made no sense
    Hostile("frequency-1e308", "cli", swap("geometry", "frequency_GHz", "1e308"), "frequency_GHz"),
    Hostile("power-1e308", "cli", swap("loads", "power_W", "{ die = 1e308 }"), "power_W.die"),
    Hostile("h-1e308", "cli", swap("loads", "h", "1e308"), "loads.h"),
    Hostile(
        "h-boundary-1e308",
        "cli",
        swap("loads", "h_boundaries", "{ top = 1e308 }"),
        "loads.h_boundaries.top",
    ),
    Hostile("ambient-1e300", "cli", swap("loads", "ambient_C", "1e300"), "loads.ambient_C"),
    Hostile("ambient-below-0K", "cli", swap("loads", "ambient_C", "-300.0"), "loads.ambient_C"),
    Hostile("length-1e308", "cli", swap("geometry", "cavity_depth_mm", "1e308"), "cavity_depth"),
    Hostile("Tg-below-0K", "cli", run_text(LIB + "alpha_ppm = 10\nTg_C = -5000\n"), "Tg_C"),
    Hostile(
        "cte-table-below-0K",
        "cli",
        run_text(LIB + "alpha_ppm = { T_C = [-5000.0, 25.0], values = [10.0, 10.0] }\n"),
        "alpha_ppm.T_C[0]",
    ),
    Hostile(
        "cte-reference-below-0K",
        "cli",
        run_text(LIB + "alpha_ppm = 10\nalpha_ref_C = -5000\n"),
        "alpha_ref_C",
    ),
    Hostile(
        "E-1e308",
        "cli",
        run_text(LIB.replace("E_GPa = 1.0", "E_MPa = 1e308") + "alpha_ppm = 10\n"),
        "E_MPa",
    ),
    Hostile(
        "fixed-below-0K",
        "cli",
        swap("loads", "fixed_C", "{ board_bottom = -300.0 }"),
        "loads.fixed_C.board_bottom",
    ),
    Hostile(
        "reference-below-0K",
        "cli",
        swap("loads", "reference_C", '{ "*" = -1000.0 }'),
        "loads.reference_C.*",
    ),
    Hostile(
        "warpage-below-0K",
        "cli",
        swap("loads", "warpage_temperatures_C", "[-500.0]"),
        "warpage_temperatures_C[0]",
    ),
    Hostile("reflow-1e300", "cli", swap("loads", "reflow_C", "[25.0, 1e300]"), "reflow_C[1]"),
    Hostile(
        "warpage-twice", "cli", swap("loads", "warpage_temperatures_C", "[25.0, 25.0]"), "distinct"
    ),
    Hostile(
        "panel-no-warpage",
        "cli",
        run_text(PANEL + "[loads]\nwarpage_temperatures_C = []\n", base=False),
        "warpage_temperatures_C",
    ),
    # study files: names checked against the model before meshing
    Hostile(
        "h-unknown-boundary",
        "cli",
        swap("loads", "h_boundaries", "{ sky = 5.0 }"),
        "loads.h_boundaries.sky",
    ),
    Hostile(
        "fixed-no-board",
        "cli",
        run_text("[loads]\nfixed_C = { board_bottom = 25.0 }\n", base=False),
        "loads.fixed_C.board_bottom",
    ),
    Hostile(
        "power-no-board",
        "cli",
        run_text("[loads]\npower_W = { board = 1.0 }\n", base=False),
        "loads.power_W.board",
    ),
    Hostile("power-star", "cli", swap("loads", "power_W", '{ "*" = 1.0 }'), "loads.power_W.*"),
    # study files: the size guard (16 GiB machine)
    Hostile("size-0.001mm", "cli", swap("mesh", "size_mm", "0.001"), "mesh.size_mm"),
    Hostile(
        "terminals-200x200",
        "cli",
        run_text(
            "[geometry.terminals]\nrows = 200\ncols = 200\npitch_mm = 0.012\n"
            "diameter_mm = 0.008\nstandoff_mm = 0.006\n",
            base=False,
        ),
        "geometry.terminals.rows",
    ),
    Hostile(
        "panel-50x50",
        "cli",
        run_text(PANEL.replace("pitch_mm = 5.0", "pitch_mm = 5.0\nnx = 50\nny = 50"), base=False),
        "geometry.panel.nx",
    ),
    Hostile("film-0.1um", "cli", swap("mesh", "film_size_mm", "0.0001"), "mesh.film_size_mm"),
    # command-line arguments
    Hostile(
        "out-under-dev-null",
        "cli",
        with_tiny("run", "{tiny}", "--out", "/dev/null/x"),
        "/dev/null/x",
    ),
    Hostile("out-empty", "cli", with_tiny("run", "{tiny}", "--out", ""), "--out"),
    Hostile("workers-0", "cli", with_tiny("run", "{tiny}", "--workers", "0"), "--workers"),
    Hostile("slice-5-of-2", "cli", with_tiny("run", "{tiny}", "--slice", "5/2"), "--slice"),
    Hostile("account-no-cluster", "cli", with_tiny("run", "{tiny}", "--account", "x"), "--account"),
    Hostile(
        "cluster-qos-injection",
        "cli",
        with_tiny("run", "{tiny}", "--cluster", "slurm", "--qos", "a;touch x"),
        "--qos",
    ),
    Hostile(
        "cluster-gpus-cpu-study",
        "cli",
        with_tiny("run", "{tiny}", "--cluster", "slurm", "--gpus-per-task", "1"),
        "--gpus-per-task",
    ),
    Hostile(
        "pbs-constraint",
        "cli",
        with_tiny("run", "{tiny}", "--cluster", "pbs", "--constraint", "a100"),
        "--constraint",
    ),
    Hostile(
        "vtu-missing-folder",
        "cli",
        with_tiny("info", "{tmp}/r.h5", "--vtu", "/nonexistent/x.vtu"),
        "--vtu",
    ),
    Hostile("info-missing", "cli", with_tiny("info", "{tmp}/missing.h5"), "no such file"),
    Hostile(
        "mesh-unknown-case", "cli", with_tiny("mesh", "{tiny}", "--case", "case9999"), "--case"
    ),
    Hostile(
        "mesh-output-missing-folder",
        "cli",
        with_tiny("mesh", "{tiny}", "-o", "/nonexistent/dir/m.msh"),
        "--output",
    ),
    Hostile(
        "slurm-time-newline",
        "cli",
        with_tiny(
            "study", "slurm", "{tiny}", "--out", "{tmp}/o", "--time", "01:00:00\ntouch /tmp/x"
        ),
        "--time",
    ),
    Hostile(
        "slurm-mem-directive",
        "cli",
        with_tiny(
            "study", "slurm", "{tiny}", "--out", "{tmp}/o", "--mem", "8G\n#SBATCH --array=0-99"
        ),
        "--mem",
    ),
    Hostile(
        "slurm-partition-blank",
        "cli",
        with_tiny("study", "slurm", "{tiny}", "--out", "{tmp}/o", "--partition", "a b"),
        "--partition",
    ),
    Hostile(
        "slurm-account-subshell",
        "cli",
        with_tiny("study", "slurm", "{tiny}", "--out", "{tmp}/o", "--account", "$(id)"),
        "--account",
    ),
    Hostile(
        "slurm-qos-newline",
        "cli",
        with_tiny("study", "slurm", "{tiny}", "--out", "{tmp}/o", "--qos", "x\ny"),
        "--qos",
    ),
    Hostile(
        "slurm-constraint-semicolon",
        "cli",
        with_tiny("study", "slurm", "{tiny}", "--out", "{tmp}/o", "--constraint", "a100;rm -rf ~"),
        "--constraint",
    ),
    Hostile(
        "slurm-gpus-newline",
        "cli",
        gpu_study("study", "slurm", "{study}", "--out", "{tmp}/o", "--gpus-per-task", "1\n"),
        "--gpus-per-task",
    ),
    Hostile(
        "slurm-gpus-cpu-study",
        "cli",
        with_tiny("study", "slurm", "{tiny}", "--out", "{tmp}/o", "--gpus-per-task", "1"),
        "--gpus-per-task",
    ),
    Hostile(
        "slurm-tasks-0",
        "cli",
        with_tiny("study", "slurm", "{tiny}", "--out", "{tmp}/o", "--tasks", "0"),
        "--tasks",
    ),
    Hostile(
        "slurm-out-newline",
        "cli",
        with_tiny("study", "slurm", "{tiny}", "--out", "{tmp}/o\n#SBATCH x"),
        "--out",
    ),
    Hostile(
        "slurm-out-blank",
        "cli",
        with_tiny("study", "slurm", "{tiny}", "--out", "{tmp}/o p"),
        "--out",
    ),
    Hostile(
        "merge-missing-folder",
        "cli",
        with_tiny("study", "merge", "{tiny}", "--out", "{tmp}/nothing"),
        "--out",
    ),
    # the Python API
    Hostile("api-source-nan", "api", th_call(sources={"base": math.nan}), "sources.base"),
    Hostile("api-source-none", "api", th_call(sources={"base": None}), "sources.base"),
    Hostile("api-source-complex", "api", th_call(sources={"base": 1 + 2j}), "sources.base"),
    Hostile("api-source-1e308", "api", th_call(sources={"base": 1e308}), "sources.base"),
    Hostile("api-h-nan", "api", th_call(convection={"top": (math.nan, 25.0)}), "convection.top.h"),
    Hostile("api-h-none", "api", th_call(convection={"top": (None, 25.0)}), "convection.top.h"),
    Hostile(
        "api-h-1e308", "api", th_call(convection={"top": (1e308, 25.0)}), "not finite", SolverError
    ),
    Hostile(
        "api-convection-1-tuple", "api", th_call(convection={"top": (10.0,)}), "convection.top"
    ),
    Hostile("api-convection-tuple", "api", th_call(convection=(10.0,)), "convection"),
    Hostile(
        "api-convection-typo", "api", th_call(convection={"topp": (10.0, 25.0)}), "convection.topp"
    ),
    Hostile(
        "api-T-inf-below-0K",
        "api",
        th_call(convection={"top": (10.0, -300.0)}),
        "convection.top.T_inf",
    ),
    Hostile("api-fixed-nan", "api", th_call(fixed={"bottom": math.nan}), "fixed.bottom"),
    Hostile("api-fixed-complex", "api", th_call(fixed={"bottom": np.complex64(1)}), "fixed.bottom"),
    Hostile("api-fixed-below-0K", "api", th_call(fixed={"bottom": -300.0}), "fixed.bottom"),
    Hostile("api-materials-list", "api", th_call(materials=[MATS["base"]]), "materials"),
    Hostile(
        "api-materials-typo",
        "api",
        th_call(materials={"dye": MATS["base"], "*": MATS["mold"]}),
        "materials.dye",
    ),
    Hostile("api-material-unknown-name", "api", th_call(materials={"*": "coper"}), "coper"),
    Hostile("api-sources-list", "api", th_call(sources=[1.0]), "sources"),
    Hostile("api-rtol-0", "api", th_call(rtol=0.0), "rtol"),
    Hostile("api-rtol-negative", "api", th_call(rtol=-1.0), "rtol"),
    Hostile(
        "api-initial-nan",
        "api",
        th_call(transient=fea.Transient(1.0, 0.5, initial=math.nan)),
        "transient.initial",
    ),
    Hostile("api-temperature-result", "api", me_call(MATS, "TH"), "temperature"),
    Hostile("api-temperature-nan", "api", me_call(MATS, math.nan), "temperature"),
    Hostile("api-temperature-none", "api", me_call(MATS, None), "temperature"),
    Hostile("api-temperature-complex", "api", me_call(MATS, 1j), "temperature"),
    Hostile("api-temperature-below-0K", "api", me_call(MATS, -300.0), "temperature"),
    Hostile("api-reference-nan", "api", me_call(MATS, 25.0, math.nan), "reference"),
    Hostile("api-reference-complex", "api", me_call(MATS, 25.0, np.complex128(1)), "reference"),
    Hostile("api-reference-below-0K", "api", me_call(MATS, 25.0, -300.0), "reference"),
    Hostile(
        "api-reference-typo", "api", me_call(MATS, 25.0, {"dye": 25.0, "*": 25.0}), "reference.dye"
    ),
    Hostile(
        "api-displacement-nan",
        "api",
        me_call(MATS, 25.0, 25.0, {"bottom": {"z": math.nan}}),
        "fixed.bottom.z",
    ),
    Hostile(
        "api-displacement-complex",
        "api",
        me_call(MATS, 25.0, 25.0, {"bottom": {"z": np.complex128(0)}}),
        "fixed.bottom.z",
    ),
    Hostile(
        "api-displacement-1e308",
        "api",
        me_call(MATS, 25.0, 25.0, {"bottom": {"z": 1e308}}),
        "fixed",
    ),
    Hostile("api-fixed-list", "api", me_call(MATS, 25.0, 25.0, [("bottom", 0.0)]), "fixed"),
    Hostile("api-shrinkage-typo", "api", me_call(MATS, 25.0, shrinkage=["dye"]), "shrinkage"),
    Hostile(
        "api-mech-materials-typo",
        "api",
        me_call({"dye": MATS["base"], "*": MATS["mold"]}, 25.0),
        "materials.dye",
    ),
    Hostile("api-mech-rtol-0", "api", me_call(MATS, 25.0, rtol=0), "rtol"),
    Hostile("api-Tg-below-0K", "api", material(Tg=-5000.0), "materials.x.Tg"),
    Hostile(
        "api-table-below-0K", "api", lambda small: Table((-5000.0, 25.0), (1e9, 1e9)), "table.T"
    ),
    Hostile(
        "api-cte-reference-below-0K", "api", material(alpha_ref=-5000.0), "materials.x.alpha_ref"
    ),
    Hostile("api-nu-none", "api", material(nu=None), "materials.x.nu"),
    Hostile("api-k-text", "api", material(k="1"), "materials.x.k"),
    Hostile("api-rho-none", "api", material(rho=None), "materials.x.rho"),
    # results files
    Hostile(
        "file-solver-float",
        "file",
        mutate(lambda f: f["solver"].attrs.__setitem__("backend", 1.5)),
        "/solver/backend",
        ResultsError,
    ),
    Hostile(
        "file-inputs-number", "file", mutate(replace_ds("inputs", 3.0)), "/inputs", ResultsError
    ),
    Hostile(
        "file-inputs-not-utf8",
        "file",
        mutate(replace_ds("inputs", b"\xff\xfe", dtype=h5py.string_dtype("ascii"))),
        "/inputs",
        ResultsError,
    ),
    Hostile(
        "file-external-storage",
        "file",
        mutate(
            replace_ds(
                "mesh/nodes",
                shape=(4, 3),
                dtype="f8",
                external=[("/etc/hostname", 0, h5py.h5f.UNLIMITED)],
            ),
            sealed=False,
        ),
        "external storage",
        ResultsError,
    ),
    Hostile(
        "file-declared-1e11",
        "file",
        mutate(replace_ds("mechanical/displacement", shape=(10**11, 3), dtype="f8"), sealed=False),
        "declares shape",
        ResultsError,
    ),
    Hostile(
        "file-region-id-range",
        "file",
        mutate(lambda f: f["mesh/region_id"].__setitem__(0, 99)),
        "region ids",
        ResultsError,
    ),
    Hostile(
        "file-region-names-object",
        "file",
        mutate(lambda f: f["mesh/region_id"].attrs.__setitem__("region_names", '{"a": 1}')),
        "region_names",
        ResultsError,
    ),
    Hostile(
        "file-zero-size-field",
        "file",
        mutate(replace_ds("thermal/temperature", np.zeros(0))),
        "empty",
        ResultsError,
    ),
    Hostile(
        "file-node-id-range",
        "file",
        mutate(lambda f: f["mesh/tets"].__setitem__((0, 0), 10**6)),
        "node ids",
        ResultsError,
    ),
    Hostile(
        "file-field-length",
        "file",
        mutate(replace_ds("thermal/temperature", np.zeros(7))),
        "shape",
        ResultsError,
    ),
    Hostile(
        "file-metric-array",
        "file",
        mutate(lambda f: f["metrics"].attrs.__setitem__("Tj_max", np.arange(3.0))),
        "metric",
        ResultsError,
    ),
    Hostile(
        "file-soft-link",
        "file",
        mutate(
            lambda f: f["mesh"].__setitem__("alias", h5py.SoftLink("/mesh/nodes")), sealed=False
        ),
        "soft link",
        ResultsError,
    ),
    Hostile(
        "file-external-link",
        "file",
        mutate(
            lambda f: f.__setitem__("ext", h5py.ExternalLink("/etc/other.h5", "/x")), sealed=False
        ),
        "external link",
        ResultsError,
    ),
    Hostile(
        "file-missing-mesh", "file", mutate(lambda f: f.__delitem__("mesh")), "/mesh", ResultsError
    ),
    Hostile(
        "file-checksum-garbage",
        "file",
        mutate(lambda f: f.attrs.__setitem__("sha256", "not json"), sealed=False),
        "checksum",
        ResultsError,
    ),
    Hostile(
        "file-metric-bit-flip",
        "file",
        flip_metric_bit,
        "checksum mismatch in block /metrics",
        ResultsError,
    ),
    Hostile(
        "file-attribute-changed",
        "file",
        mutate(lambda f: f["metrics"].attrs.__setitem__("theta_ja", 1.0), sealed=False),
        "block /metrics",
        ResultsError,
    ),
    Hostile("file-fifo", "file", special_file("fifo"), "FIFO", ResultsError),
    Hostile("file-folder", "file", special_file("folder"), "folder", ResultsError),
    Hostile("file-link-loop", "file", special_file("loop"), "symbolic link loop", ResultsError),
    Hostile("table-columns", "table", bad_table, "columns", ResultsError),
]


@pytest.mark.parametrize("h", HOSTILE, ids=[h.id for h in HOSTILE])
def test_hostile_input(h, tmp_path, small, good_file, capsys, monkeypatch):
    monkeypatch.setenv("FEA_MEMORY_GB", "16")  # the size guard as on a 16 GiB machine
    if h.kind == "cli":
        argv = h.build(tmp_path)
        if argv[0] == "info":
            (tmp_path / "r.h5").write_bytes(good_file.read_bytes())
        assert main(argv) == 2, h.id
        captured = capsys.readouterr()
        err = captured.err.strip()
        assert "Traceback" not in captured.err and "Traceback" not in captured.out
        assert len(err.splitlines()) == 1, err  # one line
        assert err.startswith(f"fea {argv[0]}: error: "), err
        assert h.expect in err, err
        assert len(err) < 1200, f"{len(err)} characters"
        assert not (tmp_path / "out").exists()  # nothing written
    elif h.kind == "api":
        with pytest.raises(h.error) as info:
            h.build(small)
        assert h.expect in str(info.value), str(info.value)
        if h.error is FeaError:
            assert isinstance(info.value, InputError), type(info.value)
    elif h.kind == "file":
        path = h.build(tmp_path, good_file)
        with pytest.raises(ResultsError) as info:
            read_results(path)
        assert h.expect in str(info.value), str(info.value)
        assert main(["info", str(path)]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    else:
        path = h.build(tmp_path, good_file)
        with pytest.raises(h.error, match=h.expect):
            read_table(path)


def test_enough_distinct_hostile_inputs():
    from collections import Counter

    assert len({h.id for h in HOSTILE}) == len(HOSTILE) == 144
    assert Counter(h.kind for h in HOSTILE) == {"cli": 80, "api": 43, "file": 20, "table": 1}


def test_good_file_reads(good_file):
    """The untouched file reads (the table's failures come from the changes alone)."""
    r = read_results(good_file)
    assert r.metrics["Tj_max"] == 422.6 and "sha256" not in r.attrs
