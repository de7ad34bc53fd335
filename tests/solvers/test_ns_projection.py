"""2D buoyancy-driven smoke (``solvers.ns2d``): the DCT, the pressure projection, and one step operator
by operator against PhiFlow.

Figures quoted in the docstrings were measured on the CPU in float64 when the tests were written.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.fft
import torch

from solvers.ns2d import MACGrid, PressureProjection, SmokePlume, Velocity, divergence, draw_inputs
from solvers.ns2d.advection import advect_scalar
from solvers.ns2d.dct import dct, dct2, idct, idct2
from solvers.ns2d.recipe import BuoyancyRecipe

from .ns_helpers import f64, small_cfg

pytestmark = pytest.mark.usefixtures("two_torch_threads")


def random_velocity(grid: MACGrid, batch: int, seed: int = 0) -> Velocity:
    gen = torch.Generator().manual_seed(seed)
    return Velocity(
        torch.randn(batch, grid.ny, grid.nx - 1, generator=gen, dtype=f64),
        torch.randn(batch, grid.ny - 1, grid.nx, generator=gen, dtype=f64),
    )


# ---------------------------------------------------------------- DCT and projection


@pytest.mark.parametrize("n", [1, 2, 5, 8, 9, 128])
def test_dct_is_scipys_type_2_and_idct_inverts_it(n):
    x = torch.randn(3, n, dtype=f64)
    np.testing.assert_allclose(dct(x).numpy(), scipy.fft.dct(x.numpy(), type=2) / 2, rtol=0, atol=1e-13 * n)
    np.testing.assert_allclose(idct(dct(x)).numpy(), x.numpy(), rtol=0, atol=1e-14)
    y = torch.randn(2, n + 3, n, dtype=f64)
    np.testing.assert_allclose(idct2(dct2(y)).numpy(), y.numpy(), rtol=0, atol=1e-14)


@pytest.mark.parametrize("nx, ny, Lx, Ly", [(128, 128, 32.0, 32.0), (48, 30, 10.0, 3.0), (5, 4, 1.0, 2.0)])
def test_projection_leaves_round_off_divergence(nx, ny, Lx, Ly):
    """Measured: max |div| drops from ~40 to ~3e-14 on 128 x 128 (relative 1e-15)."""
    grid = MACGrid(nx, ny, Lx, Ly)
    vel = random_velocity(grid, 4)
    before = divergence(vel, grid).abs().max()
    projected, _ = PressureProjection(grid)(vel)
    after = divergence(projected, grid).abs().max()
    assert after <= 1e-14 * math.sqrt(nx * ny) * before, (float(after), float(before))


def test_projection_is_the_orthogonal_projector():
    """P v is orthogonal to every discrete gradient, and P P = P: the exact Leray projector, not just some
    solenoidal field."""
    grid = MACGrid(40, 24, 8.0, 6.0)
    vel = random_velocity(grid, 2)
    project = PressureProjection(grid)
    pv, _ = project(vel)
    q = torch.randn(2, grid.ny, grid.nx, dtype=f64)
    gqu = (q[..., 1:] - q[..., :-1]) / grid.hx
    gqv = (q[..., 1:, :] - q[..., :-1, :]) / grid.hy
    inner = (pv.u * gqu).sum() * grid.hx * grid.hy + (pv.v * gqv).sum() * grid.hx * grid.hy
    scale = (pv.u.norm() * gqu.norm() + pv.v.norm() * gqv.norm()) * grid.hx * grid.hy
    assert abs(float(inner)) <= 1e-13 * float(scale)
    ppv, _ = project(pv)
    assert float((ppv.u - pv.u).abs().max()) < 1e-13 and float((ppv.v - pv.v).abs().max()) < 1e-13


def test_every_step_of_a_plume_is_divergence_free():
    """max |div v| relative to max |v| / h after each of 10 steps: measured 4e-14."""
    cfg = small_cfg()
    params, draws = draw_inputs(cfg, 0, np.arange(2))
    s = BuoyancyRecipe(cfg).initial_smoke(draws, torch.device("cpu"))
    plume = SmokePlume(cfg.grid, cfg.dt)
    vel = cfg.grid.zero_velocity(2)
    b, nu = torch.as_tensor(params["buoyancy"]).reshape(-1, 1, 1), torch.as_tensor(params["nu"]).reshape(-1, 1, 1)
    worst = 0.0
    for _ in range(10):
        s, vel = plume.step(s, vel, b, nu)
        speed = max(float(vel.u.abs().max()), float(vel.v.abs().max()))
        worst = max(worst, float(divergence(vel, cfg.grid).abs().max()) / (speed / cfg.grid.hx))
    assert speed > 0.5  # the plume moves
    assert worst < 1e-12, worst


# ---------------------------------------------------------------- operators against PhiFlow


def test_one_step_matches_phiflow_operator_by_operator():
    """Each operator of PhiFlow's smoke step (float64, CG to 1e-13) equals ours to ~1e-14."""
    phi = pytest.importorskip("phi.flow", reason="PhiFlow not installed (pip install -e '.[ns-bench]')")
    from phi import math as pm

    pm.set_global_precision(64)
    try:
        n, L, dt, b, nu = 16, 32.0, 1.5, 0.5, 0.01
        grid = MACGrid(n, n, L, L)
        pm.seed(0)
        smoke = abs(
            phi.CenteredGrid(
                phi.Noise(scale=11.0, smoothness=6.0), phi.extrapolation.BOUNDARY, x=n, y=n, bounds=phi.Box(x=L, y=L)
            )
        )
        velocity = phi.StaggeredGrid(0, phi.extrapolation.ZERO, x=n, y=n, bounds=phi.Box(x=L, y=L))
        solve = phi.Solve("CG", 1e-13, 1e-13, max_iterations=10_000)

        def ours(vel) -> Velocity:
            return Velocity(*(torch.tensor(vel.values[{"~vector": c}].numpy("y,x"))[None] for c in "xy"))

        def scalar(f) -> torch.Tensor:
            return torch.tensor(f.values.numpy("y,x"))[None]

        for _ in range(3):  # a developed, non-trivial state
            smoke = phi.advect.semi_lagrangian(smoke, velocity, dt)
            velocity = phi.advect.semi_lagrangian(velocity, velocity, dt) + dt * (smoke * (0, b)).at(velocity)
            velocity, _ = phi.fluid.make_incompressible(phi.diffuse.explicit(velocity, nu, dt), solve=solve)
        s, vel = scalar(smoke), ours(velocity)
        assert float(vel.v.abs().max()) > 0.3

        np.testing.assert_allclose(
            advect_scalar(s, vel, grid, dt), scalar(phi.advect.semi_lagrangian(smoke, velocity, dt)), atol=1e-13
        )
        # the whole step
        plume = SmokePlume(grid, dt)
        s1, vel1 = plume.step(s, vel, torch.full((1, 1, 1), b, dtype=f64), torch.full((1, 1, 1), nu, dtype=f64))
        smoke = phi.advect.semi_lagrangian(smoke, velocity, dt)
        velocity = phi.advect.semi_lagrangian(velocity, velocity, dt) + dt * (smoke * (0, b)).at(velocity)
        velocity, _ = phi.fluid.make_incompressible(phi.diffuse.explicit(velocity, nu, dt), solve=solve)
        np.testing.assert_allclose(s1, scalar(smoke), atol=1e-13)
        for a, ref in zip(vel1, ours(velocity)):
            np.testing.assert_allclose(a, ref, atol=1e-11)
    finally:
        pm.set_global_precision(32)
