"""VICReg against a literal, loop-by-loop evaluation of its formula."""

from __future__ import annotations

import math

import pytest
import torch

from pdejepa.losses import VICRegLoss


def literal_vicreg(za: torch.Tensor, zb: torch.Tensor) -> float:
    """Bardes et al. (2022), written out with Python loops over samples and dimensions."""
    n, d = za.shape
    inv = sum(float((za[i, k] - zb[i, k]) ** 2) for i in range(n) for k in range(d)) / (n * d)
    var = 0.0
    cov = 0.0
    for z in (za, zb):
        mean = [sum(float(z[i, k]) for i in range(n)) / n for k in range(d)]
        c = [
            [sum((float(z[i, p]) - mean[p]) * (float(z[i, q]) - mean[q]) for i in range(n)) / (n - 1) for q in range(d)]
            for p in range(d)
        ]
        var += sum(max(0.0, 1 - math.sqrt(c[k][k] + 1e-4)) for k in range(d)) / d / 2
        cov += sum(c[p][q] ** 2 for p in range(d) for q in range(d) if p != q) / d
    return 25 * inv + 25 * var + 1 * cov


@pytest.mark.parametrize("scale", [0.1, 1.0, 3.0])  # hinge active, partly active, inactive
def test_vicreg_matches_the_literal_formula(scale):
    g = torch.Generator().manual_seed(0)
    za = scale * torch.randn(12, 7, generator=g, dtype=torch.float64)
    zb = za + 0.3 * torch.randn(12, 7, generator=g, dtype=torch.float64)
    loss, terms = VICRegLoss()(za, zb)
    assert loss.item() == pytest.approx(literal_vicreg(za, zb), rel=1e-12)
    assert set(terms) == {"invariance", "variance", "covariance"}


def test_vicreg_penalises_collapse_and_has_gradients():
    z = torch.zeros(16, 8, requires_grad=True)
    loss, terms = VICRegLoss()(z, z)
    assert terms["variance"].item() == pytest.approx(1 - math.sqrt(1e-4))  # hinge fully active
    assert terms["invariance"].item() == 0 and terms["covariance"].item() == 0
    loss.backward()
    with pytest.raises(ValueError, match="batch"):
        VICRegLoss()(torch.zeros(1, 4), torch.zeros(1, 4))
