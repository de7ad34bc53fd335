"""Views of 2D flow trajectories (smoke buoyancy) for joint-embedding training.

On the device, after the batch is moved: a window of frames is cut at a random time, random
flow symmetries move the values and their coordinates (:class:`symmetries.flow.FlowAugmentation`:
the box and gravity travel with the sample), and the window is stacked as an image whose
channels are, frame by frame, the smoke, the two velocity components and the two coordinates
of every cell, followed by the direction of gravity as two constant channels.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch

from solvers.ns2d import FIELDS  # the order of the fields in a batch's ``u`` (batch, time, field, y, x)
from symmetries.flow import FlowAugmentation, FlowTrajectories
from symmetries.randomness import per_sample

from .views import WINDOW_STREAM, window_starts


def box_extent(centres: tuple[float, ...]) -> float:
    """A side of the box from its cells' centres ``(n,)``."""
    return (centres[-1] - centres[0]) * len(centres) / max(len(centres) - 1, 1)


@dataclass
class FlowViewMaker:
    """Make ``(batch, 5 * frames + 2, y, x)`` views (or videos) of ``u`` ``(batch, time, 3, y, x)``, in ``u``'s dtype.

    The flow groups are affine maps of values and coordinates, exact to round-off in float32.

    Args:
        strengths: flow group name -> strength (see :class:`FlowAugmentation`); empty: no symmetries.
        window: ``(frames,)`` of each view.
        x, y: cell-centre coordinates ``(nx,)``, ``(ny,)`` of the stored grid; coordinate channels
            are divided by the box's extent ``scale`` (the larger side), so they are of order one.
        max_start: latest first frame of a view (:func:`window_starts`); None: anywhere.
        video: return a video ``(batch, 7, frames, y, x)`` (per frame: smoke, velocity, coordinates and
            gravity; for ViT tubelets) instead of frames stacked as channels.
        system: the equations the flows solve, whose derived algebra the groups must belong to
            (``ns2d-buoyancy``: smoke; rotations are refused there, gravity breaks them).
        standardise: ``(mean, std)`` of each field of :data:`FIELDS` (the training file's statistics): the field
            channels are ``(value - mean) / std``, applied after the symmetries, which act on the physical values.
    """

    strengths: dict[str, float]
    window: tuple[int]
    x: tuple[float, ...]
    y: tuple[float, ...]
    max_start: int | None = None
    video: bool = False
    system: str = "ns2d-buoyancy"
    standardise: tuple[tuple[float, float], ...] | None = None
    augmentation: FlowAugmentation | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if len(self.window) != 1 or self.window[0] < 1:
            raise ValueError(f"a flow window is (frames,) with frames >= 1, got {self.window}")
        if self.strengths:
            self.augmentation = FlowAugmentation(dict(self.strengths), system=self.system)
        self.scale = max(box_extent(self.x), box_extent(self.y))

    @property
    def channels(self) -> int:
        return 7 if self.video else 5 * self.window[0] + 2

    def __call__(self, batch: dict, seed: int, augment: bool = True) -> torch.Tensor:
        """One view per sample; ``seed`` selects the draw (use a different one per view and step)."""
        u = batch["u"]
        b, nt = u.shape[:2]
        (wt,) = self.window
        if u.ndim != 5 or u.shape[2] != len(FIELDS):
            raise ValueError(
                f"flow batches hold u (batch, time, {len(FIELDS)} fields {FIELDS}, y, x), got {tuple(u.shape)}"
            )
        if wt > nt:
            raise ValueError(f"window of {wt} frames must fit in the stored {nt}")
        ids, dev = batch["id"], u.device
        place = (
            per_sample(seed, ids, WINDOW_STREAM, 1)[:, 0].to(dev)
            if augment
            else torch.zeros(b, dtype=torch.float64, device=dev)
        )
        start = window_starts(place, nt, wt, self.max_start)
        frames = start[:, None] + torch.arange(wt, device=dev)
        u = u[torch.arange(b, device=dev)[:, None], frames]  # (batch, frames, field, y, x)
        times = (batch["t0"].to(dev)[:, None] + batch["dt"].to(dev)[:, None] * frames).to(u.dtype)
        x, y = (torch.tensor(c, dtype=u.dtype, device=dev) for c in (self.x, self.y))
        data = FlowTrajectories.on_grid(u[:, :, 1:], {"smoke": u[:, :, 0]}, x, y, times[0])
        data = replace(data, times=times)
        if augment and self.augmentation is not None:
            data = self.augmentation(data, seed, ids)
        values = torch.cat([data.scalars["smoke"][:, :, None], data.velocity], dim=2)  # (batch, frames, 3, y, x)
        if self.standardise is not None:
            mean, std = (torch.tensor(c, dtype=u.dtype, device=dev)[:, None, None] for c in zip(*self.standardise))
            values = (values - mean) / std
        per_frame = torch.cat([values, data.coords / self.scale], dim=2)
        gravity = data.gravity[:, :, None, None].expand(-1, -1, *u.shape[-2:])
        if self.video:
            frames_of_gravity = gravity[:, None].expand(-1, wt, -1, -1, -1)
            return torch.cat([per_frame, frames_of_gravity], dim=2).transpose(1, 2)
        return torch.cat([per_frame.flatten(1, 2), gravity], dim=1)
