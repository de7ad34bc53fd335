"""VICReg pretraining with Lie-symmetry views (Mialon et al., NeurIPS 2023): a ResNet encoder and an expander
trained with VICReg (Bardes, Ponce & LeCun, ICLR 2022) on two symmetry views of each trajectory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..losses import VICRegLoss
from .base import MethodContext, ResNetPretraining


@dataclass(frozen=True)
class VICRegConfig:
    """``pretrain.vicreg``: the expander's layer sizes (the loss is computed on its output)."""

    expander: tuple[int, ...] = (256, 256, 256)


def expander(dim: int, sizes: tuple[int, ...]) -> nn.Sequential:
    """VICReg's MLP: Linear-BN-ReLU between layers, a plain Linear last."""
    layers: list[nn.Module] = []
    for i, size in enumerate(sizes):
        layers.append(nn.Linear(dim, size))
        if i < len(sizes) - 1:
            layers += [nn.BatchNorm1d(size), nn.ReLU(inplace=True)]
        dim = size
    return nn.Sequential(*layers)


class VICRegPretraining(ResNetPretraining):
    """Encoder + expander trained with VICReg on two symmetry views of each trajectory.

    Views are made on the device after the batch is moved (``views``: the keyword arguments of
    :func:`~pdejepa.data.make_views`, 1D fields or 2D flows), with draws from ``(seed, global step, view, sample
    id)``, so a resumed run repeats the same views.
    """

    name = "vicreg"
    summary = "VICReg on two Lie-symmetry views of each trajectory (a ResNet)"
    Section = VICRegConfig

    def __init__(
        self, *, expander_sizes: tuple[int, ...] = (256, 256, 256), max_epochs: int = 10, **shared: Any
    ) -> None:
        """``expander_sizes``: the expander's layers; ``max_epochs``: the cosine schedule's length; ``shared``:
        :class:`~.base.ResNetPretraining`'s arguments."""
        super().__init__(**shared)
        self.expander = expander(self.encoder.dim, tuple(expander_sizes))
        self.loss = VICRegLoss()

    @classmethod
    def build(cls, exp: MethodContext) -> VICRegPretraining:
        p = exp.config.pretrain
        return cls(**cls.shared_arguments(exp), expander_sizes=tuple(p.vicreg.expander), max_epochs=p.epochs)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        base = self.step_seed() * 2
        # in the module's dtype: float32 views feed a float64 module too (the DDP equivalence test)
        x_a, x_b = self.views(batch, seed=base).to(self.dtype), self.views(batch, seed=base + 1).to(self.dtype)
        h_a, h_b = self.encoder(x_a), self.encoder(x_b)
        loss, terms = self.loss(self.expander(h_a), self.expander(h_b))
        self.record(h_a)
        # the mean over DDP processes: the global batch's loss (invariance is a per-process mean)
        self.log("loss", loss, prog_bar=True, sync_dist=True)
        self.log_dict({f"loss/{k}": v for k, v in terms.items()}, sync_dist=True)
        return loss

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, self.hparams.max_epochs))
        return {"optimizer": opt, "lr_scheduler": schedule}
