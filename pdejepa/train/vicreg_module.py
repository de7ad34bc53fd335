"""VICReg pretraining with Lie-symmetry views (Mialon et al., NeurIPS 2023) as a LightningModule."""

from __future__ import annotations

from collections import deque

import lightning as L
import torch
from torch import nn

from ..data import make_views
from ..losses import VICRegLoss
from ..models import resnet


def expander(dim: int, sizes: tuple[int, ...]) -> nn.Sequential:
    """VICReg's MLP: Linear-BN-ReLU between layers, a plain Linear last."""
    layers: list[nn.Module] = []
    for i, size in enumerate(sizes):
        layers.append(nn.Linear(dim, size))
        if i < len(sizes) - 1:
            layers += [nn.BatchNorm1d(size), nn.ReLU(inplace=True)]
        dim = size
    return nn.Sequential(*layers)


class VICRegPretraining(L.LightningModule):
    """Encoder + expander trained with VICReg on two symmetry views of each trajectory.

    Views are made on the device after the batch is moved (:func:`make_views`: 1D fields of
    ``equation``, or 2D flows when ``grid`` holds their cell centres), with draws from
    ``(seed, global step, view, sample id)``, so a resumed run repeats the same views. ``standardise``:
    field -> ``(mean, std)`` of the field channels (see :func:`make_views`).
    """

    def __init__(
        self,
        *,
        equation: str,
        strengths: dict[str, float],
        window: tuple[int, int] = (32, 64),
        view_params: tuple[str, ...] = (),
        encoder: str = "resnet18",
        width: int = 16,
        small_input: bool = True,
        expander_sizes: tuple[int, ...] = (256, 256, 256),
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        max_epochs: int = 10,
        seed: int = 0,
        grid: dict[str, list[float]] | None = None,
        max_start: int | None = None,
        standardise: dict[str, list[float]] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.views = make_views(
            equation, strengths, tuple(window), tuple(view_params), grid, max_start, standardise=standardise
        )
        self.encoder = resnet(encoder, in_channels=self.views.channels, width=width, small_input=small_input)
        self.expander = expander(self.encoder.dim, tuple(expander_sizes))
        self.loss = VICRegLoss()
        self.collapse_buffer: deque = deque(maxlen=32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Representation ``(batch, dim)`` of views ``(batch, 3, time, space)``."""
        return self.encoder(x)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        base = (self.hparams.seed * 1_000_003 + self.global_step) * 2
        # in the module's dtype: float32 views feed a float64 module too (the DDP equivalence test)
        x_a, x_b = self.views(batch, seed=base).to(self.dtype), self.views(batch, seed=base + 1).to(self.dtype)
        h_a, h_b = self.encoder(x_a), self.encoder(x_b)
        loss, terms = self.loss(self.expander(h_a), self.expander(h_b))
        self.collapse_buffer.append(h_a.detach().float().cpu())
        # the mean over DDP processes: the global batch's loss (invariance is a per-process mean)
        self.log("loss", loss, prog_bar=True, sync_dist=True)
        self.log_dict({f"loss/{k}": v for k, v in terms.items()}, sync_dist=True)
        return loss

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, self.hparams.max_epochs))
        return {"optimizer": opt, "lr_scheduler": schedule}
