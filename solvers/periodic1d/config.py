"""The recipe of a 1D dataset: equation, grid, times, parameter ranges, initial condition."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..checks import check_scalar_fields, to_numbers
from ..equations import Equation, get_equation
from ..initial_conditions import INITIAL_CONDITIONS
from ..parameters import check_ranges, default_ranges, draw_per_trajectory, override, plain
from ..spectral import cutoff_index


MAX_STEPS = 10**7  # internal time steps per trajectory: more would run for days, so it is a mistake


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that determines a trajectory besides ``(seed, index)``.

    Stored frames are at ``t_burn + linspace(0, t_end, nt)`` unless ``times`` lists
    them explicitly. ``params`` maps each parameter symbol to its ``(low, high)``
    range (log-uniform or uniform as the equation declares; ``low == high`` fixes it).
    """

    equation: str
    nx: int
    t_end: float
    nt: int
    dt: float
    t_burn: float
    ic: str
    amplitude: float
    n_modes: int
    max_wavenumber: int
    tail_tol: float
    params: dict[str, tuple[float, float]] = field(default_factory=dict)
    times: tuple[float, ...] | None = None

    @classmethod
    def default(cls, equation: str, **overrides: Any) -> "SimulationConfig":
        """The equation's defaults, with any field replaced by ``overrides`` (``None`` keeps the default)."""
        eq = get_equation(equation)
        d = eq.defaults
        base = cls(
            equation=eq.name,
            nx=d.nx,
            t_end=d.t_end,
            nt=d.nt,
            dt=d.dt,
            t_burn=d.t_burn,
            ic=d.ic,
            amplitude=d.amplitude,
            n_modes=d.n_modes,
            max_wavenumber=d.max_wavenumber,
            tail_tol=d.tail_tol,
            params=default_ranges(eq.parameters),
        )
        return base.updated(**overrides)

    def updated(self, **overrides: Any) -> "SimulationConfig":
        """A copy with the given fields replaced; ``params`` entries merge into the current ones."""
        return override(self, overrides)

    @property
    def eq(self) -> Equation:
        return get_equation(self.equation)

    def output_times(self) -> np.ndarray:
        """``(nt,)`` stored times."""
        if self.times is not None:
            return np.asarray(self.times, dtype=np.float64)
        return self.t_burn + np.linspace(0.0, self.t_end, self.nt)

    def initial_condition(self):
        return INITIAL_CONDITIONS[self.ic](self.amplitude, self.n_modes, self.max_wavenumber)

    def validate(self) -> "SimulationConfig":
        """Raise ``ValueError`` naming the first bad value and what is allowed; return self."""
        check_scalar_fields(self, str(self.equation))  # types first: the checks below compare and divide
        eq = get_equation(self.equation)

        def need(ok: bool, message: str) -> None:
            if not ok:
                raise ValueError(f"{self.equation}: {message}")

        need(self.nx >= 8 and self.nx % 2 == 0, f"nx={self.nx!r} must be an even integer >= 8")
        need(self.dt > 0, f"dt={self.dt!r} must be a positive number")
        need(self.t_burn >= 0, f"t_burn={self.t_burn!r} must be >= 0")
        need(self.ic in INITIAL_CONDITIONS, f"ic={self.ic!r} is not one of {sorted(INITIAL_CONDITIONS)}")
        need(self.amplitude > 0, f"amplitude={self.amplitude!r} must be > 0")
        need(self.n_modes >= 1, f"n_modes={self.n_modes!r} must be >= 1")
        need(
            1 <= self.max_wavenumber <= cutoff_index(self.nx),
            f"max_wavenumber={self.max_wavenumber!r} must lie in [1, {cutoff_index(self.nx)}] "
            f"(the dealiasing cutoff of nx={self.nx})",
        )
        need(0 < self.tail_tol < 1, f"tail_tol={self.tail_tol!r} must lie in (0, 1)")
        if self.times is None:
            need(self.nt >= 1, f"nt={self.nt!r} must be >= 1")
            need(self.t_end > 0 or self.nt == 1, f"t_end={self.t_end!r} must be > 0")
        else:
            try:
                t = np.asarray(to_numbers("times", self.times))
            except ValueError as err:
                raise ValueError(f"{self.equation}: {err}") from None
            need(len(t) >= 1, f"times={list(self.times)!r} must be a non-empty list of numbers")
            need(t[0] >= 0, f"times must start at t >= 0, got {t[0]!r}")
            bad = np.flatnonzero(np.diff(t) <= 0)
            if len(bad):
                i = int(bad[0]) + 1
                need(
                    False,
                    f"output times must be strictly increasing; times[{i}]={t[i]!r} does not exceed "
                    f"times[{i - 1}]={t[i - 1]!r}",
                )
        horizon = self.t_burn + (self.t_end if self.times is None else float(self.times[-1]))
        need(
            horizon / self.dt <= MAX_STEPS,
            f"(t_burn + t_end) / dt = {horizon / self.dt:.3g} steps exceeds {MAX_STEPS:.0e}: "
            "a run that would not end; shorten the time window or raise dt",
        )
        ranges = check_ranges(self.equation, self.params, eq.parameters)
        for symbol, (low, high) in ranges.items():
            need(low > 0, f"{symbol} must be positive, got range ({low}, {high})")
        return self

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SimulationConfig":
        d = dict(d)
        base = cls.default(d.pop("equation"))
        return base.updated(**d)


def draw_inputs(cfg: SimulationConfig, seed: int, indices: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The random inputs of trajectories ``indices``: each from its own stream ``(seed, index)``.

    A trajectory's draws never depend on which batch, shard or device computes it.

    Returns:
        ``(params, ic_draws)``: ``params[symbol]`` of shape ``(n,)`` and the initial
        condition's draws ``(n, n_draws)``, both float64.
    """
    ic = cfg.initial_condition()
    params, draws = draw_per_trajectory(seed, indices, cfg.eq.parameters, cfg.params, ic.draw)
    return params, np.asarray(draws, dtype=np.float64).reshape(len(indices), -1)
