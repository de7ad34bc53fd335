"""Thread oversubscription: one fixed solver job alone and beside a busy process, at several torch thread counts.

The job: a batch of Kuramoto-Sivashinsky trajectories with :func:`solvers.simulate` (default recipe's
grid and step, a short horizon). Each measurement runs in a fresh worker process started like
``taskset`` would (its affinity mask set before Python starts), so that torch's OpenMP pool sees the
mask it would see in production. Scenarios:

* ``alone``: the job on every CPU of this process;
* ``busy pinned``: a busy-loop process pinned to the job's last CPU;
* ``busy unpinned``: a busy-loop process the kernel may move between CPUs;
* ``job on 1 cpu``: the job restricted to its first CPU (``taskset -c 0``), alone; this is where
  the chosen count (:func:`solvers.threads.choose_threads`) differs from "all cores".

Thread settings: ``all`` = ``os.cpu_count()`` threads (what torch does without affinity and quota
awareness), ``chosen`` = :func:`solvers.threads.configure_threads` in the worker, and ``1``. Rows
with the same count are measured once. Every multi-threaded row is measured three ways: the batch
as one block with torch's threads inside each operation (``simulate(workers=1)``), with OpenMP's
default wait policy (GNU OpenMP spins a while at each barrier before it
sleeps) and with ``OMP_WAIT_POLICY=PASSIVE`` (threads sleep at once), which must be set before torch
starts; and as one block of rows per thread, each integrated by a Python thread with one torch thread
(``blocks``: ``simulate(workers=torch.get_num_threads())``).
Repeats are interleaved across all rows (round-robin) and the best of ``--repeats`` counts, so
that a noisy neighbour hits every row alike. Ratios are against the job alone, as one block, with the chosen count
and the default policy.

Run from the repository root: ``python benchmarks/threads.py`` (about two minutes on 2 idle cores;
more on a busy machine, where the spinning rows are the slow ones).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from benchmarks.machine_info import machine_lines

from solvers import SimulationConfig, draw_inputs, simulate
from solvers.threads import choose_threads, configure_threads

BUSY = "while True: pass"


def job(batch: int, t_end: float, workers: int | None) -> float:
    """Seconds to integrate ``batch`` KS trajectories to ``t_end`` (default grid and dt), after a warm-up."""
    cfg = SimulationConfig.default("ks", t_end=t_end, nt=11).validate()
    params, draws = draw_inputs(cfg, 0, np.arange(batch))
    u0 = cfg.initial_condition().build(torch.as_tensor(draws), cfg.nx)
    p = {k: torch.as_tensor(v) for k, v in params.items()}
    times = torch.as_tensor(cfg.output_times())
    simulate(cfg.eq, u0[:4], {k: v[:4] for k, v in p.items()}, times[:2], cfg.dt, workers=workers)  # warm-up
    start = time.perf_counter()
    simulate(cfg.eq, u0, p, times, cfg.dt, workers=workers)
    return time.perf_counter() - start


def worker(threads: str, batch: int, t_end: float, blocks: bool) -> None:
    """Set the thread count (``all``, ``chosen`` or a number), run the job (rows in one block per thread with
    ``blocks``, else in one block), print one JSON line."""
    if threads == "chosen":
        configure_threads()
    else:
        torch.set_num_threads((os.cpu_count() or 1) if threads == "all" else int(threads))
    seconds = job(batch, t_end, torch.get_num_threads() if blocks else 1)
    print(json.dumps({"threads": torch.get_num_threads(), "seconds": seconds}))


def measure(
    setting: str, mode: str, cpus: set[int] | None, busy: set[int] | None | bool, args: argparse.Namespace
) -> dict:
    """One worker run in ``mode`` (``default``, ``passive``: one block; ``blocks``: one per thread);
    ``busy``: False (none), None (unpinned) or the CPUs to pin a busy loop to."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    if mode == "passive":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    competitor = None
    if busy is not False:
        competitor = subprocess.Popen([sys.executable, "-c", BUSY])
        if busy is not None:
            os.sched_setaffinity(competitor.pid, busy)
    try:
        cmd = [sys.executable, __file__, "--worker", setting, "--batch", str(args.batch), "--t-end", str(args.t_end)]
        cmd += ["--blocks"] if mode == "blocks" else []
        done = subprocess.run(
            cmd,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=args.timeout,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
    finally:
        if competitor is not None:
            competitor.kill()
            competitor.wait()
    return json.loads(done.stdout.strip().splitlines()[-1])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=64, help="KS trajectories in the job (default 64)")
    parser.add_argument("--t-end", type=float, default=2.0, help="horizon of the job (default 2, i.e. 100 steps)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds; the best counts (default 3)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a worker is abandoned")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--blocks", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker is not None:
        worker(args.worker, args.batch, args.t_end, args.blocks)
        return
    if not hasattr(os, "sched_setaffinity"):
        raise SystemExit("this benchmark needs os.sched_setaffinity (Linux)")
    cpus = sorted(os.sched_getaffinity(0))
    first, last = {cpus[0]}, {cpus[-1]}
    print("thread oversubscription benchmark (benchmarks/threads.py):", " ".join(sys.argv[1:]) or "(defaults)")
    for line in machine_lines():
        print(line)
    print(
        f"os.cpu_count()={os.cpu_count()}, affinity {len(cpus)} CPUs, chosen here: {choose_threads()} "
        f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; workers run with it unset)\n"
        "mode: default = one block, OpenMP's wait policy (GNU: spin, then sleep), passive = one block with "
        "OMP_WAIT_POLICY=PASSIVE, blocks = one block of rows per thread (simulate(workers=threads))"
    )
    print(f"job: {args.batch} KS trajectories, nx=256, dt=0.02, t_end={args.t_end:g}, best of {args.repeats}")
    scenarios = [
        ("alone", None, False),
        ("busy pinned", None, last),
        ("busy unpinned", None, None),
        ("job on 1 cpu", first, False),
    ]
    chosen = choose_threads() or len(cpus)
    rows = []  # (scenario, settings sharing one thread count, mode, job CPUs, busy CPUs)
    for name, job_cpus, busy in scenarios:
        counts: dict[int, list[str]] = {}
        for setting, n in (("all", os.cpu_count() or 1), ("chosen", min(chosen, len(job_cpus or cpus))), ("1", 1)):
            counts.setdefault(n, []).append(setting)
        for n, settings in counts.items():
            modes = ("default", "passive", "blocks") if n > 1 else ("default",)
            rows.extend((name, settings, mode, job_cpus, busy) for mode in modes)
    best = [math.inf] * len(rows)
    threads = [0] * len(rows)
    wall = time.perf_counter()
    for _ in range(args.repeats):
        for i, (_, settings, mode, job_cpus, busy) in enumerate(rows):
            result = measure(settings[0], mode, job_cpus, busy, args)
            best[i] = min(best[i], result["seconds"])
            threads[i] = result["threads"]
    base = next(best[i] for i, (name, settings, mode, *_) in enumerate(rows) if (name, mode) == ("alone", "default"))
    label = [f"{threads[i]} ({' = '.join(row[1])})" for i, row in enumerate(rows)]
    print(f"\n{'scenario':<14} {'torch threads':<22} {'mode':<8} {'seconds':>8} {'x alone':>8}")
    for i, (name, _, mode, *_) in enumerate(rows):
        print(f"{name:<14} {label[i]:<22} {mode:<8} {best[i]:>8.3f} {best[i] / base:>8.2f}")
    print("(x alone: seconds over the job alone with the chosen count as one block, default policy; above 1 is slower)")
    print(f"total wall time {time.perf_counter() - wall:.0f} s")


if __name__ == "__main__":
    main()
