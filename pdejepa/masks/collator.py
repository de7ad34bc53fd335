"""Batch collation with JEPA masks, deterministic per batch and independent of workers and processes.

The masks of a batch depend only on ``(seed, epoch, item ids)``: the same batch gets the same
masks in any DataLoader worker, with any number of workers, and after a resume. (I-JEPA and
V-JEPA seed from a shared iteration counter instead, which depends on worker scheduling.) In a
data-parallel run each process collates its part of a global batch; bound to the batch sampler
(:meth:`MaskCollator.bind_batches`), the collator draws the masks of the whole global batch and keeps
its part's rows, so the masks are those of a single process, whatever the number of processes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import torch
from torch.utils.data import default_collate

from ..checks import check_count


class GlobalBatches(Protocol):
    """What the collator needs of a batch sampler to draw a process's masks from its global batch."""

    def locate(self, ids: list[int]) -> tuple[list[int], int]:
        """The global batch's ids, and where the part ``ids`` starts in it."""
        ...


class MaskGenerator(Protocol):
    """What the collator needs of a mask generator, e.g. MultiBlock2D or MultiBlock3D."""

    def sample_masks(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """Context ``(batch, tokens)`` and targets ``(batch, n_targets, tokens)`` boolean masks."""
        ...


def stack_indices(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Token indices of boolean masks ``(..., tokens)`` as ``(..., n)`` int64, ``n`` the fewest kept anywhere.

    Masks holding more than ``n`` tokens keep a uniform random subset of them (ascending), so
    they stack. I-JEPA keeps the first ``n`` instead, which always drops the last rows (and, for
    video, the last frames) of the larger masks.
    """
    n = int(masks.sum(axis=-1).min())
    if n == 0:
        return np.zeros((*masks.shape[:-1], 0), dtype=np.int64)
    keys = np.where(masks, rng.random(masks.shape), 2.0)  # kept tokens sort first, in random order
    return np.sort(np.argpartition(keys, n - 1, axis=-1)[..., :n], axis=-1).astype(np.int64)


class MaskCollator:
    """Collate items and draw masks for them from each generator (picklable, for DataLoader workers).

    Args:
        masks: mask generators, e.g. ``[MultiBlock2D(grid)]`` or ``vjepa_masks(grid)``.
        collate: collates the list of items into the batch.
        seed: base seed; the rng of a batch is seeded by ``(seed, epoch, *ids)``.

    Call :meth:`set_epoch` before each epoch's DataLoader iterator is created: workers hold a
    copy of the collator made then, so with ``persistent_workers=True`` the epoch does not reach them.
    """

    def __init__(
        self, masks: Sequence[MaskGenerator], collate: Callable[[list], Any] = default_collate, seed: int = 0
    ) -> None:
        self.masks = list(masks)
        if not self.masks:
            raise ValueError(f"masks must hold at least one mask generator, got {masks!r}")
        self.collate = collate
        self.seed = check_count("seed", seed, low=0)
        self.epoch = 0
        self.batches: GlobalBatches | None = None
        self.ids: list[int] | None = None  # the items' ids by dataset position (None: the position)
        self.positions: dict[int, int] | None = None

    def bind_batches(self, batches: GlobalBatches, ids: Sequence[int] | None = None) -> None:
        """Draw every batch's masks from the global batch that ``batches`` (e.g. a
        :class:`~pdejepa.data.sampling.RankBatches`, which deals dataset positions) says it is part of.

        ``ids``: the ``"id"`` of the item at each dataset position, where ids are not positions (a file's
        ``sample`` values); None when they are."""
        self.batches = batches
        self.ids = None if ids is None else [int(i) for i in ids]
        self.positions = None if ids is None else {i: n for n, i in enumerate(self.ids)}

    def global_batch(self, ids: list[int]) -> tuple[list[int], int]:
        """The ids of the global batch that the items ``ids`` belong to, and where they start in it."""
        if self.batches is None:
            return ids, 0
        if self.positions is None:
            return self.batches.locate(ids)
        missing = [i for i in ids if i not in self.positions]
        if missing:
            raise ValueError(f"item ids {missing[:4]} are not in the dataset the collator was bound to")
        batch, first = self.batches.locate([self.positions[i] for i in ids])
        return [self.ids[n] for n in batch], first

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` in the seed of every later batch, so each epoch draws new masks."""
        self.epoch = check_count("epoch", epoch, low=0)

    def __call__(self, items: list[dict]) -> tuple[Any, list[dict[str, torch.Tensor]]]:
        """Collate ``items`` (dicts with a non-negative int ``"id"``) and draw their masks.

        Returns:
            ``(batch, masks)``: ``batch = collate(items)``; ``masks`` one dict per generator with
            ``"context"`` ``(batch, n_ctx)`` and ``"targets"`` ``(batch, n_targets, n_tgt)`` long
            token indices (ascending), truncated per (global) batch to the shortest mask so they stack.
        """
        ids = [_item_id(item) for item in items]
        batch, first = self.global_batch(ids)
        rows = slice(first, first + len(ids))
        streams = np.random.SeedSequence([self.seed, self.epoch, *batch]).spawn(len(self.masks))
        masks = []
        for generator, stream in zip(self.masks, streams):
            rng = np.random.default_rng(stream)
            context, targets = generator.sample_masks(rng, len(batch))
            masks.append(
                {
                    "context": torch.from_numpy(stack_indices(context, rng)[rows]),
                    "targets": torch.from_numpy(stack_indices(targets, rng)[rows]),
                }
            )
        return self.collate(items), masks

    def __repr__(self) -> str:
        return f"MaskCollator(masks={self.masks!r}, seed={self.seed}, epoch={self.epoch})"


def _item_id(item: dict) -> int:
    """The item's ``"id"`` as a non-negative int (it seeds the masks, so it must be present and exact)."""
    if not isinstance(item, dict):
        raise ValueError(f"each item must be a dict with an int 'id', got a {type(item).__name__}")
    if "id" not in item:
        raise ValueError(f"each item must have an int 'id', got keys {sorted(item)!r}")
    value = item["id"]
    ident = int(value)
    if ident < 0 or ident != value:
        raise ValueError(f"item 'id' must be a non-negative int, got {value!r}")
    return ident
