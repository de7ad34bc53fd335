"""A picture of symmetries at work: one simulated trajectory and its image under each group."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from solvers import SimulationConfig, draw_inputs, simulate
from solvers.figures import pyplot, save_figure
from symmetries.augment import available_groups
from symmetries.jets import EvolutionEquation
from symmetries.randomness import per_sample
from symmetries.registry import equation_text
from symmetries.residual import pde_residual
from symmetries.transforms import GridTrajectories, PointTransform

# a visible but moderate strength per kind of group; space shifts move by a fraction of L
DEFAULT_EPSILON = {
    "space_shift": 0.25,
    "time_shift": 0.5,
    "galilean_boost": 0.6,
    "scaling": 0.3,
    "amplitude_scaling": 0.5,
    "superposition": 0.5,
    "cole_hopf": 0.9,
}


def simulated(name: str, seed: int = 0, nt: int = 401) -> GridTrajectories:
    """One trajectory of the solver's default recipe (mean removed for Burgers, as Cole-Hopf needs)."""
    cfg = SimulationConfig.default(name, nt=nt)
    params, draws = draw_inputs(cfg, seed, np.arange(1))
    u0 = cfg.initial_condition().build(torch.from_numpy(draws), cfg.nx)
    u0 = u0 - u0.mean(dim=-1, keepdim=True)
    p = {k: torch.from_numpy(v) for k, v in params.items()}
    times = torch.from_numpy(cfg.output_times())
    out = simulate(cfg.eq, u0, p, times, cfg.dt)
    return GridTrajectories(out.u, times[:1].clone(), (times[1:2] - times[:1]).clone(), p.pop("L"), p)


def save_gallery(name: str, out: str | os.PathLike, seed: int = 0) -> Path:
    """Save a PNG: the trajectory, then one panel per available group with its PDE residual."""
    plt = pyplot()
    text = equation_text(name)
    eq = EvolutionEquation.parse(text)
    data = simulated(name, seed)
    panels = [("original", 0.0, data)]
    draws = per_sample(seed, torch.zeros(1), stream=0, count=16)
    for group, transform in available_groups(text).items():
        if group == "time_shift":
            continue  # relabels time only; shown as a window crop in training
        eps = DEFAULT_EPSILON.get(group, 0.3)
        if group == "space_shift":
            eps *= float(data.L[0])
        e = torch.tensor([eps], dtype=torch.float64)
        image = (
            transform(data, e)
            if isinstance(transform, PointTransform)
            else transform(data, e, draws[:, : transform.n_draws])
        )
        panels.append((group, eps, image))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.1 * len(panels), 3.3), squeeze=False, constrained_layout=True)
    lim = max(float(p[2].u.abs().max()) for p in panels)
    for ax, (group, eps, d) in zip(axes[0], panels):
        t0, dt, L = float(d.t0[0]), float(d.dt[0]), float(d.L[0])
        nt = d.u.shape[1]
        ax.imshow(
            d.u[0].numpy(),
            origin="lower",
            aspect="auto",
            cmap="RdBu_r",
            vmin=-lim,
            vmax=lim,
            extent=[0, L, t0, t0 + dt * (nt - 1)],
        )
        residual = float(pde_residual(eq, d)[0])
        ax.set_title(
            f"{group}" + (f"  eps={eps:.3g}" if group != "original" else "") + f"\nresidual {residual:.1e}", fontsize=9
        )
        ax.set_xlabel("x")
    axes[0][0].set_ylabel("t")
    fig.suptitle(f"{name}: {text}  (each panel is again a solution; residual = ||u_t - F|| / ||u_t||)", fontsize=10)
    return save_figure(fig, out, dpi=110)
