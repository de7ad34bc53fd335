"""Derivation of Lie point symmetries from the equation: compared with the algebras in the literature."""

from __future__ import annotations

import json
import time

import pytest
import sympy as sp

from pdejepa.cli import main
from symmetries.derive import Generator, derive, determining_condition
from symmetries.exponentiate import commutator, commutator_table, eps, exponentiate, in_basis
from symmetries.jets import EvolutionEquation, t, u, x
from symmetries.registry import EQUATIONS
from symmetries.cache import cache_dir
from symmetries.report import algebra_from, symmetries_of

nu = sp.Symbol("nu")

# The algebras as Olver (1993, ch. 2) and Ibragimov's CRC handbook list them.
KNOWN = {
    "heat": [
        (1, 0, 0),
        (0, 1, 0),
        (0, 0, u),
        (0, 2 * nu * t, -x * u),
        (2 * t, x, 0),
        (4 * nu * t**2, 4 * nu * t * x, -(x**2 + 2 * nu * t) * u),
    ],
    "burgers": [(1, 0, 0), (0, 1, 0), (0, t, 1), (2 * t, x, -u), (t**2, t * x, x - t * u)],
    "kdv": [(1, 0, 0), (0, 1, 0), (0, t, 1), (3 * t, x, -2 * u)],
    "ks": [(1, 0, 0), (0, 1, 0), (0, t, 1)],
}


@pytest.fixture(scope="module")
def algebras():
    return {name: derive(text) for name, text in EQUATIONS.items()}


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_derived_algebra_is_the_known_one(algebras, name):
    algebra = algebras[name]
    known = [Generator(*(sp.sympify(c) for c in g)) for g in KNOWN[name]]
    assert len(algebra.generators) == len(known)
    for g in known:  # same span: every known generator is a constant combination of the derived ones
        assert in_basis(g, algebra.generators) is not None, f"{g} missing from {[str(v) for v in algebra.generators]}"


def test_heat_superposition_is_reported_as_a_family(algebras):
    (family,) = algebras["heat"].families
    assert family.generator.tau == 0 and family.generator.xi == 0
    (f,) = family.functions
    assert family.generator.phi == f and set(f.args) == {t, x}
    (condition,) = family.conditions
    assert sp.simplify(condition - (sp.diff(f, t) - nu * sp.diff(f, x, 2))) == 0
    for name in ("burgers", "kdv", "ks"):
        assert algebras[name].families == []


def test_generators_satisfy_and_non_symmetries_fail_the_determining_condition(algebras):
    eq = algebras["burgers"].equation
    for g in algebras["burgers"].generators:
        assert sp.simplify(determining_condition(eq, *g.components)) == 0
    wrong = [(0, t, 0), (2 * t, x, u), (t**2, t * x, -t * u)]  # boost without d_u, wrong weight, projective without x
    for g in wrong:
        assert sp.simplify(determining_condition(eq, *(sp.sympify(c) for c in g))) != 0


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_every_group_element_solves_its_flow_and_maps_solutions(algebras, name):
    algebra = algebras[name]
    for g in algebra.generators:
        e = exponentiate(g)  # raises if the flow equations or the identity at epsilon = 0 fail
        for comp, coef in zip(e.components, g.components):  # first order: the generator itself
            assert sp.simplify(sp.diff(comp, eps).subs(eps, 0) - coef) == 0


def test_burgers_projective_group_in_closed_form(algebras):
    projective = next(g for g in algebras["burgers"].generators if g.tau == t**2)
    e = exponentiate(projective)
    assert sp.simplify(e.T - t / (1 - eps * t)) == 0
    assert sp.simplify(e.X - x / (1 - eps * t)) == 0
    assert sp.simplify(e.U - (u * (1 - eps * t) + eps * x)) == 0
    # and it maps the exact solution u = x / t to another solution, checked on the equation itself
    eq = algebras["burgers"].equation
    assert eq.residual(x / t) == 0


def test_commutators_close_and_are_antisymmetric(algebras):
    basis = algebras["heat"].generators
    table = commutator_table(basis)
    n = len(basis)
    for i in range(n):
        assert table[i][i] == "0"
        for j in range(n):
            bracket = commutator(basis[i], basis[j])
            assert in_basis(bracket, basis) is not None  # a Lie algebra: closed under brackets
            back = commutator(basis[j], basis[i])
            assert all(sp.simplify(a + b) == 0 for a, b in zip(bracket.components, back.components))
    burgers = algebras["burgers"].generators
    d_t, d_x, boost = burgers[0], burgers[1], burgers[2]
    assert in_basis(commutator(d_t, boost), burgers) is not None
    assert [sp.simplify(c) for c in commutator(d_t, boost).components] == list(d_x.components)


def test_general_evolution_equations_need_no_special_code():
    # u_t = u_xx + u^2: translations and the scaling (t, x, u) -> (l^2 t, l x, u / l^2)
    algebra = derive("u_t = u_xx + u**2")
    assert len(algebra.generators) == 3
    assert in_basis(Generator(2 * t, x, -2 * u), algebra.generators) is not None
    # the potential Burgers equation u_t = u_xx + u_x^2 is linearisable: the heat family appears
    pot = derive("u_t = u_xx + u_x**2")
    assert len(pot.families) == 1 and len(pot.generators) == 6


@pytest.mark.parametrize(
    "text,message",
    [
        ("u_x = u_xx", "no u_t"),
        ("u_tt = u_xx", "time derivative"),
        ("u_t = u_tx", "time derivative"),
        ("u_t = u", "x-derivative"),
        ("u_t*u = u_xx", "linearly with a constant coefficient"),
        ("u_t = = u_xx", "at most one"),
        ("u_t = u_xx +", "cannot read"),
        ("", "non-empty"),
    ],
)
def test_bad_equations_are_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        EvolutionEquation.parse(text)


def test_cache_round_trip_and_json_cli(capsys):
    text = EQUATIONS["burgers"]
    first = symmetries_of(text)
    entries = list(cache_dir().glob("*.json"))
    assert entries, "the derivation was not cached"
    start = time.perf_counter()
    again = symmetries_of(text)
    assert time.perf_counter() - start < 0.5 and again == first
    assert main(["symmetries", "derive", "burgers", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["generators"]) == 5 and data["infinite_families"] == []
    names = {"t": t, "x": x, "u": u, "nu": nu, "epsilon": eps}
    for g in data["generators"]:
        for key in ("tau", "xi", "phi"):
            sp.sympify(g[key], locals=names)  # parsable strings in t, x, u
    generators, elements, _ = algebra_from(data)
    assert all(e is not None for e in elements)
    assert main(["symmetries", "derive", "u_t = nu*u_xx"]) == 0
    out = capsys.readouterr().out
    assert "6 generators" in out and "infinite families" in out and "commutators" in out
    for path in entries:  # a damaged entry is recomputed, not trusted
        path.write_text("{not json")
    assert symmetries_of(text) == first
