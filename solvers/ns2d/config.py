"""The recipe of a smoke-buoyancy dataset: grid, box, steps, frames, parameter ranges, initial smoke.

Defaults are the conditioned smoke-buoyancy set of PDEArena (Gupta & Brandstetter 2022,
``pdedatagen/configs/navierstokes2dsmoke.yaml`` with ``experiment=smoke_cond``), as used
for buoyancy regression by Mialon et al. 2023: 128 x 128 cells on a 32 x 32 box,
``nu = 0.01``, ``dt = 1.5``, 56 stored frames, one per solver step, after skipping the
first 8 steps, buoyancy uniform in ``[0.2, 0.5]``, smoke ``|Noise(scale=11, smoothness=6)|``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

from ..equations.base import Parameter
from ..noise import LOWEST_K2, noise_draws
from .buoyancy import SPLITTINGS
from .diffusion import diffusion_number
from .mac import MACGrid

NAME = "ns-buoyancy"
FORMULA = (
    "v_t + (v.grad)v = -grad p + nu lap v + buoyancy s e_y, div v = 0, s_t + v.grad s = 0 "
    "in a closed box (v.n = 0 on the walls)"
)
PARAMETERS = (
    Parameter("buoyancy", 0.2, 0.5, log=False, description="Boussinesq buoyancy: force per unit smoke density along +y"),
    Parameter("nu", 0.01, 0.01, log=True, description="kinematic viscosity"),
)


def _default_params() -> dict[str, tuple[float, float]]:
    return {p.symbol: (p.low, p.high) for p in PARAMETERS}


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
    params: dict[str, tuple[float, float]] = field(default_factory=_default_params)

    @classmethod
    def default(cls, equation: str = NAME, **overrides: Any) -> "BuoyancyConfig":
        """The defaults with any field replaced by ``overrides`` (``None`` keeps the default)."""
        if equation != NAME:
            raise ValueError(f"unknown dataset {equation!r} for {cls.__name__}; it builds {NAME!r}")
        return cls().updated(**overrides)

    def updated(self, **overrides: Any) -> "BuoyancyConfig":
        """A copy with the given fields replaced; ``params`` entries merge into the current ones."""
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"{NAME}: unknown configuration field(s) {sorted(unknown)}; allowed: {sorted(known)}")
        overrides = {k: v for k, v in overrides.items() if v is not None}
        if overrides.get("equation", NAME) != NAME:
            raise ValueError(f"equation={overrides['equation']!r} cannot be changed in a {NAME} recipe")
        if "params" in overrides:
            params = dict(self.params)
            for symbol, value in overrides["params"].items():
                if symbol not in params:
                    raise ValueError(f"{NAME} has no parameter {symbol!r}; its parameters are {sorted(params)}")
                values = [value] if np.isscalar(value) else list(value)
                if len(values) not in (1, 2):
                    raise ValueError(f"{symbol} takes one value (fixed) or two (low, high), got {values}")
                params[symbol] = (float(values[0]), float(values[-1]))
            overrides["params"] = params
        return replace(self, **overrides)

    def recipe(self):
        """The :class:`~solvers.ns2d.recipe.BuoyancyRecipe` that :func:`solvers.generate.generate` writes."""
        from .recipe import BuoyancyRecipe

        return BuoyancyRecipe(self)

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

        def need(ok: bool, message: str) -> None:
            if not ok:
                raise ValueError(f"{NAME}: {message}")

        def is_int(value: Any) -> bool:
            return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

        def is_number(value: Any) -> bool:
            return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and math.isfinite(value)

        for name in ("nx", "ny"):
            value = getattr(self, name)
            need(is_int(value) and value >= 4, f"{name}={value!r} must be an integer >= 4 (cells along the axis)")
        for name in ("Lx", "Ly", "dt", "noise_scale", "max_cfl"):
            value = getattr(self, name)
            need(is_number(value) and value > 0, f"{name}={value!r} must be a positive finite number")
        need(is_int(self.nt) and self.nt >= 1, f"nt={self.nt!r} must be an integer >= 1 (stored frames)")
        need(is_int(self.skip_nt) and self.skip_nt >= 0, f"skip_nt={self.skip_nt!r} must be an integer >= 0 (frames dropped at the start)")
        need(is_int(self.substeps) and self.substeps >= 1, f"substeps={self.substeps!r} must be an integer >= 1 (solver steps per frame)")
        need(self.splitting in SPLITTINGS, f"splitting={self.splitting!r} is not one of {sorted(SPLITTINGS)}")
        need(is_number(self.noise_smoothness) and self.noise_smoothness >= 0, f"noise_smoothness={self.noise_smoothness!r} must be a finite number >= 0")
        k2_max = max((self.nx // 2 * self.noise_scale / self.Lx) ** 2, (self.ny // 2 * self.noise_scale / self.Ly) ** 2)
        need(
            k2_max > LOWEST_K2,
            f"noise_scale={self.noise_scale!r} keeps no Fourier mode on a {self.Lx} x {self.Ly} box with {self.nx} x {self.ny} "
            f"cells (need (n scale / L)^2 > {LOWEST_K2} for some n <= N/2); increase the scale",
        )
        need(set(self.params) == {p.symbol for p in PARAMETERS}, f"parameters {sorted(self.params)} must be exactly {sorted(p.symbol for p in PARAMETERS)}")
        for symbol, (low, high) in self.params.items():
            need(math.isfinite(low) and math.isfinite(high), f"{symbol} range ({low}, {high}) must be finite")
            need(low <= high, f"{symbol} range ({low}, {high}) is empty: low must not exceed high")
        nu_low, nu_high = self.params["nu"]
        need(nu_low > 0, f"viscosity nu must be positive, got range ({nu_low}, {nu_high})")
        number = diffusion_number(nu_high, self.dt, self.grid)
        need(
            number <= 0.5,
            f"explicit viscous diffusion is unstable: nu dt (1/hx^2 + 1/hy^2) = {number:.3g} > 0.5 "
            f"(nu={nu_high}, dt={self.dt}, hx={self.grid.hx:.4g}, hy={self.grid.hy:.4g}); reduce dt (raise substeps) or nu, or coarsen the grid",
        )
        return self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["params"] = {k: list(v) for k, v in self.params.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BuoyancyConfig":
        return cls.default(**d)


def draw_inputs(cfg: BuoyancyConfig, seed: int, indices: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The random inputs of trajectories ``indices``, each from its own stream ``(seed, index)``.

    Returns:
        ``(params, draws)``: ``params["buoyancy"]``, ``params["nu"]`` of shape ``(n,)`` and
        the white-noise draws ``(n, 2, ny, nx)`` of the initial smoke, float64.
    """
    unit = np.empty((len(indices), len(PARAMETERS)))
    draws = np.empty((len(indices), 2, cfg.ny, cfg.nx))
    for row, index in enumerate(indices):
        rng = np.random.default_rng([seed, int(index)])
        unit[row] = rng.random(len(PARAMETERS))
        draws[row] = noise_draws(rng, cfg.ny, cfg.nx)
    params = {}
    for col, par in enumerate(PARAMETERS):
        low, high = cfg.params[par.symbol]
        if low == high:
            params[par.symbol] = np.full(len(indices), low)
        elif par.log:
            params[par.symbol] = np.exp(np.log(low) + unit[:, col] * (np.log(high) - np.log(low)))
        else:
            params[par.symbol] = low + unit[:, col] * (high - low)
    return params, draws
