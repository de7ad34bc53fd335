"""Korteweg-de Vries: ``u_t + u u_x + u_xxx = 0`` on the periodic domain ``[0, L)``.

Its solitons are ``u = 3 c sech^2(sqrt(c) (x - c t) / 2)``, moving right at speed ``c``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..spectral import Convection
from .base import Defaults, Equation, Parameter


@dataclass(frozen=True)
class KdV(Equation):
    name: str = "kdv"
    formula: str = "u_t + u*u_x + u_xxx = 0"
    parameters: tuple[Parameter, ...] = (Parameter("L", 128.0, 128.0, description="domain length"),)
    defaults: Defaults = Defaults(nx=512, t_end=100.0, nt=101, dt=0.02, amplitude=0.4)

    def linear(self, k: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
        # -u_xxx -> -(i k)^3 u_hat = i k^3 u_hat: purely dispersive
        return 1j * k**3

    def nonlinear(self, k, mask, p):
        return Convection(k, mask)
