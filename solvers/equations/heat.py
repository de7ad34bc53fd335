"""Heat equation: ``u_t = nu u_xx`` on the periodic domain ``[0, L)``.

Linear, so ETDRK4 integrates it exactly: the solver's error is round-off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .base import Defaults, Equation, Parameter


@dataclass(frozen=True)
class Heat(Equation):
    name: str = "heat"
    formula: str = "u_t = nu*u_xx"
    parameters: tuple[Parameter, ...] = (
        Parameter("nu", 0.01, 0.1, log=True, description="diffusivity"),
        Parameter("L", 2 * math.pi, 2 * math.pi, description="domain length"),
    )
    defaults: Defaults = Defaults(nx=128, t_end=4.0, nt=101, dt=0.04)

    def linear(self, k: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
        return -p["nu"] * k**2

    def nonlinear(self, k, mask, p):
        return None
