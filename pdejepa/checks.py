"""Argument checks shared across the package: a bad value is named in the error with what is allowed."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real


MAX_SEED = 2**32 - 1  # numpy's and Lightning's seeds are 32-bit


def check_count(name: str, value: int, low: int = 1, high: int | None = None) -> int:
    """An int ``>= low`` (and ``<= high``; not a bool); ValueError naming ``name`` and ``value`` otherwise."""
    if not isinstance(value, Integral) or isinstance(value, bool) or value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an int {allowed}, got {value!r}")
    return int(value)


def check_seeds(seeds: object, name: str = "seeds") -> list[int]:
    """A non-empty list of distinct ints ``>= 0``; ValueError naming ``name`` and ``seeds`` otherwise."""
    if isinstance(seeds, (list, tuple)) and seeds:
        checked = [
            check_count(f"each of {name}", s, low=0, high=MAX_SEED) for s in seeds
        ]  # entries first: sets need hashables
        if len(set(checked)) == len(checked):
            return checked
    raise ValueError(f"{name} must be a non-empty list of distinct ints >= 0, got {seeds!r}")


def is_fraction(budget: object) -> bool:
    return isinstance(budget, Real) and not isinstance(budget, bool) and 0 < budget <= 1


def check_budgets(budgets: Sequence[float], name: str = "budgets") -> list[float]:
    """The label budgets, each a fraction of the training items in ``(0, 1]``; at least one."""
    if (
        not isinstance(budgets, Sequence)
        or isinstance(budgets, str)
        or not budgets
        or not all(map(is_fraction, budgets))
    ):
        raise ValueError(
            f"{name} must be a non-empty list of fractions of the training items in (0, 1], got {budgets!r}"
        )
    return [float(b) for b in budgets]


def check_strengths(strengths: object, name: str = "strengths") -> dict[str, float]:
    """Symmetry strengths: a mapping from group name to a finite number >= 0 (0 switches the group off)."""
    if not isinstance(strengths, Mapping):
        raise ValueError(f"{name} must be a mapping of group name to strength, got {strengths!r}")
    for group, value in strengths.items():
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name}.{group} must be a finite number >= 0, got {value!r}")
    return {str(group): float(value) for group, value in strengths.items()}


def check_batch(name: str, batch_size: int, items: int) -> None:
    """Refuse a batch larger than the items it is drawn from: with ``drop_last`` an epoch would hold no batch."""
    if batch_size > items:
        raise ValueError(f"{name}={batch_size} exceeds the {items} training items: an epoch would hold no batch")
