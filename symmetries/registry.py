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
            f"unknown equation {name_or_text!r}: give an equation such as 'u_t = nu*u_xx' or one of "
            f"{sorted(EQUATIONS)}, or a system: {sorted(SYSTEMS)}"
        ) from None


NS2D = "u_t + u*u_x + v*u_y = -p_x + nu*(u_xx + u_yy); v_t + u*v_x + v*v_y = -p_y + nu*(v_xx + v_yy); u_x + v_y = 0"
SYSTEMS: dict[str, tuple[str, list[str], list[str]]] = {
    # incompressible 2D Navier-Stokes: velocity (u, v), pressure p, viscosity nu
    "ns2d": (NS2D, ["t", "x", "y"], ["u", "v", "p"]),
    # the smoke system of solvers/ns2d: Boussinesq force b*s along +y, smoke s carried by the flow
    "ns2d-buoyancy": (
        NS2D.replace("(v_xx + v_yy)", "(v_xx + v_yy) + b*s") + "; s_t + u*s_x + v*s_y = 0",
        ["t", "x", "y"],
        ["u", "v", "p", "s"],
    ),
}


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [n.strip() for n in text.split(",") if n.strip()]


def system_spec(
    name_or_text: str, independent: str | None = None, dependent: str | None = None
) -> tuple[str, list[str], list[str]] | None:
    """``(text, independent, dependent)`` for a system (a name of :data:`SYSTEMS`, or text with its
    variables given as comma-separated names), or None for a scalar evolution equation."""
    if name_or_text in SYSTEMS:
        if independent is not None or dependent is not None:
            raise ValueError(f"{name_or_text!r} names its own variables; drop --independent and --dependent")
        return SYSTEMS[name_or_text]
    if independent is None and dependent is None:
        if ";" in name_or_text:
            raise ValueError("a system (equations separated by ';') needs --independent and --dependent")
        return None
    if independent is None or dependent is None:
        raise ValueError("give both --independent (e.g. t,x,y) and --dependent (e.g. u,v,p) for a system")
    return name_or_text, _names(independent), _names(dependent)
