"""``pdejepa generate``: simulate a dataset into an xarray-readable HDF5 file.

Argument parsing only: the settings go to :func:`pdejepa.api.generate`, which merges the dataset's defaults <
``--config`` < the flags. Every family reads the flags it knows; a flag that names a field another family has is
refused with the list of allowed fields.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

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
    (
        "--switch-fraction",
        "switch_fraction",
        float,
        "ns-buoyancy-switch: fraction of trajectories whose buoyancy changes",
    ),
    ("--switch-frame", "switch_frame", int, "ns-buoyancy-switch: stored frame of the change (default: the middle)"),
    ("--min-jump", "min_jump", float, "ns-buoyancy-switch: least change of the buoyancy"),
)


def parameter_symbols() -> list[str]:
    """Every per-trajectory parameter symbol of every dataset (one range flag each)."""
    from solvers.equations import EQUATIONS
    from solvers.ns2d.config import PARAMETERS

    return sorted(
        {par.symbol for eq in EQUATIONS.values() for par in eq.parameters} | {par.symbol for par in PARAMETERS}
    )


def add_generate(sub: argparse._SubParsersAction) -> None:
    from pdejepa.jobs.generation import RUN_DEFAULTS
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
    p.add_argument("--num", type=int, help=f"number of trajectories (default {RUN_DEFAULTS['num']})")
    p.add_argument("--out", type=Path, help="output file (.h5); default EQUATION.h5")
    p.add_argument("--seed", type=int, help=f"trajectory i is determined by (seed, i); default {RUN_DEFAULTS['seed']}")
    p.add_argument("--device", help=f"cpu, cuda or cuda:N (default {RUN_DEFAULTS['device']})")
    p.add_argument("--batch-size", type=int, help=f"trajectories per batch (default {RUN_DEFAULTS['batch_size']})")
    p.add_argument("--shard", help="i/n: write shard i of n (default: RANK/WORLD_SIZE under torchrun)")
    p.add_argument(
        "--splits",
        type=float,
        nargs=3,
        metavar=("TRAIN", "VALID", "TEST"),
        help="write <out>_train, _valid and _test with disjoint seeds: fractions of --num (0.8 0.1 0.1) or counts",
    )
    p.add_argument(
        "--compression",
        help=f"chunk compression: none, lzf, gzip or gzip:LEVEL (1-9); default {RUN_DEFAULTS['compression']}",
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


def run_generate(args: argparse.Namespace) -> int:
    from pdejepa.api import generate, load_dataset

    settings = {field: getattr(args, field) for _, field, _, _ in SIMULATION_FLAGS}
    settings["times"] = args.times
    params = {symbol: getattr(args, symbol) for symbol in args.symbols if getattr(args, symbol) is not None}
    settings = {k: v for k, v in settings.items() if v is not None} | ({"params": params} if params else {})
    start = time.perf_counter()
    written = generate(
        args.equation,
        args.num,
        args.out,
        recipe=args.config,
        seed=args.seed,
        device=args.device,
        batch_size=args.batch_size,
        shard=args.shard,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=not args.no_progress,
        compression=args.compression,
        splits=args.splits,
        **settings,
    )
    elapsed = time.perf_counter() - start
    paths = written if isinstance(written, dict) else {"file": written}
    listing = []
    for split, path in paths.items():
        with load_dataset(path) as ds:
            count = f"{ds.sizes['sample']} trajectories"
        listing.append(f"{path} ({count})" if split == "file" else f"{split} {count.split()[0]} in {path}")
    print(f"wrote {', '.join(listing)} ({elapsed:.1f} s)")
    return 0
