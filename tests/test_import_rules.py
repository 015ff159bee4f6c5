"""
Who may import whom, read from the source (an AST walk over every module, function-level imports
included): the stand-ins never borrow the probe's logic, and the product never depends on the demo.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "esprobe"
STANDINS = "esprobe.demo.standins"
DEMO = "esprobe.demo"
# The CLI's `demo` subcommand is the one door from the product into the demo.
DEMO_ENTRY = {"esprobe.cli": {"esprobe.demo.command"}}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> List[Tuple[str, Path]]:
    return sorted((_module_name(path), path) for path in PACKAGE.rglob("*.py"))


def _imports(name: str, path: Path) -> Iterator[Tuple[str, int]]:
    """Every module *path* imports (absolute names, relative imports resolved), with its line."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            yield origin, node.lineno
            for alias in node.names:  # `from esprobe import demo` imports the module esprobe.demo
                yield f"{origin}.{alias.name}", node.lineno


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


MODULES = _modules()


def _cases(keep: bool, package: str) -> List[object]:
    return [pytest.param(name, path, id=name) for name, path in MODULES if _within(name, package) == keep]


def test_the_walk_sees_the_package() -> None:
    names = {name for name, _ in MODULES}
    assert {"esprobe.cli", "esprobe.demo.standins.elasticsearch", "esprobe.elastic.pki_dn"} <= names


@pytest.mark.parametrize(("name", "path"), _cases(True, STANDINS))
def test_stand_ins_import_nothing_of_the_probe(name: str, path: Path) -> None:
    """A stand-in answers as the real server does, from its own code: never from the probe's."""
    borrowed = [
        f"line {line}: {module}"
        for module, line in _imports(name, path)
        if _within(module, "esprobe") and not _within(module, STANDINS) and module != "esprobe"
    ]
    assert not borrowed, f"{name} imports probe code: {borrowed}"


@pytest.mark.parametrize(("name", "path"), _cases(False, DEMO))
def test_product_code_does_not_import_the_demo(name: str, path: Path) -> None:
    allowed = DEMO_ENTRY.get(name, set())
    reached = [
        f"line {line}: {module}"
        for module, line in _imports(name, path)
        if _within(module, DEMO) and not any(_within(module, entry) for entry in allowed)
    ]
    assert not reached, f"{name} imports the demo: {reached}"


def test_the_rules_catch_what_they_forbid(tmp_path: Path) -> None:
    """The walk resolves the forms an import can take (so the two tests above can fail)."""
    source = (
        "from esprobe.elastic.pki_dn import java_dn\n"
        "from ... import findings\n"
        "def late():\n"
        "    import esprobe.config.tls\n"
        "    from esprobe import demo\n"
    )
    module = tmp_path / "x.py"
    module.write_text(source)
    found = {imported for imported, _ in _imports("esprobe.demo.standins.x", module)}
    assert {"esprobe.elastic.pki_dn", "esprobe.findings", "esprobe.config.tls", "esprobe.demo"} <= found


# Where an import may wait until it is needed (docs/architecture.md): the command line, which picks
# what a subcommand or format needs so that --help and --version stay light; two platform or
# optional imports in the bundle and the report writer; and esprobe.lazy.load, one call per heavy
# dependency, from the modules named here.
DEFERRED_IMPORTS = {"esprobe.cli", "esprobe.bundle.collect", "esprobe.output"}
LAZY_LOADERS = {"esprobe.config.keystore", "esprobe.net.resolver"}


def _deferred(path: Path) -> List[int]:
    """Lines of the imports inside functions."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines += [sub.lineno for sub in ast.walk(node) if isinstance(sub, (ast.Import, ast.ImportFrom))]
    return lines


def _lazy_calls(path: Path) -> List[int]:
    """Lines that import esprobe.lazy (the one helper that defers a dependency)."""
    return [line for module, line in _imports(_module_name(path), path) if module == "esprobe.lazy"]


@pytest.mark.parametrize(("name", "path"), MODULES, ids=[name for name, _ in MODULES])
def test_imports_wait_only_at_the_documented_boundaries(name: str, path: Path) -> None:
    if name not in DEFERRED_IMPORTS:
        assert _deferred(path) == [], f"{name} imports inside a function; import at module top or go through cli.py"
    if name not in LAZY_LOADERS and name != "esprobe.lazy":
        assert _lazy_calls(path) == [], f"{name} uses esprobe.lazy; add it to LAZY_LOADERS and docs/architecture.md"


def test_the_boundary_rule_sees_a_deferred_import(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text("def f():\n    import json\n    return json\n")
    assert _deferred(module) == [2]
