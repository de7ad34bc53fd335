"""2D incompressible flow on a MAC grid in a closed box, and the buoyancy-driven smoke datasets on top.

Core (one concept per module): :mod:`.mac` (grid, staggered <-> centred), :mod:`.interpolation`
(bilinear sampling), :mod:`.advection` (semi-Lagrangian), :mod:`.diffusion` (explicit
viscosity), :mod:`.dct` (DCT-II from FFTs), :mod:`.projection` (exact Neumann pressure
projection). Model and dataset: :mod:`.buoyancy` (the smoke step and its :data:`FIELDS`), :mod:`.config` (the
recipe and its random inputs), :mod:`.recipe` (what :func:`solvers.generate.generate` writes).
"""

from .buoyancy import FIELDS, PlumeTrajectories, SmokePlume
from .config import NAME, BuoyancyConfig, draw_inputs
from .mac import MACGrid, Velocity
from .projection import PressureProjection, divergence

__all__ = [
    "FIELDS",
    "NAME",
    "BuoyancyConfig",
    "MACGrid",
    "PlumeTrajectories",
    "PressureProjection",
    "SmokePlume",
    "Velocity",
    "divergence",
    "draw_inputs",
]
