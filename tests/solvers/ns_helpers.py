"""Helpers shared by the 2D buoyancy-driven smoke tests (``test_ns_*.py``)."""

from __future__ import annotations

import numpy as np
import torch

from solvers.ns2d import BuoyancyConfig, SmokePlume, Velocity, draw_inputs
from solvers.ns2d.recipe import BuoyancyRecipe

f64 = torch.float64


def small_cfg(**overrides) -> BuoyancyConfig:
    """32 x 32 cells on the standard 32 x 32 box (h = 1), standard dt and parameters, few frames."""
    return BuoyancyConfig.default(**{"nx": 32, "ny": 32, "nt": 4, "skip_nt": 1, **overrides})


def run_recipe(
    cfg: BuoyancyConfig, indices, seed: int = 0, vel0: Velocity | None = None, s0: torch.Tensor | None = None
):
    params, draws = draw_inputs(cfg, seed, np.asarray(indices))
    if s0 is None:
        s0 = BuoyancyRecipe(cfg).initial_smoke(draws, torch.device("cpu"))
    plume = SmokePlume(cfg.grid, cfg.dt, splitting=cfg.splitting)
    result = plume.run(
        s0,
        torch.as_tensor(params["buoyancy"]),
        torch.as_tensor(params["nu"]),
        cfg.nt,
        cfg.substeps,
        cfg.skip_nt,
        vel0=vel0,
    )
    return s0, result
