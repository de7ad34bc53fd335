"""I-JEPA and V-JEPA against a random-init encoder of the same size, and V-JEPA against VICReg with
Lie symmetries on smoke buoyancy.

Tasks (one experiment config each, any field overridable with --set):
  images  I-JEPA on procedural shapes (configs/ijepa_shapes.yaml): frozen attentive and linear probes
          of the shape class at each label budget (probe.budgets), pretrained target encoder vs random init,
          mean +- std over the probe seeds (probe.seeds: labelled items, probe init and batches);
  videos  V-JEPA on procedural moving objects (configs/vjepa_moving.yaml): the same for the direction
          of motion;
  ns      the JEPA world model (configs/ns_world.yaml), V-JEPA (configs/vjepa_ns.yaml), VICReg + flow symmetries
          (configs/ns_vicreg.yaml) and the dynamics objective (configs/ns_dynamics.yaml) pretrained for the same
          number of steps of the same batch size (640 steps of 32 unless --ns-set says otherwise) on the same smoke
          trajectories, then frozen linear (ridge) probes of buoyancy at 5%, 20% and 100% of the labels, each
          against its own random-init encoder (NMSE, mean +- std over 3 label subsets).
Also printed: pretraining throughput, the share of step time spent waiting for data, wall times.

    python benchmarks/jepa.py                                  # CPU-sized: all three tasks
    python benchmarks/jepa.py --tasks videos --set pretrain.epochs=200 pretrain.num_workers=8   # V-JEPA at GPU length
    python benchmarks/jepa.py --tasks ns --ns-set data.simulation.nx=128 data.simulation.ny=128 \\
        data.num_train=8192 pretrain.epochs=50 pretrain.num_workers=8   # GPU-sized
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from benchmarks.machine_info import machine_lines
import pdejepa
from pdejepa.config import load_config
from pdejepa.experiment import Experiment

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


def throughput(run: Path) -> str:
    speed = json.loads((run / "throughput.json").read_text())
    util = speed["gpu_utilisation_percent"]
    return (
        f"{speed['samples_per_s']:.1f} samples/s, data wait {100 * speed['data_wait_fraction']:.1f}% of step time"
        + (f", GPU utilisation {util:.0f}%" if util is not None else "")
    )


def procedural_task(config: str, overrides: list[str], out: Path) -> str:
    cfg = load_config(CONFIGS / config, overrides)
    run = out / Path(config).stem
    start = time.perf_counter()
    ckpt = pdejepa.pretrain(cfg, run, progress=False)
    t_pretrain = time.perf_counter() - start
    pdejepa.probe(cfg, ckpt, run)
    md = (run / "probe.md").read_text().strip()
    p, d = cfg.pretrain, cfg.data
    steps = p.epochs * (d.num_train // p.batch_size)
    return "\n".join(
        [
            f"## {config}: {d.equation} ({d.num_train} train / {d.num_test} test), {p.encoder}, "
            f"{steps} steps of {p.batch_size}, "
            f"probes trained {cfg.probe.steps} steps on frozen tokens; test accuracy",
            md,
            f"pretraining: {throughput(run)}",
            f"wall time: pretraining {t_pretrain:.0f} s, probes {time.perf_counter() - start - t_pretrain:.0f} s",
        ]
    )


def ns_task(overrides: list[str], out: Path) -> str:
    """The world model vs V-JEPA vs VICReg + symmetries vs the dynamics objective on the same data and steps, frozen
    probes only. Each recipe keeps its own settings (window, standardisation) but not its length or batch."""
    same = ["pretrain.epochs=20", "pretrain.batch_size=32", "regress.methods=[ssl_frozen, random_frozen]"]
    same += [f"data.dir={out / 'data'}", *overrides]
    lines = []
    for name in ("ns_world", "vjepa_ns", "ns_vicreg", "ns_dynamics"):
        cfg = load_config(CONFIGS / f"{name}.yaml", same)
        Experiment(cfg).files
        run = out / name
        start = time.perf_counter()
        ckpt = pdejepa.pretrain(cfg, run, progress=False)
        t_pretrain = time.perf_counter() - start
        pdejepa.regress(cfg, ckpt, run / "regress", progress=False)
        md = (run / "regress" / "regression.md").read_text().strip()
        md = md.replace("ssl_frozen", f"{name} frozen").replace("random_frozen", "random init frozen")
        (run / "regression.md").write_text(md + "\n")
        p, d = cfg.pretrain, cfg.data
        steps = p.epochs * (d.num_train // p.batch_size)
        lines += [
            f"### {name}: {p.method}, {p.encoder}, window {list(p.window)}, {steps} steps of {p.batch_size} "
            f"({d.num_train} train / {d.num_test} test, {d.simulation})",
            md,
            f"pretraining: {throughput(run)}; wall time: pretraining {t_pretrain:.0f} s, "
            f"probes {time.perf_counter() - start - t_pretrain:.0f} s",
        ]
    return (
        "## ns: buoyancy from frozen representations, world model vs V-JEPA vs VICReg + flow symmetries vs dynamics\n"
        + "\n\n".join(lines)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["images", "videos", "ns"], choices=["images", "videos", "ns"])
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/jepa"))
    parser.add_argument(
        "--set", dest="overrides", nargs="+", default=[], metavar="KEY=VALUE", help="overrides for images and videos"
    )
    parser.add_argument(
        "--ns-set", dest="ns_overrides", nargs="+", default=[], metavar="KEY=VALUE", help="overrides for both ns runs"
    )
    args = parser.parse_args()
    print("\n".join(machine_lines("lightning")), flush=True)
    start = time.perf_counter()
    for task in args.tasks:
        if task == "ns":
            report = ns_task(args.ns_overrides, args.out)
        else:
            report = procedural_task(
                "ijepa_shapes.yaml" if task == "images" else "vjepa_moving.yaml", args.overrides, args.out
            )
        print("\n" + report, flush=True)
    print(f"\ntotal wall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
