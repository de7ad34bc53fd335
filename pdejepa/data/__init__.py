"""Datasets over the solvers' HDF5 files and the views that feed self-supervised training."""
from .trajectories import TrajectoryDataset, collate
from .views import ViewMaker

__all__ = ["TrajectoryDataset", "ViewMaker", "collate"]
