"""Systems of PDEs on the jet space of several independent and dependent variables.

A system is read from text, one equation per ``;`` (``"u_t + u*u_x = -p_x; u_x + v_y = 0"``),
with the independent variables (single letters, the first playing the role of time) and the
dependent ones named. Jets are written ``u_x``, ``u_xy``, ``p_yy`` and become symbols ``u_xy``
with the letters in the order of the independent variables.

On solutions, derivatives are eliminated through a **ranking**: a derivative ranks by its order
in the first variable, then its total order, then the dependent variable's place in the list,
then its multi-index. Each equation is solved for its highest-ranked derivative (its *leading*
derivative); every derivative of a leading derivative is *principal* and has a normal form in
the remaining *parametric* derivatives, which are free on the solutions. A constraint without a
time derivative (``u_x + v_y = 0``) leads with ``u_x``, so ``u_x``, ``u_xy``, ``u_tx``... are all
replaced through it. Cross-derivatives of two equations leading in the same variable must agree:
where they do not, their difference is an **integrability condition**, added to the system until
none is left (for Navier-Stokes, the pressure Poisson equation). Only then are the parametric
derivatives truly free, so that a symmetry condition may be split by them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from .errors import OutsideMethodError
from .safe_parse import CONSTANTS, FUNCTIONS, parse_expression

NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
JET_TEXT = re.compile(r"\b([A-Za-z][A-Za-z0-9]*)_([A-Za-z]+)\b")
MAX_EQUATIONS = 12
MAX_VARIABLES = 12
MAX_COMPLETION_ROUNDS = 6
Counts = tuple[int, ...]


def _check_names(independent: Sequence[str], dependent: Sequence[str]) -> None:
    """One-line errors for names that cannot be variables."""
    for kind, names in (("independent", independent), ("dependent", dependent)):
        if not names:
            raise ValueError(f"no {kind} variables given; name them, e.g. --independent t,x,y --dependent u,v,p")
        for n in names:
            if not isinstance(n, str) or not NAME.fullmatch(n) or n in CONSTANTS or n in FUNCTIONS:
                raise ValueError(f"{kind} variable {n!r} must be a plain name (letters and digits, no '_')")
    for n in independent:
        if len(n) != 1:
            raise ValueError(f"independent variable {n!r} must be a single letter, so that jets like u_{n}{n} read")
    everything = [*independent, *dependent]
    repeated = sorted({n for n in everything if everything.count(n) > 1})
    if repeated:
        raise ValueError(
            f"variables {repeated} named twice in independent {list(independent)} / dependent {list(dependent)}"
        )
    if len(everything) > MAX_VARIABLES:
        raise ValueError(f"{len(everything)} variables; at most {MAX_VARIABLES} are supported")


@dataclass
class PDESystem:
    """Equations ``Delta_k = 0`` in ``independent`` and ``dependent`` symbols and their jets.

    Attributes:
        text: the system as given.
        independent, dependent: the variables (real symbols), in the given order.
        equations: ``lhs - rhs`` of each equation, in jets (symbols such as ``u_xy``).
        params: the other names: constant parameters, assumed non-zero.
    """

    text: str
    independent: tuple[sp.Symbol, ...]
    dependent: tuple[sp.Symbol, ...]
    equations: list[sp.Expr]
    params: tuple[sp.Symbol, ...]
    _jets: dict[sp.Symbol, tuple[int, Counts]] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, text: str, independent: Sequence[str], dependent: Sequence[str]) -> "PDESystem":
        """Read ``"eq1; eq2; ..."``; each equation ``lhs = rhs`` or an expression equal to zero."""
        _check_names(independent, dependent)
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"system {text!r} must be non-empty text, equations separated by ';'")
        indep = tuple(sp.Symbol(n, real=True) for n in independent)
        dep = tuple(sp.Symbol(n, real=True) for n in dependent)
        system = cls(text, indep, dep, [], ())
        names = system.names_in(text)
        pieces = [p for p in text.split(";")]
        if any(not p.strip() for p in pieces) or len(pieces) > MAX_EQUATIONS:
            raise ValueError(f"{text!r}: give 1 to {MAX_EQUATIONS} non-empty equations separated by ';'")
        for piece in pieces:
            sides = piece.split("=")
            if len(sides) > 2:
                raise ValueError(f"{piece.strip()!r}: at most one '=' per equation")
            try:
                lhs, rhs = (parse_expression(s, names, new_symbols=True) for s in (*sides, "0")[:2])
            except ValueError as err:
                raise ValueError(f"cannot read equation {piece.strip()!r}: {err}") from None
            delta = sp.expand(lhs - rhs)
            if not any(s in system._jets for s in delta.free_symbols):
                raise ValueError(f"{piece.strip()!r} has no derivative of {list(dependent)}")
            system.equations.append(delta)
        known = {*indep, *dep, *system._jets}
        params = {s for e in system.equations for s in e.free_symbols} - known
        stray = sorted(s.name for s in params if "_" in s.name)
        if stray:
            raise ValueError(
                f"{stray} are not jets of the dependent variables {list(dependent)} in {list(independent)}; "
                "write derivatives as u_x, u_xy, ..."
            )
        system.params = tuple(sorted(params, key=str))
        return system

    def names_in(self, text: str) -> dict[str, sp.Basic]:
        """Name -> symbol for the constants, the variables and every jet written in ``text``."""
        independent = [v.name for v in self.independent]
        dependent = [v.name for v in self.dependent]
        names: dict[str, sp.Basic] = {**CONSTANTS, **{s.name: s for s in (*self.independent, *self.dependent)}}
        for base, letters in JET_TEXT.findall(text):
            if base in dependent and all(c in independent for c in letters):
                counts = tuple(letters.count(n) for n in independent)
                names[f"{base}_{letters}"] = self.jet(dependent.index(base), counts)
        return names

    def jet(self, a: int, counts: Counts) -> sp.Symbol:
        """The symbol of ``d^counts u^a`` (``u^a`` itself for zero counts)."""
        if not any(counts):
            return self.dependent[a] if self.dependent else sp.Symbol("?")
        letters = "".join(v.name * k for v, k in zip(self.independent, counts))
        s = sp.Symbol(f"{self.dependent[a].name}_{letters}", real=True)
        self._jets[s] = (a, tuple(counts))
        return s

    def jet_of(self, s: sp.Symbol) -> tuple[int, Counts] | None:
        """``(dependent index, counts)`` of a jet symbol (dependent variables count as order 0)."""
        if s in self.dependent:
            return self.dependent.index(s), (0,) * len(self.independent)
        return self._jets.get(s)

    def is_jet(self, s: sp.Symbol) -> bool:
        """True for derivative jets (not the dependent variables themselves)."""
        return s in self._jets

    @cached_property
    def variables(self) -> tuple[sp.Symbol, ...]:
        return (*self.independent, *self.dependent)

    def D(self, expr: sp.Expr, i: int) -> sp.Expr:
        """Total derivative along the ``i``-th independent variable (no reduction)."""
        unit = tuple(int(j == i) for j in range(len(self.independent)))
        out = sp.diff(expr, self.independent[i])
        for s in expr.free_symbols:
            where = self.jet_of(s)
            if where is not None:
                a, c = where
                out += self.jet(a, tuple(p + q for p, q in zip(c, unit))) * sp.diff(expr, s)
        return out

    def rank(self, s: sp.Symbol) -> tuple:
        a, c = self.jet_of(s)
        return (c[0], sum(c), -a, c)


@dataclass
class Lead:
    """An equation solved for its leading derivative: ``u^a_counts = rhs``."""

    a: int
    counts: Counts
    rhs: sp.Expr


class SolvedSystem:
    """A :class:`PDESystem` solved for leading derivatives and completed by its integrability conditions.

    :meth:`reduce` writes any expression in parametric derivatives only.
    """

    def __init__(self, system: PDESystem) -> None:
        self.system = system
        self.leads: list[Lead] = []
        self.conditions: list[sp.Expr] = []  # integrability conditions that were added
        for delta in system.equations:
            self._add(delta, what="equation")
        self._complete()

    def _add(self, delta: sp.Expr, what: str) -> None:
        jets = [s for s in delta.free_symbols if self.system.jet_of(s) is not None]
        jets = [s for s in jets if self.system.is_jet(s)] or jets
        lead = max(jets, key=self.system.rank)
        coefficient = sp.diff(delta, lead)
        bad = {s for s in coefficient.free_symbols if self.system.jet_of(s) is not None}
        if bad or not coefficient.free_symbols.isdisjoint(self.system.dependent):
            raise OutsideMethodError(
                f"{what} {sp.sstr(delta)} = 0 is not linear in its leading derivative {lead} with a coefficient "
                "free of the dependent variables; the method solves each equation for its leading derivative"
            )
        a, counts = self.system.jet_of(lead)
        self.leads.append(Lead(a, counts, sp.expand(-(delta - coefficient * lead) / coefficient)))
        self._normal = {}

    def _leading_for(self, a: int, counts: Counts) -> Lead | None:
        """The highest-ranked lead of which ``u^a_counts`` is a derivative, or None (parametric)."""
        found = [ld for ld in self.leads if ld.a == a and all(c >= q for c, q in zip(counts, ld.counts))]
        return max(found, key=lambda ld: (ld.counts[0], sum(ld.counts), ld.counts), default=None)

    def normal_form(self, s: sp.Symbol) -> sp.Expr:
        """``s`` in parametric derivatives (``s`` itself if parametric)."""
        if s in self._normal:
            return self._normal[s]
        a, counts = self.system.jet_of(s)
        lead = self._leading_for(a, counts)
        if lead is None:
            value = s
        elif counts == lead.counts:
            value = self.reduce(lead.rhs)
        else:
            i = next(j for j, (c, q) in enumerate(zip(counts, lead.counts)) if c > q)
            parent = self.system.jet(a, tuple(c - int(j == i) for j, c in enumerate(counts)))
            value = self.reduce(self.system.D(self.normal_form(parent), i))
        self._normal[s] = value
        return value

    def reduce(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` on the solutions: every principal derivative replaced by its normal form."""
        subs = {}
        for s in expr.free_symbols:
            where = self.system.jet_of(s)
            if where is not None and self._leading_for(*where) is not None:
                subs[s] = self.normal_form(s)
        return sp.expand(expr.xreplace(subs)) if subs else sp.expand(expr)

    def derivative(self, expr: sp.Expr, counts: Counts) -> sp.Expr:
        """``D^counts expr`` reduced on the solutions, one total derivative at a time."""
        expr = self.reduce(expr)
        for i, k in enumerate(counts):
            for _ in range(k):
                expr = self.reduce(self.system.D(expr, i))
        return expr

    def _complete(self) -> None:
        """Add integrability conditions (differences of cross-derivatives) until none is left."""
        for _ in range(MAX_COMPLETION_ROUNDS):
            new = []
            for l1, l2 in itertools.combinations(list(self.leads), 2):
                if l1.a != l2.a:
                    continue
                top = tuple(max(p, q) for p, q in zip(l1.counts, l2.counts))
                r1 = self.derivative(l1.rhs, tuple(p - q for p, q in zip(top, l1.counts)))
                r2 = self.derivative(l2.rhs, tuple(p - q for p, q in zip(top, l2.counts)))
                difference = self.reduce(sp.numer(sp.together(r1 - r2)))
                if difference != 0:
                    new.append(difference)
            if not new:
                return
            for d in new:
                d = self.reduce(d)
                if d == 0:
                    continue
                if not any(self.system.jet_of(s) is not None for s in d.free_symbols):
                    raise OutsideMethodError(
                        f"the system is inconsistent or algebraically constrained: {sp.sstr(d)} = 0 on its solutions"
                    )
                self._add(d, what="integrability condition")
                self.conditions.append(d)
        raise OutsideMethodError(
            f"the system is not completed after {MAX_COMPLETION_ROUNDS} rounds of integrability conditions"
        )
