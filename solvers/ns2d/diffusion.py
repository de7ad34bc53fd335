"""Explicit viscous diffusion of the staggered velocity, ``v <- v + nu dt lap(v)``.

The five-point Laplacian of each component uses the zero padding of :mod:`~solvers.ns2d.mac`
(wall faces zero, tangential ghost values zero), as PhiFlow's ``diffuse.explicit`` does on a
``StaggeredGrid`` with ``extrapolation.ZERO``. Stable while the diffusion number
``nu dt (1/hx^2 + 1/hy^2) <= 1/2`` (checked by the recipe before any work).
"""

from __future__ import annotations

import torch

from .mac import MACGrid, Velocity, u_padded, v_padded


def laplacian_padded(q: torch.Tensor, hx: float, hy: float) -> torch.Tensor:
    """Five-point Laplacian at the interior of a padded array ``(batch, rows + 2, cols + 2)``."""
    centre = q[..., 1:-1, 1:-1]
    return (q[..., 1:-1, :-2] + q[..., 1:-1, 2:] - 2 * centre) / hx**2 + (
        q[..., :-2, 1:-1] + q[..., 2:, 1:-1] - 2 * centre
    ) / hy**2


def diffusion_number(nu: float, dt: float, grid: MACGrid) -> float:
    """``nu dt (1/hx^2 + 1/hy^2)``: explicit diffusion is stable up to 1/2."""
    return nu * dt * (1 / grid.hx**2 + 1 / grid.hy**2)


def diffuse_explicit(vel: Velocity, nu: torch.Tensor | float, dt: float, grid: MACGrid) -> Velocity:
    """One explicit Euler step of ``v_t = nu lap(v)``; ``nu`` a number or ``(batch, 1, 1)``."""
    return Velocity(
        vel.u + nu * dt * laplacian_padded(u_padded(vel.u), grid.hx, grid.hy),
        vel.v + nu * dt * laplacian_padded(v_padded(vel.v), grid.hx, grid.hy),
    )
