"""VICReg: Variance-Invariance-Covariance Regularization.

Bardes, Ponce & LeCun, ICLR 2022, eq. (1)-(4) and their reference code:

    inv = mean_{i,d} (z_a - z_b)^2
    var = 1/2 sum_{z in (z_a, z_b)} mean_d relu(1 - sqrt(Var_i z_d + 1e-4))
    cov = sum_{z in (z_a, z_b)} (1/D) sum_{d != e} C(z)_{de}^2,   C(z) = (z - mean)^T (z - mean) / (N - 1)
    loss = 25 inv + 25 var + 1 cov

The invariance term uses the local batch (DDP's mean of the processes' gradients makes it the global
batch's); variance and covariance use the global batch when run under ``torch.distributed`` (the
embeddings are gathered with gradients, :func:`pdejepa.distributed.gather`), so ``N`` processes of ``b``
samples compute the loss and gradients of one process on ``N * b`` (tested).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..distributed import gather


def off_diagonal(m: torch.Tensor) -> torch.Tensor:
    """Off-diagonal entries of a square matrix, flattened."""
    n = m.shape[0]
    return m.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()


def variance_hinge(z: torch.Tensor, eps: float = 1e-4) -> torch.Tensor:
    """``mean_d relu(1 - sqrt(Var_i z_{i,d} + eps))`` of embeddings ``(N, dim)`` (eq. 1)."""
    z = z - z.mean(dim=0)
    return F.relu(1 - torch.sqrt(z.var(dim=0) + eps)).mean()


def covariance_penalty(z: torch.Tensor) -> torch.Tensor:
    """``(1/D) sum_{d != e} C(z)_{de}^2`` of embeddings ``(N, D)``, ``C`` their covariance (eq. 3-4)."""
    z = z - z.mean(dim=0)
    n, d = z.shape
    return off_diagonal(z.T @ z / (n - 1)).pow(2).sum() / d


def vicreg_terms(z_a: torch.Tensor, z_b: torch.Tensor, eps: float = 1e-4) -> dict[str, torch.Tensor]:
    """The three VICReg terms for embeddings ``z_a, z_b`` of shape ``(batch, dim)``."""
    if z_a.shape != z_b.shape or z_a.ndim != 2 or z_a.shape[0] < 2:
        raise ValueError(
            f"expected two (batch >= 2, dim) embeddings of equal shape, got {tuple(z_a.shape)} and {tuple(z_b.shape)}"
        )
    invariance = F.mse_loss(z_a, z_b)
    a, b = gather(z_a), gather(z_b)
    variance = variance_hinge(a, eps) / 2 + variance_hinge(b, eps) / 2
    covariance = covariance_penalty(a) + covariance_penalty(b)
    return {"invariance": invariance, "variance": variance, "covariance": covariance}


class VICRegLoss(nn.Module):
    """The weighted VICReg loss (scalar) of ``(batch, dim)`` embeddings of two views, and its terms for logging."""

    def __init__(self, sim: float = 25.0, var: float = 25.0, cov: float = 1.0) -> None:
        super().__init__()
        self.weights = (sim, var, cov)

    def forward(self, z_a: torch.Tensor, z_b: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        terms = vicreg_terms(z_a, z_b)
        sim, var, cov = self.weights
        return sim * terms["invariance"] + var * terms["variance"] + cov * terms["covariance"], terms
