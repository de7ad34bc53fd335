"""One-parameter groups of a generator, by solving its flow with sympy.

For ``v = tau d_t + xi d_x + phi d_u`` the group element ``exp(eps v)`` maps ``(t, x, u)``
to the solution at ``eps`` of ``dT/de = tau(T, X, U), dX/de = xi, dU/de = phi`` started at
``(t, x, u)``. Evolution equations give triangular flows (``tau`` of ``t`` alone, ``xi``
free of ``u``), solved one scalar ODE at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .derive import Generator
from .errors import OutsideMethodError
from .jets import t, u, x

eps = sp.Symbol("epsilon", real=True)


@dataclass
class GroupElement:
    """``(t, x, u) -> (T, X, U)`` as expressions in ``t, x, u, epsilon``."""

    T: sp.Expr
    X: sp.Expr
    U: sp.Expr

    @property
    def components(self) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
        return self.T, self.X, self.U


def _solve_scalar(rhs_of: sp.Expr, initial: sp.Expr) -> sp.Expr:
    """Solve ``y' = rhs_of(y, eps)``, ``y(0) = initial`` (``rhs_of`` uses the symbol ``Y``)."""
    Y, s = sp.Symbol("Y"), sp.Symbol("s")
    if not rhs_of.has(Y):
        return sp.simplify(initial + sp.integrate(rhs_of.subs(eps, s), (s, 0, eps)))
    poly = sp.Poly(rhs_of, Y) if rhs_of.is_polynomial(Y) else None
    if poly is not None and poly.degree() == 1:  # y' = a y + b: integrating factor, no case analysis
        a, b = poly.coeff_monomial(Y), poly.coeff_monomial(1)
        A = _real_logs(sp.integrate(a.subs(eps, s), (s, 0, eps)))
        forcing = sp.integrate(sp.simplify(sp.exp(-A) * b).subs(eps, s), (s, 0, eps)) if b != 0 else 0
        return sp.simplify(sp.exp(A) * (initial + forcing))
    y = sp.Function("y")
    ode = sp.Eq(y(eps).diff(eps), rhs_of.subs(Y, y(eps)))
    solutions = sp.dsolve(ode, y(eps), ics={y(0): initial})
    for sol in solutions if isinstance(solutions, list) else [solutions]:
        value = sp.simplify(sol.rhs)
        if sp.simplify(value.subs(eps, 0) - initial) == 0:
            return value
    raise OutsideMethodError(f"no solution of {ode} through {initial}")


def _real_logs(expr: sp.Expr) -> sp.Expr:
    """Write ``log(w)`` with ``w < 0`` near the identity as ``log(-w) + i pi``, so imaginary parts cancel."""

    def negative(e):
        return isinstance(e, sp.log) and e.args[0].subs(eps, 0).is_negative

    return sp.simplify(expr.replace(negative, lambda e: sp.log(-e.args[0]) + sp.I * sp.pi))


def exponentiate(g: Generator) -> GroupElement:
    """The group element ``exp(epsilon * g)``; checked against the flow equations.

    Raises:
        OutsideMethodError: for a flow that is not triangular or that sympy cannot solve.
    """
    Y = sp.Symbol("Y")
    if g.tau.has(x, u) or g.xi.has(u):
        raise OutsideMethodError(f"flow of {g} is not triangular (tau(t), xi(t, x), phi(t, x, u))")
    T = _solve_scalar(g.tau.subs(t, Y), t)
    X = _solve_scalar(g.xi.subs({t: T}).subs(x, Y), x)
    U = _solve_scalar(g.phi.subs({t: T, x: X}).subs(u, Y), u)
    element = GroupElement(*(sp.simplify(c) for c in (T, X, U)))
    verify_flow(g, element)
    return element


def verify_flow(g: Generator, e: GroupElement) -> None:
    """Raise unless ``e`` starts at the identity and ``d/de (T, X, U) = (tau, xi, phi)(T, X, U)``."""
    at = {t: e.T, x: e.X, u: e.U}
    for comp, coef in zip(e.components, g.components):
        flow = sp.simplify(sp.diff(comp, eps) - coef.subs(at, simultaneous=True))
        start = sp.simplify(comp.subs(eps, 0) - {e.T: t, e.X: x, e.U: u}[comp])
        if flow != 0 or start != 0:
            raise AssertionError(f"exponentiation of {g} failed: flow residual {flow}, initial residual {start}")


def commutator(a: Generator, b: Generator) -> Generator:
    """The Lie bracket ``[a, b]`` of two vector fields on ``(t, x, u)``."""
    return Generator(*(sp.expand(a.apply(bc) - b.apply(ac)) for ac, bc in zip(a.components, b.components)))


def in_basis(v: Generator, basis: list[Generator]) -> list[sp.Expr] | None:
    """Constant coefficients ``c`` with ``v = sum c_i basis_i``, or None when ``v`` is outside the span."""
    cs = sp.symbols(f"k0:{len(basis)}")
    combo = [sp.expand(vc - sum(c * bc.components[i] for c, bc in zip(cs, basis))) for i, vc in enumerate(v.components)]
    equations = []
    for expr in combo:
        equations.extend(sp.Poly(expr, t, x, u).coeffs() if expr != 0 else [])
    if not equations:
        return [sp.Integer(0)] * len(basis)
    solution = sp.solve(equations, cs, dict=True)
    if not solution:
        return None
    return [sp.simplify(solution[0].get(c, 0)) for c in cs]


def commutator_table(basis: list[Generator]) -> list[list[str]]:
    """``table[i][j]`` = ``[v_i, v_j]`` written in the basis, e.g. ``"-2*v1"`` or ``"0"``."""
    table = []
    for a in basis:
        row = []
        for b in basis:
            coeffs = in_basis(commutator(a, b), basis)
            if coeffs is None:
                row.append(str(commutator(a, b)))
                continue
            terms = [
                f"{'' if c == 1 else '-' if c == -1 else sp.sstr(c) + '*'}v{k + 1}"
                for k, c in enumerate(coeffs)
                if c != 0
            ]
            row.append(" + ".join(terms).replace("+ -", "- ") if terms else "0")
        table.append(row)
    return table
