"""``pdejepa example-data``: a small Burgers dataset, what xarray sees of it, its picture (argument parsing only)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

NUM = 256  # trajectories: a couple of seconds on a laptop's CPU


def add_example_data(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "example-data",
        help="simulate a small Burgers dataset and save its picture (the data side alone; the whole pipeline is "
        "'pdejepa quickstart')",
    )
    p.add_argument("--out", type=Path, default=Path("results/example-data"), help="results folder")
    p.add_argument("--num", type=int, default=NUM, help=f"trajectories to simulate (default {NUM})")
    p.add_argument("--overwrite", action="store_true", help="replace a dataset already in --out")
    p.set_defaults(run=run_example_data)


def run_example_data(args: argparse.Namespace) -> int:
    from pdejepa.api import generate, plot

    start = time.perf_counter()
    ds = generate("burgers", args.num, args.out / "burgers.h5", overwrite=args.overwrite, open_dataset=True)
    elapsed = time.perf_counter() - start
    with ds:
        print(ds)
        print(
            f"\n{args.num} Burgers trajectories in {elapsed:.1f} s ({args.num / elapsed:.0f} traj/s); nu in "
            f"[{float(ds.nu.min()):.3g}, {float(ds.nu.max()):.3g}], "
            f"largest spectral tail {float(ds.spectral_tail.max()):.1e}"
        )
    png = plot(args.out / "burgers.h5", [0, 1, 2, 3], args.out / "burgers.png")
    print(f"dataset: {args.out / 'burgers.h5'}\npicture: {png}")
    return 0
