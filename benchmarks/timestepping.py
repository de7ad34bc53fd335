"""Representation-conditioned FNO time-stepping: none vs frozen-SSL vs oracle conditioning.

Tasks (``--tasks``, several in one call share the process and print one report each):

* ``burgers`` (CPU-sized, about 19 min on 2 cores): configs/burgers_timestep.yaml. An FNO
  (neuraloperator) steps from one frame to the next five, with no conditioning, with the frozen
  VICReg representation of the trajectory's first 32 frames (FiLM on every Fourier block, whose
  layers get weight decay 1.0: ``timestep.film_weight_decay``), or with the true viscosity (the
  oracle). Rollout relative L2 (||e||^2 / ||u||^2) and VRMSE against the horizon on held-out trajectories,
  mean +- std over 3 seeds; the goals: SSL conditioning cuts the rollout relative L2 by at least 50% against
  none, closes at least 80% of the gap to the oracle, and keeps the one-step relative L2 at or below none's.
* ``burgers-reg``: the same, once per regulariser of the SSL code (:data:`REGULARISERS`, chosen with
  ``--regularisers``), starting from the plain ssl stepper (the config's own ``film_weight_decay``
  cleared). The none and oracle steppers do not depend on them, so they are trained once (with the
  plain ssl stepper) and each regulariser trains only its ssl stepper (a third of the ``burgers``
  time each). The goals: ssl's one-step relative L2 no worse than none's (mean over the seeds), rollout
  relative L2 at least 50% below none's, and at least 80% of the gap to the oracle closed.
* ``ns`` (CPU-sized: data, pretraining and time-stepping in about 37.5 min on 2 cores, 36 with the data on disk;
  the steppers train two at a time, ``timestep.workers``): 2D smoke buoyancy, configs/ns_timestep.yaml, on the
  encoder of configs/ns_dynamics.yaml. The stepper maps one state (smoke, vx, vy) to the next four on 32 x 32
  cells; besides the relative L2 and VRMSE of the state, the rollouts' relative L2 and VRMSE per field, the
  divergence of their velocity, their smoke drift and plume height, and filmstrips. The goal: the oracle beats
  none; SSL cuts the rollout relative L2 by at least 10% against none and closes at least half the gap to the
  oracle.

    python benchmarks/timestepping.py [--tasks burgers] [--ckpt results/benchmarks/regression/burgers/last.ckpt]
    python benchmarks/timestepping.py --tasks burgers-reg --ckpt ... [--regularisers pca noise]
    python benchmarks/timestepping.py --tasks ns [--ns-ckpt results/benchmarks/regression/ns/last.ckpt]
    python benchmarks/timestepping.py --tasks ns --set timestep.conditioning=channels   # any config field

Without a checkpoint the encoder is pretrained first (configs/burgers_vicreg.yaml, configs/ns_dynamics.yaml)
in ``--out``. ``--set`` overrides go to the pretraining and the time-stepping configs alike, so their data
and pretrain sections stay the same. GPU-sized smoke (the standard 128 x 128 recipe, the stepper on the
stored grid; not run yet):

    python benchmarks/timestepping.py --tasks ns --set data.simulation.nx=128 data.simulation.ny=128 \\
        data.num_train=8192 pretrain.epochs=16 pretrain.batch_size=128 pretrain.num_workers=8 \\
        timestep.pool=1 timestep.modes=24 timestep.hidden=48 timestep.steps=5000 timestep.batch_size=64 \\
        "timestep.seeds=[0, 1, 2]"
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from benchmarks.machine_info import machine_lines
import pdejepa
from pdejepa.config import Config, load_config
from pdejepa.experiment import Experiment
from pdejepa.report.tables import gap_closed, timestep_table

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
TASKS = {  # task -> (pretraining config, time-stepping config)
    "burgers": ("burgers_vicreg.yaml", "burgers_timestep.yaml"),
    "burgers-reg": ("burgers_vicreg.yaml", "burgers_timestep.yaml"),
    "ns": ("ns_dynamics.yaml", "ns_timestep.yaml"),
}
PLAIN = ["timestep.film_weight_decay=null"]  # configs/burgers_timestep.yaml's regulariser, cleared for the comparison
REGULARISERS = {  # name -> overrides of the ssl stepper (each measured against the plain ssl stepper)
    "bottleneck": ["timestep.code_dims=8"],
    "pca": ["timestep.code_dims=8", "timestep.code_pca=true"],
    "noise": ["timestep.code_noise=0.5"],
    "dropout": ["timestep.code_dropout=0.2"],
    "film_weight_decay": ["timestep.film_weight_decay=1.0"],
    "other_window": ["timestep.code_window=other"],
}


def describe(task: str, cfg: Config) -> str:
    t = cfg.timestep
    return (
        f"## {task}: {t.history} frame -> {t.horizon} frames, FNO {t.modes} modes x {t.hidden} channels x "
        f"{t.layers} layers, pool {t.pool}, {t.steps} steps of {t.batch_size}, conditioning {t.conditioning}, "
        f"seeds {list(t.seeds)}"
    )


def gap_line(rows: list[dict], cut_goal: float, closed_goal: float) -> str:
    if gap_closed(rows) is None:
        return "(the gap needs the none, ssl and oracle steppers: see timestep.variants)"
    cut, closed = gap_closed(rows)
    return (
        f"SSL conditioning cuts the mean rollout relative L2 by {100 * cut:.1f}% against none "
        f"(goal >= {100 * cut_goal:.0f}%) and closes {100 * closed:.0f}% of the gap to the oracle "
        f"(goal >= {100 * closed_goal:.0f}%)"
    )


def mean_of(rows: list[dict], variant: str, key: str) -> float:
    return float(np.mean([r[key] for r in rows if r["variant"] == variant]))


def regulariser_table(base: list[dict], runs: dict[str, list[dict]]) -> str:
    """One row per ssl stepper (plain, then each regulariser) against the shared none and oracle steppers."""
    none_one = mean_of(base, "none", "one_step_rel_l2")
    lines = [
        f"none: one-step relative L2 {none_one:.3e}, "
        f"rollout relative L2 {mean_of(base, 'none', 'rollout_rel_l2_mean'):.3e}; "
        f"oracle: one-step {mean_of(base, 'oracle', 'one_step_rel_l2'):.3e}, "
        f"rollout {mean_of(base, 'oracle', 'rollout_rel_l2_mean'):.3e}",
        "",
        "| ssl stepper | overrides | one-step relative L2 | rollout relative L2 | cut vs none (>= 50%) "
        "| gap closed (>= 80%) | one-step <= none |",
        "|---|---|---|---|---|---|---|",
    ]
    reference = [r for r in base if r["variant"] != "ssl"]
    for name, rows in {"plain": base, **runs}.items():
        ssl = [r for r in rows if r["variant"] == "ssl"]
        one, roll = np.array([r["one_step_rel_l2"] for r in ssl]), np.array([r["rollout_rel_l2_mean"] for r in ssl])
        cut, closed = gap_closed(reference + ssl)
        overrides = " ".join(REGULARISERS.get(name, [])) or "-"
        lines.append(
            f"| {name} | {overrides} | {one.mean():.3e} +- {one.std():.1e} | {roll.mean():.3e} +- {roll.std():.1e} "
            f"| {100 * cut:.1f}% | {100 * closed:.0f}% | {'yes' if one.mean() <= none_one else 'no'} |"
        )
    return "\n".join(lines)


def checkpoint(task: str, given: Path | None, overrides: list[str], out: Path) -> tuple[Path, str]:
    """The encoder's checkpoint (pretrained into ``out`` unless given) and a line of wall times."""
    if given is not None:
        return given, "pretraining: given checkpoint"
    cfg = load_config(CONFIGS / TASKS[task][0], overrides)
    start = time.perf_counter()
    Experiment(cfg, progress=False).files
    t_data = time.perf_counter() - start
    ckpt = pdejepa.pretrain(cfg, out, progress=False)
    return ckpt, f"data {t_data:.0f} s, pretraining {time.perf_counter() - start - t_data:.0f} s"


def run_task(task: str, args: argparse.Namespace, done: dict[str, list[dict]]) -> str:
    overrides = [f"data.dir={args.data}", *args.overrides]
    start = time.perf_counter()
    ns = task == "ns"
    pretrain_out = args.out / ("pretrain_ns" if ns else "pretrain")
    ckpt, timing = checkpoint(task, args.ns_ckpt if ns else args.ckpt, overrides, pretrain_out)
    cfg = load_config(CONFIGS / TASKS[task][1], overrides)
    begin = time.perf_counter()
    if task != "burgers-reg":
        rows = done[task] = pdejepa.timestep(cfg, ckpt, args.out / task, progress=False)
        goals = (0.1, 0.5) if ns else (0.5, 0.8)
        lines = [describe(task, cfg), timestep_table(rows), gap_line(rows, *goals)]
        if not ns and gap_closed(rows) is not None:
            one_step = mean_of(rows, "ssl", "one_step_rel_l2") <= mean_of(rows, "none", "one_step_rel_l2")
            verdict = "yes" if one_step else "no"
            lines.append(f"ssl one-step relative L2 at or below none's (mean over seeds): {verdict}")
        if ns and gap_closed(rows) is not None:
            oracle = mean_of(rows, "oracle", "rollout_rel_l2_mean") < mean_of(rows, "none", "rollout_rel_l2_mean")
            lines.append(f"oracle beats none on the rollout: {'yes' if oracle else 'no'}")
    else:  # every ssl stepper from the plain one (the config's own regulariser cleared), one regulariser each
        cfg = load_config(CONFIGS / TASKS[task][1], [*overrides, *PLAIN])
        base = pdejepa.timestep(cfg, ckpt, args.out / task / "plain", progress=False)
        runs = {}
        for name in args.regularisers:
            extra = [*overrides, *PLAIN, "timestep.variants=[ssl]", *REGULARISERS[name]]
            runs[name] = pdejepa.timestep(
                CONFIGS / TASKS[task][1], ckpt, args.out / task / name, overrides=extra, progress=False
            )
        lines = [describe(task, cfg), regulariser_table(base, runs)]
    total = time.perf_counter() - start
    lines.append(f"wall time: {total:.0f} s ({timing}, time-stepping {time.perf_counter() - begin:.0f} s)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["burgers"], choices=sorted(TASKS))
    parser.add_argument(
        "--ckpt",
        type=Path,
        help="a Burgers pretraining checkpoint (its config must match configs/burgers_timestep.yaml)",
    )
    parser.add_argument("--ns-ckpt", type=Path, help="a smoke checkpoint of configs/ns_dynamics.yaml")
    parser.add_argument(
        "--regularisers", nargs="+", default=list(REGULARISERS), choices=sorted(REGULARISERS), metavar="NAME"
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
    done: dict[str, list[dict]] = {}
    for task in args.tasks:
        print("\n" + run_task(task, args, done), flush=True)


if __name__ == "__main__":
    main()
