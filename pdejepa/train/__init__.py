"""Lightning modules and callbacks for self-supervised pretraining."""
from .collapse import CollapseMonitor, rankme
from .throughput import Throughput
from .vicreg_module import VICRegPretraining

__all__ = ["CollapseMonitor", "Throughput", "VICRegPretraining", "rankme"]
