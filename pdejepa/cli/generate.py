"""``pdejepa generate``: simulate a dataset into an xarray-readable HDF5 file.

Datasets come from a registry (:func:`solvers.generate.dataset_registry`): each name maps to its
configuration's ``default(name)``, a 1D :class:`solvers.config.SimulationConfig` or the 2D
:class:`solvers.ns2d.BuoyancyConfig`. Every family reads the flags it knows; a flag that
names a field another family has is refused with the list of allowed fields.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import yaml

# (flag, config field, type, help); parameter ranges are handled separately
SIMULATION_FLAGS = (
    ("--nx", "nx", int, "grid points (1D, even) or cells along x (2D)"),
    ("--t-end", "t_end", float, "1D: length of the stored time window"),
    ("--nt", "nt", int, "stored frames"),
    ("--dt", "dt", float, "1D: largest internal time step; 2D: the solver step"),
    ("--t-burn", "t_burn", float, "1D: time simulated before the first stored frame"),
    ("--ic", "ic", str, "1D initial condition: sines or fourier"),
    ("--amplitude", "amplitude", float, "1D: initial amplitude (per sine, or rms for fourier)"),
    ("--n-modes", "n_modes", int, "1D: number of sines"),
    ("--max-wavenumber", "max_wavenumber", int, "1D: largest initial wavenumber index"),
    ("--tail-tol", "tail_tol", float, "1D: largest spectral tail accepted as resolved"),
    ("--ny", "ny", int, "2D: cells along y"),
    ("--Lx", "Lx", float, "2D: box width"),
    ("--Ly", "Ly", float, "2D: box height"),
    ("--skip-nt", "skip_nt", int, "2D: frames simulated and dropped before the first stored one"),
    ("--substeps", "substeps", int, "2D: solver steps of dt per stored frame"),
    ("--noise-scale", "noise_scale", float, "2D: size of the initial smoke's fluctuations (PhiFlow Noise scale)"),
    (
        "--noise-smoothness",
        "noise_smoothness",
        float,
        "2D: spectral fall-off of the initial smoke (PhiFlow Noise smoothness)",
    ),
    ("--max-cfl", "max_cfl", float, "2D: cells per step beyond which a trajectory counts as blown up"),
    ("--splitting", "splitting", str, "2D: order of force and diffusion in a step: pdearena (default) or balanced"),
)
RUN_KEYS = ("num", "out", "seed", "device", "batch_size", "splits", "compression")
RUN_DEFAULTS = {
    "num": 16,
    "out": None,
    "seed": 0,
    "device": "cpu",
    "batch_size": 256,
    "splits": None,
    "compression": "gzip",
}


def parameter_symbols() -> list[str]:
    """Every per-trajectory parameter symbol of every dataset (one range flag each)."""
    from solvers.equations import EQUATIONS
    from solvers.ns2d.config import PARAMETERS

    return sorted(
        {par.symbol for eq in EQUATIONS.values() for par in eq.parameters} | {par.symbol for par in PARAMETERS}
    )


def add_generate(sub: argparse._SubParsersAction) -> None:
    from solvers.generate import dataset_registry

    datasets = dataset_registry()
    p = sub.add_parser(
        "generate",
        help="simulate a dataset (1D equations, 2D buoyancy-driven smoke) into an xarray-readable HDF5 file",
        description="Simulate trajectories and write them to HDF5 (open with xarray, engine='h5netcdf'). "
        "Settings come from the dataset's defaults, then --config YAML, then the flags.",
    )
    p.add_argument("equation", nargs="?", choices=sorted(datasets), help="dataset (or 'equation:' in --config)")
    p.add_argument("--config", type=Path, help="YAML recipe; flags override its fields")
    p.add_argument("--num", type=int, help="number of trajectories (default 16)")
    p.add_argument("--out", type=Path, help="output file (.h5)")
    p.add_argument("--seed", type=int, help="trajectory i is determined by (seed, i); default 0")
    p.add_argument("--device", help="cpu, cuda or cuda:N (default cpu)")
    p.add_argument("--batch-size", type=int, help="trajectories per batch (default 256)")
    p.add_argument("--shard", help="i/n: write shard i of n (default: RANK/WORLD_SIZE under torchrun)")
    p.add_argument(
        "--splits",
        type=float,
        nargs=3,
        metavar=("TRAIN", "VALID", "TEST"),
        help="write <out>_train, _valid and _test with disjoint seeds: fractions of --num (0.8 0.1 0.1) or counts",
    )
    p.add_argument(
        "--compression", help="chunk compression of the fields: none, lzf, gzip (default) or gzip:LEVEL (1-9)"
    )
    p.add_argument("--resume", action="store_true", help="continue an interrupted run (a finished file is kept)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    for flag, field, typ, text in SIMULATION_FLAGS:
        p.add_argument(flag, dest=field, type=typ, help=text)
    p.add_argument("--times", type=float, nargs="+", help="1D: explicit stored times (replaces --t-end/--nt/--t-burn)")
    symbols = parameter_symbols()
    for symbol in symbols:
        p.add_argument(
            f"--{symbol}",
            type=float,
            nargs="+",
            metavar=("LOW", "HIGH"),
            help=f"range of {symbol} (one value fixes it)",
        )
    p.set_defaults(run=run_generate, symbols=symbols)


def load_recipe(args: argparse.Namespace) -> tuple[Any, dict]:
    """Merge defaults < YAML < flags into a validated dataset config and the run settings."""
    recipe = yaml.safe_load(args.config.read_text()) if args.config else {}
    if not isinstance(recipe, dict):
        raise ValueError(f"{args.config}: expected a mapping of settings, got {type(recipe).__name__}")
    recipe = dict(recipe)
    equation = args.equation or recipe.get("equation")
    if equation is None:
        raise ValueError("name the equation (e.g. 'pdejepa generate burgers') or set 'equation:' in --config")
    from solvers.generate import dataset_registry

    datasets = dataset_registry()
    if equation not in datasets:
        raise ValueError(f"unknown equation {equation!r}; choose one of {sorted(datasets)}")
    recipe.pop("equation", None)
    run = dict(RUN_DEFAULTS)
    given = {k: recipe.pop(k) for k in RUN_KEYS if k in recipe}
    given.update({k: getattr(args, k) for k in RUN_KEYS if getattr(args, k) is not None})
    run.update(given)
    run["num_given"] = "num" in given  # with --splits counts, a --num must agree with them
    params = recipe.pop("params", {}) or {}
    if not isinstance(params, dict):
        raise ValueError(f"params must be a mapping of parameter ranges such as {{nu: [0.05, 0.5]}}, got {params!r}")
    params = dict(params)
    for symbol in args.symbols:
        value = getattr(args, symbol)
        if value is not None:
            params[symbol] = value
    overrides = {field: getattr(args, field) for _, field, _, _ in SIMULATION_FLAGS}
    overrides["times"] = args.times
    overrides = {k: v for k, v in overrides.items() if v is not None}
    cfg = datasets[equation](equation).updated(**recipe)
    unknown = set(params) - set(cfg.params)
    if unknown:
        raise ValueError(f"{equation} has no parameter(s) {sorted(unknown)}; its parameters are {sorted(cfg.params)}")
    cfg = cfg.updated(params=params, **overrides)
    if run["out"] is None:
        run["out"] = Path(f"{equation}.h5")
    return cfg.validate(), run


def run_generate(args: argparse.Namespace) -> int:
    from solvers.generate import Shard, generate
    from solvers.splits import are_fractions, generate_splits, split_counts

    cfg, run = load_recipe(args)
    start = time.perf_counter()
    options = {
        "seed": run["seed"],
        "device": run["device"],
        "batch_size": run["batch_size"],
        "shard": Shard.parse(args.shard),
        "resume": args.resume,
        "overwrite": args.overwrite,
        "progress": not args.no_progress,
        "compression": run["compression"],
    }
    if run["splits"] is not None:
        total = run["num"] if run["num_given"] or are_fractions(run["splits"]) else None  # counts set the total
        counts = split_counts(run["splits"], total)
        paths = generate_splits(cfg, counts, run["out"], **options)
        listing = ", ".join(f"{split} {counts[split]} in {path}" for split, path in paths.items())
        print(f"wrote {listing} ({time.perf_counter() - start:.1f} s)")
        return 0
    path = generate(cfg, num=run["num"], out=run["out"], **options)
    print(f"wrote {path} ({run['num']} trajectories in total, {time.perf_counter() - start:.1f} s)")
    return 0
