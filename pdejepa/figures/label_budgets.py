"""The regression figure: the label's NMSE against the number of labelled trajectories, per method."""

from __future__ import annotations

from typing import Any

import numpy as np

from solvers.figures import pyplot, wrapped

from ..eval.regressors import REGRESSORS
from .spread import spread

MARKERS = ("o", "s", "^", "D", "v")
PAD = 1.5  # the label axis reaches this factor beyond the smallest and largest count
DODGE = 1.06  # neighbouring methods sit this factor apart along the (log) label axis, so no marker hides another


def regression_figure(rows: list[dict], label: str, title: str) -> Any:
    """NMSE (MSE / Var of ``label`` over the test set) against the labelled trajectories, mean +- std over
    seeds per method, on log axes with a tick at each label count; the dashed line NMSE = 1 is the mean
    predictor. ``title`` names the task and the data. Rows: ``method``, ``labels``, ``seed``, ``nmse``."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.8, 4.2), constrained_layout=True)
    methods = list(dict.fromkeys(r["method"] for r in rows))
    for k, method in enumerate(methods):
        counts = sorted({r["labels"] for r in rows if r["method"] == method})
        stats = np.array(
            [spread(np.array([r["nmse"] for r in rows if r["method"] == method and r["labels"] == n])) for n in counts]
        )
        mean, low, high = stats.T
        shift = DODGE ** (k - (len(methods) - 1) / 2)
        ax.errorbar(
            np.array(counts) * shift,
            mean,
            yerr=[mean - low, high - mean],
            marker=MARKERS[k % len(MARKERS)],
            markersize=6,
            markerfacecolor="white",
            capsize=3,
            linewidth=1.3,
            label=REGRESSORS.get(method, method),
        )
    ax.axhline(1.0, color="0.35", linestyle="--", linewidth=1, label="NMSE = 1 (mean predictor)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    counts = sorted({r["labels"] for r in rows})
    ax.set_xticks(counts, [str(n) for n in counts])
    ax.set_xticks([], minor=True)  # the label counts only, no log minor ticks
    ax.set_xlim(min(counts) / PAD, max(counts) * PAD)  # the same margin for one label count or many
    ax.grid(True, which="major", alpha=0.3)
    ax.set_xlabel("labelled training trajectories")
    ax.set_ylabel(f"NMSE of {label} (MSE / Var)")
    seeds = len({r["seed"] for r in rows})
    ax.set_title(f"{wrapped(title, 64)}\nmean ± std over {seeds} seed{'s' * (seeds != 1)}", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def regression_title(label: str, equation: str, num_train: int, num_test: int) -> str:
    """The figure's title: the task and the data, on two lines."""
    return f"Regressing {label} from {equation} trajectories\n{num_train} training and {num_test} test trajectories"
