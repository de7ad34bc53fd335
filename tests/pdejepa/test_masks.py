"""JEPA masks: I-JEPA 2D and V-JEPA 3D multi-block geometry, determinism, collation in workers."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from pdejepa.masks import (
    VJEPA_LONG_RANGE,
    VJEPA_SHORT_RANGE,
    MaskCollator,
    MultiBlock2D,
    MultiBlock3D,
    stack_indices,
    vjepa_masks,
)


class Items(Dataset):
    """Items shaped like the procedural datasets': a tensor and an int id."""

    def __init__(self, num: int) -> None:
        self.num = num

    def __len__(self) -> int:
        return self.num

    def __getitem__(self, i: int) -> dict:
        return {"x": torch.full((2,), float(i)), "id": i}


def items(ids) -> list[dict]:
    return [Items(max(ids) + 1)[i] for i in ids]


def box(idx: np.ndarray, grid: tuple[int, ...]) -> tuple[int, ...]:
    """Side lengths of the box ``idx`` fills, asserting it fills the box exactly."""
    coords = np.stack(np.unravel_index(idx, grid))
    sides = tuple(int(s) for s in coords.max(axis=1) - coords.min(axis=1) + 1)
    assert np.prod(sides) == len(idx) == len(np.unique(idx)), "not a full box"
    return sides


def assert_masks_equal(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert torch.equal(x["context"], y["context"]) and torch.equal(x["targets"], y["targets"])


def test_2d_context_and_targets_are_disjoint_in_grid_and_large_enough():
    mask = MultiBlock2D((14, 14), min_keep=60)  # near the typical context size, so retries happen
    rng = np.random.default_rng(0)
    for _ in range(50):
        context, targets = mask.sample(rng)
        assert len(targets) == 4 and len(context) >= 60
        for idx in [context, *targets]:
            assert idx.min() >= 0 and idx.max() < 196 and np.all(np.diff(idx) > 0)
        assert not np.isin(context, np.concatenate(targets)).any()


def test_2d_block_area_and_aspect_within_ranges_up_to_rounding():
    grid, scale, aspect = (16, 16), (0.15, 0.2), (0.75, 1.5)
    mask = MultiBlock2D(grid, target_scale=scale, target_aspect=aspect)
    rng, area, shapes = np.random.default_rng(1), grid[0] * grid[1], set()
    for _ in range(40):
        context, targets = mask.sample_masks(rng, 3)
        sides = {box(np.flatnonzero(t), grid) for t in targets.reshape(-1, area)}
        assert len(sides) == 1, "target shape is drawn once per batch"
        ((h, w),) = sides
        shapes.add((h, w))
        # h = round(sqrt(A s a)), w = round(sqrt(A s / a)): each side is off by at most 1/2
        tol = (h + w) / 2 + 0.75
        assert scale[0] * area - tol <= h * w <= scale[1] * area + tol
        assert aspect[0] * (1 - 0.5 / (h - 0.5)) / (1 + 0.5 / (w - 0.5)) <= h / w
        assert h / w <= aspect[1] * (1 + 0.5 / (h - 0.5)) / (1 - 0.5 / (w - 0.5))
        assert (context.sum(-1) >= mask.min_keep).all()
    assert len(shapes) > 3, "block shapes should vary between batches"


def test_2d_unreachable_min_keep_raises_after_bounded_tries():
    mask = MultiBlock2D((4, 4), target_scale=(0.5, 0.5), min_keep=16, max_tries=5)
    with pytest.raises(RuntimeError, match="min_keep=16.*5 tries"):
        mask.sample(np.random.default_rng(0))


def test_3d_target_spans_full_time_and_context_is_complement():
    grid = (4, 8, 8)
    for kwargs in (VJEPA_SHORT_RANGE, VJEPA_LONG_RANGE):
        mask = MultiBlock3D(grid, **kwargs)
        rng = np.random.default_rng(2)
        for _ in range(20):
            context, targets = mask.sample(rng)
            assert len(targets) == 1 and len(context) >= mask.min_keep
            target = targets[0]
            assert np.array_equal(np.union1d(context, target), np.arange(256)) and not np.isin(context, target).any()
            frames = np.zeros(256, dtype=bool)
            frames[target] = True
            frames = frames.reshape(4, 64)
            assert (frames.all(axis=0) == frames.any(axis=0)).all(), "every target position spans all frames"


def test_3d_past_masks_show_the_first_time_steps_and_hide_blocks_after_them():
    grid, past = (4, 6, 6), 2
    for kwargs in (VJEPA_SHORT_RANGE, VJEPA_LONG_RANGE, {"blocks": 1, "temporal_scale": (0.5, 0.5)}):
        mask = MultiBlock3D(grid, past=past, **kwargs)
        rng = np.random.default_rng(4)
        for _ in range(20):
            context, (target,) = mask.sample(rng)
            assert np.array_equal(context, np.arange(past * 36)), "the context is every token of the past, nothing else"
            assert len(target) > 0 and target.min() >= past * 36, "targets lie after the past"
            if kwargs.get("temporal_scale") == (0.5, 0.5):  # half of the 2 later steps: 1 step
                assert box(target, grid)[0] == 1


def test_3d_single_block_has_drawn_duration_and_spatial_size():
    grid = (6, 10, 10)
    mask = MultiBlock3D(grid, blocks=1, spatial_scale=(0.25, 0.25), aspect=(1.0, 1.0), temporal_scale=(0.5, 0.5))
    _, (target,) = mask.sample(np.random.default_rng(3))
    assert box(target, grid) == (3, 5, 5)


def test_collator_shapes_and_truncation_keep_subsets_of_the_masks():
    collator = MaskCollator([MultiBlock2D((14, 14)), *vjepa_masks((4, 8, 8))], seed=5)
    batch, masks = collator(items(range(6)))
    assert torch.equal(batch["id"], torch.arange(6)) and batch["x"].shape == (6, 2)
    tokens = (196, 256, 256)
    for out, n, k in zip(masks, tokens, (4, 1, 1)):
        context, targets = out["context"], out["targets"]
        assert context.dtype == targets.dtype == torch.long
        assert context.ndim == 2 and context.shape[0] == 6 and targets.shape[:2] == (6, k)
        assert context.min() >= 0 and context.max() < n and targets.min() >= 0 and targets.max() < n
        assert (context.diff(dim=-1) > 0).all() and (targets.diff(dim=-1) > 0).all()
        for c, t in zip(context, targets):
            assert not np.isin(c.numpy(), t.numpy()).any()
    for t in masks[0]["targets"].reshape(-1, masks[0]["targets"].shape[-1]):
        box(t.numpy(), (14, 14))  # equally sized 2D targets are never truncated


def test_stack_indices_keeps_a_random_subset_of_the_shortest_length():
    rng = np.random.default_rng(4)
    masks = rng.random((5, 3, 40)) < 0.5
    idx = stack_indices(masks, rng)
    assert idx.shape == (5, 3, masks.sum(-1).min()) and idx.dtype == np.int64
    assert np.take_along_axis(masks, idx, axis=-1).all() and (np.diff(idx, axis=-1) > 0).all()


def test_collator_is_deterministic_in_seed_epoch_and_ids():
    def make(seed):
        return MaskCollator(vjepa_masks((4, 8, 8)) + [MultiBlock2D((8, 8))], seed=seed)

    batch = items([3, 1, 4, 1, 5])
    assert_masks_equal(make(0)(batch)[1], make(0)(batch)[1])

    def differs(a, b):
        return any(not torch.equal(x[key], y[key]) for x, y in zip(a, b) for key in x)

    assert differs(make(0)(batch)[1], make(1)(batch)[1])
    later = make(0)
    later.set_epoch(1)
    assert differs(make(0)(batch)[1], later(batch)[1])
    assert differs(make(0)(batch)[1], make(0)(items([3, 1, 4, 1, 6]))[1])


def test_collator_pickles_and_matches_across_dataloader_workers():
    collator = MaskCollator([MultiBlock2D((8, 8)), MultiBlock3D((2, 6, 6))], seed=7)
    collator.set_epoch(2)
    clone = pickle.loads(pickle.dumps(collator))
    assert clone.epoch == 2
    assert_masks_equal(collator(items(range(4)))[1], clone(items(range(4)))[1])

    def run(workers: int) -> list:
        return list(DataLoader(Items(12), batch_size=4, collate_fn=collator, num_workers=workers))

    for (b0, m0), (b2, m2) in zip(run(0), run(2), strict=True):
        assert torch.equal(b0["x"], b2["x"])
        assert_masks_equal(m0, m2)


@pytest.mark.parametrize(
    "make, bad",
    [
        (lambda: MultiBlock2D(target_scale=(0.0, 0.2)), "(0.0, 0.2)"),
        (lambda: MultiBlock2D(context_scale=(0.85, 1.2)), "(0.85, 1.2)"),
        (lambda: MultiBlock2D(target_scale=(0.3, 0.2)), "(0.3, 0.2)"),
        (lambda: MultiBlock2D(target_aspect=(-1.0, 1.5)), "(-1.0, 1.5)"),
        (lambda: MultiBlock2D(grid=(0, 14)), "(0, 14)"),
        (lambda: MultiBlock2D(grid=(14,)), "(14,)"),
        (lambda: MultiBlock2D(grid=(4, 4), min_keep=17), "17"),
        (lambda: MultiBlock2D(targets=0), "0"),
        (lambda: MultiBlock3D(grid=(4, 0, 8)), "(4, 0, 8)"),
        (lambda: MultiBlock3D(spatial_scale=(0.15, 1.5)), "(0.15, 1.5)"),
        (lambda: MultiBlock3D(temporal_scale=(0.0, 1.0)), "(0.0, 1.0)"),
        (lambda: MultiBlock3D(grid=(2, 8, 8), past=2), "got 2"),
        (lambda: MultiBlock3D(past=-1), "-1"),
        (lambda: MaskCollator([]), "[]"),
        (lambda: MaskCollator([MultiBlock2D()], seed=-1), "-1"),
        (lambda: MaskCollator([MultiBlock2D()])([{"x": 1}]), "['x']"),
        (lambda: MaskCollator([MultiBlock2D()])([{"id": -3}]), "-3"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_value(make, bad):
    with pytest.raises(ValueError, match=re.escape(bad)):
        make()
