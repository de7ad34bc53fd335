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
import torch
from torch.utils.data import DataLoader

from .checks import check_batch
from .config import save_config
from .files import save_state, write_atomic
from .data import collate
from .encoders import load_encoder
from .eval.regression import encode
from .experiment import Experiment
from .report import plot_rollouts, plot_timestep
from .steppers import VARIANTS
from .steppers.module import FramePairs, TimeStepping
from .train.trainer import quiet_trainer


def fields_after(ds, start: int) -> torch.Tensor:
    """Every trajectory's frames from ``start`` on, in memory: ``(N, time, fields, *space)``."""
    u = torch.stack([ds[i]["u"][start:] for i in range(len(ds))])
    return u if u.ndim == 5 else u[:, :, None]


def conditioning(exp: Experiment, ckpt: Path) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Per variant, the train and test ``z``: standardised with the training set's statistics."""
    views = exp.view_maker(augment=False)
    encoder = load_encoder(exp, ckpt, 0)
    h, y = [], []
    for path in exp.files:
        loader = DataLoader(exp.dataset(path), batch_size=128, collate_fn=collate)
        hz, yz = encode(encoder, loader, views, progress=exp.progress)
        h.append(hz.float())
        y.append((torch.log(yz) if exp.config.data.log_label else yz).float()[:, None])
    out = {"none": (torch.zeros(len(h[0]), 0), torch.zeros(len(h[1]), 0))}
    for name, (train, test) in (("ssl", h), ("oracle", y)):
        mean, std = train.mean(0), train.std(0).clamp_min(1e-6)
        out[name] = ((train - mean) / std, (test - mean) / std)
    return out


def timestep(exp: Experiment, ckpt: Path, out: Path) -> list[dict]:
    """Train and evaluate the three steppers per seed; rows of one-step and rollout NMSE.

    Writes ``timestep.json``, ``rollout_nmse.png``, ``rollouts.png`` and the first seed's
    steppers (``stepper_VARIANT.pt``, weights only) to ``out``.
    """
    t, progress = exp.config.timestep, exp.progress
    files = exp.files
    save_config(exp.config, out, "timestep_config.yaml")
    context = exp.config.pretrain.window[0]
    u_train, u_test = (fields_after(exp.dataset(path), context) for path in files)
    pairs = len(FramePairs(u_train, torch.zeros(len(u_train), 0), t.history, t.horizon))
    check_batch("timestep.batch_size", t.batch_size, pairs)
    z = conditioning(exp, ckpt)
    n_modes = (t.modes,) * (2 if exp.is_flow else 1)
    rows, first = [], {}
    for seed in t.seeds:
        for variant in VARIANTS:
            z_train, z_test = z[variant]
            L.seed_everything(seed, verbose=False)
            module = TimeStepping(
                n_modes=n_modes,
                fields=u_train.shape[2],
                history=t.history,
                horizon=t.horizon,
                hidden=t.hidden,
                n_layers=t.layers,
                conditioning="none" if variant == "none" else t.conditioning,
                cond_dim=z_train.shape[1],
                lr=t.lr,
            )
            loader = DataLoader(
                FramePairs(u_train, z_train, t.history, t.horizon),
                batch_size=t.batch_size,
                shuffle=True,
                drop_last=True,
                generator=torch.Generator().manual_seed(seed),
            )
            quiet_trainer(progress=progress, max_steps=t.steps, accelerator="auto", devices=1).fit(module, loader)
            metrics = module.evaluate(u_test, z_test)
            rows.append({"variant": variant, "seed": seed, **metrics})
            if variant == VARIANTS[-1] or progress:
                print(
                    f"  {variant:7s} seed {seed}: one-step NMSE {metrics['one_step_nmse']:.2e}, "
                    f"rollout NMSE {metrics['rollout_nmse_mean']:.2e}",
                    flush=True,
                )
            if seed == t.seeds[0]:
                save_state(module.model.state_dict(), out / f"stepper_{variant}.pt")
                first[variant] = module
    write_atomic(out / "timestep.json", json.dumps(rows, indent=1))
    plot_timestep(rows, out)
    plot_rollouts(u_test[:1], {v: z[v][1][:1] for v in VARIANTS}, first, out)
    return rows
