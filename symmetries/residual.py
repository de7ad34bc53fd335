"""How well gridded data solves an evolution equation: the measure behind every symmetry check."""

from __future__ import annotations

from functools import lru_cache

import sympy as sp
import torch

from .jets import EvolutionEquation, jet, t, x
from .transforms import TORCH_FUNCTIONS, GridTrajectories

# sixth-order central first derivative
FD6 = (-1 / 60, 3 / 20, -3 / 4, 0.0, 3 / 4, -3 / 20, 1 / 60)


@lru_cache(maxsize=64)
def _rhs_function(equation: EvolutionEquation):
    """``F(t, x, u, u1, ..., u_n, *params)`` in torch, built once per equation."""
    symbols = (t, x, *(jet(k) for k in range(equation.order + 1)), *equation.params)
    return sp.lambdify(symbols, equation.rhs, modules=[TORCH_FUNCTIONS, "math"])


def pde_residual(equation: EvolutionEquation, data: GridTrajectories) -> torch.Tensor:
    """Relative residual ``||u_t - F(u)|| / ||u_t||`` per sample, ``(batch,)``.

    ``u_t`` by sixth-order central differences over the frames (interior frames only),
    ``x``-derivatives spectrally on each sample's periodic grid.
    """
    nt = data.u.shape[1]
    if nt < len(FD6):
        raise ValueError(f"need at least {len(FD6)} frames for the time derivative, got {nt}")
    u = data.u.to(torch.float64)
    u_t = sum(c * u[:, i : nt - len(FD6) + 1 + i] for i, c in enumerate(FD6)) / data.dt.to(u)[:, None, None]
    inner = slice(len(FD6) // 2, nt - len(FD6) // 2)
    k = data.wavenumbers().to(u)[:, None, :]
    spectrum = torch.fft.rfft(u[:, inner])
    jets = {jet(0): u[:, inner]}
    for order in range(1, equation.order + 1):
        jets[jet(order)] = torch.fft.irfft((1j * k) ** order * spectrum, n=u.shape[-1])
    F = _rhs_function(equation)
    times = data.times().to(u)[:, inner, None]
    positions = data.positions().to(u)[:, None, :]
    params = [data.params[str(p)].to(u)[:, None, None] for p in equation.params]
    residual = u_t - F(times, positions, *jets.values(), *params)
    return residual.flatten(1).norm(dim=1) / u_t.flatten(1).norm(dim=1).clamp_min(1e-300)
