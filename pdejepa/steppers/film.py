"""Per-sample feature-wise modulation (FiLM, Perez et al. 2018) of an operator's hidden channels."""

from __future__ import annotations

import torch
from torch import nn


class FiLM(nn.Module):
    """Scale and shift of the hidden channels of each of ``n_layers`` layers from a conditioning vector.

    ``h -> h * (1 + gamma_l(z)) + beta_l(z)`` per sample, with ``gamma_l, beta_l`` one linear map
    of ``z``, initialised to zero so that an untrained modulation is the identity.
    """

    def __init__(self, cond_dim: int, channels: int, n_layers: int) -> None:
        super().__init__()
        if cond_dim < 1 or channels < 1 or n_layers < 1:
            raise ValueError(f"need cond_dim, channels, n_layers >= 1, got {cond_dim}, {channels}, {n_layers}")
        self.channels, self.n_layers = channels, n_layers
        self.map = nn.Linear(cond_dim, 2 * channels * n_layers)
        nn.init.zeros_(self.map.weight)
        nn.init.zeros_(self.map.bias)

    def modulations(self, z: torch.Tensor) -> torch.Tensor:
        """``(batch, cond_dim)`` -> ``(batch, n_layers, 2, channels)``: per layer, ``gamma`` and ``beta``."""
        return self.map(z).view(len(z), self.n_layers, 2, self.channels)

    def forward(self, h: torch.Tensor, modulations: torch.Tensor, layer: int) -> torch.Tensor:
        """Modulate ``h`` ``(batch, channels, *space)`` with layer ``layer`` of :meth:`modulations`."""
        gamma, beta = modulations[:, layer].unbind(1)
        shape = (len(h), self.channels) + (1,) * (h.ndim - 2)
        return h * (1 + gamma.view(shape)) + beta.view(shape)
