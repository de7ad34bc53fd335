"""Checks of recipe values shared by the 1D and 2D configurations: numbers, integers, typed fields.

Recipes arrive from YAML and flags, so a value may have any type; each check raises one
``ValueError`` naming the field, the value and what is allowed, before any simulation.
Parameter ranges are checked with the rest of what concerns them, in :mod:`solvers.parameters`.
"""

from __future__ import annotations

import functools
import math
import typing
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
