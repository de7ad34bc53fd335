"""Lie point symmetries of PDEs: derived with sympy from the equation's text, applied in torch.

- derivation: :class:`EvolutionEquation` parses ``u_t = F(x, u, u_x, ...)``, :func:`derive`
  solves the determining equations for the symmetry algebra, :func:`exponentiate` turns a
  generator into its finite group action; :func:`symmetries_of` (cached) and
  :func:`format_report` give the whole report, :func:`equation_text` reads the registered
  equations (:data:`EQUATIONS`, the solvers' names) by name;
- application to gridded 1D trajectories (:class:`GridTrajectories`): :class:`PointTransform`
  moves a batch exactly, :class:`SymmetryAugmentation` draws random group elements per sample
  (with :func:`available_groups`), :func:`pde_residual` checks the result solves the equation;
- systems of PDEs (:class:`PDESystem`: several equations and dependent variables, completed by
  their integrability conditions): :func:`derive_system`, :func:`system_symmetries_of` (cached),
  :func:`algebra_of` for either kind by text or name (:data:`SYSTEMS`: ``ns2d``, ``ns2d-buoyancy``);
- 2D incompressible flows with buoyancy (:mod:`symmetries.flow`): :class:`FlowTrajectories`
  and :class:`FlowAugmentation`, whose groups are checked against the derived algebra of the flow.

A method that does not apply raises :class:`OutsideMethodError`; a transform that is not a
symmetry of the data, :class:`NotASymmetryError`. The names above load their submodule on
first use (sympy, torch), so ``import symmetries`` alone stays instant.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {  # public name -> the submodule that defines it
    "EvolutionEquation": "jets",
    "derive": "derive",
    "exponentiate": "exponentiate",
    "symmetries_of": "report",
    "format_report": "report",
    "EQUATIONS": "registry",
    "equation_text": "registry",
    "GridTrajectories": "transforms",
    "PointTransform": "transforms",
    "NotASymmetryError": "transforms",
    "SymmetryAugmentation": "augment",
    "available_groups": "augment",
    "pde_residual": "residual",
    "PDESystem": "systems",
    "derive_system": "derive_system",
    "system_symmetries_of": "system_report",
    "algebra_of": "system_report",
    "SYSTEMS": "registry",
    "FlowTrajectories": "flow",
    "FlowAugmentation": "flow",
    "OutsideMethodError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load public ``name`` from its submodule on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
