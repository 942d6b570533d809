"""The house's layout rules, read from the source with ``ast`` (every import, function-level ones included): the
one-way import arrows, no import circle, no module over the size limit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("agents", "envs", "nets", "ui")
# What each package must never import (the arrows run ui -> agents, envs; agents -> nets, envs).
FORBIDDEN = {
    "envs": ("torch", "agents", "ui", "nets"),
    "nets": ("gymnasium", "envs", "agents", "ui"),
    "agents": ("ui",),
}
MAX_LINES = 450


def modules() -> dict[str, Path]:
    """Every module of the four packages by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(path: Path, name: str) -> set[str]:
    """The modules ``path`` imports anywhere in its body (``from x import y`` counts as x, and as x.y where x.y is a
    module), relative imports resolved against ``name``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


MODULES = modules()
GRAPH = {name: {target for target in imports_of(path, name) if target in MODULES and target != name}
         for name, path in MODULES.items()}


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_flow_one_way(package: str) -> None:
    wrong = sorted(f"{name} imports {target}" for name, path in MODULES.items() if top(name) == package
                   for target in imports_of(path, name) if top(target) in FORBIDDEN[package])
    assert not wrong, f"{package} must not import {', '.join(FORBIDDEN[package])}: " + "; ".join(wrong)


def test_the_layout_check_sees_function_level_imports(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text("import numpy\n\ndef late():\n    from agents.trainer import Trainer\n    import torch\n")
    assert {"numpy", "agents.trainer", "agents.trainer.Trainer", "torch"} <= imports_of(module, "probe")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle (as one strongly connected component of two or more modules, or a self-loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_there_is_no_import_circle() -> None:
    # A package's __init__ importing its own modules is how packages work, not a circle: leave those arrows out.
    graph = {name: {target for target in targets
                    if not (MODULES[name].name == "__init__.py" and target.startswith(f"{name}."))}
             for name, targets in GRAPH.items()}
    assert not cycles(graph), cycles(graph)


def test_the_circle_check_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_the_size_limit(name: str) -> None:
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(ROOT)} has {lines} lines (limit {MAX_LINES})"
