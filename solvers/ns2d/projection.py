"""Exact pressure projection onto discretely divergence-free velocities in a closed box.

With the MAC divergence ``D`` and gradient ``G = -D^T`` (pressure at cell centres, zero
normal velocity at the walls), ``L = D G`` is the five-point Laplacian with homogeneous
Neumann conditions. Its eigenvectors are the products of ``cos(pi k (i + 1/2) / nx)`` and
``cos(pi l (j + 1/2) / ny)``, with eigenvalues ``(2 cos(pi k / nx) - 2) / hx^2 +
(2 cos(pi l / ny) - 2) / hy^2``, so the type-II DCT diagonalises it: solve ``L p = D v`` in
that basis, dropping the constant mode (``sum D v = 0`` exactly, since the wall fluxes are
zero), and set ``v <- v - G p``. The divergence left is round-off, in one pass, with no
iteration that could fail to converge (PhiFlow's ``fluid.make_incompressible`` solves the
same system by conjugate gradients to a tolerance).
"""

from __future__ import annotations

import math

import torch

from .dct import dct2, idct2
from .mac import MACGrid, Velocity, u_faces, v_faces


def divergence(vel: Velocity, grid: MACGrid) -> torch.Tensor:
    """``(batch, ny, nx)``: the MAC divergence ``du/dx + dv/dy`` of every cell."""
    uf, vf = u_faces(vel.u), v_faces(vel.v)
    return (uf[..., 1:] - uf[..., :-1]) / grid.hx + (vf[..., 1:, :] - vf[..., :-1, :]) / grid.hy


def neumann_eigenvalues(
    grid: MACGrid, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """``(ny, nx)`` eigenvalues of the Neumann Laplacian in the DCT-II basis (``[0, 0]`` is 0)."""
    kx = torch.arange(grid.nx, device=device, dtype=dtype)
    ky = torch.arange(grid.ny, device=device, dtype=dtype)
    lx = (2 * torch.cos(math.pi * kx / grid.nx) - 2) / grid.hx**2
    ly = (2 * torch.cos(math.pi * ky / grid.ny) - 2) / grid.hy**2
    return ly[:, None] + lx[None, :]


class PressureProjection:
    """``project(vel) -> (vel - G p, p)`` for one grid, device and dtype (the inverse eigenvalues are cached)."""

    def __init__(self, grid: MACGrid, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float64) -> None:
        self.grid = grid
        lam = neumann_eigenvalues(grid, device, dtype)
        inv = 1.0 / lam
        inv[0, 0] = 0.0  # the pressure is defined up to a constant: pick zero mean
        self.inverse_eigenvalues = inv

    def pressure(self, vel: Velocity) -> torch.Tensor:
        """``(batch, ny, nx)`` zero-mean solution of ``L p = D vel``."""
        return idct2(dct2(divergence(vel, self.grid)) * self.inverse_eigenvalues)

    def __call__(self, vel: Velocity) -> tuple[Velocity, torch.Tensor]:
        p = self.pressure(vel)
        g = self.grid
        u = vel.u - (p[..., 1:] - p[..., :-1]) / g.hx
        v = vel.v - (p[..., 1:, :] - p[..., :-1, :]) / g.hy
        return Velocity(u, v), p
