"""Fitting a pretraining module: collapse monitoring, throughput, CSV logs, checkpoints carrying the encoder
signature, and exact resumption of an interrupted run from its folder."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader

from .checkpoint import SignatureInCheckpoint, read_checkpoint
from .config import as_plain, save_config
from .encoders import encoder_signature
from .experiment import Experiment
from .train import CollapseMonitor, Throughput, ValidationDiagnostics
from .train.trainer import data_parallel, quiet_trainer
from .yaml_io import read_yaml

RESUME_FREE = ("epochs", "accelerator", "strategy", "devices", "num_nodes", "num_workers")  # longer or elsewhere


def resume_epoch(ckpt: Path) -> int:
    """The epoch a Lightning run resumed from ``ckpt`` starts with (the count its samplers are given)."""
    state = read_checkpoint(ckpt, mmap=True)  # mmap: the weights are not read
    try:
        return int(state["loops"]["fit_loop"]["epoch_progress"]["current"]["processed"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(
            f"{ckpt} holds no training state to resume from; move it away or choose another --out"
        ) from None


def announce_resume(data: DataLoader, ckpt: Path) -> None:
    """Tell the sampler and collator the epoch a resume starts at, before Lightning builds the first
    iterator: worker processes copy them then, before Lightning's own ``set_epoch`` calls."""
    epoch = resume_epoch(ckpt)
    for part in (data.sampler, getattr(data.batch_sampler, "sampler", None), data.collate_fn):
        if hasattr(part, "set_epoch"):
            part.set_epoch(epoch)


def run_identity(cfg: dict) -> dict:
    """The ``data`` and ``pretrain`` sections of a plain config, less what a resume may change."""
    pretrain = {k: v for k, v in cfg.get("pretrain", {}).items() if k not in RESUME_FREE}
    return {"data": cfg.get("data"), "pretrain": pretrain}


def check_resumable(exp: Experiment, out: Path) -> None:
    """Refuse to resume into ``out`` a run of another config (only the run the folder holds continues)."""
    saved = out / "config.yaml"
    if not ((out / "last.ckpt").exists() and saved.exists()):
        return
    stored = read_yaml(saved)
    if not isinstance(stored, dict):
        raise ValueError(f"{saved} is not a pdejepa config (a mapping); move it away or choose another --out")
    before, now = run_identity(stored), run_identity(as_plain(exp.config))
    changed = [k for k in now if before.get(k) != now[k]]
    if changed:
        raise ValueError(
            f"{out} holds a run of another config ({' and '.join(changed)} differ from {saved}); "
            "resume with the same config or choose another --out"
        )


def fit(module: L.LightningModule, data: DataLoader, exp: Experiment, out: Path) -> Path:
    """Train ``module`` for ``pretrain.epochs`` with collapse monitoring, throughput, CSV logs and
    checkpoints in ``out`` (resuming from ``out/last.ckpt``); bf16 on GPUs, DDP through ``devices``/``num_nodes``
    (:func:`~pdejepa.train.trainer.data_parallel`: the processes train as one on the global batch).
    With ``data.num_valid`` trajectories, each epoch logs diagnostics on them (:class:`ValidationDiagnostics`)."""
    p = exp.config.pretrain
    last = out / "last.ckpt"
    check_resumable(exp, out)
    save_config(exp.config, out)
    checkpoints = L.pytorch.callbacks.ModelCheckpoint(dirpath=out, filename="pretrain", save_last=True)
    callbacks = [
        CollapseMonitor(),
        Throughput(out / "throughput.json"),
        SignatureInCheckpoint(encoder_signature(exp)),
        checkpoints,
    ]
    if exp.valid_file is not None and not exp.is_procedural:  # early diagnostics on unseen trajectories
        valid = exp.dataset(exp.valid_file)
        callbacks.append(ValidationDiagnostics(valid, exp.view_maker(augment=False), exp.config.data.log_label))
    trainer = quiet_trainer(
        progress=exp.progress,
        callbacks=callbacks,
        max_epochs=p.epochs,
        accelerator=p.accelerator,
        devices=list(p.devices) if isinstance(p.devices, tuple) else p.devices,
        num_nodes=p.num_nodes,
        precision="bf16-mixed" if torch.cuda.is_available() and p.accelerator != "cpu" else "32-true",
        default_root_dir=out,
        logger=L.pytorch.loggers.CSVLogger(out, name="logs"),
        enable_checkpointing=True,
        **data_parallel(p.strategy),
    )
    if last.exists():
        announce_resume(data, last)
    trainer.fit(module, data, ckpt_path=last if last.exists() else None, weights_only=True)
    return Path(checkpoints.best_model_path or last)
