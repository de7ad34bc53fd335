"""Lightning modules and callbacks for self-supervised pretraining."""
from .collapse import CollapseMonitor, rankme
from .vicreg_module import VICRegPretraining

__all__ = ["CollapseMonitor", "VICRegPretraining", "rankme"]
