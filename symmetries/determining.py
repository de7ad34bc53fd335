"""Solving the linear determining equations of a Lie point symmetry, for any set of variables.

The generator's components are unknown functions of the variables (``t, x, u`` for a scalar
evolution equation; ``t, x, y, u, v, p, s`` for 2D Navier-Stokes with smoke). The symmetry
condition, reduced on the solutions, is polynomial in the free jets: each coefficient is a
determining equation, linear in the unknowns. They are solved as by hand (Olver, ch. 2):

1. one-term equations are integrated (``f_{uu} = 0`` makes ``f`` linear in ``u`` ...), then
   linear ODEs of one unknown along one variable (``f_uu + f_u = 0`` gives ``a + b e^{-u}``;
   unknowns constant along it are an inhomogeneity, ``x f_x - f = x g(t)`` gives ``x (g log x + h)``),
   which frees more variables to split by, until nothing changes;
2. what remains is solved by a polynomial ansatz and a nullspace, one coupled group of
   unknown functions at a time; a group whose solution space keeps growing with the ansatz
   degree is an infinite family (the heat equation's superposition, the Galilean maps
   ``x -> x + f(t)`` of Navier-Stokes) and is reported as such, as is one function of two or
   more variables under a single linear PDE (``f_t = x^2 f_xx``, with no polynomial solutions
   beyond ``1, x``).

Splitting clears denominators and separates by monomials of the free variables, by their
rational powers, by ``exp`` of polynomials in them (trigonometric functions written as complex
exponentials) and by powers of their ``log``: these are linearly independent functions, so each
coefficient must vanish on its own.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef

Condition = Callable[[dict[str, sp.Expr]], list[sp.Expr]]


class Unknowns:
    """Current expressions of the components (``name -> f_name(*variables)``) in unknown functions and constants."""

    def __init__(self, names: Sequence[str], variables: Sequence[sp.Symbol]) -> None:
        self.count = itertools.count(1)
        self.variables = tuple(variables)
        self.exprs = {name: sp.Function(name)(*variables) for name in names}
        self.pending: list[tuple[sp.Basic, sp.Expr]] = []  # substitutions not yet applied to the equations

    def fresh(self, args: tuple[sp.Symbol, ...]) -> sp.Expr:
        n = next(self.count)
        return sp.Function(f"f{n}")(*args) if args else sp.Symbol(f"c{n}")

    def replace(self, f: sp.Basic, by: sp.Expr) -> None:
        """Substitute ``by`` for the unknown function or constant ``f`` everywhere."""
        self.exprs = {k: v.subs(f, by).doit() for k, v in self.exprs.items()}
        self.pending.append((f, by))

    def apply_pending(self, eqs: list[sp.Expr]) -> list[sp.Expr]:
        """``eqs`` with the substitutions made since the last call."""
        for f, by in self.pending:
            eqs = [sp.expand(e.subs(f, by).doit()) if e.has(f) else e for e in eqs]
        self.pending = []
        return [e for e in eqs if e != 0]


def unknowns_in(expr: sp.Expr) -> set:
    """Unknown functions and constants (``c1``...) occurring in ``expr``."""
    found = set(expr.atoms(AppliedUndef))
    found |= {s for s in expr.free_symbols if s.name.startswith("c") and s.name[1:].isdigit()}
    return found


TRIGONOMETRIC = (sp.sin, sp.cos, sp.tan, sp.sinh, sp.cosh, sp.tanh)


def _split_key(factor: sp.Expr, gens: set) -> tuple[str, sp.Expr] | None:
    """The key of a factor that is a function of ``gens`` alone, or None for a coefficient factor.

    Keys of one term's factors add up: ``u**k`` gives ``("u", k)``, ``exp(p)`` gives ``("exp", p)``
    (so ``exp(u) exp(I u)`` and ``exp((1 + I) u)`` share a key), ``log(u)**k`` gives ``("log(u)", k)``.
    """
    if not factor.free_symbols & gens or unknowns_in(factor):
        return None
    base, exp = factor.as_base_exp()
    if base in gens and exp.is_Rational:
        return (base.name, exp)  # u**k for rational k: independent for distinct k
    if isinstance(factor, sp.exp) and factor.args[0].is_polynomial(*gens):
        # u**j exp(p(u)): independent of the powers, and of each other for p differing by more than a constant
        # (split expands exp(a + b) into exp(a) exp(b), so a constant part of p is a coefficient factor)
        return ("exp", sp.expand(factor.args[0]))
    if isinstance(base, sp.log) and base.args[0] in gens and exp.is_Integer and exp > 0:
        return (str(base), exp)  # u**j log(u)**k
    return None


def _exponentials(expr: sp.Expr, gens: set) -> sp.Expr:
    """Trigonometric and hyperbolic functions of ``gens`` as exponentials: ``sin(u) = (e^{iu} - e^{-iu}) / 2i``.

    ``sin(u)``, ``cos(u)``, ``sin(u) cos(u)`` and ``sin(2 u)`` are linearly dependent as written; as sums
    of ``exp(k i u)`` they split by the independent exponentials.
    """
    return expr.replace(
        lambda e: isinstance(e, TRIGONOMETRIC) and bool(e.free_symbols & gens) and not unknowns_in(e),
        lambda e: e.rewrite(sp.exp),
    )


def split(expr: sp.Expr, gens: Sequence[sp.Symbol]) -> list[sp.Expr]:
    """Coefficients of ``expr`` by the independent functions of ``gens`` (which nothing unknown depends on).

    Trigonometric functions of ``gens`` are written as exponentials and denominators free of the
    unknowns are cleared first (``f/u + g = 0`` is ``f + u g = 0``).
    Raises ValueError if a coefficient still depends on ``gens`` in a way this cannot separate.
    """
    gens_set = set(gens)
    expr = sp.expand(_exponentials(expr, gens_set))
    denominators = {sp.denom(term) for term in sp.Add.make_args(expr)}
    clear = [
        d
        for d in denominators
        if d.free_symbols & gens_set and not unknowns_in(d) and _split_key(d, gens_set) is None  # u**k splits as is
    ]
    if clear:
        expr = sp.expand(expr * sp.Mul(*set(clear)))
    buckets: dict[tuple, list[sp.Expr]] = defaultdict(list)
    for term in sp.Add.make_args(expr):
        key, rest = [], []
        for factor in sp.Mul.make_args(term):
            k = _split_key(factor, gens_set)
            if k is None:
                rest.append(factor)
            else:
                key.append(k)
        coefficient = sp.Mul(*rest)
        if coefficient.free_symbols & gens_set:
            raise ValueError(
                "determining equation is not separable in "
                f"{sorted(map(str, coefficient.free_symbols & gens_set))}: {coefficient}"
            )
        merged: dict[str, sp.Expr] = defaultdict(lambda: sp.Integer(0))
        for name, power in key:
            merged[name] = sp.expand(merged[name] + power)
        buckets[tuple(sorted(((k, v) for k, v in merged.items() if v != 0), key=sp.default_sort_key))].append(
            coefficient
        )
    return [e for e in (sp.Add(*terms) for terms in buckets.values()) if e != 0]


def free_variables(exprs: list[sp.Expr], variables: Sequence[sp.Symbol], is_jet: Callable[[sp.Symbol], bool]):
    """Variables (and jets) no unknown function depends on: safe to split by."""
    used = set()
    for e in exprs:
        for f in e.atoms(AppliedUndef):
            used |= set(f.args)
    jets = {s for e in exprs for s in e.free_symbols if is_jet(s)}
    return [v for v in (*variables, *sorted(jets, key=str)) if v not in used]


def _one_term_rule(eq: sp.Expr, unknowns: Unknowns) -> bool:
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
        unknowns.replace(target, sp.Integer(0))
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


def _ode_rule(eq: sp.Expr, unknowns: Unknowns) -> bool:
    """Integrate an equation in one unknown ``f`` differentiated along one variable ``v`` only: a linear ODE.

    ``f_uu + f_u = 0`` gives ``f = g1 + g2 exp(-u)`` with ``g1, g2`` functions of the other
    variables; this is what lets exponential dependence through where a polynomial ansatz cannot.
    Other unknowns may occur if none depends on ``v``: they are constants of the ODE, an
    inhomogeneity (``x f_x - f = x g(t)`` gives ``f = x (g(t) log(x) + h(t))``).
    """
    targets = unknowns_in(eq)
    for f in sorted(targets, key=str):
        if not isinstance(f, AppliedUndef):
            continue
        derivatives = [d for d in eq.atoms(sp.Derivative) if d.expr == f]
        variables = {v for d in derivatives for v, _ in d.variable_count}
        if len(variables) != 1:
            continue
        (v,) = variables
        others = targets - {f}
        if any(v in getattr(g, "args", ()) for g in others):
            continue  # another unknown varies along v: not an ODE in f alone
        arguments = set(f.args)
        if any(not set(getattr(g, "args", ())) <= arguments for g in others) or (
            {s for s in eq.free_symbols if s in unknowns.variables} - arguments
        ):
            continue  # the inhomogeneity varies with what f does not depend on: split that first
        if _integrate_ode(eq, f, v, derivatives, others, unknowns):
            return True
    return False


def _integrate_ode(eq: sp.Expr, f: AppliedUndef, v: sp.Symbol, derivatives: list, others: set, unknowns: Unknowns):
    """Solve ``eq`` as a linear ODE for ``f`` along ``v``, the ``others`` (and their derivatives) held as constants."""
    frozen = {}  # other unknowns and their derivatives -> dummy symbols, so dsolve treats them as constants
    for d in sorted((d for d in eq.atoms(sp.Derivative) if d.expr != f), key=sp.default_sort_key, reverse=True):
        frozen[d] = sp.Dummy("k")
    for g in others:
        frozen[g] = sp.Dummy("k")
    y = sp.Function("y")
    ode = eq.subs({d: sp.diff(y(v), v, d.derivative_count) for d in derivatives}).subs(f, y(v)).subs(frozen)
    if ode.has(AppliedUndef) and ode.atoms(AppliedUndef) != {y(v)}:
        return False
    try:
        solution = sp.dsolve(ode, y(v))
    except (NotImplementedError, ValueError, TypeError):  # sympy signals an ODE it cannot solve in these ways
        return False
    if isinstance(solution, list) or solution.rhs.has(sp.Integral, sp.Order):  # unevaluated, or a truncated series
        return False
    general = solution.rhs.subs({k: g for g, k in frozen.items()})
    constants = sorted((s for s in general.free_symbols if s.name.startswith("C") and s.name[1:].isdigit()), key=str)
    rest = tuple(a for a in f.args if a != v)
    unknowns.replace(f, general.subs({c: unknowns.fresh(rest) for c in constants}))
    return True


def _algebraic_rule(eq: sp.Expr, unknowns: Unknowns) -> bool:
    """Solve ``c f + (terms free of f) = 0`` for an undifferentiated unknown ``f`` and substitute it.

    ``c`` must be a non-zero number and the other unknowns functions of a subset of ``f``'s
    arguments, so that ``f = g'(t)`` from ``f(t) - g'(t) = 0`` leaves ``f`` as what it is.
    """
    for term in sp.Add.make_args(eq):
        coefficient, f = term.as_independent(*unknowns_in(term), as_Add=False)
        if not (isinstance(f, (AppliedUndef, sp.Symbol)) and f in unknowns_in(term) and coefficient.is_number):
            continue
        rest = sp.expand(eq - term)
        if rest.has(f):
            continue
        args = set(f.args) if isinstance(f, AppliedUndef) else set()
        if all(isinstance(g, sp.Symbol) or set(g.args) <= args for g in unknowns_in(rest)):
            by = -rest / coefficient
            unknowns.replace(f, by)
            return True
    return False


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


def _resplit(eqs: list[sp.Expr], split_by: Callable[[list[sp.Expr]], list[sp.Symbol]]) -> list[sp.Expr]:
    out = []
    for e in eqs:
        gens = split_by([e])
        try:
            out.extend(split(e, gens) if gens else [e])
        except ValueError:
            out.append(e)
    return list(dict.fromkeys(sp.expand(e) for e in out if e != 0))


def reduce_system(condition: Condition, unknowns: Unknowns, split_by: Callable[[list[sp.Expr]], list[sp.Symbol]]):
    """Split and integrate one-term equations and ODEs until a fixed point; return the equations left.

    ``condition(exprs)`` gives the symmetry condition(s) for the component expressions, once: the
    equations split from it are then rewritten by each integration (the system is linear, so
    substituting into its split parts is the same as recomputing the condition, and much faster);
    ``split_by(exprs)`` gives the variables and jets no unknown depends on.
    """
    eqs: list[sp.Expr] = []
    for c in condition(unknowns.exprs):
        eqs.extend(split(c, split_by([c])))
    unknowns.pending = []
    while True:
        eqs = _resplit(unknowns.apply_pending(eqs), split_by)
        touched: set = set()  # integrate every one-term equation of distinct unknowns in one pass
        for e in sorted(eqs, key=sp.count_ops):
            targets = unknowns_in(e)
            if not targets & touched and _one_term_rule(e, unknowns):
                touched |= targets
        if not touched:  # then an unknown given by the others
            for e in sorted(eqs, key=sp.count_ops):
                if _algebraic_rule(e, unknowns):
                    touched = {True}
                    break
        if not touched:  # then linear ODEs along one variable, one at a time
            for e in sorted(_eliminate(eqs), key=sp.count_ops):
                if _ode_rule(e, unknowns):
                    touched = {True}
                    break
        if not touched:
            consequences = [e for e in _separations(eqs, unknowns.variables) if e not in eqs and -e not in eqs]
            if not consequences:
                return eqs
            eqs = eqs + consequences


def _separations(eqs: list[sp.Expr], variables: Sequence[sp.Symbol]) -> list[sp.Expr]:
    """``d e / d w`` for equations ``e`` where differentiating along ``w`` drops unknowns that do not depend on it.

    ``b s c - b f(s) + g''(t) + h_y(t, y) = 0`` gives ``b c - b f'(s) = 0``: the separation of
    variables that splitting cannot do when ``s`` is an argument of one of the unknowns.
    """
    out = []
    for e in eqs:
        present = unknowns_in(e)
        for w in sorted(e.free_symbols & set(variables), key=str):
            d = sp.expand(sp.diff(e, w).doit())
            if d != 0 and len(unknowns_in(d)) < len(present):
                out.append(d)
    return list(dict.fromkeys(out))


def _components(eqs: list[sp.Expr], unknowns: set) -> list[tuple[set, list[sp.Expr]]]:
    """Groups of unknowns coupled through the equations, each with its equations."""
    parent = {f: f for f in unknowns}

    def find(f):
        while parent[f] != f:
            f = parent[f]
        return f

    for e in eqs:
        fs = [f for f in unknowns_in(e) if f in parent]
        for a, b in zip(fs, fs[1:]):
            parent[find(a)] = find(b)
    groups: dict = defaultdict(set)
    for f in unknowns:
        groups[find(f)].add(f)
    return [
        (g, [e for e in eqs if unknowns_in(e) & g]) for g in sorted(groups.values(), key=lambda g: sorted(map(str, g)))
    ]


def _ansatz(group: set, eqs: list[sp.Expr], degree: int, variables: Sequence[sp.Symbol]):
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
        linear.extend(split(e, list(variables)))
    if not coefficients:
        return polys, coefficients, []
    if not linear:
        return polys, coefficients, [sp.eye(len(coefficients))[:, i] for i in range(len(coefficients))]
    A, _ = sp.linear_eq_to_matrix(linear, coefficients)
    return polys, coefficients, A.nullspace(simplify=True)


def _one_pde(group: set, eqs: list[sp.Expr]) -> bool:
    """One unknown function of two or more variables under one linear PDE: an infinite family.

    Its solutions are parametrised by arbitrary Cauchy data on a non-characteristic curve, whether
    or not any is a polynomial (``f_t = x^2 f_xx`` has only ``1, x``; ``f_t = f_xx - x^2 f`` none).
    """
    if len(group) != 1 or len(eqs) != 1:
        return False
    (f,) = group
    return isinstance(f, AppliedUndef) and len(f.args) >= 2 and any(d.expr == f for d in eqs[0].atoms(sp.Derivative))


@dataclass
class RawFamily:
    """Components holding arbitrary functions ``functions`` subject to ``conditions``."""

    components: dict[str, sp.Expr]
    functions: list[sp.Expr]
    conditions: list[sp.Expr] = field(default_factory=list)


def solve(
    condition: Condition,
    names: Sequence[str],
    variables: Sequence[sp.Symbol],
    is_jet: Callable[[sp.Symbol], bool],
    degree: int = 3,
) -> tuple[list[dict[str, sp.Expr]], list[RawFamily], list[sp.Expr]]:
    """Solve the determining equations of ``condition`` for components ``names`` of ``variables``.

    Returns:
        A basis of the finite part (component dicts, in reduced echelon form and normalised),
        the infinite families, and the determining equations left after integration.
    """
    unknowns = Unknowns(names, variables)

    def split_by(exprs):
        return free_variables(exprs, variables, is_jet)

    remaining = reduce_system(condition, unknowns, split_by)
    present = set().union(*(unknowns_in(v) for v in unknowns.exprs.values()))
    bases, families = [], []
    for group, eqs in _components(remaining, present):
        zero_others = {f: 0 for f in present - group}
        if _one_pde(group, eqs):
            infinite, basis = True, []
        else:
            polys, coefficients, basis = _ansatz(group, eqs, degree, variables)
            _, _, bigger = _ansatz(group, eqs, degree + 2, variables)
            infinite = len(bigger) > len(basis)
        if infinite:
            fields = {k: sp.expand(v.subs(zero_others).doit()) for k, v in unknowns.exprs.items()}
            families.append(RawFamily(fields, sorted(group, key=str), eqs))
            continue
        for vector in basis:
            values = dict(zip(coefficients, vector))
            fill = {f: p.subs(values) for f, p in polys.items()}
            bases.append({k: sp.expand(v.subs(zero_others).subs(fill).doit()) for k, v in unknowns.exprs.items()})
    generators = [normalise(g, variables) for g in echelon(bases, variables)]
    generators.sort(key=lambda g: (sum(sp.count_ops(c) for c in g.values()), str(list(g.values()))))
    return generators, families, remaining


def echelon(generators: list[dict[str, sp.Expr]], variables: Sequence[sp.Symbol]) -> list[dict[str, sp.Expr]]:
    """A simple basis of the span: reduced row echelon form over the monomial coefficients.

    Monomial columns are ordered so that pivots fall on the simplest terms of the first
    components (independent variables before dependent ones).
    """
    if not generators:
        return []
    names = list(generators[0])
    last = len(names) - 1
    rows = []
    for g in generators:
        coeffs: dict = {}
        for i, name in enumerate(names):
            for term in sp.Add.make_args(sp.expand(g[name])):
                coef, mono = term.as_independent(*variables)
                coeffs[(i, mono)] = coeffs.get((i, mono), 0) + coef
        rows.append(coeffs)
    monomials = sorted(
        {k for r in rows for k in r},
        key=lambda k: (k[0] == last, sp.total_degree(k[1]) if k[1] != 1 else 0, str(k[1]), k[0]),
    )
    M = sp.Matrix([[r.get(m, 0) for m in monomials] for r in rows])
    R, pivots = M.rref(simplify=True)
    out = []
    for i in range(len(pivots)):
        comps = {name: sp.Integer(0) for name in names}
        for j, (axis, mono) in enumerate(monomials):
            comps[names[axis]] += sp.simplify(R[i, j]) * mono
        out.append({k: sp.expand(v) for k, v in comps.items()})
    return out


def normalise(g: dict[str, sp.Expr], variables: Sequence[sp.Symbol]) -> dict[str, sp.Expr]:
    """Clear denominators free of the variables and common factors: ``x/(2 nu) d_u`` becomes ``x d_u``."""
    names = list(g)
    comps = [sp.together(g[k]) for k in names]
    dens = [sp.fraction(c)[1] for c in comps]
    lcm = sp.lcm([d for d in dens if not d.free_symbols & set(variables)] or [sp.Integer(1)])
    comps = [sp.expand(c * lcm) for c in comps]
    nonzero = [c for c in comps if c != 0]
    if nonzero and all(c.is_polynomial(*variables) for c in nonzero):
        content = sp.gcd_list([sp.Poly(c, *variables).content() for c in nonzero])
        if not content.free_symbols & set(variables) and content != 0:
            comps = [sp.expand(c / content) for c in comps]
    if nonzero:
        lead = next(c for c in comps if c != 0)
        lead_coeff = sp.Poly(lead, *variables).coeffs()[0] if lead.is_polynomial(*variables) else lead
        if lead_coeff.could_extract_minus_sign():
            comps = [-c for c in comps]
    return dict(zip(names, comps))
