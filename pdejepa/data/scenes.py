"""Scenes of the procedural sets: textured shapes over textured backgrounds, rendered in one vectorised pass.

Pixels are rendered by :func:`render` over all pixels and frames at once, as float32 RGB in ``[0, 1]``.

Coordinates: pixel ``(row, col)`` has its centre at ``x = col``, ``y = -row``, so angles are
counter-clockwise and 90 degrees points *up* as ``imshow`` shows an image (row 0 at the top).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch


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
    "triangle": lambda u, v: (
        np.max(np.multiply.outer(np.cos(_TRIANGLE_NORMALS), u) + np.multiply.outer(np.sin(_TRIANGLE_NORMALS), v), 0)
        - 0.5
    ),
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


def make_scene(
    rng: np.random.Generator, size: int, shape: str, radius: float, centres: np.ndarray, angles: np.ndarray, wrap: bool
) -> Scene:
    """Random colours and textures around given geometry. The foreground's mean colour is kept at least
    0.35 per channel from the background's (so the shape is visible) without tying colour to the class."""
    back = rng.uniform(0.15, 0.85, 3)
    front = (back + 0.5 + rng.uniform(-0.15, 0.15, 3)) % 1.0
    return Scene(
        shape,
        radius,
        centres,
        angles,
        _texture(rng, size, front, (0.2, 0.45)),
        _texture(rng, size, back, (0.1, 0.3)),
        wrap,
    )


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
