"""Per-trajectory parameters, from their ranges to their draws, for the 1D and 2D dataset configurations.

A configuration is a frozen dataclass whose ``params`` maps each parameter symbol to its
``(low, high)`` range. In the order a recipe meets them: the defaults are the owner's
:class:`~solvers.equations.base.Parameter` declarations (:func:`default_ranges`, the only place a
default range is written); ``updated`` merges given ranges into the current ones (:func:`override`,
which calls :func:`merge_ranges`); ``validate`` checks them once (:func:`check_ranges`); then trajectory
``index`` draws its parameters (log-uniformly or uniformly, as each parameter declares) and its other
random inputs from its own stream ``(seed, index)`` (:func:`draw_per_trajectory`), so they never depend
on batch, shard or device.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, fields, replace
from typing import Any, TypeVar

import numpy as np

from .checks import to_numbers
from .equations.base import Parameter

Config = TypeVar("Config")
Ranges = dict[str, tuple[float, float]]
"""Parameter symbol -> ``(low, high)``; ``low == high`` fixes the parameter."""


def default_ranges(parameters: Sequence[Parameter]) -> Ranges:
    """The declared range of each parameter."""
    return {par.symbol: (par.low, par.high) for par in parameters}


def to_range(symbol: str, value: Any) -> tuple[float, float]:
    """``value`` (fixed) or ``(low, high)`` as a float pair; ``ValueError`` naming ``symbol`` otherwise."""
    values = to_numbers(symbol, value)
    if len(values) not in (1, 2):
        raise ValueError(f"{symbol} takes one value (fixed) or two (low, high), got {values}")
    return values[0], values[-1]


def merge_ranges(current: Ranges, overrides: Any, owner: str | None = None) -> Ranges:
    """``current`` with the ranges in ``overrides`` (symbol -> value or ``(low, high)``) replaced.

    With ``owner``, a symbol ``current`` lacks is refused here (else :func:`check_ranges` names it).
    """
    if not isinstance(overrides, Mapping):
        raise ValueError(f"params={overrides!r} must map parameter names to a value or (low, high)")
    for symbol in overrides:
        if owner is not None and symbol not in current:
            raise ValueError(f"{owner} has no parameter {symbol!r}; its parameters are {sorted(current)}")
    return {**current, **{symbol: to_range(symbol, value) for symbol, value in overrides.items()}}


def check_ranges(owner: str, params: Any, parameters: Sequence[Parameter]) -> Ranges:
    """``params`` as float ranges; refused unless it maps exactly the symbols of ``parameters`` to finite,
    non-empty ``(low, high)``."""
    symbols = {par.symbol for par in parameters}
    if not isinstance(params, Mapping):
        raise ValueError(f"{owner}: params={params!r} must map parameter names to a value or (low, high)")
    if set(params) != symbols:
        raise ValueError(f"{owner}: parameters {sorted(map(str, params))} must be exactly {sorted(symbols)}")
    ranges = {}
    for symbol, value in params.items():
        try:
            low, high = ranges[symbol] = to_range(symbol, value)
        except ValueError as err:
            raise ValueError(f"{owner}: {err}") from None
        if low > high:
            raise ValueError(f"{owner}: {symbol} range ({low}, {high}) is empty: low must not exceed high")
    return ranges


def override(cfg: Config, overrides: Mapping[str, Any], dataset: str | None = None) -> Config:
    """A copy of dataclass ``cfg`` with fields replaced by ``overrides`` (``None`` keeps a value).

    ``params`` entries merge into the current ranges; a ``times`` field takes a list of numbers.
    ``dataset`` names the one dataset a configuration class builds (``None``: it builds several):
    its messages then start with it and its ``equation`` cannot change. An unknown parameter is refused
    here, naming the dataset (or the configuration's ``equation``), unless the equation changes too.
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
        owner = dataset if dataset is not None or "equation" in overrides else getattr(cfg, "equation", None)
        overrides["params"] = merge_ranges(cfg.params, overrides["params"], owner=owner)
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
) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
    """The parameters and other random inputs of trajectories ``indices``, each from its stream ``(seed, index)``.

    A stream first gives one uniform number per parameter, then ``draw(rng)``. A fixed range
    (``low == high``) yields ``low`` exactly.

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
        if low == high:
            params[par.symbol] = np.full(len(indices), low)
        elif par.log:
            params[par.symbol] = np.exp(np.log(low) + unit[:, col] * (np.log(high) - np.log(low)))
        else:
            params[par.symbol] = low + unit[:, col] * (high - low)
    return params, draws
