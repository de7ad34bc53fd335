"""Regression table of published Lie point-symmetry algebras of scalar evolution equations.

Each row gives an equation, the dimension of the finite part of its point-symmetry algebra, the
number of infinite-dimensional families (the superposition of a linear equation, or of one that
a point change of variables linearises) and, where the published basis is certain, that basis as
``(tau, xi, phi)`` for ``tau d_t + xi d_x + phi d_u``. The derived span must equal the published
span exactly (the bases differ by constant linear combinations), every derived generator must pass
an independent check of the symmetry condition, and every family must do so on the solutions of
its own condition. Heat, Burgers, KdV and Kuramoto-Sivashinsky are in test_symmetries_derive.py.

Sources (cited per row):

- [Ovs] L. V. Ovsiannikov (1959), group classification of nonlinear diffusion ``u_t = (D(u) u_x)_x``:
  3 generators for generic ``D``, 4 for ``D = u^k`` (``k x d_x + 2 u d_u``) and ``D = e^u`` (``x d_x + 2 d_u``),
  5 for ``k = -4/3`` (``x^2 d_x - 3 x u d_u``); tabulated in N. H. Ibragimov (ed.), *CRC Handbook of Lie
  Group Analysis of Differential Equations*, vol. 1 (1994), and in P. J. Olver, *Applications of Lie
  Groups to Differential Equations* (2nd ed., 1993), ch. 2.
- [Dor] V. A. Dorodnitsyn (1982), classification of ``u_t = u_xx + F(u)`` (also in [CRC] vol. 1): generic ``F``
  only the translations; ``u^n`` and ``e^u`` add a scaling; ``u log u`` adds two generators; linear ``F``
  is the heat equation's algebra. The Fisher and Nagumo rows are the generic case (their cubic or
  quadratic is not a shifted power), as in P. A. Clarkson, E. L. Mansfield, Physica D 70 (1993) 250.
- [CRC] Ibragimov (ed.), CRC Handbook vol. 1: modified KdV, modified Burgers, Harry Dym
  ``u_t = u^3 u_xxx`` (5 generators, with the projective ``x^2 d_x + 2 x u d_u``), linear equations
  ``u_t = u_{x^n}`` (translations, ``u d_u``, ``n t d_t + x d_x`` and the superposition).
- [Olv] Olver (1993), ch. 2: the potential Burgers equation ``u_t = u_xx + u_x^2`` (``u = log w`` maps it to
  the heat equation: the heat algebra and the family ``f e^{-u} d_u``), the potential KdV equation (the
  KdV algebra lifted to the potential, and ``d_u``).
- [BK] G. W. Bluman, S. Kumei, *Symmetries and Differential Equations* (1989): a linear parabolic equation
  equivalent to the heat equation has its 6 + infinite algebra, carried over by the equivalence; the
  Black-Scholes type ``u_t = x^2 u_xx`` (R. K. Gazizov, N. H. Ibragimov, Nonlinear Dyn. 17 (1998) 387)
  through ``x = e^y, u = e^{y/2 - t/4} w``, the Ornstein-Uhlenbeck type ``u_t = u_xx + x u_x`` through
  ``X = x e^t, T = (e^{2t} - 1)/2``.
"""

from __future__ import annotations

from functools import cache

import pytest
import sympy as sp

from symmetries.derive import Generator, SymmetryAlgebra, derive, determining_condition
from symmetries.jets import t, u, x

E, L = sp.exp(t), sp.log(x)

# (id, equation, finite dimension, families, published basis or None, source)
TABLE = [
    # nonlinear diffusion u_t = (D(u) u_x)_x, written out: (D u_x)_x = D u_xx + D' u_x^2
    (
        "diffusion-u^2",
        "u_t = u**2*u_xx + 2*u*u_x**2",
        4,
        0,
        [(1, 0, 0), (0, 1, 0), (2 * t, x, 0), (0, 2 * x, 2 * u)],
        "Ovs",
    ),
    ("diffusion-u", "u_t = u*u_xx + u_x**2", 4, 0, [(1, 0, 0), (0, 1, 0), (2 * t, x, 0), (0, x, 2 * u)], "Ovs"),
    (
        "diffusion-u^-2",
        "u_t = u**(-2)*u_xx - 2*u**(-3)*u_x**2",
        4,
        0,
        [(1, 0, 0), (0, 1, 0), (2 * t, x, 0), (0, -2 * x, 2 * u)],
        "Ovs",
    ),
    (
        "diffusion-u^-4/3",
        "u_t = u**(-4/3)*u_xx - 4/3*u**(-7/3)*u_x**2",
        5,
        0,
        [(1, 0, 0), (0, 1, 0), (2 * t, x, 0), (0, -sp.Rational(4, 3) * x, 2 * u), (0, x**2, -3 * x * u)],
        "Ovs",
    ),
    (
        "diffusion-exp",
        "u_t = exp(u)*u_xx + exp(u)*u_x**2",
        4,
        0,
        [(1, 0, 0), (0, 1, 0), (2 * t, x, 0), (0, x, 2)],
        "Ovs",
    ),
    ("diffusion-generic", "u_t = (1 + u**2)*u_xx + 2*u*u_x**2", 3, 0, [(1, 0, 0), (0, 1, 0), (2 * t, x, 0)], "Ovs"),
    # reaction-diffusion u_t = u_xx + F(u)
    ("fisher", "u_t = u_xx + u*(1 - u)", 2, 0, [(1, 0, 0), (0, 1, 0)], "Dor"),
    ("nagumo", "u_t = u_xx + u*(1 - u)*(u - a)", 2, 0, [(1, 0, 0), (0, 1, 0)], "Dor"),
    ("sine", "u_t = u_xx + sin(u)", 2, 0, [(1, 0, 0), (0, 1, 0)], "Dor"),
    ("square", "u_t = u_xx + u**2", 3, 0, [(1, 0, 0), (0, 1, 0), (2 * t, x, -2 * u)], "Dor"),
    ("cube", "u_t = u_xx + u**3", 3, 0, [(1, 0, 0), (0, 1, 0), (2 * t, x, -u)], "Dor"),
    ("exponential", "u_t = u_xx + exp(u)", 3, 0, [(1, 0, 0), (0, 1, 0), (2 * t, x, -2)], "Dor"),
    (
        "u-log-u",
        "u_t = u_xx + u*log(u)",
        4,
        0,
        [(1, 0, 0), (0, 1, 0), (0, 0, E * u), (0, 2 * E, -E * x * u)],
        "Dor",
    ),
    # dispersive and higher order
    ("mkdv", "u_t + u**2*u_x + u_xxx = 0", 3, 0, [(1, 0, 0), (0, 1, 0), (3 * t, x, -u)], "CRC"),
    (
        "potential-kdv",
        "u_t = u_xxx + u_x**2",
        5,
        0,
        [(1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 2 * t, -x), (3 * t, x, -u)],
        "Olv",
    ),
    (
        "harry-dym",
        "u_t = u**3*u_xxx",
        5,
        0,
        [(1, 0, 0), (0, 1, 0), (0, x, u), (3 * t, 0, -u), (0, x**2, 2 * x * u)],
        "CRC",
    ),
    ("airy", "u_t = u_xxx", 4, 1, [(1, 0, 0), (0, 1, 0), (0, 0, u), (3 * t, x, 0)], "CRC"),
    ("biharmonic", "u_t = u_xxxx", 4, 1, [(1, 0, 0), (0, 1, 0), (0, 0, u), (4 * t, x, 0)], "CRC"),
    ("modified-burgers", "u_t + u**2*u_x = u_xx", 3, 0, [(1, 0, 0), (0, 1, 0), (2 * t, x, -u / 2)], "CRC"),
    # equivalent to the heat equation: 6 generators and the superposition
    (
        "potential-burgers",
        "u_t = u_xx + u_x**2",
        6,
        1,
        [(1, 0, 0), (0, 1, 0), (0, 0, 1), (2 * t, x, 0), (0, 2 * t, -x), (4 * t**2, 4 * t * x, -(x**2 + 2 * t))],
        "Olv",
    ),
    (
        "black-scholes",
        "u_t = x**2*u_xx",
        6,
        1,
        [
            (1, 0, 0),
            (0, x, 0),
            (0, 0, u),
            (0, 2 * t * x, (t - L) * u),
            (4 * t, 2 * x * L, (L - t) * u),
            (4 * t**2, 4 * t * x * L, -(L**2 - 2 * t * L + 2 * t + t**2) * u),
        ],
        "BK",
    ),
    (
        "ornstein-uhlenbeck",
        "u_t = u_xx + x*u_x",
        6,
        1,
        [
            (1, 0, 0),
            (0, 0, u),
            (0, 1 / E, 0),
            (0, E, -x * E * u),
            (1 / E**2, -x / E**2, 0),
            (E**2, x * E**2, -(x**2 + 1) * E**2 * u),
        ],
        "BK",
    ),
]


@cache
def derived(text: str) -> SymmetryAlgebra:
    return derive(text)


def coefficient_matrix(generators: list[tuple[sp.Expr, sp.Expr, sp.Expr]]) -> tuple[sp.Matrix, list]:
    """Rows of constant coefficients over ``(component, function of t, x, u)`` columns.

    Products of powers, exponentials and logs of ``t, x, u`` with distinct exponents are linearly
    independent functions, so two lists of generators span the same space iff their rows do.
    """
    rows = []
    for g in generators:
        row: dict = {}
        for axis, component in enumerate(g):
            for term in sp.Add.make_args(sp.expand(sp.sympify(component))):
                coefficient, function = term.as_independent(t, x, u)
                row[(axis, function)] = row.get((axis, function), 0) + coefficient
        rows.append(row)
    columns = sorted({c for row in rows for c in row}, key=sp.default_sort_key)
    return sp.Matrix([[row.get(c, 0) for c in columns] for row in rows]), columns


def span_ranks(derived_: list[Generator], published: list[tuple]) -> tuple[int, int, int]:
    """Ranks of the derived rows, the published rows, and both stacked: all equal iff the spans are equal."""
    both, _ = coefficient_matrix([g.components for g in derived_] + list(published))
    n = len(derived_)
    return both[:n, :].rank(simplify=True), both[n:, :].rank(simplify=True), both.rank(simplify=True)


@pytest.mark.parametrize("name,text,dimension,families,published,source", TABLE, ids=[row[0] for row in TABLE])
def test_derived_algebra_is_the_published_one(name, text, dimension, families, published, source):
    algebra = derived(text)
    listed = [str(g) for g in algebra.generators]
    assert len(algebra.generators) == dimension, f"{name} [{source}]: {listed}"
    assert len(algebra.families) == families, f"{name} [{source}]: {[str(f.generator) for f in algebra.families]}"
    if published is not None:
        assert len(published) == dimension
        ranks = span_ranks(algebra.generators, published)
        assert ranks == (dimension,) * 3, f"{name} [{source}]: derived {listed}, ranks {ranks}"


@pytest.mark.parametrize("name,text", [row[:2] for row in TABLE], ids=[row[0] for row in TABLE])
def test_every_derived_generator_satisfies_the_symmetry_condition(name, text):
    algebra = derived(text)
    assert algebra.generators
    for g in algebra.generators:
        assert sp.simplify(determining_condition(algebra.equation, *g.components)) == 0, f"{name}: {g}"


@pytest.mark.parametrize("name,text", [row[:2] for row in TABLE if row[3]], ids=[row[0] for row in TABLE if row[3]])
def test_every_family_is_a_symmetry_on_the_solutions_of_its_condition(name, text):
    algebra = derived(text)
    assert algebra.families
    for family in algebra.families:
        (f,) = family.functions
        (condition,) = family.conditions
        (f_t,) = sp.solve(condition, sp.Derivative(f, t))  # the condition is an evolution equation for f
        residual = determining_condition(algebra.equation, *family.generator.components)
        assert sp.simplify(residual.subs(sp.Derivative(f, t), f_t).doit()) == 0, f"{name}: {family.generator}"


def test_span_comparison_tells_a_different_algebra_apart():
    # the published basis of u_t = u_xx + u**2 against a wrong scaling weight and a missing generator
    algebra = derived("u_t = u_xx + u**2")
    assert span_ranks(algebra.generators, [(1, 0, 0), (0, 1, 0), (2 * t, x, -2 * u)]) == (3, 3, 3)
    assert span_ranks(algebra.generators, [(1, 0, 0), (0, 1, 0), (2 * t, x, -u)]) == (3, 3, 4)
    assert span_ranks(algebra.generators, [(1, 0, 0), (0, 1, 0)]) == (3, 2, 3)
