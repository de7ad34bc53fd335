"""The JEPA world model against V-JEPA, VICReg, the dynamics objective and random init on the same
moving-objects videos, for the same number of steps, each probed on its frozen pooled vector.

Tasks (each a config of configs/, the data, steps and probes shared; any field overridable with --set):
  world     the world model (configs/world_moving.yaml);
  vjepa     V-JEPA (configs/vjepa_moving.yaml) on the same videos;
  vicreg    VICReg on two windows of frames of each video, no symmetries (world_moving.yaml, pretrain.method=vicreg);
  dynamics  the dynamics objective (world_moving.yaml, pretrain.method=dynamics).
Random init: the rows of a random-init encoder of each architecture that every probe job writes (the ResNet's,
the same for the three ResNet methods, drawn from pretrain.seed, and the ViT's).

Printed: the velocity's NMSE (ridge regression of vx, vy and the speed; their mean, then each) and the shape's
test accuracy (a linear classifier) from the frozen pooled vector, per label budget, mean +- std over the probe
seeds, with a row of chance; V-JEPA's attentive and linear token probes of the direction of motion; the machine,
each task's throughput and wall times.

    python benchmarks/videos.py                        # CPU-sized: 2,048 clips of 8 frames at 32 x 32, 320 steps of 64
    python benchmarks/videos.py --tasks world --set data.num_train=1024 pretrain.epochs=5   # a quick look
    python benchmarks/videos.py --set data.num_train=32768 data.num_test=4096 pretrain.epochs=20 \\
        "data.simulation={frames: 16, size: 64}" pretrain.batch_size=256 pretrain.num_workers=8   # GPU-sized
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from benchmarks.jepa import throughput
from benchmarks.machine_info import machine_lines
import pdejepa
from pdejepa.config import load_config
from pdejepa.report.tables import pooled_probe_table, probe_table

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
TASKS = {  # task -> (config, its own overrides)
    "world": ("world_moving.yaml", []),
    "vjepa": ("vjepa_moving.yaml", []),
    "vicreg": ("world_moving.yaml", ["pretrain.method=vicreg"]),
    "dynamics": ("world_moving.yaml", ["pretrain.method=dynamics"]),
}
SHARED = [  # the same videos, steps and probes for every task (world_moving.yaml's)
    "data.num_train=2048",
    "data.num_test=1024",
    "data.seed=0",
    "data.simulation={frames: 8, size: 32}",
    "pretrain.epochs=10",
    "pretrain.batch_size=64",
    "pretrain.seed=0",
    "probe.budgets=[0.03125, 0.125, 1.0]",
    "probe.seeds=[0, 1, 2]",
    "probe.steps=1000",
    "probe.batch_size=128",
    "probe.lr=0.001",
]


def run_task(task: str, overrides: list[str], out: Path) -> tuple[list[dict], str]:
    """Pretrain and probe one task: its probe rows, the encoders named for the combined tables, and a line that
    describes the run."""
    config, own = TASKS[task]
    cfg = load_config(CONFIGS / config, [*SHARED, *own, *overrides])
    run = out / task
    start = time.perf_counter()
    ckpt = pdejepa.pretrain(cfg, run, progress=False)
    t_pretrain = time.perf_counter() - start
    rows = pdejepa.probe(cfg, ckpt, run, progress=False)
    p, d = cfg.pretrain, cfg.data
    names = {f"{p.method}_frozen": task, "random_frozen": random_init(task)}
    steps = p.epochs * (d.num_train // p.batch_size)
    return [{**r, "encoder": names.get(r["encoder"], r["encoder"])} for r in rows], (
        f"{task}: {p.method}, {p.encoder}, {steps} steps of {p.batch_size} ({d.num_train} train / {d.num_test} test "
        f"clips, {d.simulation}); pretraining {throughput(run)}; wall time: pretraining {t_pretrain:.0f} s, "
        f"probes {time.perf_counter() - start - t_pretrain:.0f} s"
    )


def random_init(task: str) -> str:
    """The name of the random-init row of a task's architecture."""
    return f"random init ({'ViT' if task == 'vjepa' else 'ResNet'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/videos"))
    parser.add_argument("--set", dest="overrides", nargs="+", default=[], metavar="KEY=VALUE", help="for every task")
    args = parser.parse_args()
    print("\n".join(machine_lines("lightning")), flush=True)
    start = time.perf_counter()
    pooled, tokens, seen = [], [], set()
    for task in args.tasks:
        rows, line = run_task(task, args.overrides, args.out)
        print(line, flush=True)
        keep = {task} | ({random_init(task), "chance"} - seen)  # each random init and chance once
        pooled += [r for r in rows if r["probe"] == "pooled" and r["encoder"] in keep]
        tokens += [r for r in rows if r["probe"] != "pooled"]
        seen |= keep
    order = [*args.tasks, "random init (ResNet)", "random init (ViT)", "chance"]
    pooled.sort(key=lambda r: order.index(r["encoder"]))
    print("\n## velocity (ridge, test NMSE) and shape (linear classifier, test accuracy) from the frozen pooled vector")
    print(pooled_probe_table(pooled))
    if tokens:
        print("\n## V-JEPA: direction of motion (8 classes) from frozen tokens, test accuracy")
        print(probe_table(tokens, 1 / 8))
    (args.out / "videos.json").write_text(json.dumps(pooled + tokens, indent=1))
    print(f"\ntotal wall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
