"""Lightning trainers as every job wants them: the progress bar on stderr (stdout holds results), no banners;
the arguments of data-parallel pretraining."""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import TQDMProgressBar

from .global_norm import GlobalBatchNormSync

STRATEGIES = ("auto", "ddp")  # Lightning's: auto is DDP on two or more devices
BANNER_LOGGERS = ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero")


class StderrProgressBar(TQDMProgressBar):
    """Lightning's tqdm bars written to stderr instead of stdout."""

    def _on_stderr(self, make):
        with contextlib.redirect_stdout(sys.stderr):
            return make()

    def init_sanity_tqdm(self):
        return self._on_stderr(super().init_sanity_tqdm)

    def init_train_tqdm(self):
        return self._on_stderr(super().init_train_tqdm)

    def init_validation_tqdm(self):
        return self._on_stderr(super().init_validation_tqdm)

    def init_test_tqdm(self):
        return self._on_stderr(super().init_test_tqdm)

    def init_predict_tqdm(self):
        return self._on_stderr(super().init_predict_tqdm)


def quiet_trainer(progress: bool = False, callbacks: list[L.Callback] = (), **kwargs: Any) -> L.Trainer:
    """``L.Trainer(**kwargs)`` without model summary and banners ("GPU available", tips), with a progress bar
    on stderr when ``progress``; ``logger`` and ``enable_checkpointing`` default to off."""
    for name in BANNER_LOGGERS:  # Lightning logs its banners at INFO; warnings still show
        logging.getLogger(name).setLevel(logging.WARNING)
    kwargs.setdefault("logger", False)
    kwargs.setdefault("enable_checkpointing", False)
    bar = [StderrProgressBar()] if progress else []
    return L.Trainer(callbacks=[*callbacks, *bar], enable_progress_bar=progress, enable_model_summary=False, **kwargs)


def data_parallel(strategy: str = "auto") -> dict[str, Any]:
    """Trainer arguments for pretraining on one process or many (DDP): Lightning's ``strategy``, batch norm over
    the global batch (:class:`~pdejepa.train.global_norm.GlobalBatchNormSync`), and the loader's own split of
    each global batch over the processes (:class:`~pdejepa.data.sampling.RankBatches`), which Lightning must
    not replace by its ``DistributedSampler``."""
    return {"strategy": strategy, "plugins": [GlobalBatchNormSync()], "use_distributed_sampler": False}
