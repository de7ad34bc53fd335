"""Derived symmetries acting on our solvers' trajectories: solutions must stay solutions.

The PDE residual ``||u_t - F(u)|| / ||u_t||`` (sixth-order differences in time, spectral in x)
of a transformed trajectory must stay at the level of the untransformed one, while a
deliberately wrong transformation is off by orders of magnitude.
"""

from __future__ import annotations


import numpy as np
import pytest
import sympy as sp
import torch

from solvers import SimulationConfig, draw_inputs, simulate
from symmetries.augment import SymmetryAugmentation, available_groups
from symmetries.cole_hopf import ColeHopfSuperposition
from symmetries.derive import derive
from symmetries.exponentiate import GroupElement, eps, exponentiate
from symmetries.jets import EvolutionEquation, t, u, x
from symmetries.randomness import per_sample
from symmetries.registry import EQUATIONS
from symmetries.residual import pde_residual
from symmetries.transforms import GridTrajectories, NotASymmetryError, PointTransform, fourier_shift, time_window

STRENGTH = {
    "space_shift": 0.3,
    "time_shift": 1.0,
    "galilean_boost": 0.5,
    "scaling": 0.3,
    "amplitude_scaling": 0.5,
    "superposition": 0.5,
    "cole_hopf": 0.8,
}


def trajectories(name: str, batch: int = 3, t_end: float | None = None, nt: int = 121) -> GridTrajectories:
    """``batch`` zero-mean trajectories of the default recipe, finely sampled in time."""
    base = SimulationConfig.default(name)
    cfg = SimulationConfig.default(name, nt=nt, t_end=t_end or base.t_end / 4)
    params, draws = draw_inputs(cfg, 7, np.arange(batch))
    u0 = cfg.initial_condition().build(torch.from_numpy(draws), cfg.nx)
    u0 = u0 - u0.mean(dim=-1, keepdim=True)
    p = {k: torch.from_numpy(v) for k, v in params.items()}
    times = torch.from_numpy(cfg.output_times())
    out = simulate(cfg.eq, u0, p, times, cfg.dt)
    L = p.pop("L")
    return GridTrajectories(out.u, times[0].expand(batch).clone(), (times[1] - times[0]).expand(batch).clone(), L, p)


@pytest.fixture(scope="module")
def data():
    return {name: trajectories(name) for name in EQUATIONS}


@pytest.mark.parametrize("name", sorted(EQUATIONS))
def test_every_available_group_maps_solutions_to_solutions(data, name):
    text = EQUATIONS[name]
    eq = EvolutionEquation.parse(text)
    d = data[name]
    base = pde_residual(eq, d).max().item()
    assert base < 1e-4  # the sampled trajectory itself solves the equation
    groups = available_groups(text)
    assert {"space_shift", "time_shift", "galilean_boost"} <= set(groups) or name == "heat"
    for group, transform in groups.items():
        s = STRENGTH[group] * (float(d.L[0]) / 2 if group == "space_shift" else 1.0)
        epsilon = torch.linspace(-s, s, len(d.L), dtype=torch.float64)  # a different element per sample
        if isinstance(transform, PointTransform):
            image = transform(d, epsilon)
        else:
            image = transform(d, epsilon, per_sample(0, torch.arange(len(d.L)), 0, transform.n_draws))
        residual = pde_residual(eq, image).max().item()
        # A boost moves features faster, so the sixth-order time differences lose accuracy (KdV: 12x at
        # eps = 0.5); a wrong map is off by 1e3-1e7x (tests below), so 30x still separates them.
        assert residual < max(30 * base, 1e-11), (group, base, residual)
        if group not in ("time_shift",):
            assert (image.u - d.u).abs().max() > 1e-3 or not torch.equal(image.L, d.L), f"{group} changed nothing"


@pytest.mark.parametrize("name", ["burgers", "kdv", "ks"])
def test_a_wrong_boost_is_caught_by_the_residual(data, name):
    eq = EvolutionEquation.parse(EQUATIONS[name])
    d = data[name]
    base = pde_residual(eq, d).max().item()
    boost_without_shift = PointTransform(GroupElement(t, x + eps * t, u), name="boost without +eps")
    wrong = pde_residual(eq, boost_without_shift(d, torch.full((len(d.L),), 0.5))).max().item()
    assert wrong > 1e3 * base
    correct = PointTransform(GroupElement(t, x + eps * t, u + eps), name="boost")
    assert pde_residual(eq, correct(d, torch.full((len(d.L),), 0.5))).max().item() < 10 * base


def test_wrong_scaling_weight_is_caught(data):
    eq = EvolutionEquation.parse(EQUATIONS["kdv"])
    d = data["kdv"]
    base = pde_residual(eq, d).max().item()
    wrong = PointTransform(
        GroupElement(t * sp.exp(3 * eps), x * sp.exp(eps), u * sp.exp(-eps))
    )  # KdV needs exp(-2 eps)
    assert pde_residual(eq, wrong(d, torch.full((3,), 0.3))).max().item() > 1e3 * base


def test_cole_hopf_superposition_is_a_burgers_symmetry_beyond_point_symmetries(data):
    eq = EvolutionEquation.parse(EQUATIONS["burgers"])
    d = data["burgers"]
    transform = available_groups(EQUATIONS["burgers"])["cole_hopf"]
    assert isinstance(transform, ColeHopfSuperposition)
    image = transform(d, torch.full((3,), 0.9), per_sample(1, torch.arange(3), 0, transform.n_draws))
    base = pde_residual(eq, d).max().item()
    assert pde_residual(eq, image).max().item() < 10 * base
    assert (image.u - d.u).abs().max() > 1e-2
    with pytest.raises(NotASymmetryError, match="zero-mean"):
        transform(
            GridTrajectories(d.u + 0.1, d.t0, d.dt, d.L, d.params),
            torch.full((3,), 0.5),
            per_sample(1, torch.arange(3), 0, transform.n_draws),
        )
    with pytest.raises(NotASymmetryError, match="epsilon"):
        transform(d, torch.full((3,), 1.5), per_sample(1, torch.arange(3), 0, transform.n_draws))


def test_transforms_refuse_where_they_are_not_symmetries(data):
    heat = derive(EQUATIONS["heat"])
    boost = next(g for g in heat.generators if g.tau == 0 and g.xi.has(t))
    transform = PointTransform(exponentiate(boost), heat.equation.params, name="heat boost")
    assert transform.respects == {"unbounded"}  # u exp(-eps x ...) is not periodic
    with pytest.raises(NotASymmetryError, match="periodic"):
        transform(data["heat"], torch.full((3,), 0.1))
    burgers = derive(EQUATIONS["burgers"])
    projective = next(g for g in burgers.generators if g.tau == t**2)
    with pytest.raises(NotImplementedError, match="not affine"):
        PointTransform(exponentiate(projective), burgers.equation.params)
    assert "space_shift" in available_groups(EQUATIONS["heat"]) and "v5" not in available_groups(EQUATIONS["heat"])
    with pytest.raises(NotASymmetryError, match="available groups"):
        SymmetryAugmentation(EQUATIONS["ks"], {"scaling": 0.1})  # KS has no scaling symmetry


def test_augmentation_is_per_sample_and_batch_size_independent(data):
    d = data["burgers"]
    aug = SymmetryAugmentation(
        EQUATIONS["burgers"], {"galilean_boost": 0.5, "space_shift": 2.0, "scaling": 0.2, "cole_hopf": 0.5}
    )
    ids = torch.tensor([10, 11, 12])
    whole = aug(d, seed=3, ids=ids)
    for i in range(3):
        alone = aug(d.select(torch.tensor([i])), seed=3, ids=ids[i : i + 1])
        torch.testing.assert_close(alone.u[0], whole.u[i], rtol=0, atol=1e-12)
        torch.testing.assert_close(alone.L[0], whole.L[i])
    assert len(set(whole.L.tolist())) == 3  # each sample got its own scaling
    assert not torch.equal(aug(d, seed=4, ids=ids).u, whole.u)


def test_fourier_shift_and_time_window_are_exact(data):
    d = data["ks"]
    full_period = fourier_shift(d.u, d.L[:, None].expand(-1, d.u.shape[1]), d.L)
    torch.testing.assert_close(full_period, d.u, rtol=0, atol=1e-12)
    there = fourier_shift(d.u, torch.full(d.u.shape[:2], 1.7, dtype=torch.float64), d.L)
    back = fourier_shift(there, torch.full(d.u.shape[:2], -1.7, dtype=torch.float64), d.L)
    torch.testing.assert_close(back, d.u, rtol=0, atol=1e-12)
    w = time_window(d, torch.tensor([0, 5, 9]), 20)
    assert w.u.shape == (3, 20, d.u.shape[2])
    torch.testing.assert_close(w.u[1], d.u[1, 5:25])
    torch.testing.assert_close(w.t0, d.t0 + torch.tensor([0, 5, 9], dtype=torch.float64) * d.dt)
    with pytest.raises(ValueError, match="window"):
        time_window(d, torch.tensor([0, 0, 200]), 20)
