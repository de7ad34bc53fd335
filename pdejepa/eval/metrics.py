"""Errors of predicted fields, one name per metric.

- ``relative L2``: ``||pred - true||^2 / ||true||^2`` per sample (squared norms, so it is the mean squared
  error relative to the truth's mean square; The Well calls the same ratio NMSE). The rollout error.
- ``VRMSE``: The Well's variance-scaled RMSE, ``sqrt(mean((pred - true)^2) / (Var(true) + eps))`` per field,
  mean and (unbiased) variance over space: 1 is the error of predicting the field's spatial mean.
- ``NMSE`` is kept for the regression of a scalar label (MSE / Var of the label over the test set,
  :mod:`pdejepa.eval.regressors`).
"""

from __future__ import annotations

import torch

VRMSE_EPS = 1e-7  # The Well's


def auroc(scores: torch.Tensor, positive: torch.Tensor) -> float:
    """The area under the ROC curve of ``scores`` ``(N,)`` at telling the ``positive`` ``(N,)`` (bool) samples from
    the others: the probability that a positive outscores a negative, ties counting half (Mann-Whitney U)."""
    positive = positive.bool()
    pos, neg = scores[positive].double(), scores[~positive].double()
    if not len(pos) or not len(neg):
        raise ValueError(f"AUROC needs samples of both kinds, got {len(pos)} positive and {len(neg)} negative")
    ranks = torch.empty(len(scores), dtype=torch.float64)
    order = torch.argsort(scores.double())
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=torch.float64)
    values = scores.double()[order]
    for value in torch.unique(values):  # ties share their mean rank
        tied = scores.double() == value
        ranks[tied] = ranks[tied].mean()
    return float((ranks[positive].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def relative_l2(pred: torch.Tensor, true: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor:
    """``||pred - true||^2 / ||true||^2`` summed over ``dims``; those dims are reduced away."""
    return (pred - true).pow(2).sum(dims) / true.pow(2).sum(dims).clamp_min(1e-30)


def vrmse(pred: torch.Tensor, true: torch.Tensor, dims: tuple[int, ...], eps: float = VRMSE_EPS) -> torch.Tensor:
    """``sqrt(mean((pred - true)^2) / (Var(true) + eps))`` over the space ``dims``; those dims are reduced away."""
    mse = (pred - true).pow(2).mean(dims)
    return (mse / (true.var(dim=dims, correction=1) + eps)).sqrt()
