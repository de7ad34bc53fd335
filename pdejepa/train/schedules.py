"""Per-step schedules for learning rate, weight decay and EMA momentum (as in I-JEPA / V-JEPA).

Pure functions of the step, so a run resumed at step ``s`` continues with exactly the values it
would have had. Steps past ``total`` hold the final value (a run may overshoot by a partial epoch).
"""

from __future__ import annotations

import math


def _progress(step: int, total: int) -> float:
    """Fraction ``step / total`` clamped to ``[0, 1]``; validates the arguments."""
    if total <= 0:
        raise ValueError(f"total must be a positive step count, got {total!r}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step!r}")
    return min(step, total) / total


def linear(step: int, total: int, start: float, end: float) -> float:
    """Linear ramp from ``start`` at step 0 to ``end`` at step ``total`` (EMA momentum: 0.996 -> 1)."""
    return start + (end - start) * _progress(step, total)


def cosine(step: int, total: int, start: float, end: float) -> float:
    """Half-cosine from ``start`` at step 0 to ``end`` at step ``total`` (weight decay: 0.04 -> 0.4)."""
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * _progress(step, total)))


def warmup_cosine(step: int, total: int, warmup: int, start: float, peak: float, final: float) -> float:
    """Learning rate: linear from ``start`` to ``peak`` over ``warmup`` steps, then cosine to ``final`` at ``total``."""
    if not 0 <= warmup <= total:
        raise ValueError(f"warmup must lie in [0, total={total!r}], got {warmup!r}")
    if step < warmup:
        return linear(step, warmup, start, peak)
    if warmup == total:
        return final
    return cosine(step - warmup, total - warmup, peak, final)
