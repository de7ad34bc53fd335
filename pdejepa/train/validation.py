"""Early diagnostics of a pretraining on the validation split: does the representation carry the parameter yet?

At the end of every training epoch the frozen current encoder sees the un-augmented views of the validation
trajectories (never trained on). Logged: ``val_rankme`` and ``val_embedding_std`` of those representations
(collapse on unseen data) and ``val_probe_nmse``, the test NMSE of a closed-form ridge probe of the label
(:func:`~pdejepa.eval.regressors.ridge_probe`) fit on the first half of the split and scored on the second.
No global random state is drawn, so a resumed run trains exactly as an uninterrupted one.
"""

from __future__ import annotations

import lightning as L
import torch
from lightning.pytorch import Callback
from torch.utils.data import DataLoader, Dataset

from ..data import collate
from ..eval.regressors import ridge_probe
from .collapse import embedding_std, rankme


class ValidationDiagnostics(Callback):
    """Log ``val_rankme``, ``val_embedding_std`` and ``val_probe_nmse`` each epoch (see the module docstring).

    Args:
        data: the validation trajectories; their first label is the probe's target.
        views: the un-augmented view maker (``views(batch, seed, augment=False)``) the encoder is fed.
        log_label: probe ``log(label)`` (log-uniform parameters such as a viscosity).
        batch_size: trajectories encoded at a time.
    """

    def __init__(self, data: Dataset, views, log_label: bool, batch_size: int = 64) -> None:
        if len(data) < 4:
            raise ValueError(f"validation diagnostics need at least 4 trajectories (data.num_valid), got {len(data)}")
        self.data, self.views, self.log_label, self.batch_size = data, views, log_label, batch_size

    @torch.no_grad()
    def encode(self, module: L.LightningModule) -> tuple[torch.Tensor, torch.Tensor]:
        """Representations ``(N, dim)`` (float64, on the CPU) of the validation views and their labels ``(N,)``."""
        hs, ys = [], []
        for batch in DataLoader(self.data, batch_size=self.batch_size, collate_fn=collate):
            batch = module.transfer_batch_to_device(batch, module.device, 0)
            hs.append(module(self.views(batch, seed=0, augment=False).to(module.dtype)).double().cpu())
            ys.append(batch["labels"][:, 0].double().cpu())
        return torch.cat(hs), torch.cat(ys)

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        was_training = module.training
        module.eval()
        try:
            h, y = self.encode(module)
        finally:
            module.train(was_training)
        y = torch.log(y) if self.log_label else y
        half = len(y) // 2
        probe = ridge_probe(h[:half], y[:half], h[half:], y[half:])
        metrics = {"val_rankme": rankme(h), "val_embedding_std": embedding_std(h), "val_probe_nmse": probe["nmse"]}
        module.log_dict(metrics, rank_zero_only=True)
