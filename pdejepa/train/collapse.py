"""Seeing collapse while it happens: embedding spread and effective rank (RankMe).

RankMe: Garrido et al., ICML 2023, "RankMe: Assessing the downstream performance of pretrained
self-supervised representations by their rank": ``exp(H(p))`` with ``p_k = s_k / sum s + eps``
over the singular values ``s`` of the ``(samples, dim)`` representation matrix.
"""

from __future__ import annotations

from collections.abc import MutableSequence

import torch
from lightning.pytorch import Callback
from lightning.pytorch.utilities import rank_zero_warn


EMBEDDING_BUFFER = 32  # training batches of representations a pretraining module keeps for the monitor


def rankme(z: torch.Tensor, eps: float = 1e-7) -> float:
    """Effective rank of ``(samples, dim)`` representations, between 1 and ``min(samples, dim)``."""
    s = torch.linalg.svdvals(z.double())
    p = s / s.sum() + eps
    return float(torch.exp(-(p * torch.log(p)).sum()))


def embedding_std(z: torch.Tensor) -> float:
    """Mean over dimensions of the per-dimension standard deviation of L2-normalised embeddings."""
    z = torch.nn.functional.normalize(z.double(), dim=1)
    return float(z.std(dim=0).mean())


class CollapseMonitor(Callback):
    """Log ``rankme`` and ``embedding_std`` of the representations seen each training epoch; warn when they fall.

    ``embeddings`` holds the module's last representations (``(batch, dim)`` each; the monitor empties it every
    epoch: :attr:`pdejepa.methods.base.PretrainingModule.embeddings`). A warning fires when the spread falls
    below ``min_std`` (collapsed: all embeddings alike; a
    healthy d-dimensional embedding has about ``1 / sqrt(d)``) or the rank falls below
    ``rank_drop`` times its best value so far. The rank of the first ``warmup_epochs`` is not
    a reference: a random initialisation's features have a high rank that training rightly lowers.
    With ``low_rank_expected`` (an objective that wants a low rank, such as a code of a few parameters) the
    rank is logged but a fall is not reported.
    """

    def __init__(
        self,
        embeddings: MutableSequence[torch.Tensor],
        *,
        low_rank_expected: bool = False,
        min_std_fraction: float = 0.1,
        rank_drop: float = 0.5,
        warmup_epochs: int = 1,
    ) -> None:
        self.embeddings, self.low_rank_expected = embeddings, low_rank_expected
        self.min_std_fraction, self.rank_drop, self.warmup_epochs = min_std_fraction, rank_drop, warmup_epochs
        self.best_rank = 0.0
        self.warnings: list[str] = []

    def on_train_epoch_end(self, trainer, module) -> None:
        if not self.embeddings:
            return
        z = torch.cat(list(self.embeddings))
        self.embeddings.clear()
        rank, std = rankme(z), embedding_std(z)
        module.log_dict({"rankme": rank, "embedding_std": std}, prog_bar=True)
        floor = self.min_std_fraction / z.shape[1] ** 0.5
        if trainer.current_epoch >= self.warmup_epochs:
            self.best_rank = max(self.best_rank, rank)
        message = None
        if std < floor:
            message = f"representation collapse: embedding std {std:.2e} < {floor:.2e} at epoch {trainer.current_epoch}"
        elif rank < self.rank_drop * self.best_rank and not self.low_rank_expected:
            message = (
                f"dimensional collapse: RankMe fell to {rank:.1f} from {self.best_rank:.1f} "
                f"at epoch {trainer.current_epoch}"
            )
        if message:
            self.warnings.append(message)
            rank_zero_warn(message)
