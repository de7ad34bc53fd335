"""Shuffling that is a function of ``(seed, epoch)`` alone, so a resumed run sees the same batches."""

from __future__ import annotations

from collections.abc import Iterator, Sized

import numpy as np
import torch
from torch.utils.data import RandomSampler

from ..checks import check_count


class EpochShuffle(RandomSampler):
    """A new permutation of ``range(len(data))`` every epoch, drawn from ``(seed, epoch)``.

    A plain ``RandomSampler`` draws each epoch's order from one generator stream, so a process
    that resumes at epoch ``e`` replays epoch 0's order. Lightning calls :meth:`set_epoch` at
    the start of each epoch (and, being a ``RandomSampler``, swaps it for a seeded
    ``DistributedSampler`` under DDP).
    """

    def __init__(self, data: Sized, seed: int = 0) -> None:
        super().__init__(data)
        self.seed = check_count("seed", seed, low=0)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Draw the next iteration's order from ``(seed, epoch)``."""
        self.epoch = check_count("epoch", epoch, low=0)

    def __iter__(self) -> Iterator[int]:
        state = np.random.SeedSequence([self.seed, self.epoch]).generate_state(2, np.uint32)
        generator = torch.Generator().manual_seed((int(state[0]) & 0x7FFFFFFF) << 32 | int(state[1]))
        yield from torch.randperm(len(self.data_source), generator=generator).tolist()
