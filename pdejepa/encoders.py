"""Encoders as an experiment configures them: fresh (seeded) or loaded from a pretraining checkpoint, and the
signature that ties a checkpoint to the config that made it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .checkpoint import check_signature, load_weights, read_checkpoint
from .experiment import Experiment
from .models import PooledEncoder, VisionTransformer, resnet, vit
from .models.resnet import ResNet


def encoder_signature(exp: Experiment) -> dict[str, Any]:
    """The config fields and input that fix the pretrained encoder (stored in its checkpoints; see
    :mod:`pdejepa.checkpoint`)."""
    p = exp.config.pretrain
    signature: dict[str, Any] = {
        "data.equation": exp.config.data.equation,
        "data.standardise": exp.config.data.standardise,
        "pretrain.method": p.method,
        "pretrain.encoder": p.encoder,
    }
    if exp.encoder_family == "vit":
        size, channels = exp.encoder_input
        signature.update(
            {
                "pretrain.jepa.patch_size": p.jepa.patch_size,
                "pretrain.jepa.tubelet_size": p.jepa.tubelet_size,
                "input size": list(size),
                "input channels": channels,
            }
        )
    else:
        signature.update(
            {
                "pretrain.width": p.width,
                "pretrain.small_input": p.small_input,
                "pretrain.window": list(p.window),
                "input channels": exp.channels,
            }
        )
    return signature


def vit_of(exp: Experiment) -> VisionTransformer:
    """A fresh ViT as configured (size, patches, tubelets) for the data's input."""
    j = exp.config.pretrain.jepa
    size, channels = exp.encoder_input
    return vit(exp.config.pretrain.encoder, size, channels, j.patch_size, j.tubelet_size)


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


def load_encoder(exp: Experiment, ckpt: Path | None, seed: int) -> ResNet | PooledEncoder:
    """The pretrained encoder of ``ckpt`` (weights only), or a fresh random one drawn from ``seed``: a ResNet,
    or a ViT pooled over its tokens (a JEPA checkpoint's target encoder); ``(batch, ...) -> (batch, dim)``."""
    p = exp.config.pretrain
    torch.manual_seed(seed)
    if exp.encoder_family == "vit":
        encoder = vit_of(exp)
    else:
        encoder = resnet(p.encoder, in_channels=exp.channels, width=p.width, small_input=p.small_input)
    if ckpt is not None:
        load_weights(encoder, checkpoint_weights(exp, ckpt), ckpt)
    return PooledEncoder(encoder) if exp.encoder_family == "vit" else encoder
