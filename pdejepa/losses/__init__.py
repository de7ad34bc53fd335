"""Self-supervised objectives: pure functions over tensors plus thin modules."""

from .jepa import DISTANCES, JEPALoss, jepa_loss, variance_penalty
from .vicreg import VICRegLoss, vicreg_terms

__all__ = ["DISTANCES", "JEPALoss", "VICRegLoss", "jepa_loss", "variance_penalty", "vicreg_terms"]
