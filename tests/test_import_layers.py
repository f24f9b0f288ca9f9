"""Every import of pipeline/ points down: the module graph, counting the imports inside
functions too (a lazy import still ties two modules together) and the module names the
workflow hands to Python as strings (the profiles' ``__import__('pipeline....')``
resource expressions, ``-m pipeline...`` commands), has no cycle.

tests/test_imports.py checks what Python itself trips over (module-level cycles,
"partially initialized module"); this checks the design: a cycle hidden behind a lazy
import is still one concept split across two layers. The layers themselves are the
import-linter contract in pyproject.toml (``make lint`` runs ``lint-imports``).
"""

from __future__ import annotations

import ast
import contextlib
import re
import tomllib
from pathlib import Path

import pytest

from tests.import_graph import PACKAGE, REPO, components, module_name, package_edges

# Files outside the package that name its modules in strings Python imports at run time.
STRING_IMPORTERS = [
    REPO / "Snakefile",
    *sorted((REPO / "rules").glob("*.smk")),
    *sorted(REPO.glob("*/config.v8+.yaml")),  # the slurm and workstation profiles
    *sorted((REPO / "profiles").glob("*/config.yaml")),
    REPO / "Makefile",
]
MODULE_STRING = re.compile(r"""(?:__import__\(|-m\s+|from\s+|import\s+)['"]?(pipeline(?:\.\w+)*)""")
# The one cycle still open: figures/planned.py's if-chain over figure kinds (figure_rows)
# imports the figure modules that import planned. Tolerated only while that if-chain is
# there; once each figure gives its own rows, the cycle is gone and no longer tolerated.
FIGURES_CYCLE = {
    f"pipeline.figures.{m}" for m in ("curves", "paper", "planned", "measured_difficulty")
}
EXPECTED_CYCLES: list[set[str]] = (
    [FIGURES_CYCLE] if "def figure_rows" in (PACKAGE / "figures" / "planned.py").read_text() else []
)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(name: str) -> str | None:
    """The longest package module ``name`` starts with (``pipeline.paths.FIGURE`` ->
    ``pipeline.paths``); None outside the package."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    return None


def _absolute(node: ast.ImportFrom, importer: str) -> str:
    """The module an ``ImportFrom`` names, relative ones (``from . import x``) resolved."""
    if node.level == 0:
        return node.module or ""
    is_package = MODULES[importer].name == "__init__.py"
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(name: str) -> set[str]:
    """The package modules ``name`` imports anywhere in its body (module level, functions,
    ``if``/``try`` blocks), plus those it names as a string constant ("pipeline.x.y" or
    "pipeline.x.y:attr": an entry point loaded with importlib or run with ``-m``)."""
    tree = ast.parse(MODULES[name].read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(filter(None, (resolve(a.name) for a in node.names)))
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, name)
            # `from pipeline import paths` imports the module pipeline.paths
            targets = [resolve(f"{module}.{a.name}") or resolve(module) for a in node.names]
            found.update(filter(None, targets))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.partition(":")[0]
            if text in MODULES and text != "pipeline":
                found.add(text)
    return found - {name}


def ignored_imports() -> set[tuple[str, str]]:
    """The imports the import-linter contract ignores (``ignore_imports`` in pyproject.toml,
    each with its reason there): the walker skips the same ones."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    pairs = [
        tuple(part.strip() for part in line.split("->"))
        for contract in contracts
        for line in contract.get("ignore_imports", [])
    ]
    assert all(len(p) == 2 and "*" not in "".join(p) for p in pairs), pairs  # exact ones only
    return set(pairs)


def import_graph() -> dict[str, set[str]]:
    ignored = ignored_imports()
    return {
        name: {dep for dep in imports_of(name) if (name, dep) not in ignored} for name in MODULES
    }


def find_cycle(graph: dict[str, set[str]], members: set[str]) -> list[str]:
    """One closed path through a strongly connected component (``a -> b -> ... -> a``)."""
    start = min(members)
    previous: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for succ in sorted(graph[node] & members):
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if succ not in previous:
                previous[succ] = node
                queue.append(succ)
    raise AssertionError(f"no cycle through {start}")  # unreachable for a real component


def cycle_report(graph: dict[str, set[str]]) -> list[str]:
    """Each cycle of ``graph`` as ``a -> b -> a``, shortest path through its component."""
    return [" -> ".join(find_cycle(graph, c)) for c in components(graph)]


def test_no_import_cycle_counting_lazy_imports():
    graph = package_edges(import_graph())
    found = [c for c in components(graph) if c not in EXPECTED_CYCLES]
    report = [" -> ".join(find_cycle(graph, c)) for c in found]
    assert not report, "import cycles in pipeline/:\n  " + "\n  ".join(report)


def unit(name: str) -> str:
    """The top-level module or subpackage ``name`` belongs to (``pipeline.x``)."""
    return ".".join(name.split(".")[:2])


def top_level(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph between the package's top-level modules and subpackages: two of them that
    import each other, in any of their modules, form a cycle here even when no two modules
    do (a layer that points up)."""
    out: dict[str, set[str]] = {unit(name): set() for name in graph}
    for name, deps in graph.items():
        out[unit(name)] |= {unit(d) for d in deps} - {unit(name), "pipeline"}
    return out


def test_no_cycle_between_top_level_packages():
    modules = import_graph()
    graph = top_level(modules)
    found = components(graph)
    imports = [
        f"{mod} -> {dep}"
        for mod, deps in sorted(modules.items())
        for dep in sorted(deps)
        if unit(mod) != unit(dep) and any({unit(mod), unit(dep)} <= c for c in found)
    ]
    assert not found, (
        "cycles between packages:\n  "
        + "\n  ".join(cycle_report(graph))
        + "\nthrough these imports:\n  "
        + "\n  ".join(imports)
    )


def test_the_walker_sees_lazy_imports_and_reports_the_path(tmp_path):
    """The checks above can fail: a planted lazy import closing a circle is found, with
    its path; relative imports and string entry points count."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert components(graph) == [{"a", "b", "c"}]
    assert cycle_report(graph) == ["a -> b -> c -> a"]
    source = (
        "import os\n"
        "from . import paths\n"
        "def f():\n"
        "    from pipeline.figures.registry import FIGURES\n"
        "    return 'pipeline.compress.magnitude:global_magnitude', FIGURES\n"
    )
    planted = PACKAGE / "analysis" / "_planted_for_test.py"
    MODULES["pipeline.analysis._planted_for_test"] = planted
    try:
        planted.write_text(source)
        found = imports_of("pipeline.analysis._planted_for_test")
    finally:
        planted.unlink()
        del MODULES["pipeline.analysis._planted_for_test"]
    assert found == {
        "pipeline.analysis",
        "pipeline.figures.registry",
        "pipeline.compress.magnitude",
    }
    assert package_edges({"p.a.b": {"p.a", "p.c"}}) == {"p.a.b": {"p.c"}}
    # Two packages whose modules import each other (no module cycle) are one cycle.
    layered = top_level({"pipeline.a.x": {"pipeline.b.y"}, "pipeline.b.z": {"pipeline.a.w"}})
    assert cycle_report(layered) == ["pipeline.a -> pipeline.b -> pipeline.a"]


@pytest.mark.parametrize("path", STRING_IMPORTERS, ids=lambda p: str(p.relative_to(REPO)))
def test_module_names_in_the_workflow_files_exist(path):
    """A module the profiles or rules import by name (``__import__('pipeline.x')``, ``-m
    pipeline.x``) exists, so moving a module cannot leave a dangling name behind."""
    names = MODULE_STRING.findall(path.read_text())
    missing = sorted({n for n in names if n not in MODULES})
    assert not missing, f"{path.name} names modules that do not exist: {missing}"


def package_imports(tree: ast.AST) -> set[str]:
    """The ``pipeline`` modules a file outside the package imports, anywhere in it, also in
    code it hands to a subprocess as a string; ``from pipeline.x import y`` counts
    ``pipeline.x.y`` when ``pipeline.x`` is a package that does not define ``y`` itself."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "pipeline")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pipeline":
            found.add(node.module)
            path = MODULES.get(node.module)
            if path is not None and path.name == "__init__.py":
                source = path.read_text()
                found.update(
                    f"{node.module}.{a.name}"
                    for a in node.names
                    if not re.search(rf"\b{a.name}\b", source)  # nor imports it
                )
        elif isinstance(node, ast.Constant) and "import" in str(node.value):
            with contextlib.suppress(SyntaxError):  # prose, not code
                found |= package_imports(ast.parse(node.value))
    return found


def test_the_tests_and_benchmarks_import_modules_that_exist():
    """A lazy import inside a test or a benchmark fails only when it runs: after a module
    moves, none may still name its old path."""
    files = sorted((REPO / "tests").glob("*.py")) + sorted((REPO / "bench").glob("*.py"))
    # test_extending.py writes toy modules; this file plants a stale import of its own.
    files = [f for f in files if f.name not in ("test_extending.py", Path(__file__).name)]
    stale = sorted(
        f"{path.relative_to(REPO)}: {name}"
        for path in files
        for name in package_imports(ast.parse(path.read_text()))
        if name not in MODULES
    )
    planted = "x = 'import os; from pipeline import gpu_slots'\nfrom pipeline import paths\n"
    expected = {"pipeline", "pipeline.gpu_slots", "pipeline.paths"}
    assert package_imports(ast.parse(planted)) == expected
    assert not stale, "imports of modules that do not exist:\n  " + "\n  ".join(stale)


# Where the package's modules are named in prose: docs, comments and docstrings, profiles
# (not docs/glossary.md: its rename map names old paths on purpose).
NAMING_FILES = [
    *sorted(p for p in (REPO / "docs").glob("*.md") if p.name != "glossary.md"),
    *sorted(PACKAGE.rglob("*.py")),
    *sorted(PACKAGE.rglob("*.yaml")),
    *STRING_IMPORTERS,
    *sorted((REPO / "configs").glob("*.yaml")),
    *sorted((REPO / "slurm").glob("*.yaml")),
    REPO / "config.yaml",
    REPO / "pyproject.toml",
    REPO / "bench" / "README.md",
]
FILE_PATH = re.compile(r"(?<![\w/.])pipeline/[\w/.]*\w")
DOTTED = re.compile(r"(?<![\w/.])pipeline\.([a-z]\w*)")


def stale_names(text: str) -> list[str]:
    """Paths ``pipeline/...`` that name no file or folder (``pipeline/x.py.NAME``, a name
    in a module, counts as its module), and ``pipeline.x`` that names no module."""
    stale = []
    for match in FILE_PATH.finditer(text):
        path = match[0]
        module = path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
        if not any((REPO / p).exists() for p in (path, f"{module}.py", module)):
            stale.append(path)
    stale += [m[0] for m in DOTTED.finditer(text) if f"pipeline.{m[1]}" not in MODULES]
    return stale


def test_docs_and_comments_name_paths_that_exist():
    """After a module moves, no doc, comment or docstring names its old place."""
    assert stale_names("pipeline/cost_model.py, pipeline.plan, pipeline/models/staging/") == [
        "pipeline/cost_model.py",
        "pipeline/models/staging",
        "pipeline.plan",
    ]
    assert stale_names("pipeline/cluster/gpu_slots.GPU_VERBS, pipeline.cluster.plan") == []
    found = sorted(
        f"{path.relative_to(REPO)}: {name}"
        for path in NAMING_FILES
        if path.is_file()
        for name in stale_names(path.read_text())
    )
    assert not found, "names of modules that do not exist:\n  " + "\n  ".join(found)
