"""A small convolutional one-step predictor of a field's change, modulated per sample by a code (FiLM)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class FiLMConvNet(nn.Module):
    """Predict ``u(t + dt) - u(t)`` from ``u(t)`` on a grid, given a code ``z`` per sample.

    ``u`` is ``(batch, fields, *space)`` with one or two space dimensions; the net also sees the cells'
    coordinates in ``[-1, 1]`` (walls and gravity sit at fixed places in the stored frames). A lifting
    convolution, ``blocks`` residual convolutions whose features are scaled and shifted per sample by a
    linear map of ``z`` (FiLM, Perez et al. 2018), and a projection back to ``fields`` channels.
    A code that lets the net predict better must hold what the state alone does not show: the
    parameters of the dynamics.
    """

    def __init__(self, fields: int, code: int, hidden: int = 32, blocks: int = 3, dims: int = 2) -> None:
        super().__init__()
        if dims not in (1, 2):
            raise ValueError(f"FiLMConvNet works on 1 or 2 space dimensions, got {dims}")
        if min(fields, code, hidden, blocks) < 1:
            raise ValueError(f"fields, code, hidden and blocks must be >= 1, got {fields}, {code}, {hidden}, {blocks}")
        conv = nn.Conv1d if dims == 1 else nn.Conv2d
        self.dims, self.hidden, self.blocks = dims, hidden, blocks
        self.lift = conv(fields + dims, hidden, 3, padding=1)
        self.convs = nn.ModuleList([conv(hidden, hidden, 3, padding=1) for _ in range(blocks)])
        self.film = nn.Linear(code, 2 * hidden * blocks)
        self.project = conv(hidden, fields, 3, padding=1)

    def coordinates(self, u: torch.Tensor) -> torch.Tensor:
        """``(batch, dims, *space)`` cell coordinates in ``[-1, 1]``, x first."""
        axes = [torch.linspace(-1, 1, n, dtype=u.dtype, device=u.device) for n in u.shape[2:]]
        grids = torch.meshgrid(*axes, indexing="ij")[::-1]  # (y, x) grids -> x first
        return torch.stack(grids)[None].expand(len(u), -1, *u.shape[2:])

    def forward(self, u: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``u`` ``(batch, fields, *space)``, ``z`` ``(batch, code)`` -> change ``(batch, fields, *space)``."""
        if u.ndim != 2 + self.dims or len(z) != len(u):
            raise ValueError(
                f"need u (batch, fields, {self.dims} space dims) and z (batch, code); got "
                f"{tuple(u.shape)} and {tuple(z.shape)}"
            )
        h = F.gelu(self.lift(torch.cat([u, self.coordinates(u)], dim=1)))
        scale_shift = self.film(z).view(len(z), self.blocks, 2, self.hidden, *([1] * self.dims))
        for k, conv in enumerate(self.convs):
            h = h + F.gelu(conv(h) * (1 + scale_shift[:, k, 0]) + scale_shift[:, k, 1])
        return self.project(h)
