"""The time-stepping job: FNO steppers conditioned on the frozen representation of an earlier window.

Each trajectory is split in two: its first ``pretrain.window[0]`` frames are the context the
frozen encoder sees (the same un-augmented view as the regression probe); the stepper works
on the frames after it. Three steppers are trained per seed, identical but for ``z``:
``none`` (unconditioned), ``ssl`` (the standardised representation of the context window) and
``oracle`` (the standardised true parameter, the upper bound), the last two through
``timestep.conditioning`` (``film`` or ``channels``).
"""
from __future__ import annotations

import json
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader

from .checks import check_seeds
from .data import collate
from .eval.regression import encode
from .pipeline import dataset, dataset_files, encoder_from, is_flow, save_config, view_maker
from .timestep.module import FramePairs, TimeStepping

VARIANTS = ("none", "ssl", "oracle")


def fields_after(ds, start: int) -> torch.Tensor:
    """Every trajectory's frames from ``start`` on, in memory: ``(N, time, fields, *space)``."""
    u = torch.stack([ds[i]["u"][start:] for i in range(len(ds))])
    return u if u.ndim == 5 else u[:, :, None]


def conditioning(cfg: dict, ckpt: Path, files: tuple[Path, Path]) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Per variant, the train and test ``z``: standardised with the training set's statistics."""
    views = view_maker(cfg, augment=False)
    encoder = encoder_from(ckpt, cfg, 0, views.channels)
    h, y = [], []
    for path in files:
        hz, yz = encode(encoder, DataLoader(dataset(path, cfg), batch_size=128, collate_fn=collate), views)
        h.append(hz.float())
        y.append((torch.log(yz) if cfg["data"]["log_label"] else yz).float()[:, None])
    out = {"none": (torch.zeros(len(h[0]), 0), torch.zeros(len(h[1]), 0))}
    for name, (train, test) in (("ssl", h), ("oracle", y)):
        mean, std = train.mean(0), train.std(0).clamp_min(1e-6)
        out[name] = ((train - mean) / std, (test - mean) / std)
    return out


def timestep(cfg: dict, ckpt: Path, out: Path, progress: bool = True) -> list[dict]:
    """Train and evaluate the three steppers per seed; rows of one-step and rollout NMSE.

    Writes ``timestep.json``, ``rollout_nmse.png``, ``rollouts.png`` and the first seed's
    steppers (``stepper_VARIANT.pt``, weights only) to ``out``.
    """
    t = cfg["timestep"]
    files = dataset_files(cfg, progress)
    save_config(cfg, out)
    context = cfg["pretrain"]["window"][0]
    u_train, u_test = (fields_after(dataset(path, cfg), context) for path in files)
    z = conditioning(cfg, ckpt, files)
    n_modes = (t["modes"],) * (2 if is_flow(cfg) else 1)
    rows, first = [], {}
    for seed in check_seeds(t["seeds"], "timestep.seeds"):
        for variant in VARIANTS:
            z_train, z_test = z[variant]
            L.seed_everything(seed, verbose=False)
            module = TimeStepping(n_modes, u_train.shape[2], t["history"], t["horizon"], t["hidden"], t["layers"],
                                  "none" if variant == "none" else t["conditioning"], z_train.shape[1], t["lr"])
            loader = DataLoader(FramePairs(u_train, z_train, t["history"], t["horizon"]), batch_size=t["batch_size"], shuffle=True,
                                drop_last=True, generator=torch.Generator().manual_seed(seed))
            trainer = L.Trainer(max_steps=t["steps"], accelerator="auto", devices=1, logger=False, enable_checkpointing=False,
                                enable_progress_bar=progress, enable_model_summary=False)
            trainer.fit(module, loader)
            metrics = module.evaluate(u_test, z_test)
            rows.append({"variant": variant, "seed": seed, **metrics})
            if variant == VARIANTS[-1] or progress:
                print(f"  {variant:7s} seed {seed}: one-step NMSE {metrics['one_step_nmse']:.2e}, "
                      f"rollout NMSE {metrics['rollout_nmse_mean']:.2e}", flush=True)
            if seed == t["seeds"][0]:
                torch.save(module.model.state_dict(), out / f"stepper_{variant}.pt")
                first[variant] = module
    (out / "timestep.json").write_text(json.dumps(rows, indent=1))
    plot_timestep(rows, out)
    plot_rollouts(u_test[:1], {v: z[v][1][:1] for v in VARIANTS}, first, out)
    return rows


def timestep_table(rows: list[dict]) -> str:
    """Markdown: one-step, mean rollout and final-frame rollout NMSE, mean +- std over seeds."""
    lines = ["| conditioning | one-step NMSE | rollout NMSE (mean over frames) | rollout NMSE (last frame) |", "|---|---|---|---|"]
    for v in dict.fromkeys(r["variant"] for r in rows):
        sel = [r for r in rows if r["variant"] == v]
        cells = [np.array([r[key] for r in sel]) for key in ("one_step_nmse", "rollout_nmse_mean")]
        cells.append(np.array([r["rollout_nmse"][-1] for r in sel]))
        lines.append(f"| {v} | " + " | ".join(f"{c.mean():.3e} +- {c.std():.1e}" for c in cells) + " |")
    return "\n".join(lines)


def gap_closed(rows: list[dict]) -> tuple[float, float]:
    """(reduction of mean rollout NMSE by ssl vs none, fraction of the none-to-oracle gap ssl closes)."""
    mean = {v: np.mean([r["rollout_nmse_mean"] for r in rows if r["variant"] == v]) for v in VARIANTS}
    return 1 - mean["ssl"] / mean["none"], (mean["none"] - mean["ssl"]) / max(mean["none"] - mean["oracle"], 1e-30)


def plot_timestep(rows: list[dict], out: Path) -> Path:
    """NMSE against the rollout horizon, mean +- std over seeds, per conditioning."""
    from solvers.plot import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5), constrained_layout=True)
    for v in VARIANTS:
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
    """Space-time images of one test trajectory ``u`` ``(1, time, fields, *space)`` (first field;
    the middle row of each frame in 2D) and each stepper's rollout from its first frames."""
    from solvers.plot import pyplot, save_figure

    plt = pyplot()
    fig, axes = plt.subplots(1, 1 + len(models), figsize=(3 * (1 + len(models)), 3), constrained_layout=True, sharey=True)
    history = next(iter(models.values())).hparams.history
    steps, fields = u.shape[1] - history, u.shape[2]
    images = [("truth", u[0, history:, 0])]
    for v, module in models.items():
        module.eval()
        zz = z[v] if v != "none" else None
        pred = module.model.rollout(u[:, :history].flatten(1, 2).to(module.device), steps * fields, None if zz is None else zz.to(module.device))
        images.append((v, pred.cpu().view(1, steps, fields, *u.shape[3:])[0, :, 0]))
    lim = float(images[0][1].abs().max())
    for ax, (name, img) in zip(axes, images):
        frame = img if img.ndim == 2 else img[:, img.shape[1] // 2]
        ax.imshow(frame.numpy(), aspect="auto", origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(name)
        ax.set_xlabel("x (points)")
    axes[0].set_ylabel("frames after the context window")
    return save_figure(fig, out / "rollouts.png")
