"""Lazy trajectory datasets and symmetry views (building blocks of pretraining)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from pdejepa.data import TrajectoryDataset, ViewMaker, collate
from solvers import SimulationConfig
from solvers.generate import Shard, generate
from symmetries.registry import EQUATIONS

CFG = SimulationConfig.default("burgers", nx=128, nt=41, t_end=2.0, params={"nu": (0.1, 0.5)})


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    return [generate(CFG, 10, root / "b.h5", shard=Shard(i, 2), progress=False) for i in range(2)]


def test_dataset_reads_samples_lazily_across_shards(files):
    ds = TrajectoryDataset(files, labels=("nu",))
    assert len(ds) == 10
    item = ds[7]
    assert item["u"].shape == (41, 1, 128) and item["u"].dtype == torch.float32  # (time, field, x)
    assert item["id"] == 7 and item["dt"] == pytest.approx(0.05) and item["L"] == pytest.approx(2 * np.pi)
    assert 0.1 <= item["labels"][0] <= 0.5
    batches = list(DataLoader(ds, batch_size=4, collate_fn=collate, num_workers=2))  # handles reopen in workers
    assert torch.equal(torch.cat([b["id"] for b in batches]), torch.arange(10))
    with pytest.raises(ValueError, match="viscosity"):
        TrajectoryDataset(files, labels=("viscosity",))
    with pytest.raises(FileNotFoundError, match="partial"):
        TrajectoryDataset([files[0].with_name("missing.h5")])


def test_views_are_per_sample_reproducible_and_differ_between_seeds(files):
    ds = TrajectoryDataset(files, labels=("nu",))
    batch = collate([ds[i] for i in range(6)])
    maker = ViewMaker(
        EQUATIONS["burgers"],
        {"space_shift": 3.0, "galilean_boost": 0.3, "scaling": 0.2, "cole_hopf": 0.5},
        (16, 64),
        ("nu",),
    )
    a, b = maker(batch, seed=1), maker(batch, seed=2)
    assert a.shape == (6, 3, 16, 64) and a.dtype == torch.float32
    assert (a - b).abs().max() > 0.1
    alone = maker(collate([ds[i] for i in range(3, 6)]), seed=1)
    torch.testing.assert_close(alone, a[3:], rtol=0, atol=1e-6)  # independent of the batch around it
    plain = maker(batch, seed=1, augment=False)
    torch.testing.assert_close(plain[:, 0], batch["u"][:, :16, 0, :64])
    assert plain[:, 1, -1, 0].max() == pytest.approx(1.0) and plain[:, 2, 0, -1].max() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="window"):
        ViewMaker(EQUATIONS["burgers"], {}, (100, 64))(batch, seed=0)


def test_cutting_frames_before_the_symmetries_equals_cutting_after(files):
    """Point groups act frame by frame on the carried grid, so the view may transform only its window."""
    from symmetries.augment import SymmetryAugmentation
    from symmetries.transforms import time_window

    ds = TrajectoryDataset(files, labels=("nu",))
    batch = collate([ds[i] for i in range(6)])
    strengths = {"space_shift": 3.0, "galilean_boost": 0.3, "scaling": 0.2}
    maker = ViewMaker(EQUATIONS["burgers"], strengths, (16, 128), ("nu",))
    start = torch.tensor([0, 3, 7, 11, 25, 20])
    full = SymmetryAugmentation(EQUATIONS["burgers"], strengths)(maker.grid(batch), 5, batch["id"])
    after = time_window(full, start, 16)
    before = SymmetryAugmentation(EQUATIONS["burgers"], strengths)(
        time_window(maker.grid(batch), start, 16), 5, batch["id"]
    )
    torch.testing.assert_close(before.u, after.u, rtol=0, atol=1e-12)
    torch.testing.assert_close(before.t0, after.t0, rtol=0, atol=1e-12)
    torch.testing.assert_close(before.L, after.L, rtol=0, atol=1e-12)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    from solvers.ns2d import BuoyancyConfig

    cfg = BuoyancyConfig.default().updated(nx=16, ny=16, nt=6, skip_nt=0)
    return generate(cfg, 5, tmp_path_factory.mktemp("smoke") / "s.h5", progress=False)


def test_flow_views_stack_fields_and_coordinates_per_frame(smoke):
    import h5py

    from pdejepa.data import FlowViewMaker

    ds = TrajectoryDataset(smoke, labels=("buoyancy",), fields=("smoke", "vx", "vy"))
    item = ds[2]
    assert item["u"].shape == (6, 3, 16, 16) and np.isnan(item["L"]) and 0.2 <= item["labels"][0] <= 0.5
    with h5py.File(smoke) as f:
        x, y = f["x"][:].tolist(), f["y"][:].tolist()
        vx = torch.from_numpy(f["vx"][2].astype(np.float32))
    batch = collate([ds[i] for i in range(5)])
    maker = FlowViewMaker({"translation": 4.0, "rotation": 0.5, "galilean_boost": 0.1}, (3,), x, y, system="ns2d")
    a = maker(batch, seed=1)
    assert a.shape == (5, maker.channels, 16, 16) == (5, 17, 16, 16)
    torch.testing.assert_close(maker(collate([ds[i] for i in (3, 4)]), seed=1), a[3:], rtol=0, atol=1e-6)
    assert (maker(batch, seed=2) - a).abs().max() > 0.1
    plain = maker(batch, seed=1, augment=False)  # frames 0..2, untouched: smoke, vx, vy, x / 32, y / 32 per frame
    torch.testing.assert_close(plain[2, 1:15:5], vx[:3])
    torch.testing.assert_close(plain[2, 3], torch.tensor(x, dtype=torch.float32)[None].expand(16, -1) / 32)
    assert torch.equal(plain[:, -2:].flatten(2).mean(-1), torch.tensor([[0.0, 1.0]]).expand(5, -1))  # gravity +y

    def speed(v, k):
        return v[:, 5 * k + 1] ** 2 + v[:, 5 * k + 2] ** 2

    still = FlowViewMaker({}, (6,), x, y)(batch, seed=0, augment=False)
    turned = FlowViewMaker({"rotation": 0.5}, (6,), x, y, system="ns2d")(batch, seed=1)  # whole record: no time shift
    torch.testing.assert_close(speed(turned, 4), speed(still, 4))  # rotation turns vectors, keeps their length
    with pytest.raises(ValueError, match="frames"):
        FlowViewMaker({}, (7,), x, y)(batch, seed=0)


def test_flow_videos_hold_the_stacked_views_channels_frame_by_frame(smoke):
    import h5py

    from pdejepa.data import FlowViewMaker

    ds = TrajectoryDataset(smoke, labels=("buoyancy",), fields=("smoke", "vx", "vy"))
    with h5py.File(smoke) as f:
        x, y = f["x"][:].tolist(), f["y"][:].tolist()
    batch = collate([ds[i] for i in range(4)])
    strengths = {"translation": 4.0, "rotation": 0.5}
    stacked = FlowViewMaker(strengths, (3,), x, y, system="ns2d")(batch, seed=5)
    video_maker = FlowViewMaker(strengths, (3,), x, y, video=True, system="ns2d")
    video = video_maker(batch, seed=5)
    assert video.shape == (4, video_maker.channels, 3, 16, 16) == (4, 7, 3, 16, 16)
    for k in range(3):  # same draw: frame k's smoke, velocity, coordinates; gravity on every frame
        torch.testing.assert_close(video[:, :5, k], stacked[:, 5 * k : 5 * k + 5])
        torch.testing.assert_close(video[:, 5:, k], stacked[:, -2:])


def test_max_start_keeps_views_early_in_the_record(smoke):
    from pdejepa.data import FlowViewMaker
    from pdejepa.data.views import window_starts

    place = torch.linspace(0, 0.999, 100, dtype=torch.float64)
    assert set(window_starts(place, 10, 4).tolist()) == set(range(7))  # anywhere it fits: 0..6
    assert set(window_starts(place, 10, 4, max_start=2).tolist()) == {0, 1, 2}
    assert set(window_starts(place, 10, 4, max_start=50).tolist()) == set(range(7))
    with pytest.raises(ValueError, match="max_start"):
        window_starts(place, 10, 4, max_start=-1)
    ds = TrajectoryDataset(smoke, labels=("buoyancy",), fields=("smoke", "vx", "vy"))
    batch = collate([ds[i] for i in range(5)])
    x = y = [0.5 + i for i in range(16)]
    first = FlowViewMaker({}, (2,), x, y)(batch, seed=0, augment=False)
    pinned = FlowViewMaker({}, (2,), x, y, max_start=0)  # the time shift is off: every view starts at frame 0
    for seed in range(3):
        torch.testing.assert_close(pinned(batch, seed=seed), first)
