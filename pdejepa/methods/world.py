"""A JEPA world model: the latent state of a clip predicts the latent states of the clips that follow it.

An encoder (a ResNet over the usual views: a window of ``pretrain.window[0]`` frames) maps a clip to ``h``; a
projector maps ``h`` to the latent state ``s`` (``latent`` dimensions). For each trajectory a context clip
starting at frame ``t`` and ``horizon`` target clips starting at ``t + k * stride`` are encoded; a predictor
(:class:`~pdejepa.models.LatentPredictor`) rolls the context's state forward ``horizon`` steps, conditioned on a
``code`` inferred by the encoder from another window of the trajectory (one that shows none of the target frames
the context does not show), and the loss is the mean squared error of the predicted states: it lives in latent
space. With ``state_frames`` the states are clips of that many frames seen by a state encoder of their own (a
ResNet of ``state_width``), and the window encoder gives only the code: what a short clip does not show (the
parameters of the dynamics) is what the code must carry for the predictor. Anti-collapse (``anti_collapse``):

- ``sigreg``: SIGReg (:func:`~pdejepa.losses.sigreg`) on the states, pushing them towards an isotropic Gaussian,
  with no stop-gradient and no EMA (LeJEPA; LeWorldModel, Maes et al. 2026);
- ``vicreg``: VICReg's variance hinge and covariance penalty on the states (Bardes et al. 2022; EB-JEPA);
- ``ema``: the targets come from an exponential moving average of the encoder and projector, without gradient
  (BYOL, V-JEPA).

The frozen representation that the downstream jobs use is the encoder's ``h`` of a window (the pooled ResNet
features, as for the other ResNet methods); the code and the predictor give the surprise scores
(:mod:`pdejepa.jobs.surprise`).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from symmetries.randomness import per_sample

from ..config.schema import Rules
from ..distributed import gather
from ..losses import covariance_penalty, random_directions, sigreg, variance_hinge
from ..data import make_views
from ..models import LatentPredictor, resnet
from ..train.ema import ema_update
from ..train.schedules import linear, warmup_cosine
from .base import MethodContext, ResNetPretraining

ANTI_COLLAPSE = ("sigreg", "vicreg", "ema")
CLIP_STREAM = 3_000  # randomness stream for the clips' and the code window's starts, apart from the views'
DIRECTION_STREAM = 4_000  # SIGReg's random directions, one set per step


@dataclass(frozen=True)
class WorldConfig:
    """``pretrain.world``: ``latent`` state dimensions, ``code`` dimensions (0: no code), ``horizon`` predicted
    states ``stride`` frames apart, the predictor's ``hidden`` width and ``depth``, the ``anti_collapse`` term and
    its ``weight`` (the loss is prediction + weight * term; unused by ``ema``), SIGReg's ``slices``, the EMA
    momentum ``(start, end)``; ``state_frames`` (0: the states are windows of the encoder) and ``state_width``: the
    clips and the ResNet width of a separate state encoder."""

    latent: int = 64
    code: int = 16
    horizon: int = 3
    stride: int = 1
    hidden: int = 256
    depth: int = 2
    anti_collapse: str = "sigreg"
    weight: float = 0.1
    slices: int = 256
    ema: tuple[float, float] = (0.99, 1.0)
    state_frames: int = 0
    state_width: int = 8

    @classmethod
    def rules(cls) -> Rules:
        return Rules(choices={"anti_collapse": ANTI_COLLAPSE}, lower={"code": 0, "state_frames": 0})

    def __post_init__(self) -> None:
        if self.state_frames and not self.code:
            raise ValueError(
                "pretrain.world.state_frames needs a code (pretrain.world.code >= 1): it trains the encoder"
            )


def clip_starts(
    draws: torch.Tensor, frames: int, clip: int, horizon: int, stride: int, window: int | None = None
) -> tuple[torch.Tensor, ...]:
    """From uniform draws ``(batch, 2)``: the first frame of every clip of ``clip`` frames ``(batch, horizon + 1)``
    (the context, then the targets ``stride`` frames apart) and of the code window of ``window`` frames (None:
    ``clip``) ``(batch,)``, which ends with the context or starts after the last target frame: it shows no target
    frame that the context does not show."""
    window = clip if window is None else window
    span = clip + horizon * stride  # frames from the context's first to the last target's last
    if span > frames or (window > clip and frames < 2 * window - clip + span - 1):
        need = span if window <= clip else 2 * window - clip + span - 1
        raise ValueError(
            f"a context and {horizon} targets {stride} frames apart, {clip} frames each, with code windows of {window} "
            f"frames, need {need} frames; the trajectories hold {frames}"
        )
    t = (draws[:, 0] * (frames - span + 1)).long().clamp_max(frames - span)
    starts = t[:, None] + stride * torch.arange(horizon + 1, device=t.device)
    before = (t + clip - window + 1).clamp_min(0)  # windows ending with the context at the latest
    after = (frames - window - t - span + 1).clamp_min(0)  # windows starting at t + span or later
    pick = (draws[:, 1] * (before + after)).long().clamp_max(before + after - 1)
    code = torch.where(pick < before, pick, pick - before + t + span)
    return starts, code


def cut_clips(batch: dict, starts: torch.Tensor, clip: int) -> dict:
    """The batch's clips of ``clip`` frames starting at ``starts`` ``(batch, n)``, as a batch of ``batch * n``
    trajectories (each keeps its sample's id, parameters and domain, so the views transform a sample's clips
    alike; its ``t0`` is the clip's first time)."""
    u, n = batch["u"], starts.shape[1]
    rows = torch.arange(len(u), device=u.device)[:, None, None]
    frames = starts[:, :, None] + torch.arange(clip, device=u.device)
    out = {"u": u[rows, frames].flatten(0, 1)}
    out["t0"] = (batch["t0"].to(starts.device)[:, None] + batch["dt"].to(starts.device)[:, None] * starts).flatten()
    for key in ("dt", "L", "id", "labels"):
        out[key] = batch[key].repeat_interleave(n, dim=0)
    return out


class WorldModelPretraining(ResNetPretraining):
    """Encoder + projector + predictor of the next latent states (see the module docstring).

    Args:
        latent, code, horizon, stride, hidden, depth, anti_collapse, weight, slices, ema: :class:`WorldConfig`.
        shared: :class:`~pdejepa.methods.base.ResNetPretraining`'s arguments; AdamW with a warmup-cosine learning
            rate per step.
    """

    name = "world"
    summary = "a JEPA world model: latent states of clips predict the following ones (SIGReg, VICReg or EMA)"
    Section = WorldConfig

    def __init__(
        self,
        *,
        latent: int = 64,
        code: int = 16,
        horizon: int = 3,
        stride: int = 1,
        hidden: int = 256,
        depth: int = 2,
        anti_collapse: str = "sigreg",
        weight: float = 0.1,
        slices: int = 256,
        ema: tuple[float, float] = (0.99, 1.0),
        state_frames: int = 0,
        state_width: int = 8,
        **shared: Any,
    ) -> None:
        if anti_collapse not in ANTI_COLLAPSE:
            raise ValueError(f"anti_collapse must be one of {list(ANTI_COLLAPSE)}, got {anti_collapse!r}")
        super().__init__(**shared)
        self.state_views, self.state_encoder = self.views, None  # None: the encoder's windows are the states
        if state_frames:
            views = shared["views"]
            self.state_views = make_views(**{**views, "window": (state_frames, *tuple(views["window"])[1:])})
            channels, small = self.state_views.channels, shared.get("small_input", False)
            self.state_encoder = resnet(shared.get("encoder", "resnet10"), channels, state_width, small)
        self.projector = nn.Linear(self.state_net.dim, latent)
        self.to_code = nn.Linear(self.encoder.dim, code) if code else None
        self.predictor = LatentPredictor(latent, code, hidden, depth)
        self.target = None
        if anti_collapse == "ema":
            self.target = copy.deepcopy(self.state_networks()).requires_grad_(False)

    @property
    def state_net(self) -> nn.Module:
        """The network that encodes a state: the state encoder, or without one the window encoder."""
        return self.encoder if self.state_encoder is None else self.state_encoder

    def state_networks(self) -> nn.ModuleList:
        """The state encoder and the projector, whose EMA gives the targets with ``anti_collapse="ema"``."""
        return nn.ModuleList([self.state_net, self.projector])

    @classmethod
    def build(cls, exp: MethodContext) -> WorldModelPretraining:
        w = exp.config.pretrain.world
        frames, window = exp.train_set[0]["u"].shape[0], exp.config.pretrain.window[0]
        clip_starts(torch.zeros(1, 2), frames, w.state_frames or window, w.horizon, w.stride, window)  # they fit
        return cls(**cls.shared_arguments(exp), **asdict(w))

    def states(self, batch: dict, starts: torch.Tensor, seed: int, target: bool = False) -> torch.Tensor:
        """Latent states ``(batch, n, latent)`` of the clips starting at ``starts`` ``(batch, n)``; with ``target``,
        those of the EMA target networks, without gradient."""
        x = self.state_views(cut_clips(batch, starts, self.state_views.window[0]), seed=seed).to(self.dtype)
        if target:
            with torch.no_grad():  # batch statistics in the target's norms, as BYOL's target network
                return self.target[1](self.target[0](x)).unflatten(0, starts.shape)
        h = self.state_net(x)
        if self.state_encoder is None:  # the states are the downstream representation
            self.record(h.unflatten(0, starts.shape)[:, 0])
        return self.projector(h).unflatten(0, starts.shape)

    def code(self, batch: dict, start: torch.Tensor, seed: int) -> torch.Tensor | None:
        """The code ``(batch, code)`` of the window starting at ``start`` ``(batch,)``; None without a code."""
        if self.to_code is None:
            return None
        x = self.views(cut_clips(batch, start[:, None], self.views.window[0]), seed=seed).to(self.dtype)
        h = self.encoder(x)
        if self.state_encoder is not None:
            self.record(h)
        return self.to_code(h)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        hp, seed = self.hparams, self.step_seed()
        draws = per_sample(seed, batch["id"], CLIP_STREAM, 2).to(batch["u"].device)
        clip, window = self.state_views.window[0], self.views.window[0]
        starts, code_start = clip_starts(draws, batch["u"].shape[1], clip, hp.horizon, hp.stride, window)
        if self.target is None:
            s = self.states(batch, starts, seed)  # context and targets, with gradients
            targets = s[:, 1:]
        else:
            s = self.states(batch, starts[:, :1], seed)
            targets = self.states(batch, starts[:, 1:], seed, target=True)
        z = self.code(batch, code_start, seed)
        prediction = F.mse_loss(self.predictor.rollout(s[:, 0], hp.horizon, z), targets)
        terms = {"prediction": prediction}
        if hp.anti_collapse == "sigreg":
            generator = torch.Generator().manual_seed(seed * 7 + DIRECTION_STREAM)
            terms["sigreg"] = sigreg(s.flatten(0, 1), random_directions(hp.latent, hp.slices, generator, s.device))
            loss = prediction + hp.weight * terms["sigreg"]
        elif hp.anti_collapse == "vicreg":
            states = gather(s.flatten(0, 1))
            terms["variance"], terms["covariance"] = variance_hinge(states), covariance_penalty(states)
            loss = prediction + hp.weight * (terms["variance"] + terms["covariance"] / 25)
        else:
            loss = prediction
        self.log("loss", loss, prog_bar=True, sync_dist=True)
        self.log_dict({f"loss/{k}": v for k, v in terms.items()}, sync_dist=True)
        return loss

    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        if self.target is not None:
            total = max(1, int(self.trainer.estimated_stepping_batches))
            momentum = linear(self.global_step, total, *self.hparams.ema)
            ema_update(self.target, self.state_networks(), momentum)

    def configure_optimizers(self):
        params = [p for p in self.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        total = max(1, int(self.trainer.estimated_stepping_batches))
        peak = self.hparams.lr

        def factor(step: int) -> float:  # warm up over 10%, then cosine down
            return warmup_cosine(step, total, total // 10, peak / 25, peak, peak / 25e4) / peak

        schedule = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}
