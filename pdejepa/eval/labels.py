"""Which training items are labelled at a given label budget."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

import numpy as np


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


def label_subset(total: int, budget: float, seed: int) -> np.ndarray:
    """Indices of the ``max(2, round(budget * total))`` labelled items of ``range(total)``, drawn from
    ``(seed, count)``: the same subset for every method probed at this budget and seed."""
    if not is_fraction(budget):
        raise ValueError(f"a label budget is a fraction of the training items in (0, 1], got {budget!r}")
    n = min(total, max(2, int(round(budget * total))))
    return np.random.default_rng([seed, n]).permutation(total)[:n]
