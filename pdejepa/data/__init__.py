"""Datasets and views: lazy HDF5 trajectories, symmetry views of 1D fields and 2D flows."""
from __future__ import annotations

from .flow_views import FlowViewMaker
from .trajectories import TrajectoryDataset, collate
from .views import ViewMaker


def make_views(equation: str, strengths: dict[str, float], window: tuple[int, ...], params: tuple[str, ...] = (),
               grid: dict[str, list[float]] | None = None) -> ViewMaker | FlowViewMaker:
    """The view maker for the data: 1D fields of ``equation`` (an equation string), or 2D flows
    when ``grid`` gives their cell centres ``{"x": [...], "y": [...]}``."""
    if grid is not None:
        return FlowViewMaker(dict(strengths), tuple(window), tuple(grid["x"]), tuple(grid["y"]))
    return ViewMaker(equation, dict(strengths), tuple(window), tuple(params))


__all__ = ["FlowViewMaker", "TrajectoryDataset", "ViewMaker", "collate", "make_views"]
