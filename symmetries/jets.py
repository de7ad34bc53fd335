"""Scalar evolution equations ``u_t = F(t, x, u, u_x, ..., u_{x^n})`` on the jet space.

The jet coordinates are ``t, x`` and ``u, u1 = u_x, u2 = u_xx, ...``. On solutions
every ``t``-derivative is eliminated through the equation, so total derivatives act as

    D_x G = G_x + sum_k u_{k+1} G_{u_k},      D_t G = G_t + sum_k (D_x^k F) G_{u_k}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from .safe_parse import CONSTANTS, non_finite, parse_expression

t, x = sp.symbols("t x", real=True)
U_T = sp.Symbol("u_t")
JET_PATTERN = re.compile(r"\bu_([tx]+)\b")


def jet(k: int) -> sp.Symbol:
    """The jet coordinate ``u_{x^k}``: ``u``, ``u1``, ``u2``, ..."""
    return sp.Symbol(f"u{k}" if k else "u", real=True)


u = jet(0)


def is_jet(s: sp.Symbol) -> bool:
    """True for the x-derivative jets ``u1, u2, ...`` (not ``u`` itself)."""
    return re.fullmatch(r"u\d+", s.name) is not None


@dataclass(frozen=True)
class EvolutionEquation:
    """``u_t = F``: ``rhs`` is ``F`` in ``t, x`` and the jets ``u, u1, ..., u{order}``; ``params`` its constants."""

    text: str
    rhs: sp.Expr
    order: int
    params: tuple[sp.Symbol, ...]

    @classmethod
    def parse(cls, text: str) -> "EvolutionEquation":
        """Read ``"u_t = -u*u_x + nu*u_xx"`` or ``"u_t + u*u_x + u_xxx = 0"``.

        Derivatives are written ``u_x``, ``u_xx``, ``u_xxx``...; every other name that is not
        ``t``, ``x``, ``u`` or a constant (``pi``, ``E``, ``I``) is a constant parameter, assumed non-zero.
        The text is read by :func:`~symmetries.safe_parse.parse_expression` (its grammar and limits).
        """
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"equation {text!r} must be a non-empty string such as 'u_t = u_xx'")
        names: dict[str, sp.Basic] = {"t": t, "x": x, "u": u, "u_t": U_T, **CONSTANTS}
        for letters in JET_PATTERN.findall(text):
            if "t" in letters and letters != "t":
                raise ValueError(
                    f"{text!r}: mixed or higher time derivative u_{letters}; "
                    "only evolution equations u_t = F(x, u, u_x, ...) are supported"
                )
            if letters != "t":
                names[f"u_{letters}"] = jet(len(letters))
        sides = text.split("=")
        if len(sides) > 2:
            raise ValueError(f"{text!r}: at most one '=' allowed")
        try:  # the safe parser, never sympify: the text is data, not code; "F = 0" may be written "F"
            lhs, rhs = (parse_expression(s, names, new_symbols=True) for s in (*sides, "0")[:2])
        except ValueError as err:
            raise ValueError(f"cannot read equation {text!r}: {err}") from None
        residual = sp.expand(lhs - rhs)
        if not residual.has(U_T):
            raise ValueError(f"{text!r} has no u_t: only evolution equations u_t = F(x, u, u_x, ...) are supported")
        coefficient = residual.coeff(U_T)
        if coefficient.free_symbols or sp.expand(residual - coefficient * U_T).has(U_T):
            raise ValueError(f"{text!r}: u_t must appear linearly with a constant coefficient")
        F = sp.simplify(-(residual - coefficient * U_T) / coefficient)
        bad = non_finite(F)
        if bad is not None:
            raise ValueError(f"{text!r}: F has the non-finite coefficient {bad}; coefficients must be finite numbers")
        jets = sorted((s for s in F.free_symbols if is_jet(s)), key=lambda s: int(s.name[1:]))
        order = int(jets[-1].name[1:]) if jets else 0
        if order < 1:
            raise ValueError(f"{text!r}: F must contain an x-derivative of u (got order {order})")
        params = tuple(sorted((s for s in F.free_symbols if s not in (t, x, u) and not is_jet(s)), key=str))
        return cls(text=text, rhs=F, order=order, params=params)

    @cached_property
    def jet_order(self) -> int:
        """Highest jet needed by the determining condition: ``2 * order + 1``."""
        return 2 * self.order + 1

    def Dx(self, expr: sp.Expr) -> sp.Expr:
        """Total x-derivative."""
        out = sp.diff(expr, x)
        for k in range(self.jet_order):
            uk = jet(k)
            if expr.has(uk):
                out += jet(k + 1) * sp.diff(expr, uk)
        return out

    @cached_property
    def rhs_derivatives(self) -> list[sp.Expr]:
        """``[F, D_x F, D_x^2 F, ...]`` up to what ``D_t`` needs."""
        out = [self.rhs]
        for _ in range(self.jet_order):
            out.append(sp.expand(self.Dx(out[-1])))
        return out

    def Dt(self, expr: sp.Expr) -> sp.Expr:
        """Total t-derivative on solutions (``u_{t x^k}`` replaced by ``D_x^k F``)."""
        out = sp.diff(expr, t)
        for k in range(self.jet_order):
            uk = jet(k)
            if expr.has(uk):
                out += self.rhs_derivatives[k] * sp.diff(expr, uk)
        return out

    def residual(self, field: sp.Expr) -> sp.Expr:
        """``f_t - F(f)`` for an explicit function ``f(t, x)``: zero iff ``f`` solves the equation."""
        subs = {jet(k): sp.diff(field, x, k) for k in range(self.order, -1, -1)}
        return sp.simplify(sp.diff(field, t) - self.rhs.xreplace(subs))

    def __str__(self) -> str:
        return f"u_t = {sp.sstr(self.rhs)}"
