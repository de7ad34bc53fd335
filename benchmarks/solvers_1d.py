"""Side-by-side benchmark of the 1D solvers in ``solvers/`` against two peers.

What is compared, in one process, on the same grids and the same initial conditions
(drawn with :func:`solvers.draw_inputs` for trajectories ``0..num-1``):

* **pdejepa**: :func:`solvers.simulate`, batched ETDRK4 (Kassam & Trefethen), Fourier
  pseudo-spectral with 2/3 dealiasing, float64, torch with ``--threads`` threads
  (by default the usable cores that :func:`solvers.threads.choose_threads` picks), the whole
  batch in one call with its defaults: the fused step (:class:`solvers.etdrk4.FusedETDRK4`, its stage
  updates numba loops) and, from 128 rows per torch thread, one block of rows per torch thread integrated
  side by side by Python threads with one torch thread each. Its levers are timed as rows of their own,
  each changing one option of that default:
  ``pdejepa 1 block`` (the whole batch in one block, torch's threads inside each operation,
  ``simulate(workers=1)``), ``pdejepa torch ops`` (the stage updates as torch operations,
  ``simulate(numba=False)``), ``pdejepa ref`` (the reference step
  :func:`solvers.etdrk4.etdrk4_step`), ``pdejepa chunk64`` (the fused step on chunks of 64
  trajectories, ``simulate(chunk=64)``), ``pdejepa f32`` (the float32 mode, with its own error)
  and, with ``--compiled``, ``pdejepa compiled`` (the fused step under ``torch.compile``,
  compilation not timed).
* **classical**: what a typical research script does: ``scipy.integrate.solve_ivp``
  on the physical-space state, one trajectory at a time, right-hand side computed
  pseudo-spectrally with numpy's FFT (dealiased conservative convection
  ``-(u^2/2)_x``, and the right-hand side projected on the retained 2/3 modes, so
  that it integrates exactly the ODE system the two ETDRK4 solvers integrate).
  Method and tolerances per equation are in :data:`CLASSICAL`: an implicit method
  for the stiff dissipative equations (KS, Burgers), an explicit high-order one for
  the purely dispersive KdV. Only ``--classical`` trajectories are timed.
* **exponax** (if installed, ``pip install -e '.[bench]'``): JAX ETDRK4 from the
  exponax package, ``jax.vmap`` over the batch and ``jax.jit``, float64, stepping
  in Fourier space with the stepper's ``step_fourier`` inside a ``lax.scan`` (one
  inverse FFT per stored frame, as in pdejepa). Compilation is done ahead of time
  and not timed. The mapping of our equations onto exponax's parametrisation:

  - KS ``u_t + u u_x + u_xx + u_xxxx = 0``: ``KuramotoSivashinskyConservative`` with
    ``convection_scale = second_order_scale = fourth_order_scale = 1``
    (exponax's convection is ``-b/2 (u^2)_x``);
  - Burgers ``u_t + u u_x = nu u_xx``: ``Burgers(diffusivity=nu, convection_scale=1,
    conservative=True)``; ``nu`` differs per trajectory, so the stepper (and its
    ETDRK4 coefficients) is built inside the vmapped function;
  - KdV ``u_t + u u_x + u_xxx = 0``: ``KortewegDeVries(convection_scale=1,
    conservative=True, dispersivity=1, diffusivity=0, hyper_diffusivity=0)``.

  Both codes use the grid ``x_j = j L / nx``; ``order=4`` and 64 contour points as
  ours. exponax keeps modes ``n <= frac * nx/2 - 1`` where we keep ``n <= nx/3``, so
  ``dealiasing_fraction`` is set to give the same set of modes. exponax steps
  exactly ``h``, so it takes the same number of equal internal steps per stored
  frame as :func:`solvers.integrate.substeps` gives pdejepa.

Accuracy: every method is compared with a tight reference, pdejepa at twice the grid
(the sum-of-sines initial condition built directly on ``2 nx`` points) and ``dt/8``,
subsampled to the stored grid, on the first ``--ref-num`` trajectories. The error of a
trajectory is ``max |u - u_ref| / max |u_ref|`` over all stored frames; the table shows
the largest over the checked trajectories. Throughput is trajectories per second of
wall clock, best of ``--repeats`` runs (for ``solve_ivp``: of each trajectory), since the
timings on a shared machine are noisy; the batched solvers' repeats are interleaved
(pdejepa, its variants, exponax, then again), so that a busy neighbour slows every row alike
and the ratios stay meaningful; the load average is printed before and after. With
``--threads 1`` exponax runs single-threaded too (``XLA_FLAGS``), so both use one core.

On ``--device cuda`` pdejepa runs on the GPU, the peers are skipped unless asked for
(``--classical N``; exponax only if jax sees a GPU), and a KS dataset of ``--dataset``
trajectories (10k by default) with the default recipe is written end to end with
:func:`solvers.generate.generate` and timed.

Run from the repository root: ``python benchmarks/solvers_1d.py`` (about 4 minutes on 2 otherwise idle cores).
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import scipy
import torch
from scipy.integrate import solve_ivp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from benchmarks.machine_info import cpu_name

from solvers import SimulationConfig, draw_inputs, simulate
from solvers.integrate import row_blocks, substeps
from solvers.threads import configure_threads, solver_blocks, torch_threads

# solve_ivp method, rtol, atol per equation: chosen so that the classical error is
# comparable to pdejepa's at its default dt (see RESULTS.md); 'RK45' is stability
# bound on KS/Burgers (tens of thousands of steps whatever the tolerance).
CLASSICAL: dict[str, tuple[str, float, float]] = {
    "ks": ("BDF", 1e-8, 1e-10),
    "burgers": ("BDF", 1e-9, 1e-11),
    "kdv": ("DOP853", 1e-9, 1e-11),
}

# What the timings read: the wall clock, or with ``--clock cpu`` the CPU time of the process (all its
# threads), which a busy neighbour on a shared machine inflates far less (but which counts OpenMP's
# spin-waiting when torch runs several threads).
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]

# Horizons used by the benchmark (the recipes' own t_end for KS and KdV are 50 and 100;
# shorter here to keep the run short and, for chaotic KS, the error meaningful).
HORIZONS: dict[str, float | None] = {"ks": 20.0, "burgers": None, "kdv": 10.0}


@dataclass
class Row:
    equation: str
    method: str
    batch: int
    rate: float  # trajectories per second
    error: float  # max relative error vs the reference
    note: str = ""


# ----------------------------------------------------------------------------- inputs


def recipe(name: str, t_end: float | None) -> SimulationConfig:
    return SimulationConfig.default(name, t_end=t_end).validate()


def inputs(cfg: SimulationConfig, num: int, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    return draw_inputs(cfg, seed, np.arange(num))


def initial_fields(cfg: SimulationConfig, draws: np.ndarray, nx: int) -> np.ndarray:
    """``(batch, nx)`` float64 initial fields, built directly on an ``nx``-point grid."""
    return cfg.initial_condition().build(torch.as_tensor(draws, dtype=torch.float64), nx).numpy()


def max_rel_error(u: np.ndarray, ref: np.ndarray) -> float:
    """Largest over trajectories of ``max |u - ref| / max |ref|`` over frames and space."""
    n = min(len(u), len(ref))
    diff = np.abs(u[:n] - ref[:n]).reshape(n, -1).max(axis=1)
    scale = np.abs(ref[:n]).reshape(n, -1).max(axis=1)
    return float((diff / scale).max())


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# ----------------------------------------------------------------------------- pdejepa


def run_pdejepa(
    cfg: SimulationConfig,
    params: dict[str, np.ndarray],
    draws: np.ndarray,
    device: torch.device,
    nx: int | None = None,
    dt: float | None = None,
    dtype: torch.dtype = torch.float64,
    **options: Any,
) -> tuple[np.ndarray, float]:
    """Integrate the batch with :func:`solvers.simulate` (``options``: its keywords); ``(u, seconds)``."""
    nx = nx or cfg.nx
    dt = dt or cfg.dt
    u0 = cfg.initial_condition().build(torch.as_tensor(draws, dtype=torch.float64, device=device), nx).to(dtype)
    p = {k: torch.as_tensor(v, dtype=torch.float64, device=device) for k, v in params.items()}
    times = torch.as_tensor(cfg.output_times(), dtype=torch.float64)
    sync(device)
    start = clock()
    result = simulate(cfg.eq, u0, p, times, dt, **options)
    sync(device)
    seconds = clock() - start
    if not bool(result.finite.all()):
        raise RuntimeError(f"{cfg.equation}: pdejepa blew up on some trajectories (nx={nx}, dt={dt})")
    return result.u.double().cpu().numpy(), seconds


# pdejepa's variants timed side by side: row name -> (dtype, simulate options); "pdejepa" is the headline
VARIANTS: dict[str, tuple[torch.dtype, dict[str, Any]]] = {
    "pdejepa": (torch.float64, {}),
    "pdejepa 1 block": (torch.float64, {"workers": 1}),
    "pdejepa torch ops": (torch.float64, {"numba": False}),
    "pdejepa ref": (torch.float64, {"fused": False}),
    "pdejepa chunk64": (torch.float64, {"chunk": 64}),
    "pdejepa f32": (torch.float32, {}),
    "pdejepa compiled": (torch.float64, {"compiled": True}),
}
NOTES = {
    "pdejepa 1 block": "the whole batch in one block, torch's threads inside each operation",
    "pdejepa torch ops": "fused step, stage updates in torch operations instead of numba loops",
    "pdejepa ref": "reference step (etdrk4_step)",
    "pdejepa chunk64": "fused step, 64 trajectories at a time",
    "pdejepa f32": "float32 mode",
    "pdejepa compiled": "fused step under torch.compile",
}


def reference(
    cfg: SimulationConfig, params: dict[str, np.ndarray], draws: np.ndarray, device: torch.device
) -> np.ndarray:
    """pdejepa at ``2 nx`` and ``dt / 8``, subsampled to the stored grid.

    Untimed; on the CPU it runs single-threaded: a small batch gains little from a
    second thread and, on a shared machine, loses a lot when that thread is preempted.
    """
    with torch_threads(1) if device.type == "cpu" else nullcontext():
        u, _ = run_pdejepa(cfg, params, draws, device, nx=2 * cfg.nx, dt=cfg.dt / 8)
    return u[..., ::2]


# ----------------------------------------------------------------------------- classical


def linear_symbol(name: str, k: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """Fourier symbol of the linear part of ``u_t = Lin u + N(u)``."""
    if name == "ks":
        return k**2 - k**4
    if name == "burgers":
        return -p["nu"] * k**2
    if name == "kdv":
        return 1j * k**3
    raise ValueError(f"no classical right-hand side for {name!r}")


def classical_rhs(name: str, nx: int, p: dict[str, float]) -> Callable[[float, np.ndarray], np.ndarray]:
    """Pseudo-spectral right-hand side in physical space: ``Lin u - (u^2/2)_x``, 2/3-dealiased."""
    n = np.arange(nx // 2 + 1)
    k = 2 * math.pi / p["L"] * n
    keep = (3 * n <= nx).astype(np.float64)
    lin = linear_symbol(name, k, p) * keep
    ik_half = -0.5j * k * keep

    def rhs(_t: float, u: np.ndarray) -> np.ndarray:
        u_hat = np.fft.rfft(u) * keep
        w = np.fft.irfft(u_hat, n=nx)
        return np.fft.irfft(lin * u_hat + ik_half * np.fft.rfft(w * w), n=nx)

    return rhs


def run_classical(
    cfg: SimulationConfig, params: dict[str, np.ndarray], draws: np.ndarray, repeats: int
) -> tuple[np.ndarray, float, str]:
    """``solve_ivp`` one trajectory at a time; returns ``(u, seconds, description)``.

    ``seconds`` sums over the trajectories the best of ``repeats`` runs of each.
    """
    method, rtol, atol = CLASSICAL[cfg.equation]
    u0 = initial_fields(cfg, draws, cfg.nx)
    times = cfg.output_times()
    out = np.empty((len(u0), len(times), cfg.nx))
    nfev, seconds = 0, 0.0
    for b in range(len(u0)):
        p = {k: float(v[b]) for k, v in params.items()}
        rhs = classical_rhs(cfg.equation, cfg.nx, p)
        best = math.inf
        for _ in range(repeats):
            start = clock()
            sol = solve_ivp(rhs, (0.0, float(times[-1])), u0[b], method=method, t_eval=times, rtol=rtol, atol=atol)
            best = min(best, clock() - start)
        if not sol.success:
            raise RuntimeError(f"{cfg.equation}: solve_ivp({method}) failed: {sol.message}")
        out[b] = sol.y.T
        nfev += sol.nfev
        seconds += best
    return out, seconds, f"{method} rtol={rtol:g} atol={atol:g}, {nfev // len(u0)} rhs evals/traj"


# ----------------------------------------------------------------------------- exponax


def import_exponax() -> tuple[Any, Any, Any] | None:
    """``(jax, jax.numpy, exponax)`` with float64 enabled, or None if exponax is missing."""
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import exponax
        import jax.numpy as jnp
    except ImportError as err:
        print(f"exponax not available ({err}); install it with: pip install -e '.[bench]'. Skipping exponax.")
        return None
    return jax, jnp, exponax


def exponax_stepper(exponax: Any, name: str, L: float, nx: int, h: float, p: Any) -> Any:
    """The exponax ETDRK4 stepper for our equation ``name`` (see the module docstring)."""
    # exponax keeps modes n <= frac * (nx // 2) - 1; we keep n <= nx // 3 (Orszag's 2/3 rule)
    frac = (nx // 3 + 1.5) / (nx // 2)
    common = dict(order=4, dealiasing_fraction=frac, num_circle_points=64, circle_radius=1.0)
    if name == "ks":
        return exponax.stepper.KuramotoSivashinskyConservative(
            1, L, nx, h, convection_scale=1.0, second_order_scale=1.0, fourth_order_scale=1.0, **common
        )
    if name == "burgers":
        return exponax.stepper.Burgers(1, L, nx, h, diffusivity=p, convection_scale=1.0, conservative=True, **common)
    if name == "kdv":
        return exponax.stepper.KortewegDeVries(
            1,
            L,
            nx,
            h,
            convection_scale=1.0,
            conservative=True,
            dispersivity=1.0,
            diffusivity=0.0,
            hyper_diffusivity=0.0,
            **common,
        )
    raise ValueError(f"no exponax mapping for {name!r}")


def compile_exponax(
    mods: tuple[Any, Any, Any], cfg: SimulationConfig, params: dict[str, np.ndarray], draws: np.ndarray
) -> tuple[Callable[[], tuple[np.ndarray, float]], float]:
    """The vmapped and jitted exponax rollout of the batch, compiled ahead of time.

    Returns ``(run, compile seconds)``; ``run()`` gives ``(u, seconds)`` like :func:`run_pdejepa`.
    """
    jax, jnp, exponax = mods
    times = cfg.output_times()
    if times[0] != 0.0:
        raise ValueError("the exponax runner stores u0 as the first frame: t_burn must be 0")
    steps = {substeps(float(b - a), cfg.dt) for a, b in zip(times[:-1], times[1:])}
    n_sub = {n for n, _ in steps}
    if len(n_sub) != 1:
        raise ValueError(f"output intervals need different step counts {sorted(n_sub)}")
    n_sub_steps = n_sub.pop()
    h = float(times[1] - times[0]) / n_sub_steps
    nx, L, name = cfg.nx, float(params["L"][0]), cfg.equation
    if not np.all(params["L"] == L):
        raise ValueError("the exponax runner needs one domain length for the batch")
    fixed = None if name == "burgers" else exponax_stepper(exponax, name, L, nx, h, None)

    def trajectory(u0: Any, nu: Any) -> Any:
        stepper = fixed if fixed is not None else exponax_stepper(exponax, name, L, nx, h, nu)

        def frame(u_hat: Any, _: Any) -> tuple[Any, Any]:
            u_hat = jax.lax.fori_loop(0, n_sub_steps, lambda _, v: stepper.step_fourier(v), u_hat)
            return u_hat, jnp.fft.irfft(u_hat[0], n=nx)

        _, frames = jax.lax.scan(frame, jnp.fft.rfft(u0)[None], None, length=len(times) - 1)
        return jnp.concatenate([u0[None], frames])

    u0 = jnp.asarray(initial_fields(cfg, draws, nx))
    nu = jnp.asarray(params.get("nu", np.zeros(len(draws))))
    start = time.perf_counter()
    compiled = jax.jit(jax.vmap(trajectory)).lower(u0, nu).compile()
    compile_seconds = time.perf_counter() - start

    def run() -> tuple[np.ndarray, float]:
        start = clock()
        u = compiled(u0, nu).block_until_ready()
        return np.asarray(u), clock() - start

    return run, compile_seconds


def interleaved(runs: dict[str, Callable[[], tuple[np.ndarray, float]]], repeats: int) -> dict[str, tuple]:
    """Each run ``repeats`` times, round-robin; name -> ``(u of the last run, best seconds)``."""
    best: dict[str, tuple] = {name: (None, math.inf) for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            u, seconds = run()
            best[name] = (u, min(best[name][1], seconds))
    return best


# ----------------------------------------------------------------------------- reporting


def machine(device: torch.device, jax_mod: Any | None, exponax_mod: Any | None) -> list[str]:
    cpu = cpu_name()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [
        f"date: {datetime.date.today().isoformat()}",
        f"machine: {cpu}, {cores} cores available to this process, {platform.system()} {platform.machine()}",
        f"python {platform.python_version()}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"numpy {np.__version__}, scipy {scipy.__version__}",
    ]
    if jax_mod is not None:
        version = getattr(exponax_mod, "__version__", None)
        if version is None:
            from importlib.metadata import version as dist_version

            version = dist_version("exponax")
        lines.append(f"jax {jax_mod.__version__} ({jax_mod.default_backend()}), exponax {version}")
    if device.type == "cuda":
        lines.append(f"GPU: {torch.cuda.get_device_name(device)}")
    if hasattr(os, "getloadavg"):
        lines.append(f"load average at start (1/5/15 min): {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    return lines


def print_table(rows: list[Row]) -> None:
    base = {r.equation: r.rate for r in rows if r.method == "pdejepa"}
    header = f"{'equation':<9} {'method':<16} {'batch':>6} {'traj/s':>10} {'max rel err':>12} {'pdejepa x':>10}  note"
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = base.get(r.equation, math.nan) / r.rate
        print(f"{r.equation:<9} {r.method:<16} {r.batch:>6} {r.rate:>10.3g} {r.error:>12.2e} {ratio:>10.3g}  {r.note}")
    print("(pdejepa x = pdejepa's throughput divided by the method's: above 1, pdejepa is faster)")
    print(f"(timings: {'CPU time of the process' if clock is CLOCKS['cpu'] else 'wall clock'})")


# ----------------------------------------------------------------------------- main


def bench_equation(
    name: str, args: argparse.Namespace, device: torch.device, mods: tuple[Any, Any, Any] | None
) -> list[Row]:
    cfg = recipe(name, HORIZONS[name])
    params, draws = inputs(cfg, args.num, args.seed)
    n_ref = min(args.ref_num, args.num)
    frames = len(cfg.output_times())
    print(
        f"\n== {name}: {cfg.eq.formula}, L={params['L'][0]:g}, nx={cfg.nx}, dt={cfg.dt:g}, t_end={cfg.t_end:g}, "
        f"{frames} stored frames" + (f", nu log-uniform {cfg.params['nu']}" if "nu" in params else ""),
        flush=True,
    )
    start = time.perf_counter()
    ref = reference(cfg, {k: v[:n_ref] for k, v in params.items()}, draws[:n_ref], device)
    print(
        f"reference: pdejepa at nx={2 * cfg.nx}, dt={cfg.dt / 8:g} for {n_ref} trajectories "
        f"({time.perf_counter() - start:.1f} s)",
        flush=True,
    )

    rows = []
    variants = {method: VARIANTS[method] for method in args.variants}
    runs: dict[str, Callable[[], tuple[np.ndarray, float]]] = {}
    for method, (dtype, options) in variants.items():
        start = time.perf_counter()  # warm-up (and, for the compiled step, compilation): not timed
        run_pdejepa(cfg, {k: v[:8] for k, v in params.items()}, draws[:8], device, dtype=dtype, **options)
        if options.get("compiled"):
            run_pdejepa(cfg, params, draws, device, dtype=dtype, **options)
            print(f"{method}: compiled in {time.perf_counter() - start:.1f} s (excluded)", flush=True)
        runs[method] = lambda dtype=dtype, options=options: run_pdejepa(
            cfg, params, draws, device, dtype=dtype, **options
        )
    compile_s = 0.0
    if mods is not None:
        runs["exponax"], compile_s = compile_exponax(mods, cfg, params, draws)
    best = interleaved(runs, args.repeats)
    ours = best["pdejepa"][0]
    blocks = len(row_blocks(args.num, solver_blocks(args.num, device)))
    layout = f"{blocks} block(s) side by side, one torch thread each" if device.type == "cpu" else str(device)
    for method in variants:
        u, seconds = best[method]
        print(f"{method}: {args.num} trajectories in {seconds:.2f} s (best of {args.repeats})", flush=True)
        note = f"one batched call, {layout}" if method == "pdejepa" else NOTES[method]
        if method != "pdejepa":
            note += f", diff to pdejepa {max_rel_error(u, ours):.0e}"
        rows.append(Row(name, method, args.num, args.num / seconds, max_rel_error(u, ref), note))

    if mods is not None:
        u, seconds = best["exponax"]
        agree = max_rel_error(u, ours)
        verdict = "same method: OK" if agree < 1e-6 else "DISAGREE"
        print(
            f"exponax: {args.num} trajectories in {seconds:.2f} s "
            f"(best of {args.repeats}, compile {compile_s:.1f} s excluded); "
            f"max rel diff to pdejepa over the batch {agree:.1e} ({verdict})",
            flush=True,
        )
        note = f"jit(vmap), diff to pdejepa {agree:.0e}"
        rows.append(Row(name, "exponax", args.num, args.num / seconds, max_rel_error(u, ref), note))

    if args.classical > 0:
        n = min(args.classical, args.num)
        u, seconds, how = run_classical(cfg, {k: v[:n] for k, v in params.items()}, draws[:n], args.repeats)
        print(
            f"classical: {n} trajectories one at a time in {seconds:.2f} s (best of {args.repeats} each; {how})",
            flush=True,
        )
        same = max_rel_error(ours[:n], ref[:n])
        rows.append(
            Row(
                name,
                "solve_ivp",
                1,
                n / seconds,
                max_rel_error(u, ref[:n]),
                f"{how}; {n} traj (pdejepa on them: {same:.1e})",
            )
        )
    return rows


def bench_dataset(num: int, batch: int, device: torch.device) -> str:
    """Write a KS dataset with the default recipe end to end; returns a summary line."""
    from solvers.generate import generate

    cfg = SimulationConfig.default("ks").validate()
    with tempfile.TemporaryDirectory() as tmp:
        sync(device)
        start = time.perf_counter()
        path = generate(cfg, num, Path(tmp) / "ks.h5", seed=0, device=device, batch_size=batch, progress=False)
        sync(device)
        seconds = time.perf_counter() - start
        size = path.stat().st_size / 2**20
    return (
        f"KS dataset, default recipe (nx={cfg.nx}, dt={cfg.dt:g}, t_end={cfg.t_end:g}, {cfg.nt} frames), "
        f"{num} trajectories end to end with solvers.generate.generate on {device} (batch {batch}): "
        f"{seconds:.1f} s, {num / seconds:.0f} traj/s, "
        f"{size:.0f} MiB written; goal < 60 s: {'met' if seconds < 60 else 'NOT met'}"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="torch device for pdejepa: cpu (default) or cuda")
    parser.add_argument(
        "--num", type=int, default=None, help="batch of the batched solvers (default 256 on cpu, 4096 on cuda)"
    )
    parser.add_argument(
        "--equations",
        nargs="+",
        default=["ks", "burgers", "kdv"],
        choices=sorted(CLASSICAL),
        help="equations to compare (default: all three)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: the usable cores, solvers.threads)"
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        default=["pdejepa", "pdejepa 1 block", "pdejepa torch ops", "pdejepa ref", "pdejepa chunk64", "pdejepa f32"],
        choices=list(VARIANTS),
        help="pdejepa's rows (default: all but 'pdejepa compiled'); pdejepa is always run",
    )
    parser.add_argument("--compiled", action="store_true", help="add the 'pdejepa compiled' row (torch.compile)")
    parser.add_argument(
        "--clock", choices=sorted(CLOCKS), default="wall", help="what timings read (default wall; cpu: process time)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each solver (default 3); the best counts")
    parser.add_argument(
        "--ref-num", type=int, default=16, help="trajectories checked against the reference (default 16)"
    )
    parser.add_argument(
        "--classical", type=int, default=None, help="solve_ivp trajectories timed (default 2 on cpu, 0 on cuda)"
    )
    parser.add_argument("--no-exponax", action="store_true", help="skip exponax even if installed")
    parser.add_argument(
        "--dataset", type=int, default=None, help="KS dataset size timed end to end (default 10000 on cuda, 0 on cpu)"
    )
    parser.add_argument("--dataset-batch", type=int, default=2048, help="batch size of the dataset run (default 2048)")
    parser.add_argument("--seed", type=int, default=0, help="seed of draw_inputs (default 0)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    global clock
    args = parse_args(argv)
    clock = CLOCKS[args.clock]
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: CUDA is not available to this torch ({torch.__version__})")
    on_gpu = device.type == "cuda"
    args.num = args.num or (4096 if on_gpu else 256)
    args.classical = (0 if on_gpu else 2) if args.classical is None else args.classical
    args.dataset = (10000 if on_gpu else 0) if args.dataset is None else args.dataset
    args.variants = ["pdejepa"] + [v for v in args.variants if v != "pdejepa"]
    if args.compiled and "pdejepa compiled" not in args.variants:
        args.variants.append("pdejepa compiled")
    if args.threads:
        torch.set_num_threads(args.threads)
    else:
        configure_threads()
    if torch.get_num_threads() == 1 and "XLA_FLAGS" not in os.environ:  # jax is imported below: one core too
        os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

    mods = None if args.no_exponax else import_exponax()
    if mods is not None and on_gpu and mods[0].default_backend() != "gpu":
        print("jax has no GPU backend here: exponax skipped on --device cuda (it would run on the CPU).")
        mods = None
    print("1D solver benchmark (benchmarks/solvers_1d.py):", " ".join(sys.argv[1:]) or "(defaults)")
    for line in machine(device, mods[0] if mods else None, mods[2] if mods else None):
        print(line)

    wall = time.perf_counter()
    rows: list[Row] = []
    for name in args.equations:
        rows.extend(bench_equation(name, args, device, mods))
    print()
    print_table(rows)
    if args.dataset > 0:
        print(bench_dataset(args.dataset, args.dataset_batch, device))
    if hasattr(os, "getloadavg"):
        print(f"load average at end (1/5/15 min): {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"total wall time {time.perf_counter() - wall:.0f} s")


if __name__ == "__main__":
    main()
