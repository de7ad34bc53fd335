"""JEPA loss and variance penalty: a case worked by hand, then a literal evaluation of the formulas."""

from __future__ import annotations

import math

import pytest
import torch

from pdejepa.losses import JEPALoss, jepa_loss, variance_penalty

LN_EPS = 1e-5  # F.layer_norm's default, which I-JEPA uses


def smooth_l1(d: float) -> float:
    return 0.5 * d * d if abs(d) < 1 else abs(d) - 0.5


def literal_jepa(pred: torch.Tensor, target: torch.Tensor, kind: str) -> float:
    """Layer norm of each target token and the elementwise distance, written out with Python loops."""
    b, n, d = target.shape
    total = 0.0
    for i in range(b):
        for j in range(n):
            y = [float(v) for v in target[i, j]]
            mean = sum(y) / d
            var = sum((v - mean) ** 2 for v in y) / d  # biased, as layer norm
            for k in range(d):
                diff = float(pred[i, j, k]) - (y[k] - mean) / math.sqrt(var + LN_EPS)
                total += smooth_l1(diff) if kind == "smooth_l1" else abs(diff)
    return total / (b * n * d)


def literal_variance(pred: torch.Tensor, eps: float = 1e-4) -> float:
    z = pred.reshape(-1, pred.shape[-1])
    m, d = z.shape
    out = 0.0
    for k in range(d):
        mean = sum(float(z[i, k]) for i in range(m)) / m
        var = sum((float(z[i, k]) - mean) ** 2 for i in range(m)) / (m - 1)
        out += max(0.0, 1 - math.sqrt(var + eps))
    return out / d


def test_hand_checked_case():
    # target tokens [1, 3] and [0, 4]: means 2, 2; variances 1, 4 -> normalised [-a, a] and [-b, b]
    target = torch.tensor([[[1.0, 3.0], [0.0, 4.0]]], dtype=torch.float64)
    pred = torch.tensor([[[0.0, 1.0], [-3.0, 1.5]]], dtype=torch.float64)
    a, b = 1 / math.sqrt(1 + LN_EPS), 2 / math.sqrt(4 + LN_EPS)
    # differences a, 1 - a, b - 3, 1.5 - b: only |b - 3| is past smooth-L1's beta = 1
    by_hand_smooth = (0.5 * a**2 + 0.5 * (1 - a) ** 2 + (3 - b - 0.5) + 0.5 * (1.5 - b) ** 2) / 4
    by_hand_l1 = (a + (1 - a) + (3 - b) + (1.5 - b)) / 4
    assert jepa_loss(pred, target).item() == pytest.approx(by_hand_smooth, rel=1e-12)
    assert jepa_loss(pred, target, "l1").item() == pytest.approx(by_hand_l1, rel=1e-12)
    assert by_hand_l1 == pytest.approx((1 + 2 + 0.5) / 4, abs=1e-5)  # a, b ~ 1


@pytest.mark.parametrize("kind", ["smooth_l1", "l1"])
@pytest.mark.parametrize("scale", [0.3, 3.0])  # smooth-L1 mostly quadratic, mostly linear
def test_jepa_loss_matches_the_literal_formula(kind, scale):
    g = torch.Generator().manual_seed(1)
    target = 5 + 2 * torch.randn(3, 4, 6, generator=g, dtype=torch.float64)  # layer norm must remove offset and scale
    pred = scale * torch.randn(3, 4, 6, generator=g, dtype=torch.float64)
    assert jepa_loss(pred, target, kind).item() == pytest.approx(literal_jepa(pred, target, kind), rel=1e-12)


def test_variance_penalty_matches_formula_and_detects_collapse():
    g = torch.Generator().manual_seed(2)
    pred = 0.5 * torch.randn(4, 5, 6, generator=g, dtype=torch.float64)
    assert variance_penalty(pred).item() == pytest.approx(literal_variance(pred), rel=1e-12)
    spread = 5 * torch.randn(8, 16, 6, generator=g)
    assert variance_penalty(spread).item() == 0.0
    constant = torch.full((4, 5, 6), 0.7)
    assert variance_penalty(constant).item() == pytest.approx(1 - math.sqrt(1e-4), rel=1e-6)


def test_module_terms_weights_and_gradients():
    g = torch.Generator().manual_seed(3)
    pred = torch.randn(2, 5, 8, generator=g, requires_grad=True)
    target = torch.randn(2, 5, 8, generator=g)
    loss, terms = JEPALoss("l1")(pred, target)
    assert set(terms) == {"regression", "variance"} and loss.item() == terms["regression"].item()
    assert not terms["variance"].requires_grad
    loss, terms = JEPALoss("l1", var_weight=2.0)(0.1 * pred, target)  # small spread: hinge active
    assert terms["variance"].item() > 0
    assert loss.item() == pytest.approx((terms["regression"] + 2.0 * terms["variance"]).item())
    loss.backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all()


def test_errors_name_the_bad_value():
    x = torch.zeros(2, 3, 4)
    with pytest.raises(ValueError, match="'l2'"):
        jepa_loss(x, x, "l2")
    with pytest.raises(ValueError, match="'mse'"):
        JEPALoss("mse")
    with pytest.raises(ValueError, match="shapes differ"):
        jepa_loss(x, torch.zeros(2, 3, 5))
    with pytest.raises(ValueError, match="batch, n, dim"):
        variance_penalty(torch.zeros(6, 4))


def test_positional_variance_sees_a_representation_collapsed_to_positions():
    """Tokens equal to their position's embedding vary across positions but not across samples."""
    g = torch.Generator().manual_seed(0)
    embedding = 3 * torch.randn(10, 8, generator=g)
    positions = torch.stack([torch.randperm(10, generator=g)[:6] for _ in range(32)])
    collapsed = embedding[positions]  # (32, 6, 8): position alone
    assert variance_penalty(collapsed).item() < 0.05  # the flattened form is fooled
    assert variance_penalty(collapsed, positions=positions).item() == pytest.approx(1 - math.sqrt(1e-4), rel=1e-5)
    healthy = collapsed + 2 * torch.randn(32, 6, 8, generator=g)
    assert variance_penalty(healthy, positions=positions).item() < 0.05
    # literal: per position, the unbiased variance over the samples predicting it
    pos, z = positions.reshape(-1), healthy.reshape(-1, 8)
    hinge = [torch.relu(1 - torch.sqrt(z[pos == p].var(dim=0) + 1e-4)) for p in range(10) if (pos == p).sum() >= 2]
    assert variance_penalty(healthy, positions=positions).item() == pytest.approx(
        torch.cat(hinge).mean().item(), rel=1e-5
    )
