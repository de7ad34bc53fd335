"""Views of trajectories of any fields, for data whose equation has no derived symmetries (e.g. imported from
The Well, :mod:`pdejepa.data.description`): windows and crops only.

1D: a window of frames at a random time, then a window of points at a random place (wrapping around a periodic
boundary, inside the domain otherwise), with the window's time and space coordinates as two more channels,
each running from 0 to 1 across the window as in :class:`~pdejepa.data.views.ViewMaker`. 2D: a window of frames
at a random time over the whole grid, each frame giving every field and the cells' x and y coordinates divided by
the box's extent, as in :class:`~pdejepa.data.flow_views.FlowViewMaker`. The draws come from ``(seed, sample id)``
(stream :data:`~pdejepa.data.views.WINDOW_STREAM`), so a resumed run repeats them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from symmetries.randomness import per_sample

from .flow_views import box_extent
from .views import WINDOW_STREAM, window_starts


@dataclass
class FieldViewMaker:
    """Make views of ``u`` ``(batch, time, fields, *space)`` (one or two space dimensions), in ``u``'s dtype:

    - 1D, ``window=(frames, points)``: ``(batch, fields + 2, frames, points)``, the fields then the time and
      space coordinates;
    - 2D, ``window=(frames,)``: ``(batch, frames * (fields + 2), y, x)``, per frame the fields then the cells'
      x and y coordinates; with ``video``, ``(batch, fields + 2, frames, y, x)``.

    Args:
        window: ``(frames, points)`` (1D) or ``(frames,)`` (2D).
        fields: the names of the fields along ``u``'s field axis.
        periodic: whether a 1D window of points wraps around the boundary (else it stays inside the domain).
        x, y: cell centres ``(nx,)``, ``(ny,)`` of a 2D grid (None in 1D).
        max_start: latest first frame of a view (:func:`~pdejepa.data.views.window_starts`); None: anywhere.
        video: 2D views as videos (for ViT tubelets) instead of frames stacked as channels.
        standardise: per field ``(mean, std)`` (the training file's statistics): the field channels are
            ``(value - mean) / std``.
    """

    window: tuple[int, ...]
    fields: tuple[str, ...]
    periodic: bool = True
    x: tuple[float, ...] | None = None
    y: tuple[float, ...] | None = None
    max_start: int | None = None
    video: bool = False
    standardise: tuple[tuple[float, float], ...] | None = None

    def __post_init__(self) -> None:
        dims = 1 if self.x is None else 2
        if len(self.window) != 3 - dims or min(self.window) < 1:
            expected = "(frames, points)" if dims == 1 else "(frames,)"
            raise ValueError(f"a {dims}D window is {expected}, each >= 1, got {tuple(self.window)}")
        if not self.fields:
            raise ValueError("field views need at least one field")
        if self.standardise is not None and len(self.standardise) != len(self.fields):
            raise ValueError(f"standardise holds {len(self.standardise)} (mean, std) pairs for fields {self.fields}")

    @property
    def channels(self) -> int:
        per_frame = len(self.fields) + 2
        return per_frame if self.x is None or self.video else self.window[0] * per_frame

    def __call__(self, batch: dict, seed: int, augment: bool = True) -> torch.Tensor:
        """One view per sample; ``seed`` selects the draw (use a different one per view and step); ``augment=False``
        gives each trajectory's first window (and, in 1D, its first points)."""
        u = batch["u"]
        space = () if self.x is None else (len(self.y), len(self.x))
        if u.ndim != (4 if self.x is None else 5) or u.shape[2] != len(self.fields):
            layout = "(batch, time, fields, x)" if self.x is None else "(batch, time, fields, y, x)"
            raise ValueError(f"views of fields {self.fields} need u {layout}, got {tuple(u.shape)}")
        if space and tuple(u.shape[3:]) != space:
            raise ValueError(f"the views' grid has {space} cells (y, x), the batch {tuple(u.shape[3:])}")
        b, nt, dev = u.shape[0], u.shape[1], u.device
        wt = self.window[0]
        if wt > nt or (self.x is None and self.window[1] > u.shape[-1]):
            raise ValueError(f"window {tuple(self.window)} must fit in the stored trajectories {tuple(u.shape[1:])}")
        draws = len(self.window)
        place = (
            per_sample(seed, batch["id"], WINDOW_STREAM, draws).to(dev)
            if augment
            else torch.zeros(b, draws, dtype=torch.float64, device=dev)
        )
        frames = window_starts(place[:, 0], nt, wt, self.max_start)[:, None] + torch.arange(wt, device=dev)
        u = u[torch.arange(b, device=dev)[:, None], frames]  # (batch, frames, fields, *space)
        if self.standardise is not None:
            shape = (-1, *[1] * (u.ndim - 3))  # over the field axis
            mean, std = (torch.tensor(c, dtype=u.dtype, device=dev).view(shape) for c in zip(*self.standardise))
            u = (u - mean) / std
        return self._crop(u, place[:, 1]) if self.x is None else self._frames(u)

    def _crop(self, u: torch.Tensor, place: torch.Tensor) -> torch.Tensor:
        """``(batch, fields + 2, frames, points)`` from ``u`` ``(batch, frames, fields, x)`` and draws ``(batch,)``."""
        (b, wt, nf, nx), wx = u.shape, self.window[1]
        start = (place * nx).long() if self.periodic else (place * (nx - wx + 1)).long().clamp(max=nx - wx)
        cols = start[:, None] + torch.arange(wx, device=u.device)
        if self.periodic:
            cols = cols % nx  # wrap around
        u = torch.gather(u, 3, cols[:, None, None, :].expand(-1, wt, nf, -1)).transpose(1, 2)
        tc = torch.arange(wt, device=u.device, dtype=u.dtype) / max(wt - 1, 1)
        xc = torch.arange(wx, device=u.device, dtype=u.dtype) / max(wx - 1, 1)
        coords = torch.stack([tc[:, None].expand(-1, wx), xc[None].expand(wt, -1)])
        return torch.cat([u, coords[None].expand(b, -1, -1, -1)], dim=1)

    def _frames(self, u: torch.Tensor) -> torch.Tensor:
        """The 2D views of ``u`` ``(batch, frames, fields, y, x)``."""
        b, wt = u.shape[:2]
        x, y = (torch.tensor(c, dtype=u.dtype, device=u.device) for c in (self.x, self.y))
        yy, xx = torch.meshgrid(y, x, indexing="ij")
        coords = torch.stack([xx, yy]) / max(box_extent(self.x), box_extent(self.y))
        per_frame = torch.cat([u, coords[None, None].expand(b, wt, -1, -1, -1)], dim=2)
        return per_frame.transpose(1, 2) if self.video else per_frame.flatten(1, 2)
