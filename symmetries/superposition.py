"""Infinite families ``f(t, x) d_u`` of linear equations: add a random solution of the family's condition.

For a family whose condition is a linear PDE with constant coefficients in ``f(t, x)``
(the heat equation's superposition principle: ``f_t = nu f_xx``), periodic solutions are
sums of Fourier modes ``exp(lambda(k) t) cos(k x + theta)`` where ``lambda(k)`` solves the
dispersion relation obtained by substituting ``exp(lambda t + i k x)`` into the condition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import sympy as sp
import torch

from .derive import Family
from .errors import OutsideMethodError
from .jets import t, x
from .transforms import TORCH_FUNCTIONS, GridTrajectories, NotASymmetryError


def dispersion_relation(condition: sp.Expr, f: sp.Expr, params: tuple[sp.Symbol, ...]):
    """``lambda(k, *params)`` such that ``exp(lambda t + i k x)`` solves ``condition(f) = 0``.

    Raises:
        OutsideMethodError: if the condition is not linear with constant coefficients in ``f``.
    """
    lam, k = sp.symbols("lambda k")
    wave = sp.exp(lam * t + sp.I * k * x)
    ratio = sp.simplify(condition.subs(f, wave).doit() / wave)
    if ratio.has(t, x) or ratio.has(sp.Function):
        raise OutsideMethodError(f"condition {condition} is not linear with constant coefficients")
    roots = sp.solve(ratio, lam)
    if len(roots) != 1:
        raise OutsideMethodError(f"condition {condition} gives {len(roots)} branches lambda(k), expected one")
    return sp.lambdify((k, *params), roots[0], modules=[TORCH_FUNCTIONS, "math"])


@dataclass
class Superposition:
    """``u -> u + epsilon * f`` with ``f`` a random periodic solution of the family's condition.

    ``f`` has Fourier modes ``1..n_modes`` with unit-variance Gaussian amplitudes (decaying as
    ``1/m``) drawn from ``generator``; ``epsilon`` scales it per sample.
    """

    family: Family
    params: tuple[sp.Symbol, ...] = ()
    n_modes: int = 4
    name: str = "superposition"

    def __post_init__(self) -> None:
        g = self.family.generator
        if g.tau != 0 or g.xi != 0 or len(self.family.functions) != 1 or len(self.family.conditions) != 1:
            raise OutsideMethodError(f"only families f(t, x) d_u with one linear condition are supported, got {g}")
        (f,) = self.family.functions
        if g.phi != f or set(f.args) != {t, x}:
            raise OutsideMethodError(f"only families f(t, x) d_u are supported, got phi = {g.phi}")
        self.rate = dispersion_relation(self.family.conditions[0], f, self.params)

    respects = frozenset({"periodic", "unbounded"})

    def solution(self, data: GridTrajectories, draws: torch.Tensor) -> torch.Tensor:
        """A periodic solution of the condition on the data's grids, ``(batch, nt, nx)``.

        draws: ``(batch, 2 * n_modes)`` uniforms on [0, 1) (see :func:`~symmetries.randomness.per_sample`).
        """
        draws = draws.to(data.u)
        m = torch.arange(1, self.n_modes + 1, device=data.u.device, dtype=data.u.dtype)
        # Gaussian amplitudes decaying as 1/m (Box-Muller keeps to the uniform draws) and uniform phases
        u1, u2 = draws[:, : self.n_modes].clamp_min(1e-300), draws[:, self.n_modes :]
        amp = torch.sqrt(-2 * torch.log(u1)) * torch.cos(2 * math.pi * u2) / m
        phase = 2 * math.pi * u2
        k = 2 * math.pi * m / data.L[:, None]  # (batch, modes)
        rate = torch.as_tensor(self.rate(k, *(data.params[str(p)][:, None] for p in self.params))).real.to(data.u)
        ti, xj = data.times(), data.positions()  # (batch, nt), (batch, nx)
        # modes grow or decay from t0 of each sample: a solution stays a solution when shifted in time
        decay = torch.exp(rate[:, None, :] * (ti - data.t0[:, None])[..., None])  # (batch, nt, modes)
        waves = torch.cos(k[:, None, :] * xj[..., None] + phase[:, None, :])  # (batch, nx, modes)
        return torch.einsum("btm,bxm,bm->btx", decay, waves, amp)

    @property
    def n_draws(self) -> int:
        return 2 * self.n_modes

    def __call__(self, data: GridTrajectories, epsilon: torch.Tensor, draws: torch.Tensor) -> GridTrajectories:
        """``u + epsilon f`` with ``f`` built from ``draws`` ``(batch, n_draws)``."""
        if data.boundary not in self.respects:
            raise NotASymmetryError(f"{self.name} respects only {sorted(self.respects)}, not {data.boundary}")
        return replace(data, u=data.u + epsilon.to(data.u)[:, None, None] * self.solution(data, draws))
