"""Every package hygge imports is declared in pyproject.toml, where a user's install gets it.

A module-level import must be a core dependency (`pip install hygge-el` brings it); a lazy import
inside a function may come from an extra. Dev tools are never enough: a package that only the
dev extras bring in once broke every command for users.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# Modules only ever imported inside functions (checked below): their module-level imports are
# lazy ones. A class that subclasses an SDK type has to import it at its module's top.
LAZY_ONLY = {"hygge.storage.blob_retry"}
# Packages only a given extra's install imports: their module-level imports come from it (the
# Functions app is deployed with the `functions` extra; `import hygge` never imports it).
EXTRA_PACKAGES = {"hygge.functions": "functions"}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imports(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Top-level names imported at module level, and inside functions (lazily)."""
    eager: set[str] = set()
    lazy: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue  # never imported at run time
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module]
            (lazy if inner else eager).update(name.split(".")[0] for name in names)
            visit(child, inner)

    visit(tree, False)
    return eager, lazy


def _third_party(modules: set[str]) -> set[str]:
    return {m for m in modules if m not in sys.stdlib_module_names and m != "hygge"}


def _distributions(module: str) -> set[str]:
    found = packages_distributions().get(module, [module])
    return {_name(d) for d in found}


def _undeclared(modules: set[str], declared: set[str]) -> dict[str, set[str]]:
    return {m: d for m in modules if not (d := _distributions(m)) & declared}


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _scan(package: str | None = None) -> tuple[set[str], set[str]]:
    """Imports of hygge's modules outside EXTRA_PACKAGES, or of the `package` named there."""
    eager: set[str] = set()
    lazy: set[str] = set()
    for path in (ROOT / "hygge").rglob("*.py"):
        owner = next((p for p in EXTRA_PACKAGES if _module(path).startswith(p + ".")), None)
        if owner != package:
            continue
        module_eager, module_lazy = _imports(ast.parse(path.read_text(), str(path)))
        (lazy if _module(path) in LAZY_ONLY else eager).update(module_eager)
        lazy |= module_lazy
    return _third_party(eager), _third_party(lazy)


def test_lazy_only_modules_are_never_imported_at_module_level() -> None:
    for path in (ROOT / "hygge").rglob("*.py"):
        for node in ast.parse(path.read_text(), str(path)).body:
            if isinstance(node, ast.ImportFrom) and node.module:
                named = {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                named = {alias.name for alias in node.names}
            else:
                continue
            assert not named & LAZY_ONLY, f"{path.relative_to(ROOT)} imports {named & LAZY_ONLY}"


def test_every_module_level_import_is_a_core_dependency() -> None:
    core = {_name(r) for r in PROJECT["dependencies"]}
    eager, _ = _scan()

    assert not _undeclared(eager, core), "declare in [project] dependencies"


@pytest.mark.parametrize("package", sorted(EXTRA_PACKAGES))
def test_an_extras_package_imports_only_core_and_its_extra_at_module_level(package: str) -> None:
    declared = {_name(r) for r in PROJECT["dependencies"]}
    declared |= {_name(r) for r in PROJECT["optional-dependencies"][EXTRA_PACKAGES[package]]}
    eager, lazy = _scan(package)
    extras = PROJECT["optional-dependencies"]
    others = {_name(r) for extra, rs in extras.items() if extra != "dev" for r in rs}

    assert eager, f"{package} has no modules to scan"
    assert not _undeclared(eager, declared), f"declare in the {EXTRA_PACKAGES[package]} extra"
    assert not _undeclared(lazy, declared | others), "declare in an extra (not dev)"


def test_every_lazy_import_is_a_core_or_optional_dependency() -> None:
    declared = {_name(r) for r in PROJECT["dependencies"]}
    for extra, requirements in PROJECT["optional-dependencies"].items():
        if extra != "dev":
            declared |= {_name(r) for r in requirements}
    _, lazy = _scan()

    assert not _undeclared(lazy, declared), "declare in an extra (not dev)"


def test_the_scan_sees_an_undeclared_import(tmp_path: Path) -> None:
    tree = ast.parse("import click\nimport polars\ndef f():\n    import duckdb\n")
    eager, lazy = _imports(tree)
    core = {_name(r) for r in PROJECT["dependencies"]}

    assert set(_undeclared(_third_party(eager), core)) == {"click"}
    assert lazy == {"duckdb"}
