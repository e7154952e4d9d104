"""docs/outputs.md and the other documents name what the code writes and reads.

The table's metrics (:data:`fea.package.names.METRICS`) and unit suffixes
(:data:`~fea.package.names.UNITS`), the results file's field units
(:data:`fea.io.results_format.FIELD_UNITS`) and groups are all named in docs/outputs.md;
every metric a shipped study's table has (tests/data/pinned_studies.json, and the timings
that are never pinned) has a description; every study-file key the documents name in
backticks (``mesh.size_mm``, ``[outputs] metrics``) is a key of the schema. No numbers:
the documents' measured values are checked where they are measured.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
import tomllib
import warnings
from pathlib import Path

import h5py
import pytest

import fea
from fea.io.results_format import FIELD_UNITS
from fea.package.names import METRICS, PACKAGE_REGIONS, UNITS, Column
from fea.package.spec.reference import collect_keys as schema_keys
from tests.study.test_studies import UNPINNED

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = (ROOT / "docs/outputs.md").read_text(encoding="utf-8")
DOCS = ["README.md"] + sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md") if p.name != "spec.md"
)
#: Zth at a decade of the output range: one column per decade (zth_1us ... zth_10000s)
ZTH_DECADE = re.compile(r"zth_[0-9]+(us|ms|s)_K_per_W")
#: Metrics written by a case but never pinned (wall-clock times, the solver's own checks)
TIMINGS = UNPINNED


def backticked(text: str) -> set[str]:
    """Every `code span` of ``text``."""
    return set(re.findall(r"`([^`\n]+)`", text))


def test_every_metric_is_in_outputs_md() -> None:
    named = {Column.parse(span).metric for span in backticked(OUTPUTS)}
    missing = [m for m in METRICS if m not in named]
    assert not missing, f"docs/outputs.md does not name the metrics {missing}"


def test_every_unit_suffix_is_in_the_units_table() -> None:
    rows = [line for line in OUTPUTS.splitlines() if line.startswith("| `_")]
    in_table = {s for line in rows for s in re.findall(r"`(_\w+)`", line)}
    assert set(UNITS) <= in_table, f"unit suffixes not in the table: {set(UNITS) - in_table}"
    for suffix, unit in UNITS.items():
        line = next(r for r in rows if f"`{suffix}`" in r)
        cells = [c.strip() for c in line.strip("|").split("|")]
        printed = next(cells[i + 1] for i, c in enumerate(cells) if f"`{suffix}`" in c)
        if unit == "1":
            assert "pure number" in printed, (suffix, line)
        elif unit == "0/1":
            assert printed == "0 or 1", (suffix, line)
        else:
            assert unit in printed.split(", ") or printed.startswith(f"{unit} ("), (suffix, line)


def test_every_column_of_a_study_has_a_description() -> None:
    pins = json.loads((ROOT / "tests/data/pinned_studies.json").read_text())
    metrics = {
        Column.parse(k).metric
        for cases in pins.values()
        for case in (cases.values() if isinstance(cases, dict) else cases)
        for k in case
        if not k.startswith("param:")
    } | set(TIMINGS)
    metrics -= {"status"}  # the table's own column (docs/outputs.md, before the metrics)
    undescribed = sorted(m for m in metrics if m not in METRICS and not ZTH_DECADE.fullmatch(m))
    assert not undescribed, f"table columns without a description in METRICS: {undescribed}"
    assert {"`case`", "`status`", "`error`"} <= {f"`{n}`" for n in backticked(OUTPUTS)}
    assert "param:<key>" in backticked(OUTPUTS)


def test_every_field_unit_is_in_outputs_md() -> None:
    rows = {}
    for line in OUTPUTS.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            for name in re.findall(r"`(\w+)`", cells[0]):
                rows[name] = cells[1]
    for name, unit in FIELD_UNITS.items():
        assert rows.get(name) == unit, (name, unit, rows.get(name))


def test_every_group_and_dataset_of_a_results_file_is_in_outputs_md(tmp_path) -> None:
    from tests.verification.helpers import layered_box

    mesh = layered_box((2e-3, 2e-3), [("die", 0.2e-3, 1), ("encapsulant", 0.3e-3, 1)], 1e-3, 1)
    materials = {"die": fea.materials.get("silicon"), "*": fea.materials.get("mold_compound")}
    th = fea.solve_thermal(
        mesh, materials, sources={"die": 0.1}, fixed={"die|encapsulant": 25.0}, backend="cpu"
    )
    states = {
        f"{T:g}C": fea.solve_thermoelastic(mesh, materials, T, 175.0, backend="cpu")
        for T in (25.0, 260.0)
    }
    path = fea.write_results(
        tmp_path / "r.h5",
        mesh,
        thermal=th,
        mechanical=states,
        meta={"metrics": {"Tj_max_C": 30.0}, "state_values": [25.0, 260.0], "state_unit": "degC"},
    )
    documented = {n.split(" ")[0] for n in backticked(OUTPUTS) if n.startswith("/")}
    found = []
    with h5py.File(path, "r") as f:
        f.visit(found.append)
    for name in found:
        parts = name.split("/")
        group = f"/{parts[0]}"
        assert group in documented or any(d.startswith(group + "/") for d in documented), name
        if parts[0] in ("mesh", "thermal", "moisture") and len(parts) == 2:
            assert (
                f"/{name}" in documented
                or parts[1] in FIELD_UNITS
                or any(d.startswith(f"/{name}/") for d in documented)
            ), name
        if parts[0] == "mechanical" and len(parts) == 2:
            assert f"/{name}" in documented or parts[1] in FIELD_UNITS or (
                f"`/{parts[0]}/labels`, `/{parts[1]}`" in OUTPUTS
            ), name


# -- study-file keys named in the documents ---------------------------------------------

FILE_ENDINGS = (".py", ".json", ".toml", ".md", ".msh", ".h5", ".csv", ".png", ".xdmf")


def _is_python_name(dotted: str) -> bool:
    """``dotted`` names a module or attribute under fea.package, fea.physics or fea.fe
    (docs/architecture.md names code: ``cycling.full_centres``), or an attribute of
    :class:`fea.Mesh` (``mesh.info``)."""
    head, *rest = dotted.split(".")
    if head == "mesh" and len(rest) == 1 and (
        hasattr(fea.Mesh, rest[0]) or rest[0] in fea.Mesh.__annotations__
    ):
        return True
    for package in ("fea.package", "fea.physics", "fea.fe", "fea"):
        parts = [head, *rest]
        for n in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join([package, *parts[:n]]))
            except ImportError:
                continue
            try:
                for attr in parts[n:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                break
            return True
    return False


@functools.cache
def keys() -> dict:
    """The schema's keys (:func:`fea.package.spec.reference.collect_keys`), read once."""
    return schema_keys()


def _is_key(dotted: str) -> bool:
    """``dotted`` is a key of the schema or a table of keys; a ``<...>`` in it stands for a
    name where the key has one (``geometry.openings.sides.<side>``), a region
    (``materials.<region>``: ``materials.shell``) or, as ``<key>``, any key; ``*`` for
    anything (``loads.*``); an entry of a key whose value is a table
    (``loads.power_W.die``) is one too."""
    records = keys()
    parts = dotted.split(".")

    def matches(doc: str, part: str) -> bool:
        if doc == "*" or doc == part:
            return True
        if doc.startswith("<"):
            return part.startswith("<") or part in PACKAGE_REGIONS or doc == "<key>"
        return False

    for k in records:
        kp = k.split(".")
        if len(kp) >= len(parts) and all(matches(d, p) for d, p in zip(parts, kp, strict=False)):
            return True
        if records[k].kind == "table" and dotted.startswith(k + "."):
            return True
    return False


def named_keys(doc: str) -> set[str]:
    """The study-file keys ``doc`` names in backticks: ``section.key...`` (with an
    optional `` = value``) and ``[section] key``."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    out = set()
    for span in backticked(text):
        m = re.fullmatch(r"\[([a-z_.]+)\] (\w+)(?: *=.*)?", span)
        if m:
            out.add(f"{m[1]}.{m[2]}")
            continue
        m = re.fullmatch(r"([a-z_]+(?:\.(?:[\w*]+|<[^>]+>))+)(?: *=.*)?", span)
        sections = {k.split(".")[0] for k in keys()}
        if m and m[1].split(".")[0] in sections and not m[1].endswith(FILE_ENDINGS):
            out.add(m[1])
    return out


@pytest.mark.parametrize("doc", DOCS)
def test_study_keys_named_in_the_documents_exist(doc: str) -> None:
    unknown = sorted(
        k for k in named_keys(doc) if not _is_key(k) and not _is_python_name(k)
    )
    assert not unknown, f"{doc} names keys the study file does not have: {unknown}"


def test_the_key_check_refuses_a_misspelt_key() -> None:
    assert _is_key("mesh.film_size_mm") and _is_key("materials.library.<name>.E_GPa")
    assert _is_key("loads.power_W.die") and _is_key("geometry.openings.sides.<side>")
    assert not _is_key("mesh.film_size") and not _is_key("geometry.openings.<side>")
    assert not _is_python_name("mesh.size") and _is_python_name("mesh.info")


def _resolves(dotted: str) -> bool:
    """``dotted`` (``fea.a.b``) names a module, or an attribute or dataclass field of one."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:n]))
        except ImportError:
            continue
        for attr in parts[n:]:
            if hasattr(obj, attr):
                obj = getattr(obj, attr)
            else:
                return attr in getattr(obj, "__annotations__", {})
        return True
    return False


@pytest.mark.parametrize("doc", [*DOCS, "docs/spec.md"])
def test_python_names_in_the_text_resolve(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    names = set(re.findall(r"\bfea(?:\.[A-Za-z_]\w*)+", text))
    unknown = sorted(n for n in names if not n.endswith((".py", ".md")) and not _resolves(n))
    assert not unknown, f"{doc} names what fea does not have: {unknown}"


def test_the_earlier_output_names_are_accepted_as_outputs_md_says() -> None:
    from fea.package.spec import parse_study

    start = OUTPUTS.index("| before | now |")
    rows = OUTPUTS[start:].split("\n\n", 1)[0].splitlines()[2:]
    assert rows
    data = tomllib.loads((ROOT / "tests/data/tiny_study.toml").read_text(encoding="utf-8"))
    data.pop("sweep")
    data["environment"] = {"kind": "still_air"}  # the JEDEC names stay (not uniform_h's)
    for row in rows:
        before, now = (c.strip() for c in row.strip("|").split(" | "))
        olds, news = re.findall(r"`(\w+)`", before), re.findall(r"`(\w+)`", now)
        for i, old in enumerate(olds):
            expected = [news[i]] if len(olds) == len(news) else news
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                outputs = parse_study({**data, "outputs": {"metrics": [old]}}).outputs
            assert list(outputs) == expected, (old, outputs, expected)


def test_every_plot_file_fea_writes_is_in_outputs_md() -> None:
    written = {
        name
        for path in (ROOT / "fea").rglob("*.py")
        for name in re.findall(r"\"(\w+\.png)\"", path.read_text(encoding="utf-8"))
    }
    assert "die_temperature.png" in written
    missing = sorted(n for n in written if f"`{n}`" not in OUTPUTS)
    assert not missing, f"docs/outputs.md does not name the plots {missing}"
