"""Checks of recipe values shared by the 1D and 2D configurations.

Recipes arrive from YAML and flags, so a value may have any type; each check raises one
``ValueError`` naming the field, the value and what is allowed, before any simulation.
"""

from __future__ import annotations

import functools
import math
import typing
from collections.abc import Mapping
from dataclasses import fields
from numbers import Integral, Real
from typing import Any

import numpy as np


def is_int(value: Any) -> bool:
    """An integer (numpy's too), not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """A finite real number (numpy's too), not a bool."""
    if not isinstance(value, Real) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float range
        return False


# declared field type -> (what is allowed, test)
_SCALAR_KINDS: dict[type, tuple[str, typing.Callable[[Any], bool]]] = {
    int: ("an integer", is_int),
    float: ("a finite number", is_finite_number),
    str: ("a string", lambda value: isinstance(value, str)),
}


@functools.cache
def _scalar_fields(cls: type) -> tuple[tuple[str, type], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in fields(cls) if hints[f.name] in _SCALAR_KINDS)


def check_scalar_fields(cfg: Any, owner: str) -> None:
    """Refuse the first ``int``/``float``/``str`` field of dataclass ``cfg`` whose value is not of that type.

    ``float`` fields also take integers but must be finite (an inf or nan setting would
    overflow or never end deep inside a solver).
    """
    for name, kind in _scalar_fields(type(cfg)):
        value = getattr(cfg, name)
        allowed, ok = _SCALAR_KINDS[kind]
        if not ok(value):
            raise ValueError(f"{owner}: {name}={value!r} must be {allowed}, got {type(value).__name__}")


def to_numbers(name: str, value: Any) -> list[float]:
    """A finite number or a list of them as floats; ``ValueError`` naming ``name`` and ``value`` otherwise."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not all(is_finite_number(v) for v in values):
        raise ValueError(f"{name}={value!r} must be a finite number or a list of finite numbers")
    return [float(v) for v in values]


def to_range(symbol: str, value: Any) -> tuple[float, float]:
    """``value`` (fixed) or ``(low, high)`` as a float pair; ``ValueError`` naming ``symbol`` otherwise."""
    values = to_numbers(symbol, value)
    if len(values) not in (1, 2):
        raise ValueError(f"{symbol} takes one value (fixed) or two (low, high), got {values}")
    return values[0], values[-1]


def merge_ranges(
    current: dict[str, tuple[float, float]], overrides: Any, owner: str | None = None
) -> dict[str, tuple[float, float]]:
    """``current`` with the ranges in ``overrides`` (symbol -> value or ``(low, high)``) replaced.

    With ``owner``, a symbol ``current`` lacks is refused here (else ``validate`` names it).
    """
    if not isinstance(overrides, Mapping):
        raise ValueError(f"params={overrides!r} must map parameter names to a value or (low, high)")
    for symbol in overrides:
        if owner is not None and symbol not in current:
            raise ValueError(f"{owner} has no parameter {symbol!r}; its parameters are {sorted(current)}")
    return {**current, **{symbol: to_range(symbol, value) for symbol, value in overrides.items()}}


def check_ranges(owner: str, params: Any, symbols: set[str]) -> dict[str, tuple[float, float]]:
    """``params`` as float ranges; refused unless it maps exactly ``symbols`` to finite, non-empty ``(low, high)``."""
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
