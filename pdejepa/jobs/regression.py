"""The regression job: a physical parameter from the frozen SSL representation, against the same network
trained supervised and a frozen random encoder, per label budget and seed."""

from __future__ import annotations

import json
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader, Subset

from solvers.figures import save_figure

from ..config import save_config
from ..data import collate
from ..encoders import load_encoder
from ..eval import RegressionModule, TargetScaler
from ..eval.labels import label_subset
from ..eval.regressors import encode, ridge_probe
from ..experiment import Experiment
from ..figures.label_budgets import regression_figure, regression_title
from ..outputs import write_atomic
from ..report.tables import regression_table
from ..train.trainer import quiet_trainer

SUMMARY = "regression.md"  # the table, and where the figure is


def regress(exp: Experiment, ckpt: Path, out: Path) -> list[dict]:
    """Frozen SSL probe vs supervised-from-scratch vs frozen random init, per label budget and seed.

    Frozen encoders are probed linearly in closed form (:func:`ridge_probe`); the supervised
    baseline trains the same encoder and a linear head with AdamW for ``regress.steps`` steps.
    Writes ``regress_config.yaml``, ``regression.json`` (the rows), ``regression.md`` (the table) and
    ``regression.png`` (NMSE against labels) to ``out``; returns one row per method, budget and seed.
    """
    save_config(exp.config, out, "regress_config.yaml")
    rows = regression_rows(exp, ckpt)
    write_atomic(out / "regression.json", json.dumps(rows, indent=1))
    d = exp.config.data
    sizes = (len(exp.dataset(path)) for path in exp.files)  # the files' sizes: data.files may give any
    figure = save_figure(
        regression_figure(rows, d.label, regression_title(d.label, d.equation, *sizes)), out / "regression.png"
    )
    write_atomic(out / SUMMARY, f"{regression_table(rows, d.label)}\n\nplot: {figure}\n")
    return rows


def regression_rows(exp: Experiment, ckpt: Path) -> list[dict]:
    """The rows of :func:`regress`: ``method``, ``budget``, ``labels``, ``seed`` and the test metrics."""
    r, d, progress = exp.config.regress, exp.config.data, exp.progress
    train_file, test_file = exp.files
    train = exp.dataset(train_file)
    test = DataLoader(exp.dataset(test_file), batch_size=128, collate_fn=collate)
    views = exp.view_maker(augment=False)
    all_labels = torch.from_numpy(train.label_values(d.label))
    frozen: dict[tuple[str, int], tuple] = {}  # (method, seed) -> train and test features: encode once, probe often
    rows = []
    for budget in r.budgets:
        for seed in r.seeds:
            subset = label_subset(len(train), budget, seed)
            n = len(subset)
            scaler = TargetScaler.fit(all_labels[subset], d.log_label)
            for method in r.methods:
                if method == "supervised":
                    module = RegressionModule(
                        load_encoder(exp, None, seed), views, scaler, freeze=False, head=r.head, lr=r.lr
                    )
                    L.seed_everything(seed, verbose=False)
                    loader = DataLoader(
                        Subset(train, subset.tolist()),
                        batch_size=min(r.batch_size, n),
                        shuffle=True,
                        collate_fn=collate,
                        drop_last=True,
                        generator=torch.Generator().manual_seed(seed),
                    )
                    quiet_trainer(max_steps=r.steps, accelerator="auto", devices=1).fit(module, loader)
                    metrics = module.evaluate(test)
                else:
                    key = (method, 0 if method == "ssl_frozen" else seed)
                    if key not in frozen:
                        encoder = load_encoder(exp, ckpt if method == "ssl_frozen" else None, seed)
                        ordered = DataLoader(train, batch_size=128, collate_fn=collate)
                        frozen[key] = (
                            *encode(encoder, ordered, views, progress=progress),
                            *encode(encoder, test, views, progress=progress),
                        )
                    h_train, y_train, h_test, y_test = frozen[key]
                    metrics = ridge_probe(h_train[subset], scaler(y_train[subset]), h_test, scaler(y_test))
                rows.append({"method": method, "budget": budget, "labels": n, "seed": seed, **metrics})
                if progress:
                    print(f"  {method:14s} {n:5d} labels  seed {seed}: NMSE {metrics['nmse']:.4f}", flush=True)
    return rows
