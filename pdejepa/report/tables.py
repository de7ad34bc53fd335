"""Tables of the jobs' results: regression, class probes, pooled-vector probes and time-stepping (mean +- std over
seeds).

One name per metric: ``NMSE`` is the regression error of a scalar label (MSE / Var of the label), ``relative
L2`` and ``VRMSE`` the errors of predicted fields (:mod:`pdejepa.eval.metrics`). The figures are in
:mod:`pdejepa.figures`.
"""

from __future__ import annotations

import numpy as np

from .flows import cell, flow_table
from ..steppers import VARIANTS


def regression_table(rows: list[dict], label: str) -> str:
    """Markdown table of NMSE (MSE / Var of the label) and MSE, mean +- std over seeds."""
    methods = list(dict.fromkeys(r["method"] for r in rows))
    budgets = list(dict.fromkeys((r["budget"], r["labels"]) for r in rows))
    lines = [
        f"| {label}: NMSE (MSE) | " + " | ".join(f"{b:.0%} ({n} labels)" for b, n in budgets) + " |",
        "|---|" + "---|" * len(budgets),
    ]
    for m in methods:
        cells = []
        for b, n in budgets:
            sel = [r for r in rows if r["method"] == m and r["budget"] == b]
            nm, ms = np.array([r["nmse"] for r in sel]), np.array([r["mse"] for r in sel])
            cells.append(f"{nm.mean():.3f} +- {nm.std():.3f} ({ms.mean():.3f})")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mean_std(values: list[float]) -> str:
    """``mean +- std`` with three decimals (just the mean for one value)."""
    return f"{np.mean(values):.3f}" + (f" +- {np.std(values):.3f}" if len(values) > 1 else "")


def probe_table(rows: list[dict], chance: float) -> str:
    """Markdown table of test accuracy: a row per frozen encoder, a column per probe and label budget;
    mean +- std over the probe seeds when there are several."""
    columns = list(dict.fromkeys((r["probe"], r["budget"], r["labels"]) for r in rows))
    head = [f"{p} probe" + (f", {n} labels" if len({c[1] for c in columns}) > 1 else "") for p, _, n in columns]
    lines = ["| frozen encoder | " + " | ".join(head) + " |", "|---|" + "---|" * len(columns)]
    accuracies: dict[tuple, list[float]] = {}  # (encoder, probe, budget, labels) -> one accuracy per seed
    for r in rows:
        accuracies.setdefault((r["encoder"], r["probe"], r["budget"], r["labels"]), []).append(r["accuracy"])
    for enc in dict.fromkeys(r["encoder"] for r in rows):
        lines.append(f"| {enc} | " + " | ".join(mean_std(accuracies[(enc, *c)]) for c in columns) + " |")
    return "\n".join(lines) + f"\n\n(chance: {chance:.3f})"


def pooled_probe_table(rows: list[dict], components: tuple[str, ...] = ("vx", "vy", "speed")) -> str:
    """Markdown table of the probes of a frozen pooled vector, a row per encoder (the chance row too) and a column per
    label budget: the velocity's NMSE, the mean over ``components`` (rows' ``velocity_nmse``, mean +- std over the
    probe seeds) with each component's mean NMSE after it, then the shape's test accuracy (``shape_accuracy``)."""
    budgets = list(dict.fromkeys((r["budget"], r["labels"]) for r in rows))
    head = [f"velocity NMSE ({' / '.join(components)}), {n} labels" for _, n in budgets]
    head += [f"shape accuracy, {n} labels" for _, n in budgets]
    lines = ["| frozen encoder | " + " | ".join(head) + " |", "|---|" + "---|" * len(head)]
    for enc in dict.fromkeys(r["encoder"] for r in rows):
        cells, accuracies = [], []
        for budget, _ in budgets:
            sel = [r for r in rows if r["encoder"] == enc and r["budget"] == budget]
            parts = " / ".join(f"{np.mean([r[f'{c}_nmse'] for r in sel]):.3f}" for c in components)
            cells.append(f"{mean_std([r['velocity_nmse'] for r in sel])} ({parts})")
            accuracies.append(mean_std([r["shape_accuracy"] for r in sel]))
        lines.append(f"| {enc} | " + " | ".join(cells + accuracies) + " |")
    return "\n".join(lines)


TIMESTEP_COLUMNS = (  # (row key, frame or None for the mean over frames, column heading)
    ("one_step_rel_l2", None, "one-step relative L2"),
    ("rollout_rel_l2", None, "rollout relative L2 (mean over frames)"),
    ("rollout_rel_l2", -1, "rollout relative L2 (last frame)"),
    ("rollout_vrmse", None, "rollout VRMSE (mean over frames)"),
)


def timestep_table(rows: list[dict]) -> str:
    """Markdown: one-step relative L2, the rollout's relative L2 (mean over frames and last frame) and VRMSE,
    mean +- std over seeds; for flows the rollout diagnostics (:func:`~pdejepa.report.flows.flow_table`) follow."""
    lines = [
        "| conditioning | " + " | ".join(head for *_, head in TIMESTEP_COLUMNS) + " |",
        "|---|" + "---|" * len(TIMESTEP_COLUMNS),
    ]
    for v in dict.fromkeys(r["variant"] for r in rows):
        sel = [r for r in rows if r["variant"] == v]
        cells = [cell(sel, key, frame) for key, frame, _ in TIMESTEP_COLUMNS]
        lines.append(f"| {v} | " + " | ".join(cells) + " |")
    lines.append(
        "\n(relative L2: ||e||^2 / ||u||^2 per sample over fields and space; VRMSE: The Well's "
        "sqrt(mean e^2 / Var u) over space per field, averaged over fields)"
    )
    table = "\n".join(lines)
    return table + "\n\n" + flow_table(rows) if all("rel_l2_smoke" in r for r in rows) else table


def gap_closed(rows: list[dict]) -> tuple[float, float] | None:
    """(reduction of the mean rollout relative L2 by ssl vs none, fraction of the none-to-oracle gap ssl
    closes); None unless the rows hold all three variants."""
    if not set(VARIANTS) <= {r["variant"] for r in rows}:
        return None
    mean = {v: np.mean([r["rollout_rel_l2_mean"] for r in rows if r["variant"] == v]) for v in VARIANTS}
    return 1 - mean["ssl"] / mean["none"], (mean["none"] - mean["ssl"]) / max(mean["none"] - mean["oracle"], 1e-30)
