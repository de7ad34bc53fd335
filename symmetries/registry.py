"""Equations known by name (the same names as the solvers), each a string :func:`derive` reads."""

from __future__ import annotations

EQUATIONS: dict[str, str] = {
    "heat": "u_t = nu*u_xx",
    "burgers": "u_t + u*u_x = nu*u_xx",
    "kdv": "u_t + u*u_x + u_xxx = 0",
    "ks": "u_t + u*u_x + u_xx + u_xxxx = 0",
}


def equation_text(name_or_text: str) -> str:
    """A registered name's equation, or the text itself if it already is an equation."""
    if "=" in name_or_text:
        return name_or_text
    try:
        return EQUATIONS[name_or_text]
    except KeyError:
        raise ValueError(
            f"unknown equation {name_or_text!r}: give an equation such as 'u_t = nu*u_xx' or one of {sorted(EQUATIONS)}"
        ) from None
