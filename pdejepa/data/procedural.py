"""Procedural images and videos that need no download: textured shapes, and textured objects in motion.

Every item ``i`` is drawn from ``np.random.default_rng([seed, i])`` alone, so a dataset is the same
for any batch size, worker count or access order. Pixels are rendered by :func:`~pdejepa.data.scenes.render`.
Images are float32 RGB in ``[0, 1]`` (not standardised; normalise in the model if wanted).
"""

from __future__ import annotations

import math
import os
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from solvers.figures import pyplot, save_figure  # matplotlib itself loads on the first drawing

from ..checks import check_count
from .scenes import DIRECTIONS, SHAPES, Scene, make_scene, render


def _check_common(num: int, size: int, seed: int) -> None:
    check_count("num", num)
    check_count("size (pixels)", size, low=8)
    check_count("seed", seed, low=0)


def _check_range(name: str, bounds: tuple[float, float], low: float, high: float) -> tuple[float, float]:
    lo, hi = (float(b) for b in bounds)
    if not low <= lo <= hi <= high:
        raise ValueError(f"{name} must be a range (lo, hi) with {low} <= lo <= hi <= {high}, got {bounds!r}")
    return lo, hi


class _Procedural(Dataset, ABC):
    """Shared item protocol: ``draw(i) -> (scene, label, target)``, rendered on access."""

    classes: tuple[str, ...] = ()
    num: int
    size: int
    seed: int

    def __len__(self) -> int:
        return self.num

    def _index(self, i: int) -> int:
        if not -self.num <= i < self.num:
            raise IndexError(f"index {i} out of range for {self.num} items")
        return int(i) % self.num

    def draw(self, i: int) -> tuple[Scene, int, np.ndarray]:
        """The scene, class and regression target of item ``i`` (no pixels)."""
        i = self._index(i)
        return self._draw(np.random.default_rng([self.seed, i]))

    @abstractmethod
    def _draw(self, rng: np.random.Generator) -> tuple[Scene, int, np.ndarray]:
        """Draw one item's scene, class and target from its own generator."""

    def _pixels(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def numbers(self, scene: Scene, label: int, target: np.ndarray) -> dict:
        """More labels of an item, read from what :meth:`draw` gave (no further draws): none by default."""
        return {}

    def __getitem__(self, i: int) -> dict:
        i = self._index(i)
        scene, label, target = self.draw(i)
        x, _ = render(scene, self.size)
        item = {"x": self._pixels(x), "label": label, "target": torch.as_tensor(target, dtype=torch.float32), "id": i}
        return {**item, **self.numbers(scene, label, target)}


class ShapesImages(_Procedural):
    """Textured shapes: ``x (3, size, size)`` float32 in ``[0, 1]``.

    One shape of :data:`SHAPES` (``label`` = its index), rotated, with circumradius ``scale * size`` and
    its centre placed so the whole shape is inside the image, over a background. Shape and background
    each carry a random texture (stripes at a random angle and frequency, soft checker, or smooth noise)
    in random colours, so neither colour nor texture gives the class away. ``target`` = ``(scale,)``.
    """

    classes = SHAPES

    def __init__(self, num: int, size: int = 32, seed: int = 0, scale: tuple[float, float] = (0.2, 0.4)) -> None:
        _check_common(num, size, seed)
        self.num, self.size, self.seed = int(num), int(size), int(seed)
        self.scale = _check_range("scale", scale, 0.05, 0.5)

    def _draw(self, rng: np.random.Generator) -> tuple[Scene, int, np.ndarray]:
        label = int(rng.integers(len(SHAPES)))
        scale = rng.uniform(*self.scale)
        radius = scale * self.size
        margin = min(radius, (self.size - 1) / 2)  # the largest shapes just fit, centred
        centre = rng.uniform(margin, self.size - 1 - margin, 2)
        angle = rng.uniform(0.0, 2 * np.pi)
        scene = make_scene(rng, self.size, SHAPES[label], radius, centre[None], np.array([angle]), wrap=False)
        return scene, label, np.array([scale])

    def _pixels(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, 0]


class MovingObjectsVideos(_Procedural):
    """A textured object gliding and spinning over a still textured background: ``x (3, frames, size, size)``
    float32 in ``[0, 1]``.

    The object (a random shape of :data:`SHAPES`, circumradius ``scale * size``) moves in a straight line
    in one of :data:`DIRECTIONS` (``label`` = its index) at ``speed`` pixels per frame, and rotates at
    ``angular_velocity`` radians per frame (counter-clockwise positive, ``|.| <= spin``). The image is a
    torus: the object *wraps* around the edges rather than bouncing, so the direction holds for the whole
    clip. ``target`` = ``(speed, angular_velocity)``. Items also give the object's ``velocity`` ``(vx, vy)`` in
    pixels per frame (x to the right, y up, as :mod:`~pdejepa.data.scenes` counts angles), its ``speed`` and its
    ``shape`` (an index into :data:`SHAPES`), all read from the same draws (:meth:`numbers`).
    """

    classes = tuple(f"{d} deg" for d in DIRECTIONS)

    def __init__(
        self,
        num: int,
        frames: int = 8,
        size: int = 32,
        seed: int = 0,
        speed: tuple[float, float] = (0.5, 2.0),
        spin: float = 0.3,
        scale: tuple[float, float] = (0.15, 0.25),
    ) -> None:
        _check_common(num, size, seed)
        check_count("frames", frames, low=2)
        if not 0.0 <= spin <= np.pi / 4:  # beyond a quarter turn per frame a square's spin aliases
            raise ValueError(f"spin (max |angular velocity|, radians per frame) must be in [0, pi/4], got {spin!r}")
        self.num, self.frames, self.size, self.seed = int(num), int(frames), int(size), int(seed)
        self.spin = float(spin)
        self.speed = _check_range("speed", speed, 0.0, size / 2)
        self.scale = _check_range("scale", scale, 0.05, 0.5)

    def _draw(self, rng: np.random.Generator) -> tuple[Scene, int, np.ndarray]:
        label = int(rng.integers(len(DIRECTIONS)))
        shape = SHAPES[rng.integers(len(SHAPES))]
        speed, omega = rng.uniform(*self.speed), rng.uniform(-self.spin, self.spin)
        radius = rng.uniform(*self.scale) * self.size
        heading = np.deg2rad(DIRECTIONS[label])
        t = np.arange(self.frames)[:, None]
        velocity = speed * np.array([np.cos(heading), -np.sin(heading)])  # (col, row): up is -row
        centres = (rng.uniform(0.0, self.size, 2) + velocity * t) % self.size
        angles = rng.uniform(0.0, 2 * np.pi) + omega * t[:, 0]
        return make_scene(rng, self.size, shape, radius, centres, angles, wrap=True), label, np.array([speed, omega])

    def numbers(self, scene: Scene, label: int, target: np.ndarray) -> dict:
        """``velocity`` ``(vx, vy)`` (float32, pixels per frame, y up), ``speed`` and ``shape`` (index into SHAPES)."""
        heading = np.deg2rad(DIRECTIONS[label])
        velocity = target[0] * np.array([np.cos(heading), np.sin(heading)])
        return {
            "velocity": torch.as_tensor(velocity, dtype=torch.float32),
            "speed": float(target[0]),
            "shape": SHAPES.index(scene.shape),
        }


def save_gallery(dataset: Dataset, path: str | os.PathLike, count: int = 16) -> Path:
    """Write a PNG of the first ``count`` items: a grid of images, or one filmstrip row per video clip.

    Titles give each item's id, class name (``dataset.classes`` where present) and target.
    """
    check_count("count", count)
    items = [dataset[i] for i in range(min(count, len(dataset)))]
    names = getattr(dataset, "classes", ())
    plt = pyplot()

    def caption(item: dict) -> str:
        name = names[item["label"]] if item["label"] < len(names) else str(item["label"])
        return f"#{item['id']} {name} " + " ".join(f"{v:.2f}" for v in item["target"].tolist())

    if items[0]["x"].dim() == 3:
        cols = math.ceil(math.sqrt(len(items)))
        rows = math.ceil(len(items) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(1.8 * cols, 1.9 * rows), squeeze=False, constrained_layout=True)
        for ax, item in zip(axes.flat, items):
            ax.imshow(item["x"].permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
            ax.set_title(caption(item), fontsize=7)
    else:
        frames = items[0]["x"].shape[1]
        fig, axes = plt.subplots(
            len(items), frames, figsize=(1.1 * frames + 1.2, 1.15 * len(items)), squeeze=False, constrained_layout=True
        )
        for row, item in zip(axes, items):
            for t, ax in enumerate(row):
                ax.imshow(item["x"][:, t].permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
            row[0].set_ylabel(caption(item), fontsize=6)
        for t, ax in enumerate(axes[0]):
            ax.set_title(f"t={t}", fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        if not ax.images:
            ax.axis("off")
    return save_figure(fig, path, dpi=110)
