"""Downstream evaluation: parameter regression probes and baselines, classification probes on frozen tokens."""

from .probes import AttentiveProbe, LinearProbe, accuracy, frozen_tokens, train_probe
from .regression import RegressionModule, TargetScaler

__all__ = [
    "AttentiveProbe",
    "LinearProbe",
    "RegressionModule",
    "TargetScaler",
    "accuracy",
    "frozen_tokens",
    "train_probe",
]
