"""Classification probes on frozen encoder tokens ``(batch, n, dim)``: attentive (V-JEPA) and linear; and linear
probes of a pooled vector ``(batch, dim)``: a logistic classifier (:func:`pooled_accuracy`) and ridge
(:func:`pooled_nmse`).

The attentive probe follows V-JEPA's evaluation (Bardes et al., 2024, sec. 4): one learned query
cross-attends over the frozen tokens, so the probe can pick out where the information is rather than
averaging it away; the linear probe mean-pools the tokens, as the usual linear evaluation does.

The encoder runs once (:func:`frozen_tokens`); probes then train on the cached tokens, which is
what makes a probe cheap enough to run many times (seeds, learning rates) on a CPU.
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from ..progress import progress_bar
from .regressors import ridge_probe


def _check_tokens(tokens: torch.Tensor, dim: int) -> None:
    if tokens.ndim != 3 or tokens.shape[-1] != dim:
        raise ValueError(f"expected tokens of shape (batch, n, {dim}), got {tuple(tokens.shape)}")


class AttentiveProbe(nn.Module):
    """One learned query, multi-head cross-attention over the tokens, LayerNorm, Linear:
    ``(batch, n, dim) -> (batch, out)``."""

    def __init__(self, dim: int, out: int, heads: int = 4) -> None:
        super().__init__()
        if heads < 1 or dim % heads:
            raise ValueError(f"heads must be a positive divisor of dim={dim}, got {heads!r}")
        self.dim = dim
        self.query = nn.Parameter(torch.empty(1, 1, dim))
        nn.init.trunc_normal_(self.query, std=0.02)
        self.norm_tokens = nn.LayerNorm(dim)  # frozen tokens come at whatever scale the encoder left them
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, out)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        _check_tokens(tokens, self.dim)
        x = self.norm_tokens(tokens)
        q = self.query.expand(x.shape[0], -1, -1)
        pooled, _ = self.attn(q, x, x, need_weights=False)
        return self.head(self.norm(pooled.squeeze(1)))


class LinearProbe(nn.Module):
    """Mean over tokens, non-affine BatchNorm (standardises frozen features), Linear:
    ``(batch, n, dim) -> (batch, out)``."""

    def __init__(self, dim: int, out: int) -> None:
        super().__init__()
        self.dim = dim
        self.norm = nn.BatchNorm1d(dim, affine=False)
        self.head = nn.Linear(dim, out)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        _check_tokens(tokens, self.dim)
        return self.head(self.norm(tokens.mean(dim=1)))


PROBES: dict[str, type[nn.Module]] = {"attentive": AttentiveProbe, "linear": LinearProbe}  # name -> (dim, classes)


def batch_input(batch: dict) -> torch.Tensor:
    """The encoder input of a procedural batch."""
    return batch["x"]


@torch.no_grad()
def frozen_tokens(
    encoder: nn.Module,
    loader: Iterable[dict],
    inputs: Callable[[dict], torch.Tensor] = batch_input,
    progress: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``encoder`` (in eval mode, no gradients) over ``loader``; return CPU ``tokens (N, n, dim)``
    and ``labels (N,)``.

    Samples keep the loader's order; the encoder's weights, buffers and train/eval mode are left as found.
    Inputs go to the device of the encoder's first parameter (CPU for a parameter-free encoder); a progress
    bar on stderr when ``progress``.
    """
    param = next(encoder.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    was_training = encoder.training
    encoder.eval()  # BatchNorm statistics and dropout must not move while we only read features
    try:
        tokens, labels = [], []
        for batch in progress_bar(loader, desc="encoding", enabled=progress):
            tokens.append(encoder(inputs(batch).to(device)).float().cpu())
            labels.append(torch.as_tensor(batch["label"]).long().cpu())
    finally:
        encoder.train(was_training)
    if not tokens:
        raise ValueError("loader yielded no batches")
    return torch.cat(tokens), torch.cat(labels)


def train_probe(
    probe: nn.Module,
    tokens: torch.Tensor,
    labels: torch.Tensor,
    steps: int,
    lr: float,
    batch_size: int,
    seed: int,
    weight_decay: float = 0.01,
) -> nn.Module:
    """Train ``probe`` in place by cross-entropy with AdamW (cosine-annealed ``lr``) for ``steps`` minibatches.

    Minibatches walk through fresh permutations of the ``(N, n, dim)`` tokens drawn from a generator seeded
    with ``seed``, so the same probe initialisation and seed give the same probe. Returns the probe in eval mode.
    """
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got steps={steps!r}, batch_size={batch_size!r}")
    if tokens.shape[0] != labels.shape[0]:
        raise ValueError(f"tokens and labels differ in length: {tokens.shape[0]} vs {labels.shape[0]}")
    device = next(probe.parameters()).device
    g = torch.Generator().manual_seed(seed)
    batch_size = min(batch_size, tokens.shape[0])
    opt = torch.optim.AdamW(probe.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    probe.train()
    order, at = torch.randperm(tokens.shape[0], generator=g), 0
    for _ in range(steps):
        if at + batch_size > len(order):  # drop the ragged tail: BatchNorm needs full batches
            order, at = torch.randperm(tokens.shape[0], generator=g), 0
        idx = order[at : at + batch_size]
        at += batch_size
        loss = F.cross_entropy(probe(tokens[idx].to(device)), labels[idx].to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        schedule.step()
    return probe.eval()


@torch.no_grad()
def accuracy(probe: nn.Module, tokens: torch.Tensor, labels: torch.Tensor, batch_size: int = 1024) -> float:
    """Fraction of ``(N, n, dim)`` tokens whose argmax class equals ``labels (N,)``, evaluated in eval mode."""
    if tokens.shape[0] != labels.shape[0] or tokens.shape[0] == 0:
        raise ValueError(f"need equally many (>0) tokens and labels, got {tokens.shape[0]} and {labels.shape[0]}")
    device = next(probe.parameters()).device
    was_training = probe.training
    probe.eval()
    correct = 0
    for start in range(0, tokens.shape[0], batch_size):
        logits = probe(tokens[start : start + batch_size].to(device))
        correct += int((logits.argmax(dim=-1).cpu() == labels[start : start + batch_size]).sum())
    probe.train(was_training)
    return correct / tokens.shape[0]


def pooled_accuracy(
    h_train: torch.Tensor,
    y_train: torch.Tensor,
    h_test: torch.Tensor,
    y_test: torch.Tensor,
    classes: int,
    seed: int,
    penalties: tuple[float, ...] = (1e-3, 1e-2, 1e-1, 1.0),
    folds: int = 4,
) -> float:
    """Test accuracy of a linear classifier of pooled vectors ``(N, dim)``: multinomial logistic regression of the
    features standardised by the training items, its L2 penalty (per item, on the weights) chosen from ``penalties``
    by ``folds``-fold cross-validation on the training items (folds drawn from ``seed``; a tie goes to the stronger
    penalty), then fitted to them all. Full-batch L-BFGS from zero weights: the same data and seed give the same
    accuracy."""
    mean, std = h_train.double().mean(0), h_train.double().std(0).nan_to_num(1.0).clamp_min(1e-8)
    x, x_test = ((h.double() - mean) / std for h in (h_train, h_test))
    parts = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed)).chunk(min(folds, len(x)))

    def score(penalty: float) -> float:
        right = 0
        for k, held in enumerate(parts):
            kept = torch.cat([part for j, part in enumerate(parts) if j != k])
            w, b = fit_logistic(x[kept], y_train[kept], classes, penalty)
            right += int(((x[held] @ w + b).argmax(1) == y_train[held]).sum())
        return right / len(x)

    penalty = max(sorted(penalties, reverse=True), key=score)
    w, b = fit_logistic(x, y_train, classes, penalty)
    return float(((x_test @ w + b).argmax(1) == y_test).double().mean())


def fit_logistic(
    x: torch.Tensor, y: torch.Tensor, classes: int, penalty: float, iterations: int = 100
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights ``(dim, classes)`` and biases of multinomial logistic regression of ``y`` on ``x`` with the L2 penalty
    ``penalty * |w|^2`` added to the mean cross-entropy, by full-batch L-BFGS from zero."""
    w = torch.zeros(x.shape[1], classes, dtype=x.dtype, requires_grad=True)
    b = torch.zeros(classes, dtype=x.dtype, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=iterations, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(x @ w + b, y) + penalty * w.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return w.detach(), b.detach()


def pooled_nmse(
    h_train: torch.Tensor, y_train: torch.Tensor, h_test: torch.Tensor, y_test: torch.Tensor
) -> list[float]:
    """Test NMSE of each column of the targets ``(N, k)`` regressed from pooled vectors ``(N, dim)`` by ridge
    regression (:func:`~pdejepa.eval.regressors.ridge_probe`, its penalty chosen by leave-one-out)."""
    h_train, h_test, y_train, y_test = (a.double() for a in (h_train, h_test, y_train, y_test))
    return [ridge_probe(h_train, y_train[:, k], h_test, y_test[:, k])["nmse"] for k in range(y_train.shape[1])]
