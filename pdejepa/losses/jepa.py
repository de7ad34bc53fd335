"""JEPA regression loss: predict the target encoder's (layer-normalised) tokens of masked regions.

I-JEPA (Assran et al., CVPR 2023) and V-JEPA (Bardes et al., 2024):

    y   = LayerNorm(target tokens)                    (over ``dim``, no affine)
    I-JEPA: loss = mean_{b,n,d} smooth_l1_beta=1(pred - y)
    V-JEPA: loss = mean_{b,n,d} |pred - y|

The target is detached by the caller (it comes from the EMA encoder under ``no_grad``); normalising it
here keeps the scale of the regression fixed whatever the encoder's output scale.

Optional anti-collapse regulariser: VICReg's variance hinge (Bardes, Ponce & LeCun, ICLR 2022, eq. 1)
``mean_d relu(1 - sqrt(Var_i pred_{i,d} + eps))``, with ``i`` running over all ``batch * n`` predicted
tokens (V-JEPA's form), or, given the token positions, over the samples that predict the same
position (averaged over positions): tokens differ by position alone when the representation has
collapsed to the position embedding, which the first form cannot see.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..distributed import all_max, all_sum

# distance name -> elementwise loss; the paper each belongs to in the module docstring
DISTANCES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "smooth_l1": lambda p, y: F.smooth_l1_loss(p, y, beta=1.0),
    "l1": lambda p, y: F.l1_loss(p, y),
}


def _check_tokens(name: str, x: torch.Tensor) -> None:
    if x.ndim != 3:
        raise ValueError(f"{name} must be (batch, n, dim) tokens, got shape {tuple(x.shape)}")


def jepa_loss(pred: torch.Tensor, target: torch.Tensor, kind: str = "smooth_l1") -> torch.Tensor:
    """Scalar JEPA loss between predicted and target tokens, both ``(batch, n, dim)``.

    ``target`` is layer-normalised over ``dim`` (no affine, eps 1e-5 as ``F.layer_norm``) before the distance ``kind``
    (``"smooth_l1"``: I-JEPA, beta 1; ``"l1"``: V-JEPA), averaged over all entries.
    """
    if kind not in DISTANCES:
        raise ValueError(f"kind {kind!r} is unknown; allowed {sorted(DISTANCES)}")
    _check_tokens("pred", pred)
    if pred.shape != target.shape:
        raise ValueError(f"pred and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    y = F.layer_norm(target, target.shape[-1:])
    return DISTANCES[kind](pred, y)


def variance_penalty(pred: torch.Tensor, eps: float = 1e-4, positions: torch.Tensor | None = None) -> torch.Tensor:
    """VICReg variance hinge ``mean relu(1 - sqrt(var + eps))`` of ``(batch, n, dim)`` predicted tokens.

    Without ``positions`` the variance runs over all ``batch * n`` tokens per dimension; with token
    positions ``(batch, n)`` (long) it runs, per position and dimension, over the samples predicting
    that position (positions predicted by fewer than two samples are left out). Under ``torch.distributed``
    it runs over the tokens of every process (their counts, sums and squares summed with gradients), whose
    ``n`` may differ.
    """
    _check_tokens("pred", pred)
    if positions is not None and positions.shape != pred.shape[:2]:
        raise ValueError(f"positions must be (batch, n) = {tuple(pred.shape[:2])}, got {tuple(positions.shape)}")
    z = pred.reshape(-1, pred.shape[-1])
    pos = torch.zeros(len(z), dtype=torch.long, device=z.device) if positions is None else positions.reshape(-1).long()
    slots = all_max(int(pos.max()) + 1 if len(pos) else 1, z.device)
    count = all_sum(torch.zeros(slots, dtype=z.dtype, device=z.device).index_add_(0, pos, torch.ones_like(z[:, 0])))
    if positions is None and count[0] < 2:
        raise ValueError(f"variance needs at least 2 predicted tokens, got batch*n = {int(count[0])}")
    sums = all_sum(torch.zeros(slots, z.shape[1], dtype=z.dtype, device=z.device).index_add(0, pos, z))
    mean = sums / count.clamp_min(1)[:, None]
    squares = all_sum(torch.zeros_like(mean).index_add(0, pos, (z - mean[pos]) ** 2))
    shared = count >= 2
    if not shared.any():
        raise ValueError("no token position is predicted by two samples: no variance across the batch to take")
    var = squares[shared] / (count[shared, None] - 1)
    return F.relu(1 - torch.sqrt(var + eps)).mean()


class JEPALoss(nn.Module):
    """Module wrapper: ``jepa_loss + var_weight * variance_penalty``, returning ``(loss, terms)`` for logging.

    ``terms`` holds ``"regression"`` and ``"variance"`` (the latter without gradient when ``var_weight`` is 0).
    """

    def __init__(self, kind: str = "smooth_l1", var_weight: float = 0.0) -> None:
        super().__init__()
        if kind not in DISTANCES:
            raise ValueError(f"kind {kind!r} is unknown; allowed {sorted(DISTANCES)}")
        if var_weight < 0:
            raise ValueError(f"var_weight must be >= 0, got {var_weight!r}")
        self.kind, self.var_weight = kind, var_weight

    def forward(
        self, pred: torch.Tensor, target: torch.Tensor, positions: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``positions`` ``(batch, n)``: the targets' token positions, for the variance across samples."""
        regression = jepa_loss(pred, target, self.kind)
        if self.var_weight > 0:
            variance = variance_penalty(pred, positions=positions)
            return regression + self.var_weight * variance, {"regression": regression, "variance": variance}
        with torch.no_grad():  # still logged: a rising hinge is how collapse shows while it happens
            variance = variance_penalty(pred, positions=positions)
        return regression, {"regression": regression, "variance": variance}
