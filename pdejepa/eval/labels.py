"""Which training items are labelled at a given label budget."""

from __future__ import annotations

import numpy as np

from ..checks import is_fraction


def label_subset(total: int, budget: float, seed: int) -> np.ndarray:
    """Indices of the ``max(2, round(budget * total))`` labelled items of ``range(total)``, drawn from
    ``(seed, count)``: the same subset for every method probed at this budget and seed."""
    if not is_fraction(budget):
        raise ValueError(f"a label budget is a fraction of the training items in (0, 1], got {budget!r}")
    n = min(total, max(2, int(round(budget * total))))
    return np.random.default_rng([seed, n]).permutation(total)[:n]
