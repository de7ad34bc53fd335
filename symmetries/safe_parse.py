"""Math text to sympy through a whitelisted grammar: nothing in the text is ever evaluated as code.

``sp.sympify`` and ``parse_expr`` run ``eval`` on the text, so an equation or a cache file could
execute anything. Here the text is parsed by :mod:`ast` and each allowed node is turned into the
sympy object directly; every other node is refused. The grammar:

- numbers: decimal ``int`` and ``float`` literals of at most :data:`MAX_DIGITS` digits; ints become
  ``sp.Integer``, floats ``sp.Float(literal)`` (the literal's own precision, as sympify gives);
  a float outside the double range (``1e400``) is refused;
- names: those of the caller's mapping; where the caller allows it, a new name becomes a plain
  ``sp.Symbol`` (or, called, an undefined ``sp.Function``), unless it starts with ``_`` or is a name
  sympy defines (``oo``, ``E``, ``gamma``...), which sympify would have read differently;
- ``+ - * /``, unary ``+ -`` and ``**`` (``^`` means ``**``, as sympify's ``convert_xor``), the exponent
  a number ``p/q`` with ``|p| <= MAX_POWER`` and ``q <= MAX_ROOT``;
- calls of the caller's functions (default :data:`FUNCTIONS`) with positional arguments; a tuple
  only as an argument of :func:`derivative`.

Limits keep parsing and what sympy does next fast: :data:`MAX_LENGTH` characters, nesting depth
:data:`MAX_DEPTH` (long sums and products do not count as nesting), powers of numbers below
``2**MAX_BITS``, and in the result no power above :data:`MAX_COMBINED_POWER` (sympy merges
``(u**10)**10`` into ``u**100`` and ``exp(k*log(u))`` into ``u**k``) and no ``log`` of a number times
a coefficient above it (sympy's ``logcombine``, in ``exp`` and ``simplify``, would compute
``b**k`` exactly). Infinite or undefined values (``1/0``, ``0/0``) are refused.
Every refusal is a one-line ``ValueError`` naming the offending piece and what is allowed.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import NoReturn

import sympy as sp

MAX_LENGTH = 2000
MAX_DEPTH = 50
MAX_DIGITS = 30
MAX_BITS = 100
MAX_POWER = 10
MAX_ROOT = 10
MAX_COMBINED_POWER = 100
MAX_DERIVATIVE_ORDER = 10

NUMBER = re.compile(r"(?P<mantissa>[0-9]+\.?[0-9]*|\.[0-9]+)(?P<exponent>[eE][+-]?[0-9]+)?")
GRAMMAR = "allowed are numbers, names, + - * / ** ^, unary + -, and calls f(a, b) of known functions"

Builder = Callable[..., sp.Basic]


def _exp(arg: sp.Expr) -> sp.Expr:
    _check_log_coefficients(arg)  # before sympy evaluates exp(k*log(b)) as b**k
    return sp.exp(arg)


FUNCTIONS: Mapping[str, Builder] = {
    "exp": _exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "Abs": sp.Abs,
    "abs": sp.Abs,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "asinh": sp.asinh,
    "acosh": sp.acosh,
    "atanh": sp.atanh,
}
CONSTANTS: Mapping[str, sp.Basic] = {"pi": sp.pi, "E": sp.E, "I": sp.I}


def derivative(expr: sp.Expr, *variables: sp.Basic) -> sp.Expr:
    """``Derivative(f, x, (t, 2))`` as ``sp.sstr`` writes it, unevaluated; orders up to :data:`MAX_DERIVATIVE_ORDER`."""
    for v in variables:
        symbol, order = tuple(v) if isinstance(v, sp.Tuple) and len(v) == 2 else (v, sp.Integer(1))
        if not (isinstance(symbol, sp.Symbol) and isinstance(order, sp.Integer) and 1 <= order <= MAX_DERIVATIVE_ORDER):
            _refuse(sp.sstr(v), f"Derivative takes variables x or (x, n) with 1 <= n <= {MAX_DERIVATIVE_ORDER}")
    return sp.Derivative(expr, *variables)


CALCULUS: Mapping[str, Builder] = {"Derivative": derivative}

_CHAINS = {ast.Add: "sum", ast.Sub: "sum", ast.Mult: "product", ast.Div: "product"}
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_INFINITIES = (sp.oo, -sp.oo, sp.zoo, sp.nan)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _refuse(piece: str, why: str) -> NoReturn:
    raise ValueError(" ".join(f"{_short(piece)!r}: {why}".split()))  # one line, whatever the text held


def non_finite(expr: sp.Basic) -> sp.Basic | None:
    """The first infinite or undefined value in ``expr`` (also a Float beyond double range), or None."""
    for bad in _INFINITIES:
        if expr.has(bad):
            return bad
    return next((f for f in expr.atoms(sp.Float) if not math.isfinite(float(f))), None)


def _check_log_coefficients(expr: sp.Basic) -> None:
    for term in (expr, *expr.atoms(sp.Mul)):
        coefficient, rest = term.as_coeff_Mul()
        if (
            coefficient.is_finite
            and abs(coefficient) > MAX_COMBINED_POWER
            and any(isinstance(f, sp.log) and f.args[0].is_number for f in sp.Mul.make_args(rest))
        ):
            _refuse(sp.sstr(term), f"a log of a number may carry a coefficient of at most {MAX_COMBINED_POWER}")


def _check_result(expr: sp.Basic, text: str) -> None:
    """What sympy built from ``text`` must be finite and stay cheap to expand and simplify."""
    bad = non_finite(expr)
    if bad is not None:
        value = _short(sp.sstr(bad, full_prec=False), 30)
        _refuse(text, f"gives the non-finite value {value}; only finite numbers are allowed")
    for power in expr.atoms(sp.Pow):
        if power.exp.is_Rational and abs(power.exp.p) > MAX_COMBINED_POWER:
            why = f"powers, also merged ones, may have exponents of at most {MAX_COMBINED_POWER}"
            _refuse(text, f"gives {_short(sp.sstr(power), 40)}; {why}")
    _check_log_coefficients(expr)


def _is_new_name(name: str) -> bool:
    return not name.startswith("_") and not hasattr(sp, name)


class _Reader:
    """Builds sympy objects from the allowed :mod:`ast` nodes of one text."""

    def __init__(
        self,
        source: str,
        names: Mapping[str, sp.Basic],
        functions: Mapping[str, Builder],
        new_symbols: bool,
        new_functions: bool,
    ) -> None:
        self.source, self.names, self.functions = source, names, functions
        self.new_symbols, self.new_functions = new_symbols, new_functions

    def fail(self, node: ast.AST, why: str) -> NoReturn:
        _refuse(ast.get_source_segment(self.source, node) or type(node).__name__, why)

    def build(self, node: ast.AST, depth: int) -> sp.Basic:
        if depth > MAX_DEPTH:
            self.fail(node, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.BinOp) and type(node.op) in _CHAINS:
            return self.chain(node, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return self.power(node, depth)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else +operand
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        kinds = {ast.Attribute: "attribute access", ast.Subscript: "a subscript", ast.Lambda: "a lambda"}
        self.fail(node, f"{kinds.get(type(node), type(node).__name__ + ' syntax')} is not allowed; {GRAMMAR}")

    def chain(self, node: ast.BinOp, depth: int) -> sp.Basic:
        # a + b - c + ... parses left-nested: walk that spine in a loop, so a long sum is not deep nesting;
        # fold left to right with sympy's own operators, exactly as sympify's eval did
        kind, steps = _CHAINS[type(node.op)], []
        while isinstance(node, ast.BinOp) and _CHAINS.get(type(node.op)) == kind:
            steps.append(node)
            node = node.left
        value = self.build(node, depth + 1)
        for step in reversed(steps):
            value = _OPERATORS[type(step.op)](value, self.build(step.right, depth + 1))
        return value

    def power(self, node: ast.BinOp, depth: int) -> sp.Basic:
        base, exponent = self.build(node.left, depth + 1), self.build(node.right, depth + 1)
        if not (isinstance(exponent, sp.Rational) and abs(exponent.p) <= MAX_POWER and exponent.q <= MAX_ROOT):
            self.fail(node.right, f"exponents must be numbers p/q with |p| <= {MAX_POWER} and q <= {MAX_ROOT}")
        bits = max(abs(base.p).bit_length(), base.q.bit_length()) if isinstance(base, sp.Rational) else 0
        if abs(exponent.p) * bits > MAX_BITS * exponent.q:  # checked before sympy computes it exactly
            self.fail(node, f"powers of numbers must stay below 2**{MAX_BITS}")
        return base**exponent

    def number(self, node: ast.Constant) -> sp.Basic:
        literal = ast.get_source_segment(self.source, node) or ""
        match = NUMBER.fullmatch(literal)
        if type(node.value) not in (int, float) or match is None:  # bool is an int subclass: compare types
            self.fail(node, "only decimal int and float literals such as 2, 0.5, 1e-3 are allowed")
        mantissa = match["mantissa"]
        if sum(c.isdigit() for c in mantissa) > MAX_DIGITS:
            self.fail(node, f"numbers may have at most {MAX_DIGITS} digits")
        if isinstance(node.value, int):
            return sp.Integer(node.value)
        if not math.isfinite(node.value) or (node.value == 0 and mantissa.strip("0.")):
            self.fail(node, "float literals must lie within double precision range")
        return sp.Float(literal)

    def name(self, node: ast.Name) -> sp.Basic:
        if node.id.startswith("_"):
            self.fail(node, "names starting with '_' are not allowed")
        if node.id in self.names:
            return self.names[node.id]
        if self.new_symbols and _is_new_name(node.id):
            return sp.Symbol(node.id)
        why = "is a sympy name, not allowed as a new symbol" if self.new_symbols else "is an unknown name"
        self.fail(node, f"{why}; known names: {', '.join(sorted(self.names)) or 'none'}")

    def call(self, node: ast.Call, depth: int) -> sp.Basic:
        if not isinstance(node.func, ast.Name):
            self.fail(node.func, f"only named functions can be called: {', '.join(sorted(self.functions))}")
        if node.func.id.startswith("_"):
            self.fail(node.func, "names starting with '_' are not allowed")
        if node.keywords:
            self.fail(node, "keyword arguments are not allowed, only positional ones")
        name = node.func.id
        function = self.functions.get(name)
        if function is None and self.new_functions and _is_new_name(name):
            function = sp.Function(name)
        if function is None:
            self.fail(node.func, f"is an unknown function; known: {', '.join(sorted(self.functions)) or 'none'}")
        args = [self.argument(a, depth + 1, function is derivative) for a in node.args]
        try:
            result = function(*args)
        except Exception as err:  # sympy signals bad arguments with many error types: all mean refusal
            self.fail(node, f"invalid arguments ({type(err).__name__}: {err})")
        if not isinstance(result, sp.Expr):
            self.fail(node, "does not give an expression")
        return result

    def argument(self, node: ast.AST, depth: int, tuples: bool) -> sp.Basic:
        if isinstance(node, ast.Tuple) and tuples:
            return sp.Tuple(*(self.build(e, depth + 1) for e in node.elts))
        return self.build(node, depth)


def parse_expression(
    text: str,
    names: Mapping[str, sp.Basic],
    *,
    functions: Mapping[str, Builder] = FUNCTIONS,
    new_symbols: bool = False,
    new_functions: bool = False,
    max_length: int = MAX_LENGTH,
) -> sp.Expr:
    """Read ``text`` (e.g. ``"-nu*u_xx + exp(2*t)/3"``) into a sympy expression without evaluating it as code.

    Args:
        text: the expression; grammar and limits in the module docstring.
        names: name -> sympy object for every name the text may use (symbols, constants such as :data:`CONSTANTS`).
        functions: name -> callable building a sympy expression; the only functions that may be called.
        new_symbols: read unknown names as new ``sp.Symbol(name)`` (no assumptions, as sympify).
        new_functions: read unknown called names as new undefined functions ``sp.Function(name)``.
        max_length: the most characters accepted.
    Raises:
        ValueError: one line naming the refused piece and what is allowed.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected text, got {type(text).__name__}")
    if len(text) > max_length:
        _refuse(text, f"longer than {max_length} characters")
    source = text.strip().replace("^", "**")  # ^ cannot occur in names or numbers: the same rewrite as convert_xor
    if not source:
        raise ValueError("empty expression")
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        _refuse(text, f"not a valid expression ({type(err).__name__}: {err}); {GRAMMAR}")
    try:
        result = _Reader(source, names, functions, new_symbols, new_functions).build(tree.body, 0)
    except ValueError:
        raise
    except Exception as err:  # e.g. a RecursionError deep inside sympy: refuse, never crash the caller
        _refuse(text, f"could not be built ({type(err).__name__}: {err})")
    if not isinstance(result, sp.Expr):
        _refuse(text, "is not an expression")
    _check_result(result, text.strip())
    return result
