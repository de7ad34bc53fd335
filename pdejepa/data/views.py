"""Views of 1D trajectories for joint-embedding training: symmetries, then a random window.

On the device, after the batch is moved: a window of frames is cut at a random time (a time
translation), the frames are transformed by random symmetry group elements
(:class:`symmetries.augment.SymmetryAugmentation`), then a window of points is cut at a
random place in periodic space (wrapping around). Cutting the frames first is exact, since
every group acts frame by frame on the carried grid (Cole-Hopf's potential is defined up to
a constant), and it transforms only the frames the encoder sees. The encoder sees three channels:
the field and the window's own time and space coordinates, measured from its corner and scaled by
the untransformed window's extent, so a scaling symmetry shows in the coordinates instead of being
resampled away.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from symmetries.augment import SymmetryAugmentation
from symmetries.randomness import per_sample
from symmetries.transforms import GridTrajectories, time_window

WINDOW_STREAM = 1_000  # randomness stream for window placement, apart from the groups' streams


def window_starts(place: torch.Tensor, stored: int, frames: int, max_start: int | None = None) -> torch.Tensor:
    """First frame ``(batch,)`` of each view from uniform draws ``place`` ``(batch,)`` in [0, 1).

    Starts are uniform over ``0 .. min(stored - frames, max_start)``: ``max_start`` keeps views
    early in a record whose later frames carry less of what is to be learned (a smoke plume
    forgets its buoyancy once it has mixed); None lets a view start anywhere it fits.
    """
    if max_start is not None and max_start < 0:
        raise ValueError(f"max_start must be >= 0 frames (or None for anywhere), got {max_start}")
    last = stored - frames if max_start is None else min(stored - frames, max_start)
    return (place * (last + 1)).long().clamp(max=last)


@dataclass
class ViewMaker:
    """Make ``(batch, 3, window_t, window_x)`` float32 views from a collated batch of 1D fields (``u``
    ``(batch, time, 1, x)``).

    Args:
        equation: the equation string whose symmetries to use (e.g. Burgers').
        strengths: group name -> strength (see :class:`SymmetryAugmentation`); empty: no symmetries.
        window: ``(frames, points)`` of each view.
        params: per-sample parameter names the equation needs (e.g. ``("nu",)`` for Cole-Hopf),
            taken from the batch's labels in that order.
        max_start: latest first frame of a view (:func:`window_starts`); None: anywhere.
        standardise: ``(mean, std)`` of the field (the training file's statistics): the field channel is
            ``(u - mean) / std``, applied after the symmetries, which act on the physical values.
    """

    equation: str
    strengths: dict[str, float]
    window: tuple[int, int]
    params: tuple[str, ...] = ()
    max_start: int | None = None
    standardise: tuple[float, float] | None = None
    augmentation: SymmetryAugmentation | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.strengths:
            self.augmentation = SymmetryAugmentation(self.equation, dict(self.strengths))

    @property
    def channels(self) -> int:
        return 3

    def grid(self, batch: dict) -> GridTrajectories:
        u = batch["u"]
        if u.ndim != 4 or u.shape[2] != 1 or not torch.isfinite(batch["L"]).all():
            raise ValueError(f"1D views need u (batch, time, 1, x) and a finite per-sample L, got u {tuple(u.shape)}")
        u = u[:, :, 0].to(torch.float64)
        dev = u.device
        params = {name: batch["labels"][:, i].to(dev, torch.float64) for i, name in enumerate(self.params)}
        return GridTrajectories(u, batch["t0"].to(dev), batch["dt"].to(dev), batch["L"].to(dev), params)

    def __call__(self, batch: dict, seed: int, augment: bool = True) -> torch.Tensor:
        """One view per sample; ``seed`` selects the draw (use a different one per view and step)."""
        data = self.grid(batch)
        nt, nx = data.u.shape[1:]
        wt, wx = self.window
        if not (1 <= wt <= nt and 1 <= wx <= nx):
            raise ValueError(f"window {self.window} must fit in the stored trajectories ({nt} frames x {nx} points)")
        ids = batch["id"]
        ref_t, ref_x = data.dt * max(wt - 1, 1), data.L * max(wx - 1, 1) / nx  # extent of an untransformed window
        place = (
            per_sample(seed, ids, WINDOW_STREAM, 2).to(data.u.device)
            if augment
            else torch.zeros(len(ids), 2, dtype=torch.float64, device=data.u.device)
        )
        start_t = window_starts(place[:, 0], nt, wt, self.max_start)
        data = time_window(data, start_t, wt)
        if augment and self.augmentation is not None:
            data = self.augmentation(data, seed, ids)
        start_x = (place[:, 1] * nx).long()
        cols = (start_x[:, None] + torch.arange(wx, device=data.u.device)) % nx  # periodic wrap-around
        u = torch.gather(data.u, 2, cols[:, None, :].expand(-1, wt, -1))
        if self.standardise is not None:
            mean, std = self.standardise
            u = (u - mean) / std
        tc = (data.dt / ref_t.to(data.dt))[:, None] * torch.arange(wt, device=u.device, dtype=u.dtype)
        xc = (data.L / nx / ref_x.to(data.L))[:, None] * torch.arange(wx, device=u.device, dtype=u.dtype)
        coords_t = tc[:, :, None].expand(-1, -1, wx)
        coords_x = xc[:, None, :].expand(-1, wt, -1)
        return torch.stack([u, coords_t, coords_x], dim=1).to(torch.float32)
