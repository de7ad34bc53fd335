"""Schedules (lr, weight decay, EMA momentum) and the EMA target update."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from pdejepa.train import cosine, ema_update, linear, warmup_cosine


def test_warmup_cosine_endpoints_midpoints_and_monotonicity():
    total, warmup, start, peak, final = 100, 20, 1e-4, 1e-3, 1e-6

    def lr(s):
        return warmup_cosine(s, total, warmup, start, peak, final)

    assert lr(0) == pytest.approx(start)
    assert lr(10) == pytest.approx((start + peak) / 2)  # half-way through the linear warmup
    assert lr(warmup) == pytest.approx(peak)
    assert lr(60) == pytest.approx((peak + final) / 2)  # half-way through the cosine
    assert lr(total) == pytest.approx(final)
    assert lr(total + 7) == pytest.approx(final)  # overshoot holds the final value
    values = [lr(s) for s in range(total + 1)]
    assert all(a < b for a, b in zip(values[:warmup], values[1 : warmup + 1]))
    assert all(a > b for a, b in zip(values[warmup:], values[warmup + 1 :]))
    assert warmup_cosine(0, 10, 0, 0.0, 1.0, 0.0) == 1.0  # no warmup starts at the peak


def test_cosine_weight_decay_and_linear_momentum():
    assert cosine(0, 50, 0.04, 0.4) == pytest.approx(0.04)
    assert cosine(25, 50, 0.04, 0.4) == pytest.approx(0.22)
    assert cosine(50, 50, 0.04, 0.4) == pytest.approx(0.4)
    wd = [cosine(s, 50, 0.04, 0.4) for s in range(51)]
    assert all(a < b for a, b in zip(wd, wd[1:]))
    assert linear(0, 80, 0.996, 1.0) == pytest.approx(0.996)
    assert linear(20, 80, 0.996, 1.0) == pytest.approx(0.997)
    assert linear(80, 80, 0.996, 1.0) == pytest.approx(1.0)


def test_schedule_errors():
    with pytest.raises(ValueError, match="total"):
        cosine(0, 0, 1.0, 0.0)
    with pytest.raises(ValueError, match="step"):
        linear(-1, 10, 1.0, 0.0)
    with pytest.raises(ValueError, match="warmup"):
        warmup_cosine(0, 10, 11, 0.0, 1.0, 0.0)


def pair(seed: int = 0) -> tuple[nn.Module, nn.Module]:
    """Online and target networks with different weights and a buffer (BatchNorm statistics)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        online = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
        target = copy.deepcopy(online)
        for p in target.parameters():
            p.data.normal_()
    online.train()(torch.randn(8, 3, generator=torch.Generator().manual_seed(seed)))  # moves online's running stats
    return online, target


def test_ema_update_matches_the_formula_and_copies_buffers():
    online, target = pair()
    before = {k: v.clone() for k, v in target.state_dict().items()}
    ema_update(target, online, 0.9)
    params = dict(online.named_parameters())
    for name, p in target.named_parameters():
        torch.testing.assert_close(p, 0.9 * before[name] + 0.1 * params[name], rtol=1e-6, atol=1e-7)
    for name, b in online.named_buffers():
        assert torch.equal(dict(target.named_buffers())[name], b)
    for p in target.parameters():  # no autograd history on the target, no gradients on either side
        assert p.is_leaf and p.grad_fn is None and p.grad is None
    assert all(p.grad is None for p in online.parameters())


def test_ema_momentum_one_keeps_and_zero_copies():
    online, target = pair(1)
    before = copy.deepcopy(target)
    ema_update(target, online, 1.0)
    for p, q in zip(target.parameters(), before.parameters()):
        assert torch.equal(p, q)
    ema_update(target, online, 0.0)
    for p, q in zip(target.parameters(), online.parameters()):
        assert torch.equal(p, q)


def test_ema_refuses_a_momentum_outside_0_1_and_networks_that_differ():
    online, target = pair()
    with pytest.raises(ValueError, match="1.5"):
        ema_update(target, online, 1.5)
    with pytest.raises(ValueError, match="parameters"):
        ema_update(nn.Linear(3, 4), online, 0.5)
