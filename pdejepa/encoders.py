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
    if exp.is_vit:
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


def checkpoint_weights(exp: Experiment, ckpt: Path, prefix: str, method: str) -> dict[str, torch.Tensor]:
    """The weights under ``prefix`` of a checkpoint made for this experiment's encoder (signature checked)."""
    state = read_checkpoint(ckpt)
    check_signature(ckpt, state, encoder_signature(exp))
    weights = {k.removeprefix(prefix): v for k, v in state["state_dict"].items() if k.startswith(prefix)}
    if not weights:
        raise ValueError(
            f"{ckpt} holds no {prefix.rstrip('.')} weights; was it pretrained with pretrain.method={method}?"
        )
    return weights


def pooled_vit(exp: Experiment, ckpt: Path | None) -> PooledEncoder:
    """The target encoder of a JEPA checkpoint (weights only) as a pooled encoder; random when ``ckpt`` is None."""
    encoder = vit_of(exp)
    if ckpt is not None:
        load_weights(encoder, checkpoint_weights(exp, ckpt, "target_encoder.", "jepa"), ckpt)
    return PooledEncoder(encoder)


def load_encoder(exp: Experiment, ckpt: Path | None, seed: int) -> ResNet | PooledEncoder:
    """The pretrained encoder of ``ckpt`` (weights only), or a fresh random one drawn from ``seed``: a ResNet,
    or a JEPA checkpoint's target ViT pooled over its tokens; ``(batch, ...) -> (batch, dim)`` either way."""
    p = exp.config.pretrain
    torch.manual_seed(seed)
    if exp.is_vit:
        return pooled_vit(exp, ckpt)
    encoder = resnet(p.encoder, in_channels=exp.channels, width=p.width, small_input=p.small_input)
    if ckpt is not None:
        load_weights(encoder, checkpoint_weights(exp, ckpt, "encoder.", "vicreg or dynamics"), ckpt)
    return encoder
