"""Regressing a physical parameter from trajectories: frozen-encoder probes and supervised baselines.

:data:`REGRESSORS` names what the regression job compares (``regress.methods``): the frozen pretrained encoder
probed in closed form, the same network trained supervised, and a frozen random encoder; :data:`HEADS` the heads
of the supervised one."""

from __future__ import annotations

from dataclasses import dataclass

import lightning as L
import torch
from torch import nn

from ..data.views import ViewMaker
from ..models import ResNet
from ..progress import progress_bar

REGRESSORS = {  # name -> how a legend names it
    "ssl_frozen": "frozen SSL encoder",
    "supervised": "supervised from scratch",
    "random_frozen": "frozen random encoder",
}
HEADS = ("linear", "mlp")


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

    def __init__(
        self,
        encoder: ResNet,
        views: ViewMaker,
        scaler: TargetScaler,
        freeze: bool,
        head: str = "linear",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        label_index: int = 0,
    ) -> None:
        super().__init__()
        self.encoder, self.views, self.scaler, self.freeze = encoder, views, scaler, freeze
        if head not in HEADS:
            raise ValueError(f"head {head!r} must be one of {list(HEADS)}")
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
        """AdamW with the learning rate annealed to zero over the run (cosine), as the pretraining."""
        params = [p for p in self.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        steps = max(1, int(self.trainer.estimated_stepping_batches))
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}

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


@torch.no_grad()
def encode(
    encoder: ResNet, loader, views: ViewMaker, label_index: int | None = 0, progress: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Frozen representations ``(N, dim)`` of un-augmented windows and the raw labels ``(N,)`` (None with
    ``label_index=None``); a progress bar on stderr when ``progress``."""
    encoder.eval()
    hs, ys = [], []
    for batch in progress_bar(loader, desc="encoding", enabled=progress):
        hs.append(encoder(views(batch, seed=0, augment=False)).double())
        if label_index is not None:
            ys.append(batch["labels"][:, label_index].double())
    return torch.cat(hs), torch.cat(ys) if ys else None


def ridge_probe(
    h_train: torch.Tensor,
    y_train: torch.Tensor,
    h_test: torch.Tensor,
    y_test: torch.Tensor,
    lambdas: torch.Tensor | None = None,
) -> dict[str, float]:
    """Linear probe trained in closed form: ridge regression with the penalty chosen by exact
    leave-one-out cross-validation on the training set (PRESS, from one SVD), so a probe on a
    few labels does not overfit its ``dim`` weights.

    Returns test ``mse``, ``nmse`` (MSE / Var of the test targets) and the chosen ``lambda``.
    """
    lambdas = torch.logspace(-6, 6, 49, dtype=torch.float64) if lambdas is None else lambdas
    mean = h_train.mean(0)
    std = h_train.std(0).clamp_min(1e-8) if len(h_train) > 1 else torch.ones(h_train.shape[1], dtype=torch.float64)
    X, Xt = (h_train - mean) / std, (h_test - mean) / std
    y_mean = y_train.mean()
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    uty = U.T @ (y_train - y_mean)
    n = len(y_train)
    best = None
    for lam in lambdas:
        shrink = S**2 / (S**2 + lam)
        fitted = U @ (shrink * uty)
        leverage = (U**2 * shrink).sum(1) + 1 / n  # diagonal of the hat matrix, intercept included
        loo = (y_train - y_mean - fitted) / (1 - leverage).clamp_min(1e-9)  # exact leave-one-out residuals
        press = float((loo**2).mean())
        if best is None or press < best[0]:
            best = (press, float(lam), Vh.T @ (S / (S**2 + lam) * uty))
    _, lam, beta = best
    pred = Xt @ beta + y_mean
    mse = float(((pred - y_test) ** 2).mean())
    return {"mse": mse, "nmse": mse / float(y_test.var().clamp_min(1e-12)), "lambda": lam}
