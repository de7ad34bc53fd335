"""A world model's predictor: the next latent state from the current one and a code, rolled out step by step; of
a latent vector (:class:`LatentPredictor`) or of a latent map (:class:`MapPredictor`)."""

from __future__ import annotations

import torch
from torch import nn

from .film_convnet import FiLMConvNet


class Rollout(nn.Module):
    """A one-step predictor ``forward(s, z)`` and its autoregressive rollout."""

    def rollout(self, s: torch.Tensor, steps: int, z: torch.Tensor | None = None) -> torch.Tensor:
        """``steps`` autoregressive steps from ``s`` ``(batch, ...)``: ``(batch, steps, ...)``."""
        out = []
        for _ in range(steps):
            s = self(s, z)
            out.append(s)
        return torch.stack(out, dim=1)


class LatentPredictor(Rollout):
    """``s_{k+1} = s_k + MLP(LayerNorm([s_k, z]))``: one step of latent dynamics, conditioned per sample on a code.

    ``latent``: dimension of the state ``s``; ``code``: of ``z`` (0: unconditioned); ``hidden``, ``depth``: the
    MLP's width and number of hidden layers (GELU). The last layer starts at zero, so an untrained predictor is
    the identity (a constant state is the first thing it can predict).
    """

    def __init__(self, latent: int, code: int = 0, hidden: int = 256, depth: int = 2) -> None:
        super().__init__()
        if min(latent, hidden, depth) < 1 or code < 0:
            raise ValueError(f"need latent, hidden, depth >= 1 and code >= 0, got {latent}, {hidden}, {depth}, {code}")
        self.latent, self.code = latent, code
        layers: list[nn.Module] = [nn.LayerNorm(latent + code)]
        width = latent + code
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.GELU()]
            width = hidden
        last = nn.Linear(width, latent)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.mlp = nn.Sequential(*layers, last)

    def forward(self, s: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """One step: ``s`` ``(batch, latent)``, ``z`` ``(batch, code)`` -> ``(batch, latent)``."""
        if s.ndim != 2 or s.shape[1] != self.latent or (self.code and (z is None or z.shape != (len(s), self.code))):
            got = None if z is None else tuple(z.shape)
            raise ValueError(f"need s (batch, {self.latent}) and z (batch, {self.code}), got {tuple(s.shape)}, {got}")
        return s + self.mlp(torch.cat([s, z], dim=1) if self.code else s)


class MapPredictor(Rollout):
    """``s_{k+1} = s_k + FiLMConvNet(s_k, z)``: one step of latent dynamics on a latent map ``(batch, channels, h,
    w)``, its features scaled and shifted per sample by the code ``z`` ``(batch, code)``
    (:class:`~pdejepa.models.FiLMConvNet`, ``hidden`` channels, ``blocks`` blocks); the last layer starts at zero,
    so an untrained predictor is the identity."""

    def __init__(self, channels: int, code: int, hidden: int = 32, blocks: int = 2) -> None:
        super().__init__()
        self.net = FiLMConvNet(channels, code, hidden, blocks, dims=2)
        nn.init.zeros_(self.net.project.weight)
        nn.init.zeros_(self.net.project.bias)

    def forward(self, s: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        if z is None:
            raise ValueError("a latent map's predictor needs a code z (pretrain.world.code >= 1)")
        return s + self.net(s, z)
