"""Regressing a physical parameter from trajectories: frozen-encoder probes and supervised baselines."""
from __future__ import annotations

from dataclasses import dataclass

import lightning as L
import torch
from torch import nn

from ..data.views import ViewMaker
from ..models import ResNet


@dataclass
class TargetScaler:
    """Standardise a label, in log space for scale parameters (log-uniform ones such as ``nu``)."""

    mean: float
    std: float
    log: bool

    @classmethod
    def fit(cls, y: torch.Tensor, log: bool) -> "TargetScaler":
        z = torch.log(y) if log else y
        return cls(float(z.mean()), float(z.std().clamp_min(1e-12)), log)

    def __call__(self, y: torch.Tensor) -> torch.Tensor:
        return ((torch.log(y) if self.log else y) - self.mean) / self.std


class RegressionModule(L.LightningModule):
    """Encoder + head predicting one standardised label from an un-augmented window.

    ``freeze=True`` is the probe (encoder fixed in eval mode: pretrained, or random for the
    random-init baseline); ``freeze=False`` with a fresh encoder is the supervised baseline.
    ``head="linear"`` or ``"mlp"`` (one hidden layer of the representation's width).
    """

    def __init__(self, encoder: ResNet, views: ViewMaker, scaler: TargetScaler, freeze: bool, head: str = "linear",
                 lr: float = 1e-3, weight_decay: float = 0.0, label_index: int = 0) -> None:
        super().__init__()
        self.encoder, self.views, self.scaler, self.freeze = encoder, views, scaler, freeze
        if head not in ("linear", "mlp"):
            raise ValueError(f"head {head!r} must be 'linear' or 'mlp'")
        d = encoder.dim
        self.head = nn.Linear(d, 1) if head == "linear" else nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, 1))
        self.norm = nn.BatchNorm1d(d, affine=False)  # standardises frozen features as a probe should
        self.lr, self.weight_decay, self.label_index = lr, weight_decay, label_index
        if freeze:
            for p in self.encoder.parameters():
                p.requires_grad_(False)

    def forward(self, batch: dict) -> torch.Tensor:
        x = self.views(batch, seed=0, augment=False)
        if self.freeze:
            self.encoder.eval()
            with torch.no_grad():
                h = self.encoder(x)
        else:
            h = self.encoder(x)
        return self.head(self.norm(h)).squeeze(-1)

    def target(self, batch: dict) -> torch.Tensor:
        return self.scaler(batch["labels"][:, self.label_index].double()).float()

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = nn.functional.mse_loss(self(batch), self.target(batch))
        self.log("train_mse", loss, prog_bar=True, batch_size=len(batch["id"]))
        return loss

    def configure_optimizers(self):
        params = [p for p in self.parameters() if p.requires_grad]
        return torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)

    @torch.no_grad()
    def evaluate(self, loader) -> dict[str, float]:
        """MSE of the standardised label and NMSE = MSE / Var(label) over ``loader``."""
        self.eval()
        preds, targets = [], []
        for batch in loader:
            preds.append(self(batch))
            targets.append(self.target(batch))
        p, t = torch.cat(preds).double(), torch.cat(targets).double()
        mse = float(((p - t) ** 2).mean())
        return {"mse": mse, "nmse": mse / float(t.var().clamp_min(1e-12))}
