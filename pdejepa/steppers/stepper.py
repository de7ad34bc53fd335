"""Neural time-steppers on neuraloperator's Fourier Neural Operator, optionally conditioned per sample."""

from __future__ import annotations

import torch
from neuralop.models import FNO
from torch import nn

from .film import FiLM

CONDITIONINGS = ("none", "film", "channels")


class ConditionedFNO(nn.Module):
    """Predict the next ``horizon`` frames from the last ``history`` frames, given a vector ``z`` per sample.

    Frames are channels; a multi-field state (e.g. smoke, vx, vy) enters frame by frame with its
    fields side by side, so ``history`` and ``horizon`` then count frames times fields.

    The operator is neuraloperator's FNO (lifting, Fourier blocks, projection; 1D or 2D from
    ``n_modes``). Conditioning on ``z`` ``(batch, cond_dim)``:

    - ``"film"``: each Fourier block's output is scaled and shifted per sample (:class:`FiLM`);
    - ``"channels"``: a learned linear map of ``z`` to ``cond_channels`` values, appended to the
      input as constant channels;
    - ``"none"``: ``z`` is ignored (the unconditioned baseline).

    Args:
        n_modes: Fourier modes kept per dimension, e.g. ``(16,)`` in 1D, ``(12, 12)`` in 2D.
        history, horizon: input and output frames (channels of the operator).
        hidden: hidden channels; n_layers: Fourier blocks.
    """

    def __init__(
        self,
        n_modes: tuple[int, ...],
        history: int,
        horizon: int,
        hidden: int = 32,
        n_layers: int = 4,
        conditioning: str = "none",
        cond_dim: int = 0,
        cond_channels: int = 8,
    ) -> None:
        super().__init__()
        if conditioning not in CONDITIONINGS:
            raise ValueError(f"conditioning {conditioning!r} must be one of {CONDITIONINGS}")
        if conditioning != "none" and cond_dim < 1:
            raise ValueError(f"conditioning {conditioning!r} needs cond_dim >= 1, got {cond_dim}")
        if history < 1 or horizon < 1:
            raise ValueError(f"history and horizon must be >= 1, got {history}, {horizon}")
        self.conditioning, self.history, self.horizon, self.cond_dim = conditioning, history, horizon, cond_dim
        extra = cond_channels if conditioning == "channels" else 0
        self.fno = FNO(
            n_modes=tuple(n_modes),
            in_channels=history + extra,
            out_channels=horizon,
            hidden_channels=hidden,
            n_layers=n_layers,
        )
        self.film = FiLM(cond_dim, hidden, n_layers) if conditioning == "film" else None
        self.to_channels = nn.Linear(cond_dim, cond_channels) if conditioning == "channels" else None

    def forward(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """``x`` ``(batch, history, *space)``, ``z`` ``(batch, cond_dim)`` -> ``(batch, horizon, *space)``."""
        if self.conditioning != "none" and (z is None or tuple(z.shape) != (len(x), self.cond_dim)):
            raise ValueError(
                f"{self.conditioning} conditioning needs z of shape (batch, cond_dim), "
                f"got {None if z is None else tuple(z.shape)}"
            )
        if self.to_channels is not None:
            c = self.to_channels(z).view(*z.shape[:1], -1, *([1] * (x.ndim - 2)))
            x = torch.cat([x, c.expand(-1, -1, *x.shape[2:])], dim=1)
        fno = self.fno
        if fno.positional_embedding is not None:
            x = fno.positional_embedding(x)
        h = fno.lifting(x)
        modulations = self.film.modulations(z) if self.film is not None else None
        for layer in range(fno.n_layers):
            h = fno.fno_blocks(h, layer)
            if modulations is not None:
                h = self.film(h, modulations, layer)
        return fno.projection(h)

    @torch.no_grad()
    def rollout(self, start: torch.Tensor, steps: int, z: torch.Tensor | None = None) -> torch.Tensor:
        """Autoregressive prediction of ``steps`` frames after ``start`` ``(batch, history, *space)``.

        Each call predicts ``horizon`` frames; the last ``history`` frames feed the next call.
        Returns ``(batch, steps, *space)``.
        """
        frames, window = [], start
        produced = 0
        while produced < steps:
            out = self(window, z)
            frames.append(out)
            produced += out.shape[1]
            window = torch.cat([window, out], dim=1)[:, -self.history :]
        return torch.cat(frames, dim=1)[:, :steps]
