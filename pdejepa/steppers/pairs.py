"""Teacher-forcing pairs of a time-stepper: ``history`` frames in, the next ``horizon`` frames out, with a code."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset


class FramePairs(Dataset):
    """Every ``(history frames -> next horizon frames)`` pair of every trajectory, with its conditioning code.

    u: ``(N, time, fields, *space)``. z: ``(N, cond_dim)``, one code per trajectory (``(N, 0)`` for none);
    or ``(N, windows, cond_dim)``, the codes of several windows of each trajectory, whose frames are
    ``starts[w] .. starts[w] + length - 1`` in ``u``'s frame index (negative: before ``u``'s first frame).

    Items are ``(x, y, z)`` with ``x`` ``(history * fields, *space)`` and ``y`` ``(horizon * fields, *space)``
    (fields side by side within a frame) and ``z`` ``(cond_dim,)``; with window codes ``(x, y, z, allowed)``,
    ``z`` ``(windows, cond_dim)`` and ``allowed`` ``(windows,)`` True where the window shares no frame with
    the pair, so that a code drawn among them never saw the frames it conditions.
    """

    def __init__(
        self,
        u: torch.Tensor,
        z: torch.Tensor,
        history: int,
        horizon: int,
        starts: tuple[int, ...] = (),
        length: int = 0,
    ) -> None:
        n, nt = u.shape[:2]
        self.per = nt - history - horizon + 1
        if self.per < 1:
            raise ValueError(f"{nt} frames cannot hold history {history} + horizon {horizon}")
        if len(z) != n:
            raise ValueError(f"need one code per trajectory: {n} trajectories, z {tuple(z.shape)}")
        if z.ndim == 3 and (len(starts) != z.shape[1] or length < 1):
            raise ValueError(f"window codes {tuple(z.shape)} need one start per window, got {starts}, length {length}")
        self.u, self.z, self.history, self.horizon = u, z, history, horizon
        self.starts, self.length = torch.tensor(starts, dtype=torch.long), length

    def __len__(self) -> int:
        return len(self.u) * self.per

    def __getitem__(self, i: int):
        k, t = divmod(i, self.per)
        frames = self.u[k, t : t + self.history + self.horizon].flatten(0, 1)
        split = self.history * self.u.shape[2]
        if self.z.ndim == 2:
            return frames[:split], frames[split:], self.z[k]
        allowed = (self.starts + self.length <= t) | (self.starts >= t + self.history + self.horizon)
        return frames[:split], frames[split:], self.z[k], allowed
