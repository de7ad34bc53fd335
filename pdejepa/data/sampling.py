"""Shuffling that is a function of ``(seed, epoch)`` alone, so a resumed run sees the same batches, and batches
split over the processes of a data-parallel run so that the global batches do not depend on their number."""

from __future__ import annotations

from collections.abc import Iterator, Sized

import numpy as np
import torch
from torch.utils.data import RandomSampler, Sampler, get_worker_info

from ..checks import check_batch, check_count
from ..distributed import rank_and_world


class EpochShuffle(RandomSampler):
    """A new permutation of ``range(len(data))`` every epoch, drawn from ``(seed, epoch)``.

    A plain ``RandomSampler`` draws each epoch's order from one generator stream, so a process
    that resumes at epoch ``e`` replays epoch 0's order. Lightning calls :meth:`set_epoch` at
    the start of each epoch (also as the ``sampler`` of a :class:`RankBatches`).
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


class RankBatches(Sampler[list[int]]):
    """This process's share of every global batch: ``sampler``'s order cut into global batches of
    ``batch_size`` (a last, partial one dropped), each split into equal consecutive parts, one per process in
    rank order.

    The global batches are the same for any number of processes, each sample is in at most one of them per
    epoch (all but the ``len(data) % batch_size`` of the dropped tail), and every process gets as many
    batches. ``rank`` and ``world`` default to the process group's, read when iterating (the loader is built
    before it exists); ``batch_size`` must be a multiple of ``world`` and at most the sampler's length (``name``:
    what errors call it).
    """

    def __init__(
        self,
        sampler: Sampler[int],
        batch_size: int,
        rank: int | None = None,
        world: int | None = None,
        name: str = "batch_size",
    ):
        self.sampler = sampler
        self.batch_size = check_count(name, batch_size)
        check_batch(name, batch_size, len(sampler))  # with the tail dropped, an epoch would hold no batch
        self.world = None if world is None else check_count("world", world)
        self.rank = None if world is None else check_count("rank", rank or 0, low=0, high=self.world - 1)
        self._order: list[int] = []  # the last order dealt or drawn, its positions, its epoch, and whether dealt
        self._positions: dict[int, int] = {}
        self._order_epoch: int | None = None
        self._dealt = False

    def _remember(self, order: list[int], epoch: int | None, dealt: bool) -> None:
        self._order, self._positions = order, {i: n for n, i in enumerate(order)}
        self._order_epoch, self._dealt = epoch, dealt

    def share(self) -> tuple[int, int]:
        """``(first, size)``: where this process's part starts in each global batch, and its length."""
        rank, world = rank_and_world() if self.world is None else (self.rank, self.world)
        if self.batch_size % world:
            raise ValueError(
                f"pretrain.batch_size={self.batch_size} (the global batch) must be a multiple of the "
                f"{world} processes (devices x num_nodes)"
            )
        size = self.batch_size // world
        return rank * size, size

    def __iter__(self) -> Iterator[list[int]]:
        first, size = self.share()
        order = list(self.sampler)
        self._remember(order, getattr(self.sampler, "epoch", None), dealt=True)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield order[start + first : start + first + size]

    def __len__(self) -> int:
        return len(self.sampler) // self.batch_size

    def locate(self, ids: list[int]) -> tuple[list[int], int]:
        """The global batch that this process's part ``ids`` belongs to, and where the part starts in it.

        ``ids`` are dataset positions, as this sampler deals them. In the process that iterates, the order is
        the one :meth:`__iter__` last dealt; a copy in a DataLoader worker draws it again from the sampler (a
        function of ``(seed, epoch)`` for :class:`EpochShuffle`), which answers as the main process does,
        since its epoch was set before the iterator was built (as Lightning and
        :func:`~pdejepa.jobs.pretraining.announce_resume` do). Raises ValueError for ids that are not one process's
        part of one global batch of that order.
        """
        epoch = getattr(self.sampler, "epoch", None)  # without one, the order is drawn anew every time
        dealt_here = self._dealt and get_worker_info() is None  # the order this very object dealt
        if not dealt_here and (epoch is None or epoch != self._order_epoch):
            self._remember(list(self.sampler), epoch, dealt=False)
        position = self._positions.get(ids[0]) if ids else None
        if position is None or position >= len(self) * self.batch_size:
            raise ValueError(f"ids {ids[:4]}... are not in a global batch of this epoch's order")
        start = position - position % self.batch_size
        batch = self._order[start : start + self.batch_size]
        first = position - start
        if batch[first : first + len(ids)] != list(ids):
            raise ValueError(f"ids {ids[:4]}... are not one consecutive part of a global batch")
        return batch, first
