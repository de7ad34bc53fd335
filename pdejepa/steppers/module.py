"""Teacher-forced training of a time-stepper, and its one-step and rollout errors (relative L2, VRMSE)."""

from __future__ import annotations

from collections.abc import Callable

import lightning as L
import torch

from ..eval.metrics import relative_l2, vrmse
from .code import perturb, pick_window
from .pairs import FramePairs
from .stepper import ConditionedFNO

Diagnostics = Callable[[torch.Tensor, torch.Tensor], dict[str, torch.Tensor]]


class TimeStepping(L.LightningModule):
    """A :class:`ConditionedFNO` (``operator``: its keyword arguments) trained with teacher forcing (MSE of the next
    ``horizon`` frames).

    AdamW with a cosine-annealed learning rate over the run. Regularisers of the code ``z`` in training
    (all off by default): ``code_noise`` and ``code_dropout`` (:func:`~.code.perturb`), a code drawn among
    several windows when batches carry window codes (:func:`~.code.pick_window`), each from a generator
    seeded with ``seed``; ``film_weight_decay``, the weight decay of the conditioning layers (None:
    ``weight_decay``, as every other weight). The operator's ``code_dims`` is a learned bottleneck of the code.
    """

    def __init__(
        self,
        *,
        operator: dict,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        code_noise: float = 0.0,
        code_dropout: float = 0.0,
        film_weight_decay: float | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = ConditionedFNO(**{**operator, "n_modes": tuple(operator["n_modes"])})
        self.history, self.horizon, self.conditioning = self.model.history, self.model.horizon, self.model.conditioning
        self.generator = torch.Generator().manual_seed(seed)

    def z_or_none(self, z: torch.Tensor) -> torch.Tensor | None:
        return z if self.conditioning != "none" else None

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        x, y, z, *allowed = batch
        if allowed:
            z = pick_window(z, allowed[0], self.generator)
        if self.conditioning != "none":
            z = perturb(z, self.hparams.code_noise, self.hparams.code_dropout, self.generator)
        loss = torch.nn.functional.mse_loss(self.model(x, self.z_or_none(z)), y)
        self.log("train_mse", loss, prog_bar=True, batch_size=len(x))
        return loss

    def configure_optimizers(self):
        decay, film_decay = self.hparams.weight_decay, self.hparams.film_weight_decay
        if film_decay is None:
            params = self.parameters()
        else:
            own = {id(p) for m in self.model.conditioning_layers() for p in m.parameters()}
            params = [
                {"params": [p for p in self.parameters() if id(p) not in own]},
                {"params": [p for p in self.parameters() if id(p) in own], "weight_decay": film_decay},
            ]
        opt = torch.optim.AdamW(params, lr=self.hparams.lr, weight_decay=decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=max(1, int(self.trainer.estimated_stepping_batches))
        )
        return {"optimizer": opt, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}

    @torch.no_grad()
    def rollout(self, u: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """From the first ``history`` frames of ``u`` ``(batch, time, fields, *space)`` to its end:
        ``(batch, time - history, fields, *space)``, on ``u``'s device."""
        self.eval()
        h = self.history
        start, zz = u[:, :h].to(self.device), self.z_or_none(z.to(self.device))
        return self.model.rollout(start, u.shape[1] - h, zz).to(u.device)

    @torch.no_grad()
    def evaluate(
        self, u: torch.Tensor, z: torch.Tensor, batch_size: int = 128, diagnostics: Diagnostics | None = None
    ) -> dict[str, object]:
        """Errors on ``u`` ``(N, time, fields, *space)`` (:mod:`pdejepa.eval.metrics`), means over samples:
        ``one_step_rel_l2`` of every pair, and per predicted frame of the rollout from the first ``history``
        frames to the end ``rollout_rel_l2`` (over fields and space) and ``rollout_vrmse`` (per field, then
        the mean over fields), with their means over frames ``rollout_rel_l2_mean``, ``rollout_vrmse_mean``.

        ``diagnostics(pred, true)`` of each chunk's rollout and truth ``(batch, steps, fields, *space)``
        returns per-sample tensors ``(batch, ...)``: their means over samples join the result as lists.
        """
        self.eval()
        pairs = FramePairs(u, z, self.history, self.horizon)
        one = []
        for i in range(0, len(pairs), batch_size):
            x, y, zz = (torch.stack(c) for c in zip(*(pairs[j] for j in range(i, min(i + batch_size, len(pairs))))))
            pred = self.model(x.to(self.device), self.z_or_none(zz.to(self.device))).cpu()
            one.append(relative_l2(pred, y, dims=tuple(range(1, y.ndim))))
        errors, extra = {"rollout_rel_l2": [], "rollout_vrmse": []}, {}
        for i in range(0, len(u), batch_size):
            chunk = u[i : i + batch_size]
            pred, true = self.rollout(chunk, z[i : i + batch_size]), chunk[:, self.history :]
            errors["rollout_rel_l2"].append(relative_l2(pred, true, dims=tuple(range(2, true.ndim))))
            errors["rollout_vrmse"].append(vrmse(pred, true, dims=tuple(range(3, true.ndim))).mean(2))
            for name, value in (diagnostics(pred, true) if diagnostics else {}).items():
                extra.setdefault(name, []).append(value)
        curves = {name: torch.cat(values).mean(0) for name, values in errors.items()}
        return {
            "one_step_rel_l2": float(torch.cat(one).mean()),
            **{name: curve.tolist() for name, curve in curves.items()},
            **{f"{name}_mean": float(curve.mean()) for name, curve in curves.items()},
            **{name: torch.cat(values).mean(0).tolist() for name, values in extra.items()},
        }
