"""What training needs beside the objectives: callbacks (collapse, throughput, validation diagnostics), schedules,
the EMA update, global batch norm and trainers as the jobs want them."""

from .collapse import CollapseMonitor, rankme
from .ema import ema_update
from .global_norm import GlobalBatchNorm, GlobalBatchNormSync
from .schedules import cosine, linear, warmup_cosine
from .throughput import Throughput
from .validation import ValidationDiagnostics

__all__ = [
    "CollapseMonitor",
    "GlobalBatchNorm",
    "GlobalBatchNormSync",
    "Throughput",
    "ValidationDiagnostics",
    "cosine",
    "ema_update",
    "linear",
    "rankme",
    "warmup_cosine",
]
