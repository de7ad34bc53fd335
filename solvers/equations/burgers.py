"""Viscous Burgers: ``u_t + u u_x = nu u_xx`` on the periodic domain ``[0, L)``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..spectral import Convection
from .base import Defaults, Equation, Parameter


@dataclass(frozen=True)
class Burgers(Equation):
    name: str = "burgers"
    formula: str = "u_t + u*u_x = nu*u_xx"
    parameters: tuple[Parameter, ...] = (
        Parameter("nu", 0.05, 0.5, log=True, description="kinematic viscosity"),
        Parameter("L", 2 * math.pi, 2 * math.pi, description="domain length"),
    )
    defaults: Defaults = Defaults(nx=512, t_end=4.0, nt=101, dt=5e-3)

    def linear(self, k: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
        return -p["nu"] * k**2

    def nonlinear(self, k, mask, p):
        return Convection(k, mask)
