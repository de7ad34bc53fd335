"""What the 1D and 2D dataset configurations share: overriding fields, and per-trajectory parameters.

A configuration is a frozen dataclass whose ``params`` maps each parameter symbol to its
``(low, high)`` range; trajectory ``index`` draws its parameters (log-uniformly or uniformly,
as each :class:`~solvers.equations.base.Parameter` declares) and its other random inputs
from its own stream ``(seed, index)``, so they never depend on batch, shard or device.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, fields, replace
from typing import Any, TypeVar

import numpy as np

from .checks import merge_ranges, to_numbers
from .equations.base import Parameter

Config = TypeVar("Config")


def override(cfg: Config, overrides: Mapping[str, Any], dataset: str | None = None) -> Config:
    """A copy of dataclass ``cfg`` with fields replaced by ``overrides`` (``None`` keeps a value).

    ``params`` entries merge into the current ranges; a ``times`` field takes a list of numbers.
    ``dataset`` names the one dataset a configuration class builds (``None``: it builds several):
    its messages then start with it, its ``equation`` cannot change, and an unknown parameter is
    refused here rather than by ``validate``.
    """
    known = {f.name for f in fields(cfg)}
    unknown = set(overrides) - known
    if unknown:
        prefix = f"{dataset}: " if dataset is not None else ""
        raise ValueError(f"{prefix}unknown configuration field(s) {sorted(unknown)}; allowed: {sorted(known)}")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if dataset is not None and overrides.get("equation", dataset) != dataset:
        raise ValueError(f"equation={overrides['equation']!r} cannot be changed in a {dataset} recipe")
    if "params" in overrides:
        overrides["params"] = merge_ranges(cfg.params, overrides["params"], owner=dataset)
    if "times" in overrides:
        overrides["times"] = tuple(to_numbers("times", overrides["times"]))
    return replace(cfg, **overrides)


def plain(cfg: Any) -> dict[str, Any]:
    """Dataclass ``cfg`` as plain data for JSON: ranges and ``times`` (if any) as lists."""
    d = asdict(cfg)
    d["params"] = {k: list(v) for k, v in cfg.params.items()}
    if "times" in d:
        d["times"] = None if cfg.times is None else list(cfg.times)
    return d


def draw_per_trajectory(
    seed: int,
    indices: np.ndarray,
    parameters: Sequence[Parameter],
    ranges: Mapping[str, tuple[float, float]],
    draw: Callable[[np.random.Generator], np.ndarray],
    fixed_as_given: bool,
) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
    """The parameters and other random inputs of trajectories ``indices``, each from its stream ``(seed, index)``.

    A stream first gives one uniform number per parameter, then ``draw(rng)``. With
    ``fixed_as_given`` a fixed range (``low == high``) yields ``low`` exactly; otherwise a fixed
    log-uniform parameter passes through ``exp(log(low))`` (the 1D datasets keep that round trip
    so that their files stay bit for bit the same).

    Returns:
        ``(params, draws)``: ``params[symbol]`` float64 of shape ``(n,)``, and ``draw``'s result
        per trajectory.
    """
    unit = np.empty((len(indices), len(parameters)))
    draws = []
    for row, index in enumerate(indices):
        rng = np.random.default_rng([seed, int(index)])
        unit[row] = rng.random(len(parameters))
        draws.append(draw(rng))
    params = {}
    for col, par in enumerate(parameters):
        low, high = ranges[par.symbol]
        if fixed_as_given and low == high:
            params[par.symbol] = np.full(len(indices), low)
        elif par.log:
            params[par.symbol] = np.exp(np.log(low) + unit[:, col] * (np.log(high) - np.log(low)))
        else:
            params[par.symbol] = low + unit[:, col] * (high - low)
    return params, draws
