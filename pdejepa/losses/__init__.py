"""Self-supervised objectives: pure functions over tensors plus thin modules."""

from .jepa import JEPALoss, jepa_loss, variance_penalty
from .vicreg import VICRegLoss, vicreg_loss

__all__ = ["JEPALoss", "VICRegLoss", "jepa_loss", "variance_penalty", "vicreg_loss"]
