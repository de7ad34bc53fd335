"""Time-steppers trained one after the other against side by side (``timestep.workers``, :mod:`pdejepa.jobs.pool`).

The jobs: ``--jobs`` smoke steppers of configs/ns_timestep.yaml (the FNO on 32 x 32 cells, batches of 32;
alternately unconditioned and FiLM-conditioned on an 8-d code), ``--steps`` training steps each on random fields
of the stepper's shape, then evaluated on 64 test trajectories: :func:`pdejepa.jobs.timestepping.fit_and_evaluate`, as
``pdejepa timestep`` runs it. Rows: every job in this process with all of torch's threads (``workers: 1``, the
behaviour before), one worker per thread (the default) and one per job (with more jobs than threads, processes
of one thread share the cores: no job waits for a last round alone). The best of ``--repeats`` counts, rows
interleaved.

    python benchmarks/stepper_workers.py [--jobs 3] [--steps 150] [--repeats 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from benchmarks.machine_info import machine_lines
from pdejepa.jobs.stepper_codes import Codes
from pdejepa.config import load_config
from pdejepa.jobs.pool import run_jobs
from pdejepa.jobs.timestepping import fit_and_evaluate
from solvers.threads import job_workers, threads_per_worker

ROOT = Path(__file__).resolve().parents[1]


def shared_arguments(steps: int) -> dict:
    """The arguments every job shares: the smoke stepper's config with ``steps``, random fields, codes."""
    t = load_config(ROOT / "configs" / "ns_timestep.yaml", [f"timestep.steps={steps}"]).timestep
    g = torch.Generator().manual_seed(0)
    u_train, u_test = (torch.randn(n, 16, 3, 32, 32, generator=g) for n in (256, 64))
    ssl = [torch.randn(n, t.code_dims, generator=g) for n in (256, 64)]
    codes = Codes({"none": torch.zeros(256, 0), "ssl": ssl[0]}, {"none": torch.zeros(64, 0), "ssl": ssl[1]}, (-8,), 8)
    return {"t": t, "progress": False, "data": (u_train, u_test), "codes": codes, "diagnostics": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print("\n".join(machine_lines("lightning", "neuraloperator")), flush=True)
    shared = shared_arguments(args.steps)
    jobs = [("none" if i % 2 == 0 else "ssl", i // 2) for i in range(args.jobs)]
    threads = torch.get_num_threads()
    layouts = {"in turn": 1, "one per thread": job_workers(len(jobs), accelerator=False), "one per job": len(jobs)}
    best = {name: float("inf") for name in layouts}
    for _ in range(args.repeats):  # interleaved, so that a noisy neighbour hits both rows alike
        for name, workers in layouts.items():
            start = time.perf_counter()
            run_jobs(fit_and_evaluate, jobs, shared=shared, workers=workers)
            best[name] = min(best[name], time.perf_counter() - start)
    print(f"\n## {args.jobs} smoke steppers of {args.steps} steps (configs/ns_timestep.yaml), {threads} torch threads")
    print("| workers | processes x torch threads | wall time (s) | steps/s | ratio |")
    print("|---|---|---|---|---|")
    for name, workers in layouts.items():
        each = threads_per_worker(workers)
        rate = args.jobs * args.steps / best[name]
        print(f"| {name} | {workers} x {each} | {best[name]:.1f} | {rate:.2f} | {best['in turn'] / best[name]:.2f}x |")


if __name__ == "__main__":
    main()
