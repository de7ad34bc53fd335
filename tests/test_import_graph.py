"""The import graph of the three packages: no cycles, and the layers point one way.

``solvers`` knows nothing of learning (imports no ``pdejepa``); ``symmetries`` imports neither
``pdejepa`` nor ``solvers`` (it uses the solvers only in its tests). The graph is read from the
source with :mod:`ast`, counting imports at module level and inside functions alike.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("solvers", "symmetries", "pdejepa")
Graph = dict[str, set[str]]


def module_files() -> dict[str, Path]:
    """Dotted module name -> source file, for every module of :data:`PACKAGES`."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> Iterator[str]:
    """The modules of ``known`` that an import statement in ``module`` names.

    ``from pkg import name`` goes to the submodule ``pkg.name`` where there is one, else to ``pkg``.
    """
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names if alias.name in known)
        return
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, node.module] if node.module else base)
    else:
        source = node.module or ""
    for alias in node.names:
        target = f"{source}.{alias.name}"
        if target in known:
            yield target
        elif source in known:
            yield source


@cache
def import_graph() -> tuple[Graph, Graph]:
    """``(all imports, imports inside function or class bodies)``: module -> the package modules it imports."""
    files = module_files()
    known = set(files)
    graph: Graph = {module: set() for module in files}
    deferred: Graph = {module: set() for module in files}

    def visit(node: ast.AST, module: str, is_package: bool, nested: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            targets = set(imported(node, module, is_package, known))
            graph[module] |= targets
            if nested:
                deferred[module] |= targets
        inside = nested or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, module, is_package, inside)

    for module, path in files.items():
        visit(ast.parse(path.read_text(), str(path)), module, path.name == "__init__.py", False)
    return graph, deferred


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def find_cycle(graph: Graph, package: str) -> list[str] | None:
    """One import cycle among the modules of ``package`` (first module repeated at the end), or ``None``."""
    nodes = sorted(m for m in graph if in_package(m, package))
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(t for t in graph[module] if in_package(t, package)):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in nodes:
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def check_no_cycle(package: str) -> None:
    graph, _ = import_graph()
    cycle = find_cycle(graph, package)
    assert cycle is None, f"import cycle in {package}: {' -> '.join(cycle)}"


def test_graph_sees_imports_of_every_kind() -> None:
    graph, deferred = import_graph()
    assert "solvers.errors" in graph["solvers.ns2d.recipe"]  # relative, two levels up
    assert "solvers.ns2d.recipe" in graph["solvers.generate"]  # relative submodule of a subpackage
    assert "solvers.figures" in graph["pdejepa.data.procedural"]  # absolute
    assert "solvers.generate" in deferred["pdejepa.cli.generate"]  # inside a function
    assert "solvers" not in graph["solvers.generate"]  # no implicit edge to the parent package


def test_no_import_cycle_in_solvers() -> None:
    check_no_cycle("solvers")


def test_no_import_cycle_in_symmetries() -> None:
    check_no_cycle("symmetries")


def test_no_import_cycle_in_pdejepa() -> None:
    check_no_cycle("pdejepa")


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("solvers", ("pdejepa",)), ("symmetries", ("pdejepa", "solvers"))],
)
def test_layers_point_one_way(package: str, forbidden: tuple[str, ...]) -> None:
    graph, _ = import_graph()
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if in_package(module, package)
        for target in targets
        if any(in_package(target, other) for other in forbidden)
    )
    assert not wrong, f"{package} must not import {' or '.join(forbidden)}: " + "; ".join(wrong)


@pytest.mark.parametrize("package", ["solvers", "symmetries"])
def test_own_modules_are_imported_at_module_level(package: str) -> None:
    """An import of the package's own module deferred into a function would only hide a cycle."""
    _, deferred = import_graph()
    hidden = sorted(f"{m} -> {t}" for m, targets in deferred.items() if in_package(m, package) for t in targets)
    assert not hidden, f"imports deferred into functions in {package}: " + "; ".join(hidden)


@pytest.mark.parametrize("package", ["solvers", "symmetries"])
def test_public_names_resolve(package: str) -> None:
    module = __import__(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{package}.__all__ names what it does not have: {missing}"


def test_importing_symmetries_loads_neither_torch_nor_sympy() -> None:
    code = "import sys, symmetries; print(sorted({'torch', 'sympy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_pdejepa_module_is_over_250_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in (ROOT / "pdejepa").rglob("*.py")}
    long = {name: n for name, n in sizes.items() if n > 250}
    assert not long, f"split these by responsibility: {long}"
