"""No import cycles in pipeline/: every module imports in a fresh interpreter in either
order (sorted and reversed), and the graph of module-level imports has no cycle, so no
import needs to hide inside a function to dodge one ("partially initialized module")."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.import_graph import PACKAGE, REPO, components, module_name, package_edges

MODULES = sorted(module_name(p) for p in PACKAGE.rglob("*.py"))


def _parents(name: str) -> list[str]:
    """Importing a.b.c runs a/__init__ and a/b/__init__ first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def module_level_imports(path: Path) -> set[str]:
    """The pipeline modules a module imports when it is itself imported: import statements
    outside functions (and outside ``if TYPE_CHECKING:``), with their packages."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                # `from pipeline import paths` imports the module pipeline.paths
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                visit(node.body + node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body + node.orelse + node.finalbody)
                for handler in node.handlers:
                    visit(handler.body)
            elif isinstance(node, ast.With):
                visit(node.body)

    visit(tree.body)
    modules = {m for m in found if m in MODULES}
    return modules | {p for m in modules for p in _parents(m)}


def import_graph() -> dict[str, set[str]]:
    return {
        module_name(p): module_level_imports(p) - {module_name(p)} for p in PACKAGE.rglob("*.py")
    }


def test_module_level_imports_have_no_cycle():
    graph = import_graph()
    # A package's __init__ that imports its own submodules is not a cycle: Python runs the
    # package first and the submodule then finds it initialised. Count edges into a
    # package from its own submodules only.
    assert components(package_edges(graph)) == []
    assert components({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_the_cycles_the_issue_named_are_gone():
    graph = import_graph()
    assert "pipeline.config" not in graph["pipeline.study"]
    assert "pipeline.study" in graph["pipeline.config"]  # one direction, at module level
    assert "pipeline.study" in graph["pipeline.figures.planned"]
    assert "pipeline.figures.registry" not in graph["pipeline.study"]
    assert {"pipeline.study", "pipeline.figures.registry"} <= graph["pipeline.targets"]


@pytest.mark.parametrize("order", ["sorted", "reversed"])
def test_every_module_imports_in_a_fresh_interpreter(order):
    modules = [m for m in MODULES if not m.endswith("__main__")]
    modules = modules if order == "sorted" else modules[::-1]
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-c", code, *modules],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
