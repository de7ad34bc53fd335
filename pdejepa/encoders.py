"""Encoders as an experiment configures them: fresh (seeded) or loaded from a pretraining checkpoint, and the
signature that ties a checkpoint to the config that made it. What the encoder is, and which of its settings sign
it, the pretraining method says (:meth:`~pdejepa.methods.PretrainingModule.frozen_encoder`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from .checkpoint import check_signature, load_weights, read_checkpoint
from .experiment import Experiment


def encoder_signature(exp: Experiment) -> dict[str, Any]:
    """The config fields and input that fix the pretrained encoder (stored in its checkpoints; see
    :mod:`pdejepa.checkpoint`): the data, the method and the encoder, then what the method adds."""
    p = exp.config.pretrain
    return {
        "data.equation": exp.config.data.equation,
        "data.standardise": exp.config.data.standardise,
        "pretrain.method": p.method,
        "pretrain.encoder": p.encoder,
        **exp.method.encoder_signature(exp),
    }


def checkpoint_weights(exp: Experiment, ckpt: Path) -> dict[str, torch.Tensor]:
    """The weights of the frozen encoder (under the method's ``encoder_weights`` prefix) of a checkpoint made for
    this experiment's encoder (signature checked)."""
    state = read_checkpoint(ckpt)
    check_signature(ckpt, state, encoder_signature(exp))
    prefix = exp.method.encoder_weights
    weights = {k.removeprefix(prefix): v for k, v in state["state_dict"].items() if k.startswith(prefix)}
    if not weights:
        raise ValueError(
            f"{ckpt} holds no {prefix.rstrip('.')} weights; was it pretrained with pretrain.method={exp.method.name}?"
        )
    return weights


def load_encoder(exp: Experiment, ckpt: Path | None, seed: int) -> nn.Module:
    """The pretrained encoder of ``ckpt`` (weights only), or a fresh random one drawn from ``seed``, as the method
    builds it (a ResNet, or a ViT pooled over its tokens): ``(batch, ...) -> (batch, dim)``."""
    torch.manual_seed(seed)
    encoder = exp.method.frozen_encoder(exp)
    if ckpt is not None:
        load_weights(encoder, checkpoint_weights(exp, ckpt), ckpt)
    return exp.method.pooled(encoder)
