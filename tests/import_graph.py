"""The module graph of pipeline/ as the import tests read it: module names, the edges that
matter, and the strongly connected components (the cycles)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "pipeline"


def module_name(path: Path) -> str:
    """The dotted module name of the file ``path`` in this checkout."""
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_edges(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without edges from a module to the packages above it (``a.b.c`` ->
    ``a.b``): Python runs a package's ``__init__`` before its submodules anyway, and a
    package re-exporting a name from its own submodule is no cycle between layers."""
    return {
        mod: {dep for dep in deps if not mod.startswith(dep + ".")} for mod, deps in graph.items()
    }


def components(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan), in the order
    a walk over the sorted nodes closes them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                connect(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found
