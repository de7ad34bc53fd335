"""Equation text and cached symmetry strings are data: parsed by a whitelisted grammar, never evaluated as code."""

from __future__ import annotations

import copy
import json
import time

import pytest
import sympy as sp

from pdejepa.cli import main
from symmetries import report
from symmetries.jets import EvolutionEquation, jet, t, u, x
from symmetries.registry import EQUATIONS
from symmetries.safe_parse import CALCULUS, CONSTANTS, FUNCTIONS, parse_expression

nu, a = sp.Symbol("nu"), sp.Symbol("a")
u1, u2, u3, u4 = (jet(k) for k in range(1, 5))
NAMES = {"t": t, "x": x, "u": u, "u_x": u1, "u_xx": u2, "u_xxx": u3, **CONSTANTS}


def touch(marker) -> str:
    return f"__import__('os').system('touch {marker}')"


def refusal(text: str) -> str:
    """The one-line message with which :meth:`EvolutionEquation.parse` refuses ``text``."""
    with pytest.raises(ValueError) as err:
        EvolutionEquation.parse(text)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_injected_code_never_runs(tmp_path, capsys):
    marker = tmp_path / "marker"
    for text, why in [
        (f"u_t = {touch(marker)}", "only named functions can be called"),
        (f'u_t = u_xx + exec("{touch(marker)}")', "'exec': is an unknown function"),
        (f"{touch(marker)} = u_xx", "only named functions can be called"),
        ("u_t + __import__('os') = u_xx", "'__import__': names starting with '_' are not allowed"),
    ]:
        assert f"cannot read equation {text!r}" in refusal(text) and why in refusal(text)
    assert main(["symmetries", "derive", f"u_t = {touch(marker)}*u_xx", "--no-cache"]) == 2
    assert "only named functions can be called" in capsys.readouterr().err
    assert not marker.exists()


@pytest.mark.parametrize(
    "text,message",
    [
        ("u_t = u.__class__", "attribute access is not allowed"),
        ("u_t = u_xx.__class__.__mro__", "attribute access is not allowed"),
        ("u_t = (lambda: u_xx)()", "only named functions"),
        ("u_t = u_xx + (lambda v: v)", "a lambda is not allowed"),
        ("u_t = u_xx[0]", "a subscript is not allowed"),
        ("u_t = foo(u)*u_xx", "'foo': is an unknown function; known: Abs, abs, acos"),
        ("u_t = u_xx + 'u'", "only decimal int and float literals"),
        ("u_t = u_xx + True", "only decimal int and float literals"),
        ("u_t = 0x10*u_xx", "only decimal int and float literals"),
        ("u_t = 1234567890123456789012345678901*u_xx", "at most 30 digits"),
        ("u_t = _nu*u_xx", "names starting with '_'"),
        ("u_t = __builtins__*u_xx", "names starting with '_'"),
        ("u_t = gamma*u_xx", "'gamma': is a sympy name"),
        ("u_t = u_xx if u else u_x", "IfExp syntax is not allowed"),
        ("u_t = [u_xx][0]", "a subscript is not allowed"),
        ("u_t = (u_xx, u_x)", "Tuple syntax is not allowed"),
        ("u_t = u_xx*" + "-" * 60 + "u", "nested deeper than 50 levels"),
        ("u_t = " + "+".join(["u_xx"] * 600), "longer than 2000 characters"),
    ],
)
def test_only_the_grammar_is_accepted(text, message):
    assert message in refusal(text)


def test_power_towers_are_refused_fast():
    start = time.perf_counter()
    assert "'9**9': exponents must be numbers p/q with |p| <= 10 and q <= 10" in refusal("u_t = 9**9**9*u_xx")
    assert "exponents must be numbers" in refusal("u_t = u_xx + u^9^9^9")
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "text,message",
    [
        ("u_t = u**11*u_xx", "exponents must be numbers"),
        ("u_t = u**(1/11)*u_xx", "exponents must be numbers"),
        ("u_t = u**x*u_xx", "exponents must be numbers"),
        ("u_t = u**0.5*u_xx", "exponents must be numbers"),
        ("u_t = ((u**10)**10)**2*u_xx", "exponents of at most 100"),  # sympy merges nested powers
        ("u_t = exp(1000*log(u))*u_xx", "exponents of at most 100"),  # and exp(k log u) into u**k
        ("u_t = (2**10)**10*u_xx", "powers of numbers must stay below 2**100"),
        (
            "u_t = 100000000000000000000000000000*log(3)*u_xx",
            "a log of a number may carry a coefficient of at most 100",
        ),
    ],
)
def test_big_exponents_are_refused(text, message):
    start = time.perf_counter()
    assert message in refusal(text)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "text,message",
    [
        ("u_t = u_xx/0", "'u_xx/0': gives the non-finite value zoo"),
        ("u_t = u_xx + 0/0", "non-finite value nan"),
        ("u_t = 1e400*u_xx", "'1e400': float literals must lie within double precision range"),
        ("u_t = 1e-400*u_x + u_xx", "double precision range"),
        ("u_t = 1e300**2*u_xx", "non-finite value"),
        ("u_t = oo*u_xx", "'oo': is a sympy name"),
        ("u_t = nan*u_xx", "'nan': is a sympy name"),
        ("u_t = zoo + u_xx", "'zoo': is a sympy name"),
    ],
)
def test_non_finite_coefficients_are_refused(text, message):
    assert refusal(text).startswith(f"cannot read equation {text!r}: ") and message in refusal(text)


@pytest.mark.parametrize(
    "name,rhs",
    [
        ("heat", nu * u2),
        ("burgers", nu * u2 - u * u1),
        ("kdv", -u * u1 - u3),
        ("ks", -u * u1 - u2 - u4),
    ],
)
def test_registered_equations_parse_to_their_expressions(name, rhs):
    eq = EvolutionEquation.parse(EQUATIONS[name])
    assert sp.srepr(eq.rhs) == sp.srepr(rhs)
    assert eq.params == ((nu,) if name in ("heat", "burgers") else ())


@pytest.mark.parametrize(
    "text,expected",
    [
        ("-u*u_x + nu*u_xx", -u * u1 + nu * u2),
        ("(u_xx + 3*u)/(2*nu)", (u2 + 3 * u) / (2 * nu)),
        ("u_xx/(1 + u**2) - u^2*u_x", u2 / (1 + u**2) - u**2 * u1),
        ("0.5*u_xx - 1.25e-3*u*u_x", sp.Float("0.5") * u2 - sp.Float("1.25e-3") * u * u1),
        ("0.10000000000000000001*u_xx", sp.Float("0.10000000000000000001") * u2),  # the literal's own precision
        ("u_xxx/3 - a*u**(1/2)*u_x + 2**-3", u3 / 3 - a * sp.sqrt(u) * u1 + sp.Rational(1, 8)),
        ("exp(2*t)*sin(x)*u_x + pi*E*u - I", sp.exp(2 * t) * sp.sin(x) * u1 + sp.pi * sp.E * u - sp.I),
        ("-(-u_xx) + +x", u2 + x),
        ("(1 + u)**3*log(u, 2)", (1 + u) ** 3 * sp.log(u) / sp.log(2)),
    ],
)
def test_expressions_are_exactly_what_sympify_gave(text, expected):
    parsed = parse_expression(text, NAMES, new_symbols=True)
    assert sp.srepr(parsed) == sp.srepr(expected)


def test_equation_sides_and_parameters():
    eq = EvolutionEquation.parse("2*u_t = u_xxx/3 - a*u**(1/2)*u_x")
    assert sp.srepr(eq.rhs) == sp.srepr(u3 / 6 - a * sp.sqrt(u) * u1 / 2)
    assert eq.params == (a,) and eq.order == 3
    with pytest.raises(ValueError, match="'nu': is an unknown name; known names"):
        parse_expression("nu*u", NAMES)  # new names only where the caller allows them
    with pytest.raises(ValueError, match="keyword arguments are not allowed"):
        parse_expression("exp(u, evaluate=False)", NAMES)  # in an equation, '=' already splits the sides
    with pytest.raises(ValueError, match="'f6': is an unknown function"):
        parse_expression("f6(t, x)", NAMES)
    f6 = parse_expression("f6(t, x)", NAMES, functions={}, new_functions=True)
    assert f6 == sp.Function("f6")(t, x)
    condition = parse_expression(
        "-nu*Derivative(f6(t, x), (x, 2)) + Derivative(f6(t, x), t)",
        {**NAMES, "nu": nu},
        functions={**FUNCTIONS, **CALCULUS, "f6": f6.func},
    )
    assert condition == f6.diff(t) - nu * f6.diff(x, 2)
    with pytest.raises(ValueError, match="1 <= n <= 10"):
        parse_expression("Derivative(u, (x, 99))", NAMES, functions=CALCULUS)


# --- the on-disk cache: every string goes through the same parser; anything invalid is recomputed


@pytest.fixture(scope="module")
def heat():
    """The heat equation's described algebra: generators, exp/log groups and the superposition family."""
    return report.describe(EQUATIONS["heat"])


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PDEJEPA_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "symmetries"


def test_hostile_cache_entry_never_runs_and_is_recomputed(cache, tmp_path, heat, monkeypatch):
    marker = tmp_path / "marker"
    with monkeypatch.context() as m:  # write the entry from the fixture's derivation
        m.setattr(report, "describe", lambda text: copy.deepcopy(heat))
        report.symmetries_of(EQUATIONS["heat"])
    (path,) = cache.glob("*.json")
    data = json.loads(path.read_text())
    data["generators"][0]["tau"] = touch(marker)
    data["infinite_families"][0]["conditions"][0] = f"Derivative(f6(t, x), t) + {touch(marker)}"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="only named functions"):
        report.algebra_from(data)
    assert report.symmetries_of(EQUATIONS["heat"]) == heat  # a fresh derivation, not the entry
    assert json.loads(path.read_text()) == heat  # and the entry rewritten
    assert not marker.exists()


def _set(path: tuple, value):
    def corrupt(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return corrupt


CORRUPTIONS = {
    "group attribute": _set(("groups", 4, "u"), "u.__class__"),
    "power tower": _set(("groups", 0, "t"), "9**9**9*t"),
    "undeclared function": _set(("generators", 1, "xi"), "f6(t, x)"),
    "family function is not arbitrary": _set(("infinite_families", 0, "functions"), ["exp(t)"]),
    "unknown function in condition": _set(("infinite_families", 0, "conditions"), ["g(t) + Derivative(f6(t, x), t)"]),
    "commutator": _set(("commutators", 0, 1), "v1.__globals__"),
    "generators not a list": _set(("generators",), {"tau": "1", "xi": "0", "phi": "0"}),
    "number instead of text": _set(("generators", 0, "tau"), 1),
    "missing key": lambda data: data["groups"][0].pop("parameter"),
    "extra key": _set(("exec",), "os.system('true')"),
    "another parameter": _set(("parameters",), ["__import__('os')"]),
    "groups not one per generator": lambda data: data["groups"].pop(),
    "ragged commutators": lambda data: data["commutators"][2].pop(),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_invalid_cache_entries_are_recomputed_and_rewritten(cache, heat, monkeypatch, name):
    calls = []
    monkeypatch.setattr(report, "describe", lambda text: calls.append(text) or copy.deepcopy(heat))
    assert report.symmetries_of(EQUATIONS["heat"]) == heat and len(calls) == 1
    assert report.symmetries_of(EQUATIONS["heat"]) == heat and len(calls) == 1  # a valid entry is used
    (path,) = cache.glob("*.json")
    data = json.loads(path.read_text())
    CORRUPTIONS[name](data)
    path.write_text(json.dumps(data))
    assert report.symmetries_of(EQUATIONS["heat"]) == heat and len(calls) == 2
    assert json.loads(path.read_text()) == heat


@pytest.mark.parametrize("content", ["{not json", "[" * 100_000, b"\xff\xfe not utf-8", b"x" * (1 << 21)])
def test_unreadable_cache_files_are_recomputed(cache, heat, monkeypatch, content):
    monkeypatch.setattr(report, "describe", lambda text: copy.deepcopy(heat))
    report.symmetries_of(EQUATIONS["heat"])
    (path,) = cache.glob("*.json")
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert report.symmetries_of(EQUATIONS["heat"]) == heat
    assert json.loads(path.read_text()) == heat
