"""Chunk compression of the dataset files: size, write time and full read time, per filter, side by side.

The same trajectories (simulated once, in memory) are written with each compression through the dataset
writer (:class:`solvers.dataset.TrajectoryWriter`: h5netcdf layout, batches, statistics), then read back
whole through xarray (``xr.open_dataset(..., engine="h5netcdf").load()``). Datasets: Burgers 1D on the
default recipe (512 points, 101 frames) and 2D smoke on a small grid (the CPU recipe of
``configs/ns_vicreg.yaml``: 64 x 64 cells, 24 frames). Repeats are interleaved across the filters and the
best of ``--repeats`` counts. Ratios are against ``none`` on the same data. The values are the same bit
for bit whatever the filter (checked on every read).

Run from the repository root: ``python benchmarks/compression.py`` (about a minute on 2 idle cores;
``--quick`` for a smoke test of the script).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from benchmarks.machine_info import machine_lines

from solvers import SimulationConfig
from solvers.dataset import TrajectoryWriter
from solvers.generate import recipe_of
from solvers.ns2d import BuoyancyConfig

FILTERS = ("none", "lzf", "gzip:1", "gzip:4", "gzip:9")


def simulate(cfg, num: int, batch: int) -> tuple[object, list[dict[str, np.ndarray]]]:
    """The recipe of ``cfg`` and its first ``num`` trajectories, as the batches the writer is given."""
    recipe = recipe_of(cfg)
    indices = np.arange(num)
    return recipe, [recipe.simulate(0, indices[lo : lo + batch], torch.device("cpu")) for lo in range(0, num, batch)]


def write(recipe, batches: list[dict[str, np.ndarray]], path: Path, compression: str) -> float:
    """Seconds to write ``batches`` to ``path`` with ``compression`` (layout, rows, statistics, rename)."""
    num = sum(len(next(iter(b.values()))) for b in batches)
    start = time.perf_counter()
    writer = TrajectoryWriter(
        path,
        fields=recipe.fields,
        coords=recipe.coords(),
        samples=np.arange(num),
        per_sample=recipe.per_sample,
        attrs={"equation": recipe.name},
        fingerprint=f"benchmark {compression}",
        coord_attrs=recipe.coord_attrs(),
        variable_attrs=recipe.variable_attrs(),
        compression=compression,
        overwrite=True,
    )
    with writer:
        row = 0
        for batch in batches:
            writer.write(row, batch)
            row += len(next(iter(batch.values())))
        writer.finish({"complete": 1})
    return time.perf_counter() - start


def read(path: Path) -> tuple[float, xr.Dataset]:
    """Seconds to read the whole file through xarray, and what was read."""
    start = time.perf_counter()
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        loaded = ds.load()
    return time.perf_counter() - start, loaded


def measure(name: str, recipe, batches, folder: Path, repeats: int) -> list[str]:
    """Rows of the table for one dataset."""
    best = {f: {"write": np.inf, "read": np.inf} for f in FILTERS}
    warm_up = folder / f"{name}-warm-up.h5"  # first-call costs (imports, caches) go to no filter
    write(recipe, batches, warm_up, "none")
    _, reference = read(warm_up)
    for _ in range(repeats):
        for f in FILTERS:  # interleaved: a noisy neighbour hits every filter alike
            path = folder / f"{name}-{f.replace(':', '')}.h5"
            best[f]["write"] = min(best[f]["write"], write(recipe, batches, path, f))
            seconds, ds = read(path)
            best[f]["read"] = min(best[f]["read"], seconds)
            best[f]["size"] = path.stat().st_size
            for field in recipe.fields:  # the same values whatever the filter
                np.testing.assert_array_equal(ds[field].values, reference[field].values)
    base = best["none"]
    rows = []
    for f in FILTERS:
        b = best[f]
        rows.append(
            f"| {name} | {f} | {b['size'] / 2**20:.2f} | {b['size'] / base['size']:.2f} | {b['write']:.3f} | "
            f"{b['write'] / base['write']:.2f} | {b['read']:.3f} | {b['read'] / base['read']:.2f} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-1d", type=int, default=256, help="Burgers trajectories (default 256: 53 MB raw)")
    parser.add_argument("--num-2d", type=int, default=32, help="smoke trajectories (default 32: 38 MB raw)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one repeat: checks the script runs")
    args = parser.parse_args()
    if args.quick:
        args.num_1d, args.num_2d, args.repeats = 16, 2, 1
    torch.set_num_threads(1)
    for line in machine_lines("h5py", "h5netcdf", "xarray"):
        print(line)
    datasets = {
        "burgers": SimulationConfig.default("burgers"),
        "smoke": BuoyancyConfig.default().updated(nx=64, ny=64, nt=24 if not args.quick else 6),
    }
    counts = {"burgers": args.num_1d, "smoke": args.num_2d}
    print("\n| data | compression | size (MiB) | size / none | write (s) | write / none | read (s) | read / none |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, cfg in datasets.items():
            recipe, batches = simulate(cfg, counts[name], batch=64 if name == "burgers" else 8)
            for row in measure(name, recipe, batches, Path(tmp), args.repeats):
                print(row, flush=True)


if __name__ == "__main__":
    main()
