"""SIGReg against a literal evaluation of the Epps-Pulley statistic, and what it measures."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate

from pdejepa.losses import anti_collapse, anti_collapse_of_maps, epps_pulley, random_directions, sigreg


def literal_statistic(x: np.ndarray, t: np.ndarray) -> float:
    """``N * sum_t w(t) |phi_N(t) - exp(-t^2/2)|^2`` by the trapezoidal rule on the symmetric grid ``t``."""
    integrand = []
    for tk in t:
        phi = np.mean(np.exp(1j * tk * x))
        integrand.append(math.exp(-(tk**2) / 2) * abs(phi - math.exp(-(tk**2) / 2)) ** 2)
    return len(x) * float(np.trapezoid(integrand, t))


@pytest.mark.parametrize("loc, scale", [(0.0, 1.0), (0.5, 1.0), (0.0, 0.2), (0.0, 3.0)])
def test_epps_pulley_is_the_trapezoidal_rule_on_the_symmetric_interval(loc, scale):
    x = loc + scale * np.random.default_rng(0).standard_normal(40)
    expected = literal_statistic(x, np.linspace(-3, 3, 33))  # 17 knots on [0, 3], mirrored
    got = epps_pulley(torch.tensor(x)[:, None])
    assert got.shape == (1,) and got.item() == pytest.approx(expected, rel=1e-12)


def test_with_many_knots_it_converges_to_the_integral():
    x = np.random.default_rng(1).standard_normal(25) * 1.3

    def integrand(t: float) -> float:
        phi = np.mean(np.exp(1j * t * x))
        return math.exp(-(t**2) / 2) * abs(phi - math.exp(-(t**2) / 2)) ** 2

    exact = len(x) * integrate.quad(integrand, -3, 3, epsabs=1e-13, epsrel=1e-12)[0]
    assert epps_pulley(torch.tensor(x)[:, None], knots=4001).item() == pytest.approx(exact, rel=1e-6)


def test_sigreg_is_small_for_an_isotropic_gaussian_and_large_for_collapse_or_anisotropy():
    g = torch.Generator().manual_seed(0)
    directions = random_directions(16, 128, torch.Generator().manual_seed(1), torch.device("cpu"))
    gaussian = torch.randn(2048, 16, generator=g, dtype=torch.float64)
    collapsed = torch.zeros(2048, 16, dtype=torch.float64)
    stretched = gaussian * torch.cat([torch.full((8,), 3.0), torch.full((8,), 0.1)]).double()
    small, large = sigreg(gaussian, directions), sigreg(collapsed, directions)
    assert small < 2.0  # its expectation over samples is about 1, whatever N
    # all samples at 0: phi_N = 1, so the statistic is N times the integral of w(t) (1 - exp(-t^2/2))^2
    t = np.linspace(-3, 3, 33)
    assert large.item() == pytest.approx(2048 * np.trapezoid(np.exp(-(t**2) / 2) * (1 - np.exp(-(t**2) / 2)) ** 2, t))
    assert sigreg(stretched, directions) > 20 * small


def test_sigreg_has_gradients_that_spread_collapsed_embeddings():
    z = (0.01 * torch.randn(256, 4, generator=torch.Generator().manual_seed(0))).requires_grad_()
    directions = random_directions(4, 32, torch.Generator().manual_seed(0), torch.device("cpu")).float()
    opt = torch.optim.SGD([z], lr=0.05)
    start = sigreg(z, directions).item()
    for _ in range(200):
        opt.zero_grad()
        sigreg(z, directions).backward()
        opt.step()
    assert sigreg(z, directions).item() < 0.1 * start and 0.5 < z.detach().std(0).mean() < 1.5


def test_random_directions_are_unit_vectors_drawn_from_the_generator():
    a = random_directions(8, 5, torch.Generator().manual_seed(3), torch.device("cpu"))
    torch.testing.assert_close(a.norm(dim=0), torch.ones(5, dtype=torch.float64))
    torch.testing.assert_close(a, random_directions(8, 5, torch.Generator().manual_seed(3), torch.device("cpu")))


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r"samples \(N >= 2, slices\), got shape \(1, 3\)"):
        epps_pulley(torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"z \(N, D\) and directions \(D, M\)"):
        sigreg(torch.zeros(4, 3), torch.zeros(2, 5))


@pytest.mark.parametrize("kind", ["sigreg", "vicreg"])
def test_the_term_of_latent_maps_is_the_mean_of_its_places_and_sees_collapse_at_each_place(kind):
    g = torch.Generator().manual_seed(0)
    spread = torch.randn(512, 4, 6, 6, generator=g, dtype=torch.float64)  # every place: N(0, I) over the batch
    value, terms = anti_collapse_of_maps(kind, spread, slices=32, seed=3, places=5)
    drawn = torch.randperm(36, generator=torch.Generator().manual_seed(4))[:5]
    literal = [anti_collapse(kind, spread.flatten(2)[..., p], 32, 3)[0] for p in drawn.tolist()]
    assert torch.allclose(value, torch.stack(literal).mean())
    assert set(terms) == set(anti_collapse(kind, spread[..., 0, 0], 32, 3)[1])
    # the same map for every sample: the places differ, each place's vectors do not, so the term is large
    collapsed = spread[:1].expand(512, -1, -1, -1) + 1e-3 * torch.randn(512, 4, 6, 6, generator=g, dtype=torch.float64)
    assert anti_collapse_of_maps(kind, collapsed, slices=32, seed=3, places=5)[0] > 10 * value
