"""Teacher-forced training of a time-stepper, and its one-step and rollout errors."""

from __future__ import annotations

import lightning as L
import torch
from torch.utils.data import Dataset

from .stepper import ConditionedFNO


class FramePairs(Dataset):
    """Every ``(history frames -> next horizon frames)`` pair of every trajectory, with its ``z``.

    u: ``(N, time, fields, *space)``; z: ``(N, cond_dim)`` (``(N, 0)`` for none). Items are
    ``(x, y, z)`` with ``x`` ``(history * fields, *space)`` and ``y`` ``(horizon * fields, *space)``.
    """

    def __init__(self, u: torch.Tensor, z: torch.Tensor, history: int, horizon: int) -> None:
        n, nt = u.shape[:2]
        self.per = nt - history - horizon + 1
        if self.per < 1:
            raise ValueError(f"{nt} frames cannot hold history {history} + horizon {horizon}")
        self.u, self.z, self.history, self.horizon = u, z, history, horizon

    def __len__(self) -> int:
        return len(self.u) * self.per

    def __getitem__(self, i: int):
        k, t = divmod(i, self.per)
        frames = self.u[k, t : t + self.history + self.horizon].flatten(0, 1)
        split = self.history * self.u.shape[2]
        return frames[:split], frames[split:], self.z[k]


def nmse(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """``||pred - true||^2 / ||true||^2`` over all but the first two dims: ``(batch, time)``."""
    dims = tuple(range(2, true.ndim))
    return (pred - true).pow(2).sum(dims) / true.pow(2).sum(dims).clamp_min(1e-30)


class TimeStepping(L.LightningModule):
    """A :class:`ConditionedFNO` trained with teacher forcing (MSE of the next ``horizon`` frames).

    AdamW with a cosine-annealed learning rate over the run.
    """

    def __init__(
        self,
        *,
        n_modes: tuple[int, ...],
        fields: int,
        history: int,
        horizon: int,
        hidden: int = 32,
        n_layers: int = 4,
        conditioning: str = "none",
        cond_dim: int = 0,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.fields = fields
        self.model = ConditionedFNO(
            tuple(n_modes), history * fields, horizon * fields, hidden, n_layers, conditioning, cond_dim
        )

    def z_or_none(self, z: torch.Tensor) -> torch.Tensor | None:
        return z if self.hparams.conditioning != "none" else None

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        x, y, z = batch
        loss = torch.nn.functional.mse_loss(self.model(x, self.z_or_none(z)), y)
        self.log("train_mse", loss, prog_bar=True, batch_size=len(x))
        return loss

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=max(1, int(self.trainer.estimated_stepping_batches))
        )
        return {"optimizer": opt, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}

    @torch.no_grad()
    def evaluate(self, u: torch.Tensor, z: torch.Tensor, batch_size: int = 128) -> dict[str, object]:
        """One-step NMSE over every pair of ``u`` ``(N, time, fields, *space)``, and the rollout
        NMSE per predicted frame from the first ``history`` frames to the end (mean over samples)."""
        self.eval()
        h, k = self.hparams.history, self.hparams.horizon
        pairs = FramePairs(u, z, h, k)
        one = []
        for i in range(0, len(pairs), batch_size):
            x, y, zz = (torch.stack(c) for c in zip(*(pairs[j] for j in range(i, min(i + batch_size, len(pairs))))))
            pred = self.model(x.to(self.device), self.z_or_none(zz.to(self.device))).cpu()
            one.append(nmse(pred[:, None], y[:, None])[:, 0])
        steps = u.shape[1] - h
        curves = []
        for i in range(0, len(u), batch_size):
            chunk, zz = u[i : i + batch_size], z[i : i + batch_size]
            start = chunk[:, :h].flatten(1, 2).to(self.device)
            pred = self.model.rollout(start, steps * self.fields, self.z_or_none(zz.to(self.device))).cpu()
            pred = pred.view(len(chunk), steps, self.fields, *chunk.shape[3:])
            curves.append(nmse(pred, chunk[:, h:]))
        curve = torch.cat(curves).mean(0)
        return {
            "one_step_nmse": float(torch.cat(one).mean()),
            "rollout_nmse": curve.tolist(),
            "rollout_nmse_mean": float(curve.mean()),
        }
