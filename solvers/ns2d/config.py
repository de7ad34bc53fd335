"""The recipe of a smoke-buoyancy dataset: grid, box, steps, frames, parameter ranges, initial smoke.

Defaults are the conditioned smoke-buoyancy set of PDEArena (Gupta & Brandstetter 2022,
``pdedatagen/configs/navierstokes2dsmoke.yaml`` with ``experiment=smoke_cond``), as used
for buoyancy regression by Mialon et al. 2023: 128 x 128 cells on a 32 x 32 box,
``nu = 0.01``, ``dt = 1.5``, 56 stored frames, one per solver step, after skipping the
first 8 steps, buoyancy uniform in ``[0.2, 0.5]``, smoke ``|Noise(scale=11, smoothness=6)|``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from ..checks import check_scalar_fields
from ..equations.base import Parameter
from ..noise import LOWEST_K2, noise_draws
from ..parameters import check_ranges, default_ranges, draw_per_trajectory, override, plain
from .buoyancy import SPLITTINGS
from .diffusion import diffusion_number
from .mac import MACGrid

NAME = "ns-buoyancy"
FORMULA = (
    "v_t + (v.grad)v = -grad p + nu lap v + buoyancy s e_y, div v = 0, s_t + v.grad s = 0 "
    "in a closed box (v.n = 0 on the walls)"
)
PARAMETERS = (
    Parameter(
        "buoyancy", 0.2, 0.5, log=False, description="Boussinesq buoyancy: force per unit smoke density along +y"
    ),
    Parameter("nu", 0.01, 0.01, log=True, description="kinematic viscosity"),
)


@dataclass(frozen=True)
class BuoyancyConfig:
    """Everything that determines a smoke-buoyancy trajectory besides ``(seed, index)``.

    The solver takes ``substeps`` steps of ``dt`` per stored frame; frames ``1..skip_nt`` are
    simulated and dropped, then ``nt`` are stored, at ``t = (skip_nt + 1 + k) substeps dt``.
    ``params`` maps ``buoyancy`` and ``nu`` to ``(low, high)`` ranges drawn per trajectory
    (``nu`` log-uniformly; ``low == high`` fixes a value). A trajectory whose velocity
    moves more than ``max_cfl`` cells in one step counts as blown up. ``splitting`` orders
    the force and the diffusion within a step (:data:`~solvers.ns2d.buoyancy.SPLITTINGS`):
    ``pdearena`` reproduces the standard dataset; ``balanced`` keeps a fluid at rest under a
    hydrostatic force exactly at rest.
    """

    equation: str = NAME
    nx: int = 128
    ny: int = 128
    Lx: float = 32.0
    Ly: float = 32.0
    dt: float = 1.5
    nt: int = 56
    skip_nt: int = 8
    substeps: int = 1
    noise_scale: float = 11.0
    noise_smoothness: float = 6.0
    max_cfl: float = 50.0
    splitting: str = "pdearena"
    params: dict[str, tuple[float, float]] = field(default_factory=partial(default_ranges, PARAMETERS))

    @classmethod
    def default(cls, equation: str = NAME, **overrides: Any) -> "BuoyancyConfig":
        """The defaults with any field replaced by ``overrides`` (``None`` keeps the default)."""
        if equation != NAME:
            raise ValueError(f"unknown dataset {equation!r} for {cls.__name__}; it builds {NAME!r}")
        return cls().updated(**overrides)

    def updated(self, **overrides: Any) -> "BuoyancyConfig":
        """A copy with the given fields replaced; ``params`` entries merge into the current ones."""
        return override(self, overrides, dataset=NAME)

    @property
    def grid(self) -> MACGrid:
        return MACGrid(self.nx, self.ny, self.Lx, self.Ly)

    @property
    def frame_dt(self) -> float:
        """Time between stored frames."""
        return self.dt * self.substeps

    def output_times(self) -> np.ndarray:
        """``(nt,)`` times of the stored frames."""
        return self.frame_dt * (self.skip_nt + 1 + np.arange(self.nt, dtype=np.float64))

    def validate(self) -> "BuoyancyConfig":
        """Raise ``ValueError`` naming the first bad value and what is allowed; return self."""
        check_scalar_fields(self, NAME)  # types first: the checks below compare and divide

        def need(ok: bool, message: str) -> None:
            if not ok:
                raise ValueError(f"{NAME}: {message}")

        for name in ("nx", "ny"):
            value = getattr(self, name)
            need(value >= 4, f"{name}={value!r} must be an integer >= 4 (cells along the axis)")
        for name in ("Lx", "Ly", "dt", "noise_scale", "max_cfl"):
            value = getattr(self, name)
            need(value > 0, f"{name}={value!r} must be a positive finite number")
        need(self.nt >= 1, f"nt={self.nt!r} must be an integer >= 1 (stored frames)")
        need(self.skip_nt >= 0, f"skip_nt={self.skip_nt!r} must be an integer >= 0 (frames dropped at the start)")
        need(self.substeps >= 1, f"substeps={self.substeps!r} must be an integer >= 1 (solver steps per frame)")
        need(self.splitting in SPLITTINGS, f"splitting={self.splitting!r} is not one of {sorted(SPLITTINGS)}")
        need(self.noise_smoothness >= 0, f"noise_smoothness={self.noise_smoothness!r} must be a finite number >= 0")
        k_max = max(self.nx // 2 * self.noise_scale / self.Lx, self.ny // 2 * self.noise_scale / self.Ly)
        need(
            k_max * k_max > LOWEST_K2,  # not ** 2: a huge scale gives inf, not OverflowError
            f"noise_scale={self.noise_scale!r} keeps no Fourier mode on a {self.Lx} x {self.Ly} box with "
            f"{self.nx} x {self.ny} cells (need (n scale / L)^2 > {LOWEST_K2} for some n <= N/2); increase the scale",
        )
        ranges = check_ranges(NAME, self.params, PARAMETERS)
        nu_low, nu_high = ranges["nu"]
        need(nu_low > 0, f"viscosity nu must be positive, got range ({nu_low}, {nu_high})")
        number = diffusion_number(nu_high, self.dt, self.grid)
        need(
            number <= 0.5,
            f"explicit viscous diffusion is unstable: nu dt (1/hx^2 + 1/hy^2) = {number:.3g} > 0.5 "
            f"(nu={nu_high}, dt={self.dt}, hx={self.grid.hx:.4g}, hy={self.grid.hy:.4g}); "
            "reduce dt (raise substeps) or nu, or coarsen the grid",
        )
        return self

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BuoyancyConfig":
        return cls.default(**d)


def draw_inputs(cfg: BuoyancyConfig, seed: int, indices: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The random inputs of trajectories ``indices``, each from its own stream ``(seed, index)``.

    Returns:
        ``(params, draws)``: ``params["buoyancy"]``, ``params["nu"]`` of shape ``(n,)`` and
        the white-noise draws ``(n, 2, ny, nx)`` of the initial smoke, float64.
    """
    noise = partial(noise_draws, ny=cfg.ny, nx=cfg.nx)
    params, draws = draw_per_trajectory(seed, indices, PARAMETERS, cfg.params, noise)
    return params, np.asarray(draws, dtype=np.float64).reshape(len(indices), 2, cfg.ny, cfg.nx)
