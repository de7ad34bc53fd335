"""The staggered (MAC) grid of a closed rectangular box, and moves between its sample points.

The box ``[0, Lx] x [0, Ly]`` holds ``ny x nx`` cells of size ``hx = Lx / nx``, ``hy = Ly / ny``.
Arrays are laid out ``(batch, y, x)``:

- scalars (smoke, pressure, divergence) at cell centres ``((i + 1/2) hx, (j + 1/2) hy)``: ``(batch, ny, nx)``;
- ``u`` (x-velocity) on the interior vertical faces ``((i + 1) hx, (j + 1/2) hy)``: ``(batch, ny, nx - 1)``;
- ``v`` (y-velocity) on the interior horizontal faces ``((i + 1/2) hx, (j + 1) hy)``: ``(batch, ny - 1, nx)``.

The walls are closed: the normal velocity on the boundary faces is zero, so it is not
stored at all and no-through-flow holds by construction. Where a stencil or an
interpolation reaches outside, the velocity components are padded with zeros, which is
PhiFlow's ``extrapolation.ZERO`` for a ``StaggeredGrid`` (the wall faces are zero and the
tangential component is zero on the ghost cells half a cell outside the wall).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F


class Velocity(NamedTuple):
    """A staggered velocity: ``u`` ``(batch, ny, nx - 1)`` and ``v`` ``(batch, ny - 1, nx)``."""

    u: torch.Tensor
    v: torch.Tensor


@dataclass(frozen=True)
class MACGrid:
    """A closed box ``[0, Lx] x [0, Ly]`` of ``ny x nx`` cells."""

    nx: int
    ny: int
    Lx: float
    Ly: float

    @property
    def hx(self) -> float:
        return self.Lx / self.nx

    @property
    def hy(self) -> float:
        return self.Ly / self.ny

    def x(self) -> np.ndarray:
        """``(nx,)`` cell-centre abscissae."""
        return (np.arange(self.nx) + 0.5) * self.hx

    def y(self) -> np.ndarray:
        """``(ny,)`` cell-centre ordinates."""
        return (np.arange(self.ny) + 0.5) * self.hy

    def zero_velocity(
        self, batch: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float64
    ) -> Velocity:
        return Velocity(
            torch.zeros(batch, self.ny, self.nx - 1, device=device, dtype=dtype),
            torch.zeros(batch, self.ny - 1, self.nx, device=device, dtype=dtype),
        )


def u_faces(u: torch.Tensor) -> torch.Tensor:
    """``(batch, ny, nx + 1)``: ``u`` on every vertical face, the two walls (zero) included."""
    return F.pad(u, (1, 1))


def v_faces(v: torch.Tensor) -> torch.Tensor:
    """``(batch, ny + 1, nx)``: ``v`` on every horizontal face, the two walls (zero) included."""
    return F.pad(v, (0, 0, 1, 1))


def u_padded(u: torch.Tensor) -> torch.Tensor:
    """``(batch, ny + 2, nx + 1)``: walls and one row of zero ghost cells below and above.

    Index ``[r, c]`` sits at ``x = c hx``, ``y = (r - 1/2) hy``.
    """
    return F.pad(u, (1, 1, 1, 1))


def v_padded(v: torch.Tensor) -> torch.Tensor:
    """``(batch, ny + 1, nx + 2)``: walls and one column of zero ghost cells left and right.

    Index ``[r, c]`` sits at ``x = (c - 1/2) hx``, ``y = r hy``.
    """
    return F.pad(v, (1, 1, 1, 1))


def centred(vel: Velocity) -> tuple[torch.Tensor, torch.Tensor]:
    """Both components at the cell centres, ``(batch, ny, nx)`` each: the mean of the two faces."""
    uf, vf = u_faces(vel.u), v_faces(vel.v)
    return 0.5 * (uf[..., :-1] + uf[..., 1:]), 0.5 * (vf[..., :-1, :] + vf[..., 1:, :])


def v_at_u(v: torch.Tensor) -> torch.Tensor:
    """``(batch, ny, nx - 1)``: ``v`` at the ``u`` faces, the mean of the four surrounding ``v`` faces."""
    vf = v_faces(v)
    return 0.25 * (vf[..., :-1, :-1] + vf[..., :-1, 1:] + vf[..., 1:, :-1] + vf[..., 1:, 1:])


def u_at_v(u: torch.Tensor) -> torch.Tensor:
    """``(batch, ny - 1, nx)``: ``u`` at the ``v`` faces, the mean of the four surrounding ``u`` faces."""
    uf = u_faces(u)
    return 0.25 * (uf[..., :-1, :-1] + uf[..., :-1, 1:] + uf[..., 1:, :-1] + uf[..., 1:, 1:])


def centres_to_v(s: torch.Tensor) -> torch.Tensor:
    """``(batch, ny - 1, nx)``: a cell-centred scalar on the interior horizontal faces (mean of the two cells)."""
    return 0.5 * (s[..., :-1, :] + s[..., 1:, :])
