"""The probe job on a procedural set, the pretrained frozen encoder against a random-init one of the same
architecture: classes from a JEPA ViT's frozen tokens (attentive and linear probes), and on the video set, for
every method, the object's velocity (ridge) and shape (a linear classifier) from the frozen pooled vector."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from ..config import save_config
from ..data import PROCEDURAL, collate
from ..data import video_trajectories as videos
from ..data.scenes import SHAPES
from ..encoders import load_encoder
from ..eval.labels import label_subset
from ..eval.probes import PROBES, accuracy, frozen_tokens, pooled_accuracy, pooled_nmse, train_probe
from ..eval.regressors import encode
from ..experiment import Experiment
from ..outputs import write_atomic
from ..report.tables import pooled_probe_table, probe_table

SUMMARY = "probe.md"  # the tables: velocity and shape from the pooled vector (videos), classes from tokens (ViTs)
VELOCITY = ("vx", "vy", "speed")  # the velocity's numbers regressed from the pooled vector (video_trajectories.LABELS)
CHANCE = "chance"  # the row of guessing: the test mean of each number (NMSE 1), a shape at random


def probe(exp: Experiment, ckpt: Path, out: Path) -> list[dict]:
    """Probes of the frozen encoder of ``ckpt`` and of a random-init one of the same architecture (drawn from
    ``pretrain.seed``), each trained on the labelled training items at each ``probe.budgets`` fraction, once per
    ``probe.seeds`` seed (which draws the labelled items, the probe's initialisation and its batches; the same items
    for every encoder and probe):

    - a ViT's frozen tokens (JEPA): the class, by the probes of ``probe.probes`` (rows with ``accuracy``);
    - on the video set, any method's frozen pooled vector (a ViT's mean token): ``vx``, ``vy`` and the speed by
      ridge regression (their NMSE and its mean, ``velocity_nmse``) and the object's shape by a linear classifier
      (``shape_accuracy``), with a row of chance.

    Writes ``probe_config.yaml``, ``probe.json`` (the rows) and ``probe.md`` (the tables) to ``out``."""
    if not exp.is_procedural:
        raise ValueError(
            f"class probes need a procedural dataset, one of {sorted(PROCEDURAL)}; got {exp.config.data.equation!r}"
        )
    video = videos.is_video_set(PROCEDURAL[exp.config.data.equation])
    if exp.encoder_family != "vit" and not video:
        raise ValueError(
            f"class probes of {exp.config.data.equation!r} read a ViT's tokens; pretrain.encoder="
            f"{exp.config.pretrain.encoder!r} is not a ViT (a ResNet is probed on a video set)"
        )
    r = exp.config.probe
    save_config(exp.config, out, "probe_config.yaml")
    train, test = exp.procedural_sets
    numbers = (videos.label_table(train), videos.label_table(test)) if video else None
    rows, pretrained = [], f"{exp.method.name}_frozen"
    for name in (pretrained, "random_frozen"):
        encoder = load_encoder(exp, ckpt if name == pretrained else None, exp.config.pretrain.seed)
        if exp.encoder_family == "vit":
            loaders = (DataLoader(s, batch_size=256) for s in (train, test))
            tokens = [frozen_tokens(encoder.vit, loader, progress=exp.progress) for loader in loaders]
            rows += token_probes(exp, name, tokens, len(train.classes))
            pooled = [h.mean(1) for h, _ in tokens]  # the pooled encoder's vector: the mean token
        else:
            pooled = [pooled_vectors(exp, encoder, s) for s in (train, test)]
        if video:
            rows += pooled_probes(exp, name, pooled, numbers)
    if video:
        rows += [chance_row(budget, len(label_subset(len(train), budget, 0))) for budget in r.budgets]
    write_atomic(out / "probe.json", json.dumps(rows, indent=1))
    write_atomic(out / SUMMARY, summary(rows, chance_level(exp)) + "\n")
    return rows


def token_probes(exp: Experiment, name: str, tokens: list[tuple[torch.Tensor, torch.Tensor]], classes: int) -> list:
    """Rows of the class probes of ``probe.probes`` on frozen tokens ``[(train tokens, classes), (test ...)]``."""
    r, rows = exp.config.probe, []
    (h_train, y_train), (h_test, y_test) = tokens
    for budget, kind, seed in itertools.product(r.budgets, r.probes, r.seeds):
        labelled = torch.from_numpy(label_subset(len(h_train), budget, seed))
        h_labelled, y_labelled = h_train[labelled], y_train[labelled]
        torch.manual_seed(seed)
        probe = PROBES[kind](h_train.shape[-1], classes)
        train_probe(probe, h_labelled, y_labelled, r.steps, r.lr, r.batch_size, seed)
        row = {
            "encoder": name,
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
                f"  {name:14s} {kind:9s} probe, {len(labelled):5d} labels, seed {seed}: "
                f"test accuracy {row['accuracy']:.3f}",
                flush=True,
            )
    return rows


@torch.no_grad()
def pooled_vectors(exp: Experiment, encoder: nn.Module, data) -> torch.Tensor:
    """The frozen pooled vectors ``(N, dim)`` of a video set's items as trajectories, each its first window."""
    loader = DataLoader(videos.VideoTrajectories(data), batch_size=256, collate_fn=collate)
    return encode(encoder, loader, exp.view_maker(augment=False), label_index=None, progress=exp.progress)[0]


def pooled_probes(exp: Experiment, name: str, pooled: list[torch.Tensor], numbers: tuple[torch.Tensor, ...]) -> list:
    """Rows of the velocity (ridge) and shape (linear classifier) probes of the pooled vectors ``[train, test]``,
    per label budget and seed; ``numbers``: the train and test items' :data:`videos.LABELS`."""
    r, rows = exp.config.probe, []
    columns = [videos.LABELS.index(k) for k in VELOCITY]
    shape = videos.LABELS.index("shape")
    (h_train, h_test), (y_train, y_test) = pooled, numbers
    for budget, seed in itertools.product(r.budgets, r.seeds):
        labelled = torch.from_numpy(label_subset(len(h_train), budget, seed))
        h, y = h_train[labelled], y_train[labelled]
        nmse = pooled_nmse(h, y[:, columns], h_test, y_test[:, columns])
        classes = (y[:, shape].long(), y_test[:, shape].long())
        acc = pooled_accuracy(h, classes[0], h_test, classes[1], len(SHAPES), seed)
        row = {"encoder": name, "probe": "pooled", "budget": budget, "labels": len(labelled), "seed": seed}
        row.update({f"{k}_nmse": v for k, v in zip(VELOCITY, nmse)})
        row.update(velocity_nmse=sum(nmse) / len(nmse), shape_accuracy=acc)
        rows.append(row)
        if exp.progress:
            print(
                f"  {name:14s} pooled probes, {len(labelled):5d} labels, seed {seed}: velocity NMSE "
                f"{row['velocity_nmse']:.3f}, shape accuracy {acc:.3f}",
                flush=True,
            )
    return rows


def chance_row(budget: float, labels: int) -> dict:
    """The pooled probes' row of guessing: each velocity number's test mean (NMSE 1), a shape at random."""
    row = {"encoder": CHANCE, "probe": "pooled", "budget": budget, "labels": labels, "seed": None}
    row.update({f"{k}_nmse": 1.0 for k in VELOCITY})
    return {**row, "velocity_nmse": 1.0, "shape_accuracy": 1.0 / len(SHAPES)}


def summary(rows: list[dict], chance: float) -> str:
    """The tables of ``probe.md``: the pooled probes' (videos), then the token probes' (ViTs)."""
    pooled = [row for row in rows if row["probe"] == "pooled"]
    tokens = [row for row in rows if row["probe"] != "pooled"]
    parts = []
    if pooled:
        parts.append(
            "velocity (ridge, test NMSE) and shape (linear, test accuracy) from the frozen pooled vector; "
            "mean +- std over the probe seeds\n\n" + pooled_probe_table(pooled, VELOCITY)
        )
    if tokens:
        parts.append(probe_table(tokens, chance))
    return "\n\n".join(parts)


def chance_level(exp: Experiment) -> float:
    """Accuracy of guessing among the procedural set's classes."""
    return 1.0 / len(PROCEDURAL[exp.config.data.equation].classes)
