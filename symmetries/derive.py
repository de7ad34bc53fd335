"""Lie point symmetries of a scalar evolution equation, derived from the equation alone.

Method (Olver, *Applications of Lie Groups to Differential Equations*, ch. 2):

1. A generator ``v = tau d_t + xi d_x + phi d_u`` with unknown ``tau, xi, phi(t, x, u)``
   is a symmetry of ``u_t = F`` iff its characteristic ``Q = phi - tau u_t - xi u_x``
   satisfies the linearised equation on solutions:
   ``D_t Q - sum_k F_{u_k} D_x^k Q = 0`` (all ``t``-derivatives eliminated through ``F``).
2. That expression is polynomial in the free jets ``u_x, u_xx, ...``: each coefficient
   is a determining equation, linear in ``tau, xi, phi``.
3. They are solved by :func:`symmetries.determining.solve` (integration, then a polynomial
   ansatz; a group whose solutions grow with the ansatz degree is an infinite family, the
   heat equation's superposition).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .determining import solve
from .jets import EvolutionEquation, is_jet, jet, t, u, x

VARIABLES = (t, x, u)
GENERATOR_KEYS = ("tau", "xi", "phi")


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

    def condition(exprs: dict[str, sp.Expr]) -> list[sp.Expr]:
        return [determining_condition(eq, **exprs)]

    bases, raw_families, remaining = solve(condition, GENERATOR_KEYS, VARIABLES, is_jet, degree=degree)
    generators = [Generator(*(b[k] for k in GENERATOR_KEYS)) for b in bases]
    generators.sort(key=lambda g: (sum(sp.count_ops(c) for c in g.components), str(g)))
    families = [
        Family(Generator(*(f.components[k] for k in GENERATOR_KEYS)), f.functions, f.conditions) for f in raw_families
    ]
    for g in generators:
        residual = sp.simplify(determining_condition(eq, *g.components))
        if residual != 0:
            raise AssertionError(f"derived generator {g} fails the symmetry condition: {residual}")
    return SymmetryAlgebra(eq, generators, families, remaining)
