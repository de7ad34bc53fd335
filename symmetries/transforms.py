"""Symmetry group elements acting on batches of gridded trajectories, in torch.

A point transformation ``(t, x, u) -> (T, X, U)`` maps a solution sampled at grid points
``(t_i, x_j)`` to one sampled at ``(T_i, X_ij)`` with values ``U(t_i, x_j, u_ij)``. For the
groups of evolution equations that keep a uniform grid uniform (``T`` affine in ``t``,
``X = a x + b(t)`` with constant ``a``) this is exact without interpolation:

- the time grid becomes ``t0' = T(t0)``, ``dt' = a_t dt`` and the space grid ``L' = a L``,
  both carried with the sample instead of resampling the data;
- the offset ``b(t_i)`` is undone by an exact Fourier shift on the periodic grid.

Transforms check the boundary conditions they respect and refuse the others, e.g. a heat
Galilean boost, whose ``U = u exp(-eps x - ...)`` is not periodic, on periodic data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import sympy as sp
import torch

from .errors import OutsideMethodError
from .exponentiate import GroupElement, eps
from .jets import t, u, x

TORCH_FUNCTIONS = {
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "sin": torch.sin,
    "cos": torch.cos,
    "tanh": torch.tanh,
}


class NotASymmetryError(ValueError):
    """The transformation does not map solutions to solutions for this data (e.g. its boundary conditions)."""


@dataclass
class GridTrajectories:
    """A batch of 1D trajectories on uniform grids; the grid travels with each sample.

    u: ``(batch, nt, nx)`` values at ``t_i = t0 + i dt`` and ``x_j = j L / nx``.
    t0, dt, L: ``(batch,)``. params: equation constants, each ``(batch,)`` (e.g. ``nu``).
    boundary: ``"periodic"`` (the only kind stored by the 1D solvers).
    """

    u: torch.Tensor
    t0: torch.Tensor
    dt: torch.Tensor
    L: torch.Tensor
    params: dict[str, torch.Tensor] = field(default_factory=dict)
    boundary: str = "periodic"

    @property
    def shape(self) -> torch.Size:
        return self.u.shape

    def times(self) -> torch.Tensor:
        """``(batch, nt)``."""
        nt = self.u.shape[1]
        return self.t0[:, None] + self.dt[:, None] * torch.arange(nt, device=self.u.device, dtype=self.u.dtype)

    def positions(self) -> torch.Tensor:
        """``(batch, nx)``."""
        nx = self.u.shape[2]
        return self.L[:, None] * torch.arange(nx, device=self.u.device, dtype=self.u.dtype) / nx

    def wavenumbers(self) -> torch.Tensor:
        """``(batch, nx // 2 + 1)`` angular wavenumbers of the rfft modes."""
        nx = self.u.shape[2]
        return 2 * math.pi / self.L[:, None] * torch.arange(nx // 2 + 1, device=self.u.device, dtype=self.u.dtype)

    def select(self, index: torch.Tensor) -> "GridTrajectories":
        return GridTrajectories(
            self.u[index],
            self.t0[index],
            self.dt[index],
            self.L[index],
            {k: v[index] for k, v in self.params.items()},
            self.boundary,
        )


def fourier_shift(u: torch.Tensor, shift: torch.Tensor, L: torch.Tensor) -> torch.Tensor:
    """``u(x - shift)`` on the periodic grid, exactly for band-limited data.

    u: ``(batch, nt, nx)``; shift: ``(batch, nt)``; L: ``(batch,)``.
    """
    nx = u.shape[-1]
    k = 2 * math.pi / L[:, None, None] * torch.arange(nx // 2 + 1, device=u.device, dtype=u.dtype)
    phase = -k * shift[..., None]
    return torch.fft.irfft(torch.fft.rfft(u) * torch.polar(torch.ones_like(phase), phase), n=nx)


def _lambdify(expr: sp.Expr, params: tuple[sp.Symbol, ...]):
    return sp.lambdify((t, x, u, eps, *params), expr, modules=[TORCH_FUNCTIONS, "math"])


@dataclass
class PointTransform:
    """A one-parameter group ``exp(eps v)`` of a derived generator, applied to gridded data.

    Raises:
        OutsideMethodError: if the group deforms a uniform grid (``T`` not affine in ``t``,
            or ``X`` not of the form ``a x + b(t)``), so no exact gridded version exists.
    """

    element: GroupElement
    params: tuple[sp.Symbol, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        T, X, U = self.element.components
        if T.has(x, u) or sp.diff(T, t, 2).simplify() != 0:
            raise OutsideMethodError(
                f"{self.name}: T = {T} is not affine in t; a uniform time grid would not stay uniform"
            )
        a = sp.simplify(sp.diff(X, x))
        if X.has(u) or a.has(t, x, u):
            raise OutsideMethodError(
                f"{self.name}: X = {X} is not a x + b(t); a uniform space grid would not stay uniform"
            )
        self.time_scale, self.time_offset = sp.simplify(sp.diff(T, t)), sp.simplify(T.subs(t, 0))
        self.space_scale, self.space_offset = a, sp.simplify(X.subs(x, 0))
        period = sp.Symbol("period", positive=True)
        self.periodic = sp.simplify(U.subs(x, x + period) - U) == 0
        self._f = {
            name: _lambdify(e, self.params)
            for name, e in (
                ("alpha", self.time_scale),
                ("beta", self.time_offset),
                ("a", self.space_scale),
                ("b", self.space_offset),
                ("U", U),
            )
        }

    @property
    def respects(self) -> frozenset[str]:
        """Boundary conditions under which the transformed data is again a solution."""
        return frozenset({"unbounded", "periodic"} if self.periodic else {"unbounded"})

    def __call__(self, data: GridTrajectories, epsilon: torch.Tensor) -> GridTrajectories:
        """Apply ``exp(epsilon_b v)`` to sample ``b``; ``epsilon``: ``(batch,)``."""
        if data.boundary not in self.respects:
            T, X, U = self.element.components
            raise NotASymmetryError(
                f"{self.name or 'transform'} (t, x, u) -> ({T}, {X}, {U}) "
                f"does not keep {data.boundary} data a solution: "
                f"it respects only {sorted(self.respects)}"
            )
        e = epsilon.to(data.u)
        missing = [str(s) for s in self.params if str(s) not in data.params]
        if missing:
            raise ValueError(
                f"{self.name or 'transform'} needs the per-sample parameter(s) {missing} of the equation; "
                f"the data carry {sorted(data.params)}"
            )
        p = [data.params[str(s)].to(data.u) for s in self.params]

        def scalar(name, *args):
            return torch.as_tensor(self._f[name](*args), dtype=data.u.dtype, device=data.u.device)

        zero = torch.zeros_like(e)
        alpha = scalar("alpha", zero, zero, zero, e, *p).expand_as(e)
        a = scalar("a", zero, zero, zero, e, *p).expand_as(e)
        if (alpha <= 0).any() or (a <= 0).any():
            raise NotASymmetryError(
                f"{self.name}: epsilon out of the range where the group keeps time and space orientation"
            )
        beta = scalar("beta", zero, zero, zero, e, *p).expand_as(e)
        ti = data.times()
        xj = data.positions()
        values = scalar("U", ti[..., None], xj[:, None, :], data.u, e[:, None, None], *(q[:, None, None] for q in p))
        values = values.expand_as(data.u)
        L = a * data.L
        b = scalar("b", ti, zero[:, None], zero[:, None], e[:, None], *(q[:, None] for q in p)).expand_as(ti)
        if b.abs().max() > 0:
            values = fourier_shift(values, b, L)
        return replace(data, u=values, t0=alpha * data.t0 + beta, dt=alpha * data.dt, L=L)


def time_window(data: GridTrajectories, start: torch.Tensor, length: int) -> GridTrajectories:
    """Time translation on a grid: frames ``start_b : start_b + length`` of each sample (batched gather).

    start: ``(batch,)`` integer frame offsets.
    """
    nt = data.u.shape[1]
    if length < 1 or length > nt:
        raise ValueError(f"window length {length} must lie in [1, {nt}]")
    if (start < 0).any() or (start + length > nt).any():
        raise ValueError(f"window starts {start.tolist()} must lie in [0, {nt - length}]")
    frames = start[:, None].to(data.u.device) + torch.arange(length, device=data.u.device)
    u_ = torch.gather(data.u, 1, frames[..., None].expand(-1, -1, data.u.shape[2]))
    return replace(data, u=u_, t0=data.t0 + start.to(data.t0) * data.dt)
