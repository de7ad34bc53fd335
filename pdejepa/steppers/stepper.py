"""Neural time-steppers on neuraloperator's Fourier Neural Operator, optionally conditioned per sample."""

from __future__ import annotations

import torch
from neuralop.models import FNO
from torch import nn

from .film import FiLM

CONDITIONINGS = ("film", "channels")  # how a code conditions the operator (``"none"``: it does not)


class ConditionedFNO(nn.Module):
    """Predict the next ``horizon`` frames of ``fields`` fields from the last ``history`` frames, given ``z``.

    A state of several fields (e.g. smoke, vx, vy) enters as channels, frame by frame with its fields
    side by side: the operator maps ``history * fields`` channels to ``horizon * fields``.

    The operator is neuraloperator's FNO (lifting, Fourier blocks, projection; 1D or 2D from
    ``n_modes``). Conditioning on ``z`` ``(batch, cond_dim)``:

    - ``"film"``: each Fourier block's output is scaled and shifted per sample (:class:`FiLM`);
    - ``"channels"``: a learned linear map of ``z`` to ``cond_channels`` values, appended to the
      input as constant channels;
    - ``"none"``: ``z`` is ignored (the unconditioned baseline).

    ``code_dims`` puts a learned linear bottleneck ``(cond_dim -> code_dims)`` in front of either map,
    so that the conditioning has rank at most ``code_dims``. With ``residual`` the operator predicts the change
    from the last input frame, which each output frame adds back: a forcing such as buoyancy is then a larger
    part of what the operator learns.

    Args:
        n_modes: Fourier modes kept per dimension, e.g. ``(16,)`` in 1D, ``(12, 12)`` in 2D.
        history, horizon: input and output frames; fields: fields per frame.
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
        fields: int = 1,
        code_dims: int | None = None,
        residual: bool = False,
    ) -> None:
        super().__init__()
        if conditioning not in ("none", *CONDITIONINGS):
            raise ValueError(f"conditioning {conditioning!r} must be one of {['none', *CONDITIONINGS]}")
        if conditioning != "none" and cond_dim < 1:
            raise ValueError(f"conditioning {conditioning!r} needs cond_dim >= 1, got {cond_dim}")
        if history < 1 or horizon < 1 or fields < 1:
            raise ValueError(f"history, horizon and fields must be >= 1, got {history}, {horizon}, {fields}")
        if code_dims is not None and conditioning != "none" and not 1 <= code_dims <= cond_dim:
            raise ValueError(f"code_dims must be in [1, cond_dim={cond_dim}], got {code_dims}")
        self.conditioning, self.history, self.horizon, self.cond_dim = conditioning, history, horizon, cond_dim
        self.fields, self.residual = fields, residual
        extra = cond_channels if conditioning == "channels" else 0
        self.fno = FNO(
            n_modes=tuple(n_modes),
            in_channels=history * fields + extra,
            out_channels=horizon * fields,
            hidden_channels=hidden,
            n_layers=n_layers,
        )
        used = cond_dim
        self.bottleneck = None
        if code_dims is not None and conditioning != "none":
            self.bottleneck, used = nn.Linear(cond_dim, code_dims, bias=False), code_dims
        self.film = FiLM(used, hidden, n_layers) if conditioning == "film" else None
        self.to_channels = nn.Linear(used, cond_channels) if conditioning == "channels" else None

    def state_dict(self, *args, **kwargs) -> dict:
        """nn.Module's, without the ``_metadata`` entry (its init arguments) that neuralop's FNO puts at the top
        of the whole state when nested, and that ``load_state_dict`` of any module holding it would refuse."""
        state = super().state_dict(*args, **kwargs)
        state.pop("_metadata", None)
        return state

    def conditioning_layers(self) -> list[nn.Module]:
        """The layers that read ``z`` (bottleneck, FiLM, channel map): what ``film_weight_decay`` decays."""
        return [m for m in (self.bottleneck, self.film, self.to_channels) if m is not None]

    def forward(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """``x`` ``(batch, history * fields, *space)``, ``z`` ``(batch, cond_dim)``
        -> ``(batch, horizon * fields, *space)``."""
        if self.conditioning != "none" and (z is None or tuple(z.shape) != (len(x), self.cond_dim)):
            raise ValueError(
                f"{self.conditioning} conditioning needs z of shape (batch, cond_dim), "
                f"got {None if z is None else tuple(z.shape)}"
            )
        last = x[:, (self.history - 1) * self.fields : self.history * self.fields]
        if self.bottleneck is not None:
            z = self.bottleneck(z)
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
        out = fno.projection(h)
        return out + last.repeat(1, self.horizon, *([1] * (x.ndim - 2))) if self.residual else out

    @torch.no_grad()
    def rollout(self, start: torch.Tensor, steps: int, z: torch.Tensor | None = None) -> torch.Tensor:
        """Autoregressive prediction of ``steps`` frames after ``start`` ``(batch, history, fields, *space)``.

        Each call predicts ``horizon`` frames; the last ``history`` frames feed the next call.
        Returns ``(batch, steps, fields, *space)``.
        """
        if start.shape[1:3] != (self.history, self.fields):
            raise ValueError(
                f"rollout starts from (batch, history={self.history}, fields={self.fields}, *space), "
                f"got {tuple(start.shape)}"
            )
        frames, window = [], start.flatten(1, 2)
        produced, last = 0, self.history * self.fields
        while produced < steps:
            out = self(window, z)
            frames.append(out)
            produced += self.horizon
            window = torch.cat([window, out], dim=1)[:, -last:]
        return torch.cat(frames, dim=1).unflatten(1, (-1, self.fields))[:, :steps]
