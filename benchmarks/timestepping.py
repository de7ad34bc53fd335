"""Representation-conditioned FNO time-stepping: none vs frozen-SSL vs oracle conditioning.

Burgers (CPU-sized): an FNO (neuraloperator) steps from one frame to the next five, with no
conditioning, with the frozen VICReg representation of the trajectory's first 32 frames (FiLM
on every Fourier block), or with the true viscosity (the oracle). Rollout NMSE against the
horizon on held-out trajectories, mean +- std over 3 seeds; the goal: SSL conditioning cuts the
rollout NMSE by at least 10% against none and closes at least half the gap to the oracle.

    python benchmarks/timestepping.py [--ckpt results/benchmarks/regression/burgers/last.ckpt]
                                      [--set timestep.conditioning=channels ...]

Without ``--ckpt`` the encoder is pretrained first (configs/burgers_vicreg.yaml) in ``--out``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from benchmarks.machine_info import machine_lines
import pdejepa
from pdejepa.config import load_config
from pdejepa.report import gap_closed, timestep_table

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ckpt",
        type=Path,
        help="a Burgers pretraining checkpoint (its config must match configs/burgers_timestep.yaml)",
    )
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/timestepping"))
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("results/benchmarks/regression/data"),
        help="dataset folder (shared with regression.py)",
    )
    parser.add_argument("--set", dest="overrides", nargs="+", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    print("\n".join(machine_lines("lightning", "neuraloperator")), flush=True)
    start = time.perf_counter()
    ckpt = args.ckpt
    if ckpt is None:
        pretraining = load_config(ROOT / "configs" / "burgers_vicreg.yaml", [f"data.dir={args.data}"])
        ckpt = pdejepa.pretrain(pretraining, args.out / "pretrain", progress=False)
    cfg = load_config(ROOT / "configs" / "burgers_timestep.yaml", [f"data.dir={args.data}", *args.overrides])
    rows = pdejepa.timestep(cfg, ckpt, args.out / "burgers", progress=False)
    cut, closed = gap_closed(rows)
    t = cfg.timestep
    print(
        f"\n## burgers: {t.history} frame -> {t.horizon} frames, FNO {t.modes} modes x {t.hidden} channels x "
        f"{t.layers} layers, {t.steps} steps of {t.batch_size}, conditioning {t.conditioning}, seeds {list(t.seeds)}"
    )
    print(timestep_table(rows))
    print(
        f"SSL conditioning cuts mean rollout NMSE by {100 * cut:.1f}% against none (goal >= 10%) "
        f"and closes {100 * closed:.0f}% of the gap to the oracle (goal >= 50%)"
    )
    print(f"wall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
