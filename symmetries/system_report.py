"""The derived algebra of a system as plain data (JSON), cached on disk, and as a text report.

Layout (every expression sympy text in the variables, the parameters and the family's functions)::

    {"system": ..., "independent": [...], "dependent": [...], "parameters": [...],
     "integrability_conditions": [...],
     "generators": [{"name": ..., "components": {"t": ..., "x": ..., "u": ..., ...}}],
     "infinite_families": [{"name": ..., "components": {...}, "functions": ["f(t)"], "condition": ...}]}

``components`` maps each variable to the coefficient of its derivative in the generator.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from .derive_system import derive_system
from .registry import equation_text, system_spec
from .report import format_report, symmetries_of
from .cache import cached
from .safe_parse import CALCULUS, CONSTANTS, FUNCTIONS, parse_expression
from .systems import PDESystem

FORMAT = 1  # bump when the derivation or the layout changes: old cache entries are then ignored
LAYOUT = {
    "system",
    "independent",
    "dependent",
    "parameters",
    "integrability_conditions",
    "generators",
    "infinite_families",
}


def describe_system(system: PDESystem) -> dict[str, Any]:
    """Derive the algebra of ``system`` and write it as plain data (see the module docstring)."""
    algebra = derive_system(system)
    return {
        "system": system.text,
        "independent": [v.name for v in system.independent],
        "dependent": [v.name for v in system.dependent],
        "parameters": [p.name for p in system.params],
        "integrability_conditions": [f"{sp.sstr(c)} = 0" for c in algebra.solved.conditions],
        "generators": [
            {"name": g.name, "components": {v: sp.sstr(c) for v, c in g.components.items()}} for g in algebra.generators
        ],
        "infinite_families": [
            {
                "name": f.field.name,
                "components": {v: sp.sstr(c) for v, c in f.field.components.items()},
                "functions": [sp.sstr(fn) for fn in f.functions],
                "condition": ", ".join(f"{sp.sstr(c)} = 0" for c in f.conditions),
            }
            for f in algebra.families
        ],
    }


def algebra_of(
    equation: str, independent: str | None = None, dependent: str | None = None, use_cache: bool = True
) -> dict[str, Any]:
    """The algebra of a scalar equation or a system, by text or registered name, as plain data.

    ``independent``/``dependent``: comma-separated variables of a system written out (see
    :func:`~symmetries.registry.system_spec`); a scalar equation gives :func:`symmetries_of`'s layout.
    """
    spec = system_spec(equation, independent, dependent)
    if spec is None:
        return symmetries_of(equation_text(equation), use_cache=use_cache)
    return system_symmetries_of(*spec, use_cache=use_cache)


def format_algebra(data: dict[str, Any]) -> str:
    """:func:`format_system_report` or :func:`~symmetries.report.format_report`, by the layout of ``data``."""
    return format_system_report(data) if "dependent" in data else format_report(data)


def system_symmetries_of(text: str, independent: list[str], dependent: list[str], use_cache: bool = True):
    """:func:`describe_system`, read from or written to the disk cache keyed by the parsed system.

    A cache entry is data, not trusted: one that does not read back through the safe parser with
    this layout, for this system, is derived again and rewritten.
    """
    system = PDESystem.parse(text, independent, dependent)
    key = f"{FORMAT}:{independent}:{dependent}:{[sp.srepr(e) for e in system.equations]}"
    data = cached(key, lambda: describe_system(system), lambda d: _is_valid(d, system), use_cache, prefix="system-")
    return {**data, "system": text}


def _is_valid(data: Any, system: PDESystem) -> bool:
    try:
        read_system_algebra(data, system)
    except (ValueError, TypeError, KeyError, AttributeError):
        return False
    return True


def read_system_algebra(data: dict[str, Any], system: PDESystem) -> tuple[list, list]:
    """Generators ``[(name, {var: expr})]`` and families ``[(name, {var: expr}, functions)]`` from ``data``.

    Every string goes through :func:`~symmetries.safe_parse.parse_expression`, never sympify.

    Raises:
        ValueError: for another layout, another system, or a string that is not a safe expression.
    """
    if not isinstance(data, dict) or set(data) != LAYOUT:
        raise ValueError("not the layout describe_system() writes")
    variables = [v.name for v in system.variables]
    if (
        data["independent"] != [v.name for v in system.independent]
        or data["dependent"] != [v.name for v in system.dependent]
        or data["parameters"] != [p.name for p in system.params]
    ):
        raise ValueError("an algebra of another system")
    names: dict[str, sp.Basic] = {**CONSTANTS, **{s.name: s for s in (*system.variables, *system.params)}}

    def components(entry: dict, functions: dict) -> dict[str, sp.Expr]:
        if not isinstance(entry, dict) or sorted(entry) != sorted(variables):
            raise ValueError("components must name every variable once")
        return {v: parse_expression(entry[v], names, functions=functions) for v in variables}

    generators = []
    for g in data["generators"]:
        if not isinstance(g, dict) or set(g) != {"name", "components"} or not isinstance(g["name"], str):
            raise ValueError("a generator is {name, components}")
        generators.append((g["name"], components(g["components"], FUNCTIONS)))
    families = []
    for f in data["infinite_families"]:
        if not isinstance(f, dict) or set(f) != {"name", "components", "functions", "condition"}:
            raise ValueError("a family is {name, components, functions, condition}")
        declared = [parse_expression(fn, names, functions={}, new_functions=True) for fn in f["functions"]]
        if not all(isinstance(fn, AppliedUndef) and set(fn.args) <= set(system.variables) for fn in declared):
            raise ValueError(f"family functions {f['functions']} are not functions of the variables")
        known = {**FUNCTIONS, **CALCULUS, **{fn.func.__name__: fn.func for fn in declared}}
        if not isinstance(f["condition"], str) or not isinstance(f["name"], str):
            raise ValueError("a family's name and condition are text")
        families.append((f["name"], components(f["components"], known), declared))
    for text in data["integrability_conditions"]:
        if not isinstance(text, str) or not text.endswith(" = 0"):
            raise ValueError("an integrability condition is text 'expression = 0'")
        parse_expression(text.removesuffix(" = 0"), {**system.names_in(text), **names})
    return generators, families


def format_system_report(data: dict[str, Any]) -> str:
    """Human-readable summary of :func:`system_symmetries_of`."""

    def field(components: dict[str, str]) -> str:
        terms = [f"({c}) d_{v}" for v, c in components.items() if c != "0"]
        return " + ".join(terms) or "0"

    lines = [
        f"{data['system']}",
        f"   independent {', '.join(data['independent'])}; dependent {', '.join(data['dependent'])}"
        + (f"; parameters {', '.join(data['parameters'])}" if data["parameters"] else ""),
    ]
    if data["integrability_conditions"]:
        lines.append("   on its solutions also: " + "; ".join(data["integrability_conditions"]))
    lines += ["", f"{len(data['generators'])} generators:"]
    for i, g in enumerate(data["generators"], 1):
        lines.append(f"  v{i} {g['name']}: {field(g['components'])}")
    if data["infinite_families"]:
        lines.append(
            "\ninfinite families (arbitrary "
            + ", ".join(fn for f in data["infinite_families"] for fn in f["functions"])
            + "):"
        )
        for f in data["infinite_families"]:
            where = f"   where {f['condition']}" if f["condition"] else ""
            lines.append(f"  {f['name']}: {field(f['components'])}{where}")
    return "\n".join(lines)
