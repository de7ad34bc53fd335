"""Per-sample random draws: sample ``i`` depends only on ``(seed, i, stream)``, never on its batch."""

from __future__ import annotations

import numpy as np
import torch


def per_sample(
    seed: int, ids: torch.Tensor | np.ndarray, stream: int, count: int, kind: str = "uniform"
) -> torch.Tensor:
    """``(batch, count)`` float64 draws, ``uniform`` on [0, 1) or standard ``normal``.

    One ``numpy`` generator per sample id (a few microseconds each): cheap next to any
    transform, and the only way to make a sample's augmentation independent of batch size.
    """
    ids = np.asarray(ids.cpu() if isinstance(ids, torch.Tensor) else ids, dtype=np.int64).reshape(-1)
    out = np.empty((len(ids), count))
    for row, i in enumerate(ids):
        rng = np.random.default_rng([int(seed), int(i), int(stream)])
        out[row] = rng.random(count) if kind == "uniform" else rng.standard_normal(count)
    return torch.from_numpy(out)
