"""What a 1D periodic evolution equation ``u_t = Lin u + N(u)`` declares to the solver."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable

import torch


@dataclass(frozen=True)
class Parameter:
    """A per-trajectory constant of an equation, drawn from ``[low, high]``.

    ``log`` draws log-uniformly (for scale parameters such as a viscosity),
    otherwise uniformly. ``low == high`` fixes it.
    """

    symbol: str
    low: float
    high: float
    log: bool = False
    description: str = ""


@dataclass(frozen=True)
class Defaults:
    """The equation's default simulation recipe (all resolved, see the tests)."""

    nx: int
    t_end: float
    nt: int
    dt: float
    t_burn: float = 0.0
    ic: str = "sines"
    amplitude: float = 0.5
    n_modes: int = 5
    max_wavenumber: int = 3
    tail_tol: float = 1e-4


@dataclass(frozen=True)
class Equation(ABC):
    """Base of the 1D equations; subclasses fill the class attributes and the two operators."""

    name: str = ""
    formula: str = ""
    parameters: tuple[Parameter, ...] = ()
    defaults: Defaults = field(default=None)  # type: ignore[assignment]

    @abstractmethod
    def linear(self, k: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
        """Eigenvalues of the linear operator. ``k``: ``(batch, nk)``; ``p[name]``: ``(batch, 1)``."""

    @abstractmethod
    def nonlinear(
        self, k: torch.Tensor, mask: torch.Tensor, p: dict[str, torch.Tensor]
    ) -> Callable[[torch.Tensor], torch.Tensor] | None:
        """Build ``N(u_hat)`` (``(batch, nk)`` complex in and out) for one batch, or None for a linear equation."""

    def parameter(self, symbol: str) -> Parameter:
        for par in self.parameters:
            if par.symbol == symbol:
                return par
        raise KeyError(f"{self.name} has no parameter {symbol!r}; it has {[p.symbol for p in self.parameters]}")
