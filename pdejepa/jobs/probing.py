"""The probe job: classes of a procedural image or video set from frozen JEPA tokens, against a random-init ViT."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from ..config import save_config
from ..data import PROCEDURAL
from ..encoders import load_encoder
from ..eval.labels import label_subset
from ..eval.probes import PROBES, accuracy, frozen_tokens, train_probe
from ..experiment import Experiment
from ..outputs import write_atomic
from ..report.tables import probe_table

SUMMARY = "probe.md"  # the table of accuracies


def probe(exp: Experiment, ckpt: Path, out: Path) -> list[dict]:
    """Frozen-encoder class accuracy on a procedural set: the JEPA target encoder against a random-init
    ViT of the same size (drawn from ``pretrain.seed``), each with an attentive and a linear probe trained
    on the frozen tokens of the labelled items at each ``probe.budgets`` fraction, once per ``probe.seeds``
    seed (which draws the labelled items, the probe's initialisation and its batches; the same items
    for every encoder and probe). Writes ``probe_config.yaml``, ``probe.json`` (the rows) and ``probe.md``
    (the table) to ``out``."""
    if not exp.is_procedural:
        raise ValueError(
            f"class probes need a procedural dataset, one of {sorted(PROCEDURAL)}; got {exp.config.data.equation!r}"
        )
    if exp.encoder_family != "vit":
        raise ValueError(
            f"class probes read a ViT's tokens; pretrain.encoder={exp.config.pretrain.encoder!r} is not a ViT"
        )
    r = exp.config.probe
    save_config(exp.config, out, "probe_config.yaml")
    train, test = exp.procedural_sets
    rows, pretrained = [], f"{exp.method.name}_frozen"
    for method in (pretrained, "random_frozen"):
        encoder = load_encoder(exp, ckpt if method == pretrained else None, exp.config.pretrain.seed).vit
        h_train, y_train = frozen_tokens(encoder, DataLoader(train, batch_size=256), progress=exp.progress)
        h_test, y_test = frozen_tokens(encoder, DataLoader(test, batch_size=256), progress=exp.progress)
        for budget, kind, seed in itertools.product(r.budgets, r.probes, r.seeds):
            labelled = torch.from_numpy(label_subset(len(train), budget, seed))
            h_labelled, y_labelled = h_train[labelled], y_train[labelled]
            torch.manual_seed(seed)
            probe = PROBES[kind](encoder.dim, len(train.classes))
            train_probe(probe, h_labelled, y_labelled, r.steps, r.lr, r.batch_size, seed)
            row = {
                "encoder": method,
                "probe": kind,
                "budget": budget,
                "labels": len(labelled),
                "seed": seed,
                "accuracy": accuracy(probe, h_test, y_test),
                "train_accuracy": accuracy(probe, h_labelled, y_labelled),
            }
            rows.append(row)
            if exp.progress:
                print(
                    f"  {method:14s} {kind:9s} probe, {len(labelled):5d} labels, seed {seed}: "
                    f"test accuracy {row['accuracy']:.3f}",
                    flush=True,
                )
    write_atomic(out / "probe.json", json.dumps(rows, indent=1))
    write_atomic(out / SUMMARY, probe_table(rows, chance_level(exp)) + "\n")
    return rows


def chance_level(exp: Experiment) -> float:
    """Accuracy of guessing among the procedural set's classes."""
    return 1.0 / len(PROCEDURAL[exp.config.data.equation].classes)
