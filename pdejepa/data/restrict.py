"""Fields on a coarser grid: block means (:func:`coarsen`), and for flows the smoke averaged over blocks of cells
and the velocity restricted through its faces (:func:`restrict_flow`).

The solver (:mod:`solvers.ns2d.mac`) keeps the velocity on the cell faces of a closed box (zero on the walls)
and stores each component at the cell centres as the mean of the two faces around it. Walking from a wall,
where the face value is zero, recovers every face exactly. A coarse face is the mean of the fine faces that
make it up (its flux is theirs), so the coarse cell's MAC divergence is the mean of its fine cells': a flow
the solver projected stays divergence-free to round-off on the coarse grid, in the same discretisation
(plain block means of the centred velocity would not be). The coarse centred values are again the means of
the two faces around each cell.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def coarsen(u: torch.Tensor, pool: int) -> torch.Tensor:
    """Average ``u`` ``(batch, fields, *space)`` (one or two space dimensions) over ``pool``-cell blocks."""
    if pool == 1:
        return u
    return (F.avg_pool1d if u.ndim == 3 else F.avg_pool2d)(u, pool)


def faces_from_centres(v: torch.Tensor) -> torch.Tensor:
    """``(..., n + 1)`` face values (both walls included) of a component centred as ``(..., n)`` along the last
    dim, from ``v[k] = (f[k] + f[k + 1]) / 2`` and ``f[0] = 0``: ``f[k + 1] = 2 sum_{j <= k} (-1)^(k - j) v[j]``."""
    sign = 1.0 - 2.0 * (torch.arange(v.shape[-1], device=v.device) % 2).to(v.dtype)  # (-1)^j
    inner = 2 * sign * torch.cumsum(v * sign, -1)
    return torch.cat([torch.zeros_like(v[..., :1]), inner], -1)


def restrict_component(v: torch.Tensor, pool: int) -> torch.Tensor:
    """A velocity component ``(..., n_across, n_along)`` centred along its last dim, on cells ``pool`` times
    larger: ``(..., n_across / pool, n_along / pool)``."""
    faces = faces_from_centres(v.double())[..., ::pool]  # the coarse faces along the component
    faces = faces.unflatten(-2, (-1, pool)).mean(-2)  # each the mean of the pool fine faces across it
    return (0.5 * (faces[..., :-1] + faces[..., 1:])).to(v.dtype)


def restrict_flow(u: torch.Tensor, pool: int) -> torch.Tensor:
    """Smoke, vx and vy ``(..., 3, ny, nx)`` on cells ``pool x pool`` times larger: ``(..., 3, ny / pool,
    nx / pool)``, the smoke by block means, the velocity through its faces."""
    if pool == 1:
        return u
    ny, nx = u.shape[-2:]
    smoke = F.avg_pool2d(u[..., 0, :, :].reshape(-1, 1, ny, nx), pool).view(*u.shape[:-3], ny // pool, nx // pool)
    vx = restrict_component(u[..., 1, :, :], pool)
    vy = restrict_component(u[..., 2, :, :].transpose(-1, -2), pool).transpose(-1, -2)
    return torch.stack([smoke, vx, vy], dim=-3)
