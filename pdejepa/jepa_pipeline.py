"""I-JEPA / V-JEPA through the same doors as VICReg: pretraining on procedural images and videos or
on PDE trajectories, and frozen probes of the classes of the procedural sets.

A 1D trajectory window is an image ``(3, frames, points)`` (field and coordinates), a 2D flow
window a video ``(7, frames, y, x)`` (smoke, velocity, coordinates, gravity): the very views the
regression and time-stepping evaluations feed a pooled encoder, so they accept a JEPA checkpoint.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, default_collate

from .checks import check_seeds
from .data import MovingObjectsVideos, ShapesImages, collate
from .eval.labels import check_budgets, label_subset
from .eval.probes import AttentiveProbe, LinearProbe, accuracy, frozen_tokens, train_probe
from .masks import MaskCollator, MultiBlock2D, MultiBlock3D, vjepa_masks
from .models import VIT_SIZES, PooledEncoder, VisionTransformer, vit
from .train import JEPAPretraining

PROCEDURAL: dict[str, type] = {"shapes": ShapesImages, "moving-objects": MovingObjectsVideos}
PROBES = {"attentive": AttentiveProbe, "linear": LinearProbe}


def is_vit(cfg: dict) -> bool:
    return cfg["pretrain"]["encoder"] in VIT_SIZES


def is_procedural(cfg: dict) -> bool:
    return cfg["data"]["equation"] in PROCEDURAL


def procedural_sets(cfg: dict) -> tuple[Dataset, Dataset]:
    """Train and test sets of a procedural dataset (disjoint seeds; ``data.simulation`` holds its sizes)."""
    d = cfg["data"]
    make = PROCEDURAL[d["equation"]]
    return make(d["num_train"], seed=d["seed"], **d["simulation"]), make(d["num_test"], seed=d["seed"] + 1, **d["simulation"])


def encoder_input(cfg: dict) -> tuple[tuple[int, ...], int]:
    """The ViT's ``input_size`` and channels: a procedural item's, or the PDE view's."""
    if is_procedural(cfg):
        x = procedural_sets(cfg)[1][0]["x"]
        return tuple(x.shape[1:]), x.shape[0]
    from .pipeline import grid_of, view_maker

    views, window = view_maker(cfg, augment=False), cfg["pretrain"]["window"]
    if len(window) == 2:
        return tuple(window), views.channels
    grid = grid_of(cfg)
    return (window[0], len(grid["y"]), len(grid["x"])), views.channels


def vit_of(cfg: dict) -> VisionTransformer:
    """A fresh ViT as configured (size, patches, tubelets) for the data's input."""
    j = cfg["pretrain"]["jepa"]
    size, channels = encoder_input(cfg)
    return vit(cfg["pretrain"]["encoder"], size, channels, j["patch_size"], j["tubelet_size"])


def pooled_vit(ckpt: Path | None, cfg: dict) -> PooledEncoder:
    """The target encoder of a JEPA checkpoint (weights only) as a pooled encoder; random when ``ckpt`` is None."""
    encoder = vit_of(cfg)
    if ckpt is not None:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)["state_dict"]
        weights = {k.removeprefix("target_encoder."): v for k, v in state.items() if k.startswith("target_encoder.")}
        if not weights:
            raise ValueError(f"{ckpt} holds no JEPA target encoder; was it pretrained with pretrain.method=jepa?")
        encoder.load_state_dict(weights)
    return PooledEncoder(encoder)


def jepa_masks(cfg: dict, grid: tuple[int, ...]) -> list[MultiBlock2D] | list[MultiBlock3D]:
    """I-JEPA's mask for an image token grid ``(h, w)``, V-JEPA's pair for a video's ``(t, h, w)``
    (future from the past with ``pretrain.jepa.past``)."""
    past = cfg["pretrain"]["jepa"]["past"]
    if len(grid) == 3:
        return vjepa_masks(grid, past=past)
    if past:
        raise ValueError(f"pretrain.jepa.past masks a video's later token time steps; this input is an image (token grid {grid}): set it to 0, got {past!r}")
    return [MultiBlock2D(grid)]


def jepa_module(cfg: dict) -> JEPAPretraining:
    from .pipeline import equation_params, grid_of, is_flow, view_equation

    p, j = cfg["pretrain"], cfg["pretrain"]["jepa"]
    size, channels = encoder_input(cfg)
    views = None
    if not is_procedural(cfg):
        views = {"equation": view_equation(cfg), "strengths": p["strengths"] if j["symmetries"] else {}, "window": tuple(p["window"]),
                 "params": equation_params(cfg), "grid": grid_of(cfg), "max_start": p["max_start"], "video": is_flow(cfg)}
    return JEPAPretraining(p["encoder"], size, channels, j["patch_size"], j["tubelet_size"], tuple(j["predictor"]), j["loss"],
                           j["var_weight"], tuple(j["lr"]), j["warmup"], tuple(j["weight_decay"]), tuple(j["ema"]), views, p["seed"])


def pretrain_jepa(cfg: dict, out: Path, progress: bool = True) -> Path:
    """I-JEPA (images, 1D trajectories) or V-JEPA (videos, 2D flows); resumes from ``out/last.ckpt``."""
    from .pipeline import dataset, dataset_files, fit, pretraining_loader

    p = cfg["pretrain"]
    if not is_vit(cfg):
        raise ValueError(f"pretrain.method=jepa needs a ViT encoder, one of {sorted(VIT_SIZES)}; got {p['encoder']!r}")
    if is_procedural(cfg):
        train, base_collate = procedural_sets(cfg)[0], default_collate
    else:
        train, base_collate = dataset(dataset_files(cfg, progress)[0], cfg), collate
    L.seed_everything(p["seed"], workers=True, verbose=False)
    module = jepa_module(cfg)
    masks = MaskCollator(jepa_masks(cfg, module.encoder.grid), base_collate, seed=p["seed"])
    return fit(module, pretraining_loader(train, cfg, masks), cfg, out, progress)


def probe_classes(cfg: dict, ckpt: Path, out: Path, progress: bool = True) -> list[dict]:
    """Frozen-encoder class accuracy on a procedural set: the JEPA target encoder against a random-init
    ViT of the same size (drawn from ``pretrain.seed``), each with an attentive and a linear probe trained
    on the frozen tokens of the labelled items at each ``probe.budgets`` fraction, once per ``probe.seeds``
    seed (which draws the labelled items, the probe's initialisation and its batches; the same items
    for every encoder and probe)."""
    from .pipeline import save_config

    if not is_procedural(cfg):
        raise ValueError(f"class probes need a procedural dataset, one of {sorted(PROCEDURAL)}; got {cfg['data']['equation']!r}")
    r = cfg["probe"]
    check_budgets(r["budgets"], "probe.budgets")
    seeds = check_seeds(r["seeds"], "probe.seeds")
    save_config(cfg, out)
    train, test = procedural_sets(cfg)
    rows = []
    for method in ("jepa_frozen", "random_frozen"):
        torch.manual_seed(cfg["pretrain"]["seed"])
        encoder = pooled_vit(ckpt if method == "jepa_frozen" else None, cfg).vit
        h_train, y_train = frozen_tokens(encoder, DataLoader(train, batch_size=256))
        h_test, y_test = frozen_tokens(encoder, DataLoader(test, batch_size=256))
        for budget, kind, seed in itertools.product(r["budgets"], r["probes"], seeds):
            labelled = torch.from_numpy(label_subset(len(train), budget, seed))
            h_labelled, y_labelled = h_train[labelled], y_train[labelled]
            torch.manual_seed(seed)
            probe = PROBES[kind](encoder.dim, len(train.classes))
            train_probe(probe, h_labelled, y_labelled, r["steps"], r["lr"], r["batch_size"], seed)
            row = {"encoder": method, "probe": kind, "budget": budget, "labels": len(labelled), "seed": seed,
                   "accuracy": accuracy(probe, h_test, y_test), "train_accuracy": accuracy(probe, h_labelled, y_labelled)}
            rows.append(row)
            if progress:
                print(f"  {method:14s} {kind:9s} probe, {len(labelled):5d} labels, seed {seed}: test accuracy {row['accuracy']:.3f}", flush=True)
    (out / "probe.json").write_text(json.dumps(rows, indent=1))
    return rows


def probe_table(rows: list[dict], chance: float) -> str:
    """Markdown table of test accuracy: a row per frozen encoder, a column per probe and label budget;
    mean +- std over the probe seeds when there are several."""
    columns = list(dict.fromkeys((r["probe"], r["budget"], r["labels"]) for r in rows))
    head = [f"{p} probe" + (f", {n} labels" if len({c[1] for c in columns}) > 1 else "") for p, _, n in columns]
    lines = ["| frozen encoder | " + " | ".join(head) + " |", "|---|" + "---|" * len(columns)]
    accuracies: dict[tuple, list[float]] = {}  # (encoder, probe, budget, labels) -> one accuracy per seed
    for r in rows:
        accuracies.setdefault((r["encoder"], r["probe"], r["budget"], r["labels"]), []).append(r["accuracy"])
    cell = lambda acc: f"{np.mean(acc):.3f}" + (f" +- {np.std(acc):.3f}" if len(acc) > 1 else "")  # noqa: E731
    for enc in dict.fromkeys(r["encoder"] for r in rows):
        lines.append(f"| {enc} | " + " | ".join(cell(accuracies[(enc, *c)]) for c in columns) + " |")
    return "\n".join(lines) + f"\n\n(chance: {chance:.3f})"


def chance_level(cfg: dict) -> float:
    return 1.0 / len(PROCEDURAL[cfg["data"]["equation"]].classes)


__all__ = ["PROCEDURAL", "chance_level", "encoder_input", "is_procedural", "is_vit", "jepa_masks", "pooled_vit", "pretrain_jepa",
           "probe_classes", "probe_table"]
