"""Downstream evaluation: parameter regression probes and baselines, classification probes on frozen tokens."""

from .probes import PROBES, AttentiveProbe, LinearProbe, accuracy, frozen_tokens, train_probe
from .regressors import HEADS, REGRESSORS, RegressionModule, TargetScaler

__all__ = [
    "HEADS",
    "PROBES",
    "REGRESSORS",
    "AttentiveProbe",
    "LinearProbe",
    "RegressionModule",
    "TargetScaler",
    "accuracy",
    "frozen_tokens",
    "train_probe",
]
