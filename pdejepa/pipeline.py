"""The main job: generate data, pretrain with VICReg on symmetry views, regress a parameter.

One nested config (YAML) drives all three steps; ``a.b=c`` overrides change any field, and
the resolved config is saved beside every result.
"""
from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
import yaml
from torch.utils.data import DataLoader, Subset

from solvers import SimulationConfig
from solvers.generate import generate
from symmetries.jets import EvolutionEquation
from symmetries.registry import equation_text

from .data import TrajectoryDataset, ViewMaker, collate
from .eval import RegressionModule, TargetScaler
from .eval.regression import encode, ridge_probe
from .models import resnet
from .train import CollapseMonitor, VICRegPretraining

DEFAULTS: dict[str, Any] = {
    "data": {
        "equation": "burgers",
        "dir": "data",
        "num_train": 1024,
        "num_test": 256,
        "seed": 0,
        "simulation": {"nx": 256, "params": {"nu": [0.1, 0.5]}},
        "label": "nu",
        "log_label": True,
    },
    "pretrain": {
        "encoder": "resnet10", "width": 16, "small_input": False, "window": [32, 256], "expander": [256, 256, 256],
        "strengths": {"space_shift": 3.0, "galilean_boost": 0.3, "scaling": 0.2, "cole_hopf": 0.5},
        "epochs": 75, "batch_size": 64, "lr": 2e-3, "weight_decay": 1e-4, "seed": 0, "accelerator": "auto", "devices": 1,
    },
    "regress": {"budgets": [0.05, 0.2, 1.0], "seeds": [0, 1, 2], "steps": 300, "batch_size": 32, "lr": 2e-3, "head": "linear"},
}


def merge(base: dict, update: dict, path: str = "") -> dict:
    """``base`` with ``update`` merged in; unknown keys are an error naming them."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        where = f"{path}{key}"
        if key not in out:
            raise ValueError(f"unknown config field {where!r}; allowed here: {sorted(out)}")
        if isinstance(out[key], dict) and isinstance(value, dict) and key not in ("strengths", "params", "simulation"):
            out[key] = merge(out[key], value, where + ".")
        else:
            out[key] = value
    return out


def load_config(path: str | Path | None = None, overrides: list[str] = ()) -> dict:
    """Defaults < YAML < ``a.b=value`` overrides (values parsed as YAML)."""
    cfg = DEFAULTS
    if path:
        loaded = yaml.safe_load(Path(path).read_text()) or {}
        cfg = merge(cfg, loaded)
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"override {item!r} must look like section.field=value")
        key, value = item.split("=", 1)
        nested: dict = {}
        node = nested
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = yaml.safe_load(value)
        cfg = merge(cfg, nested)
    return cfg


def save_config(cfg: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def dataset_files(cfg: dict, progress: bool = True) -> tuple[Path, Path]:
    """Train and test files, generated (disjoint seeds) if they are not there yet."""
    d = cfg["data"]
    sim = SimulationConfig.default(d["equation"]).updated(**d["simulation"])
    root = Path(d["dir"])
    paths = []
    for split, num, seed in (("train", d["num_train"], d["seed"]), ("test", d["num_test"], d["seed"] + 1)):
        path = root / f"{d['equation']}_{split}.h5"
        if not path.exists():
            generate(sim, num, path, seed=seed, progress=progress, resume=(root / f"{path.name}.partial").exists())
        paths.append(path)
    return paths[0], paths[1]


def equation_params(cfg: dict) -> tuple[str, ...]:
    """Constants of the data's equation (e.g. Burgers' ``nu``): the symmetry views need them per sample."""
    return tuple(str(p) for p in EvolutionEquation.parse(equation_text(cfg["data"]["equation"])).params)


def view_maker(cfg: dict, augment: bool = True) -> ViewMaker:
    d, p = cfg["data"], cfg["pretrain"]
    strengths = p["strengths"] if augment else {}
    return ViewMaker(equation_text(d["equation"]), strengths, tuple(p["window"]), equation_params(cfg))


def labels_of(cfg: dict) -> tuple[str, ...]:
    """Labels loaded with each sample: the regression target first, then what the views need."""
    label = cfg["data"]["label"]
    return (label, *[n for n in equation_params(cfg) if n != label])


def pretrain(cfg: dict, out: Path, progress: bool = True) -> Path:
    """VICReg pretraining; returns the final checkpoint (resumes from ``out/last.ckpt`` if present)."""
    p = cfg["pretrain"]
    train, _ = dataset_files(cfg, progress)
    save_config(cfg, out)
    L.seed_everything(p["seed"], workers=True, verbose=False)
    data = DataLoader(TrajectoryDataset(train, labels=labels_of(cfg)), batch_size=p["batch_size"], shuffle=True,
                      collate_fn=collate, drop_last=True, generator=torch.Generator().manual_seed(p["seed"]))
    v = view_maker(cfg)
    module = VICRegPretraining(v.equation, v.strengths, tuple(p["window"]), v.params, p["encoder"], p["width"],
                               p["small_input"], tuple(p["expander"]), p["lr"], p["weight_decay"], p["epochs"], p["seed"])
    checkpoints = L.pytorch.callbacks.ModelCheckpoint(dirpath=out, filename="pretrain", save_last=True)
    trainer = L.Trainer(max_epochs=p["epochs"], accelerator=p["accelerator"], devices=p["devices"],
                        precision="bf16-mixed" if torch.cuda.is_available() and p["accelerator"] != "cpu" else "32-true",
                        callbacks=[CollapseMonitor(), checkpoints], default_root_dir=out, logger=L.pytorch.loggers.CSVLogger(out, name="logs"),
                        enable_progress_bar=progress, enable_model_summary=False)
    last = out / "last.ckpt"
    trainer.fit(module, data, ckpt_path=last if last.exists() else None)
    return Path(checkpoints.best_model_path or last)


def encoder_from(ckpt: Path | None, cfg: dict, seed: int):
    """The pretrained encoder of ``ckpt`` (weights only), or a fresh random one (seeded)."""
    p = cfg["pretrain"]
    torch.manual_seed(seed)
    enc = resnet(p["encoder"], in_channels=3, width=p["width"], small_input=p["small_input"])
    if ckpt is not None:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)["state_dict"]
        enc.load_state_dict({k.removeprefix("encoder."): v for k, v in state.items() if k.startswith("encoder.")})
    return enc


def regress(cfg: dict, ckpt: Path, out: Path, progress: bool = True) -> list[dict]:
    """Frozen SSL probe vs supervised-from-scratch vs frozen random init, per label budget and seed.

    Frozen encoders are probed linearly in closed form (:func:`ridge_probe`); the supervised
    baseline trains the same encoder and a linear head with AdamW for ``regress.steps`` steps.
    """
    r, d = cfg["regress"], cfg["data"]
    train_file, test_file = dataset_files(cfg, progress)
    save_config(cfg, out)
    train = TrajectoryDataset(train_file, labels=labels_of(cfg))
    test = DataLoader(TrajectoryDataset(test_file, labels=labels_of(cfg)), batch_size=128, collate_fn=collate)
    views = view_maker(cfg, augment=False)
    ordered = lambda ds: DataLoader(ds, batch_size=128, collate_fn=collate)  # noqa: E731
    all_labels = torch.from_numpy(train.label_values(d["label"]))
    frozen: dict[tuple[str, int], tuple] = {}  # (method, seed) -> train and test features: encode once, probe often
    rows = []
    for budget in r["budgets"]:
        for seed in r["seeds"]:
            n = max(2, int(round(budget * len(train))))
            subset = np.random.default_rng([seed, n]).permutation(len(train))[:n]
            scaler = TargetScaler.fit(all_labels[subset], d["log_label"])
            for method in ("ssl_frozen", "supervised", "random_frozen"):
                if method == "supervised":
                    module = RegressionModule(encoder_from(None, cfg, seed), views, scaler, freeze=False, head=r["head"], lr=r["lr"])
                    L.seed_everything(seed, verbose=False)
                    loader = DataLoader(Subset(train, subset.tolist()), batch_size=min(r["batch_size"], n), shuffle=True,
                                        collate_fn=collate, drop_last=True, generator=torch.Generator().manual_seed(seed))
                    trainer = L.Trainer(max_steps=r["steps"], accelerator="auto", devices=1, logger=False,
                                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
                    trainer.fit(module, loader)
                    metrics = module.evaluate(test)
                else:
                    key = (method, 0 if method == "ssl_frozen" else seed)
                    if key not in frozen:
                        encoder = encoder_from(ckpt if method == "ssl_frozen" else None, cfg, seed)
                        frozen[key] = (*encode(encoder, ordered(train), views), *encode(encoder, test, views))
                    h_train, y_train, h_test, y_test = frozen[key]
                    metrics = ridge_probe(h_train[subset], scaler(y_train[subset]), h_test, scaler(y_test))
                rows.append({"method": method, "budget": budget, "labels": n, "seed": seed, **metrics})
                if progress:
                    print(f"  {method:14s} {n:5d} labels  seed {seed}: NMSE {metrics['nmse']:.4f}", flush=True)
    (out / "regression.json").write_text(json.dumps(rows, indent=1))
    return rows


def table(rows: list[dict], label: str) -> str:
    """Markdown table of MSE and NMSE, mean +- std over seeds."""
    methods = list(dict.fromkeys(r["method"] for r in rows))
    budgets = list(dict.fromkeys((r["budget"], r["labels"]) for r in rows))
    lines = [f"| {label}: NMSE (MSE) | " + " | ".join(f"{b:.0%} ({n} labels)" for b, n in budgets) + " |",
             "|---|" + "---|" * len(budgets)]
    for m in methods:
        cells = []
        for b, n in budgets:
            sel = [r for r in rows if r["method"] == m and r["budget"] == b]
            nm, ms = np.array([r["nmse"] for r in sel]), np.array([r["mse"] for r in sel])
            cells.append(f"{nm.mean():.3f} +- {nm.std():.3f} ({ms.mean():.3f})")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(rows: list[dict], out: Path, label: str) -> Path:
    from solvers.plot import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5), constrained_layout=True)
    for m in dict.fromkeys(r["method"] for r in rows):
        ns = sorted({r["labels"] for r in rows if r["method"] == m})
        mean = [np.mean([r["nmse"] for r in rows if r["method"] == m and r["labels"] == n]) for n in ns]
        std = [np.std([r["nmse"] for r in rows if r["method"] == m and r["labels"] == n]) for n in ns]
        ax.errorbar(ns, mean, yerr=std, marker="o", capsize=3, label=m)
    ax.set_xscale("log")
    ax.set_xlabel("labelled trajectories")
    ax.set_ylabel(f"NMSE of {label}")
    ax.legend()
    return save_figure(fig, out / "regression.png")


def quickstart(out: Path, overrides: list[str] = (), progress: bool = True) -> str:
    """Generate a small Burgers set, pretrain, regress viscosity; write table, plot, config, checkpoint."""
    cfg = load_config(None, [f"data.dir={out / 'data'}", *overrides])
    start = time.perf_counter()
    ckpt = pretrain(cfg, out, progress)
    rows = regress(cfg, ckpt, out, progress)
    md = table(rows, cfg["data"]["label"])
    (out / "regression.md").write_text(md + "\n")
    plot(rows, out, cfg["data"]["label"])
    return md + f"\n\n(wall time {time.perf_counter() - start:.0f} s; results in {out})"
