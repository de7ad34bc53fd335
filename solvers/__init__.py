"""Fast batched PDE solvers in torch and the HDF5 dataset writer. Knows nothing of learning.

Public names:

- :class:`SimulationConfig` (the 1D equations of :data:`EQUATIONS`, :func:`get_equation`, :mod:`solvers.periodic1d`)
  and :class:`BuoyancyConfig` (2D smoke buoyancy, :mod:`solvers.ns2d`): dataset configurations;
- :func:`simulate` and :func:`draw_inputs`: integrate a batch of 1D trajectories
  (:class:`Trajectories`) on any device, from the random inputs of given trajectories;
- :func:`dataset_defaults` (a dataset's default configuration by name), :func:`dataset_registry` (dataset name ->
  its configuration class's ``default``) and :class:`Shard` (a slice of a run);
- the errors of :mod:`solvers.errors`: :class:`SimulationError` (with :class:`BlowUpError`,
  :class:`UnresolvedTrajectoryError`) and :class:`OutputLockedError`.

To write a dataset (resumable, shardable, opened directly by xarray), use the function
``from solvers.generate import generate``; ``solvers.generate`` itself is the submodule.
"""

from .equations import EQUATIONS, get_equation
from .errors import BlowUpError, OutputLockedError, SimulationError, UnresolvedTrajectoryError
from .generate import Shard, dataset_defaults, dataset_registry
from .integrate import Trajectories, simulate
from .ns2d import BuoyancyConfig
from .periodic1d import SimulationConfig, draw_inputs

__all__ = [
    "EQUATIONS",
    "BlowUpError",
    "BuoyancyConfig",
    "OutputLockedError",
    "Shard",
    "SimulationConfig",
    "SimulationError",
    "Trajectories",
    "UnresolvedTrajectoryError",
    "dataset_defaults",
    "dataset_registry",
    "draw_inputs",
    "get_equation",
    "simulate",
]
