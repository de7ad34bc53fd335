"""Tables and plots of the jobs' results: regression, class probes and time-stepping (mean +- std over seeds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from solvers.figures import pyplot, save_figure

from .flow_report import flow_table
from .steppers import VARIANTS
from .steppers.module import TimeStepping


def regression_table(rows: list[dict], label: str) -> str:
    """Markdown table of MSE and NMSE, mean +- std over seeds."""
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


def regression_plot(rows: list[dict], out: Path, label: str) -> Path:
    """NMSE against the number of labels, mean +- std over seeds, per method: ``out/regression.png``."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5), constrained_layout=True)
    for m in dict.fromkeys(r["method"] for r in rows):
        ns = sorted({r["labels"] for r in rows if r["method"] == m})
        mean = [np.mean([r["nmse"] for r in rows if r["method"] == m and r["labels"] == n]) for n in ns]
        std = [np.std([r["nmse"] for r in rows if r["method"] == m and r["labels"] == n]) for n in ns]
        ax.errorbar(ns, mean, yerr=std, marker="o", capsize=3, label=m)
    ax.set_xscale("log")
    ax.set_xlabel("labelled trajectories")
    ax.set_ylabel(f"NMSE of {label}")
    ax.legend()
    return save_figure(fig, out / "regression.png")


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


def timestep_table(rows: list[dict]) -> str:
    """Markdown: one-step, mean rollout and final-frame rollout NMSE, mean +- std over seeds; for flows the
    rollout diagnostics (:func:`~pdejepa.flow_report.flow_table`) follow."""
    lines = [
        "| conditioning | one-step NMSE | rollout NMSE (mean over frames) | rollout NMSE (last frame) |",
        "|---|---|---|---|",
    ]
    for v in dict.fromkeys(r["variant"] for r in rows):
        sel = [r for r in rows if r["variant"] == v]
        cells = [np.array([r[key] for r in sel]) for key in ("one_step_nmse", "rollout_nmse_mean")]
        cells.append(np.array([r["rollout_nmse"][-1] for r in sel]))
        lines.append(f"| {v} | " + " | ".join(f"{c.mean():.3e} +- {c.std():.1e}" for c in cells) + " |")
    table = "\n".join(lines)
    return table + "\n\n" + flow_table(rows) if all("rel_l2_smoke" in r for r in rows) else table


def gap_closed(rows: list[dict]) -> tuple[float, float] | None:
    """(reduction of mean rollout NMSE by ssl vs none, fraction of the none-to-oracle gap ssl closes); None
    unless the rows hold all three variants."""
    if not set(VARIANTS) <= {r["variant"] for r in rows}:
        return None
    mean = {v: np.mean([r["rollout_nmse_mean"] for r in rows if r["variant"] == v]) for v in VARIANTS}
    return 1 - mean["ssl"] / mean["none"], (mean["none"] - mean["ssl"]) / max(mean["none"] - mean["oracle"], 1e-30)


def plot_timestep(rows: list[dict], out: Path) -> Path:
    """NMSE against the rollout horizon, mean +- std over seeds, per conditioning."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5), constrained_layout=True)
    for v in dict.fromkeys(r["variant"] for r in rows):
        curves = np.array([r["rollout_nmse"] for r in rows if r["variant"] == v])
        x = np.arange(1, curves.shape[1] + 1)
        ax.plot(x, curves.mean(0), label=v)
        ax.fill_between(x, curves.mean(0) - curves.std(0), curves.mean(0) + curves.std(0), alpha=0.25)
    ax.set_yscale("log")
    ax.set_xlabel("frames rolled out")
    ax.set_ylabel("NMSE")
    ax.legend()
    return save_figure(fig, out / "rollout_nmse.png")


def plot_rollouts(u: torch.Tensor, z: dict[str, torch.Tensor], models: dict[str, TimeStepping], out: Path) -> Path:
    """Space-time images of one test trajectory ``u`` ``(1, time, fields, x)`` (first field) and each
    stepper's rollout from its first frames."""
    plt = pyplot()
    fig, axes = plt.subplots(
        1, 1 + len(models), figsize=(3 * (1 + len(models)), 3), constrained_layout=True, sharey=True
    )
    history = next(iter(models.values())).hparams.history
    images = [("truth", u[0, history:, 0])]
    images += [(v, module.rollout(u, z[v])[0, :, 0]) for v, module in models.items()]
    lim = float(images[0][1].abs().max())
    for ax, (name, img) in zip(axes, images):
        ax.imshow(img.numpy(), aspect="auto", origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(name)
        ax.set_xlabel("x (points)")
    axes[0].set_ylabel("frames after the context window")
    return save_figure(fig, out / "rollouts.png")
