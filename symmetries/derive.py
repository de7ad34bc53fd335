"""Lie point symmetries of a scalar evolution equation, derived from the equation alone.

Method (Olver, *Applications of Lie Groups to Differential Equations*, ch. 2):

1. A generator ``v = tau d_t + xi d_x + phi d_u`` with unknown ``tau, xi, phi(t, x, u)``
   is a symmetry of ``u_t = F`` iff its characteristic ``Q = phi - tau u_t - xi u_x``
   satisfies the linearised equation on solutions:
   ``D_t Q - sum_k F_{u_k} D_x^k Q = 0`` (all ``t``-derivatives eliminated through ``F``).
2. That expression is polynomial in the free jets ``u_x, u_xx, ...``: each coefficient
   is a determining equation, linear in ``tau, xi, phi``.
3. One-term equations are integrated (``f_{uu} = 0`` makes ``f`` linear in ``u`` ...), then
   linear ODEs of one unknown along one variable (``f_uu + f_u = 0`` gives ``a + b e^{-u}``),
   which frees more variables to split by, until nothing changes.
4. What remains is solved by a polynomial ansatz and a nullspace, one coupled group of
   unknown functions at a time; a group whose solution space keeps growing with the ansatz
   degree is an infinite family (the heat equation's superposition) and is reported as such.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef

from .jets import EvolutionEquation, is_jet, jet, t, u, x

VARIABLES = (t, x, u)


@dataclass
class Generator:
    """``tau d_t + xi d_x + phi d_u``; components are sympy expressions in ``t, x, u``."""

    tau: sp.Expr
    xi: sp.Expr
    phi: sp.Expr

    @property
    def components(self) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
        return self.tau, self.xi, self.phi

    def apply(self, f: sp.Expr) -> sp.Expr:
        """The vector field acting on a function of ``t, x, u``."""
        return self.tau * sp.diff(f, t) + self.xi * sp.diff(f, x) + self.phi * sp.diff(f, u)

    def __str__(self) -> str:
        parts = []
        for coef, d in zip(self.components, ("d_t", "d_x", "d_u")):
            if coef != 0:
                parts.append(f"({sp.sstr(coef)})*{d}" if isinstance(coef, sp.Add) else f"{sp.sstr(coef)}*{d}")
        return " + ".join(parts).replace("1*d_", "d_") if parts else "0"


@dataclass
class Family:
    """An infinite-dimensional family: ``tau, xi, phi`` hold arbitrary functions subject to ``conditions``."""

    generator: Generator
    functions: list[sp.Expr]
    conditions: list[sp.Expr] = field(default_factory=list)


class _Unknowns:
    """Current expressions of ``tau, xi, phi`` in terms of unknown functions and constants."""

    def __init__(self) -> None:
        self.count = itertools.count(1)
        self.exprs = {name: sp.Function(name)(*VARIABLES) for name in ("tau", "xi", "phi")}

    def fresh(self, args: tuple[sp.Symbol, ...]) -> sp.Expr:
        n = next(self.count)
        return sp.Function(f"f{n}")(*args) if args else sp.Symbol(f"c{n}")

    def replace(self, f: AppliedUndef, by: sp.Expr) -> None:
        self.exprs = {k: v.subs(f, by).doit() for k, v in self.exprs.items()}


def unknowns_in(expr: sp.Expr) -> set:
    """Unknown functions and constants (``c1``...) occurring in ``expr``."""
    found = set(expr.atoms(AppliedUndef))
    found |= {s for s in expr.free_symbols if s.name.startswith("c") and s.name[1:].isdigit()}
    return found


def split(expr: sp.Expr, gens: list[sp.Symbol]) -> list[sp.Expr]:
    """Coefficients of ``expr`` as a polynomial in ``gens`` (which nothing unknown depends on)."""
    buckets: dict[tuple, list[sp.Expr]] = defaultdict(list)
    gens_set = set(gens)
    for term in sp.Add.make_args(sp.expand(expr)):
        key, rest = [], []
        for factor in sp.Mul.make_args(term):
            base, exp = factor.as_base_exp()
            if base in gens_set and exp.is_Integer and exp > 0:
                key.append((base.name, int(exp)))
            elif isinstance(factor, sp.exp) and factor.free_symbols & gens_set and factor.args[0].is_polynomial(*gens):
                key.append((str(factor), 1))  # u^j exp(a u) are linearly independent: split by them too
            else:
                rest.append(factor)
        coefficient = sp.Mul(*rest)
        if coefficient.free_symbols & gens_set:
            raise ValueError(
                "determining equation is not polynomial in "
                f"{sorted(map(str, coefficient.free_symbols & gens_set))}: {coefficient}"
            )
        buckets[tuple(sorted(key))].append(coefficient)
    return [e for e in (sp.Add(*terms) for terms in buckets.values()) if e != 0]


def determining_condition(eq: EvolutionEquation, tau: sp.Expr, xi: sp.Expr, phi: sp.Expr) -> sp.Expr:
    """``D_t Q - sum_k F_{u_k} D_x^k Q`` with ``Q = phi - tau F - xi u_x``; zero iff ``(tau, xi, phi)``
    is a symmetry."""
    F = eq.rhs
    Q = phi - tau * F - xi * jet(1)
    out = eq.Dt(Q)
    DkQ = Q
    for k in range(eq.order + 1):
        if k:
            DkQ = eq.Dx(DkQ)
        dF = sp.diff(F, jet(k))
        if dF != 0:
            out -= dF * DkQ
    numerator, _ = (
        sp.fraction(sp.together(out)) if not F.is_polynomial(*[jet(k) for k in range(eq.order + 1)]) else (out, 1)
    )
    return sp.expand(numerator)


def _free_variables(exprs: list[sp.Expr]) -> list[sp.Symbol]:
    """Variables (and jets) no unknown function depends on: safe to split by."""
    used = set()
    for e in exprs:
        for f in e.atoms(AppliedUndef):
            used |= set(f.args)
    jets = {s for e in exprs for s in e.free_symbols if is_jet(s)}
    return [v for v in (*VARIABLES, *sorted(jets, key=str)) if v not in used]


def _one_term_rule(eq: sp.Expr, unknowns: _Unknowns) -> bool:
    """Integrate ``c * d^k f / dv^k = 0`` (or ``c * f = 0``) and record the substitution; False if not of that form."""
    terms = sp.Add.make_args(eq)
    if len(terms) != 1:
        return False
    target = None
    for factor in sp.Mul.make_args(terms[0]):
        if unknowns_in(factor):
            if target is not None:
                return False
            target = factor
    if target is None:
        return False
    if isinstance(target, sp.Symbol):  # a constant c_n = 0
        unknowns.exprs = {k: v.subs(target, 0) for k, v in unknowns.exprs.items()}
        return True
    if isinstance(target, AppliedUndef):
        unknowns.replace(target, sp.Integer(0))
        return True
    if isinstance(target, sp.Derivative) and isinstance(target.expr, AppliedUndef):
        counts = target.variable_count
        if len(counts) != 1:
            return False
        (v, k), f = counts[0], target.expr
        rest = tuple(a for a in f.args if a != v)
        unknowns.replace(f, sum(unknowns.fresh(rest) * v**j for j in range(k)))
        return True
    return False


def _ode_rule(eq: sp.Expr, unknowns: _Unknowns) -> bool:
    """Integrate an equation in one unknown ``f`` differentiated along one variable only: a linear ODE.

    ``f_uu + f_u = 0`` gives ``f = g1 + g2 exp(-u)`` with ``g1, g2`` functions of the other
    variables; this is what lets exponential dependence through where a polynomial ansatz cannot.
    """
    targets = unknowns_in(eq)
    if len(targets) != 1:
        return False
    (f,) = targets
    if not isinstance(f, AppliedUndef):
        return False
    derivatives = [d for d in eq.atoms(sp.Derivative) if d.expr == f]
    variables = {v for d in derivatives for v, _ in d.variable_count}
    if len(variables) != 1:
        return False
    (v,) = variables
    y = sp.Function("y")
    ode = eq.subs({d: sp.diff(y(v), v, d.derivative_count) for d in derivatives}).subs(f, y(v))
    try:
        solution = sp.dsolve(ode, y(v))
    except (NotImplementedError, ValueError):
        return False
    if isinstance(solution, list):
        return False
    general = solution.rhs
    constants = sorted((s for s in general.free_symbols if s.name.startswith("C") and s.name[1:].isdigit()), key=str)
    rest = tuple(a for a in f.args if a != v)
    unknowns.replace(f, general.subs({c: unknowns.fresh(rest) for c in constants}))
    return True


def _eliminate(eqs: list[sp.Expr]) -> list[sp.Expr]:
    """Add ``e1 - c e2`` where it cancels a shared term and involves fewer unknowns than ``e1``.

    A cheap step of Gaussian elimination on the linear determining system: it exposes
    equations such as ``phi_uu + phi_u = 0`` hidden in a sum with other unknowns.
    """
    out = list(eqs)
    for e1, e2 in itertools.permutations(eqs, 2):
        terms1 = dict(_terms(e1))
        for key, c2 in _terms(e2):
            if key in terms1:
                combo = sp.expand(e1 - terms1[key] / c2 * e2)
                if combo != 0 and len(unknowns_in(combo)) < len(unknowns_in(e1)):
                    out.append(combo)
                break
    return list(dict.fromkeys(out))


def _terms(e: sp.Expr) -> list[tuple[sp.Expr, sp.Expr]]:
    """``(unknown-dependent factor, coefficient)`` per term of a linear expression."""
    pairs = []
    for term in sp.Add.make_args(e):
        coef, dep = term.as_independent(*unknowns_in(term), as_Add=False)
        pairs.append((dep, coef))
    return pairs


def _reduce(eq: EvolutionEquation, unknowns: _Unknowns) -> list[sp.Expr]:
    """Split and integrate one-term equations until a fixed point; return what remains."""
    while True:
        condition = determining_condition(eq, **unknowns.exprs)
        eqs = split(condition, _free_variables([condition]))
        eqs = _resplit(eqs)
        touched: set = set()  # integrate every one-term equation of distinct unknowns in one pass
        for e in sorted(eqs, key=sp.count_ops):
            targets = unknowns_in(e)
            if not targets & touched and _one_term_rule(e, unknowns):
                touched |= targets
        if not touched:  # then linear ODEs along one variable, one at a time
            for e in sorted(_eliminate(eqs), key=sp.count_ops):
                if _ode_rule(e, unknowns):
                    touched = {True}
                    break
        if not touched:
            return eqs


def _resplit(eqs: list[sp.Expr]) -> list[sp.Expr]:
    out = []
    for e in eqs:
        gens = _free_variables([e])
        try:
            out.extend(split(e, gens) if gens else [e])
        except ValueError:
            out.append(e)
    return list(dict.fromkeys(sp.expand(e) for e in out if e != 0))


def _components(eqs: list[sp.Expr], unknowns: set) -> list[tuple[set, list[sp.Expr]]]:
    """Groups of unknowns coupled through the equations, each with its equations."""
    parent = {f: f for f in unknowns}

    def find(f):
        while parent[f] != f:
            f = parent[f]
        return f

    for e in eqs:
        fs = list(unknowns_in(e))
        for a, b in zip(fs, fs[1:]):
            parent[find(a)] = find(b)
    groups: dict = defaultdict(set)
    for f in unknowns:
        groups[find(f)].add(f)
    return [(g, [e for e in eqs if unknowns_in(e) & g]) for g in groups.values()]


def _ansatz(group: set, eqs: list[sp.Expr], degree: int) -> tuple[dict, list[sp.Symbol], list[sp.Matrix]]:
    """Polynomial ansatz of total ``degree`` for each function of ``group``; nullspace of the linear system."""
    coefficients: list[sp.Symbol] = []
    polys = {}
    for f in sorted(group, key=str):
        if isinstance(f, sp.Symbol):
            polys[f] = f
            coefficients.append(f)
            continue
        args = f.args
        terms = []
        for powers in itertools.product(range(degree + 1), repeat=len(args)):
            if sum(powers) <= degree:
                a = sp.Symbol(f"a_{f.func.__name__}_{'_'.join(map(str, powers))}")
                coefficients.append(a)
                terms.append(a * sp.Mul(*(v**p for v, p in zip(args, powers))))
        polys[f] = sp.Add(*terms)
    linear = []
    for e in eqs:
        e = e.subs({f: p for f, p in polys.items() if not isinstance(f, sp.Symbol)}).doit()
        linear.extend(split(e, list(VARIABLES)))
    if not coefficients:
        return polys, coefficients, []
    if not linear:
        return polys, coefficients, [sp.eye(len(coefficients))[:, i] for i in range(len(coefficients))]
    A, _ = sp.linear_eq_to_matrix(linear, coefficients)
    return polys, coefficients, A.nullspace(simplify=True)


@dataclass
class SymmetryAlgebra:
    """Result of :func:`derive`."""

    equation: EvolutionEquation
    generators: list[Generator]
    families: list[Family]
    determining_equations: list[sp.Expr]


def derive(text: str | EvolutionEquation, degree: int = 3) -> SymmetryAlgebra:
    """Derive the Lie point symmetries of the evolution equation ``text``.

    Args:
        text: e.g. ``"u_t = -u*u_x + nu*u_xx"``; parameters are non-zero constants.
        degree: degree of the polynomial ansatz for what integration leaves; a group whose
            solution count grows from ``degree`` to ``degree + 2`` is reported as a family.
    Returns:
        A :class:`SymmetryAlgebra` with a basis of the finite part, verified generator by generator.
    """
    eq = text if isinstance(text, EvolutionEquation) else EvolutionEquation.parse(text)
    unknowns = _Unknowns()
    remaining = _reduce(eq, unknowns)
    present = set().union(*(unknowns_in(v) for v in unknowns.exprs.values()))
    generators, families = [], []
    for group, eqs in _components(remaining, present):
        polys, coefficients, basis = _ansatz(group, eqs, degree)
        _, _, bigger = _ansatz(group, eqs, degree + 2)
        zero_others = {f: 0 for f in present - group}
        if len(bigger) > len(basis):
            fields = [sp.expand(v.subs(zero_others)) for v in unknowns.exprs.values()]
            families.append(Family(Generator(*fields), sorted(group, key=str), eqs))
            continue
        for vector in basis:
            values = dict(zip(coefficients, vector))
            fill = {f: p.subs(values) for f, p in polys.items()}
            fields = [sp.expand(v.subs(zero_others).subs(fill).doit()) for v in unknowns.exprs.values()]
            generators.append(Generator(*fields))
    generators = [normalise(g) for g in _echelon(generators)]
    generators.sort(key=lambda g: (sum(sp.count_ops(c) for c in g.components), str(g)))
    for g in generators:
        residual = sp.simplify(determining_condition(eq, *g.components))
        if residual != 0:
            raise AssertionError(f"derived generator {g} fails the symmetry condition: {residual}")
    return SymmetryAlgebra(eq, generators, families, remaining)


def _echelon(generators: list[Generator]) -> list[Generator]:
    """A simple basis of the span: reduced row echelon form over the monomial coefficients."""
    if not generators:
        return []
    vectors = [sp.Matrix(g.components) for g in generators]
    rows = []
    for v in vectors:
        coeffs = {}
        for i, c in enumerate(v):
            for term in sp.Add.make_args(sp.expand(c)):
                coef, mono = term.as_independent(*VARIABLES)
                coeffs[(i, mono)] = coeffs.get((i, mono), 0) + coef
        rows.append(coeffs)
    monomials = sorted(
        {k for r in rows for k in r},
        key=lambda k: (k[0] == 2, sp.total_degree(k[1]) if k[1] != 1 else 0, str(k[1]), k[0]),
    )
    M = sp.Matrix([[r.get(m, 0) for m in monomials] for r in rows])
    R, pivots = M.rref(simplify=True)
    out = []
    for i in range(len(pivots)):
        comps = [sp.Integer(0)] * 3
        for j, (axis, mono) in enumerate(monomials):
            comps[axis] += sp.simplify(R[i, j]) * mono
        out.append(Generator(*(sp.expand(c) for c in comps)))
    return out


def normalise(g: Generator) -> Generator:
    """Clear denominators free of ``t, x, u`` and common factors: ``x/(2 nu) d_u`` becomes ``x d_u``."""
    comps = [sp.together(c) for c in g.components]
    dens = [sp.fraction(c)[1] for c in comps]
    lcm = sp.lcm([d for d in dens if not d.free_symbols & set(VARIABLES)] or [sp.Integer(1)])
    comps = [sp.expand(c * lcm) for c in comps]
    nonzero = [c for c in comps if c != 0]
    if nonzero and all(c.is_polynomial(*VARIABLES) for c in nonzero):
        content = sp.gcd_list([sp.Poly(c, *VARIABLES).content() for c in nonzero])
        if not content.free_symbols & set(VARIABLES) and content != 0:
            comps = [sp.expand(c / content) for c in comps]
    if nonzero:
        lead = sp.Poly(next(c for c in comps if c != 0), *VARIABLES).coeffs()[0]
        if lead.could_extract_minus_sign():
            comps = [-c for c in comps]
    return Generator(*comps)
