"""Fast batched PDE solvers in torch and the HDF5 dataset writer. Knows nothing of learning.

Public entry points:

- :func:`simulate`: integrate a batch of 1D trajectories on any device.
- :func:`generate`: write a dataset (resumable, shardable) that xarray opens directly.
"""
from .config import SimulationConfig, draw_inputs
from .equations import EQUATIONS, get_equation
from .integrate import Trajectories, simulate

__all__ = ["EQUATIONS", "SimulationConfig", "Trajectories", "draw_inputs", "get_equation", "simulate"]
