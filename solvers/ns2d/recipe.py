"""The smoke-buoyancy dataset as a :class:`solvers.generate.DatasetRecipe`: fields, coordinates, provenance, batches."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import cf
from ..dataset import to_json
from ..errors import BlowUpError
from ..noise import smooth_noise
from .buoyancy import FIELDS, SmokePlume
from .config import FORMULA, NAME, PARAMETERS, BuoyancyConfig, draw_inputs

SOLVER = (
    "MAC grid, semi-Lagrangian advection (explicit Euler back-trace, bilinear lookup), explicit diffusion, "
    "exact pressure projection by DCT-II Neumann Poisson solve, float64 (PhiFlow's smoke step, as in PDEArena)"
)


class BuoyancyRecipe:
    """Write ``smoke``, ``vx``, ``vy`` ``(sample, time, y, x)`` with per-trajectory ``buoyancy`` and ``nu``.

    Diagnostics along ``sample``: ``cfl_max`` (largest cells-per-step of the face velocity)
    and ``smoke_mass_change`` (relative change of the total smoke from the initial field to
    the last stored frame: semi-Lagrangian advection is not conservative).
    """

    name = NAME
    fields = {name: ("time", "y", "x") for name in FIELDS}
    per_sample = ("buoyancy", "nu", "cfl_max", "smoke_mass_change")

    def __init__(self, cfg: BuoyancyConfig) -> None:
        self.cfg = cfg.validate()
        self._plumes: dict[torch.device, SmokePlume] = {}

    def config(self) -> dict[str, Any]:
        return self.cfg.to_dict()

    def coords(self) -> dict[str, np.ndarray]:
        g = self.cfg.grid
        return {"time": self.cfg.output_times(), "y": g.y(), "x": g.x()}

    def coord_attrs(self) -> dict[str, dict[str, str]]:
        cfg = self.cfg
        return {
            "time": cf.time_coordinate(
                f"frame k is stored after (skip_nt + 1 + k) * substeps steps of dt = {cfg.dt:g}"
            ),
            "x": cf.quantity("x", f"nondimensional cell-centre position across the box [0, Lx = {cfg.Lx:g}]", axis="X"),
            "y": cf.quantity(
                "y",
                f"nondimensional cell-centre position up the box [0, Ly = {cfg.Ly:g}]; buoyancy points to +y",
                axis="Y",
            ),
            "sample": cf.SAMPLE,
        }

    def variable_attrs(self) -> dict[str, dict[str, str]]:
        return {
            "smoke": cf.quantity("smoke density", "nondimensional passive scalar s, advected and driving buoyancy"),
            "vx": cf.quantity("x velocity", "nondimensional velocity along x at the cell centres"),
            "vy": cf.quantity("y velocity", "nondimensional velocity along y (up) at the cell centres"),
            "cfl_max": cf.quantity(
                "largest CFL number", "largest max(|u| dt / hx, |v| dt / hy) over every step of the trajectory"
            ),
            "smoke_mass_change": cf.quantity(
                "relative smoke mass change",
                "(total smoke of the last stored frame - initial total) / initial total (semi-Lagrangian advection "
                "does not conserve it)",
            ),
            **cf.parameter_attrs(PARAMETERS, self.cfg.params),
        }

    def attrs(self) -> dict[str, Any]:
        cfg = self.cfg
        return {
            "equation": NAME,
            "equation_string": FORMULA,
            "solver": SOLVER,
            "dt": cfg.dt,
            "substeps": cfg.substeps,
            "frame_dt": cfg.frame_dt,
            "skip_nt": cfg.skip_nt,
            "splitting": cfg.splitting,
            "nx": cfg.nx,
            "ny": cfg.ny,
            "Lx": cfg.Lx,
            "Ly": cfg.Ly,
            "initial_condition": (
                f"|PhiFlow-style Noise(scale={cfg.noise_scale}, smoothness={cfg.noise_smoothness})|, velocity at rest"
            ),
            "parameter_ranges": to_json({k: list(v) for k, v in cfg.params.items()}),
        }

    def plume(self, device: torch.device) -> SmokePlume:
        if device not in self._plumes:
            self._plumes[device] = SmokePlume(self.cfg.grid, self.cfg.dt, device, splitting=self.cfg.splitting)
        return self._plumes[device]

    def initial_smoke(self, draws: np.ndarray, device: torch.device) -> torch.Tensor:
        """``(n, ny, nx)`` float64 initial smoke from white-noise draws ``(n, 2, ny, nx)``."""
        cfg = self.cfg
        white = torch.as_tensor(draws, device=device)
        noise = smooth_noise(white, cfg.Ly, cfg.Lx, cfg.noise_scale, cfg.noise_smoothness)
        return noise.abs()

    def buoyancy_changes(
        self, seed: int, indices: np.ndarray, params: dict[str, np.ndarray], device: torch.device
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Per-sample variables and :meth:`~.buoyancy.SmokePlume.run` arguments of a change of buoyancy during
        the trajectories: none here (:mod:`.switch` has one)."""
        return {}, {}

    def simulate(self, seed: int, indices: np.ndarray, device: torch.device) -> dict[str, np.ndarray]:
        cfg = self.cfg
        params, draws = draw_inputs(cfg, seed, indices)
        changes, options = self.buoyancy_changes(seed, indices, params, device)
        s0 = self.initial_smoke(draws, device)
        result = self.plume(device).run(
            s0,
            torch.as_tensor(params["buoyancy"], device=device),
            torch.as_tensor(params["nu"], device=device),
            frames=cfg.nt,
            substeps=cfg.substeps,
            skip=cfg.skip_nt,
            max_cfl=cfg.max_cfl,
            out_dtype=torch.float32,
            **options,
        )
        finite = result.finite.cpu().numpy()
        cfl = result.cfl_max.cpu().numpy()
        bad = np.flatnonzero(~finite)
        if len(bad):
            listing = ", ".join(f"{indices[i]} (max CFL {cfl[i]:.3g})" for i in bad[:20])
            raise BlowUpError(
                f"{NAME}: trajectories {listing} went non-finite or moved more than max_cfl={cfg.max_cfl} cells in one "
                f"step (dt={cfg.dt}, {cfg.nx} x {cfg.ny} cells); reduce dt (raise substeps) or the buoyancy range. "
                "Nothing of this batch was written."
            )
        mass0 = s0.sum(dim=(-2, -1))
        change = (result.smoke[:, -1].to(mass0.dtype).sum(dim=(-2, -1)) - mass0) / mass0
        return {
            **{name: getattr(result, name).cpu().numpy() for name in FIELDS},
            "cfl_max": cfl,
            "smoke_mass_change": change.cpu().numpy(),
            **params,
            **changes,
        }
