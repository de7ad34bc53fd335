"""Figures of rolled-out steppers: their error against time, and a 1D test trajectory against each rollout."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from solvers.figures import cell_extent, pyplot, wrapped

from ..steppers import VARIANTS
from .spread import spread

# (row key of the per-frame curve, axis label, the error of a trivial predictor drawn as a dashed line)
ERRORS = (
    ("rollout_rel_l2", "relative L2  ||e||² / ||u||²", (1.0, "1: predicting zero")),
    ("rollout_vrmse", "VRMSE (The Well), mean over fields", (1.0, "1: predicting the spatial mean")),
)


def variant_name(variant: str, label: str) -> str:
    """How a conditioning is named in a legend or panel title."""
    return VARIANTS[variant].format(label=label) if variant in VARIANTS else variant


def rollout_error_figure(rows: list[dict], times: list[float], time_label: str, label: str, title: str) -> Any:
    """Relative L2 and VRMSE of the rollout (:mod:`pdejepa.eval.metrics`) at each predicted frame's time
    ``times``, mean +- std over seeds per conditioning, on log axes; ``label``: the oracle's parameter,
    ``title``: the task and the data. Rows: ``variant``, ``seed`` and the curves of :data:`ERRORS`."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(ERRORS), figsize=(4.6 * len(ERRORS), 3.8), sharex=True, constrained_layout=True)
    for ax, (key, name, (level, meaning)) in zip(axes, ERRORS):
        for variant in dict.fromkeys(r["variant"] for r in rows):
            curves = np.array([r[key] for r in rows if r["variant"] == variant])  # (seeds, frames)
            mean, low, high = np.array([spread(frame) for frame in curves.T]).T
            (line,) = ax.plot(times, mean, marker=".", label=variant_name(variant, label))
            ax.fill_between(times, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
        ax.axhline(level, color="0.35", linestyle="--", linewidth=1, label=meaning)
        ax.set_yscale("log")
        ax.grid(True, which="major", alpha=0.3)
        ax.set_xlabel(wrapped(time_label, 40))
        ax.set_ylabel(name)
        ax.legend(fontsize=7)
    seeds = len({r["seed"] for r in rows})
    fig.suptitle(f"{title}\nrollout error, mean ± std over {seeds} seed{'s' * (seeds != 1)}", fontsize=10)
    return fig


def rollouts_figure(
    truth: torch.Tensor,
    rollouts: dict[str, torch.Tensor],
    *,
    x: list[float],
    times: list[float],
    labels: dict[str, str],
    parameter: str,
    title: str,
    field: str = "u",
) -> Any:
    """Space-time images of a test trajectory's ``field`` ``truth`` ``(time, x)`` and each rollout ``(time, x)`` of
    it (top row, one colour scale), and each rollout's error (bottom row, one symmetric scale).

    ``x``: the cells' positions; ``times``: the frames'; ``labels``: axis and colorbar labels for ``x``,
    ``time`` and ``field``; ``parameter``: the oracle's parameter's name; ``title``: names the sample and its
    parameter's value.
    """
    if not rollouts:
        raise ValueError("rollouts_figure needs at least one rollout")
    plt = pyplot()
    names = list(rollouts)
    errors = {n: (r - truth).numpy() for n, r in rollouts.items()}
    layout = [["truth", *names], [".", *(f"error {n}" for n in names)]]
    fig, axes = plt.subplot_mosaic(
        layout, figsize=(3.0 * (1 + len(names)) + 1.0, 6.2), sharex=True, sharey=True, constrained_layout=True
    )
    top = float(truth.abs().max()) or 1.0
    worst = max(float(np.abs(e).max()) for e in errors.values()) or 1.0
    panels = {"truth": (truth.numpy(), "truth", top)}  # key -> (values, heading, colour limit)
    panels |= {n: (r.numpy(), variant_name(n, parameter), top) for n, r in rollouts.items()}
    panels |= {f"error {n}": (e, f"{variant_name(n, parameter)} − truth", worst) for n, e in errors.items()}
    extent = cell_extent(x, times)
    images = {}
    for key, (values, heading, limit) in panels.items():
        ax = axes[key]
        images[key] = ax.imshow(
            values, origin="lower", aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, extent=extent
        )
        ax.set_title(heading, fontsize=9)
        ax.set_xlabel(wrapped(labels["x"], 30))
        ax.tick_params(labelbottom=True, labelleft=True, labelsize=8)
    for first in ("truth", layout[1][1]):
        axes[first].set_ylabel(wrapped(labels["time"], 30))
    fig.colorbar(images["truth"], ax=[axes[k] for k in layout[0]], shrink=0.9, label=wrapped(labels[field], 30))
    error_label = wrapped(f"error of {labels[field]}", 30)
    fig.colorbar(images[layout[1][1]], ax=[axes[k] for k in layout[1][1:]], shrink=0.9, label=error_label)
    fig.suptitle(title, fontsize=10)
    return fig
