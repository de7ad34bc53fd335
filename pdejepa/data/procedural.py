"""Procedural images and videos that need no download: textured shapes, and textured objects in motion.

Every item ``i`` is drawn from ``np.random.default_rng([seed, i])`` alone, so a dataset is the same
for any batch size, worker count or access order. Pixels are rendered by one vectorised function,
:func:`render`, over all pixels and frames at once. Images are float32 RGB in ``[0, 1]`` (not
standardised; normalise in the model if wanted).

Coordinates: pixel ``(row, col)`` has its centre at ``x = col``, ``y = -row``, so angles are
counter-clockwise and 90 degrees points *up* as ``imshow`` shows an image (row 0 at the top).
"""
from __future__ import annotations

import math
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

from ..checks import check_count

SHAPES = ("disc", "square", "triangle", "cross", "ring")
"""Shape classes of :class:`ShapesImages` (``label`` indexes this tuple)."""

DIRECTIONS = (0, 45, 90, 135, 180, 225, 270, 315)
"""Direction classes of :class:`MovingObjectsVideos` in degrees, counter-clockwise from +x (right); 90 = up."""

# Signed distances (negative inside) in units of the shape's circumradius: every shape fits the unit circle,
# so ``radius`` means the same thing, "how far the shape reaches from its centre", for every class.
_TRIANGLE_NORMALS = np.deg2rad([-90.0, 30.0, 150.0])  # apex up; edges at distance 1/2 from the centroid
DISTANCES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "disc": lambda u, v: np.hypot(u, v) - 1.0,
    "square": lambda u, v: np.maximum(np.abs(u), np.abs(v)) - math.sqrt(0.5),
    "triangle": lambda u, v: np.max(
        np.multiply.outer(np.cos(_TRIANGLE_NORMALS), u) + np.multiply.outer(np.sin(_TRIANGLE_NORMALS), v), 0
    ) - 0.5,
    "cross": lambda u, v: np.minimum(
        np.maximum(np.abs(u) - 0.95, np.abs(v) - 0.3), np.maximum(np.abs(u) - 0.3, np.abs(v) - 0.95)
    ),
    "ring": lambda u, v: np.abs(np.hypot(u, v) - 0.775) - 0.225,
}


@dataclass(frozen=True)
class Texture:
    """A two-colour pattern: ``colours (2, 3)`` are the RGB values at pattern 0 and 1; ``waves (k, 3)``
    rows are ``(kx, ky, phase)`` plane waves, wavenumbers in cycles per pixel."""

    kind: str
    colours: np.ndarray
    waves: np.ndarray


@dataclass(frozen=True)
class Scene:
    """Everything one item is drawn from: a textured shape over a textured background, per frame.

    ``centres (frames, 2)`` are the shape's centre as ``(col, row)`` pixel coordinates, ``angles (frames,)``
    its rotation in radians (counter-clockwise), ``radius`` its circumradius in pixels. With ``wrap`` the
    image is a torus: an object leaving one edge re-enters at the opposite one.
    """

    shape: str
    radius: float
    centres: np.ndarray
    angles: np.ndarray
    foreground: Texture
    background: Texture
    wrap: bool = False


def _stripes(rng: np.random.Generator, size: int) -> np.ndarray:
    k, a = rng.uniform(2.0, 7.0) / size, rng.uniform(0.0, np.pi)
    return np.array([[k * np.cos(a), k * np.sin(a), rng.uniform(0.0, 2 * np.pi)]])


def _checker(rng: np.random.Generator, size: int) -> np.ndarray:
    k, a = rng.uniform(2.0, 5.0) / size, rng.uniform(0.0, np.pi / 2)
    phases = rng.uniform(0.0, 2 * np.pi, 2)
    return np.array([[k * np.cos(a), k * np.sin(a), phases[0]], [-k * np.sin(a), k * np.cos(a), phases[1]]])


def _noise(rng: np.random.Generator, size: int, waves: int = 6) -> np.ndarray:
    k, a = rng.uniform(1.0, 4.0, waves) / size, rng.uniform(0.0, 2 * np.pi, waves)
    return np.stack([k * np.cos(a), k * np.sin(a), rng.uniform(0.0, 2 * np.pi, waves)], 1)


def _sines(waves: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``sin(2 pi (kx x + ky y) + phase)`` for each wave: ``(k, *x.shape)``."""
    kx, ky, phase = (waves[:, j].reshape(-1, *([1] * x.ndim)) for j in range(3))
    return np.sin(2 * np.pi * (kx * x[None] + ky * y[None]) + phase)


# kind -> (draw its waves, pattern in [0, 1] from the waves' sines (k, ...))
TEXTURES: dict[str, tuple[Callable[[np.random.Generator, int], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "stripes": (_stripes, lambda s: 0.5 + 0.5 * s[0]),
    # a soft checker: hard edges would alias at 32 pixels
    "checker": (_checker, lambda s: 0.5 + 0.5 * np.tanh(4.0 * s[0] * s[1]) / np.tanh(4.0)),
    # random-phase sum: std sqrt(k / 2); scaled to std 1/4 and clipped at two sigma
    "noise": (_noise, lambda s: np.clip(0.5 + s.sum(0) / (4 * np.sqrt(len(s) / 2)), 0.0, 1.0)),
}


def _texture(rng: np.random.Generator, size: int, base: np.ndarray, contrast: tuple[float, float]) -> Texture:
    """A random pattern whose two colours straddle ``base`` along a random colour direction."""
    kind = list(TEXTURES)[rng.integers(len(TEXTURES))]
    direction = rng.uniform(-1.0, 1.0, 3)
    step = rng.uniform(*contrast) / 2 * direction / np.abs(direction).max()
    colours = np.clip(np.stack([base - step, base + step]), 0.0, 1.0)
    return Texture(kind, colours, TEXTURES[kind][0](rng, size))


def _paint(texture: Texture, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """RGB of ``texture`` at coordinates ``x, y`` (pixels): ``(3, *x.shape)``."""
    p = TEXTURES[texture.kind][1](_sines(texture.waves, x, y))
    c0, c1 = (texture.colours[j].reshape(3, *([1] * x.ndim)) for j in range(2))
    return c0 + (c1 - c0) * p[None]


def _scene(rng: np.random.Generator, size: int, shape: str, radius: float, centres: np.ndarray, angles: np.ndarray,
           wrap: bool) -> Scene:
    """Random colours and textures around given geometry. The foreground's mean colour is kept at least
    0.35 per channel from the background's (so the shape is visible) without tying colour to the class."""
    back = rng.uniform(0.15, 0.85, 3)
    front = (back + 0.5 + rng.uniform(-0.15, 0.15, 3)) % 1.0
    return Scene(shape, radius, centres, angles, _texture(rng, size, front, (0.2, 0.45)),
                 _texture(rng, size, back, (0.1, 0.3)), wrap)


def render(scene: Scene, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixels of ``scene`` on a ``size`` x ``size`` grid, all frames at once.

    Returns ``x (3, frames, size, size)`` float32 in ``[0, 1]`` and the object's anti-aliased coverage
    ``mask (frames, size, size)`` in ``[0, 1]``. The object's texture lives in its own rotating frame,
    the background's is fixed to the image.
    """
    grid = np.arange(size, dtype=np.float64)
    col, row = grid[None, None, :], grid[None, :, None]
    dx = col - scene.centres[:, 0, None, None]  # (frames, 1, size)
    dy = scene.centres[:, 1, None, None] - row  # (frames, size, 1); y points up
    if scene.wrap:  # nearest periodic image of the centre
        dx, dy = (dx + size / 2) % size - size / 2, (dy + size / 2) % size - size / 2
    cos, sin = np.cos(scene.angles)[:, None, None], np.sin(scene.angles)[:, None, None]
    u, v = cos * dx + sin * dy, cos * dy - sin * dx  # rotate by -angle into the object's frame (pixels)
    distance = DISTANCES[scene.shape](u / scene.radius, v / scene.radius) * scene.radius
    mask = np.clip(0.5 - distance, 0.0, 1.0)  # one-pixel ramp across the edge
    front = _paint(scene.foreground, u, v)
    back = _paint(scene.background, np.broadcast_to(col, (1, size, size)), np.broadcast_to(-row, (1, size, size)))
    x = back + (front - back) * mask[None]
    return torch.from_numpy(x.astype(np.float32)), torch.from_numpy(mask.astype(np.float32))


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

    def __getitem__(self, i: int) -> dict:
        i = self._index(i)
        scene, label, target = self.draw(i)
        x, _ = render(scene, self.size)
        return {"x": self._pixels(x), "label": label, "target": torch.as_tensor(target, dtype=torch.float32), "id": i}


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
        scene = _scene(rng, self.size, SHAPES[label], radius, centre[None], np.array([angle]), wrap=False)
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
    clip. ``target`` = ``(speed, angular_velocity)``.
    """

    classes = tuple(f"{d} deg" for d in DIRECTIONS)

    def __init__(self, num: int, frames: int = 8, size: int = 32, seed: int = 0,
                 speed: tuple[float, float] = (0.5, 2.0), spin: float = 0.3,
                 scale: tuple[float, float] = (0.15, 0.25)) -> None:
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
        return _scene(rng, self.size, shape, radius, centres, angles, wrap=True), label, np.array([speed, omega])


def save_gallery(dataset: Dataset, path: str | os.PathLike, count: int = 16) -> Path:
    """Write a PNG of the first ``count`` items: a grid of images, or one filmstrip row per video clip.

    Titles give each item's id, class name (``dataset.classes`` where present) and target.
    """
    from solvers.plot import pyplot, save_figure  # matplotlib only when drawing, not in data workers

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
        fig, axes = plt.subplots(len(items), frames, figsize=(1.1 * frames + 1.2, 1.15 * len(items)), squeeze=False,
                                 constrained_layout=True)
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
