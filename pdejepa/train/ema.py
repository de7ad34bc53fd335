"""Exponential moving average of the online encoder: the JEPA target encoder (I-JEPA, V-JEPA, BYOL).

    theta_target <- m * theta_target + (1 - m) * theta_online

Buffers (e.g. BatchNorm running statistics) are copied rather than averaged: they are statistics,
not weights, and the target should see the same ones as the online network.
"""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, momentum: float) -> None:
    """In place: parameters ``t = m t + (1 - m) o`` (one fused ``lerp``), buffers copied from ``online``.

    ``target`` and ``online`` must have the same architecture (parameters and buffers in the same order).
    """
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must lie in [0, 1], got {momentum!r}")
    t_params, o_params = list(target.parameters()), list(online.parameters())
    t_bufs, o_bufs = list(target.buffers()), list(online.buffers())
    if len(t_params) != len(o_params) or len(t_bufs) != len(o_bufs):
        raise ValueError(
            f"target and online differ: {len(t_params)} vs {len(o_params)} parameters, "
            f"{len(t_bufs)} vs {len(o_bufs)} buffers"
        )
    if t_params and momentum < 1.0:  # m == 1 leaves the target bit-for-bit unchanged
        # lerp(t, o, w) = t + w (o - t) = m t + (1 - m) o with w = 1 - m
        torch._foreach_lerp_([p.data for p in t_params], [p.data for p in o_params], 1.0 - momentum)
    for tb, ob in zip(t_bufs, o_bufs):
        tb.copy_(ob)
