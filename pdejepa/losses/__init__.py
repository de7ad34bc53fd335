"""Self-supervised objectives: pure functions over tensors plus thin modules."""
from .vicreg import VICRegLoss, vicreg_loss

__all__ = ["VICRegLoss", "vicreg_loss"]
