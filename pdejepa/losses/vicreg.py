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


def vicreg_terms(z_a: torch.Tensor, z_b: torch.Tensor, eps: float = 1e-4) -> dict[str, torch.Tensor]:
    """The three VICReg terms for embeddings ``z_a, z_b`` of shape ``(batch, dim)``."""
    if z_a.shape != z_b.shape or z_a.ndim != 2 or z_a.shape[0] < 2:
        raise ValueError(
            f"expected two (batch >= 2, dim) embeddings of equal shape, got {tuple(z_a.shape)} and {tuple(z_b.shape)}"
        )
    invariance = F.mse_loss(z_a, z_b)
    a, b = gather(z_a), gather(z_b)
    a, b = a - a.mean(dim=0), b - b.mean(dim=0)
    std_a, std_b = torch.sqrt(a.var(dim=0) + eps), torch.sqrt(b.var(dim=0) + eps)
    variance = F.relu(1 - std_a).mean() / 2 + F.relu(1 - std_b).mean() / 2
    n, d = a.shape
    cov_a, cov_b = a.T @ a / (n - 1), b.T @ b / (n - 1)
    covariance = off_diagonal(cov_a).pow(2).sum() / d + off_diagonal(cov_b).pow(2).sum() / d
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
