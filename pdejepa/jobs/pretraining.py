"""The pretraining job: the method of ``pretrain.method`` (:data:`~pdejepa.methods.METHODS`) fitted with collapse
monitoring, throughput, CSV logs and checkpoints carrying the encoder's signature, resuming an interrupted run
exactly from its folder (``out/last.ckpt``)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader

from ..checkpoint import SignatureInCheckpoint, read_checkpoint
from ..config import as_plain, save_config
from ..config.yaml_io import read_yaml
from ..encoders import encoder_signature
from ..experiment import Experiment
from ..methods import PretrainingModule
from ..train import CollapseMonitor, Throughput, ValidationDiagnostics
from ..train.trainer import data_parallel, quiet_trainer

CONFIG = "config.yaml"  # the run's config, which the resume guard reads
LAST = "last.ckpt"
RESUME_FREE = ("epochs", "accelerator", "strategy", "devices", "num_nodes", "num_workers")  # longer or elsewhere


def pretrain(exp: Experiment, out: Path) -> Path:
    """Pretrain ``exp``'s method into the run folder ``out``; returns the final checkpoint (resumes from
    ``out/last.ckpt``). Writes ``config.yaml``, ``logs/``, ``throughput.json`` and the checkpoints."""
    exp.train_set  # the data first (simulated if missing): the seed below then draws only the module's weights
    L.seed_everything(exp.config.pretrain.seed, workers=True, verbose=False)
    module = exp.method.build(exp)
    data = exp.pretraining_loader(exp.method.collate(exp, module))
    return fit(module, data, exp, out)


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
    saved = out / CONFIG
    if not ((out / LAST).exists() and saved.exists()):
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


def fit(module: PretrainingModule, data: DataLoader, exp: Experiment, out: Path) -> Path:
    """Train ``module`` for ``pretrain.epochs`` with collapse monitoring, throughput, CSV logs and
    checkpoints in ``out`` (resuming from ``out/last.ckpt``); bf16 on GPUs, DDP through ``devices``/``num_nodes``
    (:func:`~pdejepa.train.trainer.data_parallel`: the processes train as one on the global batch).
    With a validation split, each epoch logs diagnostics on it (:class:`ValidationDiagnostics`)."""
    p = exp.config.pretrain
    last = out / LAST
    check_resumable(exp, out)
    save_config(exp.config, out, CONFIG)
    checkpoints = L.pytorch.callbacks.ModelCheckpoint(dirpath=out, filename="pretrain", save_last=True)
    callbacks = [
        CollapseMonitor(module.embeddings, low_rank_expected=module.low_rank_expected),
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
