"""Clips of trajectories for a world model: where a context, its targets and a code window start, and the clips
themselves as a batch of shorter trajectories."""

from __future__ import annotations

import torch

CODE_FROM = ("past", "anywhere")  # where a code window may lie: ending with the context at the latest, or anywhere


def clip_starts(
    draws: torch.Tensor,
    frames: int,
    clip: int,
    horizon: int,
    stride: int,
    window: int | None = None,
    code_from: str = "past",
) -> tuple[torch.Tensor, ...]:
    """From uniform draws ``(batch, 2)``: the first frame of every clip of ``clip`` frames ``(batch, horizon + 1)``
    (the context, then the targets ``stride`` frames apart) and of the code window of ``window`` frames (None:
    ``clip``) ``(batch,)``, which ends with the context at the latest: the code is inferred from the past and the
    present, as a forecast must be, and sees neither the targets nor what follows them; with ``code_from="anywhere"``
    it lies anywhere in the trajectory, and the context may start at the first frame."""
    if code_from not in CODE_FROM:
        raise ValueError(f"code_from must be one of {list(CODE_FROM)}, got {code_from!r}")
    window = clip if window is None else window
    anywhere = code_from == "anywhere"
    first = 0 if anywhere else max(window - clip, 0)  # the earliest context with a whole code window before its end
    span = clip + horizon * stride  # frames from the context's first to the last target's last
    if first + span > frames:
        raise ValueError(
            f"a context and {horizon} targets {stride} frames apart, {clip} frames each, after a code window of "
            f"{window} frames, need {first + span} frames; the trajectories hold {frames}"
        )
    t = first + (draws[:, 0] * (frames - span - first + 1)).long().clamp_max(frames - span - first)
    starts = t[:, None] + stride * torch.arange(horizon + 1, device=t.device)
    if anywhere and window > frames:
        raise ValueError(f"a code window of {window} frames needs {window} frames; the trajectories hold {frames}")
    choices = torch.full_like(t, frames - window + 1) if anywhere else t + clip - window + 1
    code = (draws[:, 1] * choices).long().clamp_max(choices - 1)
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
