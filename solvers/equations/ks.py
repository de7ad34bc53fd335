"""Kuramoto-Sivashinsky: ``u_t + u u_x + u_xx + u_xxxx = 0`` on the periodic domain ``[0, L)``.

Chaotic for large ``L``; the default ``t_burn`` discards the transient from the
smooth initial condition so that stored frames lie on the attractor.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..spectral import Convection
from .base import Defaults, Equation, Parameter


@dataclass(frozen=True)
class KuramotoSivashinsky(Equation):
    name: str = "ks"
    formula: str = "u_t + u*u_x + u_xx + u_xxxx = 0"
    parameters: tuple[Parameter, ...] = (Parameter("L", 64.0, 64.0, description="domain length"),)
    defaults: Defaults = Defaults(nx=256, t_end=50.0, nt=101, dt=0.02, t_burn=0.0)

    def linear(self, k: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
        return k**2 - k**4

    def nonlinear(self, k, mask, p):
        return Convection(k, mask)
