"""I-JEPA multi-block masks on a 2D token grid.

Assran et al., "Self-Supervised Learning from Images with a Joint-Embedding Predictive
Architecture", CVPR 2023, sec. 3: per image, ``targets`` rectangular target blocks (scale
0.15-0.2 of the grid's area, aspect ratio height/width 0.75-1.5) and one context block (scale
0.85-1.0, aspect 1) from which the target blocks are removed. As in I-JEPA the block *shapes*
are drawn once per batch (so all samples hold equally many target tokens) and the *positions*
per sample. Tokens are indexed row-major into the flattened ``(h, w)`` grid.

The box helpers here are shared with :mod:`pdejepa.masks.multiblock3d`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np

from ..checks import check_count

Draw = Callable[[int], tuple[np.ndarray, np.ndarray]]


def check_grid(grid: Sequence[int], ndim: int) -> tuple[int, ...]:
    """The token grid as a tuple of ``ndim`` positive ints; ValueError otherwise."""
    grid = tuple(grid)
    if len(grid) != ndim or not all(isinstance(g, (int, np.integer)) and g > 0 for g in grid):
        raise ValueError(f"grid must be {ndim} positive ints, got {grid!r}")
    return tuple(int(g) for g in grid)


def check_range(name: str, value: Sequence[float], upper: float | None = 1.0) -> tuple[float, float]:
    """A ``(low, high)`` range with ``0 < low <= high`` (``<= upper`` when given); ValueError otherwise."""
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (low, high) pair, got {value!r}") from None
    if not (0 < low <= high and (upper is None or high <= upper)):
        allowed = f"0 < low <= high <= {upper}" if upper is not None else "0 < low <= high"
        raise ValueError(f"{name} must satisfy {allowed}, got {value!r}")
    return low, high


def block_shape(
    rng: np.random.Generator, grid: tuple[int, int], scale: tuple[float, float], aspect: tuple[float, float]
) -> tuple[int, int]:
    """Height and width of a block covering ``scale`` of the grid's area with ``height / width = aspect``.

    Scale and aspect are drawn independently and uniformly from their ranges (I-JEPA reuses one
    uniform draw for both, which ties large blocks to tall ones). Each side is rounded and
    clipped to ``[1, grid side]``.
    """
    area = grid[0] * grid[1] * rng.uniform(*scale)
    ratio = rng.uniform(*aspect)
    h = min(max(round(math.sqrt(area * ratio)), 1), grid[0])
    w = min(max(round(math.sqrt(area / ratio)), 1), grid[1])
    return h, w


def random_boxes(
    rng: np.random.Generator, grid: tuple[int, ...], shape: tuple[int, ...], lead: tuple[int, ...]
) -> np.ndarray:
    """Boxes of one ``shape`` at uniform positions inside ``grid``, as flat masks ``(*lead, prod(grid))`` bool.

    Every position with the box fully inside the grid is equally likely (I-JEPA's ``randint``
    excludes the last row and column).
    """
    starts = rng.integers(0, np.subtract(grid, shape) + 1, size=(*lead, len(grid)))
    mask = np.ones((*lead,) + (1,) * len(grid), dtype=bool)
    for axis, (size, extent) in enumerate(zip(grid, shape)):
        coords = np.arange(size).reshape((1,) * axis + (size,) + (1,) * (len(grid) - axis - 1))
        start = starts[..., axis].reshape((*lead,) + (1,) * len(grid))
        mask = mask & (coords >= start) & (coords < start + extent)
    return mask.reshape(*lead, -1)


def draw_with_retries(
    draw: Draw, batch: int, min_keep: int, max_tries: int, describe: str
) -> tuple[np.ndarray, np.ndarray]:
    """Call ``draw(n) -> (context (n, N), targets (n, K, N))`` and redraw the samples whose context
    keeps fewer than ``min_keep`` tokens, at most ``max_tries`` draws per sample.

    Raises RuntimeError naming ``describe`` (the block configuration) when some sample never fits.
    """
    context, targets = draw(batch)
    for _ in range(max_tries - 1):
        short = context.sum(-1) < min_keep
        if not short.any():
            return context, targets
        context[short], targets[short] = draw(int(short.sum()))
    if (context.sum(-1) < min_keep).any():
        raise RuntimeError(
            f"no mask with at least min_keep={min_keep} context tokens in {max_tries} tries ({describe}); "
            "lower min_keep or the target scale, or raise the context scale"
        )
    return context, targets


class BlockMasks(ABC):
    """What the 2D and 3D multi-block generators share: keep limits and single-sample draws."""

    grid: tuple[int, ...]

    @property
    def num_tokens(self) -> int:
        return math.prod(self.grid)

    @abstractmethod
    def sample_masks(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """Context ``(batch, tokens)`` and targets ``(batch, n_targets, tokens)`` boolean masks."""

    def set_limits(self, min_keep: int, max_tries: int) -> None:
        """Check and keep ``min_keep`` (context tokens at least) and ``max_tries`` (redraws per sample)."""
        self.min_keep = check_count("min_keep", min_keep)
        if self.min_keep > self.num_tokens:
            raise ValueError(f"min_keep must be at most the grid's {self.num_tokens} tokens, got {min_keep!r}")
        self.max_tries = check_count("max_tries", max_tries)

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray]]:
        """One sample: context token indices ``(n_ctx,)`` and one index array ``(n_tgt,)`` per target."""
        context, targets = self.sample_masks(rng, 1)
        return np.flatnonzero(context[0]), [np.flatnonzero(t) for t in targets[0]]


class MultiBlock2D(BlockMasks):
    """I-JEPA multi-block masks on an ``(h, w)`` token grid (picklable; randomness only from the given rng).

    Args:
        grid: token grid ``(h, w)``.
        targets: number of target blocks per sample.
        target_scale: range of a target block's area as a fraction of the grid's area.
        target_aspect: range of a target block's height / width.
        context_scale: range of the context block's area fraction (before removing the targets).
        context_aspect: range of the context block's height / width.
        min_keep: fewest context tokens a sample may keep; positions are redrawn until it holds.
        max_tries: draws per sample before giving up with a RuntimeError.
    """

    def __init__(
        self,
        grid: tuple[int, int] = (14, 14),
        targets: int = 4,
        target_scale: tuple[float, float] = (0.15, 0.2),
        target_aspect: tuple[float, float] = (0.75, 1.5),
        context_scale: tuple[float, float] = (0.85, 1.0),
        context_aspect: tuple[float, float] = (1.0, 1.0),
        min_keep: int = 4,
        max_tries: int = 20,
    ) -> None:
        self.grid = check_grid(grid, 2)
        self.targets = check_count("targets", targets)
        self.target_scale = check_range("target_scale", target_scale)
        self.target_aspect = check_range("target_aspect", target_aspect, upper=None)
        self.context_scale = check_range("context_scale", context_scale)
        self.context_aspect = check_range("context_aspect", context_aspect, upper=None)
        self.set_limits(min_keep, max_tries)

    def sample_masks(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """Boolean masks for a batch: context ``(batch, h*w)`` and targets ``(batch, targets, h*w)``.

        Block shapes are drawn once for the batch, positions per sample.
        """
        target_shape = block_shape(rng, self.grid, self.target_scale, self.target_aspect)
        context_shape = block_shape(rng, self.grid, self.context_scale, self.context_aspect)

        def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
            targets = random_boxes(rng, self.grid, target_shape, (n, self.targets))
            context = random_boxes(rng, self.grid, context_shape, (n,)) & ~targets.any(axis=1)
            return context, targets

        describe = f"grid {self.grid}, {self.targets} target blocks {target_shape}, context block {context_shape}"
        return draw_with_retries(draw, check_count("batch", batch), self.min_keep, self.max_tries, describe)

    def __repr__(self) -> str:
        return (
            f"MultiBlock2D(grid={self.grid}, targets={self.targets}, target_scale={self.target_scale}, "
            f"target_aspect={self.target_aspect}, context_scale={self.context_scale}, "
            f"context_aspect={self.context_aspect}, min_keep={self.min_keep})"
        )
