"""A pretraining stopped after its first epoch and rerun must end with the uninterrupted run's weights."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import pdejepa
from pdejepa.config import Config


class Interrupted(RuntimeError):
    pass


def assert_resume_matches(cfg: Config, module: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretrain ``cfg`` whole, then again stopped at the start of epoch 1 (``module``'s hook) and resumed."""
    whole = pdejepa.pretrain(cfg, tmp_path / "whole", progress=False)
    start = module.on_train_epoch_start

    def stop_at_epoch_1(self):
        if self.current_epoch == 1:
            raise Interrupted
        start(self)

    with monkeypatch.context() as patch:
        patch.setattr(module, "on_train_epoch_start", stop_at_epoch_1)
        with pytest.raises(Interrupted):
            pdejepa.pretrain(cfg, tmp_path / "split", progress=False)
    resumed = pdejepa.pretrain(cfg, tmp_path / "split", progress=False)
    a, b = (torch.load(c, weights_only=True)["state_dict"] for c in (whole, resumed))
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-5, atol=1e-6, msg=name)
