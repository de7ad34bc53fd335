"""The errors that :mod:`solvers` raises besides ``ValueError`` (a bad setting) and ``OSError``."""

from __future__ import annotations


class SimulationError(RuntimeError):
    """A batch could not be stored as asked; the message names the trajectories."""


class UnresolvedTrajectoryError(SimulationError):
    """A trajectory's spectrum reaches the dealiasing cutoff: the grid is too coarse for it."""


class BlowUpError(SimulationError):
    """A trajectory went non-finite or grew without bound."""


class OutputLockedError(FileExistsError):
    """Another process is writing the same output file."""


__all__ = ["BlowUpError", "OutputLockedError", "SimulationError", "UnresolvedTrajectoryError"]
