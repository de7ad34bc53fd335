"""The derived algebra as plain data (JSON), cached on disk by equation."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import sympy as sp

from .derive import Family, Generator, derive
from .errors import OutsideMethodError
from .exponentiate import GroupElement, commutator_table, eps, exponentiate
from .jets import EvolutionEquation, t, u, x

FORMAT = 1  # bump when the derivation or the layout changes: old cache entries are then ignored


def cache_dir() -> Path:
    """``$PDEJEPA_CACHE_DIR/symmetries`` or ``~/.cache/pdejepa/symmetries``."""
    root = os.environ.get("PDEJEPA_CACHE_DIR") or Path.home() / ".cache" / "pdejepa"
    return Path(root) / "symmetries"


def _text(expr: sp.Expr) -> str:
    return sp.sstr(expr)


def describe(text: str) -> dict[str, Any]:
    """Derive, exponentiate and tabulate; every expression as a sympy-parsable string in ``t, x, u``."""
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
        "generators": [{"tau": _text(g.tau), "xi": _text(g.xi), "phi": _text(g.phi)} for g in algebra.generators],
        "groups": groups,
        "commutators": commutator_table(algebra.generators),
        "infinite_families": [
            {
                "tau": _text(f.generator.tau),
                "xi": _text(f.generator.xi),
                "phi": _text(f.generator.phi),
                "functions": [_text(fn) for fn in f.functions],
                "conditions": [_text(c) for c in f.conditions],
            }
            for f in algebra.families
        ],
    }


def symmetries_of(text: str, use_cache: bool = True) -> dict[str, Any]:
    """:func:`describe`, read from or written to the disk cache keyed by the equation's evolution form."""
    key_source = f"{FORMAT}:{EvolutionEquation.parse(text)}"
    path = cache_dir() / f"{hashlib.sha256(key_source.encode()).hexdigest()[:24]}.json"
    if use_cache and path.exists():
        try:
            data = json.loads(path.read_text())
            data["equation"] = text
            return data
        except json.JSONDecodeError:
            pass  # a damaged entry is simply recomputed
    data = describe(text)
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as f:
            json.dump(data, f, indent=1)
        os.replace(f.name, path)  # never a half-written entry under the final name
    return data


def _names(data: dict[str, Any]) -> dict[str, sp.Basic]:
    names: dict[str, sp.Basic] = {"t": t, "x": x, "u": u, "epsilon": eps}
    names.update({p: sp.Symbol(p) for p in data["parameters"]})
    return names


def algebra_from(data: dict[str, Any]) -> tuple[list[Generator], list[GroupElement | None], list[Family]]:
    """Rebuild generators, their group elements (None where exponentiation failed) and families."""
    names = _names(data)
    parse = lambda text: sp.sympify(text, locals=names)  # noqa: E731
    generators = [Generator(*(parse(g[k]) for k in ("tau", "xi", "phi"))) for g in data["generators"]]
    groups = [GroupElement(parse(e["t"]), parse(e["x"]), parse(e["u"])) if "t" in e else None for e in data["groups"]]
    families = [
        Family(Generator(*(parse(f[k]) for k in ("tau", "xi", "phi"))), [parse(fn) for fn in f["functions"]], [parse(c) for c in f["conditions"]])
        for f in data["infinite_families"]
    ]
    return generators, groups, families


def format_report(data: dict[str, Any]) -> str:
    """Human-readable summary of :func:`symmetries_of`."""
    lines = [f"{data['equation']}   (as {data['evolution_form']})", "", f"{len(data['generators'])} generators:"]
    for i, (g, e) in enumerate(zip(data["generators"], data["groups"]), 1):
        field = " + ".join(f"({g[k]}) d_{c}" for k, c in (("tau", "t"), ("xi", "x"), ("phi", "u")) if g[k] != "0")
        lines.append(f"  v{i} = {field}")
        lines.append(f"       exp(epsilon v{i}): " + (f"t -> {e['t']},  x -> {e['x']},  u -> {e['u']}" if "t" in e else e["error"]))
    if data["infinite_families"]:
        lines.append("\ninfinite families:")
        for f in data["infinite_families"]:
            field = " + ".join(f"({f[k]}) d_{c}" for k, c in (("tau", "t"), ("xi", "x"), ("phi", "u")) if f[k] != "0")
            lines.append(f"  {field}   where " + ", ".join(f"{c} = 0" for c in f["conditions"]) if f["conditions"] else f"  {field} (arbitrary)")
    n = len(data["generators"])
    if n:
        lines.append("\ncommutators [v_i, v_j]:")
        width = max(6, *(len(c) for row in data["commutators"] for c in row))
        lines.append(" " * 6 + "".join(f"v{j + 1}".ljust(width + 2) for j in range(n)))
        for i, row in enumerate(data["commutators"]):
            lines.append(f"  v{i + 1}".ljust(6) + "".join(c.ljust(width + 2) for c in row))
    return "\n".join(lines)
