"""Fixed sin-cos position embeddings for token grids (Vaswani et al. 2017; 2D as in MAE / I-JEPA, 3D as in V-JEPA).

Each axis is encoded by a 1D embedding of its integer coordinate: ``d`` channels hold
``[sin(pos * omega_k), cos(pos * omega_k)]`` with ``omega_k = 10000 ** (-k / (d / 2))``,
``k = 0 .. d/2 - 1``. The per-axis embeddings are concatenated along channels, and rows follow the
row-major order of the grid, ``(h, w)`` for images and ``(t, h, w)`` for videos.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def sincos_1d(dim: int, positions: Tensor) -> Tensor:
    """Embed positions ``(n,)`` as ``(n, dim)`` float32 rows ``[sin(pos * omega), cos(pos * omega)]``."""
    if dim < 2 or dim % 2:
        raise ValueError(f"sin-cos embedding needs an even dim >= 2, got {dim!r}")
    # float64 so that large positions and high frequencies stay accurate before the cast
    omega = 10000.0 ** (-torch.arange(dim // 2, dtype=torch.float64) / (dim // 2))
    angles = positions.to(torch.float64).reshape(-1, 1) * omega
    return torch.cat([angles.sin(), angles.cos()], dim=1).float()


def _axes(dims: Sequence[int], grid: Sequence[int]) -> Tensor:
    """Concatenate per-axis embeddings of ``dims[a]`` channels over the row-major grid: ``(prod(grid), sum(dims))``."""
    if any(int(g) < 1 for g in grid):
        raise ValueError(f"grid sizes must be positive, got {tuple(grid)!r}")
    coords = torch.meshgrid(*(torch.arange(int(g)) for g in grid), indexing="ij")
    return torch.cat([sincos_1d(d, c.reshape(-1)) for d, c in zip(dims, coords)], dim=1)


def sincos_2d(dim: int, grid: tuple[int, int]) -> Tensor:
    """``(h * w, dim)`` embedding of an ``(h, w)`` grid: the first half of the channels encodes the row,
    the second the column."""
    if dim < 4 or dim % 4:
        raise ValueError(f"2D sin-cos embedding needs dim divisible by 4, got {dim!r}")
    if len(grid) != 2:
        raise ValueError(f"2D sin-cos embedding needs a grid (h, w), got {tuple(grid)!r}")
    return _axes((dim // 2, dim // 2), grid)


def split_3d(dim: int) -> tuple[int, int, int]:
    """Channels ``(time, row, column)`` for :func:`sincos_3d`.

    Channels come in sin/cos pairs; of ``p = dim / 2`` pairs each spatial axis gets ``(p - p // 4) // 2``
    and time the rest (``p // 4`` or one more), so time holds about a quarter of the channels, every
    part is even and rows and columns are treated alike. E.g. 48 -> (12, 18, 18), 384 -> (96, 144, 144).
    """
    if dim < 6 or dim % 2:
        raise ValueError(f"3D sin-cos embedding needs an even dim >= 6, got {dim!r}")
    pairs = dim // 2
    spatial = (pairs - pairs // 4) // 2
    return 2 * (pairs - 2 * spatial), 2 * spatial, 2 * spatial


def sincos_3d(dim: int, grid: tuple[int, int, int]) -> Tensor:
    """``(t * h * w, dim)`` embedding of a ``(t, h, w)`` grid, channels split ``[time | row | column]``
    by :func:`split_3d`."""
    if len(grid) != 3:
        raise ValueError(f"3D sin-cos embedding needs a grid (t, h, w), got {tuple(grid)!r}")
    return _axes(split_3d(dim), grid)


SINCOS = {2: sincos_2d, 3: sincos_3d}


def sincos(dim: int, grid: Sequence[int]) -> Tensor:
    """The 2D or 3D embedding chosen by ``len(grid)``: ``(prod(grid), dim)``."""
    try:
        embed = SINCOS[len(grid)]
    except KeyError:
        raise ValueError(f"sin-cos embedding needs a 2D or 3D grid, got {tuple(grid)!r}") from None
    return embed(dim, tuple(int(g) for g in grid))
