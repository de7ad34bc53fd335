"""What every pretraining method shares: the views of trajectory batches made on the device, the recent
representations the collapse monitor reads, the per-step seed, and the declaration a method makes of itself
(its name, config section, encoder family, the data it trains on) that the config, the CLI help, the dispatch
and the checks read from the registry (:data:`pdejepa.methods.METHODS`).

A method is one module holding a subclass of :class:`PretrainingModule` (solo-learn's ``methods/``, V-JEPA's
``app/<method>/``): its class attributes declare it, :meth:`~PretrainingModule.build` makes it from an experiment,
:meth:`~PretrainingModule.collate` makes its batches, and its ``training_step`` is its objective.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

import lightning as L
import torch
from torch import nn
from torch.utils.data import Dataset

from ..data import make_views
from ..models import VIT_SIZES, resnet
from ..models.resnet import DEPTHS as RESNET_DEPTHS
from ..train.collapse import EMBEDDING_BUFFER

ENCODERS = {"resnet": tuple(RESNET_DEPTHS), "vit": tuple(VIT_SIZES)}  # family -> the names pretrain.encoder takes
# 1D fields, 2D fields, procedural videos as trajectories of RGB frames (pdejepa.data.video_trajectories), and
# procedural images and videos as they are (a method that takes these gets a video set so)
DATA_KINDS = ("1d", "2d", "videos", "procedural")


class MethodContext(Protocol):
    """What a method reads of :class:`pdejepa.experiment.Experiment` (named here so that methods need not
    import it: the config reads the registry of methods, and the experiment reads the config)."""

    config: Any
    data_kind: str
    encoder_family: str
    train_set: Dataset
    train_collate: Callable

    def view_settings(self, strengths: dict[str, float] | None = None) -> dict[str, Any] | None: ...

    @property
    def encoder_input(self) -> tuple[tuple[int, ...], int]: ...

    @property
    def channels(self) -> int: ...


class PretrainingModule(L.LightningModule):
    """A pretraining method's Lightning module.

    Declared by each method (class attributes):
        name: its ``pretrain.method`` value; summary: one line for the CLI's help.
        Section: the frozen dataclass of its own settings at ``pretrain.<name>`` (None: it has none).
        encoder_family: ``"resnet"`` or ``"vit"`` (:data:`ENCODERS`), the family ``pretrain.encoder`` must name.
        data_kinds: the kinds of data it trains on (:data:`DATA_KINDS`).
        encoder_weights: the prefix, in its checkpoints, of the encoder that downstream jobs use frozen.
        video_views: a 2D flow is seen as a video ``(batch, 7, frames, y, x)`` rather than stacked frames, by it
            and by every job that uses its encoder.
        low_rank_expected: its representation is meant to have a low rank (the collapse monitor then does not
            report a falling RankMe).

    Shared state: ``views`` (the view maker of ``views`` settings, :func:`~pdejepa.data.make_views`; None for
    procedural sets, whose batches hold the input as ``x``), ``embeddings`` (the last representations, for the
    collapse monitor) and :meth:`step_seed`, a function of ``(seed, global step)`` only, so a resumed run
    repeats the same draws.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    Section: ClassVar[type | None] = None
    encoder_family: ClassVar[str]
    data_kinds: ClassVar[tuple[str, ...]] = ("1d", "2d")
    encoder_weights: ClassVar[str] = "encoder."
    video_views: ClassVar[bool] = False
    low_rank_expected: ClassVar[bool] = False

    def __init__(self, *, views: dict[str, Any] | None, seed: int) -> None:
        super().__init__()
        self.views = None if views is None else make_views(**views)
        self.seed = seed
        self.embeddings: deque[torch.Tensor] = deque(maxlen=EMBEDDING_BUFFER)

    def step_seed(self) -> int:
        """The seed of this training step's random draws (views, masks' companions, drawn times)."""
        return self.seed * 1_000_003 + self.global_step

    def record(self, h: torch.Tensor) -> None:
        """Keep the representations ``(batch, dim)`` of this step for the collapse monitor."""
        self.embeddings.append(h.detach().float().cpu())

    @classmethod
    def check(cls, exp: MethodContext) -> None:
        """Refuse an experiment this method cannot train on (called before any data is simulated)."""
        p = exp.config.pretrain
        if exp.encoder_family != cls.encoder_family:
            names = sorted(ENCODERS[cls.encoder_family])
            raise ValueError(
                f"pretrain.method={cls.name} needs a {cls.encoder_family} encoder, one of {names}; "
                f"got pretrain.encoder={p.encoder!r}"
            )
        if exp.data_kind not in cls.data_kinds:
            raise ValueError(
                f"pretrain.method={cls.name} trains on {' or '.join(cls.data_kinds)} data; "
                f"data.equation={exp.config.data.equation!r} is {exp.data_kind}"
            )

    @classmethod
    def build(cls, exp: MethodContext) -> "PretrainingModule":
        """The module as ``exp`` configures it (global random state already seeded by the caller)."""
        raise NotImplementedError(f"{cls.__name__} must say how it is built from an experiment")

    def surprise(self, batch: dict, code_starts: int | tuple[int, ...] = 0) -> torch.Tensor:
        """How badly the method's model of the dynamics predicts each frame of ``batch``'s trajectories from the
        ones before it, given what it infers from their window at frame ``code_starts``: ``(batch, time)``, NaN where
        it predicts nothing; ``(len, batch, time)`` for a tuple of starts, the trajectory's own work done once. Only
        methods with a predictor of the dynamics have one."""
        raise ValueError(
            f"pretrain.method={self.name} has no predictor of the dynamics to be surprised by: surprise scores need "
            "pretrain.method=world or dynamics"
        )

    @classmethod
    def frozen_encoder(cls, exp: MethodContext) -> nn.Module:
        """A fresh encoder as the downstream jobs use it frozen, into which the weights under
        :attr:`encoder_weights` load."""
        raise NotImplementedError(f"{cls.__name__} must say how its frozen encoder is rebuilt")

    @staticmethod
    def pooled(encoder: nn.Module) -> nn.Module:
        """The frozen encoder as ``(batch, ...) -> (batch, dim)``."""
        return encoder

    @classmethod
    def encoder_signature(cls, exp: MethodContext) -> dict[str, Any]:
        """What fixes the frozen encoder besides the data, the method and ``pretrain.encoder`` (stored in every
        checkpoint and checked when one is used)."""
        raise NotImplementedError(f"{cls.__name__} must say what signs its frozen encoder")

    @classmethod
    def collate(cls, exp: MethodContext, module: "PretrainingModule") -> Callable:
        """How the loader collates a batch for ``module``: the training set's own collation by default."""
        return exp.train_collate


class ResNetPretraining(PretrainingModule):
    """A method whose encoder is the configured ResNet over the views (``views``, ``encoder``, ``width``,
    ``small_input``), trained with AdamW's ``lr`` and ``weight_decay`` from ``seed``: the arguments every such method
    takes from the shared ``pretrain`` section (:meth:`shared_arguments`), saved as hyperparameters with the
    subclass's own. A subclass adds its heads after ``super().__init__(**shared)``."""

    encoder_family = "resnet"
    data_kinds = ("1d", "2d", "videos")

    def __init__(
        self,
        *,
        views: dict[str, Any],
        encoder: str = "resnet10",
        width: int = 16,
        small_input: bool = False,
        lr: float = 2e-3,
        weight_decay: float = 1e-4,
        seed: int = 0,
    ) -> None:
        super().__init__(views=views, seed=seed)
        self.save_hyperparameters()  # this frame's arguments and the calling subclass's
        self.encoder = resnet(encoder, in_channels=self.views.channels, width=width, small_input=small_input)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Representation ``(batch, dim)`` of views ``(batch, channels, ...)``."""
        return self.encoder(x)

    @staticmethod
    def shared_arguments(exp: MethodContext) -> dict[str, Any]:
        """The arguments of :class:`ResNetPretraining` from the shared ``pretrain`` section: the views (with
        ``pretrain.strengths``), the encoder as the downstream jobs rebuild it, AdamW's ``lr`` and ``weight_decay``,
        and the ``seed``."""
        p = exp.config.pretrain
        return {
            "views": exp.view_settings(),
            "encoder": p.encoder,
            "width": p.width,
            "small_input": p.small_input,
            "lr": p.lr,
            "weight_decay": p.weight_decay,
            "seed": p.seed,
        }

    @classmethod
    def frozen_encoder(cls, exp: MethodContext) -> nn.Module:
        p = exp.config.pretrain
        return resnet(p.encoder, in_channels=exp.channels, width=p.width, small_input=p.small_input)

    @classmethod
    def encoder_signature(cls, exp: MethodContext) -> dict[str, Any]:
        """The ResNet's width, stem, window and input channels."""
        p = exp.config.pretrain
        return {
            "pretrain.width": p.width,
            "pretrain.small_input": p.small_input,
            "pretrain.window": list(p.window),
            "input channels": exp.channels,
        }
