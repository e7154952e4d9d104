"""The public API: every name in __all__ resolves, and the lists are sorted and unique;
the layers of docs/architecture.md, read from the imports of the source."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path

import pytest

import fea

#: Every module of the package, found by walking it: a new module is checked without
#: anyone remembering to list it.
MODULES = ["fea"] + sorted(m.name for m in pkgutil.walk_packages(fea.__path__, "fea."))


def test_every_module_is_found():
    # the walk must see the layers and the modules that split out of larger ones
    for name in (
        "fea.fe.namespace",
        "fea.solvers.recycle",
        "fea.physics.process",
        "fea.study.driver",
        "fea.io.atomic",
        "fea.package.spec.schema",
    ):
        assert name in MODULES, name


@pytest.mark.parametrize("name", MODULES)
def test_all_resolves_and_is_sorted(name):
    mod = importlib.import_module(name)
    assert mod.__all__ == sorted(mod.__all__), f"{name}.__all__ is not sorted"
    dup = sorted({a for a in mod.__all__ if mod.__all__.count(a) > 1})
    assert dup == [], f"{name}.__all__ lists {dup} more than once"
    for attr in mod.__all__:
        assert getattr(mod, attr) is not None, f"{name}.{attr}"


def test_design_names_present():
    # Names of DESIGN.md section 3 that the package provides at this stage.
    for attr in [
        "Material",
        "load_study",
        "materials",
        "errors",
        "units",
        "Mesh",
        "solve_thermal",
        "solve_thermoelastic",
        "Transient",
        "run_study",
        "write_results",
        "read_results",
        "structure_function",
    ]:
        assert hasattr(fea, attr)
    assert callable(fea.materials.get)
    assert callable(fea.Mesh.from_gmsh)
    import inspect

    sig = inspect.signature(fea.solve_thermal)
    assert list(sig.parameters)[:9] == [
        "mesh",
        "materials",
        "sources",
        "flux",
        "convection",
        "fixed",
        "transient",
        "backend",
        "method",
    ]
    sig = inspect.signature(fea.solve_thermoelastic)
    assert list(sig.parameters)[:6] == [
        "mesh",
        "materials",
        "temperature",
        "reference",
        "fixed",
        "backend",
    ]


def test_error_hierarchy():
    for cls in (
        fea.InputError,
        fea.MeshError,
        fea.SolverError,
        fea.BackendUnavailable,
        fea.ResultsError,
    ):
        assert issubclass(cls, fea.FeaError)


# --- layering and private names, read from the source with ast -----------------------

ROOT = Path(fea.__file__).resolve().parents[1]

#: docs/architecture.md: what each layer of fea/ must not import (other fea layers).
FORBIDDEN_LAYERS: dict[str, tuple[str, ...]] = {
    "fe": ("physics", "io", "package", "study", "cli"),
    "physics": ("package", "study", "cli"),
    "solvers": ("physics", "io", "package", "study", "cli"),
    "io": ("package", "study", "cli"),
    "package": ("study", "cli"),
    "study": ("cli",),
}
#: Third-party (and standard) modules only one place of fea/ may import: name -> the
#: files or folders (relative to the repository) allowed to.
CONFINED: dict[str, tuple[str, ...]] = {
    "h5py": ("fea/io/",),
    "cupy": ("fea/solvers/gpu.py",),
    "cupyx": ("fea/solvers/gpu.py",),
    "tomllib": ("fea/package/spec/",),
    "tomli": ("fea/package/spec/",),
}


def module_name(path: Path) -> str:
    """Dotted module name of a .py file of the repository (``fea.fe.mesh``, ``tests.x``)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _resolve(path: Path, module: str | None, level: int) -> str:
    """Absolute module of ``from <.. module> import``, as written in ``path``."""
    if level == 0:
        return module or ""
    base = module_name(path).split(".")
    if not _is_package(path):
        base = base[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([module] if module else []))


def _is_fea_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return name.split(".")[0] == "fea" and (
        (ROOT / rel).with_suffix(".py").is_file() or (ROOT / rel / "__init__.py").is_file()
    )


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` of a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@dataclass(frozen=True)
class Use:
    """One import (``name``: absolute module, or ``module.attr`` for a from-import) or
    private attribute access, at ``path:line``."""

    path: Path
    line: int
    module: str
    attr: str | None = None

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def imports(path: Path, tree: ast.AST) -> list[Use]:
    """Every module imported by the file: ``import``, ``from`` (relative resolved; the
    imported name as ``attr``), ``importlib.import_module("...")`` and ``__import__``."""
    out: list[Use] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [Use(path, node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.module == "__future__":
                continue
            base = _resolve(path, node.module, node.level)
            out += [Use(path, node.lineno, base, a.name) for a in node.names]
        elif isinstance(node, ast.Call):
            f = _dotted(node.func)
            if f in ("importlib.import_module", "import_module", "__import__") and (
                node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                name = node.args[0].value
                if name.startswith(".") and len(node.args) > 1:
                    pkg = node.args[1]
                    if isinstance(pkg, ast.Constant) and isinstance(pkg.value, str):
                        level = len(name) - len(name.lstrip("."))
                        base = pkg.value.split(".")
                        name = ".".join(base[: len(base) - level + 1] + [name.lstrip(".")])
                out.append(Use(path, node.lineno, name))
    return out


def module_aliases(path: Path, tree: ast.AST) -> dict[str, str]:
    """Local name -> fea module it is bound to by an import in the file."""
    aliases: dict[str, str] = {}
    for u, node in _import_nodes(path, tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "fea":
                    if a.asname:
                        aliases[a.asname] = a.name
                    else:
                        aliases["fea"] = "fea"
        elif u.attr and _is_fea_module(f"{u.module}.{u.attr}"):
            asname = next(a.asname for a in node.names if a.name == u.attr)
            aliases[asname or u.attr] = f"{u.module}.{u.attr}"
    return aliases


def _import_nodes(path: Path, tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = _resolve(path, node.module, node.level)
            for a in node.names:
                yield Use(path, node.lineno, base, a.name), node
        elif isinstance(node, ast.Import):
            yield Use(path, node.lineno, ""), node


def private_uses(path: Path, tree: ast.AST) -> list[str]:
    """Private names of another fea module that the file imports or reads: ``from fea.x
    import _y``, ``mod._y`` / ``fea.x._y`` on an imported fea module, ``getattr(mod,
    "_y")`` and ``monkeypatch.setattr(mod, "_y", ...)``. A module's own privates, dunder
    names, ``self._x`` and other objects' attributes are not counted."""
    own = module_name(path)
    found: list[str] = []
    for u in imports(path, tree):
        if u.attr and _private(u.attr) and u.module.startswith("fea") and u.module != own:
            found.append(f"{u.where()}: from {u.module} import {u.attr}")
    aliases = module_aliases(path, tree)

    def target(node: ast.AST) -> str | None:
        d = _dotted(node)
        if d is None:
            return None
        head, *rest = d.split(".")
        if head not in aliases:
            return None
        name = ".".join([aliases[head], *rest])
        return name if _is_fea_module(name) else None

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            mod = target(node.value)
            if mod and mod != own:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {mod}.{node.attr}")
        elif isinstance(node, ast.Call) and len(node.args) >= 2:
            f = _dotted(node.func) or ""
            name = node.args[1]
            if f.split(".")[-1] in ("getattr", "setattr", "hasattr", "delattr") and (
                isinstance(name, ast.Constant)
                and isinstance(name.value, str)
                and _private(name.value)
            ):
                mod = target(node.args[0])
                if mod and mod != own:
                    found.append(
                        f"{path.relative_to(ROOT)}:{node.lineno}: {f}({mod}, {name.value!r})"
                    )
        if isinstance(node, ast.Call) and node.args:
            f = _dotted(node.func) or ""
            arg = node.args[0]
            # monkeypatch.setattr("fea.x._y", value): the dotted-string form
            if f.split(".")[-1] in ("setattr", "delattr") and (
                isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ):
                mod, _, attr = arg.value.rpartition(".")
                if _private(attr) and _is_fea_module(mod) and mod != own:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {f}({arg.value!r})")
    return found


def sources(*folders: str) -> list[tuple[Path, ast.AST]]:
    out = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            out.append((path, ast.parse(path.read_text(), str(path))))
    return out


def test_layers_import_only_downwards():
    """docs/architecture.md: fe/ never imports physics/, io/ or package/; physics/ never
    imports package/; solvers/ imports only fe/; nothing but io/ imports h5py, nothing but
    solvers/gpu.py CuPy, nothing but package/spec/ reads TOML. Relative imports,
    ``from h5py ...`` and ``importlib.import_module`` calls count."""
    wrong = []
    for path, tree in sources("fea"):
        mod = module_name(path)
        layer = mod.split(".")[1] if mod.count(".") else ""
        rel = str(path.relative_to(ROOT))
        for u in imports(path, tree):
            parts = u.module.split(".")
            if parts[0] == "fea" and len(parts) > 1:
                target = parts[1]
            elif parts[0] == "fea" and u.attr:
                target = u.attr  # from fea import physics
            else:
                target = None
            if target in FORBIDDEN_LAYERS.get(layer, ()):
                wrong.append(f"{u.where()}: {layer}/ imports {u.module} {u.attr or ''}")
            top = parts[0]
            if top in CONFINED and not rel.startswith(CONFINED[top]):
                wrong.append(f"{u.where()}: imports {u.module}, confined to {CONFINED[top]}")
    assert wrong == []


def test_no_private_names_across_modules():
    """No module of fea/, tests/ or scripts/ imports or reads another fea module's
    private (``_name``) names."""
    found = [
        f for path, tree in sources("fea", "tests", "scripts") for f in private_uses(path, tree)
    ]
    assert found == [], "\n".join(found)


def test_the_import_reader_sees_every_form(tmp_path):
    """The checks above read relative imports, ``importlib``, ``from h5py`` and private
    attribute access, and leave ``__future__``, ``self._x`` and own privates alone."""
    text = (
        "from __future__ import annotations\n"
        "import importlib\n"
        "import fea.solvers.registry as reg\n"
        "from fea.solvers import cpu\n"
        "from h5py import File\n"
        "from ..physics import mechanics\n"
        "from .mesh import _private_helper\n"
        "from .spaces import _x as y\n"
        "m = importlib.import_module('fea.package.names')\n"
        "reg._FACTORIES\n"
        "cpu._PATTERNS.clear()\n"
        "getattr(cpu, '_PATTERNS')\n"
        "fea.fe.mesh._own\n"
        "class A:\n"
        "    def f(self):\n"
        "        return self._x, _mine\n"
        "_mine = 1\n"
    )
    path = ROOT / "fea" / "fe" / "mesh.py"  # read as if it were fe/mesh.py
    tree = ast.parse(text)
    mods = {(u.module, u.attr) for u in imports(path, tree)}
    assert ("fea.physics", "mechanics") in mods
    assert ("fea.fe.mesh", "_private_helper") in mods
    assert ("fea.package.names", None) in mods and ("h5py", "File") in mods
    assert not any(m == "__future__" for m, _ in mods)
    found = private_uses(path, tree)
    assert len(found) == 4, found  # .spaces._x, reg._FACTORIES, cpu._PATTERNS, getattr
    assert all(":10:" in f or ":11:" in f or ":12:" in f or ":8:" in f for f in found), found
