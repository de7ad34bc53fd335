"""Self-supervised objectives: pure functions over tensors plus thin modules."""

from .anti_collapse import ANTI_COLLAPSE, anti_collapse, anti_collapse_of_maps
from .jepa import DISTANCES, JEPALoss, jepa_loss, variance_penalty
from .sigreg import epps_pulley, random_directions, sigreg
from .vicreg import VICRegLoss, covariance_penalty, variance_hinge, vicreg_terms

__all__ = [
    "ANTI_COLLAPSE",
    "DISTANCES",
    "JEPALoss",
    "VICRegLoss",
    "anti_collapse",
    "anti_collapse_of_maps",
    "covariance_penalty",
    "epps_pulley",
    "jepa_loss",
    "random_directions",
    "sigreg",
    "variance_hinge",
    "variance_penalty",
    "vicreg_terms",
]
