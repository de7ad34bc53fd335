"""How the figures draw a spread over seeds: mean +- std, kept positive for log axes."""

from __future__ import annotations

import numpy as np


def spread(values: np.ndarray) -> tuple[float, float, float]:
    """``(mean, lower end, upper end)`` of mean +- std over seeds; on a log axis the lower end stops at the
    smallest seed where mean - std is not positive."""
    mean, std = float(values.mean()), float(values.std())
    return mean, mean - std if mean - std > 0 else float(values.min()), mean + std
