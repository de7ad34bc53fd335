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
import h5py
import numpy as np
import torch
import yaml
from torch.utils.data import DataLoader, Subset

from solvers.generate import dataset_registry, generate, run_fingerprint
from solvers.ns2d import NAME as FLOW_DATASET
from symmetries.jets import EvolutionEquation
from symmetries.registry import equation_text

from .checks import check_count, check_seeds
from .data import FlowViewMaker, TrajectoryDataset, ViewMaker, collate, make_views
from .data.flow_views import FIELDS as FLOW_FIELDS
from .data.sampling import EpochShuffle
from .eval import RegressionModule, TargetScaler
from .eval.labels import check_budgets, label_subset
from .eval.regression import encode, ridge_probe
from .jepa_pipeline import is_vit, pooled_vit, pretrain_jepa
from .models import resnet
from .models.resnet import DEPTHS as RESNETS
from .train import CollapseMonitor, Throughput, VICRegPretraining

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
        "method": "vicreg",
        "encoder": "resnet10", "width": 16, "small_input": False, "window": [32, 256], "max_start": None, "expander": [256, 256, 256],
        "strengths": {"space_shift": 3.0, "galilean_boost": 0.3, "scaling": 0.2, "cole_hopf": 0.5},
        "epochs": 75, "batch_size": 64, "lr": 2e-3, "weight_decay": 1e-4, "seed": 0, "accelerator": "auto", "devices": 1,
        "num_nodes": 1, "num_workers": 0,  # DataLoader worker processes: the batches are the same for any count
        # I-JEPA / V-JEPA (method: jepa, encoder: a ViT size): warmup-cosine lr (start, peak, final), cosine
        # weight decay, linear EMA momentum; symmetries: also apply pretrain.strengths to PDE views; past
        # (videos): 0 = V-JEPA's masks, p = context the first p token time steps, targets after them
        "jepa": {"patch_size": 4, "tubelet_size": 2, "predictor": [96, 2, 3], "loss": "smooth_l1", "var_weight": 0.0,
                 "lr": [2e-4, 1e-3, 1e-6], "warmup": 0.1, "weight_decay": [0.04, 0.4], "ema": [0.996, 1.0], "symmetries": False,
                 "past": 0},
    },
    "regress": {"budgets": [0.05, 0.2, 1.0], "seeds": [0, 1, 2], "steps": 200, "batch_size": 32, "lr": 2e-3, "head": "linear",
                "methods": ["ssl_frozen", "supervised", "random_frozen"]},
    "probe": {"probes": ["attentive", "linear"], "budgets": [1.0], "steps": 1000, "batch_size": 128, "lr": 1e-3, "seeds": [0]},
    "timestep": {"history": 1, "horizon": 5, "modes": 16, "hidden": 32, "layers": 4, "conditioning": "film",
                 "steps": 1500, "batch_size": 64, "lr": 2e-3, "seeds": [0, 1, 2]},
}


OPEN = ("strengths", "params", "simulation")  # fields whose keys depend on the dataset: not checked here


def merge(base: dict, update: dict, path: str = "", extend_open: bool = False) -> dict:
    """``base`` with ``update`` merged in; unknown keys are an error naming them.

    An open field (:data:`OPEN`) is replaced as a whole by a YAML file (Burgers' strengths must not
    leak into a KS experiment) but extended key by key with ``extend_open`` (command-line overrides).
    """
    out = copy.deepcopy(base)
    for key, value in update.items():
        where = f"{path}{key}"
        if key not in out and not (extend_open and path.rstrip(".").split(".")[-1] in OPEN):
            raise ValueError(f"unknown config field {where!r}; allowed here: {sorted(out)}")
        if isinstance(out.get(key), dict) and isinstance(value, dict) and (key not in OPEN or extend_open):
            out[key] = merge(out[key], value, where + ".", extend_open)
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
        cfg = merge(cfg, nested, extend_open=True)
    return cfg


def save_config(cfg: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def dataset_files(cfg: dict, progress: bool = True) -> tuple[Path, Path]:
    """Train and test files, generated (disjoint seeds) if they are not there yet; a file already there
    must hold what the config asks for (same recipe, count and seed), else the error says so."""
    d = cfg["data"]
    registry = dataset_registry()
    if d["equation"] not in registry:
        raise ValueError(f"unknown dataset {d['equation']!r}; choose one of {sorted(registry)}")
    sim = registry[d["equation"]](d["equation"]).updated(**d["simulation"])
    root = Path(d["dir"])
    paths = []
    for split, num, seed in (("train", d["num_train"], d["seed"]), ("test", d["num_test"], d["seed"] + 1)):
        path = root / f"{d['equation']}_{split}.h5"
        expected = run_fingerprint(sim, num, seed)
        if not path.exists():
            generate(sim, num, path, seed=seed, progress=progress, resume=(root / f"{path.name}.partial").exists())
        with h5py.File(path, "r") as f:
            stored = f.attrs.get("fingerprint", "")
        if stored != expected:
            raise ValueError(f"{path} holds another dataset than this config asks for (data.simulation, num_{split} or seed differ):\n"
                             f"  stored:    {stored}\n  requested: {expected}\nset data.dir to another folder, or delete the file")
        paths.append(path)
    return paths[0], paths[1]


def is_flow(cfg: dict) -> bool:
    """2D smoke-buoyancy flows (fields smoke, vx, vy) rather than a 1D field ``u``."""
    return cfg["data"]["equation"] == FLOW_DATASET


def equation_params(cfg: dict) -> tuple[str, ...]:
    """Constants of the data's equation (e.g. Burgers' ``nu``): the 1D symmetry views need them per sample."""
    if is_flow(cfg):
        return ()
    return tuple(str(p) for p in EvolutionEquation.parse(equation_text(cfg["data"]["equation"])).params)


def grid_of(cfg: dict) -> dict[str, list[float]] | None:
    """Cell centres ``{"x": [...], "y": [...]}`` of a flow dataset (the flow views need them); None in 1D."""
    if not is_flow(cfg):
        return None
    train, _ = dataset_files(cfg, progress=False)
    with h5py.File(train, "r") as f:
        return {"x": f["x"][:].tolist(), "y": f["y"][:].tolist()}


def view_maker(cfg: dict, augment: bool = True) -> ViewMaker | FlowViewMaker:
    p = cfg["pretrain"]
    strengths = p["strengths"] if augment else {}
    video = p["method"] == "jepa" and is_flow(cfg)  # V-JEPA's tubelets see flows as videos
    return make_views(view_equation(cfg), strengths, tuple(p["window"]), equation_params(cfg), grid_of(cfg), p["max_start"], video)


def view_equation(cfg: dict) -> str:
    """What the views are told about the equation: its string (1D symmetries), or the flow dataset's name."""
    name = cfg["data"]["equation"]
    return name if is_flow(cfg) else equation_text(name)


def dataset(path: Path, cfg: dict) -> TrajectoryDataset:
    """Lazy samples of ``path`` with the regression target first among the labels, then what the views need."""
    label = cfg["data"]["label"]
    labels = (label, *[n for n in equation_params(cfg) if n != label])
    return TrajectoryDataset(path, labels=labels, fields=FLOW_FIELDS if is_flow(cfg) else ("u",))


def pretrain(cfg: dict, out: Path, progress: bool = True) -> Path:
    """Pretraining by ``pretrain.method`` (VICReg or JEPA); returns the final checkpoint (resumes from ``out/last.ckpt``)."""
    p = cfg["pretrain"]
    if p["method"] not in PRETRAINING:
        raise ValueError(f"unknown pretrain.method {p['method']!r}; choose one of {sorted(PRETRAINING)}")
    return PRETRAINING[p["method"]](cfg, out, progress)


def pretrain_vicreg(cfg: dict, out: Path, progress: bool = True) -> Path:
    """VICReg on Lie-symmetry views of simulated trajectories."""
    p = cfg["pretrain"]
    if p["encoder"] not in RESNETS:
        raise ValueError(f"VICReg pretrains a ResNet, one of {sorted(RESNETS)}; got {p['encoder']!r} (ViTs: pretrain.method=jepa)")
    train, _ = dataset_files(cfg, progress)
    L.seed_everything(p["seed"], workers=True, verbose=False)
    data = pretraining_loader(dataset(train, cfg), cfg, collate)
    module = VICRegPretraining(view_equation(cfg), p["strengths"], tuple(p["window"]), equation_params(cfg), p["encoder"], p["width"],
                               p["small_input"], tuple(p["expander"]), p["lr"], p["weight_decay"], p["epochs"], p["seed"], grid_of(cfg), p["max_start"])
    return fit(module, data, cfg, out, progress)


def pretraining_loader(data, cfg: dict, collate_fn) -> DataLoader:
    """Shuffled batches of ``pretrain.batch_size`` whose order is a function of ``(pretrain.seed, epoch)``
    (:class:`~pdejepa.data.sampling.EpochShuffle`), in ``pretrain.num_workers`` worker processes."""
    p = cfg["pretrain"]
    workers = check_count("pretrain.num_workers", p["num_workers"], low=0)
    return DataLoader(data, batch_size=p["batch_size"], sampler=EpochShuffle(data, p["seed"]), collate_fn=collate_fn,
                      drop_last=True, num_workers=workers, persistent_workers=False)


def resume_epoch(ckpt: Path) -> int:
    """The epoch a Lightning run resumed from ``ckpt`` starts with (the count its samplers are given)."""
    state = torch.load(ckpt, map_location="cpu", weights_only=True, mmap=True)  # mmap: the weights are not read
    return int(state["loops"]["fit_loop"]["epoch_progress"]["current"]["processed"])


def announce_resume(data: DataLoader, ckpt: Path) -> None:
    """Tell the sampler and collator the epoch a resume starts at, before Lightning builds the first
    iterator: worker processes copy them then, before Lightning's own ``set_epoch`` calls."""
    epoch = resume_epoch(ckpt)
    for part in (data.sampler, data.collate_fn):
        if hasattr(part, "set_epoch"):
            part.set_epoch(epoch)


def fit(module: L.LightningModule, data: DataLoader, cfg: dict, out: Path, progress: bool = True) -> Path:
    """Train ``module`` for ``pretrain.epochs`` with collapse monitoring, throughput, CSV logs and
    checkpoints in ``out`` (resuming from ``out/last.ckpt``); bf16 on GPUs, DDP through ``devices``/``num_nodes``."""
    p = cfg["pretrain"]
    last = out / "last.ckpt"
    saved = out / "config.yaml"
    if last.exists() and saved.exists():  # resuming: only the run this folder holds
        before = yaml.safe_load(saved.read_text())
        free = ("epochs", "accelerator", "devices", "num_nodes", "num_workers")  # a resume may train longer or elsewhere
        kept = lambda c: {k: ({f: v for f, v in c[k].items() if f not in free} if k == "pretrain" else c[k]) for k in ("data", "pretrain")}  # noqa: E731
        changed = [k for k, v in kept(cfg).items() if kept(before).get(k) != v]
        if changed:
            raise ValueError(f"{out} holds a run of another config ({' and '.join(changed)} differ from {saved}); "
                             "resume with the same config or choose another --out")
    save_config(cfg, out)
    checkpoints = L.pytorch.callbacks.ModelCheckpoint(dirpath=out, filename="pretrain", save_last=True)
    trainer = L.Trainer(max_epochs=p["epochs"], accelerator=p["accelerator"], devices=p["devices"], num_nodes=p["num_nodes"],
                        precision="bf16-mixed" if torch.cuda.is_available() and p["accelerator"] != "cpu" else "32-true",
                        callbacks=[CollapseMonitor(), Throughput(out / "throughput.json"), checkpoints], default_root_dir=out,
                        logger=L.pytorch.loggers.CSVLogger(out, name="logs"), enable_progress_bar=progress, enable_model_summary=False)
    if last.exists():
        announce_resume(data, last)
    trainer.fit(module, data, ckpt_path=last if last.exists() else None)
    return Path(checkpoints.best_model_path or last)


PRETRAINING = {"vicreg": pretrain_vicreg, "jepa": pretrain_jepa}


def encoder_from(ckpt: Path | None, cfg: dict, seed: int, channels: int):
    """The pretrained encoder of ``ckpt`` (weights only), or a fresh random one (seeded): a ResNet,
    or a JEPA checkpoint's target ViT pooled over its tokens; ``(batch, ...) -> (batch, dim)`` either way."""
    p = cfg["pretrain"]
    torch.manual_seed(seed)
    if is_vit(cfg):
        return pooled_vit(ckpt, cfg)
    enc = resnet(p["encoder"], in_channels=channels, width=p["width"], small_input=p["small_input"])
    if ckpt is not None:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)["state_dict"]
        enc.load_state_dict({k.removeprefix("encoder."): v for k, v in state.items() if k.startswith("encoder.")})
    return enc


REGRESSION_METHODS = ("ssl_frozen", "supervised", "random_frozen")


def regress(cfg: dict, ckpt: Path, out: Path, progress: bool = True) -> list[dict]:
    """Frozen SSL probe vs supervised-from-scratch vs frozen random init, per label budget and seed.

    Frozen encoders are probed linearly in closed form (:func:`ridge_probe`); the supervised
    baseline trains the same encoder and a linear head with AdamW for ``regress.steps`` steps.
    """
    r, d = cfg["regress"], cfg["data"]
    check_budgets(r["budgets"], "regress.budgets")
    unknown = sorted(set(r["methods"]) - set(REGRESSION_METHODS))
    if unknown:
        raise ValueError(f"unknown regress.methods {unknown}; choose among {list(REGRESSION_METHODS)}")
    train_file, test_file = dataset_files(cfg, progress)
    save_config(cfg, out)
    train = dataset(train_file, cfg)
    test = DataLoader(dataset(test_file, cfg), batch_size=128, collate_fn=collate)
    views = view_maker(cfg, augment=False)
    ordered = lambda ds: DataLoader(ds, batch_size=128, collate_fn=collate)  # noqa: E731
    all_labels = torch.from_numpy(train.label_values(d["label"]))
    frozen: dict[tuple[str, int], tuple] = {}  # (method, seed) -> train and test features: encode once, probe often
    rows = []
    for budget in r["budgets"]:
        for seed in check_seeds(r["seeds"], "regress.seeds"):
            subset = label_subset(len(train), budget, seed)
            n = len(subset)
            scaler = TargetScaler.fit(all_labels[subset], d["log_label"])
            for method in r["methods"]:
                if method == "supervised":
                    module = RegressionModule(encoder_from(None, cfg, seed, views.channels), views, scaler, freeze=False, head=r["head"], lr=r["lr"])
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
                        encoder = encoder_from(ckpt if method == "ssl_frozen" else None, cfg, seed, views.channels)
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
