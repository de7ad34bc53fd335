"""A picture of symmetries at work: one simulated trajectory and its image under each group."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from solvers import SimulationConfig, draw_inputs, simulate
from solvers.figures import cell_extent, pyplot, save_figure
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


class Panel(NamedTuple):
    """One picture of the gallery: the trajectory ``data`` (first sample shown), made by ``group`` with strength
    ``eps`` (``"original"``, 0 for the simulation itself), and its relative PDE residual."""

    group: str
    eps: float
    data: GridTrajectories
    residual: float


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


def gallery_panels(name: str, seed: int = 0, nt: int = 401) -> list[Panel]:
    """The simulated trajectory of equation ``name``, then its image under each available group but time shifts
    (they relabel time only), each with its residual against the equation."""
    text = equation_text(name)
    eq = EvolutionEquation.parse(text)
    data = simulated(name, seed, nt)
    panels = [Panel("original", 0.0, data, float(pde_residual(eq, data)[0]))]
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
        panels.append(Panel(group, eps, image, float(pde_residual(eq, image)[0])))
    return panels


def gallery_figure(name: str, panels: list[Panel]) -> Any:
    """One ``u(t, x)`` image per panel on one colour scale (one colorbar); every panel has its own labelled
    axes, since a group may move the trajectory to other times (scaling) or places."""
    plt = pyplot()
    fig, axes = plt.subplots(
        1, len(panels), figsize=(3.1 * len(panels) + 1.0, 3.6), squeeze=False, layout="constrained"
    )
    lim = max(float(p.data.u[0].abs().max()) for p in panels) or 1.0
    for ax, p in zip(axes[0], panels):
        d = p.data
        x, t = d.positions()[0].tolist(), d.times()[0].tolist()
        image = ax.imshow(
            d.u[0].numpy(), origin="lower", aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, extent=cell_extent(x, t)
        )
        strength = f"  ε = {p.eps:.3g}" if p.group != "original" else ""
        ax.set_title(f"{p.group}{strength}\nresidual {p.residual:.1e}", fontsize=9)
        ax.set_xlabel("x")
        ax.set_ylabel("t")
        ax.tick_params(labelsize=8)
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.85, label="u")
    fig.suptitle(
        f"{name}: {equation_text(name)}  (each panel is again a solution; residual = ||u_t - F|| / ||u_t||)",
        fontsize=10,
    )
    return fig


def save_gallery(name: str, out: str | os.PathLike, seed: int = 0) -> Path:
    """Save a PNG: the trajectory, then one panel per available group with its PDE residual."""
    return save_figure(gallery_figure(name, gallery_panels(name, seed)), out, dpi=110)
