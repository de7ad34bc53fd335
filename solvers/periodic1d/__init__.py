"""The 1D periodic family of datasets: Burgers, Kuramoto-Sivashinsky, KdV and heat on ``[0, L)``.

The equations themselves (:mod:`solvers.equations`) and the shared spectral core (:mod:`solvers.spectral`,
:mod:`solvers.etdrk4`, :mod:`solvers.integrate`, :mod:`solvers.initial_conditions`) stay beside this package;
here are the dataset's :mod:`.config` (the recipe and its random inputs) and :mod:`.recipe` (what
:func:`solvers.generate.generate` writes).
"""

from .config import MAX_STEPS, SimulationConfig, draw_inputs
from .recipe import SOLVER, Periodic1DRecipe, check_batch

__all__ = ["MAX_STEPS", "SOLVER", "Periodic1DRecipe", "SimulationConfig", "check_batch", "draw_inputs"]
