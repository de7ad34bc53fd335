"""Procedural videos as trajectories, for the methods that train on trajectory batches (the ResNet methods: the
world model, the dynamics objective, VICReg on windows).

An item of :class:`~.procedural.MovingObjectsVideos` becomes the item of a trajectory file
(:class:`~.trajectories.TrajectoryDataset`): ``u`` ``(frames, 3, size, size)`` with red, green and blue as three
fields, ``t0 = 0``, ``dt = 1`` (one frame), ``L = nan``, its ``id``, and ``labels`` the numbers of
:data:`LABELS`. Their views are those of imported 2D data (:class:`~.field_views.FieldViewMaker`): windows of
frames over the whole image, without symmetries, on a periodic grid of unit cells (the videos wrap around).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.utils.data import Dataset

from .procedural import MovingObjectsVideos

FIELDS = ("red", "green", "blue")  # the fields of a video trajectory, in the order of an item's field axis
LABELS = ("vx", "vy", "speed", "angular_velocity", "shape", "direction")  # an item's labels, in this order


def is_video_set(dataset: type) -> bool:
    """Whether a procedural set (its class) holds videos, which can be seen as trajectories."""
    return issubclass(dataset, MovingObjectsVideos)


def kind(dataset: type, method_kinds: tuple[str, ...]) -> str:
    """The kind of data (:data:`~pdejepa.methods.DATA_KINDS`) a procedural set (its class) is for a method that
    trains on ``method_kinds``: ``"videos"`` (trajectories of RGB frames) for a video set and a method that does not
    take procedural items as they are, else ``"procedural"``."""
    return "videos" if is_video_set(dataset) and "procedural" not in method_kinds else "procedural"


def video_labels(item: dict) -> torch.Tensor:
    """The numbers of :data:`LABELS` of a :class:`MovingObjectsVideos` item, float32 ``(6,)``."""
    vx, vy = item["velocity"].tolist()
    numbers = (vx, vy, item["speed"], float(item["target"][1]), item["shape"], item["label"])
    return torch.tensor(numbers, dtype=torch.float32)


def label_table(videos: MovingObjectsVideos) -> torch.Tensor:
    """The :data:`LABELS` of every item, float32 ``(N, 6)``, from its draws alone (no pixels are rendered)."""
    rows = []
    for i in range(len(videos)):
        scene, label, target = videos.draw(i)
        rows.append(video_labels({"label": label, "target": target, **videos.numbers(scene, label, target)}))
    return torch.stack(rows)


class VideoTrajectories(Dataset):
    """The items of a :class:`MovingObjectsVideos` set as trajectory items (see the module docstring)."""

    def __init__(self, videos: MovingObjectsVideos) -> None:
        self.videos = videos

    def __len__(self) -> int:
        return len(self.videos)

    @property
    def ids(self) -> list[int]:
        return list(range(len(self.videos)))

    def __getitem__(self, i: int) -> dict:
        item = self.videos[i]
        u = item["x"].transpose(0, 1).contiguous()  # (frames, 3, size, size)
        return {"u": u, "t0": 0.0, "dt": 1.0, "L": math.nan, "id": item["id"], "labels": video_labels(item)}


def grid(videos: MovingObjectsVideos) -> dict[str, list[float]]:
    """Cell centres ``{"x": [...], "y": [...]}`` of the videos' pixels, one unit apart."""
    centres = [float(k) for k in range(videos.size)]
    return {"x": centres, "y": list(centres)}


def standardisation(videos: MovingObjectsVideos, count: int = 64) -> dict[str, tuple[float, float]]:
    """Field -> ``(mean, std)`` of each colour over the first ``count`` videos (a fixed subset: the same for every
    run on the same data)."""
    x = torch.stack([videos[i]["x"] for i in range(min(count, len(videos)))]).double()  # (n, 3, frames, y, x)
    mean, std = x.mean((0, 2, 3, 4)), x.std((0, 2, 3, 4)).clamp_min(1e-6)
    return {name: (float(m), float(s)) for name, m, s in zip(FIELDS, mean, std)}


def view_settings(settings: dict[str, Any], videos: MovingObjectsVideos) -> dict[str, Any]:
    """The keyword arguments of :func:`~pdejepa.data.make_views` for ``videos``: ``settings`` with the colour fields
    and a periodic grid. Symmetry strengths and a window longer than the clips are refused in one line."""
    strengths, frames = settings["strengths"], settings["window"][0]
    if any(value > 0 for value in strengths.values()):
        raise ValueError(
            "views of procedural videos are windows of frames without symmetries: set pretrain.strengths={} "
            f"(got {dict(strengths)})"
        )
    if frames > videos.frames:
        raise ValueError(
            f"pretrain.window={list(settings['window'])} needs {frames} frames; the videos hold {videos.frames} "
            "(data.simulation.frames)"
        )
    return {**settings, "fields": FIELDS, "periodic": True}
