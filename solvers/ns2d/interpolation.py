"""Bilinear interpolation of gridded values at arbitrary points, clamped at the edges.

Coordinates are in index space: ``(c, r)`` is column ``c`` and row ``r`` of the array,
fractional in between. Outside the array the edge values continue (``border``): for a
cell-centred scalar that is PhiFlow's ``extrapolation.BOUNDARY`` (zero gradient); for the
zero-padded velocity components of :mod:`~solvers.ns2d.mac` it is their zero extrapolation.
The same torch kernel (``grid_sample``) runs on CPU and CUDA.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _sample(values: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    out = F.grid_sample(values[:, None], grid, mode="bilinear", padding_mode="border", align_corners=True)
    return out[:, 0]


def bilinear(values: torch.Tensor, c: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """Sample ``values`` ``(batch, rows, cols)`` at index-space points ``c``, ``r`` ``(batch, m, n)``.

    Returns:
        ``(batch, m, n)`` interpolated values; points beyond the array take the nearest edge value.
    """
    _, rows, cols = values.shape
    # grid_sample's normalised coordinates with align_corners=True: -1 and +1 are the first and last sample
    kx, ky = 2.0 / max(cols - 1, 1), 2.0 / max(rows - 1, 1)
    return _sample(values, torch.stack((c * kx - 1.0, r * ky - 1.0), dim=-1))


def bilinear_departures(
    values: torch.Tensor, c0: torch.Tensor, r0: torch.Tensor, u: torch.Tensor, v: torch.Tensor, sx: float, sy: float
) -> torch.Tensor:
    """``values`` at the departure points ``(c0 - sx u, r0 - sy v)``: :func:`bilinear` with the arithmetic fused.

    ``c0``, ``r0``: ``(m, n)`` index-space arrival points; ``u``, ``v``: ``(batch, m, n)`` velocities;
    ``sx``, ``sy``: index units per unit of velocity (``dt / hx``, ``dt / hy``).
    """
    _, rows, cols = values.shape
    kx, ky = 2.0 / max(cols - 1, 1), 2.0 / max(rows - 1, 1)
    grid = torch.empty((*u.shape, 2), device=u.device, dtype=u.dtype)
    torch.add(c0 * kx - 1.0, u, alpha=-sx * kx, out=grid[..., 0])
    torch.add(r0 * ky - 1.0, v, alpha=-sy * ky, out=grid[..., 1])
    return _sample(values, grid)
