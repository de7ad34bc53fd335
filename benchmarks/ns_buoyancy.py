"""Side-by-side benchmark of the 2D smoke-buoyancy solver (``solvers.ns2d``) against PhiFlow.

The recipe is PDEArena's conditioned smoke generator (``pdedatagen/navier_stokes.py``): per
step of ``dt``

    smoke    = advect.semi_lagrangian(smoke, velocity, dt)
    force    = (smoke * (0, buoyancy)).at(velocity)
    velocity = advect.semi_lagrangian(velocity, velocity, dt) + dt * force
    velocity = diffuse.explicit(velocity, nu, dt)
    velocity, _ = fluid.make_incompressible(velocity)

on 128 x 128 cells of a 32 x 32 box, ``dt = 1.5``, ``nu = 0.01``, smoke ``|Noise(11, 6)|``,
velocity a zero ``StaggeredGrid`` with ``extrapolation.ZERO``; 8 + 56 = 64 steps.

* **PhiFlow** (``pip install -e '.[ns-bench]'``), numpy backend, one trajectory at a time as
  PDEArena runs it, and with PDEArena's call ``fluid.make_incompressible(velocity)``: PhiFlow
  3.4's default solve, which for this closed (rank-deficient) box is a sparse direct solve.
  It runs in float64: in float32 (as PDEArena ran PhiFlow 2) that direct solve fails its own
  tolerance check on this problem, and so does conjugate gradients (Φ-ML's CG stops as
  "diverged"), so float32 PhiFlow 3.4 cannot be run at all. PhiFlow 2 solved with CG to
  ``rel_tol = abs_tol = 1e-5``; that solver is also timed here on trajectory 0 for
  ``--cg-steps`` steps (in float64 it too stops as "diverged", at step 33 of trajectory 0,
  so it cannot produce the full trajectories).
* **pdejepa**: :class:`solvers.ns2d.SmokePlume`, float64, the whole batch in one call, torch
  with ``--threads`` threads; exact DCT pressure projection.

Both start from the same initial smoke (ours, fed to PhiFlow as a ``CenteredGrid``) and the
same buoyancy for trajectories ``0..--phiflow-num - 1`` of seed 0. Each operator agrees with
PhiFlow's to round-off (``tests/solvers/test_ns_projection.py``), and both pressure solves are exact,
so the trajectories should agree up to round-off amplified by the plume's instabilities.
As a yardstick for that amplification the table also shows **ours against ours** with the
initial smoke perturbed by a relative 1e-6 (about what a 1e-5 CG tolerance leaves per step).

Printed: time per trajectory and throughput ratio; plume centre-of-mass height, kinetic energy
and total smoke over time (ensemble means of the compared trajectories) for PhiFlow and ours;
relative differences. Saved: a PNG of filmstrips and curves in ``--out`` (git-ignored).

Run from the repository root: ``python benchmarks/ns_buoyancy.py`` (about 5 minutes on 2 cores).
On a GPU: ``python benchmarks/ns_buoyancy.py --device cuda --batch 1024 --phiflow-num 0 --dataset 2048``
also writes 2048 trajectories end to end (about 22 GiB of float32 in a temporary folder: the
full 26,624 take about 290 GiB) and projects the time of the full set.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from benchmarks.machine_info import cpu_name

from solvers.ns2d import FIELDS, BuoyancyConfig, SmokePlume, draw_inputs
from solvers.ns2d.recipe import BuoyancyRecipe


def machine(threads: int) -> list[str]:
    cpu = cpu_name()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    import phi

    return [
        f"date: {datetime.date.today().isoformat()}",
        f"machine: {cpu}, {cores} cores available to this process, {platform.system()} {platform.machine()}",
        f"python {platform.python_version()}, torch {torch.__version__} ({threads} threads), "
        f"numpy {np.__version__}, phiflow {phi.__version__}",
    ]


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def run_phiflow(
    cfg: BuoyancyConfig, s0: np.ndarray, buoyancy: float, nu: float, steps: int, cg_tol: float | None = None
) -> dict[str, np.ndarray]:
    """PDEArena's loop in PhiFlow from smoke ``s0`` ``(ny, nx)``; returns every step's smoke and centred velocity.

    ``cg_tol=None`` keeps PhiFlow's default pressure solve (as PDEArena's call does); a number
    solves by Φ-ML's CG to that relative and absolute tolerance (PhiFlow 2's default solver).
    """
    from phi import math as pm
    from phi.flow import Box, CenteredGrid, Solve, StaggeredGrid, advect, diffuse, extrapolation, fluid, spatial

    pm.set_global_precision(64)
    bounds = Box(x=cfg.Lx, y=cfg.Ly)
    smoke = CenteredGrid(pm.tensor(s0, spatial("y,x")), extrapolation.BOUNDARY, x=cfg.nx, y=cfg.ny, bounds=bounds)
    velocity = StaggeredGrid(0, extrapolation.ZERO, x=cfg.nx, y=cfg.ny, bounds=bounds)
    solve = {} if cg_tol is None else {"solve": Solve("CG", cg_tol, cg_tol, max_iterations=100_000)}
    out = {name: np.empty((steps, cfg.ny, cfg.nx)) for name in FIELDS}
    for i in range(steps):
        smoke = advect.semi_lagrangian(smoke, velocity, cfg.dt)
        force = (smoke * (0, buoyancy)).at(velocity)
        velocity = advect.semi_lagrangian(velocity, velocity, cfg.dt) + cfg.dt * force
        velocity = diffuse.explicit(velocity, nu, cfg.dt)
        velocity, _ = fluid.make_incompressible(velocity, **solve)
        out["smoke"][i] = smoke.values.numpy("y,x")
        centred = velocity.at_centers().values.numpy("y,x,vector")
        out["vx"][i], out["vy"][i] = centred[..., 0], centred[..., 1]
    return out


def run_ours(
    cfg: BuoyancyConfig,
    s0: torch.Tensor,
    buoyancy: np.ndarray,
    nu: np.ndarray,
    steps: int,
    device: torch.device = torch.device("cpu"),
) -> dict[str, np.ndarray]:
    r = SmokePlume(cfg.grid, cfg.dt, device).run(
        s0.to(device), torch.as_tensor(buoyancy), torch.as_tensor(nu), frames=steps
    )
    return {name: getattr(r, name).cpu().numpy() for name in FIELDS}


def statistics(cfg: BuoyancyConfig, run: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Plume centre-of-mass height, kinetic energy and total smoke per frame, ``(..., steps)``."""
    y = cfg.grid.y()[:, None]
    area = cfg.grid.hx * cfg.grid.hy
    smoke = run["smoke"]
    return {
        "com_y": (smoke * y).sum(axis=(-2, -1)) / smoke.sum(axis=(-2, -1)),
        "kinetic": 0.5 * (run["vx"] ** 2 + run["vy"] ** 2).sum(axis=(-2, -1)) * area,
        "mass": smoke.sum(axis=(-2, -1)) * area,
    }


def rel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) / np.abs(b)


def print_comparison(cfg: BuoyancyConfig, phi_stats, ours_stats, pert_stats, every: int, first: int) -> list[str]:
    """Table of ensemble means (over the compared trajectories) and the largest per-trajectory differences."""
    t = cfg.dt * (1 + np.arange(phi_stats["com_y"].shape[-1]))
    lines = [
        f"{'step':>4} {'t':>6} | {'CoM y PhiFlow':>13} {'ours':>7} {'diff':>7} {'ours~':>7} | "
        f"{'KE PhiFlow':>10} {'ours':>8} {'diff':>7} {'ours~':>7} | {'smoke PhiFlow':>13} {'ours':>8}"
    ]
    steps = list(range(first - 1, len(t), every))
    if steps[-1] != len(t) - 1:
        steps.append(len(t) - 1)
    for k in steps:
        c_p, c_o = phi_stats["com_y"][:, k].mean(), ours_stats["com_y"][:, k].mean()
        e_p, e_o = phi_stats["kinetic"][:, k].mean(), ours_stats["kinetic"][:, k].mean()
        c_pert = rel(pert_stats["com_y"][:, k].mean(), c_o)
        e_pert = rel(pert_stats["kinetic"][:, k].mean(), e_o)
        lines.append(
            f"{k + 1:>4} {t[k]:>6.1f} | {c_p:>13.3f} {c_o:>7.3f} {rel(c_o, c_p):>7.1e} {c_pert:>7.1e} | "
            f"{e_p:>10.3f} {e_o:>8.3f} {rel(e_o, e_p):>7.1e} {e_pert:>7.1e} | "
            f"{phi_stats['mass'][:, k].mean():>13.2f} {ours_stats['mass'][:, k].mean():>8.2f}"
        )
    stored = slice(min(cfg.skip_nt, len(t) - 1), None)
    for name, label in (("com_y", "centre-of-mass height"), ("kinetic", "kinetic energy"), ("mass", "total smoke")):
        ens = rel(ours_stats[name].mean(0)[stored], phi_stats[name].mean(0)[stored])
        one = rel(ours_stats[name][:, stored], phi_stats[name][:, stored])
        pert = rel(pert_stats[name][:, stored], ours_stats[name][:, stored])
        lines.append(
            f"{label:>21}, relative difference over the stored frames: ours vs PhiFlow: "
            f"ensemble mean max {ens.max():.1e} (time average {ens.mean():.1e}), "
            f"single trajectories max {one.max():.1e}; ours vs perturbed ours: single max {pert.max():.1e}"
        )
    drift = (
        phi_stats["mass"][:, -1] / phi_stats["mass"][:, 0] - 1,
        ours_stats["mass"][:, -1] / ours_stats["mass"][:, 0] - 1,
    )
    lines.append(
        f"total smoke from step 1 to {len(t)} (semi-Lagrangian is not conservative): "
        f"PhiFlow {np.round(100 * drift[0], 1).tolist()}%, "
        f"ours {np.round(100 * drift[1], 1).tolist()}%"
    )
    return lines


def field_differences(phi_runs, ours_runs, pert_runs, steps: list[int]) -> list[str]:
    lines = []
    for k in sorted(set(steps)):
        d = [
            np.linalg.norm(o["smoke"][k] - p["smoke"][k]) / np.linalg.norm(p["smoke"][k])
            for p, o in zip(phi_runs, ours_runs)
        ]
        q = [
            np.linalg.norm(q["smoke"][k] - o["smoke"][k]) / np.linalg.norm(o["smoke"][k])
            for o, q in zip(ours_runs, pert_runs)
        ]
        lines.append(
            f"step {k + 1:>2}: relative L2 difference of the smoke field, "
            f"ours vs PhiFlow {', '.join(f'{x:.1e}' for x in d)}; "
            f"ours vs perturbed ours {', '.join(f'{x:.1e}' for x in q)}"
        )
    return lines


def save_figure(cfg, phi_runs, ours_runs, phi_stats, ours_stats, pert_stats, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = phi_stats["com_y"].shape[-1]
    picks = np.unique(np.linspace(min(cfg.skip_nt, steps - 1), steps - 1, 6).round().astype(int))
    t = cfg.dt * (1 + np.arange(steps))
    fig = plt.figure(figsize=(13, 7.5), constrained_layout=True)
    grid = fig.add_gridspec(3, 6)
    vmax = max(phi_runs[0]["smoke"].max(), ours_runs[0]["smoke"].max())
    for col, k in enumerate(picks):
        for row, (run, name) in enumerate(((phi_runs[0], "PhiFlow"), (ours_runs[0], "pdejepa"))):
            ax = fig.add_subplot(grid[row, col])
            ax.imshow(run["smoke"][k], origin="lower", cmap="inferno", vmin=0, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{name}, t={t[k]:.1f}", fontsize=8)
    for col, (name, label) in enumerate(
        (("com_y", "plume centre-of-mass height"), ("kinetic", "kinetic energy"), ("mass", "total smoke"))
    ):
        ax = fig.add_subplot(grid[2, 2 * col : 2 * col + 2])
        for i in range(phi_stats[name].shape[0]):
            ax.plot(t, phi_stats[name][i], color=f"C{i}", lw=2, alpha=0.5, label="PhiFlow" if i == 0 else None)
            ax.plot(t, ours_stats[name][i], color=f"C{i}", lw=1, ls="--", label="pdejepa" if i == 0 else None)
            ax.plot(
                t,
                pert_stats[name][i],
                color=f"C{i}",
                lw=0.7,
                ls=":",
                label="pdejepa, smoke x (1 + 1e-6 noise)" if i == 0 else None,
            )
        ax.axvline(t[min(cfg.skip_nt, steps - 1)], color="grey", lw=0.5)
        ax.set_xlabel("t")
        ax.set_title(label, fontsize=9)
        if col == 0:
            ax.legend(fontsize=7)
    fig.suptitle(
        f"trajectory 0 (top: PhiFlow, middle: pdejepa); curves: trajectories 0..{phi_stats['com_y'].shape[0] - 1}",
        fontsize=10,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nx", type=int, default=128, help="cells per side (the box stays 32 x 32)")
    p.add_argument("--steps", type=int, default=64, help="solver steps (the standard recipe: 8 skipped + 56 stored)")
    p.add_argument(
        "--phiflow-num", type=int, default=3, help="trajectories run in PhiFlow (one at a time) and compared"
    )
    p.add_argument("--batch", type=int, default=32, help="trajectories in our timed batch")
    p.add_argument("--threads", type=int, default=min(2, torch.get_num_threads()), help="torch threads")
    p.add_argument(
        "--cg-tol", type=float, default=1e-5, help="tolerance of the PhiFlow CG timing run (relative and absolute)"
    )
    p.add_argument("--cg-steps", type=int, default=16, help="steps of the PhiFlow CG timing run on trajectory 0")
    p.add_argument("--device", default="cpu", help="device of our solver (PhiFlow runs on the CPU)")
    p.add_argument(
        "--dataset",
        type=int,
        default=0,
        help="also write this many trajectories end to end with solvers.generate and time it",
    )
    p.add_argument("--out", type=Path, default=Path("results/benchmarks/ns_buoyancy"), help="folder for the PNG")
    return p.parse_args(argv)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_ours(
    cfg: BuoyancyConfig, s0: torch.Tensor, buoyancy: np.ndarray, nu: np.ndarray, steps: int, device: torch.device
):
    sync(device)
    start = time.perf_counter()
    run = run_ours(cfg, s0, buoyancy, nu, steps, device)
    sync(device)
    return run, time.perf_counter() - start


def bench_dataset(cfg: BuoyancyConfig, num: int, batch: int, device: torch.device) -> list[str]:
    """Write ``num`` trajectories of the standard recipe end to end (simulation, transfer, HDF5) and time it."""
    import tempfile

    from solvers.generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        path = generate(cfg, num, Path(tmp) / "smoke.h5", device=device, batch_size=batch, progress=False)
        elapsed = time.perf_counter() - start
        size = path.stat().st_size / 2**30
    full = 26_624 * elapsed / num
    return [
        f"dataset end to end ({num} trajectories of the standard recipe, batch {batch}, {device}): {elapsed:.1f} s, "
        f"{num / elapsed:.2f} traj/s, {size:.2f} GiB written; projected 26,624 trajectories: {full / 60:.1f} min"
    ]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cfg = BuoyancyConfig.default(nx=args.nx, ny=args.nx).validate()
    for line in machine(args.threads):
        print(line)
    if device.type == "cuda":
        print(f"GPU: {torch.cuda.get_device_name(device)}")
    print(f"load average at start (1/5/15 min): {load()}")
    print(
        f"recipe: {cfg.nx} x {cfg.ny} cells on {cfg.Lx:g} x {cfg.Ly:g}, dt={cfg.dt}, nu={cfg.params['nu'][0]}, "
        f"buoyancy U{list(cfg.params['buoyancy'])}, {args.steps} steps per trajectory "
        f"(standard: {cfg.skip_nt} skipped + {cfg.nt} stored = {cfg.skip_nt + cfg.nt}), seed 0"
    )
    num = max(args.batch, args.phiflow_num, 1)
    params, draws = draw_inputs(cfg, 0, np.arange(num))
    s0 = BuoyancyRecipe(cfg).initial_smoke(draws, torch.device("cpu"))
    b, nu = params["buoyancy"], params["nu"]

    # --- ours, batched and alone (a short warm-up first: allocator, thread pool, CUDA context)
    time_ours(cfg, s0[:2], b[:2], nu[:2], 2, device)
    ours_batch, elapsed = time_ours(cfg, s0[: args.batch], b[: args.batch], nu[: args.batch], args.steps, device)
    ours_time = elapsed / args.batch
    _, ours_single = time_ours(cfg, s0[:1], b[:1], nu[:1], args.steps, device)

    # --- PhiFlow, one trajectory at a time
    k = args.phiflow_num
    phi_runs, phi_times = [], []
    for i in range(k):
        start = time.perf_counter()
        phi_runs.append(run_phiflow(cfg, s0[i].numpy(), float(b[i]), float(nu[i]), args.steps))
        phi_times.append(time.perf_counter() - start)
    cg_note, cg_step = "", float("nan")
    if k and args.cg_steps:
        start = time.perf_counter()
        try:
            run_phiflow(cfg, s0[0].numpy(), float(b[0]), float(nu[0]), args.cg_steps, args.cg_tol)
        except Exception as err:  # Φ-ML's CG gives up ("diverged") on some plume states
            cg_note = f" (stopped: {type(err).__name__})"
        cg_step = (time.perf_counter() - start) / args.cg_steps

    print()
    print(f"time per trajectory ({args.steps} steps):")
    if k:
        phi_time = float(np.mean(phi_times))
        print(
            f"  PhiFlow {phi_time:8.2f} s   (numpy backend, float64, default pressure solve (direct), "
            f"one at a time; {np.round(phi_times, 1).tolist()} s)"
        )
        print(
            f"  PhiFlow {cg_step * args.steps:8.2f} s   (the same with CG to {args.cg_tol:g}: "
            f"{cg_step:.3f} s per step over {args.cg_steps} steps{cg_note}, times {args.steps})"
        )
    else:
        phi_time = float("nan")
    where = f"{args.threads} threads" if device.type == "cpu" else str(device)
    ratio = (lambda t: f"   ratio {phi_time / t:.0f}x") if k else (lambda t: "")
    print(f"  pdejepa {ours_time:8.3f} s   (batch of {args.batch}, float64, {where}){ratio(ours_time)}")
    print(f"  pdejepa {ours_single:8.3f} s   (a single trajectory)                {ratio(ours_single)}")
    if k:
        print(
            f"  ratio to PhiFlow with CG: batch {cg_step * args.steps / ours_time:.0f}x, "
            f"single {cg_step * args.steps / ours_single:.0f}x"
        )
    cfl = max(np.abs(ours_batch["vx"]).max(), np.abs(ours_batch["vy"]).max()) * cfg.dt / cfg.grid.hx
    print(f"  largest CFL number in our batch: {cfl:.1f} cells per step (centred velocity)")

    if k:
        # --- ours against ours with the initial smoke perturbed by a relative 1e-6
        gen = torch.Generator().manual_seed(1)
        s_pert = s0[:k] * (1 + 1e-6 * torch.randn(s0[:k].shape, generator=gen, dtype=s0.dtype))
        pert = run_ours(cfg, s_pert, b[:k], nu[:k], args.steps, device)
        ours_runs = [{name: v[i] for name, v in ours_batch.items()} for i in range(k)]
        pert_runs = [{name: v[i] for name, v in pert.items()} for i in range(k)]
        phi_stats = {n: np.stack([statistics(cfg, r)[n] for r in phi_runs]) for n in ("com_y", "kinetic", "mass")}
        ours_stats = {n: np.stack([statistics(cfg, r)[n] for r in ours_runs]) for n in ("com_y", "kinetic", "mass")}
        pert_stats = {n: np.stack([statistics(cfg, r)[n] for r in pert_runs]) for n in ("com_y", "kinetic", "mass")}
        print()
        print(
            f"plume statistics, mean over trajectories 0..{k - 1} (buoyancy {np.round(b[:k], 3).tolist()}); "
            "'diff': ours vs PhiFlow, 'ours~': ours vs ours with smoke x (1 + 1e-6 noise)"
        )
        for line in print_comparison(
            cfg, phi_stats, ours_stats, pert_stats, every=8, first=min(cfg.skip_nt + 1, args.steps)
        ):
            print(line)
        for line in field_differences(
            phi_runs, ours_runs, pert_runs, [min(cfg.skip_nt, args.steps - 1), min(args.steps, 24) - 1, args.steps - 1]
        ):
            print(line)
        png = save_figure(
            cfg, phi_runs, ours_runs, phi_stats, ours_stats, pert_stats, args.out / f"ns_buoyancy_{cfg.nx}.png"
        )
        print(f"figure: {png}")
    if args.dataset:
        print()
        for line in bench_dataset(BuoyancyConfig.default(nx=args.nx, ny=args.nx), args.dataset, args.batch, device):
            print(line)
    print(f"load average at end (1/5/15 min): {load()}")


if __name__ == "__main__":
    main()
