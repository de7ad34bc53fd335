"""The derived algebra as plain data (JSON), cached on disk by equation."""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from .cache import cached
from .derive import Family, Generator, derive
from .errors import OutsideMethodError
from .exponentiate import GroupElement, commutator_table, eps, exponentiate
from .jets import EvolutionEquation, t, u, x
from .safe_parse import CALCULUS, CONSTANTS, FUNCTIONS, parse_expression

FORMAT = 1  # bump when the derivation or the layout changes: old cache entries are then ignored
GENERATOR_KEYS = ("tau", "xi", "phi")
LAYOUT = {"equation", "evolution_form", "parameters", "generators", "groups", "commutators", "infinite_families"}


def _text(expr: sp.Expr) -> str:
    return sp.sstr(expr)


def describe(text: str) -> dict[str, Any]:
    """Derive, exponentiate and tabulate; every expression a string in ``t, x, u`` that :func:`algebra_from` reads."""
    algebra = derive(text)
    groups = []
    for g in algebra.generators:
        try:
            e = exponentiate(g)
            groups.append({"t": _text(e.T), "x": _text(e.X), "u": _text(e.U), "parameter": "epsilon"})
        except OutsideMethodError as err:
            groups.append({"error": str(err)})
    return {
        "equation": text,
        "evolution_form": str(algebra.equation),
        "parameters": [str(p) for p in algebra.equation.params],
        "generators": [dict(zip(GENERATOR_KEYS, map(_text, g.components))) for g in algebra.generators],
        "groups": groups,
        "commutators": commutator_table(algebra.generators),
        "infinite_families": [
            {
                **dict(zip(GENERATOR_KEYS, map(_text, f.generator.components))),
                "functions": [_text(fn) for fn in f.functions],
                "conditions": [_text(c) for c in f.conditions],
            }
            for f in algebra.families
        ],
    }


def symmetries_of(text: str, use_cache: bool = True) -> dict[str, Any]:
    """:func:`describe`, read from or written to the disk cache keyed by the equation's evolution form.

    A cache entry is data, not trusted: one that does not read back through the safe parser with
    exactly :func:`describe`'s layout for this equation is recomputed and rewritten.
    """
    eq = EvolutionEquation.parse(text)
    data = cached(f"{FORMAT}:{eq}", lambda: describe(text), lambda d: _is_valid(d, eq), use_cache)
    return {**data, "equation": text}


def _is_record(obj: Any, strings: tuple[str, ...], lists: tuple[str, ...] = ()) -> bool:
    """``obj`` is a dict with exactly these keys: ``strings`` hold strings, ``lists`` lists of strings."""
    return (
        isinstance(obj, dict)
        and set(obj) == {*strings, *lists}
        and all(isinstance(obj[k], str) for k in strings)
        and all(isinstance(obj[k], list) and all(isinstance(v, str) for v in obj[k]) for k in lists)
    )


def _check_layout(data: Any, eq: EvolutionEquation) -> None:
    """Raise ValueError unless ``data`` has exactly the layout :func:`describe` writes for ``eq``."""
    if not (isinstance(data, dict) and set(data) == LAYOUT and isinstance(data["generators"], list)):
        raise ValueError("cache entry: not the layout describe() writes")
    if data["evolution_form"] != str(eq) or data["parameters"] != [str(p) for p in eq.params]:
        raise ValueError("cache entry: for another equation")
    n = len(data["generators"])
    groups, commutators, families = data["groups"], data["commutators"], data["infinite_families"]
    valid = (
        isinstance(data["equation"], str)
        and all(_is_record(g, GENERATOR_KEYS) for g in data["generators"])
        and isinstance(groups, list)
        and len(groups) == n
        and all(
            _is_record(e, ("t", "x", "u", "parameter")) and e["parameter"] == "epsilon" or _is_record(e, ("error",))
            for e in groups
        )
        and isinstance(commutators, list)
        and len(commutators) == n
        and all(isinstance(row, list) and len(row) == n and all(isinstance(c, str) for c in row) for row in commutators)
        and isinstance(families, list)
        and all(_is_record(f, GENERATOR_KEYS, ("functions", "conditions")) for f in families)
    )
    if not valid:
        raise ValueError("cache entry: not the layout describe() writes")


def _is_valid(data: Any, eq: EvolutionEquation) -> bool:
    """Layout right and every expression string readable by the safe parser."""
    try:
        _check_layout(data, eq)
        algebra_from(data)
        basis = [f"v{i}" for i in range(1, len(data["generators"]) + 1)] + ["d_t", "d_x", "d_u"]  # see commutator_table
        names = {**_names(data), **{name: sp.Symbol(name) for name in basis}}
        for row in data["commutators"]:
            for entry in row:
                parse_expression(entry, names)
    except ValueError:
        return False
    return True


def _names(data: dict[str, Any]) -> dict[str, sp.Basic]:
    names: dict[str, sp.Basic] = {"t": t, "x": x, "u": u, "epsilon": eps, **CONSTANTS}
    for p in data["parameters"]:
        symbol = parse_expression(p, {}, new_symbols=True)  # a bare identifier, as describe() writes it
        if not isinstance(symbol, sp.Symbol):
            raise ValueError(f"parameter {p!r} is not a name")
        names[p] = symbol
    return names


def _family(entry: dict[str, Any], names: dict[str, sp.Basic]) -> Family:
    """A family whose arbitrary functions (``f6(t, x)``) are declared in ``entry["functions"]`` and nowhere else."""
    functions = [parse_expression(f, names, functions={}, new_functions=True) for f in entry["functions"]]
    if not all(isinstance(f, AppliedUndef) and set(f.args) <= {t, x, u} for f in functions):
        raise ValueError(f"family functions {entry['functions']} are not arbitrary functions of t, x, u")
    known = {**FUNCTIONS, **CALCULUS, **{f.func.__name__: f.func for f in functions}}

    def read(text):
        return parse_expression(text, names, functions=known)

    generator = Generator(*(read(entry[k]) for k in GENERATOR_KEYS))
    return Family(generator, functions, [read(c) for c in entry["conditions"]])


def algebra_from(data: dict[str, Any]) -> tuple[list[Generator], list[GroupElement | None], list[Family]]:
    """Rebuild generators, their group elements (None where exponentiation failed) and families.

    Every string goes through :func:`~symmetries.safe_parse.parse_expression`, never sympify.

    Raises:
        ValueError: for a string that is not a safe expression in ``t, x, u, epsilon`` and the parameters.
    """
    names = _names(data)

    def read(text):
        return parse_expression(text, names)

    generators = [Generator(*(read(g[k]) for k in GENERATOR_KEYS)) for g in data["generators"]]
    groups = [GroupElement(read(e["t"]), read(e["x"]), read(e["u"])) if "t" in e else None for e in data["groups"]]
    families = [_family(f, names) for f in data["infinite_families"]]
    return generators, groups, families


def format_report(data: dict[str, Any]) -> str:
    """Human-readable summary of :func:`symmetries_of`."""
    lines = [f"{data['equation']}   (as {data['evolution_form']})", "", f"{len(data['generators'])} generators:"]
    for i, (g, e) in enumerate(zip(data["generators"], data["groups"]), 1):
        field = " + ".join(f"({g[k]}) d_{c}" for k, c in (("tau", "t"), ("xi", "x"), ("phi", "u")) if g[k] != "0")
        lines.append(f"  v{i} = {field}")
        lines.append(
            f"       exp(epsilon v{i}): "
            + (f"t -> {e['t']},  x -> {e['x']},  u -> {e['u']}" if "t" in e else e["error"])
        )
    if data["infinite_families"]:
        lines.append("\ninfinite families:")
        for f in data["infinite_families"]:
            field = " + ".join(f"({f[k]}) d_{c}" for k, c in (("tau", "t"), ("xi", "x"), ("phi", "u")) if f[k] != "0")
            lines.append(
                f"  {field}   where " + ", ".join(f"{c} = 0" for c in f["conditions"])
                if f["conditions"]
                else f"  {field} (arbitrary)"
            )
    n = len(data["generators"])
    if n:
        lines.append("\ncommutators [v_i, v_j]:")
        width = max(6, *(len(c) for row in data["commutators"] for c in row))
        lines.append(" " * 6 + "".join(f"v{j + 1}".ljust(width + 2) for j in range(n)))
        for i, row in enumerate(data["commutators"]):
            lines.append(f"  v{i + 1}".ljust(6) + "".join(c.ljust(width + 2) for c in row))
    return "\n".join(lines)
