"""Training-time regularisers of the conditioning code: another window's code, Gaussian noise, dropout.

Each is a pure function of the code and an explicit :class:`torch.Generator` (drawn on the CPU, so the
same seed gives the same draws on any device). Evaluation always sees the unperturbed code.
"""

from __future__ import annotations

import torch

# the windows whose codes condition a training pair: the context before the stepped frames, or any other window
# of the trajectory that shares no frame with the pair (``timestep.code_window``)
CODE_WINDOWS = ("context", "other")


def pick_window(z: torch.Tensor, allowed: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One code per sample, drawn uniformly among its allowed windows.

    z: ``(batch, windows, cond_dim)``; allowed: ``(batch, windows)`` bool, at least one True per row.
    Returns ``(batch, cond_dim)``.
    """
    if not bool(allowed.any(1).all()):
        raise ValueError("every sample needs at least one allowed window to draw its code from")
    pick = torch.multinomial(allowed.float().cpu(), 1, generator=generator)[:, 0].to(z.device)
    return z[torch.arange(len(z), device=z.device), pick]


def perturb(z: torch.Tensor, noise: float, dropout: float, generator: torch.Generator) -> torch.Tensor:
    """``z`` ``(batch, cond_dim)`` plus Gaussian noise of std ``noise``, then inverted dropout: each entry is
    zeroed (the standardised code's mean) with probability ``dropout`` and the rest scaled by ``1 / (1 - dropout)``."""
    if noise < 0 or not 0 <= dropout < 1:
        raise ValueError(f"need noise >= 0 and dropout in [0, 1), got {noise}, {dropout}")
    if noise > 0:
        z = z + noise * torch.randn(z.shape, generator=generator).to(z)
    if dropout > 0:
        keep = torch.rand(z.shape, generator=generator) >= dropout
        z = z * keep.to(z) / (1 - dropout)
    return z
