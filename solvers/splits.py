"""Train, validation and test splits of one dataset, written in one run: one file per split, disjoint seeds.

Split ``s`` of a run with seed ``seed`` draws its trajectories from ``split_seed(seed, s)``: ``seed``
(train), ``seed + 1`` (test), ``seed + 2`` (valid), so the three never share a trajectory and train and
test are the files pdejepa's experiments generate for the same ``data.seed``. Runs with seeds less than
3 apart therefore share files' seeds: give separate datasets seeds at least 3 apart. Each split's file
is ``<out stem>_<split><suffix>`` (``burgers.h5`` -> ``burgers_train.h5``), sharded as :func:`generate`
shards any file.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .generate import DatasetConfig, generate

SPLITS = ("train", "valid", "test")
"""The splits, in the order ``--splits`` gives their sizes."""
SEED_OFFSETS = {"train": 0, "test": 1, "valid": 2}


def split_seed(seed: int, split: str) -> int:
    """The seed of ``split``'s trajectories in a run with ``seed``."""
    if split not in SEED_OFFSETS:
        raise ValueError(f"split {split!r} is not one of {list(SPLITS)}")
    return int(seed) + SEED_OFFSETS[split]


def split_path(out: str | os.PathLike, split: str) -> Path:
    """``data/burgers.h5`` -> ``data/burgers_train.h5``."""
    out = Path(out)
    return out.with_name(f"{out.stem}_{split}{out.suffix}")


def check_sizes(sizes: Any) -> list[float]:
    """Three split sizes (train, valid, test) as floats, else a ValueError naming them."""
    ok = isinstance(sizes, (list, tuple)) and len(sizes) == len(SPLITS)
    ok = ok and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in sizes)
    values = [float(v) for v in sizes] if ok else []
    if not (ok and all(math.isfinite(v) and v >= 0 for v in values)):
        raise ValueError(
            f"splits {sizes!r} must be three sizes >= 0 (train valid test), e.g. 0.8 0.1 0.1 or 800 100 100"
        )
    return values


def are_fractions(sizes: Sequence[float]) -> bool:
    """Whether split sizes are fractions (each in [0, 1], summing to 1) rather than counts."""
    values = check_sizes(sizes)
    return all(v <= 1 for v in values) and math.isclose(sum(values), 1.0, rel_tol=0, abs_tol=1e-9)


def split_counts(sizes: Sequence[float], num: int | None = None) -> dict[str, int]:
    """Trajectories per split from three sizes (train, valid, test): fractions of ``num`` summing to 1, or
    counts (whole numbers; ``num``, when given, must be their sum). Fractions are rounded by largest
    remainder, so the counts add up to ``num``; a split of size 0 is not written."""
    values = check_sizes(sizes)
    shown = " ".join(f"{v:g}" for v in values)
    if are_fractions(values):
        if num is None or num < 1:
            raise ValueError(f"splits {shown!r} are fractions: give the total number of trajectories (--num)")
        raw = [v * num for v in values]
        counts = [math.floor(r) for r in raw]
        by_remainder = sorted(range(len(raw)), key=lambda i: counts[i] - raw[i])  # largest remainder first
        for i in by_remainder[: num - sum(counts)]:
            counts[i] += 1
        empty = [s for s, v, c in zip(SPLITS, values, counts) if v > 0 and c == 0]
        if empty:
            raise ValueError(f"splits {shown!r} of num={num} leave {empty} with no trajectory; raise --num")
    elif all(v.is_integer() for v in values):
        counts = [int(v) for v in values]
        if num is not None and num != sum(counts):
            raise ValueError(f"splits {shown!r} count {sum(counts)} trajectories but num={num}; give one of the two")
    else:
        raise ValueError(f"splits {shown!r} must be fractions summing to 1 (0.8 0.1 0.1) or whole counts (800 100 100)")
    if sum(counts) < 1:
        raise ValueError(f"splits {shown!r} hold no trajectory")
    return dict(zip(SPLITS, counts))


def generate_splits(
    cfg: DatasetConfig, counts: dict[str, int], out: str | os.PathLike, *, seed: int = 0, **options: Any
) -> dict[str, Path]:
    """Write each split of ``counts`` (:func:`split_counts`) with :func:`~solvers.generate.generate`; ``options``
    are its other arguments (``shard``, ``resume``, ...: with ``resume`` a finished split is left as it is and the
    others continue or start). Returns split -> path of its (shard) file."""
    paths = {}
    for split in SPLITS:
        if counts.get(split, 0):
            target, split_at = split_path(out, split), split_seed(seed, split)
            paths[split] = generate(cfg, counts[split], target, seed=split_at, split=split, **options)
    return paths
