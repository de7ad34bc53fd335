"""Surprise as a physical-plausibility score: how well a pretrained model's prediction error tells smoke flows whose
buoyancy changes midway from those whose buoyancy holds (ns-buoyancy-switch), against the same score of the same
model untrained.

Models (each a config of configs/, pretrained on the data of its recipe unless --ckpt gives its checkpoint):
  world     the JEPA world model (configs/ns_world.yaml): the error of its latent prediction one step ahead;
  dynamics  the dynamics objective (configs/ns_dynamics.yaml): the error of its stepper's one-step change.
Each model's code comes from the first window of a trajectory, before the switch. A sample's score is the mean
surprise after that window; its change score the log of that over the same mean given the code of the last window
(`pdejepa surprise`). Printed: the AUROC of each at telling the switched half from the other, per model, trained
and at random init, with the mean surprise of each half before and after the
switch frame, the machine and wall times. Written: the scores (netCDF, one file per model and weights), a JSON of
the rows and a PNG of the mean surprise per frame of each half.

    python benchmarks/surprise.py                                    # CPU-sized: pretrains both (about 20 min)
    python benchmarks/surprise.py --ckpt world=RUN/last.ckpt dynamics=RUN2/last.ckpt   # score given checkpoints
    python benchmarks/surprise.py --num 1024 --set data.simulation.nx=128 data.simulation.ny=128 \\
        data.num_train=8192 pretrain.epochs=16 pretrain.batch_size=128 pretrain.num_workers=8   # GPU-sized
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import numpy as np
import torch
import xarray as xr

from benchmarks.machine_info import machine_lines
import pdejepa
from pdejepa.config import load_config
from pdejepa.eval.metrics import auroc

ROOT = Path(__file__).resolve().parents[1]
MODELS = {"world": "ns_world.yaml", "dynamics": "ns_dynamics.yaml"}
SWITCH_SEED = 1_000  # the switch set's seed: apart from the pretraining splits' (data.seed + 0, 1, 2)


def switch_file(cfg, num: int, out: Path) -> Path:
    """The buoyancy-switch test file of ``num`` trajectories on the grid and times of ``cfg``'s smoke data (half of
    them switch at the middle frame), written once under ``out``."""
    path = out / "ns-buoyancy-switch.h5"
    if not path.exists():
        sim = dict(cfg.data.simulation)
        pdejepa.generate("ns-buoyancy-switch", num, path, seed=SWITCH_SEED, switch_fraction=0.5, **sim)
    return path


def score(name: str, cfg, ckpt: Path, file: Path, out: Path, random_init: bool) -> dict:
    """One row: the AUROC of the sample scores of ``ckpt`` (or its random init) and the halves' mean surprise."""
    weights = "random init" if random_init else "pretrained"
    path = pdejepa.surprise(
        ckpt, file, out / f"{name}_{weights.replace(' ', '_')}.nc", config=cfg, random_init=random_init, progress=False
    )
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        switched = torch.from_numpy(ds["switched"].values.astype(bool))
        frames = ds["surprise"].values  # (sample, time)
        middle = frames.shape[1] // 2
        row = {"model": name, "weights": weights}
        for key in ("score", "change_score"):
            row[f"auroc_{key}"] = auroc(torch.from_numpy(ds[key].values), switched)
        for half, chosen in (("switched", switched.numpy()), ("steady", ~switched.numpy())):
            row[f"{half}_before"] = float(np.nanmean(frames[chosen, :middle]))
            row[f"{half}_after"] = float(np.nanmean(frames[chosen, middle:]))
            with warnings.catch_warnings():  # the frames before the first prediction are NaN for every sample
                warnings.simplefilter("ignore", RuntimeWarning)
                row[f"{half}_per_frame"] = np.nanmean(frames[chosen], axis=0).tolist()
    return row


def table(rows: list[dict]) -> str:
    lines = [
        "| model | weights | AUROC, score | AUROC, change score | surprise before / after the switch frame: switched "
        "| steady |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['weights']} | {r['auroc_score']:.3f} | {r['auroc_change_score']:.3f} | "
            f"{r['switched_before']:.4g} / "
            f"{r['switched_after']:.4g} | {r['steady_before']:.4g} / {r['steady_after']:.4g} |"
        )
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    """The mean surprise per frame of the switched and steady halves, a panel per model (trained and random)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(r["model"] for r in rows))
    fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 3.6), squeeze=False)
    for ax, model in zip(axes[0], models):
        for r in (r for r in rows if r["model"] == model):
            style = "-" if r["weights"] == "pretrained" else ":"
            for half, colour in (("switched", "tab:red"), ("steady", "tab:blue")):
                ax.plot(r[f"{half}_per_frame"], style, color=colour, label=f"{half}, {r['weights']}")
        ax.axvline(len(rows[0]["steady_per_frame"]) // 2, color="grey", lw=0.8)
        ax.set(title=model, xlabel="frame", ylabel="mean surprise", yscale="log")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--ckpt", nargs="+", default=[], metavar="MODEL=PATH", help="score these, not pretrain")
    parser.add_argument("--num", type=int, default=256, help="trajectories of the switch set")
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/surprise"))
    parser.add_argument("--set", dest="overrides", nargs="+", default=[], metavar="KEY=VALUE", help="for every model")
    args = parser.parse_args()
    given = dict(item.split("=", 1) for item in args.ckpt)
    unknown = sorted(set(given) - set(MODELS))
    if unknown:
        parser.error(f"--ckpt names {unknown}; the models are {list(MODELS)}")
    print("\n".join(machine_lines("lightning")), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    start, rows = time.perf_counter(), []
    for name in args.models:
        cfg = load_config(ROOT / "configs" / MODELS[name], args.overrides)
        file = switch_file(cfg, args.num, args.out)
        began = time.perf_counter()
        ckpt = Path(given[name]) if name in given else pdejepa.pretrain(cfg, args.out / name, progress=False)
        trained = time.perf_counter() - began
        rows += [score(name, cfg, ckpt, file, args.out, random_init) for random_init in (False, True)]
        print(f"{name}: pretraining {trained:.0f} s, scoring {time.perf_counter() - began - trained:.0f} s", flush=True)
    print(f"\n## AUROC of the surprise score on {args.num} ns-buoyancy-switch trajectories (half switch midway)")
    print(table(rows))
    (args.out / "surprise.json").write_text(json.dumps(rows, indent=1))
    plot(rows, args.out / "surprise.png")
    print(f"\nfigure: {args.out / 'surprise.png'}; total wall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
