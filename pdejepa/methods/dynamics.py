"""Self-supervision by the dynamics: the representation of one window must tell a small stepper how the
flow moves at other times of the same trajectory.

The encoder sees a (symmetry-augmented) view of a window of frames and outputs a short code ``z``; a
:class:`~pdejepa.models.FiLMConvNet` conditioned on ``z`` predicts the change of the fields over one stored
step, ``u(t+1) - u(t)``, from ``u(t)`` at other, randomly drawn times of the same trajectory. The state
``u(t)`` shows the smoke and the velocity, so what the code must add is what they do not show: the
parameters of the equation (buoyancy multiplies the smoke in the force). Unlike an invariance objective, the
trajectory's own features (its amount and pattern of smoke) do not help the prediction and are not rewarded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from symmetries.randomness import per_sample

from ..data.clips import cut_clips
from ..data.restrict import coarsen
from ..models import FiLMConvNet
from ..train.schedules import warmup_cosine
from .base import MethodContext, ResNetPretraining

PAIR_STREAM = 2_000  # randomness stream for the times of the predicted steps, apart from the views' streams


@dataclass(frozen=True)
class DynamicsConfig:
    """``pretrain.dynamics``: a ``code``-dimensional representation conditions a stepper (``hidden`` channels,
    ``blocks`` FiLM blocks) that predicts ``pairs`` one-step changes per trajectory on a grid coarsened ``pool``
    times."""

    code: int = 16
    hidden: int = 32
    blocks: int = 3
    pool: int = 2
    pairs: int = 2


def step_scales(data: Dataset, pool: int, count: int = 64) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per field, the RMS of the coarsened fields and of their change over one stored step, over the first
    ``count`` trajectories of ``data`` (a fixed subset: the same scales for every run on the same data)."""
    sums = None
    for i in range(min(count, len(data))):
        u = coarsen(data[i]["u"], pool)  # (time, fields, *space)
        dims = (0, *range(2, u.ndim))
        squares = torch.stack([u.pow(2).mean(dims), (u[1:] - u[:-1]).pow(2).mean(dims)])
        sums = squares if sums is None else sums + squares
    field_rms, step_rms = (sums / min(count, len(data))).sqrt().clamp_min(1e-12)
    return tuple(field_rms.tolist()), tuple(step_rms.tolist())


class DynamicsPretraining(ResNetPretraining):
    """Encoder + code head trained so that a FiLM-conditioned stepper predicts other steps of the trajectory.

    Batches hold ``u`` ``(batch, time, fields, *space)`` (1D fields or 2D flows).

    Args:
        views: the encoder's views (keyword arguments of :func:`~pdejepa.data.make_views`).
        encoder, width, small_input: the ResNet.
        code: dimension of ``z``; hidden, blocks: the stepper; pool: the steps are predicted on a grid coarsened
            by ``pool`` cells per dimension; pairs: predicted steps per trajectory and batch.
        scales: per field, the typical size of the fields and of their change over one step ``(2, fields)``;
            inputs and targets are divided by them.
        lr, weight_decay, max_epochs, seed: AdamW with a warmup-cosine learning rate over the run; the views and
            the drawn times come from ``(seed, step, sample id)``, so a resumed run repeats the same draws.
    """

    name = "dynamics"
    summary = "self-supervision by the dynamics: the code of a window conditions a stepper of other steps (a ResNet)"
    Section = DynamicsConfig
    low_rank_expected = True  # the code holds a few parameters of the dynamics: a falling RankMe is the aim

    def __init__(
        self,
        *,
        scales: tuple[tuple[float, ...], tuple[float, ...]],
        code: int = 16,
        hidden: int = 32,
        blocks: int = 3,
        pool: int = 2,
        pairs: int = 2,
        **shared: Any,
    ) -> None:
        super().__init__(**shared)
        self.to_code = nn.Linear(self.encoder.dim, code)
        fields = len(scales[0])
        self.stepper = FiLMConvNet(fields, code, hidden, blocks, dims=1 if shared["views"].get("grid") is None else 2)
        self.register_buffer("field_scale", torch.tensor(scales[0], dtype=torch.float32))
        self.register_buffer("step_scale", torch.tensor(scales[1], dtype=torch.float32))

    @classmethod
    def build(cls, exp: MethodContext) -> DynamicsPretraining:
        d = exp.config.pretrain.dynamics
        return cls(
            **cls.shared_arguments(exp),
            scales=step_scales(exp.train_set, d.pool),
            code=d.code,
            hidden=d.hidden,
            blocks=d.blocks,
            pool=d.pool,
            pairs=d.pairs,
        )

    def steps(self, batch: dict, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``pairs`` steps per trajectory at times drawn from ``(seed, sample id)``: the coarsened, scaled state
        ``(batch * pairs, fields, *space)`` and its change over one stored step, likewise scaled."""
        u = batch["u"]  # (batch, time, fields, *space)
        n, nt = u.shape[:2]
        if nt < 2:
            raise ValueError(f"predicting steps needs trajectories of at least 2 stored frames, got {nt}")
        draws = per_sample(seed, batch["id"], PAIR_STREAM, self.hparams.pairs).to(u.device)
        t = (draws * (nt - 1)).long().clamp_max(nt - 2)  # (batch, pairs): a step t -> t + 1
        rows = torch.arange(n, device=u.device)[:, None]
        now, later = (coarsen(u[rows, t + k].flatten(0, 1), self.hparams.pool) for k in (0, 1))
        shape = (1, -1, *([1] * (now.ndim - 2)))
        return now / self.field_scale.view(shape), (later - now) / self.step_scale.view(shape)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        seed = self.step_seed()
        h = self.encoder(self.views(batch, seed=seed))
        z = self.to_code(h)
        now, change = self.steps(batch, seed)
        loss = F.mse_loss(self.stepper(now, z.repeat_interleave(self.hparams.pairs, 0)), change)
        self.record(h)
        self.log("loss", loss, prog_bar=True)
        self.log("code_std", z.detach().std(0).mean())
        return loss

    @torch.no_grad()
    def surprise(self, batch: dict, code_starts: int | tuple[int, ...] = 0) -> torch.Tensor:
        """The squared error of the stepper's scaled one-step change of every frame from the one before it, per
        value, the code inferred from the window at frame ``code_starts``: ``(batch, time)``, NaN at the first
        frame; ``(len, batch, time)`` for a tuple of starts (the frames are coarsened and scaled once)."""
        u, pool = batch["u"], self.hparams.pool  # (batch, time, fields, *space)
        frames = coarsen(u.flatten(0, 1), pool).unflatten(0, u.shape[:2])
        shape = (1, 1, -1, *([1] * (frames.ndim - 3)))
        now = (frames[:, :-1] / self.field_scale.view(shape)).flatten(0, 1)
        change = (frames[:, 1:] - frames[:, :-1]) / self.step_scale.view(shape)
        several = isinstance(code_starts, tuple)
        code_starts = code_starts if several else (code_starts,)
        out = torch.full((len(code_starts), *u.shape[:2]), float("nan"), dtype=change.dtype, device=u.device)
        for k, start in enumerate(code_starts):
            window = cut_clips(batch, torch.full((len(u), 1), start, device=u.device), self.views.window[0])
            z = self.to_code(self.encoder(self.views(window, seed=0, augment=False).to(self.dtype)))
            predicted = self.stepper(now, z.repeat_interleave(change.shape[1], 0)).unflatten(0, change.shape[:2])
            out[k, :, 1:] = (predicted - change).pow(2).flatten(2).mean(-1)
        return out if several else out[0]

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        total = max(1, int(self.trainer.estimated_stepping_batches))
        peak = self.hparams.lr

        def factor(step: int) -> float:  # OneCycle-like: warm up over 10%, then cosine down
            return warmup_cosine(step, total, total // 10, peak / 25, peak, peak / 25e4) / peak

        schedule = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}
