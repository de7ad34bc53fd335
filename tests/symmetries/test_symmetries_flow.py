"""Navier-Stokes symmetries on coordinate channels, checked on an exact solution (Taylor-Green)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from symmetries.flow import FLOW_GROUPS, FlowTrajectories, boost, rotate, scale, vorticity_residual

NU = 0.05


@pytest.fixture(scope="module")
def taylor_green() -> FlowTrajectories:
    """``v = (sin x cos y, -cos x sin y) exp(-2 nu t)`` solves Navier-Stokes exactly."""
    n, L = 64, 2 * math.pi
    x = (torch.arange(n, dtype=torch.float64) + 0.5) * L / n
    t = torch.linspace(0, 1, 41, dtype=torch.float64)
    yy, xx = torch.meshgrid(x, x, indexing="ij")
    decay = torch.exp(-2 * NU * t)[:, None, None]
    v = torch.stack([torch.sin(xx) * torch.cos(yy) * decay, -torch.cos(xx) * torch.sin(yy) * decay], 1)
    smoke = (torch.sin(xx) * torch.sin(yy))[None].expand(len(t), -1, -1)  # passive, only to be carried along
    data = FlowTrajectories.on_grid(
        v[None].expand(3, -1, -1, -1, -1).clone(), {"tracer": smoke[None].expand(3, -1, -1, -1).clone()}, x, x, t
    )
    return replace(data, params={"buoyancy": torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)})


ARGUMENTS = {
    "translation": torch.tensor([[0.3, -0.2], [5.0, 1.0], [-2.0, 0.0]], dtype=torch.float64),
    "rotation": torch.tensor([0.4, -0.7, 2.0], dtype=torch.float64),
    "galilean_boost": torch.tensor([[0.3, -0.2], [1.0, 1.0], [-0.5, 0.0]], dtype=torch.float64),
    "scaling": torch.tensor([0.3, -0.5, 0.1], dtype=torch.float64),
}


@pytest.mark.parametrize("group", sorted(FLOW_GROUPS))
def test_flow_groups_map_the_exact_solution_to_solutions(taylor_green, group):
    base = vorticity_residual(taylor_green, NU)
    assert base.max() < 5e-3  # second-order differences on a 64^2 grid
    image = FLOW_GROUPS[group](taylor_green, ARGUMENTS[group])
    # the residual of an affine image is the image of the residual: equal to round-off
    torch.testing.assert_close(vorticity_residual(image, NU), base, rtol=1e-8, atol=1e-12)


def test_a_half_applied_rotation_or_boost_breaks_the_equations(taylor_green):
    base = vorticity_residual(taylor_green, NU).max()
    theta = torch.full((3,), 0.4, dtype=torch.float64)
    coords_only = replace(taylor_green, coords=rotate(taylor_green, theta).coords)  # velocity left unrotated
    assert vorticity_residual(coords_only, NU).min() > 100 * base
    c = torch.tensor([[1.0, 0.5]] * 3, dtype=torch.float64)
    frame_only = replace(taylor_green, coords=boost(taylor_green, c).coords)  # moved frame, velocity not boosted
    assert vorticity_residual(frame_only, NU).min() > 100 * base


def test_group_actions_on_carried_quantities(taylor_green):
    theta = torch.tensor([math.pi / 2, 0.0, math.pi], dtype=torch.float64)
    turned = rotate(taylor_green, theta)
    torch.testing.assert_close(turned.gravity[0], torch.tensor([-1.0, 0.0], dtype=torch.float64))  # gravity turns too
    torch.testing.assert_close(turned.scalars["tracer"], taylor_green.scalars["tracer"])  # scalars keep their values
    lam = torch.tensor([2.0, 1.0, 0.5], dtype=torch.float64)
    with_smoke = replace(taylor_green, scalars={**taylor_green.scalars, "smoke": taylor_green.scalars["tracer"]})
    scaled = scale(with_smoke, torch.log(lam))
    torch.testing.assert_close(scaled.params["buoyancy"], taylor_green.params["buoyancy"])  # the label stays
    torch.testing.assert_close(scaled.scalars["smoke"], with_smoke.scalars["smoke"] / lam[:, None, None, None] ** 3)
    torch.testing.assert_close(
        scaled.scalars["tracer"], with_smoke.scalars["tracer"]
    )  # a passive scalar keeps its values
    torch.testing.assert_close(scaled.times[0], taylor_green.times[0] * 4)
    back = rotate(rotate(taylor_green, theta), -theta)
    torch.testing.assert_close(back.velocity, taylor_green.velocity)


def test_flow_augmentation_is_per_sample_and_refuses_unknown_groups(taylor_green):
    from symmetries.flow import FlowAugmentation

    aug = FlowAugmentation({"rotation": math.pi, "translation": 3.0, "scaling": 0.3}, system="ns2d")
    ids = torch.tensor([4, 5, 6])
    whole = aug(taylor_green, seed=0, ids=ids)
    torch.testing.assert_close(
        vorticity_residual(whole, NU), vorticity_residual(taylor_green, NU), rtol=1e-8, atol=1e-12
    )
    part = aug(
        FlowTrajectories(
            taylor_green.velocity[1:],
            {k: v[1:] for k, v in taylor_green.scalars.items()},
            taylor_green.coords[1:],
            taylor_green.times[1:],
            taylor_green.gravity[1:],
            {k: v[1:] for k, v in taylor_green.params.items()},
        ),
        seed=0,
        ids=ids[1:],
    )
    torch.testing.assert_close(part.coords, whole.coords[1:])
    with pytest.raises(ValueError, match="available"):
        FlowAugmentation({"shear": 1.0})


@pytest.mark.parametrize("system", ["ns2d", "ns2d-buoyancy"])
def test_hand_written_maps_are_the_exponentials_of_the_derived_generators(system):
    from symmetries.flow import verify_group
    from symmetries.flow_algebra import flow_generators

    derived = flow_generators(system)
    for group in FLOW_GROUPS:
        if isinstance(derived[group], str):
            assert group == "rotation" and system == "ns2d-buoyancy"
            continue
        verify_group(group, system)


def test_a_map_that_disagrees_with_the_derivation_is_caught():
    from symmetries.flow import verify_group

    def old_scaling(data, log_scale):  # the buoyancy scaled instead of the smoke: not exp of the derived generator
        lam = torch.exp(log_scale)
        params = {"buoyancy": torch.ones_like(lam) / lam**3}
        return replace(scale(replace(data, scalars={}), log_scale), scalars=data.scalars, params=params)

    with pytest.raises(AssertionError, match="disagree on s"):
        verify_group("scaling", "ns2d-buoyancy", old_scaling)

    def rotation_without_velocity(data, theta):
        return replace(rotate(data, theta), velocity=data.velocity)

    with pytest.raises(AssertionError, match="disagree on u"):
        verify_group("rotation", "ns2d", rotation_without_velocity)


def test_groups_the_derivation_lacks_are_refused_with_the_reason():
    from symmetries.flow import FlowAugmentation

    with pytest.raises(ValueError, match="rotation.*symmetry of ns2d but not of ns2d-buoyancy.*gravity"):
        FlowAugmentation({"rotation": 0.5, "translation": 1.0})
    FlowAugmentation({"translation": 1.0, "galilean_boost": 0.1, "scaling": 0.2})  # all in the smoke algebra
    with pytest.raises(ValueError, match="unknown flow system"):
        FlowAugmentation({"translation": 1.0}, system="euler")


@pytest.fixture(scope="module")
def smoke_trajectories() -> tuple[FlowTrajectories, torch.Tensor]:
    """Two trajectories of the smoke solver (32 x 32 cells, 8 frames), in float64."""
    import numpy as np

    from solvers.ns2d import BuoyancyConfig, SmokePlume, draw_inputs
    from solvers.ns2d.recipe import BuoyancyRecipe

    cfg = BuoyancyConfig.default(nx=32, ny=32, nt=8, skip_nt=2)
    params, draws = draw_inputs(cfg, 0, np.arange(2))
    s0 = BuoyancyRecipe(cfg).initial_smoke(draws, torch.device("cpu"))
    buoyancy, nu = (torch.as_tensor(params[k], dtype=torch.float64) for k in ("buoyancy", "nu"))
    run = SmokePlume(cfg.grid, cfg.dt).run(s0, buoyancy, nu, cfg.nt, cfg.substeps, cfg.skip_nt)
    x = (torch.arange(cfg.nx, dtype=torch.float64) + 0.5) * cfg.grid.hx
    y = (torch.arange(cfg.ny, dtype=torch.float64) + 0.5) * cfg.grid.hy
    times = torch.as_tensor(cfg.output_times(), dtype=torch.float64)
    velocity = torch.stack([run.vx, run.vy], 2).to(torch.float64)
    smoke = {"smoke": run.smoke.to(torch.float64)}
    data = FlowTrajectories.on_grid(velocity, smoke, x, y, times, {"buoyancy": buoyancy})
    return data, nu


def test_derived_groups_keep_the_residual_of_solver_trajectories(smoke_trajectories):
    """Each group of the smoke algebra maps the solver's flows to flows with the image of their residual."""
    from symmetries.flow import FlowAugmentation
    from symmetries.flow_algebra import flow_generators

    data, nu = smoke_trajectories
    base = vorticity_residual(data, nu)
    assert torch.isfinite(base).all() and base.max() < 1.0  # the solver's flow, to its discretisation error
    groups = [g for g, found in flow_generators("ns2d-buoyancy").items() if not isinstance(found, str)]
    assert sorted(groups) == ["galilean_boost", "scaling", "translation"]
    arguments = {g: ARGUMENTS[g][:2] for g in groups}
    for group in groups:
        image = FLOW_GROUPS[group](data, arguments[group])
        torch.testing.assert_close(vorticity_residual(image, nu), base, rtol=1e-8, atol=1e-12)
    combined = FlowAugmentation({"translation": 4.0, "galilean_boost": 0.1, "scaling": 0.3})(data, 0, torch.arange(2))
    torch.testing.assert_close(vorticity_residual(combined, nu), base, rtol=1e-8, atol=1e-12)
    wrong = replace(scale(data, torch.tensor([0.3, -0.2])), scalars=data.scalars)  # smoke left unscaled
    assert (vorticity_residual(wrong, nu) - base).abs().max() > 1e-3
