"""Semi-Lagrangian advection on the MAC grid: one explicit Euler step back along the flow, then bilinear lookup.

For ``q_t + (v . grad) q = 0`` the value at a sample point ``x`` after a step ``dt`` is the
old value at the departure point ``x - dt v(x)``, interpolated bilinearly. The velocity is
taken where ``q`` lives (cell centres for a scalar, each face for a velocity component).
Unconditionally stable, first order in time, and monotone (no new extrema), but not
conservative: bilinear lookup neither adds nor removes mass exactly (see the tests for how
much it drifts). This is PhiFlow's ``advect.semi_lagrangian`` with its default ``euler``
integrator; departure points outside the box see the extrapolation of the advected field.
"""

from __future__ import annotations

import torch

from .interpolation import bilinear_departures
from .mac import MACGrid, Velocity, centred, u_at_v, u_padded, v_at_u, v_padded


def _index_grid(rows: int, cols: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r = torch.arange(rows, device=like.device, dtype=like.dtype)[:, None].expand(rows, cols)
    c = torch.arange(cols, device=like.device, dtype=like.dtype)[None, :].expand(rows, cols)
    return c, r


def advect_scalar(s: torch.Tensor, vel: Velocity, grid: MACGrid, dt: float) -> torch.Tensor:
    """Advect a cell-centred scalar ``s`` ``(batch, ny, nx)`` by ``vel`` over ``dt``; zero-gradient outside."""
    uc, vc = centred(vel)
    c, r = _index_grid(grid.ny, grid.nx, s)
    return bilinear_departures(s, c, r, uc, vc, dt / grid.hx, dt / grid.hy)


def advect_velocity(vel: Velocity, grid: MACGrid, dt: float) -> Velocity:
    """Advect the staggered velocity by itself over ``dt`` (both components with the old velocity)."""
    u, v = vel
    # u lives at padded index (r, c) = (j + 1, i + 1); v at (j + 1, i + 1) of its own padding
    sx, sy = dt / grid.hx, dt / grid.hy
    cu, ru = _index_grid(grid.ny, grid.nx - 1, u)
    u_new = bilinear_departures(u_padded(u), cu + 1, ru + 1, u, v_at_u(v), sx, sy)
    cv, rv = _index_grid(grid.ny - 1, grid.nx, v)
    v_new = bilinear_departures(v_padded(v), cv + 1, rv + 1, u_at_v(u), v, sx, sy)
    return Velocity(u_new, v_new)
