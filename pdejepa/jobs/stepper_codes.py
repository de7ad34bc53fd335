"""The codes that condition the steppers of the time-stepping job: the frozen encoder's representation of
windows of each trajectory, and the true parameter (the oracle), standardised with the training set's statistics.

The test codes are always those of the context window (a trajectory's first ``pretrain.window[0]``
frames, before the frames that are stepped). With ``timestep.code_window: other`` the training codes
are those of every whole window of the trajectory (the context, then the stepped frames cut into
windows), for the stepper to draw one that shares no frame with the pair it conditions. With
``timestep.code_pca`` the SSL code is replaced by its first ``timestep.code_dims`` principal
components over the training trajectories' context codes, whitened.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from ..data import collate
from ..encoders import load_encoder
from ..experiment import Experiment
from ..progress import progress_bar


@dataclass(frozen=True)
class Codes:
    """Per variant (``none``, ``ssl``, ``oracle``) the training codes ``(N, cond)``, or for ``ssl`` with other
    windows ``(N, windows, cond)``, and the test codes ``(N, cond)``. ``starts``: first frame of each window
    relative to the first stepped frame (the context starts at ``-length``)."""

    train: dict[str, torch.Tensor]
    test: dict[str, torch.Tensor]
    starts: tuple[int, ...]
    length: int


def window_starts(frames: int, length: int, other: bool) -> tuple[int, ...]:
    """First frames of the encoded windows of a ``frames``-frame trajectory: the context window (0), and with
    ``other`` every later whole window ``length, 2 length, ...`` that fits."""
    return tuple(range(0, frames - length + 1, length)) if other else (0,)


@torch.no_grad()
def encode_windows(exp: Experiment, encoder: torch.nn.Module, path: Path, starts: tuple[int, ...]) -> torch.Tensor:
    """``(N, windows, dim)`` frozen representations of the un-augmented windows starting at ``starts``."""
    views = exp.view_maker(augment=False)
    encoder.eval()
    out = []
    loader = DataLoader(exp.dataset(path), batch_size=128, collate_fn=collate)
    for batch in progress_bar(loader, desc="encoding", enabled=exp.progress):
        shifted = ({**batch, "u": batch["u"][:, s:], "t0": batch["t0"] + s * batch["dt"]} for s in starts)
        out.append(torch.stack([encoder(views(b, seed=0, augment=False)).double() for b in shifted], 1))
    return torch.cat(out).float()


def standardise(train: torch.Tensor, test: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each window position of ``train`` ``(N, windows, dim)`` by its own mean and std over trajectories;
    ``test`` ``(M, dim)`` (context windows) by the context's."""
    mean, std = train.mean(0), train.std(0).clamp_min(1e-6)
    return (train - mean) / std, (test - mean[0]) / std[0]


def principal_components(train: torch.Tensor, test: torch.Tensor, dims: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Codes ``(..., dim)`` projected on the first ``dims`` principal axes of ``train[:, 0]`` (the training
    context codes) and divided by their std, so each component is standardised."""
    context = train[:, 0].double()
    if dims > min(context.shape):
        raise ValueError(
            f"timestep.code_dims={dims} principal components need as many training codes, got {len(context)}"
        )
    mean = context.mean(0)
    _, s, vh = torch.linalg.svd(context - mean, full_matrices=False)
    basis, scale = vh[:dims].T, (s[:dims] / max(len(context) - 1, 1) ** 0.5).clamp_min(1e-6)
    return tuple((((z.double() - mean) @ basis) / scale).float() for z in (train, test))


def frozen_codes(exp: Experiment, ckpt: Path) -> Codes:
    """The codes of every variant, from the frozen encoder of ``ckpt`` and the label ``data.label``."""
    t, d = exp.config.timestep, exp.config.data
    length = exp.config.pretrain.window[0]
    train_set, test_set = (exp.dataset(path) for path in exp.files)
    frames = train_set[0]["u"].shape[0]
    starts = window_starts(frames, length, t.code_window == "other")
    if t.code_window == "other" and len(starts) < 2:
        raise ValueError(f"timestep.code_window=other needs two windows of {length} frames, trajectories hold {frames}")
    encoder = load_encoder(exp, ckpt, 0)
    if t.code_dims is not None and t.code_dims > encoder.dim:
        raise ValueError(f"timestep.code_dims={t.code_dims} exceeds the representation's {encoder.dim} dimensions")
    h_train = encode_windows(exp, encoder, exp.files[0], starts)
    ssl = standardise(h_train, encode_windows(exp, encoder, exp.files[1], (0,))[:, 0])
    if t.code_pca:
        ssl = principal_components(*ssl, t.code_dims)
    y = [torch.as_tensor(ds.label_values(d.label)).float().double() for ds in (train_set, test_set)]  # as in items
    y = [(torch.log(v) if d.log_label else v).float()[:, None] for v in y]
    oracle = standardise(y[0][:, None], y[1])
    train = {
        "none": torch.zeros(len(y[0]), 0),
        "ssl": ssl[0] if len(starts) > 1 else ssl[0][:, 0],
        "oracle": oracle[0][:, 0],
    }
    test = {"none": torch.zeros(len(y[1]), 0), "ssl": ssl[1], "oracle": oracle[1]}
    return Codes(train, test, tuple(s - length for s in starts), length)
