"""Probes on frozen tokens: shapes, that the attentive probe attends, caching tokens, determinism."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from pdejepa.eval import AttentiveProbe, LinearProbe, accuracy, frozen_tokens, train_probe


def seeded(seed: int, make):
    """Build a module with its default initialisation drawn from ``seed`` without touching the global RNG."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return make()


def one_token_carries_the_class(num: int, seed: int, n: int = 6, dim: int = 16, classes: int = 4):
    """Every token shows a class (one-hot in the first ``classes`` channels), but only the marked one is the label.

    The marker is channel ``classes``, at a random position; distractor tokens show random classes, so
    mean-pooling sees the label diluted among ``n - 1`` random votes while attention can find it.
    """
    g = torch.Generator().manual_seed(seed)
    shown = torch.randint(classes, (num, n), generator=g)
    labels = torch.randint(classes, (num,), generator=g)
    where = torch.randint(n, (num,), generator=g)
    rows = torch.arange(num)
    shown[rows, where] = labels
    tokens = 0.1 * torch.randn(num, n, dim, generator=g)
    tokens[..., :classes] += 3 * nn.functional.one_hot(shown, classes)
    tokens[rows, where, classes] += 3
    return tokens, labels


def test_probe_shapes():
    x = torch.randn(5, 7, 12)
    assert AttentiveProbe(12, 3, heads=4)(x).shape == (5, 3)
    assert LinearProbe(12, 3)(x).shape == (5, 3)
    with pytest.raises(ValueError, match="heads"):
        AttentiveProbe(12, 3, heads=5)
    with pytest.raises(ValueError, match=r"\(batch, n, 12\)"):
        LinearProbe(12, 3)(torch.randn(5, 12))


def test_attentive_probe_finds_the_one_token_that_matters():
    train_x, train_y = one_token_carries_the_class(512, seed=0)
    test_x, test_y = one_token_carries_the_class(256, seed=1)
    probe = train_probe(
        seeded(0, lambda: AttentiveProbe(16, 4, heads=2)), train_x, train_y, steps=300, lr=1e-2, batch_size=64, seed=0
    )
    assert accuracy(probe, test_x, test_y) > 0.95
    # the same data defeats mean-pooling: evidence that the attentive probe's success is attention
    linear = train_probe(
        seeded(0, lambda: LinearProbe(16, 4)), train_x, train_y, steps=300, lr=1e-2, batch_size=64, seed=0
    )
    assert accuracy(linear, test_x, test_y) < 0.8


def test_linear_probe_learns_a_linearly_separable_set():
    g = torch.Generator().manual_seed(3)
    centres = 2 * torch.randn(3, 10, generator=g)
    labels = torch.randint(3, (384,), generator=g)
    tokens = centres[labels][:, None, :] + torch.randn(384, 5, 10, generator=g)  # token mean ~ centre + noise / sqrt(5)
    probe = train_probe(
        seeded(0, lambda: LinearProbe(10, 3)), tokens[:256], labels[:256], steps=200, lr=1e-2, batch_size=64, seed=0
    )
    assert accuracy(probe, tokens[256:], labels[256:]) > 0.95


class StandIn(nn.Module):
    """Tiny tokeniser ``(batch, n, channels) -> (batch, n, dim)`` with BatchNorm and dropout,
    which eval mode must freeze."""

    def __init__(self, channels: int = 3, dim: int = 8) -> None:
        super().__init__()
        self.proj, self.norm, self.drop = nn.Linear(channels, dim), nn.BatchNorm1d(dim), nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.proj(x)
        return self.drop(self.norm(h.transpose(1, 2)).transpose(1, 2))


def test_frozen_tokens_keeps_order_and_weights():
    g = torch.Generator().manual_seed(4)
    xs, ys = torch.randn(10, 4, 3, generator=g), torch.randint(5, (10,), generator=g)
    items = [{"x": xs[i], "label": int(ys[i]), "id": i} for i in range(10)]
    encoder = seeded(0, StandIn).train()
    state = copy.deepcopy(encoder.state_dict())
    tokens, labels = frozen_tokens(encoder, DataLoader(items, batch_size=3, shuffle=False))
    assert tokens.shape == (10, 4, 8) and torch.equal(labels, ys)
    assert encoder.training  # mode restored
    for k, v in encoder.state_dict().items():  # weights and BatchNorm statistics untouched
        assert torch.equal(v, state[k]), k
    with torch.no_grad():
        torch.testing.assert_close(tokens, encoder.eval()(xs))
    assert not tokens.requires_grad


def test_train_probe_is_deterministic_for_a_seed():
    tokens, labels = one_token_carries_the_class(96, seed=5)
    init = seeded(0, lambda: AttentiveProbe(16, 4, heads=2))
    runs = [
        train_probe(copy.deepcopy(init), tokens, labels, steps=20, lr=1e-2, batch_size=32, seed=s) for s in (7, 7, 8)
    ]
    a, b, c = (torch.cat([p.flatten() for p in r.parameters()]) for r in runs)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_label_subsets_are_seeded_sized_and_checked():
    from pdejepa.eval.labels import label_subset

    a = label_subset(100, 0.05, seed=3)
    assert len(a) == 5 and len(set(a.tolist())) == 5 and a.min() >= 0 and a.max() < 100
    np.testing.assert_array_equal(a, label_subset(100, 0.05, seed=3))
    assert not np.array_equal(a, label_subset(100, 0.05, seed=4))
    assert len(label_subset(10, 0.01, 0)) == 2 and sorted(label_subset(10, 1.0, 0).tolist()) == list(range(10))
    for bad in (0, 1.5, -0.1, True, "half"):
        with pytest.raises(ValueError, match="a label budget is a fraction of the training items in \\(0, 1\\], got"):
            label_subset(10, bad, 0)


def test_pooled_probes_read_a_linear_code_and_are_seeded():
    from pdejepa.eval.probes import pooled_accuracy, pooled_nmse

    g = torch.Generator().manual_seed(6)
    centres = 3 * torch.randn(4, 12, generator=g, dtype=torch.float64)
    classes = torch.randint(4, (300,), generator=g)
    h = centres[classes] + torch.randn(300, 12, generator=g, dtype=torch.float64)
    assert pooled_accuracy(h[:200], classes[:200], h[200:], classes[200:], 4, seed=0) > 0.95
    few = [pooled_accuracy(h[:12], classes[:12], h[200:], classes[200:], 4, seed=1) for _ in range(2)]
    assert few[0] == few[1] > 0.5  # seeded folds, deterministic fits; chance is 0.25
    y = torch.stack([h @ torch.randn(12, generator=g, dtype=torch.float64), torch.randn(300, dtype=torch.float64)], 1)
    law, nothing = pooled_nmse(h[:200], y[:200], h[200:], y[200:])
    assert law < 0.01 and nothing > 0.9  # the linear law is found; pure noise is not predicted
