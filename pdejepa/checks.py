"""Argument checks shared across the package: a bad value is named in the error with what is allowed."""

from __future__ import annotations

from numbers import Integral


def check_count(name: str, value: int, low: int = 1) -> int:
    """An int ``>= low`` (not a bool); ValueError naming ``name`` and ``value`` otherwise."""
    if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def check_seeds(seeds: object, name: str = "seeds") -> list[int]:
    """A non-empty list of distinct ints ``>= 0``; ValueError naming ``name`` and ``seeds`` otherwise."""
    if isinstance(seeds, (list, tuple)) and seeds:
        checked = [check_count(f"each of {name}", s, low=0) for s in seeds]  # entries first: sets need hashables
        if len(set(checked)) == len(checked):
            return checked
    raise ValueError(f"{name} must be a non-empty list of distinct ints >= 0, got {seeds!r}")
