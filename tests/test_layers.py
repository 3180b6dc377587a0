"""The architecture's import rules, walked over every file by directory (a forbidden arrow fails).

    core packages  -> never the runtime side, nor IO modules (so the simulator can run them)
    api/, client/  -> never the runtime (the API owns the port it calls; the SDK stays light)
    sim/           -> never the runtime or p2p (it drives the node core over simulated IO)
    apps/<module>/ -> never another module's folder (modules read each other through queries)

The same rules cover the module folders of the tests (tests/apps/<module>/ with an
__init__.py declaring a MODULE), so a module written for the test suite is held to them too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import chainbook

SRC = Path(chainbook.__file__).parent
TESTS = Path(__file__).parent

CORE = (
    "types",
    "errors",
    "limits",
    "crypto",
    "codec",
    "merkle",
    "chain",
    "consensus",
    "ledger",
    "apps",
    "core",
)
RUNTIME_SIDE = (
    "runtime",
    "api",
    "cli",
    "sim",
    "p2p",
    "storage",
    "client",
    "bench",
    "testnet",
    "demo",
    "keyfile",
    "ca",
)
IO_MODULES = frozenset(
    {"asyncio", "socket", "sqlite3", "time", "random", "threading", "os", "subprocess"}
)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "api": ("runtime",),
    "client": ("runtime",),
    "sim": ("runtime", "p2p"),
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in `path`, relative ones resolved."""
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def layer_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "chainbook" else None


def check_file(path: Path, top: str) -> list[str]:
    """The forbidden arrows of one file whose layer is `top` (its first folder under chainbook)."""
    problems = []
    for line, name in imports_of(path):
        target = layer_of(name)
        where = f"{path}:{line} imports {name}"
        if top in CORE:
            if name.split(".")[0] in IO_MODULES:
                problems.append(f"{where} (the core does no IO)")
            if target in RUNTIME_SIDE:
                problems.append(f"{where} (the core never imports the runtime side)")
        if target in FORBIDDEN.get(top, ()):
            problems.append(f"{where} ({top}/ must not import {target}/)")
    return problems


def module_folders() -> list[Path]:
    """Every app module folder: src/chainbook/apps/<name>/ and tests/apps/<name>/ with a MODULE."""
    folders = [p for p in (SRC / "apps").iterdir() if (p / "__init__.py").is_file()]
    folders += [
        p
        for p in (TESTS / "apps").iterdir()
        if (p / "__init__.py").is_file() and "MODULE" in (p / "__init__.py").read_text()
    ]
    return sorted(folders)


def check_module_folder(folder: Path) -> list[str]:
    """A module imports the core and its own folder, never another module's folder."""
    modules = {p.name for p in module_folders()} | {folder.name}
    problems = []
    for path in sorted(folder.rglob("*.py")):
        if path.name.startswith("test_"):
            continue  # the module's tests, not the module
        for line, name in _imports_anywhere(path):
            parts = name.split(".")
            in_apps = len(parts) > 2 and parts[1] == "apps" and parts[0] in ("chainbook", "tests")
            if in_apps and parts[2] in modules and parts[2] != folder.name:
                problems.append(f"{path}:{line} imports {name} (another module's folder)")
            if layer_of(name) in RUNTIME_SIDE:
                problems.append(f"{path}:{line} imports {name} (a module is core code)")
            if parts[0] in IO_MODULES:
                problems.append(f"{path}:{line} imports {name} (a module does no IO)")
    return problems


def _imports_anywhere(path: Path) -> list[tuple[int, str]]:
    if path.is_relative_to(SRC):
        return imports_of(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
    return found


SOURCE_FILES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCE_FILES, ids=[str(p.relative_to(SRC)) for p in SOURCE_FILES])
def test_no_forbidden_import(path: Path) -> None:
    relative = path.relative_to(SRC)
    top = relative.parts[0].removesuffix(".py")
    assert check_file(path, top) == []


@pytest.mark.parametrize(
    "folder", module_folders(), ids=lambda p: f"{p.parent.parent.name}/{p.name}"
)
def test_a_module_folder_imports_only_the_core_and_itself(folder: Path) -> None:
    assert check_module_folder(folder) == []


def test_every_module_folder_is_checked() -> None:
    names = {p.name for p in module_folders()}
    from chainbook.apps.registry import REGISTRY

    assert {m.name for m in REGISTRY.modules} <= names


def test_the_rules_bite(tmp_path: Path) -> None:
    """Each rule refuses a file that breaks it (the check is not vacuous)."""
    fake_core = SRC / "ledger" / "_layer_probe.py"
    cases = {
        "ledger": "import asyncio\nfrom chainbook.runtime import node\n",
        "api": "from chainbook.runtime.node import Node\n",
        "sim": "from chainbook.p2p import Transport\n",
        "client": "import chainbook.runtime.home\n",
    }
    for top, source in cases.items():
        fake_core.write_text(source)
        try:
            assert check_file(fake_core, top), f"a {top} file importing the runtime passed"
        finally:
            fake_core.unlink()
    folder = tmp_path / "probe"
    folder.mkdir()
    (folder / "__init__.py").write_text("from chainbook.apps.bank.process import get_balance\n")
    assert check_module_folder(folder), "a module reading another module's folder passed"
    (folder / "__init__.py").write_text("import sqlite3\n")
    assert check_module_folder(folder), "a module doing IO passed"
