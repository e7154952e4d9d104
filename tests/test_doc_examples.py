"""The code examples of README.md and docs/*.md run against the current API.

Every ```python block of the documents in :data:`DOCS` is classified in :data:`RUN` or
:data:`SKIP` by (file, index of the block in that file); a new or removed block fails
:func:`test_every_python_block_is_classified` until it is listed. A block in ``RUN`` is
executed as written, after a prelude that defines what the text around it takes as given
(a small mesh instead of the user's, its materials) and in a temporary folder (the
examples write files). A block in ``SKIP`` (a signature, ``...`` placeholders, a run of
minutes) still has its imports and ``fea.`` names
resolved by :func:`test_names_of_every_python_block_resolve`. The results-file example of
docs/outputs.md runs a one-case tiny study first (``slow``, 20 to 40 s); its optional
``to_pyvista`` line is left out where pyvista is not installed.

TOML blocks that show a whole section are merged into tests/data/tiny_study.toml (its
sweep left out) and parsed with :func:`fea.package.spec.parse_study`, so a renamed key
fails here.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import tomllib
import types
from pathlib import Path

import pytest

import fea
from fea.package.spec import parse_study

ROOT = Path(__file__).resolve().parents[1]
TINY_STUDY = ROOT / "tests/data/tiny_study.toml"

DOCS = (
    "README.md",
    "docs/ctm.md",
    "docs/history.md",
    "docs/inelastic.md",
    "docs/moisture.md",
    "docs/outputs.md",
    "docs/reliability.md",
    "docs/thermal_contact.md",
)


def blocks(doc: str, lang: str) -> list[str]:
    """The ```lang blocks of ``doc`` (path relative to the repository), in order."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    return re.findall(rf"^```{lang}\n(.*?)^```", text, re.S | re.M)


# Preludes: what the text around an example takes as given, kept small (P1, mm meshes).
PACKAGE_MSH = """
import gmsh
from fea.fe.mesh import gmsh_session

# package.msh: a 20 x 20 mm die (0.2 mm) under encapsulant (0.3 mm), physical groups only
with gmsh_session():
    occ = gmsh.model.occ
    die = occ.addBox(-10, -10, 0, 20, 20, 0.2)
    enc = occ.addBox(-10, -10, 0.2, 20, 20, 0.3)
    _, parts = occ.fragment([(3, die), (3, enc)], [])
    occ.synchronize()
    for name, part in zip(("die", "encapsulant"), parts, strict=True):
        gmsh.model.addPhysicalGroup(3, [t for d, t in part if d == 3], name=name)
    gmsh.option.setNumber("Mesh.MeshSizeMax", 4.0)
    gmsh.model.mesh.generate(3)
    gmsh.model.mesh.affineTransform([1e-3, 0, 0, 0, 0, 1e-3, 0, 0, 0, 0, 1e-3, 0])
    gmsh.write("package.msh")
"""

HISTORY_MESH = """
from tests.verification.helpers import layered_box

mesh = layered_box(
    (2e-3, 2e-3), [("mandrel", 0.3e-3, 1), ("encapsulant", 0.3e-3, 1)], 1e-3, order=1,
    faces={"top": lambda b: abs(b[2] - 0.6e-3) < 1e-9 and abs(b[5] - 0.6e-3) < 1e-9},
)
"""

LAW_INPUTS = """
import numpy as np

n_points = 4
strain_increment = np.zeros((n_points, 6))
strain_increment[:, 0] = 1e-3
temperature_C, dt_s = 25.0, 1.0
"""

MOISTURE_MESH = """
import fea
from fea.package.geometry.imported import outer_boundaries
from tests.verification.helpers import layered_box

mesh = layered_box((2e-3, 2e-3), [("die", 0.2e-3, 1), ("encapsulant", 0.3e-3, 1)], 1e-3, order=1)
mesh.boundaries.update(outer_boundaries(mesh))
moisture_materials = {"encapsulant": "mold_compound", "*": "silicon"}
materials = {"die": fea.materials.get("silicon"), "*": fea.materials.get("mold_compound")}
"""

CYCLING_MESH = """
import fea
from tests.verification.helpers import layered_box

mesh = layered_box((2e-3, 2e-3), [("base", 0.3e-3, 1), ("mold", 0.3e-3, 1)], 1e-3, order=1)
materials = {"base": fea.materials.get("copper"), "*": fea.materials.get("mold_compound")}
"""

NEWTON_PROBLEM = """
import numpy as np
import scipy.linalg
from numpy.linalg import norm

# two springs hardening with the cube of their extension
f_ext, u0 = np.array([1.0, 2.0]), np.zeros(2)
K0 = np.diag([2.0, 3.0])


def residual(u):
    return K0 @ u + 0.1 * u**3 - f_ext


def K_of_u(u):
    return K0 + np.diag(0.3 * u**2)


class Factorised:
    def __init__(self, K):
        self.lu = scipy.linalg.lu_factor(K)

    def solve(self, r):
        return scipy.linalg.lu_solve(self.lu, r)


factorised_K0 = Factorised(K0)
"""

CTM_BODY = """
import gmsh

import fea
from fea.fe.mesh import Mesh, gmsh_session

# a 3 x 3 x 0.5 mm body, a 1 x 1 x 0.2 mm die inside; top and bottom split into the
# square over the die (*_inner) and the ring around it (*_outer); the four sides
with gmsh_session():
    occ = gmsh.model.occ
    body = occ.addBox(-1.5, -1.5, 0, 3, 3, 0.5)
    column = occ.addBox(-0.5, -0.5, 0, 1, 1, 0.5)
    die = occ.addBox(-0.5, -0.5, 0.15, 1, 1, 0.2)
    _, parts = occ.fragment([(3, body)], [(3, column), (3, die)])
    occ.synchronize()
    die_tags = [t for d, t in parts[2] if d == 3]
    rest = [t for _, t in gmsh.model.getEntities(3) if t not in die_tags]
    gmsh.model.addPhysicalGroup(3, die_tags, name="die")
    gmsh.model.addPhysicalGroup(3, rest, name="encapsulant")
    faces = {}
    for _, s in gmsh.model.getEntities(2):
        x0, y0, z0, x1, y1, z1 = gmsh.model.getBoundingBox(2, s)
        inner = x0 > -0.51 and x1 < 0.51 and y0 > -0.51 and y1 < 0.51
        if z0 > 0.499:
            faces.setdefault("top_inner" if inner else "top_outer", []).append(s)
        elif z1 < 0.001:
            faces.setdefault("bottom_inner" if inner else "bottom_outer", []).append(s)
        elif min(abs(x0 + 1.5), abs(x1 - 1.5), abs(y0 + 1.5), abs(y1 - 1.5)) < 1e-6 and (
            abs(x0 - x1) < 1e-6 or abs(y0 - y1) < 1e-6
        ):
            faces.setdefault("sides", []).append(s)
    for name, tags in faces.items():
        gmsh.model.addPhysicalGroup(2, tags, name=name)
    gmsh.option.setNumber("Mesh.MeshSizeMax", 0.5)
    gmsh.model.mesh.generate(3)
    gmsh.model.mesh.affineTransform([1e-3, 0, 0, 0, 0, 1e-3, 0, 0, 0, 0, 1e-3, 0])
    mesh = Mesh.from_gmsh(gmsh.model, order=1)
materials = {"die": fea.materials.get("silicon"), "*": fea.materials.get("mold_compound")}
"""

JOINT_MESH = """
import dataclasses

import numpy as np

import fea
from fea.physics.inelastic import anand_set
from tests.verification.helpers import layered_box

# one 1 x 1 mm joint (id 0, 0.1 mm, viscoplastic SAC305) between a board and a package
mesh = layered_box(
    (1e-3, 1e-3), [("board", 0.3e-3, 1), ("solder", 0.1e-3, 1), ("package", 0.3e-3, 1)],
    0.5e-3, order=1,
)
solder = dataclasses.replace(
    fea.materials.get("sac305"), inelastic=anand_set("SAC305_Motalab2012")
)
materials = {
    "solder": solder, "board": fea.materials.get("fr4"), "*": fea.materials.get("mold_compound")
}
joint = np.full(mesh.n_elements, -1)
joint[mesh.regions["solder"]] = 0
"""

STUDY_RESULTS = """
import shutil
import tomllib

import fea
from fea.package.spec import parse_study

# results/msl: one case of tests/data/tiny_study.toml (P1, coarse) with the [moisture]
# section of studies/msl.toml and warpage at 25 and 260 C; results/baseline a copy of it
data = tomllib.loads(TINY_STUDY.read_text(encoding="utf-8"))
data["sweep"] = {"kind": "cases", "cases": [{"geometry.shell_thickness_um": 35.0}]}
data["loads"]["warpage_temperatures_C"] = [25.0, 260.0]
data["moisture"] = {
    "soak": "MSL3", "reflow": "JSTD020_PbFree_260", "exposed": ["exterior"], "outputs": 10
}
fea.run_study(parse_study(data), "results/msl", progress=False)
shutil.copytree("results/msl", "results/baseline")
"""

# (file, block index) -> (prelude, a check run after the block)
RUN: dict[tuple[str, int], tuple[str, str]] = {
    ("README.md", 0): (PACKAGE_MSH, "assert th.probe([[0, 0, 0.4e-3]]).shape == (1,)"),
    ("docs/history.md", 0): (
        HISTORY_MESH,
        "assert list(hist.labels) == ['load', 'mould', 'cooled', 'released']",
    ),
    ("docs/inelastic.md", 0): (
        LAW_INPUTS,
        "assert stress.shape == (4, 6) and tangent.shape == (4, 6, 6)",
    ),
    ("docs/inelastic.md", 1): (
        NEWTON_PROBLEM,
        "assert norm(residual(u)) < 1e-8 * norm(f_ext) and info.iterations > 1",
    ),
    ("docs/moisture.md", 0): (MOISTURE_MESH, "assert swell.shape[0] == mesh.n_elements"),
    ("docs/reliability.md", 0): (CYCLING_MESH, "assert k1 > k0"),
    ("docs/ctm.md", 1): (
        CTM_BODY,
        "from pathlib import Path\n"
        "assert Path('pkg.cir').read_text().strip() and 'DELPHI' in Path('pkg.ecxml').read_text()",
    ),
    ("docs/reliability.md", 2): (
        JOINT_MESH,
        "assert res.metrics()['cycles'] == 3 and res.metrics()['dW_crit_MJ_per_m3'] > 0\n"
        # every key is in the paragraph that lists CyclingRun.metrics() (three cycles: the
        # cycle-to-cycle change too)
        "import re\n"
        "text = (TINY_STUDY.parents[2] / 'docs/reliability.md').read_text(encoding='utf-8')\n"
        "para = text[text.index('`CyclingRun.metrics()`:'):].split('\\n\\n', 1)[0]\n"
        "named = set(re.findall('`([^`]+)`', para))\n"
        "assert not [k for k in res.metrics() if k not in named], (res.metrics(), named)",
    ),
    ("docs/outputs.md", 0): (
        STUDY_RESULTS,
        "assert w['moisture_concentration'][w['labels'] == '10_soak_end'].shape"
        " == (1, len(w['moisture_concentration'][0]))\n"
        "assert r.units['mechanical/von_mises'] == 'Pa' and 'displacement' in mesh.point_data",
    ),
}

# runs a study (one tiny case with a soak and a reflow, 20 to 40 s)
SLOW = {("docs/outputs.md", 0)}

SKIP: dict[tuple[str, int], str] = {
    ("docs/ctm.md", 0): "a call signature, not code",
    ("docs/reliability.md", 1): "runs studies/board_cycling.toml (minutes)",
    ("docs/thermal_contact.md", 0): "`...` placeholders for the boundary conditions",
    ("docs/thermal_contact.md", 1): "`...` placeholders for sources and convection",
}


def test_every_python_block_is_classified() -> None:
    found = {(doc, i) for doc in DOCS for i in range(len(blocks(doc, "python")))}
    assert found == set(RUN) | set(SKIP)
    assert not set(RUN) & set(SKIP)


@pytest.mark.parametrize(
    "key",
    [pytest.param(k, marks=pytest.mark.slow) if k in SLOW else k for k in sorted(RUN)],
    ids=lambda k: f"{k[0]}#{k[1]}",
)
def test_python_example_runs(key: tuple[str, int], tmp_path, monkeypatch) -> None:
    doc, index = key
    prelude, check = RUN[key]
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    given: dict = {"__name__": "__doc_prelude__", "TINY_STUDY": TINY_STUDY}
    exec(compile(prelude, f"{doc}#{index} prelude", "exec"), given)
    # the example imports what it uses: the prelude's modules are not passed on
    namespace = {
        n: v
        for n, v in given.items()
        if not isinstance(v, types.ModuleType) and not n.startswith("__")
    }
    namespace["__name__"] = "__doc_example__"
    code = blocks(doc, "python")[index]
    if importlib.util.find_spec("pyvista") is None:
        # the optional pyvista line ("when installed") is left out where it is not
        code = "\n".join(line for line in code.splitlines() if ".to_pyvista(" not in line)
    exec(compile(code, f"{doc}#{index}", "exec"), namespace)
    exec(compile(check, f"{doc}#{index} check", "exec"), namespace)


def _resolve(dotted: str) -> object:
    """The object named ``a.b.c``: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:n]))
        except ImportError:
            continue
        for attr in parts[n:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


@pytest.mark.parametrize(
    "doc", [d for d in DOCS if blocks(d, "python")], ids=lambda d: d.replace("/", "_")
)
def test_names_of_every_python_block_resolve(doc: str) -> None:
    for code in blocks(doc, "python"):
        for module, names in re.findall(r"^\s*from (fea[\w.]*) import ([\w, ]+)", code, re.M):
            for name in names.split(","):
                assert hasattr(_resolve(module), name.strip()), f"{doc}: {module}.{name}"
        for dotted in re.findall(r"\bfea(?:\.\w+)+", code):
            _resolve(dotted)


def test_study_files_named_in_python_blocks_load() -> None:
    named = {
        path
        for doc in DOCS
        for code in blocks(doc, "python")
        for path in re.findall(r"[\"'](studies/[\w/.-]+\.toml)[\"']", code)
    }
    assert named  # docs/reliability.md's cycling_metrics example
    for path in sorted(named):
        fea.load_study(ROOT / path)


# TOML blocks shown as whole sections: (file, block index) -> the sections they show
TOML_SECTIONS: dict[tuple[str, int], tuple[str, ...]] = {
    ("docs/inelastic.md", 0): ("materials",),
    ("docs/reliability.md", 0): ("cycling",),
    ("docs/thermal_contact.md", 0): ("contacts",),
}


def test_every_toml_block_is_classified() -> None:
    found = {(doc, i) for doc in DOCS for i in range(len(blocks(doc, "toml")))}
    assert found == set(TOML_SECTIONS)


@pytest.mark.parametrize("key", sorted(TOML_SECTIONS), ids=lambda k: f"{k[0]}#{k[1]}")
def test_toml_sections_parse(key: tuple[str, int]) -> None:
    doc, index = key
    snippet = tomllib.loads(blocks(doc, "toml")[index])
    assert tuple(snippet) == TOML_SECTIONS[key]
    data = tomllib.loads(TINY_STUDY.read_text(encoding="utf-8"))
    data.pop("sweep")
    for section, table in snippet.items():
        data[section] = {**data.get(section, {}), **table}
    if "cycling" in snippet:  # its board coupon is cut from a board at least its size
        data["geometry"]["board"]["size_mm"] = [76.2, 114.3]
    spec = parse_study(data)
    if "contacts" in snippet:
        assert spec.base.contacts == {"die|die_attach": pytest.approx(1e-5)}
