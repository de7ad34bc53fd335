"""Per process of a data-parallel run: batches, masks and symmetry draws.

Each sample is in one process's batch at most once per epoch; the global batches, and the symmetry views of
every sample, and the JEPA masks, are the same for any number of processes.
"""

from __future__ import annotations

import pickle

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader

from pdejepa.data import collate, make_views
from pdejepa.data.sampling import EpochShuffle, RankBatches
from pdejepa.masks import MaskCollator, MultiBlock2D
from pdejepa.train.trainer import data_parallel, quiet_trainer
from symmetries.registry import EQUATIONS

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def shares(size: int, batch: int, world: int, epoch: int, seed: int = 0) -> list[list[list[int]]]:
    """Per rank, its batches of an epoch."""
    out = []
    for rank in range(world):
        shuffle = EpochShuffle(list(range(size)), seed)
        shuffle.set_epoch(epoch)
        out.append(list(RankBatches(shuffle, batch, rank=rank, world=world)))
    return out


@pytest.mark.parametrize("size", [64, 70])
def test_the_global_batches_are_the_same_for_any_number_of_processes(size):
    for epoch in (0, 1, 7):
        (reference,) = shares(size, 16, 1, epoch)
        assert len(reference) == size // 16 and all(len(b) == 16 for b in reference)
        for world in (2, 4, 8):
            ranks = shares(size, 16, world, epoch)
            assert all(len(batches) == len(reference) for batches in ranks)  # every process as many steps
            for k, batch in enumerate(reference):
                assert all(len(r[k]) == 16 // world for r in ranks)
                assert [i for r in ranks for i in r[k]] == batch  # rank order is the global batch's order
            seen = [i for r in ranks for b in r for i in b]
            assert len(seen) == len(set(seen)) == 16 * (size // 16)  # once each; only the dropped tail unseen
            if size % 16 == 0:
                assert sorted(seen) == list(range(size))
    assert shares(64, 16, 2, 0) != shares(64, 16, 2, 1)  # a new order every epoch


def test_a_global_batch_that_does_not_split_over_the_processes_is_refused():
    with pytest.raises(ValueError, match=r"batch_size=10 \(the global batch\) must be a multiple of the 4 processes"):
        list(RankBatches(EpochShuffle(list(range(40))), 10, rank=0, world=4))
    with pytest.raises(ValueError, match=r"rank must be an int in \[0, 1\], got 2"):
        RankBatches(EpochShuffle(list(range(40))), 10, rank=2, world=2)


class Ids(L.LightningModule):
    """Records the ids of every batch it trains on."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.seen: dict[int, list[list[int]]] = {}

    def training_step(self, batch, batch_idx):
        self.seen.setdefault(self.current_epoch, []).append(batch["id"].tolist())
        return (self.w * batch["x"].sum()) ** 2

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


def test_lightning_gives_the_shuffle_inside_rank_batches_its_epoch():
    items = [{"id": i, "x": torch.ones(1)} for i in range(24)]
    loader = DataLoader(items, batch_sampler=RankBatches(EpochShuffle(items, seed=3), 8))
    module = Ids()
    quiet_trainer(accelerator="cpu", devices=1, max_epochs=3, **data_parallel()).fit(module, loader)
    for epoch in range(3):
        assert module.seen[epoch] == shares(24, 8, 1, epoch, seed=3)[0]
    assert module.seen[0] != module.seen[1]


def trajectories(ids: list[int]) -> dict:
    """A collated batch of 1D trajectories ``(len(ids), 12, 1, 32)`` whose values depend on the ids alone."""
    items = []
    for i in ids:
        g = torch.Generator().manual_seed(i)
        u, nu = torch.randn(12, 1, 32, generator=g), torch.rand(1, generator=g)
        items.append({"u": u, "t0": 0.0, "dt": 0.1, "L": 6.0, "id": i, "labels": nu})
    return collate(items)


def test_the_symmetry_views_of_a_sample_do_not_depend_on_the_processes():
    views = make_views(
        EQUATIONS["burgers"], {"space_shift": 3.0, "galilean_boost": 0.3, "scaling": 0.2}, (8, 16), ("nu",)
    )
    ids = [5, 17, 2, 9, 30, 11, 4, 23]
    whole = views(trajectories(ids), seed=7)
    for world in (2, 4):
        size = len(ids) // world
        parts = [views(trajectories(ids[r * size : (r + 1) * size]), seed=7) for r in range(world)]
        torch.testing.assert_close(torch.cat(parts), whole, rtol=0, atol=0)
    assert not torch.equal(views(trajectories(ids), seed=8), whole)  # the seed (step, view) draws anew


def rank_masks(world: int, epoch: int, size: int = 70, batch: int = 32) -> list[dict[str, torch.Tensor]]:
    """Per global batch of an epoch, the masks the processes' collators draw, their rows put back in rank order."""
    items = [{"id": i, "x": torch.zeros(1)} for i in range(size)]
    per_rank = []
    for rank in range(world):
        shuffle = EpochShuffle(list(range(size)), 0)
        shuffle.set_epoch(epoch)
        batches = RankBatches(shuffle, batch, rank=rank, world=world)
        collator = MaskCollator([MultiBlock2D((8, 8), min_keep=2)], seed=4)
        collator.bind_batches(batches)
        collator.set_epoch(epoch)
        collator = pickle.loads(pickle.dumps(collator))  # what a spawned DataLoader worker holds
        per_rank.append([collator([items[i] for i in part])[1][0] for part in batches])
    return [
        {k: torch.cat([part[b][k] for part in per_rank]) for k in ("context", "targets")}
        for b in range(len(per_rank[0]))
    ]


def test_mask_draws_are_the_same_for_any_number_of_processes():
    """Bound to the batch sampler, each process's collator draws the masks of its whole global batch from
    ``(seed, epoch, global ids)`` (block shapes once per global batch, as I-JEPA draws them per batch) and keeps
    its own rows: every sample gets the masks one process would give it, for 1, 2 or 4 processes."""
    for epoch in (0, 3):
        one = rank_masks(1, epoch)
        assert len(one) == 2
        for world in (2, 4):
            for whole, parts in zip(one, rank_masks(world, epoch)):
                assert all(torch.equal(whole[k], parts[k]) for k in ("context", "targets"))
    assert not torch.equal(rank_masks(1, 1)[0]["targets"], rank_masks(1, 0)[0]["targets"])  # new masks each epoch


def test_a_bound_collator_refuses_ids_that_are_no_part_of_a_global_batch():
    shuffle = EpochShuffle(list(range(70)), 0)
    batches = RankBatches(shuffle, 32, rank=0, world=2)
    collator = MaskCollator([MultiBlock2D((8, 8), min_keep=2)], seed=4)
    collator.bind_batches(batches)
    first = next(iter(batches))
    items = {i: {"id": i, "x": torch.zeros(1)} for i in range(70)}
    with pytest.raises(ValueError, match="not one consecutive part"):
        collator([items[i] for i in reversed(first)])
    dropped = list(shuffle)[64:]  # the epoch's dropped tail is in no global batch
    with pytest.raises(ValueError, match="not in a global batch"):
        collator([items[i] for i in dropped])


def test_a_bound_collator_seeds_with_the_items_ids_where_they_are_not_positions():
    """A file's items carry its ``sample`` values as ids (a shard's start at 500, say): the collator maps them to
    the positions the sampler deals and seeds the masks with the global batch's ids."""
    offset = [500 + 3 * n for n in range(70)]
    items = [{"id": offset[n], "x": torch.zeros(1)} for n in range(70)]
    masks = {}
    for world in (1, 2):
        parts = []
        for rank in range(world):
            batches = RankBatches(EpochShuffle(items, 0), 32, rank=rank, world=world)
            collator = MaskCollator([MultiBlock2D((8, 8), min_keep=2)], seed=4)
            collator.bind_batches(batches, offset)
            parts.append(collator([items[n] for n in next(iter(batches))])[1][0]["targets"])
        masks[world] = torch.cat(parts)
    assert torch.equal(masks[1], masks[2])
    plain = MaskCollator([MultiBlock2D((8, 8), min_keep=2)], seed=4)  # unbound: seeded by the batch's own ids
    first = next(iter(RankBatches(EpochShuffle(items, 0), 32, rank=0, world=1)))
    assert torch.equal(plain([items[n] for n in first])[1][0]["targets"], masks[1])
    with pytest.raises(ValueError, match="not in the dataset the collator was bound to"):
        collator([{"id": 1, "x": torch.zeros(1)}])
