"""The generation job: a dataset recipe merged once, from the dataset's defaults < a recipe (a YAML file or a
mapping of the same fields) < the caller's settings, then simulated into one file or three splits.

A recipe holds a dataset's settings (``nx``, ``params``, ...: :mod:`solvers`' configurations) and may also name
the ``equation`` and the run's own settings (:data:`RUN_DEFAULTS`: ``num``, ``out``, ``seed``, ...).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solvers.generate import DatasetConfig, Shard, dataset_defaults
from solvers.generate import generate as write_dataset
from solvers.splits import are_fractions, generate_splits, split_counts

from ..config.yaml_io import read_yaml

RUN_DEFAULTS: dict[str, Any] = {
    "num": 16,
    "out": None,  # <equation>.h5
    "seed": 0,
    "device": "cpu",
    "batch_size": 256,
    "splits": None,
    "compression": "gzip",
}


@dataclass(frozen=True)
class Plan:
    """A checked dataset configuration and the run's settings (:data:`RUN_DEFAULTS`'s keys); ``num_given``:
    whether the count was given rather than defaulted (split counts then need not add up to it)."""

    dataset: DatasetConfig
    run: dict[str, Any]
    num_given: bool


def plan(
    equation: str | None, recipe: str | os.PathLike | Mapping | None, settings: Mapping[str, Any], run: Mapping
) -> Plan:
    """Merge the dataset's defaults < ``recipe`` < ``settings`` (dataset fields) and ``RUN_DEFAULTS`` < the
    recipe's run settings < ``run`` (None: not given), checking each value once."""
    spec = read_yaml(recipe) if isinstance(recipe, (str, os.PathLike)) else recipe or {}
    if not isinstance(spec, Mapping):
        raise ValueError(f"{recipe}: expected a mapping of settings, got {type(spec).__name__}")
    spec = dict(spec)
    named = spec.pop("equation", None)
    equation = equation or named
    if equation is None:
        raise ValueError("name the equation (e.g. 'pdejepa generate burgers') or set 'equation:' in the recipe")
    given = {key: spec.pop(key) for key in RUN_DEFAULTS if key in spec}
    given.update({key: value for key, value in run.items() if value is not None})
    merged = {**RUN_DEFAULTS, **given}
    merged["out"] = Path(merged["out"] or f"{equation}.h5")
    dataset = dataset_defaults(equation).updated(**spec).updated(**settings).validate()
    return Plan(dataset, merged, num_given="num" in given)


def write(p: Plan, *, shard: str | None, resume: bool, overwrite: bool, progress: bool) -> dict[str, Path]:
    """Simulate the plan's trajectories: split -> file (``{"all": path}`` without splits)."""
    run = p.run
    options = {
        "seed": run["seed"],
        "device": run["device"],
        "batch_size": run["batch_size"],
        "shard": Shard.parse(shard),
        "resume": resume,
        "overwrite": overwrite,
        "progress": progress,
        "compression": run["compression"],
    }
    if run["splits"] is None:
        return {"all": write_dataset(p.dataset, num=run["num"], out=run["out"], **options)}
    total = run["num"] if p.num_given or are_fractions(run["splits"]) else None  # counts alone set the total
    return generate_splits(p.dataset, split_counts(run["splits"], total), run["out"], **options)
