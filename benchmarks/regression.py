"""Parameter regression from frozen self-supervised representations against supervised training.

Per task (one experiment config): simulate the data, pretrain (VICReg on Lie-symmetry views for Burgers and
KS; the dynamics objective for smoke buoyancy, configs/ns_dynamics.yaml), then at
5%, 20% and 100% of the labels compare
  - ssl_frozen:    the pretrained encoder, frozen, with a linear (ridge) head;
  - supervised:    the same network trained from scratch on the same labels, for as many optimizer
                   steps as the pretraining took (``regress.steps``, set here);
  - random_frozen: a random-init encoder, frozen, with the same linear head;
NMSE = MSE / Var(label) on a held-out test set, mean +- std over 3 seeds (label subsets and inits).
Also printed: pretraining throughput (samples/s), the fraction of training time spent waiting for
data, what the on-device symmetry views cost, GPU utilisation on CUDA, and wall times.

    python benchmarks/regression.py                       # Burgers viscosity, KS length, NS buoyancy
    python benchmarks/regression.py --tasks ns --set data.simulation.nx=128 data.simulation.ny=128 \\
        data.num_train=8192 pretrain.epochs=16 pretrain.batch_size=128 pretrain.num_workers=8   # GPU-sized
    python benchmarks/regression.py --tasks burgers --set pretrain.epochs=10   # any config field
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import torch

from benchmarks.machine_info import machine_lines
from pdejepa.data import collate
import pdejepa
from pdejepa.config import Config, load_config
from pdejepa.experiment import Experiment

ROOT = Path(__file__).resolve().parents[1]
TASKS = {
    "burgers": ROOT / "configs" / "burgers_vicreg.yaml",
    "ks": ROOT / "configs" / "ks_vicreg.yaml",
    "ns": ROOT / "configs" / "ns_dynamics.yaml",  # the best smoke recipe; VICReg's is configs/ns_vicreg.yaml
}


def view_cost(cfg: Config, batches: int = 10) -> float:
    """Seconds per sample to make both symmetry views (on the training device) of real batches."""
    exp = Experiment(cfg, progress=False)
    data = exp.dataset(exp.files[0])
    bs = cfg.pretrain.batch_size
    device = "cuda" if torch.cuda.is_available() and cfg.pretrain.accelerator != "cpu" else "cpu"
    views = exp.view_maker()
    chunks = [collate([data[i] for i in range(k * bs, (k + 1) * bs)]) for k in range(batches)]
    chunks = [{k: v.to(device) if torch.is_tensor(v) else v for k, v in b.items()} for b in chunks]
    views(chunks[0], seed=0)  # warm-up
    start = time.perf_counter()
    for k, b in enumerate(chunks):
        views(b, seed=2 * k), views(b, seed=2 * k + 1)
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / (batches * bs)


def run_task(name: str, overrides: list[str], out: Path) -> str:
    if name not in TASKS:
        raise SystemExit(f"task {name!r} is not built; choose from {sorted(TASKS)}")
    overrides = [f"data.dir={out / 'data'}", *overrides]
    cfg = load_config(TASKS[name], overrides)
    p = cfg.pretrain
    steps = p.epochs * (cfg.data.num_train // p.batch_size)
    if not any(item.startswith("regress.steps=") for item in overrides):  # supervised: as many steps as the pretraining
        cfg = load_config(TASKS[name], [*overrides, f"regress.steps={steps}"])
    run = out / name
    start = time.perf_counter()
    Experiment(cfg).files
    t_data = time.perf_counter() - start
    ckpt = pdejepa.pretrain(cfg, run, progress=False)
    t_pretrain = time.perf_counter() - start - t_data
    pdejepa.regress(cfg, ckpt, run)
    t_regress = time.perf_counter() - start - t_data - t_pretrain
    md = (run / "regression.md").read_text().strip()
    speed = json.loads((run / "throughput.json").read_text())
    per_view_pair = view_cost(cfg)
    util = speed["gpu_utilisation_percent"]
    lines = [
        f"## {name}: {cfg.data.label} ({cfg.data.num_train} train / {cfg.data.num_test} test trajectories, "
        f"{p.encoder} width {p.width}, window {list(p.window)}, {steps} pretraining steps of {p.batch_size}, "
        f"supervised {cfg.regress.steps} steps of {cfg.regress.batch_size})",
        md,
        f"pretraining: {speed['samples_per_s']:.1f} samples/s (two views each), "
        f"data wait {100 * speed['data_wait_fraction']:.1f}% of step time, "
        f"symmetry views {1e3 * per_view_pair:.2f} ms per sample = "
        f"{100 * per_view_pair * speed['samples_per_s']:.0f}% of step time"
        + (f", GPU utilisation {util:.0f}%" if util is not None else ""),
        f"wall time: data {t_data:.0f} s, pretraining {t_pretrain:.0f} s, regression {t_regress:.0f} s",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["burgers", "ks", "ns"], help=f"among {sorted(TASKS)}")
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/regression"))
    parser.add_argument("--set", dest="overrides", nargs="+", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    print("\n".join(machine_lines("lightning")), flush=True)
    for name in args.tasks:
        report = run_task(name, args.overrides, args.out)
        print("\n" + report, flush=True)


if __name__ == "__main__":
    main()
