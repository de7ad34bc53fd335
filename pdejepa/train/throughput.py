"""Training throughput, and whether the data pipeline keeps up, measured while training runs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch
from lightning.pytorch import Callback


class Throughput(Callback):
    """Samples/s of training and the fraction of wall time spent waiting for the next batch.

    Between one batch's end and the next batch's start the loop only fetches data (loader,
    collation, transfer to the device); a ``data_wait_fraction`` near 0 means the data pipeline
    is not the bottleneck. On CUDA the GPU's utilisation is sampled every batch. The first
    ``warmup`` batches of the run are not counted. The summary goes to ``path`` (JSON) at the end.
    """

    def __init__(self, path: str | Path | None = None, warmup: int = 5) -> None:
        self.path, self.warmup = (Path(path) if path else None), warmup
        self.batches = self.samples = 0
        self.compute = self.wait = 0.0
        self.utilisation: list[float] = []
        self._start = self._end = None

    def on_train_epoch_start(self, trainer, module) -> None:
        self._end = None  # the gap across an epoch boundary includes epoch-end hooks: not data

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        self._start = time.perf_counter()
        if self._end is not None and self.batches >= self.warmup:
            self.wait += self._start - self._end

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        if module.device.type == "cuda":
            torch.cuda.synchronize(module.device)
        self._end = time.perf_counter()
        self.batches += 1
        if self.batches > self.warmup:
            self.compute += self._end - self._start
            samples = batch[0] if isinstance(batch, (tuple, list)) else batch  # JEPA batches: (batch, masks)
            self.samples += len(samples["id"])
            if module.device.type == "cuda":
                try:
                    self.utilisation.append(float(torch.cuda.utilization(module.device)))
                except Exception:  # needs the NVML bindings, which are optional
                    pass

    def summary(self) -> dict[str, float | None]:
        total = self.compute + self.wait
        return {
            "samples_per_s": self.samples / total if total else float("nan"),
            "data_wait_fraction": self.wait / total if total else float("nan"),
            "batches_timed": self.batches - min(self.batches, self.warmup),
            "gpu_utilisation_percent": sum(self.utilisation) / len(self.utilisation) if self.utilisation else None,
        }

    def on_fit_end(self, trainer, module) -> None:
        if self.path is not None and trainer.is_global_zero:
            self.path.write_text(json.dumps(self.summary(), indent=1))
