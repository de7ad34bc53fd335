"""Registry of the 1D periodic equations, by name."""

from __future__ import annotations

from .base import Defaults, Equation, Parameter
from .burgers import Burgers
from .heat import Heat
from .kdv import KdV
from .ks import KuramotoSivashinsky

EQUATIONS: dict[str, Equation] = {eq.name: eq for eq in (Burgers(), KuramotoSivashinsky(), KdV(), Heat())}


def get_equation(name: str) -> Equation:
    """The registered equation called ``name``; a clear error for any other."""
    try:
        return EQUATIONS[name]
    except KeyError:
        raise ValueError(f"unknown equation {name!r}; choose one of {sorted(EQUATIONS)}") from None


__all__ = ["EQUATIONS", "Defaults", "Equation", "Parameter", "get_equation"]
