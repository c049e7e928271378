"""The shape of the code, checked: no import circles, and each layer imports only downwards.

The graph is read from the source (every `import`, also inside functions; not those under
`if TYPE_CHECKING:`), so a lazy import cannot hide a circle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage")
# The only modules of bot/ that may reach Bolt or the listeners: they start the app (the
# playground runs it in-process and watches its error handler for `--strict`).
ENTRY_POINTS = {"bot.app.cli", "bot.app.web", "bot.app.playground"}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imported(name: str, path: Path) -> set[str]:
    """Every module `name` imports (absolute names, as written)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    names: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - (node.level - 1)]
                    module = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    module = node.module or ""
                names.add(module)
                names.update(f"{module}.{alias.name}" for alias in node.names)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    visit([child])

    visit(tree.body)
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


IMPORTS = {name: _imported(name, path) for name, path in MODULES.items()}
GRAPH = {name: {m for m in imported if m in MODULES} for name, imported in IMPORTS.items()}


def _cycles() -> Iterator[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0

    def connect(node: str) -> Iterator[list[str]]:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for other in sorted(GRAPH[node]):
            if other not in index:
                yield from connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                yield sorted(component)

    for node in sorted(GRAPH):
        if node not in index:
            yield from connect(node)


def test_the_graph_is_read() -> None:
    assert len(MODULES) > 50
    assert "bot.delivery.outbox" in GRAPH["bot.delivery.unit_of_work"]


def test_no_module_is_in_an_import_circle() -> None:
    assert list(_cycles()) == []


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("bot")))
def test_bot_reaches_neither_bolt_nor_the_listeners_except_the_entry_points(name: str) -> None:
    if name in ENTRY_POINTS:
        return
    bad = {m for m in IMPORTS[name] if m.split(".")[0] in ("slack_bolt", "handlers")}
    assert not bad, f"{name} imports {sorted(bad)}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("storage")))
def test_storage_imports_no_slack_library_and_nothing_of_bot(name: str) -> None:
    bad = {
        m
        for m in IMPORTS[name]
        if m.split(".")[0] in ("slack_bolt", "slack_sdk", "bot", "handlers")
    }
    assert not bad, f"{name} imports {sorted(bad)}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("bot.services")))
def test_services_never_import_the_views(name: str) -> None:
    """Services say *what* to post (outbox rows naming a kind and ids); bot/posts renders it
    with bot/blocks. Only the identifiers the handlers match on are shared (bot.blocks.ids)."""
    bad = {
        m
        for m in IMPORTS[name]
        if m.startswith("bot.blocks") and not m.startswith("bot.blocks.ids")
    }
    assert not bad, f"{name} imports {sorted(bad)}"
