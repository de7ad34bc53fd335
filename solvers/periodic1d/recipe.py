"""The 1D periodic equations as a :class:`solvers.generate.DatasetRecipe`: the field ``u``, coordinates, provenance,
and batches whose trajectories must all be finite and resolved."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import cf
from ..dataset import to_json
from ..errors import BlowUpError, UnresolvedTrajectoryError
from ..integrate import simulate
from .config import SimulationConfig, draw_inputs

SOLVER = "Fourier pseudo-spectral, 2/3 dealiasing, ETDRK4 (Kassam & Trefethen contour coefficients), float64"


def check_batch(cfg: SimulationConfig, indices: np.ndarray, tail: np.ndarray, finite: np.ndarray) -> None:
    """Refuse a batch holding a blown-up or unresolved trajectory, naming each by index."""
    bad = indices[~finite]
    if len(bad):
        raise BlowUpError(
            f"{cfg.equation}: trajectories {bad.tolist()[:20]} went non-finite or blew up with dt={cfg.dt}, "
            f"nx={cfg.nx}; reduce dt or the initial amplitude. Nothing of this batch was written."
        )
    coarse = finite & (tail > cfg.tail_tol)
    if coarse.any():
        listing = ", ".join(f"{i} (tail {t:.1e})" for i, t in zip(indices[coarse][:20], tail[coarse][:20]))
        raise UnresolvedTrajectoryError(
            f"{cfg.equation}: trajectories not resolved on nx={cfg.nx}: {listing}; allowed spectral tail "
            f"<= tail_tol={cfg.tail_tol:.0e}. Use a finer grid (--nx), a narrower parameter range or a smaller "
            "amplitude. Nothing of this batch was written."
        )


class Periodic1DRecipe:
    """The 1D periodic equations of :mod:`solvers.equations` as a :class:`~solvers.generate.DatasetRecipe`."""

    fields = {"u": ("time", "x")}

    def __init__(self, cfg: SimulationConfig) -> None:
        self.cfg = cfg.validate()
        self.name = cfg.eq.name
        self.per_sample = (*cfg.params, "spectral_tail")

    def config(self) -> dict[str, Any]:
        return self.cfg.to_dict()

    def coords(self) -> dict[str, np.ndarray]:
        cfg = self.cfg
        L = cfg.params["L"]
        return {"time": cfg.output_times(), "x": np.arange(cfg.nx) / cfg.nx * (L[0] if L[0] == L[1] else 1.0)}

    def coord_attrs(self) -> dict[str, dict[str, str]]:
        L = self.cfg.params["L"]
        where = (
            "nondimensional position in the periodic domain [0, L)"
            if L[0] == L[1]
            else "position as a fraction of each trajectory's domain length L (x / L)"
        )
        return {
            "time": cf.time_coordinate(f"frames of {self.cfg.eq.formula}"),
            "x": cf.quantity("x", where, axis="X"),
            "sample": cf.SAMPLE,
        }

    def variable_attrs(self) -> dict[str, dict[str, str]]:
        eq = self.cfg.eq
        return {
            "u": cf.quantity("u", f"nondimensional solution of {eq.formula}"),
            "spectral_tail": cf.quantity(
                "spectral tail",
                "largest Fourier amplitude in the top 20% of retained modes over the largest non-mean amplitude, "
                "maximum over the stored frames (a resolution check: at most tail_tol)",
            ),
            **cf.parameter_attrs(eq.parameters, self.cfg.params),
        }

    def attrs(self) -> dict[str, Any]:
        cfg = self.cfg
        return {
            "equation": cfg.eq.name,
            "equation_string": cfg.eq.formula,
            "solver": SOLVER,
            "dt": cfg.dt,
            "nx": cfg.nx,
            "t_burn": cfg.t_burn,
            "initial_condition": cfg.ic,
            "parameter_ranges": to_json({k: list(v) for k, v in cfg.params.items()}),
        }

    def simulate(self, seed: int, indices: np.ndarray, device: torch.device) -> dict[str, np.ndarray]:
        cfg = self.cfg
        params, draws = draw_inputs(cfg, seed, indices)
        u0 = cfg.initial_condition().build(torch.as_tensor(draws, device=device), cfg.nx)
        t = torch.as_tensor(cfg.output_times(), dtype=torch.float64)
        result = simulate(cfg.eq, u0, {k: torch.as_tensor(v, device=device) for k, v in params.items()}, t, cfg.dt)
        tail, finite = result.tail.cpu().numpy(), result.finite.cpu().numpy()
        check_batch(cfg, indices, tail, finite)
        return {"u": result.u.to(torch.float32).cpu().numpy(), "spectral_tail": tail, **params}
