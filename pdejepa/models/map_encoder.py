"""A state encoder that keeps space: a frame (channels ``(batch, C, H, W)``) to a coarse latent map."""

from __future__ import annotations

import torch
from torch import nn


class MapEncoder(nn.Module):
    """Two stride-2 convolutions and a pointwise one: ``(batch, in_channels, H, W)`` to a latent map
    ``(batch, channels, ceil(H / 4), ceil(W / 4))`` of ``width`` hidden channels (GELU). A 1D view, an image of
    height 1, keeps height 1. The latent of a world model whose physics is local (a force where the smoke is)
    keeps where things are, which a pooled vector would average away."""

    def __init__(self, in_channels: int, channels: int, width: int = 32) -> None:
        super().__init__()
        if min(in_channels, channels, width) < 1:
            raise ValueError(f"need in_channels, channels and width >= 1, got {in_channels}, {channels}, {width}")
        self.dim = channels
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(width, width, 3, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(width, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, in_channels, H, W)`` -> ``(batch, channels, h, w)``."""
        return self.net(x)
