"""Lie point symmetries of a system of PDEs, derived from its equations.

A generator ``v = sum_i xi^i d_{x^i} + sum_a phi^a d_{u^a}`` (components unknown functions of all
variables) is a symmetry iff its characteristics ``Q^a = phi^a - sum_i xi^i u^a_i`` satisfy the
linearised system on its solutions (Olver, *Applications of Lie Groups to Differential
Equations*, thm. 2.31 in characteristic form):

    sum_{a, J} dDelta_k/du^a_J  D_J Q^a = 0     for every equation k,

reduced by :class:`~symmetries.systems.SolvedSystem` (the system with its integrability
conditions, so that the parametric derivatives left are free). Each condition is split by
them and solved by :func:`symmetries.determining.solve`; infinite-dimensional parts
(the generalized Galilean maps ``x -> x + f(t)``, pressure gauges) come out as families of
arbitrary functions. Every generator, and every family with its functions left symbolic, is
checked against the determining equations before it is returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .determining import solve
from .systems import PDESystem, SolvedSystem

FUNCTION_NAMES = ("f", "g", "h", "k", "F", "G", "H", "K")


@dataclass
class VectorField:
    """``sum_v components[v] d_v`` over the system's variables; ``name`` says what it does."""

    components: dict[str, sp.Expr]
    name: str = ""

    def __str__(self) -> str:
        terms = [f"({sp.sstr(c)})*d_{v}" if isinstance(c, sp.Add) else f"{sp.sstr(c)}*d_{v}" for v, c in self.nonzero]
        text = " + ".join(terms).replace(" + -", " - ")
        return (text[:1] + text[1:].replace(" 1*d_", " d_")).removeprefix("1*") if terms else "0"

    @property
    def nonzero(self) -> list[tuple[str, sp.Expr]]:
        return [(v, c) for v, c in self.components.items() if c != 0]


@dataclass
class SystemFamily:
    """An infinite-dimensional family: components hold the arbitrary ``functions`` subject to ``conditions``."""

    field: VectorField
    functions: list[sp.Expr]
    conditions: list[sp.Expr] = field(default_factory=list)


@dataclass
class SystemAlgebra:
    """Result of :func:`derive_system`: a verified basis of the finite part and the families."""

    system: PDESystem
    solved: SolvedSystem
    generators: list[VectorField]
    families: list[SystemFamily]


def characteristic_conditions(solved: SolvedSystem, components: dict[str, sp.Expr]) -> list[sp.Expr]:
    """``sum_{a,J} dDelta_k/du^a_J D_J Q^a`` reduced on the solutions, one per equation of the system."""
    system = solved.system
    xi = [components[v.name] for v in system.independent]
    Q = [
        components[u.name]
        - sum(c * system.jet(a, tuple(int(j == i) for j in range(len(xi)))) for i, c in enumerate(xi))
        for a, u in enumerate(system.dependent)
    ]
    cache: dict = {}

    def DQ(a: int, counts: tuple[int, ...]) -> sp.Expr:
        if (a, counts) not in cache:
            if not any(counts):
                cache[(a, counts)] = solved.reduce(Q[a])
            else:
                i = next(j for j, c in enumerate(counts) if c)
                parent = tuple(c - int(j == i) for j, c in enumerate(counts))
                cache[(a, counts)] = solved.reduce(system.D(DQ(a, parent), i))
        return cache[(a, counts)]

    out = []
    for delta in system.equations:
        total = sp.Integer(0)
        for s in delta.free_symbols:
            where = system.jet_of(s)
            if where is not None:
                total += sp.diff(delta, s) * DQ(*where)
        out.append(solved.reduce(total))
    return out


def derive_system(system: PDESystem, degree: int = 3) -> SystemAlgebra:
    """Derive and verify the Lie point symmetries of ``system`` (parameters are non-zero constants)."""
    solved = SolvedSystem(system)
    names = [v.name for v in system.variables]
    symbols = {f"c_{n}": v for n, v in zip(names, system.variables)}  # unknowns named apart from the variables

    def condition(exprs: dict[str, sp.Expr]) -> list[sp.Expr]:
        return characteristic_conditions(solved, {n: exprs[f"c_{n}"] for n in names})

    bases, raw_families, _ = solve(condition, list(symbols), system.variables, system.is_jet, degree=degree)
    generators = [VectorField({n: b[f"c_{n}"] for n in names}) for b in bases]
    for g in generators:
        residual = [sp.simplify(r) for r in characteristic_conditions(solved, g.components)]
        if any(r != 0 for r in residual):
            raise AssertionError(f"derived generator {g} fails the symmetry condition: {residual}")
        g.name = name_of(g, system)
        if g.name.startswith("rotation_"):  # orient rotations from the earlier variable to the later one
            a, b = g.name[len("rotation_") :]
            order = [v.name for v in system.independent]
            if order.index(a) > order.index(b):
                g.components = {v: -c for v, c in g.components.items()}
                g.name = f"rotation_{b}{a}"
    _unique_names(generators)
    families = []
    taken = {s.name for s in (*system.variables, *system.params)}
    letters = iter(n for n in FUNCTION_NAMES if n not in taken)
    for raw in raw_families:
        rename = {f: sp.Function(next(letters))(*f.args) for f in raw.functions if not isinstance(f, sp.Symbol)}
        comps = {n: sp.expand(raw.components[f"c_{n}"].subs(rename).doit()) for n in names}
        family = SystemFamily(
            VectorField(comps), list(rename.values()), [c.subs(rename).doit() for c in raw.conditions]
        )
        family.field.name = family_name(family, system)
        if not family.conditions:  # verified with its functions left arbitrary
            residual = [sp.simplify(r) for r in characteristic_conditions(solved, comps)]
            if any(r != 0 for r in residual):
                raise AssertionError(f"derived family {family.field} fails the symmetry condition: {residual}")
        families.append(family)
    _unique_names([f.field for f in families])
    return SystemAlgebra(system, solved, generators, families)


def _unique_names(fields: list[VectorField]) -> None:
    seen: dict[str, int] = {}
    for f in fields:
        seen[f.name] = seen.get(f.name, 0) + 1
        if seen[f.name] > 1:
            f.name = f"{f.name}_{seen[f.name]}"


def _ratio(a: sp.Expr, b: sp.Expr) -> sp.Expr | None:
    r = sp.simplify(a / b)
    return r if r.is_number else None


def name_of(g: VectorField, system: PDESystem) -> str:
    """A descriptive name from the generator's shape: translation_t, rotation_xy, scaling, shift_s, boost_x..."""
    indep = [v.name for v in system.independent]
    time = system.independent[0]
    nz = dict(g.nonzero)
    if len(nz) == 1:
        ((v, c),) = nz.items()
        if c.is_number:
            return f"translation_{v}" if v in indep else f"shift_{v}"
        if v not in indep and _ratio(c, system.variables[[w.name for w in system.variables].index(v)]) is not None:
            return f"scaling_{v}"
    moved = [v for v in nz if v in indep]
    if all(_ratio(c, system.variables[[s.name for s in system.variables].index(v)]) for v, c in nz.items()):
        return "scaling"
    if len(moved) == 2:
        a, b = moved
        sa, sb = (system.variables[[s.name for s in system.variables].index(n)] for n in (a, b))
        if sp.expand(nz[a] + sb) == 0 and sp.expand(nz[b] - sa) == 0:
            return f"rotation_{a}{b}"
        if sp.expand(nz[a] - sb) == 0 and sp.expand(nz[b] + sa) == 0:
            return f"rotation_{b}{a}"
    if len(moved) == 1 and _ratio(nz[moved[0]], time) is not None:
        return f"boost_{moved[0]}"
    if not moved:
        shifted = [v for v, c in nz.items() if c.is_number]
        if len(shifted) == 1:
            return f"shift_{shifted[0]}"
    return "generator"


def family_name(family: SystemFamily, system: PDESystem) -> str:
    """``galilean_x`` for ``x -> x + f(t)``, ``gauge_p`` for ``p -> p + f(t)``, else ``family``."""
    indep = [v.name for v in system.independent]
    moved = [v for v, _ in family.field.nonzero if v in indep]
    if len(moved) == 1 and moved[0] != indep[0]:
        return f"galilean_{moved[0]}"
    if not moved and len(family.field.nonzero) == 1:
        time_only = all(set(f.args) <= {system.independent[0]} for f in family.functions)
        return f"{'gauge' if time_only else 'superposition'}_{family.field.nonzero[0][0]}"
    return "family"
