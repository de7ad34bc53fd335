"""``pdejepa demo``: the main job on an embedded default."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the main job on an embedded default: a small Burgers dataset and its picture")
    p.add_argument("--out", type=Path, default=Path("results/demo"), help="results folder")
    p.add_argument("--num", type=int, default=256)
    p.add_argument("--overwrite", action="store_true", help="replace a dataset already in --out")
    p.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    import xarray as xr

    from solvers.generate import generate
    from solvers.periodic1d import SimulationConfig
    from solvers.plot import plot_spacetime

    start = time.perf_counter()
    path = generate(
        SimulationConfig.default("burgers"), num=args.num, out=args.out / "burgers.h5", overwrite=args.overwrite
    )
    elapsed = time.perf_counter() - start
    png = plot_spacetime(path, [0, 1, 2, 3], args.out / "burgers.png")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        print(ds)
        print(
            f"\n{args.num} Burgers trajectories in {elapsed:.1f} s ({args.num / elapsed:.0f} traj/s); nu in "
            f"[{float(ds.nu.min()):.3g}, {float(ds.nu.max()):.3g}], "
            f"largest spectral tail {float(ds.spectral_tail.max()):.1e}"
        )
    print(f"dataset: {path}\npicture: {png}")
    return 0
