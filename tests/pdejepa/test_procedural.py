"""Procedural shapes and moving-object videos: contracts, determinism, geometry, gallery."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from pdejepa.data import MovingObjectsVideos, ShapesImages, save_gallery
from pdejepa.data.scenes import DIRECTIONS, SHAPES, render

# analytic areas in units of the circumradius squared (see DISTANCES)
AREAS = {
    "disc": math.pi,
    "square": 2.0,
    "triangle": 3 * math.sqrt(3) / 4,
    "cross": 2 * 1.9 * 0.6 - 0.6**2,
    "ring": math.pi * (1 - 0.55**2),
}


def test_items_have_documented_shapes_dtypes_and_ranges():
    image = ShapesImages(4, size=24, seed=1)[3]
    assert image["x"].shape == (3, 24, 24) and image["x"].dtype == torch.float32
    assert isinstance(image["label"], int) and 0 <= image["label"] < len(SHAPES) and image["id"] == 3
    assert image["target"].shape == (1,) and image["target"].dtype == torch.float32 and 0.2 <= image["target"][0] <= 0.4
    video = MovingObjectsVideos(4, frames=6, size=16, seed=1, speed=(0.5, 1.5), spin=0.2)[0]
    assert video["x"].shape == (3, 6, 16, 16) and video["x"].dtype == torch.float32
    assert 0 <= video["label"] < len(DIRECTIONS) and video["target"].shape == (2,)
    assert 0.5 <= video["target"][0] <= 1.5 and abs(video["target"][1]) <= 0.2
    for ds in (ShapesImages(64, seed=2), MovingObjectsVideos(32, seed=2)):
        x = torch.stack([ds[i]["x"] for i in range(len(ds))])
        assert x.min() >= 0.0 and x.max() <= 1.0 and torch.isfinite(x).all()
        assert x.std() > 0.1  # not a washed-out constant
    with pytest.raises(IndexError, match="out of range"):
        ShapesImages(4)[4]


@pytest.mark.parametrize(
    "make", [lambda n: ShapesImages(n, seed=3), lambda n: MovingObjectsVideos(n, frames=4, seed=3)]
)
def test_items_depend_only_on_seed_and_index(make):
    ds = make(20)
    forward = [ds[i] for i in range(20)]
    backward = [make(20)[i] for i in reversed(range(20))][::-1]
    for a, b in zip(forward, backward):
        assert torch.equal(a["x"], b["x"]) and a["label"] == b["label"] and torch.equal(a["target"], b["target"])
    assert torch.equal(make(5)[4]["x"], forward[4]["x"])  # independent of the dataset's length
    serial = next(iter(DataLoader(ds, batch_size=20)))
    parallel = torch.cat([b["x"] for b in DataLoader(ds, batch_size=3, num_workers=2)])
    assert torch.equal(serial["x"], parallel) and torch.equal(serial["id"], torch.arange(20))


def test_different_seeds_give_different_data():
    for cls in (ShapesImages, MovingObjectsVideos):
        a, b = cls(8, seed=0), cls(8, seed=1)
        assert not any(torch.equal(a[i]["x"], b[i]["x"]) for i in range(8))


@pytest.mark.parametrize(
    "ds, classes",
    [(ShapesImages(400, size=8), len(SHAPES)), (MovingObjectsVideos(400, frames=2, size=8), len(DIRECTIONS))],
)
def test_all_classes_occur_roughly_balanced(ds, classes):
    counts = np.bincount([ds.draw(i)[1] for i in range(len(ds))], minlength=classes)
    expected = len(ds) / classes
    assert counts.min() > 0.6 * expected and counts.max() < 1.4 * expected, counts


def test_shape_class_is_not_readable_from_mean_colour():
    ds = ShapesImages(1000, size=16, seed=5)
    items = [ds[i] for i in range(len(ds))]
    colour = torch.stack([it["x"].mean((1, 2)) for it in items]).numpy()
    labels = np.array([it["label"] for it in items])
    train, test = slice(0, 500), slice(500, None)
    centroids = np.stack([colour[train][labels[train] == k].mean(0) for k in range(len(SHAPES))])
    guess = np.argmin(((colour[test, None] - centroids[None]) ** 2).sum(-1), 1)
    assert (guess == labels[test]).mean() < 0.35  # chance is 0.2


def test_shapes_render_with_their_analytic_area_inside_the_image():
    ds = ShapesImages(40, size=48, seed=6)
    for i in range(len(ds)):
        scene, label, target = ds.draw(i)
        _, mask = render(scene, ds.size)
        assert scene.shape == SHAPES[label] and scene.radius == pytest.approx(target[0] * ds.size)
        assert float(mask.sum()) == pytest.approx(AREAS[scene.shape] * scene.radius**2, rel=0.05)
        border = torch.cat([mask[0, 0], mask[0, -1], mask[0, :, 0], mask[0, :, -1]])
        assert border.max() <= 0.5  # at most the anti-aliased edge touches the border


def circular_centroid(mask: torch.Tensor) -> np.ndarray:
    """Centre of mass ``(frames, 2)`` as (col, row) of masks ``(frames, size, size)`` on a torus."""
    size = mask.shape[-1]
    theta = 2 * np.pi * np.arange(size) / size
    m = mask.double().numpy()
    out = []
    for weights in (m.sum(1), m.sum(2)):  # over rows -> column profile; over columns -> row profile
        angle = np.arctan2(weights @ np.sin(theta), weights @ np.cos(theta))
        out.append(angle % (2 * np.pi) * size / (2 * np.pi))
    return np.stack(out, 1)


def test_object_moves_in_the_labelled_direction_at_the_target_speed():
    ds = MovingObjectsVideos(24, frames=6, size=32, seed=7)
    for i in range(len(ds)):
        scene, label, (speed, omega) = ds.draw(i)
        _, mask = render(scene, ds.size)
        steps = np.diff(circular_centroid(mask), axis=0)
        steps = (steps + ds.size / 2) % ds.size - ds.size / 2  # across the wrap
        col, row = steps.mean(0)
        heading = math.degrees(math.atan2(-row, col)) % 360  # up = -row
        assert min(abs(heading - DIRECTIONS[label]), 360 - abs(heading - DIRECTIONS[label])) < 8, (i, heading, label)
        assert math.hypot(col, row) == pytest.approx(speed, abs=0.1)
        assert np.diff(scene.angles) == pytest.approx(omega)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: ShapesImages(0), "num"),
        (lambda: ShapesImages(4, size=7), "size"),
        (lambda: MovingObjectsVideos(4, frames=1), "frames"),
        (lambda: MovingObjectsVideos(4, size=4), "size"),
        (lambda: MovingObjectsVideos(0), "num"),
        (lambda: ShapesImages(4, scale=(0.4, 0.2)), "scale"),
        (lambda: MovingObjectsVideos(4, spin=2.0), "spin"),
        (lambda: ShapesImages(4, seed=-1), "seed"),
    ],
)
def test_bad_arguments_are_refused_by_name(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_gallery_writes_pngs(tmp_path):
    for name, ds in (("shapes", ShapesImages(4, size=16)), ("videos", MovingObjectsVideos(2, frames=3, size=16))):
        path = save_gallery(ds, tmp_path / f"{name}.png", count=4)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="count"):
        save_gallery(ShapesImages(2), tmp_path / "none.png", count=0)


def test_videos_give_velocity_speed_and_shape_from_the_same_draws():
    ds = MovingObjectsVideos(40, frames=4, size=16, seed=11)
    for i in range(len(ds)):
        item, (scene, label, target) = ds[i], ds.draw(i)
        heading = math.radians(DIRECTIONS[label])
        assert item["velocity"].dtype == torch.float32 and item["velocity"].shape == (2,)
        assert item["velocity"].tolist() == pytest.approx(
            [target[0] * math.cos(heading), target[0] * math.sin(heading)]
        )
        assert item["speed"] == pytest.approx(float(item["target"][0])) == pytest.approx(math.hypot(*item["velocity"]))
        assert SHAPES[item["shape"]] == scene.shape
    again = MovingObjectsVideos(40, frames=4, size=16, seed=11)[7]
    assert torch.equal(again["velocity"], ds[7]["velocity"]) and again["shape"] == ds[7]["shape"]
    assert {ds[i]["shape"] for i in range(len(ds))} == set(range(len(SHAPES)))
    batch = next(iter(DataLoader(ds, batch_size=8)))
    assert batch["velocity"].shape == (8, 2) and batch["shape"].shape == (8,) and batch["speed"].shape == (8,)
    assert "velocity" not in ShapesImages(2)[0]  # images keep their items


@pytest.mark.parametrize(
    "i, label, target, total, shape, velocity",
    [  # drawn before the labels existed: the same random stream, so the same videos
        (0, 6, (0.7368105053901672, 0.1205097883939743), 1871.318507977493, 0, (0.0, -0.7368105)),
        (3, 2, (0.8199466466903687, 0.19963261485099792), 1635.5846735686064, 0, (0.0, 0.8199467)),
        (9, 3, (0.8992645144462585, 0.18382397294044495), 1740.0679983198643, 4, (-0.6358761, 0.6358761)),
    ],
)
def test_labelled_videos_are_the_videos_drawn_before(i, label, target, total, shape, velocity):
    item = MovingObjectsVideos(16, frames=6, size=16, seed=3, speed=(0.5, 1.5), spin=0.2)[i]
    assert item["label"] == label and item["target"].tolist() == pytest.approx(target, rel=1e-7)
    assert float(item["x"].double().sum()) == pytest.approx(total, rel=1e-9)
    assert item["shape"] == shape and item["velocity"].tolist() == pytest.approx(velocity, abs=1e-6)
