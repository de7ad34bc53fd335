"""``pdejepa generate``: simulate a dataset into an xarray-readable HDF5 file."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import yaml

# (flag, config field, type, help); parameter ranges are handled separately
SIMULATION_FLAGS = (
    ("--nx", "nx", int, "grid points (even)"),
    ("--t-end", "t_end", float, "length of the stored time window"),
    ("--nt", "nt", int, "stored frames"),
    ("--dt", "dt", float, "largest internal time step"),
    ("--t-burn", "t_burn", float, "time simulated before the first stored frame"),
    ("--ic", "ic", str, "initial condition: sines or fourier"),
    ("--amplitude", "amplitude", float, "initial amplitude (per sine, or rms for fourier)"),
    ("--n-modes", "n_modes", int, "number of sines"),
    ("--max-wavenumber", "max_wavenumber", int, "largest initial wavenumber index"),
    ("--tail-tol", "tail_tol", float, "largest spectral tail accepted as resolved"),
)
RUN_KEYS = ("num", "out", "seed", "device", "batch_size")


def add_generate(sub: argparse._SubParsersAction) -> None:
    from solvers.equations import EQUATIONS

    p = sub.add_parser(
        "generate",
        help="simulate a dataset of 1D trajectories into an xarray-readable HDF5 file",
        description="Simulate trajectories and write them to HDF5 (open with xarray, engine='h5netcdf'). "
        "Settings come from the equation's defaults, then --config YAML, then the flags.",
    )
    p.add_argument("equation", nargs="?", choices=sorted(EQUATIONS), help="equation (or 'equation:' in --config)")
    p.add_argument("--config", type=Path, help="YAML recipe; flags override its fields")
    p.add_argument("--num", type=int, help="number of trajectories (default 16)")
    p.add_argument("--out", type=Path, help="output file (.h5)")
    p.add_argument("--seed", type=int, help="trajectory i is determined by (seed, i); default 0")
    p.add_argument("--device", help="cpu, cuda or cuda:N (default cpu)")
    p.add_argument("--batch-size", type=int, help="trajectories per batch (default 256)")
    p.add_argument("--shard", help="i/n: write shard i of n (default: RANK/WORLD_SIZE under torchrun)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    for flag, field, typ, text in SIMULATION_FLAGS:
        p.add_argument(flag, dest=field, type=typ, help=text)
    p.add_argument("--times", type=float, nargs="+", help="explicit stored times (replaces --t-end/--nt/--t-burn)")
    symbols = sorted({par.symbol for eq in EQUATIONS.values() for par in eq.parameters})
    for symbol in symbols:
        p.add_argument(f"--{symbol}", type=float, nargs="+", metavar=("LOW", "HIGH"), help=f"range of {symbol} (one value fixes it)")
    p.set_defaults(run=run_generate, symbols=symbols)


def load_recipe(args: argparse.Namespace) -> tuple["SimulationConfig", dict]:  # noqa: F821
    """Merge defaults < YAML < flags into a simulation config and the run settings."""
    from solvers.config import SimulationConfig

    recipe = yaml.safe_load(args.config.read_text()) if args.config else {}
    if not isinstance(recipe, dict):
        raise ValueError(f"{args.config}: expected a mapping of settings, got {type(recipe).__name__}")
    recipe = dict(recipe)
    equation = args.equation or recipe.get("equation")
    if equation is None:
        raise ValueError("name the equation (e.g. 'pdejepa generate burgers') or set 'equation:' in --config")
    recipe.pop("equation", None)
    run = {"num": 16, "out": None, "seed": 0, "device": "cpu", "batch_size": 256}
    run.update({k: recipe.pop(k) for k in RUN_KEYS if k in recipe})
    run.update({k: getattr(args, k) for k in RUN_KEYS if getattr(args, k) is not None})
    params = dict(recipe.pop("params", {}) or {})
    for symbol in args.symbols:
        value = getattr(args, symbol)
        if value is not None:
            params[symbol] = value
    overrides = {field: getattr(args, field) for _, field, _, _ in SIMULATION_FLAGS}
    overrides["times"] = args.times
    cfg = SimulationConfig.default(equation).updated(**recipe)
    unknown = set(params) - set(cfg.params)
    if unknown:
        raise ValueError(f"{equation} has no parameter(s) {sorted(unknown)}; its parameters are {sorted(cfg.params)}")
    cfg = cfg.updated(params=params, **overrides)
    if run["out"] is None:
        run["out"] = Path(f"{equation}.h5")
    return cfg.validate(), run


def run_generate(args: argparse.Namespace) -> int:
    from solvers.generate import Shard, generate

    cfg, run = load_recipe(args)
    start = time.perf_counter()
    path = generate(
        cfg, num=run["num"], out=run["out"], seed=run["seed"], device=run["device"], batch_size=run["batch_size"],
        shard=Shard.parse(args.shard), resume=args.resume, overwrite=args.overwrite, progress=not args.no_progress,
    )
    print(f"wrote {path} ({run['num']} trajectories in total, {time.perf_counter() - start:.1f} s)")
    return 0
