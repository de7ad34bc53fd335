"""Reports of rolled-out smoke flows: the diagnostics table and filmstrips of the truth against each rollout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from solvers.figures import pyplot, save_figure

from .eval.flows import FLOW_FIELDS


def cell(rows: list[dict], key: str, frame: int | None = None) -> str:
    """``mean +- std`` over seeds of a per-frame metric, averaged over frames (or taken at ``frame``)."""
    values = np.array([np.mean(r[key]) if frame is None else r[key][frame] for r in rows])
    return f"{values.mean():.3e} +- {values.std():.1e}"


def flow_table(rows: list[dict]) -> str:
    """Markdown: per conditioning, the rollout's relative L2 per field, the RMS divergence of its velocity,
    the relative drift of its total smoke and the error of its plume's centre-of-mass height, mean +- std
    over seeds (per-frame values averaged over the rolled-out frames unless said otherwise)."""
    fields = " | ".join(f"rel. L2 {f}" for f in FLOW_FIELDS)
    lines = [
        f"| conditioning | {fields} | divergence RMS | abs. smoke drift (last frame) | CoM height error |",
        "|---|" + "---|" * (len(FLOW_FIELDS) + 3),
    ]
    for v in dict.fromkeys(r["variant"] for r in rows):
        sel = [r for r in rows if r["variant"] == v]
        cells = [cell(sel, f"rel_l2_{f}") for f in FLOW_FIELDS]
        cells += [cell(sel, "divergence_rms"), cell(sel, "smoke_drift_abs", -1), cell(sel, "com_height_error")]
        lines.append(f"| {v} | " + " | ".join(cells) + " |")
    truth = np.mean([np.mean(r["divergence_rms_truth"]) for r in rows])
    return "\n".join(lines) + f"\n\n(divergence RMS of the true flow: {truth:.1e}; 1 / time units)"


def filmstrip_frames(steps: int, count: int = 6) -> list[int]:
    """``count`` rolled-out frames evenly spread from the first to the last (fewer if there are fewer)."""
    return sorted({int(round(k)) for k in np.linspace(0, steps - 1, min(count, steps))})


def plot_filmstrips(
    truth: torch.Tensor,
    rollouts: dict[str, torch.Tensor],
    x: list[float],
    y: list[float],
    times: list[float],
    title: str,
    out: Path,
) -> list[Path]:
    """One PNG per field, ``out/filmstrip_FIELD.png``: rows the truth and each rollout, columns frames.

    truth and each rollout: ``(time, 3, ny, nx)`` (fields :data:`FLOW_FIELDS`); ``x``, ``y``: cell centres;
    ``times``: the frames' times; ``title`` joins each figure's title (e.g. the sample's buoyancy). Colours
    are scaled to the truth (smoke from 0, velocities symmetric about 0), one colorbar per figure.
    """
    plt = pyplot()
    hx, hy = x[1] - x[0], y[1] - y[0]
    extent = (x[0] - hx / 2, x[-1] + hx / 2, y[0] - hy / 2, y[-1] + hy / 2)
    columns = filmstrip_frames(len(truth))
    rows = [("truth", truth), *rollouts.items()]
    paths = []
    for i, field in enumerate(FLOW_FIELDS):
        top = float(truth[:, i].abs().max().clamp_min(1e-12))
        scale = {"vmin": 0.0, "vmax": top, "cmap": "magma"} if field == "smoke" else {"vmin": -top, "vmax": top}
        fig, axes = plt.subplots(
            len(rows),
            len(columns),
            figsize=(1.8 * len(columns) + 1.2, 1.8 * len(rows) + 0.6),
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
                if r == 0:
                    ax.set_title(f"t = {times[k]:.1f}", fontsize=9)
                if c == 0:
                    ax.set_ylabel(f"{name}\ny")
                if r == len(rows) - 1:
                    ax.set_xlabel("x")
        fig.colorbar(image, ax=axes, shrink=0.8, label=field)
        fig.suptitle(f"{field}: truth and rollouts, {title}")
        paths.append(save_figure(fig, out / f"filmstrip_{field}.png"))
    return paths
