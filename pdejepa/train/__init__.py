"""Lightning modules, callbacks, schedules and the EMA update for self-supervised pretraining."""

from .collapse import CollapseMonitor, rankme
from .dynamics_module import DynamicsPretraining
from .ema import ema_update
from .global_norm import GlobalBatchNorm, GlobalBatchNormSync
from .schedules import cosine, linear, warmup_cosine
from .jepa_module import JEPAPretraining
from .throughput import Throughput
from .validation import ValidationDiagnostics
from .vicreg_module import VICRegPretraining

__all__ = [
    "CollapseMonitor",
    "DynamicsPretraining",
    "GlobalBatchNorm",
    "GlobalBatchNormSync",
    "JEPAPretraining",
    "Throughput",
    "VICRegPretraining",
    "ValidationDiagnostics",
    "cosine",
    "ema_update",
    "linear",
    "rankme",
    "warmup_cosine",
]
