"""V-JEPA 3D multi-block masks on a ``(t, h, w)`` token grid.

Bardes et al., "Revisiting Feature Prediction for Learning Visual Representations from Video"
(V-JEPA), 2024, sec. 3.2: the target is the union of ``blocks`` spatio-temporal blocks that
span the whole clip in time (by default); the context is its complement. V-JEPA trains with
two masks per clip: short-range (8 blocks of spatial scale 0.15) and long-range (2 blocks of
spatial scale 0.7), both with aspect ratio 0.75-1.5. Block shapes are drawn once per batch,
positions per sample. Tokens are indexed row-major into the flattened ``(t, h, w)`` grid.

With ``past = p`` the masks predict the future from the past, after V-JEPA's "causal multi-block"
ablation: the context is every token of the first ``p`` time positions and the target
blocks lie in the later ones. Where the background is still, a past token at the same spatial
position then shows what a target looks like unless something moved into it, so the pretext
is the motion.
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import check_count
from .multiblock import BlockMasks, block_shape, check_grid, check_range, draw_with_retries, random_boxes

# keyword arguments of MultiBlock3D for V-JEPA's two masks (plain dicts so configs can store them)
VJEPA_SHORT_RANGE = {"blocks": 8, "spatial_scale": (0.15, 0.15), "aspect": (0.75, 1.5), "temporal_scale": (1.0, 1.0)}
VJEPA_LONG_RANGE = {"blocks": 2, "spatial_scale": (0.7, 0.7), "aspect": (0.75, 1.5), "temporal_scale": (1.0, 1.0)}


class MultiBlock3D(BlockMasks):
    """V-JEPA multi-block masks on a ``(t, h, w)`` token grid (picklable; randomness only from the given rng).

    Args:
        grid: token grid ``(t, h, w)``.
        blocks: number of blocks whose union is the target.
        spatial_scale: range of a block's ``h * w`` area as a fraction of the grid's spatial area.
        aspect: range of a block's height / width.
        temporal_scale: range of a block's duration as a fraction of ``t`` (1 = the whole clip), or
            of the ``t - past`` later positions with ``past``.
        past: 0 for V-JEPA's masks (the context is the complement of the targets); ``p`` in
            ``[1, t)`` to make the context the first ``p`` time positions and place the targets after them.
        min_keep: fewest context tokens a sample may keep; positions are redrawn until it holds.
        max_tries: draws per sample before giving up with a RuntimeError.
    """

    def __init__(
        self,
        grid: tuple[int, int, int] = (8, 14, 14),
        blocks: int = 8,
        spatial_scale: tuple[float, float] = (0.15, 0.15),
        aspect: tuple[float, float] = (0.75, 1.5),
        temporal_scale: tuple[float, float] = (1.0, 1.0),
        past: int = 0,
        min_keep: int = 4,
        max_tries: int = 20,
    ) -> None:
        self.grid = check_grid(grid, 3)
        self.blocks = check_count("blocks", blocks)
        self.spatial_scale = check_range("spatial_scale", spatial_scale)
        self.aspect = check_range("aspect", aspect, upper=None)
        self.temporal_scale = check_range("temporal_scale", temporal_scale)
        self.past = check_count("past", past, low=0)
        if self.past >= self.grid[0]:
            raise ValueError(
                f"past must leave a later time position of the grid {self.grid} for the targets: "
                f"0 <= past < {self.grid[0]}, got {past!r}"
            )
        self.set_limits(min_keep, max_tries)

    def sample_masks(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """Boolean masks for a batch: context ``(batch, t*h*w)`` and targets ``(batch, 1, t*h*w)``.

        Block shapes are drawn once for the batch, positions per sample.
        """
        future = (self.grid[0] - self.past, *self.grid[1:])  # where target blocks may lie
        duration = min(max(round(future[0] * rng.uniform(*self.temporal_scale)), 1), future[0])
        shape = (duration, *block_shape(rng, self.grid[1:], self.spatial_scale, self.aspect))
        past_tokens = self.past * math.prod(self.grid[1:])  # flat indices below this are the past

        def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
            blocks = random_boxes(rng, future, shape, (n, self.blocks)).any(axis=1)
            target = np.pad(blocks, ((0, 0), (past_tokens, 0)))
            context = np.tile(np.arange(self.num_tokens) < past_tokens, (n, 1)) if self.past else ~target
            return context, target[:, None]

        describe = f"grid {self.grid}, {self.blocks} blocks {shape}"
        return draw_with_retries(draw, check_count("batch", batch), self.min_keep, self.max_tries, describe)

    def __repr__(self) -> str:
        return (
            f"MultiBlock3D(grid={self.grid}, blocks={self.blocks}, spatial_scale={self.spatial_scale}, "
            f"aspect={self.aspect}, temporal_scale={self.temporal_scale}, past={self.past}, min_keep={self.min_keep})"
        )


def vjepa_masks(grid: tuple[int, int, int], min_keep: int = 4, past: int = 0) -> list[MultiBlock3D]:
    """V-JEPA's pair of mask generators for one ``(t, h, w)`` grid: short-range then long-range
    (targets after the first ``past`` time positions, context those positions, when ``past > 0``)."""
    return [
        MultiBlock3D(grid, past=past, min_keep=min_keep, **masks) for masks in (VJEPA_SHORT_RANGE, VJEPA_LONG_RANGE)
    ]
