"""Buoyancy-driven smoke in a closed box: incompressible Navier-Stokes with a Boussinesq force.

    ``v_t + (v . grad) v = -grad p + nu lap v + b s e_y``,   ``div v = 0``,   ``s_t + v . grad s = 0``

on ``[0, Lx] x [0, Ly]`` with ``v . n = 0`` on the walls; ``s`` is the smoke density (a passive
scalar), ``b`` the buoyancy, ``e_y`` the upward unit vector. One step of ``dt`` is the
operator splitting of PhiFlow's smoke demo as PDEArena runs it:

1. ``s <- advect(s, v)``                 semi-Lagrangian, old velocity;
2. ``f <- b s`` on the ``v`` faces         from the advected smoke;
3. ``v <- advect(v, v) + dt f``          semi-Lagrangian self-advection;
4. ``v <- v + nu dt lap v``              explicit diffusion;
5. ``v <- v - grad p``, ``lap p = div v``  exact projection (DCT), ``div v = 0`` to round-off.

Steps 3-4 can also be taken in the order diffusion, force (``splitting="balanced"``), which
keeps rest states exactly at rest; the default ``"pdearena"`` reproduces the standard dataset.

Batched over trajectories, each with its own ``b`` and ``nu``; the same code on CPU and CUDA.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .advection import advect_scalar, advect_velocity
from .diffusion import diffuse_explicit
from .mac import MACGrid, Velocity, centred, centres_to_v
from .projection import PressureProjection

FIELDS = ("smoke", "vx", "vy")
"""The fields of a smoke flow, in this order wherever they are listed: smoke density, then the velocity at the
cell centres along x and y (:class:`PlumeTrajectories`, the dataset's variables)."""


@dataclass
class PlumeTrajectories:
    """Result of :meth:`SmokePlume.run` for a batch.

    smoke, vx, vy: ``(batch, frames, ny, nx)``, the velocity at the cell centres.
    cfl_max: ``(batch,)`` largest ``max(|u| dt / hx, |v| dt / hy)`` over all steps.
    finite: ``(batch,)`` False where the trajectory went non-finite or exceeded ``max_cfl``.
    """

    smoke: torch.Tensor
    vx: torch.Tensor
    vy: torch.Tensor
    cfl_max: torch.Tensor
    finite: torch.Tensor


def force_then_diffuse(vel: Velocity, force: torch.Tensor, nu: torch.Tensor, dt: float, grid: MACGrid) -> Velocity:
    """Steps 3-4 as PDEArena: the force joins the velocity before the explicit diffusion."""
    return diffuse_explicit(Velocity(vel.u, vel.v + dt * force), nu, dt, grid)


def diffuse_then_force(vel: Velocity, force: torch.Tensor, nu: torch.Tensor, dt: float, grid: MACGrid) -> Velocity:
    """Diffusion first, then the force: the projection then removes a hydrostatic (gradient) force
    exactly, so a fluid at rest under uniform smoke stays at rest. With the force first, its
    gradient part is diffused with zero tangential ghost values at the walls and part of it
    survives the projection as a wall-driven flow (see the tests)."""
    vel = diffuse_explicit(vel, nu, dt, grid)
    return Velocity(vel.u, vel.v + dt * force)


SPLITTINGS = {"pdearena": force_then_diffuse, "balanced": diffuse_then_force}


class SmokePlume:
    """The stepper for one grid and time step on one device (float64 by default)."""

    def __init__(
        self,
        grid: MACGrid,
        dt: float,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float64,
        splitting: str = "pdearena",
    ) -> None:
        if splitting not in SPLITTINGS:
            raise ValueError(f"splitting={splitting!r} is not one of {sorted(SPLITTINGS)}")
        self.grid, self.dt, self.device, self.dtype = grid, dt, torch.device(device), dtype
        self.splitting, self.force_and_diffuse = splitting, SPLITTINGS[splitting]
        self.project = PressureProjection(grid, device, dtype)

    def step(
        self, s: torch.Tensor, vel: Velocity, buoyancy: torch.Tensor, nu: torch.Tensor
    ) -> tuple[torch.Tensor, Velocity]:
        """Advance smoke ``s`` ``(batch, ny, nx)`` and velocity by ``dt``; ``buoyancy``, ``nu``: ``(batch, 1, 1)``."""
        g, dt = self.grid, self.dt
        s = advect_scalar(s, vel, g, dt)
        force = buoyancy * centres_to_v(s)
        vel = self.force_and_diffuse(advect_velocity(vel, g, dt), force, nu, dt, g)
        vel, _ = self.project(vel)
        return s, vel

    def cfl(self, vel: Velocity) -> torch.Tensor:
        """``(batch,)`` cells crossed in one step by the fastest face velocity."""
        return torch.maximum(
            vel.u.abs().amax(dim=(-2, -1)) * (self.dt / self.grid.hx),
            vel.v.abs().amax(dim=(-2, -1)) * (self.dt / self.grid.hy),
        )

    def run(
        self,
        s0: torch.Tensor,
        buoyancy: torch.Tensor,
        nu: torch.Tensor,
        frames: int,
        substeps: int = 1,
        skip: int = 0,
        vel0: Velocity | None = None,
        max_cfl: float = float("inf"),
        out_dtype: torch.dtype | None = None,
        buoyancy_after: torch.Tensor | None = None,
        switch_frame: int = 0,
    ) -> PlumeTrajectories:
        """Integrate from smoke ``s0`` ``(batch, ny, nx)`` and ``vel0`` (rest by default).

        Stores the state after every ``substeps`` steps, dropping the first ``skip`` of
        those frames and keeping the next ``frames``. ``buoyancy``, ``nu``: ``(batch,)``.
        With ``buoyancy_after`` ``(batch,)`` the buoyancy becomes it from the steps that lead to stored frame
        ``switch_frame`` on: the flow goes on from the state it reached under the first buoyancy.
        A trajectory that goes non-finite or moves faster than ``max_cfl`` cells per step
        is flagged in ``finite`` and frozen (its values are meaningless); the others go on.
        """
        batch = s0.shape[0]
        dev, dt = self.device, self.dtype
        out_dtype = out_dtype or dt
        s = s0.to(dev, dt)
        vel = (
            self.grid.zero_velocity(batch, dev, dt)
            if vel0 is None
            else Velocity(vel0.u.to(dev, dt), vel0.v.to(dev, dt))
        )
        b = buoyancy.to(dev, dt).reshape(batch, 1, 1)
        nu = nu.to(dev, dt).reshape(batch, 1, 1)
        shape = (batch, frames, self.grid.ny, self.grid.nx)
        out = {name: torch.empty(shape, device=dev, dtype=out_dtype) for name in FIELDS}
        cfl_max = torch.zeros(batch, device=dev, dtype=dt)
        finite = torch.ones(batch, device=dev, dtype=torch.bool)
        for frame in range(skip + frames):
            if buoyancy_after is not None and frame == skip + switch_frame:
                b = buoyancy_after.to(dev, dt).reshape(batch, 1, 1)
            for _ in range(substeps):
                s, vel = self.step(s, vel, b, nu)
                cfl = self.cfl(vel)
                cfl_max = torch.maximum(cfl_max, torch.nan_to_num(cfl, nan=float("inf")))
            if frame >= skip:
                k = frame - skip
                for name, value in zip(FIELDS, (s, *centred(vel))):
                    out[name][:, k] = value
            ok = torch.isfinite(s).all(dim=(-2, -1)) & (cfl_max <= max_cfl)
            finite &= ok
            if not bool(ok.all()):
                # trajectories are independent: silence the bad ones so they cannot spread NaN into reductions
                keep = ok[:, None, None]
                s = torch.where(keep, s, torch.zeros_like(s))
                vel = Velocity(
                    torch.where(keep, vel.u, torch.zeros_like(vel.u)), torch.where(keep, vel.v, torch.zeros_like(vel.v))
                )
        return PlumeTrajectories(**out, cfl_max=cfl_max, finite=finite)
