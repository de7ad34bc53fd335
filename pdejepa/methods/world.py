"""A JEPA world model: the latent state of a clip predicts the latent states of the clips that follow it.

An encoder (a ResNet over the usual views: a window of ``pretrain.window[0]`` frames) maps a clip to ``h``, a
projector ``h`` to the latent state ``s``. For each trajectory a context clip at frame ``t`` and ``horizon`` target
clips at ``t + k * stride`` are encoded; a predictor rolls the context's state forward, conditioned on a ``code``
that the encoder infers from a window ending with the context at the latest (a forecast's code comes from the
past), and the loss is the squared error of the predicted states: it lives in latent space. With ``state_frames``
the states are short clips seen by a state encoder of their own (a pooled vector, or a latent map that keeps
space) and the window encoder gives only the code, which must then carry what a short clip does not show: the
parameters of the dynamics. Anti-collapse (``anti_collapse``): ``sigreg``, SIGReg on the states with no
stop-gradient and no EMA (LeJEPA; LeWorldModel, Maes et al. 2026); ``vicreg``, VICReg's variance and covariance
terms (EB-JEPA); ``ema``, targets from a moving average of the state networks, without gradient (BYOL, V-JEPA).

The downstream jobs read the encoder's ``h`` of a window; the code and predictor give surprise scores.
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
from ..losses import ANTI_COLLAPSE, anti_collapse, anti_collapse_of_maps
from ..data import make_views
from ..data.clips import CODE_FROM, clip_starts, cut_clips
from ..models import LatentPredictor, MapEncoder, MapPredictor, resnet
from ..train.ema import ema_update
from ..train.schedules import linear, warmup_cosine
from .base import MethodContext, ResNetPretraining

ERROR_SCALES = ("state", "change")  # the prediction error as it is, or per dimension by the state's change
STATES = ("vector", "map")  # a state as a pooled latent vector, or as a coarse latent map that keeps space
CLIP_STREAM = 3_000  # randomness stream for the clips' and the code window's starts, apart from the views'
DIRECTION_STREAM = 4_000  # SIGReg's random directions, one set per step


@dataclass(frozen=True)
class WorldConfig:
    """``pretrain.world``: ``latent`` state dimensions, ``code`` dimensions (0: no code), ``horizon`` predicted
    states ``stride`` frames apart, the predictor's ``hidden`` width and ``depth``, the ``anti_collapse`` term and
    its ``weight`` (the loss is prediction + weight * term; unused by ``ema``), SIGReg's ``slices``, the EMA
    momentum ``(start, end)``; ``state_frames`` (0: the states are windows of the encoder) and ``state_width``:
    the clips and the width of a separate state encoder, a ResNet, or with ``state: map`` a
    :class:`~pdejepa.models.MapEncoder` to a latent map of ``latent`` channels whose predictor is a FiLM
    convolutional net of ``hidden`` channels and ``depth`` blocks, its anti-collapse term the mean of those at
    ``places`` random places; ``code_from``: the code window ends with the context at the latest (``past``) or lies
    anywhere in the trajectory (``anywhere``, as the dynamics objective's); ``error_scale``: ``state`` (the squared
    error of the predicted states) or ``change`` (of each latent dimension divided by the spread of its change over
    the horizon across the batch, as the dynamics objective scales its steps)."""

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
    error_scale: str = "state"
    state: str = "vector"
    places: int = 16
    code_from: str = "past"

    @classmethod
    def rules(cls) -> Rules:
        choices = {"anti_collapse": ANTI_COLLAPSE, "error_scale": ERROR_SCALES, "state": STATES, "code_from": CODE_FROM}
        return Rules(choices=choices, lower={"code": 0, "state_frames": 0, "places": 1})

    def __post_init__(self) -> None:
        if self.state_frames and not self.code:
            raise ValueError("pretrain.world.state_frames needs a code (pretrain.world.code >= 1) to train the encoder")
        if self.state == "map" and not self.state_frames:
            raise ValueError("pretrain.world.state=map needs a state encoder of its own (pretrain.world.state_frames)")


class WorldModelPretraining(ResNetPretraining):
    """Encoder + projector + predictor of the next latent states (see the module docstring).

    Args:
        latent, code, ..., places, code_from: :class:`WorldConfig`.
        shared: :class:`~pdejepa.methods.base.ResNetPretraining`'s; AdamW, a warmup-cosine learning rate per step.
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
        error_scale: str = "state",
        state: str = "vector",
        places: int = 16,
        code_from: str = "past",
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
            if state == "map":
                self.state_encoder = MapEncoder(channels, latent, state_width)
            else:
                self.state_encoder = resnet(shared.get("encoder", "resnet10"), channels, state_width, small)
        maps = state == "map"
        self.projector = nn.Identity() if maps else nn.Linear(self.state_net.dim, latent)
        self.to_code = nn.Linear(self.encoder.dim, code) if code else None
        self.predictor = (MapPredictor if maps else LatentPredictor)(latent, code, hidden, depth)
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
        clip_starts(torch.zeros(1, 2), frames, w.state_frames or window, w.horizon, w.stride, window, w.code_from)
        return cls(**cls.shared_arguments(exp), **asdict(w))

    def states(
        self, batch: dict, starts: torch.Tensor, seed: int, target: bool = False, augment: bool = True
    ) -> torch.Tensor:
        """Latent states ``(batch, n, latent)`` (maps: ``(batch, n, latent, h, w)``) of the clips starting at ``starts``
        ``(batch, n)``; ``target``: of the EMA target networks, no gradient; ``augment=False``: without symmetries."""
        clips = cut_clips(batch, starts, self.state_views.window[0])
        x = self.state_views(clips, seed=seed, augment=augment).to(self.dtype)
        if target:
            with torch.no_grad():  # batch statistics in the target's norms, as BYOL's target network
                return self.target[1](self.target[0](x)).unflatten(0, starts.shape)
        h = self.state_net(x)
        if self.state_encoder is None:  # the states are the downstream representation
            self.record(h.unflatten(0, starts.shape)[:, 0])
        return self.projector(h).unflatten(0, starts.shape)

    def code(self, batch: dict, start: torch.Tensor, seed: int, augment: bool = True) -> torch.Tensor | None:
        """The code ``(batch, code)`` of the window starting at ``start`` ``(batch,)``; None without a code."""
        if self.to_code is None:
            return None
        x = self.views(cut_clips(batch, start[:, None], self.views.window[0]), seed=seed, augment=augment)
        x = x.to(self.dtype)
        h = self.encoder(x)
        if self.state_encoder is not None:
            self.record(h)
        return self.to_code(h)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        hp, seed = self.hparams, self.step_seed()
        draws = per_sample(seed, batch["id"], CLIP_STREAM, 2).to(batch["u"].device)
        clip, window = self.state_views.window[0], self.views.window[0]
        starts, code_start = clip_starts(draws, batch["u"].shape[1], clip, hp.horizon, hp.stride, window, hp.code_from)
        if self.target is None:
            s = self.states(batch, starts, seed)  # context and targets, with gradients
            targets = s[:, 1:]
        else:
            s = self.states(batch, starts[:, :1], seed)
            targets = self.states(batch, starts[:, 1:], seed, target=True)
        z = self.code(batch, code_start, seed)
        predicted = self.predictor.rollout(s[:, 0], hp.horizon, z)
        if hp.error_scale == "change":  # each latent dimension by how much it changes over each horizon
            change = gather((targets - s[:, :1]).detach())
            scale = change.std(dim=0).clamp_min(1e-3)  # (horizon, latent), over the global batch
            prediction = ((predicted - targets) / scale).pow(2).mean()
        else:
            prediction = F.mse_loss(predicted, targets)
        directions = seed * 7 + DIRECTION_STREAM  # a map's places: drawn from the same seed
        if s.ndim == 3:
            penalty, terms = anti_collapse(hp.anti_collapse, s.flatten(0, 1), hp.slices, directions)
        else:
            penalty, terms = anti_collapse_of_maps(hp.anti_collapse, s.flatten(0, 1), hp.slices, directions, hp.places)
        loss = prediction + hp.weight * penalty
        terms["prediction"] = prediction
        self.log("loss", loss, prog_bar=True, sync_dist=True)
        self.log_dict({f"loss/{k}": v for k, v in terms.items()}, sync_dist=True)
        return loss

    @torch.no_grad()
    def surprise(self, batch: dict, code_starts: int | tuple[int, ...] = 0) -> torch.Tensor:
        """The squared error of the latent state of each clip predicted one step (``stride`` frames) ahead from the
        clip before it, per latent dimension, the code inferred from the window at frame ``code_starts``: ``(batch,
        time)`` at each predicted clip's first frame, NaN where none is; a tuple of starts: ``(len, batch, time)``."""
        hp, u = self.hparams, batch["u"]
        clip, window, frames = self.state_views.window[0], self.views.window[0], u.shape[1]
        if frames < (least := max(window, clip + hp.stride)):
            raise ValueError(f"surprise needs trajectories of at least {least} frames: {frames}")
        starts = torch.arange(frames - clip + 1, device=u.device).expand(len(u), -1)
        s = self.states(batch, starts, seed=0, augment=False)  # (batch, clips, latent)
        several = isinstance(code_starts, tuple)
        code_starts = code_starts if several else (code_starts,)
        out = torch.full((len(code_starts), *u.shape[:2]), float("nan"), dtype=s.dtype, device=u.device)
        for k, start in enumerate(code_starts):
            z = self.code(batch, torch.full((len(u),), start, device=u.device), seed=0, augment=False)
            z = None if z is None else z.repeat_interleave(s.shape[1] - hp.stride, 0)
            predicted = self.predictor(s[:, : -hp.stride].flatten(0, 1), z).unflatten(0, (len(u), -1))
            out[k, :, hp.stride : frames - clip + 1] = (predicted - s[:, hp.stride :]).pow(2).flatten(2).mean(-1)
        return out if several else out[0]

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
