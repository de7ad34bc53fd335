"""Datasets and views: lazy HDF5 trajectories, symmetry views of 1D fields and 2D flows, window views of the
fields of any file, procedural images and videos."""

from __future__ import annotations

from solvers.ns2d import FIELDS as FLOW_FIELDS

from .field_views import FieldViewMaker
from .flow_views import FlowViewMaker
from .procedural import MovingObjectsVideos, ShapesImages, save_gallery
from .trajectories import TrajectoryDataset, collate
from .views import ViewMaker

PROCEDURAL: dict[str, type] = {
    "shapes": ShapesImages,
    "moving-objects": MovingObjectsVideos,
}  # sets needing no download


def make_views(
    equation: str,
    strengths: dict[str, float],
    window: tuple[int, ...],
    params: tuple[str, ...] = (),
    grid: dict[str, list[float]] | None = None,
    max_start: int | None = None,
    video: bool = False,
    standardise: dict[str, tuple[float, float]] | None = None,
    fields: tuple[str, ...] | None = None,
    periodic: bool = True,
) -> ViewMaker | FlowViewMaker | FieldViewMaker:
    """The view maker for the data: 1D fields of ``equation`` (an equation string), or 2D flows
    when ``grid`` gives their cell centres ``{"x": [...], "y": [...]}``. ``max_start``: latest first
    frame of a view (None: anywhere); ``video``: 2D flows as videos ``(batch, 7, frames, y, x)``;
    ``standardise``: field -> ``(mean, std)`` the field channels are standardised with (None: raw values).

    ``fields``: the fields of data whose equation has no derived symmetries (``equation`` and ``params`` are then
    unused and ``strengths`` must switch every group off): windows of them (:class:`FieldViewMaker`, 2D where
    ``grid`` is given), whose 1D crops wrap around the boundary when ``periodic``; None: the built-in data above."""
    if fields is not None:
        if any(value > 0 for value in strengths.values()):
            raise ValueError(f"views of the fields {tuple(fields)} take no symmetries, got strengths {dict(strengths)}")
        scales = None if standardise is None else tuple(tuple(standardise[name]) for name in fields)
        x, y = (None, None) if grid is None else (tuple(grid["x"]), tuple(grid["y"]))
        return FieldViewMaker(tuple(window), tuple(fields), periodic, x, y, max_start, video, scales)
    if grid is not None:
        scales = None if standardise is None else tuple(tuple(standardise[name]) for name in FLOW_FIELDS)
        x, y = tuple(grid["x"]), tuple(grid["y"])
        return FlowViewMaker(dict(strengths), tuple(window), x, y, max_start, video, standardise=scales)
    scale = None if standardise is None else tuple(standardise["u"])
    return ViewMaker(equation, dict(strengths), tuple(window), tuple(params), max_start, scale)


__all__ = [
    "PROCEDURAL",
    "FieldViewMaker",
    "FlowViewMaker",
    "MovingObjectsVideos",
    "ShapesImages",
    "TrajectoryDataset",
    "ViewMaker",
    "collate",
    "make_views",
    "save_gallery",
]
