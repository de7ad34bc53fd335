"""Filmstrips of a rolled-out smoke flow: the truth against each rollout, one figure per field."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from solvers.figures import cell_extent, pyplot, wrapped

from solvers.ns2d import FIELDS as FLOW_FIELDS
from .rollouts import variant_name


def filmstrip_frames(steps: int, count: int = 6) -> list[int]:
    """``count`` rolled-out frames evenly spread from the first to the last (fewer if there are fewer)."""
    return sorted({int(round(k)) for k in np.linspace(0, steps - 1, min(count, steps))})


def filmstrip_figures(
    truth: torch.Tensor,
    rollouts: dict[str, torch.Tensor],
    *,
    x: list[float],
    y: list[float],
    times: list[float],
    labels: dict[str, str],
    parameter: str,
    title: str,
    fields: tuple[str, ...] = FLOW_FIELDS,
) -> dict[str, Any]:
    """One figure per field of ``fields`` (the smoke flows' by default): rows the truth and each rollout, columns
    frames.

    truth and each rollout: ``(time, fields, ny, nx)``; ``x``, ``y``: cell centres; ``times``: the frames' times;
    ``labels``: axis and colorbar labels for ``x``, ``y`` and each field; ``parameter``: the oracle's
    parameter's name; ``title`` joins each figure's title (e.g. the sample's buoyancy). Colours are scaled
    to the truth (smoke from 0, velocities symmetric about 0), one colorbar per figure.
    """
    plt = pyplot()
    extent = cell_extent(x, y)
    columns = filmstrip_frames(len(truth))
    rows = [("truth", truth), *((variant_name(v, parameter), r) for v, r in rollouts.items())]
    figures = {}
    for i, field in enumerate(fields):
        top = float(truth[:, i].abs().max().clamp_min(1e-12))
        scale = {"vmin": 0.0, "vmax": top, "cmap": "magma"} if field == "smoke" else {"vmin": -top, "vmax": top}
        fig, axes = plt.subplots(
            len(rows),
            len(columns),
            figsize=(1.8 * len(columns) + 1.6, 1.8 * len(rows) + 0.9),
            squeeze=False,
            sharex=True,
            sharey=True,
            constrained_layout=True,
        )
        for r, (name, frames) in enumerate(rows):
            for c, k in enumerate(columns):
                ax = axes[r, c]
                image = ax.imshow(
                    frames[k, i].cpu().numpy(),
                    origin="lower",
                    extent=extent,
                    cmap=scale.get("cmap", "RdBu_r"),
                    vmin=scale["vmin"],
                    vmax=scale["vmax"],
                )
                ax.locator_params(nbins=4)
                ax.tick_params(labelsize=7)
                if r == 0:
                    ax.set_title(f"t = {times[k]:.3g}", fontsize=9)
                if c == 0:
                    ax.set_ylabel(f"{name}\n{wrapped(labels['y'], 24)}", fontsize=8)
                if r == len(rows) - 1:
                    ax.set_xlabel(wrapped(labels["x"], 24), fontsize=8)
        fig.colorbar(image, ax=axes, shrink=0.8, label=wrapped(labels[field], 30))
        fig.suptitle(f"{field}: truth and rollouts, {title}", fontsize=10)
        figures[field] = fig
    return figures
