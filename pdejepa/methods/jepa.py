"""Joint-embedding predictive pretraining (I-JEPA, V-JEPA) as a LightningModule.

I-JEPA: Assran et al., CVPR 2023; V-JEPA: Bardes et al., 2024. A context encoder sees the
context tokens of a masked input, a predictor maps them to the target encoder's tokens at the
target positions, and the target encoder is an exponential moving average of the context
encoder. Images and videos differ only in their ViT (2D patches or 3D tubelets), their masks
(made by a :class:`~pdejepa.masks.MaskCollator` in the DataLoader) and the loss's distance.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..config.schema import Rules
from ..losses import DISTANCES, JEPALoss
from ..masks import MaskCollator, MultiBlock2D, MultiBlock3D, vjepa_masks
from ..models import PooledEncoder, Predictor, gather_tokens, vit
from ..train.ema import ema_update
from ..train.schedules import cosine, linear, warmup_cosine
from .base import DATA_KINDS, MethodContext, PretrainingModule


@dataclass(frozen=True)
class JEPAConfig:
    """``pretrain.jepa``: warmup-cosine ``lr`` (start, peak, final), cosine ``weight_decay`` (start, end), linear
    ``ema`` momentum; ``symmetries`` also applies ``pretrain.strengths`` to PDE views; ``past`` (videos): 0 is
    V-JEPA's masks, ``p`` makes the first ``p`` token time steps the context and puts the targets after them."""

    patch_size: int = 4
    tubelet_size: int = 2
    predictor: tuple[int, int, int] = (96, 2, 3)
    loss: str = "smooth_l1"
    var_weight: float = 0.0
    lr: tuple[float, float, float] = (2e-4, 1e-3, 1e-6)
    warmup: float = 0.1
    weight_decay: tuple[float, float] = (0.04, 0.4)
    ema: tuple[float, float] = (0.996, 1.0)
    symmetries: bool = False
    past: int = 0

    @classmethod
    def rules(cls) -> Rules:
        return Rules(choices={"loss": tuple(DISTANCES)}, lower={"past": 0})


def jepa_masks(past: int, grid: tuple[int, ...]) -> list[MultiBlock2D] | list[MultiBlock3D]:
    """I-JEPA's mask for an image token grid ``(h, w)``, V-JEPA's pair for a video's ``(t, h, w)`` (future from
    the first ``past`` token time steps when ``past`` > 0)."""
    if len(grid) == 3:
        return vjepa_masks(grid, past=past)
    if past:
        raise ValueError(
            f"pretrain.jepa.past masks a video's later token time steps; this input is an image "
            f"(token grid {grid}): set it to 0, got {past!r}"
        )
    return [MultiBlock2D(grid)]


class JEPAPretraining(PretrainingModule):
    """Context ViT + predictor trained to predict the EMA target ViT's tokens of masked regions.

    Batches are ``(batch, masks)`` from a :class:`~pdejepa.masks.MaskCollator`. The input is
    ``batch["x"]`` (images ``(batch, C, H, W)`` or videos ``(batch, C, T, H, W)``), or, when
    ``views`` is given (keyword arguments of :func:`~pdejepa.data.make_views`), a view of a
    trajectory batch made on the device: a window of frames at a random time and the symmetries of
    ``views["strengths"]`` (none when empty), drawn from ``(seed, step, sample id)``. 1D windows are images
    ``(3, frames, points)`` and 2D flow windows videos ``(7, frames, y, x)``: the very views the downstream jobs
    feed the pooled target encoder.

    Args:
        encoder: ViT size name (:data:`~pdejepa.models.VIT_SIZES`).
        input_size, in_channels, patch_size, tubelet_size: the ViT's input (see :func:`~pdejepa.models.vit`).
        predictor: ``(dim, depth, heads)`` of the predictor.
        loss: ``"smooth_l1"`` (I-JEPA) or ``"l1"`` (V-JEPA); ``var_weight`` weights the variance regulariser.
        lr: ``(start, peak, final)`` of the warmup-cosine learning rate; ``warmup`` its warmup fraction.
        weight_decay: ``(start, end)`` of the cosine weight-decay schedule (not on biases and norms).
        ema: ``(start, end)`` of the linear momentum schedule of the target encoder.
    """

    name = "jepa"
    summary = "I-JEPA (images, 1D windows) or V-JEPA (videos, 2D flows): masked tokens from an EMA target ViT"
    Section = JEPAConfig
    encoder_family = "vit"
    data_kinds = DATA_KINDS
    encoder_weights = "target_encoder."
    video_views = True

    def __init__(
        self,
        *,
        encoder: str = "vit_micro",
        input_size: tuple[int, ...] = (32, 32),
        in_channels: int = 3,
        patch_size: int = 4,
        tubelet_size: int = 2,
        predictor: tuple[int, int, int] = (96, 2, 3),
        loss: str = "smooth_l1",
        var_weight: float = 0.0,
        lr: tuple[float, float, float] = (2e-4, 1e-3, 1e-6),
        warmup: float = 0.1,
        weight_decay: tuple[float, float] = (0.04, 0.4),
        ema: tuple[float, float] = (0.996, 1.0),
        views: dict | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(views=views, seed=seed)
        self.save_hyperparameters()
        self.encoder = vit(encoder, tuple(input_size), in_channels, patch_size, tubelet_size)
        self.target_encoder = copy.deepcopy(self.encoder).requires_grad_(False)
        dim, depth, heads = predictor
        self.predictor = Predictor(self.encoder.grid, self.encoder.dim, dim, depth, heads)
        self.loss = JEPALoss(loss, var_weight)

    @classmethod
    def build(cls, exp: MethodContext) -> JEPAPretraining:
        p, j = exp.config.pretrain, exp.config.pretrain.jepa
        size, channels = exp.encoder_input
        return cls(
            encoder=p.encoder,
            input_size=size,
            in_channels=channels,
            patch_size=j.patch_size,
            tubelet_size=j.tubelet_size,
            predictor=tuple(j.predictor),
            loss=j.loss,
            var_weight=j.var_weight,
            lr=tuple(j.lr),
            warmup=j.warmup,
            weight_decay=tuple(j.weight_decay),
            ema=tuple(j.ema),
            views=exp.view_settings(p.strengths if j.symmetries else {}),
            seed=p.seed,
        )

    @classmethod
    def frozen_encoder(cls, exp: MethodContext) -> nn.Module:
        """The target ViT as configured (size, patches, tubelets) for the data's input."""
        j = exp.config.pretrain.jepa
        size, channels = exp.encoder_input
        return vit(exp.config.pretrain.encoder, size, channels, j.patch_size, j.tubelet_size)

    @staticmethod
    def pooled(encoder: nn.Module) -> nn.Module:
        return PooledEncoder(encoder)

    @classmethod
    def encoder_signature(cls, exp: MethodContext) -> dict[str, Any]:
        j = exp.config.pretrain.jepa
        size, channels = exp.encoder_input
        return {
            "pretrain.jepa.patch_size": j.patch_size,
            "pretrain.jepa.tubelet_size": j.tubelet_size,
            "input size": list(size),
            "input channels": channels,
        }

    @classmethod
    def collate(cls, exp: MethodContext, module: PretrainingModule) -> Callable:
        """The training set's collation, with each global batch's masks drawn from ``(seed, epoch, ids)``."""
        masks = jepa_masks(exp.config.pretrain.jepa.past, module.encoder.grid)
        return MaskCollator(masks, exp.train_collate, seed=exp.config.pretrain.seed)

    def inputs(self, batch: dict, seed: int = 0, augment: bool = False) -> torch.Tensor:
        """The encoder's input for a collated batch: its view, or ``batch["x"]``."""
        if self.views is None:
            return batch["x"]
        return self.views(batch, seed=seed, augment=augment)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled representation ``(batch, dim)`` of the target encoder (the one evaluated downstream)."""
        return self.target_encoder(x).mean(dim=1)

    def training_step(self, data: tuple[dict, list[dict]], batch_idx: int) -> torch.Tensor:
        batch, masks = data
        # PDE views: a random window of frames (pretrain.max_start bounds it), plus symmetries if any are given
        x = self.inputs(batch, seed=self.step_seed(), augment=True)
        with torch.no_grad():
            self.target_encoder.eval()
            targets = self.target_encoder(x)  # (batch, tokens, dim); layer-normalised in the loss
        losses, terms = [], {}
        for mask in masks:
            context_idx, target_idx = mask["context"].to(x.device), mask["targets"].to(x.device)
            blocks = target_idx.shape[1]  # the predictor sees each target block on its own, as in I-JEPA
            context = self.encoder(x, keep=context_idx).repeat_interleave(blocks, dim=0)
            flat_idx = target_idx.flatten(0, 1)
            pred = self.predictor(context, context_idx.repeat_interleave(blocks, dim=0), flat_idx)
            loss, terms = self.loss(pred, gather_tokens(targets.repeat_interleave(blocks, dim=0), flat_idx), flat_idx)
            losses.append(loss)
        loss = torch.stack(losses).mean()
        self.record(targets.mean(dim=1))
        self.log("loss", loss, prog_bar=True, sync_dist=True)  # the mean over DDP processes
        self.log_dict({f"loss/{k}": v for k, v in terms.items()}, sync_dist=True)
        return loss

    def _progress(self) -> tuple[int, int]:
        return self.global_step, max(1, int(self.trainer.estimated_stepping_batches))

    def on_train_batch_start(self, batch, batch_idx: int) -> None:
        """Set this step's learning rate and weight decay (pure functions of the step: resumes exactly)."""
        step, total = self._progress()
        start, peak, final = self.hparams.lr
        lr = warmup_cosine(step, total, int(self.hparams.warmup * total), start, peak, final)
        wd = cosine(step, total, *self.hparams.weight_decay)
        for group in self.optimizers().optimizer.param_groups:
            group["lr"] = lr
            if group["decay"]:
                group["weight_decay"] = wd
        self.log("lr", lr)

    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        step, total = self._progress()
        ema_update(self.target_encoder, self.encoder, linear(step, total, *self.hparams.ema))

    def on_train_epoch_start(self) -> None:
        """New masks every epoch: tell the collator the epoch. Lightning builds each later epoch's
        iterator, and so each worker's copy of the collator, after this hook; the first epoch of a
        resumed run is announced before (:func:`pdejepa.jobs.pretraining.announce_resume`)."""
        collate = getattr(self.trainer.train_dataloader, "collate_fn", None)
        if hasattr(collate, "set_epoch"):
            collate.set_epoch(self.current_epoch)

    def configure_optimizers(self):
        decay, plain = [], []
        for name, p in self.named_parameters():
            if p.requires_grad:
                (plain if p.ndim == 1 or name.endswith("mask_token") else decay).append(p)
        groups = [
            {"params": decay, "weight_decay": self.hparams.weight_decay[0], "decay": True},
            {"params": plain, "weight_decay": 0.0, "decay": False},
        ]
        return torch.optim.AdamW(groups, lr=self.hparams.lr[0])
